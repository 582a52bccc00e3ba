#!/usr/bin/env bash
# A prompt letter (提示函) or recommendation (纪检监察建议) and the
# rectification item of each of its problems (up to 50) are one atomic
# store step (the host's mut_record): the letter, every item with its
# state, deadline, indexes and counter, one audit entry.  Shown three ways:
# - counts: a letter of 50 problems makes exactly 50 items, each at version
#   1, indexed and counted once;
# - a failure injected at the 40th item (its key taken by a string, so the
#   store refuses that write) leaves nothing: no letter, no item, no number
#   used, no counter moved (written one by one, the letter and 39 items
#   would stay);
# - kill -9 of jiandud while four clients send letters of 50 problems:
#   after the restart every letter has as many items as problems.
# A talk (约谈) that found problems makes its items the same way.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/sup_lib.sh"

LOAD_PIDS=()
stop_load() {
	local p
	for p in "${LOAD_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${LOAD_PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
	LOAD_PIDS=()
}
trap 'stop_load; jd_cleanup; kill $REDIS_PID 2>/dev/null || true' EXIT
sup_redis

jd_instance "$JD_TMP/i" --load supervision
jd_set redis url "unix://$rdir/redis.sock"
jd_start
cases_org

# fifty problems, ';'-separated
P50=$(for i in $(seq 1 50); do printf '问题%d;' "$i"; done)
letter() { # letter SUPERVISED [extra flags]: the letter's JSON
	local who=$1
	shift
	jd_ctl supervision letters add --tenant $T --kind prompt --unit ag1 --supervised "$who" \
		--problems "$P50" --rectifier ag3 --rectify_by 2026-12-31 --reply_due 2026-12-31 \
		--date 2026-03-01 --json "$@"
}
# items of letter N in the store (the records themselves, not an index)
items_of() { R --scan --pattern "jd:{$T}:item:$1-*" | wc -l; }
issued() {
	jd_ctl supervision stats --tenant $T --from 2026-01-01 --to 2026-12-31 --json |
		py "next(f['value'] for f in j['figures'] if f['figure']=='items_issued')"
}

# --- counts: one letter of 50 problems
l1=$(letter 县教育局 | jd_json .id)
equals "the first letter" "$l1" 2026-P0001
equals "50 item records" "$(items_of "$l1")" 50
equals "the letter counts 50" "$(R HGET "jd:{$T}:letter:$l1" items)" 50
equals "each at version 1" "$(for i in $(seq 1 50); do R HGET "jd:{$T}:item:$l1-$i" _v; done | sort -u)" 1
equals "each issued" "$(for i in $(seq 1 50); do R HGET "jd:{$T}:item:$l1-$i" state; done | sort -u)" issued
equals "the 50th: its problem" "$(R HGET "jd:{$T}:item:$l1-50" title)" 问题50
equals "each in the rectifier's index" "$(R ZCOUNT "jd:{$T}:items:u:ag3" -inf +inf)" 50
equals "each open (overdue-now index)" "$(R ZCOUNT "jd:{$T}:items:open" -inf +inf)" 50
equals "each with its deadline" "$(R ZRANGE "jd:{$T}:deadlines" 0 -1 | grep -c "^item:$l1-.*#rectify$")" 50
equals "counted: 50 issued" "$(issued)" 50
equals "one audit entry for the letter and its items" \
	"$(R XRANGE "jd:{$T}:audit" - + | grep -c '^supervision\.letter\.create')" 1
equals "no item written on its own" "$(R XRANGE "jd:{$T}:audit" - + | grep -c '^supervision\.item\.create')" 0
out=$(fails jd_ctl supervision letters add --tenant $T --kind prompt --unit ag1 --supervised x \
	--problems "$P50;问题51" --rectifier ag3 --reply_due 2026-12-31 --date 2026-03-01)
contains "at most 50 problems" "$out" "at most 50 problems"

# --- a failure at the 40th item: all or nothing
R SET "jd:{$T}:item:2026-P0002-40" "in the way" >/dev/null
out=$(fails letter 县卫健局)
contains "the letter fails" "$out" "500"
equals "no letter 2026-P0002" "$(R EXISTS "jd:{$T}:letter:2026-P0002")" 0
equals "none of its items (only the key in the way)" "$(items_of 2026-P0002)" 1
equals "its number not used" "$(R HGET "jd:{$T}:letters:seq" prompt:2026)" 1
equals "nothing counted" "$(issued)" 50
equals "no index moved" "$(R ZCOUNT "jd:{$T}:items:all" -inf +inf)" 50
R DEL "jd:{$T}:item:2026-P0002-40" >/dev/null
l2=$(letter 县卫健局 | jd_json .id)
equals "the key out of the way: the same number" "$l2" 2026-P0002
equals "with its 50 items" "$(items_of "$l2")" 50

