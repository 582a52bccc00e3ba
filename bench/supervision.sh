#!/usr/bin/env bash
# The supervision plugin at scale (docs/performance.md): issues rectification
# items through the API with bench/supervision_client.py (TLS keep-alive,
# bearer tokens, many connections), takes a sample of them up the ladder
# (plan, start, request-close, review, close: five transitions each) and
# reports throughput and latency, and the time of a statistics query (a
# year, with the previous-year comparison) and of 20 prompt letters of 50
# problems each (the letter and its items one store step) at the first
# mark and at the total.  Asserts nothing; not part of make test.
#   bench/supervision.sh [build-dir] [total items] [first mark] [connections] [items taken up the ladder]
# Defaults: build 100000 1000 64 1000.  A smaller run while iterating:
#   bench/supervision.sh build 5000 1000 32 500
set -euo pipefail
cd "$(dirname "$0")/.."
build=$(cd "${1:-build}" && pwd)
total=${2:-100000}
mark=${3:-1000}
conns=${4:-64}
ladder=${5:-1000}
tmp=$(mktemp -d /tmp/jdbench.XXXXXX)
pid=
trap '[ -n "$pid" ] && kill -TERM $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$tmp"' EXIT
cport=$((27000 + RANDOM % 1000))
aport=$((28000 + RANDOM % 1000))
"$build/jianductl" init "$tmp/i" --control-port $cport --api-port $aport \
	--plugins-dir "$build/plugins" --load cases,supervision >/dev/null
sed -i 's/^log_level = .*/log_level = warn/' "$tmp/i/jiandud.conf"
# a recount of 100,000 items on a loaded machine outlasts the CLI's default 10 s
sed -i 's/^timeout = .*/timeout = 600/' "$tmp/i/jianductl.conf"
"$build/jiandud" -c "$tmp/i/jiandud.conf" 2>"$tmp/log" &
pid=$!
for _ in $(seq 1 100); do
	curl -sk -o /dev/null "https://127.0.0.1:$aport/healthz" && break
	sleep 0.1
done
ctl() { "$build/jianductl" -c "$tmp/i/jianductl.conf" "$@"; }
rcli() { redis-cli -s "$tmp/i/data/redis.sock" "$@"; }

. bench/county.sh
bench_county
ctl users add --id lead --roles leader --tenants $T >/dev/null
ctl users add --id staff --roles staff --tenants $T --units ag1,ag2,ag3,ag4,ag5,tw1 >/dev/null
leader=$(bench_token lead)
staff=$(bench_token staff)

echo "jiandud $("$build/jiandud" -V | cut -d' ' -f2), $(nproc) cores, $conns connections," \
	"managed Redis (appendfsync always), log level warn"
client() { python3 bench/supervision_client.py 127.0.0.1 "$aport" "$tmp/i/tls/ca.crt" "$staff" "$leader" $T "$conns" "$@"; }
items() { rcli zcard "jd:{$T}:items:all"; }

stats_time() {
	local from to
	from=$(date -d '-364 days' +%F)
	to=$(date +%F)
	for _ in $(seq 1 50); do
		curl -s -o /dev/null -w '%{time_total}\n' --cacert "$tmp/i/tls/ca.crt" \
			-H "Authorization: Bearer $leader" \
			"https://127.0.0.1:$aport/v1/supervision/stats?tenant=$T&from=$from&to=$to&compare=previous-year"
	done | sort -n | awk '{a[NR]=$1} END {printf "stats query (a year, previous-year comparison): median %.1f ms, p99 %.1f ms over %d queries\n", a[int(NR/2)+1]*1000, a[int(NR*0.99)]*1000, NR}'
	curl -s --cacert "$tmp/i/tls/ca.crt" -H "Authorization: Bearer $leader" \
		"https://127.0.0.1:$aport/v1/supervision/stats?tenant=$T&from=$from&to=$to" |
		python3 -c 'import json,sys; f={x["figure"]:x["value"] for x in json.load(sys.stdin)["figures"]}; print("  figures: items_issued", f["items_issued"], "rectified", f["items_rectified"], "overdue now", f["items_overdue_now"])'
}

# 20 prompt letters of 50 problems each, one at a time: each letter and its
# 50 rectification items are one mutation (one store step)
letters_time() {
	local problems body
	problems=$(for i in $(seq 1 50); do printf '问题%d;' "$i"; done)
	body="{\"tenant\":\"$T\",\"kind\":\"prompt\",\"unit\":\"of1\",\"supervised\":\"x\",\"problems\":\"$problems\",\"rectifier\":\"ag1\",\"reply_due\":\"$(date -d '+30 days' +%F)\"}"
	for _ in $(seq 1 20); do
		curl -s -o /dev/null -w '%{http_code} %{time_total}\n' --cacert "$tmp/i/tls/ca.crt" \
			-H "Authorization: Bearer $leader" -H 'Content-Type: application/json' -d "$body" \
			"https://127.0.0.1:$aport/v1/supervision/letters"
	done | sort -k2 -n | awk '{a[NR]=$2; c[$1]++} END {printf "letters of 50 problems (letter + 50 items, one step): median %.1f ms, max %.1f ms over %d;", a[int(NR/2)+1]*1000, a[NR]*1000, NR; for (k in c) printf " %d x %s", c[k], k; printf "\n"}'
}

echo "== issuing $mark items"
client create "$mark" 1
echo "items stored: $(items)"
echo "== $ladder items up the ladder (5 transitions each)"
rcli zrange "jd:{$T}:items:all" 0 $((ladder - 1)) >"$tmp/ids"
client ladder "$tmp/ids"
stats_time
letters_time
echo "== issuing $((total - mark)) more items"
client create $((total - mark)) 2
echo "items stored: $(items)"
echo "== $ladder more items up the ladder"
rcli zrange "jd:{$T}:items:all" -"$ladder" -1 >"$tmp/ids"
client ladder "$tmp/ids"
stats_time
letters_time
echo "items stored: $(items)"
echo "recount:"
ctl supervision recount --tenant $T --json | python3 -c 'import json,sys; r=json.load(sys.stdin); print("  items", r["items"], "counters", r["counters_checked"], "drift", r["drift"])'
