# Sourced by the other scripts: the toolchain route chosen by setup.sh,
# binaryen's wasm-opt ahead of any other on PATH, and how the release site is built.
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DEBIAN_RUST=
# shellcheck source=/dev/null
[ -f "$ROOT/target/toolchain.env" ] && source "$ROOT/target/toolchain.env"
export PATH="$HOME/.cargo/bin:$PATH"
# Debian's rustc before rustup's, when setup.sh chose it.
if [ -n "$DEBIAN_RUST" ]; then export PATH="/usr/bin:$PATH"; fi
# setup.sh's own Node.js, when the system's is too old for Playwright.
if "$ROOT/target/node/bin/node" --version >/dev/null 2>&1; then export PATH="$ROOT/target/node/bin:$PATH"; fi
# Ahead of everything: binaryen's wasm-opt, never Debian's (108 breaks hydration).
export PATH="$ROOT/end2end/node_modules/.bin:$PATH"

# The browser's wasm rebuilds the standard library with two size options that
# are not stable yet: panic=immediate-abort (a panic traps at once, so no
# panic-message formatting is linked; in the browser a panic is fatal either
# way) and location-detail=none (no file names and lines for panics). Together
# they take 8 % off the gzipped wasm. Unstable options need RUSTC_BOOTSTRAP,
# and it is set for every cargo command because changing it rebuilds every
# crate. A target's own rustflags replace [build] rustflags, so
# erase_components (see .cargo/config.toml) is repeated here.
export RUSTC_BOOTSTRAP=1
export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="--cfg erase_components -Zunstable-options -Cpanic=immediate-abort -Zlocation-detail=none"
LEPTOS_LIB_ARGS=(--lib-cargo-args=-Zbuild-std=std,panic_abort --lib-cargo-args=-Zbuild-std-features=optimize_for_size)

# Builds the release server and wasm, with .br and .gz beside each file for
# the server to send. --split cuts the lazily loaded pages (app/src/pages/lazy.rs)
# into wasm chunks of their own. zopfli rewrites the .gz files: cargo-leptos
# writes them at a fast setting, about a sixth larger.
build_site() {
  cargo leptos build --release --split --precompress "${LEPTOS_LIB_ARGS[@]}"
  mend_chunk_loader "$ROOT"/target/site/pkg/__wasm_split.*.js
  drop_dead_exports "$ROOT"/target/site/pkg/backstage.wasm
  local file
  for file in "$ROOT"/target/site/pkg/*.wasm "$ROOT"/target/site/pkg/*.js "$ROOT"/target/site/pkg/*.css; do
    zopfli -c "$file" >"$file.gz"
  done
}

# wasm-streams (which leptos's server functions use; this app has none) marks
# three classes #[wasm_bindgen], and whatever a wasm exports stays in it: their
# methods (README, Performance, has the bytes) are reachable only from JavaScript that
# nothing runs (no Rust code hands such an object to JS: the glue has no
# `__wrap` for them). wasm-opt drops the exports, and with them the code, with
# the settings cargo-leptos used (wasm-opt-features in Cargo.toml). Then the
# .br again (.gz: zopfli, below). The chunks import only what the main wasm
# still exports: split.spec.ts loads every one of them.
drop_dead_exports() {
  local wasm=$1 settings
  grep -q 'IntoUnderlying[A-Za-z]*\.__wrap' "${wasm%.wasm}.js" && { echo "drop_dead_exports: the JS now creates wasm-streams objects: keep their exports" >&2; return 1; }
  mapfile -t settings < <(sed -n 's/^wasm-opt-features = \[\(.*\)\]$/\1/p' "$ROOT/Cargo.toml" | grep -o '"[^"]*"' | tr -d '"')
  [ ${#settings[@]} -gt 0 ] || { echo "drop_dead_exports: no wasm-opt-features in Cargo.toml" >&2; return 1; }
  wasm-opt "$wasm" -o "$wasm" --remove-exports --pass-arg='remove-exports@*intounderlying*' "${settings[@]}"
  brotli -f -q 11 -o "$wasm.br" "$wasm"
}

# wasm-split's chunk loader (wasm_split_cli_support 0.2.3) starts a chunk's
# fetch and then awaits the chunks it depends on: when one of those fails
# first (the signal went), the fetch's own failure is never handled, and the
# page gets an uncaught "Failed to fetch". And a failed load is a
# console.error, though the page says so itself. Each fetch is marked
# handled (the load still fails, and the page offers a reload) and the log
# is a warning. Its .br is dropped: the server sends the .gz (zopfli, below).
mend_chunk_loader() {
  local loader=$1
  [ -f "$loader" ] || return 0
  sed -i -e 's/^\( *const src = fetch(.*)\);$/\1; src.catch(() => {});/' \
    -e 's/console\.error(e);/console.warn(e);/' "$loader"
  grep -q 'src.catch(() => {});' "$loader" || { echo "mend_chunk_loader: the loader changed shape: $loader" >&2; return 1; }
  rm -f "$loader.br"
}
