#!/usr/bin/env bash
# The training plugin: new cadres matched to a theory and a practice mentor
# (eligibility refused rule by rule, a capacity limit reached, approval by a
# leader, an early end flagged), a plan from a template through on track,
# behind and complete, a stalled pair in the digest and out of it after a
# talk, a course with a waiting list and attendance, practice counted from
# a cases event, need-to-know, figures with known answers and a recount
# without drift.  Via the API and the CLI.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/cases_lib.sh"
source "$(dirname "$0")/training_lib.sh"

jd_instance "$JD_TMP/i" --load cases,training
jd_set plugin.training capacity 2
jd_set plugin.training stall_days 20
jd_start

training_org

equals "not a new cadre: 409" "$(bearer "$L1" POST /v1/training/mentees "{\"tenant\":\"$T\",\"person\":\"$P1\"}")" 409
equals "registered twice: 409" "$(bearer "$L1" POST /v1/training/mentees "{\"tenant\":\"$T\",\"person\":\"$N1\"}")" 409

# --- suggest: ranked, with the reasons of the others
sug=$(jd_ctl training suggest --tenant $T --mentee "$N1" --kind practice --json)
equals "practice: the same unit first" "$(jd_json .eligible.0.person <<<"$sug")" "$H"
contains "too few years" "$(jd_json .not_eligible <<<"$sug")" "years in discipline work, fewer than 3"
contains "a conflict" "$(jd_json .not_eligible <<<"$sug")" "a declared tie naming the mentee"
contains "a new cadre" "$(jd_json .not_eligible <<<"$sug")" "is a new cadre"
sug=$(jd_ctl training suggest --tenant $T --mentee "$N1" --kind theory --json)
contains "theory: a post rule" "$(jd_json .not_eligible <<<"$sug")" "holds post cadre"

# --- refusals, one per rule
propose() { bearer "$L1" POST /v1/training/pairs "{\"tenant\":\"$T\",\"mentee\":\"$1\",\"mentor\":\"$2\",\"kind\":\"$3\"}"; }
equals "the mentee themself: 409" "$(propose "$N1" "$N1" practice)" 409
contains "  says why" "$(body)" "is the mentee"
equals "too few years: 409" "$(propose "$N1" "$J" practice)" 409
contains "  says why" "$(body)" "fewer than 3"
equals "a conflict: 409" "$(propose "$N1" "$C" practice)" 409
contains "  says why" "$(body)" "declared tie"
equals "a bad kind: 400" "$(propose "$N1" "$P1" coach)" 400
equals "before the mentee started: 400" "$(bearer "$L1" POST /v1/training/pairs "{\"tenant\":\"$T\",\"mentee\":\"$N1\",\"mentor\":\"$P1\",\"kind\":\"practice\",\"date\":\"2020-01-01\"}")" 400
contains "  names the field" "$(body)" "field 'date'"
equals "a date in the future: 400" "$(bearer "$L1" POST /v1/training/pairs "{\"tenant\":\"$T\",\"mentee\":\"$N1\",\"mentor\":\"$P1\",\"kind\":\"practice\",\"date\":\"2099-01-01\"}")" 400

