#!/usr/bin/env bash
# The project's test command: installs what the tests need on a fresh machine (only what is
# missing), then checks formatting and lints and runs every test. Used by .ci/run.
#
# The web side (installing trunk and wasm-bindgen, then the wasm build) runs in the background
# beside the native builds: a cargo build leaves one of two cores idle much of the time, and on a
# fresh machine the web side alone is about half of the run (docs/ci.md has the figures).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

step() { printf '\n== %s (%s)\n' "$*" "$(date +%T)"; }
started=$(date +%s)

step "system packages for the rendered tests"
scripts/setup-native.sh

step "cargo fmt --check"
cargo fmt --all -- --check

step "vendor/ is the published crates plus vendor/patches/ (no network)"
scripts/vendor.sh check

step "web tools and build, in the background (its output comes after the native tests)"
web_log=$(mktemp)
# Its own process group, so that it can be stopped whole if the native side fails.
set -m
scripts/web.sh build >"$web_log" 2>&1 &
web_pid=$!
set +m
trap 'kill -- -"$web_pid" 2>/dev/null || true' EXIT

step "core without the game (must build and pass on its own)"
cargo test --no-default-features --locked

step "exhaustive checks (stateright), release"
cargo test --release --no-default-features --locked --test check -- --ignored

step "cargo clippy --all-targets -- -D warnings"
cargo clippy --all-targets --locked -- -D warnings

step "all tests, game included"
cargo test --locked

step "web build (waiting for the background job)"
web_status=0
wait "$web_pid" || web_status=$?
trap - EXIT
cat "$web_log"
rm -f "$web_log"
[ "$web_status" -eq 0 ] || { echo "the web build failed (exit $web_status)"; exit "$web_status"; }

step "browser test"
BEAT_PAXOS_BIN="$CARGO_TARGET_DIR/debug/beat-paxos" scripts/web-test.sh --built

step "done in $(( ($(date +%s) - started) / 60 )) min $(( ($(date +%s) - started) % 60 )) s"
