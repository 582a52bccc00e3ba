#!/usr/bin/env bash
# Redis Cluster (redis.cluster, daemon/storage/cluster.c, docs/operations.md):
# a local three-master cluster (no replicas) and the core paths against it:
# init, tenants whose slots sit on different masters, leads registered and
# read with their sealed fields, a county's figures and the city's roll-up
# gathered from two masters, the audit chains verified; the keys of each
# tenant found on one master only; a slot moved under the daemon (ASK while
# it migrates, MOVED after); a master killed: its tenants answer 503, the
# others keep working.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/cases_lib.sh"

command -v redis-cli >/dev/null || {
	echo "redis-cli missing"
	exit 1
}
RC_PIDS=()
rc_cleanup() {
	local p
	for p in "${RC_PIDS[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
	jd_cleanup
}
trap rc_cleanup EXIT

# --- a three-master cluster on free ports (bus ports chosen too)
PORTS=()
for i in 1 2 3; do
	p=$(jd_free_port)
	bus=$(jd_free_port)
	mkdir -p "$JD_TMP/rc$i"
	(redis-server --port "$p" --bind 127.0.0.1 --cluster-enabled yes --cluster-port "$bus" \
		--cluster-config-file "$JD_TMP/rc$i/nodes.conf" --cluster-node-timeout 2000 \
		--cluster-require-full-coverage no --dir "$JD_TMP/rc$i" --save "" \
		--appendonly yes --appendfsync always >"$JD_TMP/rc$i/log" 2>&1 &
		echo $! >"$JD_TMP/rc$i/pid") # a subshell's child: no job notice when killed
	RC_PIDS+=("$(cat "$JD_TMP/rc$i/pid")")
	PORTS+=("$p")
done
rcli() { redis-cli -p "$1" "${@:2}"; }
pong() { [ "$(rcli "$1" PING)" = PONG ]; }
for p in "${PORTS[@]}"; do check "cluster node $p is up" jd_wait_for 100 pong "$p"; done
redis-cli --cluster create "127.0.0.1:${PORTS[0]}" "127.0.0.1:${PORTS[1]}" "127.0.0.1:${PORTS[2]}" \
	--cluster-yes >"$JD_TMP/create.log" 2>&1
cluster_ok() {
	local p
	for p in "${PORTS[@]}"; do rcli "$p" CLUSTER INFO | grep -q 'cluster_state:ok' || return 1; done
}
check "the cluster forms" jd_wait_for 200 cluster_ok

# the master (port) that serves a tenant's hash tag, as the cluster says
slot_of() { rcli "${PORTS[0]}" CLUSTER KEYSLOT "{$1}"; }
port_of() { # port_of SLOT
	rcli "${PORTS[0]}" CLUSTER SLOTS | python3 -c '
import sys
lines = [l.strip() for l in sys.stdin]
s = int(sys.argv[1])
i = 0
while i + 4 < len(lines):
    if lines[i].isdigit() and lines[i + 1].isdigit() and int(lines[i]) <= s <= int(lines[i + 1]):
        print(lines[i + 3]); break
    i += 1' "$1"
}
node_id() { rcli "$1" CLUSTER MYID; }

# --- the daemon on it: two seeds given, the third master found
jd_instance "$JD_TMP/i" --load cases,supervision
jd_set redis cluster "127.0.0.1:${PORTS[0]}, 127.0.0.1:${PORTS[1]}"
out=$(jd_set redis url "redis://127.0.0.1:${PORTS[0]}" && fails "$JIANDUD" -t -c "$JD_DIR/jiandud.conf")
contains "redis.cluster and redis.url together: refused" "$out" "exclude each other"
jd_set redis url ""
jd_start
check "the slot map is read" jd_logged 'redis cluster slot map.*masters=3 slots_with_a_master=16384'
check "no managed redis-server" test ! -e "$JD_DIR/data/redis.sock"
healthy() { [ "$(curl -sk -o /dev/null -w '%{http_code}' "$(jd_api_url /healthz)")" = 200 ]; }
check "ready (healthz 200: every master has the scripts)" jd_wait_for 100 healthy

