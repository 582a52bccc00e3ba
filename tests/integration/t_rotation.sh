#!/usr/bin/env bash
# Organization, part 5: the yearly rotation of area groups against the
# acquaintance society (熟人社会) and the conflict check. Through the CLI:
# a proposal with its digest, applied only on confirmation (new leaders,
# their history, members moved across areas, the plan kept in "rotations"),
# a stale digest refused, a county where no plan exists naming the
# constraint and the person; `org conflicts` naming a former unit and a
# declared tie without the declared text, audited; the text nowhere in the
# daemon's log.
source "$(dirname "$0")/lib.sh"

jd_instance "$JD_TMP/i"
# the test plugin that asks the host's org_conflicts slot, as the cases plugin does
jd_set plugins dir "$JD_BUILD_DIR/tests/plugins"
jd_set plugins load conflicts_probe
jd_start
sock=$JD_DIR/data/redis.sock

# bearer TOKEN PATH: prints the status code, the body in $JD_TMP/b
bearer() {
	curl -s --cacert "$JD_DIR/tls/ca.crt" -H "Authorization: Bearer $1" -o "$JD_TMP/b" \
		-w '%{http_code}' "$(jd_api_url "$2")"
}
rcli() { redis-cli -s "$sock" "$@"; }
# person COUNTY NAME POST UNIT [TIES]: the new person's id
person() {
	if [ -n "${5:-}" ]; then
		jd_ctl org people add --tenant "$1" --name "$2" --post "$3" --unit "$4" \
			--start 2021-03-01 --ties "$5" --json | jd_json .id
	else
		jd_ctl org people add --tenant "$1" --name "$2" --post "$3" --unit "$4" \
			--start 2021-03-01 --json | jd_json .id
	fi
}
group() { jd_ctl org groups show --tenant "$1" --code "$2" --json; }

marker="TIES-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"

# --- a county in area mode: three areas of two agencies each
check "a province" quiet jd_ctl org tenants add --code 510000 --name 四川省 --level province
check "a city" quiet jd_ctl org tenants add --code 511000 --name 内江市 --level city --parent 510000
check "a county" quiet jd_ctl org tenants add --code 511002 --name 市中区 --level county \
	--parent 511000 --centralized true --centralized_since 2021-03-01 --modes area
check "the leadership's office" quiet jd_ctl org units add --tenant 511002 --code lead \
	--name 委领导 --kind office
for args in "ag1 财政局派驻组 财政局" "ag2 税务局派驻组 税务局" "ag3 教育局派驻组 教育局" \
	"ag4 卫健局派驻组 卫健局" "ag5 公安局派驻组 公安局" "ag6 交通局派驻组 交通局"; do
	set -- $args
	check "agency $1" quiet jd_ctl org units add --tenant 511002 --code "$1" --name "$2" \
		--kind agency --supervised "$3"
done
l1=$(person 511002 王一 leader lead)
l2=$(person 511002 王二 leader lead)
l3=$(person 511002 王三 leader lead)
l4=$(person 511002 王四 leader lead)
# 张一's cousin works at 教育局, which ag3 (area2) supervises
m1=$(person 511002 张一 cadre ag1 "表哥在教育局工作 $marker")
m2=$(person 511002 张二 cadre ag2)
m3=$(person 511002 张三 cadre ag3)
m4=$(person 511002 张四 cadre ag4)
m5=$(person 511002 张五 cadre ag5)
m6=$(person 511002 张六 cadre ag6)
check "ten people" [ -n "$l1" -a -n "$l4" -a -n "$m1" -a -n "$m6" ]
check "area1" quiet jd_ctl org groups add --tenant 511002 --code area1 --kind area --name 第一协作片区 \
	--leader 王一 --units ag1,ag2 --members 张一,张二 --year 2026
check "area2" quiet jd_ctl org groups add --tenant 511002 --code area2 --kind area --name 第二协作片区 \
	--leader 王二 --units ag3,ag4 --members 张三,张四 --year 2026
check "area3" quiet jd_ctl org groups add --tenant 511002 --code area3 --kind area --name 第三协作片区 \
	--leader 王三 --units ag5,ag6 --members 张五,张六 --year 2026

# --- the conflict check
c=$(jd_ctl org conflicts --tenant 511002 --person "$m1" --unit ag1 --json)
equals "own unit: a conflict" "$(jd_json .conflict <<<"$c")" true
contains "own unit: named" "$c" "works in ag1"
c=$(jd_ctl org conflicts --tenant 511002 --person "$m1" --unit ag3 --json)
contains "a declared tie: names the supervised unit and the agency" "$c" \
	"has a declared tie to 教育局, supervised by ag3"
