# Shared by the supervision tests (t_supervision*.sh): the cases fixtures
# (county 510681 with of1, ag1..ag3, tw1, task force tf1 led by l1; tokens
# $S1 $S2 $S3 $L1 $V1 $R1) and helpers.  Source it after lib.sh.
source "$(dirname "${BASH_SOURCE[0]}")/cases_lib.sh"

# sup_item TOKEN UNIT ISSUER DEADLINE [extra JSON members]: prints the new item's id
sup_item() {
	local extra=${5:-}
	bearer "$1" POST /v1/supervision/items "{\"tenant\":\"$T\",\"unit\":\"$2\",\"issuer\":\"$3\",\"title\":\"整改问题\",\"deadline\":\"$4\"${extra:+,$extra}}" >/dev/null
	jd_json .id <"$JD_TMP/b"
}

# sup_post TOKEN PATH JSON-MEMBERS: POST with the tenant; prints the status code
sup_post() {
	bearer "$1" POST "$2" "{\"tenant\":\"$T\"${3:+,$3}}"
}

# sup_redis: a Redis of the test's own, outliving a kill -9 of jiandud (the
# managed one is jiandud's child), in $rdir; R runs redis-cli on it.  The
# caller stops $REDIS_PID in its EXIT trap.
sup_redis() {
	rdir=$JD_TMP/redis
	mkdir -p "$rdir"
	redis-server --port 0 --unixsocket "$rdir/redis.sock" --unixsocketperm 700 --dir "$rdir" \
		--save '' --appendonly yes --daemonize no --logfile "$rdir/redis.log" &
	REDIS_PID=$!
	jd_wait_for 50 redis-cli -s "$rdir/redis.sock" ping
}
R() { redis-cli -s "$rdir/redis.sock" "$@"; }

# sup_closed ISSUER UNIT REVIEWER (tokens): an item of ag2 issued by ag1 (tf1), closed on
# 2026-02-12 (its look-back due 90 days later); prints its id
sup_closed() {
	local id
	id=$(sup_item "$1" ag2 ag1 2026-03-31 '"date":"2026-01-10","groups":"tf1"')
	sup_post "$2" "/v1/supervision/items/$id/plan" '"plan":"方案","date":"2026-01-15"' >/dev/null
	sup_post "$2" "/v1/supervision/items/$id/start" '"date":"2026-01-16"' >/dev/null
	sup_post "$2" "/v1/supervision/items/$id/request-close" '"evidence":"e","date":"2026-02-01"' >/dev/null
	sup_post "$3" "/v1/supervision/items/$id/review" '"result":"passed","date":"2026-02-10"' >/dev/null
	sup_post "$3" "/v1/supervision/items/$id/close" '"date":"2026-02-12"' >/dev/null
	echo "$id"
}
