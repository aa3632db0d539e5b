#!/usr/bin/env bash
# Load benchmark: builds (or reuses) the release server, then scripts/bench.py.
# Usage: scripts/bench.sh [seconds per case, default 10] [case …]
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || {
  if [ "$(id -u)" = 0 ]; then apt-get install -y -qq wrk >/dev/null; else sudo apt-get install -y -qq wrk >/dev/null; fi
}
source scripts/env.sh
build_site >/dev/null
exec python3 scripts/bench.py "${1:-10}" "${@:2}"
