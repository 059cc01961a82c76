//! Chaos: random runs drawn from a seed, inside the fault model the game allows (at most a
//! minority down at a time, the simulator refuses more; every fault heals).
//!
//! A chaos run has three parts, each drawn from its own stream of the seed: varied timing (the
//! network's delay and jitter and the protocol's timeouts, [`vary_timing`]), a schedule of faults
//! spread over the run ([`schedule`]), and an [`Adversary`] that watches the run event by event and
//! aims faults at its dangerous moments (a crash right after an accept, a competing ballot while
//! one is in phase 2, a copy of a vote). Run `i` of `chaos --seed S` is exactly
//! `sim --chaos --seed S+i`: both run [`with_chaos`] of the setup, and [`Simulation`] brings the
//! adversary along.
//!
//! [`Simulation`]: crate::simulation::Simulation

mod adversary;

pub use adversary::{Adversary, fault, situation};

use crate::protocol::{ChaosFault, Setup};
use crate::sim::{Action, SimRng, Tick, TimedAction};

/// The fault schedule's stream of the seed; the protocol's randomness (stream 0) is the same with
/// and without chaos.
const SCHEDULE_STREAM: u64 = 1;
/// The varied timing's stream.
const TIMING_STREAM: u64 = 2;
/// The adversary's stream.
const ADVERSARY_STREAM: u64 = 3;

/// The ticks of one message hop at the slowest, the unit chaos measures its faults in.
fn hop(setup: &Setup) -> Tick {
    setup.net.base_delay + setup.net.jitter
}

/// Redraws `setup`'s timing from its seed: the base delay between half and twice its value, the
/// jitter from none (no reordering at all, one run in ten) to three times its value, then the
/// protocol's own timeouts ([`Protocol::vary_timing`](crate::protocol::Protocol::vary_timing)).
/// Every value stays inside the range the setup's validation allows.
pub fn vary_timing(setup: &mut Setup) {
    let mut rng = SimRng::new(setup.seed, TIMING_STREAM);
    let net = &mut setup.net;
    net.base_delay = (net.base_delay * rng.between(50, 200) / 100).clamp(1, 10_000);
    net.jitter = if rng.chance(100) {
        0
    } else {
        (net.jitter * rng.between(20, 300) / 100).min(10_000)
    };
    let mode = setup.mode;
    mode.vary_timing(setup, &mut rng);
}

/// A fault schedule for `setup`'s cluster, drawn from `setup.seed`: two to ten faults starting
/// within the first dozen hops, each healed within twenty hops.
pub fn schedule(setup: &Setup) -> Vec<TimedAction> {
    let mut rng = SimRng::new(setup.seed, SCHEDULE_STREAM);
    // Targets (the nodes that may be killed, slowed or partitioned) come first in every cluster.
    let all = setup.cluster_size();
    let targets = (0..all).filter(|n| setup.is_target(*n)).count();
    let kinds = setup.mode.chaos_faults();
    // Faults start within a window a few message delays long per fault, so they overlap the run.
    let hop = hop(setup);
    let faults = rng.between(2, 10);
    let window = hop * 12;
    let mut actions = Vec::new();
    let mut at = |tick: Tick, action: Action| actions.push(TimedAction { at: tick, action });
    for _ in 0..faults {
        let start = rng.below(window);
        let end = start + rng.between(hop, hop * 20);
        let node = rng.index(targets);
        match kinds[rng.index(kinds.len())] {
            ChaosFault::Crash => {
                at(start, Action::Kill { node });
                at(end, Action::Recover { node });
            }
            ChaosFault::Slow => {
                let factor = rng.between(2, 8) as u32;
                at(start, Action::Slow { node, factor });
                at(end, Action::Slow { node, factor: 1 });
            }
            ChaosFault::Cut => {
                let other = (node + 1 + rng.index(all - 1)) % all;
                let both = rng.chance(500);
                at(
                    start,
                    Action::Cut {
                        from: node,
                        to: other,
                        both,
                    },
                );
                at(
                    end,
                    Action::Heal {
                        from: node,
                        to: other,
                    },
                );
            }
            ChaosFault::Partition => {
                // Two groups of targets; clients (unlisted) keep their links.
                let mut groups = vec![Vec::new(), Vec::new()];
                for member in 0..targets {
                    groups[rng.index(2)].push(member);
                }
                at(start, Action::Partition { groups });
                at(end, Action::HealAll);
            }
            ChaosFault::DropNext => {
                for _ in 0..rng.between(1, 4) {
                    at(
                        start + rng.below(hop),
                        Action::DropNext {
                            from: rng.index(all),
                        },
                    );
                }
            }
            ChaosFault::Duplicate => {
                // Some copies trail by less than a hop (reordered), some by many (stale).
                for _ in 0..rng.between(1, 4) {
                    let delay = if rng.chance(500) {
                        rng.below(hop)
                    } else {
                        rng.between(hop, hop * 20)
                    };
                    at(
                        start + rng.below(hop),
                        Action::DuplicateNext {
                            from: rng.index(all),
                            delay,
                        },
                    );
                }
            }
            ChaosFault::PauseClients => {
                at(start, Action::PauseClients);
                at(end, Action::ResumeClients);
            }
        }
    }
    actions.sort_by_key(|a| a.at);
    actions
}

