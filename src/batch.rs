//! Many chaos runs, on all cores: seeds are handed out in blocks to worker threads, and the
//! blocks' tallies are merged in seed order, so the report is the same whatever the number of
//! threads. Stopped early (Ctrl-C), the report covers the longest prefix of seeds that finished.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::chaos::with_chaos;
use crate::protocol::Setup;
use crate::sim::{Tick, Violation};
use crate::simulation::Simulation;

/// Seeds per block: small enough that a stop is quick and threads share the work evenly, large
/// enough that handing blocks out costs nothing.
const BLOCK: u64 = 64;

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Percentiles {
    pub p50: Option<Tick>,
    pub p99: Option<Tick>,
    pub max: Option<Tick>,
}

impl Percentiles {
    /// Nearest-rank percentiles.
    pub fn of(values: Vec<Tick>) -> Percentiles {
        let mut counts = BTreeMap::new();
        for value in values {
            *counts.entry(value).or_default() += 1;
        }
        Percentiles::of_counts(&counts)
    }

    /// Nearest-rank percentiles of values given as how many times each occurs.
    pub fn of_counts(counts: &BTreeMap<Tick, u64>) -> Percentiles {
        let total: u64 = counts.values().sum();
        let rank = |p: u64| {
            let wanted = (total * p).div_ceil(100).max(1);
            let mut seen = 0;
            counts.iter().find_map(|(value, count)| {
                seen += count;
                (seen >= wanted).then_some(*value)
            })
        };
        Percentiles {
            p50: rank(50),
            p99: rank(99),
            max: counts.keys().next_back().copied(),
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
    /// Runs completed: all that were asked for, or after an interruption the seeds
    /// `first_seed..first_seed + runs`.
    pub runs: u64,
    /// Total violations over all runs.
    pub violations: u64,
    pub violating_runs: u64,
    pub first_violating_seed: Option<u64>,
    pub first_violation: Option<Violation>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decided_runs: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub converged_runs: Option<u64>,
    pub decision_ticks: Percentiles,
    /// For each dangerous situation (see `docs/chaos.md`), the runs that reached it.
    pub situations: BTreeMap<&'static str, u64>,
    /// For each fault kind (see `docs/chaos.md`), the runs in which it took effect.
    pub faults: BTreeMap<&'static str, u64>,
    pub events: u64,
    /// Stopped before all runs were done (Ctrl-C).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub interrupted: bool,
    /// Wall-clock throughput: the one field that differs between identical invocations.
    pub events_per_sec: Option<u64>,
}

/// How to run many chaos runs.
pub struct RunOptions<'a> {
    /// Worker threads (at least one).
    pub jobs: usize,
    /// Once set, workers finish the block they are on and stop.
    pub stop: Option<&'a AtomicBool>,
    /// Called from the calling thread about every `progress_every`, with the runs done so far.
    pub progress: Option<&'a mut dyn FnMut(Progress)>,
    pub progress_every: Duration,
}

impl Default for RunOptions<'_> {
    fn default() -> Self {
        RunOptions {
            jobs: std::thread::available_parallelism().map_or(1, |n| n.get()),
            stop: None,
            progress: None,
            progress_every: Duration::from_secs(1),
        }
    }
}

/// Where a long chaos run stands.
#[derive(Clone, Copy, Debug)]
pub struct Progress {
    pub done: u64,
    pub total: u64,
    pub violating_runs: u64,
    pub elapsed: Duration,
}

/// The results of a block of consecutive seeds.
#[derive(Default)]
struct Tally {
    runs: u64,
    violations: u64,
    violating_runs: u64,
    first_violation: Option<(u64, Violation)>,
    done: u64,
    /// How many runs decided (or converged) at each tick: memory grows with the distinct ticks,
    /// not with the runs.
    ticks: BTreeMap<Tick, u64>,
    situations: BTreeMap<&'static str, u64>,
    faults: BTreeMap<&'static str, u64>,
    events: u64,
}

impl Tally {
    fn add_run(&mut self, setup: &Setup) {
        let mut simulation = Simulation::new(&with_chaos(setup), false);
        simulation.run_to_end(setup.max_ticks);
        let summary = simulation.engine().summary(setup);
        self.runs += 1;
        self.events += summary.events;
        if !summary.violations.is_empty() {
            self.violations += summary.violations.len() as u64;
            self.violating_runs += 1;
            if self.first_violation.is_none() {
                self.first_violation = Some((setup.seed, summary.violations[0].clone()));
            }
        }
        if let Some(tick) = summary.decision_tick {
            self.done += 1;
            *self.ticks.entry(tick).or_default() += 1;
        }
        for name in simulation.situations() {
            *self.situations.entry(name).or_default() += 1;
        }
        for name in simulation.fault_kinds() {
            *self.faults.entry(name).or_default() += 1;
        }
    }

