#!/usr/bin/env bash
# jianductl without a daemon: `init` (files, modes, certificates, keyring,
# configs, refusal to overwrite, clean-up after a failure), usage errors
# and their exit codes, and the connection and TLS failures it must name
# (against closed ports and `openssl s_server`).
set -euo pipefail

BUILD=${JD_BUILD_DIR:?set JD_BUILD_DIR to the cmake build directory}
CTL=$BUILD/jianductl
if [ ! -x "$CTL" ]; then
	echo "t_cli_init: $CTL not found: build first" >&2
	exit 1
fi

T=$(mktemp -d)
servers=()
cleanup() {
	local p
	for p in "${servers[@]}"; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	rm -rf "$T"
}
trap cleanup EXIT

export HOME=$T/home
unset JIANDUCTL_CONF
mkdir -p "$HOME"

pass=0
fail=0
ok() {
	pass=$((pass + 1))
	echo "ok - $1"
}
not_ok() {
	fail=$((fail + 1))
	echo "not ok - $1"
	if [ -n "${2:-}" ]; then printf '  %s\n' "$2"; fi
}
# check NAME COMMAND...: passes when COMMAND succeeds
check() {
	local name=$1
	shift
	if "$@"; then ok "$name"; else not_ok "$name"; fi
}
# run COMMAND...: sets rc, out and err
run() {
	set +e
	"$@" >"$T/out" 2>"$T/err"
	rc=$?
	set -e
	out=$(cat "$T/out")
	err=$(cat "$T/err")
}
# expect NAME CODE [TEXT]: the last run exited CODE and printed TEXT (stdout or stderr)
expect() {
	local name=$1 code=$2 text=${3:-}
	if [ "$rc" != "$code" ]; then
		not_ok "$name" "exit $rc, expected $code; stderr: $err"
	elif [ -n "$text" ] && ! grep -qF -- "$text" <<<"$out$err"; then
		not_ok "$name" "no '$text' in: $out$err"
	else
		ok "$name"
	fi
}
mode_is() { [ "$(stat -c %a "$1")" = "$2" ]; }
# a TCP port on 127.0.0.1 that nothing listens on
free_port() {
	local p
	for _ in $(seq 50); do
		# below the kernel's ephemeral range (32768+), which outgoing connections use
		p=$((20000 + RANDOM % 12000))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p"
			return 0
		fi
	done
	return 1
}
wait_port() {
	for _ in $(seq 400); do
		if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
		sleep 0.05
	done
	return 1
}
# serve DIR PORT ARGS...: openssl s_server in DIR (its -WWW root) on 127.0.0.1:PORT
serve() {
	local dir=$1 port=$2
	shift 2
	(cd "$dir" && exec openssl s_server -accept "127.0.0.1:$port" -quiet "$@") \
		>"$T/s_server.$port.log" 2>&1 &
	servers+=($!)
	# listening, and it is ours: a server that could not bind has exited
	wait_port "$port" && kill -0 "${servers[-1]}" 2>/dev/null
}

# ---- init ------------------------------------------------------------------
I=$T/inst
mkdir -p "$T/plugins"
touch "$T/plugins/zeta.so" "$T/plugins/alpha.so" "$T/plugins/notes.txt"
run "$CTL" init "$I" --name jd.example.org --name 10.9.8.7 --plugins-dir "$T/plugins"
expect "init creates an instance" 0 "jiandud -c $I/jiandud.conf"
check "init prints the next jianductl command" grep -qF "jianductl -c $I/jianductl.conf status" "$T/out"

