#!/usr/bin/env bash
# The fault suite (tests/faults/run.sh, `make faults`), shortened: a lighter load
# and fewer writes around each fault; the same faults and the same failures (an
# acknowledged write missing, a 500, audit damage not named).
export FAULT_RATE=${FAULT_RATE:-80}
export FAULT_WARM=${FAULT_WARM:-60}
export FAULT_WRITES=${FAULT_WRITES:-2000}
export FAULT_SECONDS=${FAULT_SECONDS:-40}
exec bash "$(dirname "$0")/../faults/run.sh"
