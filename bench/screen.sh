#!/usr/bin/env bash
# bench/screen.sh measures the live screen's websocket hub (GET /screen/ws)
# end to end with cmd/torgload, on loopback:
#
#   smoke: 100 connections,    5 signups/s for  5 s
#   A:  10,000 connections,    1 signup/s  for 60 s   targets: 0 lost, in order, p99 <= 150 ms, <= 16 KB RSS/conn
#   B:   1,000 connections,   20 signups/s for 60 s   targets: 0 lost, in order, p99 <= 50 ms
#
# Each scenario gets a fresh server ("torg serve") on a fresh database with
# one event of a hundred million seats; torgload opens the connections,
# reads each snapshot, then POSTs signups one at a time (the 303 means
# committed) and measures from that answer to each client's receipt. The
# server's RSS is read from /proc before and after connecting. torgload
# also reports the CPU that everything else on the machine took meanwhile;
# a run with more than MAX_OTHER_CPU % of one core is made again, at most
# ATTEMPTS times in all.
#
# Usage: bench/screen.sh            (from anywhere; needs go and curl)
#   DURATION=60s PORT=18081 BENCH_DIR=/tmp ATTEMPTS=3 MAX_OTHER_CPU=10 QUIET_WAIT=300 \
#   KEEP=1 SKIP_SMOKE=1 ONLY=A REV=3efe996 bench/screen.sh
#
# REV builds the server from that commit instead of the work tree (torgload
# always comes from the work tree), so that a change is measured before and
# after on the same machine in the same session.
#
# torgload and the server share the machine's cores: that is part of the
# measurement. See docs/performance.md, "Live screen (websockets)".
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
DURATION=${DURATION:-60s}
PORT=${PORT:-18081}
BENCH_DIR=${BENCH_DIR:-/tmp}
ONLY=${ONLY:-}
REV=${REV:-}
ATTEMPTS=${ATTEMPTS:-3}
MAX_OTHER_CPU=${MAX_OTHER_CPU:-10}
QUIET_WAIT=${QUIET_WAIT:-300}
BASE=http://127.0.0.1:$PORT

