#!/usr/bin/env bash
# TLS hardening: the protocol profile of each listener (control TLS 1.3 only,
# api TLS 1.2 and 1.3), client certificates from `jianductl certs issue`,
# revocation with `jianductl certs revoke` refused from the next request
# without a restart (also on a connection opened before it), a CRL that
# does not parse, and testssl over both listeners.
source "$(dirname "$0")/lib.sh"

jd_instance "$JD_TMP/i" --load example
T=$JD_DIR/tls
check "a new instance has no CRL (none revoked)" test ! -e "$T/ca.crl"
jd_start

# cert_curl NAME ARGS...: curl with tls/NAME.crt and tls/NAME.key
cert_curl() {
	local name=$1
	shift
	curl -s --cacert "$T/ca.crt" --cert "$T/$name.crt" --key "$T/$name.key" "$@"
}
# code NAME URL: the HTTP status with NAME's certificate; 000 when the handshake fails
code() {
	cert_curl "$1" -o "$JD_TMP/body" -w '%{http_code}' "$2" 2>/dev/null || true
}

# --- protocol profiles
if jd_ctl_curl --tls-max 1.2 -o /dev/null "$(jd_control_url /v1/status)" 2>"$JD_TMP/err"; then
	not_ok "control refuses TLS 1.2"
else
	ok "control refuses TLS 1.2 ($(head -c 100 "$JD_TMP/err"))"
fi
equals "control serves TLS 1.3" \
	"$(jd_ctl_curl --tlsv1.3 -o /dev/null -w '%{http_code}' "$(jd_control_url /v1/status)")" 200
equals "api serves TLS 1.2" \
	"$(jd_api_curl --tlsv1.2 --tls-max 1.2 -o /dev/null -w '%{http_code}' "$(jd_api_url /v1/status)")" 200
equals "api serves TLS 1.3" \
	"$(jd_api_curl --tlsv1.3 -o /dev/null -w '%{http_code}' "$(jd_api_url /v1/status)")" 200
if jd_api_curl --tls-max 1.2 --ciphers ECDHE-ECDSA-AES128-SHA -o /dev/null "$(jd_api_url /healthz)" 2>/dev/null; then
	not_ok "api refuses a CBC suite outside the intermediate profile"
else
	ok "api refuses a CBC suite outside the intermediate profile"
fi

# --- certs issue
out=$(jd_ctl certs issue --user bob --role viewer)
contains "issue names the key file" "$out" "$T/bob.key"
equals "the key is 0600" "$(stat -c %a "$T/bob.key")" 600
subject=$(openssl x509 -in "$T/bob.crt" -noout -subject -nameopt RFC2253)
contains "subject CN is the user" "$subject" "CN=bob"
contains "subject OU is the role" "$subject" "OU=viewer"
contains "clientAuth only" "$(openssl x509 -in "$T/bob.crt" -noout -ext extendedKeyUsage)" \
	"TLS Web Client Authentication"
contains "an EC P-256 key" "$(openssl pkey -in "$T/bob.key" -noout -text)" "prime256v1"
# verify CERT [openssl verify options]: quietly
verify() {
	local cert=$1
	shift
	openssl verify -CAfile "$T/ca.crt" "$@" "$cert" >"$JD_TMP/v" 2>&1
}
check "signed by the instance CA for client use" verify "$T/bob.crt" -purpose sslclient
serial=$(openssl x509 -in "$T/bob.crt" -noout -serial | cut -d= -f2 | tr 'A-F' 'a-f' | sed 's/^0*//')
equals "a 128-bit random serial" "$((${#serial} >= 30))" 1
list=$(jd_ctl certs list --json)
contains "the index records the serial" "$list" "\"serial\": \"$serial\""
contains "the index records the subject" "$list" '"subject": "CN=bob,OU=viewer"'
check "issued.json is a JSON array" python3 -c \
	'import json,sys; assert isinstance(json.load(open(sys.argv[1])), list)' "$T/issued.json"
before=$(sha256sum "$T/bob.key")
out=$(jd_ctl certs issue --user bob 2>&1) && rc=0 || rc=$?
equals "issuing again into the same files is refused" "$rc" 1
equals "the existing key is left alone" "$(sha256sum "$T/bob.key")" "$before"
out=$(jd_ctl certs issue --user Bob 2>&1) && rc=0 || rc=$?
equals "a user name that is not a user id is a usage error" "$rc" 2

