//! The simulation core end to end: chaos property tests, broken variants caught, determinism, and
//! the `sim`/`chaos` command line.

use std::process::Command;

use beat_paxos::chaos;
use beat_paxos::protocol::{Mode, Setup};
use beat_paxos::protocols::ec_counter::{self, EcCounter};
use beat_paxos::protocols::paxos::{self, Paxos};
use beat_paxos::scenario::Scenario;
use beat_paxos::simulation::{self as run, Simulation};

fn setup(mode: Mode, seed: u64) -> Setup {
    let mut s = Setup::for_mode(mode);
    s.seed = seed;
    s
}

/// Every correct run under a random fault schedule is safe, decides, and ends healed.
fn chaos_property(mode: Mode, nodes: usize, runs: u64) {
    for seed in 0..runs {
        let mut base = setup(mode, seed);
        base.set_knob(mode.size_knob(), nodes as u64).unwrap();
        let chaotic = chaos::with_chaos(&base);
        let (summary, world) = run::run(&chaotic, false);
        assert!(
            summary.violations.is_empty(),
            "{mode:?} n={nodes} seed {seed}: {:?}",
            summary.violations
        );
        assert!(
            summary.decided,
            "{mode:?} n={nodes} seed {seed} never decided/converged: {summary:?}"
        );
        assert!(
            world.finished(),
            "{mode:?} n={nodes} seed {seed} did not finish"
        );
        // The round ends at the decision; the rest of the schedule must still heal every fault.
        let mut world = world;
        world.run_until(chaotic.actions.iter().map(|a| a.at).max().unwrap_or(0));
        assert!(
            world.all_healed(),
            "seed {seed}: the schedule left a fault unhealed"
        );
    }
}

#[test]
fn ten_thousand_chaos_schedules_never_break_paxos_with_three_nodes() {
    chaos_property(paxos::MODE, 3, 10_000);
}

#[test]
fn chaos_never_breaks_paxos_with_five_or_nine_nodes() {
    chaos_property(paxos::MODE, 5, 2_000);
    chaos_property(paxos::MODE, 9, 500);
}

#[test]
fn chaos_never_breaks_the_counter_and_it_always_converges() {
    chaos_property(ec_counter::MODE, 3, 300);
    chaos_property(ec_counter::MODE, 2, 100);
    chaos_property(ec_counter::MODE, 7, 50);
}

/// The checker catches `broken` within `runs` chaos seeds, and `sim --chaos --seed` replays it.
fn caught(mode: Mode, broken: &'static str, runs: u64) {
    let mut base = setup(mode, 1);
    base.broken = Some(broken);
    let report = chaos::run_many(&base, runs);
    let seed = report
        .first_violating_seed
        .unwrap_or_else(|| panic!("{broken:?} never caught in {runs} runs"));
    assert!(report.violations > 0);
    let mut replay = base.clone();
    replay.seed = seed;
    let (summary, _) = run::run(&chaos::with_chaos(&replay), false);
    assert_eq!(
        summary.violations.first(),
        report.first_violation.as_ref(),
        "seed {seed} must replay the same violation"
    );
}

#[test]
fn amnesia_is_caught_and_replayed() {
    caught(paxos::MODE, "amnesia", 10_000);
}

#[test]
fn skipping_the_highest_accepted_value_is_caught_and_replayed() {
    caught(paxos::MODE, "skip-highest-accepted", 1_000);
}

#[test]
fn a_counter_without_max_is_caught_and_replayed() {
    caught(ec_counter::MODE, "no-max", 10);
}

#[test]
fn fault_free_paxos_decides_one_of_the_proposals() {
    for nodes in 3..=9 {
        for seed in 0..20 {
            let mut s = setup(paxos::MODE, seed);
            s.set_knob("nodes", nodes as u64).unwrap();
            let (summary, world) = run::run(&s, false);
            assert!(
                summary.decided && summary.violations.is_empty(),
                "{summary:?}"
            );
            let sim = world.of::<Paxos>().unwrap();
            let decisions = &sim.checker().decisions;
            assert_eq!(
                decisions.len(),
                nodes as usize,
                "every node learns the decision"
            );
            let value = decisions[&0];
            assert!(decisions.values().all(|v| *v == value));
            assert!(value < nodes as usize, "the value is some node's proposal");
        }
    }
}

#[test]
fn without_faults_three_nodes_mostly_need_one_ballot() {
    // Randomized timeouts make duels the exception; a leader that timed out on its own progress
    // (timers not reset) would make every run take several ballots.
    let single = (0..100)
        .filter(|seed| run::run(&setup(paxos::MODE, *seed), false).0.ballots == Some(1))
        .count();
    assert!(
        single >= 60,
        "only {single} of 100 runs decided in one ballot"
    );
}

