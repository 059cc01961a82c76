//! Random fault schedules drawn from a seed, inside the fault model the game allows: at most a
//! minority down at a time (the simulator refuses more), and every fault heals. Run `i` of
//! `chaos --seed S` is exactly `sim --chaos --seed S+i`.

use serde::Serialize;

use crate::protocol::{ChaosFault, Setup};
use crate::sim::{Action, SimRng, Tick, TimedAction};

/// Chaos draws from its own stream of the seed, so the protocol's randomness is the same with and
/// without chaos.
const CHAOS_STREAM: u64 = 1;

/// A fault schedule for `setup`'s cluster, drawn from `setup.seed`.
pub fn schedule(setup: &Setup) -> Vec<TimedAction> {
    let mut rng = SimRng::new(setup.seed, CHAOS_STREAM);
    // Targets (the nodes that may be killed, slowed or partitioned) come first in every cluster.
    let all = setup.cluster_size();
    let targets = (0..all).filter(|n| setup.is_target(*n)).count();
    let kinds = setup.mode.chaos_faults();
    // Faults start within a window a few message delays long per fault, so they overlap the run.
    let hop = setup.net.base_delay + setup.net.jitter;
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
            ChaosFault::PauseClients => {
                at(start, Action::PauseClients);
                at(end, Action::ResumeClients);
            }
        }
    }
    actions.sort_by_key(|a| a.at);
    actions
}

/// `setup` with a chaos schedule added to its actions.
pub fn with_chaos(setup: &Setup) -> Setup {
    let mut chaotic = setup.clone();
    chaotic.actions.extend(schedule(setup));
    chaotic.actions.sort_by_key(|a| a.at);
    chaotic
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Percentiles {
    pub p50: Option<Tick>,
    pub p99: Option<Tick>,
    pub max: Option<Tick>,
}

impl Percentiles {
    /// Nearest-rank percentiles.
    pub fn of(mut values: Vec<Tick>) -> Percentiles {
        values.sort_unstable();
        let rank = |p: usize| {
            (!values.is_empty()).then(|| values[(values.len() * p).div_ceil(100).max(1) - 1])
        };
        Percentiles {
            p50: rank(50),
            p99: rank(99),
            max: values.last().copied(),
        }
    }
}

/// What `beat-paxos chaos` prints.
#[derive(Clone, Debug, Serialize)]
pub struct ChaosReport {
    pub mode: &'static str,
    #[serde(rename = "break")]
    pub broken: Option<&'static str>,
    pub first_seed: u64,
    pub runs: u64,
    /// Total violations over all runs.
    pub violations: u64,
    pub violating_runs: u64,
    pub first_violating_seed: Option<u64>,
    pub first_violation: Option<crate::sim::Violation>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decided_runs: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub converged_runs: Option<u64>,
    pub decision_ticks: Percentiles,
    pub events: u64,
    /// Wall-clock throughput: the one field that differs between identical invocations.
    pub events_per_sec: Option<u64>,
}

/// Runs `runs` chaos runs of `base` with seeds `base.seed..`.
pub fn run_many(base: &Setup, runs: u64) -> ChaosReport {
    let started = std::time::Instant::now();
    let mut report = ChaosReport {
        mode: base.mode.name(),
        broken: base.broken,
        first_seed: base.seed,
        runs,
        violations: 0,
        violating_runs: 0,
        first_violating_seed: None,
        first_violation: None,
        decided_runs: None,
        converged_runs: None,
        decision_ticks: Percentiles::of(Vec::new()),
        events: 0,
        events_per_sec: None,
    };
    let mut ticks = Vec::new();
    let mut done = 0;
    for i in 0..runs {
        let mut setup = base.clone();
        setup.seed = base.seed.wrapping_add(i);
        let (summary, _) = crate::simulation::run(&with_chaos(&setup), false);
        report.events += summary.events;
        if !summary.violations.is_empty() {
            report.violations += summary.violations.len() as u64;
            report.violating_runs += 1;
            if report.first_violating_seed.is_none() {
                report.first_violating_seed = Some(setup.seed);
                report.first_violation = summary.violations.first().cloned();
            }
        }
        if let Some(tick) = summary.decision_tick {
            done += 1;
            ticks.push(tick);
        }
    }
    if base.mode.converges() {
        report.converged_runs = Some(done);
    } else {
        report.decided_runs = Some(done);
    }
    report.decision_ticks = Percentiles::of(ticks);
    let seconds = started.elapsed().as_secs_f64();
    if seconds > 0.0 {
        report.events_per_sec = Some((report.events as f64 / seconds) as u64);
    }
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_by_nearest_rank() {
        let p = Percentiles::of((1..=100).rev().collect());
        assert_eq!(
            p,
            Percentiles {
                p50: Some(50),
                p99: Some(99),
                max: Some(100)
            }
        );
        assert_eq!(Percentiles::of(vec![7]).p50, Some(7));
        assert_eq!(Percentiles::of(vec![]).max, None);
    }

    #[test]
    fn schedules_are_drawn_from_the_seed_and_stay_in_the_cluster() {
        let mut setup = Setup::for_mode(crate::protocols::paxos::MODE);
        setup.seed = 5;
        assert_eq!(schedule(&setup), schedule(&setup));
        setup.seed = 6;
        let other = schedule(&setup);
        setup.seed = 5;
        assert_ne!(schedule(&setup), other);
        for seed in 0..200 {
            setup.seed = seed;
            let mut chaotic = with_chaos(&setup);
            assert!(
                chaotic.validate().is_ok(),
                "seed {seed}: {:?}",
                chaotic.validate()
            );
            chaotic.actions.clear();
        }
    }
}
