#!/usr/bin/env bash
# The review plugin (案件审理) with the cases plugin: a case concluded
# before the plugin is loaded stays with the cases plugin; a new one is
# received for review, waits for missing materials, is accepted (the clock
# starts), gets a panel refused for having investigated, for a conflict
# and for not being a reviewer, then a panel; the review talk comes before
# a sanction; a supplementary return sends the case back and pauses the
# clock; the panel changes the sanction with a reason; the opinion, the
# meeting and the leadership's approval complete it; the decision appears
# in the case and in the cases plugin's figures exactly once; an appeal
# goes to a new panel and revokes the sanction; the figures and recount.
# A kill -9 between a conclusion and its receipt loses nothing.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/cases_lib.sh"
source "$(dirname "$0")/review_lib.sh"

jd_instance "$JD_TMP/i" --load cases
jd_start
cases_org
review_org
TODAY=$(date +%F)

# --- before review.so: the cases plugin decides directly (review = auto)
c0=$(filed_case)
investigate "$c0"
conclude "$c0"
equals "no review plugin: the leader decides" \
	"$(bearer "$L1" POST "/v1/cases/cases/$c0/decide" "{\"tenant\":\"$T\",\"person\":1,\"party\":\"warning\"}")" 200
jd_stop
jd_set plugins load cases,review
# no trim until the redelivery below: its events stay in the stream
jd_set events sweep_ms 3600000
jd_start
check "review.so loaded: the cases plugin hears of it" jd_wait_for 50 \
	grep -q "a review plugin announced itself" "$JD_DIR/jiandud.log"

# --- received
no=$(filed_case)
investigate "$no"
conclude "$no"
check "the conclusion arrives as a review record: received" jd_wait_for 100 review_is "$no" received
equals "the case of before is not taken over" "$(review_state "$c0")" ""
show=$(jd_ctl review reviews show --tenant $T --id "$no" --json)
equals "the investigators' proposal per person" "$(jd_json .proposal.1.party <<<"$show")" warning
equals "the materials list" "$(jd_json .materials <<<"$show")" "report,evidence,talk_records"
equals "the review office is the record's unit" "$(jd_json .unit <<<"$show")" rv1
equals "who handled the case is excluded" "$(jd_json .excluded.s2 <<<"$show")" "sat on the verification team"
equals "the case waits for acceptance" "$(case_state "$no")" concluded
equals "no sealed text in the event" "$(redis-cli -s "$JD_DIR/data/redis.sock" XRANGE "jd:{$T}:events" - + | grep -c '某甲\|收受礼金' || true)" 0

# --- missing materials, supplied, accepted
equals "missing materials (CLI)" "$(jd_ctl review reviews missing --tenant $T --id "$no" --missing 银行流水 --json | jd_json .state)" awaiting_materials
equals "cannot accept while materials are missing" "$(bearer "$RH" POST "/v1/review/reviews/$no/accept" "{\"tenant\":\"$T\"}")" 409
contains "the refusal names the allowed" "$(body)" "allowed: supplied"
equals "the investigators supply them" "$(bearer "$S1" POST "/v1/review/reviews/$no/supplied" "{\"tenant\":\"$T\"}")" 200
equals "a date in the future is refused" "$(bearer "$RH" POST "/v1/review/reviews/$no/accept" "{\"tenant\":\"$T\",\"date\":\"2999-01-01\"}")" 400
equals "accepted (受理)" "$(bearer "$RH" POST "/v1/review/reviews/$no/accept" "{\"tenant\":\"$T\"}")" 200
check "review.accepted: the case is in review" jd_wait_for 100 case_is "$no" in_review
due=$(jd_ctl review reviews show --tenant $T --id "$no" --json | jd_json .clock_due)
equals "the clock: one month from acceptance" "$due" "$(python3 -c '
import datetime,calendar,sys
d=datetime.date.today(); y,m=(d.year+(d.month==12), d.month%12+1)
print(datetime.date(y,m,min(d.day,calendar.monthrange(y,m)[1])))')"

