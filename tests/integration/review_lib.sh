# Shared by the review tests (t_review*.sh): on top of cases_lib.sh's county,
# a review office (rv1) with reviewers ra, rb, rc, re, one (rd) who moved in
# from agency ag1, and its head rh; and helpers that take a case from a lead
# to the conclusion.  Source it after lib.sh and cases_lib.sh.

review_org() {
	quiet jd_ctl org units add --tenant $T --code rv1 --name 案件审理室 --kind review_office
	local u p
	for u in ra:王审 rb:李审 rc:张审 re:陈审; do
		p=$(jd_ctl org people add --tenant $T --name "${u#*:}" --post cadre --unit rv1 \
			--start 2020-01-01 --json | jd_json .id)
		quiet jd_ctl users add --id "${u%%:*}" --roles reviewer --tenants $T --units rv1 --person "$T/$p"
	done
	p=$(jd_ctl org people add --tenant $T --name 刘审 --post cadre --unit ag1 --start 2018-01-01 --json | jd_json .id)
	quiet jd_ctl org people move --tenant $T --id "$p" --version 1 --to_unit rv1 --date 2024-01-02 --reason 轮岗
	quiet jd_ctl users add --id rd --roles reviewer --tenants $T --units rv1 --person "$T/$p"
	p=$(jd_ctl org people add --tenant $T --name 周主任 --post head --unit rv1 --start 2015-01-01 --json | jd_json .id)
	quiet jd_ctl users add --id rh --roles leader --tenants $T --units rv1 --person "$T/$p"
	RA=$(jd_token_for ra)
	RB=$(jd_token_for rb)
	RC=$(jd_token_for rc)
	RD=$(jd_token_for rd)
	RE=$(jd_token_for re)
	RH=$(jd_token_for rh)
}

# filed_case: a lead of ag1 verified by the team s2,s3 and filed; prints the case number
filed_case() {
	local lead
	lead=$(add_lead "$S1" ag1 audit)
	quiet bearer "$L1" POST "/v1/cases/leads/$lead/assign" "{\"tenant\":\"$T\",\"team\":\"s2,s3\"}"
	quiet bearer "$S1" POST "/v1/cases/leads/$lead/dispose" "{\"tenant\":\"$T\",\"way\":\"prelim_verification\"}"
	quiet bearer "$L1" POST "/v1/cases/leads/$lead/approve" "{\"tenant\":\"$T\"}"
	quiet bearer "$S1" POST "/v1/cases/leads/$lead/outcome" "{\"tenant\":\"$T\",\"outcome\":\"file\",\"report\":\"r\"}"
	quiet bearer "$L1" POST "/v1/cases/leads/$lead/approve" "{\"tenant\":\"$T\"}"
	jd_ctl cases file --tenant $T --id "$lead" --json | jd_json .case
}

# investigate NO: the plan approved and one measure (proposed by s1, approved by l1)
investigate() {
	quiet bearer "$S1" POST "/v1/cases/cases/$1/plan" "{\"tenant\":\"$T\"}"
	quiet bearer "$L1" POST "/v1/cases/cases/$1/approve" "{\"tenant\":\"$T\"}"
	quiet bearer "$S1" POST "/v1/cases/cases/$1/measure" "{\"tenant\":\"$T\",\"kind\":\"talk\"}"
	quiet bearer "$L1" POST "/v1/cases/cases/$1/approve" "{\"tenant\":\"$T\"}"
}

# conclude NO: the investigators propose warning for person 1, a leader approves
PROPOSALS='[{\"person\":1,\"characterization\":\"integrity_discipline\",\"party\":\"warning\",\"government\":\"none\"}]'
conclude() {
	quiet bearer "$S1" POST "/v1/cases/cases/$1/conclude" \
		"{\"tenant\":\"$T\",\"report\":\"r\",\"proposals\":\"$PROPOSALS\",\"materials\":\"report,evidence,talk_records\"}"
	quiet bearer "$L1" POST "/v1/cases/cases/$1/approve" "{\"tenant\":\"$T\"}"
}

