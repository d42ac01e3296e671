#!/usr/bin/env bash
# bench/litefs.sh: torg on two LiteFS nodes on loopback (static lease, one
# primary, one replica), measured against the same torg on a plain disk in
# the same run. Figures for docs/scaling.md.
#
#   1. the proof, with more signups: TestLiteFSReplica (cmd/torg/litefs_test.go)
#      prints the delay from a signup on the primary to a screen and the
#      event page on the replica, signups/s through the primary, and the
#      catch-up of a replica that was stopped;
#   2. wrk: signups (8 connections) on the LiteFS primary against the same
#      binary on a plain disk, then GET /events/{slug} (64 connections) on
#      the replica against the plain disk.
#
# Usage: bench/litefs.sh   (from anywhere; needs go, wrk, curl, fuse3, and
# root or a user that may mount FUSE)
#
#   SIGNUPS=1000 DURATION=10s LITEFS_VERSION=v0.5.14 TORG_LITEFS_BIN=... KEEP=1 bench/litefs.sh
#
# LiteFS is built with go install at LITEFS_VERSION unless TORG_LITEFS_BIN
# names a binary. The nodes here are written out below (static lease,
# ports 1819x/2029x); the test instead derives its nodes from litefs.yml.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=bench/lib.sh
. "$ROOT/bench/lib.sh"
SIGNUPS=${SIGNUPS:-1000}
DURATION=${DURATION:-10s}
LITEFS_VERSION=${LITEFS_VERSION:-v0.5.14}

for tool in wrk curl fusermount3; do
	command -v "$tool" >/dev/null || { echo "bench/litefs.sh: $tool is missing (apt-get install wrk curl fuse3)" >&2; exit 1; }
done

WORK=$(mktemp -d /tmp/torglitefs.XXXXXX)
PIDS=()
cleanup() {
	for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
	for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
	for dir in "$WORK"/*/fuse; do mountpoint -q "$dir" 2>/dev/null && fusermount3 -u "$dir" || true; done
	if [ -z "${KEEP:-}" ]; then rm -rf "$WORK"; else echo "kept: $WORK"; fi
}
trap cleanup EXIT

if [ -z "${TORG_LITEFS_BIN:-}" ]; then
	echo "== building LiteFS $LITEFS_VERSION"
	CGO_ENABLED=0 GOBIN="$WORK/bin" go install "github.com/superfly/litefs/cmd/litefs@$LITEFS_VERSION"
	TORG_LITEFS_BIN=$WORK/bin/litefs
fi
export TORG_LITEFS_BIN
echo "== building torg"
(cd "$ROOT" && go build -o "$WORK/bin/torg" ./cmd/torg)
TORG=$WORK/bin/torg

echo
echo "== 1. the two-node proof with $SIGNUPS signups (go test -run TestLiteFSReplica)"
(cd "$ROOT" && TORG_LITEFS_SIGNUPS=$SIGNUPS TORG_REQUIRE_LITEFS=1 go test -count=1 -v -run '^TestLiteFSReplica$' ./cmd/torg) |
	grep -E 'litefs_test.go|^(---|ok|FAIL)' || true

# node NAME API_PORT TORG_PORT CANDIDATE: a LiteFS node whose primary is
# the one with API port 20291.
node() {
	local name=$1 api=$2 port=$3 candidate=$4
	mkdir -p "$WORK/$name/fuse" "$WORK/$name/data"
	cat >"$WORK/$name/litefs.yml" <<YML
fuse:
  dir: "$WORK/$name/fuse"
data:
  dir: "$WORK/$name/data"
http:
  addr: "127.0.0.1:$api"
lease:
  type: "static"
  hostname: "torg-primary"
  advertise-url: "http://127.0.0.1:20291"
  candidate: $candidate
exec:
  - cmd: "$TORG serve --addr 127.0.0.1:$port --db $WORK/$name/fuse/torg.db --mail-dir $WORK/$name/mail --metrics-addr off --rate-limit off"
YML
	"$TORG_LITEFS_BIN" mount -config "$WORK/$name/litefs.yml" >"$WORK/$name.log" 2>&1 &
	PIDS+=($!)
	for _ in $(seq 100); do
		curl -fs "http://127.0.0.1:$port/healthz" >/dev/null && return
		sleep 0.1
	done
	echo "node $name did not start:"; cat "$WORK/$name.log"; exit 1
}

echo
echo "== 2. wrk: LiteFS against a plain disk, $DURATION each"
node primary 20291 18191 true
node replica 20292 18192 false
mkdir -p "$WORK/plain"
"$TORG" serve --addr 127.0.0.1:18193 --db "$WORK/plain/torg.db" --metrics-addr off --rate-limit off >"$WORK/plain.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do curl -fs http://127.0.0.1:18193/healthz >/dev/null && break; sleep 0.1; done

LITEFS_SLUG=$("$TORG" event add --db "$WORK/primary/fuse/torg.db" --title Frokostmøte --starts 2030-12-03T07:30 --capacity 1000000)
PLAIN_SLUG=$("$TORG" event add --db "$WORK/plain/torg.db" --title Frokostmøte --starts 2030-12-03T07:30 --capacity 1000000)
for _ in $(seq 100); do curl -fs "http://127.0.0.1:18192/events/$LITEFS_SLUG" >/dev/null && break; sleep 0.1; done

# measure LABEL wrk-arguments...: one wrk run, once the machine is idle
# (the servers have sent the last run's e-mails: bench/lib.sh).
measure() {
	local label=$1; shift
	machine_idle
	local out; out=$(wrk "$@")
	printf '%-52s %10s req/s  p99 %s\n' "$label" "$(awk '/Requests\/sec/ {print $2}' <<<"$out")" "$(awk '$1 == "99%" {print $2}' <<<"$out")"
	grep -E 'answered|Non-2xx' <<<"$out" | sed 's/^/    /' || true
}
measure "signup POST, LiteFS primary, 8 conn." -t2 -c8 -d"$DURATION" --latency -s "$ROOT/bench/signup.lua" http://127.0.0.1:18191 -- "$LITEFS_SLUG"
measure "signup POST, plain disk, 8 conn." -t2 -c8 -d"$DURATION" --latency -s "$ROOT/bench/signup.lua" http://127.0.0.1:18193 -- "$PLAIN_SLUG"
curl -fs "http://127.0.0.1:18192/events/$LITEFS_SLUG" >/dev/null
curl -fs "http://127.0.0.1:18193/events/$PLAIN_SLUG" >/dev/null
measure "GET /events/{slug}, LiteFS replica, 64 conn." -t2 -c64 -d"$DURATION" --latency "http://127.0.0.1:18192/events/$LITEFS_SLUG"
measure "GET /events/{slug}, plain disk, 64 conn." -t2 -c64 -d"$DURATION" --latency "http://127.0.0.1:18193/events/$PLAIN_SLUG"

# Every signup the primary acknowledged is on the replica.
primary_left=$(curl -fs "http://127.0.0.1:18191/events/$LITEFS_SLUG" | grep -o 'data-seats-left="[0-9]*"')
sleep 1
replica_left=$(curl -fs "http://127.0.0.1:18192/events/$LITEFS_SLUG" | grep -o 'data-seats-left="[0-9]*"')
echo "primary $primary_left, replica $replica_left (1 s later)"
[ "$primary_left" = "$replica_left" ] || { echo "the replica has not caught up"; exit 1; }
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine slows both sides alike)"
