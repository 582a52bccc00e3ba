#!/usr/bin/env bash
# Organization, part 1: tenants (province, city, county) and a county's units,
# through the CLI and the API: validation naming the field, scope for tenant
# admins, retirement, and Chinese names kept intact.
source "$(dirname "$0")/lib.sh"

jd_instance "$JD_TMP/i"
jd_start

# --- tenants
check "a province" quiet jd_ctl org tenants add --code 510000 --name 四川省 --level province
check "a city" quiet jd_ctl org tenants add --code 510600 --name 德阳市 --level city --parent 510000
check "a county in centralized office" quiet jd_ctl org tenants add --code 510681 --name 广汉市 \
	--level county --parent 510600 --centralized true --centralized_since 2021-03-01 --modes task_force
check "another county" quiet jd_ctl org tenants add --code 510683 --name 绵竹市 --level county --parent 510600

out=$(fails jd_ctl org tenants add --code 510681 --name 广汉市 --level county --parent 510600)
contains "a duplicate code is 409" "$out" "409"
contains "and names the code" "$out" "tenant '510681' exists already"
out=$(fails jd_ctl org tenants add --code 510699 --name x --level county --parent 519900)
contains "an unknown parent is refused" "$out" "400"
contains "and named" "$out" "no tenant '519900'"
out=$(fails jd_ctl org tenants add --code 510698 --name x --level county --parent 510000)
contains "a county under a province: wrong level" "$out" "wrong level"
out=$(fails jd_ctl org tenants add --code 5106 --name x --level county --parent 510600)
contains "a bad code is named" "$out" "field 'code'"
out=$(fails jd_ctl org tenants add --code 510697 --name x --level county --parent 510600 --modes task_force,committee)
contains "a mode that is not one of the three" "$out" "'committee' is not a mode"
out=$(fails jd_ctl org tenants add --code 510696 --name x --level county --parent 510600 --centralized_since 2021-03-01)
contains "centralized_since without centralized" "$out" "needs centralized true"
out=$(fails jd_ctl org tenants add --code 520000 --name x --level province --parent 510000)
contains "a province has no parent" "$out" "a province has no parent"
out=$(fails jd_ctl org tenants add --code 510100 --name x --level city --modes area --parent 510000)
contains "modes are for counties" "$out" "field 'modes' is only for a county"

show=$(jd_ctl org tenants show --code 510681 --json)
equals "the county's name round-trips (UTF-8)" "$(jd_json .name <<<"$show")" "广汉市"
equals "centralized" "$(jd_json .centralized <<<"$show")" "true"
equals "since" "$(jd_json .centralized_since <<<"$show")" "2021-03-01"
equals "modes" "$(jd_json .modes <<<"$show")" "task_force"
equals "parent" "$(jd_json .parent <<<"$show")" "510600"
list=$(jd_ctl org tenants list --json)
codes=$(python3 -c 'import json,sys; print(",".join(t["code"] for t in json.load(sys.stdin)["tenants"]))' <<<"$list")
equals "tenants are listed by code" "$codes" "510000,510600,510681,510683"
contains "the list keeps Chinese names" "$list" "德阳市"
api=$(jd_api_curl "$(jd_api_url /v1/org/tenants/510600)")
contains "the API answers UTF-8 names" "$(python3 -c 'import json,sys; print(json.load(sys.stdin)["name"])' <<<"$api")" "德阳市"
human=$(jd_ctl org tenants list)
contains "the human output keeps Chinese names" "$human" "四川省"

v=$(jd_json .version <<<"$show")
check "edit a county's modes" quiet jd_ctl org tenants edit --code 510681 --version "$v" --modes task_force,area
equals "the modes changed" "$(jd_ctl org tenants show --code 510681 --json | jd_json .modes)" "task_force,area"
out=$(fails jd_ctl org tenants edit --code 510681 --version "$v" --modes area)
contains "a stale version is 409" "$out" "409"

# --- units
for args in "of1 第一纪检监察室 office" "ag1 第一派驻纪检监察组 agency" "ag2 第二派驻纪检监察组 agency" \
	"tw1 雒城街道纪工委 township" "sl 审理室 review_office"; do
	set -- $args
	check "unit $1 ($3)" quiet jd_ctl org units add --tenant 510681 --code "$1" --name "$2" --kind "$3"
done
check "an agency lists its supervised units" quiet jd_ctl org units edit --tenant 510681 --code ag1 \
	--version 1 --supervised "县教育局,县卫健局"
