# Shared by the training tests (t_training*.sh): a county (590102) with an
# office and two agencies, mentors of every kind, a cadre with a tie naming
# a new cadre, four new cadres registered as mentees, and users linked to
# them (tokens in $L1 leader, $M1 mentee N1, $U1 mentor P1, $U2 mentor P2,
# $TR trainer).  Source it after lib.sh and cases_lib.sh, once the daemon runs.

training_org() {
	T=590102
	day() { date -u -d "$1" +%F; }
	S60=$(day "60 days ago")
	S10=$(day "10 days ago")
	quiet jd_ctl org tenants add --code 590000 --name 示范省 --level province
	quiet jd_ctl org tenants add --code 590100 --name 示范市 --level city --parent 590000
	quiet jd_ctl org tenants add --code $T --name 东城区 --level county --parent 590100
	for u in "of1 第一纪检监察室 office" "ag1 第一派驻纪检监察组 agency" "ag2 第二派驻纪检监察组 agency"; do
		set -- $u
		quiet jd_ctl org units add --tenant $T --code "$1" --name "$2" --kind "$3"
	done
	person() { jd_ctl org people add --tenant $T --name "$1" --post "$2" --unit "$3" --start "$4" "${@:5}" --json | jd_json .id; }
	L=$(person 赵书记 leader of1 2010-01-01)
	H=$(person 钱组长 head ag1 2012-01-01)
	P1=$(person 孙干部 cadre ag1 2015-01-01)
	P2=$(person 李干部 cadre ag2 2016-01-01)
	J=$(person 周新人 cadre ag1 "$(day '1 year ago')")
	C=$(person 吴干部 cadre ag2 2014-01-01 --ties 郑小新的舅舅)
	N1=$(person 郑小新 cadre ag1 "$S60" --new_cadre true)
	N2=$(person 王小二 cadre ag1 "$S60" --new_cadre true)
	N3=$(person 冯小三 cadre ag2 "$S10" --new_cadre true)
	N4=$(person 陈小四 cadre ag2 "$S60" --new_cadre true)
	quiet jd_ctl users add --id l1 --roles leader --tenants $T --person "$T/$L"
	quiet jd_ctl users add --id m1 --roles staff --tenants $T --units ag1 --person "$T/$N1"
	quiet jd_ctl users add --id p1 --roles staff --tenants $T --units ag1 --person "$T/$P1"
	quiet jd_ctl users add --id p2 --roles staff --tenants $T --units ag2 --person "$T/$P2"
	quiet jd_ctl users add --id tr --roles trainer --tenants $T
	L1=$(jd_token_for l1)
	M1=$(jd_token_for m1)
	U1=$(jd_token_for p1)
	U2=$(jd_token_for p2)
	TR=$(jd_token_for tr)
	quiet jd_ctl training link --tenant $T --user p1 --person "$P1"
	quiet jd_ctl training link --tenant $T --user p2 --person "$P2"
	quiet jd_ctl training link --tenant $T --user l1 --person "$L"

	# --- mentees
	for n in "$N1" "$N2" "$N3" "$N4"; do quiet jd_ctl training mentees add --tenant $T --person "$n"; done
	quiet jd_ctl training link --tenant $T --user m1 --person "$N1"
}
