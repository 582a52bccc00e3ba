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
cases_figures_fixture

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
# a fix larger than one step (2,000 counters): applied step after step, one audit entry each
seq 1 4500 | awk -v k="jd:{$T}:cnt:t" '{ printf "HSET %s bogus|%d 1\n", k, $1 }' |
	redis-cli -s "$sock" >/dev/null
before=$(redis-cli -s "$sock" xlen "jd:{$T}:audit")
out=$(jd_ctl cases recount --tenant $T --fix --json)
equals "4,500 drifted counters found" "$(jd_json .drift <<<"$out")" 4500
equals "and fixed" "$(jd_json .fixed <<<"$out")" true
equals "in three steps, each audited" "$(($(redis-cli -s "$sock" xlen "jd:{$T}:audit") - before))" 3
equals "no drift after it" "$(jd_ctl cases recount --tenant $T --json | jd_json .drift)" 0

jd_stop
equals "SIGTERM: exit 0" "$JD_EXIT" 0
jd_finish
