# Shared by the cases tests (t_cases*.sh): an instance with the cases plugin
# and a county (510681 under city 510600 under province 510000) with units,
# people and users linked to them.  Source it after lib.sh.

# bearer TOKEN METHOD PATH [JSON]: prints the status code, the body in $JD_TMP/b
bearer() {
	local tok=$1 method=$2 path=$3 body=${4:-}
	if [ -n "$body" ]; then
		curl -s -m 20 --cacert "$JD_DIR/tls/ca.crt" -H "Authorization: Bearer $tok" -o "$JD_TMP/b" \
			-w '%{http_code}' -X "$method" -H 'Content-Type: application/json' \
			--data "$body" "$(jd_api_url "$path")"
	else
		curl -s -m 20 --cacert "$JD_DIR/tls/ca.crt" -H "Authorization: Bearer $tok" -o "$JD_TMP/b" \
			-w '%{http_code}' -X "$method" "$(jd_api_url "$path")"
	fi
}
body() { cat "$JD_TMP/b"; }

T=510681
# cases_org: the tenant tree, units, a group, people and users (tokens in $S1 $S2 $L1 $V1 $R1)
cases_org() {
	quiet jd_ctl org tenants add --code 510000 --name 四川省 --level province
	quiet jd_ctl org tenants add --code 510600 --name 德阳市 --level city --parent 510000
	quiet jd_ctl org tenants add --code $T --name 广汉市 --level county --parent 510600
	quiet jd_ctl org tenants add --code 510683 --name 绵竹市 --level county --parent 510600
	local u
	for u in "of1 第一纪检监察室 office" "ag1 第一派驻纪检监察组 agency" \
		"ag2 第二派驻纪检监察组 agency" "ag3 第三派驻纪检监察组 agency" "tw1 南兴镇纪委 township"; do
		set -- $u
		quiet jd_ctl org units add --tenant $T --code "$1" --name "$2" --kind "$3"
	done
	quiet jd_ctl org units add --tenant 510683 --code ag1 --name 派驻组 --kind agency
	P_S1=$(jd_ctl org people add --tenant $T --name 王一 --post cadre --unit ag1 --start 2020-01-01 --json | jd_json .id)
	P_S2=$(jd_ctl org people add --tenant $T --name 李二 --post cadre --unit ag2 --start 2020-01-01 --json | jd_json .id)
	P_S3=$(jd_ctl org people add --tenant $T --name 张三 --post cadre --unit ag2 --start 2020-01-01 --json | jd_json .id)
	P_L1=$(jd_ctl org people add --tenant $T --name 赵四 --post leader --unit of1 --start 2019-01-01 --json | jd_json .id)
	quiet jd_ctl org groups add --tenant $T --code tf1 --kind task_force --name 专班 --units ag1,ag2 \
		--leader "$P_L1"
	quiet jd_ctl users add --id s1 --roles staff --tenants $T --units ag1 --person "$T/$P_S1"
	quiet jd_ctl users add --id s2 --roles staff --tenants $T --units ag2 --person "$T/$P_S2"
	quiet jd_ctl users add --id s3 --roles staff --tenants $T --units ag2 --person "$T/$P_S3"
	quiet jd_ctl users add --id l1 --roles leader --tenants $T --person "$T/$P_L1"
	quiet jd_ctl users add --id v1 --roles viewer --tenants $T
	quiet jd_ctl users add --id r1 --roles reviewer --tenants $T
	S1=$(jd_token_for s1)
	S2=$(jd_token_for s2)
	S3=$(jd_token_for s3)
	L1=$(jd_token_for l1)
	V1=$(jd_token_for v1)
	R1=$(jd_token_for r1)
}

# add_lead TOKEN UNIT SOURCE [extra JSON members]: prints the new lead's id
add_lead() {
	local extra=${4:-}
	bearer "$1" POST /v1/cases/leads "{\"tenant\":\"$T\",\"unit\":\"$2\",\"source\":\"$3\",\"subject_name\":\"某甲\",\"allegation\":\"收受礼金\"${extra:+,$extra}}" >/dev/null
	jd_json .id <"$JD_TMP/b"
}

# --- the figures fixture (t_cases_stats.sh, t_report_sections.sh): known answers for the first
# half of $Y=2026 in county $T (and one lead in 510683) against the same half of $P=2025

