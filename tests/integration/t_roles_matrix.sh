#!/usr/bin/env bash
# The role matrix is built from what is loaded: the core's permissions and
# those each loaded plugin declared (GET /v1/roles, jianductl roles), and a
# role holds a plugin's permission when, and only when, the plugin declared
# it for that role.
source "$(dirname "$0")/lib.sh"

# the shipped plugins and the test plugin side by side, as an operator would install them
mkdir -p "$JD_TMP/plugins"
ln -s "$JD_BUILD_DIR"/plugins/*.so "$JD_BUILD_DIR/tests/plugins/perm_probe.so" "$JD_TMP/plugins/"

jd_instance "$JD_TMP/i" --load example
jd_set plugins dir "$JD_TMP/plugins"
jd_start

m=$(jd_ctl roles --json)
perms=$(py '" ".join(p["permission"] for p in j["permissions"])' <<<"$m")
contains "core permissions listed" "$perms" "status.read"
contains "the example plugin's listed" "$perms" "example.write"
check "no cases permission without cases.so" bash -c "! grep -q 'cases\.' <<<'$perms'"
equals "declared by" "$(py '[p["declared_by"] for p in j["permissions"] if p["permission"]=="example.read"][0]' <<<"$m")" example
equals "example.read: leader staff, not viewer" \
	"$(py '[(p["leader"], p["staff"], p["viewer"], p["admin"]) for p in j["permissions"] if p["permission"]=="example.read"][0]' <<<"$m")" \
	"True True False True"
equals "the api answers the same to any role (status.read)" \
	"$(jd_bearer "$JD_TMP/r.json" "$(jd_ctl users add --id v1 --roles viewer --tenants t1 >/dev/null && jd_token_for v1)" /v1/roles)" 200
equals "GET /v1/roles is the CLI's answer" "$(py 'len(j["permissions"])' <"$JD_TMP/r.json")" \
	"$(py 'len(j["permissions"])' <<<"$m")"

table=$(jd_ctl roles)
contains "table header" "$(head -1 <<<"$table")" "PERMISSION"
contains "table: one column per role" "$(head -1 <<<"$table")" "TENANT_ADMIN"
contains "table: a plugin's row" "$table" "example.write"
csv=$(jd_ctl roles --csv)
equals "csv header" "$(head -1 <<<"$csv" | tr -d '\r')" \
	"permission,declared_by,admin,tenant_admin,leader,staff,reviewer,trainer,auditor,viewer,summary"
contains "csv: a row" "$csv" "example.read,example,true,false,true,true,false,false,false,false,"
jd_stop
equals "SIGTERM: exit 0" "$JD_EXIT" 0

# with cases and the probe loaded, their permissions appear with their roles
jd_set plugins load "cases,example,perm_probe"
jd_start
m=$(jd_ctl roles --json)
equals "cases.approve: leader only" \
	"$(py '[(p["declared_by"], p["leader"], p["staff"], p["viewer"]) for p in j["permissions"] if p["permission"]=="cases.approve"][0]' <<<"$m")" \
	"cases True False False"
equals "cases.stats: leader, staff and viewer" \
	"$(py '[(p["leader"], p["staff"], p["viewer"], p["auditor"]) for p in j["permissions"] if p["permission"]=="cases.stats"][0]' <<<"$m")" \
	"True True True False"
contains "the probe's listed" "$(py '" ".join(p["permission"] for p in j["permissions"])' <<<"$m")" "perm_probe.write"

# perm_probe.read is declared for auditor and viewer, perm_probe.write for leader
for u in auditor viewer leader staff; do
	jd_ctl users add --id "p-$u" --roles "$u" --tenants t1 >/dev/null
done
probe() { # probe USER METHOD PATH -> status
	jd_bearer /dev/null "$(jd_token_for "p-$1")" "$3" -X "$2"
}
equals "auditor: read, not write" "$(probe auditor GET /v1/perm_probe/read) $(probe auditor POST /v1/perm_probe/write)" "200 403"
equals "viewer: read, not write" "$(probe viewer GET /v1/perm_probe/read) $(probe viewer POST /v1/perm_probe/write)" "200 403"
equals "leader: write, not read" "$(probe leader GET /v1/perm_probe/read) $(probe leader POST /v1/perm_probe/write)" "403 200"
equals "staff: neither" "$(probe staff GET /v1/perm_probe/read) $(probe staff POST /v1/perm_probe/write)" "403 403"
jd_stop
equals "SIGTERM: exit 0" "$JD_EXIT" 0
jd_no_sanitizer_report
jd_finish