c=$(jd_ctl org conflicts --tenant 511002 --person "$m1" --employer " 县教育局 " --json)
equals "an employer the ties do not name (they hold 教育局 only)" "$(jd_json .conflict <<<"$c")" false
c=$(jd_ctl org conflicts --tenant 511002 --person "$m1" --employer 教育局 --json)
contains "the subject's employer in the ties" "$c" "has a declared tie to the subject's employer"
# the ties are matched by containing the employer: one too short to name a body would spell them out
out=$(fails jd_ctl org conflicts --tenant 511002 --person "$m1" --employer 表)
contains "an employer of one character is refused" "$out" "field 'employer' must name a body"
out=$(fails jd_ctl org conflicts --tenant 511002 --person "$m1" --unit ag1 --employer TIE)
contains "and of three Latin letters, with a unit too" "$out" "field 'employer' must name a body"
c=$(jd_ctl org conflicts --tenant 511002 --person "$m2" --employer 税务局 --json)
contains "an agency and the unit it supervises" "$c" "is in ag2, which supervises 税务局"
c=$(jd_ctl org conflicts --tenant 511002 --person "$m3" --unit ag5 --json)
equals "no conflict" "$(jd_json .conflict <<<"$c")" false
equals "no reasons" "$(jd_json .reasons <<<"$c")" "[]"
human=$(jd_ctl org conflicts --tenant 511002 --person "$m1" --unit ag3 --employer 教育局)
contains "the human form lists the reasons" "$human" "declared tie"
if grep -q "$marker\|表哥" <<<"$human$c"; then not_ok "the answers never quote the ties"; else ok "the answers never quote the ties"; fi
# a former unit: 张二 moves from ag2 to ag1
v=$(jd_ctl org people show --tenant 511002 --id "$m2" --json | jd_json .version)
check "张二 moves to ag1" quiet jd_ctl org people move --tenant 511002 --id "$m2" --version "$v" \
	--to_unit ag1 --date 2024-01-02 --reason 交流
c=$(jd_ctl org conflicts --tenant 511002 --person "$m2" --unit ag2 --json)
contains "a former unit" "$c" "worked in ag2 until it moved"
out=$(fails jd_ctl org conflicts --tenant 511002 --person "$m1")
contains "a unit or an employer is needed" "$out" "give field 'unit' or field 'employer'"
out=$(fails jd_ctl org conflicts --tenant 511002 --person "$m1" --unit ag7)
contains "an unknown unit is named" "$out" "no unit 'ag7' in tenant 511002"
out=$(fails jd_ctl org conflicts --tenant 511002 --person 0123456789abcdef0123456789abcdef --unit ag1)
contains "an unknown person is 404" "$out" "no person"
audit=$(jd_ctl audit tail --tenant 511002 --json)
contains "opening the ties is audited" "$audit" "person:$m1#ties"
contains "as org.conflicts" "$audit" "org.conflicts"

# who may check: staff and leaders of the county; not a reviewer, not another county's staff
jd_ctl users add --id sz_staff --roles staff --tenants 511002 >/dev/null
jd_ctl users add --id sz_linked --roles staff --tenants 511002 --person "511002/$m1" >/dev/null
jd_ctl users add --id sz_review --roles reviewer --tenants 511002 >/dev/null
jd_ctl users add --id other_staff --roles staff --tenants 510681 >/dev/null
equals "staff may check" "$(bearer "$(jd_token_for sz_staff)" \
	"/v1/org/conflicts?tenant=511002&person=$m1&unit=ag1")" 200
equals "a user id stands for its person" "$(bearer "$(jd_token_for sz_staff)" \
	"/v1/org/conflicts?tenant=511002&person=sz_linked&unit=ag1")" 200
contains "the linked person's reasons" "$(cat "$JD_TMP/b")" "works in ag1"
equals "a user linked to nobody is 404" "$(bearer "$(jd_token_for sz_staff)" \
	"/v1/org/conflicts?tenant=511002&person=sz_review&unit=ag1")" 404
equals "staff may not match free text against someone's ties" "$(bearer "$(jd_token_for sz_staff)" \
	"/v1/org/conflicts?tenant=511002&person=$m1&employer=%E6%95%99%E8%82%B2%E5%B1%80")" 403
contains "the refusal names the permission" "$(cat "$JD_TMP/b")" "org.conflicts.employer"
jd_ctl users add --id sz_leader --roles leader --tenants 511002 >/dev/null
equals "a leader may" "$(bearer "$(jd_token_for sz_leader)" \
	"/v1/org/conflicts?tenant=511002&person=$m1&employer=%E6%95%99%E8%82%B2%E5%B1%80")" 200
equals "a reviewer may not" "$(bearer "$(jd_token_for sz_review)" \
	"/v1/org/conflicts?tenant=511002&person=$m1&unit=ag1")" 403
