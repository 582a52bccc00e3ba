#!/usr/bin/env bash
# Browser sessions (docs/security.md, "Browser sessions"): a password set by
# an admin (Argon2id, never stored in the clear), sign-in by password or by
# client certificate minting a __Host- cookie (HttpOnly, Secure,
# SameSite=Strict, short-lived), the cookie good for GET only, sign-out,
# suspension and a new password ending sessions, failures rate-limited and
# audited.
source "$(dirname "$0")/lib.sh"

jd_instance "$JD_TMP/i" --load example
# each part of the test comes from an address of its own (SRC), so that the
# failures one part makes on purpose never reach the address's limit in another
jd_set security trusted_proxies 127.0.0.1
jd_start
SRC=10.0.0.1
sock=$JD_DIR/data/redis.sock
pw='correct horse battery'

# api BODYFILE PATH [curl args...]: no client certificate; prints the status, headers in BODYFILE.h
api() {
	local out=$1 path=$2
	shift 2
	curl -s --cacert "$JD_DIR/tls/ca.crt" -H "X-Forwarded-For: $SRC" -D "$out.h" -o "$out" \
		-w '%{http_code}' "$@" \
		"$(jd_api_url "$path")"
}
sign_in() {
	api "$JD_TMP/s" /v1/session -H 'Content-Type: application/json' \
		--data "{\"user\":\"$1\",\"password\":\"$2\"}"
}
cookie_of() { sed -n 's/^[Ss]et-[Cc]ookie: \(__Host-jd_session=[^;]*\);.*/\1/p' "$1.h" | tr -d '\r'; }

jd_ctl users add --id lena --roles leader --tenants t1 >/dev/null
jd_ctl users add --id vic --roles viewer --tenants t1 >/dev/null

# --- the password: set by an admin, hashed with Argon2id
out=$(fails jd_ctl users password --id lena --password short)
contains "a short password is refused, saying how long" "$out" "12 to 128 bytes"
contains "an admin sets a password" "$(jd_ctl users password --id lena --password "$pw" --json)" '"password_set": true'
hash=$(redis-cli -s "$sock" hget 'jd:{_sys}:password:lena' hash)
contains "Redis keeps an Argon2id hash" "$hash" '$argon2id$'
if redis-cli -s "$sock" --scan | xargs -r -n1 redis-cli -s "$sock" dump 2>/dev/null | grep -aq "horse battery"; then
	not_ok "the password is nowhere in Redis"
else
	ok "the password is nowhere in Redis"
fi
contains "the user's record does not show it" "$(jd_ctl users show --id lena --json)" '"id": "lena"'
if jd_ctl users show --id lena --json | grep -q argon2; then not_ok "users show never shows the hash"; else ok "users show never shows the hash"; fi

# --- sign-in by password
equals "a wrong password: 401" "$(sign_in lena 'wrong password!!')" 401
contains "the refusal does not say which part was wrong" "$(cat "$JD_TMP/s")" "unknown user or wrong password"
equals "an unknown user: the same 401" "$(sign_in nobody "$pw")" 401
equals "a user without a password: the same 401" "$(sign_in vic "$pw")" 401
equals "the right password: 201" "$(sign_in lena "$pw")" 201
setc=$(grep -i '^set-cookie:' "$JD_TMP/s.h" | tr -d '\r')
for attr in '__Host-jd_session=jds_' 'HttpOnly' 'Secure' 'SameSite=Strict' 'Path=/' 'Max-Age=1800'; do
	contains "the cookie has $attr" "$setc" "$attr"
done
if grep -q 'jds_' "$JD_TMP/s"; then not_ok "the body carries no secret"; else ok "the body carries no secret"; fi
contains "the body names the user and roles" "$(cat "$JD_TMP/s")" '"roles":"leader"'
c=$(cookie_of "$JD_TMP/s")
if redis-cli -s "$sock" --scan | xargs -r -n1 redis-cli -s "$sock" dump 2>/dev/null | grep -aq "${c#__Host-jd_session=jds_}"; then
	not_ok "Redis holds only the session's hash"
else
	ok "Redis holds only the session's hash"
fi
ttl=$(redis-cli -s "$sock" --scan --pattern 'jd:{_sys}:session:*' | head -1 | xargs -r redis-cli -s "$sock" ttl)
check "the session lives at most session_ttl in Redis" test "$ttl" -gt 0 -a "$ttl" -le 1800

