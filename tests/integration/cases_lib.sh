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
