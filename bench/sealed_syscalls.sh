#!/usr/bin/env bash
# The system calls jiandud makes for sealed reads: strace -c on the daemon
# while N requests read a note with two sealed fields (its text under the
# tenant's key, its source under the note's own record key).  Reports the
# counts; asserts nothing.  Guarded allocations per operation showed here
# as mprotect/mmap/mlock/munmap (docs/security.md, "Keys").
#   bench/sealed_syscalls.sh [build-dir] [requests]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
n=${2:-200}
command -v strace >/dev/null || { echo "strace is needed (apt-get install strace)" >&2; exit 1; }
tmp=$(mktemp -d /tmp/jdbench.XXXXXX)
trap 'kill -TERM $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$tmp"' EXIT
. bench/instance.sh
bench_instance "$build" "$tmp" 27443 28443 example
ctl() { "$build/jianductl" -c "$tmp/i/jianductl.conf" "$@"; }
id=$(ctl example notes add --tenant t1 --title x --text "secret text" --source "a source" --json |
	python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
tls=(--cacert "$tmp/i/tls/ca.crt" --cert "$tmp/i/tls/admin.crt" --key "$tmp/i/tls/admin.key")
url="https://127.0.0.1:28443/v1/example/notes/$id?tenant=t1"
curl -s "${tls[@]}" "$url" >/dev/null # the tenant's key loaded
strace -c -f -p "$pid" -o "$tmp/strace" &
spid=$!
sleep 0.5 # strace attaches asynchronously; what it would miss only lowers the counts
urls=()
for _ in $(seq 1 "$n"); do urls+=("$url"); done
curl -s "${tls[@]}" "${urls[@]}" >/dev/null
kill -INT "$spid"
wait "$spid" || true
echo "jiandud system calls over $n sealed reads (two fields each), strace -c:"
awk 'NR > 2 && !/^-/ {print $NF, ($5 ~ /^[0-9]+$/ && NF == 6) ? $4 : $4}' "$tmp/strace" | column -t
