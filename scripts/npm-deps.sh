#!/usr/bin/env bash
# scripts/npm-deps.sh DIR...: the npm packages of each DIR (its
# package-lock.json), installed exactly as locked with `npm ci`, and again
# only when the lockfile changed.  ui/ (the dashboard: ECharts, esbuild,
# playwright-core, axe-core; scripts/ui-deps.sh) and tests/openapi-client/
# (the client generator and TypeScript of t_openapi_client).  No browser is
# downloaded: playwright-core drives Debian's chromium (scripts/deps.sh).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
if ! command -v npm >/dev/null 2>&1; then
	echo "jiandu: npm is missing (scripts/deps.sh installs it as root)" >&2
	exit 1
fi
for dir in "$@"; do
	cd "$root/$dir"
	stamp=node_modules/.jd-lock-sha256
	want=$(sha256sum package-lock.json | cut -d' ' -f1)
	if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
		continue
	fi
	echo "jiandu: npm ci in $dir/" >&2
	PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error
	echo "$want" >"$stamp"
done
