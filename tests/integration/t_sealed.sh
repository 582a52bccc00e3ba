#!/usr/bin/env bash
# Sealed fields through the example plugin: the note's text is sealed under
# the tenant's key (kept in Redis only wrapped), opens for callers allowed to
# read it, appears nowhere in Redis, its append-only files or the log; a blind
# index finds notes by title; a sealed value moved to another record does not
# open; after a restart the key comes back from Redis.
source "$(dirname "$0")/lib.sh"

jd_instance "$JD_TMP/i" --load example
jd_set server log_level debug
jd_start
sock=$JD_DIR/data/redis.sock

marker="MARKER-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
add=$(jd_ctl example notes add --tenant t1 --title "Hello" --text "$marker" --unit u1 --json)
id=$(jd_json .id <<<"$add")
check "a note with a sealed text is created" test -n "$id"
add2=$(jd_ctl example notes add --tenant t1 --title "other" --text "second note" --json)
id2=$(jd_json .id <<<"$add2")

# (a) the admin reads the plaintext
show=$(jd_ctl example notes show --id "$id" --tenant t1 --json)
equals "show opens the text for admin" "$(jd_json .text <<<"$show")" "$marker"
equals "show keeps the title" "$(jd_json .title <<<"$show")" "Hello"

# staff hold example.read too
jd_ctl users add --id sam --roles staff --tenants t1 --units u1 >/dev/null # sees unit u1 (t_scope.sh)
tok=$(jd_ctl tokens create --user sam --ttl 1d --json | jd_json .token)
body=$(curl -s --cacert "$JD_DIR/tls/ca.crt" -H "Authorization: Bearer $tok" \
	"$(jd_api_url "/v1/example/notes/$id?tenant=t1")")
equals "show opens the text for staff" "$(jd_json .text <<<"$body")" "$marker"

# (f) what Redis holds is sealed, self-describing
stored=$(redis-cli -s "$sock" hget "jd:{t1}:note:$id" text)
contains "the stored text is sealed (s1.)" "${stored:0:3}" "s1."
wrapped=$(redis-cli -s "$sock" hget "jd:{t1}:keys:tenant" wrapped)
contains "the tenant key is stored wrapped under master 1" "${wrapped:0:6}" "w1.m1."

# (b) the marker is nowhere in Redis: every key, every value
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
all=$(dump_all)
contains "the scan saw the note" "$all" "note:$id"
if grep -aq "$marker" <<<"$all"; then not_ok "the marker is nowhere in Redis"; else ok "the marker is nowhere in Redis"; fi
if grep -aqi "hello" <<<"$(redis-cli -s "$sock" --scan)"; then
	not_ok "no key name holds the title"
else
	ok "no key name holds the title"
fi

# (c) nor in the append-only files
if [ -d "$JD_DIR/data/appendonlydir" ]; then aof=$JD_DIR/data/appendonlydir; else aof=$JD_DIR/data; fi
if grep -r -a -q "$marker" "$aof"; then not_ok "the marker is not in the append-only files"; else ok "the marker is not in the append-only files"; fi
check "the append-only files hold the sealed value" grep -r -a -q "${stored:0:40}" "$aof"

# (e) the blind index finds notes by title, whatever the case or width
find1=$(jd_ctl example notes find --tenant t1 --title "hello" --json)
contains "find by title (lower case)" "$find1" "$id"
find2=$(jd_ctl example notes find --tenant t1 --title "Ｈello" --json)
contains "find by title (full-width)" "$find2" "$id"
find3=$(jd_ctl example notes find --tenant t1 --title "  HELLO " --json)
contains "find by title (spaces, upper case)" "$find3" "$id"
find4=$(jd_ctl example notes find --tenant t1 --title "nothing" --json)
equals "find of an unknown title is empty" "$(jd_json .notes <<<"$find4")" "[]"
if [[ "$find1" == *"$id2"* ]]; then not_ok "find returns only the matching notes"; else ok "find returns only the matching notes"; fi

# editing the title moves the note between index entries; the new text is sealed
edit=$(jd_ctl example notes edit --id "$id2" --tenant t1 --version 1 --title "renamed" --text "changed $marker" --json)
equals "edit applies" "$(jd_json .version <<<"$edit")" 2
contains "find by the new title" "$(jd_ctl example notes find --tenant t1 --title RENAMED --json)" "$id2"
equals "the old title finds nothing" "$(jd_json .notes <<<"$(jd_ctl example notes find --tenant t1 --title other --json)")" "[]"
equals "the edited text opens" "$(jd_json .text <<<"$(jd_ctl example notes show --id "$id2" --tenant t1 --json)")" "changed $marker"
contains "the edited text is sealed" "$(redis-cli -s "$sock" hget "jd:{t1}:note:$id2" text | head -c 3)" "s1."

# (f) a sealed value moved to another record does not open
redis-cli -s "$sock" hset "jd:{t1}:note:$id2" text "$stored" >/dev/null
code=$(jd_api_curl -o "$JD_TMP/body" -w '%{http_code}' "$(jd_api_url "/v1/example/notes/$id2?tenant=t1")")
equals "a moved sealed value answers 500" "$code" 500
contains "the error is unreadable_field" "$(cat "$JD_TMP/body")" '"unreadable_field"'
contains "the error names the field" "$(cat "$JD_TMP/body")" "'text'"
if grep -q "$marker" "$JD_TMP/body"; then not_ok "the error holds no value"; else ok "the error holds no value"; fi
check "the failed open is logged" jd_wait_for 20 grep -q "outcome=unreadable.*record_id=$id2 field=text" "$JD_DIR/jiandud.log"
check "the open is logged at notice with request and principal" \
	grep -q "level=notice msg=\"sealed field read\" outcome=opened req=[^ ]* plugin=example principal=[^ ]*" "$JD_DIR/jiandud.log"

# (g) after a restart the key comes back from Redis (wrapped) and the note opens
jd_stop
equals "jiandud exits cleanly" "$JD_EXIT" 0
jd_start
show=$(jd_ctl example notes show --id "$id" --tenant t1 --json)
equals "after a restart the text still opens" "$(jd_json .text <<<"$show")" "$marker"
equals "the wrapped key was not replaced" "$(redis-cli -s "$sock" hget "jd:{t1}:keys:tenant" wrapped)" "$wrapped"

# (d) nor in jiandud's log (at debug level)
if grep -aq "$marker" "$JD_DIR/jiandud.log"; then not_ok "the marker is not in the log"; else ok "the marker is not in the log"; fi

jd_finish
