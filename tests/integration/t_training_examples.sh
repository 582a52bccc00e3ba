#!/usr/bin/env bash
# The example counties (conf/examples/) load their growth-plan template and
# mentor pairings with conf/examples/training/load.sh: every pairing of the
# files is eligible and approved, every new cadre has a plan, and the
# figures of the province roll the three counties up.
source "$(dirname "$0")/lib.sh"

jd_instance "$JD_TMP/i" --load training
jd_start
ex=$JD_SOURCE_DIR/conf/examples
quiet jd_ctl org tenants add --code 590000 --name 示范省 --level province
quiet jd_ctl org tenants add --code 590100 --name 示范市 --level city --parent 590000
for spec in 590121:task_force:青岭县 590102:area:东城区 590122:joint_group:武溪县; do
	IFS=: read -r t mode name <<<"$spec"
	quiet jd_ctl org tenants add --code "$t" --name "$name" --level county --parent 590100 \
		--centralized true --centralized_since 2024-03-01 --modes "$mode"
	quiet jd_ctl org import --tenant "$t" "$ex/$mode"/*.csv
done
out=$(JIANDUCTL=$JIANDUCTL "$ex/training/load.sh" -c "$JD_DIR/jianductl.conf" 2>&1)
pairs=$(( $(cat "$ex"/training/*_pairings.csv | wc -l) - 3 ))
equals "every pairing of the files approved" "$(grep -c ' <- ' <<<"$out")" $((pairs * 2))
if grep -q "not_eligible\|no person" <<<"$out"; then not_ok "no refusal: $out"; else ok "no refusal"; fi
equals "no new cadre flagged in the area county" "$(jd_ctl training flags --tenant 590102 --json | jd_json .flagged)" "[]"
st=$(jd_ctl training stats --tenant 590000 --from 2020-01-01 --to "$(date -u +%F)" --json)
equals "the province: three counties" "$(jd_json .counties <<<"$st")" 3
equals "  every new cadre matched" "$(py "[r['value'] for r in j['figures'] if r['figure']=='both_mentors_share_pct'][0]" <<<"$st")" 100.0
equals "  a plan each" "$(py "[r['value'] for r in j['figures'] if r['figure']=='plans_started'][0]" <<<"$st")" "$pairs"
jd_stop
jd_no_sanitizer_report
jd_finish
