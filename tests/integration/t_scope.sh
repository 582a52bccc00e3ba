#!/usr/bin/env bash
# Record scope: staff see the notes of their units and groups, leaders the
# whole tenant, auditors none; another tenant's note and a note whose deny
# list names the caller (even the admin) answer 404 as if absent; the list
# leaves hidden notes out; every hidden read is audited as record.hidden.
source "$(dirname "$0")/lib.sh"

jd_instance "$JD_TMP/i" --load example
jd_start

# bearer TOKEN PATH [curl args...]: prints the status code, the body in $JD_TMP/b
bearer() {
	local tok=$1 path=$2
	shift 2
	curl -s --cacert "$JD_DIR/tls/ca.crt" -H "Authorization: Bearer $tok" -o "$JD_TMP/b" \
		-w '%{http_code}' "$@" "$(jd_api_url "$path")"
}
token_for() { jd_ctl tokens create --user "$1" --ttl 1d --json | jd_json .token; }
add_note() { jd_ctl example notes add --tenant "$1" --title "$2" "${@:3}" --json | jd_json .id; }
show() { bearer "$1" "/v1/example/notes/$2?tenant=${3:-t1}"; }
admin_show() { # ID [TENANT]: the status code for the admin's certificate
	jd_ctl_curl -o "$JD_TMP/b" -w '%{http_code}' \
		"$(jd_api_url "/v1/example/notes/$1?tenant=${2:-t1}")"
}
ids_of() { python3 -c 'import json,sys; print(",".join(sorted(n["title"] for n in json.load(open(sys.argv[1]))["notes"])))' "$JD_TMP/b"; }
hidden() { # ACTOR OUTCOME: how many record.hidden entries in t1 have them
	jd_ctl audit search --tenant t1 --action record.hidden --actor "$1" --json |
		python3 -c 'import json,sys; print(sum(1 for e in json.load(sys.stdin)["entries"] if e["outcome"] == sys.argv[1]))' "$2"
}

jd_ctl users add --id s1 --roles staff --tenants t1 --units u1 >/dev/null
jd_ctl users add --id s2 --roles staff --tenants t1 --units u2 --groups g1 >/dev/null
jd_ctl users add --id l1 --roles leader --tenants t1 >/dev/null
jd_ctl users add --id a1 --roles auditor --tenants t1 >/dev/null
s1=$(token_for s1)
s2=$(token_for s2)
l1=$(token_for l1)
a1=$(token_for a1)

n1=$(add_note t1 n1 --unit u1)
n2=$(add_note t1 n2 --unit u3 --groups g1)
n3=$(add_note t1 n3 --unit u1 --deny s1)
n4=$(add_note t1 n4 --unit u1 --deny admin)
nx=$(add_note t2 nx --unit u1)
check "five notes created" [ -n "$n1" -a -n "$n2" -a -n "$n3" -a -n "$n4" -a -n "$nx" ]

# --- staff: own units, shared groups, never when recused
equals "s1 sees n1 (its unit)" "$(show "$s1" "$n1")" 200
equals "s1: n2 is 404 (another unit, no shared group)" "$(show "$s1" "$n2")" 404
contains "hidden says only 'no note'" "$(cat "$JD_TMP/b")" "no note $n2 in tenant t1"
equals "s1: n3 is 404 (recused)" "$(show "$s1" "$n3")" 404
equals "s1: an absent note is 404 as well" "$(show "$s1" 0123456789abcdef0123456789abcdef)" 404
equals "s1: a note of t2 is 404" "$(show "$s1" "$nx" t2)" 404
equals "s2 sees n2 (group g1)" "$(show "$s2" "$n2")" 200
equals "s2: n1 is 404" "$(show "$s2" "$n1")" 404
equals "s1 edits n1" "$(bearer "$s1" "/v1/example/notes/$n1" -X PUT -H 'Content-Type: application/json' --data '{"tenant":"t1","version":1,"title":"n1"}')" 200
equals "s1 cannot edit n3 (recused): 404" "$(bearer "$s1" "/v1/example/notes/$n3" -X PUT -H 'Content-Type: application/json' --data '{"tenant":"t1","version":1,"deny":""}')" 404
equals "a bad deny list is refused" "$(bearer "$s1" "/v1/example/notes/$n1" -X PUT -H 'Content-Type: application/json' --data '{"tenant":"t1","version":2,"deny":"a|b"}')" 400

