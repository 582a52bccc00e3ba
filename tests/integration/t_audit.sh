#!/usr/bin/env bash
# The audit trail: every mutation appends a chained, tagged entry in the same
# script; verify names modified and deleted entries; several writers at once
# (one daemon under concurrent load, and two daemons on one Redis) keep the
# chain linear.
source "$(dirname "$0")/lib.sh"

jd_instance "$JD_TMP/i" --load example
jd_start
sock=$JD_DIR/data/redis.sock
rc() { redis-cli -s "$sock" "$@"; }

# Each note's durable event is handled by the example plugin with a mutation
# of its own (audited, actor "system"): wait until the plugin has handled
# every event of the tenant before counting.

# The first write to a tenant may also make its data key (a system entry):
# count from there.
jd_ctl example notes add --tenant t1 --title "note 0" >/dev/null
jd_wait_for 100 jd_settled t1
base=$(rc XLEN 'jd:{t1}:audit')
for n in 1 2 3; do
	jd_ctl example notes add --tenant t1 --title "note $n" --text "secret body $n" >/dev/null
done
check "the example plugin handled its events" jd_wait_for 100 jd_settled t1
tail=$(jd_ctl audit tail --tenant t1 --count 6 --json)
contains "tail shows the actor" "$tail" '"actor": "admin"'
contains "tail shows the action" "$tail" '"action": "example.note.create"'
equals "tail is newest first (a note and its event's handling each)" "$(jd_json .entries.0.seq <<<"$tail")" $((base + 6))
equals "tail: the credential" "$(py 'next(e["cred"] for e in j["entries"] if e["action"] == "example.note.create")' <<<"$tail")" cert
if [[ "$tail" == *"secret body"* ]] || rc XRANGE 'jd:{t1}:audit' - + | grep -q "secret body"; then
	not_ok "no value in the audit trail"
else
	ok "no value in the audit trail"
fi
equals "the head key" "$(rc GET 'jd:{t1}:audit:head' | cut -d' ' -f1)" $((base + 6))

# a conflict and an idempotent replay append nothing
jd_ctl example notes add --tenant t1 --title k --idempotency_key k1 >/dev/null
jd_ctl example notes add --tenant t1 --title k --idempotency_key k1 >/dev/null
jd_wait_for 100 jd_settled t1
equals "a replay appends nothing (nor publishes)" "$(rc XLEN 'jd:{t1}:audit')" $((base + 8))
n1=$(rc XLEN 'jd:{t1}:audit')

out=$(jd_ctl audit verify --tenant t1 --json) && st=0 || st=$?
equals "verify: exit 0 on an intact trail" "$st" 0
equals "verify: ok" "$(jd_json .ok <<<"$out")" true
contains "verify: summary" "$out" "$n1/$n1 entries valid"

pub=$(jd_ctl audit pubkey --json)
equals "pubkey: 32 bytes in hex" "$(jd_json .hex <<<"$pub" | tr -d '\n' | wc -c)" 64
contains "pubkey matches the keyring" "$(cat "$JD_DIR"/*keyring* 2>/dev/null || true)" "$(jd_json .base64 <<<"$pub")"

# system tenant: users and tokens are audited too
jd_ctl users add --id zoe --roles staff --tenants t1 >/dev/null
contains "a user change is audited" "$(jd_ctl audit tail --tenant _sys --json)" '"action": "users.create"'

# --- checkpoints: every 100 entries (or 60 s)
jd_ctl example notes add --tenant t2 --title first >/dev/null
seq 1 99 | xargs -P 8 -I{} curl -s -o /dev/null -w '%{http_code}\n' --cacert "$JD_DIR/tls/ca.crt" \
	--cert "$JD_DIR/tls/admin.crt" --key "$JD_DIR/tls/admin.key" \
	-H 'Content-Type: application/json' --data '{"tenant":"t2","title":"c{}"}' \
	"$(jd_api_url /v1/example/notes)" >"$JD_TMP/codes"
