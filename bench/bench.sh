#!/usr/bin/env bash
# make bench: one run on one machine, a table of ratios side by side
# (docs/performance.md, "One benchmark, side by side").  Absolute figures are
# noisy on a shared 2-core machine; ratios taken in the same run much less.
#   bench/bench.sh [build-dir]
# Environment: JD_BENCH_SECONDS (each measurement, default 3), JD_BENCH_LEADS
# (the large size of the statistics query, default 100000),
# JD_BENCH_FILL_SECONDS (the most the county is filled for: on a loaded machine
# the query is measured at the size reached, default 240),
# JD_BENCH_WORKERS_SECTION (where the workers key goes, default server).  Prints progress on stderr,
# the table on stdout; asserts nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
secs=${JD_BENCH_SECONDS:-3}
big=${JD_BENCH_LEADS:-100000}
fill=${JD_BENCH_FILL_SECONDS:-240}
wsection=${JD_BENCH_WORKERS_SECTION:-server}
scripts/bench-deps.sh
tmp=$(mktemp -d /tmp/jdbench.XXXXXX)
pid= ngx= mon= flood= sampler=
cleanup() {
	local p
	for p in $sampler $flood $mon $ngx $pid; do kill -TERM "$p" 2>/dev/null || true; done
	for p in $sampler $flood $mon $ngx $pid; do wait "$p" 2>/dev/null || true; done
	rm -rf "$tmp"
}
trap cleanup EXIT
. bench/instance.sh
say() { echo "bench: $*" >&2; }

. tests/integration/free_port.sh
cport=$(jd_free_port)
aport=$(jd_free_port)
nport=$(jd_free_port)

bench_init "$build" "$tmp" "$cport" "$aport" cases
bench_start "$tmp" "$aport"
. bench/county.sh
bench_cases_county "$build" "$tmp"
api=https://127.0.0.1:$aport
leads() { rcli zcard "jd:{$T}:leads:all"; }

# wrk_raw CONNS SECONDS URL [VAR=VALUE...]: one wrk thread with bench/wrk.lua
# (exec'd: a background one is stopped by its pid); wrk_parse reads its output
# and prints "answers_2xx/s p50_ms p99_ms non_2xx socket_errors" (the first
# refusal's body on stderr); wrk_run is the two.
wrk_raw() {
	local conns=$1 s=$2 url=$3
	shift 3
	exec env "$@" wrk -t1 -c"$conns" -d"${s}s" --timeout 10s -s bench/wrk.lua "$url"
}
wrk_parse() {
	awk '/^JDWRK/ { printf "%.0f %.2f %.2f %d %d\n", ($2 - $4) / ($3 / 1e6), $6 / 1000, $7 / 1000, $4, $5 }
	     /^JDREFUSED/ { print "bench: first refusal: " substr($0, 11, 300) > "/dev/stderr" }'
}
wrk_run() { (wrk_raw "$@") | wrk_parse; }
# register at 64 connections until the county has N leads (wrk runs for a
# duration: it is stopped when the count is reached, at most $fill seconds)
register_to() {
	local w
	[ "$(leads)" -lt "$1" ] || return 0
	wrk_raw 64 "$fill" "$api/v1/cases/leads" JD_TOKEN="$token" JD_REGISTER=1 >/dev/null &
	w=$!
	flood=$w
	while [ "$(leads)" -lt "$1" ] && kill -0 "$w" 2>/dev/null; do sleep 0.2; done
	kill -TERM "$w" 2>/dev/null || true
	wait "$w" 2>/dev/null || true
	flood=
}
rate() { cut -d' ' -f1 <<<"$1"; }
# cpu_ticks PID: the user and system time PID has used, in clock ticks (proc(5))
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
# cpu_mark / cpu_since: ticks jiandud and its Redis used since the mark ("jiandud redis")
cpu_mark() { CPU_J=$(cpu_ticks "$pid") CPU_R=$(cpu_ticks "$rpid"); }
cpu_since() { echo "$(($(cpu_ticks "$pid") - CPU_J)) $(($(cpu_ticks "$rpid") - CPU_R))"; }
# the daemon's audit entries waiting for their tenant's turn (GET /metrics)
waiting() {
	curl -s --cacert "$tmp/i/tls/ca.crt" --cert "$tmp/i/tls/admin.crt" --key "$tmp/i/tls/admin.key" \
		"https://127.0.0.1:$cport/metrics" | awk '/^jiandu_audit_waiting / { print $2 }'
}
# before a measurement: what the last one queued is written (at most 60 s)
settle() {
	for _ in $(seq 1 600); do
		[ "$(waiting)" = 0 ] && return 0
		sleep 0.1
	done
}
# sampler_start / sampler_max: the most audit entries waiting meanwhile
sampler_start() {
	(while :; do
		waiting
		sleep 0.25
	done) >"$tmp/waiting" &
	sampler=$!
}
sampler_max() {
	kill -TERM "$sampler" 2>/dev/null || true
	wait "$sampler" 2>/dev/null || true
	sampler=
	sort -n "$tmp/waiting" | tail -1
}

