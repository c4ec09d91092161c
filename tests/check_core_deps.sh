#!/usr/bin/env bash
# The core depends on Eigen, nanoflann and the standard library only: no UI, platform or
# browser headers. Fails listing any include that breaks this.
set -euo pipefail
core_dir=${1:?usage: check_core_deps.sh SRC/CORE}
bad=$(grep -rnE '#\s*include\s*[<"](SDL|imgui|GL/|GLES|emscripten|EGL|webgpu|glad|cli/|app/|data/)' "$core_dir" || true)
if [ -n "$bad" ]; then
  echo "core includes platform or front-end headers:"
  echo "$bad"
  exit 1
fi
echo "core is platform-free: $(ls "$core_dir" | wc -l) files checked"