equals "99 concurrent creates: all 201" "$(grep -c '^201$' "$JD_TMP/codes")" 99
equals "99 concurrent creates: 100 note entries" "$(rc XRANGE 'jd:{t2}:audit' - + | grep -c '^example.note.create$')" 100
check "99 concurrent creates: their events handled" jd_wait_for 200 jd_settled t2
n2=$(rc XLEN 'jd:{t2}:audit')
check "99 concurrent creates: at least 100 entries" [ "$n2" -ge 100 ]
check "a checkpoint in Redis" jd_wait_for 50 bash -c "[ \"\$(redis-cli -s '$sock' LLEN 'jd:{t2}:audit:checkpoints')\" -ge 1 ]"
check "a checkpoint in the local file" grep -q "^cp1 t2 1[0-9][0-9] " "$JD_DIR/data/audit-checkpoints.log"
equals "the checkpoint file is 0600" "$(stat -c %a "$JD_DIR/data/audit-checkpoints.log")" 600
out=$(jd_ctl audit verify --tenant t2 --json) && st=0 || st=$?
equals "concurrent writers: chain verifies" "$st" 0
contains "concurrent writers: all valid" "$out" "$n2/$n2 entries valid"

# --- a second jiandud on the same Redis with the same keyring
A_DIR=$JD_DIR
A_API_PORT=$JD_API_PORT
A_CONTROL_PORT=$JD_CONTROL_PORT
jd_instance "$JD_TMP/j" --load example
B_DIR=$JD_DIR
abs() { case $2 in /*) echo "$2" ;; *) echo "$1/$2" ;; esac; }
keyring=$(abs "$A_DIR" "$(awk -F' *= *' '$1=="keyring"{print $2}' "$A_DIR/jiandud.conf")")
bkeyring=$(abs "$B_DIR" "$(awk -F' *= *' '$1=="keyring"{print $2}' "$B_DIR/jiandud.conf")")
cp "$keyring" "$bkeyring"
chmod 600 "$bkeyring"
jd_set redis url "unix://$sock"
B_API_PORT=$JD_API_PORT
A_PID=$JD_PID
jd_start
B_PID=$JD_PID
# both write to t3 at once, each with its own admin certificate, six
# connections each: without the chain's turn the daemon with work queued
# won every round and the other's writes failed
write_to() { # DIR PORT N
	seq 1 "$3" | xargs -P 6 -I{} curl -s -o /dev/null -w '%{http_code}\n' --cacert "$1/tls/ca.crt" \
		--cert "$1/tls/admin.crt" --key "$1/tls/admin.key" \
		-H 'Content-Type: application/json' --data '{"tenant":"t3","title":"w{}"}' \
		"https://127.0.0.1:$2/v1/example/notes"
}
jd_ctl example notes add --tenant t3 --title first >/dev/null
write_to "$A_DIR" "$A_API_PORT" 60 >"$JD_TMP/codes_a" &
w1=$!
write_to "$B_DIR" "$B_API_PORT" 60 >"$JD_TMP/codes_b" &
w2=$!
wait $w1 $w2
equals "two daemons: all 201" "$(sort "$JD_TMP/codes_a" "$JD_TMP/codes_b" | uniq -c | xargs)" "120 201"
equals "two daemons: 121 note entries" "$(rc XRANGE 'jd:{t3}:audit' - + | grep -c '^example.note.create$')" 121
check "two daemons: their events handled" jd_wait_for 200 jd_settled t3
n3=$(rc XLEN 'jd:{t3}:audit')
check "two daemons: at least 121 entries" [ "$n3" -ge 121 ]
out=$(jd_ctl audit verify --tenant t3 --json) && st=0 || st=$?
equals "two daemons: the chain verifies" "$st" 0
contains "two daemons: all valid" "$out" "$n3/$n3 entries valid"
kill -TERM "$B_PID"
wait "$B_PID" || true
JD_PID=$A_PID
JD_DIR=$A_DIR
JD_API_PORT=$A_API_PORT
JD_CONTROL_PORT=$A_CONTROL_PORT

# --- tampering: (a) one field of one entry changed, the stream rebuilt with the same ids
python3 - "$sock" <<'PY'
import subprocess, sys
sock = sys.argv[1]
def r(*a):
    return subprocess.run(["redis-cli", "-s", sock, "--no-raw", *a], capture_output=True, text=True, check=True).stdout
import json
raw = subprocess.run(["redis-cli", "-s", sock, "--json", "XRANGE", "jd:{t1}:audit", "-", "+"],
                     capture_output=True, text=True)
if raw.returncode != 0 or not raw.stdout.strip().startswith("["):
    sys.exit("redis-cli --json unsupported")
entries = json.loads(raw.stdout)
subprocess.run(["redis-cli", "-s", sock, "DEL", "jd:{t1}:audit"], check=True, capture_output=True)
for eid, fields in entries:
    f = list(fields)
    d = dict(zip(f[0::2], f[1::2]))
    if d["seq"] == "2":
        f[f.index("actor") + 1] = "mallory"
    subprocess.run(["redis-cli", "-s", sock, "XADD", "jd:{t1}:audit", eid, *f], check=True, capture_output=True)
PY
out=$(jd_ctl audit verify --tenant t1 2>&1) && st=0 || st=$?
equals "modified: verify exits 1" "$st" 1
contains "modified: reported" "$out" "audit_damaged"
body=$(jd_ctl_curl -s "$(jd_control_url '/v1/audit/verify?tenant=t1')")
equals "modified: names seq 2" "$(python3 -c 'import json,sys; r=json.load(sys.stdin)["report"]; print(",".join("%s:%s" % (p["seq"], p["status"]) for p in r["problems"] if p["status"]!="unsigned"))' <<<"$body")" "2:modified"

# (b) one entry deleted
id3=$(python3 -c 'import json,sys; print([e for e in json.load(sys.stdin)["entries"] if e["seq"]=="3"][0]["id"])' \
	<<<"$(jd_ctl audit tail --tenant t2 --count 200 --json)")
rc XDEL 'jd:{t2}:audit' "$id3" >/dev/null
body=$(jd_ctl_curl -s "$(jd_control_url '/v1/audit/verify?tenant=t2')")
equals "deleted: names seq 3" "$(python3 -c 'import json,sys; r=json.load(sys.stdin)["report"]; print(",".join("%s:%s" % (p["seq"], p["status"]) for p in r["problems"] if p["status"]!="unsigned"))' <<<"$body")" "3:deleted"
jd_ctl audit verify --tenant t2 >/dev/null 2>&1 && st=0 || st=$?
equals "deleted: verify exits 1" "$st" 1

# (c) an entry inserted and (d) two entries swapped: the stream rebuilt with fresh ids
rebuild() { # rebuild TENANT MODE
	python3 - "$sock" "$1" "$2" <<'PY'
import json, subprocess, sys
sock, tenant, mode = sys.argv[1:]
key = "jd:{%s}:audit" % tenant
entries = json.loads(subprocess.run(["redis-cli", "-s", sock, "--json", "XRANGE", key, "-", "+"],
                                    capture_output=True, text=True, check=True).stdout)
fields = [list(f) for _, f in entries]
seq = lambda f: f[f.index("seq") + 1]
i = [seq(f) for f in fields].index("3")
if mode == "insert":
    forged = list(fields[i])
    forged[forged.index("actor") + 1] = "mallory"
    forged[forged.index("seq") + 1] = "4"
    forged[forged.index("tag") + 1] = "ab" * 32
    fields.insert(i + 1, forged)
else:
    fields[i], fields[i + 1] = fields[i + 1], fields[i]
subprocess.run(["redis-cli", "-s", sock, "DEL", key], check=True, capture_output=True)
for n, f in enumerate(fields, 1):
    subprocess.run(["redis-cli", "-s", sock, "XADD", key, "1-%d" % n, *f], check=True,
                   capture_output=True)
PY
}
problems() {
	jd_ctl_curl -s "$(jd_control_url "/v1/audit/verify?tenant=$1")" | python3 -c 'import json,sys
r=json.load(sys.stdin)["report"]
print(",".join("%s:%s" % (p["seq"], p["status"]) for p in r["problems"] if p["status"]!="unsigned"))'
}
for t in t4 t5; do
	for i in 1 2 3 4 5; do jd_ctl example notes add --tenant "$t" --title "n$i" >/dev/null; done
	jd_wait_for 100 jd_settled "$t"
done
rebuild t4 insert
equals "inserted: named, and nothing else" "$(problems t4)" "4:inserted"
rebuild t5 reorder
equals "reordered: named, and nothing else" "$(problems t5)" "4:reordered"

# after tampering, new writes still chain onto the head jiandud last knew
jd_ctl example notes add --tenant t3 --title after >/dev/null
jd_wait_for 100 jd_settled t3
jd_ctl audit verify --tenant t3 >/dev/null 2>&1 && st=0 || st=$?
equals "an untouched tenant still verifies" "$st" 0

jd_stop
equals "clean exit" "$JD_EXIT" 0
jd_finish
