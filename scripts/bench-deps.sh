#!/usr/bin/env bash
# What make bench needs beyond the build's packages: wrk and nginx (Debian's
# nginx-light: the static TLS ceiling of bench/bench.sh), through scripts/deps.sh.
exec env JD_WITH_BENCH=1 "$(dirname "$0")/deps.sh"
