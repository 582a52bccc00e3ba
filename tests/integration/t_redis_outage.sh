#!/usr/bin/env bash
# An external Redis goes away: requests that need it answer 503 fast, the
# daemon stays up, and it recovers by itself when Redis returns.
source "$(dirname "$0")/lib.sh"

rdir=$JD_TMP/redis
mkdir -p "$rdir"
start_redis() {
	redis-server --port 0 --unixsocket "$rdir/redis.sock" --unixsocketperm 700 --dir "$rdir" \
		--save '' --appendonly no --daemonize no --logfile "$rdir/redis.log" &
	REDIS_PID=$!
	jd_wait_for 50 redis-cli -s "$rdir/redis.sock" ping
}
start_redis

jd_instance "$JD_TMP/i" --load example
jd_set redis url "unix://$rdir/redis.sock"
jd_start

note() { jd_api_curl -o "$JD_TMP/body" -w '%{http_code} %{time_total}' "$(jd_api_url "/v1/example/notes?tenant=t1")"; }
read -r code _ <<<"$(note)"
equals "with Redis up: 200" "$code" 200
st=$(jd_ctl status --json)
equals "status: external redis" "$(jd_json .redis.mode <<<"$st")" external

kill -KILL "$REDIS_PID"
wait "$REDIS_PID" 2>/dev/null || true
redis_state_not_ok() { [ "$(jd_ctl status --json | jd_json .redis.state)" != ok ]; }
check "jiandud notices Redis is gone" jd_wait_for 100 redis_state_not_ok
# A fresh TLS connection costs more than the bound: measure the server's own
# time with a kept-alive connection: the second request's total is the answer time.
out=$(jd_api_curl -o /dev/null -o "$JD_TMP/body" -w '%{http_code} %{time_total}\n' \
	"$(jd_api_url /healthz)" "$(jd_api_url "/v1/example/notes?tenant=t1")")
read -r code secs <<<"$(tail -1 <<<"$out")"
equals "with Redis down: 503" "$code" 503
contains "503 is a JSON error" "$(cat "$JD_TMP/body")" '"code":"unavailable"'
if python3 -c "import sys; sys.exit(0 if float('$secs') < 0.1 else 1)"; then
	ok "503 within 100 ms (${secs}s)"
else
	not_ok "503 within 100 ms (took ${secs}s)"
fi
code=$(curl -s --cacert "$JD_DIR/tls/ca.crt" -o "$JD_TMP/body" -w '%{http_code}' "$(jd_api_url /healthz)")
equals "healthz says degraded: 503" "$code" 503
contains "healthz names redis" "$(cat "$JD_TMP/body")" '"status":"degraded"'
st=$(jd_ctl status --json)
equals "status still answers without Redis" "$(jd_json .redis.state <<<"$st" | grep -v '^ok$' >/dev/null && echo down-or-connecting)" down-or-connecting
check "jiandud is still running" kill -0 "$JD_PID"

start_redis
recovered() { [ "$(jd_api_curl -o /dev/null -w '%{http_code}' "$(jd_api_url "/v1/example/notes?tenant=t1")")" = 200 ]; }
check "recovers by itself when Redis returns" jd_wait_for 100 recovered
add=$(jd_ctl example notes add --tenant t1 --title "after the outage" --json)
equals "writes work again" "$(jd_json .version <<<"$add")" 1

# Redis that hangs (SIGSTOP): commands time out and the daemon stays responsive.
jd_stop
jd_set redis command_timeout_ms 300
jd_start
kill -STOP "$REDIS_PID"
read -r code secs <<<"$(note)"
equals "with Redis hung: 503" "$code" 503
if python3 -c "import sys; sys.exit(0 if float('$secs') < 2.0 else 1)"; then
	ok "hung Redis answered within the command timeout (${secs}s)"
else
	not_ok "hung Redis took ${secs}s"
fi
code=$(jd_ctl_curl -o /dev/null -w '%{http_code}' "$(jd_control_url /v1/status)")
equals "status answers while Redis hangs" "$code" 200
kill -CONT "$REDIS_PID"
check "recovers after Redis wakes up" jd_wait_for 100 recovered

# a request still waiting on Redis when the drain times out gets its 503
jd_stop
jd_set redis command_timeout_ms 10000
jd_set server shutdown_timeout_ms 500
jd_start
kill -STOP "$REDIS_PID"
jd_api_curl -o "$JD_TMP/late" -w '%{http_code}' "$(jd_api_url "/v1/example/notes?tenant=t1")" >"$JD_TMP/late.code" &
curl_pid=$!
check "the request waits on Redis" jd_wait_for 100 jd_in_flight 2
kill -TERM "$JD_PID"
wait "$curl_pid" || true
equals "a request abandoned at the drain timeout is answered 503" "$(cat "$JD_TMP/late.code")" 503
JD_EXIT=0
wait "$JD_PID" || JD_EXIT=$?
JD_PID=
kill -CONT "$REDIS_PID"
equals "and jiandud exits 0" "$JD_EXIT" 0
kill -TERM "$REDIS_PID" 2>/dev/null || true
wait "$REDIS_PID" 2>/dev/null || true
jd_finish
