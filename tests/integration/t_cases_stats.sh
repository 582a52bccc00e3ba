#!/usr/bin/env bash
# The cases plugin, stage 3: the figures on a fixture with known answers
# (first half of this year against the same half a year earlier), filtered
# by unit and by group, rolled up over a city's counties; the CLI table,
# --json and --csv; recount finds no drift, then finds (and fixes) drift
# put into a counter by hand.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/cases_lib.sh"

jd_instance "$JD_TMP/i" --load cases
jd_start
sock=$JD_DIR/data/redis.sock
cases_org
Y=2026
P=2025

# lead DATE UNIT SOURCE [TENANT]: registered on DATE
lead() {
	bearer "$S1" POST /v1/cases/leads "{\"tenant\":\"${4:-$T}\",\"unit\":\"$2\",\"source\":\"$3\",\"received\":\"$1\",\"subject_name\":\"某\",\"allegation\":\"x\"}" >/dev/null
	jd_json .id <"$JD_TMP/b"
}
# step LEAD VERB JSON DATE: proposed, then approved on DATE (admin: sees every unit)
step() {
	jd_ctl_curl -o /dev/null -X POST -H 'Content-Type: application/json' \
		--data "{\"tenant\":\"$T\",$3}" "$(jd_api_url "/v1/cases/$1/$2")"
	jd_ctl_curl -o "$JD_TMP/b" -X POST -H 'Content-Type: application/json' \
		--data "{\"tenant\":\"$T\",\"date\":\"$4\"}" "$(jd_api_url "/v1/cases/$1/approve")"
	jd_json .state <"$JD_TMP/b"
}
team() { quiet jd_ctl cases leads assign-override --tenant $T --id "$1" --team s2,s3 --reason fixture; }
# file LEAD DATE [JOINT]: prints the case number
file() {
	jd_ctl cases file --tenant $T --id "$1" --date "$2" ${3:+--joint_units "$3"} --json | jd_json .case
}
# investigate CASE PLAN_DATE CONCLUDE_DATE
investigate() {
	step "cases/$1" plan '"plan":"p"' "$2" >/dev/null
	step "cases/$1" conclude '"report":"r"' "$3"
}

# --- a year earlier: 2 received, 1 disposed (close), 1 case (ag1, self), 1 person sanctioned
p1=$(lead $P-02-01 ag1 letters_visits)
p2=$(lead $P-03-01 ag2 audit)
equals "previous: close" "$(step "leads/$p2" dispose '"way":"close"' $P-03-05)" closed
team "$p1"
step "leads/$p1" dispose '"way":"prelim_verification"' $P-02-03 >/dev/null
equals "previous: to file" "$(step "leads/$p1" outcome '"outcome":"file","report":"r"' $P-02-20)" to_file
pc=$(file "$p1" $P-02-25)
equals "previous: the case of $P" "$pc" "$P-0001"
equals "previous: concluded" "$(investigate "$pc" $P-03-01 $P-04-01)" concluded
quiet jd_ctl cases case decide --tenant $T --id "$pc" --person 1 --party warning --date $P-04-10
# disposed one year earlier, but outside the range: not counted
equals "previous: the lead disposed" "$(jd_ctl cases leads show --tenant $T --id "$p1" --json | jd_json .dispositions)" 1

