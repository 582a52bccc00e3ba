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
#   agencies, this year and last, month by month up to this month (dated
#   events, through the same routes a user takes);
# - each case investigated, concluded with the investigators' proposal and
#   sent to case review (the review plugin): two cases in three are driven
#   through the review to its end by the county's review office (accepted,
#   a panel assigned by its head, the review talk, the panel's work, opinion,
#   meeting, the decision approved by a leader), so the persons sanctioned
#   are counted from the review's decision, as in a real flow; some are
#   returned once for supplementary investigation, some have their sanction
#   changed by the review, one a year is appealed; the rest wait in review;
# - supervision talks, letters, rectification items (most closed, 销号) and
#   rules established;
# - new cadres of this year and last with both mentors (training), their
#   mentoring talks, and a course with credit hours;
# - the leader lena of the city.
# The counties load in parallel. At the end it prints the city's report
# for this year against the same days of last year and fails if a headline
# figure, or its previous value, is 0.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
dir=${2:-var/dev}
ctl() { "$build/jianductl" -c "$dir/jianductl.conf" "$@"; }
q() { ctl "$@" >/dev/null; }
# js MEMBER: the member of the JSON on stdin
js() { python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }
today=$(date +%F)
port=$(sed -n 's/^listen *= *[^:]*:\([0-9]*\)$/\1/p' "$dir/jiandud.conf" | tail -1)
port=${port:-8443}
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

