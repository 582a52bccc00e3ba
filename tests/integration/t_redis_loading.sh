#!/usr/bin/env bash
# Redis that is up but cannot serve for now (LOADING its data set, BUSY
# running a long script): requests answer 503 with Retry-After, never 500;
# /readyz says not ready, naming why, until Redis serves again; /livez
# answers throughout; /healthz is /readyz.
source "$(dirname "$0")/lib.sh"

rdir=$JD_TMP/redis
mkdir -p "$rdir"
# key-load-delay (µs per key) and a small event interval: Redis's own tests
# use them to hold a server in LOADING for as long as they need.
start_redis() {
	redis-server --port 0 --unixsocket "$rdir/redis.sock" --unixsocketperm 700 --dir "$rdir" \
		--save '' --appendonly no --daemonize no --logfile "$rdir/redis.log" "$@" &
	REDIS_PID=$!
}
rcli() { redis-cli -s "$rdir/redis.sock" "$@"; }
start_redis
jd_wait_for 50 rcli ping

jd_instance "$JD_TMP/i" --load example
jd_set redis url "unix://$rdir/redis.sock"
jd_start

# health: code and body of a path without credential
health() { curl -s --cacert "$JD_DIR/tls/ca.crt" -o "$JD_TMP/h" -w '%{http_code}' "$(jd_api_url "$1")"; }
ready() { [ "$(health /readyz)" = 200 ]; }
check "ready once Redis takes writes" jd_wait_for 100 ready
equals "livez: 200" "$(health /livez)" 200
equals "healthz is readyz: 200" "$(health /healthz)" 200
contains "readyz says ready" "$(health /readyz >/dev/null; cat "$JD_TMP/h")" '"ready":true'

# write TITLE: prints the status code; headers in $JD_TMP/hdr, body in $JD_TMP/body
write() {
	jd_api_curl -D "$JD_TMP/hdr" -o "$JD_TMP/body" -w '%{http_code}' -X POST \
		-H 'Content-Type: application/json' -d "{\"tenant\":\"t1\",\"title\":\"$1\"}" \
		"$(jd_api_url /v1/example/notes)"
}
equals "a write with Redis serving: 201" "$(write before)" 201

# --- LOADING: a restart that loads a data set slowly
rcli eval "for i=1,5000 do redis.call('set','fill:'..i,i) end" 0 >/dev/null
rcli save >/dev/null
kill -KILL "$REDIS_PID"
wait "$REDIS_PID" 2>/dev/null || true
start_redis --key-load-delay 5000 --loading-process-events-interval-bytes 1024
loading() { rcli ping | grep -q LOADING; }
check "Redis is loading (held by key-load-delay)" jd_wait_for 100 loading
not_ready_loading() { [ "$(health /readyz)" = 503 ] && grep -q LOADING "$JD_TMP/h"; }
check "readyz: 503 naming LOADING while Redis loads" jd_wait_for 100 not_ready_loading
contains "readyz says not ready" "$(cat "$JD_TMP/h")" '"ready":false'
equals "healthz (alias) is not ready either" "$(health /healthz)" 503
equals "livez still 200 while Redis loads" "$(health /livez)" 200
code=$(write during-loading)
equals "a write while Redis loads: 503" "$code" 503
contains "the 503 is a JSON error" "$(cat "$JD_TMP/body")" '"code":"unavailable"'
check "the 503 carries Retry-After" grep -qi '^Retry-After: [0-9]' "$JD_TMP/hdr"
code=$(jd_api_curl -o /dev/null -w '%{http_code}' "$(jd_api_url "/v1/example/notes?tenant=t1")")
equals "a read while Redis loads: 503" "$code" 503
metrics=$(jd_ctl_curl "$(jd_control_url /metrics)")
if grep -Eq '^jiandu_redis_refused_total [1-9]' <<<"$metrics"; then
	ok "metrics count the refused replies"
else
	not_ok "metrics count the refused replies: $(grep refused <<<"$metrics")"
fi

rcli config set key-load-delay 0 >/dev/null
# until ready again, every answer is 503 (never 500); then writes go through
codes=
until ready; do
	codes+=" $(write racing)"
	[ "${#codes}" -lt 4000 ] || break
done
if grep -q 500 <<<"$codes"; then not_ok "no 500 while Redis finishes loading:$codes"; else ok "no 500 while Redis finishes loading"; fi
check "ready again once loaded" ready
equals "a write after loading: 201" "$(write after-loading)" 201

# --- BUSY: a script runs past busy-reply-threshold
rcli config set busy-reply-threshold 50 >/dev/null
rcli eval 'while true do end' 0 >/dev/null 2>&1 &
busy_pid=$!
busy() { rcli ping | grep -q BUSY; }
check "Redis is busy (a script loops)" jd_wait_for 100 busy
code=$(write during-busy)
equals "a write while Redis is busy: 503" "$code" 503
check "the 503 carries Retry-After" grep -qi '^Retry-After: [0-9]' "$JD_TMP/hdr"
not_ready_busy() { [ "$(health /readyz)" = 503 ] && grep -q BUSY "$JD_TMP/h"; }
check "readyz: 503 naming BUSY" jd_wait_for 100 not_ready_busy
rcli script kill >/dev/null
wait "$busy_pid" 2>/dev/null || true
check "ready again after SCRIPT KILL" jd_wait_for 100 ready
equals "a write after the script ended: 201" "$(write after-busy)" 201

# --- gone: a lost connection is not ready either, and comes back
kill -KILL "$REDIS_PID"
wait "$REDIS_PID" 2>/dev/null || true
not_ready() { [ "$(health /readyz)" = 503 ]; }
check "readyz: 503 with Redis gone" jd_wait_for 100 not_ready
equals "livez: 200 with Redis gone" "$(health /livez)" 200
equals "a write with Redis gone: 503" "$(write gone)" 503
check "the 503 carries Retry-After" grep -qi '^Retry-After: [0-9]' "$JD_TMP/hdr"
start_redis
check "ready again when Redis returns" jd_wait_for 150 ready

jd_stop
equals "SIGTERM: exit 0" "$JD_EXIT" 0
jd_no_sanitizer_report
kill -TERM "$REDIS_PID" 2>/dev/null || true
wait "$REDIS_PID" 2>/dev/null || true
jd_finish
