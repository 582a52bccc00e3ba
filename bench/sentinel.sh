#!/usr/bin/env bash
# What durability costs: writes through the api (POST /v1/example/notes,
# tests/faults/load.py, W kept-alive connections, unpaced) for S seconds each
# against the managed Redis (appendfsync always), a Sentinel-managed master
# with durability = local, and the same with durability = replica (WAIT 1
# after each write).  Reports figures; asserts nothing.
#   bench/sentinel.sh [build-dir] [seconds] [connections]
set -euo pipefail
cd "$(dirname "$0")/.."
JD_BUILD_DIR=$(cd "${1:-build}" && pwd)
secs=${2:-5}
workers=${3:-16}
export JD_BUILD_DIR
source tests/integration/lib.sh
source tests/integration/sentinel_lib.sh
LOAD=$JD_SOURCE_DIR/tests/faults/load.py

sentinel_topology "$JD_TMP/redis" || { echo "the Sentinel topology did not come up" >&2; exit 1; }
jd_instance "$JD_TMP/i" --load example
jd_set server log_level notice # lib.sh waits for "jiandud started"
ready() { [ "$(curl -s --cacert "$JD_DIR/tls/ca.crt" -o /dev/null -w '%{http_code}' "$(jd_api_url /readyz)")" = 200 ]; }

# run LABEL TENANT: S seconds of writes; prints a row.  A tenant per run: the
# instance's audit anchors hold the heads of the tenants written on the other Redis
run() {
	local out=$JD_TMP/$1.json
	jd_start
	jd_wait_for 100 ready
	python3 "$LOAD" write "$JD_DIR" "$JD_API_PORT" "$2" "$1" "$out" "$JD_TMP/never" 10000000 "$secs" "$workers" 1000000
	python3 - "$out" "$1" "$secs" <<'PY'
import json, sys
s = json.load(open(sys.argv[1])); c = s["codes"]
ok = c.get("201", 0)
print("| %s | %d | %.0f | %d |" % (sys.argv[2], ok, ok / float(sys.argv[3]),
                                   sum(v for k, v in c.items() if k != "201")))
PY
	jd_stop
}
echo "jiandud $("$JIANDUD" -V | cut -d' ' -f2), $(nproc) cores, $workers connections, ${secs}s each"
echo "| redis | writes acknowledged | per second | not acknowledged |"
echo "|---|---|---|---|"
run managed-fsync-always t1
jd_set redis sentinels "127.0.0.1:$SN1,127.0.0.1:$SN2,127.0.0.1:$SN3"
jd_set redis master_name "$SENTINEL_NAME"
run sentinel-local t2
jd_set redis durability replica
run sentinel-replica t3
