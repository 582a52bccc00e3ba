#!/usr/bin/env bash
# The org report (issue 4, part 7) on a fixture province: a city and three
# counties built through jianductl (two in centralized office, the three
# modes, approved posts, people, a post transfer, groups).  The province's
# figures checked exactly in --json, the human table's "2 of 3" line, --csv
# read back with python3's csv, a county's groups with their leaders'
# names, and who may read which report.
source "$(dirname "$0")/lib.sh"

jd_instance "$JD_TMP/i"
jd_start

unit() { # unit COUNTY CODE NAME KIND POSTS
	jd_ctl org units add --tenant "$1" --code "$2" --name "$3" --kind "$4" --posts "$5" \
		--leadership_posts "$(($5 > 1 ? 2 : 0))" >/dev/null
}
person() { # person COUNTY NAME POST UNIT
	jd_ctl org people add --tenant "$1" --name "$2" --post "$3" --unit "$4" --start 2021-03-01 >/dev/null
}

# --- the fixture: 四川省 > 德阳市 > 广汉市 (task force), 什邡市 (area, joint group), 绵竹市 (not centralized)
check "a province" quiet jd_ctl org tenants add --code 510000 --name 四川省 --level province
check "a city" quiet jd_ctl org tenants add --code 510600 --name 德阳市 --level city --parent 510000
check "a task-force county" quiet jd_ctl org tenants add --code 510681 --name 广汉市 --level county \
	--parent 510600 --centralized true --centralized_since 2021-03-01 --modes task_force
check "an area and joint-group county" quiet jd_ctl org tenants add --code 510682 --name 什邡市 \
	--level county --parent 510600 --centralized true --centralized_since 2022-05-01 \
	--modes area,joint_group
check "a county not in centralized office" quiet jd_ctl org tenants add --code 510683 --name 绵竹市 \
	--level county --parent 510600

# 广汉市: 17 posts (of1 5, ag1 8, ag2 4), 8 people; ag2 lacks a deputy and a cadre
check "广汉市: office of1, 5 posts" unit 510681 of1 第一纪检监察室 office 5
check "广汉市: agency ag1, 8 posts" unit 510681 ag1 第一派驻纪检监察组 agency 8
check "广汉市: agency ag2, 4 posts" unit 510681 ag2 第二派驻纪检监察组 agency 4
for p in "王五 leader of1" "赵一 cadre of1" "钱一 head ag1" "钱二 deputy ag1" "钱三 cadre ag1" \
	"钱四 cadre ag1" "孙一 head ag2" "孙二 cadre ag2"; do
	set -- $p
	check "广汉市: $1 ($2 in $3)" person 510681 "$1" "$2" "$3"
done
check "2 posts (1 leadership) move from agency ag1 to office of1" quiet jd_ctl org transfers add \
	--tenant 510681 --date 2022-01-10 --from ag1 --to of1 --posts 2 --leadership_posts 1 \
	--reason 充实一线
# 什邡市: 7 posts (ag1 4, tw1 3), 6 people, no breach
check "什邡市: agency ag1, 4 posts" unit 510682 ag1 派驻第一纪检监察组 agency 4
check "什邡市: township tw1, 3 posts" unit 510682 tw1 方亭街道纪工委 township 3
for p in "周一 head ag1" "周二 deputy ag1" "周三 cadre ag1" "周四 cadre ag1" "吴一 cadre tw1" \
	"郑一 leader tw1"; do
	set -- $p
	check "什邡市: $1 ($2 in $3)" person 510682 "$1" "$2" "$3"
done
# 绵竹市: an agency with 4 posts and nobody in it
check "绵竹市: agency ag1, 4 posts" unit 510683 ag1 空组 agency 4

# groups: a task force with a sub-group in 广汉市, an area in 什邡市
check "a task force led by 王五" quiet jd_ctl org groups add --tenant 510681 --code tf1 \
	--kind task_force --name 派驻监督专班 --leader 王五 --units of1,ag1,ag2 --members 赵一,钱一,孙一
check "its general sub-group" quiet jd_ctl org groups add --tenant 510681 --code tf1a \
	--kind sub_group --name 综合组 --parent tf1 --function general --members 赵一
check "an area led by 郑一" quiet jd_ctl org groups add --tenant 510682 --code pq1 --kind area \
	--name 第一协作片区 --leader 郑一 --units ag1,tw1 --members 周三,吴一

# --- the province, exactly
rep=$(jd_ctl org report --tenant 510000 --json)
equals "the province: tenant, name, level" "$(py 'j["tenant"], j["name"], j["level"]' <<<"$rep")" \
	"510000 四川省 province"
equals "centralized office: 2 of 3 counties, 66.67%" \
	"$(py 'j["counties"]["centralized"], j["counties"]["total"], j["counties"]["share"]' <<<"$rep")" \
	"2 3 66.67"
equals "the counties, by code" "$(py '",".join(c["tenant"] for c in j["counties"]["list"])' <<<"$rep")" \
	"510681,510682,510683"
