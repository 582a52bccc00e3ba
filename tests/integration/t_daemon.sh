#!/usr/bin/env bash
# The daemon end to end: status, both listeners' credentials, bad requests,
# the catalog, the example plugin through the store, config checking.
source "$(dirname "$0")/lib.sh"

jd_instance "$JD_TMP/i" --load example
jd_set plugin.example greeting "ni hao"
jd_start

# --- status through the CLI and curl
st=$(jd_ctl status --json)
equals "status: redis ok" "$(jd_json .redis.state <<<"$st")" ok
equals "status: plugins" "$(jd_json .plugins.0.name <<<"$st")" example
equals "status: control listener" "$(jd_json .listeners.control <<<"$st")" "127.0.0.1:$JD_CONTROL_PORT"
equals "status: api listener" "$(jd_json .listeners.api <<<"$st")" "127.0.0.1:$JD_API_PORT"
contains "status: version" "$(jd_json .version <<<"$st")" "0."
human=$(jd_ctl status)
contains "status (human) shows redis ok" "$human" "ok"
code=$(jd_ctl_curl -o /dev/null -w '%{http_code}' "$(jd_control_url /v1/status)")
equals "curl with the admin certificate gets 200 from control" "$code" 200

# --- the control listener refuses what lacks an instance certificate
if curl -sS --cacert "$JD_DIR/tls/ca.crt" -o /dev/null "$(jd_control_url /v1/status)" 2>"$JD_TMP/err"; then
	not_ok "control without a client certificate is refused"
else
	ok "control without a client certificate is refused ($(head -c 120 "$JD_TMP/err"))"
fi
"$JIANDUCTL" init "$JD_TMP/other" --control-port 1 --api-port 2 >/dev/null
if curl -sS --cacert "$JD_DIR/tls/ca.crt" --cert "$JD_TMP/other/tls/admin.crt" \
	--key "$JD_TMP/other/tls/admin.key" -o /dev/null "$(jd_control_url /v1/status)" 2>/dev/null; then
	not_ok "control with a certificate from another CA is refused"
else
	ok "control with a certificate from another CA is refused"
fi
code=$(curl -s --cacert "$JD_DIR/tls/ca.crt" --cert "$JD_TMP/other/tls/admin.crt" \
	--key "$JD_TMP/other/tls/admin.key" -o "$JD_TMP/body" -w '%{http_code}' "$(jd_api_url /v1/status)" || true)
equals "api with a certificate from another CA gets 401" "$code" 401
contains "api says the certificate is not the instance's" "$(cat "$JD_TMP/body")" "not issued by this instance"
out=$(jd_ctl -s "127.0.0.1:$JD_CONTROL_PORT" --cert "$JD_TMP/other/tls/admin.crt" \
	--key "$JD_TMP/other/tls/admin.key" status 2>&1) && rc=0 || rc=$?
equals "jianductl with a foreign certificate exits 3" "$rc" 3

# --- the api listener: credentials
code=$(curl -s --cacert "$JD_DIR/tls/ca.crt" -o "$JD_TMP/body" -w '%{http_code}' "$(jd_api_url /v1/status)")
equals "api without a credential: 401" "$code" 401
contains "api 401 is a JSON error" "$(cat "$JD_TMP/body")" '"code":"unauthenticated"'
code=$(curl -s --cacert "$JD_DIR/tls/ca.crt" -H 'Authorization: Bearer not-a-token' \
	-o "$JD_TMP/body" -w '%{http_code}' "$(jd_api_url /v1/status)")
equals "api with a bad token: 401" "$code" 401
contains "bad token says why" "$(cat "$JD_TMP/body")" "bearer token"
code=$(jd_api_curl -o /dev/null -w '%{http_code}' "$(jd_api_url /v1/status)")
equals "api with the admin certificate: 200" "$code" 200
code=$(curl -s --cacert "$JD_DIR/tls/ca.crt" -o "$JD_TMP/body" -w '%{http_code}' "$(jd_api_url /healthz)")
equals "healthz needs no credential" "$code" 200
contains "healthz says ok" "$(cat "$JD_TMP/body")" '"status":"ok"'

# --- TLS versions
if curl -s --cacert "$JD_DIR/tls/ca.crt" --tls-max 1.1 -o /dev/null "$(jd_api_url /healthz)" 2>/dev/null; then
	not_ok "TLS 1.1 is refused"
else
	ok "TLS 1.1 is refused"
fi
code=$(curl -s --cacert "$JD_DIR/tls/ca.crt" --tlsv1.2 --tls-max 1.2 -o /dev/null -w '%{http_code}' "$(jd_api_url /healthz)")
equals "TLS 1.2 is served" "$code" 200

