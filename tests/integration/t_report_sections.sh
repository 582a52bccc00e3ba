#!/usr/bin/env bash
# The leaders' report (GET /v1/report, docs/report.md) on the cases figures
# fixture (cases_lib.sh: known answers for the first half of 2026 against
# 2025): the organization and cases sections with previous year and growth;
# the sections [report] sections expects but no plugin declared, listed
# missing (then loaded after a restart); small counts suppressed for a
# viewer (not for a leader); by=month; a city's roll-up and by=tenant; bad
# input named; the CLI's table and --csv.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/cases_lib.sh"

jd_instance "$JD_TMP/i" --load cases,supervision,training
jd_set report sections organization,cases,supervision,review,training
jd_start
cases_org
cases_figures_fixture
# supervision: talks (person-times), letters and rules in both halves
talk() { quiet jd_ctl supervision talks add --tenant $T --unit "$1" --supervised 单位 --persons "$2" \
	--leaders 1 --key_posts 1 --reason r --date "$3"; }
talk ag1 5 $Y-01-05
talk ag2 4 $Y-02-05
talk ag1 8 $P-03-05
letter() { quiet jd_ctl supervision letters add --tenant $T --kind "$1" --unit ag1 --supervised x \
	--reply_due "$2" --date "$3"; }
letter prompt $Y-02-28 $Y-01-20
letter prompt $Y-03-28 $Y-02-20
letter recommendation $Y-04-28 $Y-03-20
letter prompt $P-02-28 $P-01-20
quiet jd_ctl supervision rules add --tenant $T --unit ag2 --title r --date $Y-04-01

R=$JD_TMP/report.json
# fig KEY [FIELD]: from $R
fig() {
	python3 -c 'import json,sys
j=json.load(open(sys.argv[1]))
f=[f for s in j["sections"] for f in s["figures"] if f["key"]==sys.argv[2]][0]
v=f.get(sys.argv[3])
print("null" if v is None else json.dumps(v, ensure_ascii=False))' "$R" "$1" "${2:-value}"
}
jd_ctl report --tenant $T --from $Y-01-01 --to $Y-06-30 --json >"$R"
equals "the header" "$(py 'j["tenant"], j["level"], j["from"], j["to"], j["compare"]' <"$R")" \
	"$T county $Y-01-01 $Y-06-30 previous-year"
equals "the previous range" "$(py 'j["previous"]["from"], j["previous"]["to"]' <"$R")" "$P-01-01 $P-06-30"
equals "sections: organization, then the plugins'" \
	"$(py '",".join(s["name"] for s in j["sections"])' <"$R")" "organization,cases,supervision,training"
equals "review: expected, not loaded, said so" "$(py 'j["missing"]' <"$R")" \
	"[{'section': 'review', 'reason': 'plugin not loaded'}]"
equals "leads disposed" "$(fig cases.leads_disposed) $(fig cases.leads_disposed previous)" "5 2"
equals "its growth: +150%" "$(fig cases.leads_disposed growth)" 1.5
equals "cases filed" "$(fig cases.cases_filed) $(fig cases.cases_filed previous) $(fig cases.cases_filed growth)" "2 1 1.0"
equals "persons sanctioned" "$(fig cases.persons_sanctioned) $(fig cases.persons_sanctioned previous)" "2 1"
equals "agencies that filed a case" "$(fig cases.agencies_filed_share) $(fig cases.agencies_filed_share previous)" "66.67 33.33"
equals "self-handled and its share" "$(fig cases.self_handled) $(fig cases.self_handled_share)" "1 50.0"
equals "self-discovered, transferred" "$(fig cases.leads_self_discovered) $(fig cases.transferred)" "2 3"
equals "a count's unit" "$(fig cases.cases_filed unit)" '"count"'
contains "every figure carries its definition" "$(fig cases.cases_filed definition)" "date filed"
equals "labels in English and Chinese" "$(fig cases.cases_filed label) $(fig cases.cases_filed label_zh)" '"Cases filed" "立案"'
# --- the organization as it stood at the end of June, and a year earlier (org_history.h)
orgsec() { py "[s for s in j['sections'] if s['name']=='organization'][0].get('$1')" <"$R"; }
now=$(date +%Y-%m)
equals "the organization: no history before today: null, not zero" \
	"$(fig org.centralized_tenants) $(fig org.centralized_tenants of) $(fig org.staffing_rate previous)" "null 1 null"
