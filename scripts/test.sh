#!/usr/bin/env bash
# Sets up, then runs every test: the cargo tests of all crates, then the
# Playwright suite against the release build. Both use the release profile, so
# the server's dependencies are compiled once for both.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$SECONDS
# A build from scratch needs about 3 GB under target/ (plus the tools setup.sh
# installs); a disk that fills up midway fails with a less obvious message.
free_gb=$(df -Pk . | awk 'NR == 2 { print int($4 / 1048576) }')
if [ "$free_gb" -lt 5 ]; then
  echo "test.sh: only ${free_gb} GB free on this disk; building and testing needs about 5 GB" >&2
  exit 1
fi
scripts/setup.sh
source scripts/env.sh

echo "== formatting and lints"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --release -- -D warnings

echo "== build_site (cargo leptos build --release --split --precompress, zopfli)"
build_site

echo "== cargo test --workspace --release (SQLite)"
cargo test --workspace --release

echo "== the server's tests again, on a private PostgreSQL"
scripts/with-postgres.sh cargo test --workspace --release --tests

echo "== playwright"
(cd end2end && npx playwright test)

echo "== all tests passed in $((SECONDS - started)) s"