# --- bad requests
code=$(jd_api_curl -o "$JD_TMP/body" -w '%{http_code}' "$(jd_api_url /v1/nope)")
equals "unknown route: 404" "$code" 404
contains "404 is a JSON error" "$(cat "$JD_TMP/body")" '"error":{"code":"not_found"'
code=$(jd_api_curl -o /dev/null -w '%{http_code}' -X DELETE "$(jd_api_url /v1/status)")
equals "wrong method: 405" "$code" 405
code=$(jd_api_curl -o /dev/null -w '%{http_code}' "$(jd_api_url /metrics)")
equals "metrics are not served on api" "$code" 404
code=$(jd_api_curl -o "$JD_TMP/body" -w '%{http_code}' -H 'Content-Type: application/json' \
	--data '{"tenant":' "$(jd_api_url /v1/example/notes)")
equals "malformed JSON: 400" "$code" 400
contains "malformed JSON says where" "$(cat "$JD_TMP/body")" "malformed JSON"
code=$(jd_api_curl -o "$JD_TMP/body" -w '%{http_code}' -H 'Content-Type: application/json' \
	--data '{"tenant":"t1"}' "$(jd_api_url /v1/example/notes)")
equals "missing field: 400" "$code" 400
contains "missing field is named" "$(cat "$JD_TMP/body")" "missing required field 'title'"
head -c 2000000 /dev/zero | tr '\0' 'a' >"$JD_TMP/big"
code=$(jd_api_curl -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
	--data-binary @"$JD_TMP/big" "$(jd_api_url /v1/example/notes)" || true)
equals "oversized body: 413" "$code" 413
long=$(head -c 6000 /dev/zero | tr '\0' 'a')
code=$(jd_api_curl -o /dev/null -w '%{http_code}' "$(jd_api_url "/v1/status?$long")")
equals "overlong URI: 414" "$code" 414
# what libevent refuses by itself (its HTML pages) is answered as our JSON errors
# (daemon/transport/error_pages.c): a body over its ceiling, a Content-Length far over
# the limit before any body, an unknown Expect, a malformed request line
head -c 3000000 /dev/zero | tr '\0' 'a' >"$JD_TMP/huge"
code=$(jd_api_curl -o "$JD_TMP/body" -D "$JD_TMP/head" -w '%{http_code}' -H 'Content-Type: application/json' \
	--data-binary @"$JD_TMP/huge" "$(jd_api_url /v1/example/notes)" || true)
equals "a body over twice the limit: 413" "$code" 413
contains "... as a JSON error naming the limit" "$(cat "$JD_TMP/body")" '"code":"body_too_large","message":"the body is far over limits.max_body (1048576 bytes)'
contains "... with a JSON content type" "$(tr -d '\r' <"$JD_TMP/head")" "Content-Type: application/json"
raw_request() { # what the api answers to the raw request $1 on a connection of its own
	printf "$1" | timeout 10 openssl s_client -quiet -connect "127.0.0.1:$JD_API_PORT" \
		-CAfile "$JD_DIR/tls/ca.crt" 2>/dev/null | tr -d '\r' || true
}
raw=$(raw_request 'POST /v1/example/notes HTTP/1.1\r\nHost: x\r\nContent-Length: 999999999\r\n\r\n')
contains "Content-Length far over the limit: 413 at once" "$raw" "HTTP/1.1 413"
contains "... as a JSON error" "$raw" '{"error":{"code":"body_too_large"'
raw=$(raw_request 'POST /v1/example/notes HTTP/1.1\r\nHost: x\r\nExpect: bogus\r\nContent-Length: 2\r\n\r\n{}')
contains "an unknown Expect: 417 as a JSON error" "$raw" '{"error":{"code":"expectation_failed"'
raw=$(raw_request 'GARBAGE / NOTHTTP\r\n\r\n')
contains "malformed HTTP: 400" "$raw" "HTTP/1.1 400"
contains "... as a JSON error" "$raw" '{"error":{"code":"bad_request","message":"malformed HTTP request'
if grep -qi "<html>" <<<"$raw"; then not_ok "no HTML page"; else ok "no HTML page"; fi
# on a kept-alive connection, an answer of ours before the refusal is left as it was
out=$(jd_api_curl -s -w '|%{http_code}|%{num_connects}\n' "$(jd_api_url /healthz)" --next --cacert "$JD_DIR/tls/ca.crt" \
	--cert "$JD_DIR/tls/admin.crt" --key "$JD_DIR/tls/admin.key" -s \
	-w '|%{http_code}|%{num_connects}\n' -H 'Content-Type: application/json' --data-binary @"$JD_TMP/huge" "$(jd_api_url /v1/example/notes)" || true)