# --- kill -9 under load: four clients sending letters of 50 problems
# each client ends its request in flight when stopped: none lands on the next process
client() {
	local cp=
	trap 'kill $cp 2>/dev/null; exit 0' TERM
	while :; do
		"$JIANDUCTL" -c "$JD_DIR/jianductl.conf" supervision letters add --tenant $T \
			--kind prompt --unit ag1 --supervised "load$1" --problems "$P50" --rectifier ag3 \
			--rectify_by 2026-12-31 --reply_due 2026-12-31 --date 2026-03-01 >/dev/null 2>&1 &
		cp=$!
		wait "$cp" || true
	done
}
for c in 1 2 3 4; do
	client "$c" &
	LOAD_PIDS+=($!)
done
letters() { R ZCOUNT "jd:{$T}:letters:all" -inf +inf; }
some_written() { [ "$(letters)" -ge 7 ]; }
check "letters written under load" jd_wait_for 600 some_written
# then kill the moment the next letter appears: were its items written after
# it, one by one, they would be in flight now
n=$(letters)
for i in $(seq 1 3000); do [ "$(letters)" -gt "$n" ] && break; done
kill -KILL "$JD_PID"
wait "$JD_PID" 2>/dev/null || true
JD_PID=
stop_load
jd_start
short=0
n=0
for l in $(R ZRANGE "jd:{$T}:letters:all" 0 -1); do
	n=$((n + 1))
	want=$(R HGET "jd:{$T}:letter:$l" items)
	got=$(items_of "$l")
	if [ "$want" != 50 ] || [ "$got" != "$want" ]; then
		short=$((short + 1))
		echo "# letter $l: $got items of $want" >&2
	fi
done
check "letters after the kill" [ "$n" -ge 8 ]
equals "no letter short of items after kill -9 ($n letters)" "$short" 0
equals "every item counted once" "$(issued)" $((n * 50))
rc=$(jd_ctl supervision recount --tenant $T --json)
equals "recount: no drift" "$(jd_json .drift <<<"$rc")" 0

# --- a talk (约谈) that found problems: the talk and its items, one step
out=$(fails jd_ctl supervision talks add --tenant $T --unit ag1 --supervised 县教育局 --persons 2 \
	--reason 履职不力 --problems "台账缺失;整改拖延" --rectifier ag3 --date 2026-03-02)
contains "talk problems need their deadline" "$out" "field 'rectify_by'"
out=$(fails jd_ctl supervision talks add --tenant $T --unit ag1 --supervised 县教育局 --persons 2 \
	--reason 履职不力 --problems "台账缺失;整改拖延" --rectifier ag1 --rectify_by 2026-12-31 --date 2026-03-02)
contains "not rectified by the unit that held it" "$out" "field 'rectifier'"
add=$(jd_ctl supervision talks add --tenant $T --unit ag1 --supervised 县教育局 --persons 2 --leaders 1 \
	--reason 履职不力 --content 谈话 --problems "台账缺失;整改拖延" --rectifier ag3 \
	--rectify_by 2026-12-31 --date 2026-03-02 --json)
talk=$(jd_json .id <<<"$add")
equals "the talk's items" "$(py 'j["items"]' <<<"$add")" "['$talk-1', '$talk-2']"
equals "two item records" "$(items_of "$talk")" 2
show=$(jd_ctl supervision items show --tenant $T --id "$talk-2" --json)
equals "source: the talk" "$(jd_json .source <<<"$show")" "talk:$talk"
equals "source kind talk" "$(jd_json .source_kind <<<"$show")" talk
equals "its problem" "$(jd_json .title <<<"$show")" 整改拖延
equals "the talk counts them" "$(jd_ctl supervision talks show --tenant $T --id "$talk" --json | jd_json .items)" 2
rc=$(jd_ctl supervision recount --tenant $T --json)
equals "recount after the talk: no drift" "$(jd_json .drift <<<"$rc")" 0

jd_stop
equals "clean stop" "$JD_EXIT" 0
jd_no_sanitizer_report
jd_finish
