#!/usr/bin/env bash
# The review figures on a fixture with known answers (days from acceptance
# to completion 3, 5, 8, 13, 40 and 16 with ten days paused: median 8,
# 90th percentile 40; one review in the previous year), the clock's one
# extension and the overdue listing, the limit on returns, the CLI's table,
# JSON and CSV; then a randomized run after which recount finds no drift.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/cases_lib.sh"
source "$(dirname "$0")/review_lib.sh"

jd_instance "$JD_TMP/i" --load cases,review
jd_set plugin.review max_returns 1
jd_set plugin.review check_interval_s 1
jd_set plugin.review near_days 40
jd_set server log_level debug # the notices published are logged at debug
jd_start
cases_org
review_org
add() { date -d "$1 + $2 days" +%F; }
done_is() { review_is "$1" completed; }

# --- five reviews accepted 2026-03-02, completed after 3, 5, 8, 13 and 40 days
for n in 3 5 8 13 40; do
	no=$(dated_case 2026-03-02)
	check "received on the conclusion's date ($no)" jd_wait_for 100 review_is "$no" received
	accept_panel "$no" 2026-03-02
	equals "completed after $n days" "$(finish "$no" "$(add 2026-03-02 $n)")" 200
done
equals "the clock is a month" "$(jd_ctl review reviews show --tenant $T --id "$no" --json | jd_json .clock_due)" 2026-04-02

# --- one returned for ten days, its characterization changed: 16 days counted
r7=$(dated_case 2026-05-04)
check "received ($r7)" jd_wait_for 100 review_is "$r7" received
accept_panel "$r7" 2026-05-04
equals "returned 2026-05-10" "$(rv "$r7" return "$RA" '"kind":"supplementary","why":"facts_unclear","reason":"补充","date":"2026-05-10"')" 200
check "the case investigates again" jd_wait_for 100 case_is "$r7" investigating
dated_conclude "$r7" 2026-05-20
check "back on 2026-05-20" jd_wait_for 100 review_is "$r7" accepted
show=$(jd_ctl review reviews show --tenant $T --id "$r7" --json)
equals "ten days paused" "$(jd_json .paused_days <<<"$show")" 10
equals "the clock moved by them" "$(jd_json .clock_due <<<"$show")" 2026-06-14
equals "a second return needs a leader (max_returns 1)" "$(rv "$r7" return "$RA" '"kind":"reinvestigation","reason":"x"')" 409
contains "approval_required" "$(body)" "return-over"
equals "a reviewer cannot return over the limit" "$(rv "$r7" return-over "$RA" '"kind":"reinvestigation","reason":"x"')" 403
equals "completed 2026-05-30" "$(finish "$r7" 2026-05-30 duty_violation)" 200

# --- one accepted 2026-06-01, extended once, still open: overdue
r8=$(dated_case 2026-06-01)
check "received ($r8)" jd_wait_for 100 review_is "$r8" received
accept_panel "$r8" 2026-06-01
quiet rv "$r8" propose "$RA" '"action":"extend","reason":"案情复杂"'
equals "the extension approved" "$(rv "$r8" approve "$L1" '"date":"2026-06-05"')" 200
equals "due a month and 30 days after acceptance" "$(jd_ctl review reviews show --tenant $T --id "$r8" --json | jd_json .clock_due)" 2026-07-31
equals "extended once only" "$(rv "$r8" propose "$RA" '"action":"extend"')" 409
overdue=$(jd_ctl review overdue --tenant $T --json)
contains "the overdue listing has its clock" "$overdue" "\"record\": \"review:$r8\",
      \"stage\": \"clock\",
      \"due\": \"2026-07-31\""

# --- one the year before: 10 days
r0=$(dated_case 2025-03-03)
check "received ($r0)" jd_wait_for 100 review_is "$r0" received
accept_panel "$r0" 2025-03-03
equals "completed 2025-03-13" "$(finish "$r0" 2025-03-13)" 200

# --- the figures
rs=$(jd_ctl review stats --tenant $T --from 2026-01-01 --to 2026-12-31 --compare previous-year --json 2>/dev/null ||
	jd_ctl review stats --tenant $T --from 2026-01-01 --to "$(date +%F)" --compare previous-year --json)
prev() { python3 -c 'import json,sys; print({r["figure"]: r["previous"] for r in json.load(sys.stdin)["figures"]}[sys.argv[1]])' "$1" <<<"$rs"; }
for f in received:7:1 accepted:7:1 completed:6:1 completed_on_time:5:1 returned:1:0 \
	returned_supplementary:1:0 returned_facts_unclear:1:0 changed_by_review:1:0 \
	changed_characterization:1:0 changed_sanction:0:0 median_days:8:10 p90_days:40:10; do
	IFS=: read -r name want was <<<"$f"
	equals "$name" "$(figure "$rs" "$name")" "$want"
	equals "$name a year earlier" "$(prev "$name")" "$was"
