#!/usr/bin/env bash
# The supervision plugin, stage 1: rectification items up their ladder
# (plan, start, closure requested, returned, passed, closed), the issuing
# side alone reviews and closes, extensions requested and decided with the
# original deadline kept, illegal transitions (409 naming the allowed
# ones), dates validated, scope; talks with sealed content, letters
# numbered per tenant and year, rules; the ledger and the CLI.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/sup_lib.sh"

jd_instance "$JD_TMP/i" --load cases,supervision
jd_start
sock=$JD_DIR/data/redis.sock
cases_org

# --- an item through the CLI: ag2 rectifies, ag1 issued it
add=$(jd_ctl supervision items add --tenant $T --unit ag2 --issuer ag1 --title 公车私用 \
	--deadline 2026-03-31 --date 2026-01-10 --responsible 张三 --json)
item=$(jd_json .id <<<"$add")
check "an item is issued" grep -Eq '^[0-9a-f]{32}$' <<<"$item"
equals "its state" "$(jd_json .state <<<"$add")" issued
show=$(jd_ctl supervision items show --tenant $T --id "$item" --json)
equals "the original deadline" "$(jd_json .deadline_orig <<<"$show")" 2026-03-31
equals "source kind direct" "$(jd_json .source_kind <<<"$show")" direct
equals "backdated" "$(jd_json .late <<<"$show")" 1

out=$(fails jd_ctl supervision items add --tenant $T --unit ag2 --issuer ag2 --title x --deadline 2026-03-31)
contains "a unit cannot issue its own item" "$out" "cannot issue its own item"
equals "s2 cannot issue an item in ag1's name: 403" "$(bearer "$S2" POST /v1/supervision/items "{\"tenant\":\"$T\",\"unit\":\"ag3\",\"issuer\":\"ag1\",\"title\":\"x\",\"deadline\":\"2026-03-31\"}")" 403
contains "the issuer named" "$(body)" "field 'issuer'"
out=$(fails jd_ctl supervision items add --tenant $T --unit ag9 --issuer ag1 --title x --deadline 2026-03-31)
contains "an unknown unit is named" "$out" "no unit 'ag9'"
out=$(fails jd_ctl supervision items add --tenant $T --unit ag2 --issuer ag1 --title x --deadline 2026-03-31 --date 2999-01-01)
contains "a future date is refused" "$out" "is in the future"
out=$(fails jd_ctl supervision items add --tenant $T --unit ag2 --issuer ag1 --title x --deadline 2025-01-01 --date 2026-01-10)
contains "a deadline before the issue date is refused" "$out" "field 'deadline'"
out=$(fails jd_ctl supervision items add --tenant $T --unit ag2 --issuer ag1 --title x --deadline 2026-03-31 --source talk:nope)
contains "an absent source is named" "$out" "no record talk:nope"

# --- illegal transitions name the allowed ones
out=$(fails jd_ctl supervision items close --tenant $T --id "$item")
contains "close from issued: 409" "$out" "allowed: plan, extend"
code=$(sup_post "$S2" "/v1/supervision/items/$item/start" '"date":"2026-01-11"')
equals "start before the plan: 409" "$code" 409

# --- the rectifying unit (s2, ag2) files the plan, starts, requests closure
equals "plan before the issue date: 400" "$(sup_post "$S2" "/v1/supervision/items/$item/plan" '"plan":"p","date":"2026-01-09"')" 400
equals "s2 files the plan" "$(sup_post "$S2" "/v1/supervision/items/$item/plan" '"plan":"整改方案","date":"2026-01-15"')" 200
equals "s2 starts" "$(sup_post "$S2" "/v1/supervision/items/$item/start" '"date":"2026-01-16"')" 200
equals "s1 (ag1) does not see ag2's item" "$(bearer "$S1" GET "/v1/supervision/items/$item?tenant=$T")" 404