equals "another county's staff may not" "$(bearer "$(jd_token_for other_staff)" \
	"/v1/org/conflicts?tenant=511002&person=$m1&unit=ag1")" 403

# the host slot for plugins: the same reasons, the same audit, never the text
probe() { # QUERY: the probe's answer
	jd_ctl_curl "$(jd_control_url "/v1/conflicts_probe/check?$1")"
}
p=$(probe "tenant=511002&who=$m1&unit=ag3&employer=%E6%95%99%E8%82%B2%E5%B1%80")
equals "plugin: the slot answers" "$(jd_json .rc <<<"$p")" 0
contains "plugin: a declared tie" "$p" "has a declared tie to 教育局, supervised by ag3"
contains "plugin: the employer" "$p" "has a declared tie to the subject's employer"
if grep -q "$marker" <<<"$p"; then not_ok "plugin: never the text"; else ok "plugin: never the text"; fi
p=$(probe "tenant=511002&who=sz_linked&unit=ag1")
contains "plugin: a user id stands for its person" "$p" "works in ag1"
p=$(probe "tenant=511002&who=$m3&unit=ag5")
equals "plugin: no conflict is an empty list" "$(jd_json .reasons <<<"$p")" "[]"
p=$(probe "tenant=511002&who=sz_review&unit=ag1")
equals "plugin: a user linked to nobody" "$(jd_json .rc <<<"$p")" -3
p=$(probe "tenant=511002&who=0123456789abcdef0123456789abcdef&unit=ag1")
equals "plugin: an unknown person" "$(jd_json .rc <<<"$p")" -3
p=$(probe "tenant=510000&who=$m1&unit=ag1")
equals "plugin: a province has no such person" "$(jd_json .rc <<<"$p")" -3
p=$(probe "tenant=abc&who=$m1&unit=ag1")
equals "plugin: a bad tenant is refused at once" "$(jd_json .rc <<<"$p"),$(jd_json .sync <<<"$p")" "-2,true"
p=$(probe "tenant=511002&unit=ag1")
equals "plugin: no one to check is refused at once" "$(jd_json .rc <<<"$p")" -2
contains "plugin: the check is audited, naming the plugin" \
	"$(jd_ctl audit search --tenant 511002 --action org.conflicts --json)" conflicts_probe

# --- the rotation: propose
prop=$(jd_ctl groups rotate --tenant 511002 --year 2027 --json)
digest=$(jd_json .digest <<<"$prop")
check "a proposal has a digest" grep -Eq '^[0-9a-f]{64}$' <<<"$digest"
equals "not applied yet" "$(jd_json .applied <<<"$prop")" false
equals "nothing changed yet" "$(group 511002 area1 | jd_json .leader)" "$l1"
contains "how to confirm" "$(jd_json .confirm_with <<<"$prop")" "--confirm $digest"
equals "the same proposal twice: the same digest" \
	"$(jd_ctl groups rotate --tenant 511002 --year 2027 --json | jd_json .digest)" "$digest"
human=$(jd_ctl groups rotate --tenant 511002 --year 2027)
contains "the proposal for a human: leaders old → new" "$human" "王一 →"
contains "the proposal for a human: member moves by name" "$human" "张一: area1 → area3"
if grep -q "$marker" <<<"$human$prop"; then not_ok "the proposal never quotes the ties"; else ok "the proposal never quotes the ties"; fi
out=$(fails jd_ctl groups rotate --tenant 511002 --year 2027 --confirm "$(printf 'a%.0s' $(seq 64))")
contains "a digest that does not match is refused" "$out" \
	"the organization changed since the proposal: propose again"
equals "still nothing changed" "$(group 511002 area1 | jd_json .leader)" "$l1"
out=$(fails jd_ctl groups rotate --tenant 511002 --year 2026)
contains "a year already led is refused" "$out" "field 'year'"
out=$(fails jd_ctl groups rotate --tenant 511002 --year 2027 --confirm xyz)
contains "a malformed digest is named" "$out" "field 'confirm'"

# --- confirm
applied=$(jd_ctl groups rotate --tenant 511002 --year 2027 --confirm "$digest" --json)
equals "applied" "$(jd_json .applied <<<"$applied")" true
for g in area1 area2 area3; do
	j=$(group 511002 "$g")
	now=$(jd_json .leader <<<"$j")
	old=$(jd_json .leaders.2026 <<<"$j")
	equals "$g: led in 2027" "$(jd_json .year <<<"$j")" 2027
	equals "$g: the history names the new leader for 2027" "$(jd_json .leaders.2027 <<<"$j")" "$now"
	check "$g: a new leader" [ -n "$now" -a "$now" != "$old" ]
	eval "new_$g=\$now"
