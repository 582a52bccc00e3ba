#!/usr/bin/env bash
# The cases plugin, stage 1: leads with sealed subjects, allegation and
# reporter (the reporter under the lead's own key: opened only with
# cases.reporter.read, shreddable); scope; the four ways of disposition,
# each proposed and approved; illegal transitions answer 409 naming the
# allowed ones; dates validated; nothing sealed in Redis or the AOF.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/cases_lib.sh"

jd_instance "$JD_TMP/i" --load cases
jd_start
sock=$JD_DIR/data/redis.sock
cases_org

marker="M$(head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \n')"
idn="51068119800101$(printf '%04d' $((RANDOM % 10000)))"

# --- a lead through the CLI, with a reporter
add=$(jd_ctl cases leads add --tenant $T --source letters_visits --unit ag1 --received 2026-01-05 \
	--subject_name "王某$marker" --subject_id_number "$idn" --subject_post 局长 \
	--subject_employer 县教育局 --allegation "收受礼金 $marker" --reporter_name "举报人$marker" \
	--reporter_contact "139$marker" --json)
lead=$(jd_json .id <<<"$add")
check "a lead is registered" grep -Eq '^[0-9a-f]{32}$' <<<"$lead"
equals "its state" "$(jd_json .state <<<"$add")" registered

show=$(jd_ctl cases leads show --tenant $T --id "$lead" --json)
equals "the subject opens" "$(jd_json .subjects.0.name <<<"$show")" "王某$marker"
equals "the ID number opens" "$(jd_json .subjects.0.id_number <<<"$show")" "$idn"
equals "the allegation opens" "$(jd_json .allegation <<<"$show")" "收受礼金 $marker"
equals "the reporter is not in show" "$(jd_json .reporter <<<"$show")" "sealed (cases leads reporter)"
equals "received" "$(jd_json .received <<<"$show")" 2026-01-05
equals "a deadline" "$(jd_json .due <<<"$show")" 2026-02-04
if grep -q "举报人" <<<"$show"; then not_ok "show never holds the reporter"; else ok "show never holds the reporter"; fi

# --- the reporter: leaders only, audited
equals "staff of the unit: 403 for the reporter" "$(bearer "$S1" GET "/v1/cases/leads/$lead/reporter?tenant=$T")" 403
equals "a leader opens the reporter" "$(bearer "$L1" GET "/v1/cases/leads/$lead/reporter?tenant=$T")" 200
equals "the reporter's name" "$(jd_json .reporter.name <"$JD_TMP/b")" "举报人$marker"
check "the reporter's open is audited" jd_wait_for 50 bash -c \
	"jd() { '$JIANDUCTL' -c '$JD_DIR/jianductl.conf' \"\$@\"; }; jd audit search --tenant $T --json | grep -q 'lead:$lead#reporter'"

# --- nothing sealed in clear in Redis or the append-only files
dump=$(redis-cli -s "$sock" --scan | while IFS= read -r k; do
	case $(redis-cli -s "$sock" type "$k") in
	hash) redis-cli -s "$sock" hgetall "$k" ;;
	set) redis-cli -s "$sock" smembers "$k" ;;
	zset) redis-cli -s "$sock" zrange "$k" 0 -1 ;;
	stream) redis-cli -s "$sock" xrange "$k" - + ;;
	string) redis-cli -s "$sock" get "$k" ;;
	esac
	echo "$k"
done)
contains "the scan saw the lead" "$dump" "lead:$lead"
if grep -aq "$marker" <<<"$dump"; then not_ok "no sealed value in Redis"; else ok "no sealed value in Redis"; fi
if grep -aq "$idn" <<<"$dump"; then not_ok "no ID number in Redis"; else ok "no ID number in Redis"; fi
if [ -d "$JD_DIR/data/appendonlydir" ]; then aof=$JD_DIR/data/appendonlydir; else aof=$JD_DIR/data; fi
if grep -raq "$marker" "$aof"; then not_ok "no sealed value in the AOF"; else ok "no sealed value in the AOF"; fi
contains "the reporter is sealed under the record key" "$(redis-cli -s "$sock" hget "jd:{$T}:lead:$lead" reporter)" "s1.r."