case_state() { jd_ctl cases case show --tenant $T --id "$1" --json | jd_json .state; }
review_state() { jd_ctl review reviews show --tenant $T --id "$1" --json 2>/dev/null | jd_json .state 2>/dev/null || true; }
case_is() { [ "$(case_state "$1")" = "$2" ]; }
review_is() { [ "$(review_state "$1")" = "$2" ]; }
# figure JSON NAME: the value of one figure of a stats answer
figure() { python3 -c 'import json,sys; print({r["figure"]: r["value"] for r in json.load(sys.stdin)["figures"]}[sys.argv[1]])' "$2" <<<"$1"; }

# dated_case DATE: a case of ag1 whose every step, the conclusion included, is dated DATE
dated_case() {
	local d=$1 lead no
	lead=$(add_lead "$S1" ag1 audit "\"received\":\"$d\"")
	quiet bearer "$L1" POST "/v1/cases/leads/$lead/assign" "{\"tenant\":\"$T\",\"team\":\"s2,s3\"}"
	quiet bearer "$S1" POST "/v1/cases/leads/$lead/dispose" "{\"tenant\":\"$T\",\"way\":\"prelim_verification\"}"
	quiet bearer "$L1" POST "/v1/cases/leads/$lead/approve" "{\"tenant\":\"$T\",\"date\":\"$d\"}"
	quiet bearer "$S1" POST "/v1/cases/leads/$lead/outcome" "{\"tenant\":\"$T\",\"outcome\":\"file\",\"report\":\"r\"}"
	quiet bearer "$L1" POST "/v1/cases/leads/$lead/approve" "{\"tenant\":\"$T\",\"date\":\"$d\"}"
	no=$(jd_ctl cases file --tenant $T --id "$lead" --date "$d" --json | jd_json .case)
	quiet bearer "$S1" POST "/v1/cases/cases/$no/plan" "{\"tenant\":\"$T\"}"
	quiet bearer "$L1" POST "/v1/cases/cases/$no/approve" "{\"tenant\":\"$T\",\"date\":\"$d\"}"
	dated_conclude "$no" "$d"
	echo "$no"
}

dated_conclude() {
	quiet bearer "$S1" POST "/v1/cases/cases/$1/conclude" \
		"{\"tenant\":\"$T\",\"report\":\"r\",\"proposals\":\"$PROPOSALS\"}"
	quiet bearer "$L1" POST "/v1/cases/cases/$1/approve" "{\"tenant\":\"$T\",\"date\":\"$2\"}"
}

# rv ID STEP TOKEN JSON-MEMBERS: one review step; prints the status
rv() { bearer "$3" POST "/v1/review/reviews/$1/$2" "{\"tenant\":\"$T\"${4:+,$4}}"; }

# accept_panel ID DATE: accepted on DATE, panel ra (lead) and rb, the talk waived
accept_panel() {
	quiet rv "$1" accept "$RH" "\"date\":\"$2\""
	quiet rv "$1" panel "$RH" '"lead":"ra","members":"rb"'
	quiet rv "$1" talk-waive "$L1" "\"person\":1,\"reason\":\"书面材料\",\"date\":\"$2\""
}

# finish ID DATE [CHARACTERIZATION]: work, opinion, meeting, decision approved on DATE
finish() {
	local ch=${3:-integrity_discipline} why=
	[ "$ch" = integrity_discipline ] || why=',"change_reason":"定性不准"'
	quiet rv "$1" work "$RA" "\"person\":1,\"facts\":\"confirmed\",\"evidence\":\"sufficient\",\"procedure\":\"lawful\",\"characterization\":\"$ch\",\"party\":\"warning\",\"date\":\"$2\"$why"
	quiet rv "$1" opinion "$RA" "\"date\":\"$2\""
	quiet rv "$1" meeting "$RH" "\"result\":\"agreed\",\"date\":\"$2\""
	quiet rv "$1" propose "$RA" '"action":"decide"'
	rv "$1" approve "$L1" "\"date\":\"$2\""
}