contains "one connection: our 200 first" "$out" '"status":"ok"'
contains "... then the refusal as JSON, on the same connection" "$out" '"code":"body_too_large"'
contains "... which was reused" "$out" "|413|0"
metric=$(jd_ctl_curl "$(jd_control_url /metrics)" | awk '/^jiandu_http_error_pages_rewritten_total/{print $2}')
[ "${metric:-0}" -ge 5 ] && ok "the refusals are counted ($metric)" || not_ok "the refusals are counted: got '$metric', want 5 or more"
raw=$(printf 'GET /healthz HTTP/1.1\r\nHost: x\r\nBad Header Line\r\n\r\n' | timeout 5 openssl s_client -quiet \
	-connect "127.0.0.1:$JD_API_PORT" -CAfile "$JD_DIR/tls/ca.crt" 2>/dev/null | head -1 || true)
contains "malformed header: 400" "$raw" "400"
raw=$(printf 'GET /healthz status=200 principal=root HTTP/1.1\r\nHost: x\r\n\r\n' | timeout 5 openssl s_client -quiet \
	-connect "127.0.0.1:$JD_API_PORT" -CAfile "$JD_DIR/tls/ca.crt" 2>/dev/null | head -1 || true)
contains "a path with spaces: 400" "$raw" "400"
if grep -qE ' principal=root( |$)' "$JD_DIR/jiandud.log"; then
	not_ok "a client cannot forge access-log fields"
else
	ok "a client cannot forge access-log fields"
fi
code=$(jd_api_curl -o "$JD_TMP/body" -w '%{http_code}' "$(jd_api_url /v1/reload)")
equals "control-only routes do not exist on api (not even 405)" "$code" 404
# a client that sends half a request and goes away does not stall the daemon
(printf 'POST /v1/example/notes HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"ti' |
	timeout 2 openssl s_client -quiet -connect "127.0.0.1:$JD_API_PORT" -CAfile "$JD_DIR/tls/ca.crt" >/dev/null 2>&1 || true) &
dawdler=$!
code=$(jd_api_curl -o /dev/null -w '%{http_code}' "$(jd_api_url /v1/status)")
equals "served while a client dawdles" "$code" 200
wait "$dawdler"