# --- input validation
out=$(fails jd_ctl cases leads add --tenant $T --source rumour --unit ag1 --subject_name x --allegation y)
contains "a bad source is named" "$out" "field 'source': 'rumour' is not a source"
out=$(fails jd_ctl cases leads add --tenant $T --source audit --unit ag9 --subject_name x --allegation y)
contains "an unknown unit is named" "$out" "no unit 'ag9'"
out=$(fails jd_ctl cases leads add --tenant $T --source audit --unit ag1 --subject_name x --allegation y --received 2999-01-01)
contains "a future date is refused" "$out" "field 'received': 2999-01-01 is in the future"
out=$(fails jd_ctl cases leads add --tenant $T --source audit --unit ag1 --subject_name x --allegation y --received 2026-02-30)
contains "an impossible date is refused" "$out" "field 'received' must be a date"
out=$(fails jd_ctl cases leads add --tenant 510600 --source audit --unit ag1 --subject_name x --allegation y)
contains "leads belong to a county" "$out" "not a county"
out=$(fails jd_ctl cases leads add --tenant $T --source audit --unit ag1 --subject_name x --allegation y --handling transfer)
contains "a transfer needs its due date" "$out" "field 'transfer_due'"

# --- scope: staff see their units' leads; hidden ones answer 404
l2=$(add_lead "$S2" ag2 audit)
check "s2 registers a lead of ag2" test -n "$l2"
equals "s1 sees its unit's lead" "$(bearer "$S1" GET "/v1/cases/leads/$lead?tenant=$T")" 200
equals "s1: a lead of ag2 is 404" "$(bearer "$S1" GET "/v1/cases/leads/$l2?tenant=$T")" 404
contains "as if absent" "$(body)" "no lead $l2 in tenant $T"
equals "s1 cannot dispose of it either" "$(bearer "$S1" POST "/v1/cases/leads/$l2/dispose" "{\"tenant\":\"$T\",\"way\":\"close\"}")" 404
equals "the viewer: 403" "$(bearer "$V1" GET "/v1/cases/leads/$lead?tenant=$T")" 403
bearer "$S1" GET "/v1/cases/leads?tenant=$T" >/dev/null
contains "s1's list holds its lead" "$(body)" "$lead"
if grep -q "$l2" "$JD_TMP/b"; then not_ok "s1's list leaves out ag2's lead"; else ok "s1's list leaves out ag2's lead"; fi
check "the hidden read is audited" jd_wait_for 50 bash -c \
	"redis-cli -s '$sock' XRANGE 'jd:{$T}:audit' - + | grep -q 'lead:$l2'"

# --- the four ways: each proposed by staff, approved by a leader
# close
equals "s2 proposes close" "$(bearer "$S2" POST "/v1/cases/leads/$l2/dispose" "{\"tenant\":\"$T\",\"way\":\"close\"}")" 200
equals "a second proposal waits: 409" "$(bearer "$S2" POST "/v1/cases/leads/$l2/dispose" "{\"tenant\":\"$T\",\"way\":\"hold_pending\"}")" 409
contains "naming what awaits" "$(body)" "awaits a leader's approval of 'dispose.close'"
equals "staff cannot approve: 403" "$(bearer "$S2" POST "/v1/cases/leads/$l2/approve" "{\"tenant\":\"$T\"}")" 403
equals "a leader approves" "$(bearer "$L1" POST "/v1/cases/leads/$l2/approve" "{\"tenant\":\"$T\"}")" 200
equals "closed" "$(jd_json .state <"$JD_TMP/b")" closed
equals "a closed lead cannot be disposed of again: 409" "$(bearer "$S2" POST "/v1/cases/leads/$l2/dispose" "{\"tenant\":\"$T\",\"way\":\"talk_inquiry\"}")" 409
contains "it is final" "$(body)" "allowed: none (closed is final)"

