#!/usr/bin/env bash
# The cases plugin, stage 2: a lead verified and filed as a case (number
# per tenant and year, unique under concurrent filings, a second filing of
# the same lead answers the first case), the investigation (plan approval,
# measures ledger, extension, conclusion), decisions per person recorded
# directly by a leader (no review plugin), all through the CLI and the API.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/cases_lib.sh"

jd_instance "$JD_TMP/i" --load cases
jd_set server log_level debug # the events published are logged at debug
jd_start
sock=$JD_DIR/data/redis.sock
cases_org
year=$(date +%Y)

# verify_to_file LEAD: the lead through a verification approved for filing
verify_to_file() {
	quiet bearer "$L1" POST "/v1/cases/leads/$1/assign" "{\"tenant\":\"$T\",\"team\":\"s2,s3\"}"
	quiet bearer "$S1" POST "/v1/cases/leads/$1/dispose" "{\"tenant\":\"$T\",\"way\":\"prelim_verification\"}"
	quiet bearer "$L1" POST "/v1/cases/leads/$1/approve" "{\"tenant\":\"$T\"}"
	quiet bearer "$S1" POST "/v1/cases/leads/$1/outcome" "{\"tenant\":\"$T\",\"outcome\":\"file\",\"report\":\"应立案\"}"
	quiet bearer "$L1" POST "/v1/cases/leads/$1/approve" "{\"tenant\":\"$T\"}"
	jd_json .state <"$JD_TMP/b"
}

lead=$(add_lead "$S1" ag1 letters_visits "\"subject_id_number\":\"510681199001011234\",\"subject_employer\":\"县财政局\"")
equals "a second subject" "$(bearer "$S1" POST "/v1/cases/leads/$lead/subjects" "{\"tenant\":\"$T\",\"subject_name\":\"某乙\",\"subject_post\":\"科长\"}")" 200
equals "filing before verification: 409" "$(bearer "$S1" POST "/v1/cases/leads/$lead/file" "{\"tenant\":\"$T\"}")" 409
contains "naming what is allowed" "$(body)" "allowed: dispose"
equals "verified and approved for filing" "$(verify_to_file "$lead")" to_file

# --- filing through the CLI
out=$(jd_ctl cases file --tenant $T --id "$lead" --json)
case1=$(jd_json .case <<<"$out")
equals "the first case of the year" "$case1" "$year-0001"
equals "self-handled (filed and handled by ag1 alone)" "$(jd_json .self_handled <<<"$out")" true
out=$(jd_ctl cases file --tenant $T --id "$lead" --json)
equals "filing it again answers the same case" "$(jd_json .case <<<"$out")" "$case1"
equals "the lead is filed" "$(jd_ctl cases leads show --tenant $T --id "$lead" --json | jd_json .state)" filed
equals "and names its case" "$(jd_ctl cases leads show --tenant $T --id "$lead" --json | jd_json .case)" "$case1"
show=$(jd_ctl cases case show --tenant $T --id "$case1" --json)
equals "two persons, sealed again for the case" "$(jd_json .persons.1.name <<<"$show")" 某乙
equals "the case is filed" "$(jd_json .state <<<"$show")" filed
equals "the filing unit" "$(jd_json .filing_unit <<<"$show")" ag1
contains "the persons are sealed in Redis" "$(redis-cli -s "$sock" hget "jd:{$T}:case:$case1" person.1)" "s1.t1."

# --- numbers stay unique under concurrent filings
leads=()
for i in 1 2 3 4 5 6; do
	l=$(add_lead "$S1" ag1 audit)
	verify_to_file "$l" >/dev/null
	leads+=("$l")
done
pids=()
for l in "${leads[@]}"; do
	jd_ctl cases file --tenant $T --id "$l" --joint_units ag2 --json >"$JD_TMP/f.$l" &
	pids+=($!)
done
wait "${pids[@]}" # not a bare wait: the daemon is a child too
nums=$(for l in "${leads[@]}"; do jd_json .case <"$JD_TMP/f.$l"; done | sort)
equals "six filings, six numbers" "$(sort -u <<<"$nums" | wc -l)" 6
equals "numbered 0002..0007" "$(tr '\n' ' ' <<<"$nums")" "$year-0002 $year-0003 $year-0004 $year-0005 $year-0006 $year-0007 "
equals "joint handling is not self-handled" "$(jd_json .self_handled <"$JD_TMP/f.${leads[0]}")" false