# lead DATE UNIT SOURCE [TENANT]: registered on DATE
lead() {
	bearer "$S1" POST /v1/cases/leads "{\"tenant\":\"${4:-$T}\",\"unit\":\"$2\",\"source\":\"$3\",\"received\":\"$1\",\"subject_name\":\"某\",\"allegation\":\"x\"}" >/dev/null
	jd_json .id <"$JD_TMP/b"
}
# step LEAD VERB JSON DATE: proposed, then approved on DATE (admin: sees every unit)
step() {
	jd_ctl_curl -o /dev/null -X POST -H 'Content-Type: application/json' \
		--data "{\"tenant\":\"$T\",$3}" "$(jd_api_url "/v1/cases/$1/$2")"
	jd_ctl_curl -o "$JD_TMP/b" -X POST -H 'Content-Type: application/json' \
		--data "{\"tenant\":\"$T\",\"date\":\"$4\"}" "$(jd_api_url "/v1/cases/$1/approve")"
	jd_json .state <"$JD_TMP/b"
}
team() { quiet jd_ctl cases leads assign-override --tenant $T --id "$1" --team s2,s3 --reason fixture; }
# file LEAD DATE [JOINT]: prints the case number
file() {
	jd_ctl cases file --tenant $T --id "$1" --date "$2" ${3:+--joint_units "$3"} --json | jd_json .case
}
# investigate CASE PLAN_DATE CONCLUDE_DATE
investigate() {
	step "cases/$1" plan '"plan":"p"' "$2" >/dev/null
	step "cases/$1" conclude '"report":"r"' "$3"
}

# cases_figures_fixture: the leads, dispositions, cases and decisions (docs/cases.md's worked figures)
cases_figures_fixture() {
	Y=2026
	P=2025
	# --- a year earlier: 2 received, 1 disposed (close), 1 case (ag1, self), 1 person sanctioned
	p1=$(lead $P-02-01 ag1 letters_visits)
	p2=$(lead $P-03-01 ag2 audit)
	equals "previous: close" "$(step "leads/$p2" dispose '"way":"close"' $P-03-05)" closed
	team "$p1"
	step "leads/$p1" dispose '"way":"prelim_verification"' $P-02-03 >/dev/null
	equals "previous: to file" "$(step "leads/$p1" outcome '"outcome":"file","report":"r"' $P-02-20)" to_file
	pc=$(file "$p1" $P-02-25)
	equals "previous: the case of $P" "$pc" "$P-0001"
	equals "previous: concluded" "$(investigate "$pc" $P-03-01 $P-04-01)" concluded
	quiet jd_ctl cases case decide --tenant $T --id "$pc" --person 1 --party warning --date $P-04-10
	# disposed one year earlier, but outside the range: not counted
	equals "previous: the lead disposed" "$(jd_ctl cases leads show --tenant $T --id "$p1" --json | jd_json .dispositions)" 1

	# --- this year, first half
	a=$(lead $Y-02-01 ag1 self_supervision)
	b=$(lead $Y-02-10 ag2 self_investigation)
	c=$(lead $Y-03-01 ag1 inspection_tour)
	d=$(lead $Y-04-01 ag3 audit)
	e=$(lead $Y-06-30 tw1 judicial)
	f=$(lead $Y-07-01 of1 letters_visits) # the day after the range
	g=$(lead $Y-03-01 ag1 letters_visits 510683) # the other county of the city
	check "seven leads" test -n "$a$b$c$d$e$f$g"
	equals "a: talk inquiry" "$(step "leads/$a" dispose '"way":"talk_inquiry"' $Y-02-05)" inquiring
	team "$a"
	equals "a: escalated to verification" "$(step "leads/$a" outcome '"outcome":"escalate"' $Y-03-01)" verifying
	equals "a: to file" "$(step "leads/$a" outcome '"outcome":"file","report":"r"' $Y-03-10)" to_file
	ca=$(file "$a" $Y-03-15)
	equals "a: concluded" "$(investigate "$ca" $Y-03-20 $Y-04-25)" concluded
	quiet jd_ctl cases case decide --tenant $T --id "$ca" --person 1 --party warning --government warning --date $Y-05-01
	equals "b: closed" "$(step "leads/$b" dispose '"way":"close"' $Y-02-12)" closed
	equals "c: held" "$(step "leads/$c" dispose '"way":"hold_pending"' $Y-03-05)" held
	team "$d"
	step "leads/$d" dispose '"way":"prelim_verification"' $Y-04-02 >/dev/null
	step "leads/$d" outcome '"outcome":"file","report":"r"' $Y-04-15 >/dev/null
	cd_=$(file "$d" $Y-04-20 ag1)
	equals "d: filed by ag3 with ag1 (joint)" "$(jd_ctl cases case show --tenant $T --id "$cd_" --json | jd_json .self_handled)" 0
	investigate "$cd_" $Y-04-21 $Y-05-20 >/dev/null
	quiet jd_ctl cases case decide --tenant $T --id "$cd_" --person 1 --party expulsion --date $Y-06-01
}
