#!/usr/bin/env bash
# Organization, part 5: the groups of the three centralized-office modes
# (task force, case centre, area, joint group, 1+N matter, sub-groups)
# through the CLI: validation naming the field, leaders who are leadership
# members, lead policies, versions, retirement; and group membership
# feeding the scope: a staff user linked to a member of an area sees the
# notes of the area's units, and no longer once removed from it.
source "$(dirname "$0")/lib.sh"

jd_instance "$JD_TMP/i" --load example
jd_start
sock=$JD_DIR/data/redis.sock

person() { # NAME POST UNIT: the new person's id
	jd_ctl org people add --tenant 510681 --name "$1" --post "$2" --unit "$3" --start 2021-03-01 \
		--json | jd_json .id
}
group() { jd_ctl org groups show --tenant 510681 --code "$1" --json; }
rev() { redis-cli -s "$sock" hget 'jd:{510681}:orgrev' _v; }
note() { # TENANT TITLE [options]: the new note's id
	jd_ctl example notes add --tenant "$1" --title "$2" "${@:3}" --json | jd_json .id
}
show_note() { jd_bearer "$JD_TMP/b" "$1" "/v1/example/notes/$2?tenant=${3:-510681}"; }

# --- a county with units and people (as t_people.sh)
check "a province" quiet jd_ctl org tenants add --code 510000 --name 四川省 --level province
check "a city" quiet jd_ctl org tenants add --code 510600 --name 德阳市 --level city --parent 510000
check "a county" quiet jd_ctl org tenants add --code 510681 --name 市中区 --level county \
	--parent 510600 --centralized true --centralized_since 2021-03-01 --modes area,joint_group,task_force
for args in "of1 第一纪检监察室 office" "of2 第二纪检监察室 office" "ag1 第一派驻纪检监察组 agency" \
	"ag2 第二派驻纪检监察组 agency" "ag3 第三派驻纪检监察组 agency" "tw1 城西街道纪工委 township" \
	"ag9 旧派驻组 agency"; do
	set -- $args
	check "unit $1 ($3)" quiet jd_ctl org units add --tenant 510681 --code "$1" --name "$2" --kind "$3"
done
check "ag9 retired" quiet jd_ctl org units retire --tenant 510681 --code ag9
wang=$(person 王书记 leader of1)
liu=$(person 刘副书记 leader of1)
zhang=$(person 张三 head ag1)
li=$(person 李四 cadre ag2)
zhao=$(person 赵六 cadre ag3)
check "five people" [ -n "$wang" -a -n "$liu" -a -n "$zhang" -a -n "$li" -a -n "$zhao" ]

# --- one group of each kind
r0=$(rev)
out=$(jd_ctl org groups add --tenant 510681 --code tf1 --kind task_force --name 派驻监督专班 \
	--leader 王书记 --units of1,ag3 --members 李四 --json)
equals "a task force: the leader stored as an id" "$(jd_json .leader <<<"$out")" "$wang"
equals "the members stored as ids" "$(jd_json .members <<<"$out")" "$li"
equals "a new group is version 1" "$(jd_json .version <<<"$out")" 1
check "the county's revision moved" [ "$(rev)" -gt "${r0:-0}" ]
check "a case centre" quiet jd_ctl org groups add --tenant 510681 --code cc1 --kind case_centre \
	--name 第一办案中心 --leader "$liu" --units ag1
check "an area" quiet jd_ctl org groups add --tenant 510681 --code ar1 --kind area \
	--name 第一协作片区 --leader 王书记 --units of1,ag1,tw1 --members 张三
check "a joint group, rotating lead" quiet jd_ctl org groups add --tenant 510681 --code jg1 \
	--kind joint_group --name 党群综合协作组 --leader 刘副书记 --units ag1,ag2 --policy rotating \
	--rotation ag2,ag1
check "a joint group, division of responsibility" quiet jd_ctl org groups add --tenant 510681 \
	--code jg2 --kind joint_group --name 国企金融协作组 --leader 刘副书记 --units ag1,ag2,ag3 \
	--policy division --shares "ag1:党群综合;ag2:国企金融;ag3:公安政法"
check "a 1+N matter" quiet jd_ctl org groups add --tenant 510681 --code mt1 --kind matter \
	--name 营商环境专项整治 --leader 王书记 --units ag2,ag3
check "a sub-group of the task force" quiet jd_ctl org groups add --tenant 510681 --code sg1 \
	--kind sub_group --name 监督检查组 --parent tf1 --function supervision_inspection --members 赵六

