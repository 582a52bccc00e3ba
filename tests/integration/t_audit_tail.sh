#!/usr/bin/env bash
# The audit chain's unsigned tail cannot be cut for good: someone who writes
# Redis deletes the entries written since the last signed checkpoint and sets
# the chain head back.  jiandud keeps the highest head it wrote or saw (the
# anchor, in memory and in data_dir/audit-anchors.log): the next write is
# refused (503) and alarmed, no checkpoint signs the shortened chain, `audit
# verify` names the cut, the anchor survives a restart, and only an
# administrator's `audit accept-head` resumes the tenant's writes.
source "$(dirname "$0")/lib.sh"

jd_instance "$JD_TMP/i" --load example
jd_start
sock=$JD_DIR/data/redis.sock
rc() { redis-cli -s "$sock" "$@"; }
head_seq() { rc GET "jd:{${1:-t1}}:audit:head" | cut -d' ' -f1; }
# write TITLE [TENANT]: one note through the api; prints the status code
write() {
	jd_api_curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
		--data "{\"tenant\":\"${2:-t1}\",\"title\":\"$1\"}" "$(jd_api_url /v1/example/notes)"
}
# cut_tail TENANT SEQ: the entries above SEQ deleted, the head key set back to SEQ
cut_tail() {
	python3 - "$sock" "$1" "$2" <<'PY'
import json, subprocess, sys
sock, tenant, cut = sys.argv[1], sys.argv[2], int(sys.argv[3])
key = "jd:{%s}:audit" % tenant
def rc(*a):
    return subprocess.run(["redis-cli", "-s", sock, *a], capture_output=True, text=True, check=True).stdout
chain = None
for eid, f in json.loads(rc("--json", "XRANGE", key, "-", "+")):
    d = dict(zip(f[0::2], f[1::2]))
    if int(d["seq"]) > cut:
        rc("XDEL", key, eid)
    elif int(d["seq"]) == cut:
        chain = d["chain"]
rc("SET", key + ":head", "%d %s" % (cut, chain))
PY
}
metric() { jd_ctl_curl -s "$(jd_control_url /metrics)" | awk -v m="$1" '$1 == m {print $2}'; }
verify_json() { jd_ctl_curl -s "$(jd_control_url '/v1/audit/verify?tenant=t1')"; }

# --- entries, signed at a clean stop; then an unsigned tail
for n in 1 2 3; do equals "write $n" "$(write "a$n")" 201; done
jd_wait_for 100 jd_settled t1
jd_stop
equals "first stop: clean" "$JD_EXIT" 0
signed=$(grep -c '^cp1 t1 ' "$JD_DIR/data/audit-checkpoints.log")
check "a checkpoint at the stop" [ "$signed" -ge 1 ]
equals "the anchor file is 0600" "$(stat -c %a "$JD_DIR/data/audit-anchors.log")" 600
jd_start
cut=$(head_seq)
for n in 4 5 6; do equals "write $n" "$(write "a$n")" 201; done
jd_wait_for 100 jd_settled t1
top=$(head_seq)
check "an unsigned tail above the cut" [ "$top" -gt "$cut" ]
equals "no checkpoint over the tail yet" "$(grep -c '^cp1 t1 ' "$JD_DIR/data/audit-checkpoints.log")" "$signed"
rc --json XRANGE 'jd:{t1}:audit' - + >"$JD_TMP/before.json"

# --- the attack: the tail deleted, the head key set back to the cut entry
cut_tail t1 "$cut"
equals "the stream ends at the cut" "$(head_seq)" "$cut"

# --- the next write is refused and alarmed, the chain is not extended
equals "a write over the cut: 503" "$(write b1)" 503
equals "a second write: 503 too" "$(write b2)" 503
body=$(jd_api_curl -s -H 'Content-Type: application/json' --data '{"tenant":"t1","title":"b3"}' "$(jd_api_url /v1/example/notes)")
equals "the 503 says why" "$(jd_json .error.code <<<"$body")" audit_held
contains "the 503 says what to do" "$body" "audit accept-head"
equals "nothing chained from the cut head" "$(head_seq)" "$cut"
check "logged" jd_logged "chain head in Redis moved back.*tenant=t1 head=$cut anchor=$top"
check "counted" [ "$(metric jiandu_audit_head_moved_back_total)" -ge 1 ]
equals "one tenant held" "$(metric jiandu_audit_tenants_held)" 1
alarmed() {
	jd_ctl audit search --tenant _sys --action audit.head_moved_back --json |
		grep -q "t1: head seq $cut behind seq $top"
}
check "an alarm entry in the system trail" jd_wait_for 50 alarmed

out=$(jd_ctl audit verify --tenant t1 2>&1) && st=0 || st=$?
equals "verify: exit 1" "$st" 1
contains "verify names the cut" "$out" "tail truncated after seq $cut"
body=$(verify_json)
equals "verify: tail_truncated" "$(jd_json .report.tail_truncated <<<"$body")" true
equals "verify: the anchor" "$(jd_json .report.anchor <<<"$body")" "$top"
equals "verify: held" "$(jd_json .report.held <<<"$body")" true
equals "verify: the cut range, one problem" "$(py '",".join("%s-%s:%s" % (p["seq"], p.get("last"), p["status"]) for p in j["report"]["problems"] if p["status"] != "unsigned")' <<<"$body")" "$((cut + 1))-$top:deleted"

