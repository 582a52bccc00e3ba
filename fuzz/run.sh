#!/usr/bin/env bash
# Builds the libFuzzer targets with clang and runs each for SECONDS (default 60).
#   fuzz/run.sh [seconds]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-60}
JD_WITH_TOOLS=1 scripts/deps.sh
cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang -DJD_FUZZ=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build build-fuzz -j "$(nproc)" --target fuzz_request_input fuzz_config fuzz_sealed
for f in fuzz_request_input fuzz_config fuzz_sealed; do
	mkdir -p "build-fuzz/corpus/$f"
	echo "== $f (${secs}s)"
	"build-fuzz/$f" -max_total_time="$secs" -max_len=4096 "build-fuzz/corpus/$f" "fuzz/seeds/$f" 2>&1 |
		grep -E '^#[0-9]+ +DONE|ERROR|SUMMARY|crash-|cov:' | tail -3
done