# --- the issued certificates at work
# bob's roles come from his user record (the security core's users); a
# certificate without the permission is authenticated (403), not refused (401)
jd_ctl users add --id bob --roles viewer --tenants t1 >/dev/null 2>&1 || true
equals "api: bob's certificate is authenticated, lacks users.read: 403" \
	"$(code bob "$(jd_api_url /v1/users)")" 403
if [ "$(code bob "$(jd_control_url /v1/status)")" != 000 ]; then
	ok "control: bob's certificate completes the handshake"
else
	not_ok "control: bob's certificate completes the handshake"
fi
jd_ctl certs issue --user carol --role admin >/dev/null
equals "api: an issued admin certificate: 200" "$(code carol "$(jd_api_url /v1/status)")" 200
equals "control: an issued admin certificate: 200" "$(code carol "$(jd_control_url /v1/status)")" 200

# --- certs revoke: refused on the next request, no restart
pid_before=$JD_PID
out=$(jd_ctl certs revoke --user bob) && rc=0 || rc=$?
equals "revoke exits 0" "$rc" 0
contains "revoke says the daemon reloaded" "$out" "reloaded"
equals "api: the revoked certificate gets 401" "$(code bob "$(jd_api_url /v1/users)")" 401
contains "api: the 401 says it is revoked" "$(cat "$JD_TMP/body")" "revoked"
equals "control: the revoked certificate fails the handshake" \
	"$(code bob "$(jd_control_url /v1/status)")" 000
check "jiandud was not restarted" kill -0 "$pid_before"
equals "the admin certificate still works on control" \
	"$(jd_ctl_curl -o /dev/null -w '%{http_code}' "$(jd_control_url /v1/status)")" 200
equals "the admin certificate still works on api" \
	"$(jd_api_curl -o /dev/null -w '%{http_code}' "$(jd_api_url /v1/status)")" 200
equals "another issued certificate still works" "$(code carol "$(jd_api_url /v1/status)")" 200
contains "list shows bob revoked" "$(jd_ctl certs list | grep ' bob ')" "revoked"
contains "list --json shows bob revoked" "$(jd_ctl certs list --json)" '"status": "revoked"'
contains "the CRL lists bob's serial" "$(openssl crl -in "$T/ca.crl" -noout -text | tr 'A-F' 'a-f')" \
	"$serial"
if verify "$T/bob.crt" -crl_check -CRLfile "$T/ca.crl"; then
	not_ok "openssl verify -crl_check refuses bob's certificate"
else
	contains "openssl verify -crl_check refuses bob's certificate" "$(cat "$JD_TMP/v")" "revoked"
fi
check "openssl verify -crl_check accepts the admin certificate" \
	verify "$T/admin.crt" -crl_check -CRLfile "$T/ca.crl"
out=$(jd_ctl certs revoke --user admin 2>&1) && rc=0 || rc=$?
equals "revoking the certificate jianductl uses is refused" "$rc" 1
contains "and says why" "$out" "the certificate this jianductl uses"
out=$(jd_ctl certs revoke --serial "$serial") && rc=0 || rc=$?
equals "revoking again is harmless" "$rc" 0

# A connection opened before the revocation is refused on its next request.
jd_ctl certs issue --user dave --role admin >/dev/null
ka=$(python3 - "$T" "$JD_API_PORT" "$JIANDUCTL" "$JD_DIR/jianductl.conf" <<'PY'
import http.client, ssl, subprocess, sys
tls, port, ctl, conf = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
ctx = ssl.create_default_context(cafile=f"{tls}/ca.crt")
ctx.load_cert_chain(f"{tls}/dave.crt", f"{tls}/dave.key")
c = http.client.HTTPSConnection("127.0.0.1", port, context=ctx)
codes = []
for step in range(2):
    c.request("GET", "/v1/status")
    r = c.getresponse()
    r.read()
    codes.append(str(r.status))
    if step == 0:
        subprocess.run([ctl, "-c", conf, "certs", "revoke", "--user", "dave"], check=True,
                       stdout=subprocess.DEVNULL)
print(" ".join(codes))
PY
)
equals "keep-alive: 200, then 401 after the revocation on the same connection" "$ka" "200 401"