cases_org
p81=$(port_of "$(slot_of 510681)")
p83=$(port_of "$(slot_of 510683)")
check "the two counties sit on different masters ($p81, $p83)" test -n "$p81" -a -n "$p83" -a "$p81" != "$p83"

# --- leads in both counties, sealed fields opened on read
l81=$(add_lead "$S1" ag1 audit)
check "a lead in 510681" test -n "$l81"
l83=$(jd_ctl cases leads add --tenant 510683 --unit ag1 --source audit --subject_name 某乙 \
	--allegation x --json | jd_json .id)
check "a lead in 510683" test -n "$l83"
equals "the lead is read back" "$(bearer "$S1" GET "/v1/cases/leads/$l81?tenant=$T")" 200
contains "its sealed subject opened" "$(body)" "某甲"
show83() { jd_ctl cases leads show --tenant 510683 --id "$1" --json; }
contains "the other county's lead too" "$(show83 "$l83")" 某乙

# every key of a tenant on its own master, none anywhere else
keys_on() { rcli "$1" --scan --pattern "jd:{$2}:*" | wc -l; }
for t in 510681 510683 _sys; do
	want=$(port_of "$(slot_of $t)")
	for p in "${PORTS[@]}"; do
		n=$(keys_on "$p" $t)
		if [ "$p" = "$want" ]; then
			check "keys of {$t} on its master $p ($n)" test "$n" -gt 0
		else
			equals "no key of {$t} on $p" "$n" 0
		fi
	done
done
plain=$(for p in "${PORTS[@]}"; do rcli "$p" --scan --pattern 'jd:{51068*' | while IFS= read -r k; do
	[ "$(rcli "$p" TYPE "$k")" = hash ] && rcli "$p" HGETALL "$k"
done; done | grep -c '某甲\|某乙' || true)
equals "no sealed plaintext on any master" "$plain" 0

# --- figures: a county from its master, the city from both
Y=$(date +%Y)
today=$(date +%F)
fig() { py "next(f['value'] for f in j['figures'] if f['figure']=='leads_received')" <"$1"; }
jd_ctl cases stats --tenant $T --from $Y-01-01 --to "$today" --json >"$JD_TMP/s81"
equals "the county's figure" "$(fig "$JD_TMP/s81")" 1
jd_ctl cases stats --tenant 510600 --from $Y-01-01 --to "$today" --json >"$JD_TMP/s600"
equals "the city rolls up both counties (two masters)" "$(fig "$JD_TMP/s600")" 2
contains "naming two counties" "$(cat "$JD_TMP/s600")" '"counties": 2'
jd_ctl cases stats --tenant 510000 --from $Y-01-01 --to "$today" --json >"$JD_TMP/s000"
equals "the province too" "$(fig "$JD_TMP/s000")" 2

jd_ctl report --tenant 510600 --from $Y-01-01 --to "$today" --json >"$JD_TMP/r600" && st=0 || st=$?
equals "the city's report (every plugin's figures, both masters)" "$st" 0
contains "with its sections" "$(cat "$JD_TMP/r600")" '"sections"'
equals "the organization report of the city counts both counties" \
	"$(jd_ctl org report --tenant 510600 --json | jd_json .counties.total)" 2
untagged=$(for p in "${PORTS[@]}"; do rcli "$p" --scan | grep -v '^jd:{[^}]*}:' || true; done | sort -u | tr '\n' ' ')
equals "every key but the readiness probe's carries a hash tag (global ones {_sys})" "$untagged" "jd:readyz "

verify() { jd_ctl audit verify --tenant "$1" --json | jd_json .ok; }
equals "audit of 510681 verifies" "$(verify 510681)" true
equals "audit of 510683 verifies" "$(verify 510683)" true
equals "audit of _sys verifies" "$(verify _sys)" true