equals "s1 cannot purge n2 (out of scope): 404" "$(bearer "$s1" "/v1/example/notes/$n2/purge" -X POST -H 'Content-Type: application/json' --data '{"tenant":"t1"}')" 404
equals "s1 cannot purge n3 (recused): 404" "$(bearer "$s1" "/v1/example/notes/$n3/purge" -X POST -H 'Content-Type: application/json' --data '{"tenant":"t1"}')" 404
equals "s2 still reads n2 after s1's attempt" "$(show "$s2" "$n2")" 200

# the blind-index search answers within the caller's scope too
bearer "$s1" "/v1/example/notes/find?tenant=t1&title=n2" >/dev/null
equals "s1: find by the title of a hidden note finds nothing" "$(ids_of)" ""
bearer "$s2" "/v1/example/notes/find?tenant=t1&title=n2" >/dev/null
equals "s2: the same search finds it" "$(ids_of)" "n2"

# --- leader: the whole tenant; auditor: no case content at all
equals "l1 sees n1" "$(show "$l1" "$n1")" 200
equals "l1 sees n2" "$(show "$l1" "$n2")" 200
equals "l1 sees n3" "$(show "$l1" "$n3")" 200
equals "l1: a note of t2 is 404" "$(show "$l1" "$nx" t2)" 404
equals "a1: 403 by role" "$(show "$a1" "$n1")" 403

# --- lists leave hidden notes out
equals "s1 lists" "$(bearer "$s1" "/v1/example/notes?tenant=t1")" 200
equals "s1's list: n1 and n4 (unit u1), not n2 nor n3 (recused)" "$(ids_of)" n1,n4
bearer "$s2" "/v1/example/notes?tenant=t1" >/dev/null
equals "s2's list is n2 only" "$(ids_of)" n2
bearer "$l1" "/v1/example/notes?tenant=t1" >/dev/null
equals "l1's list is n1..n4" "$(ids_of)" n1,n2,n3,n4
jd_ctl_curl -o "$JD_TMP/b" "$(jd_api_url "/v1/example/notes?tenant=t1")"
equals "the admin's list leaves out n4 (recused)" "$(ids_of)" n1,n2,n3

# --- the admin: everything but what names the admin on its deny list
equals "admin sees n1" "$(admin_show "$n1")" 200
equals "admin sees n2" "$(admin_show "$n2")" 200
equals "admin sees n3" "$(admin_show "$n3")" 200
equals "admin sees the t2 note" "$(admin_show "$nx" t2)" 200
equals "admin: n4 (deny=admin) is 404" "$(admin_show "$n4")" 404
contains "the record keeps its deny list" "$(jd_ctl example notes show --tenant t1 --id "$n3" --json)" '"deny": "s1"'

# --- every hidden read is audited in t1, with actor and outcome
check "the hidden reads reach t1's trail" jd_wait_for 50 bash -c \
	"[ \"\$(redis-cli -s '$JD_DIR/data/redis.sock' XRANGE 'jd:{t1}:audit' - + | grep -cx record.hidden)\" -ge 5 ]"
equals "s1: n2 out of scope (show and purge)" "$(hidden s1 out_of_scope)" 2
equals "s1: n3 denied by list (show, edit and purge)" "$(hidden s1 denied_by_list)" 3
equals "s2: n1 out of scope" "$(hidden s2 out_of_scope)" 1
equals "admin: n4 denied by list" "$(hidden admin denied_by_list)" 1
equals "l1: nothing hidden in t1" "$(hidden l1 out_of_scope)" 0
out=$(jd_ctl audit search --tenant t1 --action record.hidden --actor s2 --json)
equals "the target names the note" "$(jd_json .entries.0.target <<<"$out")" "note:$n1"
equals "an absent note is not audited as hidden" \
	"$(jd_ctl audit search --tenant t1 --action record.hidden --target 'note:0123456789abcdef*' --json | jd_json .entries)" "[]"
check "s1's read of t2's note is in t2's trail" jd_wait_for 50 bash -c \
	"redis-cli -s '$JD_DIR/data/redis.sock' XRANGE 'jd:{t2}:audit' - + | grep -qx record.hidden"

jd_stop
equals "SIGTERM: exit 0" "$JD_EXIT" 0
jd_finish
