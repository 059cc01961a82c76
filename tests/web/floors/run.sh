#!/usr/bin/env bash
# Builds the two floors (the game's Bevy stack with no game in it, and a front end drawn by egui
# alone) for the web, then times them against the game's dist/ in turn, RUNS times each, as
# tests/web/bench.mjs times the game (docs/web.md, "How far the goals are"). A manual experiment,
# not part of the tests. Each floor's first build takes 5 to 15 minutes.
#   tests/web/floors/run.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")"
runs=${1:-7}
out=${TMPDIR:-/tmp}/beat-paxos-floors
[ -n "$(ls ../../../dist/*.wasm 2>/dev/null)" ] || { echo "build the game first: scripts/web.sh build" >&2; exit 2; }
rm -rf "$out"
for floor in bevy egui; do
  ./build.sh "$floor" "$out/$floor"
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
