#!/usr/bin/env bash
# Bad configuration and files are refused with a clear reason: a control
# character (a NUL byte included) names the file and line; a missing or
# unreadable certificate, key, CA or keyring names its path and the
# system's reason, never OpenSSL's "system lib".
source "$(dirname "$0")/lib.sh"

jd_instance "$JD_TMP/i"
conf=$JD_DIR/jiandud.conf
cp "$conf" "$JD_TMP/good.conf"
good() { cp "$JD_TMP/good.conf" "$conf"; }
# jd_test: jiandud -t on the instance; prints its output, fails when it succeeds
jd_test() { fails "$JIANDUD" -t -c "$conf"; }

out=$("$JIANDUD" -t -c "$conf" 2>&1)
contains "the untouched instance passes -t" "$out" "test is successful"

# --- control characters
python3 - "$conf" <<'PY'
import sys
p = sys.argv[1]
s = open(p, 'rb').read().replace(b'\nkeyring = keyring', b'\nkeyring = keyring\x00.evil')
open(p, 'wb').write(s)
PY
line=$(grep -an 'keyring = keyring' "$conf" | cut -d: -f1)
out=$(jd_test)
contains "a NUL byte is refused naming file and line" "$out" "jiandud.conf:$line: control character 0x00 (a NUL byte)"
good
printf '[server]\nlog_level = info\x1b[2J\n' >>"$conf"
out=$(jd_test)
contains "an escape character is refused naming the line" "$out" "jiandud.conf:$(wc -l <"$conf"): control character 0x1b"
good
out=$("$JIANDUD" -t -c "$conf" 2>&1)
contains "a good file passes again" "$out" "test is successful"

# --- files named by the configuration
jd_set tls cert tls/missing.crt
out=$(jd_test)
contains "a missing certificate names its path and the reason" "$out" \
	"tls.cert $JD_DIR/tls/missing.crt: cannot open: No such file or directory"
if grep -q "system lib" <<<"$out"; then not_ok "no OpenSSL 'system lib': $out"; else ok "no OpenSSL 'system lib'"; fi
good
jd_set tls key tls
out=$(jd_test)
contains "a directory in place of the key is named" "$out" "tls.key $JD_DIR/tls: not a regular file"
good
jd_set tls ca tls/none.crt
out=$(jd_test)
contains "a missing CA names its path and the reason" "$out" \
	"tls.ca $JD_DIR/tls/none.crt: cannot open: No such file or directory"
good
jd_set security keyring nokeyring
out=$(jd_test)
contains "a missing keyring names its path and the reason" "$out" \
	"$JD_DIR/nokeyring: cannot open: No such file or directory"
good
if [ "$(id -u)" != 0 ]; then
	chmod 000 "$JD_DIR/tls/server.key"
	out=$(jd_test)
	contains "an unreadable key names the reason" "$out" \
		"tls.key $JD_DIR/tls/server.key: cannot open: Permission denied"
	chmod 600 "$JD_DIR/tls/server.key"
fi

# the running daemon refuses the same files on start, and the Redis TLS ones too
jd_set redis url "rediss://127.0.0.1:1"
jd_set redis tls_ca tls/redis-ca.crt
out=$(fails timeout 20 "$JIANDUD" -c "$conf")
if grep -q "redis.tls_ca $JD_DIR/tls/redis-ca.crt: cannot open: No such file or directory" \
	<<<"$out$(cat "$JD_DIR"/jiandud.log 2>/dev/null)"; then
	ok "a missing Redis CA names its path and the reason"
else
	not_ok "a missing Redis CA names its path and the reason: $out"
fi
good
jd_finish
