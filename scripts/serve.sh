#!/usr/bin/env bash
# Builds the web app (threads + SIMD, and the single-thread fallback) and serves it on localhost
# with the COOP/COEP headers (arguments go to web/serve.py, e.g. --port 8080, --no-isolation).
# `scripts/serve.sh --native` runs the desktop app (SDL2 + OpenGL) instead.
source "$(dirname "$0")/common.sh"
"$ROOT/scripts/setup.sh"
if [ "${1:-}" = "--native" ]; then
  "$ROOT/scripts/build.sh" native
  exec "$NATIVE_BUILD/src/cfdm_app"
fi
"$ROOT/scripts/build.sh" wasm
exec python3 "$ROOT/build/web/serve.py" --port "${PORT:-8000}" --dir "$ROOT/build/web" "$@"
