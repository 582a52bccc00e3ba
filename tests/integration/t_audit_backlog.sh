#!/usr/bin/env bash
# A tenant's audit queue is bounded: with Redis pausing writes (CLIENT PAUSE
# WRITE: reads, and so authentication, go on), one mutation is in flight,
# limits.audit_backlog wait, and further requests naming the tenant are
# answered 503 audit_backlog with Retry-After, before it runs; once Redis
# resumes, the admitted ones complete and the chain verifies.
. "$(dirname "$0")/lib.sh"

jd_instance "$JD_TMP/a" --load example
jd_set limits audit_backlog 4
jd_set redis command_timeout_ms 60000
jd_start
sock="$JD_DIR/data/redis.sock"
rc() { redis-cli -s "$sock" "$@"; }
metric() {
	curl -sS --cacert "$JD_DIR/tls/ca.crt" --cert "$JD_DIR/tls/admin.crt" --key "$JD_DIR/tls/admin.key" \
		"$(jd_control_url /metrics)" | awk -v m="$1" '$1==m{print $2}'
}

jd_ctl example notes add --tenant t1 --title first >/dev/null
check "the first note's event handled" jd_wait_for 200 jd_settled t1
equals "no refusal yet" "$(metric jiandu_audit_backlog_refused_total)" 0

rc CLIENT PAUSE 120000 WRITE >/dev/null
pids=()
for i in $(seq 1 30); do
	curl -s -o "$JD_TMP/body$i" -D "$JD_TMP/head$i" -w '%{http_code}\n' --cacert "$JD_DIR/tls/ca.crt" \
		--cert "$JD_DIR/tls/admin.crt" --key "$JD_DIR/tls/admin.key" \
		-H 'Content-Type: application/json' --data "{\"tenant\":\"t1\",\"title\":\"n$i\"}" \
		"https://127.0.0.1:$JD_API_PORT/v1/example/notes" >"$JD_TMP/code$i" &
	pids+=($!)
done
# one in flight and four waiting (a few more may be past the check, before
# their mutation queues): the rest are refused at once
check "refusals while Redis pauses writes" jd_wait_for 300 bash -c \
	"[ \"\$(cat '$JD_TMP'/code* | grep -c '^503\$')\" -ge 20 ]"
rc CLIENT UNPAUSE >/dev/null
wait "${pids[@]}"
n201=$(cat "$JD_TMP"/code* | grep -c '^201$')
n503=$(cat "$JD_TMP"/code* | grep -c '^503$')
equals "each answered 201 or 503" "$((n201 + n503))" 30
check "at least the five the limit admits" [ "$n201" -ge 5 ]
equals "every 503 counted" "$(metric jiandu_audit_backlog_refused_total)" "$n503"
refused=$(grep -l '^503$' "$JD_TMP"/code* | head -1)
n=${refused##*code}
contains "the refusal names the limit" "$(cat "$JD_TMP/body$n")" '"code":"audit_backlog"'
contains "and the key" "$(cat "$JD_TMP/body$n")" "limits.audit_backlog"
check "with Retry-After" grep -qi '^Retry-After: 1' "$JD_TMP/head$n"
check "their events handled" jd_wait_for 200 jd_settled t1
equals "the admitted notes, and only they, in the trail" "$(rc XRANGE 'jd:{t1}:audit' - + | grep -c '^example.note.create$')" $((n201 + 1))
out=$(jd_ctl audit verify --tenant t1 --json) && st=0 || st=$?
equals "the chain verifies" "$st" 0
jd_stop
equals "clean exit" "$JD_EXIT" 0
jd_finish
