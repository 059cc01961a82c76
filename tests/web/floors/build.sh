#!/usr/bin/env bash
# Builds one floor for the web into DIR, as the game is served: wasm-bindgen, a page that loads
# it, and precompressed copies (docs/web.md, "How far the goals are").
#   tests/web/floors/build.sh bevy|egui DIR
# The Bevy floor shares the game's wasm cache (its dependencies are the game's); its first build
# takes 5 to 15 minutes, later ones seconds.
set -euo pipefail
floor=$1
dist=$(realpath -m "$2")
cd "$(dirname "$0")"
source ../../../scripts/env.sh
export PATH="$HOME/.cargo/bin:$PATH"
target="${BEAT_PAXOS_WASM_TARGET_DIR:-$HOME/.cache/beat-paxos/wasm-target}"
[ "$floor" = egui ] && target="$HOME/.cache/beat-paxos/floor-egui"
(cd "$floor" && CARGO_TARGET_DIR="$target" cargo build --profile web --target wasm32-unknown-unknown)
rm -rf "$dist"
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