# --- matching: N1 and N2 get P1 (practice) and L (theory); P1's capacity is 2
equals "proposed" "$(propose "$N1" "$P1" practice)" 201
pr1=$(jd_json .id <"$JD_TMP/b")
equals "twice for one kind: 409" "$(propose "$N1" "$P2" practice)" 409
equals "a staff member cannot approve: 403" "$(bearer "$U1" POST "/v1/training/pairs/$pr1/approve" "{\"tenant\":\"$T\"}")" 403
equals "the leader approves" "$(jd_ctl training pairs approve --tenant $T --id "$pr1" --json | jd_json .state)" active
th1=$(jd_ctl training pairs propose --tenant $T --mentee "$N1" --mentor "$L" --kind theory --json | jd_json .id)
quiet jd_ctl training pairs approve --tenant $T --id "$th1"
equals "N1 is matched" "$(jd_ctl training mentees show --tenant $T --id "$N1" --json | jd_json .state)" matched
pr2=$(jd_ctl training pairs propose --tenant $T --mentee "$N2" --mentor "$P1" --kind practice --json | jd_json .id)
equals "capacity reached: 409" "$(propose "$N4" "$P1" practice)" 409
contains "  says why" "$(body)" "capacity 2"
equals "a rejected pairing frees the seat" "$(jd_ctl training pairs reject --tenant $T --id "$pr2" --reason 'not this one' --json | jd_json .state)" rejected
equals "rejected twice: 409" "$(bearer "$L1" POST "/v1/training/pairs/$pr2/reject" "{\"tenant\":\"$T\"}")" 409
equals "then N4 gets P1" "$(propose "$N4" "$P1" practice)" 201
pr4=$(jd_json .id <"$JD_TMP/b")
quiet jd_ctl training pairs approve --tenant $T --id "$pr4"
equals "the same person for both kinds: 409" "$(propose "$N4" "$P1" theory)" 409
contains "  says why" "$(body)" "already the mentee's practice mentor"
th4=$(jd_ctl training pairs propose --tenant $T --mentee "$N4" --mentor "$H" --kind theory --json | jd_json .id)
quiet jd_ctl training pairs approve --tenant $T --id "$th4"

# --- flags: N2 (60 days, no mentor) is flagged, N3 (10 days) not yet
flags=$(jd_ctl training flags --tenant $T --json)
contains "N2 flagged" "$flags" "$N2"
if grep -q "$N3" <<<"$flags"; then not_ok "N3 not flagged yet"; else ok "N3 not flagged yet"; fi
equals "an early end needs a reason: 400" "$(bearer "$L1" POST "/v1/training/pairs/$pr4/end" "{\"tenant\":\"$T\"}")" 400
equals "ended early" "$(jd_ctl training pairs end --tenant $T --id "$pr4" --reason 调离 --json | jd_json .state)" ended
contains "N4 flagged until re-matched" "$(jd_ctl training flags --tenant $T --json)" "ended early"
equals "a talk on an ended pair: 409" "$(bearer "$L1" POST /v1/training/talks "{\"tenant\":\"$T\",\"pair\":\"$pr4\"}")" 409
pr4b=$(jd_ctl training pairs propose --tenant $T --mentee "$N4" --mentor "$P2" --kind practice --json | jd_json .id)
quiet jd_ctl training pairs approve --tenant $T --id "$pr4b"
if jd_ctl training flags --tenant $T --json | grep -q "$N4"; then not_ok "N4 re-matched: no flag"; else ok "N4 re-matched: no flag"; fi

# --- a plan from a template: on track, behind, complete; the version kept
ms='[{"key":"first_lesson","title":"政治首课","days":30,"owner":"theory"},{"key":"exam","title":"业务考试","days":90,"owner":"mentee"}]'
quiet jd_ctl training templates add --tenant $T --code new_cadre --name 新进干部成长培养计划 --milestones "$ms"
plan=$(jd_ctl training plans add --tenant $T --mentee "$N1" --template new_cadre --json | jd_json .id)
quiet jd_ctl training templates add --tenant $T --code new_cadre --name 新进干部成长培养计划 --milestones "$ms"
show=$(jd_ctl training plans show --tenant $T --id "$plan" --json)
equals "behind: the first lesson (30 days) is overdue" "$(jd_json .state <<<"$show")" behind
equals "the plan keeps version 1" "$(jd_json .template_version <<<"$show")" 1
equals "the mentee records the lesson" "$(bearer "$M1" POST "/v1/training/plans/$plan/milestones/1" "{\"tenant\":\"$T\",\"done\":\"$(day '25 days ago')\",\"notes\":\"首课笔记SECRET1\",\"self_assessment\":\"收获很大\"}")" 201
equals "  on track again" "$(jd_json .state <"$JD_TMP/b")" on_track
equals "the mentee may not score: 400" "$(bearer "$M1" POST "/v1/training/plans/$plan/milestones/1" "{\"tenant\":\"$T\",\"score\":90}")" 400
equals "the mentor scores" "$(bearer "$U1" POST "/v1/training/plans/$plan/milestones/1" "{\"tenant\":\"$T\",\"score\":90}")" 201
equals "another mentor's cadre: 404" "$(bearer "$U2" GET "/v1/training/plans/$plan?tenant=$T")" 404
equals "the mentee sees their plan" "$(bearer "$M1" GET "/v1/training/plans/$plan?tenant=$T")" 200
equals "  notes opened" "$(jd_json .milestones.0.notes <"$JD_TMP/b")" "首课笔记SECRET1"
check "the open of the notes is audited" jd_wait_for 50 bash -c \
	"'$JIANDUCTL' -c '$JD_DIR/jianductl.conf' audit search --tenant $T --json | grep -q 'plan:$plan#m.1.notes'"
