#!/usr/bin/env bash
# Roll-ups that match China's administrative tree (docs/organization.md,
# docs/security.md "Organization and figures", docs/cases.md):
# - the levels and the GB/T 2260 division code: a municipality (直辖市) and
#   its districts, a province-administered county-level city, and every
#   inconsistent code refused naming what is wrong;
# - one tenant rule: whoever reads a roll-up (a province, a municipality, a
#   city) reads every tenant beneath it (leads, figures, organization); a
#   county's reader still cannot read its sibling;
# - recount on a roll-up recounts each county under it (reporting each), at
#   most 40 (a bigger roll-up is refused, told to recount city by city),
#   for every plugin, and a roll-up with no county is refused;
# - self-handled (自办): a case a dispatched agency filed and handles
#   itself; filed or led by an office (or a township) it is only filed.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/cases_lib.sh"

jd_instance "$JD_TMP/i" --load cases,supervision
jd_start
sock=$JD_DIR/data/redis.sock
cases_org # 510000 > 510600 > 510681 (units of1 ag1 ag2 ag3 tw1), 510683 (ag1)

# --- 1. levels and division codes
# refused DESCRIPTION WANT ARGS...: org tenants add ARGS fails, saying WANT
refused() {
	local d=$1 w=$2
	shift 2
	contains "$d" "$(fails jd_ctl org tenants add "$@")" "$w"
}
check "a municipality (Tianjin)" quiet jd_ctl org tenants add --code 120000 --name 天津市 --level municipality
check "a district directly under it" quiet jd_ctl org tenants add --code 120101 --name 和平区 \
	--level district --parent 120000 --centralized true --centralized_since 2023-06-01 --modes task_force
check "a county under it" quiet jd_ctl org tenants add --code 120225 --name 蓟县 --level county --parent 120000
check "a county-level city under a city" quiet jd_ctl org tenants add --code 510682 --name 什邡市 \
	--level county_city --parent 510600
check "a province (Hubei)" quiet jd_ctl org tenants add --code 420000 --name 湖北省 --level province
check "a county-level city the province administers directly (xx90xx)" quiet jd_ctl org tenants add \
	--code 429004 --name 仙桃市 --level county_city --parent 420000
equals "the district's level is kept" "$(jd_ctl org tenants show --code 120101 --json | jd_json .level)" district
refused "a municipality's code at level city: refused" "400" --code 120000 --name x --level city
out=$(fails jd_ctl org tenants add --code 310000 --name 上海市 --level province)
contains "a municipality's code at level province: told to use municipality" "$out" "use level municipality"
contains "naming the city" "$out" "Shanghai"
refused "a province's code at level municipality: refused" "not a municipality's" --code 510000 --name x --level municipality
refused "no city inside a municipality" "sit directly under it" --code 120100 --name x --level city --parent 120000
refused "a district whose code lies elsewhere: refused" "the code '120102' does not lie under '510600'" --code 120102 --name x --level district --parent 510600
refused "a county of another prefecture: refused" "does not lie under '510600'" --code 510781 --name x --level county --parent 510600
refused "a district under a province: wrong level" "wrong level" --code 510699 --name x --level district --parent 510000
refused "a district's code ending in 00 is a city's" "ends in 00" --code 510700 --name x --level district --parent 510600
refused "a district needs its parent" "field 'parent' is required for a district" --code 120199 --name x --level district
refused "a municipality has no parent" "a municipality has no parent" --code 500000 --name x --level municipality --parent 510000
refused "an unknown level names the levels" "province, municipality, city, district, county, county_city" --code 120103 --name x --level borough --parent 120000
refused "modes only for county-level tenants" "only for a county-level tenant" --code 120000 --name x --level municipality --modes area
rep=$(jd_ctl org report --tenant 120000 --json)
equals "the municipality rolls up its district and county" "$(jd_json .counties.total <<<"$rep")" 2
equals "of which one centralized" "$(jd_json .counties.centralized <<<"$rep")" 1

