#!/usr/bin/env bash
# The cases plugin: after a randomized run of thousands of operations
# (several threads, back-dated steps, races on the same records, illegal
# steps), recount recomputes every counter from the records and finds no
# drift: each counter moved in the same atomic step as its record.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/cases_lib.sh"

jd_instance "$JD_TMP/i" --load cases
jd_start
cases_org

ops=${JD_CASES_RANDOM_OPS:-3000}
out=$(python3 "$(dirname "$0")/cases_random.py" "$JD_DIR" "$JD_API_PORT" $T "$ops" 4 7)
rc=$?
echo "# $out"
equals "the randomized run: no 5xx, nothing illegal accepted" "$rc" 0
sent=$(jd_json .ops <<<"$out")
check "thousands of operations were sent ($sent)" test "$sent" -ge 2000
check "leads and cases were made" test "$(jd_json .cases <<<"$out")" -ge 10

rec=$(jd_ctl cases recount --tenant $T --json)
echo "# $(tr -d '\n ' <<<"$rec" | cut -c1-300)"
equals "recount: every lead walked" "$(jd_json .leads <<<"$rec")" "$(jd_json .leads <<<"$out")"
equals "recount: every case walked" "$(jd_json .cases <<<"$rec")" "$(jd_json .cases <<<"$out")"
check "recount checked counters" test "$(jd_json .counters_checked <<<"$rec")" -gt 100
equals "recount: no drift" "$(jd_json .drift <<<"$rec")" 0

# the figures add up: received = the sum by source
y=$(date +%Y)
s=$(jd_ctl cases stats --tenant $T --from 2025-01-01 --to "$(date +%F)" --json)
sum=$(python3 -c 'import json,sys
f={x["figure"]:x["value"] for x in json.load(sys.stdin)["figures"]}
print(f["leads_received"], sum(v for k,v in f.items() if k.startswith("source_")), f["leads_self_discovered"]+f["leads_transferred"]+f["source_letters_visits"])' <<<"$s")
read -r received by_source parts <<<"$sum"
equals "received = the sum by source" "$received" "$by_source"
equals "received = self-discovered + transferred + letters" "$received" "$parts"
equals "every lead counted once" "$received" "$(jd_json .leads <<<"$out")"

jd_stop
equals "SIGTERM: exit 0" "$JD_EXIT" 0
jd_finish
