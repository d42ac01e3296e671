#!/usr/bin/env bash
# bench/door.sh measures the door (issue 9): 200 people checked in within
# one minute from four door pages, on loopback, while a live screen
# narrowed to the event watches "here now".
#
#   every check-in recorded once (10 % are scanned a second time at another
#   door), the screen's counter right at the end    target: p99 of a check-in < 50 ms
#
# Usage: bench/door.sh   (from anywhere; needs go and curl)
#   N=200 DOORS=4 DURATION=60s REPEAT=0.1 PORT=18083 BENCH_DIR=/tmp KEEP=1 bench/door.sh
#
# See docs/performance.md, "The door".
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
N=${N:-200}
DOORS=${DOORS:-4}
DURATION=${DURATION:-60s}
REPEAT=${REPEAT:-0.1}
PORT=${PORT:-18083}
BENCH_DIR=${BENCH_DIR:-/tmp}
BASE=http://127.0.0.1:$PORT

WORK=$(mktemp -d "$BENCH_DIR/torgdoor.XXXXXX")
SERVER=
cleanup() {
	if [ -n "$SERVER" ]; then kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; fi
	if [ -z "${KEEP:-}" ]; then rm -rf "$WORK"; else echo "kept in $WORK"; fi
}
trap cleanup EXIT

echo "== machine"
echo "cores:  $(nproc)"
echo "cpu:    $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
echo "go:     $(go version)"
echo "commit: $(git -C "$ROOT" rev-parse --short HEAD)"

echo "== build and seed: $N people signed up"
(cd "$ROOT" && go build -o "$WORK/torg" ./cmd/torg && go build -o "$WORK/torgbench" ./cmd/torgbench)
SLUG=$("$WORK/torgbench" seed-door -db "$WORK/door.db" -n "$N")
"$WORK/torg" serve --addr "127.0.0.1:$PORT" --db "$WORK/door.db" 2>"$WORK/torg.log" &
SERVER=$!
for _ in $(seq 100); do curl -fs -o /dev/null "$BASE/healthz" && break; sleep 0.1; done

echo "== $DOORS doors check $N people in over $DURATION"
"$WORK/torgbench" door -url "$BASE" -db "$WORK/door.db" -event "$SLUG" -doors "$DOORS" -duration "$DURATION" -repeat "$REPEAT"
