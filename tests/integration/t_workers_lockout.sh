#!/usr/bin/env bash
# workers = 2: the failed-authentication limits hold across worker
# processes (docs/security.md, "Failed authentications").  Guesses spread
# over both workers reach the block after the configured number in total,
# not once per worker; the right password is then refused at the worker
# that saw none of the blocking failures; guesses at one token beginning
# are refused at the other worker too; and a valid token from the
# guesser's address keeps working throughout.  The identity's block holds
# for every credential of that user, at every worker (as with one worker).
source "$(dirname "$0")/lib.sh"

jd_instance "$JD_TMP/i" --load example
jd_set server workers 2
jd_set security trusted_proxies 127.0.0.1 # each part comes from addresses of its own
jd_start
log=$JD_DIR/jiandud.log
pw='correct horse battery'

check "the master started two workers" jd_wait_for 100 grep -q 'msg="workers started" workers=2' "$log"
workers() { ps -o pid=,comm= --ppid "$JD_PID" | awk '$2 == "jiandud" { print $1 }' | sort; }
W1=$(workers | head -1)
W2=$(workers | tail -1)
check "two distinct workers" test -n "$W1" -a -n "$W2" -a "$W1" != "$W2"

jd_ctl users add --id lena --roles leader --tenants t1 >/dev/null
jd_ctl users add --id vic --roles viewer --tenants t1 >/dev/null
quiet jd_ctl users password --id lena --password "$pw"
probe=$(jd_ctl tokens create --user vic --ttl 1d --json | jd_json .token)

# at PID XFF PATH [BODY] [BEARER]: one connection to worker PID, which
# /v1/status (vic's valid token) names; prints "<probe status> <status>"
at() {
	python3 "$(dirname "$0")/at_worker.py" "$JD_DIR/tls/ca.crt" "$JD_API_PORT" "$1" "$probe" "${@:2}"
}
sign_in_at() { at "$1" "$2" /v1/session "{\"user\":\"$3\",\"password\":\"$4\"}"; }
# the worker of the odd-numbered attempts, the other of the even
worker_of() { if [ $(($1 % 2)) = 1 ]; then echo "$W1"; else echo "$W2"; fi; }

# guess USER SRC: 10 wrong passwords for USER from SRC, alternating workers
# (odd ones at the first, even ones at the second: the 10th, which reaches
# the block, at the second); prints the answers
guess() {
	local i
	for i in $(seq 1 10); do
		printf ' %s' "$(sign_in_at "$(worker_of "$i")" "$2" "$1" "wrong password $i")"
	done
}
guesses_then_block=" $(printf '200 401 %.0s' $(seq 1 9))200 429"

# --- password guesses for one user over both workers: the limit is on the total
equals "9 wrong passwords over both workers: each 401; the 10th in total: 429 (and vic's valid token from the guesser's address passes every time)" \
	"$(guess lena 10.0.0.1)" "$guesses_then_block"
equals "the right password at the first worker, which counted none past 9: 429" \
	"$(sign_in_at "$W1" 10.0.0.2 lena "$pw")" "200 429"
equals "... and at the second worker: 429" "$(sign_in_at "$W2" 10.0.0.3 lena "$pw")" "200 429"
equals "another user's right credential from the guesser's address: 200 at both workers" \
	"$(at "$W1" 10.0.0.1 /v1/status '' "$probe") $(at "$W2" 10.0.0.1 /v1/status '' "$probe")" \
	"200 200 200 200"

# --- a token whose user the worker remembers: the user's counter is read with the token
jd_ctl users add --id max --roles viewer --tenants t1 >/dev/null
quiet jd_ctl users password --id max --password "$pw"
mt=$(jd_ctl tokens create --user max --ttl 1d --json | jd_json .token)
equals "max's token serves at the first worker (which now remembers its user)" \
	"$(at "$W1" 10.0.0.9 /v1/status '' "$mt")" "200 200"
equals "10 wrong passwords for max over both workers: blocked at the 10th" \
	"$(guess max 10.0.0.5)" "$guesses_then_block"
equals "max's token at the first worker, which counted none past 9: 429 (his identity is blocked)" \
	"$(at "$W1" 10.0.0.9 /v1/status '' "$mt")" "200 429"

# --- guesses at one token beginning, each from a fresh address, alternating workers
codes=""
for i in $(seq 1 10); do
	codes="$codes $(at "$(worker_of "$i")" "192.0.2.$i" /v1/status '' "jdt_ZZZZZZZZ$i")"
done
equals "10 wrong tokens with one beginning over both workers: each 401" "$codes" \
	"$(printf ' 200 401%.0s' $(seq 1 10))"
equals "the 11th, at the worker that counted none past 9, from a fresh address: 429" \
	"$(at "$W1" 192.0.2.11 /v1/status '' jdt_ZZZZZZZZ11)" "200 429"

jd_stop
equals "SIGTERM: the master exits 0" "$JD_EXIT" 0
jd_no_sanitizer_report
jd_finish
