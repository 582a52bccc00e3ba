#!/usr/bin/env bash
# jianductl backup and restore.  A backup taken while the cases plugin is
# being written to restores into another instance whose counters agree with
# its records (recount: no drift), whose every audit trail verifies, and
# which holds every lead acknowledged before the backup began; a backup of
# the quiet instance restores to the same figures.  A damaged backup, a
# missing keyring and a non-fresh or running target are refused.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/cases_lib.sh"

Y=$(date +%Y)
TODAY=$(date +%F)
stats() { jd_ctl cases stats --tenant $T --from "$Y-01-01" --to "$TODAY" --json; }
recount() { jd_ctl cases recount --tenant $T --json; }
# verify_all OUT: every tenant restore named verifies; VERIFIED: how many
verify_all() {
	local t v
	VERIFIED=0
	for t in $(grep -o 'audit verify --tenant [^ ]*' "$1" | awk '{print $4}'); do
		v=$(jd_ctl audit verify --tenant "$t" --json)
		equals "audit verify $t after the restore" \
			"$(jd_json .ok <<<"$v")/$(jd_json .held <<<"$v")" "true/false"
		VERIFIED=$((VERIFIED + 1))
	done
}

jd_instance "$JD_TMP/inst_a" --load cases
A=$JD_DIR
jd_start
cases_org

# The write load: a lead a request until told to stop (count of 201s kept),
# and the randomized cases run beside it.
: >"$JD_TMP/acked"
(
	while [ ! -e "$JD_TMP/stop" ]; do
		[ "$(bearer "$S1" POST /v1/cases/leads "{\"tenant\":\"$T\",\"unit\":\"ag1\",\"source\":\"audit\",\"subject_name\":\"某乙\",\"allegation\":\"违规\"}")" = 201 ] &&
			echo >>"$JD_TMP/acked"
	done
) &
LOAD=$!
python3 "$(dirname "$0")/cases_random.py" "$A" "$JD_API_PORT" $T 1500 2 17 >"$JD_TMP/random.out" &
RANDOM_LOAD=$!
acked() { wc -l <"$JD_TMP/acked"; }
writing() { [ "$(acked)" -ge 20 ]; }
check "the load is writing" jd_wait_for 300 writing

before=$(acked)
jd_ctl backup "$JD_TMP/bk" --with-keys >"$JD_TMP/backup.out" 2>"$JD_TMP/backup.err"
equals "backup under load: exit 0" "$?" 0
after=$(acked)
check "the load went on during the backup ($before, then $after leads)" kill -0 $LOAD
contains "--with-keys warns" "$(cat "$JD_TMP/backup.err")" "warning: --with-keys"
check "the manifest's checksums hold (sha256sum -c)" bash -c "cd '$JD_TMP/bk' && sha256sum --quiet -c SHA256SUMS"
check "the backup has the snapshot" test -s "$JD_TMP/bk/redis.rdb"
check "the backup has the keyring" test -s "$JD_TMP/bk/keys/keyring"
check "the backup has the configuration" test -s "$JD_TMP/bk/config/jiandud.conf"
equals "the backup is private" "$(stat -c %a "$JD_TMP/bk" "$JD_TMP/bk/redis.rdb" | paste -sd/)" "700/600"

touch "$JD_TMP/stop"
wait $LOAD || true
wait $RANDOM_LOAD
equals "the randomized run: no 5xx" "$?" 0
total=$(recount)
equals "instance a: no drift" "$(jd_json .drift <<<"$total")" 0
stats_a=$(stats)

# A quiet backup, without keys.
jd_ctl backup "$JD_TMP/bk2" >"$JD_TMP/backup2.out"
contains "without keys: where the keyring is" "$(cat "$JD_TMP/backup2.out")" "the keyring is not in it"
check "without keys: none in it" test ! -e "$JD_TMP/bk2/keys"
out=$(fails jd_ctl backup "$JD_TMP/bk2")
contains "a backup never writes into a used directory" "$out" "not an empty directory"
jd_stop

# --- the backup under load, into a fresh instance b
jd_instance "$JD_TMP/inst_b" --load cases
jd_ctl restore "$JD_TMP/bk" >"$JD_TMP/restore.out"
equals "restore: exit 0" "$?" 0
contains "restore names the tenants to verify" "$(cat "$JD_TMP/restore.out")" "audit verify --tenant $T"
jd_start
verify_all "$JD_TMP/restore.out"
check "every tenant verified ($VERIFIED)" test "$VERIFIED" -ge 3
rec=$(recount)
equals "restored under load: recount finds no drift" "$(jd_json .drift <<<"$rec")" 0
leads=$(jd_json .leads <<<"$rec")
check "every lead acknowledged before the backup is there ($before <= $leads)" test "$leads" -ge "$before"
check "nothing after the whole load ($leads <= $(jd_json .leads <<<"$total"))" \
	test "$leads" -le "$(jd_json .leads <<<"$total")"
check "the figures agree with the records" test -n "$(stats)"
out=$(fails jd_ctl restore "$JD_TMP/bk")
contains "a running instance is refused" "$out" "stop jiandud first"
jd_stop
out=$(fails jd_ctl restore "$JD_TMP/bk")
contains "a non-fresh instance is refused" "$out" "not a fresh instance"
jd_ctl restore "$JD_TMP/bk" --force >/dev/null 2>"$JD_TMP/force.err"
equals "--force restores" "$?" 0
contains "--force keeps the former data aside" "$(cat "$JD_TMP/force.err")" "pre-restore-"

# --- the quiet backup into c: the same figures and records
jd_instance "$JD_TMP/inst_c" --load cases
out=$(fails jd_ctl restore "$JD_TMP/bk2")
contains "no keyring: refused" "$out" "holds no keyring"
cp -r "$JD_TMP/bk2" "$JD_TMP/bk2-damaged"
printf 'x' | dd of="$JD_TMP/bk2-damaged/redis.rdb" bs=1 seek=100 conv=notrunc 2>/dev/null
out=$(fails jd_ctl restore "$JD_TMP/bk2-damaged" --keyring "$A/keyring")
contains "a damaged backup is refused" "$out" "redis.rdb does not match the manifest"
jd_ctl restore "$JD_TMP/bk2" --keyring "$A/keyring" >"$JD_TMP/restore2.out"
equals "restore with --keyring: exit 0" "$?" 0
jd_start
verify_all "$JD_TMP/restore2.out"
equals "the quiet backup: the same figures" "$(stats)" "$stats_a"
rec=$(recount)
equals "the quiet backup: the same leads" "$(jd_json .leads <<<"$rec")" "$(jd_json .leads <<<"$total")"
equals "the quiet backup: the same cases" "$(jd_json .cases <<<"$rec")" "$(jd_json .cases <<<"$total")"
equals "the quiet backup: no drift" "$(jd_json .drift <<<"$rec")" 0
jd_stop

jd_finish
