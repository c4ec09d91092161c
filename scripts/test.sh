#!/usr/bin/env bash
# Quick start, second command: installs what is missing, builds native and WebAssembly, and
# runs every test (the native tree's ctest also runs the wasm tests under node and compares).
source "$(dirname "$0")/common.sh"
"$ROOT/scripts/setup.sh"
"$ROOT/scripts/build.sh" all
say "running the tests"
cd "$NATIVE_BUILD"
ctest --output-on-failure -j "$JOBS" "$@"