/// `setup` as a chaos run: its timing varied, a fault schedule added to its actions, and the
/// adversary on.
pub fn with_chaos(setup: &Setup) -> Setup {
    let mut chaotic = setup.clone();
    vary_timing(&mut chaotic);
    chaotic.actions.extend(schedule(&chaotic));
    chaotic.actions.sort_by_key(|a| a.at);
    chaotic.chaos = true;
    chaotic
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocols::{ec_counter, paxos};

    #[test]
    fn schedules_are_drawn_from_the_seed_and_stay_in_the_cluster() {
        let mut setup = Setup::for_mode(paxos::MODE);
        setup.seed = 5;
        assert_eq!(schedule(&setup), schedule(&setup));
        setup.seed = 6;
        let other = schedule(&setup);
        setup.seed = 5;
        assert_ne!(schedule(&setup), other);
        for mode in [paxos::MODE, ec_counter::MODE] {
            let mut setup = Setup::for_mode(mode);
            for seed in 0..300 {
                setup.seed = seed;
                let chaotic = with_chaos(&setup);
                assert!(chaotic.chaos);
                assert!(
                    chaotic.validate().is_ok(),
                    "{mode:?} seed {seed}: {:?}",
                    chaotic.validate()
                );
            }
        }
    }

    #[test]
    fn timing_varies_from_run_to_run_inside_the_valid_ranges() {
        for mode in [paxos::MODE, ec_counter::MODE] {
            let base = Setup::for_mode(mode);
            let (mut delays, mut jitters, mut knobs) = (Vec::new(), Vec::new(), Vec::new());
            for seed in 0..200 {
                let mut setup = base.clone();
                setup.seed = seed;
                vary_timing(&mut setup);
                assert!(setup.validate().is_ok(), "{mode:?} seed {seed}");
                delays.push(setup.net.base_delay);
                jitters.push(setup.net.jitter);
                knobs.push(setup.knobs.clone());
            }
            let spread = |v: &[u64]| v.iter().max().unwrap() - v.iter().min().unwrap();
            assert!(
                spread(&delays) >= base.net.base_delay,
                "{mode:?}: {delays:?}"
            );
            assert!(jitters.contains(&0), "{mode:?}: some runs never reorder");
            assert!(
                jitters.iter().any(|j| *j > base.net.base_delay),
                "{mode:?}: some runs reorder a lot"
            );
            knobs.sort_by_key(|k| format!("{k:?}"));
            knobs.dedup();
            assert!(
                knobs.len() > 100,
                "{mode:?}: the protocol's timeouts vary too"
            );
        }
    }

    /// Each protocol's timeouts are drawn over the whole range its `vary_timing` documents, and
    /// only there.
    #[test]
    fn each_protocol_draws_its_timeouts_over_their_documented_ranges() {
        // Paxos: the election timeout from half to three times its value, at least two hops.
        let base = Setup::for_mode(paxos::MODE);
        let default = base.knob("paxos.election_timeout");
        let mut drawn = Vec::new();
        for seed in 0..400 {
            let mut setup = base.clone();
            setup.seed = seed;
            vary_timing(&mut setup);
            let timeout = setup.knob("paxos.election_timeout");
            let two_hops = 2 * (setup.net.base_delay + setup.net.jitter);
            let low = (default / 2).max(two_hops);
            let high = (default * 3).max(low);
            assert!((low..=high).contains(&timeout), "seed {seed}: {timeout}");
            drawn.push(timeout);
        }
        assert!(drawn.iter().any(|t| *t < default), "{drawn:?}");
        assert!(drawn.iter().any(|t| *t > default * 2), "{drawn:?}");

        // ec-counter: the sync period from a third to three times, the retry timeout from half to
        // twice (at least a hop), the think time from a quarter to four times.
        let base = Setup::for_mode(ec_counter::MODE);
        for (field, low, high, at_least_a_hop) in [
            ("ec_counter.sync_period", 33, 300, false),
            ("ec_counter.retry_timeout", 50, 200, true),
            ("ec_counter.think_time", 25, 400, false),
        ] {
            let default = base.knob(field);
            let mut drawn = Vec::new();
            for seed in 0..400 {
                let mut setup = base.clone();
                setup.seed = seed;
                vary_timing(&mut setup);
                let floor = if at_least_a_hop {
                    setup.net.base_delay + setup.net.jitter
                } else {
                    1
                };
                let value = setup.knob(field);
                let range = (default * low / 100).max(floor)..=(default * high / 100).max(floor);
                assert!(
                    range.contains(&value),
                    "{field}, seed {seed}: {value} not in {range:?}"
                );
                drawn.push(value);
            }
            assert!(
                drawn.iter().any(|v| *v * 100 < default * (low + 100) / 2),
                "{field}: {drawn:?}"
            );
            assert!(
                drawn.iter().any(|v| *v * 100 > default * (high + 100) / 2),
                "{field}: {drawn:?}"
            );
        }
    }

    #[test]
    fn every_fault_kind_a_protocol_lists_is_scheduled() {
        for mode in [paxos::MODE, ec_counter::MODE] {
            let mut setup = Setup::for_mode(mode);
            let mut seen = std::collections::BTreeSet::new();
            for seed in 0..200 {
                setup.seed = seed;
                for timed in schedule(&setup) {
                    let name = serde_json::to_value(&timed.action).unwrap()["action"]
                        .as_str()
                        .unwrap()
                        .to_string();
                    seen.insert(name);
                }
            }
            for kind in mode.chaos_faults() {
                let name = match kind {
                    ChaosFault::Crash => "kill",
                    ChaosFault::Slow => "slow",
                    ChaosFault::Cut => "cut",
                    ChaosFault::Partition => "partition",
                    ChaosFault::DropNext => "drop_next",
                    ChaosFault::Duplicate => "duplicate_next",
                    ChaosFault::PauseClients => "pause_clients",
                };
                assert!(seen.contains(name), "{mode:?} never schedules {name}");
            }
        }
    }
}
