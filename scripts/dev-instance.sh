#!/usr/bin/env bash
# Creates the development instance in DIR (default var/dev) if there is none.
set -euo pipefail
build=${1:-build}
dir=${2:-var/dev}
if [ -f "$dir/jiandud.conf" ]; then
	echo "jiandu: using the existing instance in $dir"
	exit 0
fi
mkdir -p "$(dirname "$dir")"
"$build/jianductl" init "$dir" --plugins-dir "$(cd "$build" && pwd)/plugins"