done
equals "growth of received (+600%)" "$(python3 -c 'import json,sys; print({r["figure"]: r["growth_pct"] for r in json.load(sys.stdin)["figures"]}["received"])' <<<"$rs")" 600.0
equals "one unit (the filing unit)" "$(figure "$(jd_ctl review stats --tenant $T --from 2026-01-01 --to "$(date +%F)" --unit ag1 --json)" completed)" 6
equals "another unit: none" "$(figure "$(jd_ctl review stats --tenant $T --from 2026-01-01 --to "$(date +%F)" --unit ag2 --json)" completed)" 0
equals "the city rolls up its counties" "$(figure "$(jd_ctl review stats --tenant 510600 --from 2026-01-01 --to "$(date +%F)" --json)" completed)" 6
check "CSV" bash -c "'$JIANDUCTL' -c '$JD_DIR/jianductl.conf' review stats --tenant $T --from 2026-01-01 --to $(date +%F) --csv | grep -q '^median_days,8'"
check "table" bash -c "'$JIANDUCTL' -c '$JD_DIR/jianductl.conf' review stats --tenant $T --from 2026-01-01 --to $(date +%F) | grep -q 'p90_days'"
equals "a viewer reads the figures" "$(bearer "$V1" GET "/v1/review/stats?tenant=$T&from=2026-01-01&to=$(date +%F)")" 200
equals "staff do not" "$(bearer "$S1" GET "/v1/review/stats?tenant=$T&from=2026-01-01&to=$(date +%F)")" 403
equals "bad range: 400" "$(bearer "$V1" GET "/v1/review/stats?tenant=$T&from=2026-02-30&to=2026-03-01")" 400

# --- the clock at a month's end: 31 January is due on 28 February
r9=$(dated_case 2026-01-31)
check "received ($r9)" jd_wait_for 100 review_is "$r9" received
quiet rv "$r9" accept "$RH" '"date":"2026-01-31"'
equals "due 2026-02-28" "$(jd_ctl review reviews show --tenant $T --id "$r9" --json | jd_json .clock_due)" 2026-02-28

# --- the host's sweep: review.overdue for the open clock, review.due_soon for a fresh one
check "review.overdue is published" jd_wait_for 100 grep -q 'published.*event=review.overdue' "$JD_DIR/jiandud.log"
fresh=$(filed_case)
investigate "$fresh"
conclude "$fresh"
check "received ($fresh)" jd_wait_for 100 review_is "$fresh" received
quiet rv "$fresh" accept "$RH"
check "review.due_soon is published (near_days 40)" jd_wait_for 100 grep -q 'published.*event=review.due_soon' "$JD_DIR/jiandud.log"
sent_is() { [ "$(redis-cli -s "$JD_DIR/data/redis.sock" HGET "jd:{$T}:reviews:deadlines:sent" "$1")" = "$2" ]; }
check "the clock's notice is remembered once per due date" jd_wait_for 100 sent_is "review:$r8#clock" missed:20260731

# --- a randomized run, then recount
RANDOM=${REVIEW_SEED:-13}
echo "# seed ${REVIEW_SEED:-13}"
for i in 1 2 3 4 5 6; do
	no=$(filed_case)
	investigate "$no"
	conclude "$no"
	jd_wait_for 100 review_is "$no" received || not_ok "random $i received"
	case $((RANDOM % 4)) in 0) continue ;; esac
	accept_panel "$no" "$(date +%F)"
	for _ in $(seq $((RANDOM % 3))); do
		k=$([ $((RANDOM % 2)) = 0 ] && echo supplementary || echo reinvestigation)
		[ "$(rv "$no" return-over "$L1" "\"kind\":\"$k\",\"why\":\"other\",\"reason\":\"r\"")" = 200 ] || break
		jd_wait_for 100 case_is "$no" investigating || not_ok "random $i returned"
		conclude "$no"
		jd_wait_for 100 review_is "$no" accepted || not_ok "random $i resumed"
	done
	case $((RANDOM % 3)) in 0) continue ;; 1) ch=integrity_discipline ;; 2) ch=work_discipline ;; esac
	[ "$(finish "$no" "$(date +%F)" $ch)" = 200 ] || not_ok "random $i finished"
	jd_wait_for 100 case_is "$no" decided || not_ok "random $i decided"
	if [ $((RANDOM % 2)) = 0 ]; then
		quiet rv "$no" appeal "$RH" '"person":1,"reason":"申诉"'
		ap=$(jd_json .id <"$JD_TMP/b")
		quiet rv "$ap" accept "$RH"
		quiet rv "$ap" panel "$RH" '"lead":"rc","members":"re"'
		quiet rv "$ap" talk-waive "$L1" '"person":1,"reason":"r"'
		party=$([ $((RANDOM % 2)) = 0 ] && echo warning || echo none)
		quiet rv "$ap" work "$RC" "\"person\":1,\"facts\":\"confirmed\",\"evidence\":\"sufficient\",\"procedure\":\"lawful\",\"characterization\":\"x\",\"party\":\"$party\",\"change_reason\":\"r\""
		quiet rv "$ap" opinion "$RC"
		quiet rv "$ap" meeting "$RH" '"result":"agreed"'
		quiet rv "$ap" propose "$RC" '"action":"decide"'
		[ "$(rv "$ap" approve "$L1")" = 200 ] || not_ok "random $i appeal decided"
	fi
done
rc=$(jd_ctl review recount --tenant $T --json)
equals "recount after the randomized run: no drift" "$(jd_json .drift <<<"$rc")" 0
check "recount walked every review" test "$(jd_json .reviews <<<"$rc")" -ge 16
appeals_settled() { [ "$(jd_ctl cases recount --tenant $T --json | jd_json .drift)" = 0 ]; }
check "the cases figures agree with their records (appeals applied)" jd_wait_for 100 appeals_settled
# drift made by hand is found and fixed
redis-cli -s "$JD_DIR/data/redis.sock" HINCRBY "jd:{$T}:rcnt:t" "completed|$(date +%Y%m)" 5 >/dev/null
equals "drift found" "$(jd_ctl review recount --tenant $T --json | jd_json .drift)" 1
quiet jd_ctl review recount --tenant $T --fix
equals "and fixed" "$(jd_ctl review recount --tenant $T --json | jd_json .drift)" 0

jd_stop
equals "SIGTERM: exit 0" "$JD_EXIT" 0
jd_finish
