//! Exhaustive checking (`beat-paxos check`): the model checker finds each broken variant, its
//! counterexample replays in the simulator as a scripted scenario, and correct protocols pass.
//! The searches that take more than a few seconds are ignored by default; CI runs them in release:
//! `cargo test --release --no-default-features --test check -- --ignored`.

use beat_paxos::explore::{CheckOptions, CheckReport, NetworkKind, Search};
use beat_paxos::protocol::{Mode, Setup};
use beat_paxos::protocols::{ec_counter, paxos};
use beat_paxos::scenario::Scenario;
use beat_paxos::simulation;

mod common;
use common::{beat_paxos, json};

/// `mode`'s default setup with the small configuration `check` uses.
fn small(mode: Mode, broken: Option<&'static str>) -> Setup {
    let mut setup = Setup::for_mode(mode);
    for (field, value) in mode.explorer().unwrap().small_setup() {
        setup.set_knob(field, *value).unwrap();
    }
    setup.broken = broken;
    setup
}

/// Checks `mode`'s small configuration, with the protocol's depth bound unless `options` has one.
fn check(mode: Mode, broken: Option<&'static str>, mut options: CheckOptions) -> CheckReport {
    let explorer = mode.explorer().unwrap();
    options.max_depth = options.max_depth.or(explorer.default_max_depth());
    explorer.check(&small(mode, broken), &options)
}

/// `broken` has a counterexample of `length` steps, and the scenario it becomes, written out and
/// read back, replays in the simulator to the same kind of violation. Returns the report.
fn finds_and_replays(
    mode: Mode,
    broken: &'static str,
    options: CheckOptions,
    length: usize,
) -> CheckReport {
    let report = check(mode, Some(broken), options);
    let violation = report
        .violation
        .clone()
        .unwrap_or_else(|| panic!("{broken}: no counterexample in {report:?}"));
    assert_eq!(violation.length, length, "{broken}: {:#?}", violation.steps);
    assert_eq!(violation.steps.len(), length);
    assert!(
        violation.steps[0].starts_with("1. "),
        "{:?}",
        violation.steps
    );
    assert!(
        violation.replays,
        "{broken}: the checker says it does not replay"
    );
    assert!(!report.complete, "a violation stops the search");

    let text = serde_json::to_string_pretty(report.scenario.as_ref().unwrap()).unwrap();
    let scenario = Scenario::parse("counterexample.json", &text).unwrap();
    assert_eq!(scenario.script.len(), length);
    let setup = Setup::from_scenario(&scenario).unwrap();
    assert_eq!(setup.broken, Some(broken));
    let (summary, run) = simulation::run(&setup, false);
    assert_eq!(run.script_error(), None);
    assert_eq!(
        summary.violations.first().map(|v| v.kind.as_str()),
        Some(violation.kind.as_str()),
        "{broken}: {summary:?}"
    );
    report
}

fn no_crashes() -> CheckOptions {
    CheckOptions {
        max_crashes: 0,
        ..CheckOptions::default()
    }
}

#[test]
fn a_leader_that_skips_the_highest_accepted_value_is_caught_in_eight_steps() {
    // Red gets green's promise and accept (red is chosen); blue prepares, green's promise carries
    // red's value, blue proposes its own anyway and green accepts it: four steps per leader.
    let report = finds_and_replays(paxos::MODE, "skip-highest-accepted", no_crashes(), 8);
    assert_eq!(report.violation.unwrap().kind, "stability");
}

#[test]
fn an_acceptor_that_accepts_below_its_promise_is_caught_in_eight_steps() {
    // Green promises blue's higher ballot, then still accepts red's lower one: red's ballot and
    // blue's each reach a majority with green in both, and they carry different values.
    let report = finds_and_replays(paxos::MODE, "accept-after-promise", no_crashes(), 8);
    let violation = report.violation.unwrap();
    assert_eq!(violation.kind, "stability");
    assert!(
        violation
            .steps
            .iter()
            .any(|s| s.contains("receives Accept(1.")),
        "{:#?}",
        violation.steps
    );
}

