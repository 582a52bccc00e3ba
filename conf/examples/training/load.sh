#!/usr/bin/env bash
# Loads the growth-plan template and the mentor pairings of the example
# counties (conf/examples/README.md loads their organization first):
#   conf/examples/training/load.sh [jianductl options, e.g. -c var/dev/jianductl.conf]
# For each county: the template new_cadre (version 1), each new cadre
# registered as a mentee, the pairings of <mode>_pairings.csv proposed and
# approved (eligibility is checked as for any proposal: a pairing refused
# says why and the load goes on), and a plan from the template.
set -u
here=$(cd "$(dirname "$0")" && pwd)
JIANDUCTL=${JIANDUCTL:-jianductl}
CTL_OPTS=("$@")
ctl() { "$JIANDUCTL" "${CTL_OPTS[@]}" "$@"; }
ids() { # name -> id of a county's people, as "name id" lines
	ctl org people list --tenant "$1" --json | python3 -c '
import json,sys
d=json.load(sys.stdin)
items=d["people"] if isinstance(d,dict) and "people" in d else (d.get("items",d) if isinstance(d,dict) else d)
for p in items: print(p["name"], p["id"])'
}
for spec in 590121:task_force 590102:area 590122:joint_group; do
	t=${spec%%:*} mode=${spec#*:}
	declare -A id=()
	while read -r n i; do id[$n]=$i; done < <(ids "$t")
	ctl training templates add --tenant "$t" --code new_cadre --name 新进干部成长培养计划 \
		--milestones "$(cat "$here/new_cadre_template.json")" >/dev/null
	tail -n +2 "$here/${mode}_pairings.csv" | while IFS=, read -r mentee theory practice; do
		m=${id[$mentee]:-}
		[ -n "$m" ] || { echo "$t: no person $mentee" >&2; continue; }
		ctl training mentees add --tenant "$t" --person "$m" >/dev/null
		for kind in theory practice; do
			who=$theory; [ $kind = practice ] && who=$practice
			p=$(ctl training pairs propose --tenant "$t" --mentee "$m" --mentor "${id[$who]:-x}" \
				--kind $kind --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])') &&
				ctl training pairs approve --tenant "$t" --id "$p" >/dev/null &&
				echo "$t: $mentee <- $who ($kind)"
		done
		ctl training plans add --tenant "$t" --mentee "$m" --template new_cadre >/dev/null
	done
done