#[test]
fn the_counter_converges_to_the_largest_acknowledged_set() {
    for seed in 0..20 {
        let s = setup(ec_counter::MODE, seed);
        let (summary, world) = run::run(&s, true);
        assert!(summary.violations.is_empty(), "{summary:?}");
        let sim = world.of::<EcCounter>().unwrap();
        // Recompute the target from the trace rather than trusting the checker.
        let mut largest_set = 0;
        let mut requests = 0;
        for traced in sim.trace() {
            if let beat_paxos::sim::Event::Send { msg, .. } = &traced.event {
                match msg {
                    beat_paxos::protocols::ec_counter::Msg::Set { value, .. } => {
                        largest_set = largest_set.max(*value)
                    }
                    beat_paxos::protocols::ec_counter::Msg::SetDone { .. }
                    | beat_paxos::protocols::ec_counter::Msg::Value { .. } => requests += 1,
                    _ => {}
                }
            }
        }
        assert_eq!(
            requests,
            5 * 100,
            "every client request was answered once (no faults, no retries)"
        );
        let finals = summary.final_values.clone().unwrap();
        assert!(
            finals.iter().all(|v| *v == largest_set),
            "seed {seed}: {finals:?} vs largest set {largest_set}"
        );
        assert_eq!(summary.max_acknowledged, Some(largest_set));
        assert!(summary.converged_tick.is_some());
    }
}

#[test]
fn the_counter_converges_after_a_partition_heals() {
    let scenario = Scenario::parse(
        "partition.json",
        r#"{"mode": "ec-counter", "seed": 4, "requests": 30,
            "actions": [{"at": 50, "action": "partition", "groups": [[0], [1, 2]]},
                        {"at": 4000, "action": "heal_all"}]}"#,
    )
    .unwrap();
    let setup = Setup::from_scenario(&scenario).unwrap();
    let mut world = Simulation::new(&setup, false);
    world.run_until(3900);
    let sim = world.of::<EcCounter>().unwrap();
    assert!(sim.checker().spread() > 0, "a partitioned counter diverges");
    assert_eq!(sim.checker().converged_at, None);
    world.run_to_end(setup.max_ticks);
    let summary = world.summary(&setup);
    assert!(summary.violations.is_empty(), "{summary:?}");
    assert!(
        summary.converged_tick.unwrap() > 4000,
        "convergence only after the heal"
    );
}

/// Every answer a client receives tells the truth about its server at that moment, recomputed
/// from the trace rather than taken from the checker: a get returns the server's value, a set
/// returns the larger of the old value and the set, and "applied" says whether it was larger.
#[test]
fn every_answer_a_client_receives_is_its_servers_value_at_that_moment() {
    use beat_paxos::protocols::ec_counter::{Msg, Note};
    use beat_paxos::sim::Event;
    let mut answers = 0;
    for seed in 0..30 {
        let chaotic = chaos::with_chaos(&setup(ec_counter::MODE, seed));
        let (summary, world) = run::run(&chaotic, true);
        assert!(summary.violations.is_empty(), "{summary:?}");
        let sim = world.of::<EcCounter>().unwrap();
        let mut held = vec![0; chaotic.knob("servers") as usize];
        let mut messages = std::collections::BTreeMap::new();
        // The set each server is handling, and its value before: the answer goes out meanwhile.
        let mut handling = vec![None; held.len()];
        for traced in sim.trace() {
            match &traced.event {
                Event::Note {
                    node,
                    note: Note::ServerValue { value },
                } => held[*node] = *value,
                Event::Deliver { id, to, .. } if *to < held.len() => {
                    handling[*to] = match messages.get(id) {
                        Some(Msg::Set { value, .. }) => Some((*value, held[*to])),
                        _ => None,
                    }
                }
                Event::Send { id, from, msg, .. } => {
                    messages.insert(*id, msg.clone());
                    match *msg {
                        Msg::Value { value, .. } => assert_eq!(value, held[*from], "seed {seed}"),
                        Msg::SetDone { applied, value, .. } => {
                            let (set, before) = handling[*from].expect("a set being handled");
                            assert_eq!(value, held[*from], "seed {seed}");
                            assert_eq!(value, before.max(set), "seed {seed}");
                            assert_eq!(applied, set > before, "seed {seed}");
                        }
                        _ => continue,
                    }
                    answers += 1;
                }
                _ => {}
            }
        }
    }
    assert!(answers > 10_000, "only {answers} answers");
}

