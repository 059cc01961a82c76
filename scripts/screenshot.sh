#!/usr/bin/env bash
# Renders the game under Xvfb with Mesa's software Vulkan driver and writes a PNG.
#   scripts/screenshot.sh OUT.png [game flags...]     e.g. --nodes 5 --seed 5, --mode ec-counter
# FRAMES (default 330) sets how many frames to render; each frame is one simulation step at the
# chosen --speed, so the picture is the same on every machine. BEAT_PAXOS_BIN picks the binary
# (default: a release build). The player's saved scores are never touched.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
scripts/setup-native.sh >/dev/null
out=${1:?usage: scripts/screenshot.sh OUT.png [game flags...]}
shift
bin=${BEAT_PAXOS_BIN:-}
if [ -z "$bin" ]; then
  cargo build --release --locked
  bin="$CARGO_TARGET_DIR/release/beat-paxos"
fi
mkdir -p "$(dirname "$out")"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
export BEAT_PAXOS_DATA_DIR="$scratch/data" XDG_RUNTIME_DIR="$scratch"
rm -f "$out"
xvfb-run -a -s "-screen 0 ${SIZE:-1280x720}x24" \
  "$bin" --screenshot "$out" --exit-after-frames "${FRAMES:-330}" "$@" 2>"$scratch/log" || {
  cat "$scratch/log" >&2
  exit 1
}
grep '^screenshot:' "$scratch/log" || true
[ -s "$out" ] || { echo "no screenshot written" >&2; cat "$scratch/log" >&2; exit 1; }
echo "wrote $out"
