#!/usr/bin/env bash
# Builds the web app (threads + SIMD) and serves it on localhost with the COOP/COEP headers.
# `scripts/serve.sh --native` runs the desktop app (SDL2 + OpenGL) instead.
source "$(dirname "$0")/common.sh"
"$ROOT/scripts/setup.sh"
if [ "${1:-}" = "--native" ]; then
  "$ROOT/scripts/build.sh" native
  exec "$NATIVE_BUILD/src/cfdm_app"
fi
"$ROOT/scripts/build.sh" wasm
exec python3 "$WASM_BUILD/src/serve.py" --port "${PORT:-8000}" --dir "$WASM_BUILD/src"
