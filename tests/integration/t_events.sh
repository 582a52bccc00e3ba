#!/usr/bin/env bash
# Durable events (tests/plugins/events_probe.c): an event whose handling
# was cut by kill -9 is claimed by the next process and applied exactly
# once; a failing handler is retried, dead-lettered, shown and retried by
# `jianductl events`; two processes consuming one group never handle one
# event twice.  The probe counts its handler's invocations in
# "probe:calls" (not keyed by the event) and its effect in "probe:effects"
# (keyed by the event).
source "$(dirname "$0")/lib.sh"

rdir=$JD_TMP/redis
mkdir -p "$rdir"
redis-server --port 0 --unixsocket "$rdir/redis.sock" --unixsocketperm 700 --dir "$rdir" \
	--save '' --appendonly yes --daemonize no --logfile "$rdir/redis.log" &
REDIS_PID=$!
jd_wait_for 50 redis-cli -s "$rdir/redis.sock" ping
R() { redis-cli -s "$rdir/redis.sock" "$@"; }

mkdir -p "$JD_TMP/plugins"
ln -s "$JD_BUILD_DIR/tests/plugins/events_probe.so" "$JD_TMP/plugins/events_probe.so"
jd_instance "$JD_TMP/i" --load events_probe
jd_set plugins dir "$JD_TMP/plugins"
jd_set redis url "unix://$rdir/redis.sock"
jd_set events poll_ms 100
jd_set events sweep_ms 200
jd_set events claim_idle_ms 1000
jd_set events max_attempts 3
jd_set plugin.events_probe hang_marker "$JD_TMP/hang"
jd_set plugin.events_probe fail_marker "$JD_TMP/fail"
jd_start

T=t1
CALLS="jd:{$T}:probe:calls"
EFFECTS="jd:{$T}:probe:effects"
emit() { jd_ctl events_probe emit --tenant $T --json >/dev/null; }
ncalls() { R HLEN "$CALLS"; }
more_calls() { [ "$(ncalls)" -gt "$1" ]; }
newest_call() { R HKEYS "$CALLS" | sort -t- -k1,1n -k2,2n | tail -1; }
effect_is() { [ "$(R HGET "$EFFECTS" "$2")" = "$1" ]; }
dead_is() { [ "$(R XLEN "jd:{$T}:events:dead")" = "$1" ]; }
nothing_pending() { [ "$(R XPENDING "jd:{$T}:events" events_probe | head -1)" = 0 ]; }

# --- kill -9 between the publish and its handling
touch "$JD_TMP/hang"
n=$(ncalls)
emit
check "the handler is called, and hangs" jd_wait_for 100 more_calls "$n"
id=$(newest_call)
check "the probe says it hangs" jd_wait_for 50 grep -q "probe hangs id=$id" "$JD_DIR/jiandud.log"
kill -KILL "$JD_PID"
wait "$JD_PID" 2>/dev/null || true
JD_PID=
rm -f "$JD_TMP/hang"
equals "killed mid-handling: no effect yet" "$(R HGET "$EFFECTS" "$id")" ""
equals "killed mid-handling: the event is still pending" "$(R XPENDING "jd:{$T}:events" events_probe | head -1)" 1
jd_start
check "restarted: the pending event is claimed and handled" jd_wait_for 150 effect_is 1 "$id"
check "claimed with XAUTOCLAIM after claim_idle_ms" grep -q "claimed entries a consumer left pending" "$JD_DIR/jiandud.log"
equals "the handler ran again (once in each process)" "$(R HGET "$CALLS" "$id")" 2
check "acknowledged: nothing pending" jd_wait_for 100 nothing_pending
equals "the effect is there exactly once" "$(R HGET "$EFFECTS" "$id")" 1

