#!/usr/bin/env bash
# cfdm sample with the training set split over P processes of this machine (README: More data than
# one machine): scripts/mpi-sample.sh P [cfdm sample options...]. Says what to install when mpirun
# or the MPI build is missing. On several machines, call mpirun yourself (with --hostfile).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CFDM=${CFDM:-$ROOT/build/native/src/cfdm}
if [ $# -lt 1 ] || ! [[ "$1" =~ ^[1-9][0-9]*$ ]]; then
  echo "usage: scripts/mpi-sample.sh P [cfdm sample options...]  (P: the number of processes, e.g. 2)" >&2
  exit 2
fi
P=$1
shift
if ! command -v mpirun > /dev/null; then
  echo "mpi-sample.sh: mpirun not found: install Open MPI (sudo apt-get install openmpi-bin libopenmpi-dev," \
       "or scripts/setup.sh), then build again (scripts/build.sh native)" >&2
  exit 2
fi
if [ ! -x "$CFDM" ]; then
  echo "mpi-sample.sh: $CFDM not found: build it first (scripts/build.sh native)" >&2
  exit 2
fi
if ! "$CFDM" info | grep -q "^mpi: built in"; then
  echo "mpi-sample.sh: $CFDM was built without MPI: install libopenmpi-dev and build again" \
       "(scripts/build.sh native, which finds it)" >&2
  exit 2
fi
extra=()
[ "$(id -u)" -eq 0 ] && extra+=(--allow-run-as-root)
[ "$P" -gt "$(nproc)" ] && extra+=(--oversubscribe)
exec mpirun --quiet "${extra[@]}" -np "$P" "$CFDM" sample "$@"
