#!/usr/bin/env bash
# valgrind over a start, 1,000 requests and a stop: no leak, no memory error.
# (The sanitizer build checks the same paths with ASan; valgrind runs on the plain build.)
source "$(dirname "$0")/lib.sh"

if [ "${JD_SANITIZE:-OFF}" = ON ]; then
	echo "valgrind cannot run a sanitizer build; covered by the plain build"
	jd_finish
	exit 0
fi

jd_instance "$JD_TMP/i" --load example
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

kill -TERM "$JD_PID"
JD_EXIT=0
wait "$JD_PID" || JD_EXIT=$?
JD_PID=
equals "valgrind: no errors, no leaks (exit 0)" "$JD_EXIT" 0
if [ "$JD_EXIT" != 0 ]; then grep -E 'definitely|indirectly|possibly|Invalid|uninitialised' -A12 "$JD_DIR/valgrind.log" | head -80; fi
grep -E 'ERROR SUMMARY|in use at exit|All heap blocks|definitely lost|indirectly lost|possibly lost' "$JD_DIR/valgrind.log" | sed 's/^==[0-9]*== /valgrind: /'
jd_finish
