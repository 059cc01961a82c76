# Shared settings for the project's scripts (sourced, not run).
# Build caches live outside the clone so that CI runs after the first are fast and a fresh clone
# reuses them.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/beat-paxos/target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