#[test]
fn a_counter_without_max_is_caught_when_a_smaller_set_follows_a_larger_one() {
    let report = finds_and_replays(ec_counter::MODE, "no-max", CheckOptions::default(), 5);
    let violation = report.violation.unwrap();
    assert_eq!(violation.kind, "monotonicity");
    // The server takes the first set, answers it, then takes the client's smaller second set.
    let last = violation.steps.last().unwrap();
    assert!(
        last.contains("receives Set(") && last.contains("now holds"),
        "{last}"
    );
}

/// A recovering acceptor that forgets: ten steps, about 70,000 states.
#[test]
fn amnesia_is_caught_in_ten_steps_and_replays() {
    let report = finds_and_replays(paxos::MODE, "amnesia", CheckOptions::default(), 10);
    let steps = report.violation.unwrap().steps;
    assert!(
        steps.iter().any(|s| s.ends_with("crashes"))
            && steps.iter().any(|s| s.ends_with("recovers")),
        "{steps:#?}"
    );
}

#[test]
fn correct_paxos_is_safe_in_every_ordering_of_a_short_run() {
    for network in [NetworkKind::Unordered, NetworkKind::Duplicating] {
        let options = CheckOptions {
            network,
            max_depth: Some(10),
            ..CheckOptions::default()
        };
        let report = check(paxos::MODE, None, options);
        assert!(report.violation.is_none(), "{report:?}");
        assert!(report.complete, "{report:?}");
        assert_eq!(report.depth, 10);
        assert!(
            report.progress.reached,
            "a value is decided within 10 steps"
        );
        assert!(report.unique_states > 1000, "{report:?}");
    }
}

#[test]
fn the_search_stops_at_its_state_limit_and_says_so() {
    let options = CheckOptions {
        max_states: Some(500),
        ..CheckOptions::default()
    };
    let report = check(paxos::MODE, None, options);
    assert!(!report.complete);
    assert!(report.states <= 600, "{}", report.states);
}

