#!/usr/bin/env bash
# HTTP throughput and latency of jiandud over TLS with keep-alive, measured
# with wrk against a fresh instance.  Reports figures; asserts nothing.
#   bench/http.sh [build-dir] [seconds] [connections]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
secs=${2:-10}
conns=${3:-64}
JD_WITH_TOOLS=1 scripts/deps.sh
tmp=$(mktemp -d /tmp/jdbench.XXXXXX)
trap 'kill -TERM $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$tmp"' EXIT
"$build/jianductl" init "$tmp/i" --control-port 27443 --api-port 28443 \
	--plugins-dir "$PWD/$build/plugins" >/dev/null
sed -i 's/^log_level = .*/log_level = warn/' "$tmp/i/jiandud.conf"
"$build/jiandud" -c "$tmp/i/jiandud.conf" 2>"$tmp/log" &
pid=$!
for _ in $(seq 1 100); do
	curl -sk -o /dev/null https://127.0.0.1:28443/healthz && break
	sleep 0.1
done
echo "jiandud $("$build/jiandud" -V | cut -d' ' -f2), $(nproc) cores, wrk: 1 thread, $conns connections, ${secs}s"
for path in /healthz /v1/nothing; do
	echo "== GET $path (api listener, TLS, keep-alive)"
	wrk -t1 -c"$conns" -d"${secs}s" --latency "https://127.0.0.1:28443$path" |
		grep -E 'Requests/sec|Latency|50%|99%|Non-2xx|Socket errors'
done
