//! The soak: many chaos seeds at every cluster size, on all cores, printing runs/s, violations
//! and how often each dangerous situation came up.
//!
//! `cargo bench --no-default-features --bench soak` runs 20,000 seeds per Paxos size (3-9) and
//! 1,000 per ec-counter size (2-7). Arguments after `--`: a number of seeds per Paxos size
//! (`1000000` for the full soak; ec-counter gets a fiftieth), `--paxos` or `--ec-counter` for one
//! protocol only, `--break VARIANT` to soak a broken protocol (to measure how often chaos
//! catches it).

use std::time::Instant;

use beat_paxos::batch::{self, RunOptions};
use beat_paxos::protocol::{Mode, Setup};
use beat_paxos::protocols::{ec_counter, paxos};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let runs = args
        .iter()
        .find_map(|a| a.parse::<u64>().ok())
        .unwrap_or(20_000);
    let broken = args
        .iter()
        .position(|a| a == "--break")
        .and_then(|i| args.get(i + 1))
        .map(|name| &*String::leak(name.clone()));
    let only = |flag: &str| args.iter().any(|a| a == flag);
    let (want_paxos, want_ec) = match (only("--paxos"), only("--ec-counter")) {
        (false, false) => (true, true),
        chosen => chosen,
    };
    let jobs = RunOptions::default().jobs;
    println!(
        "chaos soak, {jobs} threads{}",
        broken.map_or(String::new(), |b| format!(", --break {b}"))
    );
    println!(
        "{:<12} {:>5} {:>9} {:>16} {:>9} {:>9} {:>9}  situations (% of runs)",
        "mode", "size", "runs", "violating", "decided", "runs/s", "seconds"
    );
    let mut total_violating = 0;
    if want_paxos && broken.is_none_or(|b| paxos::MODE.variant(b).is_some()) {
        for nodes in 3..=9 {
            total_violating += soak(paxos::MODE, nodes, runs, broken);
        }
    }
    if want_ec && broken.is_none_or(|b| ec_counter::MODE.variant(b).is_some()) {
        for servers in 2..=7 {
            total_violating += soak(ec_counter::MODE, servers, (runs / 50).max(1), broken);
        }
    }
    if broken.is_none() && total_violating > 0 {
        eprintln!("FAILED: {total_violating} runs of correct protocols violated safety");
        std::process::exit(1);
    }
}

/// Runs `runs` chaos seeds of `mode` at `size`, prints one line, returns the violating runs.
fn soak(mode: Mode, size: u64, runs: u64, broken: Option<&'static str>) -> u64 {
    let mut base = Setup::for_mode(mode);
    base.set_knob(mode.size_knob(), size).unwrap();
    base.broken = broken;
    let started = Instant::now();
    let report = batch::run_many_with(&base, runs, RunOptions::default());
    let seconds = started.elapsed().as_secs_f64();
    let decided = report.decided_runs.or(report.converged_runs).unwrap_or(0);
    let percent = |count: u64| 100.0 * count as f64 / report.runs.max(1) as f64;
    let situations: Vec<String> = report
        .situations
        .iter()
        .map(|(name, count)| format!("{name} {:.1}", percent(*count)))
        .collect();
    println!(
        "{:<12} {size:>5} {:>9} {:>16} {:>9} {:>9.0} {seconds:>9.1}  {}",
        mode.name(),
        report.runs,
        format!(
            "{} ({:.2}%)",
            report.violating_runs,
            percent(report.violating_runs)
        ),
        decided,
        report.runs as f64 / seconds,
        situations.join(", ")
    );
    if let (Some(seed), Some(violation)) = (report.first_violating_seed, &report.first_violation) {
        println!(
            "{:<18} first at seed {seed}: {} {}",
            "", violation.kind, violation.detail
        );
    }
    report.violating_runs
}
