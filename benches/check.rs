//! Exhaustive checking figures for `docs/checking.md`: states, depth, time and states/s of the
//! proofs and of the searches for each broken variant. Run with
//! `cargo bench --no-default-features --bench check`; a numeric argument sets the time limit of
//! each case in seconds (default 300), `quick` runs only the 3-node cases. Breadth-first cases
//! stop at 10 million generated states (2 to 9 GB).

use std::time::Duration;

use beat_paxos::explore::{CheckOptions, NetworkKind, Search};
use beat_paxos::protocol::{Mode, Setup};
use beat_paxos::protocols::{self, ec_counter, paxos};

struct Case {
    name: &'static str,
    mode: Mode,
    nodes: u64,
    broken: Option<&'static str>,
    options: CheckOptions,
}

fn case(name: &'static str, mode: Mode, nodes: u64, broken: Option<&'static str>) -> Case {
    let explorer = protocols::explorer(mode).expect("explorable");
    Case {
        name,
        mode,
        nodes,
        broken,
        options: CheckOptions {
            max_depth: explorer.default_max_depth(),
            ..CheckOptions::default()
        },
    }
}

fn with(mut case: Case, change: impl FnOnce(&mut CheckOptions)) -> Case {
    change(&mut case.options);
    case
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let limit = args
        .iter()
        .filter_map(|a| a.parse::<f64>().ok())
        .next()
        .unwrap_or(300.0);
    let quick = args.iter().any(|a| a == "quick");
    let network = |network| move |o: &mut CheckOptions| o.network = network;
    let dfs = |o: &mut CheckOptions| o.search = Search::Dfs;
    let mut cases = vec![
        case("paxos 3, 1 crash, unordered", paxos::MODE, 3, None),
        with(
            case("paxos 3, 1 crash, duplicating", paxos::MODE, 3, None),
            network(NetworkKind::Duplicating),
        ),
        with(
            with(
                case("paxos 3, 1 crash, lossy (dfs)", paxos::MODE, 3, None),
                network(NetworkKind::Lossy),
            ),
            dfs,
        ),
        case("paxos 3, amnesia", paxos::MODE, 3, Some("amnesia")),
        case(
            "paxos 3, skip-highest-accepted",
            paxos::MODE,
            3,
            Some("skip-highest-accepted"),
        ),
        case(
            "paxos 3, accept-after-promise",
            paxos::MODE,
            3,
            Some("accept-after-promise"),
        ),
        with(
            case(
                "paxos 3, amnesia, duplicating",
                paxos::MODE,
                3,
                Some("amnesia"),
            ),
            network(NetworkKind::Duplicating),
        ),
        case("ec-counter 2x2x2, depth 14", ec_counter::MODE, 2, None),
        case(
            "ec-counter 2x2x2, no-max",
            ec_counter::MODE,
            2,
            Some("no-max"),
        ),
    ];
    if !quick {
        // Four and five nodes do not complete within minutes unbounded; a depth bound does.
        cases.extend([
            with(
                case("paxos 4, 1 crash, depth 12", paxos::MODE, 4, None),
                |o| o.max_depth = Some(12),
            ),
            with(
                case("paxos 5, 1 crash, depth 10", paxos::MODE, 5, None),
                |o| o.max_depth = Some(10),
            ),
        ]);
    }
    println!(
        "{:<40} {:>11} {:>12} {:>6} {:>9} {:>10}  result",
        "case (max_round 1)", "unique", "generated", "depth", "seconds", "states/s"
    );
    for mut case in cases {
        case.options.timeout = Some(Duration::from_secs_f64(limit));
        // Breadth first keeps its frontier in memory (about 650 bytes a state); depth first
        // only the states' fingerprints.
        case.options.max_states = Some(match case.options.search {
            Search::Bfs => 10_000_000,
            Search::Dfs | Search::Core => 400_000_000,
        });
        let mut setup = Setup::for_mode(case.mode);
        let explorer = protocols::explorer(case.mode).expect("explorable");
        for (field, value) in explorer.small_setup() {
            setup.set_knob(field, *value).unwrap();
        }
        setup.set_knob(case.mode.size_knob(), case.nodes).unwrap();
        setup.broken = case.broken;
        let report = explorer.check(&setup, &case.options);
        let result = match (&report.violation, report.complete) {
            (Some(v), _) => format!("{} in {} steps", v.kind, v.length),
            (None, true) => "no violation, complete".to_string(),
            (None, false) => "no violation, cut short".to_string(),
        };
        println!(
            "{:<40} {:>11} {:>12} {:>6} {:>9.2} {:>10}  {result}",
            case.name,
            report.unique_states,
            report.states,
            report.depth,
            report.seconds.unwrap_or(0.0),
            report.states_per_sec.unwrap_or(0),
        );
    }
}