# --- extensions: requested by the unit, decided by the issuer; the original kept
equals "s2 requests an extension" "$(sup_post "$S2" "/v1/supervision/items/$item/extend" '"days":10,"reason":"工程量大","date":"2026-01-20"')" 200
equals "a second request waits: 409" "$(sup_post "$S2" "/v1/supervision/items/$item/extend" '"days":5,"reason":"x","date":"2026-01-20"')" 409
equals "the unit cannot decide it: 403" "$(sup_post "$S2" "/v1/supervision/items/$item/extension" '"approve":true,"date":"2026-01-21"')" 403
equals "a leader approves it" "$(sup_post "$L1" "/v1/supervision/items/$item/extension" '"approve":true,"date":"2026-01-21"')" 200
show=$(jd_ctl supervision items show --tenant $T --id "$item" --json)
equals "the deadline moved" "$(jd_json .deadline <<<"$show")" 2026-04-10
equals "the original is kept" "$(jd_json .deadline_orig <<<"$show")" 2026-03-31
equals "ext_days" "$(jd_json .ext_days <<<"$show")" 10
equals "s2 requests another" "$(sup_post "$S2" "/v1/supervision/items/$item/extend" '"days":30,"reason":"再延","date":"2026-01-22"')" 200
equals "the leader refuses it" "$(sup_post "$L1" "/v1/supervision/items/$item/extension" '"approve":false,"date":"2026-01-23"')" 200
show=$(jd_ctl supervision items show --tenant $T --id "$item" --json)
equals "a refusal leaves the deadline" "$(jd_json .deadline <<<"$show")" 2026-04-10
equals "refusals counted" "$(jd_json .ext_refused <<<"$show")" 1

# --- closure requested, returned with reasons, requested again, passed, closed
equals "s2 requests closure" "$(sup_post "$S2" "/v1/supervision/items/$item/request-close" '"evidence":"台账","date":"2026-02-01"')" 200
equals "the unit cannot review its own: 403" "$(sup_post "$S2" "/v1/supervision/items/$item/review" '"result":"passed","date":"2026-02-02"')" 403
contains "named" "$(body)" "never closes its own item"
equals "returned without reasons: 400" "$(sup_post "$L1" "/v1/supervision/items/$item/review" '"result":"returned","date":"2026-02-02"')" 400
equals "returned with reasons" "$(sup_post "$L1" "/v1/supervision/items/$item/review" '"result":"returned","reason":"证据不足","date":"2026-02-02"')" 200
equals "back in progress" "$(jd_json .state <"$JD_TMP/b")" in_progress
equals "requested again" "$(sup_post "$S2" "/v1/supervision/items/$item/request-close" '"evidence":"补充","date":"2026-02-10"')" 200
equals "the unit cannot close: 403" "$(sup_post "$S2" "/v1/supervision/items/$item/close" '"date":"2026-02-12"')" 403
equals "passed" "$(sup_post "$L1" "/v1/supervision/items/$item/review" '"result":"passed","date":"2026-02-11"')" 200
equals "closed (销号)" "$(sup_post "$L1" "/v1/supervision/items/$item/close" '"date":"2026-02-12"')" 200
show=$(jd_ctl supervision items show --tenant $T --id "$item" --json)
equals "state closed" "$(jd_json .state <<<"$show")" closed
equals "returns" "$(jd_json .returns <<<"$show")" 1
equals "on time" "$(jd_json .on_time <<<"$show")" 1
equals "look-back due 90 days later" "$(jd_json .lookback_due <<<"$show")" 2026-05-13
out=$(fails jd_ctl supervision items plan --tenant $T --id "$item" --plan x)
contains "closed allows only look-back" "$out" "allowed: lookback"

# --- talks: content sealed, person-times, opened for those who may, audited
marker="M$(head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \n')"
talk=$(jd_ctl supervision talks add --tenant $T --unit ag1 --supervised 县教育局 --persons 5 --leaders 2 \
	--key_posts 3 --reason 履职不力 --held_by 赵四 --content "谈话内容 $marker" --date 2026-01-12 --json | jd_json .id)
check "a talk is recorded" test -n "$talk"
show=$(jd_ctl supervision talks show --tenant $T --id "$talk" --json)
equals "the content opens" "$(jd_json .content <<<"$show")" "谈话内容 $marker"
equals "person-times" "$(jd_json .persons <<<"$show")" 5
out=$(fails jd_ctl supervision talks add --tenant $T --unit ag1 --supervised x --persons 2 --leaders 2 --key_posts 1 --reason r)
contains "leaders and key posts within the persons" "$out" "field 'persons'"
equals "a viewer cannot read talks" "$(bearer "$V1" GET "/v1/supervision/talks/$talk?tenant=$T")" 403
check "the open is audited" jd_wait_for 50 bash -c \
	"'$JIANDUCTL' -c '$JD_DIR/jianductl.conf' audit search --tenant $T --json | grep -q 'talk:$talk#content'"