# --- this year, first half
a=$(lead $Y-02-01 ag1 self_supervision)
b=$(lead $Y-02-10 ag2 self_investigation)
c=$(lead $Y-03-01 ag1 inspection_tour)
d=$(lead $Y-04-01 ag3 audit)
e=$(lead $Y-06-30 tw1 judicial)
f=$(lead $Y-07-01 of1 letters_visits) # the day after the range
g=$(lead $Y-03-01 ag1 letters_visits 510683) # the other county of the city
check "seven leads" test -n "$a$b$c$d$e$f$g"
equals "a: talk inquiry" "$(step "leads/$a" dispose '"way":"talk_inquiry"' $Y-02-05)" inquiring
team "$a"
equals "a: escalated to verification" "$(step "leads/$a" outcome '"outcome":"escalate"' $Y-03-01)" verifying
equals "a: to file" "$(step "leads/$a" outcome '"outcome":"file","report":"r"' $Y-03-10)" to_file
ca=$(file "$a" $Y-03-15)
equals "a: concluded" "$(investigate "$ca" $Y-03-20 $Y-04-25)" concluded
quiet jd_ctl cases case decide --tenant $T --id "$ca" --person 1 --party warning --government warning --date $Y-05-01
equals "b: closed" "$(step "leads/$b" dispose '"way":"close"' $Y-02-12)" closed
equals "c: held" "$(step "leads/$c" dispose '"way":"hold_pending"' $Y-03-05)" held
team "$d"
step "leads/$d" dispose '"way":"prelim_verification"' $Y-04-02 >/dev/null
step "leads/$d" outcome '"outcome":"file","report":"r"' $Y-04-15 >/dev/null
cd_=$(file "$d" $Y-04-20 ag1)
equals "d: filed by ag3 with ag1 (joint)" "$(jd_ctl cases case show --tenant $T --id "$cd_" --json | jd_json .self_handled)" 0
investigate "$cd_" $Y-04-21 $Y-05-20 >/dev/null
quiet jd_ctl cases case decide --tenant $T --id "$cd_" --person 1 --party expulsion --date $Y-06-01

# fig FIGURE [field]: from $stats
fig() {
	python3 -c 'import json,sys
s=json.load(open(sys.argv[1]))
r=[x for x in s["figures"] if x["figure"]==sys.argv[2]][0]
v=r.get(sys.argv[3])
print("null" if v is None else v)' "$JD_TMP/stats" "$1" "${2:-value}"
}
jd_ctl cases stats --tenant $T --from $Y-01-01 --to $Y-06-30 --compare previous-year --json >"$JD_TMP/stats"
equals "leads received" "$(fig leads_received)" 5
equals "received a year earlier" "$(fig leads_received previous)" 2
equals "growth: +150%" "$(fig leads_received growth_pct)" 150.0
equals "self-discovered (supervision + investigation)" "$(fig leads_self_discovered)" 2
equals "transferred (inspection, audit, judicial, other bodies)" "$(fig leads_transferred)" 3
equals "by source: audit" "$(fig source_audit)" 1
equals "leads disposed (each approved disposition)" "$(fig leads_disposed)" 5
equals "disposed a year earlier" "$(fig leads_disposed previous)" 2
equals "by way: verification (one of them an escalation)" "$(fig disposed_prelim_verification)" 2
equals "by way: talk inquiry" "$(fig disposed_talk_inquiry)" 1
equals "by way: hold" "$(fig disposed_hold_pending)" 1
equals "by way: close" "$(fig disposed_close)" 1
equals "cases filed" "$(fig cases_filed)" 2
equals "filed a year earlier" "$(fig cases_filed previous)" 1
equals "growth +100%" "$(fig cases_filed growth_pct)" 100.0
equals "self-handled" "$(fig cases_self_handled)" 1
equals "self-handled share" "$(fig self_handled_share_pct)" 50.0
equals "persons sanctioned (once each)" "$(fig persons_sanctioned)" 2
equals "party sanctions" "$(fig persons_party_sanction)" 2
equals "government sanctions" "$(fig persons_government_sanction)" 1
equals "four forms: f2" "$(fig four_forms_f2)" 1
equals "four forms: f3 (expulsion)" "$(fig four_forms_f3)" 1
equals "agencies with a case" "$(fig agencies_with_cases)" 2
equals "of all agencies" "$(fig agencies_total)" 3
equals "as a share" "$(fig agencies_with_cases_share_pct)" 66.7
equals "a year earlier" "$(fig agencies_with_cases_share_pct previous)" 33.3

