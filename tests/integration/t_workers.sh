#!/usr/bin/env bash
# workers = 2: a master supervises two worker processes sharing the
# listeners and one managed Redis.  Both serve; a worker killed with -9 is
# restarted while the other serves; a timer that must run once per period
# (the deadline sweep) runs in one worker only, under its lease in Redis,
# and its notice is delivered once; SIGHUP and SIGTERM reach every worker;
# -d writes the master's pid.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/cases_lib.sh" # bearer, cases_org: a county, units, users

jd_instance "$JD_TMP/i" --load example
jd_set server workers 2
jd_set plugin.example review_days 20
jd_set plugin.example check_interval_s 1
jd_set server log_level debug # the sweeps are logged at debug, with the worker's pid
jd_start
sock=$JD_DIR/data/redis.sock
log=$JD_DIR/jiandud.log

check "the master started two workers" jd_wait_for 100 grep -q 'msg="workers started" workers=2' "$log"
# workers: the master's jiandud children (its redis-server is one too)
workers() { ps -o pid=,comm= --ppid "$JD_PID" | awk '$2 == "jiandud" { print $1 }' | sort; }
equals "two worker processes" "$(workers | wc -l)" 2
equals "one managed redis-server, the master's" "$(ps -o comm= --ppid "$JD_PID" | grep -c redis-server)" 1

# --- both serve: /v1/status names the pid that answered
seen=""
status_pid() { jd_ctl_curl "$(jd_control_url /v1/status)" | jd_json .pid; }
both_serve() {
	local p
	p=$(status_pid) || return 1
	case " $seen " in *" $p "*) ;; *) seen="$seen $p" ;; esac
	[ "$(wc -w <<<"$seen")" -ge 2 ]
}
check "both workers answer requests" jd_wait_for 300 both_serve
# one /metrics answer, whichever worker gives it, holds both workers' figures,
# each sample labelled by worker and each family once (metrics_share.c)
both_in_metrics() {
	local m
	m=$(jd_ctl_curl "$(jd_control_url /metrics)") || return 1
	grep -q '^jiandu_worker{worker="1",slot="1",' <<<"$m" && grep -q '^jiandu_worker{worker="2",slot="2",' <<<"$m"
}
check "one /metrics answer holds both workers' figures" jd_wait_for 100 both_in_metrics
metrics=$(jd_ctl_curl "$(jd_control_url /metrics)")
equals "each family once" "$(grep -c '^# HELP jiandu_http_requests_total ' <<<"$metrics")" 1
equals "its samples together, both workers'" \
	"$(awk '/^# HELP/ { f = $3 } /^jiandu_http_requests_total\{/ && f != "jiandu_http_requests_total" { bad++ } END { print bad + 0 }' <<<"$metrics")" 0
equals "no sample without its worker" "$(grep -v '^#' <<<"$metrics" | grep -cv 'worker="')" 0
equals "the pids that answered are the workers" "$(tr ' ' '\n' <<<"$seen" | grep . | sort | tr '\n' ' ')" "$(workers | tr '\n' ' ')"

# --- a once-per-period timer: the sweep runs every second, in one worker only
cases_org
N=/v1/example/notes
bearer "$S1" POST $N "{\"tenant\":\"$T\",\"unit\":\"ag1\",\"title\":\"late\",\"date\":\"$(date -d '-25 days' +%F)\"}" >/dev/null
late=$(jd_json .id <"$JD_TMP/b")
sweeps() { grep -c 'msg="deadline sweep" plugin=example' "$log"; }
# at_least N COMMAND...: COMMAND prints a number >= N
at_least() {
	local n=$1
	shift
	[ "$("$@")" -ge "$n" ]
}
check "the sweep runs period after period" jd_wait_for 200 at_least 5 sweeps
sweepers=$(grep 'msg="deadline sweep" plugin=example' "$log" | sed 's/.*pid=\([0-9]*\).*/\1/' | sort -u)
equals "every sweep ran in the same worker (the lease holder)" "$(wc -l <<<"$sweepers")" 1
contains "the lease is in Redis, named for the worker's slot" \
	"$(redis-cli -s "$sock" get 'jd:{_sys}:lease:example:sweep')" ":$JD_PID:"
