# A Sentinel-managed Redis on 127.0.0.1, for t_redis_sentinel.sh and
# bench/sentinel.sh: sentinel_topology DIR starts a master, a replica of it
# and three sentinels (quorum 2, down-after-milliseconds 1000), their files
# under DIR, and returns once the replica is in sync and the sentinels know
# it and each other (1 when they do not within 30 s).  Sets M_PORT, S_PORT,
# SN1..SN3, M_PID, S_PID; SENTINEL_NAME is the master's name.  Every process
# has DIR in its command line (lib.sh's cleanup finds it).  Source lib.sh first.
SENTINEL_NAME=jdmaster

# free_ports N: N ports nothing listens on (127.0.0.1)
free_ports() {
	python3 - "$1" <<'PY'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
PY
}

# start_data DIR PORT [replicaof-port]: a data server (no persistence: the
# replica is the copy); its pid in DATA_PID
start_data() {
	local dir=$1/data-$2
	mkdir -p "$dir"
	redis-server --port "$2" --bind 127.0.0.1 --dir "$dir" --save '' --appendonly no \
		--logfile "$dir/redis.log" --daemonize no ${3:+--replicaof 127.0.0.1 "$3"} \
		</dev/null >/dev/null 2>&1 &
	DATA_PID=$!
}

# start_sentinel DIR PORT
start_sentinel() {
	local dir=$1/sentinel-$2
	mkdir -p "$dir"
	cat >"$dir/sentinel.conf" <<EOF
port $2
bind 127.0.0.1
dir $dir
logfile $dir/sentinel.log
sentinel monitor $SENTINEL_NAME 127.0.0.1 $M_PORT 2
sentinel down-after-milliseconds $SENTINEL_NAME 1000
sentinel failover-timeout $SENTINEL_NAME 10000
sentinel parallel-syncs $SENTINEL_NAME 1
EOF
	redis-server "$dir/sentinel.conf" --sentinel </dev/null >/dev/null 2>&1 &
}

rcli() { redis-cli -h 127.0.0.1 -p "$1" "${@:2}"; }
sentinel_answers() { [ "$(rcli "$1" ping)" = PONG ]; }
replica_synced() { rcli "$1" info replication | grep -q 'master_link_status:up'; }
sentinels_see_replica() {
	[ "$(rcli "$SN1" sentinel replicas "$SENTINEL_NAME" | grep -c "$S_PORT")" -ge 1 ] &&
		[ "$(rcli "$SN1" sentinel sentinels "$SENTINEL_NAME" | grep -c '^name$')" -ge 2 ]
}
sentinel_topology() {
	local dir=$1 p
	mkdir -p "$dir"
	read -r M_PORT S_PORT SN1 SN2 SN3 <<<"$(free_ports 5)"
	start_data "$dir" "$M_PORT"
	M_PID=$DATA_PID
	start_data "$dir" "$S_PORT" "$M_PORT"
	S_PID=$DATA_PID
	for p in "$SN1" "$SN2" "$SN3"; do start_sentinel "$dir" "$p"; done
	jd_wait_for 100 sentinel_answers "$M_PORT" &&
		jd_wait_for 200 replica_synced "$S_PORT" &&
		jd_wait_for 300 sentinels_see_replica
}
