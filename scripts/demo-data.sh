#!/usr/bin/env bash
# Loads the example counties (conf/examples, docs/organization.md) into a
# running instance, with figures for the dashboard, and makes a leader who
# may sign in to it:
#   make run                      # in one shell
#   scripts/demo-data.sh          # in another; prints the address and the sign-in
# Arguments: BUILD (default build) and the instance DIR (default var/dev).
# The leader's password is JD_DEMO_PASSWORD, else a random one, printed.
#
# What it loads (docs/ui.md, "Trying it"):
# - the province 四川省, the city 德阳市 and its four counties, three of them
#   with the example organizations (units with approved posts, people, groups,
#   post transfers);
# - the organization's figures at the end of each month of last year, as
#   entered from the paper reports (org history set: the instance itself keeps
#   them from today on, docs/report.md);
# - leads of every source, dispositions and cases filed by the dispatched
#   agencies (investigated and sent to case review), this year and last,
#   month by month up to this month (dated events, through the same routes
#   a user takes);
# - supervision talks and letters;
# - the leader lena of the city.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
dir=${2:-var/dev}
ctl() { "$build/jianductl" -c "$dir/jianductl.conf" "$@"; }
q() { ctl "$@" >/dev/null; }
# js MEMBER: the member of the JSON on stdin
js() { python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }
pw=${JD_DEMO_PASSWORD:-demo-$(od -An -N9 -tx1 /dev/urandom | tr -d ' \n')}

q org tenants add --code 510000 --name 四川省 --level province
q org tenants add --code 510600 --name 德阳市 --level city --parent 510000
q org tenants add --code 510681 --name 广汉市 --level county_city --parent 510600 \
	--centralized true --centralized_since 2021-03-01 --modes task_force
q org tenants add --code 510682 --name 什邡市 --level county_city --parent 510600 \
	--centralized true --centralized_since 2021-06-01 --modes area
q org tenants add --code 510683 --name 绵竹市 --level county_city --parent 510600 \
	--centralized true --centralized_since 2022-01-01 --modes joint_group
