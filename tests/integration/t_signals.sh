#!/usr/bin/env bash
# SIGHUP reloads certificates and live settings (and refuses a bad config);
# SIGTERM lets in-flight requests finish before the daemon exits 0.
source "$(dirname "$0")/lib.sh"

jd_instance "$JD_TMP/i"
jd_set plugins dir "$JD_BUILD_DIR/tests/plugins"
jd_set plugins load slow
jd_start

served_subject() {
	openssl s_client -connect "127.0.0.1:$JD_API_PORT" -CAfile "$JD_DIR/tls/ca.crt" </dev/null 2>/dev/null |
		openssl x509 -noout -subject 2>/dev/null
}
contains "serves the certificate from init" "$(served_subject)" "jiandud"

# a renewed server certificate, signed by the instance CA
tls=$JD_DIR/tls
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$JD_TMP/new.key" \
	-subj /CN=jiandud-renewed -out "$JD_TMP/new.csr" 2>/dev/null
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1\nextendedKeyUsage=serverAuth\n' >"$JD_TMP/ext"
openssl x509 -req -in "$JD_TMP/new.csr" -CA "$tls/ca.crt" -CAkey "$tls/ca.key" -CAcreateserial \
	-CAserial "$JD_TMP/ca.srl" -days 30 -extfile "$JD_TMP/ext" -out "$JD_TMP/new.crt" 2>/dev/null
cp "$JD_TMP/new.crt" "$tls/server.crt"
cp "$JD_TMP/new.key" "$tls/server.key"
kill -HUP "$JD_PID"
renewed() { served_subject | grep -q jiandud-renewed; }
check "SIGHUP: the new certificate is served" jd_wait_for 50 renewed
check "SIGHUP: the reload is logged" jd_wait_for 20 grep -q 'msg=reloaded' "$JD_DIR/jiandud.log"

# a bad config is refused and the old one keeps serving
cp "$JD_DIR/jiandud.conf" "$JD_TMP/good.conf"
printf '[limits]\nmax_body = huge\n' >>"$JD_DIR/jiandud.conf"
kill -HUP "$JD_PID"
check "SIGHUP with a bad config: refused and logged" jd_wait_for 50 grep -q 'reload refused' "$JD_DIR/jiandud.log"
code=$(jd_ctl_curl -o /dev/null -w '%{http_code}' "$(jd_control_url /v1/status)")
equals "the old config keeps serving" "$code" 200
out=$(jd_ctl reload 2>&1) && rc=0 || rc=$?
equals "jianductl reload with a bad config exits 1" "$rc" 1
contains "jianductl reload says why" "$out" "max_body"
cp "$JD_TMP/good.conf" "$JD_DIR/jiandud.conf"

# a live setting changes through jianductl reload
jd_set limits max_body 100
out=$(jd_ctl reload --json)
contains "reload lists the changed key" "$out" "limits.max_body"
code=$(jd_ctl_curl -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
	--data '{"padding":"0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789"}' \
	"$(jd_control_url /v1/reload)" || true)
equals "the new body limit applies at once: 413" "$code" 413

# SIGTERM drains: a request in flight gets its answer, then the daemon exits 0
jd_api_curl -o "$JD_TMP/slow" -w '%{http_code}' "$(jd_api_url "/v1/slow/wait?ms=4000")" >"$JD_TMP/slow.code" &
curl_pid=$!
# and a client that keeps a connection open through the shutdown
(sleep 10 2>/dev/null | openssl s_client -quiet -connect "127.0.0.1:$JD_API_PORT" -CAfile "$JD_DIR/tls/ca.crt" >/dev/null 2>&1) &
check "the slow request is in flight" jd_wait_for 100 jd_in_flight 2
api_conns() { jd_ctl_curl "$(jd_control_url /metrics)" | grep -Eq '^jiandu_connections\{listener="api"\} [2-9]'; }
check "and the idle client is connected" jd_wait_for 100 api_conns
kill -TERM "$JD_PID"
check "draining starts" jd_wait_for 100 jd_logged 'msg="?draining( |"|$)'
if curl -s --cacert "$JD_DIR/tls/ca.crt" -o /dev/null "$(jd_api_url /healthz)" 2>/dev/null; then
	not_ok "draining: new connections are refused"
else
	ok "draining: new connections are refused"
fi
wait "$curl_pid" || true
equals "the in-flight request finished: 200" "$(cat "$JD_TMP/slow.code")" 200
contains "with its answer" "$(cat "$JD_TMP/slow")" '"waited_ms":4000'
JD_EXIT=0
wait "$JD_PID" || JD_EXIT=$?
JD_PID=
equals "jiandud exited 0 after draining" "$JD_EXIT" 0
check "plugins stopped in the log" grep -q 'msg="plugin stopped" plugin=slow' "$JD_DIR/jiandud.log"
jd_finish
