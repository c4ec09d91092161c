#!/usr/bin/env bash
# The benchmark: native and wasm against NumPy and the machine's roofline, in one run; the
# analytic family against a PyTorch port of the reference framework's denoisers; data loading and
# the neighbour index as whole processes against PyTorch and FAISS; the training set split over
# mpirun's processes. Prints the tables and saves them to tests/bench/results/<arch>-<cores>core.md,
# <arch>-<cores>core-models.md, -data.md and -mpi.md.
source "$(dirname "$0")/common.sh"
CFDM_SETUP_BENCH=1 "$ROOT/scripts/setup.sh"
"$ROOT/scripts/build.sh" all
mkdir -p "$ROOT/tests/bench/results"
/usr/bin/python3 "$ROOT/tests/bench/run_bench.py" "$NATIVE_BUILD" "$WASM_BUILD" \
  --web "$ROOT/build/web" --playwright "$ROOT/build/npm/node_modules/playwright-core" --save "$ROOT/tests/bench/results/$(uname -m)-$(nproc)core.md"
/usr/bin/python3 "$ROOT/tests/bench/bench_models.py" "$NATIVE_BUILD" --wasm "$WASM_BUILD" \
  --web "$ROOT/build/web" --playwright "$ROOT/build/npm/node_modules/playwright-core" \
  --save "$ROOT/tests/bench/results/$(uname -m)-$(nproc)core-models.md"
/usr/bin/python3 "$ROOT/tests/bench/bench_data.py" "$NATIVE_BUILD" "$WASM_BUILD" \
  --web "$ROOT/build/web" --playwright "$ROOT/build/npm/node_modules/playwright-core" \
  --save "$ROOT/tests/bench/results/$(uname -m)-$(nproc)core-data.md"
/usr/bin/python3 "$ROOT/tests/bench/bench_mpi.py" "$NATIVE_BUILD" \
  --save "$ROOT/tests/bench/results/$(uname -m)-$(nproc)core-mpi.md"
