#!/usr/bin/env bash
# Load benchmark: builds (or reuses) the release server, then scripts/bench.py.
# Usage: scripts/bench.sh [--peer] [seconds per case, default 10] [case …]   (case "streams": only the live-events run)
# --peer: the same cases against the Node peer (scripts/peer), for a side-by-side figure.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || {
  if [ "$(id -u)" = 0 ]; then apt-get install -y -qq wrk >/dev/null; else sudo apt-get install -y -qq wrk >/dev/null; fi
}
source scripts/env.sh
args=()
for arg in "$@"; do
  if [ "$arg" = --peer ]; then export BENCH_PEER=1; else args+=("$arg"); fi
done
set -- "${args[@]}"
if [ -n "${BENCH_PEER:-}" ]; then
  # better-sqlite3 compiles its SQLite from source when no prebuilt binary can
  # be fetched; node-gyp then needs Node's headers (Debian: /usr/include/node).
  if [ ! -f scripts/peer/node_modules/better-sqlite3/build/Release/better_sqlite3.node ]; then
    [ -d /usr/include/node ] && export npm_config_nodedir=/usr
    (cd scripts/peer && npm ci --no-audit --no-fund >/dev/null)
  fi
else
  build_site >/dev/null
fi
seconds=${1:-10}
cases=()
streams=$([ $# -le 1 ] && echo yes || echo no)
for case in "${@:2}"; do
  if [ "$case" = streams ]; then streams=yes; else cases+=("$case"); fi
done
if [ $# -le 1 ] || [ ${#cases[@]} -gt 0 ]; then
  python3 scripts/bench.py "$seconds" "${cases[@]}"
fi
# Live events: 1,000 open streams, memory per stream and fan-out latency.
if [ "$streams" = yes ] && [ -z "${BENCH_PEER:-}" ]; then
  python3 scripts/bench_streams.py 1000
fi
