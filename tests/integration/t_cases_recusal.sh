#!/usr/bin/env bash
# The cases plugin, stage 4: recusal through the organization's conflict
# check (own unit, declared tie to the subject's employer, a user linked to
# no person), refused with the reasons unless a leader overrides with a
# reason (audited); declared recusal decided by a leader puts the user on
# the deny list; repeat subjects found through blind indexes; deadlines:
# `cases overdue` and the timer's deadline.near / deadline.missed events.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/cases_lib.sh"

jd_instance "$JD_TMP/i" --load cases
jd_set plugin.cases check_interval_s 1
jd_set server log_level debug # the events published are logged at debug
jd_start
sock=$JD_DIR/data/redis.sock
cases_org
P_S4=$(jd_ctl org people add --tenant $T --name 钱五 --post cadre --unit ag3 --start 2020-01-01 \
	--ties "县教育局 局长是其舅父" --json | jd_json .id)
quiet jd_ctl users add --id s4 --roles staff --tenants $T --units ag3 --person "$T/$P_S4"
quiet jd_ctl users add --id s9 --roles staff --tenants $T --units ag1
idn=510681198805055678
lead=$(add_lead "$S1" ag1 letters_visits "\"subject_employer\":\"县教育局\",\"subject_id_number\":\"$idn\"")
check "a lead about someone of 县教育局" test -n "$lead"

# --- the conflict check refuses, naming the reasons
equals "s1 works in ag1, the lead's unit: 409" "$(bearer "$L1" POST "/v1/cases/leads/$lead/assign" "{\"tenant\":\"$T\",\"handler\":\"s1\"}")" 409
contains "the reason" "$(body)" "s1: works in ag1"
contains "the code" "$(body)" conflict_of_interest
equals "s4's declared tie to the employer: 409" "$(bearer "$L1" POST "/v1/cases/leads/$lead/assign" "{\"tenant\":\"$T\",\"team\":\"s2,s4\"}")" 409
contains "the tie, never its text" "$(body)" "s4: has a declared tie to the subject's employer"
if grep -q "舅父" "$JD_TMP/b"; then not_ok "the declared text is not shown"; else ok "the declared text is not shown"; fi
equals "a user linked to no person cannot be cleared: 409" "$(bearer "$L1" POST "/v1/cases/leads/$lead/assign" "{\"tenant\":\"$T\",\"handler\":\"s9\"}")" 409
contains "says why" "$(body)" "not linked to a person"
equals "s2 and s3 (ag2) are cleared" "$(bearer "$L1" POST "/v1/cases/leads/$lead/assign" "{\"tenant\":\"$T\",\"handler\":\"s2\",\"team\":\"s2,s3\"}")" 200

# --- a leader overrides, with a reason, audited
equals "staff cannot override: 403" "$(bearer "$S1" POST "/v1/cases/leads/$lead/assign-override" "{\"tenant\":\"$T\",\"handler\":\"s1\",\"reason\":\"x\"}")" 403
out=$(fails jd_ctl cases leads assign-override --tenant $T --id "$lead" --handler s1)
contains "an override needs its reason" "$out" "reason"
equals "the leader overrides" "$(bearer "$L1" POST "/v1/cases/leads/$lead/assign-override" "{\"tenant\":\"$T\",\"handler\":\"s1\",\"reason\":\"人手不足, 组长决定\"}")" 200
check "the override is audited" jd_wait_for 50 bash -c \
	"redis-cli -s '$sock' XRANGE 'jd:{$T}:audit' - + | grep -q 'cases.lead.assign.override'"
over=$(redis-cli -s "$sock" hget "jd:{$T}:lead:$lead" override.1)
contains "the record keeps what was overridden" "$over" "works in ag1"
contains "and why" "$over" "人手不足"

