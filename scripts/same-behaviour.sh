#!/usr/bin/env bash
# Runs a fixed list of headless runs and writes each one's output to a folder, so that a refactor
# can be shown to change no behaviour: run it with the binary from before and after, then
# `diff -r` the two folders (issue #22's "byte-identical" list).
#
#   scripts/same-behaviour.sh BINARY OUT_DIR
set -euo pipefail
bin=${1:?usage: same-behaviour.sh BINARY OUT_DIR}
out=${2:?usage: same-behaviour.sh BINARY OUT_DIR}
root=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$out"

# One run: its stdout, stderr and exit code, under a name.
run() {
    local name=$1
    shift
    local code=0
    "$bin" "$@" >"$out/$name.out" 2>"$out/$name.err" || code=$?
    echo "$code" >"$out/$name.code"
}

# Single runs with their traces' hashes (the trace itself too, which the hash covers).
for seed in 1 2 3; do
    for nodes in 3 5 9; do
        run "sim-paxos-n$nodes-s$seed" sim --mode paxos --nodes "$nodes" --seed "$seed" \
            --trace "$out/sim-paxos-n$nodes-s$seed.trace"
    done
    run "sim-ec-counter-s$seed" sim --mode ec-counter --seed "$seed" \
        --trace "$out/sim-ec-counter-s$seed.trace"
    run "sim-paxos-chaos-s$seed" sim --mode paxos --chaos --seed "$seed"
    run "sim-ec-counter-chaos-s$seed" sim --mode ec-counter --chaos --seed "$seed"
done

# The shipped scenarios.
for scenario in "$root"/assets/scenarios/*.json; do
    name=$(basename "$scenario" .json)
    run "scenario-$name" sim --scenario "$scenario" --trace "$out/scenario-$name.trace"
done

# Chaos and check for every variant of every protocol (correct and broken).
variants=("paxos:" "paxos:amnesia" "paxos:skip-highest-accepted" "paxos:accept-after-promise"
    "ec-counter:" "ec-counter:no-max")
for variant in "${variants[@]}"; do
    mode=${variant%%:*}
    broken=${variant#*:}
    flags=(--mode "$mode")
    [[ -n $broken ]] && flags+=(--break "$broken")
    name="$mode${broken:+-$broken}"
    run "chaos-$name" chaos "${flags[@]}" --runs 3000 --jobs 2 --no-timing
    run "check-$name" check "${flags[@]}" --no-timing
done
run "chaos-paxos-n5" chaos --mode paxos --nodes 5 --runs 3000 --no-timing

# Lessons: the list, and each one's solution.
run "lesson-list" lesson --list
for lesson in $("$bin" lesson --list | grep -o '"name": *"[^"]*"' | sed 's/.*"\([^"]*\)"$/\1/'); do
    run "lesson-$lesson" lesson "$lesson" --solve
done

# Errors keep their wording and exit code.
run "error-unknown-mode" sim --mode raftish
run "error-bad-break" chaos --break nothing
