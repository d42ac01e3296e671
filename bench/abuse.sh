#!/usr/bin/env bash
# bench/abuse.sh replays issue 11's abuse case against "torg serve" with its
# default per-address limits (handlers/ratelimit.go), on loopback, both
# from one address:
#
#   a script: 5,000 signup POSTs in 10 s at a 20-seat event
#                                 target: its lists grow by no more than the limits allow
#   a room:   150 signups over two minutes, most at once, each 429 sent
#             again after its Retry-After
#                                 target: all 150 signed up within the two minutes
#
# Usage: bench/abuse.sh   (from anywhere; needs go and curl; takes about 3 minutes)
#   PORT=18084 BENCH_DIR=/tmp KEEP=1 bench/abuse.sh
#
# See docs/performance.md, "Abuse".
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
PORT=${PORT:-18084}
BENCH_DIR=${BENCH_DIR:-/tmp}
BASE=http://127.0.0.1:$PORT

WORK=$(mktemp -d "$BENCH_DIR/torgabuse.XXXXXX")
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

echo "== build"
(cd "$ROOT" && go build -o "$WORK/torg" ./cmd/torg && go build -o "$WORK/torgbench" ./cmd/torgbench)
# The limits as shipped: TORG_RATE_LIMIT unset (on).
env -u TORG_RATE_LIMIT "$WORK/torg" serve --addr "127.0.0.1:$PORT" --db "$WORK/abuse.db" 2>"$WORK/torg.log" &
SERVER=$!
for _ in $(seq 50); do curl -fs -o /dev/null "$BASE/healthz" && break; sleep 0.1; done
curl -fs -o /dev/null "$BASE/healthz" || { echo "the server did not start" >&2; exit 1; }

echo "== replay"
"$WORK/torgbench" abuse -url "$BASE" -db "$WORK/abuse.db"
