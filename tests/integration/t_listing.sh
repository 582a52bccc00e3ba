#!/usr/bin/env bash
# Paged listings (storage/listing.c): a page holds at most `limit` items,
# `next` leads to the following page and is null on the last; a filter
# (scope, unit) never cuts a listing short, also when the kept items lie
# past the first batch read; a bad limit or cursor is named.
source "$(dirname "$0")/lib.sh"

jd_instance "$JD_TMP/i"
jd_start

# pages TOKEN PATH: follows `next` from PATH (which has a query), printing
# each page's size on one line, then the sorted ids (KEY's values) of all
# pages with no repeats on the next line
pages() {
	local tok=$1 path=$2 key=$3 cursor="" sizes="" status
	: >"$JD_TMP/all"
	for _ in $(seq 1 200); do
		status=$(jd_bearer "$JD_TMP/p" "$tok" "$path${cursor:+&cursor=$cursor}")
		[ "$status" = 200 ] || { echo "status $status: $(cat "$JD_TMP/p")"; return; }
		sizes="$sizes $(py "len(j['$4'])" <"$JD_TMP/p")"
		py "'\n'.join(x['$key'] for x in j['$4'])" <"$JD_TMP/p" >>"$JD_TMP/all"
		cursor=$(py "j['next'] or ''" <"$JD_TMP/p")
		[ -n "$cursor" ] || break
	done
	echo "${sizes# }"
	grep -v '^$' "$JD_TMP/all" | sort | tr '\n' ' '
}

check "a province" quiet jd_ctl org tenants add --code 510000 --name 四川省 --level province
check "a city" quiet jd_ctl org tenants add --code 510600 --name 德阳市 --level city --parent 510000
check "county a" quiet jd_ctl org tenants add --code 510681 --name 广汉市 --level county --parent 510600
check "county b" quiet jd_ctl org tenants add --code 510682 --name 什邡市 --level county --parent 510600

# --- users: a tenant admin's scope keeps every other user, interleaved by id
for i in 1 2 3 4 5 6 7; do
	jd_ctl users add --id "k$i" --roles staff --tenants 510681 >/dev/null
	jd_ctl users add --id "k${i}x" --roles staff --tenants 510682 >/dev/null
done
jd_ctl users add --id ta --roles tenant_admin --tenants 510681 >/dev/null
ta=$(jd_token_for ta)
out=$(pages "$ta" "/v1/users?limit=3" id users)
equals "pages of at most 3, the last one shorter" "$(head -1 <<<"$out")" "3 3 2"
equals "every user of the scope once, none outside it" "$(tail -1 <<<"$out")" "k1 k2 k3 k4 k5 k6 k7 ta "

# past one batch (100 ids read at a time): 105 users out of scope between k7 and ta
add_user() {
	jd_ctl_curl -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
		--data "{\"id\":\"$1\",\"roles\":\"staff\",\"tenants\":\"$2\"}" \
		"$(jd_control_url /v1/users)"
}
made=0
for i in $(seq -w 1 105); do [ "$(add_user "m$i" 510682)" = 201 ] && made=$((made + 1)); done
[ "$(add_user zz1 510681)" = 201 ] && made=$((made + 1))
equals "106 more users" "$made" 106
out=$(pages "$ta" "/v1/users?limit=3" id users)
equals "the third page reaches over two batches" "$(head -1 <<<"$out")" "3 3 3"
equals "still every user of the scope once" "$(tail -1 <<<"$out")" "k1 k2 k3 k4 k5 k6 k7 ta zz1 "

# tokens: a tenant admin sees the tokens of the users they manage, newest first
for u in k1 k1x k2 k2x k3; do jd_token_for "$u" >/dev/null; done
out=$(pages "$ta" "/v1/tokens?limit=2" user tokens)
check "tokens in scope, two a page" grep -Eq "^2 2( 0)?$" <<<"$(head -1 <<<"$out")"
equals "ta's, k1's, k2's and k3's tokens" "$(tail -1 <<<"$out")" "k1 k2 k3 ta "
out=$(pages "$ta" "/v1/tokens?limit=1&user=k2" user tokens)
equals "one user's token" "$(tail -1 <<<"$out")" "k2 "

# --- people: three in unit ag2 among more than one batch (100) in ag1
check "unit ag1" quiet jd_ctl org units add --tenant 510681 --code ag1 --name 一组 --kind agency
check "unit ag2" quiet jd_ctl org units add --tenant 510681 --code ag2 --name 二组 --kind agency
add_person() {
	jd_ctl_curl -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
		--data "{\"tenant\":\"510681\",\"name\":\"$1\",\"post\":\"cadre\",\"unit\":\"$2\",\"start\":\"2021-03-01\"}" \
		"$(jd_control_url /v1/org/people)"
}
made=0
for i in $(seq 1 104); do [ "$(add_person "p$i" ag1)" = 201 ] && made=$((made + 1)); done
for i in 1 2 3; do [ "$(add_person "q$i" ag2)" = 201 ] && made=$((made + 1)); done
equals "107 people made" "$made" 107
jd_ctl users add --id boss --roles admin >/dev/null
boss=$(jd_token_for boss)
out=$(pages "$boss" "/v1/org/people?tenant=510681&unit=ag2&limit=2" name people)
equals "ag2's people, wherever their ids lie among 107" "$(tail -1 <<<"$out")" "q1 q2 q3 "
check "a full page, then the rest" grep -Eq '^2 1( 0)?$' <<<"$(head -1 <<<"$out")"
out=$(pages "$boss" "/v1/org/people?tenant=510681&limit=50" name people)
equals "all 107 in pages of 50" "$(head -1 <<<"$out")" "50 50 7"
out=$(pages "$boss" "/v1/org/people?tenant=510681" name people)
equals "one page by default" "$(head -1 <<<"$out")" "107"

# groups and units page the same way
out=$(pages "$boss" "/v1/org/units?tenant=510681&limit=1" code units)
equals "units, one a page" "$(tail -1 <<<"$out")" "ag1 ag2 "
out=$(pages "$boss" "/v1/org/tenants?limit=3" code tenants)
equals "tenants, three a page" "$(head -1 <<<"$out")" "3 1"

# --- bad input is named
equals "limit 0 is refused" "$(jd_bearer "$JD_TMP/e" "$boss" "/v1/users?limit=0")" 400
contains "naming limit" "$(cat "$JD_TMP/e")" "field 'limit' must be 1..500"
equals "limit 501 is refused" "$(jd_bearer "$JD_TMP/e" "$boss" "/v1/org/tenants?limit=501")" 400
equals "a made-up cursor is refused" "$(jd_bearer "$JD_TMP/e" "$boss" "/v1/users?cursor=abc")" 400
contains "naming cursor" "$(cat "$JD_TMP/e")" "field 'cursor'"

# --- the CLI offers --cursor and --limit, and prints where the next page starts
out=$(jd_ctl users list --limit 2 --json)
next=$(jd_json .next <<<"$out")
check "the CLI's first page has a next" test -n "$next"
out=$(jd_ctl users list --limit 2 --cursor "$next" --json)
equals "the CLI's second page" "$(py "','.join(u['id'] for u in j['users'])" <<<"$out")" "k1x,k2"
out=$(jd_ctl users list --limit 2 --cursor "$next")
contains "in a table, with where the next page starts" "$out" "next"

jd_stop
jd_no_sanitizer_report
jd_finish
