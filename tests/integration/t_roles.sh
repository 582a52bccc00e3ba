#!/usr/bin/env bash
# Each role against each class of route, through bearer tokens on the api
# listener: the permission matrix of docs/security.md, end to end.
source "$(dirname "$0")/lib.sh"

jd_instance "$JD_TMP/i" --load example
jd_start

# route class -> request
declare -A path=(
	[status]=/v1/status
	[case_read]="/v1/example/notes?tenant=t1"
	[users]=/v1/users
	[tokens]=/v1/tokens
	[audit]="/v1/audit/tail?tenant=t1"
)
classes="status case_read case_write users tokens audit"
# expected status per role, in the order of $classes (case_write: 201 created)
declare -A want=(
	[leader]="200 200 201 403 403 403"
	[staff]="200 200 201 403 403 403"
	[reviewer]="200 403 403 403 403 403"
	[trainer]="200 403 403 403 403 403"
	[auditor]="200 403 403 403 403 200"
	[viewer]="200 403 403 403 403 403"
	[tenant_admin]="200 403 403 200 200 403"
)
jd_ctl example notes add --tenant t1 --title seed >/dev/null
for role in "${!want[@]}"; do
	user=u_$role
	user=${user//_/-}
	jd_ctl users add --id "$user" --roles "$role" --tenants t1 >/dev/null
	tok=$(jd_ctl tokens create --user "$user" --ttl 1h --json | jd_json .token)
	got=""
	for c in $classes; do
		if [ "$c" = case_write ]; then
			code=$(curl -s --cacert "$JD_DIR/tls/ca.crt" -H "Authorization: Bearer $tok" \
				-H 'Content-Type: application/json' --data '{"tenant":"t1","title":"by role"}' \
				-o /dev/null -w '%{http_code}' "$(jd_api_url /v1/example/notes)")
		else
			code=$(curl -s --cacert "$JD_DIR/tls/ca.crt" -H "Authorization: Bearer $tok" \
				-o /dev/null -w '%{http_code}' "$(jd_api_url "${path[$c]}")")
		fi
		got="$got $code"
	done
	equals "$role: $classes" "${got# }" "${want[$role]}"
done

jd_stop
equals "SIGTERM: exit 0" "$JD_EXIT" 0
jd_finish
