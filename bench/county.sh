# Sourced by the benchmarks after they define ctl (jianductl on their
# instance): bench_county adds county $T (510681, under 510600 under 510000)
# with seven units (ag1..ag5 agencies, of1 an office, tw1 a township);
# bench_token USER prints a new bearer token of USER, valid a day.
# bench_cases_county BUILD TMP defines ctl and rcli (redis-cli) on the
# instance in TMP/i, adds the county and sets $token: a leader's (registers
# leads, reads them and the figures).
T=510681
bench_county() {
	ctl org tenants add --code 510000 --name 四川省 --level province >/dev/null
	ctl org tenants add --code 510600 --name 德阳市 --level city --parent 510000 >/dev/null
	ctl org tenants add --code $T --name 广汉市 --level county --parent 510600 >/dev/null
	for u in ag1 ag2 ag3 ag4 ag5; do
		ctl org units add --tenant $T --code $u --name "派驻组$u" --kind agency >/dev/null
	done
	ctl org units add --tenant $T --code of1 --name 第一室 --kind office >/dev/null
	ctl org units add --tenant $T --code tw1 --name 乡镇纪委 --kind township >/dev/null
}

bench_token() {
	ctl tokens create --user "$1" --ttl 1d --json |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])'
}

bench_cases_county() {
	bench_build=$1 bench_tmp=$2
	ctl() { "$bench_build/jianductl" -c "$bench_tmp/i/jianductl.conf" "$@"; }
	rcli() { redis-cli -s "$bench_tmp/i/data/redis.sock" "$@"; }
	bench_county
	ctl users add --id bench --roles leader --tenants $T >/dev/null
	token=$(bench_token bench)
}