jg2=$(jd_ctl org groups show --tenant 510681 --code jg2 --json)
equals "the shares are kept as an object" "$(jd_json .shares.ag2 <<<"$jg2")" "国企金融"
equals "the rotation is kept in order" "$(group jg1 | jd_json .rotation)" "ag2,ag1"
year=$(date +%Y)
equals "the year defaults to this year" "$(jd_json .year <<<"$jg2")" "$year"
equals "the leader history starts" "$(jd_json ".leaders.$year" <<<"$jg2")" "$liu"
equals "the name round-trips (UTF-8)" "$(jd_json .name <<<"$jg2")" "国企金融协作组"
sg1=$(group sg1)
equals "a sub-group's parent" "$(jd_json .parent <<<"$sg1")" tf1
equals "a sub-group's function" "$(jd_json .function <<<"$sg1")" supervision_inspection
list=$(jd_ctl org groups list --tenant 510681 --json)
equals "groups are listed by code" \
	"$(python3 -c 'import json,sys; print(",".join(g["code"] for g in json.load(sys.stdin)["groups"]))' <<<"$list")" \
	"ar1,cc1,jg1,jg2,mt1,sg1,tf1"
equals "the list filters by kind" \
	"$(jd_ctl org groups list --tenant 510681 --kind joint_group --json | python3 -c 'import json,sys; print(",".join(g["code"] for g in json.load(sys.stdin)["groups"]))')" \
	"jg1,jg2"
contains "the human list keeps Chinese names" "$(jd_ctl org groups list --tenant 510681)" "第一协作片区"
equals "the summary is kept" "$(redis-cli -s "$sock" hexists 'jd:{510681}:groups:summary' ar1)" 1

# --- refusals, each naming the field and the reason
add() { fails jd_ctl org groups add --tenant 510681 "$@"; }
out=$(add --code x1 --kind area --name x --leader 王书记 --units of1,ag7)
contains "an unknown unit is named" "$out" "field 'units': no unit 'ag7' in tenant 510681"
out=$(add --code x1 --kind area --name x --leader 王书记 --units of1,ag9)
contains "a retired unit is named" "$out" "field 'units': unit 'ag9' is retired"
out=$(add --code x1 --kind committee --name x --leader 王书记 --units of1)
contains "a wrong kind is named" "$out" "field 'kind': 'committee' is not a kind"
out=$(add --code tf1 --kind task_force --name x --leader 王书记 --units of1)
contains "a duplicate code is 409" "$out" "409"
contains "and named" "$out" "group 'tf1' exists already in tenant 510681"
out=$(add --code x1 --kind area --name x --leader 张三 --units of1,ag1)
contains "a leader who is not a leadership member" "$out" \
	"field 'leader': 张三 is a head, not a leadership member"
out=$(add --code x1 --kind area --name x --leader 无名氏 --units of1,ag1)
contains "an unknown leader is named" "$out" "field 'leader': no person '无名氏' in tenant 510681"
out=$(add --code x1 --kind area --name x --units of1,ag1)
contains "an area needs a leader" "$out" "field 'leader': an area needs a leader"
out=$(add --code x1 --kind area --name x --leader 王书记 --units of1 --members 张三)
contains "an area needs two units" "$out" "field 'units': an area needs at least 2 member units"
out=$(add --code x1 --kind joint_group --name x --leader 王书记 --units ag1)
contains "a joint group needs two units" "$out" "a joint_group needs at least 2 member units"
out=$(add --code x1 --kind matter --name x --leader 王书记)
contains "a matter needs a unit" "$out" "a matter needs at least 1 member unit"
out=$(add --code x1 --kind area --name x --leader 王书记 --units of1,ag1 --members 李四,nobody)
contains "an unknown member is named" "$out" "field 'members': no person 'nobody'"
out=$(add --code x1 --kind sub_group --name x --function general --members 李四)
contains "a sub-group without a parent" "$out" "field 'parent': a sub_group needs its parent group"
out=$(add --code x1 --kind sub_group --name x --parent sg1 --function general)
contains "a sub-group of a sub-group" "$out" "field 'parent': group 'sg1' is itself a sub_group"
out=$(add --code x1 --kind sub_group --name x --parent nope --function general)
contains "a sub-group of an unknown group" "$out" "field 'parent': no group 'nope' in tenant 510681"
out=$(add --code x1 --kind sub_group --name x --parent tf1 --function lunch)
contains "a bad function is named" "$out" "field 'function': 'lunch' is not a sub-group function"
out=$(add --code x1 --kind area --name x --leader 王书记 --units of1,ag1 --parent tf1)
contains "only a sub-group has a parent" "$out" "field 'parent' is only for a sub_group"
out=$(add --code x1 --kind joint_group --name x --leader 王书记 --units ag1,ag2 --policy rotating \
	--rotation ag2,tw1,ag1)