# --- the cookie reads, and only reads
SRC=10.0.0.2
equals "the cookie reads who is signed in" "$(api "$JD_TMP/b" /v1/session -H "Cookie: $c")" 200
contains "... as a session" "$(cat "$JD_TMP/b")" '"credential":"session"'
equals "the cookie reads a GET route" "$(api "$JD_TMP/b" "/v1/example/notes?tenant=t1" -H "Cookie: other=1; $c")" 200
equals "the cookie never writes (CSRF): 403" "$(api "$JD_TMP/b" /v1/example/notes -H "Cookie: $c" -H 'Content-Type: application/json' --data '{"tenant":"t1","title":"x"}')" 403
contains "... saying why" "$(cat "$JD_TMP/b")" "a browser session reads only (GET)"
equals "nor deletes" "$(api "$JD_TMP/b" /v1/tokens/00000000000000000000000000000000 -X DELETE -H "Cookie: $c")" 403
equals "a forged cookie: 401" "$(api "$JD_TMP/b" /v1/status -H 'Cookie: __Host-jd_session=jds_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA')" 401
equals "the role still decides: a leader has no users.read" "$(api "$JD_TMP/b" /v1/users -H "Cookie: $c")" 403

# --- sign-out
equals "sign-out" "$(api "$JD_TMP/b" /v1/session -X DELETE -H "Cookie: $c")" 200
contains "... ends the session" "$(cat "$JD_TMP/b")" '"ended":true'
contains "... and clears the cookie" "$(tr -d '\r' <"$JD_TMP/b.h")" "__Host-jd_session=; Max-Age=0"
equals "the ended session is refused" "$(api "$JD_TMP/b" /v1/status -H "Cookie: $c")" 401
equals "whoami without a session: 200" "$(api "$JD_TMP/b" /v1/session)" 200
contains "... not signed in" "$(cat "$JD_TMP/b")" '"signed_in":false'
contains "whoami with an ended session says why" "$(api "$JD_TMP/b" /v1/session -H "Cookie: $c"; cat "$JD_TMP/b")" "the session has ended"

# --- suspension and a new password end sessions
SRC=10.0.0.3
sign_in lena "$pw" >/dev/null
c=$(cookie_of "$JD_TMP/s")
equals "a new session reads" "$(api "$JD_TMP/b" /v1/session -H "Cookie: $c")" 200
v=$(jd_ctl users show --id lena --json | jd_json .version)
quiet jd_ctl users edit --id lena --version "$v" --status suspended
no_sessions() { [ -z "$(redis-cli -s "$sock" --scan --pattern 'jd:{_sys}:session:*')" ]; }
check "suspending the user deletes their sessions in Redis" jd_wait_for 50 no_sessions
equals "... and the cookie is refused" "$(api "$JD_TMP/b" /v1/status -H "Cookie: $c")" 401
equals "a suspended user cannot sign in" "$(sign_in lena "$pw")" 401
v=$(jd_ctl users show --id lena --json | jd_json .version)
quiet jd_ctl users edit --id lena --version "$v" --status active
sign_in lena "$pw" >/dev/null
c=$(cookie_of "$JD_TMP/s")
quiet jd_ctl users password --id lena --password "another long password"
check "a new password ends the sessions" jd_wait_for 50 no_sessions
equals "... the old cookie is refused" "$(api "$JD_TMP/b" /v1/status -H "Cookie: $c")" 401

# --- sign-in by client certificate
quiet jd_ctl certs issue --user vic --role viewer
T=$JD_DIR/tls
code=$(curl -s --cacert "$T/ca.crt" --cert "$T/vic.crt" --key "$T/vic.key" -D "$JD_TMP/c.h" \
	-o "$JD_TMP/c" -w '%{http_code}' -X POST "$(jd_api_url /v1/session)")
equals "a client certificate signs in" "$code" 201
c=$(cookie_of "$JD_TMP/c")
equals "... and its cookie reads without the certificate" "$(api "$JD_TMP/b" /v1/session -H "Cookie: $c")" 200
contains "... as vic" "$(cat "$JD_TMP/b")" '"user":"vic"'
code=$(jd_api_curl -o "$JD_TMP/c" -w '%{http_code}' -X POST "$(jd_api_url /v1/session)")
equals "the instance admin's certificate needs no session" "$code" 409

# --- failures are rate-limited per user and audited
SRC=10.0.0.4
for i in $(seq 1 10); do sign_in lena "wrong password $i" >/dev/null; done
equals "the 11th failure for a user: 429" "$(sign_in lena "another long password")" 429
out=$(jd_ctl audit search --tenant _sys --action session.create --json)
contains "sign-ins are audited: success" "$out" '"outcome": "ok"'
contains "... and refusal" "$out" '"outcome": "denied"'
contains "... naming the user" "$out" '"target": "user:lena"'

jd_stop
jd_no_sanitizer_report
jd_finish