WORK=$(mktemp -d "$BENCH_DIR/torgscreen.XXXXXX")
SERVER=
stop_server() {
	if [ -n "$SERVER" ]; then
		kill "$SERVER" 2>/dev/null || true
		wait "$SERVER" 2>/dev/null || true
		SERVER=
	fi
}
cleanup() {
	stop_server
	if [ -z "${KEEP:-}" ]; then # the torgload outputs stay; binaries, databases and logs go
		rm -f "$WORK"/torg "$WORK"/torgload "$WORK"/*.db "$WORK"/*.db-* "$WORK"/*.log
	fi
	echo "outputs kept in $WORK (KEEP=1 keeps the databases and logs too)"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The server holds one descriptor per screen: raise the open-file limit for
# it (and torgload) as far as this shell may.
if ! ulimit -n 65536 2>/dev/null; then
	ulimit -n "$(ulimit -Hn)"
fi

echo "== machine"
echo "cores:    $(nproc)"
echo "cpu:      $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
echo "memory:   $(awk '/MemTotal/ {printf "%.1f GB", $2 / 1048576}' /proc/meminfo)"
echo "kernel:   $(uname -r)"
echo "go:       $(go version)"
echo "ulimit:   -n $(ulimit -n) (hard $(ulimit -Hn))"
echo "ports:    $(tr '\t' - </proc/sys/net/ipv4/ip_local_port_range) (ephemeral), somaxconn $(cat /proc/sys/net/core/somaxconn)"
echo "load:     $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min, before the run)"

echo "== build${REV:+ (server from $REV)}"
(cd "$ROOT" && go build -o "$WORK/torgload" ./cmd/torgload)
if [ -n "$REV" ]; then
	mkdir -p "$WORK/src"
	git -C "$ROOT" archive "$REV" | tar -x -C "$WORK/src"
	(cd "$WORK/src" && go build -o "$WORK/torg" ./cmd/torg)
	rm -rf "$WORK/src"
else
	(cd "$ROOT" && go build -o "$WORK/torg" ./cmd/torg)
fi
NEXT_YEAR=$(($(date +%Y) + 1))

# idle prints how idle the machine's CPUs were over two seconds, in percent:
# other work on the machine shares the cores with the measurement.
idle() {
	local u n s i w q sq st t1 i1
	read -r _ u n s i w q sq st _ </proc/stat
	t1=$((u + n + s + i + w + q + sq + st)) i1=$((i + w))
	sleep 2
	read -r _ u n s i w q sq st _ </proc/stat
	echo $((100 * (i + w - i1) / (u + n + s + i + w + q + sq + st - t1)))
}

# quiet waits (at most QUIET_WAIT s) until the CPUs were at least 90 % idle
# over 2 s, and prints how idle they were.
quiet() {
	local p deadline=$((SECONDS + QUIET_WAIT))
	while :; do
		p=$(idle)
		if [ "$p" -ge 90 ] || [ "$SECONDS" -ge "$deadline" ]; then
			echo "$p"
			return
		fi
	done
}

# scenario NAME CONNS RATE DURATION: a fresh server and database, one event,
# one torgload run, kept in $WORK/NAME.txt. torgload reports the CPU that
# everything else on the machine took while it measured; above
# MAX_OTHER_CPU % of one core the run is made again (fresh server and
# database), at most ATTEMPTS times in all. Each attempt stays in
# $WORK/NAME.N.txt.
scenario() {
	local name=$1 conns=$2 rate=$3 duration=$4 attempt other
	for attempt in $(seq "$ATTEMPTS"); do
		local dbfile=$WORK/$name.$attempt.db
		echo "== $name (attempt $attempt of at most $ATTEMPTS): $conns connections, $rate signups/s for $duration"
		echo "idle:     $(quiet)% of the CPUs idle over 2 s before starting"
		# Thousands of screens from one address: a load test, so without
		# the per-address limits, and without a cap below the descriptors.
		TORG_RATE_LIMIT=off TORG_MAX_SCREENS=1000000 "$WORK/torg" serve --addr "127.0.0.1:$PORT" --db "$dbfile" 2>"$WORK/$name.$attempt.log" &
		SERVER=$!
		for _ in $(seq 100); do
			if curl -fs -o /dev/null "$BASE/healthz"; then break; fi
			sleep 0.1
		done
		curl -fs -o /dev/null "$BASE/healthz" || { echo "the server did not start; see $WORK/$name.$attempt.log" >&2; exit 1; }
		local slug
		slug=$("$WORK/torg" event add --title Load --starts "$NEXT_YEAR-06-01T10:00" --capacity 100000000 --db "$dbfile")
		echo "event:    $slug (server pid $SERVER)"
		echo "-- torgload -url $BASE -db $dbfile -event $slug -conns $conns -rate $rate -duration $duration -ramp 1000 -server-pid $SERVER -v"
		"$WORK/torgload" -url "$BASE" -db "$dbfile" -event "$slug" -conns "$conns" -rate "$rate" -duration "$duration" \
			-ramp 1000 -server-pid "$SERVER" -v | tee "$WORK/$name.$attempt.txt"
		stop_server
		cp "$WORK/$name.$attempt.txt" "$WORK/$name.txt"
		sleep 2 # let the closed connections wind down
		other=$(field "$name" other_cpu_pct)
		if awk -v o="${other:--1}" -v m="$MAX_OTHER_CPU" 'BEGIN {exit !(o <= m)}'; then
			break
		fi
		echo "other work on the machine took ${other}% of one core during $name (more than $MAX_OTHER_CPU %)"
	done
}

# field NAME KEY: a value from torgload's "summary:" line.
field() { awk -v k="$2" '/^summary:/ {for (i = 2; i <= NF; i++) {split($i, kv, "="); if (kv[1] == k) print kv[2]}}' "$WORK/$1.txt"; }

if [ -z "${SKIP_SMOKE:-}" ] && [ -z "$ONLY" ]; then
	scenario smoke 100 5 5s
fi
if [ -z "$ONLY" ] || [ "$ONLY" = A ]; then
	scenario A 10000 1 "$DURATION"
fi
if [ -z "$ONLY" ] || [ "$ONLY" = B ]; then
	scenario B 1000 20 "$DURATION"
fi

verdict() { # NAME CONNS P99_TARGET_MS [KB_PER_CONN_TARGET]
	local name=$1 conns=$2 p99max=$3 kbmax=${4:-}
	local ok=PASS why=""
	[ "$(field "$name" conns)" = "$conns" ] || { ok=FAIL; why="$why not all connected;"; }
	[ "$(field "$name" disconnects)" = 0 ] || { ok=FAIL; why="$why disconnects;"; }
	[ "$(field "$name" producer_errors)" = 0 ] || { ok=FAIL; why="$why producer errors;"; }
	[ "$(field "$name" lost)" = 0 ] || { ok=FAIL; why="$why lost messages;"; }
	[ "$(field "$name" out_of_order)" = 0 ] || { ok=FAIL; why="$why out of order;"; }
	awk -v a="$(field "$name" p99_ms)" -v b="$p99max" 'BEGIN {exit !(a <= b)}' || { ok=FAIL; why="$why p99 above $p99max ms;"; }
	awk -v o="$(field "$name" other_cpu_pct)" -v m="$MAX_OTHER_CPU" 'BEGIN {exit !(o > m)}' && why="$why (disturbed: other work took $(field "$name" other_cpu_pct)% of one core)"
	if [ -n "$kbmax" ]; then
		awk -v a="$(field "$name" rss_per_conn_kb)" -v b="$kbmax" 'BEGIN {exit !(a <= b)}' || { ok=FAIL; why="$why above $kbmax KB/conn;"; }
	fi
	echo "$ok$why"
}

echo
echo "== summary ($(nproc) cores shared by torgload and the server)"
printf '%-5s %6s %5s %9s %5s %5s %8s %8s %8s %8s %10s %10s %8s %6s  %s\n' \
	"run" "conns" "msg/s" "msgs/cli" "lost" "order" "p50 ms" "p90 ms" "p99 ms" "max ms" "RSS before" "RSS conn." "KB/conn" "other%" "verdict"
for name in smoke A B; do
	[ -f "$WORK/$name.txt" ] || continue
	case $name in
	A) v=$(verdict A 10000 150 16) ;;
	B) v=$(verdict B 1000 50) ;;
	*) v=$(verdict smoke 100 100) ;;
	esac
	printf '%-5s %6s %5s %9s %5s %5s %8s %8s %8s %8s %10s %10s %8s %6s  %s\n' "$name" \
		"$(field "$name" conns)" "$(field "$name" rate)" "$(field "$name" expected_per_client)" \
		"$(field "$name" lost)" "$(field "$name" out_of_order)" \
		"$(field "$name" p50_ms)" "$(field "$name" p90_ms)" "$(field "$name" p99_ms)" "$(field "$name" max_ms)" \
		"$(field "$name" rss_before_kb) KB" "$(field "$name" rss_connected_kb) KB" "$(field "$name" rss_per_conn_kb)" \
		"$(field "$name" other_cpu_pct)" "$v"
done
echo "targets: A p99 <= 150 ms and <= 16 KB/conn; B p99 <= 50 ms; both 0 lost, 0 out of order, everyone connected throughout"
echo "other%: CPU that everything else on the machine took while torgload measured, in % of one core (at most $MAX_OTHER_CPU counts)"