# a range of days inside a month: day buckets
jd_ctl cases stats --tenant $T --from $Y-02-01 --to $Y-02-10 --json >"$JD_TMP/stats"
equals "received 1-10 February" "$(fig leads_received)" 2
equals "no comparison asked: no previous" "$(fig leads_received previous)" null
# filters
jd_ctl cases stats --tenant $T --from $Y-01-01 --to $Y-06-30 --unit ag1 --json >"$JD_TMP/stats"
equals "unit ag1: received" "$(fig leads_received)" 2
equals "unit ag1: filed" "$(fig cases_filed)" 1
equals "unit ag1: one agency" "$(fig agencies_total)" 1
jd_ctl cases stats --tenant $T --from $Y-01-01 --to $Y-06-30 --group tf1 --json >"$JD_TMP/stats"
equals "group tf1 (ag1, ag2): received" "$(fig leads_received)" 3
equals "group tf1: its agencies" "$(fig agencies_total)" 2
# the city rolls up its two counties
jd_ctl cases stats --tenant 510600 --from $Y-01-01 --to $Y-06-30 --json >"$JD_TMP/stats"
equals "the city: received in both counties" "$(fig leads_received)" 6
equals "the city: agencies of both counties" "$(fig agencies_total)" 4
contains "the city answer names its counties" "$(cat "$JD_TMP/stats")" '"counties": 2'
out=$(fails jd_ctl cases stats --tenant 510600 --from $Y-01-01 --to $Y-06-30 --unit ag1)
contains "a unit filter is for a county" "$out" "filter a county's figures"
out=$(fails jd_ctl cases stats --tenant $T --from $Y-06-30 --to $Y-01-01)
contains "a range backwards is refused" "$out" "field 'to'"

# --- who may read them
equals "a leader reads the county's figures" "$(bearer "$L1" GET "/v1/cases/stats?tenant=$T&from=$Y-01-01&to=$Y-06-30")" 200
equals "staff: their unit's" "$(bearer "$S1" GET "/v1/cases/stats?tenant=$T&from=$Y-01-01&to=$Y-06-30&unit=ag1")" 200
equals "staff: not another unit's" "$(bearer "$S1" GET "/v1/cases/stats?tenant=$T&from=$Y-01-01&to=$Y-06-30&unit=ag2")" 403
equals "a leader of this county: not the other county's" "$(bearer "$L1" GET "/v1/cases/stats?tenant=510683&from=$Y-01-01&to=$Y-06-30")" 403
equals "a viewer of this county reads its totals" "$(bearer "$V1" GET "/v1/cases/stats?tenant=$T&from=$Y-01-01&to=$Y-06-30")" 200
equals "a viewer: not one unit's figures" "$(bearer "$V1" GET "/v1/cases/stats?tenant=$T&from=$Y-01-01&to=$Y-06-30&unit=ag1")" 403
equals "a viewer: not the other county's" "$(bearer "$V1" GET "/v1/cases/stats?tenant=510683&from=$Y-01-01&to=$Y-06-30")" 403

# --- the CLI: a table, --json, --csv
table=$(jd_ctl cases stats --tenant $T --from $Y-01-01 --to $Y-06-30 --compare previous-year)
contains "a table with a header" "$table" "FIGURE"
contains "a row per figure" "$(grep '^cases_filed ' <<<"$table")" "100.0"
csv=$(jd_ctl cases stats --tenant $T --from $Y-01-01 --to $Y-06-30 --compare previous-year --csv)
equals "the CSV header" "$(head -1 <<<"$csv" | tr -d '\r')" "figure,value,previous,growth_pct"
contains "a CSV row" "$(tr -d '\r' <<<"$csv")" "leads_received,5,2,150.0"
contains "a CSV share" "$(tr -d '\r' <<<"$csv")" "agencies_with_cases_share_pct,66.7,33.3,"

# --- recount: the counters agree with the records
out=$(jd_ctl cases recount --tenant $T --json)
equals "recount walks every lead of the county" "$(jd_json .leads <<<"$out")" 8
equals "and every case" "$(jd_json .cases <<<"$out")" 3
equals "no drift" "$(jd_json .drift <<<"$out")" 0
redis-cli -s "$sock" hincrby "jd:{$T}:cnt:u:ag2" "received|${Y}02" 3 >/dev/null
redis-cli -s "$sock" hdel "jd:{$T}:cnt:t" "filed|${Y}0315" >/dev/null
out=$(jd_ctl cases recount --tenant $T --json)
equals "drift put in by hand is found" "$(jd_json .drift <<<"$out")" 2
contains "and named" "$out" "received|${Y}02"
out=$(jd_ctl cases recount --tenant $T --fix --json)
equals "fixed" "$(jd_json .fixed <<<"$out")" true
equals "no drift after the fix" "$(jd_ctl cases recount --tenant $T --json | jd_json .drift)" 0

jd_stop
equals "SIGTERM: exit 0" "$JD_EXIT" 0
jd_finish
