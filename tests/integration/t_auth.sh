#!/usr/bin/env bash
# Users, roles and bearer tokens: each role against route classes, scope for
# tenant admins, suspension, revocation and expiry taking effect on the next
# request, and the failed-authentication limit.
source "$(dirname "$0")/lib.sh"

jd_instance "$JD_TMP/i" --load example
jd_start
sock=$JD_DIR/data/redis.sock

# bearer BODYFILE TOKEN PATH [curl args...]: prints the status code
bearer() {
	local out=$1 tok=$2 path=$3
	shift 3
	curl -s --cacert "$JD_DIR/tls/ca.crt" -H "Authorization: Bearer $tok" -o "$out" \
		-w '%{http_code}' "$@" "$(jd_api_url "$path")"
}
token_for() {
	jd_ctl tokens create --user "$1" --ttl "${2:-1d}" --json | jd_json .token
}

jd_ctl users add --id alice --roles staff --tenants t1 --display_name "Alice" >/dev/null
jd_ctl users add --id bob --roles viewer --tenants t1 >/dev/null
jd_ctl users add --id ada --roles auditor >/dev/null
jd_ctl users add --id carol --roles tenant_admin --tenants t1 >/dev/null
out=$(jd_ctl users add --id alice --roles staff 2>&1) && rc=0 || rc=$?
contains "a user id is unique" "$out" "409"
out=$(jd_ctl users add --id eve --roles wizard 2>&1) && rc=0 || rc=$?
contains "an unknown role is refused, named" "$out" "unknown role 'wizard'"

alice=$(token_for alice)
contains "a token is shown at creation" "$alice" "jdt_"
list=$(jd_ctl tokens list --json)
if [[ "$list" == *"$alice"* ]]; then not_ok "the token is never shown again"; else ok "the token is never shown again"; fi
if redis-cli -s "$sock" --scan | xargs -r -n1 redis-cli -s "$sock" dump 2>/dev/null | grep -aq "${alice#jdt_}"; then
	not_ok "Redis holds no token, only its hash"
else
	ok "Redis holds no token, only its hash"
fi

# --- staff: reads and writes case-like routes, no administration
equals "staff: status" "$(bearer "$JD_TMP/b" "$alice" /v1/status)" 200
equals "staff: plugin read" "$(bearer "$JD_TMP/b" "$alice" "/v1/example/notes?tenant=t1")" 200
equals "staff: plugin write" "$(bearer "$JD_TMP/b" "$alice" /v1/example/notes -H 'Content-Type: application/json' --data '{"tenant":"t1","title":"by alice"}')" 201
equals "staff: users list is forbidden" "$(bearer "$JD_TMP/b" "$alice" /v1/users)" 403
contains "403 names the permission" "$(cat "$JD_TMP/b")" "lacks the permission users.read"
equals "staff: tokens are forbidden" "$(bearer "$JD_TMP/b" "$alice" /v1/tokens)" 403
show=$(jd_ctl example notes list --tenant t1 --json)
contains "the note records who wrote it" "$(jd_ctl example notes show --tenant t1 --id "$(jd_json .notes.0.id <<<"$show")" --json)" '"created_by": "alice"'

# --- viewer and auditor: no case content
bob=$(token_for bob)
equals "viewer: status" "$(bearer "$JD_TMP/b" "$bob" /v1/status)" 200
equals "viewer: no case content" "$(bearer "$JD_TMP/b" "$bob" "/v1/example/notes?tenant=t1")" 403
ada=$(token_for ada)
equals "auditor: no case content" "$(bearer "$JD_TMP/b" "$ada" "/v1/example/notes?tenant=t1")" 403