contains "a rotation naming a non-member unit" "$out" \
	"field 'rotation': unit 'tw1' is not a member unit of the group"
out=$(add --code x1 --kind joint_group --name x --leader 王书记 --units ag1,ag2 --policy rotating \
	--rotation ag2)
contains "a rotation leaving a member out" "$out" "member unit 'ag1' is not in the rotation"
out=$(add --code x1 --kind joint_group --name x --leader 王书记 --units ag1,ag2 --policy division \
	--shares "ag1:党群")
contains "a division leaving a member out" "$out" "field 'shares': member unit 'ag2' has no share"
out=$(add --code x1 --kind area --name x --leader 王书记 --units of1,ag1 --policy rotating)
contains "only a joint group has a policy" "$out" "field 'policy' is only for a joint_group"
out=$(add --code Bad! --kind area --name x --leader 王书记 --units of1,ag1)
contains "a bad code is named" "$out" "field 'code'"
out=$(fails jd_ctl org groups add --tenant 510600 --code x1 --kind area --name x --leader 王书记 --units of1,ag1)
contains "groups belong to a county" "$out" "groups belong to a county"
out=$(fails jd_ctl org groups show --tenant 510681 --code nope)
contains "an unknown group is 404" "$out" "no group 'nope' in tenant 510681"
equals "nothing refused was stored" "$(redis-cli -s "$sock" exists 'jd:{510681}:group:x1')" 0

# --- edit: versions, the leader history, a policy change
v=$(group jg1 | jd_json .version)
check "edit: a new leader for next year" quiet jd_ctl org groups edit --tenant 510681 --code jg1 \
	--version "$v" --leader 王书记 --year $((year + 1))
jg1=$(group jg1)
equals "the leader changed" "$(jd_json .leader <<<"$jg1")" "$wang"
equals "the history keeps this year's leader" "$(jd_json ".leaders.$year" <<<"$jg1")" "$liu"
equals "and next year's" "$(jd_json ".leaders.$((year + 1))" <<<"$jg1")" "$wang"
out=$(fails jd_ctl org groups edit --tenant 510681 --code jg1 --version "$v" --name y)
contains "a stale version is 409" "$out" "409"
contains "and says so" "$out" "group 'jg1' was changed since the version you read"
out=$(fails jd_ctl org groups edit --tenant 510681 --code jg1 --version $((v + 1)) --units ag1,ag2,ag3)
contains "new units must join the rotation" "$out" "member unit 'ag3' is not in the rotation"
check "a policy change drops the old rotation" quiet jd_ctl org groups edit --tenant 510681 \
	--code jg1 --version $((v + 1)) --policy division --shares "ag1:纪律审查;ag2:日常监督"
jg1=$(group jg1)
equals "the rotation is gone" "$(jd_json .rotation <<<"$jg1")" ""
equals "the shares are there" "$(jd_json .shares.ag1 <<<"$jg1")" "纪律审查"

# --- retire: kept, never deleted; not under active sub-groups
out=$(fails jd_ctl org groups retire --tenant 510681 --code tf1 --version "$(group tf1 | jd_json .version)")
contains "a group with an active sub-group stays" "$out" "group 'tf1' has active sub-groups (sg1)"
check "retire the sub-group" quiet jd_ctl org groups retire --tenant 510681 --code sg1 \
	--version "$(group sg1 | jd_json .version)"
check "then the task force" quiet jd_ctl org groups retire --tenant 510681 --code tf1 \
	--version "$(group tf1 | jd_json .version)"
equals "a retired group is kept" "$(group tf1 | jd_json .status)" retired
out=$(fails jd_ctl org groups edit --tenant 510681 --code tf1 --version "$(group tf1 | jd_json .version)" --name y)
contains "a retired group is not edited" "$out" "group 'tf1' is retired"
out=$(fails jd_ctl org groups add --tenant 510681 --code x2 --kind sub_group --name x --parent tf1 --function general)
contains "a retired parent is refused" "$out" "field 'parent': group 'tf1' is retired"
equals "the list still holds it" \
	"$(jd_ctl org groups list --tenant 510681 --json | python3 -c 'import json,sys; print([g["status"] for g in json.load(sys.stdin)["groups"] if g["code"]=="tf1"][0])')" retired
contains "changes are audited" "$(jd_ctl audit tail --tenant 510681 --json)" "org.group.retire"

