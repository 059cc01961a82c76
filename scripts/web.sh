#!/usr/bin/env bash
# The web version:
#   scripts/web.sh build    set up the tools if missing, build into dist/ and print the .wasm size
#   scripts/web.sh serve    build, then serve dist/ on http://127.0.0.1:8080
#   scripts/web.sh size     print the size of dist/*.wasm raw, gzip -9 and brotli -11
#   scripts/web.sh bench    build, then print sizes and the median of 5 first-frame times in
#                           headless Chromium, with where the time goes (tests/web/bench.mjs)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
# A separate cache for wasm, so the web build never evicts the native one.
export CARGO_TARGET_DIR="${BEAT_PAXOS_WASM_TARGET_DIR:-$HOME/.cache/beat-paxos/wasm-target}"
export PATH="$HOME/.cargo/bin:$PATH"
fallback="$HOME/.cache/beat-paxos/tools/wasm-fallback.env"
[ -f "$fallback" ] && source "$fallback"

# Sizes of the precompressed copies the build writes (scripts/compress.mjs): what is served.
size() {
  node --input-type=module -e '
    import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
    import { brotli, gzip } from "./scripts/compress.mjs";
    const name = readdirSync("dist").find((f) => f.endsWith(".wasm"));
    const file = `dist/${name}`;
    const size = (suffix, compress) => existsSync(file + suffix) ? statSync(file + suffix).size : compress(readFileSync(file)).length;
    const mb = (n) => (n / 1e6).toFixed(2);
    console.log(`wasm size: ${name} raw ${mb(statSync(file).size)} MB, gzip -9 ${mb(size(".gz", gzip))} MB, brotli -11 ${mb(size(".br", brotli))} MB`);'
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
  bench)
    "$0" build
    cd tests/web
    node bench.mjs ../../dist "${BENCH_RUNS:-5}"
    ;;
  *)
    echo "usage: scripts/web.sh build|serve|size|bench" >&2
    exit 2
    ;;
esac
