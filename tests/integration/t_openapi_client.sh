#!/usr/bin/env bash
# A client generated from the live daemon's /v1/openapi.json registers a
# lead and reads it back: @hey-api/openapi-ts writes a TypeScript client,
# tsc compiles it in strict mode with tests/openapi-client/lead.ts (so the
# document's types must hold: required fields, path and query parameters,
# the error body), and Node runs it against the instance over TLS verified
# by the instance's CA.  The packages come pinned by
# tests/openapi-client/package-lock.json (scripts/npm-deps.sh, make deps).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/cases_lib.sh"

SRC=$JD_SOURCE_DIR/tests/openapi-client
BIN=$SRC/node_modules/.bin
check "the generator is installed (make deps)" test -x "$BIN/openapi-ts"
check "TypeScript is installed (make deps)" test -x "$BIN/tsc"

jd_instance "$JD_TMP/i" --load cases
jd_start
cases_org

# --- generate from the document the api listener serves
work=$JD_TMP/client
mkdir -p "$work"
cp "$SRC/lead.ts" "$SRC/tsconfig.json" "$work/"
ln -s "$SRC/node_modules" "$work/node_modules"
jd_ctl_curl -o "$work/openapi.json" "$(jd_api_url /v1/openapi.json)"
check "the document names the lead's operations" grep -q '"operationId":"casesLeadsAdd"' "$work/openapi.json"
out=$(cd "$work" && "$BIN/openapi-ts" -i openapi.json -o gen 2>&1) || not_ok "openapi-ts: $out"
check "the client is generated" test -f "$work/gen/sdk.gen.ts"
check "a function per operationId" grep -q 'export const casesLeadsShow' "$work/gen/sdk.gen.ts"
check "the error body is typed" grep -q 'export type ApiError' "$work/gen/types.gen.ts"
out=$(cd "$work" && "$BIN/tsc" -p . 2>&1) || not_ok "tsc: $out"
check "it compiles in strict mode" test -f "$work/out/lead.js"

# --- run it: a staff member of ag1 registers a lead and reads it back
marker="M$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')"
run_client() {
	(cd "$work" && JD_API="$(jd_api_url '')" JD_TOKEN="$S1" JD_TENANT="$T" JD_MARKER="$marker" \
		node out/lead.js)
}
res=$(NODE_EXTRA_CA_CERTS=$JD_DIR/tls/ca.crt run_client 2>&1) || not_ok "the client ran: $res"
lead=$(jd_json .id <<<"$res")
check "a lead is registered" grep -Eq '^[0-9a-f]{32}$' <<<"$lead"
equals "registered" "$(jd_json .state <<<"$res")" registered
equals "read back" "$(jd_json .read_state <<<"$res")" registered
equals "its subject opened" "$(jd_json .subject <<<"$res")" "王某$marker"
equals "its allegation opened" "$(jd_json .allegation <<<"$res")" "收受礼金 $marker"
equals "an unknown lead: 404" "$(jd_json .missing_status <<<"$res")" 404
equals "the error body's code, typed" "$(jd_json .missing_code <<<"$res")" not_found
equals "a bad source: 400" "$(jd_json .refused_status <<<"$res")" 400
contains "the error names the field" "$(jd_json .refused_message <<<"$res")" "field 'source'"

# the daemon has it: the CLI reads the same lead
show=$(jd_ctl cases leads show --tenant $T --id "$lead" --json)
equals "the CLI reads the client's lead" "$(jd_json .subjects.0.name <<<"$show")" "王某$marker"

# TLS is verified: without the instance's CA the client cannot connect
out=$(run_client 2>&1) && not_ok "an untrusted daemon is refused: it ran" ||
	contains "an untrusted daemon is refused" "$out" "lead.ts: register: no answer"
contains "for its certificate" "$out" "certificate"

jd_finish
