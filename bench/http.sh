#!/usr/bin/env bash
# HTTP throughput and latency of jiandud over TLS with keep-alive, measured
# with wrk against a fresh instance.  Reports figures; asserts nothing.
#   bench/http.sh [build-dir] [seconds] [connections]
# JD_WORKERS=2 bench/http.sh ... measures two worker processes (workers = 2).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
secs=${2:-10}
conns=${3:-64}
JD_WITH_TOOLS=1 scripts/deps.sh
tmp=$(mktemp -d /tmp/jdbench.XXXXXX)
trap 'kill -TERM $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$tmp"' EXIT
. bench/instance.sh
bench_instance "$build" "$tmp" 27443 28443 example
echo "jiandud $("$build/jiandud" -V | cut -d' ' -f2), workers = ${JD_WORKERS:-1}, $(nproc) cores, wrk: 1 thread, $conns connections, ${secs}s"
ctl() { "$build/jianductl" -c "$tmp/i/jianductl.conf" "$@"; }
ctl users add --id bench --roles staff --tenants t1 >/dev/null
token=$(ctl tokens create --user bench --ttl 1h --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
for i in $(seq 1 20); do ctl example notes add --tenant t1 --title "note $i" --text "text $i" >/dev/null; done
run() { # title path [header]
	echo "== $1"
	wrk -t1 -c"$conns" -d"${secs}s" --latency ${3:+-H "$3"} "https://127.0.0.1:28443$2" |
		grep -E 'Requests/sec|Latency|50%|99%|Non-2xx|Socket errors'
}
run "GET /healthz (no credential, no Redis round trip)" /healthz
run "GET /v1/nothing (404 JSON error)" /v1/nothing
run "GET /v1/status with a bearer token (2 Redis reads: token, user)" /v1/status "Authorization: Bearer $token"
run "GET /v1/example/notes (token + 2 reads of the list)" "/v1/example/notes?tenant=t1" "Authorization: Bearer $token"