# --- scopes: group membership widens a linked staff user's units
out=$(fails jd_ctl users add --id bad --roles staff --tenants 510681 --person "$zhang")
contains "a person link names the county" "$out" "field 'person' must be <county code>/<person id>"
check "a staff user linked to 张三 (member of area ar1: of1, ag1, tw1)" quiet jd_ctl users add \
	--id zs --roles staff --tenants 510681,510683 --units ag3 --person "510681/$zhang"
check "a staff user linked to nobody, same units" quiet jd_ctl users add --id plain --roles staff \
	--tenants 510681 --units ag3
zs=$(jd_token_for zs)
plain=$(jd_token_for plain)
n_ag1=$(note 510681 n_ag1 --unit ag1)
n_tw1=$(note 510681 n_tw1 --unit tw1)
n_ag2=$(note 510681 n_ag2 --unit ag2)
n_ag3=$(note 510681 n_ag3 --unit ag3)
n_grp=$(note 510681 n_grp --unit zz --groups ar1)
n_other=$(note 510683 n_other --unit ag1 --groups ar1)
check "six notes" [ -n "$n_ag1" -a -n "$n_tw1" -a -n "$n_ag2" -a -n "$n_ag3" -a -n "$n_grp" -a -n "$n_other" ]

equals "zs sees a note of ag1 (the area's unit)" "$(show_note "$zs" "$n_ag1")" 200
equals "zs sees a note of tw1 (the area's unit)" "$(show_note "$zs" "$n_tw1")" 200
equals "zs sees a note of ag3 (own units)" "$(show_note "$zs" "$n_ag3")" 200
equals "zs sees a note of the group ar1" "$(show_note "$zs" "$n_grp")" 200
equals "zs: ag2 is in none of zs's groups: 404" "$(show_note "$zs" "$n_ag2")" 404
equals "zs: ag1 of another county is not the area's: 404" "$(show_note "$zs" "$n_other" 510683)" 404
equals "plain: ag1 is 404" "$(show_note "$plain" "$n_ag1")" 404
jd_bearer "$JD_TMP/b" "$zs" "/v1/example/notes?tenant=510681" >/dev/null
equals "zs's list" \
	"$(python3 -c 'import json,sys; print(",".join(sorted(n["title"] for n in json.load(open(sys.argv[1]))["notes"])))' "$JD_TMP/b")" \
	"n_ag1,n_ag3,n_grp,n_tw1"

v=$(group ar1 | jd_json .version)
check "张三 leaves the area" quiet jd_ctl org groups edit --tenant 510681 --code ar1 --version "$v" --members ""
equals "zs no longer sees ag1" "$(show_note "$zs" "$n_ag1")" 404
equals "nor tw1" "$(show_note "$zs" "$n_tw1")" 404
equals "nor the group's note" "$(show_note "$zs" "$n_grp")" 404
equals "zs still sees ag3 (own units)" "$(show_note "$zs" "$n_ag3")" 200

# a failed read of the county's groups fails the request as a failed user read does
redis-cli -s "$sock" rename 'jd:{510681}:groups:summary' 'jd:{510681}:groups:saved' >/dev/null
redis-cli -s "$sock" set 'jd:{510681}:groups:summary' damaged >/dev/null
equals "zs: the groups cannot be read: 503" "$(show_note "$zs" "$n_ag3")" 503
contains "saying so" "$(cat "$JD_TMP/b")" "the user store is unavailable"
equals "plain (linked to nobody) is not affected" "$(show_note "$plain" "$n_ag3")" 200
redis-cli -s "$sock" del 'jd:{510681}:groups:summary' >/dev/null
redis-cli -s "$sock" rename 'jd:{510681}:groups:saved' 'jd:{510681}:groups:summary' >/dev/null
equals "zs again once the groups read" "$(show_note "$zs" "$n_ag3")" 200

check "a user linked to 赵六 (of the retired sub-group sg1)" quiet jd_ctl users add --id zl \
	--roles staff --tenants 510681 --person "510681/$zhao"
zl=$(jd_token_for zl)
equals "a retired group gives nothing" "$(show_note "$zl" "$n_ag3")" 404
check "a matter with 赵六 as member" quiet jd_ctl org groups add --tenant 510681 --code mt2 \
	--kind matter --name 重点案件 --leader 王书记 --units ag2 --members 赵六
equals "zl sees the matter's unit ag2" "$(show_note "$zl" "$n_ag2")" 200

jd_stop
equals "jiandud stops cleanly" "$JD_EXIT" 0
jd_no_sanitizer_report
jd_finish
