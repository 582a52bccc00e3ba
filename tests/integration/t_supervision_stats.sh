#!/usr/bin/env bash
# The supervision plugin's figures on a fixture county with known answers:
# talks (person-times, leaders, key posts), letters, items issued /
# rectified / on time / overdue now, rules, look-backs and the rebound
# rate, dispatch orders per group with their assessment (a 1+N matter has
# one assessment), leads raised; the previous year's comparison; unit,
# group and roll-up filters; the CLI's table, --json and --csv; recount
# finds no drift, finds and fixes a tampered counter.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/sup_lib.sh"

jd_instance "$JD_TMP/i" --load cases,supervision
jd_start
sock=$JD_DIR/data/redis.sock
cases_org
quiet jd_ctl org groups add --tenant $T --code m1 --kind matter --name 1+N专项 --units ag1,ag2,ag3 \
	--leader "$P_L1"

# the fixture: year Y and the year before, P (both in the past)
Y=$(($(date +%Y) - 1))
P=$((Y - 1))
cli() { jd_ctl supervision "$@" --json | jd_json .id; }
talk() { quiet jd_ctl supervision talks add --tenant $T --unit "$1" --supervised 单位 --persons "$2" \
	--leaders "$3" --key_posts "$4" --reason r --date "$5"; }
talk ag1 5 2 3 "$Y-01-05"
talk ag2 4 1 2 "$Y-02-05"
talk ag1 10 3 5 "$Y-03-05"
talk ag1 8 2 4 "$P-03-05"
letter() { quiet jd_ctl supervision letters add --tenant $T --kind "$1" --unit ag1 --supervised x \
	--reply_due "$2" --date "$3"; }
letter prompt "$Y-02-28" "$Y-01-20"
letter prompt "$Y-03-28" "$Y-02-20"
letter recommendation "$Y-04-28" "$Y-03-20"
letter prompt "$P-02-28" "$P-01-20"
rule() { quiet jd_ctl supervision rules add --tenant $T --unit "$1" --title r --date "$2"; }
rule ag2 "$Y-04-01"
rule ag2 "$Y-05-01"
rule ag1 "$P-05-01"

# close TOKEN ITEM DATE: the ladder from issued to closed (TOKEN: the rectifying unit's)
close_item() {
	local tok=$1 it=$2 d=$3
	quiet sup_post "$tok" "/v1/supervision/items/$it/plan" "\"plan\":\"p\",\"date\":\"$d\""
	quiet sup_post "$tok" "/v1/supervision/items/$it/start" "\"date\":\"$d\""
	quiet sup_post "$tok" "/v1/supervision/items/$it/request-close" "\"evidence\":\"e\",\"date\":\"$d\""
	quiet sup_post "$L1" "/v1/supervision/items/$it/review" "\"result\":\"passed\",\"date\":\"$d\""
	sup_post "$L1" "/v1/supervision/items/$it/close" "\"date\":\"$d\""
}
A=$(sup_item "$S1" ag2 ag1 "$Y-03-31" "\"date\":\"$Y-01-10\"")
B=$(sup_item "$S1" ag2 ag1 "$Y-01-31" "\"date\":\"$Y-01-10\"")
C=$(sup_item "$S1" ag2 ag1 "$Y-03-31" "\"date\":\"$Y-02-01\"")
D=$(sup_item "$L1" ag1 of1 "$Y-04-30" "\"date\":\"$Y-03-01\"")
E=$(sup_item "$S1" ag2 ag1 "$P-04-30" "\"date\":\"$P-03-01\"")
F=$(sup_item "$L1" ag1 of1 "$P-06-15" "\"date\":\"$P-05-01\"")
equals "A closed on time" "$(close_item "$S2" "$A" "$Y-02-12")" 200
equals "B closed late" "$(close_item "$S2" "$B" "$Y-02-20")" 200
equals "D closed" "$(close_item "$S1" "$D" "$Y-04-20")" 200
equals "E closed" "$(close_item "$S2" "$E" "$P-04-10")" 200
equals "A looked back: passed" "$(sup_post "$L1" "/v1/supervision/items/$A/lookback" "\"result\":\"passed\",\"date\":\"$Y-05-20\"")" 200
equals "B looked back: rebound" "$(sup_post "$L1" "/v1/supervision/items/$B/lookback" "\"result\":\"rebound\",\"date\":\"$Y-05-25\",\"deadline\":\"$Y-06-30\"")" 200