# --- tenant admin: manages users of their own tenants only
carol=$(token_for carol)
equals "tenant admin: adds a user in their tenant" "$(bearer "$JD_TMP/b" "$carol" /v1/users -H 'Content-Type: application/json' --data '{"id":"dave","roles":"staff","tenants":"t1"}')" 201
equals "tenant admin: not in another tenant" "$(bearer "$JD_TMP/b" "$carol" /v1/users -H 'Content-Type: application/json' --data '{"id":"zed","roles":"staff","tenants":"t2"}')" 403
equals "tenant admin: no admin role" "$(bearer "$JD_TMP/b" "$carol" /v1/users -H 'Content-Type: application/json' --data '{"id":"zed","roles":"admin","tenants":"t1"}')" 403
bearer "$JD_TMP/users" "$carol" /v1/users >/dev/null
ids=$(python3 -c 'import json,sys; print(",".join(u["id"] for u in json.load(open(sys.argv[1]))["users"]))' "$JD_TMP/users")
equals "tenant admin: lists only their tenant's users" "$ids" "alice,bob,carol,dave"
equals "tenant admin: a user outside their scope is 404" "$(bearer "$JD_TMP/b" "$carol" /v1/users/ada)" 404
equals "tenant admin: no token to act as a staff member" "$(bearer "$JD_TMP/b" "$carol" /v1/tokens -H 'Content-Type: application/json' --data '{"user":"dave","ttl":"2h"}')" 403
contains "and says why" "$(cat "$JD_TMP/b")" "roles you do not hold"
jd_ctl users add --id tina --roles tenant_admin --tenants t1 >/dev/null
equals "tenant admin: a token for a peer in their tenant" "$(bearer "$JD_TMP/b" "$carol" /v1/tokens -H 'Content-Type: application/json' --data '{"user":"tina","ttl":"2h"}')" 201
equals "tenant admin: not for a user outside their scope" "$(bearer "$JD_TMP/b" "$carol" /v1/tokens -H 'Content-Type: application/json' --data '{"user":"ada"}')" 404
bearer "$JD_TMP/toks" "$carol" /v1/tokens >/dev/null
owners=$(python3 -c 'import json,sys; print(",".join(sorted(set(t["user"] for t in json.load(open(sys.argv[1]))["tokens"]))))' "$JD_TMP/toks")
equals "tenant admin: lists only their users' tokens" "$owners" "alice,bob,carol,tina"
ada_id=$(jd_ctl tokens list --user ada --json | jd_json .tokens.0.id)
equals "tenant admin: cannot revoke a token outside their scope" "$(bearer "$JD_TMP/b" "$carol" "/v1/tokens/$ada_id" -X DELETE)" 404
equals "tenant admin: no case content" "$(bearer "$JD_TMP/b" "$carol" "/v1/example/notes?tenant=t1")" 403

# --- certificates name users too: a staff certificate gets staff's rights, even on control
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$JD_TMP/alice.key" \
	-subj /CN=alice -out "$JD_TMP/alice.csr" 2>/dev/null
printf 'extendedKeyUsage=clientAuth\n' >"$JD_TMP/ext"
openssl x509 -req -in "$JD_TMP/alice.csr" -CA "$JD_DIR/tls/ca.crt" -CAkey "$JD_DIR/tls/ca.key" \
	-CAcreateserial -CAserial "$JD_TMP/ca.srl" -days 1 -extfile "$JD_TMP/ext" -out "$JD_TMP/alice.crt" 2>/dev/null
acurl() { curl -s --cacert "$JD_DIR/tls/ca.crt" --cert "$JD_TMP/alice.crt" --key "$JD_TMP/alice.key" -o /dev/null -w '%{http_code}' "$@"; }
equals "staff certificate: plugin read on api" "$(acurl "$(jd_api_url "/v1/example/notes?tenant=t1")")" 200
equals "staff certificate on control: still no reload" "$(acurl -X POST "$(jd_control_url /v1/reload)")" 403
equals "staff certificate on control: no metrics" "$(acurl "$(jd_control_url /metrics)")" 403

# --- suspension, revocation, expiry: on the next request, no restart
v=$(jd_ctl users show --id alice --json | jd_json .version)
jd_ctl users edit --id alice --version "$v" --status suspended >/dev/null
equals "suspended: the token is refused at once" "$(bearer "$JD_TMP/b" "$alice" /v1/status)" 401
contains "and says why" "$(cat "$JD_TMP/b")" "suspended"
equals "suspended: the certificate too" "$(acurl "$(jd_api_url /v1/status)")" 401
bob_id=$(jd_ctl tokens list --user bob --json | jd_json .tokens.0.id)
jd_ctl tokens revoke --id "$bob_id" >/dev/null
equals "revoked token: refused on the next request" "$(bearer "$JD_TMP/b" "$bob" /v1/status)" 401
contains "and says why" "$(cat "$JD_TMP/b")" "revoked"
contains "tokens list shows it revoked" "$(jd_ctl tokens list --user bob --json)" '"revoked": true'
hash=$(python3 -c 'import hashlib,sys; print(hashlib.blake2b(sys.argv[1].encode(), digest_size=32).hexdigest())' "$ada")
redis-cli -s "$sock" hset "jd:{_sys}:token:$hash" expires 1000 >/dev/null
equals "expired token: refused" "$(bearer "$JD_TMP/b" "$ada" /v1/status)" 401
contains "and says why" "$(cat "$JD_TMP/b")" "expired"
equals "an unknown token: 401" "$(bearer "$JD_TMP/b" "jdt_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" /v1/status)" 401