# --- 2. whoever reads a roll-up reads every tenant beneath it
quiet jd_ctl org units add --tenant 120101 --code ag1 --name 派驻组 --kind agency
lead_in() { # lead_in TENANT: a lead registered by the admin in TENANT's ag1
	jd_ctl cases leads add --tenant "$1" --unit ag1 --source audit --subject_name 某 --allegation x \
		--json | jd_json .id
}
l_gh=$(add_lead "$S1" ag1 audit)
l_mz=$(lead_in 510683)
l_hp=$(lead_in 120101)
check "three leads" test -n "$l_gh" -a -n "$l_mz" -a -n "$l_hp"
quiet jd_ctl users add --id pl --roles leader --tenants 510000
quiet jd_ctl users add --id cl --roles leader --tenants 510600
quiet jd_ctl users add --id tl --roles leader --tenants 120000
PL=$(jd_token_for pl)
CL=$(jd_token_for cl)
TL=$(jd_token_for tl)
Y=$(date +%Y)
today=$(date +%F)
stats() { bearer "$1" GET "/v1/cases/stats?tenant=$2&from=$Y-01-01&to=$today"; }
equals "a city's leader reads a county's lead" "$(bearer "$CL" GET "/v1/cases/leads/$l_gh?tenant=$T")" 200
equals "and its sibling's" "$(bearer "$CL" GET "/v1/cases/leads/$l_mz?tenant=510683")" 200
equals "a city's leader reads a county's figures" "$(stats "$CL" $T)" 200
equals "counting its lead" "$(py 'next(f["value"] for f in j["figures"] if f["figure"]=="leads_received")' <"$JD_TMP/b")" 1
equals "a city's leader lists a county's leads" "$(bearer "$CL" GET "/v1/cases/leads?tenant=$T")" 200
contains "and sees the lead" "$(body)" "$l_gh"
equals "a province's leader reads a county's lead (two levels down)" "$(bearer "$PL" GET "/v1/cases/leads/$l_gh?tenant=$T")" 200
equals "and its figures" "$(stats "$PL" $T)" 200
equals "and its organization" "$(bearer "$PL" GET "/v1/org/units?tenant=$T")" 200
equals "a municipality's leader reads a district's lead" "$(bearer "$TL" GET "/v1/cases/leads/$l_hp?tenant=120101")" 200
equals "and its figures" "$(stats "$TL" 120101)" 200
equals "and its organization" "$(bearer "$TL" GET "/v1/org/units?tenant=120101")" 200
equals "but not a county of another province (hidden: 404)" "$(bearer "$TL" GET "/v1/cases/leads/$l_gh?tenant=$T")" 404
equals "nor its figures" "$(stats "$TL" $T)" 403
# a county's reader: their county only
equals "a county's leader reads their county's lead" "$(bearer "$L1" GET "/v1/cases/leads/$l_gh?tenant=$T")" 200
equals "not their sibling's (hidden: 404)" "$(bearer "$L1" GET "/v1/cases/leads/$l_mz?tenant=510683")" 404
equals "nor its figures" "$(stats "$L1" 510683)" 403
contains "the refusal states the rule" "$(body)" "who may read a roll-up reads every tenant beneath it"
equals "nor its organization" "$(bearer "$L1" GET "/v1/org/units?tenant=510683")" 403
contains "the refusal states the rule" "$(body)" "every tenant beneath them"
equals "nor the city's roll-up" "$(stats "$L1" 510600)" 403

# --- 4. self-handled (自办): filed by a dispatched agency, which handles it alone
step() { # step PATH VERB JSON: proposed and approved by the admin
	jd_ctl_curl -o /dev/null -X POST -H 'Content-Type: application/json' \
		--data "{\"tenant\":\"$T\",$3}" "$(jd_api_url "/v1/cases/$1/$2")"
	jd_ctl_curl -o "$JD_TMP/b" -X POST -H 'Content-Type: application/json' \
		--data "{\"tenant\":\"$T\"}" "$(jd_api_url "/v1/cases/$1/approve")"
	jd_json .state <"$JD_TMP/b"
}
to_file() { # to_file UNIT: a new lead of UNIT verified for filing; prints its id
	local l
	l=$(jd_ctl cases leads add --tenant $T --unit "$1" --source self_supervision --subject_name 某 \
		--allegation x --json | jd_json .id)
	quiet jd_ctl cases leads assign-override --tenant $T --id "$l" --team s2,s3 --reason fixture
	step "leads/$l" dispose '"way":"prelim_verification"' >/dev/null
	step "leads/$l" outcome '"outcome":"file","report":"r"' >/dev/null
	echo "$l"
}
self_of() { jd_ctl cases file --tenant $T --id "$@" --json | jd_json .self_handled; }
equals "an agency files and handles its own lead: self-handled" "$(self_of "$(to_file ag2)")" true
equals "an office files on an agency's lead: filed, not self-handled" \
	"$(self_of "$(to_file ag2)" --filing_unit of1)" false
equals "an agency files, an office leads: not self-handled" \
	"$(self_of "$(to_file ag3)" --handling_unit of1)" false
equals "an office files with agencies taking part: not self-handled" \
	"$(self_of "$(to_file of1)" --joint_units ag2,ag3)" false
