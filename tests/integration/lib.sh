# Shared by the black-box tests: a fresh instance, the real daemon, real Redis,
# real TLS.  Source it; call jd_finish at the end.
set -euo pipefail

: "${JD_BUILD_DIR:?run through ctest, or set JD_BUILD_DIR}"
: "${JD_SOURCE_DIR:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
JIANDUD=$JD_BUILD_DIR/jiandud
JIANDUCTL=$JD_BUILD_DIR/jianductl
JD_TMP=$(mktemp -d /tmp/jdit.XXXXXX)
JD_PASSED=0
JD_FAILED=0
JD_PID=
# the CLI caches the catalog for completion: in the test's folder, not the home
export XDG_CACHE_HOME=$JD_TMP/cache
# Leak checks of the sanitizer build run at exit; abort loudly on any error.
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=0:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

jd_cleanup() {
	if [ -n "$JD_PID" ] && kill -0 "$JD_PID" 2>/dev/null; then
		kill -TERM "$JD_PID" 2>/dev/null || true
		jd_wait_for 50 jd_exited "$JD_PID" || kill -KILL "$JD_PID" 2>/dev/null || true
	fi
	pkill -f "$JD_TMP" 2>/dev/null || true
	rm -rf "$JD_TMP"
}
trap jd_cleanup EXIT

# jd_exited PID: the process is gone
jd_exited() { ! kill -0 "$1" 2>/dev/null; }

# jd_in_flight N: the daemon has at least N requests in flight (this status request included)
jd_in_flight() {
	[ "$(jd_ctl status --json | jd_json .requests_in_flight)" -ge "$1" ]
}

# jd_logged PATTERN: the daemon's log has a line matching PATTERN (grep -E)
jd_logged() { grep -Eq "$1" "$JD_DIR/jiandud.log"; }

ok() {
	JD_PASSED=$((JD_PASSED + 1))
	echo "ok - $*"
}

not_ok() {
	JD_FAILED=$((JD_FAILED + 1))
	echo "NOT OK - $*"
}

# check NAME COMMAND...: passes when the command succeeds.
check() {
	local name=$1
	shift
	if "$@"; then ok "$name"; else not_ok "$name"; fi
}

# contains NAME HAYSTACK NEEDLE
contains() {
	if [[ "$2" == *"$3"* ]]; then ok "$1"; else not_ok "$1: '$3' not in: ${2:0:600}"; fi
}

# equals NAME GOT WANT
equals() {
	if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1: got '$2', want '$3'"; fi
}

jd_finish() {
	echo "$JD_PASSED passed, $JD_FAILED failed"
	[ "$JD_FAILED" -eq 0 ]
}

# jd_free_port: a port nobody listens on now (the benchmarks use it too)
source "$(dirname "${BASH_SOURCE[0]}")/free_port.sh"

# jd_instance DIR [jianductl init options...]: a fresh instance on free ports.
jd_instance() {
	local dir=$1
	shift
	JD_CONTROL_PORT=$(jd_free_port)
	JD_API_PORT=$(jd_free_port)
	while [ "$JD_API_PORT" = "$JD_CONTROL_PORT" ]; do JD_API_PORT=$(jd_free_port); done
	"$JIANDUCTL" init "$dir" --control-port "$JD_CONTROL_PORT" --api-port "$JD_API_PORT" \
		--plugins-dir "$JD_BUILD_DIR/plugins" "$@" >/dev/null
	JD_DIR=$dir
}

# jd_set SECTION KEY VALUE: edits the instance's jiandud.conf (adds the key if absent).
jd_set() {
	local conf=$JD_DIR/jiandud.conf
	python3 - "$conf" "$1" "$2" "$3" <<'PY'
import sys
path, section, key, value = sys.argv[1:]
lines = open(path).read().splitlines()
out, cur, done = [], None, False
for i, l in enumerate(lines):
    s = l.strip()
    if s.startswith('['):
        if cur == section and not done:
            out.append(f"{key} = {value}")
            done = True
        cur = s[1:-1]
    elif cur == section and s.split('=')[0].strip() == key and not s.startswith('#'):
        if not done:
            out.append(f"{key} = {value}")
            done = True
        continue
    out.append(l)
if not done:
    if cur != section:
        out.append(f"[{section}]")
    out.append(f"{key} = {value}")
open(path, 'w').write("\n".join(out) + "\n")
PY
}

# New free ports for the instance (another test may have taken ours meanwhile).
jd_repick_ports() {
	JD_CONTROL_PORT=$(jd_free_port)
	JD_API_PORT=$(jd_free_port)
	while [ "$JD_API_PORT" = "$JD_CONTROL_PORT" ]; do JD_API_PORT=$(jd_free_port); done
	jd_set control listen "127.0.0.1:$JD_CONTROL_PORT"
	jd_set api listen "127.0.0.1:$JD_API_PORT"
	sed -i "s/^server = .*/server = 127.0.0.1:$JD_CONTROL_PORT/" "$JD_DIR/jianductl.conf"
}

