#!/usr/bin/env bash
# Quick start, first command: installs what is missing, builds, and samples the default toy
# dataset (moons), writing out/samples.npy and out/samples.png. Arguments go to `cfdm sample`.
source "$(dirname "$0")/common.sh"
"$ROOT/scripts/setup.sh"
"$ROOT/scripts/build.sh" native
mkdir -p "$ROOT/out"
say "sampling: cfdm sample --data moons --out out/samples.npy --plot out/samples.png $*"
"$NATIVE_BUILD/src/cfdm" sample --data moons --out "$ROOT/out/samples.npy" --plot "$ROOT/out/samples.png" "$@"
say "wrote out/samples.npy and out/samples.png"