if redis-cli -s "$JD_DIR/data/redis.sock" hgetall "jd:{$T}:plan:$plan" | grep -q SECRET1; then not_ok "notes sealed in Redis"; else ok "notes sealed in Redis"; fi
equals "the exam" "$(bearer "$M1" POST "/v1/training/plans/$plan/milestones/2" "{\"tenant\":\"$T\",\"done\":\"$(day '1 day ago')\"}")" 201
equals "  complete" "$(jd_json .state <"$JD_TMP/b")" complete

# --- talks: every pair is stalled (started today? no: started today, so not stalled); backdate one by a talk-less approval
equals "nothing stalled yet" "$(jd_ctl training stalled --tenant $T --json | jd_json .stalled)" "[]"
# N3 is paired with a proposal dated 40 days ago, approved 30 days ago: no talk since
quiet jd_ctl training pairs propose --tenant $T --mentee "$N3" --mentor "$P2" --kind practice --date "$(day '10 days ago')"
pr3=$(jd_json .id <<<"$(jd_ctl training pairs propose --tenant $T --mentee "$N3" --mentor "$L" --kind theory --date "$(day '10 days ago')" --json)")
pr3p=$(redis-cli -s "$JD_DIR/data/redis.sock" hget "jd:{$T}:mentee:$N3" practice_proposed)
quiet jd_ctl training pairs approve --tenant $T --id "$pr3p" --date "$(day '10 days ago')"
quiet jd_ctl training pairs approve --tenant $T --id "$pr3" --date "$(day '10 days ago')"
jd_set plugin.training stall_days 5
jd_set plugin.training digest_interval_s 1
jd_stop
jd_start
digest_seen() { redis-cli -s "$JD_DIR/data/redis.sock" xrange "jd:{$T}:events" - + | grep -q training.digest; }
check "the timer publishes the county's digest" jd_wait_for 100 digest_seen
L1=$(jd_token_for l1)
U2=$(jd_token_for p2)
dig=$(jd_ctl training digest --tenant $T --json)
contains "the stalled pair is in the digest" "$dig" "$pr3p"
contains "  the overdue milestone too? (none: plan complete)" "$(jd_json .overdue <<<"$dig")" "[]"
equals "the mentor talks" "$(bearer "$U2" POST /v1/training/talks "{\"tenant\":\"$T\",\"pair\":\"$pr3p\",\"notes\":\"谈心SECRET2\"}")" 201
equals "another's pair: 404" "$(bearer "$U2" POST /v1/training/talks "{\"tenant\":\"$T\",\"pair\":\"$pr3\"}")" 404
if jd_ctl training stalled --tenant $T --json | grep -q "$pr3p"; then not_ok "out of the digest after a talk"; else ok "out of the digest after a talk"; fi
contains "the theory pair is still stalled" "$(jd_ctl training stalled --tenant $T --json)" "$pr3"
contains "a digest event was published" "$(redis-cli -s "$JD_DIR/data/redis.sock" xrange "jd:{$T}:events" - + | tr -d '\n')" "training.digest"