done
check "three different leaders" [ "$new_area1" != "$new_area2" -a "$new_area2" != "$new_area3" -a \
	"$new_area1" != "$new_area3" ]
equals "area1 was 王一's" "$(group 511002 area1 | jd_json .leaders.2026)" "$l1"
members3=$(group 511002 area3 | jd_json .members)
contains "张一 moved to area3 (a tie to area2's 教育局)" "$members3" "$m1"
members1=$(group 511002 area1 | jd_json .members)
if grep -q "$m1\|$m2" <<<"$members1"; then not_ok "area1's members all moved"; else ok "area1's members all moved"; fi
equals "the plan is kept, scored by year" "$(rcli zrange 'jd:{511002}:rotations' 0 -1 withscores | tail -1)" 2027
contains "the kept plan names the groups" "$(rcli zrange 'jd:{511002}:rotations' 0 -1)" '"area1"'
contains "the rotation is audited" "$(jd_ctl audit tail --tenant 511002 --json)" "org.groups.rotate"
out=$(fails jd_ctl groups rotate --tenant 511002 --year 2027 --confirm "$digest")
contains "the same confirmation again: led for 2027 already" "$out" "field 'year'"

# --- the organization changes between proposal and confirmation
prop=$(jd_ctl groups rotate --tenant 511002 --year 2028 --json)
digest=$(jd_json .digest <<<"$prop")
check "a proposal for 2028" grep -Eq '^[0-9a-f]{64}$' <<<"$digest"
v=$(group 511002 area3 | jd_json .version)
check "area3 renamed meanwhile" quiet jd_ctl org groups edit --tenant 511002 --code area3 --version "$v" \
	--name 第三片区
out=$(fails jd_ctl groups rotate --tenant 511002 --year 2028 --confirm "$digest")
contains "a stale proposal is refused" "$out" "the organization changed since the proposal: propose again"
equals "and nothing applied" "$(group 511002 area3 | jd_json .year)" 2027

# --- a county where no plan exists: the only other leader has a declared tie
check "a second county" quiet jd_ctl org tenants add --code 511011 --name 威远县 --level county \
	--parent 511000 --modes area
check "ag1 of the second county" quiet jd_ctl org units add --tenant 511011 --code ag1 \
	--name 财政局派驻组 --kind agency --supervised 财政局
check "ag2 of the second county" quiet jd_ctl org units add --tenant 511011 --code ag2 \
	--name 教育局派驻组 --kind agency --supervised 教育局
check "ag3 of the second county" quiet jd_ctl org units add --tenant 511011 --code ag3 \
	--name 卫健局派驻组 --kind agency --supervised 卫健局
check "ag4 of the second county" quiet jd_ctl org units add --tenant 511011 --code ag4 \
	--name 公安局派驻组 --kind agency --supervised 公安局
check "the office" quiet jd_ctl org units add --tenant 511011 --code lead --name 委领导 --kind office
w5=$(person 511011 王五 leader lead)
z6=$(person 511011 赵六 leader lead "配偶在财政局 $marker")
check "two cadres" [ -n "$(person 511011 钱七 cadre ag1)" -a -n "$(person 511011 孙八 cadre ag2)" ]
check "area1 of the second county" quiet jd_ctl org groups add --tenant 511011 --code area1 --kind area \
	--name 一片区 --leader 王五 --units ag1,ag3 --members 钱七 --year 2026
check "area2 of the second county" quiet jd_ctl org groups add --tenant 511011 --code area2 --kind area \
	--name 二片区 --leader 赵六 --units ag2,ag4 --members 孙八 --year 2026
out=$(fails jd_ctl groups rotate --tenant 511011 --year 2027)
contains "no plan: 409" "$out" "409"
contains "no plan: which group" "$out" "no valid leader for group area1"
contains "no plan: who led it" "$out" "王五 led it in 2026"
contains "no plan: who has a tie, to what" "$out" "赵六 has a declared tie to 财政局, supervised by ag1"
if grep -q "$marker\|配偶" <<<"$out"; then not_ok "the refusal never quotes the ties"; else ok "the refusal never quotes the ties"; fi
equals "nothing kept" "$(rcli zcard 'jd:{511011}:rotations')" 0

jd_stop
equals "jiandud stops cleanly" "$JD_EXIT" 0
if grep -aq "$marker\|表哥\|配偶" "$JD_DIR/jiandud.log"; then not_ok "the ties are not in the log"; else ok "the ties are not in the log"; fi
if grep -q "Sanitizer" "$JD_DIR/jiandud.log"; then
	not_ok "sanitizer report: $(grep -m3 -A8 Sanitizer "$JD_DIR/jiandud.log")"
fi

jd_finish