# hold pending, reactivated by new material, then talk inquiry ending in criticism
l3=$(add_lead "$S1" ag1 self_supervision)
quiet bearer "$S1" POST "/v1/cases/leads/$l3/dispose" "{\"tenant\":\"$T\",\"way\":\"hold_pending\"}"
equals "hold approved" "$(bearer "$L1" POST "/v1/cases/leads/$l3/approve" "{\"tenant\":\"$T\"}")" 200
equals "held" "$(jd_json .state <"$JD_TMP/b")" held
equals "an outcome on a held lead: 409" "$(bearer "$S1" POST "/v1/cases/leads/$l3/outcome" "{\"tenant\":\"$T\",\"outcome\":\"cleared\"}")" 409
contains "naming the allowed actions" "$(body)" "allowed: reactivate, extend"
equals "new material reactivates it" "$(bearer "$S1" POST "/v1/cases/leads/$l3/reactivate" "{\"tenant\":\"$T\",\"material\":\"新材料\"}")" 200
equals "registered again" "$(jd_json .state <"$JD_TMP/b")" registered
equals "an approve with nothing pending: 409" "$(bearer "$L1" POST "/v1/cases/leads/$l3/approve" "{\"tenant\":\"$T\"}")" 409
equals "an unknown way: 400 naming the field" "$(bearer "$S1" POST "/v1/cases/leads/$l3/dispose" "{\"tenant\":\"$T\",\"way\":\"ignore\"}")" 400
contains "and the four ways" "$(body)" "field 'way': 'ignore' is not one of talk_inquiry, prelim_verification, hold_pending, close"
equals "an outcome before a disposition: 409" "$(bearer "$S1" POST "/v1/cases/leads/$l3/outcome" "{\"tenant\":\"$T\",\"outcome\":\"cleared\"}")" 409
contains "naming the allowed actions" "$(body)" "dispose (talk_inquiry, prelim_verification, hold_pending, close)"
quiet bearer "$S1" POST "/v1/cases/leads/$l3/dispose" "{\"tenant\":\"$T\",\"way\":\"talk_inquiry\"}"
equals "talk inquiry approved" "$(bearer "$L1" POST "/v1/cases/leads/$l3/approve" "{\"tenant\":\"$T\"}")" 200
equals "inquiring" "$(jd_json .state <"$JD_TMP/b")" inquiring
quiet bearer "$S1" POST "/v1/cases/leads/$l3/outcome" "{\"tenant\":\"$T\",\"outcome\":\"criticism\"}"
equals "a leader rejects the outcome" "$(bearer "$L1" POST "/v1/cases/leads/$l3/reject" "{\"tenant\":\"$T\",\"reason\":\"再谈\"}")" 200
equals "still inquiring" "$(jd_json .state <"$JD_TMP/b")" inquiring
quiet bearer "$S1" POST "/v1/cases/leads/$l3/outcome" "{\"tenant\":\"$T\",\"outcome\":\"criticism\"}"
quiet bearer "$L1" POST "/v1/cases/leads/$l3/approve" "{\"tenant\":\"$T\"}"
equals "concluded by criticism" "$(jd_json .state <"$JD_TMP/b")" concluded
show=$(jd_ctl cases leads show --tenant $T --id "$l3" --json)
equals "the outcome is kept" "$(jd_json .outcome <<<"$show")" criticism
equals "two dispositions" "$(jd_json .dispositions <<<"$show")" 2

