#!/usr/bin/env bash
# A sealed-read flood on a fresh instance, and writes beside it: what one
# sealed read costs (CPU of jiandud and of its Redis, from /proc/PID/stat
# over the flood), and registrations at 8 connections alone and during a
# sealed-read flood at 64 (limits.reads_in_flight, docs/performance.md).
# Reports figures; asserts nothing.
#   bench/floods.sh [build-dir] [seconds]
# JD_READS_IN_FLIGHT=N sets limits.reads_in_flight (default: the daemon's).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
secs=${2:-5}
case $build in /*) ;; *) build=$PWD/$build ;; esac
scripts/bench-deps.sh
tmp=$(mktemp -d /tmp/jdbench.XXXXXX)
pid= rf=
cleanup() {
	local p
	for p in $rf $pid; do kill -TERM "$p" 2>/dev/null || true; done
	for p in $rf $pid; do wait "$p" 2>/dev/null || true; done
	rm -rf "$tmp"
}
trap cleanup EXIT
. bench/instance.sh
. tests/integration/free_port.sh
cport=$(jd_free_port)
aport=$(jd_free_port)
bench_init "$build" "$tmp" "$cport" "$aport" cases
[ -z "${JD_READS_IN_FLIGHT:-}" ] || printf '\n[limits]\nreads_in_flight = %s\n' "$JD_READS_IN_FLIGHT" >>"$tmp/i/jiandud.conf"
bench_start "$tmp" "$aport"
. bench/county.sh
bench_cases_county "$build" "$tmp"
api=https://127.0.0.1:$aport
lead=$(curl -s --cacert "$tmp/i/tls/ca.crt" -H "Authorization: Bearer $token" \
	-H 'Content-Type: application/json' "$api/v1/cases/leads" --data \
	"{\"tenant\":\"$T\",\"unit\":\"ag1\",\"source\":\"audit\",\"subject_name\":\"王某\",\"subject_id_number\":\"510681198001010000\",\"subject_post\":\"局长\",\"allegation\":\"收受礼金\",\"reporter_name\":\"举报人\"}" |
	python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
rpid=$(rcli info server | tr -d '\r' | awk -F: '/^process_id/ { print $2 }')
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
# wrk_n CONNS URL [VAR=VALUE...]: one wrk thread for $secs; prints "answers_2xx rate/s"
wrk_n() {
	local conns=$1 url=$2
	shift 2
	env "$@" wrk -t1 -c"$conns" -d"${secs}s" -s bench/wrk.lua "$url" |
		awk '/^JDWRK/ { printf "%d %.0f\n", $2 - $4, ($2 - $4) / ($3 / 1e6) }'
}
echo "jiandud $("$build/jiandud" -V | cut -d' ' -f2), $(nproc) cores, ${secs} s a measurement, reads_in_flight ${JD_READS_IN_FLIGHT:-default}"
j0=$(ticks "$pid") r0=$(ticks "$rpid")
read -r n rate <<<"$(wrk_n 64 "$api/v1/cases/leads/$lead?tenant=$T" JD_TOKEN="$token")"
j1=$(ticks "$pid") r1=$(ticks "$rpid")
clk=$(getconf CLK_TCK)
echo "sealed reads, 64 connections: $rate/s; CPU per read: jiandud $(((j1 - j0) * 1000000 / clk / n)) µs, Redis $(((r1 - r0) * 1000000 / clk / n)) µs"
read -r _ alone <<<"$(wrk_n 8 "$api/v1/cases/leads" JD_TOKEN="$token" JD_REGISTER=1)"
echo "registrations, 8 connections, alone: $alone/s"
wrk_n 64 "$api/v1/cases/leads/$lead?tenant=$T" JD_TOKEN="$token" >"$tmp/flood" &
rf=$!
for _ in $(seq 1 50); do
	[ "$(curl -s --cacert "$tmp/i/tls/ca.crt" --cert "$tmp/i/tls/admin.crt" --key "$tmp/i/tls/admin.key" \
		"https://127.0.0.1:$cport/v1/status" | python3 -c 'import json,sys; print(json.load(sys.stdin)["requests_in_flight"])')" -gt 8 ] && break
	sleep 0.1
done
read -r _ during <<<"$(wrk_n 8 "$api/v1/cases/leads" JD_TOKEN="$token" JD_REGISTER=1)"
wait "$rf"
rf=
read -r _ frate <"$tmp/flood"
echo "registrations, 8 connections, during a sealed-read flood at 64: $during/s ($(python3 -c "print('%.2f' % ($during / $alone))") of alone); the flood: $frate/s"
