# Sourced by the other scripts: the toolchain route chosen by setup.sh, and
# binaryen's wasm-opt ahead of any other on PATH.
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LEPTOS_LIB_ARGS=()
# shellcheck source=/dev/null
[ -f "$ROOT/target/toolchain.env" ] && source "$ROOT/target/toolchain.env"
export PATH="$ROOT/end2end/node_modules/.bin:$HOME/.cargo/bin:$PATH"
if [ -n "${RUSTC_BOOTSTRAP:-}" ]; then export PATH="/usr/bin:$PATH"; fi
