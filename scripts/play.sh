#!/usr/bin/env bash
# Builds and runs the game natively (release build; the first build takes ~15 minutes on 2 cores).
# Extra arguments go to the game, e.g. `scripts/play.sh --mode ec-counter --seed 7`.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
scripts/setup-native.sh
exec cargo run --release --locked -- "$@"