# --- no checkpoint signs the shortened chain: each signed (seq, chain) was written before the cut
jd_stop
equals "stop while held: clean" "$JD_EXIT" 0
python3 - "$JD_TMP/before.json" "$JD_DIR/data/audit-checkpoints.log" "$cut" <<'PY' && ok "every checkpoint signs the chain as written" || not_ok "every checkpoint signs the chain as written"
import json, sys
before = {}
for _, f in json.load(open(sys.argv[1])):
    d = dict(zip(f[0::2], f[1::2]))
    before[d["seq"]] = d["chain"]
cps = [l.split() for l in open(sys.argv[2]) if l.startswith("cp1 t1 ")]
bad = [c for c in cps if before.get(c[2]) != c[3]]
sys.exit(1 if bad or not any(int(c[2]) > int(sys.argv[3]) for c in cps) else 0)
PY

# --- a restart keeps the anchor: still refused, still named
jd_start
equals "after a restart: still 503" "$(write c1)" 503
out=$(jd_ctl audit verify --tenant t1 2>&1) && st=0 || st=$?
contains "after a restart: verify names the cut" "$out" "tail truncated after seq $cut"

# --- the administrator decides
out=$(jd_ctl audit accept-head --tenant t1 2>&1) && st=0 || st=$?
check "accept-head needs a reason" [ "$st" -ne 0 ]
out=$(jd_ctl audit accept-head --tenant t1 --reason "restored from a backup without the tail" --json)
equals "accepted: the head found" "$(jd_json .head <<<"$out")" "$cut"
equals "accepted: over the anchor" "$(jd_json .anchor_was <<<"$out")" "$top"
equals "writes resume" "$(write d1)" 201
equals "no tenant held" "$(metric jiandu_audit_tenants_held)" 0
tail=$(jd_ctl audit search --tenant t1 --action audit.accept_head --json)
contains "the decision is audited: who" "$tail" '"actor": "admin"'
contains "the decision is audited: the heads and the reason" "$tail" "head seq $cut accepted over seq $top: restored from a backup"
equals "the decision is chained on the accepted head" "$(py '[e["seq"] for e in j["entries"]][0]' <<<"$tail")" $((cut + 1))
out=$(jd_ctl audit accept-head --tenant t1 --reason again 2>&1) && st=0 || st=$?
contains "nothing left to accept: 409" "$out" "not_held"
jd_ctl audit verify --tenant t1 >/dev/null 2>&1 && st=0 || st=$?
equals "the cut stays visible against the signed checkpoint" "$st" 1

# --- accepted at once, before any checkpoint signed the lost tail: accepting signs it first
for n in 1 2 3; do write "f$n" t2 >/dev/null; done
jd_wait_for 100 jd_settled t2
top2=$(head_seq t2)
cut_tail t2 2
equals "t2: a write over the cut: 503" "$(write g1 t2)" 503
quiet jd_ctl audit accept-head --tenant t2 --reason "testing"
check "t2: the anchor's head signed at the decision" grep -q "^cp1 t2 $top2 " "$JD_DIR/data/audit-checkpoints.log"
equals "t2: writes resume" "$(write g2 t2)" 201
jd_ctl audit verify --tenant t2 >/dev/null 2>&1 && st=0 || st=$?
equals "t2: the cut stays visible after the decision" "$st" 1

# --- verify while writes go on: the anchor, the checkpoints and the local file's size
# are taken before the pages are read, so what is appended (and signed) while they
# are read is not a cut tail; taken after them, nearly every verify here found one
load=$JD_TMP/load-t3.json
python3 "$JD_SOURCE_DIR/tests/faults/load.py" write "$JD_DIR" "$JD_API_PORT" t3 verify "$load" \
	"$JD_TMP/stop-t3" 100000 300 4 150 &
load_pid=$!
acked() { python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["acked"]))' "$load" 2>/dev/null || echo 0; }
acked_over() { [ "$(acked)" -gt "$1" ]; }
jd_wait_for 300 acked_over 50 || true
bad=0
for n in $(seq 1 12); do
	before=$(acked)
	out=$(jd_ctl audit verify --tenant t3 2>&1) || { bad=$((bad + 1)); echo "# verify $n: $out" | head -3; }
	jd_wait_for 100 acked_over $((before + 5)) || break # writes went on in between
done
touch "$JD_TMP/stop-t3"
wait "$load_pid" || true
equals "writes went on during each of the 12 verifies" "$n" 12
equals "every verify during the writes: intact" "$bad" 0
jd_ctl audit verify --tenant t3 >/dev/null && ok "and after them" || not_ok "and after them"

# --- the decision holds across a restart (the accept1 line)
jd_wait_for 100 jd_settled t1
jd_stop
jd_start
equals "after the decision and a restart: 201" "$(write e1)" 201
jd_stop
equals "clean exit" "$JD_EXIT" 0
jd_no_sanitizer_report
jd_finish