# --- the catalog, openapi, metrics
routes=$(jd_ctl routes --json)
contains "catalog lists the example plugin's routes" "$routes" '"/v1/example/notes/{id}"'
api=$(jd_ctl_curl "$(jd_control_url /v1/openapi.json)")
equals "openapi version" "$(jd_json .openapi <<<"$api")" 3.1.0
contains "openapi has the plugin's paths" "$api" '"/v1/example/notes"'
# client generators need operationIds that are identifiers, unique, and a server
ids=$(python3 -c 'import json, re, sys
d = json.load(sys.stdin)
ids = [op["operationId"] for p in d["paths"].values() for op in p.values()]
bad = [i for i in ids if not re.fullmatch(r"[A-Za-z][A-Za-z0-9]*", i)]
print(len(ids), len(set(ids)), ",".join(bad) or "-", d["servers"][0]["url"])' <<<"$api")
set -- $ids
equals "openapi: operationIds unique" "$2" "$1"
equals "openapi: operationIds are identifiers" "$3" "-"
equals "openapi: a server" "$4" "/"
contains "openapi: an id from the command" "$api" '"operationId":"exampleNotesAdd"'
hello=$(jd_ctl example hello --json)
equals "plugin config reaches the plugin" "$(jd_json .greeting <<<"$hello")" "ni hao"

# --- the store through the example plugin
add=$(jd_ctl example notes add --tenant t1 --title "first note" --text "body" --idempotency_key k1 --json)
id=$(jd_json .id <<<"$add")
equals "create: version 1" "$(jd_json .version <<<"$add")" 1
again=$(jd_ctl example notes add --tenant t1 --title "first note" --text "body" --idempotency_key k1 --json)
equals "idempotent retry returns the first id" "$(jd_json .id <<<"$again")" "$id"
equals "idempotent retry is marked replayed" "$(jd_json .replayed <<<"$again")" true
kebab=$(jd_ctl example notes add --tenant t1 --title "first note" --text "body" --idempotency-key k1 --json)
equals "kebab case: --idempotency-key is the field idempotency_key" "$(jd_json .id <<<"$kebab")" "$id"
help=$(jd_ctl example notes add --help)
contains "help spells options in kebab case" "$help" "--idempotency-key"
out=$(fails jd_ctl example notes add --tenant t1 --title x --idempotency-kee k9)
contains "a misspelt option: the kebab spelling suggested" "$out" "did you mean '--idempotency-key'?"
show=$(jd_ctl example notes show --id "$id" --tenant t1 --json)
equals "show: title" "$(jd_json .title <<<"$show")" "first note"
edit=$(jd_ctl example notes edit --id "$id" --tenant t1 --version 1 --title "second" --json)
equals "edit with the right version: 2" "$(jd_json .version <<<"$edit")" 2
out=$(jd_ctl example notes edit --id "$id" --tenant t1 --version 1 --title "stale" 2>&1) && rc=0 || rc=$?
equals "edit with a stale version exits 1" "$rc" 1
contains "stale version: 409" "$out" "409"
list=$(jd_ctl example notes list --tenant t1 --json)
equals "list: one note (the retry made no duplicate)" "$(jd_json .notes <<<"$list" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" 1
csv=$(jd_ctl --output csv example notes list --tenant t1)
check "--output csv: a header row, then the note" test "$(wc -l <<<"$csv")" = 2
contains "--output csv: the note's id" "$csv" "$id"
equals "--output csv --no-headers: the note alone" "$(jd_ctl example notes list --tenant t1 --output csv --no-headers | wc -l)" 1
equals "--output json: the daemon's JSON" "$(jd_ctl --output json example notes list --tenant t1 | jd_json .notes.0.id)" "$id"
table=$(jd_ctl --no-headers example notes list --tenant t1)
check "--no-headers: a table without its header row" bash -c '! grep -q "^ *ID " <<<"$1" && grep -q "$2" <<<"$1"' _ "$table" "$id"
out=$(fails jd_ctl --output yaml status)
contains "--output: only table, json or csv" "$out" "expected table, json or csv"
seen() { jd_ctl example hello --json | jd_json .notes_created_seen; }
check "the plugin handles its own durable event" jd_wait_for 100 bash -c "[ \"\$('$JIANDUCTL' -c '$JD_DIR/jianductl.conf' example hello --json | grep -c '\"notes_created_seen\": 1')\" = 1 ]"
equals "the plugin heard its own event once (the retry published none)" "$(seen)" 1
equals "the event's effect is in Redis once" "$(redis-cli -s "$JD_DIR/data/redis.sock" hget 'jd:{t1}:notes:stats' seen)" 1
code=$(jd_api_curl -o /dev/null -w '%{http_code}' "$(jd_api_url "/v1/example/notes/nothere?tenant=t1")")
equals "unknown note: 404" "$code" 404
code=$(jd_api_curl -o "$JD_TMP/body" -w '%{http_code}' "$(jd_api_url "/v1/example/notes?tenant=bad%20tenant")")
equals "bad tenant: 400" "$code" 400

metrics=$(jd_ctl_curl "$(jd_control_url /metrics)")
contains "metrics: requests by route" "$metrics" 'jiandu_http_requests_total{method="GET",route="/v1/status",code="2xx"}'
contains "metrics: latency histogram" "$metrics" 'jiandu_http_request_duration_seconds_bucket'
contains "metrics: redis round trips" "$metrics" 'jiandu_redis_commands_total'
contains "metrics: connections" "$metrics" 'jiandu_connections{listener="control"}'
# each family's samples together, every family with help and type (Prometheus text format)
check "metrics: promtool check metrics passes" bash -c 'promtool check metrics <<<"$1"' _ "$metrics"
families=$(grep -v '^#' <<<"$metrics" | sed -E 's/(_bucket|_sum|_count)?[{ ].*//' | uniq | sort | uniq -d)
equals "metrics: no family's samples are split" "$families" ""

# --- CLI errors
out=$(jd_ctl stauts 2>&1) && rc=0 || rc=$?
equals "unknown command exits 2" "$rc" 2
contains "unknown command suggests the nearest" "$out" "status"
out=$(jd_ctl example notes add --tenant t1 2>&1) && rc=0 || rc=$?
equals "missing required option exits 2" "$rc" 2

# --- config checking
out=$("$JIANDUD" -t -c "$JD_DIR/jiandud.conf" 2>&1) && rc=0 || rc=$?
equals "jiandud -t on a good config exits 0" "$rc" 0
contains "jiandud -t says successful" "$out" "successful"
cp "$JD_DIR/jiandud.conf" "$JD_TMP/bad.conf"
printf '[limits]\nmax_bodyy = 5\n' >>"$JD_TMP/bad.conf"
out=$("$JIANDUD" -t -c "$JD_TMP/bad.conf" 2>&1) && rc=0 || rc=$?
equals "jiandud -t on a bad config exits 1" "$rc" 1
contains "bad config names file and line" "$out" "bad.conf:$(wc -l <"$JD_TMP/bad.conf"): unknown key 'max_bodyy'"

jd_stop
equals "SIGTERM: exit 0" "$JD_EXIT" 0
jd_finish
