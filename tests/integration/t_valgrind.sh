#!/usr/bin/env bash
# valgrind over a start, 1,000 requests, the organization (import, report, export,
# rotation, conflicts) and the cases plugin (a lead, the figures), and a stop: no leak,
# no memory error.
# (The sanitizer build checks the same paths with ASan; valgrind runs on the plain build.)
source "$(dirname "$0")/lib.sh"

if [ "${JD_SANITIZE:-OFF}" = ON ]; then
	echo "valgrind cannot run a sanitizer build; covered by the plain build"
	jd_finish
	exit 0
fi

jd_instance "$JD_TMP/i" --load example,cases
jd_start_valgrind() {
	JIANDUD_REAL=$JIANDUD
	JIANDUD="valgrind --leak-check=full --show-leak-kinds=definite,indirect,possible
		--errors-for-leak-kinds=definite,indirect,possible --error-exitcode=99
		--log-file=$JD_DIR/valgrind.log $JIANDUD_REAL"
	# shellcheck disable=SC2086
	$JIANDUD -c "$JD_DIR/jiandud.conf" >>"$JD_DIR/jiandud.log" 2>&1 &
	JD_PID=$!
	JIANDUD=$JIANDUD_REAL
	jd_wait_for 600 curl -sk -o /dev/null "https://127.0.0.1:$JD_API_PORT/healthz"
}
check "jiandud starts under valgrind" jd_start_valgrind

jd_ctl example notes add --tenant t1 --title one >/dev/null
urls() {
	local n=$1 path=$2 i
	for i in $(seq 1 "$n"); do echo "url = \"$(jd_api_url "$path")\""; echo "output = /dev/null"; done
}
{
	urls 300 /v1/status
	urls 300 "/v1/example/notes?tenant=t1"
	urls 200 /healthz
	urls 100 /v1/nothing
} >"$JD_TMP/urls"
codes=$(jd_api_curl -K "$JD_TMP/urls" -w '%{http_code}\n' | sort | uniq -c | tr -s ' ' | tr '\n' ';')
contains "800 answers of 200" "$codes" "800 200"
contains "100 answers of 404" "$codes" "100 404"
{
	echo 'data = "{\"tenant\":\"t1\",\"title\":\"n\"}"'
	echo 'header = "Content-Type: application/json"'
	for i in $(seq 1 100); do echo "url = \"$(jd_api_url /v1/example/notes)\""; echo "output = /dev/null"; done
} >"$JD_TMP/posts"
codes=$(jd_api_curl -K "$JD_TMP/posts" -w '%{http_code}\n' | sort | uniq -c | tr -s ' ' | tr '\n' ';')
contains "100 creates" "$codes" "100 201"

# the organization and the cases plugin: import, report, rotation, conflicts, a lead, figures
src=${JD_SOURCE_DIR:-$(dirname "$0")/../..}
quiet jd_ctl org tenants add --code 590000 --name 示范省 --level province
quiet jd_ctl org tenants add --code 590100 --name 示范市 --level city --parent 590000
quiet jd_ctl org tenants add --code 590102 --name 东城区 --level county --parent 590100 \
	--centralized true --centralized_since 2024-03-01 --modes area
check "org import under valgrind" quiet jd_ctl org import --tenant 590102 "$src"/conf/examples/area/*.csv
check "org report" quiet jd_ctl org report --tenant 590000 --json
check "org export" quiet jd_ctl org export --tenant 590102 --dir "$JD_TMP/export"
check "rotation proposal" quiet jd_ctl groups rotate --tenant 590102 --year 2027 --json
check "conflict check" quiet jd_ctl org conflicts --tenant 590102 \
	--person "$(jd_ctl org people list --tenant 590102 --json | py 'j["people"][0]["id"]')" --unit ag01
check "a lead" quiet jd_ctl cases leads add --tenant 590102 --source letters_visits --unit ag01 \
	--subject_name 某某 --allegation "allegation text"
check "the figures" quiet jd_ctl cases stats --tenant 590102 --from 2026-01-01 --to 2026-12-31 --json

kill -TERM "$JD_PID"
JD_EXIT=0
wait "$JD_PID" || JD_EXIT=$?
JD_PID=
equals "valgrind: no errors, no leaks (exit 0)" "$JD_EXIT" 0
if [ "$JD_EXIT" != 0 ]; then grep -E 'definitely|indirectly|possibly|Invalid|uninitialised' -A12 "$JD_DIR/valgrind.log" | head -80; fi
grep -E 'ERROR SUMMARY|in use at exit|All heap blocks|definitely lost|indirectly lost|possibly lost' "$JD_DIR/valgrind.log" | sed 's/^==[0-9]*== /valgrind: /'
jd_finish
