#!/usr/bin/env bash
# Quick start, second command: installs what is missing, builds native and WebAssembly, and
# runs every test (the native tree's ctest also runs the wasm tests under node and compares),
# then the checked builds: sanitizers and fuzzing (scripts/checked.sh; CFDM_FUZZ_SECONDS bounds
# each fuzz target, default 30; CFDM_CHECKED=0 skips them).
source "$(dirname "$0")/common.sh"
"$ROOT/scripts/setup.sh"
"$ROOT/scripts/build.sh" all
say "running the tests"
(cd "$NATIVE_BUILD" && ctest --output-on-failure -j "$JOBS" "$@")
[ "${CFDM_CHECKED:-1}" = 0 ] || "$ROOT/scripts/checked.sh"
say "every test passed"
