#!/usr/bin/env bash
# The managed redis-server: started with the daemon, append-only and fsync
# always, restarted when it dies, stopped with the daemon.
source "$(dirname "$0")/lib.sh"

jd_instance "$JD_TMP/i" --load example
jd_start

sock=$JD_DIR/data/redis.sock
check "managed redis socket exists" test -S "$sock"
equals "appendonly is on" "$(redis-cli -s "$sock" config get appendonly | tail -1)" yes
equals "appendfsync is always" "$(redis-cli -s "$sock" config get appendfsync | tail -1)" always
# the append-only files hold every record: only their owner reads them
modes=$(find "$JD_DIR/data" -mindepth 1 \( -path '*appendonlydir*' -o -name 'redis.log' \) -printf '%m %p\n')
check "append-only files exist" grep -q 'appendonlydir/' <<<"$modes"
if grep -Ev '^(600|700) ' <<<"$modes"; then
	not_ok "append-only files are 0600 (dirs 0700): $modes"
else
	ok "append-only files are 0600 (dirs 0700)"
fi
st=$(jd_ctl status --json)
equals "status: managed redis" "$(jd_json .redis.mode <<<"$st")" managed
add=$(jd_ctl example notes add --tenant t1 --title "kept on disk" --json)
id=$(jd_json .id <<<"$add")

rpid=$(redis-cli -s "$sock" info server | tr -d '\r' | awk -F: '/^process_id/{print $2}')
kill -KILL "$rpid"
restarted() {
	local p
	p=$(redis-cli -s "$sock" info server 2>/dev/null | tr -d '\r' | awk -F: '/^process_id/{print $2}')
	[ -n "$p" ] && [ "$p" != "$rpid" ]
}
# while it restarts and loads its append-only file: 503s (with Retry-After), never a 500,
# and /readyz not ready until a write goes through
codes=
readyz() { curl -s --cacert "$JD_DIR/tls/ca.crt" -o /dev/null -w '%{http_code}' "$(jd_api_url /readyz)"; }
for _ in $(seq 1 300); do
	codes+=" $(jd_api_curl -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
		-d '{"tenant":"t1","title":"during the restart"}' "$(jd_api_url /v1/example/notes)")"
	restarted && [ "$(readyz)" = 200 ] && break
done
equals "readyz: ready again after the restart" "$(readyz)" 200
if grep -qv ' 201\| 503' <<<"$(tr ' ' '\n' <<<"$codes" | sed '/^$/d; s/^/ /')"; then
	not_ok "writes during the restart: only 201 or 503: $codes"
else
	ok "writes during the restart: only 201 or 503"
fi
check "a killed managed redis is restarted" jd_wait_for 100 restarted
shown() { jd_ctl example notes show --id "$id" --tenant t1 --json; }
check "jiandud reconnects by itself" jd_wait_for 100 shown
equals "the acknowledged write survived (append-only file)" "$(jd_json .title <<<"$(shown)")" "kept on disk"

newpid=$(redis-cli -s "$sock" info server | tr -d '\r' | awk -F: '/^process_id/{print $2}')
jd_stop
equals "SIGTERM: exit 0" "$JD_EXIT" 0
if kill -0 "$newpid" 2>/dev/null; then not_ok "managed redis stopped with jiandud"; else ok "managed redis stopped with jiandud"; fi
jd_finish