# orders: task force tf1 assesses per unit; the 1+N matter m1 once for all
t1=$(cli tasks add --tenant $T --group tf1 --title 月度任务 --kind coordinated_supervision \
	--units ag1,ag2 --due "$Y-03-31" --date "$Y-03-01" --period "$Y-03")
t2=$(cli tasks add --tenant $T --group m1 --title 专项整治 --kind special_rectification \
	--units ag1,ag2,ag3 --due "$Y-04-30" --date "$Y-04-01")
t3=$(cli tasks add --tenant $T --group tf1 --title 上年任务 --kind joint_case_handling \
	--units ag1 --due "$P-03-31" --date "$P-03-01")
equals "the lead unit: the first" "$(jd_ctl supervision tasks show --tenant $T --id "$t1" --json | jd_json .lead_unit)" ag1
code=$(sup_post "$S1" "/v1/supervision/tasks/$t1/sign" "\"unit\":\"ag2\",\"date\":\"$Y-03-02\"")
equals "s1 cannot sign for ag2: 403" "$code" 403
equals "submit before signing: 409" "$(sup_post "$S1" "/v1/supervision/tasks/$t1/submit" "\"unit\":\"ag1\",\"date\":\"$Y-03-02\"")" 409
for u in ag1 ag2; do
	quiet sup_post "$L1" "/v1/supervision/tasks/$t1/sign" "\"unit\":\"$u\",\"date\":\"$Y-03-02\""
	quiet sup_post "$L1" "/v1/supervision/tasks/$t1/progress" "\"unit\":\"$u\",\"note\":\"进展\",\"date\":\"$Y-03-10\""
done
equals "early assessment: 409" "$(sup_post "$L1" "/v1/supervision/tasks/$t1/assess" "\"unit\":\"ag1\",\"score\":90")" 409
quiet sup_post "$L1" "/v1/supervision/tasks/$t1/submit" "\"unit\":\"ag1\",\"date\":\"$Y-03-18\""
equals "the last submission completes it" "$(sup_post "$L1" "/v1/supervision/tasks/$t1/submit" "\"unit\":\"ag2\",\"date\":\"$Y-03-20\"")" 200
equals "submitted" "$(jd_json .state <"$JD_TMP/b")" submitted
equals "staff cannot assess: 403" "$(sup_post "$S1" "/v1/supervision/tasks/$t1/assess" "\"unit\":\"ag1\",\"score\":90")" 403
equals "tf1 assesses per unit: unit required" "$(sup_post "$L1" "/v1/supervision/tasks/$t1/assess" "\"score\":90,\"date\":\"$Y-03-25\"")" 400
quiet sup_post "$L1" "/v1/supervision/tasks/$t1/assess" "\"unit\":\"ag1\",\"score\":90,\"comment\":\"好\",\"date\":\"$Y-03-25\""
equals "twice: 409" "$(sup_post "$L1" "/v1/supervision/tasks/$t1/assess" "\"unit\":\"ag1\",\"score\":50,\"date\":\"$Y-03-25\"")" 409
equals "the last unit assessed" "$(sup_post "$L1" "/v1/supervision/tasks/$t1/assess" "\"unit\":\"ag2\",\"score\":80,\"date\":\"$Y-03-25\"")" 200
equals "assessed" "$(jd_json .state <"$JD_TMP/b")" assessed
for u in ag1 ag2 ag3; do
	quiet sup_post "$L1" "/v1/supervision/tasks/$t2/sign" "\"unit\":\"$u\",\"date\":\"$Y-04-02\""
	quiet sup_post "$L1" "/v1/supervision/tasks/$t2/submit" "\"unit\":\"$u\",\"date\":\"$Y-04-10\""
done
out=$(fails jd_ctl supervision tasks assess --tenant $T --id "$t2" --unit ag1 --score 70)
contains "a 1+N matter: one assessment, no unit" "$out" "一事一考核"
equals "the matter assessed once" "$(sup_post "$L1" "/v1/supervision/tasks/$t2/assess" "\"score\":70,\"date\":\"$Y-04-15\"")" 200
equals "assessed" "$(jd_json .state <"$JD_TMP/b")" assessed

