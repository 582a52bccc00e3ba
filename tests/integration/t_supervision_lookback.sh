#!/usr/bin/env bash
# The supervision plugin, stage 2: a closed item's look-back finds a
# rebound (反弹): the item reopens, is flagged as sham rectification, its
# closure leaves the figures; a finding on it, approved by a leader, is
# published as the durable event supervision.lead_raised and becomes a
# lead in the cases plugin (source self_supervision, linked back to the
# item), with subject and allegation sealed for the lead: never plaintext
# in the stream.  The daemon is killed (kill -9) between the publishing
# mutation and the cases plugin's handling; the next process applies the
# event, once.  Then escalation of an overdue item: the group leader, then
# the overseeing leader, each once, forgotten when the item moves.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/sup_lib.sh"

trap 'jd_cleanup; kill $REDIS_PID 2>/dev/null || true' EXIT
sup_redis

# first without the cases plugin: the event waits in the stream
jd_instance "$JD_TMP/i" --load supervision
jd_set redis url "unix://$rdir/redis.sock"
jd_set events poll_ms 100
jd_set events sweep_ms 200
# the escalation check stays quiet until its own section: it writes the
# overdue items, and a write between a step's read and its mutation would
# answer that step 409 (read again), as it would a user
jd_set plugin.supervision check_interval_s 3600
jd_start
cases_org

# --- an item closed on 2026-02-12, its look-back due 90 days later
item=$(sup_closed "$S1" "$S2" "$L1")
equals "closed" "$(R HGET "jd:{$T}:item:$item" state)" closed
lb=$(jd_ctl supervision lookbacks --tenant $T --json)
contains "due for a look-back" "$lb" "$item"
# the listing shows only what the caller may see: staff of ag3 see none of it
quiet jd_ctl users add --id s4 --roles staff --tenants $T --units ag3
S4=$(jd_token_for s4)
equals "s4 (ag3) lists the look-backs" "$(bearer "$S4" GET "/v1/supervision/lookbacks?tenant=$T")" 200
equals "and sees none of ag2's items" "$(py 'len(j["items"])' <"$JD_TMP/b")" 0
equals "s2 (ag2, the rectifying unit) sees its item" "$(bearer "$S2" GET "/v1/supervision/lookbacks?tenant=$T")" 200
contains "listed for s2" "$(body)" "$item"
equals "a look-back before its date: 400" "$(sup_post "$L1" "/v1/supervision/items/$item/lookback" '"result":"passed","date":"2026-05-01"')" 400
equals "a rebound needs a new deadline" "$(sup_post "$L1" "/v1/supervision/items/$item/lookback" '"result":"rebound","date":"2026-05-20"')" 400
equals "the unit cannot look back at its own: 403" "$(sup_post "$S2" "/v1/supervision/items/$item/lookback" '"result":"passed","date":"2026-05-20"')" 403
equals "a rebound" "$(sup_post "$L1" "/v1/supervision/items/$item/lookback" '"result":"rebound","date":"2026-05-20","deadline":"2026-07-31"')" 200
show=$(jd_ctl supervision items show --tenant $T --id "$item" --json)
equals "reopened" "$(jd_json .state <<<"$show")" in_progress
equals "sham rectification" "$(jd_json .sham <<<"$show")" 1
equals "the new deadline" "$(jd_json .deadline <<<"$show")" 2026-07-31
equals "the original deadline kept" "$(jd_json .deadline_orig <<<"$show")" 2026-03-31
equals "look-back result" "$(jd_json .lookback <<<"$show")" rebound
lb=$(jd_ctl supervision lookbacks --tenant $T --json)
if [[ "$lb" == *"$item"* ]]; then not_ok "no longer due"; else ok "no longer due"; fi
st=$(jd_ctl supervision stats --tenant $T --from 2026-01-01 --to 2026-06-30 --json)
fig() { py "[r['value'] for r in j['figures'] if r['figure']=='$1'][0]" <<<"$st"; }
equals "the closure left the figures" "$(fig items_rectified)" 0
equals "one look-back" "$(fig lookbacks_done)" 1
equals "one rebound" "$(fig lookback_rebounds)" 1
equals "rebound rate" "$(fig rebound_rate_pct)" 100.0