check "an office linking agencies and a township" quiet jd_ctl org units add --tenant 510681 --code of2 \
	--name 第二纪检监察室 --kind office --linked ag1,ag2,tw1
of2=$(jd_ctl org units show --tenant 510681 --code of2 --json)
equals "the links are kept" "$(jd_json .linked <<<"$of2")" "ag1,ag2,tw1"
equals "the office name round-trips" "$(jd_json .name <<<"$of2")" "第二纪检监察室"
equals "supervised units round-trip" "$(jd_ctl org units show --tenant 510681 --code ag1 --json | jd_json .supervised)" "县教育局,县卫健局"

summary=$(redis-cli -s "$JD_DIR/data/redis.sock" hget "jd:{510681}:units:summary" of2)
equals "the summary keeps links and posts (the county snapshot reads it)" \
	"$(python3 -c 'import json,sys; u=json.load(sys.stdin); print(u["linked"], u["supervised"] == "", u["posts"], u["leadership_posts"])' <<<"$summary")" \
	"ag1,ag2,tw1 True 0 0"
equals "and supervised units" \
	"$(redis-cli -s "$JD_DIR/data/redis.sock" hget "jd:{510681}:units:summary" ag1 | jd_json .supervised)" "县教育局,县卫健局"
rev0=$(redis-cli -s "$JD_DIR/data/redis.sock" hget "jd:{510681}:orgrev" _v)
equals "every unit write moved the organization's revision" "$rev0" 7
v=$(jd_ctl org units show --tenant 510681 --code ag1 --json | jd_json .version)
check "approved posts on an agency" quiet jd_ctl org units edit --tenant 510681 --code ag1 \
	--version "$v" --posts 6 --leadership_posts 2
ag1=$(jd_ctl org units show --tenant 510681 --code ag1 --json)
equals "posts are integers, the rest unchanged" \
	"$(python3 -c 'import json,sys; u=json.load(sys.stdin); print(u["posts"], u["leadership_posts"], u["supervised"])' <<<"$ag1")" \
	"6 2 县教育局,县卫健局"
equals "the revision moved" "$(redis-cli -s "$JD_DIR/data/redis.sock" hget "jd:{510681}:orgrev" _v)" "$((rev0 + 1))"
out=$(fails jd_ctl org units edit --tenant 510681 --code ag1 --version "$((v + 1))" --posts -1)
contains "negative posts are named" "$out" "field 'posts' must be 0..10000, not -1"
out=$(fails jd_ctl org units edit --tenant 510681 --code ag1 --version "$((v + 1))" --leadership_posts 7)
contains "leadership posts within the posts" "$out" "field 'leadership_posts' must be 0..posts (6), not 7"

out=$(fails jd_ctl org units add --tenant 510681 --code ag1 --name x --kind agency)
contains "a duplicate unit code is 409" "$out" "unit 'ag1' exists already in tenant 510681"
out=$(fails jd_ctl org units add --tenant 510699 --code x1 --name x --kind office)
contains "an unknown tenant is 404" "$out" "404"
contains "and named" "$out" "no tenant '510699'"
out=$(fails jd_ctl org units add --tenant 510681 --code x1 --name x --kind bureau)
contains "a wrong kind is named" "$out" "'bureau' is not a kind"
out=$(fails jd_ctl org units add --tenant 510681 --code of3 --name x --kind office --linked ag1,ag9)
contains "an office linking an unknown unit" "$out" "no unit 'ag9' in tenant 510681"
out=$(fails jd_ctl org units add --tenant 510681 --code of3 --name x --kind office --linked of1)
contains "an office linking an office" "$out" "unit 'of1' is of kind office"
out=$(fails jd_ctl org units add --tenant 510681 --code ag3 --name x --kind agency --linked ag1)
contains "only an office links" "$out" "field 'linked' is only for an office"
out=$(fails jd_ctl org units add --tenant 510681 --code Bad! --name x --kind agency)
contains "a bad unit code is named" "$out" "field 'code'"
out=$(fails jd_ctl org units add --tenant 510600 --code of1 --name x --kind office)
contains "units belong to a county" "$out" "units belong to a county"

check "retire an agency" quiet jd_ctl org units retire --tenant 510681 --code ag2
units=$(jd_ctl org units list --tenant 510681 --json)
equals "the list has the approved posts" \
	"$(python3 -c 'import json,sys; print([u["posts"] for u in json.load(sys.stdin)["units"] if u["code"]=="ag1"][0])' <<<"$units")" 6
