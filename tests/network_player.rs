//! The network player (issue 26): messages wait on their links and timers wait until the player
//! delivers or fires them; every move goes into the round's line, so replays and links play it
//! again byte for byte; and "can this still break?" searches from the exact moment.

use beat_paxos::explore::{Answer, CheckOptions, FromHere, NetworkKind, network_player_options};
use beat_paxos::link;
use beat_paxos::protocol::{Mode, Setup};
use beat_paxos::protocols::{self, ec_counter, paxos, raft};
use beat_paxos::replay::Replay;
use beat_paxos::round::{Attack, Round};
use beat_paxos::sim::{FNV_OFFSET, fnv1a64};

mod common;
use common::{beat_paxos, json};

/// `mode`'s small configuration (as `check` uses), played by the network player.
fn player_setup(mode: Mode, broken: Option<&'static str>) -> Setup {
    let mut setup = Setup::for_mode(mode);
    for (field, value) in protocols::explorer(mode).unwrap().small_setup() {
        setup.set_knob(field, *value).unwrap();
    }
    setup.broken = broken;
    setup.network_player = true;
    setup
}

/// The hash `sim --replay` prints for a trace: FNV-1a over its JSON lines.
fn trace_hash(round: &Round) -> String {
    let lines = round.simulation.engine().trace_lines(0).concat();
    format!("{:016x}", fnv1a64(FNV_OFFSET, lines.as_bytes()))
}

/// The player's moves: the first message waiting, or else the first timer.
fn next_move(round: &Round) -> Option<Attack> {
    let choices = round.network_choices()?;
    if let Some(m) = choices.messages.first() {
        return Some(Attack::Deliver(m.id));
    }
    let t = choices.timers.first()?;
    Some(Attack::Fire(t.node, t.timer))
}

/// Without the game's 3 s timeout: a loaded machine must not turn an answer into "unknown" (the
/// timeout guards the panel; it is not part of the answer).
fn ask(round: &Round, max_crashes: usize) -> FromHere {
    let explorer = protocols::explorer(round.setup.mode).unwrap();
    let options = CheckOptions {
        timeout: None,
        ..network_player_options(explorer, max_crashes, round.duplicates_left as usize)
    };
    explorer
        .can_it_break(&round.setup, round.simulation.engine(), &options)
        .unwrap()
}

#[test]
fn messages_wait_on_their_links_and_timers_fire_only_when_the_player_fires_them() {
    let mut round = Round::new(player_setup(paxos::MODE, None));
    round.advance(10_000);
    assert_eq!(round.now(), 0, "time waits for the player");
    let choices = round.network_choices().unwrap();
    assert!(!choices.running && choices.messages.is_empty());
    let timers: Vec<_> = choices
        .timers
        .iter()
        .map(|t| (t.node, t.timer, t.name.as_str()))
        .collect();
    assert_eq!(
        timers,
        vec![(0, 0, "Election"), (1, 0, "Election"), (2, 0, "Election")]
    );

    round.attack(Attack::Fire(0, 0)).unwrap();
    let hop = round.setup.net.base_delay + round.setup.net.jitter / 2;
    assert_eq!(round.now(), hop, "each move takes one hop");
    let waiting = round.network_choices().unwrap().messages;
    assert_eq!(waiting.len(), 2, "red's prepares to green and blue");
    assert!(waiting.iter().all(|m| m.from == 0 && m.deliverable));
    assert!(waiting[0].label.contains("p1a"), "{:?}", waiting[0]);
    round.advance(10_000);
    assert_eq!(
        round.simulation.engine().stats().delivered,
        0,
        "nothing arrives by itself"
    );

    // A copy is delivered and the original keeps waiting; copies and drops spend their budgets.
    let (to_green, to_blue) = (waiting[0].id, waiting[1].id);
    round.attack(Attack::DeliverCopy(to_green)).unwrap();
    let after = round.network_choices().unwrap().messages;
    assert!(after.iter().any(|m| m.id == to_green), "the original waits");
    assert!(
        after.iter().any(|m| m.from == 1 && m.to == 0),
        "green's promise"
    );
    assert_eq!(round.duplicates_left, 4);
    round.attack(Attack::Drop(to_blue)).unwrap();
    assert_eq!(round.drops_left, 4);
    assert_eq!(
        round.attack(Attack::Deliver(to_blue)).unwrap_err(),
        format!("message {to_blue} is not in flight")
    );
    assert_eq!(
        round.attack(Attack::Fire(0, 5)).unwrap_err(),
        "node 0 has no timer number 5 armed"
    );
    assert_eq!(
        round.attack(Attack::RunNetwork(false)).unwrap_err(),
        "the network already waits for you"
    );

    let normal = Round::new(Setup::for_mode(paxos::MODE))
        .attack(Attack::Fire(0, 0))
        .unwrap_err();
    assert!(normal.contains("needs the network-player mode"), "{normal}");
}