# --- a finding on the item, approved: the lead is published
marker="M$(head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \n')"
f=$(jd_ctl supervision findings add --tenant $T --source "item:$item" --unit ag1 \
	--subject_name "王某$marker" --subject_id_number 510681198001010011 --subject_post 局长 \
	--allegation "虚假整改 $marker" --date 2026-05-21 --json | jd_json .id)
check "a finding" test -n "$f"
show=$(jd_ctl supervision findings show --tenant $T --id "$f" --json)
equals "its subject opens" "$(jd_json .subject.name <<<"$show")" "王某$marker"
equals "its allegation opens" "$(jd_json .allegation <<<"$show")" "虚假整改 $marker"
lead=$(jd_json .lead <<<"$show")
equals "staff cannot approve: 403" "$(sup_post "$S1" "/v1/supervision/findings/$f/decide" '"approve":true,"date":"2026-05-22"')" 403
equals "a leader approves" "$(sup_post "$L1" "/v1/supervision/findings/$f/decide" '"approve":true,"date":"2026-05-22"')" 200
equals "raised" "$(jd_json .state <"$JD_TMP/b")" raised
equals "the event is in the stream" "$(R XLEN "jd:{$T}:events")" 1
stream=$(R XRANGE "jd:{$T}:events" - +)
contains "named" "$stream" supervision.lead_raised
if grep -aq "$marker" <<<"$stream"; then not_ok "no plaintext in the event"; else ok "no plaintext in the event"; fi
if grep -aq 510681198001010011 <<<"$stream"; then not_ok "no ID number in the event"; else ok "no ID number in the event"; fi
equals "the item links the lead" "$(R HGET "jd:{$T}:item:$item" lead)" "$lead"
equals "approved once" "$(sup_post "$L1" "/v1/supervision/findings/$f/decide" '"approve":true')" 409

# --- a rebound that names its accountability finding: the reopening and the finding, one step
i2=$(sup_closed "$S1" "$S2" "$L1")
equals "closed" "$(R HGET "jd:{$T}:item:$i2" state)" closed
equals "a passed look-back raises no finding: 400" "$(sup_post "$L1" "/v1/supervision/items/$i2/lookback" \
	'"result":"passed","date":"2026-05-20","allegation":"x","subject_name":"y"')" 400
equals "a finding names its subject: 400" "$(sup_post "$L1" "/v1/supervision/items/$i2/lookback" \
	'"result":"rebound","date":"2026-05-20","deadline":"2026-07-31","allegation":"x"')" 400
equals "the item untouched by the refusals" "$(R HGET "jd:{$T}:item:$i2" state)" closed
equals "a rebound with its finding" "$(sup_post "$L1" "/v1/supervision/items/$i2/lookback" \
	"\"result\":\"rebound\",\"date\":\"2026-05-20\",\"deadline\":\"2026-07-31\",\"subject_name\":\"李某$marker\",\"allegation\":\"未整改 $marker\"")" 200
f2=$(jd_json .finding <"$JD_TMP/b")
equals "reopened" "$(R HGET "jd:{$T}:item:$i2" state)" in_progress
equals "the item names its finding" "$(R HGET "jd:{$T}:item:$i2" finding)" "$f2"
show=$(jd_ctl supervision findings show --tenant $T --id "$f2" --json)
equals "the finding: proposed" "$(jd_json .state <<<"$show")" proposed
equals "on the item" "$(jd_json .source <<<"$show")" "item:$i2"
equals "of the issuing unit" "$(jd_json .unit <<<"$show")" ag1
equals "its subject opens" "$(jd_json .subject.name <<<"$show")" "李某$marker"
equals "one version" "$(jd_json .version <<<"$show")" 1
# one audit entry for both: the rebound's (the one finding.create is the first finding's)
equals "two rebound entries" "$(R XRANGE "jd:{$T}:audit" - + | grep -c '^supervision\.item\.lookback\.rebound')" 2
equals "no entry of the finding's own" "$(R XRANGE "jd:{$T}:audit" - + | grep -c '^supervision\.finding\.create')" 1
if R XRANGE "jd:{$T}:audit" - + | grep -aq "未整改 $marker"; then not_ok "no plaintext in the audit"; else ok "no plaintext in the audit"; fi