# --- the failed-authentication limit: it hits the guesser, not the address's other users
for i in $(seq 1 12); do bearer /dev/null "jdt_wrong$i" /v1/status >/dev/null; done
equals "after 10 failures from one address, a wrong token: 429" "$(bearer "$JD_TMP/b" jdt_wrong13 /v1/status)" 429
contains "429 says for how long" "$(cat "$JD_TMP/b")" "retry in"
equals "a valid token from the same address still works" "$(bearer "$JD_TMP/b" "$carol" /v1/status)" 200
code=$(jd_ctl_curl -o /dev/null -w '%{http_code}' "$(jd_control_url /v1/status)")
equals "the administrator's certificate still works" "$code" 200

# forwarding headers count only from a trusted proxy: not yet, so X-Forwarded-For is ignored
equals "X-Forwarded-For from an untrusted peer is ignored (still 429)" \
	"$(bearer "$JD_TMP/b" jdt_wrong14 /v1/status -H 'X-Forwarded-For: 10.9.9.9')" 429
sed 's/^\[security\]$/[security]\ntrusted_proxies = 10.0.0.0\/33/' "$JD_DIR/jiandud.conf" >"$JD_DIR/bad.conf"
out=$(fails "$JIANDUD" -t -c "$JD_DIR/bad.conf")
contains "a bad trusted_proxies entry is refused, named" "$out" "security.trusted_proxies: '10.0.0.0/33'"
jd_set security trusted_proxies "127.0.0.1, ::1"
jd_ctl reload >/dev/null
xff() { bearer "$JD_TMP/b" "$1" /v1/status -H "X-Forwarded-For: $2"; }
equals "behind the trusted proxy, another client's wrong token: 401" "$(xff jdt_other1 '198.51.100.7')" 401
# the client may forge the left of the chain: the proxy's right end names it
for i in $(seq 1 11); do xff "jdt_guess$i" "10.1.1.$i, 203.0.113.5" >/dev/null; done
equals "a client behind the proxy that guessed: 429" "$(xff jdt_guess12 '203.0.113.5')" 429
equals "the same client's valid token: 200" "$(xff "$carol" '203.0.113.5')" 200
equals "another client behind the proxy: 401, not locked out" "$(xff jdt_other2 '198.51.100.7')" 401
code=$(bearer "$JD_TMP/b" jdt_other3 /v1/status -H 'Forwarded: for="[2001:db8::7]:4711";proto=https')
equals "Forwarded (RFC 7239) names the client too" "$code" 401
# a guess at one token (its beginning known) is refused before any lookup, from any address
for i in $(seq 1 10); do xff "jdt_ZZZZZZZZ$i" "192.0.2.$i" >/dev/null; done
equals "10 failures with one token beginning: 429 from a fresh address" "$(xff jdt_ZZZZZZZZ99 192.0.2.99)" 429
contains "and says why" "$(cat "$JD_TMP/b")" "token's beginning"
equals "other tokens from that address are not affected" "$(xff "$carol" 192.0.2.99)" 200

# the counters live in Redis: a restart does not give the guesser a fresh start
check "the counters are in Redis" test -n "$(redis-cli -s "$sock" --scan --pattern 'jd:{_sys}:rl:*' | head -1)"
if redis-cli -s "$sock" --scan --pattern 'jd:{_sys}:rl:*' | grep -q '203\.0\.113\|ZZZZ'; then
	not_ok "no address or token text in their keys"
else
	ok "no address or token text in their keys"
fi
jd_stop
jd_start
equals "after a restart, the guesser's next wrong token: 429 at once" "$(xff jdt_guess13 '203.0.113.5')" 429
equals "and its valid token: 200" "$(xff "$carol" '203.0.113.5')" 200
xff jdt_ZZZZZZZZ100 192.0.2.100 >/dev/null # the first try after the restart is looked up, then known
equals "the guessed token beginning stays refused after a restart" "$(xff jdt_ZZZZZZZZ101 192.0.2.101)" 429
contains "and says why" "$(cat "$JD_TMP/b")" "token's beginning"

jd_stop
equals "SIGTERM: exit 0" "$JD_EXIT" 0
jd_finish
