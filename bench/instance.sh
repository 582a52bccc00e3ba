# Sourced by the benchmarks: bench_instance BUILD TMP CONTROL_PORT API_PORT
# PLUGINS starts jiandud on a fresh instance in TMP/i at log level warn,
# waits until /healthz answers, and leaves its pid in $pid (the caller's
# EXIT trap stops it).  In two steps, to change the configuration between
# them: bench_init (the same arguments) and bench_start TMP API_PORT.
# JD_WORKERS=N sets [server] workers (default 1).
bench_init() {
	local build=$1 tmp=$2 cport=$3 aport=$4 load=$5
	case $build in /*) ;; *) build=$PWD/$build ;; esac
	"$build/jianductl" init "$tmp/i" --control-port "$cport" --api-port "$aport" \
		--plugins-dir "$build/plugins" --load "$load" >/dev/null
	sed -i 's/^log_level = .*/log_level = warn/' "$tmp/i/jiandud.conf"
	[ -z "${JD_WORKERS:-}" ] || sed -i "/^\[server\]/a workers = $JD_WORKERS" "$tmp/i/jiandud.conf"
	bench_jiandud=$build/jiandud
}

bench_start() {
	local tmp=$1 aport=$2
	"$bench_jiandud" -c "$tmp/i/jiandud.conf" 2>>"$tmp/log" &
	pid=$!
	for _ in $(seq 1 100); do
		curl -sk -o /dev/null "https://127.0.0.1:$aport/healthz" && return 0
		sleep 0.1
	done
	echo "jiandud did not answer /healthz: $(tail -3 "$tmp/log")" >&2
	return 1
}

bench_instance() {
	bench_init "$@"
	bench_start "$2" "$4"
}
