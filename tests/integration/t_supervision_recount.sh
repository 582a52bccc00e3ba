#!/usr/bin/env bash
# The supervision plugin: after a randomized run of thousands of operations
# (sup_random.py: items up and down the ladder with returns, extensions,
# look-backs and rebounds; talks, letters, rules, orders, assessments,
# findings; several threads, some racing on one record), recount finds no
# drift between the counters kept in each mutation and the records.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/sup_lib.sh"

jd_instance "$JD_TMP/i" --load cases,supervision
jd_start
cases_org
quiet jd_ctl org groups add --tenant $T --code m1 --kind matter --name 1+N --units ag1,ag2,ag3 \
	--leader "$P_L1"
quiet jd_ctl users add --id sall --roles staff --tenants $T --units ag1,ag2,ag3,tw1
SALL=$(jd_token_for sall)

ops=${SUP_RANDOM_OPS:-3000}
rc=0
out=$(python3 "$(dirname "$0")/sup_random.py" "$JD_DIR" "$JD_API_PORT" $T "$ops" "$SALL" "$L1" 4 7) || rc=$?
echo "# $out"
equals "the randomized run: no 5xx" "$rc" 0
contains "items were made" "$out" '"items": '
st=$(jd_ctl supervision stats --tenant $T --from 2020-01-01 --to "$(date +%F)" --json)
issued=$(py "[r['value'] for r in j['figures'] if r['figure']=='items_issued'][0]" <<<"$st")
check "items counted" test "$issued" -gt 100
for f in items_rectified lookbacks_done lookback_rebounds talks tasks_assessed leads_raised; do
	n=$(py "[r['value'] for r in j['figures'] if r['figure']=='$f'][0]" <<<"$st")
	check "the run made $f ($n)" test "$n" -gt 0
done
rc=$(jd_ctl supervision recount --tenant $T --json)
equals "recount: no drift" "$(jd_json .drift <<<"$rc")" 0
equals "recount walked every item" "$(jd_json .items <<<"$rc")" "$issued"
check "the cases plugin registered the leads raised" jd_wait_for 100 bash -c \
	"[ \"\$('$JIANDUCTL' -c '$JD_DIR/jianductl.conf' cases recount --tenant $T --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"drift\"])')\" = 0 ]"

jd_stop
equals "clean exit" "$JD_EXIT" 0
jd_no_sanitizer_report
jd_finish