# --- a course with a waiting list and attendance
quiet jd_ctl training courses add --tenant $T --code c1 --name 纪法培训 --capacity 2 --trainers tr
quiet jd_ctl training courses session --tenant $T --id c1 --date "$(day '20 days ago')" --hours 4
quiet jd_ctl training courses session --tenant $T --id c1 --date "$(day '2 days ago')" --hours 6
enrol() { jd_ctl training courses enrol --tenant $T --id c1 --person "$1" --date "$2" "${@:3}" --json | jd_json .state; }
equals "enrolled" "$(enrol "$N1" "$(day '30 days ago')")" enrolled
equals "enrolled" "$(enrol "$N2" "$(day '30 days ago')")" enrolled
equals "full: waiting" "$(enrol "$N3" "$(day '10 days ago')")" waiting
equals "a withdrawal" "$(enrol "$N2" "$(day '10 days ago')" --withdraw true)" withdrawn
contains "the first waiting moves up" "$(jd_ctl training courses show --tenant $T --id c1 --json | jd_json .enrolled_list)" "$N3"
equals "a trainer marks" "$(bearer "$TR" POST /v1/training/courses/c1/attendance "{\"tenant\":\"$T\",\"session\":1,\"person\":\"$N1\",\"mark\":\"present\"}")" 201
equals "before enrolment: not an absence (409)" "$(bearer "$TR" POST /v1/training/courses/c1/attendance "{\"tenant\":\"$T\",\"session\":1,\"person\":\"$N3\",\"mark\":\"absent\"}")" 409
equals "late counts" "$(bearer "$TR" POST /v1/training/courses/c1/attendance "{\"tenant\":\"$T\",\"session\":2,\"person\":\"$N1\",\"mark\":\"late\"}")" 201
equals "absent" "$(bearer "$TR" POST /v1/training/courses/c1/attendance "{\"tenant\":\"$T\",\"session\":2,\"person\":\"$N3\",\"mark\":\"absent\"}")" 201
equals "a bad mark: 400" "$(bearer "$TR" POST /v1/training/courses/c1/attendance "{\"tenant\":\"$T\",\"session\":2,\"person\":\"$N3\",\"mark\":\"asleep\"}")" 400
equals "staff are not trainers: 403" "$(bearer "$U1" POST /v1/training/courses/c1/attendance "{\"tenant\":\"$T\",\"session\":2,\"person\":\"$N3\",\"mark\":\"present\"}")" 403
equals "the mentee's own hours" "$(bearer "$M1" GET "/v1/training/hours?tenant=$T&person=$N1")" 200
year=$(date -u +%Y)
if [ "$(day '20 days ago' | cut -c1-4)" = "$year" ]; then equals "  10 hours" "$(jd_json .hours.0.hours <"$JD_TMP/b")" 10; fi
equals "another's hours: 403" "$(bearer "$M1" GET "/v1/training/hours?tenant=$T&person=$N3")" 403

# --- practice from a cases event: N1 on a lead's team
lead=$(add_lead "$L1" of1 letters_visits)
equals "the team is assigned" "$(bearer "$L1" POST "/v1/cases/leads/$lead/assign" "{\"tenant\":\"$T\",\"team\":\"$N1,$P1\"}")" 200
check "a practice record for N1" jd_wait_for 100 bash -c "redis-cli -s '$JD_DIR/data/redis.sock' zcard 'jd:{$T}:practice:$N1' | grep -qx 1"

# --- a county's records are its own people's and those of the tenants above it
# (who may read a roll-up reads every tenant beneath it); a sibling's below
quiet jd_ctl users add --id c9 --roles leader --tenants 590100
C9=$(jd_token_for c9)
equals "a leader of the city reads the county's records" "$(bearer "$C9" GET "/v1/training/plans/$plan?tenant=$T")" 200
equals "  but reads the city's figures" "$(bearer "$C9" GET "/v1/training/stats?tenant=590100&from=2025-01-01&to=2025-12-31")" 200
equals "  of one county" "$(jd_json .counties <"$JD_TMP/b")" 1

