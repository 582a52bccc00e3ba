#!/usr/bin/env bash
# Lead registrations on one county (the audited mutation path) with wrk at 8
# and 64 connections, for each audit pipeline depth given
# (limits.audit_pipeline; 1 is one mutation of a tenant in flight at a
# time; - leaves the build's default, for a build older than the key),
# beside redis-benchmark running the script shape one registration
# makes (its commands, captured with MONITOR, replayed in one EVAL on fresh
# keys) at 50 clients.  Prints the rates and the ratios; asserts nothing.
#   [JD_PERF=DIR] bench/registrations.sh [build] [seconds] [depths]
# Defaults: build 5 "1 16".  Read a profile with
#   perf report -i DIR/jiandud-16.data --no-children --sort dso,symbol
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
secs=${2:-5}
depths=${3:-1 16}
JD_WITH_TOOLS=1 scripts/deps.sh
tmp=$(mktemp -d /tmp/jdbench.XXXXXX)
pid=
trap '[ -n "$pid" ] && kill -TERM $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$tmp"' EXIT
. bench/instance.sh
ctl() { "$build/jianductl" -c "$tmp/i/jianductl.conf" "$@"; }
rcli() { redis-cli -s "$tmp/i/data/redis.sock" "$@"; }
. bench/county.sh

county() { # the benchmarks' county (bench/county.sh); prints a leader's token
	bench_county
	ctl users add --id bench --roles leader --tenants $T >/dev/null
	bench_token bench
}

# with JD_PERF=DIR, perf record -g of jiandud and of its redis-server for the middle of a
# 64-connection run: DIR/jiandud-DEPTH.data, DIR/redis-DEPTH.data
profile() {
	[ -n "${JD_PERF:-}" ] && [ "$1" = 64 ] || return 0
	local rpid
	rpid=$(pgrep -P "$pid" redis-server)
	sleep 1
	perf record -F 1999 -g -p "$pid" -o "$JD_PERF/jiandud-$d.data" -- sleep $((secs - 2)) >/dev/null 2>&1 &
	perf record -F 1999 -g -p "$rpid" -o "$JD_PERF/redis-$d.data" -- sleep $((secs - 2)) >/dev/null 2>&1
}

rate() { # connections: requests/s of registrations (non-2xx counted apart)
	local out
	profile "$1" &
	out=$(TENANT=$T TOKEN=$token wrk -t1 -c"$1" -d"${secs}s" -s bench/leads.lua \
		"https://127.0.0.1:$aport" 2>&1)
	wait $! 2>/dev/null || true
	if grep -q 'Non-2xx' <<<"$out"; then echo "wrk: $(grep Non-2xx <<<"$out")" >&2; fi
	awk '/Requests\/sec/ {printf "%d", $2}' <<<"$out"
}

# the script one registration runs (MONITOR), replayed by redis-benchmark on fresh records
raw_rate() {
	redis-cli -s "$tmp/i/data/redis.sock" monitor >"$tmp/monitor" &
	local mon=$!
	sleep 0.3
	TENANT=$T TOKEN=$token wrk -t1 -c1 -d1s -s bench/leads.lua "https://127.0.0.1:$aport" >/dev/null 2>&1 || true
	kill $mon
	wait $mon 2>/dev/null || true
	python3 bench/script_shape.py "$tmp/monitor" >"$tmp/shape.lua" 2>"$tmp/shape.txt"
	echo "script shape: $(cat "$tmp/shape.txt")" >&2
	redis-benchmark -s "$tmp/i/data/redis.sock" -c 50 -n "$1" -r 1000000000 -q \
		EVAL "$(cat "$tmp/shape.lua")" 0 __rand_int__ | tr '\r' '\n' |
		awk '/requests per second/ {for (i = 1; i <= NF; i++) if ($i == "requests") {printf "%d", $(i - 1)}}'
}

echo "jiandud $("$build/jiandud" -V | cut -d' ' -f2), $(nproc) cores, wrk: 1 thread, ${secs}s a run, managed Redis (appendfsync always)"
aport=$((28000 + RANDOM % 1000))
for d in $depths; do
	rm -rf "$tmp/i"
	bench_instance "$build" "$tmp" $((aport - 1000)) $aport cases
	kill -TERM "$pid"; wait "$pid" 2>/dev/null || true
	if [ "$d" = - ]; then
		: # the build's default (one older than the key)
	elif grep -q '^audit_pipeline' "$tmp/i/jiandud.conf"; then
		sed -i "s/^audit_pipeline = .*/audit_pipeline = $d/" "$tmp/i/jiandud.conf"
	else
		printf '\n[limits]\naudit_pipeline = %s\n' "$d" >>"$tmp/i/jiandud.conf"
	fi
	"$build/jiandud" -c "$tmp/i/jiandud.conf" 2>"$tmp/log" &
	pid=$!
	for _ in $(seq 1 100); do curl -sk -o /dev/null "https://127.0.0.1:$aport/healthz" && break; sleep 0.1; done
	token=$(county)
	r8=$(rate 8)
	r64=$(rate 64)
	echo "audit_pipeline ${d/-/default}: registrations/s at 8 connections $r8, at 64 $r64, 64 ÷ 8 = $(echo "scale=2; $r64 / $r8" | bc)"
	if [ "$d" = "$(echo "$depths" | awk '{print $NF}')" ]; then
		raw=$(raw_rate 20000)
		echo "redis-benchmark, the same script, 50 clients: $raw/s;" \
			"registrations at 64 connections ÷ that = $(echo "scale=3; $r64 / $raw" | bc)"
	fi
	kill -TERM "$pid"; wait "$pid" 2>/dev/null || true
	pid=
done
