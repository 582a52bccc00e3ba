#!/usr/bin/env bash
# The dashboard's files at /ui/ on the api listener (docs/ui.md): only
# regular files under ui.dir (no traversal, no symbolic link, no dot file),
# their content types, a strict Content-Security-Policy and the other
# security headers, revalidation by ETag, GET only, not on the control
# listener; by default the files installed beside jiandud.
source "$(dirname "$0")/lib.sh"

jd_instance "$JD_TMP/i"
jd_start
# get PATH [curl args]: status; body in $JD_TMP/g, headers in $JD_TMP/g.h
get() {
	local path=$1
	shift
	curl -s --path-as-is --cacert "$JD_DIR/tls/ca.crt" -D "$JD_TMP/g.h" -o "$JD_TMP/g" \
		-w '%{http_code}' "$@" "$(jd_api_url "$path")"
}
hdr() { sed -n "s/^$1: //Ip" "$JD_TMP/g.h" | tr -d '\r'; }

equals "by default, the build's files: /ui/ is the page" "$(get /ui/)" 200
cmp -s "$JD_TMP/g" "$JD_SOURCE_DIR/ui/dist/index.html" && ok "... ui/dist/index.html" || not_ok "... ui/dist/index.html"
jd_stop

# --- a directory of our own
ui=$JD_TMP/www
mkdir -p "$ui/assets" "$ui/.git"
printf '<!doctype html><title>t</title>\n' >"$ui/index.html"
printf 'console.log(1)\n' >"$ui/app.js"
printf 'body{}\n' >"$ui/assets/app.css"
printf 'secret\n' >"$ui/.git/config"
printf 'secret\n' >"$ui/.env.js"
printf 'outside\n' >"$JD_TMP/outside.js"
ln -s "$JD_TMP/outside.js" "$ui/link.js"
printf 'binary\n' >"$ui/tool.exe"
jd_set ui dir "$ui"
jd_start

equals "/ui redirects to /ui/" "$(get /ui)" 301
equals "... by Location" "$(hdr Location)" "/ui/"
equals "/ui/ serves index.html" "$(get /ui/)" 200
equals "... as HTML" "$(hdr Content-Type)" "text/html; charset=utf-8"
csp=$(hdr Content-Security-Policy)
for d in "default-src 'self'" "script-src 'self'" "style-src 'self'" "frame-ancestors 'none'" "object-src 'none'" "base-uri 'none'"; do
	contains "CSP: $d" "$csp" "$d"
done
if [[ "$csp" == *unsafe-inline* || "$csp" == *unsafe-eval* ]]; then not_ok "CSP allows nothing inline"; else ok "CSP allows nothing inline"; fi
equals "nosniff" "$(hdr X-Content-Type-Options)" nosniff
equals "no referrer" "$(hdr Referrer-Policy)" no-referrer
equals "revalidated each time" "$(hdr Cache-Control)" no-cache
etag=$(hdr ETag)
equals "an unchanged file answers 304" "$(get /ui/ -H "If-None-Match: $etag")" 304
equals "JavaScript" "$(get /ui/app.js)" 200
equals "... typed" "$(hdr Content-Type)" "text/javascript; charset=utf-8"
equals "a file in a folder" "$(get /ui/assets/app.css)" 200
equals "... typed CSS" "$(hdr Content-Type)" "text/css; charset=utf-8"
equals "no such file: 404" "$(get /ui/nothing.js)" 404
equals "a dot folder is not served" "$(get /ui/.git/config)" 404
equals "a dot file is not served" "$(get /ui/.env.js)" 404
equals "a symbolic link is not followed" "$(get /ui/link.js)" 404
equals "an unknown type is not served" "$(get /ui/tool.exe)" 404
equals "no traversal by .." "$(get /ui/../jiandud.conf)" 404
equals "no traversal by %2e%2e" "$(get /ui/%2e%2e/jiandud.conf)" 404
equals "no traversal by an encoded slash" "$(get /ui/..%2fjiandud.conf)" 404
equals "no traversal by assets/../.." "$(get /ui/assets/../../outside.js)" 404
equals "read only: POST is 405" "$(get /ui/ -X POST --data x)" 405
code=$(jd_ctl_curl -o /dev/null -w '%{http_code}' "$(jd_control_url /ui/)")
equals "not on the control listener" "$code" 404
jd_stop

# --- a ui.dir that is not there stops start-up, naming it
jd_set ui dir "$JD_TMP/none"
out=$("$JIANDUD" -c "$JD_DIR/jiandud.conf" 2>&1) && rc=0 || rc=$?
check "a missing ui.dir stops start-up" test "$rc" -ne 0
contains "... naming it" "$out$(tail -3 "$JD_DIR/jiandud.log")" "ui.dir"
jd_no_sanitizer_report
jd_finish
