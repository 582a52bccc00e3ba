#!/usr/bin/env bash
# jiandud -d: forks, writes the pid file, reports a failed start with its exit
# code, removes the pid file on stop.  -V and usage errors.
source "$(dirname "$0")/lib.sh"

jd_instance "$JD_TMP/i"
out=$("$JIANDUD" -V)
contains "-V prints the version" "$out" "jiandud 0."
"$JIANDUD" -x >/dev/null 2>&1 && rc=0 || rc=$?
equals "an unknown flag exits 2" "$rc" 2

"$JIANDUD" -d -c "$JD_DIR/jiandud.conf"
equals "-d returns 0 once started" "$?" 0
pidfile=$JD_DIR/jiandud.pid
check "pid file written" test -s "$pidfile"
pid=$(cat "$pidfile")
check "the daemon runs in the background" kill -0 "$pid"
code=$(jd_ctl_curl -o /dev/null -w '%{http_code}' "$(jd_control_url /v1/status)")
equals "and serves" "$code" 200
kill -TERM "$pid"
gone() { ! kill -0 "$pid" 2>/dev/null; }
check "stops on SIGTERM" jd_wait_for 100 gone
check "pid file removed" test ! -e "$pidfile"

# a start that fails is reported by the foreground parent
jd_set control listen "127.0.0.1:$JD_API_PORT"
jd_set api listen "127.0.0.1:$JD_API_PORT"
"$JIANDUD" -d -c "$JD_DIR/jiandud.conf" 2>/dev/null && rc=0 || rc=$?
equals "-d with a bad config exits 1" "$rc" 1
(exec 3<>"/dev/tcp/127.0.0.1/$JD_API_PORT") 2>/dev/null && busy=1 || busy=0
jd_set control listen "127.0.0.1:$JD_CONTROL_PORT"
# the holder says when it listens; it holds the port until killed (at most a minute)
python3 -c "import socket,sys,time
s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(('127.0.0.1', $JD_API_PORT)); s.listen()
open(sys.argv[1], 'w').close(); time.sleep(60)" "$JD_TMP/held" &
holder=$!
check "the port holder listens" jd_wait_for 300 test -e "$JD_TMP/held"
"$JIANDUD" -d -c "$JD_DIR/jiandud.conf" 2>/dev/null && rc=0 || rc=$?
equals "-d when the port is taken exits 1" "$rc" 1
check "no pid file left by a failed start" test ! -e "$pidfile"
kill "$holder" 2>/dev/null || true
wait "$holder" 2>/dev/null || true
equals "nothing was listening before" "$busy" 0
jd_finish
