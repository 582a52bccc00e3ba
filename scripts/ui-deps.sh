#!/usr/bin/env bash
# The dashboard's npm packages (ui/package-lock.json: ECharts, esbuild,
# playwright-core, axe-core), exactly as locked: scripts/npm-deps.sh.
exec "$(dirname "$0")/npm-deps.sh" ui