equals "... the history begins this month" "$(orgsec history_from)" "$now"
contains "... and the answer says so" "$(orgsec note)" "history begins $now"
contains "reading the county kept this month's figures" "$(jd_ctl org history show --tenant $T --json)" "\"$now\""
# an org write keeps them again by itself (after its reply: polled), no report read in between
month_posts() { [ "$(jd_ctl org history show --tenant $T --json | py "j['months']['$now']['posts']")" = "$1" ]; }
check "before: no approved posts this month" month_posts 0
v=$(jd_ctl org units show --tenant $T --code of1 --json | jd_json .version)
quiet jd_ctl org units edit --tenant $T --code of1 --posts 7 --version "$v"
check "an org write keeps this month's figures: 7 posts" jd_wait_for 50 month_posts 7
hist() { quiet jd_ctl org history set --tenant "$1" --month "$2" "${@:3}"; }
hist $T $P-06 --posts 10 --filled 8 --agency_posts 6 --agency_filled 5 --posts_moved 1 --breaches 2
hist $T $Y-06 --centralized true --modes task_force --posts 10 --filled 9 --agency_posts 6 \
	--agency_filled 6 --posts_moved 2 --leadership_moved 1 --breaches 1
hist 510683 $P-06 --posts 4 --filled 4
jd_ctl report --tenant $T --from $Y-01-01 --to $Y-06-30 --json >"$R"
equals "the organization at the end of June: 1 of 1 county centralized, 0 a year earlier" \
	"$(fig org.centralized_tenants) $(fig org.centralized_tenants of) $(fig org.centralized_tenants previous)" "1 1 0"
equals "staffing rate 90%, 80% a year earlier, +12.5%" \
	"$(fig org.staffing_rate) $(fig org.staffing_rate previous) $(fig org.staffing_rate growth)" "90.0 80.0 0.125"
equals "posts moved 2 against 1" "$(fig org.posts_moved) $(fig org.posts_moved previous) $(fig org.posts_moved growth)" "2 1 1.0"
equals "rule breaches 1 against 2" "$(fig org.rule_breaches) $(fig org.rule_breaches previous)" "1 2"
equals "modes in use" "$(fig org.modes_task_force) $(fig org.modes_task_force previous)" "1 0"
equals "the history reaches back: no note" "$(orgsec note) $(orgsec history_from)" "None $P-06"
equals "a month of this year or later is the organization's own" \
	"$(jd_ctl_curl -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
		--data "{\"tenant\":\"$T\",\"month\":\"$now\",\"posts\":1}" "$(jd_api_url /v1/org/history)")" 400
equals "a city keeps no history of its own" \
	"$(jd_ctl_curl -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
		--data '{"tenant":"510600","month":"2025-01","posts":1}' "$(jd_api_url /v1/org/history)")" 400
equals "the admin sees small counts" "$(fig cases.self_handled suppressed)" false
equals "talks: person-times" "$(fig supervision.talks_person_times) $(fig supervision.talks_person_times previous)" "9 8"
equals "letters and recommendations" "$(fig supervision.letters_and_recommendations) $(fig supervision.letters_and_recommendations previous)" "3 1"
equals "rules: none a year earlier, no growth" "$(fig supervision.rules_established) $(fig supervision.rules_established previous) $(fig supervision.rules_established growth)" "1 0 null"
equals "training: nothing, and a share of nothing is null" "$(fig training.new_cadres) $(fig training.both_mentors_share)" "0 null"