# --- the panel: separation of duties
panel() { bearer "$RH" POST "/v1/review/reviews/$no/panel" "{\"tenant\":\"$T\",\"lead\":\"$1\",\"members\":\"$2\"}"; }
equals "a panel with one who investigated is refused" "$(panel ra s2)" 409
contains "the refusal names the reason" "$(body)" "s2 sat on the verification team of case $no"
equals "one who approved a measure is refused" "$(panel ra l1)" 409
contains "and the reason" "$(body)" "l1 proposed or approved a measure in this case"
equals "a conflict of interest is refused" "$(panel ra rd)" 409
contains "naming the organization's reason" "$(body)" "rd conflict of interest with the case's unit (worked in ag1 until it moved)"
equals "one reviewer is not a panel" "$(panel ra ra)" 400
equals "staff cannot assign" "$(bearer "$S1" POST "/v1/review/reviews/$no/panel" "{\"tenant\":\"$T\",\"lead\":\"ra\",\"members\":\"rb\"}")" 403
equals "a leader who is not the review office's head is refused" "$(bearer "$L1" POST "/v1/review/reviews/$no/panel" "{\"tenant\":\"$T\",\"lead\":\"ra\",\"members\":\"rb\"}")" 403
contains "the refusal names the rule" "$(body)" "only the head of a review office of county $T"
contains "and whom the caller is linked to" "$(body)" "'l1' is linked to $T/$P_L1"
equals "the head (rh, linked to the head 周主任) assigns: ra (lead), rb, rc" "$(panel ra rb,rc)" 200
equals "a leader who is not the head cannot take a reviewer off either" "$(bearer "$L1" POST "/v1/review/reviews/$no/recuse" "{\"tenant\":\"$T\",\"user\":\"rb\",\"reason\":\"x\"}")" 403
equals "rc recuses (deny list)" "$(bearer "$RH" POST "/v1/review/reviews/$no/recuse" "{\"tenant\":\"$T\",\"user\":\"rc\",\"reason\":\"亲属\"}")" 200
equals "the recused reviewer no longer sees it" "$(bearer "$RC" GET "/v1/review/reviews/$no?tenant=$T")" 404
equals "nor can be put back" "$(panel ra rb,rc)" 409
contains "deny list named" "$(body)" "rc is on the review's deny list"

# --- review work and talks
work() { bearer "$1" POST "/v1/review/reviews/$no/work" "{\"tenant\":\"$T\",\"person\":1,\"facts\":\"confirmed\",\"evidence\":\"sufficient\",\"procedure\":\"lawful\",\"characterization\":\"integrity_discipline\",\"party\":\"$2\"${3:+,\"change_reason\":\"$3\"}}"; }
equals "a sanction needs the review talk first" "$(work "$RB" warning)" 409
contains "talk_required" "$(body)" "审理谈话"
equals "not on the panel: refused" "$(work "$RE" warning)" 403
equals "the review talk (notes sealed)" "$(bearer "$RA" POST "/v1/review/reviews/$no/talk" "{\"tenant\":\"$T\",\"person\":1,\"notes\":\"谈话笔录甲\"}")" 200
check "the notes are sealed in Redis" bash -c "! redis-cli -s '$JD_DIR/data/redis.sock' HGETALL 'jd:{$T}:review:$no' | grep -q 谈话笔录甲"
equals "the panel may read the notes" "$(bearer "$RA" GET "/v1/review/reviews/$no?tenant=$T" >/dev/null; jd_json .talks.1 <"$JD_TMP/b")" 谈话笔录甲
equals "a changed sanction needs a reason" "$(work "$RB" serious_warning)" 400
equals "the panel's finding" "$(work "$RB" warning)" 200

# --- a supplementary return and back
equals "returned for supplementary investigation" "$(bearer "$RA" POST "/v1/review/reviews/$no/return" "{\"tenant\":\"$T\",\"kind\":\"supplementary\",\"why\":\"evidence_insufficient\",\"reason\":\"补充银行流水\",\"days\":20}")" 200
check "review.returned: the case investigates again" jd_wait_for 100 case_is "$no" investigating
conclude "$no"
check "concluded again: the review resumes" jd_wait_for 100 review_is "$no" accepted
check "and the case is in review" jd_wait_for 100 case_is "$no" in_review
equals "the panel changes the sanction, with a reason" "$(work "$RB" serious_warning 情节较重)" 200

