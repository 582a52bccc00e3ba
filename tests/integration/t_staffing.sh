#!/usr/bin/env bash
# Organization, staffing (编制): approved posts on units, the staffing rate
# (配备率) and the rule 1 head + 1 deputy + 2 cadres for every agency,
# post transfers that move approved posts (refused when the unit has too
# few), people edited and retired changing the figures, stale versions 409.
source "$(dirname "$0")/lib.sh"

jd_instance "$JD_TMP/i"
jd_start
sock=$JD_DIR/data/redis.sock

staffing() { jd_ctl org staffing --tenant 510681 --json; }
rev() { redis-cli -s "$sock" hget "jd:{510681}:orgrev" _v; }

# --- a county with approved posts
check "a province" quiet jd_ctl org tenants add --code 510000 --name 四川省 --level province
check "a city" quiet jd_ctl org tenants add --code 510600 --name 德阳市 --level city --parent 510000
check "a county" quiet jd_ctl org tenants add --code 510681 --name 广汉市 --level county --parent 510600
check "an office with 10 posts" quiet jd_ctl org units add --tenant 510681 --code of1 \
	--name 第一纪检监察室 --kind office --posts 10 --leadership_posts 2
check "an agency with 6 posts" quiet jd_ctl org units add --tenant 510681 --code ag1 \
	--name 第一派驻纪检监察组 --kind agency --posts 6 --leadership_posts 2
check "an agency without posts yet" quiet jd_ctl org units add --tenant 510681 --code ag2 \
	--name 第二派驻纪检监察组 --kind agency
check "posts set by an edit" quiet jd_ctl org units edit --tenant 510681 --code ag2 --version 1 \
	--posts 5 --leadership_posts 2
ag2=$(jd_ctl org units show --tenant 510681 --code ag2 --json)
equals "the posts are kept (an integer)" "$(py 'j["posts"], j["leadership_posts"]' <<<"$ag2")" "5 2"
equals "the unit list has the posts" \
	"$(jd_ctl org units list --tenant 510681 --json | py '[(u["code"], u["posts"]) for u in j["units"]]')" \
	"[('ag1', 6), ('ag2', 5), ('of1', 10)]"
check "a retired agency" quiet jd_ctl org units add --tenant 510681 --code ag9 --name x --kind agency --posts 3
check "retired" quiet jd_ctl org units retire --tenant 510681 --code ag9

out=$(fails jd_ctl org units add --tenant 510681 --code ag3 --name x --kind agency --posts 10001)
contains "too many posts are named" "$out" "field 'posts' must be 0..10000, not 10001"
out=$(fails jd_ctl org units add --tenant 510681 --code ag3 --name x --kind agency --posts 2 --leadership_posts 3)
contains "more leadership posts than posts" "$out" "field 'leadership_posts' must be 0..posts (2), not 3"
out=$(fails jd_ctl org units edit --tenant 510681 --code ag2 --version 2 --posts 1)
contains "posts cut below the leadership posts" "$out" "field 'posts': 1 is fewer than the unit's 2 leadership posts"

# --- people: ag1 keeps the rule, ag2 has a head and one cadre
person() { jd_ctl org people add --tenant 510681 --name "$1" --post "$2" --unit "$3" --start 2021-03-01 --json | jd_json .id; }
person 甲 leader of1 >/dev/null
person 乙 head ag1 >/dev/null
person 丙 deputy ag1 >/dev/null
c1=$(person 丁 cadre ag1)
person 戊 cadre ag1 >/dev/null
person 己 head ag2 >/dev/null
c2=$(person 庚 cadre ag2)

st=$(staffing)
equals "approved posts of the active units" "$(jd_json .posts <<<"$st")" 21
equals "filled posts" "$(jd_json .filled <<<"$st")" 7
equals "the staffing rate (配备率)" "$(jd_json .rate <<<"$st")" 33.33
equals "agencies" "$(py 'j["agencies"], j["agency_posts"], j["agency_filled"], j["agency_rate"]' <<<"$st")" \
	"2 11 6 54.55"
equals "ag1's figures" \
	"$(py '[(u["filled"], u["leadership_filled"], u["rate"]) for u in j["units"] if u["code"]=="ag1"][0]' <<<"$st")" \
	"4 2 66.67"
equals "one breach: ag2, in two ways" \
	"$(py '[(b["unit"], b["missing"]) for b in j["breaches"]]' <<<"$st")" "[('ag2', '1 deputy, 1 cadre')]"
