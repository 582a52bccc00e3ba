#!/usr/bin/env bash
# The fault suite: under a bounded write load through the api (tests/faults/load.py,
# POST /v1/example/notes, 127.0.0.1 only), each fault in turn; for each, the writes
# acknowledged (201), those found afterwards (read back by id), the requests answered
# 503 / 500 / not at all, the time from the fault's end to /readyz ready again, and
# `audit verify`'s verdict.  It fails on an acknowledged write missing, any 500, or
# audit damage that verify does not name (or damage where the fault made none); it
# never asserts on time.
#
#   JD_BUILD_DIR=build tests/faults/run.sh           # make faults: the full run
#   FAULT_WRITES=300 FAULT_SECONDS=20 ... run.sh      # shortened (t_faults in make test)
#
# FAULT_RATE paces the load (requests a second, FAULT_WORKERS connections); each fault
# strikes after FAULT_WARM writes were acknowledged, and the load stops once FAULT_WARM
# more went through after the recovery; FAULT_WRITES and FAULT_SECONDS bound each
# fault's load (requests and seconds) whatever happens; FAULT_TABLE names a file to get the table too.
source "$(dirname "$0")/../integration/lib.sh"

FAULT_RATE=${FAULT_RATE:-200}
FAULT_WARM=${FAULT_WARM:-1000}
FAULT_WRITES=${FAULT_WRITES:-20000}
FAULT_SECONDS=${FAULT_SECONDS:-120}
FAULT_WORKERS=${FAULT_WORKERS:-4}
LOAD=$JD_SOURCE_DIR/tests/faults/load.py
TENANT=t1
ROWS=()
NOTES=()

# --- the instance: its data_dir (the managed Redis's append-only files, the
# audit files) on a small filesystem of its own, so the disk can be filled
DATA_FS=none
DATA_FS_WHY=
fs_cleanup() {
	if [ -n "$JD_PID" ] && kill -0 "$JD_PID" 2>/dev/null; then
		kill -TERM "$JD_PID" 2>/dev/null || true
		jd_wait_for 100 jd_exited "$JD_PID" || kill -KILL "$JD_PID" 2>/dev/null || true
	fi
	JD_PID=
	if [ "$DATA_FS" != none ]; then
		# the managed Redis leaves with jiandud (SIGTERM at its death): wait for it to let go
		jd_wait_for 100 umount "$JD_DIR/data" || umount -l "$JD_DIR/data" || true
		[ -n "${LOOPDEV:-}" ] && losetup -d "$LOOPDEV" 2>/dev/null || true
	fi
	jd_cleanup
}
trap fs_cleanup EXIT

jd_instance "$JD_TMP/i" --load example
# DEBUG SLEEP needs enable-debug-command: the managed server, through a wrapper
cat >"$JD_TMP/redis-server" <<EOF
#!/bin/sh
exec redis-server "\$@" --enable-debug-command local
EOF
chmod 700 "$JD_TMP/redis-server"
jd_set redis server "$JD_TMP/redis-server"

# mount_data KIND: mounts a 64 MB filesystem of KIND (tmpfs|loop) over data_dir, its files copied in
mount_data() {
	local d=$JD_DIR/data saved=$JD_TMP/data.saved
	rm -rf "$saved" && cp -a "$d" "$saved" || return 1
	case $1 in
	tmpfs) mount -t tmpfs -o size=64m,mode=0700 tmpfs "$d" 2>"$JD_TMP/mount.err" || return 1 ;;
	loop)
		truncate -s 64M "$JD_TMP/data.img" && mkfs.ext4 -q "$JD_TMP/data.img" 2>"$JD_TMP/mount.err" &&
			LOOPDEV=$(losetup -f --show "$JD_TMP/data.img" 2>>"$JD_TMP/mount.err") &&
			mount "$LOOPDEV" "$d" 2>>"$JD_TMP/mount.err" || return 1
		;;
	esac
	cp -a "$saved/." "$d/" && chmod 700 "$d" && rm -rf "$saved"
}
if mount_data tmpfs; then
	DATA_FS="tmpfs size=64m"
elif mount_data loop; then
	DATA_FS="ext4 image 64M (loop)"
else
	DATA_FS_WHY="neither a tmpfs nor a loop-mounted image can be mounted here: $(tr '\n' ' ' <"$JD_TMP/mount.err")"
	rm -rf "$JD_TMP/data.saved"
fi
jd_start
sock=$JD_DIR/data/redis.sock
rc() { redis-cli -s "$sock" "$@"; }
redis_pid() { rc info server 2>/dev/null | tr -d '\r' | awk -F: '/^process_id/{print $2}'; }
readyz() { curl -s --cacert "$JD_DIR/tls/ca.crt" -o /dev/null -w '%{http_code}' "$(jd_api_url /readyz)"; }
ready() { [ "$(readyz)" = 200 ]; }
check "ready at the start" jd_wait_for 300 ready

