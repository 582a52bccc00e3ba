#!/usr/bin/env bash
# Redis Sentinel with durability = replica: a master, a replica and three
# sentinels on 127.0.0.1; jiandud finds the master through the sentinels;
# under a write load through the api the master is killed with -9; the
# sentinels promote the replica and jiandud follows.  Every write answered
# 201 must be found afterwards, and no request may be answered 500 (503 with
# Retry-After in between).  Then the old master comes back as a replica and
# writes are acknowledged again; a planned failover (SENTINEL FAILOVER) makes
# it the master again under the same load.
source "$(dirname "$0")/lib.sh"

source "$(dirname "$0")/sentinel_lib.sh"

LOAD=$JD_SOURCE_DIR/tests/faults/load.py
NAME=$SENTINEL_NAME
R=$JD_TMP/redis
# not through check: sentinel_topology sets the ports and pids here
if sentinel_topology "$R"; then
	ok "a master, its replica in sync, three sentinels that know both"
else
	not_ok "a master, its replica in sync, three sentinels that know both"
fi
cli() { rcli "$@"; }

jd_instance "$JD_TMP/i" --load example
# the first sentinel named is down: jiandud asks the next
DEAD=$(free_ports 1)
jd_set redis sentinels "127.0.0.1:$DEAD, 127.0.0.1:$SN1,127.0.0.1:$SN2,127.0.0.1:$SN3"
jd_set redis master_name "$NAME"
jd_set redis durability replica
jd_set redis replica_timeout_ms 500
jd_set redis backoff_max_ms 500
jd_start
ready() { [ "$(curl -s --cacert "$JD_DIR/tls/ca.crt" -o /dev/null -w '%{http_code}' "$(jd_api_url /readyz)")" = 200 ]; }
check "ready once the master answers" jd_wait_for 200 ready
equals "status: redis from the sentinels" "$(jd_ctl status --json | jd_json .redis.mode)" sentinel
contains "jiandud names the master it found" "$(cat "$JD_DIR/jiandud.log")" "master=127.0.0.1:$M_PORT"
add=$(jd_ctl example notes add --tenant t1 --title "before the failover" --json)
equals "a write before the failover" "$(jd_json .version <<<"$add")" 1

# the load: 4 connections, paced, until STOP
OUT=$JD_TMP/load.json
STOP=$JD_TMP/stop
python3 "$LOAD" write "$JD_DIR" "$JD_API_PORT" t1 sentinel "$OUT" "$STOP" 100000 120 4 150 &
LOAD_PID=$!
field() {
	python3 -c 'import json,sys
try: s=json.load(open(sys.argv[1]))
except Exception: s={"acked":[],"codes":{}}
print(len(s["acked"]) if sys.argv[2]=="acked" else s["codes"].get(sys.argv[2],0))' "$OUT" "$1"
}
acked_at_least() { [ "$(field acked)" -ge "$1" ]; }
check "writes acknowledged under the load" jd_wait_for 300 acked_at_least 100

{
	kill -KILL "$M_PID"
	wait "$M_PID" || true
} 2>/dev/null
before=$(field acked)
promoted() { cli "$S_PORT" role | head -1 | grep -qx master; }
check "the sentinels promote the replica" jd_wait_for 300 promoted
followed() { jd_logged "master=127.0.0.1:$S_PORT"; }
check "jiandud follows the failover" jd_wait_for 300 followed
refused_some() { [ "$(field 503)" -ge 1 ]; }
check "writes are refused with 503 while no replica confirms them" jd_wait_for 300 refused_some
# no replica left until the old master returns: a write now is refused, and says when to retry
code=$(jd_api_curl -D "$JD_TMP/head" -o "$JD_TMP/body" -w '%{http_code}' -X POST \
	-H 'Content-Type: application/json' -d '{"tenant":"t1","title":"no replica"}' \
	"$(jd_api_url /v1/example/notes)")
equals "a write no replica confirms: 503" "$code" 503
contains "with Retry-After" "$(cat "$JD_TMP/head")" "Retry-After"

