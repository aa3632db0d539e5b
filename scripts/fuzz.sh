#!/usr/bin/env bash
# Runs every fuzz target for a bounded time: scripts/fuzz.sh [seconds per target]
# Needs a nightly toolchain (libFuzzer's instrumentation) and cargo-fuzz; both
# are installed here if missing. New inputs land in fuzz/corpus/ (not
# committed); crashes in fuzz/artifacts/, and the script fails on the first.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"

rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked

cd fuzz
cargo +nightly fuzz build
for target in verify_token setlist_body; do
  mkdir -p "corpus/$target"
  log="corpus/$target.log"
  echo "== $target: ${seconds}s"
  # New inputs go to the first folder; the committed seeds are read only.
  if ! cargo +nightly fuzz run "$target" "corpus/$target" "seeds/$target" -- \
      -max_total_time="$seconds" -max_len=8192 -print_final_stats=1 >"$log" 2>&1; then
    tail -n 40 "$log" >&2
    echo "fuzz target $target failed; the input is in fuzz/artifacts/$target/" >&2
    exit 1
  fi
  grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb|#[0-9]+ +DONE)' "$log"
done