# --- a failing handler: retried, dead-lettered, retried by the CLI
touch "$JD_TMP/fail"
n=$(ncalls)
emit
check "the failing handler is called" jd_wait_for 100 more_calls "$n"
id=$(newest_call)
check "after max_attempts (3) the event is dead-lettered" jd_wait_for 150 dead_is 1
equals "delivered max_attempts times" "$(R HGET "$CALLS" "$id")" 3
equals "no effect" "$(R HGET "$EFFECTS" "$id")" ""
check "dead-lettered: acknowledged, nothing pending" jd_wait_for 100 nothing_pending
list=$(jd_ctl events list --tenant $T --json)
dead=$(jd_json .dead_letters.0.id <<<"$list")
equals "events list: the dead letter holds the event" "$(jd_json .dead_letters.0.event <<<"$list")" "$id"
equals "events list: and names the group that failed it" "$(jd_json .dead_letters.0.group <<<"$list")" events_probe
equals "events list: its attempts" "$(jd_json .dead_letters.0.attempts <<<"$list")" 3
equals "events list: one dead letter" "$(jd_json .dead <<<"$list")" 1
show=$(jd_ctl events show --tenant $T --id "$dead" --json)
equals "events show: found among the dead letters" "$(jd_json .where <<<"$show")" dead_letters
equals "events show: the payload" "$(jd_json .payload.tenant <<<"$show")" "$T"
metrics=$(jd_ctl_curl "$(jd_control_url /metrics)")
contains "metrics: backlog per group" "$metrics" 'jiandu_events_backlog{group="events_probe"}'
contains "metrics: oldest pending age" "$metrics" 'jiandu_events_oldest_pending_seconds{group="events_probe"}'
contains "metrics: dead letters" "$metrics" 'jiandu_events_dead_letters'
rm -f "$JD_TMP/fail"
out=$(jd_ctl events retry --tenant $T --id "$dead" --json)
equals "events retry: to the group that failed it" "$(jd_json .group <<<"$out")" events_probe
equals "events retry: the event keeps its id" "$(jd_json .event <<<"$out")" "$id"
check "the retried event is handled" jd_wait_for 100 effect_is 1 "$id"
equals "the dead letters are empty again" "$(R XLEN "jd:{$T}:events:dead")" 0
out=$(fails jd_ctl events retry --tenant $T --id 1-1)
contains "retry of no dead letter: 404" "$out" "404"
out=$(fails jd_ctl events show --tenant $T --id not-an-id)
contains "a bad id is refused, named" "$out" "not an event id"
check "the stream is trimmed to what some group still needs" jd_wait_for 100 \
	bash -c "[ \"\$(redis-cli -s '$rdir/redis.sock' XLEN 'jd:{$T}:events')\" = 0 ]"

# --- two processes on one Redis, one group: no event handled twice
conf2=$JD_DIR/jiandud2.conf
port_c=$(jd_free_port)
port_a=$(jd_free_port)
sed -e "s/^listen = 127.0.0.1:$JD_CONTROL_PORT/listen = 127.0.0.1:$port_c/" \
	-e "s/^listen = 127.0.0.1:$JD_API_PORT/listen = 127.0.0.1:$port_a/" \
	-e "s/^data_dir = .*/data_dir = data2/" -e "s/^pid_file = .*/pid_file = jiandud2.pid/" \
	"$JD_DIR/jiandud.conf" >"$conf2"
"$JIANDUD" -c "$conf2" >>"$JD_DIR/jiandud2.log" 2>&1 &
PID2=$!
up2() { curl -sk -o /dev/null "https://127.0.0.1:$port_a/healthz"; }
check "a second process on the same Redis" jd_wait_for 300 up2
emit2() {
	curl -s --cacert "$JD_DIR/tls/ca.crt" --cert "$JD_DIR/tls/admin.crt" --key "$JD_DIR/tls/admin.key" \
		-o /dev/null -H 'Content-Type: application/json' -X POST -d "{\"tenant\":\"$T\"}" "https://127.0.0.1:$port_a/v1/events_probe/emit"
}
n=$(R HLEN "$EFFECTS")
for i in $(seq 1 10); do
	emit
	emit2
done
effects_at_least() { [ "$(R HLEN "$EFFECTS")" -ge "$1" ]; }
check "20 events handled" jd_wait_for 200 effects_at_least $((n + 20))
check "nothing pending" jd_wait_for 100 nothing_pending
equals "each of the 20 events: handled once (calls are not keyed by the event)" \
	"$(R HGETALL "$CALLS" | paste - - | sort -t- -k1,1n -k2,2n | tail -n 20 | awk '{s += $2} END {print s}')" 20
equals "each effect once" \
	"$(R HGETALL "$EFFECTS" | paste - - | sort -t- -k1,1n -k2,2n | tail -n 20 | awk '$2 == 1' | wc -l)" 20
echo "# handled by pid: $(grep -ho 'probe handles id=[^ ]* attempt=1 pid=[0-9]*' "$JD_DIR/jiandud.log" "$JD_DIR/jiandud2.log" | sed 's/.*pid=//' | sort | uniq -c | tr '\n' ' ')"
kill -TERM "$PID2"
st=0
wait "$PID2" || st=$?
equals "the second process stops cleanly" "$st" 0
if grep -q "Sanitizer" "$JD_DIR/jiandud2.log"; then
	not_ok "sanitizer report (second process): $(grep -m3 -A8 Sanitizer "$JD_DIR/jiandud2.log")"
fi

jd_stop
equals "SIGTERM: exit 0" "$JD_EXIT" 0
jd_no_sanitizer_report
kill -TERM "$REDIS_PID"
wait "$REDIS_PID" 2>/dev/null || true
jd_finish
