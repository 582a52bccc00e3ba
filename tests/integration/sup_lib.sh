# Shared by the supervision tests (t_supervision*.sh): the cases fixtures
# (county 510681 with of1, ag1..ag3, tw1, task force tf1 led by l1; tokens
# $S1 $S2 $S3 $L1 $V1 $R1) and helpers.  Source it after lib.sh.
source "$(dirname "${BASH_SOURCE[0]}")/cases_lib.sh"

# sup_item TOKEN UNIT ISSUER DEADLINE [extra JSON members]: prints the new item's id
sup_item() {
	local extra=${5:-}
	bearer "$1" POST /v1/supervision/items "{\"tenant\":\"$T\",\"unit\":\"$2\",\"issuer\":\"$3\",\"title\":\"整改问题\",\"deadline\":\"$4\"${extra:+,$extra}}" >/dev/null
	jd_json .id <"$JD_TMP/b"
}

# sup_post TOKEN PATH JSON-MEMBERS: POST with the tenant; prints the status code
sup_post() {
	bearer "$1" POST "$2" "{\"tenant\":\"$T\"${3:+,$3}}"
}