# --- the load
now() { date +%s.%N; }
# status FIELD: a figure of the running load (from its progress file)
status() {
	python3 -c 'import json,sys
try: s=json.load(open(sys.argv[1]))
except Exception: s={"acked":[],"codes":{},"done":False}
f=sys.argv[2]
print(len(s["acked"]) if f=="acked" else sum(v for k,v in s["codes"].items() if k!="201") if f=="refused" else str(s["done"]).lower())' \
		"$OUT" "$1"
}
load_start() {
	FAULT=$1
	OUT=$JD_TMP/load-$FAULT.json
	STOP=$JD_TMP/stop-$FAULT
	python3 "$LOAD" write "$JD_DIR" "$JD_API_PORT" "$TENANT" "$FAULT" "$OUT" "$STOP" \
		"$FAULT_WRITES" "$FAULT_SECONDS" "$FAULT_WORKERS" "$FAULT_RATE" &
	LOAD_PID=$!
	# the fault strikes a load under way
	acked_at_least() { [ "$(status acked)" -ge "$1" ] || [ "$(status done)" = true ]; }
	jd_wait_for 1200 acked_at_least "$FAULT_WARM" || true
}
refused_more_than() { [ "$(status refused)" -gt "$1" ] || [ "$(status done)" = true ]; }
# struck / ended: the fault's start and end (its end: when recovery may begin)
struck() { T_STRUCK=$(now); }
ended() { T_ENDED=$(now); }
secs() { python3 -c "print('%.2f' % ($2 - $1))"; }
# ready_again: polls /readyz after the fault's end; READY_SECS is the time from the end to
# ready ("never" past 120 s), FAULT_SECS how long the fault lasted
ready_again() {
	FAULT_SECS=$(secs "$T_STRUCK" "$T_ENDED")
	if jd_wait_for 1200 ready; then
		READY_SECS=$(secs "$T_ENDED" "$(now)")
	else
		READY_SECS=never
	fi
}
# load_finish: lets the load show writes go through again, stops it, reads back, verifies, adds a row
load_finish() {
	local before summary read verify vst want=${1:-} verify_out=${2:-}
	before=$(status acked)
	acked_more() { [ "$(status acked)" -ge $(($1 + FAULT_WARM)) ] || [ "$(status done)" = true ]; }
	jd_wait_for 1200 acked_more "$before" || true
	touch "$STOP"
	wait "$LOAD_PID" || not_ok "$FAULT: the load client failed"
	read=$(python3 "$LOAD" read "$JD_DIR" "$JD_API_PORT" "$TENANT" "$OUT")
	if [ -n "$verify_out" ]; then
		verify=$verify_out vst=$3
	else
		verify=$(jd_ctl audit verify --tenant "$TENANT" 2>&1) && vst=0 || vst=$?
	fi
	summary=$(python3 - "$OUT" "$read" <<'PY'
import json, sys
s = json.load(open(sys.argv[1])); r = json.loads(sys.argv[2]); c = s["codes"]
other = sum(v for k, v in c.items() if k not in ("201", "503", "500", "none"))
print("\t".join(map(str, (len(s["acked"]), r["found"], r["n_missing"], r["unanswered"], c.get("503", 0),
      c.get("500", 0), c.get("none", 0), other, json.dumps(s["codes_500"][:2]), json.dumps(r["missing"][:5])))))
PY
	)
	local acked found nmiss unans c503 c500 none other ex500 exmiss
	IFS=$'\t' read -r acked found nmiss unans c503 c500 none other ex500 exmiss <<<"$summary"
	if [ "$nmiss" -eq 0 ] && [ "$unans" -eq 0 ]; then
		ok "$FAULT: every acknowledged write found ($found of $acked)"
	else
		not_ok "$FAULT: acknowledged writes missing: $nmiss, unread: $unans (e.g. $exmiss)"
	fi
	if [ "$c500" -eq 0 ]; then ok "$FAULT: no 500"; else not_ok "$FAULT: $c500 answered 500: $ex500"; fi
	local verdict
	if [ -n "$want" ]; then
		if [ "$vst" -ne 0 ] && grep -q "$want" <<<"$verify"; then
			verdict="names it: $want"
			ok "$FAULT: audit verify names the damage ($want)"
		else
			verdict="NOT NAMED (exit $vst)"
			not_ok "$FAULT: audit verify does not name '$want': $verify"
		fi
	elif [ "$vst" -eq 0 ]; then
		verdict="intact"
		ok "$FAULT: audit verify: intact"
	else
		verdict="DAMAGE (exit $vst)"
		not_ok "$FAULT: audit verify finds damage the fault did not make: $verify"
	fi
	ROWS+=("$FAULT|$acked|$found|$c503|$c500|$none|$other|$FAULT_SECS|$READY_SECS|$verdict")
}

# --- the faults

# kill -9 the managed Redis: jiandud restarts it, it loads its append-only file
fault_redis_kill() {
	load_start redis-kill-9
	struck
	kill -KILL "$(redis_pid)"
	ended
	ready_again
	load_finish
}

# kill -9 jiandud (its Redis goes with it) and start it again
fault_jiandud_kill() {
	local old
	load_start jiandud-kill-9
	old=$(redis_pid)
	struck
	kill -KILL "$JD_PID"
	ended
	wait "$JD_PID" 2>/dev/null || true
	JD_PID=
	# the old Redis lets go of the data directory before the new one starts
	jd_wait_for 300 jd_exited "$old" || true
	jd_start
	ready_again
	load_finish
}

