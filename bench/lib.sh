# bench/lib.sh: what the benchmark scripts share; sourced, not run.

# busy_ticks, idle_ticks: the CPU time of every core, busy (user, nice,
# system) and idle (idle, iowait), in clock ticks, from /proc/stat.
busy_ticks() { awk '/^cpu / {print $2 + $3 + $4}' /proc/stat; }
idle_ticks() { awk '/^cpu / {print $5 + $6}' /proc/stat; }

# machine_idle: wait, at most QUIET_WAIT seconds (default 120), for two
# seconds in which the machine is less than 10% busy: a server still
# sending the last run's e-mails, or another program, would otherwise
# share the cores with the next measurement.
machine_idle() {
	local end=$((SECONDS + ${QUIET_WAIT:-120})) b0 i0 b1 i1
	while [ "$SECONDS" -lt "$end" ]; do
		b0=$(busy_ticks) i0=$(idle_ticks)
		sleep 2
		b1=$(busy_ticks) i1=$(idle_ticks)
		[ $(((b1 - b0) * 10)) -lt $((b1 - b0 + i1 - i0)) ] && return 0
	done
	echo "   (machine still busy after ${QUIET_WAIT:-120}s; measuring anyway)"
}