/// A killed ec-counter server restarts by itself (the counter could otherwise never converge),
/// but not at once: the player sees it down.
#[test]
fn a_killed_counter_server_comes_back_by_itself() {
    use beat_paxos::round::{Attack, Round};
    let mut round = Round::new(setup(ec_counter::MODE, 1));
    round.advance(100);
    round.attack(Attack::ToggleDown(0)).unwrap();
    round.advance(200);
    assert!(round.simulation.is_down(0), "back after a few hops");
    round.advance(10_000);
    assert!(!round.simulation.is_down(0), "never restarted");
}

#[test]
fn chaos_counts_converged_counters_and_decided_paxos_runs() {
    let counter = chaos::run_many(&setup(ec_counter::MODE, 1), 20);
    assert_eq!(
        (counter.converged_runs, counter.decided_runs),
        (Some(20), None)
    );
    let paxos = chaos::run_many(&setup(paxos::MODE, 1), 20);
    assert_eq!((paxos.converged_runs, paxos.decided_runs), (None, Some(20)));
}

/// Messages sent at the same moment on one link arrive in a jittered order: without that
/// reordering, the orderings where protocol bugs live would never be tried.
#[test]
fn messages_sent_together_can_overtake_each_other() {
    use beat_paxos::sim::{Actor, Checker, Cx, NetConfig, NodeId, Sim, SimConfig, Tick, Violation};

    /// Node 0 sends 0..20 to node 1 at start; node 1 notes what arrives.
    #[derive(Clone, Debug)]
    struct Burst;
    impl Actor for Burst {
        type Msg = u32;
        type Timer = ();
        type Note = u32;
        fn on_start(&mut self, cx: &mut Cx<'_, Self>) {
            if cx.me == 0 {
                (0..20).for_each(|i| cx.send(1, i));
            }
        }
        fn on_message(&mut self, _: NodeId, msg: u32, cx: &mut Cx<'_, Self>) {
            cx.note(msg);
        }
        fn on_timer(&mut self, _: (), _: &mut Cx<'_, Self>) {}
        fn on_crash(&mut self) {}
    }
    #[derive(Default)]
    struct Arrivals(Vec<u32>);
    impl Checker<u32> for Arrivals {
        fn observe(&mut self, _: Tick, _: NodeId, note: &u32, _: &mut Vec<Violation>) {
            self.0.push(*note);
        }
    }
    let arrivals = |jitter| {
        let config = SimConfig {
            seed: 7,
            net: NetConfig {
                base_delay: 10,
                jitter,
            },
            max_down: 0,
            record_trace: false,
        };
        let mut sim = Sim::new(vec![Burst, Burst], Arrivals::default(), config);
        sim.run_until(100);
        sim.checker().0.clone()
    };
    let in_order: Vec<u32> = (0..20).collect();
    assert_eq!(arrivals(0), in_order, "no jitter, no reordering");
    let jittered = arrivals(5);
    assert_ne!(
        jittered, in_order,
        "with jitter, later messages overtake earlier ones"
    );
    let mut sorted = jittered.clone();
    sorted.sort();
    assert_eq!(sorted, in_order, "every message arrives once");
}

#[test]
fn shipped_scenarios_load_and_run() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/scenarios");
    let mut count = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let (_, setup) = Scenario::load(&path).unwrap_or_else(|e| panic!("{e}"));
        let (summary, _) = run::run(&setup, false);
        let expect_violation = setup.broken.is_some();
        assert_eq!(
            !summary.violations.is_empty(),
            expect_violation,
            "{}: {summary:?}",
            path.display()
        );
        assert_eq!(
            summary.decided,
            !expect_violation,
            "{}: decided/converged",
            path.display()
        );
        count += 1;
    }
    assert!(
        count >= 3,
        "expected a few example scenarios, found {count}"
    );
}

fn beat_paxos(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_beat-paxos"))
        .args(args)
        .output()
        .unwrap()
}