contains "the human output names the breach" "$(jd_ctl org staffing --tenant 510681)" "1 deputy, 1 cadre"
out=$(fails jd_ctl org staffing --tenant 510600)
contains "staffing belongs to a county" "$out" "is not a county"
out=$(fails jd_ctl org staffing --tenant 510699)
contains "an unknown tenant is 404" "$out" "no tenant '510699'"

# --- post transfers
r0=$(rev)
add=$(jd_ctl org transfers add --tenant 510681 --date 2024-01-05 --from ag1 --to of1 --posts 2 \
	--leadership_posts 1 --reason 充实一线 --json)
equals "a transfer is recorded" "$(py 'j["from"], j["to"], j["posts"], j["leadership_posts"]' <<<"$add")" \
	"ag1 of1 2 1"
check "with a 32-hex id" grep -Eq '^[0-9a-f]{32}$' <<<"$(jd_json .id <<<"$add")"
equals "the organization's revision moved once" "$(rev)" "$((r0 + 1))"
equals "ag1 gave its posts" \
	"$(jd_ctl org units show --tenant 510681 --code ag1 --json | py 'j["posts"], j["leadership_posts"]')" "4 1"
equals "of1 got them" \
	"$(jd_ctl org units show --tenant 510681 --code of1 --json | py 'j["posts"], j["leadership_posts"]')" "12 3"
equals "the summaries moved too" \
	"$(jd_ctl org units list --tenant 510681 --json | py '[(u["code"], u["posts"]) for u in j["units"] if u["status"]=="active"]')" \
	"[('ag1', 4), ('ag2', 5), ('of1', 12)]"
st=$(staffing)
equals "the rate follows" "$(py 'j["posts"], j["rate"], j["agency_posts"]' <<<"$st")" "21 33.33 9"
equals "the posts moved out of agencies and their share" \
	"$(py 'j["transfers"]["count"], j["transfers"]["posts_moved"], j["transfers"]["leadership_moved"], j["transfers"]["share"]' <<<"$st")" \
	"1 2 1 18.18"
out=$(fails jd_ctl org units edit --tenant 510681 --code ag1 --version 1 --name x)
contains "an edit from before the transfer is 409" "$out" "409"

out=$(fails jd_ctl org transfers add --tenant 510681 --date 2024-01-06 --from ag2 --to of1 --posts 6)
contains "an over-large transfer is refused" "$out" "400"
contains "naming the unit and its posts" "$out" "unit 'ag2' has 5 approved posts, fewer than the 6 to move"
out=$(fails jd_ctl org transfers add --tenant 510681 --date 2024-01-06 --from ag2 --to of1 --posts 1 --leadership_posts 2)
contains "more leadership posts than posts moved" "$out" "field 'leadership_posts' must be 0..posts (1), not 2"
out=$(fails jd_ctl org transfers add --tenant 510681 --date 2024-01-06 --from ag2 --to of1 --posts 4)
contains "leadership posts left without posts" "$out" "unit 'ag2' would keep 2 leadership posts for 1 posts"
out=$(fails jd_ctl org transfers add --tenant 510681 --date 2024-01-06 --from ag2 --to ag7 --posts 1)
contains "an unknown unit is named" "$out" "field 'to': no unit 'ag7' in tenant 510681"
out=$(fails jd_ctl org transfers add --tenant 510681 --date 2024-01-06 --from ag9 --to of1 --posts 1)
contains "a retired unit is named" "$out" "field 'from': unit 'ag9' is retired"
out=$(fails jd_ctl org transfers add --tenant 510681 --date 2024-01-06 --from ag2 --to ag2 --posts 1)
contains "posts do not move to their own unit" "$out" "to itself"
out=$(fails jd_ctl org transfers add --tenant 510681 --date 2024-01-06 --from ag2 --to of1 --posts 0)
contains "a transfer moves a post at least" "$out" "field 'posts' must be 1..10000"
out=$(fails jd_ctl org transfers add --tenant 510681 --date 2999-01-01 --from ag2 --to of1 --posts 1)
contains "a future date is refused" "$out" "field 'date': 2999-01-01 is in the future"
equals "nothing moved on a refusal" "$(jd_ctl org units show --tenant 510681 --code ag2 --json | jd_json .posts)" 5

for i in 1 2; do
	check "an equal transfer, $i" quiet jd_ctl org transfers add --tenant 510681 --date 2023-06-01 \
		--from of1 --to ag2 --posts 1 --reason 补充