# --- a slot moves under the daemon: ASK while it migrates, MOVED after
s=$(slot_of 510683)
for p in "${PORTS[@]}"; do [ "$p" != "$p83" ] && [ "$p" != "$p81" ] && dst=$p; done
[ -n "${dst:-}" ] || dst=$p81
src_id=$(node_id "$p83")
dst_id=$(node_id "$dst")
rcli "$dst" CLUSTER SETSLOT "$s" IMPORTING "$src_id" >/dev/null
rcli "$p83" CLUSTER SETSLOT "$s" MIGRATING "$dst_id" >/dev/null
while :; do
	mapfile -t ks < <(rcli "$p83" CLUSTER GETKEYSINSLOT "$s" 100)
	[ "${#ks[@]}" -gt 0 ] && [ -n "${ks[0]}" ] || break
	rcli "$p83" MIGRATE 127.0.0.1 "$dst" "" 0 5000 KEYS "${ks[@]}" >/dev/null
done
equals "no key of 510683 left on its old master" "$(keys_on "$p83" 510683)" 0
asks=$(rcli "$dst" INFO commandstats | grep -c 'cmdstat_asking' || true)
contains "while migrating (ASK): the lead is read" "$(show83 "$l83")" 某乙
check "through ASKING on the new master" test "$(rcli "$dst" INFO commandstats | grep -c 'cmdstat_asking')" -gt "$asks"
# a write names keys not created yet: TRYAGAIN until the slot has moved, sent again meanwhile
tryagain() { rcli "$dst" INFO errorstats | sed -n 's/^errorstat_TRYAGAIN:count=\([0-9]*\).*/\1/p'; }
(jd_ctl cases leads add --tenant 510683 --unit ag1 --source audit --subject_name 某丙 \
	--allegation x --json >"$JD_TMP/add83" 2>&1) &
adder=$!
met_tryagain() { [ -n "$(tryagain)" ]; }
check "while migrating: a write meets TRYAGAIN" jd_wait_for 100 met_tryagain
for p in "${PORTS[@]}"; do rcli "$p" CLUSTER SETSLOT "$s" NODE "$dst_id" >/dev/null; done
wait "$adder" && st=0 || st=$?
equals "and is applied once the slot has moved" "$st" 0
l83b=$(jd_json .id <"$JD_TMP/add83")
contains "after the move (MOVED): the lead is read" "$(show83 "$l83b")" 某丙
moved() { rcli "$p83" INFO errorstats | grep -q '^errorstat_MOVED'; }
check "the old master answered MOVED, and it was followed" moved
l83c=$(jd_ctl cases leads add --tenant 510683 --unit ag1 --source audit --subject_name 某丁 \
	--allegation x --json | jd_json .id)
check "after the move: a lead is registered" test -n "$l83c"
equals "all of 510683's keys on the new master" "$(keys_on "$p83" 510683)" 0
jd_ctl cases stats --tenant 510600 --from $Y-01-01 --to "$today" --json >"$JD_TMP/s600"
equals "the city's roll-up after the move" "$(fig "$JD_TMP/s600")" 4
equals "audit of 510683 still verifies" "$(verify 510683)" true

out=$(fails jd_ctl backup "$JD_TMP/bk")
contains "jianductl backup refuses a cluster, saying how to back it up" "$out" "back up each master"

# --- a master dies (no replica): its tenants 503, the others go on
for i in 0 1 2; do [ "${PORTS[$i]}" = "$p81" ] && victim=${RC_PIDS[$i]}; done
kill -KILL "$victim"
down() { [ "$(bearer "$S1" GET "/v1/cases/leads/$l81?tenant=$T")" = 503 ]; }
check "a tenant whose master is gone: 503" jd_wait_for 100 down
equals "not 500, ever (a write)" "$(bearer "$S1" POST /v1/cases/leads "{\"tenant\":\"$T\",\"unit\":\"ag1\",\"source\":\"audit\",\"subject_name\":\"x\",\"allegation\":\"x\"}")" 503
contains "another tenant on a live master still answers" "$(show83 "$l83")" 某乙
check "the daemon lives" kill -0 "$JD_PID"
jd_stop
equals "a clean stop" "$JD_EXIT" 0
jd_finish
