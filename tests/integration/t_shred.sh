#!/usr/bin/env bash
# Crypto-shredding through the example plugin: a note's source is sealed
# under the note's own record key (stored wrapped in the note, field rkey).
# Purging the note deletes the wrapped key: a copy of the sealed source
# restored without it ("a backup after the purge") does not open, never
# shows the plaintext; restored together with its wrapped key ("a backup
# taken before the purge") it opens again.  A record key opens only its own
# note's values.
source "$(dirname "$0")/lib.sh"

jd_instance "$JD_TMP/i" --load example
jd_set server log_level debug
jd_start
sock=$JD_DIR/data/redis.sock

marker="SOURCE-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
add=$(jd_ctl example notes add --tenant t1 --title "tip" --text "text $marker" --source "$marker" --json)
id=$(jd_json .id <<<"$add")
check "a note with a source is created" test -n "$id"
add2=$(jd_ctl example notes add --tenant t1 --title "other" --source "other source" --json)
id2=$(jd_json .id <<<"$add2")
check "a second note is created" test -n "$id2"
key="jd:{t1}:note:$id"
key2="jd:{t1}:note:$id2"

# what Redis holds: the source sealed under the record key, the key wrapped under the tenant's
src_sealed=$(redis-cli -s "$sock" hget "$key" source)
rkey=$(redis-cli -s "$sock" hget "$key" rkey)
contains "the source is sealed under the record key (s1.r.)" "${src_sealed:0:5}" "s1.r."
contains "the record key is wrapped under the tenant's wrap key (w1.t.)" "${rkey:0:5}" "w1.t."
if redis-cli -s "$sock" hgetall "$key" | grep -aq "$marker"; then
	not_ok "the source is not in Redis in clear"
else
	ok "the source is not in Redis in clear"
fi

# show opens the source for a caller holding example.read; the wrapped key is not shown
show=$(jd_ctl example notes show --id "$id" --tenant t1 --json)
equals "show opens the source" "$(jd_json .source <<<"$show")" "$marker"
equals "show opens the text" "$(jd_json .text <<<"$show")" "text $marker"
if [[ "$show" == *'"rkey"'* ]]; then not_ok "show hides the wrapped record key"; else ok "show hides the wrapped record key"; fi
check "the open under the record key is logged" jd_wait_for 20 \
	grep -q "outcome=opened.*record_id=$id field=source" "$JD_DIR/jiandud.log"

# a record key opens only its own note: swap the wrapped keys of the two notes
rkey2=$(redis-cli -s "$sock" hget "$key2" rkey)
redis-cli -s "$sock" hset "$key2" rkey "$rkey" >/dev/null
show2=$(jd_ctl example notes show --id "$id2" --tenant t1 --json)
equals "another note's record key does not open the source" "$(jd_json .source_unreadable <<<"$show2")" true
if [[ "$show2" == *"other source"* ]]; then not_ok "no plaintext under a wrong key"; else ok "no plaintext under a wrong key"; fi
# the right key, but the value moved from another note: the associated data refuses it
redis-cli -s "$sock" hset "$key2" rkey "$rkey2" source "$src_sealed" >/dev/null
show2=$(jd_ctl example notes show --id "$id2" --tenant t1 --json)
equals "a source moved to another note does not open" "$(jd_json .source_unreadable <<<"$show2")" true
if [[ "$show2" == *"$marker"* ]]; then not_ok "no plaintext of a moved source"; else ok "no plaintext of a moved source"; fi
check "the unreadable source is logged" jd_wait_for 20 \
	grep -q "outcome=unreadable.*record_id=$id2 field=source" "$JD_DIR/jiandud.log"

# purge
purge=$(jd_ctl example notes purge --id "$id" --tenant t1 --json)
equals "purge answers purged" "$(jd_json .purged <<<"$purge")" true
equals "the record key is gone from Redis" "$(redis-cli -s "$sock" hexists "$key" rkey)" 0
equals "the source is gone from Redis" "$(redis-cli -s "$sock" hexists "$key" source)" 0
equals "the text is gone from Redis" "$(redis-cli -s "$sock" hexists "$key" text)" 0
show=$(jd_ctl example notes show --id "$id" --tenant t1 --json)
if [[ "$show" == *'"source"'* ]]; then not_ok "show no longer returns the source"; else ok "show no longer returns the source"; fi
check "the note is marked purged" test -n "$(jd_json .purged_at <<<"$show")"
if [[ "$show" == *"$marker"* ]]; then not_ok "nothing of the purged note opens"; else ok "nothing of the purged note opens"; fi
code=$(jd_api_curl -o "$JD_TMP/body" -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
	-d '{"tenant":"t1"}' "$(jd_api_url "/v1/example/notes/0123456789abcdef0123456789abcdef/purge")")
equals "purging an unknown note answers 404" "$code" 404
equals "a purge did not create the unknown note" \
	"$(redis-cli -s "$sock" exists "jd:{t1}:note:0123456789abcdef0123456789abcdef")" 0

# a restore of the sealed value without its record key: unreadable, never the plaintext
redis-cli -s "$sock" hset "$key" source "$src_sealed" >/dev/null
show=$(jd_ctl example notes show --id "$id" --tenant t1 --json)
equals "a restored source without its record key is unreadable" "$(jd_json .source_unreadable <<<"$show")" true
if [[ "$show" == *"$marker"* ]]; then not_ok "the restored source does not open"; else ok "the restored source does not open"; fi
# under a fresh record key of the same note it does not open either
redis-cli -s "$sock" hset "$key" rkey "$rkey2" >/dev/null
show=$(jd_ctl example notes show --id "$id" --tenant t1 --json)
equals "nor under another record key" "$(jd_json .source_unreadable <<<"$show")" true

# a backup that still has the wrapped record key (taken before the purge) opens again
redis-cli -s "$sock" hset "$key" rkey "$rkey" source "$src_sealed" >/dev/null
show=$(jd_ctl example notes show --id "$id" --tenant t1 --json)
equals "restored with its record key, the source opens again" "$(jd_json .source <<<"$show")" "$marker"

# the plaintext never reached the log
if grep -aq "$marker" "$JD_DIR/jiandud.log"; then not_ok "the source is not in the log"; else ok "the source is not in the log"; fi

jd_finish
