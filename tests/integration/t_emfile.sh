#!/usr/bin/env bash
# Out of file descriptors on accept (listener.c): jiandud under a low
# `ulimit -n` pauses accepting and re-arms it from a timer instead of
# spinning on a listening socket that stays readable; it logs the pause,
# and once the connections close it answers again.
source "$(dirname "$0")/lib.sh"

jd_instance "$JD_TMP/i"
jd_set limits request_timeout 300 # the held connections must stay open meanwhile
old=$(ulimit -Sn)
ulimit -Sn 64 # the daemon (and its Redis child) inherit it: a dozen in use when idle
jd_start
ulimit -Sn "$old"

paused() { grep -c 'msg="accept failed; accepting paused" listener=api' "$JD_DIR/jiandud.log" || true; }
# CPU time the daemon has used, in clock ticks (utime + stime of /proc/<pid>/stat)
cpu_ticks() { awk '{sub(/.*\) /, ""); print $12 + $13}' "/proc/$JD_PID/stat"; }

# more connections than the daemon has descriptors left; they wait in the backlog
python3 - "$JD_API_PORT" "$JD_TMP/held" <<'PY' &
import socket, sys, signal
conns = [socket.create_connection(("127.0.0.1", int(sys.argv[1]))) for _ in range(120)]
open(sys.argv[2], "w").write(str(len(conns)))
signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
signal.pause()
PY
holder=$!
check "120 connections opened" jd_wait_for 300 test -s "$JD_TMP/held"
check "the daemon runs out of descriptors and pauses" jd_wait_for 300 test "$(paused)" -ge 1
check "the pause is logged with its reason" grep -q 'listener=api error="Too many open files"' "$JD_DIR/jiandud.log"

# two more rounds of re-arm, fail, pause: the CPU spent meanwhile stays small
# (spinning on accept would burn about one tick per 10 ms, all the time)
p0=$(paused)
t0=$(cpu_ticks)
wait_pauses() { [ "$(paused)" -ge $((p0 + 2)) ]; }
check "the timer re-arms accepting, which pauses again" jd_wait_for 600 wait_pauses
t1=$(cpu_ticks)
spent=$((t1 - t0))
check "no spinning: $spent ticks of CPU over two pauses" [ "$spent" -lt 50 ]
check "the daemon is alive" kill -0 "$JD_PID"

kill -TERM "$holder"
wait "$holder" || true
healthy() { [ "$(curl -sk -o /dev/null -w '%{http_code}' "$(jd_api_url /healthz)")" = 200 ]; }
check "once the connections close, /healthz answers again" jd_wait_for 600 healthy
check "the control listener answers too" jd_wait_for 100 quiet jd_ctl status

jd_stop
equals "clean exit" "$JD_EXIT" 0
jd_no_sanitizer_report
jd_finish