# a finding raised as a lead
f=$(cli findings add --tenant $T --source "item:$B" --unit ag1 --subject_name 某 --allegation 虚假整改 --date "$Y-05-26")
quiet sup_post "$L1" "/v1/supervision/findings/$f/decide" "\"approve\":true,\"date\":\"$Y-05-27\""

# --- the figures
st=$(jd_ctl supervision stats --tenant $T --from "$Y-01-01" --to "$Y-06-30" --compare previous-year --json)
fig() { py "[r['$2'] if '$2' in r else None for r in j['figures'] if r['figure']=='$1'][0]" <<<"$st"; }
want() { equals "$1" "$(fig "$1" "${3:-value}")" "$2"; }
want talks 3
want talk_person_times 19
want talk_person_times 8 previous
want talk_person_times 137.5 growth_pct
want talk_leaders 6
want talk_key_posts 10
want prompt_letters 2
want recommendations 1
want letters_and_recommendations 3
want letters_and_recommendations 1 previous
want items_issued 4
want items_issued 2 previous
want items_rectified 2
want items_rectified 1 previous
want items_rectified_on_time 2
want on_time_share_pct 100.0
want items_overdue_now 3
want rules_established 2
want rules_established 1 previous
want lookbacks_done 2
want lookback_rebounds 1
want rebound_rate_pct 50.0
want tasks_dispatched 2
want tasks_dispatched 1 previous
want tasks_completed 2
want tasks_assessed 3
want task_average_score 80.0
want group_tf1_tasks_dispatched 1
want group_tf1_tasks_dispatched 1 previous
want group_tf1_tasks_completed 1
want group_tf1_average_score 85.0
want group_m1_tasks_dispatched 1
want group_m1_average_score 70.0
want leads_raised 1

st=$(jd_ctl supervision stats --tenant $T --from "$Y-01-01" --to "$Y-06-30" --unit ag2 --json)
want items_issued 3
want items_overdue_now 2
want talk_person_times 4
st=$(jd_ctl supervision stats --tenant $T --from "$Y-01-01" --to "$Y-06-30" --group tf1 --json)
want items_issued 4
want items_overdue_now 3
want group_tf1_tasks_dispatched 1
equals "a group filter has only its group's rows" "$(py "len([r for r in j['figures'] if r['figure'].startswith('group_m1')])" <<<"$st")" 0
st=$(jd_ctl supervision stats --tenant 510600 --from "$Y-01-01" --to "$Y-06-30" --json)
want items_issued 4
want items_overdue_now 3
equals "staff cannot read another unit's figures: 403" "$(bearer "$S1" GET "/v1/supervision/stats?tenant=$T&from=$Y-01-01&to=$Y-06-30&unit=ag2")" 403
equals "a viewer reads the county's" "$(bearer "$V1" GET "/v1/supervision/stats?tenant=$T&from=$Y-01-01&to=$Y-06-30")" 200
out=$(fails jd_ctl supervision stats --tenant $T --from "$Y-06-30" --to "$Y-01-01")
contains "a bad range is named" "$out" "field"
table=$(jd_ctl supervision stats --tenant $T --from "$Y-01-01" --to "$Y-06-30" --compare previous-year)
contains "the CLI table" "$table" "talk_person_times"
csv=$(jd_ctl supervision stats --tenant $T --from "$Y-01-01" --to "$Y-06-30" --csv)
contains "CSV" "$csv" "items_issued,4"

# --- recount
rc=$(jd_ctl supervision recount --tenant $T --json)
equals "recount: no drift" "$(jd_json .drift <<<"$rc")" 0
equals "recount walked the items" "$(jd_json .items <<<"$rc")" 6
redis-cli -s "$sock" hincrby "jd:{$T}:scnt:t" "talks|$Y"01 5 >/dev/null
rc=$(jd_ctl supervision recount --tenant $T --json)
equals "a tampered counter is drift" "$(jd_json .drift <<<"$rc")" 1
rc=$(jd_ctl supervision recount --tenant $T --fix true --json)
rc=$(jd_ctl supervision recount --tenant $T --json)
equals "fixed" "$(jd_json .drift <<<"$rc")" 0

jd_stop
equals "clean exit" "$JD_EXIT" 0
jd_no_sanitizer_report
jd_finish