#[test]
fn check_writes_a_counterexample_that_sim_replays() {
    let dir = std::env::temp_dir().join(format!("beat-paxos-check-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("ce.json");
    let file = file.to_str().unwrap();
    let args = [
        "check",
        "--break",
        "skip-highest-accepted",
        "--max-crashes",
        "0",
        "--counterexample",
        file,
        "--no-timing",
    ];
    let first = beat_paxos(&args);
    let report = json(&first);
    for field in [
        "unique_states",
        "states",
        "depth",
        "seconds",
        "states_per_sec",
    ] {
        assert!(report.get(field).is_some(), "missing {field}");
    }
    assert_eq!(report["violation"]["kind"], "stability");
    assert_eq!(report["violation"]["replays"], true);
    assert_eq!(report["counterexample_file"], file);
    let steps = report["violation"]["steps"].as_array().unwrap();
    assert!(
        steps[0]
            .as_str()
            .unwrap()
            .starts_with("1. red's election timer fires"),
        "{steps:?}"
    );
    assert_eq!(
        beat_paxos(&args).stdout,
        first.stdout,
        "the same search prints the same bytes"
    );

    let replay = json(&beat_paxos(&["sim", "--scenario", file]));
    assert_eq!(replay["violations"][0]["kind"], "stability");
    assert_eq!(replay["decided"], false);

    // A script that names a message nobody sent stops with an error naming the step.
    let mut scenario: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
    scenario["script"][1]["msg"]["ballot"]["round"] = 7.into();
    let bad = dir.join("bad.json");
    std::fs::write(&bad, scenario.to_string()).unwrap();
    let out = beat_paxos(&["sim", "--scenario", bad.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.starts_with("error: ") && stderr.contains("bad.json: script[1]"),
        "{stderr}"
    );
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn an_accept_after_promise_counterexample_from_the_command_line_replays_in_sim() {
    let dir = std::env::temp_dir().join(format!("beat-paxos-check-aap-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("f.json");
    let file = file.to_str().unwrap();
    let args = [
        "check",
        "--break",
        "accept-after-promise",
        "--counterexample",
        file,
        "--no-timing",
    ];
    let report = json(&beat_paxos(&args));
    assert_eq!(report["violation"]["kind"], "stability");
    assert_eq!(report["violation"]["replays"], true);
    let replay = json(&beat_paxos(&["sim", "--scenario", file]));
    assert_eq!(replay["break"], "accept-after-promise");
    assert_eq!(replay["violations"][0]["kind"], "stability");
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn check_refuses_bad_options_before_searching() {
    let cases: [(&[&str], &str); 6] = [
        (&["check", "--max-crashes", "2"], "--max-crashes 2"),
        (&["check", "--network", "wobbly"], "wobbly"),
        (&["check", "--max-round", "0"], "--max-round"),
        (&["check", "--timeout", "0"], "--timeout"),
        (
            &["check", "--counterexample", "/no/such/dir/ce.json"],
            "--counterexample",
        ),
        (
            &["check", "--mode", "ec-counter", "--break", "amnesia"],
            "amnesia",
        ),
    ];
    for (args, expected) in cases {
        let out = beat_paxos(args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(
            stderr.starts_with("error: ") && stderr.contains(expected),
            "{args:?}: {stderr}"
        );
        assert!(out.stdout.is_empty(), "{args:?}");
    }
}

// The searches below take seconds to minutes in release. CI runs them with `-- --ignored`.

#[test]
#[ignore = "minutes; run in release"]
fn every_broken_paxos_is_caught_on_every_network() {
    for network in [
        NetworkKind::Unordered,
        NetworkKind::Duplicating,
        NetworkKind::Lossy,
    ] {
        for broken in ["amnesia", "skip-highest-accepted", "accept-after-promise"] {
            let options = CheckOptions {
                network,
                timeout: Some(std::time::Duration::from_secs(60)),
                ..CheckOptions::default()
            };
            let report = check(paxos::MODE, Some(broken), options);
            let violation = report
                .violation
                .unwrap_or_else(|| panic!("{broken} on {network:?}: not caught"));
            assert!(violation.replays, "{broken} on {network:?}");
        }
    }
}

/// The proof: three nodes, one crash at a time, every ballot of round 1, every ordering.
#[test]
#[ignore = "minutes; run in release"]
fn correct_paxos_with_three_nodes_and_a_crash_is_safe_on_every_network() {
    for (network, search) in [
        (NetworkKind::Unordered, Search::Bfs),
        (NetworkKind::Duplicating, Search::Bfs),
        // A lossy network has millions of states; depth first needs far less memory.
        (NetworkKind::Lossy, Search::Dfs),
    ] {
        let options = CheckOptions {
            network,
            search,
            ..CheckOptions::default()
        };
        let report = check(paxos::MODE, None, options);
        assert!(report.violation.is_none(), "{network:?}: {report:?}");
        assert!(report.complete, "{network:?}: {report:?}");
        assert!(report.progress.reached);
    }
}

/// Two clients' four requests take twelve steps and the servers two more to sync: sixteen
/// steps (1.9 million states, over the default depth of 14) reach convergence.
#[test]
#[ignore = "about 2 million states; run in release"]
fn the_correct_counter_is_safe_in_every_ordering_of_its_small_workload() {
    let options = CheckOptions {
        max_depth: Some(16),
        ..CheckOptions::default()
    };
    let report = check(ec_counter::MODE, None, options);
    assert!(report.violation.is_none(), "{report:?}");
    assert!(report.complete, "{report:?}");
    assert!(report.progress.reached, "the servers converge on some path");
}