# --- nginx: a 64-byte file over TLS (the instance's certificate), one worker
mkdir -p "$tmp/nginx/www"
chmod 711 "$tmp"
head -c 64 /dev/zero | tr '\0' x >"$tmp/nginx/www/64b"
chmod -R a+rX "$tmp/nginx/www"
cat >"$tmp/nginx/nginx.conf" <<NGINX
worker_processes 1;
daemon off;
pid $tmp/nginx/nginx.pid;
error_log $tmp/nginx/error.log warn;
events { worker_connections 4096; }
http {
	access_log off;
	client_body_temp_path $tmp/nginx/body;
	keepalive_requests 100000000;
	ssl_protocols TLSv1.2 TLSv1.3;
	server {
		listen 127.0.0.1:$nport ssl;
		ssl_certificate $tmp/i/tls/server.crt;
		ssl_certificate_key $tmp/i/tls/server.key;
		root $tmp/nginx/www;
	}
}
NGINX
nginx -p "$tmp/nginx" -c "$tmp/nginx/nginx.conf" -e "$tmp/nginx/error.log" &
ngx=$!
for _ in $(seq 1 100); do
	curl -sk -o /dev/null "https://127.0.0.1:$nport/64b" && break
	sleep 0.1
done

# --- one lead to read (subjects sealed), and the registration's script caught by MONITOR
redis-cli -s "$tmp/i/data/redis.sock" monitor >"$tmp/monitor" &
mon=$!
lead=$(curl -s --cacert "$tmp/i/tls/ca.crt" -H "Authorization: Bearer $token" \
	-H 'Content-Type: application/json' "$api/v1/cases/leads" --data \
	"{\"tenant\":\"$T\",\"unit\":\"ag1\",\"source\":\"audit\",\"subject_name\":\"王某\",\"subject_id_number\":\"510681198001010000\",\"subject_post\":\"局长\",\"allegation\":\"收受礼金\",\"reporter_name\":\"举报人\"}" |
	python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
for _ in $(seq 1 100); do
	grep -q '\[0 lua\] "XADD"' "$tmp/monitor" && break
	sleep 0.1
done
kill -TERM "$mon"
wait "$mon" 2>/dev/null || true
mon=
rpid=$(rcli info server | tr -d '\r' | awk -F: '/^process_id/ { print $2 }')
python3 bench/script_shape.py "$tmp/monitor" >"$tmp/shape.lua" 2>"$tmp/shape.n"
ncmd=$(cat "$tmp/shape.n")
sealed=$api/v1/cases/leads/$lead?tenant=$T
from=$(date -d '-364 days' +%F)
stats="$api/v1/cases/stats?tenant=$T&from=$from&to=$(date +%F)&compare=previous-year"

say "nginx, /healthz, /v1/status, sealed read: ${secs}s each at 64 connections"
NGINX=$(wrk_run 64 "$secs" "https://127.0.0.1:$nport/64b")
[ "$(rate "$NGINX")" != 0 ] || say "nginx answered nothing: $(tail -3 "$tmp/nginx/error.log")"
settle
HEALTH=$(wrk_run 64 "$secs" "$api/healthz")
STATUS=$(wrk_run 64 "$secs" "$api/v1/status" JD_TOKEN="$token")
cpu_mark
SEALED=$(wrk_run 64 "$secs" "$sealed" JD_TOKEN="$token")
SEALED_CPU=$(cpu_since)
settle
SEALED8=$(wrk_run 8 "$secs" "$sealed" JD_TOKEN="$token")

say "registrations at 8 and 64 connections; Redis alone running their script ($ncmd commands)"
settle
register_to 1000
settle
STATS1K=$(wrk_run 8 "$secs" "$stats" JD_TOKEN="$token")
n1k=$(leads)
REG8=$(wrk_run 8 "$secs" "$api/v1/cases/leads" JD_TOKEN="$token" JD_REGISTER=1)
settle
cpu_mark
REG64=$(wrk_run 64 "$secs" "$api/v1/cases/leads" JD_TOKEN="$token" JD_REGISTER=1)
REG64_CPU=$(cpu_since)
settle
sha=$(rcli script load "$(cat "$tmp/shape.lua")")
rb() { redis-benchmark -s "$tmp/i/data/redis.sock" -c 50 -n "$1" -r 10000 --csv evalsha "$sha" 0 __rand_int__ |
	awk -F'"' 'NR == 2 { printf "%.0f\n", $4 }'; }
probe=$(rb 2000)
REDIS=$(rb $((probe * secs)))

say "floods: sealed reads during a registration flood, registrations during a read flood"
settle
sampler_start
wrk_raw 64 $((secs + 2)) "$api/v1/cases/leads" JD_TOKEN="$token" JD_REGISTER=1 >"$tmp/flood.out" &
flood=$!
sleep 1
READS_IN_WRITES=$(wrk_run 8 "$secs" "$sealed" JD_TOKEN="$token")
wait "$flood"
flood=
WRITE_FLOOD=$(wrk_parse <"$tmp/flood.out")
WAIT_W=$(sampler_max)
settle
sampler_start
wrk_raw 64 $((secs + 2)) "$sealed" JD_TOKEN="$token" >"$tmp/flood.out" &
flood=$!
sleep 1
WRITES_IN_READS=$(wrk_run 8 "$secs" "$api/v1/cases/leads" JD_TOKEN="$token" JD_REGISTER=1)
wait "$flood"
flood=
READ_FLOOD=$(wrk_parse <"$tmp/flood.out")
WAIT_R=$(sampler_max)
settle

say "registering up to $big leads (64 connections), then the statistics query again"
n0=$(leads)
t0=$(date +%s.%N)
register_to "$big"
t1=$(date +%s.%N)
nbig=$(leads)
settle
STATSBIG=$(wrk_run 8 "$secs" "$stats" JD_TOKEN="$token")

say "sealed reads with 1 and 2 workers"
W1=$(wrk_run 64 "$secs" "$sealed" JD_TOKEN="$token")
kill -TERM "$pid"
wait "$pid" 2>/dev/null || true
pid=
sed -i '/^workers = /d' "$tmp/i/jiandud.conf"
sed -i "/^\[$wsection\]/a workers = 2" "$tmp/i/jiandud.conf"
if "$bench_jiandud" -t -c "$tmp/i/jiandud.conf" >"$tmp/workers.t" 2>&1; then
	bench_start "$tmp" "$aport"
	W2=$(wrk_run 64 "$secs" "$sealed" JD_TOKEN="$token")
else
	W2=
fi

# --- the table
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
echo "make bench: $(date -u +%F), $(nproc) cores ($cpu), $(uname -sr); jiandud $("$bench_jiandud" -V | cut -d' ' -f2)" \
	"RelWithDebInfo, managed Redis $(redis-server --version | sed 's/.*v=\([^ ]*\).*/\1/') (appendfsync always), log level warn;" \
	"$(nginx -v 2>&1 | sed 's/.*: //'); wrk one thread, ${secs} s a measurement; wrk, nginx, jiandud and Redis share the cores"
echo
python3 - "$NGINX" "$HEALTH" "$STATUS" "$SEALED" "$SEALED8" "$REDIS" "$REG8" "$REG64" "$STATS1K" \
	"$STATSBIG" "$n1k" "$nbig" "$READS_IN_WRITES" "$WRITE_FLOOD" "$WRITES_IN_READS" "$READ_FLOOD" \
	"$W1" "$W2" "$ncmd" "$(head -1 "$tmp/workers.t" | sed "s/.*: //")" "$t0" "$t1" "$WAIT_W" "$WAIT_R" "$n0" \
	"$SEALED_CPU" "$REG64_CPU" "$(getconf CLK_TCK)" "$secs" <<'PY'
import sys
a = sys.argv[1:]
f = lambda s: [float(x) for x in s.split()] if s else None
(nginx, health, status, sealed, sealed8, redis, reg8, reg64, s1k, sbig, n1k, nbig, rw, wflood,
 wr, rflood, w1, w2, ncmd, wmsg, t0, t1, waitw, waitr, n0, sealed_cpu, reg_cpu, clk, secs) = a
nginx, health, status, sealed, sealed8 = map(f, (nginx, health, status, sealed, sealed8))
reg8, reg64, s1k, sbig, rw, wflood, wr, rflood, w1, w2 = map(
    f, (reg8, reg64, s1k, sbig, rw, wflood, wr, rflood, w1, w2))
redis = float(redis)
n = lambda x: f"{x:,.0f}"
r = lambda x, y: f"{x / y:.2f}" if y else "n/a (nothing to divide by)"
def per(cpu, m):  # µs of CPU per answer: jiandud's, Redis's
    j, rd = (float(x) * 1e6 / float(clk) / max(m[0] * float(secs), 1) for x in cpu.split())
    return f"jiandud {j:,.0f} µs, Redis {rd:,.0f} µs", j
def lat(m): return f"{n(m[0])}/s, p50 {m[1]:.1f} ms, p99 {m[2]:.1f} ms" + (f", {n(m[3])} not 2xx" if m[3] else "")
rows = [
    ("nginx: a 64-byte file over TLS, 1 worker, 64 connections (the ceiling)", lat(nginx), "1"),
    ("jiandud `GET /healthz` ÷ nginx", lat(health), r(health[0], nginx[0])),
    ("`GET /v1/status`, bearer token ÷ nginx", lat(status), r(status[0], nginx[0])),
    ("sealed read (`GET` a lead, subjects opened) ÷ nginx", lat(sealed), r(sealed[0], nginx[0])),
    ("CPU per sealed read (64 connections) ÷ the 150 µs target", per(sealed_cpu, sealed)[0],
     r(per(sealed_cpu, sealed)[1], 150)),
    (f"Redis alone: the registration's script shape (EVALSHA of {ncmd} commands), redis-benchmark, 50 clients",
     f"{n(redis)}/s", "1"),
    ("registrations, one county, 8 connections ÷ Redis alone", lat(reg8), r(reg8[0], redis)),
    ("registrations, 64 connections ÷ Redis alone", lat(reg64), r(reg64[0], redis)),
    ("registrations at 64 connections ÷ at 8", "", r(reg64[0], reg8[0])),
    ("CPU per registration (64 connections)", per(reg_cpu, reg64)[0], ""),
    (f"statistics query (a year + previous year), {n(float(n1k))} leads, 8 connections", lat(s1k), "1"),
    (f"the same at {n(float(nbig))} leads ÷ at {n(float(n1k))}", lat(sbig) +
     f" (filled at {n((float(nbig) - float(n0)) / (float(t1) - float(t0)))} leads/s)", r(sbig[0], s1k[0])),
    ("sealed reads, 2 workers ÷ 1 worker (64 connections)",
     lat(w2) + " vs " + lat(w1) if w2 else f"n/a (workers not supported: {wmsg})",
     r(w2[0], w1[0]) if w2 else "n/a (workers not supported)"),
    ("sealed reads (8 connections) during a registration flood (64) ÷ without",
     lat(rw) + f"; the flood: {lat(wflood)}; audit entries waiting: at most {waitw}",
     r(rw[0], sealed8[0])),
    ("registrations (8 connections) during a sealed-read flood (64) ÷ without",
     lat(wr) + f"; the flood: {lat(rflood)}; audit entries waiting: at most {waitr}",
     r(wr[0], reg8[0])),
]
print("| what | measured | ratio |")
print("|---|---|---|")
for row in rows:
    print(f"| {row[0]} | {row[1]} | {row[2]} |")
PY
