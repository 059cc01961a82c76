#!/usr/bin/env bash
# The project's test command: installs what the tests need on a fresh machine (only what is
# missing), then checks formatting and lints and runs every test. Used by .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

step() { printf '\n== %s\n' "$*"; }

step "system packages for the rendered tests"
scripts/setup-native.sh

step "cargo fmt --check"
cargo fmt --all -- --check

step "core without the game (must build and pass on its own)"
cargo test --no-default-features --locked

step "exhaustive checks (stateright), release: about 3 minutes"
cargo test --release --no-default-features --locked --test check -- --ignored

step "cargo clippy --all-targets -- -D warnings"
cargo clippy --all-targets --locked -- -D warnings

step "all tests, game included"
cargo test --locked

step "web build and browser test"
BEAT_PAXOS_BIN="$CARGO_TARGET_DIR/debug/beat-paxos" scripts/web-test.sh