# --- a daemon that is down: the revocation is recorded and applies at start
jd_ctl certs issue --user erin --role admin >/dev/null
jd_stop
out=$(jd_ctl certs revoke --user erin 2>&1) && rc=0 || rc=$?
equals "revoke with the daemon down exits 0" "$rc" 0
contains "and warns that it applies at the next start or reload" "$out" "not reachable"
jd_start
equals "after the start, erin's certificate gets 401" "$(code erin "$(jd_api_url /v1/status)")" 401

# --- a CRL that does not parse: the reload is refused and the old list stays
cp "$T/ca.crl" "$JD_TMP/ca.crl.good"
echo "not a CRL" >"$T/ca.crl"
out=$(jd_ctl reload 2>&1) && rc=0 || rc=$?
equals "reload with a broken CRL is refused" "$rc" 1
contains "and names tls.crl" "$out" "tls.crl"
equals "the old CRL stays in force" "$(code bob "$(jd_api_url /v1/status)")" 401
equals "the admin still gets in" \
	"$(jd_ctl_curl -o /dev/null -w '%{http_code}' "$(jd_control_url /v1/status)")" 200
if "$JIANDUD" -t -c "$JD_DIR/jiandud.conf" >"$JD_TMP/t" 2>&1; then
	not_ok "jiandud -t refuses a broken CRL"
else
	contains "jiandud -t refuses a broken CRL" "$(cat "$JD_TMP/t")" "tls.crl"
fi
cp "$JD_TMP/ca.crl.good" "$T/ca.crl"
out=$(jd_ctl certs crl) && rc=0 || rc=$?
equals "certs crl signs the list again" "$rc" 0

# --- testssl (Debian's testssl.sh 3.0.8): protocols, cipher categories, vulnerabilities
if ! command -v testssl >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq testssl.sh >/dev/null 2>&1 || true
fi
# ts_findings FILE PROFILE: what in testssl's JSON is outside the profile, one per line
ts_findings() {
	python3 - "$1" "$2" <<'PY'
import json, sys
path, profile = sys.argv[1:]
found = json.load(open(path))
by_id = {f["id"]: f for f in found}
bad = [f"{f['id']}: {f['severity']}: {f['finding']}" for f in found
       if f["severity"] in ("HIGH", "CRITICAL")]
def offered(i):
    return by_id.get(i, {}).get("finding", "").startswith("offered")
want = {"SSLv2": False, "SSLv3": False, "TLS1": False, "TLS1_1": False,
        "TLS1_2": profile == "intermediate", "TLS1_3": True, "cipherlist_NULL": False,
        "cipherlist_aNULL": False, "cipherlist_EXPORT": False, "cipherlist_LOW": False,
        "cipherlist_3DES_IDEA": False, "cipherlist_AVERAGE": False, "cipherlist_STRONG": True}
for i, on in want.items():
    if i not in by_id or offered(i) != on:
        bad.append(f"{i}: {by_id.get(i, {}).get('finding', 'not tested')}")
print("\n".join(bad))
PY
}
# ts_service FILE: what testssl found listening
ts_service() {
	python3 -c 'import json,sys; print([f["finding"] for f in json.load(open(sys.argv[1])) if f["id"] == "service"][0])' "$1"
}
# run_testssl NAME PORT PROFILE
run_testssl() {
	local t0=$SECONDS
	testssl --quiet --color 0 --warnings off --jsonfile "$JD_TMP/testssl-$1.json" -p -s -U \
		"127.0.0.1:$2" >"$JD_TMP/testssl-$1.txt" 2>&1 || true
	echo "# testssl $1 listener: $((SECONDS - t0)) s"
	equals "testssl $1: nothing outside the $3 profile, no HIGH or CRITICAL finding" \
		"$(ts_findings "$JD_TMP/testssl-$1.json" "$3")" ""
}
if command -v testssl >/dev/null 2>&1; then
	run_testssl api "$JD_API_PORT" intermediate
	run_testssl control "$JD_CONTROL_PORT" modern
	# testssl 3.0.8 has no --mtls: without a client certificate it gets no HTTP answer
	contains "testssl control: no HTTP service without a client certificate" \
		"$(ts_service "$JD_TMP/testssl-control.json")" "Couldn't determine service"
	equals "testssl api: HTTP is served without one (a token may follow)" \
		"$(ts_service "$JD_TMP/testssl-api.json")" HTTP
else
	not_ok "testssl is not installed: apt-get install testssl.sh (scripts/deps.sh)"
fi

jd_stop
equals "jiandud exits 0" "$JD_EXIT" 0
jd_finish
