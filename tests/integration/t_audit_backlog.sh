#!/usr/bin/env bash
# A tenant's audit queue is bounded: with Redis pausing writes (CLIENT PAUSE
# WRITE: reads, and so authentication, go on) and a pipeline of one
# (limits.audit_pipeline 1), one mutation is in flight,
# limits.audit_backlog (4) wait, and the next request naming the tenant is
# answered 503 audit_backlog with Retry-After before it runs; once Redis
# resumes, the admitted ones complete and the chain verifies.
. "$(dirname "$0")/lib.sh"

jd_instance "$JD_TMP/a" --load example
jd_set limits audit_backlog 4
jd_set limits audit_pipeline 1
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
post() { # N: note nN, code in code$N, body and headers beside it
	curl -s -o "$JD_TMP/body$1" -D "$JD_TMP/head$1" -w '%{http_code}\n' --cacert "$JD_DIR/tls/ca.crt" \
		--cert "$JD_DIR/tls/admin.crt" --key "$JD_DIR/tls/admin.key" \
		-H 'Content-Type: application/json' --data "{\"tenant\":\"t1\",\"title\":\"n$1\"}" \
		"https://127.0.0.1:$JD_API_PORT/v1/example/notes" >"$JD_TMP/code$1"
}
# one at a time: the first holds the tenant (its script paused in Redis),
# each next one waits for it (jiandu_audit_waiting counts them)
pids=()
for i in 1 2 3 4 5; do
	post "$i" &
	pids+=($!)
	check "request $i admitted" jd_wait_for 300 bash -c \
		"[ \"\$(curl -sS --cacert '$JD_DIR/tls/ca.crt' --cert '$JD_DIR/tls/admin.crt' --key '$JD_DIR/tls/admin.key' \
		'$(jd_control_url /metrics)' | awk '\$1==\"jiandu_audit_waiting\"{print \$2}')\" = $((i - 1)) ]"
done
# four wait: the sixth is refused at once
post 6
equals "the sixth: 503" "$(cat "$JD_TMP/code6")" 503
contains "the refusal names the limit" "$(cat "$JD_TMP/body6")" '"code":"audit_backlog"'
contains "and the key" "$(cat "$JD_TMP/body6")" "limits.audit_backlog"
check "with Retry-After" grep -qi '^Retry-After: 1' "$JD_TMP/head6"
equals "the refusal counted" "$(metric jiandu_audit_backlog_refused_total)" 1
rc CLIENT UNPAUSE >/dev/null
wait "${pids[@]}"
equals "the five admitted: 201" "$(cat "$JD_TMP"/code[1-5] | sort | uniq -c | xargs)" "5 201"
equals "none waiting" "$(metric jiandu_audit_waiting)" 0
check "their events handled" jd_wait_for 200 jd_settled t1
equals "the admitted notes, and only they, in the trail" "$(rc XRANGE 'jd:{t1}:audit' - + | grep -c '^example.note.create$')" 6
out=$(jd_ctl audit verify --tenant t1 --json) && st=0 || st=$?
equals "the chain verifies" "$st" 0
jd_stop
equals "clean exit" "$JD_EXIT" 0
jd_finish
