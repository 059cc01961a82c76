#!/usr/bin/env bash
# The web version:
#   scripts/web.sh build    set up the tools if missing, build into dist/ and print the .wasm size
#   scripts/web.sh serve    build, then serve dist/ on http://127.0.0.1:8080
#   scripts/web.sh size     print the size of dist/*.wasm raw, gzip -9 and brotli -11
#   scripts/web.sh bench    build the game and the Bevy floor (its engine with no game in it),
#                           then time both in turn in headless Chromium, 7 runs each, cold and
#                           on a second visit, and print the medians side by side against the
#                           goals, with where the time goes (tests/web/bench.mjs)
#   scripts/web.sh profile  build, then a copy with function names kept (dist-names/), and print
#                           where the CPU time goes until the first frame, by crate and by
#                           function (tests/web/profile.mjs); about 10 minutes the first time
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
    floor="${TMPDIR:-/tmp}/beat-paxos-floors/bevy"
    tests/web/floors/build.sh bevy "$floor"
    cd tests/web
    node bench.mjs ../../dist "${BENCH_RUNS:-7}" --floor "$floor"
    ;;
  profile)
    "$0" build
    # The same build with the function-name section kept, bound to the same file names as dist/.
    cargo build --profile web-names --target wasm32-unknown-unknown --bin beat-paxos
    rm -rf dist-names
    cp -r dist dist-names
    rm -f dist-names/*.br dist-names/*.gz
    wasm=$(basename dist-names/*_bg.wasm)
    wasm-bindgen --target web --no-typescript --out-dir dist-names --out-name "${wasm%_bg.wasm}" \
      "$CARGO_TARGET_DIR/wasm32-unknown-unknown/web-names/beat-paxos.wasm"
    # The loader's integrity hashes are of dist/'s files.
    sed -i 's/ integrity="[^"]*"//g' dist-names/index.html
    cd tests/web
    node profile.mjs ../../dist-names "${PROFILE_RUNS:-3}"
    ;;
  *)
    echo "usage: scripts/web.sh build|serve|size|bench|profile" >&2
    exit 2
    ;;
esac