# --- declared recusal, decided by a leader: the deny list
equals "s1 declares recusal" "$(bearer "$S1" POST "/v1/cases/leads/$lead/recuse" "{\"tenant\":\"$T\",\"reason\":\"同学关系\"}")" 200
equals "staff cannot decide it" "$(bearer "$S2" POST "/v1/cases/leads/$lead/recusal" "{\"tenant\":\"$T\",\"user\":\"s1\",\"accept\":true}")" 403
equals "the leader accepts" "$(bearer "$L1" POST "/v1/cases/leads/$lead/recusal" "{\"tenant\":\"$T\",\"user\":\"s1\",\"accept\":true}")" 200
equals "s1 no longer sees the lead (404)" "$(bearer "$S1" GET "/v1/cases/leads/$lead?tenant=$T")" 404
show=$(jd_ctl cases leads show --tenant $T --id "$lead" --json)
equals "s1 is on the deny list" "$(jd_json .deny <<<"$show")" s1
equals "and no longer the handler" "$(jd_json .handler <<<"$show")" ""
equals "a recused user cannot be assigned again" "$(bearer "$L1" POST "/v1/cases/leads/$lead/assign-override" "{\"tenant\":\"$T\",\"handler\":\"s1\",\"reason\":\"x\"}")" 409
contains "named" "$(body)" "s1 is recused"
equals "refusing a recusal nobody declared: 409" "$(bearer "$L1" POST "/v1/cases/leads/$lead/recusal" "{\"tenant\":\"$T\",\"user\":\"s3\",\"accept\":false}")" 409

# --- repeat subjects, through blind indexes only
lead2=$(add_lead "$S1" ag1 audit "\"subject_id_number\":\" ${idn} \"")
lead3=$(add_lead "$S2" ag2 audit "\"subject_id_number\":\"$idn\"")
show=$(jd_ctl cases leads show --tenant $T --id "$lead2" --json)
equals "the subject has two other leads" "$(jd_json .subjects.0.earlier.by_id_number.leads <<<"$show")" 2
out=$(jd_ctl cases subjects check --tenant $T --id_number "$idn" --json)
equals "check: three leads name the ID number" "$(jd_json .by_id_number.count.leads <<<"$out")" 3
bearer "$S2" POST /v1/cases/subjects/check "{\"tenant\":\"$T\",\"id_number\":\"$idn\"}" >/dev/null
equals "s2 learns there are three" "$(jd_json .by_id_number.count.leads <"$JD_TMP/b")" 3
equals "but sees only its unit's" "$(jd_json .by_id_number.visible <"$JD_TMP/b")" "[\"lead:$lead3\"]"
if redis-cli -s "$sock" --scan | grep -q "$idn"; then not_ok "no key holds the ID number"; else ok "no key holds the ID number"; fi
check "the index set is keyed by a blind index" bash -c \
	"redis-cli -s '$sock' --scan --pattern 'jd:{$T}:subj:idn:*' | grep -Eq 'subj:idn:[0-9a-f]{32}:lead$'"

# --- deadlines: overdue and near, and the timer's events
late=$(add_lead "$S1" ag1 audit "\"received\":\"$(date -d '-45 days' +%F)\"")
near=$(add_lead "$S1" ag1 audit "\"received\":\"$(date -d '-27 days' +%F)\"")
out=$(jd_ctl cases overdue --tenant $T --days 0 --json)
contains "the late lead is listed" "$out" "lead:$late"
if grep -q "lead:$near" <<<"$out"; then not_ok "--days 0: only what is late"; else ok "--days 0: only what is late"; fi
out=$(jd_ctl cases overdue --tenant $T --days 5 --json)
contains "--days 5: also what is due soon" "$out" "lead:$near"
equals "the late one is marked" "$(python3 -c 'import json,sys; print([x["late"] for x in json.load(sys.stdin)["overdue"] if x["record"]==sys.argv[1]][0])' "lead:$late" <<<"$out")" True
bearer "$S2" GET "/v1/cases/overdue?tenant=$T&days=5" >/dev/null
if grep -q "$late" "$JD_TMP/b"; then not_ok "overdue is scoped (s2 sees ag2 only)"; else ok "overdue is scoped (s2 sees ag2 only)"; fi
check "deadline.missed is published" jd_wait_for 100 grep -q 'event=deadline.missed' "$JD_DIR/jiandud.log"
check "deadline.near is published" jd_wait_for 100 grep -q 'event=deadline.near' "$JD_DIR/jiandud.log"
# two more sweeps (each reads the deadlines with ZRANGEBYSCORE), not a fixed wait
zcalls() { redis-cli -s "$sock" info commandstats | tr -d '\r' | awk -F'[=,:]' '/^cmdstat_zrangebyscore:/{print $3}'; }
z0=$(zcalls)
swept_twice() { [ "$(zcalls)" -ge $((z0 + 2)) ]; }
check "two more deadline sweeps ran" jd_wait_for 300 swept_twice
equals "once per deadline, not at every sweep" "$(grep -c 'published.*event=deadline.missed' "$JD_DIR/jiandud.log")" 1

jd_stop
equals "SIGTERM: exit 0" "$JD_EXIT" 0
jd_finish
