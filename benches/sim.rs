//! Simulation throughput with the checkers on: events per second for 3- and 9-node Paxos and for
//! ec-counter, under chaos schedules. Run with `cargo bench --no-default-features --bench sim`.

use std::time::{Duration, Instant};

use beat_paxos::chaos;
use beat_paxos::protocol::Setup;
use beat_paxos::protocols::{ec_counter, paxos};
use beat_paxos::simulation as run;

/// Runs chaos seeds for at least `budget` and returns (runs, events, elapsed).
fn measure(base: &Setup, budget: Duration) -> (u64, u64, Duration) {
    let started = Instant::now();
    let (mut runs, mut events) = (0, 0);
    while started.elapsed() < budget {
        let mut setup = base.clone();
        setup.seed = runs;
        let (summary, _) = run::run(&chaos::with_chaos(&setup), false);
        assert!(summary.violations.is_empty());
        events += summary.events;
        runs += 1;
    }
    (runs, events, started.elapsed())
}

fn main() {
    // `cargo bench` passes `--bench`; a numeric argument sets seconds per case (default 3).
    let seconds = std::env::args()
        .filter_map(|a| a.parse::<f64>().ok())
        .next()
        .unwrap_or(3.0);
    let budget = Duration::from_secs_f64(seconds);
    let cases = [
        ("paxos, 3 nodes", paxos::MODE, 3),
        ("paxos, 9 nodes", paxos::MODE, 9),
        (
            "ec-counter, 3 servers x 5 clients x 100 requests",
            ec_counter::MODE,
            3,
        ),
    ];
    println!(
        "{:<50} {:>8} {:>12} {:>14} {:>12}",
        "case (chaos, checkers on)", "runs", "events", "events/s", "runs/s"
    );
    for (name, mode, nodes) in cases {
        let mut setup = Setup::for_mode(mode);
        setup.set_knob(mode.size_knob(), nodes).unwrap();
        let (runs, events, elapsed) = measure(&setup, budget);
        let secs = elapsed.as_secs_f64();
        println!(
            "{name:<50} {runs:>8} {events:>12} {:>14.0} {:>12.1}",
            events as f64 / secs,
            runs as f64 / secs
        );
    }
}