# --- kill -9 before the cases plugin handled it; then a process that loads it
kill -KILL "$JD_PID"
wait "$JD_PID" 2>/dev/null || true
JD_PID=
equals "no lead yet" "$(R EXISTS "jd:{$T}:lead:$lead")" 0
jd_set plugins load cases,supervision
jd_start
lead_there() { [ "$(R HGET "jd:{$T}:lead:$lead" state)" = registered ]; }
check "restarted: the lead is registered in cases" jd_wait_for 150 lead_there
show=$(jd_ctl cases leads show --tenant $T --id "$lead" --json)
equals "source self_supervision" "$(jd_json .source <<<"$show")" self_supervision
equals "linked back to the item" "$(jd_json .source_record <<<"$show")" "item:$item"
equals "and the finding" "$(jd_json .finding <<<"$show")" "$f"
equals "the subject opens in cases" "$(jd_json .subjects.0.name <<<"$show")" "王某$marker"
equals "the allegation opens in cases" "$(jd_json .allegation <<<"$show")" "虚假整改 $marker"
equals "received" "$(jd_json .received <<<"$show")" 2026-05-22
chk=$(jd_ctl cases subjects check --tenant $T --id_number 510681198001010011 --json)
contains "the repeat-subject index knows it" "$chk" "$lead"
nothing_pending() { [ "$(R XPENDING "jd:{$T}:events" cases | head -1)" = 0 ]; }
check "acknowledged" jd_wait_for 100 nothing_pending
# once more: kill -9 and restart; the lead is not registered twice
kill -KILL "$JD_PID"
wait "$JD_PID" 2>/dev/null || true
JD_PID=
jd_start
cs=$(jd_ctl cases stats --tenant $T --from 2026-05-01 --to 2026-05-31 --json)
equals "counted once in cases" "$(py "[r['value'] for r in j['figures'] if r['figure']=='source_self_supervision'][0]" <<<"$cs")" 1
st=$(jd_ctl supervision stats --tenant $T --from 2026-01-01 --to 2026-06-30 --json)
equals "leads raised by supervision" "$(fig leads_raised)" 1
rc=$(jd_ctl supervision recount --tenant $T --json)
equals "supervision recount: no drift" "$(jd_json .drift <<<"$rc")" 0
rc=$(jd_ctl cases recount --tenant $T --json)
equals "cases recount: no drift" "$(jd_json .drift <<<"$rc")" 0

# --- a rejected finding raises nothing
f2=$(jd_ctl supervision findings add --tenant $T --source "item:$item" --unit ag1 --subject_name x \
	--allegation y --json | jd_json .id)
equals "rejected" "$(sup_post "$L1" "/v1/supervision/findings/$f2/decide" '"approve":false,"reason":"不构成"')" 200
st=$(jd_ctl supervision stats --tenant $T --from 2026-01-01 --to 2026-12-31 --json)
equals "still one lead raised" "$(fig leads_raised)" 1
equals "no lead for the rejected finding" "$(jd_ctl supervision findings show --tenant $T --id "$f2" --json | jd_json .state)" rejected

