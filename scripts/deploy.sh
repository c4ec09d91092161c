#!/usr/bin/env bash
# Builds the web app and writes a self-contained static site: `scripts/deploy.sh [--service-worker] [DIR]`
# (default DIR: dist). Upload DIR to any static host; docs/embedding.md says which headers each
# host needs. --service-worker makes the full app isolate itself with web/isolation-sw.js, for
# hosts that cannot send the COOP/COEP headers (GitHub Pages).
source "$(dirname "$0")/common.sh"
service_worker=0
out="$ROOT/dist"
for arg in "$@"; do
  case "$arg" in
    --service-worker) service_worker=1 ;;
    -*) echo "usage: scripts/deploy.sh [--service-worker] [DIR]" >&2; exit 2 ;;
    *) out=$(realpath -m "$arg") ;;
  esac
done
"$ROOT/scripts/setup.sh"
"$ROOT/scripts/build.sh" wasm
web="$ROOT/build/web"
for f in poster.png threads/cfdm_app.js threads/cfdm_app.wasm threads/cfdm_app.worker.js single/cfdm_app.js \
         single/cfdm_app.wasm; do
  [ -f "$web/$f" ] || { echo "deploy: $web/$f is missing: the build did not finish" >&2; exit 1; }
done
say "writing the static site to $out"
rm -rf "$out.tmp"
mkdir -p "$out.tmp/threads" "$out.tmp/single" "$out.tmp/data"
cp "$ROOT"/web/{index.html,embed.html,host-example.html,loader.js,isolation-sw.js} "$web"/poster*.png "$out.tmp/"
cp "$web"/threads/cfdm_app.{js,wasm,worker.js} "$out.tmp/threads/"
cp "$web"/single/cfdm_app.{js,wasm} "$out.tmp/single/"
cp "$web"/data/*.idx.gz "$out.tmp/data/" 2>/dev/null || say "no image data in $web/data: MNIST and Fashion-MNIST will be missing"
# Netlify and Cloudflare Pages read _headers; other hosts: docs/embedding.md.
cat > "$out.tmp/_headers" <<'HEADERS'
/*
  Cross-Origin-Opener-Policy: same-origin
  Cross-Origin-Embedder-Policy: require-corp
HEADERS
if [ "$service_worker" = 1 ]; then
  sed -i 's|<script src="loader.js"></script>|<script>window.cfdmServiceWorker = "isolation-sw.js";</script>\n  &|' \
    "$out.tmp/index.html"
  grep -q cfdmServiceWorker "$out.tmp/index.html" || { echo "deploy: could not enable the service worker" >&2; exit 1; }
fi
rm -rf "$out" && mv "$out.tmp" "$out"
du -sh "$out" | awk '{print "deploy: " $1 " in '"$out"'"}'
