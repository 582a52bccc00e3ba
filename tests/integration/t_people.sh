#!/usr/bin/env bash
# Organization, part 3: people (cadres) of a county: validation naming the
# field, declared ties sealed under the tenant key (nowhere in Redis in the
# clear), opened for admins only, moves kept as history, a stale version 409.
source "$(dirname "$0")/lib.sh"

jd_instance "$JD_TMP/i"
jd_start
sock=$JD_DIR/data/redis.sock

# --- a county with units (as t_org.sh)
check "a province" quiet jd_ctl org tenants add --code 510000 --name 四川省 --level province
check "a city" quiet jd_ctl org tenants add --code 510600 --name 德阳市 --level city --parent 510000
check "a county" quiet jd_ctl org tenants add --code 510681 --name 广汉市 --level county --parent 510600
for args in "of1 第一纪检监察室 office" "ag1 第一派驻纪检监察组 agency" "ag2 第二派驻纪检监察组 agency"; do
	set -- $args
	check "unit $1 ($3)" quiet jd_ctl org units add --tenant 510681 --code "$1" --name "$2" --kind "$3"
done
check "a retired unit" quiet jd_ctl org units add --tenant 510681 --code ag9 --name x --kind agency
check "retired" quiet jd_ctl org units retire --tenant 510681 --code ag9

# --- people
marker="TIES-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
add=$(jd_ctl org people add --tenant 510681 --name 张三 --post head --unit ag1 --start 2021-03-01 \
	--new_cadre true --ties "县教育局 $marker" --json)
id=$(jd_json .id <<<"$add")
check "a person is created with a 32-hex id" grep -Eq '^[0-9a-f]{32}$' <<<"$id"
add2=$(jd_ctl org people add --tenant 510681 --name 李四 --post cadre --unit ag2 --start 2022-01-10 --json)
id2=$(jd_json .id <<<"$add2")
check "a person without ties" test -n "$id2"

out=$(fails jd_ctl org people add --tenant 510681 --name x --post head --unit ag7 --start 2021-03-01)
contains "an unknown unit is named" "$out" "no unit 'ag7' in tenant 510681"
out=$(fails jd_ctl org people add --tenant 510681 --name x --post head --unit ag9 --start 2021-03-01)
contains "a retired unit is refused" "$out" "unit 'ag9' is retired"
out=$(fails jd_ctl org people add --tenant 510681 --name x --post chief --unit ag1 --start 2021-03-01)
contains "a bad post is named" "$out" "'chief' is not a post"
out=$(fails jd_ctl org people add --tenant 510681 --name x --post head --unit ag1 --start 2999-01-01)
contains "a future start is refused" "$out" "field 'start': 2999-01-01 is in the future"
out=$(fails jd_ctl org people add --tenant 510681 --name x --post head --unit ag1 --start 2021-02-30)
contains "a bad date is named" "$out" "field 'start' must be a date"
out=$(fails jd_ctl org people add --tenant 510600 --name x --post head --unit ag1 --start 2021-03-01)
contains "people belong to a county" "$out" "people belong to a county"

show=$(jd_ctl org people show --tenant 510681 --id "$id" --json)
equals "admin show opens the ties" "$(jd_json .ties <<<"$show")" "县教育局 $marker"
equals "the name round-trips (UTF-8)" "$(jd_json .name <<<"$show")" "张三"
equals "new cadre" "$(jd_json .new_cadre <<<"$show")" "true"
equals "unit" "$(jd_json .unit <<<"$show")" "ag1"
list=$(jd_ctl org people list --tenant 510681 --json)
contains "the list holds both" "$list" "$id2"
if grep -q "$marker" <<<"$list"; then not_ok "the list has no ties"; else ok "the list has no ties"; fi
equals "the list filters by unit" \
	"$(python3 -c 'import json,sys; print(",".join(p["name"] for p in json.load(sys.stdin)["people"]))' \
		<<<"$(jd_ctl org people list --tenant 510681 --unit ag2 --json)")" "李四"

