#!/usr/bin/env bash
# bench/ideas.sh measures the idea board (GET /ideas) with 5,000 published
# ideas, on loopback with wrk:
#
#   filtered: 16 connections, each request a different search, sector and
#             seeking filter (so the page cache, keyed on the address,
#             rarely helps)                        target: p99 < 20 ms
#   board:    16 connections, the unfiltered board (cached, ETag) for scale
#
# Usage: bench/ideas.sh   (from anywhere; needs go, wrk, curl)
#   N=5000 DURATION=15s WARMUP=10s CONNS=16 THREADS=2 PORT=18082 BENCH_DIR=/tmp KEEP=1 bench/ideas.sh
#
# wrk and the server share the machine's cores: that is part of the
# measurement. See docs/performance.md, "The idea board".
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
N=${N:-5000}
DURATION=${DURATION:-15s}
WARMUP=${WARMUP:-10s}
CONNS=${CONNS:-16}
THREADS=${THREADS:-2}
PORT=${PORT:-18082}
BENCH_DIR=${BENCH_DIR:-/tmp}
BASE=http://127.0.0.1:$PORT

if ! command -v wrk >/dev/null; then
	echo "wrk is missing; installing it from Debian" >&2
	if [ "$(id -u)" = 0 ]; then apt-get install -y wrk; else sudo apt-get install -y wrk; fi
fi

WORK=$(mktemp -d "$BENCH_DIR/torgideas.XXXXXX")
SERVER=
cleanup() {
	if [ -n "$SERVER" ]; then kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; fi
	if [ -z "${KEEP:-}" ]; then rm -f "$WORK"/torg "$WORK"/torgbench "$WORK"/*.db "$WORK"/*.db-* "$WORK"/*.log; fi
	echo "outputs kept in $WORK (KEEP=1 keeps the database and log too)"
}
trap cleanup EXIT

echo "== machine"
echo "cores:  $(nproc)"
echo "cpu:    $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
echo "go:     $(go version)"
echo "commit: $(git -C "$ROOT" rev-parse --short HEAD)"

echo "== build and seed $N ideas"
(cd "$ROOT" && go build -o "$WORK/torg" ./cmd/torg && go build -o "$WORK/torgbench" ./cmd/torgbench)
"$WORK/torgbench" seed-ideas -db "$WORK/ideas.db" -n "$N"
"$WORK/torg" serve --addr "127.0.0.1:$PORT" --db "$WORK/ideas.db" 2>"$WORK/torg.log" &
SERVER=$!
for _ in $(seq 100); do curl -fs -o /dev/null "$BASE/healthz" && break; sleep 0.1; done

# The searches are every piece of 3 to 6 letters of the words the ideas
# are made of (so most find something, often inside a compound), crossed
# with every sector and sought thing: about 17,000 distinct addresses, far
# more than the page cache keeps (512), so nearly every request is a real
# search. Each wrk connection starts at its own random place.
cat >"$WORK/filtered.lua" <<'LUA'
local nouns = {"beredskapslager", "velferdsteknologi", "hjemmetjeneste", "førstehjelpskurs", "strømaggregat",
  "vannforsyning", "sykehusavtale", "krisekommunikasjon", "droneovervåking", "legevakt", "matberedskap",
  "evakueringsplan", "sensorsystem", "rehabilitering", "helseplattform", "hjemmeoppfølging", "øvelse"}
local sectors = {"", "health", "preparedness", "both", "other"}
local seeking = {"", "partner", "pilot_customer", "funding", "premises", "competence", "test_arena"}
local function escape(s) return (s:gsub("[^%w]", function(c) return string.format("%%%02X", string.byte(c)) end)) end
local words, seen = {}, {}
for _, n in ipairs(nouns) do
  for len = 3, 6 do
    for i = 1, #n - len + 1 do
      local w = n:sub(i, i + len - 1)
      if not seen[w] and w:match("^[a-z]+$") then seen[w] = true; words[#words + 1] = w end
    end
  end
end
local paths = {}
for _, w in ipairs(words) do
  for _, s in ipairs(sectors) do
    for _, k in ipairs(seeking) do
      local p = "/ideas?q=" .. escape(w)
      if s ~= "" then p = p .. "&sector=" .. s end
      if k ~= "" then p = p .. "&seeking=" .. k end
      paths[#paths + 1] = p
    end
  end
end
local i = 0
function init(args) math.randomseed(os.time() + tonumber(tostring({}):match("0x(%x+)"), 16) % 1000); i = math.random(#paths) end
function request()
  i = i % #paths + 1
  return wrk.format("GET", paths[i])
end
function done(summary, latency, requests)
  io.write(string.format("distinct filtered addresses: %d\n", #paths))
end
LUA

curl -fs -o /dev/null "$BASE/ideas?q=lager&sector=preparedness" || { echo "the board does not answer; see $WORK/torg.log" >&2; exit 1; }
# A running hub has read its index and met the common words long before a
# visitor searches; the first seconds of a fresh one have not (the index
# is read once, each word's set found once). WARMUP of the same load first,
# not measured, then the measurement.
echo "== warm-up: $CONNS connections, $WARMUP (not measured)"
wrk -t"$THREADS" -c"$CONNS" -d"$WARMUP" -s "$WORK/filtered.lua" "$BASE" >/dev/null
echo "== filtered: $CONNS connections, $DURATION"
wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency -s "$WORK/filtered.lua" "$BASE" | tee "$WORK/filtered.txt"

echo "== board: $CONNS connections, $DURATION"
curl -fs -o /dev/null "$BASE/ideas"
wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency "$BASE/ideas" | tee "$WORK/board.txt"

p99() { awk '/^ +99%/ {print $2}' "$1"; }
rps() { awk '/^Requests\/sec/ {print $2}' "$1"; }
echo
echo "== summary ($N ideas, $CONNS connections, $(nproc) cores shared by wrk and the server)"
echo "filtered: $(rps "$WORK/filtered.txt") requests/s, p99 $(p99 "$WORK/filtered.txt")   (target: p99 < 20 ms)"
echo "board:    $(rps "$WORK/board.txt") requests/s, p99 $(p99 "$WORK/board.txt")"
