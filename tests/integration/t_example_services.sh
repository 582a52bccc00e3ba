#!/usr/bin/env bash
# The example plugin on the host's domain services: a note's state machine
# (draft -> published through a proposal a leader approves or rejects ->
# archived), 409 naming the allowed actions, dated steps (date_input), the
# review deadline from a config key and the sweep's notices, counters by
# day and month with the figures and the previous year's (backdated
# notes), and the recount (no drift; drift after corrupting a counter,
# fixed by --fix).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/cases_lib.sh" # bearer, body, cases_org: a county, units, users

jd_instance "$JD_TMP/i" --load example
jd_set plugin.example review_days 20
jd_set plugin.example check_interval_s 1
jd_set server log_level debug # the notices published are logged at debug
jd_start
sock=$JD_DIR/data/redis.sock
cases_org

N=/v1/example/notes
# note TOKEN UNIT TITLE [DATE]: prints the new note's id
note() {
	bearer "$1" POST $N "{\"tenant\":\"$T\",\"unit\":\"$2\",\"title\":\"$3\"${4:+,\"date\":\"$4\"}}" >/dev/null
	jd_json .id <"$JD_TMP/b"
}
field() { jd_ctl example notes show --tenant $T --id "$1" --json | jd_json ".$2"; }
today=$(date +%F)
days_ago() { date -d "$today -$1 days" +%F; }

# --- dates: an event's date is checked (date_input)
equals "a date in the future: 400" "$(bearer "$S1" POST $N "{\"tenant\":\"$T\",\"title\":\"x\",\"date\":\"$(date -d "$today +1 day" +%F)\"}")" 400
contains "the refusal names the field" "$(body)" "field 'date'"
equals "an impossible date: 400" "$(bearer "$S1" POST $N "{\"tenant\":\"$T\",\"title\":\"x\",\"date\":\"2025-02-30\"}")" 400

# --- the state machine
n1=$(note "$S1" ag1 first)
equals "a new note is a draft" "$(field "$n1" state)" draft
equals "its review deadline: review_days (20) from its date" "$(field "$n1" due)" "$(date -d "$today +20 days" +%F)"
equals "the deadline is in the index" "$(redis-cli -s "$sock" zscore "jd:{$T}:notes:deadlines" "note:$n1#draft")" "$(date -d "$today +20 days" +%Y%m%d)"
equals "archiving a draft: 409" "$(bearer "$S1" POST "$N/$n1/archive" "{\"tenant\":\"$T\"}")" 409
contains "409 names the allowed actions" "$(body)" "'archive' is not allowed; allowed: publish"
contains "409: illegal_transition" "$(body)" illegal_transition
equals "another unit's staff does not see the note" "$(bearer "$S2" POST "$N/$n1/publish" "{\"tenant\":\"$T\"}")" 404
equals "staff propose publishing" "$(bearer "$S1" POST "$N/$n1/publish" "{\"tenant\":\"$T\"}")" 200
equals "the draft awaits approval" "$(jd_json .state <"$JD_TMP/b")" draft
equals "a second proposal: 409" "$(bearer "$S1" POST "$N/$n1/publish" "{\"tenant\":\"$T\"}")" 409
contains "409: awaiting_approval" "$(body)" awaiting_approval
equals "staff may not approve" "$(bearer "$S1" POST "$N/$n1/approve" "{\"tenant\":\"$T\"}")" 403
equals "a leader rejects" "$(bearer "$L1" POST "$N/$n1/reject" "{\"tenant\":\"$T\",\"reason\":\"not yet\"}")" 200
equals "rejected: still a draft" "$(field "$n1" state)" draft
equals "the rejection is kept with its reason" "$(field "$n1" rejected_reason)" "not yet"
equals "nothing awaits: approve is 409" "$(bearer "$L1" POST "$N/$n1/approve" "{\"tenant\":\"$T\"}")" 409
contains "409: nothing_pending" "$(body)" nothing_pending
quiet bearer "$S1" POST "$N/$n1/publish" "{\"tenant\":\"$T\"}"
equals "a leader approves" "$(bearer "$L1" POST "$N/$n1/approve" "{\"tenant\":\"$T\"}")" 200
equals "approved: published" "$(jd_json .state <"$JD_TMP/b")" published
equals "dated by the approval" "$(field "$n1" published)" "$today"
equals "the draft's deadline is gone" "$(redis-cli -s "$sock" zscore "jd:{$T}:notes:deadlines" "note:$n1#draft")" ""
equals "publishing again: 409" "$(bearer "$S1" POST "$N/$n1/publish" "{\"tenant\":\"$T\"}")" 409
contains "409 names what is allowed now" "$(body)" "allowed: archive"
equals "archived before it was published: 400" "$(bearer "$S1" POST "$N/$n1/archive" "{\"tenant\":\"$T\",\"date\":\"$(days_ago 1)\"}")" 400
contains "the refusal says why" "$(body)" "before the note was published"
equals "archive" "$(bearer "$S1" POST "$N/$n1/archive" "{\"tenant\":\"$T\"}")" 200
equals "archived" "$(field "$n1" state)" archived
equals "archived is final: 409" "$(bearer "$S1" POST "$N/$n1/archive" "{\"tenant\":\"$T\"}")" 409
contains "409: nothing allowed" "$(body)" "none (archived is final)"