# --- ties are sealed: stored only sealed, nowhere in Redis in the clear
stored=$(redis-cli -s "$sock" hget "jd:{510681}:person:$id" ties)
contains "the stored ties are sealed (s1.)" "${stored:0:3}" "s1."
dump_all() {
	redis-cli -s "$sock" --scan | while IFS= read -r k; do
		echo "KEY $k"
		case $(redis-cli -s "$sock" type "$k") in
		hash) redis-cli -s "$sock" hgetall "$k" ;;
		string) redis-cli -s "$sock" get "$k" ;;
		set) redis-cli -s "$sock" smembers "$k" ;;
		zset) redis-cli -s "$sock" zrange "$k" 0 -1 withscores ;;
		list) redis-cli -s "$sock" lrange "$k" 0 -1 ;;
		stream) redis-cli -s "$sock" xrange "$k" - + ;;
		esac
		redis-cli -s "$sock" --no-raw dump "$k"
	done
}
equals "the sealed ties are in people:ties too, the same value" \
	"$(redis-cli -s "$sock" hget "jd:{510681}:people:ties" "$id")" "$stored"
equals "no entry for a person without ties" "$(redis-cli -s "$sock" hexists "jd:{510681}:people:ties" "$id2")" 0
equals "a new person is active, from nowhere" \
	"$(python3 -c 'import json,sys; print([(p["status"], p["former"]) for p in json.load(sys.stdin)["people"] if p["id"]=="'"$id"'"][0])' <<<"$list")" \
	"('active', '')"
equals "every people write moved the organization's revision (4 units, a retirement, 2 people)" \
	"$(redis-cli -s "$sock" hget "jd:{510681}:orgrev" _v)" 7
all=$(dump_all)
contains "the scan saw the person" "$all" "person:$id"
if grep -aq "$marker" <<<"$all"; then not_ok "the ties are nowhere in Redis"; else ok "the ties are nowhere in Redis"; fi

# --- a staff user sees the person without ties
jd_ctl users add --id gh_staff --roles staff --tenants 510681 >/dev/null
stf=$(jd_token_for gh_staff)
equals "staff: shows a person" "$(jd_bearer "$JD_TMP/b" "$stf" "/v1/org/people/$id?tenant=510681")" 200
equals "staff: without ties" "$(python3 -c 'import json,sys; print("ties" in json.load(sys.stdin))' <"$JD_TMP/b")" "False"
if grep -q "$marker" "$JD_TMP/b"; then not_ok "staff: the marker is not in the answer"; else ok "staff: the marker is not in the answer"; fi
equals "staff: with the name" "$(jd_json .name <"$JD_TMP/b")" "张三"
equals "staff: cannot add a person" \
	"$(jd_bearer "$JD_TMP/b" "$stf" /v1/org/people -H 'Content-Type: application/json' \
		--data '{"tenant":"510681","name":"x","post":"cadre","unit":"ag1","start":"2021-01-01"}')" 403

# --- moves
v=$(jd_json .version <<<"$show")
check "move to another unit" quiet jd_ctl org people move --tenant 510681 --id "$id" --version "$v" \
	--to_unit of1 --date 2023-05-04 --reason 轮岗交流
show=$(jd_ctl org people show --tenant 510681 --id "$id" --json)
equals "the unit changed" "$(jd_json .unit <<<"$show")" "of1"
equals "the move is in the history" \
	"$(python3 -c 'import json,sys; m=json.load(sys.stdin)["moves"]; print(len(m), m[0]["date"], m[0]["from"], m[0]["to"], m[0]["reason"])' <<<"$show")" \
	"1 2023-05-04 ag1 of1 轮岗交流"
equals "the ties survive the move" "$(jd_json .ties <<<"$show")" "县教育局 $marker"
out=$(fails jd_ctl org people move --tenant 510681 --id "$id" --version "$v" --to_unit ag2 --date 2023-06-01)
contains "a stale version on move is 409" "$out" "409"
out=$(fails jd_ctl org people move --tenant 510681 --id "$id" --version "$((v + 1))" --to_unit ag7 --date 2023-06-01)
contains "a move to an unknown unit is named" "$out" "no unit 'ag7' in tenant 510681"
check "a second move" quiet jd_ctl org people move --tenant 510681 --id "$id" --version "$((v + 1))" \
	--to_unit ag2 --date 2024-01-02 --reason back
