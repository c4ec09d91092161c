# Shared by the scripts in this folder: paths and the Emscripten environment. Source it.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
NATIVE_BUILD="$ROOT/build/native"
WASM_BUILD="$ROOT/build/wasm"
# Debian's emscripten needs Debian's node-acorn module, which a non-Debian node does not see.
export NODE_PATH=/usr/share/nodejs${NODE_PATH:+:$NODE_PATH}
JOBS=$(nproc)
# Each step says what it does and when, in minutes:seconds since the first script started (so a
# CI log shows where the time goes).
export CFDM_SCRIPTS_START=${CFDM_SCRIPTS_START:-$(date +%s)}
say() {
  local elapsed=$(($(date +%s) - CFDM_SCRIPTS_START))
  printf '\033[1m==> [%d:%02d] %s\033[0m\n' $((elapsed / 60)) $((elapsed % 60)) "$*" >&2
}
