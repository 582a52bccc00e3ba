#!/usr/bin/env bash
# The supervision plugin's dispatch orders (派单) by the organization's
# groups: to units and to the group's own sub-groups (whose leader or
# members act for them), the lead policies (a rotating lead takes the
# rotation's next receiving unit; under the division of responsibility
# each receiving unit keeps its share, a unit without one is refused), and
# the assessment: only the issuing group's leader (the caller's linked
# person against the organization), the instance admin overriding with a
# reason that is kept and audited.  Then recount: no drift.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/sup_lib.sh"

jd_instance "$JD_TMP/i" --load cases,supervision
jd_start
cases_org
P_L2=$(jd_ctl org people add --tenant $T --name 钱五 --post leader --unit of1 --start 2019-01-01 --json | jd_json .id)
quiet jd_ctl users add --id l2 --roles leader --tenants $T --person "$T/$P_L2"
L2=$(jd_token_for l2)
# sub-group tf1-a of tf1 (no leader of its own), its member 张三 (user s3, of ag2)
quiet jd_ctl org groups add --tenant $T --code tf1-a --kind sub_group --parent tf1 --function general \
	--name 综合组 --members "$P_S3"
quiet jd_ctl org groups add --tenant $T --code jg1 --kind joint_group --name 国企金融协作组 \
	--leader "$P_L2" --units ag1,ag2,ag3 --policy division --shares "ag1:党群综合;ag2:国企金融;ag3:公安政法"
quiet jd_ctl org groups add --tenant $T --code jg2 --kind joint_group --name 党群协作组 \
	--leader "$P_L2" --units ag1,ag2,ag3 --policy rotating --rotation ag2,ag3,ag1

# --- an order of tf1 to unit ag1 and to its sub-group tf1-a
add=$(jd_ctl supervision tasks add --tenant $T --group tf1 --title 月度任务 --kind coordinated_supervision \
	--units ag1 --sub_groups tf1-a --due 2026-03-31 --date 2026-03-01 --json)
t1=$(jd_json .id <<<"$add")
show=$(jd_ctl supervision tasks show --tenant $T --id "$t1" --json)
equals "the sub-group receives it" "$(py 'j["u.tf1-a"]' <<<"$show")" issued
equals "the lead unit: ag1" "$(jd_json .lead_unit <<<"$show")" ag1
out=$(fails jd_ctl supervision tasks add --tenant $T --group tf1 --title x --kind coordinated_supervision \
	--sub_groups jg1 --due 2026-03-31 --date 2026-03-01)
contains "only the group's own sub-groups" "$out" "not an active sub-group of tf1"
out=$(fails jd_ctl supervision tasks add --tenant $T --group tf1 --title x --kind coordinated_supervision \
	--due 2026-03-31 --date 2026-03-01)
contains "some receiver" "$out" "units or sub-groups"
t0=$(jd_ctl supervision tasks add --tenant $T --group tf1 --title 仅子组 --kind coordinated_supervision \
	--sub_groups tf1-a --due 2026-03-31 --date 2026-03-01 --json | jd_json .id)
check "an order to a sub-group alone" test -n "$t0"
equals "s1 (ag1, not of tf1-a) cannot sign for tf1-a: 403" \
	"$(sup_post "$S1" "/v1/supervision/tasks/$t1/sign" '"unit":"tf1-a","date":"2026-03-02"')" 403
contains "the rule named" "$(body)" "leader or a member of sub-group tf1-a"
equals "s3, its member, signs" "$(sup_post "$S3" "/v1/supervision/tasks/$t1/sign" '"unit":"tf1-a","date":"2026-03-02"')" 200
equals "s1 signs for ag1" "$(sup_post "$S1" "/v1/supervision/tasks/$t1/sign" '"unit":"ag1","date":"2026-03-02"')" 200
equals "s3 submits for tf1-a" "$(sup_post "$S3" "/v1/supervision/tasks/$t1/submit" '"unit":"tf1-a","note":"完成","date":"2026-03-20"')" 200
equals "s1 submits: complete" "$(sup_post "$S1" "/v1/supervision/tasks/$t1/submit" '"unit":"ag1","date":"2026-03-21"')" 200
equals "submitted" "$(jd_json .state <"$JD_TMP/b")" submitted