equals "the list shows it retired" \
	"$(python3 -c 'import json,sys; print([u["status"] for u in json.load(sys.stdin)["units"] if u["code"]=="ag2"][0])' <<<"$units")" retired
equals "units are listed by code, none deleted" \
	"$(python3 -c 'import json,sys; print(",".join(u["code"] for u in json.load(sys.stdin)["units"]))' <<<"$units")" \
	"ag1,ag2,of1,of2,sl,tw1"
contains "the unit list keeps Chinese names" "$units" "雒城街道纪工委"
out=$(fails jd_ctl org units add --tenant 510681 --code of3 --name x --kind office --linked ag2)
contains "a retired unit cannot be linked anew" "$out" "unit 'ag2' is retired"
v=$(jd_ctl org units show --tenant 510681 --code of2 --json | jd_json .version)
check "an office keeps a link to a unit retired since" quiet jd_ctl org units edit --tenant 510681 \
	--code of2 --version "$v" --linked ag1,ag2
out=$(fails jd_ctl org units retire --tenant 510681 --code ag2)
contains "retiring twice is 409" "$out" "retired already"
out=$(fails jd_ctl org units show --tenant 510681 --code nope)
contains "an unknown unit is 404" "$out" "no unit 'nope' in tenant 510681"

# --- roles and scope
jd_ctl users add --id gh_admin --roles tenant_admin --tenants 510681 >/dev/null
jd_ctl users add --id gh_staff --roles staff --tenants 510681 >/dev/null
adm=$(jd_token_for gh_admin)
stf=$(jd_token_for gh_staff)
equals "tenant admin: adds a unit in their county" \
	"$(jd_bearer "$JD_TMP/b" "$adm" /v1/org/units -H 'Content-Type: application/json' \
		--data '{"tenant":"510681","code":"tw2","name":"金鱼镇纪委","kind":"township"}')" 201
equals "tenant admin: not in another county" \
	"$(jd_bearer "$JD_TMP/b" "$adm" /v1/org/units -H 'Content-Type: application/json' \
		--data '{"tenant":"510683","code":"tw2","name":"x","kind":"township"}')" 403
equals "tenant admin: cannot edit another tenant" \
	"$(jd_bearer "$JD_TMP/b" "$adm" /v1/org/tenants/510683 -X PATCH -H 'Content-Type: application/json' \
		--data '{"version":1,"name":"x"}')" 403
equals "staff: lists units" "$(jd_bearer "$JD_TMP/b" "$stf" "/v1/org/units?tenant=510681")" 200
contains "and sees the township the tenant admin added" "$(cat "$JD_TMP/b")" "金鱼镇纪委"
equals "staff: lists tenants" "$(jd_bearer "$JD_TMP/b" "$stf" /v1/org/tenants)" 200
equals "staff: cannot add a unit" \
	"$(jd_bearer "$JD_TMP/b" "$stf" /v1/org/units -H 'Content-Type: application/json' \
		--data '{"tenant":"510681","code":"tw3","name":"x","kind":"township"}')" 403
contains "403 names the permission" "$(cat "$JD_TMP/b")" "org.write"

# reading is scoped too: a county's own people (and its city's) read its organization, no one else
jd_ctl users add --id other_staff --roles staff --tenants 510683 >/dev/null
oth=$(jd_token_for other_staff)
for path in "/v1/org/units?tenant=510681" "/v1/org/people?tenant=510681" \
	"/v1/org/groups?tenant=510681" "/v1/org/staffing?tenant=510681" \
	"/v1/org/export?tenant=510681"; do
	equals "another county's staff may not read ${path%%\?*}" \
		"$(jd_bearer "$JD_TMP/b" "$oth" "$path")" 403
done
contains "the refusal says why" "$(cat "$JD_TMP/b")" "your own tenants"
equals "their own county's units" "$(jd_bearer "$JD_TMP/b" "$oth" "/v1/org/units?tenant=510683")" 200
jd_ctl users add --id city_viewer --roles leader --tenants 510600 >/dev/null
equals "the city's people read its counties" \
	"$(jd_bearer "$JD_TMP/b" "$(jd_token_for city_viewer)" "/v1/org/units?tenant=510681")" 200

# --- the audit trail records who changed the organization
contains "changes are audited in the county's trail" \
	"$(jd_ctl audit tail --tenant 510681 --json)" "org.unit.retire"

jd_stop
equals "jiandud stops cleanly (no sanitizer report in a sanitizer build)" "$JD_EXIT" 0
jd_no_sanitizer_report

jd_finish
