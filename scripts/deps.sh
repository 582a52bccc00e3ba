#!/usr/bin/env bash
# Installs the Debian packages jiandu needs to build, test and run.
# Idempotent: installs only what is missing.  Not root: prints the command.
set -euo pipefail

packages=(
	build-essential cmake pkg-config
	libevent-dev libhiredis-dev libssl-dev libsodium-dev libjansson-dev libinih-dev
	libcurl4-openssl-dev libcmocka-dev libcsv-dev
	redis-server openssl curl python3 valgrind testssl.sh
	# the dashboard's browser test (tests/integration/t_dashboard.sh): headless
	# chromium driven by playwright-core, and a font with Chinese glyphs
	chromium fonts-wqy-microhei
	man-db groff-base
	debhelper dpkg-dev fakeroot lintian debootstrap
	prometheus
)
# Node.js and npm build the dashboard and run its browser test (scripts/ui-deps.sh);
# a machine that has them (any source) keeps them
if ! command -v npm >/dev/null 2>&1; then
	packages+=(nodejs npm)
fi
if [ "${JD_WITH_TOOLS:-0}" = 1 ]; then
	packages+=(cppcheck clang-tidy clang-format wrk clang libclang-rt-14-dev)
fi
# make bench (scripts/bench-deps.sh): wrk drives HTTP, nginx is the static TLS
# ceiling jiandud is compared with (bench/bench.sh runs its own, not the service)
if [ "${JD_WITH_BENCH:-0}" = 1 ]; then
	packages+=(wrk nginx-light)
fi

# The OpenAPI linter, from the npm registry, into var/tools (not root's business):
# t_openapi_lint runs Redocly CLI's recommended rules over /v1/openapi.json.
tools=$(cd "$(dirname "$0")/.." && pwd)/var/tools
if command -v npm >/dev/null 2>&1 && [ ! -x "$tools/node_modules/.bin/redocly" ]; then
	echo "jiandu: installing @redocly/cli into $tools" >&2
	npm install --silent --no-audit --no-fund --prefix "$tools" @redocly/cli@2.77.0 >/dev/null
fi

missing=()
for p in "${packages[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing+=("$p")
	fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "jiandu: missing packages; run as root:" >&2
	echo "  apt-get install -y ${missing[*]}" >&2
	exit 1
fi
echo "jiandu: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# The packages start a system redis-server on port 6379 and a Prometheus
# server (we only want its promtool); jiandu runs its own Redis.
for unit in redis-server prometheus prometheus-node-exporter nginx; do
	if command -v systemctl >/dev/null 2>&1 && systemctl is-active -q "$unit" 2>/dev/null; then
		systemctl stop "$unit" || true
	fi
done
