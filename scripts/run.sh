#!/usr/bin/env bash
# Sets up, builds the release and serves Backstage at http://127.0.0.1:3000
# with SQLite (data/backstage.db) and the demo members drummer / manager
# (password backstage-pass-1).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
source scripts/env.sh
build_site
export BACKSTAGE_ENV=${BACKSTAGE_ENV:-development}
exec target/release/server