for spec in ".:700" "tls:700" "data:700" "tls/ca.key:600" "tls/server.key:600" \
	"tls/admin.key:600" "tls/ca.crt:644" "tls/server.crt:644" "tls/admin.crt:644" \
	"keyring:600" "jiandud.conf:644" "jianductl.conf:644"; do
	f=${spec%%:*}
	m=${spec##*:}
	check "mode of $f is $m" mode_is "$I/$f" "$m"
done

cd "$I/tls"
check "server.crt verifies against ca.crt" openssl verify -CAfile ca.crt server.crt
check "admin.crt verifies against ca.crt" openssl verify -CAfile ca.crt admin.crt
sans=$(openssl x509 -in server.crt -noout -ext subjectAltName)
for want in "DNS:localhost" "IP Address:127.0.0.1" "IP Address:0:0:0:0:0:0:0:1" \
	"DNS:jd.example.org" "IP Address:10.9.8.7"; do
	check "server.crt names $want" grep -qF "$want" <<<"$sans"
done
ca_text=$(openssl x509 -in ca.crt -noout -text)
check "the CA is a critical CA:TRUE" grep -qzE 'Basic Constraints: critical[[:space:]]+CA:TRUE' <<<"$ca_text"
check "the CA signs certificates and CRLs" grep -qF "Certificate Sign, CRL Sign" <<<"$ca_text"
check "the CA has a subject key id" grep -qF "Subject Key Identifier" <<<"$ca_text"
check "the CA's subject" grep -qE 'Subject: CN = jiandu instance CA [0-9a-f]+' <<<"$ca_text"
check "the CA is EC P-256" grep -qF "prime256v1" <<<"$ca_text"
check "server.crt is for servers" grep -qF "TLS Web Server Authentication" \
	<<<"$(openssl x509 -in server.crt -noout -text)"
check "admin.crt is for clients" grep -qF "TLS Web Client Authentication" \
	<<<"$(openssl x509 -in admin.crt -noout -text)"
check "admin.crt's subject" grep -qF "OU = admin, CN = admin" \
	<<<"$(openssl x509 -in admin.crt -noout -subject)"
for c in ca server admin; do
	check "$c.key matches $c.crt" test "$(openssl pkey -in $c.key -pubout)" = \
		"$(openssl x509 -in $c.crt -noout -pubkey)"
done
cd "$T"

kr=$I/keyring
val() { sed -n "s/^$1 = //p" "$kr"; }
b64len() { base64 -d <<<"$1" | wc -c; }
check "keyring has a [keyring] section" grep -qx '\[keyring\]' "$kr"
check "keyring format and active key" test "$(val format)/$(val active)" = "1/1"
check "master.1 is 32 bytes" test "$(b64len "$(val 'master\.1')")" = 32
check "audit_sign is 64 bytes" test "$(b64len "$(val audit_sign)")" = 64
check "audit_verify is 32 bytes" test "$(b64len "$(val audit_verify)")" = 32
check "audit_verify is audit_sign's public half" test \
	"$(base64 -d <<<"$(val audit_sign)" | tail -c 32 | od -An -tx1)" = \
	"$(base64 -d <<<"$(val audit_verify)" | od -An -tx1)"
check "keyring has nothing else" test "$(grep -cvE '^(#|\[keyring\]$|[a-z_.0-9]+ = )' "$kr")" = 0

dc=$I/jiandud.conf
check "jiandud.conf: control listener" grep -qx 'listen = 127.0.0.1:7443' "$dc"
check "jiandud.conf: api listener" grep -qx 'listen = 127.0.0.1:8443' "$dc"
check "jiandud.conf: plugins dir" grep -qxF "dir = $T/plugins" "$dc"
check "jiandud.conf: every plugin found, sorted" grep -qx 'load = alpha,zeta' "$dc"
check "jiandud.conf: keyring" grep -qx 'keyring = keyring' "$dc"
check "jiandud.conf: tls" grep -qx 'cert = tls/server.crt' "$dc"
check "jianductl.conf: server" grep -qx 'server = 127.0.0.1:7443' "$I/jianductl.conf"
check "jianductl.conf: relative key" grep -qx 'key = tls/admin.key' "$I/jianductl.conf"

snapshot() { (cd "$I" && find . -printf '%p %m %s\n' | sort && find . -type f -exec sha256sum {} + | sort); }
before=$(snapshot)
run "$CTL" init "$I"
expect "a second init is refused" 1 "already exists"
check "a second init changes nothing" test "$before" = "$(snapshot)"
mkdir "$T/half"
touch "$T/half/jiandud.conf"
run "$CTL" init "$T/half"
expect "init refuses a directory with a jiandud.conf" 1 "already exists"

run "$CTL" init "$T/ports" --control-port 9000 --api-port 9001 --load 'b, a'
expect "init with ports and --load" 0
check "--control-port is used" grep -qx 'listen = 127.0.0.1:9000' "$T/ports/jiandud.conf"
check "--control-port goes into jianductl.conf" grep -qx 'server = 127.0.0.1:9000' \
	"$T/ports/jianductl.conf"
check "--load is kept in order" grep -qx 'load = b,a' "$T/ports/jiandud.conf"

# a write that fails midway (file size limit) leaves nothing behind
set +e
(
	trap '' XFSZ
	ulimit -f 1
	exec "$CTL" init "$T/partial"
) >"$T/out" 2>"$T/err"
rc=$?
set -e
err=$(cat "$T/err")
out=""
expect "init that fails midway exits 1" 1 "removed what this run had created"
check "init that fails midway leaves nothing" test ! -e "$T/partial"

# ---- usage errors: exit 2 ----------------------------------------------------
closed=$(free_port)
run "$CTL"
expect "no command is a usage error" 2 "usage:"
run "$CTL" stauts
expect "a typo suggests the built-in (no config)" 2 "unknown command 'stauts'; did you mean 'status'?"
run "$CTL" -c "$I/jianductl.conf" -s "127.0.0.1:$closed" stauts
expect "a typo suggests the built-in (daemon down)" 2 "did you mean 'status'?"
run "$CTL" --bogus status
expect "an unknown global option" 2 "unknown option '--bogus'"
run "$CTL" status --bogus
expect "an unknown command option" 2 "unexpected argument '--bogus'"
run "$CTL" init "$T/x" --nmae a
expect "an unknown init option suggests" 2 "did you mean '--name'?"
run "$CTL" init "$T/x" --name 'a,DNS:evil'
expect "init rejects a bad --name" 2 "expected a host name or an IP address"
run "$CTL" init "$T/x" --control-port 7000 --api-port 7000
expect "init needs two ports" 2 "two ports"
run "$CTL" init
expect "init needs a directory" 2 "which directory?"
check "usage errors create nothing" test ! -e "$T/x"
run "$CTL" -s 127.0.0.1 status
expect "-s needs host:port" 2 "expected host:port"
run "$CTL" status
expect "no config and no options" 2 "no client config"
printf '[client]\nserver = 127.0.0.1:1\ncolour = blue\n' >"$T/bad.conf"
run "$CTL" -c "$T/bad.conf" status
expect "a bad client config names file and line" 2 "bad.conf:3: unknown key 'colour'"
run "$CTL" help
expect "help works without a daemon" 0 "need a running daemon"
run "$CTL" -V
expect "-V prints the version" 0 "jianductl "

# ---- connection and TLS failures: exit 3 -------------------------------------
run "$CTL" -c "$I/jianductl.conf" -s "127.0.0.1:$closed" status
expect "a closed port" 3 "cannot connect to 127.0.0.1:$closed: connection refused"

run "$CTL" init "$T/other"
expect "a second instance (another CA)" 0
mkdir -p "$T/www/v1"
printf '%s' '{"version":"0.1.0","uptime_s":3723,"pid":42,"plugins":[{"name":"example"}],"redis":{"state":"ok","mode":"managed"},"listeners":{"control":"127.0.0.1:7443","api":"127.0.0.1:8443"},"connections":{"control":1,"api":0},"requests_in_flight":1}' \
	>"$T/www/v1/status"
# a free port can be taken by another test before s_server binds it: try a few
started=1
for _ in 1 2 3 4 5; do
	port=$(free_port)
	if serve "$T/www" "$port" -cert "$I/tls/server.crt" -key "$I/tls/server.key" \
		-CAfile "$I/tls/ca.crt" -Verify 1 -verify_return_error -WWW; then
		started=0
		break
	fi
done
if [ "$started" = 0 ]; then
	run "$CTL" -c "$I/jianductl.conf" -s "127.0.0.1:$port" status
	expect "status over mutual TLS" 0 "ok (managed)"
	check "status shows the uptime" grep -qE '^uptime +1h 2m 3s$' "$T/out"
	run "$CTL" -c "$I/jianductl.conf" -s "localhost:$port" --json status
	expect "--json prints the server's JSON" 0 '"uptime_s": 3723'
	run "$CTL" -c "$T/other/jianductl.conf" -s "127.0.0.1:$port" status
	expect "a server certificate from another CA" 3 "server certificate not trusted by $T/other/tls/ca.crt"
	run "$CTL" -c "$I/jianductl.conf" -s "127.0.0.1:$port" --cert "$T/other/tls/admin.crt" \
		--key "$T/other/tls/admin.key" status
	expect "a client certificate from another CA" 3 "rejected our client certificate"
else
	not_ok "openssl s_server did not start" "$(cat "$T/s_server.$port.log")"
fi

# --- missing parent directories are made, as mkdir -p would
run "$CTL" init "$T/deep/er/inst" --plugins-dir "$BUILD/plugins"
expect "init makes missing parents" 0 "deep/er/"
check "the instance is there" test -s "$T/deep/er/inst/keyring"
check "parents are 0755, the instance 0700" \
	test "$(stat -c %a "$T/deep" "$T/deep/er" "$T/deep/er/inst" | paste -sd/)" = "755/755/700"
run "$CTL" init "$T/p2/inst" --data-dir "$T/p2data/sub/data" --plugins-dir "$BUILD/plugins"
expect "init --data-dir makes its parents too" 0
check "the data directory is 0700" test "$(stat -c %a "$T/p2data/sub/data")" = 700
check "the config names it" grep -qx "data_dir = $T/p2data/sub/data" "$T/p2/inst/jiandud.conf"
mkdir -p "$T/p3data" && touch "$T/p3data/x"
run "$CTL" init "$T/p3/inst" --data-dir "$T/p3data" --plugins-dir "$BUILD/plugins"
expect "init --data-dir refuses a non-empty directory" 1 "is not an empty directory"
check "and leaves no parent behind" test ! -e "$T/p3"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