equals "a township files and handles alone: not a dispatched agency's" "$(self_of "$(to_file tw1)")" false
s=$(jd_ctl cases stats --tenant $T --from $Y-01-01 --to "$today" --json)
fig() { py "next(f['value'] for f in j['figures'] if f['figure']=='$1')" <<<"$s"; }
equals "five cases filed" "$(fig cases_filed)" 5
equals "one self-handled" "$(fig cases_self_handled)" 1
equals "share 20%" "$(fig self_handled_share_pct)" 20.0
s=$(jd_ctl cases stats --tenant $T --from $Y-01-01 --to "$today" --unit of1 --json)
equals "the office's figures: two filed" "$(fig cases_filed)" 2
equals "none self-handled" "$(fig cases_self_handled)" 0
first=$(redis-cli -s "$sock" zrange "jd:{$T}:cases:all" 0 0)
equals "the case keeps its filing unit's kind" "$(redis-cli -s "$sock" hget "jd:{$T}:case:$first" filing_kind)" agency
# cases filed before the kind was kept, flagged by the definition of then (filing unit = handling
# unit): the recount asks the definition again from their facts and the organization, never the flag
second=$(redis-cli -s "$sock" zrange "jd:{$T}:cases:all" 1 1)
equals "the office's case on an agency's lead" "$(redis-cli -s "$sock" hget "jd:{$T}:case:$second" filing_unit)" of1
for c in "$first" "$second"; do
	redis-cli -s "$sock" hdel "jd:{$T}:case:$c" filing_kind >/dev/null
	redis-cli -s "$sock" hset "jd:{$T}:case:$c" self_handled 1 >/dev/null
done
equals "old cases: shown by the definition, not their flag (the office's: no; the agency's: yes)" \
	"$(jd_ctl cases case show --tenant $T --id "$second" --json | jd_json .self_handled) $(jd_ctl cases case show --tenant $T --id "$first" --json | jd_json .self_handled)" "0 1"
rec=$(jd_ctl cases recount --tenant $T --json)
equals "old cases: the office's flag is not taken, the agency's case still self-handled: no drift" \
	"$(jd_json .drift <<<"$rec")" 0

# --- 3. recount on a roll-up: every county under it, each reported
rec=$(jd_ctl cases recount --tenant $T --json)
equals "the county: no drift" "$(jd_json .drift <<<"$rec")" 0
equals "every case walked" "$(jd_json .cases <<<"$rec")" 5
rec=$(jd_ctl cases recount --tenant 510600 --json)
echo "# $(tr -d '\n ' <<<"$rec" | cut -c1-300)"
equals "a city recounts each county under it" \
	"$(py '" ".join(c["tenant"] for c in j["counties"])' <<<"$rec")" "510681 510682 510683"
equals "the leads of all of them" "$(jd_json .leads <<<"$rec")" 7
equals "never a silent zero: the city's cases" "$(jd_json .cases <<<"$rec")" 5
equals "no drift" "$(jd_json .drift <<<"$rec")" 0
equals "the province too" "$(jd_ctl cases recount --tenant 510000 --json | jd_json .leads)" 7
equals "the municipality: its district" "$(jd_ctl cases recount --tenant 120000 --json | jd_json .leads)" 1
quiet jd_ctl org tenants add --code 511100 --name 乐山市 --level city --parent 510000
out=$(fails jd_ctl cases recount --tenant 511100)
contains "a roll-up with no county under it: refused" "$out" "400"
contains "and told why" "$out" "tenant 511100 is a city, a roll-up with no county-level tenant under it"
out=$(fails jd_ctl supervision recount --tenant 511100)
contains "the same for every plugin (the host's recount)" "$out" "no county-level tenant under it"
rec=$(jd_ctl supervision recount --tenant 510600 --json)
equals "supervision: a city recounts each county" "$(py 'len(j["counties"])' <<<"$rec")" 3
# a bounded recount: a roll-up of more counties than one recount covers (40) is refused, told why
for i in $(seq 1 41); do
	quiet jd_ctl org tenants add --code "$(printf '5111%02d' "$i")" --name "区$i" --level district --parent 511100
done
out=$(fails jd_ctl cases recount --tenant 511100)
contains "a roll-up of 41 counties: refused" "$out" "400"
contains "... told the bound and what to do" "$out" "rolling up 41 counties; one recount covers at most 40"
contains "... so is the province above it (more than 40)" "$(fails jd_ctl cases recount --tenant 510000)" "recount each city under it"
equals "a county under it is recounted on its own" "$(jd_ctl cases recount --tenant 511101 --json | jd_json .leads)" 0
# drift in one county, found and fixed through the roll-up
redis-cli -s "$sock" hincrby "jd:{510683}:cnt:t" "received|${Y}01" 3 >/dev/null
rec=$(jd_ctl cases recount --tenant 510600 --json)
equals "drift in one county shows in the roll-up" "$(jd_json .drift <<<"$rec")" 1
equals "named under its county" "$(py '[c["tenant"] for c in j["counties"] if c["drift"]][0]' <<<"$rec")" 510683
rec=$(jd_ctl cases recount --tenant 510600 --fix --json)
equals "fixed" "$(jd_json .fixed <<<"$rec")" true
equals "then none" "$(jd_ctl cases recount --tenant 510600 --json | jd_json .drift)" 0

jd_stop
equals "SIGTERM: exit 0" "$JD_EXIT" 0
jd_finish