# --- a viewer: counts of 1 and 2 suppressed (value and previous), shares and zeros not
jd_ctl report --tenant $T --from $Y-01-01 --to $Y-06-30 --json >/dev/null
equals "viewer: the report is readable" "$(bearer "$V1" GET "/v1/report?tenant=$T&from=$Y-01-01&to=$Y-06-30")" 200
cp "$JD_TMP/b" "$R"
equals "viewer: the threshold said" "$(py 'j["suppress_below"]' <"$R")" 3
equals "viewer: 2 cases filed suppressed" "$(fig cases.cases_filed) $(fig cases.cases_filed previous) $(fig cases.cases_filed suppressed)" "null null true"
equals "viewer: 5 disposed, but 2 a year earlier: suppressed" "$(fig cases.leads_disposed) $(fig cases.leads_disposed suppressed)" "null true"
equals "viewer: 9 person-times, 8 before: shown" "$(fig supervision.talks_person_times) $(fig supervision.talks_person_times suppressed)" "9 false"
equals "viewer: a share is no count: shown" "$(fig cases.self_handled_share)" 50.0
equals "viewer: zero identifies no one: shown" "$(fig training.new_cadres)" 0
equals "leader: no suppression" "$(bearer "$L1" GET "/v1/report?tenant=$T&from=$Y-01-01&to=$Y-06-30")" 200
cp "$JD_TMP/b" "$R"
equals "leader: the small counts" "$(fig cases.cases_filed) $(py 'j["suppress_below"]' <"$R")" "2 0"
equals "staff: no report.read" "$(bearer "$S1" GET "/v1/report?tenant=$T&from=$Y-01-01&to=$Y-06-30")" 403

# --- by=month: each month's value and the same month a year earlier
jd_ctl report --tenant $T --from $Y-01-01 --to $Y-06-30 --by month --json >"$R"
equals "by month: the months of the range" "$(py '",".join(e["key"] for e in [f for s in j["sections"] for f in s["figures"] if f["key"]=="cases.leads_disposed"][0]["by"])' <"$R")" \
	"$Y-01,$Y-02,$Y-03,$Y-04,$Y-05,$Y-06"
equals "by month: dispositions" "$(py '[e["value"] for e in [f for s in j["sections"] for f in s["figures"] if f["key"]=="cases.leads_disposed"][0]["by"]]' <"$R")" \
	"[0, 2, 2, 1, 0, 0]"
equals "by month: a year earlier" "$(py '[e["previous"] for e in [f for s in j["sections"] for f in s["figures"] if f["key"]=="cases.leads_disposed"][0]["by"]]' <"$R")" \
	"[0, 1, 1, 0, 0, 0]"
equals "by month: the totals unchanged" "$(fig cases.leads_disposed)" 5
equals "by month: the organization at the end of each month" \
	"$(py '[e["value"] for e in [f for s in j["sections"] for f in s["figures"] if f["key"]=="org.staffing_rate"][0]["by"]]' <"$R")" \
	"[80.0, 80.0, 80.0, 80.0, 80.0, 90.0]"
equals "by month: a year earlier, null before the history begins" \
	"$(py '[e["previous"] for e in [f for s in j["sections"] for f in s["figures"] if f["key"]=="org.staffing_rate"][0]["by"]]' <"$R")" \
	"[None, None, None, None, None, 80.0]"
contains "by month: the answer says where the history begins" "$(orgsec note)" "history begins $P-06"

# --- a roll-up: the city over its two counties, by county; a city leader reads each county
quiet jd_ctl users add --id c1 --roles leader --tenants 510600
C1=$(jd_token_for c1)
equals "city leader: the city by county" "$(bearer "$C1" GET "/v1/report?tenant=510600&from=$Y-01-01&to=$Y-06-30&by=tenant")" 200
cp "$JD_TMP/b" "$R"
equals "the city: a roll-up of 2 counties, 1 centralized at the end of June" "$(py 'j["level"]' <"$R") $(fig org.centralized_tenants) $(fig org.centralized_tenants of)" "city 1 2"
equals "the city: staffing summed over its counties, and a year earlier" \
	"$(fig org.staffing_rate) $(fig org.staffing_rate previous)" "92.86 85.71"