# --- a second plan, behind from the start (N4 started 60 days ago; the lesson was due at 30)
quiet jd_ctl training plans add --tenant $T --mentee "$N4" --template new_cadre
equals "a second plan for N1: 409" "$(bearer "$L1" POST /v1/training/plans "{\"tenant\":\"$T\",\"mentee\":\"$N1\",\"template\":\"new_cadre\"}")" 409

# --- figures with known answers
st=$(jd_ctl training stats --tenant $T --from "$(day '400 days ago')" --to "$(day today)" --compare previous-year --json)
fig() { py "[r['value'] for r in j['figures'] if r['figure']=='$1'][0]" <<<"$st"; }
equals "new cadres" "$(fig new_cadres)" 4
equals "matched both" "$(fig matched_both_mentors)" 3
equals "share" "$(fig both_mentors_share_pct)" 75.0
equals "median days start->matched" "$(fig median_days_start_to_matched)" 60
equals "plans started" "$(fig plans_started)" 2
equals "plans completed" "$(fig plans_completed)" 1
equals "milestones done" "$(fig milestones_done)" 2
equals "on time" "$(fig milestones_done_on_time)" 1
equals "talks" "$(fig talks)" 1
equals "practice" "$(fig practice_records)" 1
equals "credit hours" "$(fig credit_hours)" 10
equals "stalled now" "$(py "j['now']['stalled_pairs']" <<<"$st")" 1
equals "plans now: complete, behind, on track" "$(py "(j['now']['plans'], j['now']['plans_complete'], j['now']['plans_behind'], j['now']['plans_on_track'])" <<<"$st")" "2 1 1 0"
equals "the previous year" "$(py "[r['previous'] for r in j['figures'] if r['figure']=='new_cadres'][0]" <<<"$st")" 0
equals "the CSV has the figures" "$(jd_ctl training stats --tenant $T --from 2025-01-01 --to 2025-12-31 --csv | grep -c new_cadres)" 1

# --- talks per pair-month: talks ÷ pair-days active in the range ÷ 30.4375 (known answers).
# Pairs active: five approved today (one of them ended today: one day), two approved
# 10 days ago: 5 + 2×11 = 27 pair-days over the whole range, with one talk.
equals "pair-months" "$(fig pair_months)" 0.9
equals "talks per pair per month: 1 × 30.4375 ÷ 27" "$(fig talks_per_pair_per_month)" 1.13
equals "  the year before: no pair, no value" "$(py "[r['previous'] for r in j['figures'] if r['figure']=='talks_per_pair_per_month'][0]" <<<"$st")" None
st5=$(jd_ctl training stats --tenant $T --from "$(day '5 days ago')" --to "$(day today)" --json)
equals "  from 5 days ago: the opening balance counts the two older pairs (5 + 2×6 days)" \
	"$(py "[r['value'] for r in j['figures'] if r['figure']=='talks_per_pair_per_month'][0]" <<<"$st5")" 1.79
st5=$(jd_ctl training stats --tenant $T --from "$(day '10 days ago')" --to "$(day '6 days ago')" --json)
equals "  a range before today: 2 pairs × 5 days, no talk" \
	"$(py "[(r['value']) for r in j['figures'] if r['figure'] in ('pair_months','talks_per_pair_per_month')]" <<<"$st5")" "[0.3, 0.0]"
su=$(jd_ctl training stats --tenant $T --unit ag2 --from "$(day '400 days ago')" --to "$(day today)" --json)
equals "  one unit (ag2: its mentees' pairs, 3 + 2×11 days, the talk): 30.4375 ÷ 25" \
	"$(py "[r['value'] for r in j['figures'] if r['figure']=='talks_per_pair_per_month'][0]" <<<"$su")" 1.22
