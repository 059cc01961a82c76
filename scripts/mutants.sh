#!/usr/bin/env bash
# Mutation testing of the protocols with cargo-mutants: which small changes to a protocol's actor,
# checker, settings or to the model checker go unnoticed by the core tests. A rebuild per mutant
# (357 mutants: about two hours on two cores), so CI does not run it. The tests take a second or two, so a
# mutant still running after 20 s loops forever and counts as caught by timeout.
#
#   scripts/mutants.sh                      every mutant in scope
#   scripts/mutants.sh -F paxos/node.rs     only those whose name matches a regex
#   scripts/mutants.sh --list               list them without running anything
#
# The report lands in target/mutants.out (caught.txt, missed.txt, timeout.txt, unviable.txt).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

if ! command -v cargo-mutants >/dev/null; then
  echo "error: cargo-mutants is not installed (cargo install cargo-mutants --locked)" >&2
  exit 2
fi

# A build cache of its own: a mutated build must not replace the binary the normal tests run.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR%/}-mutants"

# View texts (view.rs, and a protocol's title and pitch) are left out: they are judged by eye in
# the game, not by tests. See docs/mutants.md for what survives and why.
# Every core test (the unit tests and each tests/*.rs but the game's, which needs Bevy and is
# compiled out without the `game` feature), without the ignored release-mode checks.
exec nice -n 10 cargo mutants \
  --no-default-features \
  --file 'src/protocols/mod.rs' \
  --file 'src/protocols/*/mod.rs' \
  --file 'src/protocols/*/node.rs' \
  --file 'src/protocols/*/checker.rs' \
  --file 'src/check/**' \
  --exclude-re '::(title|pitch) -> ' \
  --jobs 1 \
  --timeout 20 \
  --output target \
  "$@" \
  -- --lib --tests