year=$(date +%Y)
last=$((year - 1))
month=$((10#$(date +%m)))

sources=(letters_visits inspection_tour audit judicial other_body self_supervision self_investigation)

# day Y M D: that date, or today if it is later (this month's steps stop at today)
day() {
	local d
	d=$(printf '%d-%02d-%02d' "$1" "$2" "$3")
	[[ $d > $today ]] && d=$today
	echo "$d"
}
# after DATE N: N days after DATE, or today if it is later
after() {
	local d
	d=$(date -d "$1 + $2 days" +%F)
	[[ $d > $today ]] && d=$today
	echo "$d"
}
# settle CMD...: polls CMD (at most a minute): the plugins hand cases and
# reviews to each other by durable events, handled a moment later
settle() {
	local i
	for i in $(seq 1 600); do
		"$@" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "jiandu demo: gave up waiting for: $*" >&2
	return 1
}
# api TOKEN PATH JSON: a POST as a user, for the steps only a person of the
# organization may take (the review office's head, the panel)
api() {
	local out
	out=$(curl -sS -m 30 --cacert "$dir/tls/ca.crt" -H "Authorization: Bearer $1" \
		-H 'Content-Type: application/json' -w '\n%{http_code}' --data "$3" \
		"https://127.0.0.1:$port$2")
	case ${out##*$'\n'} in 200 | 201) return 0 ;; esac
	echo "jiandu demo: POST $2: ${out##*$'\n'} ${out%$'\n'*}" >&2
	return 1
}
token() { ctl tokens create --user "$1" --ttl 1d --label demo-data --json | js token; }
# people COUNTY UNIT: "id post new_cadre" of its active people
people() {
	ctl org people list --tenant "$1" --unit "$2" --limit 50 --json | python3 -c '
import json,sys
for p in json.load(sys.stdin)["people"]:
    if p["status"] == "active": print(p["id"], p["post"], str(p["new_cadre"]).lower())'
}
case_is() { [ "$(ctl cases case show --tenant "$1" --id "$2" --json | js state)" = "$3" ]; }
review_is() { [ "$(ctl review reviews show --tenant "$1" --id "$2" --json | js state)" = "$3" ]; }

# history COUNTY: the organization at the end of each month of last year, from
# today's figures: a little less staffed, and fewer posts moved, the further back
history() {
	local c=$1 now m args
	now=$(ctl org history show --tenant "$c" --json |
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
		q org history set --tenant "$c" --month "$(printf '%d-%02d' $last "$m")" $args
	done
}

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
proposals='[{"person":1,"characterization":"integrity_discipline","party":"warning","government":"none"}]'
# conclude COUNTY CASE DATE: the investigators' conclusion with their proposal, approved on DATE
conclude() {
	q cases case conclude --tenant "$1" --id "$2" --report 演示 --proposals "$proposals" \
		--materials 审查报告,证据材料,谈话笔录
	q cases case approve --tenant "$1" --id "$2" --date "$3"
}

# review COUNTY CASE Y M: the case review (docs/review.md) of a case concluded on
# the 1st of month M of year Y. Two in three go to the end: accepted on the 3rd,
# the panel assigned by the office's head, returned on the 5th for
# supplementary investigation (months 1, 5, 9) and concluded again on the 9th,
# the review talk and the panel's work on the 12th (the sanction changed by
# the review in months 3, 7, 11 and January), the opinion, the office's
# meeting, the decision approved by a leader on the 18th; the decision is
# the case's (review.completed), and the persons sanctioned count from it.
# The others stay accepted, in review. A January decision is appealed.
review() {
	local c=$1 k=$2 y=$3 m=$4 id lead ok="" t p party='"party":"warning"'
	id="{\"tenant\":\"$c\""
	settle review_is "$c" "$k" received
	api "${tok[$c.rh]}" "/v1/review/reviews/$k/accept" "$id,\"date\":\"$(day "$y" "$m" 3)\"}"
	[ $((m % 3)) -eq 0 ] && return 0
	# the panel: two of the office; the head sits on it where the organization's
	# conflict check keeps a reviewer off a case of that unit
	for p in r1:r2 r1:rh r2:rh; do
		lead=${p%%:*}
		if api "${tok[$c.rh]}" "/v1/review/reviews/$k/panel" \
			"$id,\"lead\":\"demo$c-$lead\",\"members\":\"demo$c-${p#*:}\",\"date\":\"$(day "$y" "$m" 3)\"}" 2>/dev/null; then
			ok=1
			break
		fi
	done
	[ -n "$ok" ] || { echo "jiandu demo: no panel for review $c/$k" >&2; return 1; }
	t=${tok[$c.$lead]}
	if [ $((m % 4)) -eq 1 ]; then
		api "${tok[$c.rh]}" "/v1/review/reviews/$k/return" "$id,\"kind\":\"supplementary\",\"why\":\"evidence_insufficient\",\"reason\":\"补充证据\",\"days\":20,\"date\":\"$(day "$y" "$m" 5)\"}"
		settle case_is "$c" "$k" investigating
		conclude "$c" "$k" "$(day "$y" "$m" 9)"
		settle review_is "$c" "$k" accepted
	fi
	if [ $((m % 4)) -eq 3 ] || [ "$m" -eq 1 ]; then
		party='"party":"serious_warning","change_reason":"情节较重"'
	fi
	api "$t" "/v1/review/reviews/$k/talk" "$id,\"person\":1,\"notes\":\"审理谈话\",\"date\":\"$(day "$y" "$m" 12)\"}"
	api "$t" "/v1/review/reviews/$k/work" "$id,\"person\":1,\"facts\":\"confirmed\",\"evidence\":\"sufficient\",\"procedure\":\"lawful\",\"characterization\":\"integrity_discipline\",$party,\"date\":\"$(day "$y" "$m" 12)\"}"
	api "$t" "/v1/review/reviews/$k/opinion" "$id,\"date\":\"$(day "$y" "$m" 15)\"}"
	api "${tok[$c.rh]}" "/v1/review/reviews/$k/meeting" "$id,\"result\":\"agreed\",\"date\":\"$(day "$y" "$m" 16)\"}"
	api "$t" "/v1/review/reviews/$k/propose" "$id,\"action\":\"decide\"}"
	api "${tok[$c.leader]}" "/v1/review/reviews/$k/approve" "$id,\"date\":\"$(day "$y" "$m" 18)\"}"
	if [ "$m" -eq 1 ]; then
		settle review_is "$c" "$k" completed
		api "${tok[$c.rh]}" "/v1/review/reviews/$k/appeal" "$id,\"person\":1,\"reason\":\"对处分不服\",\"date\":\"$(day "$y" "$m" 25)\"}"
	fi
}

# item COUNTY FROM TO Y M CLOSE: a rectification item issued by FROM to TO on the
# 1st, due the 28th; CLOSE: planned, rectified and closed (销号) on the 20th
item() {
	local c=$1 y=$4 m=$5 it
	it=$(ctl supervision items add --tenant "$c" --unit "$3" --issuer "$2" --title 演示问题 \
		--deadline "$(printf '%d-%02d-28' "$y" "$m")" --date "$(day "$y" "$m" 1)" --json | js id)
	[ "$6" = 1 ] || return 0
	q supervision items plan --tenant "$c" --id "$it" --plan 整改方案 --date "$(day "$y" "$m" 5)"
	q supervision items start --tenant "$c" --id "$it" --date "$(day "$y" "$m" 6)"
	q supervision items request-close --tenant "$c" --id "$it" --evidence 整改台账 --date "$(day "$y" "$m" 15)"
	# the issuing side reviews and closes it: not who requested the closure
	api "${tok[$c.leader]}" "/v1/supervision/items/$it/review" \
		"{\"tenant\":\"$c\",\"result\":\"passed\",\"date\":\"$(day "$y" "$m" 18)\"}"
	api "${tok[$c.leader]}" "/v1/supervision/items/$it/close" "{\"tenant\":\"$c\",\"date\":\"$(day "$y" "$m" 20)\"}"
}

# mentor COUNTY MENTEE KIND: the first eligible mentor the plugin suggests
mentor() {
	ctl training suggest --tenant "$1" --mentee "$2" --kind "$3" --json |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["eligible"][0]["person"])'
}
# training COUNTY AGENCIES...: two new cadres a year (last year and this) with both
# mentors, a mentoring talk with each, and a course with a session a year
training() {
	local c=$1 n=0 start p kind pair s
	shift
	for s in "$last 3 10" "$last 9 10" "$year 2 10" "$year 6 10"; do
		n=$((n + 1))
		# shellcheck disable=SC2086
		start=$(day $s)
		p=$(ctl org people add --tenant "$c" --name "新进干部$n" --post cadre --unit "${!n}" \
			--start "$start" --new-cadre true --json | js id)
		q training mentees add --tenant "$c" --person "$p"
		for kind in theory practice; do
			pair=$(ctl training pairs propose --tenant "$c" --mentee "$p" --kind $kind \
				--mentor "$(mentor "$c" "$p" $kind)" --date "$(after "$start" 7)" --json | js id)
			q training pairs approve --tenant "$c" --id "$pair" --date "$(after "$start" 14)"
			q training talks add --tenant "$c" --pair "$pair" --notes 谈心谈话 --date "$(after "$start" 30)"
		done
	done
	q training courses add --tenant "$c" --code demo --name 业务培训 --capacity 50
	q training courses session --tenant "$c" --id demo --date "$last-05-20" --hours 8
	q training courses session --tenant "$c" --id demo --date "$(day "$year" 5 20)" --hours 6
	for p in ${team_people[$c]}; do
		q training courses enrol --tenant "$c" --id demo --person "$p" --date "$last-05-01"
		for s in 1 2; do
			q training courses attend --tenant "$c" --id demo --session $s --person "$p" --mark present
		done
	done
}

# county CODE: everything of one county (the counties load in parallel)
county() {
	local c=$1 ags first y m d n i s u l k id post r=0
	q org import --tenant "$c" conf/examples/"${example[$c]}"/*.csv
	history "$c"
	read -r -a ags <<<"$(awk -F, '$3=="agency"{print $1}' conf/examples/"${example[$c]}"/units.csv | tr '\n' ' ')"
	first=${ags[0]}
	# two staff of the first agency, who make a case's team
	team_people[$c]=$(people "$c" "$first" | awk '$3=="false"{print $1}' | head -4 | tr '\n' ' ')
	# shellcheck disable=SC2086
	set -- ${team_people[$c]}
	q users add --id "demo$c-1" --roles staff --tenants "$c" --units "$first" --person "$c/$1"
	q users add --id "demo$c-2" --roles staff --tenants "$c" --units "$first" --person "$c/$2"
	# the review office (案件审理室): its head and two reviewers; a leader of the county
	while read -r id post _; do
		if [ "$post" = head ]; then
			q users add --id "demo$c-rh" --roles leader --tenants "$c" --units rv --person "$c/$id"
		elif [ $r -lt 2 ]; then
			r=$((r + 1))
			q users add --id "demo$c-r$r" --roles reviewer --tenants "$c" --units rv --person "$c/$id"
		fi
	done < <(people "$c" rv)
	q users add --id "demo$c-leader" --roles leader --tenants "$c" --display_name 县纪委领导
	for u in rh r1 r2 leader; do tok[$c.$u]=$(token "demo$c-$u"); done

	for y in $last $year; do
		for m in $(seq 1 "$month"); do
			d=$(printf '%d-%02d-01' "$y" "$m")
			# more leads this year, and more of them found by the agencies themselves
			n=$((2 + m % 3 + (y == year ? 1 : 0)))
			for i in $(seq 1 $n); do
				s=${sources[$(((i * 3 + m + (y == year ? 5 : 0)) % 7))]}
				u=${ags[$(((i + m * 2) % ${#ags[@]}))]}
				l=$(lead "$c" "$u" "$s" "$d")
				if [ $((i % 3)) -ne 0 ]; then
					decide "$c" "$l" dispose "$d" --way close
				fi
			done
			# a case a month (every other month last year), filed and handled by an
			# agency (self-handled), investigated, concluded and reviewed
			if [ $((m % 2)) -eq 1 ] || [ "$y" = "$year" ]; then
				l=$(lead "$c" "${ags[$((m % 4))]}" self_supervision "$d")
				q cases leads assign-override --tenant "$c" --id "$l" --team "demo$c-1,demo$c-2" --reason demo
				decide "$c" "$l" dispose "$d" --way prelim_verification
				decide "$c" "$l" outcome "$d" --outcome file --report 演示
				k=$(ctl cases file --tenant "$c" --id "$l" --date "$d" --json | js case)
				q cases case plan --tenant "$c" --id "$k" --plan 演示
				q cases case approve --tenant "$c" --id "$k" --date "$d"
				conclude "$c" "$k" "$d"
				review "$c" "$k" "$y" "$m"
			fi
			q supervision talks add --tenant "$c" --unit "${ags[1]}" --supervised 演示单位 \
				--persons $((3 + m % 4)) --leaders 1 --key_posts 1 --reason 演示 --date "$d"
			q supervision letters add --tenant "$c" --kind prompt --unit "${ags[2]}" \
				--supervised 演示单位 --reply_due "$(printf '%d-%02d-28' "$y" "$m")" --date "$d"
			item "$c" "${ags[2]}" "${ags[3]}" "$y" "$m" $((m % 3 != 2 ? 1 : 0))
			if [ $((m % 2)) -eq 0 ] || [ "$m" -eq 1 ]; then
				q supervision rules add --tenant "$c" --unit "${ags[3]}" --title 演示制度 --date "$(day "$y" "$m" 20)"
			fi
		done
	done
	training "$c" "${ags[@]:0:4}"
}

declare -A team_people tok
echo "loading the counties in parallel: organization, leads, cases and their review, supervision, training (a few minutes) ..."
pids=()
history 510604 &
pids+=($!)
for c in 510681 510682 510683; do
	county $c >"$dir/demo-data.$c.log" 2>&1 &
	pids+=($!)
done
failed=0
for p in "${pids[@]}"; do wait "$p" || failed=1; done
if [ $failed = 1 ]; then
	tail -n 5 "$dir"/demo-data.*.log >&2
	echo "jiandu demo: a county failed to load (its log: $dir/demo-data.<county>.log)" >&2
	exit 1
fi
rm -f "$dir"/demo-data.*.log

q users add --id lena --roles leader --tenants 510600 --display_name "Demo leader"
q users password --id lena --password "$pw"

# --- the check: every headline figure of the city's report, this year so far and the same
# days of last year, is non-zero (once every county's events are handled)
settled() {
	local c
	for c in 510681 510682 510683; do
		ctl events list --tenant $c --json |
			python3 -c 'import json,sys; sys.exit(any(g["backlog"] for g in json.load(sys.stdin)["groups"]))' || return 1
	done
}
settle settled
ctl report --tenant 510600 --from "$year-01-01" --to "$today" --json | python3 -c '
import json, sys
want = """cases.leads_disposed cases.cases_filed cases.persons_sanctioned cases.agencies_filed_share
cases.self_handled cases.self_handled_share cases.leads_self_discovered cases.transferred
supervision.talks_person_times supervision.talks supervision.letters_and_recommendations
supervision.items_issued supervision.items_rectified supervision.rules_established
review.received review.accepted review.completed review.completed_on_time_share review.returned
review.changed_by_review review.median_days review.appeals_received
training.new_cadres training.matched_both_mentors training.both_mentors_share
training.median_days_to_matched training.talks training.credit_hours
org.centralized_tenants org.staffing_rate org.posts_moved org.leadership_posts_moved""".split()
r = json.load(sys.stdin)
figs = {f["key"]: f for s in r["sections"] for f in s["figures"]}
print(r["name"], r["from"], "..", r["to"], "against", r["previous"]["from"], "..", r["previous"]["to"])
print("  %-42s %8s %8s" % ("figure", "value", "previous"))
bad = [m["section"] + ": " + m["reason"] for m in r.get("missing", [])]
for k in want:
    f = figs.get(k, {})
    v, p = f.get("value"), f.get("previous")
    print("  %-42s %8s %8s" % (k, v, p))
    if not v or not p:
        bad.append(k)
if bad:
    sys.exit("jiandu demo: zero or missing in the report: " + ", ".join(bad))
'
echo
echo "The dashboard: https://127.0.0.1:$port/ui/?tenant=510600 (CA: $dir/tls/ca.crt)"
echo "Sign in as lena, password: $pw"
