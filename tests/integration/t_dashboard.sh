#!/usr/bin/env bash
# The dashboard in a real browser (docs/ui.md): headless Debian chromium
# driven by playwright-core (ui/test/dashboard.test.mjs) signs in with a
# password, checks each headline figure against the API's answer for the
# cases figures fixture, the CSV download against the table, the
# definitions, the English toggle, the print stylesheet, sign-out; no
# console error, no CSP violation, no request leaving the instance, and no
# serious axe violation.  Screenshots and a PDF are kept in the build
# directory (ui-artifacts/).  Also: the committed ui/dist is what
# ui/build.mjs makes of ui/src.  Skips (77) only when chromium is absent.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/cases_lib.sh"

chromium=${JD_CHROMIUM:-/usr/bin/chromium}
if [ ! -x "$chromium" ]; then
	echo "SKIP: no chromium at $chromium (Debian package chromium; make deps installs it)"
	exit 77
fi
ui=$JD_SOURCE_DIR/ui
if [ ! -d "$ui/node_modules/playwright-core" ]; then
	not_ok "ui/node_modules is missing: run scripts/ui-deps.sh (make deps does)"
	jd_finish
	exit 1
fi
artifacts=$JD_BUILD_DIR/ui-artifacts
mkdir -p "$artifacts"

# --- the committed build is the sources' build
node "$ui/build.mjs" "$JD_TMP/dist"
if diff -r "$JD_TMP/dist" "$ui/dist" >"$JD_TMP/distdiff"; then
	ok "ui/dist is the build of ui/src (node ui/build.mjs)"
else
	not_ok "ui/dist is stale: run node ui/build.mjs ($(head -c 300 "$JD_TMP/distdiff"))"
fi

jd_instance "$JD_TMP/i" --load cases
jd_set ui dir "$ui/dist"
jd_start
cases_org
cases_figures_fixture
# staffing data: approved posts (the people are cases_org's), and the organization as it stood
# at the end of June and a year earlier (entered as from the paper reports: org_history.h)
posts() {
	local v
	v=$(jd_ctl org units show --tenant "$1" --code "$2" --json | jd_json .version)
	quiet jd_ctl org units edit --tenant "$1" --code "$2" --posts "$3" --version "$v"
}
for u in "of1 2" "ag1 4" "ag2 4" "ag3 4" "tw1 2"; do
	set -- $u
	posts $T "$1" "$2"
done
posts 510683 ag1 3
hist() { quiet jd_ctl org history set --tenant "$1" --month "$2" "${@:3}"; }
hist $T $Y-06 --centralized true --modes task_force --posts 16 --filled 4 --agency_posts 12 \
	--agency_filled 3 --breaches 3
hist $T $P-06 --posts 16 --filled 3 --agency_posts 12 --agency_filled 2 --breaches 3
hist 510683 $Y-06 --modes area --posts 3 --filled 0 --agency_posts 3 --breaches 1
hist 510683 $P-06 --posts 3 --filled 1 --agency_posts 3 --agency_filled 1 --breaches 1
pw='a leader reads the report'
quiet jd_ctl users password --id l1 --password "$pw"
# a leader of the city reads its counties (docs/security.md, "Organization and figures")
quiet jd_ctl users add --id cl1 --roles leader --tenants 510600
quiet jd_ctl users password --id cl1 --password "$pw"

if ! jd_ctl report --tenant $T --from $Y-01-01 --to $Y-06-30 --json >"$JD_TMP/api.json"; then
	not_ok "GET /v1/report answers (the dashboard has nothing to show): $(head -c 300 "$JD_TMP/api.json")"
	jd_stop
	jd_finish
	exit 1
fi
if ! jd_ctl report --tenant $T --from $Y-01-01 --to $Y-06-30 --by unit --json >"$JD_TMP/units.json"; then
	not_ok "GET /v1/report?by=unit answers for the county: $(head -c 300 "$JD_TMP/units.json")"
fi
equals "the fixture has staffing data: 4 in post of 16 posts at the end of June" \
	"$(py '[f["value"] for s in j["sections"] for f in s["figures"] if f["key"]=="org.staffing_rate"][0]' <"$JD_TMP/api.json")" 25.0
if ! jd_ctl report --tenant 510600 --from $Y-01-01 --to $Y-06-30 --by tenant --json >"$JD_TMP/city.json"; then
	not_ok "GET /v1/report?by=tenant answers for the city: $(head -c 300 "$JD_TMP/city.json")"
fi
if JD_UI_URL="$(jd_api_url "/ui/?tenant=$T&from=$Y-01-01&to=$Y-06-30")" JD_UI_USER=l1 \
	JD_UI_CITY_URL="$(jd_api_url "/ui/?tenant=510600&from=$Y-01-01&to=$Y-06-30")" \
	JD_UI_CITY_USER=cl1 JD_UI_CITY_API_JSON="$JD_TMP/city.json" \
	JD_UI_PASSWORD="$pw" JD_UI_API_JSON="$JD_TMP/api.json" JD_UI_ARTIFACTS="$artifacts" \
	JD_UI_UNIT_API_JSON="$JD_TMP/units.json" \
	JD_CHROMIUM="$chromium" node "$ui/test/dashboard.test.mjs" >"$JD_TMP/browser.out" 2>&1; then
	rc=0
else
	rc=$?
fi
cat "$JD_TMP/browser.out"
equals "the browser test passed" "$rc" 0
check "a screenshot is kept" test -s "$artifacts/dashboard.png"

jd_stop
jd_no_sanitizer_report
jd_finish
