#!/usr/bin/env bash
# Reads wait their turn while writes are in progress (limits.reads_in_flight,
# daemon/transport/read_gate.c), in a real process: Redis is stopped so that
# requests stay in progress, and /metrics on the control listener (never
# held) shows who waits.  With no write in progress, reads are not bounded;
# with one, a second read waits for the first; every request is answered once
# Redis goes on.
source "$(dirname "$0")/lib.sh"

jd_instance "$JD_TMP/i" --load example
jd_set limits reads_in_flight 1
jd_set redis command_timeout_ms 60000
jd_start
sock=$JD_DIR/data/redis.sock
rpid=$(redis-cli -s "$sock" info server | tr -d '\r' | awk -F: '/^process_id/{print $2}')
metric() { jd_ctl_curl "$(jd_control_url /metrics)" | awk -v m="$1" '$1 == m {print $2}'; }
metric_is() { [ "$(metric "$1")" = "$2" ]; }
note() { jd_api_curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
	--data "{\"tenant\":\"t1\",\"title\":\"$1\"}" "$(jd_api_url /v1/example/notes)"; }
list() { jd_api_curl -s -o /dev/null -w '%{http_code}' "$(jd_api_url '/v1/example/notes?tenant=t1')"; }
status() { jd_api_curl -s -o /dev/null -w '%{http_code}' "$(jd_api_url /v1/status)"; }
equals "a note to read" "$(note first)" 201

# --- no write in progress: three reads in progress at once, none waits
kill -STOP "$rpid"
pids=
for n in 1 2 3; do
	list >"$JD_TMP/a$n" &
	pids="$pids $!"
done
check "three reads in progress together" jd_wait_for 300 jd_in_flight 4
equals "none waits" "$(metric jiandu_reads_waiting)" 0
kill -CONT "$rpid"
wait $pids
equals "each answered" "$(cat "$JD_TMP/a1" "$JD_TMP/a2" "$JD_TMP/a3")" "200200200"
equals "none was held" "$(metric jiandu_reads_held_total)" 0

# --- a write in progress: one read goes on, the next ones wait for it
kill -STOP "$rpid"
note second >"$JD_TMP/w" &
pids=$!
check "the write is in progress" jd_wait_for 300 jd_in_flight 2
list >"$JD_TMP/b1" &
pids="$pids $!"
check "the first read goes on" jd_wait_for 300 jd_in_flight 3
status >"$JD_TMP/b2" &
pids="$pids $!"
status >"$JD_TMP/b3" &
pids="$pids $!"
check "the next two wait (a read needing no Redis too)" jd_wait_for 300 metric_is jiandu_reads_waiting 2
kill -CONT "$rpid"
wait $pids
equals "the write answered" "$(cat "$JD_TMP/w")" 201
equals "the reads answered" "$(cat "$JD_TMP/b1" "$JD_TMP/b2" "$JD_TMP/b3")" "200200200"
equals "two were held" "$(metric jiandu_reads_held_total)" 2
equals "none waits now" "$(metric jiandu_reads_waiting)" 0

jd_stop
equals "clean exit" "$JD_EXIT" 0
jd_no_sanitizer_report
jd_finish