check "the missed review is noticed" jd_wait_for 100 grep -q "review missed tenant=$T record=note:$late" "$log"
check "the sweep ran again since" jd_wait_for 100 at_least $(($(sweeps) + 2)) sweeps
equals "the notice was published and delivered once" "$(grep -c "review missed tenant=$T record=note:$late" "$log")" 1

# --- kill -9 a worker: restarted, the other serves meanwhile
victim=$(workers | head -1)
survivor=$(workers | tail -1)
kill -9 "$victim"
check "the master logs the crash" jd_wait_for 100 grep -q 'msg="worker exited".*signal=SIGKILL' "$log"
code=$(jd_ctl_curl -o /dev/null -w '%{http_code}' "$(jd_control_url /v1/status)")
equals "the other worker serves" "$code" 200
restarted() { [ "$(workers | wc -l)" = 2 ] && ! workers | grep -qx "$victim"; }
check "a new worker takes its place" jd_wait_for 100 restarted
check "with a backoff logged" grep -q 'msg="worker restart scheduled"' "$log"
check "the survivor kept running" kill -0 "$survivor"
check "the new worker serves too" jd_wait_for 300 both_serve
started() { grep -c 'msg="jiandud started"' "$log"; }
check "the new worker started" jd_wait_for 100 at_least 3 started

# --- SIGHUP reaches every worker
reloads() { grep -c 'msg=reloaded' "$log" || true; }
before=$(reloads)
jd_set limits max_body 100
kill -HUP "$JD_PID"
check "SIGHUP: both workers reloaded" jd_wait_for 100 at_least $((before + 2)) reloads
big='{"padding":"0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789"}'
all_413=1
for i in 1 2 3 4 5 6; do
	code=$(jd_ctl_curl -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' --data "$big" \
		"$(jd_control_url /v1/reload)" || true)
	[ "$code" = 413 ] || all_413=0
done
equals "the new body limit applies in every worker" "$all_413" 1

# --- jianductl reload (POST /v1/reload, one worker answers) reaches the others through the master
before=$(reloads)
jd_set limits max_body 1048576
quiet jd_ctl reload
# the worker that answered reloads twice (its own, then the master's SIGHUP), the other once
check "jianductl reload: every worker reloaded" jd_wait_for 100 at_least $((before + 3)) reloads
check "passed on by the master" grep -q 'msg="reload: passed to the workers"' "$log"
none_413=1
for i in 1 2 3 4 5 6; do
	code=$(jd_ctl_curl -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' --data "$big" \
		"$(jd_control_url /v1/reload)" || true)
	[ "$code" != 413 ] || none_413=0
done
equals "the old body limit is back in every worker (the body is read, not 413)" "$none_413" 1

# --- SIGTERM stops every worker, then the Redis, and the master exits 0
pids=$(workers)
redis_pid=$(ps -o pid=,comm= --ppid "$JD_PID" | awk '$2 == "redis-server" { print $1 }')
jd_stop
equals "SIGTERM: the master exits 0" "$JD_EXIT" 0
shared=$(ls "$JD_DIR/data" | grep -c '^metrics-worker-' || true)
equals "the workers removed their metrics files" "$shared" 0
for p in $pids $redis_pid; do check "process $p stopped" jd_exited "$p"; done
equals "both workers stopped cleanly" "$(grep -c 'msg="worker stopped" worker=[12] exit=0' "$log")" 2

# --- -d: the pid file names the master
"$JIANDUD" -d -c "$JD_DIR/jiandud.conf"
equals "-d returns 0 once every worker started" "$?" 0
JD_PID=$(cat "$JD_DIR/jiandud.pid")
two_workers() { [ "$(workers | wc -l)" = 2 ]; }
check "the pid file's process is the master of two workers" jd_wait_for 100 two_workers
kill -TERM "$JD_PID"
check "stops on SIGTERM" jd_wait_for 200 jd_exited "$JD_PID"
check "pid file removed" test ! -e "$JD_DIR/jiandud.pid"
JD_PID=

# --- a worker that cannot start fails the start: the master stops and exits 1
jd_set plugins load nosuch
"$JIANDUD" -c "$JD_DIR/jiandud.conf" >>"$log" 2>&1 && rc=0 || rc=$?
equals "a worker's failed start: the master exits 1" "$rc" 1
check "and says so" grep -q 'msg="start-up failed: a worker did not start; stopping"' "$log"
jd_no_sanitizer_report
jd_finish