# --- escalation: an item overdue since 2026-01-20, of task force tf1 (leader l1);
# from here the check runs every second
jd_stop
jd_set plugin.supervision check_interval_s 1
jd_start
# --- escalation: an item overdue since 2026-01-20, of task force tf1 (leader l1).  The levels
# live in the item's escalation record esc:<id>: the item's version never moves, so a step
# that read the item before the escalation still applies
old=$(sup_item "$S1" ag2 ag1 2026-01-20 '"date":"2026-01-10","groups":"tf1"')
v0=$(jd_ctl supervision items show --tenant $T --id "$old" --json | jd_json .version)
esc_is() { [ "$(R HGET "jd:{$T}:esc:$1" level)" = "$2" ]; }
# level 1 may turn into level 2 between two polls of a loaded machine: wait for its entry
esc_has() { [ -n "$(R HGET "jd:{$T}:esc:$1" "esc.$2")" ]; }
check "level 1: the group leader" jd_wait_for 100 esc_has "$old" 1
check "level 2: the overseeing leader" jd_wait_for 100 esc_is "$old" 2
equals "notices recorded once each" "$(R HGET "jd:{$T}:esc:$old" escalations)" 2
equals "level 1 went to tf1's leader" "$(R HGET "jd:{$T}:esc:$old" esc.1 | cut -d'|' -f3)" "$P_L1"
equals "level 2: tf1 has no overseeing leader recorded" "$(R HGET "jd:{$T}:esc:$old" esc.2 | cut -d'|' -f3)" ""
contains "the notice says so" "$(R HGET "jd:{$T}:esc:$old" esc.2.note)" "records no commission leader overseeing group tf1"
show=$(jd_ctl supervision items show --tenant $T --id "$old" --json)
equals "the item's version did not move" "$(jd_json .version <<<"$show")" "$v0"
equals "show: level 2" "$(jd_json .escalation.level <<<"$show")" 2
sent() { R HKEYS "jd:{$T}:deadlines:sent" | grep -q "item:$old#rectify"; }
check "the sweep sent supervision.overdue for it" jd_wait_for 100 sent
# a letter's reply and an order past their dates: notices too
lt=$(jd_ctl supervision letters add --tenant $T --kind prompt --unit ag1 --supervised x \
	--reply_due 2026-02-01 --date 2026-01-10 --json | jd_json .id)
tk=$(jd_ctl supervision tasks add --tenant $T --group tf1 --title t --kind coordinated_supervision \
	--units ag1 --due 2026-02-01 --date 2026-01-10 --json | jd_json .id)
sent_for() { R HKEYS "jd:{$T}:deadlines:sent" | grep -q "$1"; }
check "supervision.overdue for the letter's reply" jd_wait_for 100 sent_for "letter:$lt#reply"
check "and for the order" jd_wait_for 100 sent_for "task:$tk#due"
equals "the item moves, with the version read before the escalation" \
	"$(sup_post "$S2" "/v1/supervision/items/$old/plan" "\"plan\":\"p\",\"version\":$v0")" 200
equals "the escalation is cancelled" \
	"$(jd_ctl supervision items show --tenant $T --id "$old" --json | jd_json .escalation.level)" 0
# a sub-group with its own leader: level 1 to it, level 2 to the leader of its parent (tf1)
P_L2=$(jd_ctl org people add --tenant $T --name 钱五 --post leader --unit of1 --start 2019-01-01 --json | jd_json .id)
quiet jd_ctl org groups add --tenant $T --code tf1-a --kind sub_group --parent tf1 --function general \
	--name 综合组 --leader "$P_L2"
other=$(sup_item "$S1" ag2 ag1 2026-01-20 '"date":"2026-01-10","groups":"tf1-a"')
check "the other reaches level 2" jd_wait_for 100 esc_is "$other" 2
equals "level 1 to the sub-group's leader" "$(R HGET "jd:{$T}:esc:$other" esc.1 | cut -d'|' -f3)" "$P_L2"
equals "level 2 to the commission leader over it (tf1's)" "$(R HGET "jd:{$T}:esc:$other" esc.2 | cut -d'|' -f3)" "$P_L1"
# the check ran since the move: the moved item (planned today) stays quiet
equals "the moved item was not escalated again" "$(R HGET "jd:{$T}:esc:$old" escalations)" 2

jd_stop
equals "clean exit" "$JD_EXIT" 0
jd_no_sanitizer_report
jd_finish
