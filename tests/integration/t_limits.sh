#!/usr/bin/env bash
# Connection cap and idle timeout: past max_connections accepting pauses, and
# idle connections are closed, so the waiting client is then served.
source "$(dirname "$0")/lib.sh"

jd_instance "$JD_TMP/i"
jd_set limits max_connections 2
jd_set limits idle_timeout 4
jd_start

# two clients that complete the handshake and then say nothing
idle_client() {
	(sleep 12 2>/dev/null | openssl s_client -quiet -connect "127.0.0.1:$JD_API_PORT" -CAfile "$JD_DIR/tls/ca.crt" >/dev/null 2>&1) &
}
idle_client
idle_client
check "accepting pauses once both are connected" jd_wait_for 100 jd_logged 'connection limit reached'
code=$(curl -s --max-time 1 --cacert "$JD_DIR/tls/ca.crt" -o /dev/null -w '%{http_code}' "$(jd_api_url /healthz)" || true)
equals "a third connection waits while two are open" "$code" 000
served() { [ "$(curl -s --max-time 1 --cacert "$JD_DIR/tls/ca.crt" -o /dev/null -w '%{http_code}' "$(jd_api_url /healthz)")" = 200 ]; }
check "idle connections are closed after idle_timeout and the next client is served" jd_wait_for 150 served
check "accepting resumes (logged)" grep -q 'accepting again' "$JD_DIR/jiandud.log"
m=$(jd_ctl_curl "$(jd_control_url /metrics)")
contains "the control listener has its own cap" "$m" 'jiandu_connections{listener="control"} 1'


# a client that trickles its request one byte at a time is cut off
jd_stop
jd_set limits max_connections 1024
jd_set limits idle_timeout 30
jd_set limits request_timeout 2
jd_start
secs=$(python3 - "$JD_API_PORT" "$JD_DIR/tls/ca.crt" <<'PY'
import socket, ssl, sys, time
port, ca = int(sys.argv[1]), sys.argv[2]
ctx = ssl.create_default_context(cafile=ca)
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port)), server_hostname="localhost")
start = time.monotonic()
s.sendall(b"GET /healthz HTTP/1.1\r\n")
try:
    for _ in range(40):
        s.sendall(b"X")
        time.sleep(0.5)
        s.settimeout(0.01)
        try:
            if s.recv(1) == b"":
                break
        except socket.timeout:
            pass
        except (ssl.SSLError, OSError):
            break
        s.settimeout(None)
except (BrokenPipeError, ConnectionResetError, ssl.SSLError, OSError):
    pass
print(f"{time.monotonic() - start:.1f}")
PY
)
if python3 -c "import sys; sys.exit(0 if float('$secs') <= 5.0 else 1)"; then
	ok "a trickling client is cut off after at most twice request_timeout (${secs}s)"
else
	not_ok "a trickling client held its connection ${secs}s"
fi
code=$(curl -s --cacert "$JD_DIR/tls/ca.crt" -o /dev/null -w '%{http_code}' "$(jd_api_url /healthz)")
equals "others are served meanwhile" "$code" 200

jd_stop
equals "SIGTERM: exit 0" "$JD_EXIT" 0
jd_finish