#[test]
fn a_round_played_by_hand_replays_byte_identically_from_its_replay_file_and_its_link() {
    let mut round = Round::new(player_setup(paxos::MODE, None));
    round.attack(Attack::Fire(2, 0)).unwrap();
    let mut moves = 0;
    while round.outcome.is_none() && moves < 100 {
        let next = next_move(&round).expect("a message or a timer waits");
        // The second message waiting goes first now and then: any order is the player's.
        let next = match (moves % 3, round.network_choices().unwrap().messages.get(1)) {
            (1, Some(second)) => Attack::Deliver(second.id),
            _ => next,
        };
        round.attack(next).unwrap();
        moves += 1;
    }
    assert!(round.outcome.is_some(), "decided by hand");
    let hash = trace_hash(&round);

    let replay = Replay::of(&round);
    let summary = replay.run().unwrap();
    assert_eq!(summary.trace_hash.as_deref(), Some(hash.as_str()));
    assert!(replay.to_json().contains("\"network_player\": true"));

    let dir = std::env::temp_dir().join(format!("bp-net-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("by-hand.json");
    std::fs::write(&file, replay.to_json()).unwrap();
    let printed = json(&beat_paxos(&["sim", "--replay", file.to_str().unwrap()]));
    assert_eq!(printed["trace_hash"], hash.as_str());
    assert_eq!(printed["decided"], true);

    let query = link::query_for_line(&round.setup, round.line());
    assert!(query.contains("&net=player"), "{query}");
    let opened = link::parse(&query);
    assert!(opened.problems.is_empty(), "{:?}", opened.problems);
    assert_eq!(opened.setup, round.setup);
    assert_eq!(opened.moves, round.line());
    let mut again = Round::with_plan(opened.setup, opened.moves);
    again.play_to_end();
    assert_eq!(trace_hash(&again), hash);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn letting_the_network_run_hands_delivery_back_and_holding_it_takes_it_again() {
    let mut round = Round::new(player_setup(paxos::MODE, None));
    round.attack(Attack::Fire(0, 0)).unwrap();
    round.attack(Attack::RunNetwork(true)).unwrap();
    assert!(!round.network_held());
    let before = round.now();
    round.advance(40);
    assert_eq!(round.now(), before + 40, "the clock runs");
    assert!(
        round.simulation.engine().stats().delivered > 0,
        "the network delivers"
    );
    round.attack(Attack::RunNetwork(false)).unwrap();
    assert!(round.network_held());
    let (now, delivered) = (round.now(), round.simulation.engine().stats().delivered);
    round.advance(5_000);
    assert_eq!(
        (round.now(), round.simulation.engine().stats().delivered),
        (now, delivered)
    );
    // Let it run to the end: timers armed while held fire by themselves too.
    round.attack(Attack::RunNetwork(true)).unwrap();
    while round.outcome.is_none() && round.now() < 50_000 {
        round.advance(100);
    }
    assert!(round.outcome.is_some(), "the running network decides");
    let replay = Replay::of(&round);
    let mut again = Round::from_replay(&replay);
    again.play_to_end();
    // The replay runs until the round is finished, the game here until its outcome: the same
    // run, one a little longer.
    let (lines, replayed) = (
        round.simulation.engine().trace_lines(0),
        again.simulation.engine().trace_lines(0),
    );
    let common = lines.len().min(replayed.len());
    assert!(common > 20);
    assert_eq!(replayed[..common], lines[..common], "replayed exactly");
}

#[test]
fn network_moves_and_the_flag_are_refused_where_they_cannot_apply() {
    let parsed = link::parse("?mode=paxos&net=fast");
    assert_eq!(
        parsed.problems,
        vec![
            "`net=fast` is not `player` (the network player delivers every message; leave `net` \
             out for a network that delivers by itself)"
        ]
    );
    assert!(!parsed.setup.network_player);
    assert!(link::parse("?mode=raft&net=player").setup.network_player);

    let dir = std::env::temp_dir().join(format!("bp-net-refusals-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.json");
    std::fs::write(&bad, r#"{"mode": "paxos", "network_player": "yes"}"#).unwrap();
    let out = beat_paxos(&["sim", "--scenario", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("network_player"), "{stderr}");

    let plain = dir.join("plain.json");
    std::fs::write(
        &plain,
        r#"{"version": 1, "setup": {"mode": "paxos"}, "moves": [{"tick": 0, "attack": {"Fire": [0, 0]}}]}"#,
    )
    .unwrap();
    let out = beat_paxos(&["sim", "--replay", plain.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("moves[0].attack: the network delivers by itself"),
        "{stderr}"
    );

    for (args, expected) in [
        (
            vec!["chaos", "--network-player", "--runs", "2"],
            "a chaos run's network is the adversary's",
        ),
        (
            vec!["check", "--network-player"],
            "give its replay with --from-replay",
        ),
    ] {
        let out = beat_paxos(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
    }
    let timed = dir.join("timed.json");
    std::fs::write(
        &timed,
        r#"{"version": 1, "setup": {"mode": "paxos"}, "moves": []}"#,
    )
    .unwrap();
    let out = beat_paxos(&["check", "--from-replay", timed.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("the checker answers in a network player's round"),
        "{stderr}"
    );
    // Left alone, a network player's round does nothing at all.
    let idle = json(&beat_paxos(&[
        "sim",
        "--network-player",
        "--max-ticks",
        "5000",
    ]));
    assert_eq!(idle["messages"]["sent"], 0);
    assert_eq!(idle["decided"], false);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn from_the_start_the_checkers_answer_agrees_with_check() {
    for (mode, broken) in [
        (paxos::MODE, None),
        (paxos::MODE, Some("amnesia")),
        (paxos::MODE, Some("skip-highest-accepted")),
        (ec_counter::MODE, None),
        (ec_counter::MODE, Some("no-max")),
    ] {
        let setup = player_setup(mode, broken);
        let explorer = protocols::explorer(mode).unwrap();
        let options = CheckOptions {
            network: NetworkKind::Duplicating,
            max_copies: None,
            timeout: None,
            ..network_player_options(explorer, 1, 5)
        };
        let round = Round::new(setup.clone());
        let answer = explorer
            .can_it_break(&round.setup, round.simulation.engine(), &options)
            .unwrap();
        let mut plain = setup.clone();
        plain.network_player = false;
        let report = explorer.check(&plain, &options);
        assert_eq!(
            answer.unique_states,
            report.unique_states,
            "{} {broken:?}",
            mode.name()
        );
        assert_eq!(answer.answer == Answer::Yes, report.violation.is_some());
        assert_eq!(answer.answer == Answer::No, report.complete);
    }
}

#[test]
fn from_five_moments_of_a_correct_paxos_round_the_answer_is_no_and_the_cli_agrees() {
    let mut round = Round::new(player_setup(paxos::MODE, None));
    let dir = std::env::temp_dir().join(format!("bp-net-moments-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let plan = [
        Attack::Fire(0, 0),
        Attack::Fire(1, 0),
        Attack::Deliver(0),
        Attack::Deliver(2),
        Attack::Deliver(1),
    ];
    let mut counts = Vec::new();
    for (k, attack) in plan.into_iter().enumerate() {
        round.attack(attack).unwrap();
        let answer = ask(&round, 1);
        assert_eq!(answer.answer, Answer::No, "moment {k}: {}", answer.words);
        assert!(
            answer
                .words
                .starts_with("no order of the messages in flight")
        );
        assert_eq!(
            ask(&round, 1).unique_states,
            answer.unique_states,
            "the same count each time"
        );
        let file = dir.join(format!("moment-{k}.json"));
        std::fs::write(&file, Replay::of(&round).to_json()).unwrap();
        let cli = json(&beat_paxos(&[
            "check",
            "--from-replay",
            file.to_str().unwrap(),
            "--max-states",
            "300000",
            "--no-timing",
        ]));
        assert_eq!(cli["answer"], "no");
        assert_eq!(cli["unique_states"], answer.unique_states);
        counts.push(answer.unique_states);
    }
    counts.dedup();
    assert!(counts.len() >= 4, "different moments: {counts:?}");
    std::fs::remove_dir_all(&dir).ok();
}

/// Plays `answer`'s way move by move, as the game does, and returns the round.
fn play_the_way(mut round: Round, answer: &FromHere) -> Round {
    for step in &answer.steps {
        let attack = Attack::of_network_step(&step.action).unwrap();
        round
            .attack(attack.clone())
            .unwrap_or_else(|e| panic!("{attack:?} ({}): {e}", step.text));
    }
    round
}

#[test]
fn for_each_broken_paxos_and_counter_the_checker_finds_a_way_from_the_start_that_trips_it() {
    for (mode, broken, crashes) in [
        (paxos::MODE, "amnesia", 1),
        (paxos::MODE, "skip-highest-accepted", 1),
        (paxos::MODE, "accept-after-promise", 1),
        (ec_counter::MODE, "no-max", 0),
    ] {
        let round = Round::new(player_setup(mode, Some(broken)));
        let answer = ask(&round, crashes);
        assert_eq!(answer.answer, Answer::Yes, "{broken}: {}", answer.words);
        assert!(answer.confirmed, "{broken}");
        let kind = answer.violation.clone().unwrap();
        let played = play_the_way(round, &answer);
        let caught = &played.simulation.engine().violations()[0];
        assert!(
            kind.starts_with(&caught.kind),
            "{broken}: {kind} vs {caught:?}"
        );
        assert_eq!(ask(&played, crashes).answer, Answer::AlreadyBroken);
    }
}

#[test]
fn raft_forget_vote_and_no_up_to_date_check_are_found_from_the_start_and_played_out() {
    // forget-vote within the first term; no-up-to-date-check needs a second, which the look one
    // round further (without crashes) reaches.
    for (broken, kind, max_round) in [
        ("forget-vote", "election-safety", 1),
        ("no-up-to-date-check", "leader-completeness", 2),
    ] {
        let round = Round::new(player_setup(raft::MODE, Some(broken)));
        let answer = ask(&round, 1);
        assert_eq!(answer.answer, Answer::Yes, "{broken}: {}", answer.words);
        assert!(answer.confirmed, "{broken}");
        assert_eq!(answer.max_round, Some(max_round), "{broken}");
        let played = play_the_way(round, &answer);
        let caught = &played.simulation.engine().violations()[0];
        assert!(caught.kind.starts_with(kind), "{broken}: {caught:?}");
    }
    // Correct Raft: the proof within the first term stands, with check's count.
    let correct = ask(&Round::new(player_setup(raft::MODE, None)), 1);
    assert_eq!(correct.answer, Answer::No, "{}", correct.words);
    assert_eq!(correct.max_round, Some(1));
}

#[test]
fn the_network_lessons_start_in_network_player_mode_and_the_amnesia_hint_is_a_way_that_works() {
    let names = [
        "network-duel",
        "network-cannot-disagree",
        "network-break-amnesia",
    ];
    for name in names {
        let lesson = beat_paxos::lesson::find(name).unwrap();
        assert!(lesson.setup().unwrap().network_player, "{name}");
        let solved = lesson.attempt(true).unwrap();
        assert!(solved.met, "{name}");
    }
    // The duel is liveness, not safety: nothing decided, nothing violated.
    let duel = beat_paxos::lesson::find("network-duel").unwrap();
    let mut round = Round::from_replay(&duel.recording().unwrap());
    round.play_to_end();
    assert!(round.outcome.is_none() && round.simulation.engine().violations().is_empty());
    assert_eq!(
        ask(&round, 0).answer,
        Answer::No,
        "and it still cannot break"
    );

    // The checker's hint, asked at the start of the amnesia lesson, is a way that trips it.
    let amnesia = beat_paxos::lesson::find("network-break-amnesia").unwrap();
    let round = Round::new(amnesia.setup().unwrap());
    let answer = ask(&round, 1);
    assert_eq!(answer.answer, Answer::Yes);
    let crashes = answer
        .steps
        .iter()
        .filter(|step| matches!(step.action, beat_paxos::sim::Action::Kill { .. }))
        .count();
    assert_eq!(
        (answer.steps.len(), crashes),
        (13, 1),
        "shortened from depth first's first way (27 moves, four crashes)"
    );
    let played = play_the_way(round, &answer);
    assert!(amnesia.met(&played).is_some());
}

#[test]
fn a_round_played_by_hand_rewinds_to_any_moment_exactly() {
    let mut round = Round::new(player_setup(paxos::MODE, None));
    round.attack(Attack::Fire(0, 0)).unwrap();
    for _ in 0..6 {
        let next = next_move(&round).unwrap();
        round.attack(next).unwrap();
    }
    let whole = round.simulation.engine().trace_lines(0);
    let line = round.line().to_vec();
    for tick in [0, 75, 200, 300, 75, round.frontier()] {
        round.seek(tick);
        let by_then = line.iter().filter(|m| m.tick <= tick).cloned().collect();
        let mut fresh = Round::with_plan(round.setup.clone(), by_then);
        fresh.play_to_end();
        let trace = round.simulation.engine().trace_lines(0);
        assert_eq!(trace, fresh.simulation.engine().trace_lines(0), "at {tick}");
        assert_eq!(trace[..], whole[..trace.len()]);
        assert_eq!(round.network_choices(), fresh.network_choices());
    }
    assert_eq!(
        round.simulation.engine().trace_lines(0),
        whole,
        "back at the frontier"
    );
}

#[test]
fn a_snapshot_of_the_run_gets_the_answer_the_run_itself_gets() {
    // The game asks off the frame, on a snapshot of the run (which keeps no trace).
    for (broken, moves) in [(None, 4), (Some("amnesia"), 0), (Some("amnesia"), 3)] {
        let mut round = Round::new(player_setup(paxos::MODE, broken));
        for _ in 0..moves {
            let next = next_move(&round).unwrap();
            round.attack(next).unwrap();
        }
        let explorer = protocols::explorer(round.setup.mode).unwrap();
        let options = CheckOptions {
            timeout: None,
            ..network_player_options(explorer, 1, round.duplicates_left as usize)
        };
        let live = ask(&round, 1);
        let snapshot = round.simulation.engine().snapshot();
        let copy = explorer
            .can_it_break(&round.setup, &*snapshot, &options)
            .unwrap();
        let digest = |a: &FromHere| {
            (
                a.answer,
                a.tick,
                a.unique_states,
                a.states,
                a.steps.clone(),
                a.confirmed,
            )
        };
        assert_eq!(
            digest(&live),
            digest(&copy),
            "{broken:?} after {moves} moves"
        );
    }
}
