#!/usr/bin/env bash
# Builds the web version and runs the browser end-to-end test (tests/web/e2e.mjs) against it.
# Needs a native `beat-paxos` for the native-vs-web trace comparison: BEAT_PAXOS_BIN, or the
# one `cargo test` built. With `--built`, dist/ is taken as it is (scripts/test.sh builds it
# beforehand, beside the native tests).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
native=${BEAT_PAXOS_BIN:-$CARGO_TARGET_DIR/debug/beat-paxos}
[ -x "$native" ] || cargo build --locked --bin beat-paxos
[ "${1:-}" = --built ] || scripts/web.sh build
mkdir -p artifacts
cd tests/web
# The download must not creep up: gzip size against the figure in tests/web/size-budget.json.
node size-check.mjs ../../dist
node e2e.mjs ../../dist "$native" ../../artifacts
