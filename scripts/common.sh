# Shared by the scripts in this folder: paths and the Emscripten environment. Source it.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
NATIVE_BUILD="$ROOT/build/native"
WASM_BUILD="$ROOT/build/wasm"
# Debian's emscripten needs Debian's node-acorn module, which a non-Debian node does not see.
export NODE_PATH=/usr/share/nodejs${NODE_PATH:+:$NODE_PATH}
JOBS=$(nproc)
say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
