#!/usr/bin/env bash
# The cases plugin with a review plugin (tests/plugins/review_stub.c speaks
# its events): the plugin announces itself, a concluded case goes to review
# (review.accepted), comes back for supplementary investigation
# (review.returned), is concluded again and reviewed (review.completed);
# only then does a leader record the decisions.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/cases_lib.sh"

mkdir -p "$JD_TMP/plugins"
ln -s "$JD_BUILD_DIR/plugins/cases.so" "$JD_TMP/plugins/cases.so"
ln -s "$JD_BUILD_DIR/tests/plugins/review_stub.so" "$JD_TMP/plugins/review_stub.so"
jd_instance "$JD_TMP/i" --load cases,review_stub
jd_set plugins dir "$JD_TMP/plugins"
jd_start
cases_org

lead=$(add_lead "$S1" ag1 audit)
quiet bearer "$L1" POST "/v1/cases/leads/$lead/assign" "{\"tenant\":\"$T\",\"team\":\"s2,s3\"}"
quiet bearer "$S1" POST "/v1/cases/leads/$lead/dispose" "{\"tenant\":\"$T\",\"way\":\"prelim_verification\"}"
quiet bearer "$L1" POST "/v1/cases/leads/$lead/approve" "{\"tenant\":\"$T\"}"
quiet bearer "$S1" POST "/v1/cases/leads/$lead/outcome" "{\"tenant\":\"$T\",\"outcome\":\"file\",\"report\":\"r\"}"
quiet bearer "$L1" POST "/v1/cases/leads/$lead/approve" "{\"tenant\":\"$T\"}"
no=$(jd_ctl cases file --tenant $T --id "$lead" --json | jd_json .case)
check "a case is filed" test -n "$no"
equals "the review plugin is known" "$(jd_ctl cases case show --tenant $T --id "$no" --json | jd_json .review_loaded)" true
state() { jd_ctl cases case show --tenant $T --id "$no" --json | jd_json .state; }
conclude() {
	quiet bearer "$S1" POST "/v1/cases/cases/$no/conclude" "{\"tenant\":\"$T\",\"report\":\"r\"}"
	quiet bearer "$L1" POST "/v1/cases/cases/$no/approve" "{\"tenant\":\"$T\"}"
}
quiet bearer "$S1" POST "/v1/cases/cases/$no/plan" "{\"tenant\":\"$T\"}"
quiet bearer "$L1" POST "/v1/cases/cases/$no/approve" "{\"tenant\":\"$T\"}"
conclude
check "review.accepted: in review" jd_wait_for 30 bash -c "[ \"\$('$JIANDUCTL' -c '$JD_DIR/jianductl.conf' cases case show --tenant $T --id $no --json | grep -c '\"state\": \"in_review\"')\" = 1 ]"
equals "no decision during review" "$(bearer "$L1" POST "/v1/cases/cases/$no/decide" "{\"tenant\":\"$T\",\"person\":1,\"party\":\"warning\"}")" 409
check "the review answers when told" quiet jd_ctl review_stub answer --tenant $T --case "$no"
check "review.returned: back to investigation" jd_wait_for 50 bash -c "[ \"\$('$JIANDUCTL' -c '$JD_DIR/jianductl.conf' cases case show --tenant $T --id $no --json | grep -c '\"state\": \"investigating\"')\" = 1 ]"
conclude
check "accepted again" jd_wait_for 30 bash -c "[ \"\$('$JIANDUCTL' -c '$JD_DIR/jianductl.conf' cases case show --tenant $T --id $no --json | grep -c '\"state\": \"in_review\"')\" = 1 ]"
quiet jd_ctl review_stub answer --tenant $T --case "$no"
check "review.completed: reviewed" jd_wait_for 50 bash -c "[ \"\$('$JIANDUCTL' -c '$JD_DIR/jianductl.conf' cases case show --tenant $T --id $no --json | grep -c '\"state\": \"reviewed\"')\" = 1 ]"
equals "the leader decides after review" "$(bearer "$L1" POST "/v1/cases/cases/$no/decide" "{\"tenant\":\"$T\",\"person\":1,\"party\":\"warning\"}")" 200
equals "decided" "$(state)" decided
check "the review's steps are audited" bash -c \
	"redis-cli -s '$JD_DIR/data/redis.sock' XRANGE 'jd:{$T}:audit' - + | grep -q 'cases.case.review.return'"

jd_stop
equals "SIGTERM: exit 0" "$JD_EXIT" 0
jd_finish