fn json(output: &std::process::Output) -> serde_json::Value {
    assert!(
        output.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

#[test]
fn sim_prints_the_documented_fields_and_is_byte_for_byte_deterministic() {
    let dir = std::env::temp_dir().join(format!("beat-paxos-determinism-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (a, b) = (dir.join("a.jsonl"), dir.join("b.jsonl"));
    let args = |trace: &std::path::Path| {
        [
            "sim",
            "--mode",
            "paxos",
            "--nodes",
            "5",
            "--seed",
            "77",
            "--chaos",
            "--trace",
            trace.to_str().unwrap(),
        ]
        .map(String::from)
    };
    let first = Command::new(env!("CARGO_BIN_EXE_beat-paxos"))
        .args(args(&a))
        .output()
        .unwrap();
    let second = Command::new(env!("CARGO_BIN_EXE_beat-paxos"))
        .args(args(&b))
        .output()
        .unwrap();
    assert_eq!(first.stdout, second.stdout);
    let (trace_a, trace_b) = (std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
    assert!(trace_a.len() > 1000);
    assert_eq!(trace_a, trace_b);
    let summary = json(&first);
    for field in [
        "mode",
        "seed",
        "decided",
        "value",
        "decision_tick",
        "ballots",
        "messages",
        "violations",
    ] {
        assert!(summary.get(field).is_some(), "missing {field}");
    }
    assert_eq!(summary["decided"], true);
    assert_eq!(summary["violations"], serde_json::json!([]));
    let lines = String::from_utf8(trace_a).unwrap();
    let sends = lines
        .lines()
        .filter(|l| l.contains(r#""event":"send""#))
        .count();
    assert_eq!(sends as u64, summary["messages"]["sent"].as_u64().unwrap());

    let ec = json(&beat_paxos(&[
        "sim",
        "--mode",
        "ec-counter",
        "--seed",
        "3",
        "--clients",
        "2",
        "--requests",
        "10",
    ]));
    for field in [
        "converged",
        "converged_tick",
        "final_values",
        "max_acknowledged",
    ] {
        assert!(ec.get(field).is_some(), "missing {field}");
    }
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn chaos_prints_a_summary_and_repeats_exactly() {
    let args = [
        "chaos",
        "--mode",
        "paxos",
        "--runs",
        "200",
        "--seed",
        "10",
        "--no-timing",
    ];
    let (first, second) = (beat_paxos(&args), beat_paxos(&args));
    assert_eq!(first.stdout, second.stdout);
    let report = json(&first);
    assert_eq!(report["runs"], 200);
    assert_eq!(report["violations"], 0);
    assert_eq!(report["decided_runs"], 200);
    assert!(report["first_violating_seed"].is_null());
    assert!(
        report["decision_ticks"]["p99"].as_u64().unwrap()
            >= report["decision_ticks"]["p50"].as_u64().unwrap()
    );
    let timed = json(&beat_paxos(&["chaos", "--runs", "50"]));
    assert!(timed["events_per_sec"].as_u64().unwrap() > 0);

    let broken = json(&beat_paxos(&[
        "chaos",
        "--mode",
        "ec-counter",
        "--runs",
        "5",
        "--break",
        "no-max",
    ]));
    let seed = broken["first_violating_seed"].as_u64().unwrap().to_string();
    let replay = json(&beat_paxos(&[
        "sim",
        "--mode",
        "ec-counter",
        "--chaos",
        "--seed",
        &seed,
        "--break",
        "no-max",
    ]));
    assert_eq!(replay["violations"][0], broken["first_violation"]);
}

#[test]
fn bad_input_gets_a_clear_error_and_exit_code_2() {
    let dir = std::env::temp_dir().join(format!("beat-paxos-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cases = [
        (
            "broken.json",
            "{\n  \"nodes\": 3,\n  \"seed\": -1\n}",
            "broken.json:3:",
        ),
        (
            "typo.json",
            r#"{"mode": "paxos", "actons": []}"#,
            "unknown field `actons`",
        ),
        (
            "range.json",
            r#"{"actions": [{"at": 1, "action": "slow", "node": 0, "factor": 99}]}"#,
            "field `actions[0]`",
        ),
        ("mode.json", r#"{"mode": "raft"}"#, "field `mode`"),
    ];
    for (name, text, expected) in cases {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        let out = beat_paxos(&["sim", "--scenario", path.to_str().unwrap()]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{name}: {stderr}");
        assert!(
            stderr.starts_with("error: ") && stderr.contains(expected),
            "{name}: {stderr}"
        );
        assert!(
            stderr.contains(name),
            "{name}: the error must name the file: {stderr}"
        );
        assert!(out.stdout.is_empty());
    }
    for args in [
        &["sim", "--nodes", "12"][..],
        &["sim", "--mode", "raft"],
        &["sim", "--seed", "x"],
        &["chaos", "--break", "amnesia", "--mode", "ec-counter"],
        &["sim", "--scenario", "/nonexistent/s.json"],
    ] {
        let out = beat_paxos(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(!out.stderr.is_empty() && out.stdout.is_empty(), "{args:?}");
    }
    std::fs::remove_dir_all(dir).ok();
}
