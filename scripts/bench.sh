#!/usr/bin/env bash
# The benchmark: native and wasm against NumPy and the machine's roofline, in one run. Prints a
# table and saves it to tests/bench/results/<arch>-<cores>core.md.
source "$(dirname "$0")/common.sh"
"$ROOT/scripts/setup.sh"
"$ROOT/scripts/build.sh" all
mkdir -p "$ROOT/tests/bench/results"
/usr/bin/python3 "$ROOT/tests/bench/run_bench.py" "$NATIVE_BUILD" "$WASM_BUILD" \
  --web "$ROOT/build/web" --playwright "$ROOT/build/npm/node_modules/playwright-core" --save "$ROOT/tests/bench/results/$(uname -m)-$(nproc)core.md"
