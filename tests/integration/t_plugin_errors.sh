#!/usr/bin/env bash
# Start-up stops on a bad plugin, with a message that names it and the reason.
source "$(dirname "$0")/lib.sh"

jd_instance "$JD_TMP/i"
jd_set plugins dir "$JD_BUILD_DIR/tests/plugins"

expect_refusal() {
	local load=$1 want=$2 out rc
	jd_set plugins load "$load"
	out=$("$JIANDUD" -t -c "$JD_DIR/jiandud.conf" 2>&1) && rc=0 || rc=$?
	if [ "$load" = init_fails ] || [ "$load" = perm_undeclared ]; then
		equals "load=$load: jiandud -t passes (init runs only at start)" "$rc" 0
	else
		equals "load=$load: jiandud -t fails" "$rc" 1
		contains "load=$load: jiandud -t says why" "$out" "$want"
	fi
	out=$(timeout 60 "$JIANDUD" -c "$JD_DIR/jiandud.conf" 2>&1) && rc=0 || rc=$?
	equals "load=$load: start-up stops" "$rc" 1
	contains "load=$load: says why" "$out" "$want"
}
# the ABI this jiandud provides, as plugin.h says (appended host slots bump the minor)
abi=$(sed -n 's/^#define JD_ABI_MAJOR[[:space:]]*\([0-9]*\).*/\1/p' "$JD_SOURCE_DIR/include/jiandu/plugin.h").$(sed -n 's/^#define JD_ABI_MINOR[[:space:]]*\([0-9]*\).*/\1/p' "$JD_SOURCE_DIR/include/jiandu/plugin.h")
expect_refusal bad_abi "plugin 'bad_abi': built for plugin ABI 3.0, this jiandud provides $abi"
expect_refusal bad_layout "plugin 'bad_layout': layout signature plugin="
jd_set plugins load bad_layout
contains "bad_layout: names this jiandud's signature too" \
	"$("$JIANDUD" -t -c "$JD_DIR/jiandud.conf" 2>&1)" "differs from this jiandud's plugin="
expect_refusal perm_foreign "plugin 'perm_foreign': permission 'cases.approve' is outside its prefix 'perm_foreign.'"
expect_refusal perm_undeclared "plugin 'perm_undeclared': route POST /v1/perm_undeclared/x: permission 'perm_undeclared.write' is declared by neither the core nor plugin 'perm_undeclared'"
expect_refusal needs_missing "plugin 'needs_missing' requires plugin 'nonexistent'"
expect_refusal init_fails "plugin 'init_fails': init failed"
expect_refusal no_descriptor "exports no 'jd_plugin' descriptor"
expect_refusal ghost "plugin 'ghost': cannot load"
check "no managed redis left behind" bash -c "! pgrep -f '[r]edis-server.*$JD_DIR/data' >/dev/null"

# the same plugins in order start, and stop in reverse
jd_set plugins load "order_second,order_first"
jd_start
st=$(jd_ctl plugins --json)
equals "dependency order" "$(jd_json .plugins.0.name <<<"$st")" order_first
jd_stop
equals "SIGTERM: exit 0" "$JD_EXIT" 0
first=$(grep -n 'msg="plugin stopped" plugin=order_first' "$JD_DIR/jiandud.log" | tail -1 | cut -d: -f1)
second=$(grep -n 'msg="plugin stopped" plugin=order_second' "$JD_DIR/jiandud.log" | tail -1 | cut -d: -f1)
check "stopped in reverse order" test "$second" -lt "$first"

# a keyring others can read stops start-up
chmod 644 "$JD_DIR/keyring"
out=$(timeout 60 "$JIANDUD" -c "$JD_DIR/jiandud.conf" 2>&1) && rc=0 || rc=$?
equals "world-readable keyring: start-up stops" "$rc" 1
contains "world-readable keyring: says chmod 600" "$out" "chmod 600"
jd_finish
