#!/usr/bin/env bash
# /v1/openapi.json of a daemon with every plugin passes an OpenAPI linter's
# recommended rules (Redocly CLI, installed by scripts/deps.sh into var/tools):
# operationIds a client generator can use, servers, valid schemas.
source "$(dirname "$0")/lib.sh"

REDOCLY=$JD_SOURCE_DIR/var/tools/node_modules/.bin/redocly
check "the linter is installed (scripts/deps.sh)" test -x "$REDOCLY"

jd_instance "$JD_TMP/i"
jd_start
jd_ctl_curl "$(jd_control_url /v1/openapi.json)" >"$JD_TMP/openapi.json"
check "every plugin's paths are in it" grep -q '/v1/training/' "$JD_TMP/openapi.json"
rc=0
out=$(REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true \
	"$REDOCLY" lint --format=stylish "$JD_TMP/openapi.json" 2>&1) || rc=$?
echo "$out" | grep -E '(error|warning) ' | head -20 || true
equals "redocly lint, recommended rules: no error" "$rc" 0
check "no operationId problem" bash -c '! grep -q "operationId" <<<"$1"' _ "$out"
check "no servers problem" bash -c '! grep -q "no-empty-servers\|servers" <<<"$1"' _ "$out"

jd_finish