equals "modes in use: one county each" \
	"$(py 'j["modes"]["task_force"], j["modes"]["area"], j["modes"]["joint_group"]' <<<"$rep")" "1 1 1"
equals "staffing rate: 14 of 28 posts, 50%" \
	"$(py 'j["staffing"]["filled"], j["staffing"]["posts"], j["staffing"]["rate"]' <<<"$rep")" "14 28 50.0"
equals "agencies: 10 of 18 posts, 55.56%" \
	"$(py 'j["staffing"]["agency_filled"], j["staffing"]["agency_posts"], j["staffing"]["agency_rate"]' <<<"$rep")" \
	"10 18 55.56"
equals "each county's rate" \
	"$(py '" ".join("%s:%s/%s=%s" % (c["tenant"], c["filled"], c["posts"], c["rate"]) for c in j["counties"]["list"])' <<<"$rep")" \
	"510681:8/17=47.06 510682:6/7=85.71 510683:0/4=0.0"
equals "two agencies breach 1 head + 1 deputy + 2 cadres" "$(py 'j["breaches"]["count"]' <<<"$rep")" 2
equals "the breaches: county, unit and what is missing" \
	"$(py '"; ".join("%s %s %s: %s" % (b["tenant"], b["county"], b["unit"], b["missing"]) for b in j["breaches"]["list"])' <<<"$rep")" \
	"510681 广汉市 ag2: 1 deputy, 1 cadre; 510683 绵竹市 ag1: 1 head, 1 deputy, 2 cadres"
equals "posts moved out of agencies: 2 (1 leadership), 10% of agency posts" \
	"$(py 'j["transfers"]["count"], j["transfers"]["posts_moved"], j["transfers"]["leadership_moved"], j["transfers"]["share"]' <<<"$rep")" \
	"1 2 1 10.0"
equals "groups by kind (no list above a county)" \
	"$(py 'j["groups"]["total"], j["groups"]["by_kind"]["task_force"], j["groups"]["by_kind"]["area"], j["groups"]["by_kind"]["sub_group"], j["groups"]["by_kind"]["joint_group"], "list" in j["groups"]' <<<"$rep")" \
	"3 1 1 1 0 False"
equals "the city rolls up the same counties" \
	"$(jd_ctl org report --tenant 510600 --json | py 'j["level"], j["counties"]["total"], j["staffing"]["rate"]')" \
	"city 3 50.0"

# --- the human table
human=$(jd_ctl org report --tenant 510000)
contains "the human table has the 2 of 3 line" "$human" "2 of 3 counties (66.67%)"
contains "and the staffing rate" "$human" "14 of 28 posts filled (50.00%)"
contains "and the breaches" "$human" "1 head, 1 deputy, 2 cadres"
contains "and the Chinese names" "$human" "绵竹市"
equals "its columns line up (CJK counted as two columns)" "$(python3 -c '
import re, sys, unicodedata
w = lambda s: sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)
lines = sys.stdin.read().split("\n")
i = next(i for i, l in enumerate(lines) if l.startswith("COUNTY  NAME"))
print(" ".join(str(w(l[:list(re.finditer(r"\S+", l))[2].start()])) for l in lines[i:i + 4]))' <<<"$human")" \
	"16 16 16 16"

# --- CSV: one table per section, each row naming its section
csv_out=$(jd_ctl org report --tenant 510000 --csv)
equals "the CSV parses; its sections and their rows" "$(python3 -c '
import csv, io, sys
rows = [r for r in csv.reader(io.StringIO(sys.stdin.read())) if r]
print(",".join("%s:%d" % (s, sum(1 for r in rows if r[0] == s)) for s in ("section", "summary", "county", "breach", "group_kind", "group")))' <<<"$csv_out")" \
	"section:4,summary:1,county:3,breach:2,group_kind:6,group:0"
equals "the summary row" "$(python3 -c '
import csv, io, sys
rows = [r for r in csv.reader(io.StringIO(sys.stdin.read())) if r]
h = rows[0]; s = dict(zip(h, next(r for r in rows if r[0] == "summary")))
print(s["name"], s["counties"], s["centralized"], s["centralized_share"], s["rate"], s["breaches"], s["posts_moved"], s["moved_share"])' <<<"$csv_out")" \
	"四川省 3 2 66.67 50.00 2 2 10.00"
equals "a quoted field survives (modes with a comma)" "$(python3 -c '
import csv, io, sys
rows = [r for r in csv.reader(io.StringIO(sys.stdin.read())) if r and r[0] == "county"]
print(rows[1][1], rows[1][5])' <<<"$csv_out")" "510682 area,joint_group"
out=$(fails jd_ctl org report --tenant 510000 --csv --json)
contains "--csv and --json together is a usage error" "$out" "--json or --csv, not both"

