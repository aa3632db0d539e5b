#!/usr/bin/env bash
# Load benchmark: builds (or reuses) the release server, then scripts/bench.py.
# Usage: scripts/bench.sh [seconds per case, default 10] [case …]   (case "streams": only the live-events run)
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || {
  if [ "$(id -u)" = 0 ]; then apt-get install -y -qq wrk >/dev/null; else sudo apt-get install -y -qq wrk >/dev/null; fi
}
source scripts/env.sh
build_site >/dev/null
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
if [ "$streams" = yes ]; then
  python3 scripts/bench_streams.py 1000
fi
