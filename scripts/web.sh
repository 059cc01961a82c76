#!/usr/bin/env bash
# The web version:
#   scripts/web.sh build    set up the tools if missing, build into dist/ and print the .wasm size
#   scripts/web.sh serve    build, then serve dist/ on http://127.0.0.1:8080
#   scripts/web.sh size     print the size of dist/*.wasm raw, gzip -9 and brotli (if available)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
# A separate cache for wasm, so the web build never evicts the native one.
export CARGO_TARGET_DIR="${BEAT_PAXOS_WASM_TARGET_DIR:-$HOME/.cache/beat-paxos/wasm-target}"
export PATH="$HOME/.cargo/bin:$PATH"
fallback="$HOME/.cache/beat-paxos/tools/wasm-fallback.env"
[ -f "$fallback" ] && source "$fallback"

size() {
  local wasm
  wasm=$(ls dist/*.wasm)
  local raw gz
  raw=$(stat -c %s "$wasm")
  gz=$(gzip -9 -c "$wasm" | wc -c)
  printf 'wasm size: %s raw %.2f MB, gzip -9 %.2f MB' "$(basename "$wasm")" "$(echo "$raw/1000000" | bc -l)" "$(echo "$gz/1000000" | bc -l)"
  if command -v brotli >/dev/null 2>&1; then
    printf ', brotli %.2f MB' "$(echo "$(brotli -c -q 11 "$wasm" | wc -c)/1000000" | bc -l)"
  fi
  echo
}

case "${1:-build}" in
  build)
    scripts/setup-web.sh
    trunk build --release
    size
    ;;
  serve)
    "$0" build
    echo "serving dist/ on http://127.0.0.1:8080 (Ctrl-C stops)"
    exec node scripts/serve.mjs dist 8080
    ;;
  size)
    size
    ;;
  *)
    echo "usage: scripts/web.sh build|serve|size" >&2
    exit 2
    ;;
esac
