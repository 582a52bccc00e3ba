#!/usr/bin/env bash
# Connection cap and idle timeout: past max_connections accepting pauses, and
# idle connections are closed, so the waiting client is then served.
source "$(dirname "$0")/lib.sh"

jd_instance "$JD_TMP/i"
jd_set limits max_connections 2
jd_set limits idle_timeout 2
jd_start

# two clients that complete the handshake and then say nothing
idle_client() {
	(sleep 8 | openssl s_client -quiet -connect "127.0.0.1:$JD_API_PORT" -CAfile "$JD_DIR/tls/ca.crt" >/dev/null 2>&1) &
}
idle_client
idle_client
sleep 0.7
code=$(curl -s --max-time 1 --cacert "$JD_DIR/tls/ca.crt" -o /dev/null -w '%{http_code}' "$(jd_api_url /healthz)" || true)
equals "a third connection waits while two are open" "$code" 000
check "the pause is logged" grep -q 'connection limit reached' "$JD_DIR/jiandud.log"
served() { [ "$(curl -s --max-time 1 --cacert "$JD_DIR/tls/ca.crt" -o /dev/null -w '%{http_code}' "$(jd_api_url /healthz)")" = 200 ]; }
check "idle connections are closed after idle_timeout and the next client is served" jd_wait_for 60 served
check "accepting resumes (logged)" grep -q 'accepting again' "$JD_DIR/jiandud.log"
m=$(jd_ctl_curl "$(jd_control_url /metrics)")
contains "the control listener has its own cap" "$m" 'jiandu_connections{listener="control"} 1'

jd_stop
equals "SIGTERM: exit 0" "$JD_EXIT" 0
jd_finish
