#!/usr/bin/env bash
# The leaders' report (GET /v1/report, docs/report.md) on the cases figures
# fixture (cases_lib.sh: known answers for the first half of 2026 against
# 2025): the organization and cases sections with previous year and growth;
# the sections [report] sections expects but no plugin declared, listed
# missing; small counts suppressed for a viewer (not for a leader); by=month;
# a city's roll-up and by=tenant; bad input named; the CLI's --json and --csv.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/cases_lib.sh"

jd_instance "$JD_TMP/i" --load cases
jd_set report sections organization,cases,supervision
jd_start
cases_org
cases_figures_fixture

R=$JD_TMP/report.json
# fig KEY [FIELD]: from $R
fig() {
	python3 -c 'import json,sys
j=json.load(open(sys.argv[1]))
f=[f for s in j["sections"] for f in s["figures"] if f["key"]==sys.argv[2]][0]
v=f.get(sys.argv[3])
print("null" if v is None else json.dumps(v))' "$R" "$1" "${2:-value}"
}
jd_ctl report --tenant $T --from $Y-01-01 --to $Y-06-30 --json >"$R"
equals "the header" "$(py 'j["tenant"], j["level"], j["from"], j["to"], j["compare"]' <"$R")" \
	"$T county $Y-01-01 $Y-06-30 previous-year"
equals "the previous range" "$(py 'j["previous"]["from"], j["previous"]["to"]' <"$R")" "$P-01-01 $P-06-30"
equals "sections: organization, then cases" "$(py '",".join(s["name"] for s in j["sections"])' <"$R")" \
	"organization,cases"
equals "supervision: expected, not loaded, said so" "$(py 'j["missing"]' <"$R")" \
	"[{'section': 'supervision', 'reason': 'plugin not loaded'}]"
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
equals "the organization: 0 of 1 county centralized" \
	"$(fig org.centralized_tenants) $(fig org.centralized_tenants of)" "0 1"
equals "the organization is today's: no previous year" "$(fig org.staffing_rate previous)" null
equals "the admin sees small counts" "$(fig cases.self_handled suppressed)" false