# the old master returns as a replica of the new one (as an operator brings it back; the
# sentinels would convert it too, after their 10 s INFO period); writes are confirmed again
start_data "$R" "$M_PORT" "$S_PORT"
M_PID=$DATA_PID
demoted() { cli "$M_PORT" role | head -1 | grep -qx slave && cli "$M_PORT" info replication | grep -q 'master_link_status:up'; }
check "the old master comes back as a replica" jd_wait_for 600 demoted
after=$(field acked)
check "writes are acknowledged again after the failover" jd_wait_for 300 acked_at_least $((after + 50))

# a planned failover back (the master alive, demoted under jiandud: READONLY, +switch-master)
quiet cli "$SN1" sentinel failover "$NAME"
back() { [ "$(grep -c "master=127.0.0.1:$M_PORT " "$JD_DIR/jiandud.log")" -ge 2 ]; }
check "jiandud follows a planned failover back to the first master" jd_wait_for 300 back
# the demoted master follows the new one (the sentinels would, after their INFO period)
quiet cli "$S_PORT" replicaof 127.0.0.1 "$M_PORT"
after=$(field acked)
check "writes are acknowledged after the planned failover" jd_wait_for 300 acked_at_least $((after + 50))
touch "$STOP"
wait "$LOAD_PID"
LOAD_PID=

codes=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["codes"])' "$OUT")
read_back=$(python3 "$LOAD" read "$JD_DIR" "$JD_API_PORT" t1 "$OUT")
echo "# load: $codes; acknowledged before the kill $before; read back: $read_back"
equals "no request answered 500" "$(field 500)" 0
equals "every acknowledged write is found" "$(jd_json .n_missing <<<"$read_back")" 0
equals "every read-back answered" "$(jd_json .unanswered <<<"$read_back")" 0
check "some writes were acknowledged after the failover" [ "$(jd_json .found <<<"$read_back")" -gt "$after" ]
check "the audit chain verifies" quiet jd_ctl audit verify --tenant t1
# the failover as jiandud saw it
grep -E 'redis sentinel|redis connected|redis connection lost|replica|not ready|msg="?ready' "$JD_DIR/jiandud.log" | sed 's/^/# /' || true

jd_stop
equals "jiandud stops cleanly (the sentinel connections freed)" "$JD_EXIT" 0
jd_no_sanitizer_report
out=$(jd_ctl backup "$JD_TMP/bk" 2>&1 || true)
contains "backup names why it does not reach a Sentinel-managed Redis" "$out" "uses Redis Sentinel (redis.sentinels)"

# configuration errors are named
jd_set redis url "redis://127.0.0.1:$S_PORT"
out=$("$JIANDUD" -t -c "$JD_DIR/jiandud.conf" 2>&1 || true)
contains "sentinels with a url: refused, named" "$out" "redis.sentinels and redis.url exclude each other"
jd_set redis url ""
jd_set redis master_name ""
out=$("$JIANDUD" -t -c "$JD_DIR/jiandud.conf" 2>&1 || true)
contains "sentinels without a master name: refused, named" "$out" "redis.master_name go together"
jd_set redis master_name "$NAME"
jd_set redis sentinels "127.0.0.1:$SN1,127.0.0.1"
out=$("$JIANDUD" -t -c "$JD_DIR/jiandud.conf" 2>&1 || true)
contains "a sentinel without a port: refused, named" "$out" "redis.sentinels: '127.0.0.1' is not host:port"
jd_set redis sentinels "127.0.0.1:$SN1"
jd_set redis replica_timeout_ms 2000
out=$("$JIANDUD" -t -c "$JD_DIR/jiandud.conf" 2>&1 || true)
contains "a replica timeout past the command timeout: refused" "$out" "redis.replica_timeout_ms must be below"
jd_set redis replica_timeout_ms 500
jd_set redis durability always
out=$("$JIANDUD" -t -c "$JD_DIR/jiandud.conf" 2>&1 || true)
contains "an unknown durability: refused, named" "$out" "redis.durability: expected local or replica, got 'always'"
jd_set redis durability replica
jd_set redis sentinels ""
jd_set redis master_name ""
out=$("$JIANDUD" -t -c "$JD_DIR/jiandud.conf" 2>&1 || true)
contains "durability = replica with the managed Redis: refused, named" "$out" "not the managed one"
jd_finish