# the disk under the append-only file fills up until writes are refused, then is freed
fault_disk_full() {
	if [ "$DATA_FS" = none ]; then
		echo "# SKIP disk-full: $DATA_FS_WHY"
		ROWS+=("disk-full|skipped: $DATA_FS_WHY||||||||")
		return
	fi
	local before pid
	load_start disk-full
	before=$(status refused)
	pid=$(redis_pid)
	struck
	dd if=/dev/zero of="$JD_DIR/data/filler" bs=64k 2>/dev/null || true
	# hold the fault until the load has felt it (or its bound ends it)
	jd_wait_for 300 refused_more_than $((before + 20)) || true
	rm -f "$JD_DIR/data/filler"
	ended
	ready_again
	load_finish
	# what Redis did about it, for the note under the table
	NOTES+=("disk-full: Redis $([ "$(redis_pid)" = "$pid" ] && echo "kept running" || echo "exited and was restarted by jiandud"); its log: $(grep -Eo "(Can't recover from AOF write error|Error writing to the AOF file|No space left on device|Exiting)[^.]*" "$JD_DIR/data/redis.log" | sort | uniq -c | sed "s/^ *//" | paste -sd ';' -)")
}

# Redis slow: DEBUG SLEEP past the daemon's command timeout (2 s by default)
fault_redis_slow() {
	load_start redis-slow
	struck
	rc debug sleep 3 >/dev/null
	ended
	ready_again
	load_finish
}

# Redis unresponsive: SIGSTOP until the load has felt it, then SIGCONT
fault_redis_stop() {
	local pid before
	load_start redis-sigstop
	pid=$(redis_pid)
	before=$(status refused)
	struck
	kill -STOP "$pid"
	jd_wait_for 300 refused_more_than $((before + 4)) || true
	kill -CONT "$pid"
	ended
	ready_again
	load_finish
}

# the audit chain's tail cut (as t_audit_tail): the last entries deleted and the head
# set back, in one step while the load writes; verify must name the cut, an administrator
# accepts the head, writes resume
CUT_LUA='local key, hkey = KEYS[1], KEYS[2]
local cut = tonumber(string.match(redis.call("GET", hkey), "^(%d+)")) - tonumber(ARGV[1])
local chain
for _, e in ipairs(redis.call("XRANGE", key, "-", "+")) do
	local f, d = e[2], {}
	for i = 1, #f, 2 do d[f[i]] = f[i + 1] end
	local s = tonumber(d["seq"])
	if s > cut then redis.call("XDEL", key, e[1]) elseif s == cut then chain = d["chain"] end
end
redis.call("SET", hkey, cut .. " " .. chain)
return cut'
fault_audit_tail() {
	local cut verify vst
	load_start audit-tail-cut
	struck
	cut=$(rc eval "$CUT_LUA" 2 "jd:{$TENANT}:audit" "jd:{$TENANT}:audit:head" 5)
	held() { [ "$(status refused)" -gt 0 ] || [ "$(status done)" = true ]; }
	jd_wait_for 300 held || true
	# the verdict on the damage as found, before the administrator's decision
	verify=$(jd_ctl audit verify --tenant "$TENANT" 2>&1) && vst=0 || vst=$?
	jd_ctl audit accept-head --tenant "$TENANT" --reason "fault suite: tail cut on purpose" >/dev/null ||
		not_ok "audit-tail-cut: accept-head"
	ended
	ready_again
	load_finish "tail truncated after seq $cut" "$verify" "$vst"
}

fault_redis_kill
fault_jiandud_kill
fault_disk_full
fault_redis_slow
fault_redis_stop
fault_audit_tail

jd_stop
equals "a clean stop after the faults" "$JD_EXIT" 0
jd_no_sanitizer_report

# --- the figures
table() {
	echo
	local fs=$DATA_FS
	[ "$fs" != none ] || fs="the build machine's disk"
	echo "data_dir: $fs; load: $FAULT_WORKERS connections, $FAULT_RATE requests/s, $FAULT_WARM acknowledged before each fault and after its recovery (bounds: $FAULT_WRITES requests, $FAULT_SECONDS s)"
	printf '| %-15s | %6s | %6s | %5s | %3s | %9s | %5s | %7s | %13s | %s |\n' fault acked found 503 500 "no answer" other "fault s" "ready again s" "audit verify"
	printf '|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|\n' ----------------- -------: -------: ------: ----: ----------: ------: --------: --------------: ---
	local r
	for r in "${ROWS[@]}"; do
		IFS='|' read -r f a fo c3 c5 n o d t v <<<"$r"
		printf '| %-15s | %6s | %6s | %5s | %3s | %9s | %5s | %7s | %13s | %s |\n' "$f" "$a" "$fo" "$c3" "$c5" "$n" "$o" "$d" "$t" "$v"
	done
	for r in "${NOTES[@]}"; do echo "$r"; done
}
table | tee "${FAULT_TABLE:-/dev/null}"
jd_finish
