#!/usr/bin/env bash
# Builds the two floors (the game's Bevy stack with no game in it, and a front end drawn by egui
# alone) for the web, then times them against the game's dist/ in turn, RUNS times each, as
# tests/web/bench.mjs times the game (docs/web.md, "How far the goals are"). A manual experiment,
# not part of the tests. Each floor's first build takes 5 to 15 minutes.
#   tests/web/floors/run.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")"
source ../../../scripts/env.sh
export PATH="$HOME/.cargo/bin:$PATH"
runs=${1:-7}
out=${TMPDIR:-/tmp}/beat-paxos-floors
[ -n "$(ls ../../../dist/*.wasm 2>/dev/null)" ] || { echo "build the game first: scripts/web.sh build" >&2; exit 2; }
rm -rf "$out"
for floor in bevy egui; do
  # The Bevy floor shares the game's cache (its dependencies are the game's); egui has its own.
  target="$HOME/.cache/beat-paxos/wasm-target"
  [ "$floor" = egui ] && target="$HOME/.cache/beat-paxos/floor-egui"
  (cd "$floor" && CARGO_TARGET_DIR="$target" cargo build --profile web --target wasm32-unknown-unknown)
  dist="$out/$floor"
  wasm-bindgen --target web --no-typescript --out-dir "$dist" \
    "$target/wasm32-unknown-unknown/web/$floor-floor.wasm"
  cat > "$dist/index.html" <<HTML
<!doctype html>
<html><head><meta charset="utf-8"><title>$floor floor</title>
<style>html,body{margin:0;height:100%;overflow:hidden}canvas{width:100%;height:100%;display:block}</style></head>
<body><canvas id="beat-paxos"></canvas>
<script type="module">
import init from "./$floor-floor.js";
// winit ends start-up by throwing "Using exceptions for control flow"; that is not a failure.
init({ module_or_path: "./$floor-floor_bg.wasm" }).catch((e) => { if (!String(e).includes("control flow")) throw e; });
</script></body></html>
HTML
  node ../../../scripts/compress.mjs "$dist"
done

cd ..
mkdir -p "$out/runs"
for i in $(seq 1 "$runs"); do
  for dist in ../../dist "$out/bevy" "$out/egui"; do
    node bench.mjs "$dist" 1 --json "$out/runs/$(basename "$dist")-$i.json" >/dev/null
  done
done
node --input-type=module -e '
import { readdirSync, readFileSync } from "node:fs";
const dir = process.argv[1];
for (const name of ["dist", "bevy", "egui"]) {
  const runs = readdirSync(dir).filter((f) => f.startsWith(name + "-")).map((f) => JSON.parse(readFileSync(`${dir}/${f}`)));
  const first = runs.map((r) => r.runs[0].firstFrame).sort((a, b) => a - b);
  const { raw, gzip, brotli } = runs[0].sizes;
  const mb = (n) => (n / 1e6).toFixed(2);
  console.log(`${name === "dist" ? "the game" : name + " floor"}: raw ${mb(raw)} MB, gzip ${mb(gzip)} MB, brotli ${mb(brotli)} MB, `
    + `first frame median of ${first.length}: ${Math.round(first[Math.floor(first.length / 2)])} ms`);
}' "$out/runs"