ti=$(sup_item "$S1" ag2 ag1 2026-04-30 "\"source\":\"talk:$talk\",\"date\":\"2026-01-12\"")
equals "an item from the talk" "$(jd_ctl supervision items show --tenant $T --id "$ti" --json | jd_json .source_kind)" talk
equals "the talk counts its items" "$(jd_ctl supervision talks show --tenant $T --id "$talk" --json | jd_json .items)" 1

# --- letters: numbered per tenant, kind and year; a reply ends the reply deadline
out=$(fails jd_ctl supervision letters add --tenant $T --kind prompt --unit ag1 --supervised 县教育局 \
	--problems 问题若干 --reply_due 2026-02-28 --date 2026-01-20)
contains "problems need the unit that rectifies them" "$out" "field 'rectifier'"
out=$(fails jd_ctl supervision letters add --tenant $T --kind prompt --unit ag1 --supervised 县教育局 \
	--problems 问题若干 --rectifier ag1 --reply_due 2026-02-28 --date 2026-01-20)
contains "not the issuing unit" "$out" "field 'rectifier'"
add=$(jd_ctl supervision letters add --tenant $T --kind prompt --unit ag1 --supervised 县教育局 \
	--problems "食堂账目不清；公务接待超标; 车辆管理混乱" --rectifier ag3 --rectify_by 2026-04-30 \
	--reply_due 2026-02-28 --date 2026-01-20 --idempotency_key lp1 --json)
l1=$(jd_json .id <<<"$add")
equals "the first prompt letter of 2026" "$l1" 2026-P0001
equals "each problem a rectification item" "$(py 'j["items"]' <<<"$add")" "['2026-P0001-1', '2026-P0001-2', '2026-P0001-3']"
show=$(jd_ctl supervision items show --tenant $T --id 2026-P0001-2 --json)
equals "its title: the problem" "$(jd_json .title <<<"$show")" 公务接待超标
equals "rectified by ag3" "$(jd_json .unit <<<"$show")" ag3
equals "issued by the letter's unit" "$(jd_json .issuer <<<"$show")" ag1
equals "source: the letter" "$(jd_json .source <<<"$show")" letter:2026-P0001
equals "source kind prompt" "$(jd_json .source_kind <<<"$show")" prompt
equals "due by rectify_by" "$(jd_json .deadline <<<"$show")" 2026-04-30
equals "the letter counts its items" "$(jd_ctl supervision letters show --tenant $T --id "$l1" --json | jd_json .items)" 3
# a retry (the same idempotency key) replays the letter with its items (one step): nothing twice
again=$(jd_ctl supervision letters add --tenant $T --kind prompt --unit ag1 --supervised 县教育局 \
	--problems "食堂账目不清；公务接待超标; 车辆管理混乱" --rectifier ag3 --rectify_by 2026-04-30 \
	--reply_due 2026-02-28 --date 2026-01-20 --idempotency_key lp1 --json)
equals "replayed" "$(jd_json .replayed <<<"$again")" true
equals "the same letter" "$(jd_json .id <<<"$again")" 2026-P0001
equals "the same items" "$(py 'j["items"]' <<<"$again")" "['2026-P0001-1', '2026-P0001-2', '2026-P0001-3']"
equals "the items not twice: still one version" "$(redis-cli -s "$sock" hget "jd:{$T}:item:2026-P0001-1" _v)" 1
equals "the letter not twice" "$(redis-cli -s "$sock" hget "jd:{$T}:letter:2026-P0001" _v)" 1
l2=$(jd_ctl supervision letters add --tenant $T --kind prompt --unit ag1 --supervised 县卫健局 \
	--reply_due 2026-02-28 --date 2026-01-21 --json | jd_json .id)
equals "the second" "$l2" 2026-P0002
r1=$(jd_ctl supervision letters add --tenant $T --kind recommendation --unit ag1 --supervised 县教育局 \
	--reply_due 2026-03-31 --date 2026-02-01 --json | jd_json .id)
equals "recommendations numbered apart" "$r1" 2026-R0001
p25=$(jd_ctl supervision letters add --tenant $T --kind prompt --unit ag1 --supervised x \
	--reply_due 2025-12-31 --date 2025-12-01 --json | jd_json .id)
equals "another year starts again" "$p25" 2025-P0001
# concurrent letters get distinct numbers
pids=()
for i in 1 2 3 4 5 6; do
	jd_ctl supervision letters add --tenant $T --kind prompt --unit ag1 --supervised "c$i" \
		--reply_due 2026-06-30 --date 2026-03-01 >/dev/null &
	pids+=($!)