equals "the city: leads received over both counties" "$(fig cases.leads_received)" 6
equals "by county: keys, names and values" \
	"$(py '[(e["key"], e["name"], e["value"]) for e in [f for s in j["sections"] for f in s["figures"] if f["key"]=="cases.leads_received"][0]["by"]]' <"$R")" \
	"[('510681', '广汉市', 5), ('510683', '绵竹市', 1)]"
equals "by county: the organization too" \
	"$(py '[e["key"] for e in [f for s in j["sections"] for f in s["figures"] if f["key"]=="org.rule_breaches"][0]["by"]]' <"$R")" \
	"['510681', '510683']"
quiet jd_ctl users add --id p1 --roles leader --tenants 510000
P1=$(jd_token_for p1)
equals "province leader: the province by county" "$(bearer "$P1" GET "/v1/report?tenant=510000&from=$Y-01-01&to=$Y-06-30&by=tenant")" 200
cp "$JD_TMP/b" "$R"
equals "the province: both counties, through the city" "$(fig cases.leads_received) $(fig org.centralized_tenants of)" "6 2"
equals "province leader: a county two levels down, its figures included" \
	"$(bearer "$P1" GET "/v1/report?tenant=$T&from=$Y-01-01&to=$Y-06-30")" 200
cp "$JD_TMP/b" "$R"
equals "... the county's cases filed" "$(fig cases.cases_filed)" 2
equals "a county's viewer may not read the city" "$(bearer "$V1" GET "/v1/report?tenant=510600&from=$Y-01-01&to=$Y-06-30")" 403

# --- bad input, named
out=$(fails jd_ctl report --tenant $T --from $Y-01-01 --to $Y-06-30 --by week)
contains "by=week refused, naming the field" "$out" "field 'by'"
out=$(fails jd_ctl report --tenant $T --from $Y-06-30 --to $Y-01-01)
contains "a range backwards refused" "$out" "field 'to'"
out=$(fails jd_ctl report --tenant 999999 --from $Y-01-01 --to $Y-06-30)
contains "an unknown tenant: 404" "$out" "no tenant '999999'"
out=$(fails jd_ctl report --tenant $T --from $Y-01-01 --to $((Y + 4))-01-01 --by month)
contains "too many months" "$out" "at most 36 months"

# --- the CLI: the table and the CSV
out=$(jd_ctl report --tenant $T --from $Y-01-01 --to $Y-06-30)
contains "the table: a row per figure, in Chinese, with growth" "$out" "立案"
contains "the table: growth in percent" "$out" "+100.0%"
contains "the table: the missing section" "$out" "missing review"
jd_ctl report --tenant $T --from $Y-01-01 --to $Y-06-30 --by month --csv >"$JD_TMP/r.csv"
equals "CSV: the header" "$(head -1 "$JD_TMP/r.csv" | tr -d "\r")" "section,key,figure,unit,value,previous,growth,note,$Y-01,$Y-02,$Y-03,$Y-04,$Y-05,$Y-06"
equals "CSV: a figure's row" "$(python3 -c 'import csv,sys
for r in csv.DictReader(open(sys.argv[1])):
    if r["key"]=="cases.leads_disposed": print(r["value"], r["previous"], r["growth"], r[sys.argv[2]+"-03"])' "$JD_TMP/r.csv" $Y)" \
	"5 2 +150.0% 2"

# --- review loaded after a restart: its section appears, nothing is missing
jd_stop
jd_set plugins load cases,supervision,training,review
jd_start
jd_ctl report --tenant $T --from $Y-01-01 --to $Y-06-30 --json >"$R"
equals "review loaded: every expected section" "$(py '",".join(sorted(s["name"] for s in j["sections"]))' <"$R")" \
	"cases,organization,review,supervision,training"
equals "nothing missing" "$(py 'j["missing"]' <"$R")" "[]"
equals "review: no review in the fixture" "$(fig review.received) $(fig review.median_days)" "0 null"
equals "the figures kept across the restart" "$(fig cases.leads_disposed)" 5
jd_finish