done
list=$(jd_ctl org transfers list --tenant 510681 --json)
equals "two equal transfers stay two, listed by date" \
	"$(py '[(t["date"], t["from"], t["to"], t["count"]) for t in j["transfers"]]' <<<"$list")" \
	"[('2023-06-01', 'of1', 'ag2', 1), ('2023-06-01', 'of1', 'ag2', 1), ('2024-01-05', 'ag1', 'of1', 2)]"
equals "each with its own id" "$(py 'len(set(t["id"] for t in j["transfers"]))' <<<"$list")" 3
equals "the reason is kept (UTF-8)" "$(py 'j["transfers"][2]["reason"]' <<<"$list")" 充实一线
equals "posts moved back into an agency count against the share" \
	"$(staffing | py 'j["transfers"]["posts_moved"], j["agency_posts"]')" "0 11"

# --- people edited and retired change the figures
v=$(jd_ctl org people show --tenant 510681 --id "$c1" --json | jd_json .version)
ret=$(jd_ctl org people retire --tenant 510681 --id "$c1" --version "$v" --date 2024-02-01 \
	--reason 退休 --json)
equals "a person retires" "$(jd_json .status <<<"$ret")" retired
st=$(staffing)
equals "a retired person fills no post" "$(py 'j["filled"], j["rate"]' <<<"$st")" "6 28.57"
equals "ag1 now breaks the rule" "$(py '[(b["unit"], b["missing"]) for b in j["breaches"]]' <<<"$st")" \
	"[('ag1', '1 cadre'), ('ag2', '1 deputy, 1 cadre')]"
show=$(jd_ctl org people show --tenant 510681 --id "$c1" --json)
equals "the retirement is kept" "$(py 'j["status"], j["retired_on"], j["retire_reason"]' <<<"$show")" \
	"retired 2024-02-01 退休"
equals "the list says retired" \
	"$(jd_ctl org people list --tenant 510681 --unit ag1 --json | py '[p["status"] for p in j["people"] if p["id"]=="'"$c1"'"][0]')" \
	retired
out=$(fails jd_ctl org people retire --tenant 510681 --id "$c1" --version "$(jd_json .version <<<"$show")" --date 2024-02-02)
contains "retiring twice is 409" "$out" "retired already"
out=$(fails jd_ctl org people edit --tenant 510681 --id "$c1" --version "$(jd_json .version <<<"$show")" --name x)
contains "a retired person is not edited" "$out" "is retired"
out=$(fails jd_ctl org people move --tenant 510681 --id "$c1" --version "$(jd_json .version <<<"$show")" \
	--to_unit ag2 --date 2024-03-01)
contains "nor moved" "$out" "is retired"

v=$(jd_ctl org people show --tenant 510681 --id "$c2" --json | jd_json .version)
check "ag2's cadre becomes its deputy" quiet jd_ctl org people edit --tenant 510681 --id "$c2" \
	--version "$v" --post deputy
equals "the breach follows the post" \
	"$(staffing | py '[b["missing"] for b in j["breaches"] if b["unit"]=="ag2"][0]')" "2 cadres"
show=$(jd_ctl org people show --tenant 510681 --id "$c2" --json)
equals "only the post changed" "$(py 'j["name"], j["post"], j["unit"]' <<<"$show")" "庚 deputy ag2"
out=$(fails jd_ctl org people edit --tenant 510681 --id "$c2" --version "$v" --post cadre)
contains "a stale version is 409" "$out" "409"
out=$(fails jd_ctl org people edit --tenant 510681 --id "$c2" --version "$((v + 1))" --post boss)
contains "a bad post is named" "$out" "'boss' is not a post"
out=$(fails jd_ctl org people edit --tenant 510681 --id "$c2" --version "$((v + 1))")
contains "an edit changes something" "$out" "nothing to change"
check "a new cadre arrives" quiet jd_ctl org people add --tenant 510681 --name 辛 --post cadre \
	--unit ag1 --start 2024-03-01
equals "and fills the post again" "$(staffing | py 'j["filled"], len(j["breaches"])')" "7 1"

contains "transfers are audited" "$(jd_ctl audit tail --tenant 510681 --json)" "org.transfer.create"
contains "retirements are audited" "$(jd_ctl audit tail --tenant 510681 --json)" "org.person.retire"

jd_stop
equals "jiandud stops cleanly" "$JD_EXIT" 0
jd_no_sanitizer_report

jd_finish