    /// Adds the tally of the seeds right after this one's.
    fn extend(&mut self, next: Tally) {
        self.runs += next.runs;
        self.violations += next.violations;
        self.violating_runs += next.violating_runs;
        if self.first_violation.is_none() {
            self.first_violation = next.first_violation;
        }
        self.done += next.done;
        for (tick, count) in next.ticks {
            *self.ticks.entry(tick).or_default() += count;
        }
        for (name, count) in next.situations {
            *self.situations.entry(name).or_default() += count;
        }
        for (name, count) in next.faults {
            *self.faults.entry(name).or_default() += count;
        }
        self.events += next.events;
    }
}

/// Runs `runs` chaos runs of `base` with seeds `base.seed..` on all cores.
pub fn run_many(base: &Setup, runs: u64) -> ChaosReport {
    run_many_with(base, runs, RunOptions::default())
}

/// Runs `runs` chaos runs of `base` with seeds `base.seed..`, as `options` say.
pub fn run_many_with(base: &Setup, runs: u64, mut options: RunOptions<'_>) -> ChaosReport {
    let started = Instant::now();
    let blocks = runs.div_ceil(BLOCK);
    let next_block = AtomicU64::new(0);
    let never = AtomicBool::new(false);
    let stop = options.stop.unwrap_or(&never);
    // Blocks are merged in seed order as soon as all before them are in; the others wait here.
    let mut total = Tally::default();
    let mut merged_blocks = 0;
    let mut waiting: BTreeMap<u64, Tally> = BTreeMap::new();
    std::thread::scope(|scope| {
        let (sender, results) = mpsc::channel::<(u64, Tally)>();
        for _ in 0..options.jobs.max(1).min(blocks.max(1) as usize) {
            let sender = sender.clone();
            let next_block = &next_block;
            scope.spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    let block = next_block.fetch_add(1, Ordering::Relaxed);
                    if block >= blocks {
                        break;
                    }
                    let mut tally = Tally::default();
                    let first = block * BLOCK;
                    for i in first..(first + BLOCK).min(runs) {
                        let mut setup = base.clone();
                        setup.seed = base.seed.wrapping_add(i);
                        tally.add_run(&setup);
                    }
                    if sender.send((block, tally)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(sender);
        let (mut done, mut violating) = (0, 0);
        let mut last_report = Instant::now();
        loop {
            match results.recv_timeout(options.progress_every) {
                Ok((block, tally)) => {
                    done += tally.runs;
                    violating += tally.violating_runs;
                    waiting.insert(block, tally);
                    while let Some(next) = waiting.remove(&merged_blocks) {
                        total.extend(next);
                        merged_blocks += 1;
                    }
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            }
            if let Some(progress) = options.progress.as_mut()
                && last_report.elapsed() >= options.progress_every
            {
                last_report = Instant::now();
                progress(Progress {
                    done,
                    total: runs,
                    violating_runs: violating,
                    elapsed: started.elapsed(),
                });
            }
        }
    });
    // Blocks still waiting come after one that never finished: they are left out.
    let (first_violating_seed, first_violation) = total.first_violation.unzip();
    let mut report = ChaosReport {
        mode: base.mode.name(),
        broken: base.broken,
        first_seed: base.seed,
        runs: total.runs,
        violations: total.violations,
        violating_runs: total.violating_runs,
        first_violating_seed,
        first_violation,
        decided_runs: None,
        converged_runs: None,
        decision_ticks: Percentiles::of_counts(&total.ticks),
        situations: total.situations,
        faults: total.faults,
        events: total.events,
        interrupted: total.runs < runs,
        events_per_sec: None,
    };
    if base.mode.converges() {
        report.converged_runs = Some(total.done);
    } else {
        report.decided_runs = Some(total.done);
    }
    let seconds = started.elapsed().as_secs_f64();
    if seconds > 0.0 {
        report.events_per_sec = Some((report.events as f64 / seconds) as u64);
    }
    report
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocols::paxos;

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
        assert_eq!(
            Percentiles::of(vec![5, 1, 5, 5, 9]),
            Percentiles {
                p50: Some(5),
                p99: Some(9),
                max: Some(9)
            }
        );
        assert_eq!(Percentiles::of(vec![]).max, None);
    }

    fn report_with(jobs: usize, stop: Option<&AtomicBool>) -> serde_json::Value {
        let mut base = Setup::for_mode(paxos::MODE);
        base.broken = Some("amnesia");
        base.seed = 40;
        let options = RunOptions {
            jobs,
            stop,
            ..RunOptions::default()
        };
        let mut report = serde_json::to_value(run_many_with(&base, 300, options)).unwrap();
        report["events_per_sec"] = serde_json::Value::Null;
        report
    }

    #[test]
    fn the_report_is_the_same_for_any_number_of_threads() {
        let one = report_with(1, None);
        assert_eq!(one["runs"], 300);
        assert!(one["violating_runs"].as_u64().unwrap() > 0, "{one}");
        for jobs in [2, 3, 7] {
            assert_eq!(report_with(jobs, None), one, "{jobs} threads");
        }
    }

    #[test]
    fn a_stopped_run_reports_nothing_past_what_it_finished() {
        let stop = AtomicBool::new(true);
        let report = report_with(2, Some(&stop));
        assert_eq!(report["runs"], 0);
        assert_eq!(report["interrupted"], true);
        assert_eq!(report["decided_runs"], 0);
    }
}