# --- the assessment: tf1's leader (l1) only; l2 is a leader, not tf1's
equals "l2 cannot assess tf1's order: 403" "$(sup_post "$L2" "/v1/supervision/tasks/$t1/assess" '"unit":"ag1","score":90,"date":"2026-03-25"')" 403
contains "the group leader named" "$(body)" "only the leader of the issuing group tf1 (person $P_L1)"
equals "l1 assesses ag1" "$(sup_post "$L1" "/v1/supervision/tasks/$t1/assess" '"unit":"ag1","score":90,"date":"2026-03-25"')" 200
out=$(fails jd_ctl supervision tasks assess-override --tenant $T --id "$t1" --unit tf1-a --score 80)
contains "the override needs a reason" "$out" "reason"
out=$(jd_ctl supervision tasks assess-override --tenant $T --id "$t1" --unit tf1-a --score 80 \
	--reason "组长回避" --date 2026-03-26 --json)
equals "the admin overrides for tf1-a" "$(jd_json .state <<<"$out")" assessed
show=$(jd_ctl supervision tasks show --tenant $T --id "$t1" --json)
equals "the reason kept" "$(py 'j["tf1-a.override"]' <<<"$show")" 组长回避
equals "the sub-group's score" "$(py 'j["a.tf1-a"]' <<<"$show")" "80|2026-03-26"
audited() { jd_ctl audit search --tenant $T --json | grep -q supervision.task.assess.override; }
check "the override audited" jd_wait_for 50 audited

# --- division of responsibility (jg1): each receiving unit's share; a unit without one refused
t2=$(jd_ctl supervision tasks add --tenant $T --group jg1 --title 国企专项 --kind special_rectification \
	--units ag2,ag3 --due 2026-04-30 --date 2026-04-01 --json | jd_json .id)
show=$(jd_ctl supervision tasks show --tenant $T --id "$t2" --json)
equals "ag2 answers for its share" "$(py 'j["u.ag2.share"]' <<<"$show")" 国企金融
equals "ag3 for its" "$(py 'j["u.ag3.share"]' <<<"$show")" 公安政法
equals "the policy kept" "$(jd_json .policy <<<"$show")" division
out=$(fails jd_ctl supervision tasks add --tenant $T --group jg1 --title x --kind special_rectification \
	--units ag1,tw1 --due 2026-04-30 --date 2026-04-01)
contains "tw1 has no share" "$out" "unit tw1 has no share"

# --- rotating lead (jg2: ag2, ag3, ag1 in turn), the next receiving unit
lead_of() { jd_ctl supervision tasks add --tenant $T --group jg2 --title r --kind joint_case_handling \
	--units "$1" --due 2026-04-30 --date 2026-04-01 --json | jd_json .id |
	xargs -I{} "$JIANDUCTL" -c "$JD_DIR/jianductl.conf" supervision tasks show --tenant $T --id {} --json |
	jd_json .lead_unit; }
equals "the first order: ag2 leads" "$(lead_of ag1,ag2,ag3)" ag2
equals "the second: ag3" "$(lead_of ag1,ag2,ag3)" ag3
equals "the third, ag1 and ag2: ag1" "$(lead_of ag1,ag2)" ag1
equals "the fourth, ag1 and ag3 (ag2 does not receive it): ag3" "$(lead_of ag1,ag3)" ag3

rc=$(jd_ctl supervision recount --tenant $T --json)
equals "recount: no drift" "$(jd_json .drift <<<"$rc")" 0

jd_stop
equals "clean exit" "$JD_EXIT" 0
jd_no_sanitizer_report
jd_finish
