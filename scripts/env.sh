# Shared settings for the project's scripts (sourced, not run).
# Build caches live outside the clone so that CI runs after the first are fast and a fresh clone
# reuses them.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/beat-paxos/target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

# A fresh clone gives vendor/'s files the time of the clone, which Cargo takes for an edit: it
# rebuilt the patched crates and all of Bevy above them, native and wasm, in every CI run. Files
# that match the last commit get that commit's time instead, so a build cache made by another clone
# stays valid; a file being edited keeps its own time. Only commits to the crates' folders count: a
# commit to vendor/patches/ or vendor/README.md alone must not move the crates' time (a rebuild).
if [ -d vendor ] && git rev-parse --is-inside-work-tree >/dev/null 2>&1 \
  && git diff --quiet HEAD -- vendor 2>/dev/null; then
  vendor_time=$(git log -1 --format=%ct -- vendor ':(exclude)vendor/patches' ':(exclude)vendor/README.md')
  if [ -n "$vendor_time" ]; then
    find vendor -type f -newermt "@$vendor_time" -exec touch -d "@$vendor_time" {} +
  fi
fi
