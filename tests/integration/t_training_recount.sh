#!/usr/bin/env bash
# A randomized run of the training plugin (proposals approved or rejected,
# pairings ended, talks, plans and milestones, enrolments and attendance,
# practice from case teams) and then `training recount`: no drift.  A
# counter changed behind the plugin's back is found and fixed.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/cases_lib.sh"
source "$(dirname "$0")/training_lib.sh"

jd_instance "$JD_TMP/i" --load cases,training
jd_start
training_org
seed=${JD_SEED:-$RANDOM}
RANDOM=$seed
echo "# seed $seed"
mentees=("$N1" "$N2" "$N3" "$N4")
mentors=("$L" "$H" "$P1" "$P2" "$C" "$J")
kinds=(theory practice)
pick() { local a=("$@"); echo "${a[RANDOM % ${#a[@]}]}"; }
active=()
ms='[{"key":"a","title":"政治首课","days":30,"owner":"theory"},{"key":"b","title":"跟班办案","days":45,"owner":"practice"},{"key":"c","title":"笔试","days":120,"owner":"mentee"}]'
quiet jd_ctl training templates add --tenant $T --code t1 --name 模板 --milestones "$ms"
quiet jd_ctl training courses add --tenant $T --code c1 --name 培训 --capacity 2 --trainers tr
quiet jd_ctl training courses session --tenant $T --id c1 --date "$(day '9 days ago')" --hours 3
quiet jd_ctl training courses session --tenant $T --id c1 --date "$(day '3 days ago')" --hours 2
plans=()
for i in $(seq 1 70); do
	case $((RANDOM % 6)) in
	0 | 1)
		d=$(day "$((RANDOM % 8)) days ago")
		if [ "$(bearer "$L1" POST /v1/training/pairs "{\"tenant\":\"$T\",\"mentee\":\"$(pick "${mentees[@]}")\",\"mentor\":\"$(pick "${mentors[@]}")\",\"kind\":\"$(pick "${kinds[@]}")\",\"date\":\"$d\"}")" = 201 ]; then
			p=$(jd_json .id <"$JD_TMP/b")
			if [ $((RANDOM % 4)) -eq 0 ]; then
				quiet bearer "$L1" POST "/v1/training/pairs/$p/reject" "{\"tenant\":\"$T\",\"reason\":\"r\"}"
			else
				quiet bearer "$L1" POST "/v1/training/pairs/$p/approve" "{\"tenant\":\"$T\",\"date\":\"$d\"}"
				active+=("$p")
			fi
		fi
		;;
	2)
		[ ${#active[@]} -gt 0 ] && quiet bearer "$L1" POST /v1/training/talks "{\"tenant\":\"$T\",\"pair\":\"$(pick "${active[@]}")\"}"
		[ ${#active[@]} -gt 0 ] && [ $((RANDOM % 5)) -eq 0 ] && quiet bearer "$L1" POST "/v1/training/pairs/$(pick "${active[@]}")/end" "{\"tenant\":\"$T\",\"reason\":\"调离\"}"
		;;
	3)
		if [ "$(bearer "$L1" POST /v1/training/plans "{\"tenant\":\"$T\",\"mentee\":\"$(pick "${mentees[@]}")\",\"template\":\"t1\"}")" = 201 ]; then
			plans+=("$(jd_json .id <"$JD_TMP/b")")
		fi
		[ ${#plans[@]} -gt 0 ] && quiet bearer "$L1" POST "/v1/training/plans/$(pick "${plans[@]}")/milestones/$((RANDOM % 3 + 1))" "{\"tenant\":\"$T\",\"done\":\"$(day "$((RANDOM % 5)) days ago")\"}"
		;;
	4)
		quiet bearer "$L1" POST /v1/training/courses/c1/enrol "{\"tenant\":\"$T\",\"person\":\"$(pick "${mentees[@]}")\",\"date\":\"$(day "$((RANDOM % 12)) days ago")\"$([ $((RANDOM % 3)) -eq 0 ] && echo ',"withdraw":true')}"
		quiet bearer "$TR" POST /v1/training/courses/c1/attendance "{\"tenant\":\"$T\",\"session\":$((RANDOM % 2 + 1)),\"person\":\"$(pick "${mentees[@]}")\",\"mark\":\"$(pick present late excused absent)\"}"
		;;
	5)
		lead=$(add_lead "$L1" of1 letters_visits)
		quiet bearer "$L1" POST "/v1/cases/leads/$lead/assign" "{\"tenant\":\"$T\",\"team\":\"$(pick "${mentees[@]}"),$P1\"}"
		;;
	esac
done
settled() { jd_ctl events list --tenant $T --json | py "all(g['backlog'] == 0 for g in j['groups'])" | grep -qx True; }
check "the practice events are handled" jd_wait_for 200 settled
rc=$(jd_ctl training recount --tenant $T --json)
equals "recount after the random run: no drift (seed $seed)" "$(jd_json .drift <<<"$rc")" 0
check "  it walked the mentees" test "$(jd_json .mentees <<<"$rc")" -eq 4
check "  and the pairings (pairs active per day)" test "$(jd_json .pairs <<<"$rc")" -gt 0
redis-cli -s "$JD_DIR/data/redis.sock" hincrby "jd:{$T}:tcnt:t" "pairs.on|$(date -u +%Y)" 1 >/dev/null
check "a pair-days year bucket changed behind its back is drift" test "$(jd_ctl training recount --tenant $T --json | jd_json .drift)" -gt 0
quiet jd_ctl training recount --tenant $T --fix true
redis-cli -s "$JD_DIR/data/redis.sock" hincrby "jd:{$T}:tcnt:t" "talks|$(date -u +%Y%m)" 5 >/dev/null
rc=$(jd_ctl training recount --tenant $T --json)
check "a counter changed behind its back is drift" test "$(jd_json .drift <<<"$rc")" -gt 0
quiet jd_ctl training recount --tenant $T --fix true
equals "fixed" "$(jd_ctl training recount --tenant $T --json | jd_json .drift)" 0
jd_stop
jd_no_sanitizer_report
jd_finish
