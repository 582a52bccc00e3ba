#!/usr/bin/env bash
# The cases plugin at scale (docs/performance.md): registers leads through
# the API with bench/cases_client.py (TLS keep-alive, bearer token, many
# connections; wrk runs for a duration, this sends an exact count), and
# reports throughput, latency percentiles, Redis memory per lead, and the
# time of a statistics query (a year, with the previous-year comparison) at
# the first mark and at the total.  Asserts nothing.
#   bench/cases.sh [build-dir] [total leads] [first mark] [connections]
# Defaults: build 100000 1000 64.  A smaller run while iterating:
#   bench/cases.sh build 5000 1000 32
set -euo pipefail
cd "$(dirname "$0")/.."
build=$(cd "${1:-build}" && pwd)
total=${2:-100000}
mark=${3:-1000}
conns=${4:-64}
JD_WITH_TOOLS=1 scripts/deps.sh
tmp=$(mktemp -d /tmp/jdbench.XXXXXX)
pid=
trap '[ -n "$pid" ] && kill -TERM $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$tmp"' EXIT
cport=$((27000 + RANDOM % 1000))
aport=$((28000 + RANDOM % 1000))
. bench/instance.sh
bench_instance "$build" "$tmp" $cport $aport cases
# a county with seven units; a leader's token (registers, and reads the figures)
. bench/county.sh
bench_cases_county "$build" "$tmp"

echo "jiandud $("$build/jiandud" -V | cut -d' ' -f2), $(nproc) cores, $conns connections," \
	"managed Redis (appendfsync always), log level warn"

leads() { rcli zcard "jd:{$T}:leads:all"; }
mem() { rcli info memory | sed -n 's/^used_memory:\([0-9]*\).*/\1/p' | tr -d '\r'; }

# register N leads; prints throughput and latency
register() {
	python3 bench/cases_client.py 127.0.0.1 "$aport" "$tmp/i/tls/ca.crt" "$token" $T "$1" "$conns" "$2"
}

# the statistics of the past year with the previous-year comparison: median and p99 of 50 queries
stats_time() {
	local from to
	from=$(date -d '-364 days' +%F)
	to=$(date +%F)
	for _ in $(seq 1 50); do
		curl -s -o /dev/null -w '%{time_total}\n' --cacert "$tmp/i/tls/ca.crt" \
			-H "Authorization: Bearer $token" \
			"https://127.0.0.1:$aport/v1/cases/stats?tenant=$T&from=$from&to=$to&compare=previous-year"
	done | sort -n | awk '{a[NR]=$1} END {printf "stats query (a year, previous-year comparison): median %.1f ms, p99 %.1f ms over %d queries\n", a[int(NR/2)+1]*1000, a[int(NR*0.99)]*1000, NR}'
	curl -s --cacert "$tmp/i/tls/ca.crt" -H "Authorization: Bearer $token" \
		"https://127.0.0.1:$aport/v1/cases/stats?tenant=$T&from=$from&to=$to" |
		python3 -c 'import json,sys; f={x["figure"]:x["value"] for x in json.load(sys.stdin)["figures"]}; print("  figures: leads_received", f["leads_received"], "self-discovered", f["leads_self_discovered"], "transferred", f["leads_transferred"])'
}

# the leaders' report (GET /v1/report: the organization and the cases section) of the same year,
# with the previous-year comparison and by=month: median and p99 of 50
report_time() {
	local from to q
	from=$(date -d '-364 days' +%F)
	to=$(date +%F)
	for by in "" month; do
		q="tenant=$T&from=$from&to=$to&compare=previous-year${by:+&by=$by}"
		for _ in $(seq 1 50); do
			curl -s -o /dev/null -w '%{time_total}\n' --cacert "$tmp/i/tls/ca.crt" \
				-H "Authorization: Bearer $token" "https://127.0.0.1:$aport/v1/report?$q"
		done | sort -n | awk -v by="${by:-none}" '{a[NR]=$1} END {printf "report (a year, previous-year, by=%s): median %.1f ms, p99 %.1f ms over %d\n", by, a[int(NR/2)+1]*1000, a[int(NR*0.99)]*1000, NR}'
	done
	curl -s --cacert "$tmp/i/tls/ca.crt" -H "Authorization: Bearer $token" \
		"https://127.0.0.1:$aport/v1/report?tenant=$T&from=$from&to=$to" |
		python3 -c 'import json,sys; f={x["key"]:x["value"] for s in json.load(sys.stdin)["sections"] for x in s["figures"]}; print("  report: cases.leads_received", f["cases.leads_received"])'
}

m0=$(mem)
echo "== registering $mark leads"
register "$mark" 1
echo "leads stored: $(leads)"
stats_time
report_time
echo "== registering $((total - mark)) more leads"
start=$(date +%s.%N)
register $((total - mark)) 2
end=$(date +%s.%N)
n=$(leads)
m1=$(mem)
echo "leads stored: $n (wall time of this part: $(echo "$end - $start" | bc) s)"
stats_time
report_time
echo "Redis used_memory: $((m0 / 1024)) KiB before, $((m1 / 1024)) KiB after: $(((m1 - m0) / n)) bytes per lead" \
	"(record, sealed fields, indexes, counters, audit entry)"
echo "audit entries: $(rcli xlen "jd:{$T}:audit")"
echo "recount:"
ctl cases recount --tenant $T --json | python3 -c 'import json,sys; r=json.load(sys.stdin); print("  leads", r["leads"], "counters", r["counters_checked"], "drift", r["drift"])'