# --- the investigation
equals "a measure before the plan: 409" "$(bearer "$S1" POST "/v1/cases/cases/$case1/measure" "{\"tenant\":\"$T\",\"kind\":\"talk\"}")" 409
contains "naming the allowed" "$(body)" "allowed: plan, extend"
check "the plan is proposed" quiet jd_ctl cases case plan --tenant $T --id "$case1" --plan "调查方案"
out=$(jd_ctl cases case approve --tenant $T --id "$case1" --json)
equals "an approved plan starts the investigation" "$(jd_json .state <<<"$out")" investigating
due=$(jd_ctl cases case show --tenant $T --id "$case1" --json | jd_json .due)
equals "with its deadline (90 days)" "$(( ($(date -d "$due" +%s) - $(date +%s)) / 86400 ))" 89
equals "a measure dated before the filing: 400" "$(bearer "$S1" POST "/v1/cases/cases/$case1/measure" "{\"tenant\":\"$T\",\"kind\":\"talk\",\"date\":\"2020-01-01\"}")" 400
equals "a measure proposed" "$(bearer "$S1" POST "/v1/cases/cases/$case1/measure" "{\"tenant\":\"$T\",\"kind\":\"freezing\"}")" 200
equals "and approved" "$(bearer "$L1" POST "/v1/cases/cases/$case1/approve" "{\"tenant\":\"$T\"}")" 200
show=$(jd_ctl cases case show --tenant $T --id "$case1" --json)
equals "the ledger holds it" "$(jd_json .measures.0.kind <<<"$show")" freezing
equals "with its approver" "$(jd_json .measures.0.approver <<<"$show")" l1
quiet bearer "$S1" POST "/v1/cases/cases/$case1/extend" "{\"tenant\":\"$T\",\"days\":30,\"reason\":\"案情复杂\"}"
quiet bearer "$L1" POST "/v1/cases/cases/$case1/approve" "{\"tenant\":\"$T\"}"
due2=$(jd_ctl cases case show --tenant $T --id "$case1" --json | jd_json .due)
equals "the extension moved the deadline" "$(( ($(date -d "$due2" +%s) - $(date -d "$due" +%s)) / 86400 ))" 30
equals "a decision before the conclusion: 409" "$(bearer "$L1" POST "/v1/cases/cases/$case1/decide" "{\"tenant\":\"$T\",\"person\":1,\"party\":\"warning\"}")" 409
quiet bearer "$S1" POST "/v1/cases/cases/$case1/conclude" "{\"tenant\":\"$T\",\"report\":\"审查报告\"}"
equals "the conclusion approved" "$(bearer "$L1" POST "/v1/cases/cases/$case1/approve" "{\"tenant\":\"$T\"}")" 200
equals "concluded" "$(jd_json .state <"$JD_TMP/b")" concluded
check "case.investigation_concluded is published" jd_wait_for 30 \
	grep -q 'event=case.investigation_concluded' "$JD_DIR/jiandud.log"

# --- decisions per person, directly (no review plugin loaded)
equals "staff cannot decide: 403" "$(bearer "$S1" POST "/v1/cases/cases/$case1/decide" "{\"tenant\":\"$T\",\"person\":1,\"party\":\"warning\"}")" 403
equals "a bad sanction is named" "$(bearer "$L1" POST "/v1/cases/cases/$case1/decide" "{\"tenant\":\"$T\",\"person\":1,\"party\":\"fine\"}")" 400
contains "field party" "$(body)" "field 'party': 'fine' is not a party sanction"
equals "f1 with a sanction: 400" "$(bearer "$L1" POST "/v1/cases/cases/$case1/decide" "{\"tenant\":\"$T\",\"person\":1,\"party\":\"warning\",\"form\":\"f1\"}")" 400
equals "person 3 does not exist" "$(bearer "$L1" POST "/v1/cases/cases/$case1/decide" "{\"tenant\":\"$T\",\"person\":3,\"party\":\"warning\"}")" 400
out=$(jd_ctl cases case decide --tenant $T --id "$case1" --person 1 --party serious_warning --government demerit --json)
equals "person 1 decided; the case waits for person 2" "$(jd_json .state <<<"$out")" concluded
equals "person 1 twice: 409" "$(bearer "$L1" POST "/v1/cases/cases/$case1/decide" "{\"tenant\":\"$T\",\"person\":1,\"party\":\"warning\"}")" 409
out=$(jd_ctl cases case decide --tenant $T --id "$case1" --person 2 --json)
equals "person 2 (no sanction): the case is decided" "$(jd_json .state <<<"$out")" decided
show=$(jd_ctl cases case show --tenant $T --id "$case1" --json)
equals "the form inferred from the sanctions" "$(jd_json .persons.0.decision.form <<<"$show")" f2
equals "person 2: none" "$(jd_json .persons.1.decision.party <<<"$show")" none
equals "no deadline once decided" "$(redis-cli -s "$sock" zscore "jd:{$T}:deadlines" "case:$case1#concluded")" ""

lst=$(jd_ctl cases case list --tenant $T --json)
contains "the list holds the cases" "$lst" "$year-0007"
contains "with their states" "$lst" '"state": "filed"'

jd_stop
equals "SIGTERM: exit 0" "$JD_EXIT" 0
jd_finish