# --- counters and figures: known answers, a year earlier from backdated notes
n2=$(note "$S1" ag1 second "$(days_ago 5)")
quiet bearer "$S1" POST "$N/$n2/publish" "{\"tenant\":\"$T\"}"
equals "a backdated approval" "$(bearer "$L1" POST "$N/$n2/approve" "{\"tenant\":\"$T\",\"date\":\"$(days_ago 4)\"}")" 200
n3=$(note "$S1" ag1 "a year ago" "$(date -d "$(days_ago 5) -1 year" +%F)")
quiet jd_ctl example notes add --tenant $T --unit ag2 --title fourth
n5=$(note "$S1" ag1 "due soon" "$(days_ago 18)") # outside the range; its deadline is near
stats() { jd_ctl example stats --tenant "$1" --from "$(days_ago 10)" --to "$today" "${@:2}" --json; }
s=$(stats $T --compare previous-year)
echo "# $s" | tr -d '\n'
echo
equals "created in the range" "$(jd_json .notes_created <<<"$s")" 3
equals "published in the range (one backdated)" "$(jd_json .notes_published <<<"$s")" 2
equals "a year earlier: created" "$(jd_json .previous_year.notes_created <<<"$s")" 1
equals "a year earlier: published" "$(jd_json .previous_year.notes_published <<<"$s")" 0
equals "a year earlier: the range" "$(jd_json .previous_year.from <<<"$s")" "$(date -d "$(days_ago 10) -1 year" +%F)"
equals "one unit" "$(stats $T --unit ag2 | jd_json .notes_created)" 1
equals "the city rolls up its counties" "$(stats 510600 | jd_json .notes_created)" 3
equals "no comparison unless asked" "$(stats $T | jd_json .previous_year)" ""
# the same counters answer the example's section of the leaders' report (plugins/example/report.c)
equals "the report's example section: the same figures" \
	"$(jd_ctl report --tenant $T --from "$(days_ago 10)" --to "$today" --json |
		py '[(f["key"], f["value"], f["previous"]) for s in j["sections"] if s["name"] == "example" for f in s["figures"]]')" \
	"[('example.notes_created', 3, 1), ('example.notes_published', 2, 0)]"
equals "a viewer reads the figures" "$(bearer "$V1" GET "/v1/example/stats?tenant=$T&from=$(days_ago 10)&to=$today")" 200
equals "to before from: 400" "$(bearer "$V1" GET "/v1/example/stats?tenant=$T&from=$today&to=$(days_ago 10)")" 400
equals "a bad comparison: 400" "$(bearer "$V1" GET "/v1/example/stats?tenant=$T&from=$today&to=$today&compare=last-week")" 400
contains "the refusal names the field" "$(body)" "compare"

quiet jd_ctl example notes edit --tenant $T --id "$n2" --version "$(field "$n2" version)" --unit ag2
equals "a note moved to another unit takes its counts along" \
	"$(stats $T --unit ag2 | py 'j["notes_created"], j["notes_published"]')" "2 1"
equals "... from the unit it left" "$(stats $T --unit ag1 | py 'j["notes_created"], j["notes_published"]')" "1 1"

# --- recount: no drift (the move included); a corrupted counter is found and fixed
r=$(jd_ctl example recount --tenant $T --json)
equals "recount walks every note" "$(jd_json .notes <<<"$r")" 5
check "recount checked counters" test "$(jd_json .counters_checked <<<"$r")" -gt 10
equals "recount: no drift" "$(jd_json .drift <<<"$r")" 0
quiet redis-cli -s "$sock" hincrby "jd:{$T}:notes:cnt:t" "created|$(date +%Y%m)" 5
r=$(jd_ctl example recount --tenant $T --json)
equals "the corrupted counter is drift" "$(jd_json .drift <<<"$r")" 1
equals "named with its field" "$(jd_json .drifted.0.field <<<"$r")" "created|$(date +%Y%m)"
equals "fix" "$(jd_ctl example recount --tenant $T --fix --json | jd_json .fixed)" true
equals "fixed: no drift" "$(jd_ctl example recount --tenant $T --json | jd_json .drift)" 0
equals "the figures are right again" "$(stats $T | jd_json .notes_created)" 3
equals "recount is on the control listener only" "$(bearer "$S1" POST /v1/example/recount "{\"tenant\":\"$T\"}")" 404

# --- the sweep: a missed review and a near one, noticed by the host's timer
check "note.review_missed is published" jd_wait_for 100 grep -q "event=note.review_missed" "$JD_DIR/jiandud.log"
check "the plugin heard it" jd_wait_for 100 grep -q "review missed tenant=$T record=note:$n3" "$JD_DIR/jiandud.log"
check "note.review_near is published" jd_wait_for 100 grep -q "event=note.review_near" "$JD_DIR/jiandud.log"
sent() { [ "$(redis-cli -s "$sock" hexists "jd:{$T}:notes:deadlines:sent" "note:$1#draft")" = 1 ]; }
check "the notices sent are remembered (once per deadline)" jd_wait_for 100 sent "$n5"

jd_stop
equals "SIGTERM: exit 0" "$JD_EXIT" 0
jd_no_sanitizer_report
jd_finish