# --- opinion, meeting, decision
equals "only the lead reviewer gives the opinion" "$(bearer "$RB" POST "/v1/review/reviews/$no/opinion" "{\"tenant\":\"$T\"}")" 403
equals "the panel's opinion" "$(bearer "$RA" POST "/v1/review/reviews/$no/opinion" "{\"tenant\":\"$T\"}")" 200
equals "the review office meeting (CLI)" "$(jd_ctl review reviews meeting --tenant $T --id "$no" --result agreed --json | jd_json .state)" meeting
equals "the decision is proposed" "$(bearer "$RA" POST "/v1/review/reviews/$no/propose" "{\"tenant\":\"$T\",\"action\":\"decide\"}")" 200
equals "a reviewer cannot approve it" "$(bearer "$RA" POST "/v1/review/reviews/$no/approve" "{\"tenant\":\"$T\"}")" 403
equals "the leadership approves" "$(bearer "$L1" POST "/v1/review/reviews/$no/approve" "{\"tenant\":\"$T\"}")" 200
check "review.completed: the case is decided" jd_wait_for 100 case_is "$no" decided
cs=$(jd_ctl cases case show --tenant $T --id "$no" --json)
equals "the decision from the review" "$(jd_json .persons.0.decision.party <<<"$cs")" serious_warning
stats=$(jd_ctl cases stats --tenant $T --from "$TODAY" --to "$TODAY" --json)
equals "persons sanctioned: the direct decision and the review's, once each" "$(figure "$stats" persons_sanctioned)" 2
rs=$(jd_ctl review stats --tenant $T --from "$TODAY" --to "$TODAY" --json)
for f in received:1 accepted:1 completed:1 completed_on_time:1 returned:1 returned_supplementary:1 \
	returned_evidence_insufficient:1 changed_by_review:1 changed_sanction:1 changed_characterization:0 median_days:0; do
	equals "review figure ${f%%:*}" "$(figure "$rs" "${f%%:*}")" "${f#*:}"
done
check "review stats --csv" bash -c "'$JIANDUCTL' -c '$JD_DIR/jianductl.conf' review stats --tenant $T --from $TODAY --to $TODAY --csv | grep -q '^received,1'"

list=$(jd_ctl review reviews list --tenant $T --json)
contains "the listing (CLI)" "$list" "\"id\": \"$no\""
contains "with its state" "$(jd_ctl review reviews list --tenant $T --state completed --json)" "\"state\": \"completed\""
equals "filtered by state" "$(jd_ctl review reviews list --tenant $T --state received --json | grep -c "\"$no\"" || true)" 0
equals "staff of the case's unit do not see the review" "$(bearer "$S1" GET "/v1/review/reviews/$no?tenant=$T")" 403

# --- an appeal: a new panel, the sanction revoked
equals "an appeal (申诉)" "$(bearer "$RH" POST "/v1/review/reviews/$no/appeal" "{\"tenant\":\"$T\",\"person\":1,\"reason\":\"处分过重\"}")" 201
ap=$(jd_json .id <"$JD_TMP/b")
equals "the appeal's record" "$ap" "$no-a1"
quiet bearer "$RH" POST "/v1/review/reviews/$ap/accept" "{\"tenant\":\"$T\"}"
panel2() { bearer "$RH" POST "/v1/review/reviews/$ap/panel" "{\"tenant\":\"$T\",\"lead\":\"$1\",\"members\":\"$2\"}"; }
equals "no member of the first panel" "$(panel2 re ra)" 409
contains "named" "$(body)" "ra sat on the first panel of this case"
equals "nor one recused from it" "$(panel2 re rc)" 409
equals "a new panel" "$(panel2 re rh)" 200
equals "the admin's override is not a leader's" "$(bearer "$L1" POST "/v1/review/reviews/$ap/panel-override" "{\"tenant\":\"$T\",\"lead\":\"re\",\"members\":\"rh\",\"reason\":\"x\"}")" 403
check "the instance admin (no person) assigns in the head's stead, with a reason" \
	jd_ctl review reviews panel-override --tenant $T --id "$ap" --lead re --members rh --reason 主任出差
equals "the override's reason is kept" "$(jd_ctl review reviews show --tenant $T --id "$ap" --json | jd_json .panel_override)" 主任出差
check "and audited" jd_wait_for 50 bash -c \
	"'$JIANDUCTL' -c '$JD_DIR/jianductl.conf' audit search --tenant $T --json | grep -q review.panel.override"
