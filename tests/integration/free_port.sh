# Sourced by tests/integration/lib.sh and bench/bench.sh: jd_free_port
# prints a port nobody listens on now.
jd_free_port() {
	local p
	while :; do
		# below the kernel's ephemeral range (32768+), which outgoing connections use
		p=$((20000 + RANDOM % 12000))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p"
			return
		fi
	done
}