# jd_start: runs jiandud on the instance, waits until the api listener answers.
# Tests run in parallel: a port picked free can be taken before we bind it,
# so a start that fails to bind is retried on new ports.
jd_start() {
	local attempt
	for attempt in 1 2 3; do
		if jd_start_once "$@"; then return 0; fi
		if ! tail -5 "$JD_DIR/jiandud.log" | grep -q 'cannot bind'; then return 1; fi
		jd_repick_ports
	done
	return 1
}

jd_start_once() {
	local i starts
	starts=$(($(grep -c 'msg="jiandud started"' "$JD_DIR/jiandud.log" 2>/dev/null || true) + 1))
	"$JIANDUD" -c "$JD_DIR/jiandud.conf" "$@" >>"$JD_DIR/jiandud.log" 2>&1 &
	JD_PID=$!
	for i in $(seq 1 300); do
		# our own daemon, not another test's that holds the port
		if [ "$(grep -c 'msg="jiandud started"' "$JD_DIR/jiandud.log")" -ge "$starts" ] &&
			curl -sk -o /dev/null "https://127.0.0.1:$JD_API_PORT/healthz" 2>/dev/null; then
			return 0
		fi
		if ! kill -0 "$JD_PID" 2>/dev/null; then
			echo "jiandud exited during start-up:" >&2
			tail -20 "$JD_DIR/jiandud.log" >&2
			JD_PID=
			return 1
		fi
		sleep 0.1
	done
	echo "jiandud did not answer within 30 s" >&2
	return 1
}

# jd_stop: SIGTERM and wait; sets JD_EXIT to jiandud's exit code.
jd_stop() {
	kill -TERM "$JD_PID"
	JD_EXIT=0
	wait "$JD_PID" || JD_EXIT=$?
	JD_PID=
}

# Waits up to N tenths of a second for COMMAND to succeed.
jd_wait_for() {
	local n=$1 i
	shift
	# under the sanitizers everything is several times slower: the bound only
	# matters when the condition never comes, so give it room
	[ "${JD_SANITIZE:-OFF}" = ON ] && n=$((n * 4))
	for i in $(seq 1 "$n"); do
		if "$@" >/dev/null 2>&1; then return 0; fi
		sleep 0.1
	done
	return 1
}

# curl against the control listener with the admin certificate.
jd_ctl_curl() {
	curl -sS --cacert "$JD_DIR/tls/ca.crt" --cert "$JD_DIR/tls/admin.crt" \
		--key "$JD_DIR/tls/admin.key" "$@"
}

# curl against the api listener with the admin certificate.
jd_api_curl() {
	jd_ctl_curl "$@"
}

jd_control_url() { echo "https://127.0.0.1:$JD_CONTROL_PORT$1"; }
jd_api_url() { echo "https://127.0.0.1:$JD_API_PORT$1"; }

jd_ctl() {
	"$JIANDUCTL" -c "$JD_DIR/jianductl.conf" "$@"
}

# JSON field: jd_json '.a.b' <<< "$json"
jd_json() {
	python3 -c 'import json,sys
v=json.load(sys.stdin)
for k in sys.argv[1].strip(".").split("."):
    if k: v = v[int(k)] if isinstance(v, list) else v.get(k)
print(json.dumps(v) if isinstance(v,(dict,list)) else ("" if v is None else str(v).lower() if isinstance(v,bool) else v))' "$1"
}

# --- helpers shared by the org tests (t_org, t_people, t_groups, t_staffing, t_report, t_import)

# jd_token_for USER: a new bearer token of USER, valid a day.
jd_token_for() {
	jd_ctl tokens create --user "$1" --ttl 1d --json | jd_json .token
}

# jd_bearer BODYFILE TOKEN PATH [curl args...]: the api with a bearer token;
# prints the status code, the body in BODYFILE.
jd_bearer() {
	local out=$1 tok=$2 path=$3
	shift 3
	curl -s --cacert "$JD_DIR/tls/ca.crt" -H "Authorization: Bearer $tok" -o "$out" \
		-w '%{http_code}' "$@" "$(jd_api_url "$path")"
}

# jd_settled TENANT: every durable event of TENANT handled (its group's backlog is 0).
jd_settled() { [ "$(jd_ctl events list --tenant "$1" --json | jd_json .groups.0.backlog)" = 0 ]; }

# quiet CMD...: runs a command, keeping its output out of the test's.
quiet() { "$@" >/dev/null; }

# fails CMD...: runs a command that must fail; prints its output.
fails() {
	local out
	if out=$("$@" 2>&1); then echo "UNEXPECTED SUCCESS: $out"; else echo "$out"; fi
}

# py EXPR <<<JSON: a Python expression over the parsed JSON `j` (a tuple: space-separated).
py() {
	python3 -c "import json,sys
j=json.load(sys.stdin)
r=($1)
print(' '.join(map(str, r)) if isinstance(r, tuple) else r)"
}

# jd_no_sanitizer_report: after jd_stop, a failure when the daemon's log has a
# sanitizer report (a sanitizer build); nothing otherwise.
jd_no_sanitizer_report() {
	if grep -q "Sanitizer" "$JD_DIR/jiandud.log"; then
		not_ok "sanitizer report: $(grep -m3 -A8 Sanitizer "$JD_DIR/jiandud.log")"
	fi
}