q org tenants add --code 510604 --name 罗江区 --level district --parent 510600
declare -A example=([510681]=task_force [510682]=area [510683]=joint_group)
for c in 510681 510682 510683; do
	q org import --tenant $c conf/examples/${example[$c]}/*.csv
done

year=$(date +%Y)
last=$((year - 1))
month=$((10#$(date +%m)))

# --- the organization at the end of each month of last year, from today's figures:
# a little less staffed, and fewer posts moved, the further back
for c in 510681 510682 510683 510604; do
	now=$(ctl org history show --tenant $c --json |
		python3 -c 'import json,sys; m=json.load(sys.stdin)["months"]; print(json.dumps(m[max(m)]))')
	for m in $(seq 1 12); do
		args=$(python3 - "$now" "$m" <<'PY'
import json, sys
e, m = json.loads(sys.argv[1]), int(sys.argv[2])
short = 13 - m  # people missing, fewer later in the year
moved = e["posts_moved"] * m // 12
opts = {"posts": e["posts"], "filled": max(0, e["filled"] - short),
        "agency_posts": e["agency_posts"] + e["posts_moved"] - moved,
        "agency_filled": max(0, e["agency_filled"] - short // 2),
        "posts_moved": moved, "leadership_moved": e["leadership_moved"] * m // 12,
        "breaches": e["breaches"] + (1 if m < 7 and e["agency_posts"] else 0),
        "centralized": "true" if e["centralized"] else "false"}
if e["modes"]:
    opts["modes"] = e["modes"]
print(" ".join(f"--{k} {v}" for k, v in opts.items()))
PY
		)
		# shellcheck disable=SC2086
		q org history set --tenant $c --month "$(printf '%d-%02d' $last "$m")" $args
	done
done

# --- two staff of the first agency of each county, who make a case's team
sources=(letters_visits inspection_tour audit judicial other_body self_supervision self_investigation)
declare -A team agencies
for c in 510681 510682 510683; do
	agencies[$c]=$(awk -F, '$3=="agency"{print $1}' conf/examples/${example[$c]}/units.csv | tr '\n' ' ')
	first=${agencies[$c]%% *}
	ids=$(ctl org people list --tenant $c --unit "$first" --limit 50 --json | python3 -c '
import json,sys
j=json.load(sys.stdin)
items=j.get("items", j.get("people", [])) if isinstance(j, dict) else j
print(" ".join(p["id"] for p in items if p.get("status", "active") == "active")[:2000])' | cut -d' ' -f1-2)
	set -- $ids
	q users add --id "demo$c-1" --roles staff --tenants $c --units "$first" --person "$c/$1"
	q users add --id "demo$c-2" --roles staff --tenants $c --units "$first" --person "$c/$2"
	team[$c]="demo$c-1,demo$c-2"
done

# lead COUNTY UNIT SOURCE DATE: prints its id
lead() {
	ctl cases leads add --tenant "$1" --unit "$2" --source "$3" --received "$4" \
		--subject_name 某 --allegation 演示 --json | js id
}
# decide COUNTY LEAD VERB DATE ARGS...: proposed, then approved on DATE
decide() {
	local c=$1 l=$2 verb=$3 d=$4
	shift 4
	q cases leads "$verb" --tenant "$c" --id "$l" "$@"
	q cases leads approve --tenant "$c" --id "$l" --date "$d"
}

echo "loading leads, cases and supervision, month by month (a few minutes) ..."
for c in 510681 510682 510683; do
	read -r -a ags <<<"${agencies[$c]}"
	for y in $last $year; do
		for m in $(seq 1 "$month"); do
			d=$(printf '%d-%02d-01' "$y" "$m")
			# more leads this year, and more of them found by the agencies themselves
			n=$((2 + m % 3 + (y == year ? 1 : 0)))
			for i in $(seq 1 $n); do
				s=${sources[$(((i * 3 + m + (y == year ? 5 : 0)) % 7))]}
				u=${ags[$(((i + m * 2) % ${#ags[@]}))]}
				l=$(lead $c "$u" "$s" "$d")
				if [ $((i % 3)) -ne 0 ]; then
					decide $c "$l" dispose "$d" --way close
				fi
			done
			# a case a month (every other month last year), filed and handled by an agency
			# (self-handled), investigated and concluded: it goes to case review (the
			# review plugin), whose decision comes before any sanction
			if [ $((m % 2)) -eq 1 ] || [ "$y" = "$year" ]; then
				l=$(lead $c "${ags[$((m % 4))]}" self_supervision "$d")
				q cases leads assign-override --tenant $c --id "$l" --team "${team[$c]}" --reason demo
				decide $c "$l" dispose "$d" --way prelim_verification
				decide $c "$l" outcome "$d" --outcome file --report 演示
				k=$(ctl cases file --tenant $c --id "$l" --date "$d" --json | js case)
				q cases case plan --tenant $c --id "$k" --plan 演示
				q cases case approve --tenant $c --id "$k" --date "$d"
				q cases case conclude --tenant $c --id "$k" --report 演示
				q cases case approve --tenant $c --id "$k" --date "$d"
			fi
			q supervision talks add --tenant $c --unit "${ags[1]}" --supervised 演示单位 \
				--persons $((3 + m % 4)) --leaders 1 --key_posts 1 --reason 演示 --date "$d"
			q supervision letters add --tenant $c --kind prompt --unit "${ags[2]}" \
				--supervised 演示单位 --reply_due "$(printf '%d-%02d-28' "$y" "$m")" --date "$d"
		done
	done
done

q users add --id lena --roles leader --tenants 510600 --display_name "Demo leader"
q users password --id lena --password "$pw"
port=$(sed -n 's/^listen *= *[^:]*:\([0-9]*\)$/\1/p' "$dir/jiandud.conf" | tail -1)
echo
echo "The dashboard: https://127.0.0.1:${port:-8443}/ui/?tenant=510600 (CA: $dir/tls/ca.crt)"
echo "Sign in as lena, password: $pw"