# preliminary verification: needs a team of two, ends in a report
l4=$(add_lead "$S1" ag1 inspection_tour "\"received\":\"2026-01-10\"")
equals "verification without a team: 400" "$(bearer "$S1" POST "/v1/cases/leads/$l4/dispose" "{\"tenant\":\"$T\",\"way\":\"prelim_verification\"}")" 400
contains "asks for a team" "$(body)" "a team of at least two"
equals "the team is assigned (no conflict)" "$(bearer "$L1" POST "/v1/cases/leads/$l4/assign" "{\"tenant\":\"$T\",\"handler\":\"s2\",\"team\":\"s2,s3\"}")" 200
quiet bearer "$S1" POST "/v1/cases/leads/$l4/dispose" "{\"tenant\":\"$T\",\"way\":\"prelim_verification\"}"
equals "an approval dated before receipt: 400" "$(bearer "$L1" POST "/v1/cases/leads/$l4/approve" "{\"tenant\":\"$T\",\"date\":\"2026-01-09\"}")" 400
contains "naming the order" "$(body)" "is before"
equals "verification approved (dated after the fact)" "$(bearer "$L1" POST "/v1/cases/leads/$l4/approve" "{\"tenant\":\"$T\",\"date\":\"2026-01-12\"}")" 200
equals "verifying" "$(jd_json .state <"$JD_TMP/b")" verifying
equals "an outcome without its report: 400" "$(bearer "$S1" POST "/v1/cases/leads/$l4/outcome" "{\"tenant\":\"$T\",\"outcome\":\"close\"}")" 400
equals "outcome hold with a report" "$(bearer "$S1" POST "/v1/cases/leads/$l4/outcome" "{\"tenant\":\"$T\",\"outcome\":\"hold\",\"report\":\"初核报告 $marker\"}")" 200
quiet bearer "$L1" POST "/v1/cases/leads/$l4/approve" "{\"tenant\":\"$T\"}"
equals "held after verification" "$(jd_json .state <"$JD_TMP/b")" held
show=$(jd_ctl cases leads show --tenant $T --id "$l4" --json)
equals "the report opens" "$(jd_json .report <<<"$show")" "初核报告 $marker"
equals "the stored report is sealed" "$(redis-cli -s "$sock" hget "jd:{$T}:lead:$l4" report | cut -c1-3)" "s1."
check "the back-dated approval is marked in the audit trail" jd_wait_for 50 bash -c \
	"redis-cli -s '$sock' XRANGE 'jd:{$T}:audit' - + | grep -q 'cases.lead.approve.dispose.prelim_verification.backdated'"

# a stale version is refused
v=$(jd_ctl cases leads show --tenant $T --id "$l4" --json | jd_json .version)
equals "a stale version: 409" "$(bearer "$S1" POST "/v1/cases/leads/$l4/reactivate" "{\"tenant\":\"$T\",\"version\":$((v - 1))}")" 409

# --- extensions move the deadline
l5=$(add_lead "$S1" ag1 audit)
due=$(jd_ctl cases leads show --tenant $T --id "$l5" --json | jd_json .due)
quiet bearer "$S1" POST "/v1/cases/leads/$l5/extend" "{\"tenant\":\"$T\",\"days\":10,\"reason\":\"材料多\"}"
quiet bearer "$L1" POST "/v1/cases/leads/$l5/approve" "{\"tenant\":\"$T\"}"
due2=$(jd_ctl cases leads show --tenant $T --id "$l5" --json | jd_json .due)
equals "the deadline moved by 10 days" "$(( ($(date -d "$due2" +%s) - $(date -d "$due" +%s)) / 86400 ))" 10

# --- crypto-shredding of the reporter
equals "staff cannot shred" "$(bearer "$S1" POST "/v1/cases/leads/$lead/shred" "{\"tenant\":\"$T\"}")" 403
equals "a leader shreds the reporter" "$(bearer "$L1" POST "/v1/cases/leads/$lead/shred" "{\"tenant\":\"$T\"}")" 200
bearer "$L1" GET "/v1/cases/leads/$lead/reporter?tenant=$T" >/dev/null
equals "the reporter is gone" "$(jd_json .reporter <"$JD_TMP/b")" shredded
equals "no wrapped key left" "$(redis-cli -s "$sock" hexists "jd:{$T}:lead:$lead" rkey)" 0

jd_stop
equals "SIGTERM: exit 0" "$JD_EXIT" 0
jd_finish