equals "  a unit's answer has no figures of now" "$(py "'now' in j" <<<"$su")" False
equals "now: as of today, saying why there is no previous year" \
	"$(py "(j['now']['as_of'] == '$(day today)', 'previous year' in j['now']['why_no_previous'])" <<<"$st")" "True True"
equals "  cadres of the county (active people)" "$(py "j['now']['cadres']" <<<"$st")" 10

# --- a second county of the city: one new cadre with both mentors since 3 days ago,
# one talk, a plan on track; the city's figures sum both counties.
T2=590103
quiet jd_ctl org tenants add --code $T2 --name 西城区 --level district --parent 590100
quiet jd_ctl org units add --tenant $T2 --code ag1 --name 派驻组 --kind agency
person2() { jd_ctl org people add --tenant $T2 --name "$1" --post "$2" --unit ag1 --start "$3" "${@:4}" --json | jd_json .id; }
L2=$(person2 何书记 leader 2010-01-01)
P3=$(person2 林干部 cadre 2015-01-01)
N5=$(person2 许小五 cadre "$(day '20 days ago')" --new_cadre true)
quiet jd_ctl training mentees add --tenant $T2 --person "$N5"
for k in "theory $L2" "practice $P3"; do
	set -- $k
	p=$(jd_ctl training pairs propose --tenant $T2 --mentee "$N5" --mentor "$2" --kind "$1" --date "$(day '3 days ago')" --json | jd_json .id)
	quiet jd_ctl training pairs approve --tenant $T2 --id "$p" --date "$(day '3 days ago')"
done
quiet jd_ctl training talks add --tenant $T2 --pair "$p"
quiet jd_ctl training templates add --tenant $T2 --code new_cadre --name 新进干部成长培养计划 --milestones "$ms"
quiet jd_ctl training plans add --tenant $T2 --mentee "$N5" --template new_cadre
quiet jd_ctl users add --id c8 --roles leader --tenants $T2
C8=$(jd_token_for c8)
equals "a leader of the sibling county: 403 on the county's records" "$(bearer "$C8" GET "/v1/training/plans/$plan?tenant=$T")" 403
contains "  saying why" "$(cat "$JD_TMP/b")" "neither among yours nor beneath one of them"
sc=$(jd_ctl training stats --tenant 590100 --from "$(day '400 days ago')" --to "$(day today)" --compare previous-year --json)
equals "the city sums two counties" "$(jd_json .counties <<<"$sc")" 2
equals "  new cadres" "$(py "[r['value'] for r in j['figures'] if r['figure']=='new_cadres'][0]" <<<"$sc")" 5
equals "  talks per pair per month: 2 × 30.4375 ÷ (27 + 2×4)" "$(py "[r['value'] for r in j['figures'] if r['figure']=='talks_per_pair_per_month'][0]" <<<"$sc")" 1.74
equals "  plans now: all, complete, behind, on track" "$(py "(j['now']['plans'], j['now']['plans_complete'], j['now']['plans_behind'], j['now']['plans_on_track'])" <<<"$sc")" "3 1 1 1"
equals "  stalled now (the county's one)" "$(py "j['now']['stalled_pairs']" <<<"$sc")" 1
equals "  cadres of both counties" "$(py "j['now']['cadres']" <<<"$sc")" 13
equals "the province too" "$(jd_ctl training stats --tenant 590000 --from "$(day '400 days ago')" --to "$(day today)" --json | py "(j['counties'], j['now']['plans'])")" "2 3"
equals "the second county's recount: no drift" "$(jd_ctl training recount --tenant $T2 --json | jd_json .drift)" 0

# --- recount: no drift
rc=$(jd_ctl training recount --tenant $T --json)
equals "recount: no drift" "$(jd_json .drift <<<"$rc")" 0
jd_stop
jd_no_sanitizer_report
jd_finish