equals "a leader waives the talk, with a reason" "$(bearer "$L1" POST "/v1/review/reviews/$ap/talk-waive" "{\"tenant\":\"$T\",\"person\":1,\"reason\":\"本人书面申诉材料详尽\"}")" 200
equals "the appeal's finding: no sanction" "$(bearer "$RE" POST "/v1/review/reviews/$ap/work" "{\"tenant\":\"$T\",\"person\":1,\"facts\":\"not_confirmed\",\"evidence\":\"insufficient\",\"procedure\":\"lawful\",\"characterization\":\"none\",\"party\":\"none\",\"change_reason\":\"证据不足\"}")" 200
quiet bearer "$RE" POST "/v1/review/reviews/$ap/opinion" "{\"tenant\":\"$T\"}"
quiet bearer "$RH" POST "/v1/review/reviews/$ap/meeting" "{\"tenant\":\"$T\",\"result\":\"agreed\"}"
quiet bearer "$RE" POST "/v1/review/reviews/$ap/propose" "{\"tenant\":\"$T\",\"action\":\"decide\"}"
equals "the appeal decided" "$(bearer "$L1" POST "/v1/review/reviews/$ap/approve" "{\"tenant\":\"$T\"}")" 200
equals "its outcome: revoked" "$(jd_ctl review reviews show --tenant $T --id "$ap" --json | jd_json .outcome)" revoked
appealed() { [ "$(jd_ctl cases case show --tenant $T --id "$no" --json | jd_json .persons.0.decision.party)" = none ]; }
check "the revoked sanction reaches the case" jd_wait_for 100 appealed
stats=$(jd_ctl cases stats --tenant $T --from "$TODAY" --to "$TODAY" --json)
equals "and the cases figures" "$(figure "$stats" persons_sanctioned)" 1
rs=$(jd_ctl review stats --tenant $T --from "$TODAY" --to "$TODAY" --json)
equals "appeals received" "$(figure "$rs" appeals_received)" 1
equals "appeals revoked" "$(figure "$rs" appeals_revoked)" 1
equals "an appeal is no new review" "$(figure "$rs" received)" 1

# --- every event delivered again (both groups rewound): nothing changes
R() { redis-cli -s "$JD_DIR/data/redis.sock" "$@"; }
handled() { R XRANGE "jd:{$T}:audit" - + | grep -c 'review.review.receive\|review.review.resume\|cases.case.review' || true; }
handled_before=$(handled)
rs_before=$(jd_ctl review stats --tenant $T --from "$TODAY" --to "$TODAY" --json)
cs_before=$(jd_ctl cases case show --tenant $T --id "$no" --json | jd_json .version)
last=$(R XINFO STREAM "jd:{$T}:events" | sed -n '/^last-generated-id$/{n;p}')
R XGROUP SETID "jd:{$T}:events" review 0 >/dev/null
R XGROUP SETID "jd:{$T}:events" cases 0 >/dev/null
caught_up() {
	local g
	for g in review cases; do
		[ "$(R XPENDING "jd:{$T}:events" $g | head -1)" = 0 ] || return 1
		R XINFO GROUPS "jd:{$T}:events" | grep -A7 "^$g\$" | grep -qx "$last" || return 1
	done
}
check "rewound: every event is delivered again and acknowledged" jd_wait_for 150 caught_up
equals "redelivered: the review figures are unchanged" "$(jd_ctl review stats --tenant $T --from "$TODAY" --to "$TODAY" --json)" "$rs_before"
equals "redelivered: the case is unchanged" "$(jd_ctl cases case show --tenant $T --id "$no" --json | jd_json .version)" "$cs_before"
equals "redelivered: no event applied twice (audit)" "$(handled)" "$handled_before"

# --- kill -9 between a conclusion and its receipt
n2=$(filed_case)
investigate "$n2"
conclude "$n2"
kill -KILL "$JD_PID"
wait "$JD_PID" 2>/dev/null || true
JD_PID=
jd_set events sweep_ms 200
jd_set events claim_idle_ms 1000
jd_start
check "after kill -9: the conclusion is received" jd_wait_for 150 review_is "$n2" received
rs=$(jd_ctl review stats --tenant $T --from "$TODAY" --to "$TODAY" --json)
equals "received once" "$(figure "$rs" received)" 2

# --- recount
rc=$(jd_ctl review recount --tenant $T --json)
equals "review recount: no drift" "$(jd_json .drift <<<"$rc")" 0
equals "review recount walked the reviews" "$(jd_json .reviews <<<"$rc")" 3
equals "cases recount: no drift" "$(jd_ctl cases recount --tenant $T --json | jd_json .drift)" 0

jd_stop
equals "SIGTERM: exit 0" "$JD_EXIT" 0
jd_finish
