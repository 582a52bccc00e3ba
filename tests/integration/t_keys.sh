#!/usr/bin/env bash
# Master key rotation: keys status counts the tenant keys each master version
# wraps; keys rotate adds a version that new tenant keys use at once (after
# the daemon's reload); keys rewrap moves the old tenant keys to it in the
# background while every sealed field keeps opening (fields are sealed under
# the tenant key, which does not change); the old version can then be removed
# and min_key_version raised; a keyring with a bad mode refuses the reload and
# the daemon keeps serving.
source "$(dirname "$0")/lib.sh"

jd_instance "$JD_TMP/i" --load example
jd_start
sock=$JD_DIR/data/redis.sock

note() { jd_json .id <<<"$(jd_ctl example notes add --tenant "$1" --title "$2" --text "$3" --json)"; }
text_of() { jd_json .text <<<"$(jd_ctl example notes show --id "$2" --tenant "$1" --json)"; }
status() { jd_ctl keys status --json; }

n1=$(note t1 one "secret one")
n2=$(note t2 two "secret two")
check "notes in two tenants" test -n "$n1" -a -n "$n2"
check "the tenant index holds both" jd_wait_for 20 test "$(redis-cli -s "$sock" zcard "jd:{_sys}:keys:tenants")" = 2

st=$(status)
equals "status: active version 1" "$(jd_json .active <<<"$st")" 1
equals "status: version 1 wraps 2 tenant keys" "$(jd_json .versions.0.tenant_keys <<<"$st")" 2
equals "status: version 1 is not retirable" "$(jd_json .versions.0.retirable <<<"$st")" false

# rotate: master.2, active, reloaded
rot=$(jd_ctl keys rotate --json)
equals "rotate adds version 2" "$(jd_json .version <<<"$rot")" 2
equals "rotate reloads the daemon" "$(jd_json .reloaded <<<"$rot")" true
check "the keyring stays 0600" test "$(stat -c %a "$JD_DIR/keyring")" = 600
check "the keyring has master.2 active" grep -q "^active = 2$" "$JD_DIR/keyring"
check "no temporary file is left" test -z "$(find "$JD_DIR" -maxdepth 1 -name '.keyring*')"
n3=$(note t3 three "secret three")
wrapped3=$(redis-cli -s "$sock" hget "jd:{t3}:keys:tenant" wrapped)
equals "a new tenant key is wrapped under master 2" "${wrapped3:0:6}" "w1.m2."
equals "t1's note still opens" "$(text_of t1 "$n1")" "secret one"
equals "t2's note still opens" "$(text_of t2 "$n2")" "secret two"
st=$(status)
equals "status: active version 2" "$(jd_json .active <<<"$st")" 2
equals "status: version 1 still wraps 2" "$(jd_json .versions.0.tenant_keys <<<"$st")" 2
equals "status: version 2 wraps 1" "$(jd_json .versions.1.tenant_keys <<<"$st")" 1

# rewrap in the background, then poll
rw=$(jd_ctl keys rewrap --json)
equals "rewrap starts" "$(jd_json .started <<<"$rw")" true
finished() { [ "$(jd_json .rewrap.finished <<<"$(status)")" != 0 ]; }
check "the rewrap job finishes" jd_wait_for 20 finished
st=$(status)
equals "status: version 1 wraps nothing" "$(jd_json .versions.0.tenant_keys <<<"$st")" 0
equals "status: version 1 is retirable" "$(jd_json .versions.0.retirable <<<"$st")" true
equals "status: version 2 wraps 3" "$(jd_json .versions.1.tenant_keys <<<"$st")" 3
equals "status: the job rewrapped 2" "$(jd_json .rewrap.done <<<"$st")" 2
equals "status: the job failed none" "$(jd_json .rewrap.failed <<<"$st")" 0
w1=$(redis-cli -s "$sock" hget "jd:{t1}:keys:tenant" wrapped)
equals "t1's key is now wrapped under master 2" "${w1:0:6}" "w1.m2."
equals "master_version follows" "$(redis-cli -s "$sock" hget "jd:{t1}:keys:tenant" master_version)" 2
equals "t1's note opens after rewrap" "$(text_of t1 "$n1")" "secret one"
equals "t2's note opens after rewrap" "$(text_of t2 "$n2")" "secret two"
equals "t3's note opens" "$(text_of t3 "$n3")" "secret three"
# a job cut short (as by a crash) resumes at its saved cursor
redis-cli -s "$sock" hset "jd:{_sys}:keys:rewrap" cursor 1 done 7 finished 0 target 2 >/dev/null
rw=$(jd_ctl keys rewrap --json)
equals "an unfinished job resumes" "$(jd_json .resumed <<<"$rw")" true
equals "it resumes at the saved cursor" "$(jd_json .progress.cursor <<<"$rw")" 1
check "the resumed job finishes" jd_wait_for 20 finished
st=$(status)
equals "the resumed job keeps its count" "$(jd_json .rewrap.done <<<"$st")" 7
equals "and went through the rest" "$(jd_json .rewrap.cursor <<<"$st")" 3
one=$(jd_ctl keys rewrap --tenant t1 --json)
equals "rewrap --tenant of a current key changes nothing" "$(jd_json .rewrapped <<<"$one")" false

# retire master.1: remove it, raise min_key_version, restart
jd_stop
python3 - "$JD_DIR/keyring" <<'PY'
import sys
p = sys.argv[1]
lines = [l for l in open(p).read().splitlines(True) if not l.startswith("master.1 ")]
open(p, "w").write("".join(lines))
PY
jd_set security min_key_version 2
jd_start
equals "after retiring master 1: t1 opens" "$(text_of t1 "$n1")" "secret one"
equals "after retiring master 1: t2 opens" "$(text_of t2 "$n2")" "secret two"
equals "after retiring master 1: t3 opens" "$(text_of t3 "$n3")" "secret three"
st=$(status)
equals "status: min_key_version 2" "$(jd_json .min_key_version <<<"$st")" 2
equals "status: only version 2 is left" "$(jd_json .versions.0.version <<<"$st")" 2

# a group-readable keyring: rotate writes master.3, the reload is refused
chmod 640 "$JD_DIR/keyring"
if out=$(jd_ctl keys rotate 2>&1); then not_ok "rotate fails when the reload is refused"; else ok "rotate fails when the reload is refused"; fi
contains "the reason names the mode" "$out" "group or others"
check "the refusal is logged" jd_wait_for 20 grep -q "reload refused: the keyring.*group or others" "$JD_DIR/jiandud.log"
equals "the daemon keeps serving" "$(text_of t1 "$n1")" "secret one"
equals "the old keyring stays in force" "$(jd_json .active <<<"$(status)")" 2
chmod 600 "$JD_DIR/keyring"
jd_ctl reload >/dev/null
equals "after chmod 600 and reload: active 3" "$(jd_json .active <<<"$(status)")" 3
n4=$(note t4 four "secret four")
w4=$(redis-cli -s "$sock" hget "jd:{t4}:keys:tenant" wrapped)
equals "a new tenant key is wrapped under master 3" "${w4:0:6}" "w1.m3."
equals "t1 still opens" "$(text_of t1 "$n1")" "secret one"

jd_stop
equals "jiandud exits cleanly" "$JD_EXIT" 0
jd_finish