# --- a county: its groups with their leaders' names
county=$(jd_ctl org report --tenant 510681 --json)
equals "the county report: itself only" "$(py 'j["level"], j["counties"]["total"], j["counties"]["centralized"]' <<<"$county")" \
	"county 1 1"
equals "its groups, each with its leader's name" \
	"$(py '"; ".join("%s %s %s %s" % (g["code"], g["kind"], g["name"], g["leader_name"] or "-") for g in j["groups"]["list"])' <<<"$county")" \
	"tf1 task_force 派驻监督专班 王五; tf1a sub_group 综合组 -"
human=$(jd_ctl org report --tenant 510681)
contains "the human county report lists the group" "$human" "派驻监督专班"
contains "with its leader's name" "$human" "王五"
contains "and the sub-group's function in Chinese" "$human" "general (综合组)"
equals "its CSV has the group table" \
	"$(jd_ctl org report --tenant 510681 --csv | python3 -c '
import csv, sys
print(";".join(",".join(r[1:8] + r[9:]) for r in csv.reader(sys.stdin) if r and r[0] == "group"))')" \
	"tf1,派驻监督专班,task_force,,,,王五,3,3;tf1a,综合组,sub_group,tf1,general,,,0,1"

# --- a city of 12 counties: more than the 8 snapshots read at once
check "another city" quiet jd_ctl org tenants add --code 511100 --name 乐山市 --level city --parent 510000
for i in $(seq 1 12); do
	code=$((511100 + i))
	if [ $((i % 3)) -eq 0 ]; then c=(--centralized true --modes area); else c=(); fi
	jd_ctl org tenants add --code "$code" --name "县$i" --level county --parent 511100 "${c[@]}" >/dev/null
	unit "$code" ag1 派驻组 agency 4
done
equals "its 12 counties are all read, 4 in centralized office" \
	"$(jd_ctl org report --tenant 511100 --json | py 'j["counties"]["total"], j["counties"]["centralized"], j["modes"]["area"], j["breaches"]["count"], j["staffing"]["posts"], len(j["counties"]["list"])')" \
	"12 4 4 12 48 12"
equals "the province now rolls up 15" \
	"$(jd_ctl org report --tenant 510000 --json | py 'j["counties"]["total"], j["counties"]["centralized"], j["counties"]["share"]')" \
	"15 6 40.0"

# --- who may read which report
jd_ctl users add --id mz_admin --roles tenant_admin --tenants 510683 >/dev/null
jd_ctl users add --id gh_admin --roles tenant_admin --tenants 510681 >/dev/null
jd_ctl users add --id sc_admin --roles tenant_admin --tenants 510000 >/dev/null
jd_ctl users add --id gh_staff --roles staff --tenants 510681 >/dev/null
mz=$(jd_token_for mz_admin)
gh=$(jd_token_for gh_admin)
sc=$(jd_token_for sc_admin)
st=$(jd_token_for gh_staff)
equals "a tenant admin of another county is refused" \
	"$(jd_bearer "$JD_TMP/b" "$mz" "/v1/org/report?tenant=510681")" 403
contains "and told why" "$(cat "$JD_TMP/b")" "your own tenants"
equals "nor may they read the province's roll-up" \
	"$(jd_bearer "$JD_TMP/b" "$mz" "/v1/org/report?tenant=510000")" 403
equals "they read their own county's" "$(jd_bearer "$JD_TMP/b" "$mz" "/v1/org/report?tenant=510683")" 200
equals "which is theirs alone" "$(py 'j["counties"]["total"], j["counties"]["list"][0]["name"]' <"$JD_TMP/b")" \
	"1 绵竹市"
equals "a county's tenant admin reads it" "$(jd_bearer "$JD_TMP/b" "$gh" "/v1/org/report?tenant=510681")" 200
equals "a province's tenant admin reads a county under it" \
	"$(jd_bearer "$JD_TMP/b" "$sc" "/v1/org/report?tenant=510681")" 200
equals "and the city between" "$(jd_bearer "$JD_TMP/b" "$sc" "/v1/org/report?tenant=510600")" 200
equals "staff of the county read its report" "$(jd_bearer "$JD_TMP/b" "$st" "/v1/org/report?tenant=510681")" 200
equals "but not the province's" "$(jd_bearer "$JD_TMP/b" "$st" "/v1/org/report?tenant=510000")" 403

# --- bad input
out=$(fails jd_ctl org report --tenant 519999)
contains "an unknown tenant is 404" "$out" "no tenant '519999'"
out=$(fails jd_ctl org report --tenant 51)
contains "a bad code names the field" "$out" "field 'tenant' must be a 6-digit"
out=$(fails jd_ctl org report)
contains "--tenant is required" "$out" "missing --tenant"
contains "the help says what --csv gives" "$(jd_ctl org report --help)" "one CSV table per section"

jd_stop
equals "jiandud stops cleanly (no sanitizer report in a sanitizer build)" "$JD_EXIT" 0
jd_no_sanitizer_report

jd_finish