done
wait "${pids[@]}"
nums=$(redis-cli -s "$sock" zrange "jd:{$T}:letters:all" 0 -1 | grep -c '^2026-P')
equals "eight prompt letters of 2026, no number twice" "$nums" 8
equals "the counter" "$(redis-cli -s "$sock" hget "jd:{$T}:letters:seq" prompt:2026)" 8
li=$(sup_item "$S1" ag2 ag1 2026-04-30 "\"source\":\"letter:$r1\",\"date\":\"2026-02-02\"")
equals "an item from a recommendation" "$(jd_ctl supervision items show --tenant $T --id "$li" --json | jd_json .source_kind)" recommendation
equals "the reply" "$(sup_post "$S1" "/v1/supervision/letters/$l1/reply" '"reply":"已整改","date":"2026-02-20"')" 200
show=$(jd_ctl supervision letters show --tenant $T --id "$l1" --json)
equals "replied on time" "$(jd_json .reply_on_time <<<"$show")" 1
out=$(fails jd_ctl supervision letters reply --tenant $T --id "$l1")
contains "a second reply: 409" "$out" "none (replied is final)"
out=$(fails jd_ctl supervision letters add --tenant $T --kind memo --unit ag1 --supervised x --reply_due 2026-02-28)
contains "a bad kind is named" "$out" "field 'kind'"

# --- rules, linked to what caused them
rule=$(jd_ctl supervision rules add --tenant $T --unit ag2 --title 公车管理办法 --links "item:$item,letter:$r1" --date 2026-02-15 --json | jd_json .id)
check "a rule is recorded" test -n "$rule"
equals "its links" "$(jd_ctl supervision rules show --tenant $T --id "$rule" --json | jd_json .links)" "item:$item,letter:$r1"
out=$(fails jd_ctl supervision rules add --tenant $T --unit ag2 --title x --links "case:1")
contains "bad links named" "$out" "field 'links'"

# --- the ledger: filtered, paged, CSV
led=$(jd_ctl supervision ledger --tenant $T --unit ag2 --json)
equals "ag2 has three items" "$(py 'len(j["items"])' <<<"$led")" 3
led=$(jd_ctl supervision ledger --tenant $T --group tf1 --json)
equals "task force tf1 (ag1, ag2): three items" "$(py 'len(j["items"])' <<<"$led")" 3
out=$(fails jd_ctl supervision ledger --tenant $T --group nope)
contains "an unknown group is named" "$out" "no group 'nope'"
led=$(jd_ctl supervision ledger --tenant $T --state closed --json)
equals "one closed" "$(py 'len(j["items"])' <<<"$led")" 1
equals "its extensions" "$(py 'j["items"][0]["ext_days"]' <<<"$led")" 10
csv=$(jd_ctl supervision ledger --tenant $T --unit ag2 --csv)
contains "CSV header" "$(head -1 <<<"$csv")" "deadline_orig"
equals "CSV rows" "$(($(wc -l <<<"$csv") - 1))" 3
p1=$(jd_ctl supervision ledger --tenant $T --limit 2 --json)
equals "a page of two" "$(py 'len(j["items"])' <<<"$p1")" 2
p2=$(jd_ctl supervision ledger --tenant $T --limit 2 --cursor "$(jd_json .next_cursor <<<"$p1")" --json)
equals "the next page" "$(py 'len(j["items"])' <<<"$p2")" 2
equals "s1 sees none of ag2's items" "$(bearer "$S1" GET "/v1/supervision/ledger?tenant=$T&unit=ag2")" 200
equals "hidden ones left out" "$(py 'len(j["items"])' <"$JD_TMP/b")" 0

# --- nothing sealed in clear in Redis
dump=$(redis-cli -s "$sock" --scan | while IFS= read -r k; do
	case $(redis-cli -s "$sock" type "$k") in
	hash) redis-cli -s "$sock" hgetall "$k" ;;
	stream) redis-cli -s "$sock" xrange "$k" - + ;;
	esac
done)
if grep -aq "$marker" <<<"$dump"; then not_ok "no talk content in Redis"; else ok "no talk content in Redis"; fi

jd_stop
equals "clean exit" "$JD_EXIT" 0
jd_no_sanitizer_report
jd_finish
