//! Raft as a registered protocol, through the command line and the game's core: `sim --mode
//! raft`, its broken variants, chaos and its situations, scenarios, replays and links.

use beat_paxos::link;
use beat_paxos::protocol::Setup;
use beat_paxos::protocols::raft;
use beat_paxos::replay::Replay;
use beat_paxos::round::{Attack, Round};
use beat_paxos::simulation::Simulation;

mod common;
use common::{beat_paxos, json};

#[test]
fn a_raft_round_commits_every_command_and_its_trace_is_the_same_every_time() {
    let dir = std::env::temp_dir().join(format!("beat-paxos-raft-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let trace = dir.join("t.jsonl").display().to_string();
    for servers in ["3", "5", "9"] {
        let run = |seed: &str| {
            json(&beat_paxos(&[
                "sim",
                "--mode",
                "raft",
                "--nodes",
                servers,
                "--clients",
                "2",
                "--requests",
                "3",
                "--seed",
                seed,
                "--trace",
                &trace,
            ]))
        };
        let first = run("7");
        assert_eq!(first["decided"], true, "{first}");
        assert_eq!(first["value"], "6 commands committed", "{first}");
        assert_eq!(first["violations"], serde_json::json!([]));
        assert_eq!(run("7")["trace_hash"], first["trace_hash"], "{servers}");
        assert_ne!(run("8")["trace_hash"], first["trace_hash"], "{servers}");
    }
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn raft_variants_are_chosen_by_name_and_bad_settings_refused() {
    for variant in ["commit-old-term", "forget-vote", "no-up-to-date-check"] {
        let run = json(&beat_paxos(&["sim", "--mode", "raft", "--break", variant]));
        assert_eq!(run["break"], variant);
    }
    for (args, expected) in [
        (&["--nodes", "2"][..], "--nodes: 2 is outside 3..=9"),
        (&["--clients", "4"][..], "--clients: 4 is outside 1..=3"),
        (
            &["--break", "no-max"][..],
            "`no-max` breaks ec-counter, not raft",
        ),
    ] {
        let out = beat_paxos(&[&["sim", "--mode", "raft"][..], args].concat());
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(
            stderr.contains(expected) && !stderr.contains("panicked"),
            "{stderr}"
        );
    }
}

#[test]
fn raft_chaos_reports_its_situations_and_no_violation() {
    let report = json(&beat_paxos(&[
        "chaos",
        "--mode",
        "raft",
        "--nodes",
        "3",
        "--runs",
        "60",
        "--no-timing",
    ]));
    assert_eq!(report["violations"], 0, "{report}");
    assert_eq!(report["decided_runs"], 60, "{report}");
    let situations = &report["situations"];
    for name in [
        "two_leaders_in_different_terms",
        "figure_8_pattern",
        "uncommitted_entry_overwritten",
    ] {
        assert!(situations[name].as_u64() > Some(0), "{name}: {report}");
    }
}

#[test]
fn the_old_leader_scenario_overwrites_its_uncommitted_entries() {
    let (_, text) = raft::MODE
        .scenarios()
        .iter()
        .find(|(name, _)| *name == "raft-old-leader.json")
        .unwrap();
    let dir = std::env::temp_dir().join(format!("beat-paxos-raft-s-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("s.json").display().to_string();
    std::fs::write(&file, text).unwrap();
    let trace = dir.join("t.jsonl").display().to_string();
    let run = json(&beat_paxos(&[
        "sim",
        "--scenario",
        &file,
        "--trace",
        &trace,
    ]));
    assert_eq!(run["decided"], true, "{run}");
    let lines = std::fs::read_to_string(&trace).unwrap();
    let cut: Vec<&str> = lines
        .lines()
        .filter(|l| l.contains("\"truncated\""))
        .collect();
    // Green (1) and blue (2), cut off with it, drop green's uncommitted entries.
    assert!(cut.iter().any(|l| l.contains("\"node\":1")), "{cut:?}");
    assert!(cut.iter().any(|l| l.contains("\"node\":2")), "{cut:?}");
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn a_raft_round_replays_exactly_and_travels_in_a_link() {
    let mut setup = Setup::for_mode(raft::MODE);
    setup.set_knob("servers", 3).unwrap();
    setup.seed = 4;
    let mut round = Round::new(setup.clone());
    round.advance(900);
    let leader = (0..3).find(|n| {
        round.simulation.engine().node_views(&setup)[*n]
            .leading
            .is_some()
    });
    round
        .attack(Attack::Isolate(leader.expect("a leader by 0.9 s")))
        .unwrap();
    while !round.simulation.engine().finished() {
        round.advance(50);
    }
    let replay = Replay::parse(&Replay::of(&round).to_json()).unwrap();
    let summary = replay.run().unwrap();
    assert!(summary.decided);
    let mut again = Round::from_replay(&replay);
    while !again.simulation.engine().finished() {
        again.advance(7);
    }
    assert_eq!(again.moves, round.moves);
    assert_eq!(
        again.simulation.engine().won_at(),
        round.simulation.engine().won_at()
    );

    let query = link::query_for_line(
        &setup,
        &round.moves.iter().map(Into::into).collect::<Vec<_>>(),
    );
    assert!(query.contains("mode=raft"), "{query}");
    let parsed = link::parse(&query);
    assert!(parsed.problems.is_empty(), "{:?}", parsed.problems);
    assert_eq!(parsed.setup, setup);
}

#[test]
fn raft_chaos_strikes_catch_each_broken_variant_and_the_run_replays() {
    // A seed each whose chaos run the strikes turn into a violation (the share over many seeds
    // is an ignored test in tests/check.rs).
    for (variant, seed, kind) in [
        ("forget-vote", "2", "election-safety"),
        ("no-up-to-date-check", "1", "leader-completeness"),
        ("commit-old-term", "2", "leader-completeness"),
    ] {
        let args = [
            "sim", "--mode", "raft", "--nodes", "3", "--break", variant, "--seed", seed, "--chaos",
        ];
        let run = json(&beat_paxos(&args));
        assert_eq!(run["violations"][0]["kind"], kind, "{variant}: {run}");
        assert_eq!(
            json(&beat_paxos(&args)),
            run,
            "{variant}: the same run again"
        );
    }
}

#[test]
fn a_rewound_raft_chaos_run_strikes_again_at_the_same_moments() {
    // Raft's strikes ride in the adversary (`Protocol::strikes`): a snapshot must carry them, so
    // that a rewind replays the same violation, not a run without them.
    let mut base = Setup::for_mode(raft::MODE);
    base.set_knob("servers", 3).unwrap();
    base.broken = Some("forget-vote");
    base.seed = 2;
    let setup = beat_paxos::chaos::with_chaos(&base);
    let whole = |sim: &mut Simulation| {
        sim.run_to_end(setup.max_ticks);
        serde_json::to_value(sim.engine().summary(&setup)).unwrap()
    };
    let straight = whole(&mut Simulation::new(&setup, false));
    let violation = &straight["violations"][0];
    assert_eq!(violation["kind"], "election-safety", "{straight}");
    let mut run = Simulation::new(&setup, false);
    run.run_until(violation["tick"].as_u64().unwrap() / 2);
    let halfway = run.snapshot();
    assert_eq!(whole(&mut run), straight, "the run from halfway");
    run.restore(&halfway).unwrap();
    assert_eq!(whole(&mut run), straight, "the run rewound to halfway");
}

#[test]
fn a_command_submitted_at_the_leader_commits_and_the_round_replays_byte_identically() {
    let mut setup = Setup::for_mode(raft::MODE);
    setup.set_knob("servers", 3).unwrap();
    setup.seed = 4;
    let mut round = Round::new(setup.clone());
    round.advance(900);
    let views = round.simulation.engine().node_views(&setup);
    let leader = (0..3).find(|n| views[*n].leading.is_some());
    let leader = leader.expect("a leader by 0.9 s");
    let follower = (leader + 1) % 3;
    // A follower refuses it (naming the leader), a client and a down server take none.
    round.attack(Attack::Submit(follower)).unwrap();
    let client = round.attack(Attack::Submit(3)).unwrap_err();
    assert!(client.contains("takes no commands"), "{client}");
    round.attack(Attack::Submit(leader)).unwrap();
    round.attack(Attack::ToggleDown(follower)).unwrap();
    let down = round.attack(Attack::Submit(follower)).unwrap_err();
    assert!(down.contains("is down"), "{down}");
    while !round.simulation.engine().finished() {
        round.advance(50);
    }
    let sim = round.simulation.of::<raft::Raft>().unwrap();
    let yours: Vec<_> = sim
        .checker()
        .committed
        .values()
        .filter(|e| e.command.is_player())
        .collect();
    assert_eq!(yours.len(), 1, "only the leader's is committed: {yours:?}");
    let redirected = sim.trace().iter().any(|t| {
        matches!(&t.event, beat_paxos::sim::Event::Note { node, note: raft::Note::Redirected { leader: Some(l), .. } } if *node == follower && *l == leader)
    });
    assert!(redirected, "the follower names the leader");
    // Paxos takes no commands.
    let paxos = Setup::for_mode(beat_paxos::protocols::paxos::MODE);
    let refusal = Round::new(paxos).attack(Attack::Submit(0)).unwrap_err();
    assert!(refusal.contains("takes no commands"), "{refusal}");

    // The round's own trace, and `sim --replay` of its replay file, byte for byte.
    let dir = std::env::temp_dir().join(format!("beat-paxos-raft-submit-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("submit.json");
    let replay = Replay::of(&round).with_trace_hash().unwrap();
    std::fs::write(&file, replay.to_json()).unwrap();
    let traces: Vec<Vec<u8>> = (0..2)
        .map(|k| {
            let trace = dir.join(format!("t{k}.jsonl"));
            let run = json(&beat_paxos(&[
                "sim",
                "--replay",
                &file.display().to_string(),
                "--trace",
                &trace.display().to_string(),
            ]));
            assert_eq!(run["decided"], true, "{run}");
            std::fs::read(trace).unwrap()
        })
        .collect();
    assert_eq!(traces[0], traces[1]);
    // The replay's run is the game's round, which ran on a little past the end (whole steps).
    let own: Vec<u8> = sim
        .trace()
        .iter()
        .flat_map(|t| {
            let mut line = serde_json::to_vec(t).unwrap();
            line.push(b'\n');
            line
        })
        .collect();
    assert!(
        own.starts_with(&traces[0]),
        "the replay differs from the round"
    );
    let replayed = String::from_utf8_lossy(&traces[0]);
    assert!(replayed.contains(r#""action":"submit""#), "{replayed}");
    let player = raft::Command::PLAYER;
    assert!(replayed.contains(&format!(
        r#""type":"acknowledged","command":{{"client":{player}"#
    )));
    // And a link carries the move.
    let query = link::query_for_line(&setup, round.line());
    assert!(link::parse(&query).problems.is_empty(), "{query}");
    std::fs::remove_dir_all(dir).ok();
}
