#!/usr/bin/env bash
# The dashboard's npm packages (ui/package-lock.json: ECharts, esbuild,
# playwright-core, axe-core), installed exactly as locked with `npm ci`, and
# again only when the lockfile changed.  No browser is downloaded:
# playwright-core drives Debian's chromium (scripts/deps.sh).
set -euo pipefail
cd "$(dirname "$0")/../ui"
stamp=node_modules/.jd-lock-sha256
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
	exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
	echo "jiandu: npm is missing (scripts/deps.sh installs it as root)" >&2
	exit 1
fi
echo "jiandu: npm ci in ui/" >&2
PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error
echo "$want" >"$stamp"