equals "the history is ordered by date" \
	"$(jd_ctl org people show --tenant 510681 --id "$id" --json | python3 -c 'import json,sys; print(",".join(m["to"] for m in json.load(sys.stdin)["moves"]))')" \
	"of1,ag2"
former() {
	jd_ctl org people list --tenant 510681 --json |
		python3 -c 'import json,sys; print([p["former"] for p in json.load(sys.stdin)["people"] if p["id"]=="'"$1"'"][0])'
}
equals "the units moved away from" "$(former "$id")" "ag1,of1"
check "back to the first unit" quiet jd_ctl org people move --tenant 510681 --id "$id" --version "$((v + 2))" \
	--to_unit ag1 --date 2024-02-01
check "and on again" quiet jd_ctl org people move --tenant 510681 --id "$id" --version "$((v + 3))" \
	--to_unit of1 --date 2024-03-01
equals "each unit named once" "$(former "$id")" "ag1,of1,ag2"

# --- edits: only the fields given change; new ties are sealed as on create
v=$(jd_ctl org people show --tenant 510681 --id "$id" --json | jd_json .version)
marker2="TIES2-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
check "edit the name and the ties" quiet jd_ctl org people edit --tenant 510681 --id "$id" --version "$v" \
	--name 张三丰 --ties "县财政局 $marker2"
show=$(jd_ctl org people show --tenant 510681 --id "$id" --json)
equals "the name and ties changed, the rest did not" \
	"$(python3 -c 'import json,sys; p=json.load(sys.stdin); print(p["name"], p["post"], p["unit"], p["new_cadre"])' <<<"$show")" \
	"张三丰 head of1 True"
equals "the new ties open" "$(jd_json .ties <<<"$show")" "县财政局 $marker2"
stored=$(redis-cli -s "$sock" hget "jd:{510681}:person:$id" ties)
contains "sealed again" "${stored:0:3}" "s1."
equals "people:ties follows" "$(redis-cli -s "$sock" hget "jd:{510681}:people:ties" "$id")" "$stored"
if dump_all | grep -aq "$marker2"; then not_ok "the new ties are nowhere in Redis"; else ok "the new ties are nowhere in Redis"; fi
equals "the summary has the new name" "$(redis-cli -s "$sock" hget "jd:{510681}:people:summary" "$id" | jd_json .name)" 张三丰
out=$(fails jd_ctl org people edit --tenant 510681 --id "$id" --version "$v" --post deputy)
contains "a stale version on edit is 409" "$out" "409"
out=$(fails jd_ctl org people edit --tenant 510681 --id "$id" --version "$((v + 1))" --name "")
contains "an empty name is named" "$out" "field 'name' must not be empty"
check "withdraw the ties" quiet jd_ctl org people edit --tenant 510681 --id "$id" --version "$((v + 1))" --ties ""
equals "no ties any more" "$(jd_ctl org people show --tenant 510681 --id "$id" --json | python3 -c 'import json,sys; print("ties" in json.load(sys.stdin))')" False
equals "nor in people:ties" "$(redis-cli -s "$sock" hexists "jd:{510681}:people:ties" "$id")" 0
check "ties declared by an edit" quiet jd_ctl org people edit --tenant 510681 --id "$id2" --version 1 --ties "县公安局"
equals "open" "$(jd_ctl org people show --tenant 510681 --id "$id2" --json | jd_json .ties)" 县公安局
equals "and are in people:ties" "$(redis-cli -s "$sock" hget "jd:{510681}:people:ties" "$id2" | cut -c1-3)" s1.
out=$(fails jd_ctl org people edit --tenant 510681 --id 0123456789abcdef0123456789abcdef --version 1 --name x)
contains "editing an unknown person is 404" "$out" "no person"

out=$(fails jd_ctl org people show --tenant 510681 --id 0123456789abcdef0123456789abcdef)
contains "an unknown person is 404" "$out" "no person"

audit=$(jd_ctl audit tail --tenant 510681 --json)
contains "changes are audited" "$audit" "org.person.move"
contains "edits too" "$audit" "org.person.update"

jd_stop
equals "jiandud stops cleanly" "$JD_EXIT" 0
if grep -aq "$marker\|$marker2" "$JD_DIR/jiandud.log"; then not_ok "the ties are not in the log"; else ok "the ties are not in the log"; fi
jd_no_sanitizer_report

jd_finish
