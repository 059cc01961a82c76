//! Rounds as lines of moves: replays played back exactly as they were played live, seeking to any
//! tick, forking on the player's move, replay files and `sim --replay`, and bad input.

use beat_paxos::protocol::Setup;
use beat_paxos::protocols::{ec_counter, paxos};
use beat_paxos::replay::{Replay, ReplayFailure};
use beat_paxos::round::{Attack, FAULT_BUDGET, PlannedMove, Round};
use beat_paxos::sim::{FNV_OFFSET, SimRng, Tick, fnv1a64};

mod common;
use common::{beat_paxos, json};

/// How a planned attack is chosen when its tick comes (a message to drop must be in flight).
type Choose = fn(&Round) -> Option<Attack>;

/// An attack a live player makes at a tick, chosen then.
type LiveMove = (Tick, Box<dyn Fn(&Round) -> Option<Attack>>);

fn fixed(attack: Attack) -> impl Fn(&Round) -> Option<Attack> {
    move |_| Some(attack.clone())
}

fn first_in_flight(round: &Round) -> Option<u64> {
    let views = round
        .simulation
        .engine()
        .message_views(&round.setup, round.now() as f64);
    views.first().map(|m| m.id)
}

fn drop_one(round: &Round) -> Option<Attack> {
    first_in_flight(round).map(Attack::Drop)
}

fn duplicate_one(round: &Round) -> Option<Attack> {
    first_in_flight(round).map(Attack::Duplicate)
}

/// How the game moves time: by frames of `chunk` ticks, and single steps every `step_every`
/// frames (0: never).
#[derive(Clone, Copy)]
struct Pace {
    chunk: Tick,
    step_every: usize,
}

/// Plays `setup` live as the game does, making each attack when its tick comes (those the round
/// refuses are skipped), then on until the round is finished.
fn play_live(setup: &Setup, plan: &[LiveMove], pace: Pace) -> Round {
    let mut round = Round::new(setup.clone());
    let mut frame = 0;
    let mut go_towards = |round: &mut Round, tick: Tick| {
        frame += 1;
        let stepping = pace.step_every > 0 && frame % pace.step_every == 0;
        match round.simulation.engine().next_due() {
            Some(next) if stepping && next <= tick => round.step(),
            _ => round.advance(pace.chunk.min(tick - round.now())),
        }
    };
    for (tick, choose) in plan {
        while round.now() < *tick {
            go_towards(&mut round, *tick);
        }
        if let Some(attack) = choose(&round) {
            let _ = round.attack(attack);
        }
    }
    while !round.simulation.engine().finished() && round.now() < setup.max_ticks {
        let target = round.now() + pace.chunk;
        go_towards(&mut round, target);
    }
    round
}

fn paxos_setup() -> Setup {
    let mut setup = Setup::for_mode(paxos::MODE);
    setup.set_knob("nodes", 5).unwrap();
    setup.seed = 3;
    // A scenario action at tick 0: a move at tick 0 must come after it, live and replayed.
    setup.actions.push(beat_paxos::sim::TimedAction {
        at: 0,
        action: beat_paxos::sim::Action::Slow { node: 4, factor: 2 },
    });
    setup
}

fn paxos_plan() -> Vec<LiveMove> {
    vec![
        (0, Box::new(fixed(Attack::Slow(0, true)))),
        (130, Box::new(drop_one as Choose)),
        (250, Box::new(fixed(Attack::Isolate(1)))),
        (400, Box::new(fixed(Attack::DropNext(2)))),
        (400, Box::new(fixed(Attack::DuplicateNext(3)))),
        (555, Box::new(duplicate_one as Choose)),
        (700, Box::new(fixed(Attack::Cut(0, 4)))),
        (901, Box::new(fixed(Attack::ToggleDown(2)))),
        (1300, Box::new(fixed(Attack::ToggleDown(2)))),
        (1301, Box::new(fixed(Attack::Slow(0, false)))),
    ]
}

fn counter_setup() -> Setup {
    let mut setup = Setup::for_mode(ec_counter::MODE);
    setup.set_knob("requests", 30).unwrap();
    setup.seed = 8;
    setup
}

fn counter_plan() -> Vec<LiveMove> {
    vec![
        (100, Box::new(fixed(Attack::PauseClients(true)))),
        (450, Box::new(fixed(Attack::Isolate(0)))),
        (460, Box::new(drop_one as Choose)),
        (800, Box::new(fixed(Attack::PauseClients(false)))),
        (900, Box::new(fixed(Attack::ToggleDown(1)))),
        (1000, Box::new(duplicate_one as Choose)),
        (1500, Box::new(fixed(Attack::Cut(0, 2)))),
    ]
}

/// FNV-1a of the first `events` trace lines, as the game's web bridge hashes them.
fn prefix_hash(round: &Round, events: usize) -> String {
    let lines = round.simulation.engine().trace_lines(0);
    assert!(lines.len() >= events, "{} < {events} events", lines.len());
    let hash = lines[..events]
        .iter()
        .fold(FNV_OFFSET, |hash, line| fnv1a64(hash, line.as_bytes()));
    format!("{hash:016x}")
}

/// Everything the game shows of a round, to compare two rounds at the same moment.
fn fingerprint(round: &Round) -> String {
    let sim = &round.simulation;
    format!(
        "now {}\nnodes {:?}\nmessages {:?}\nstats {:?}\ntrace {:?}\nbudget {} {} {}\nmoves {:?}\n\
         outcome {:?}\nviolations {:?}\nnext {:?}\npending {}\nchecks {:?}",
        round.now(),
        sim.engine().node_views(&round.setup),
        sim.engine().message_views(&round.setup, round.now() as f64),
        sim.engine().stats(),
        sim.engine().trace_lines(0),
        round.budget_left,
        round.drops_left,
        round.duplicates_left,
        round.moves,
        round.outcome,
        sim.engine().violations(),
        sim.engine().upcoming(),
        sim.engine().pending_actions(),
        sim.engine().checks(&round.setup),
    )
}

/// A fresh round played live to `tick` with the moves of `line` up to it: the reference a
/// seek must equal.
fn live_to(setup: &Setup, line: &[PlannedMove], tick: Tick) -> Round {
    let mut round = Round::new(setup.clone());
    for planned in line.iter().filter(|m| m.tick <= tick) {
        round.advance(planned.tick - round.now());
        round.attack(planned.attack.clone()).unwrap();
    }
    round.advance(tick - round.now());
    round
}

/// A directory for one test's files, removed afterwards.
struct Scratch(std::path::PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir =
            std::env::temp_dir().join(format!("beat-paxos-replay-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }
    fn write(&self, name: &str, text: &str) -> String {
        let path = self.0.join(name);
        std::fs::write(&path, text).unwrap();
        path.display().to_string()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        std::fs::remove_dir_all(&self.0).ok();
    }
}

#[test]
fn a_replay_plays_back_exactly_what_was_played_live() {
    let scratch = Scratch::new("round-trip");
    let cases = [
        ("paxos", paxos_setup(), paxos_plan(), 6),
        ("counter", counter_setup(), counter_plan(), 5),
    ];
    for (name, setup, plan, at_least) in cases {
        let live = play_live(
            &setup,
            &plan,
            Pace {
                chunk: 10,
                step_every: 3,
            },
        );
        assert!(live.moves.len() >= at_least, "{name}: {:?}", live.moves);
        assert!(live.simulation.engine().finished(), "{name}");

        let text = Replay::of(&live).to_json();
        let replay = Replay::parse(&text).unwrap();
        assert_eq!(replay, Replay::of(&live), "{name}: {text}");
        let summary = replay.run().unwrap();
        let events = summary.trace_events.unwrap() as usize;
        // The game keeps simulating after the round ends; its first events are the replay's.
        assert_eq!(
            summary.trace_hash.as_deref(),
            Some(prefix_hash(&live, events).as_str()),
            "{name}"
        );
        assert!(summary.decided, "{name}");

        // Played back in the game at another pace, the round is the same.
        let mut again = Round::from_replay(&replay);
        while !again.simulation.engine().finished() {
            again.advance(7);
        }
        assert_eq!(again.moves, live.moves, "{name}");
        assert_eq!(again.playback_error(), None);
        assert_eq!(
            prefix_hash(&again, events),
            prefix_hash(&live, events),
            "{name}"
        );

        // And headless through the command line, its trace file too.
        let file = scratch.write(&format!("{name}.json"), &text);
        let trace = scratch
            .0
            .join(format!("{name}.jsonl"))
            .display()
            .to_string();
        let printed = json(&beat_paxos(&["sim", "--replay", &file, "--trace", &trace]));
        assert_eq!(printed, serde_json::to_value(&summary).unwrap(), "{name}");
        let bytes = std::fs::read(&trace).unwrap();
        assert_eq!(
            format!("{:016x}", fnv1a64(FNV_OFFSET, &bytes)),
            summary.trace_hash.clone().unwrap()
        );

        // With its hash sealed in, the replay still runs; a changed move does not.
        let sealed = replay.clone().with_trace_hash().unwrap();
        let sealed_text = sealed.to_json();
        assert!(sealed_text.contains(&summary.trace_hash.clone().unwrap()));
        let file = scratch.write(&format!("{name}-sealed.json"), &sealed_text);
        json(&beat_paxos(&["sim", "--replay", &file]));
        // A move added: healing is free and always allowed, so it is played, and changes the run.
        let mut changed = sealed.clone();
        let first = changed.moves[0].tick;
        changed.moves.insert(
            1,
            PlannedMove {
                tick: first,
                attack: Attack::HealAll,
            },
        );
        let failure = changed.run().unwrap_err();
        assert!(
            matches!(failure, ReplayFailure::Tampered { .. }),
            "{name}: {failure}"
        );
        let file = scratch.write(&format!("{name}-changed.json"), &changed.to_json());
        let out = beat_paxos(&["sim", "--replay", &file]);
        assert_eq!(out.status.code(), Some(2));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("the file was changed"), "{stderr}");
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn a_replay_without_moves_prints_what_sim_prints() {
    let scratch = Scratch::new("no-moves");
    for (mode, args) in [
        ("paxos", ["--nodes", "3", "--seed", "42"]),
        ("ec-counter", ["--requests", "20", "--seed", "9"]),
    ] {
        let trace = scratch.0.join("t.jsonl").display().to_string();
        let mut sim = vec!["sim", "--mode", mode, "--trace", &trace];
        sim.extend(args);
        let expected = json(&beat_paxos(&sim));
        let setup = match mode {
            "paxos" => r#"{"mode": "paxos", "nodes": 3, "seed": 42}"#,
            _ => r#"{"mode": "ec-counter", "requests": 20, "seed": 9}"#,
        };
        let file = scratch.write("r.json", &format!(r#"{{"version": 1, "setup": {setup}}}"#));
        assert_eq!(json(&beat_paxos(&["sim", "--replay", &file])), expected);
    }
}

#[test]
fn seeking_anywhere_is_the_round_played_live_to_that_tick() {
    for (name, setup, plan) in [
        ("paxos", paxos_setup(), paxos_plan()),
        ("counter", counter_setup(), counter_plan()),
    ] {
        let mut round = play_live(
            &setup,
            &plan,
            Pace {
                chunk: 10,
                step_every: 0,
            },
        );
        let line = round.line().to_vec();
        let frontier = round.frontier();
        let original = round.simulation.engine().trace_lines(0);
        let mut ticks: Vec<Tick> = vec![0, 1, frontier, frontier - 1];
        for m in &line {
            ticks.extend([m.tick, m.tick.saturating_sub(1), m.tick + 1]);
        }
        let mut rng = SimRng::new(5, 0);
        ticks.extend((0..30).map(|_| rng.below(frontier + 1)));
        // Back and forth, in no order.
        for _ in 0..ticks.len() {
            let (a, b) = (rng.below(ticks.len() as u64), rng.below(ticks.len() as u64));
            ticks.swap(a as usize, b as usize);
        }
        for tick in ticks {
            assert_eq!(round.seek(tick), tick, "{name}");
            let reference = live_to(&setup, &line, tick);
            assert_eq!(
                fingerprint(&round),
                fingerprint(&reference),
                "{name} at {tick}"
            );
            assert_eq!(round.line(), line, "{name}: a seek keeps the line");
            assert_eq!(
                round.frontier(),
                frontier,
                "{name}: a seek keeps the frontier"
            );
            let trace = round.simulation.engine().trace_lines(0);
            assert_eq!(trace[..], original[..trace.len()], "{name} at {tick}");
        }
        // Played on from a rewind without a move of the player's, the round is the same again.
        round.seek(line[1].tick - 1);
        while round.now() < frontier {
            round.advance(13);
        }
        assert_eq!(
            round.simulation.engine().trace_lines(0)[..original.len()],
            original[..]
        );
        assert_eq!(round.line(), line);
    }
}

#[test]
fn a_move_after_a_rewind_forks_the_line() {
    let setup = paxos_setup();
    let mut round = play_live(
        &setup,
        &paxos_plan(),
        Pace {
            chunk: 10,
            step_every: 0,
        },
    );
    let line = round.line().to_vec();
    let frontier = round.frontier();
    assert!(line.len() >= 6 && frontier > line[line.len() - 1].tick);

    // Rewind to just after the third move: the later moves are still planned.
    let at = line[2].tick + 5;
    round.seek(at);
    let applied = line.iter().filter(|m| m.tick <= at).count();
    assert_eq!(round.moves.len(), applied);
    assert_eq!(round.planned(), &line[applied..]);
    let spent: u32 = round.moves.iter().map(|m| m.cost).sum();
    assert_eq!(round.budget_left, FAULT_BUDGET - spent);

    // A seek past the frontier stops at it.
    assert_eq!(round.seek(frontier + 10_000), frontier);
    round.seek(at);

    // The player's own move: the later line is gone, the budget counts the new line only, and
    // the frontier is the fork's tick, growing as the round goes on.
    round.attack(Attack::Cut(1, 3)).unwrap();
    assert_eq!(round.planned(), &[]);
    assert_eq!(round.line().len(), applied + 1);
    assert_eq!(round.line()[..applied], line[..applied]);
    assert_eq!(round.line()[applied].attack, Attack::Cut(1, 3));
    assert_eq!(round.budget_left, FAULT_BUDGET - spent - 2);
    assert_eq!(round.frontier(), at);
    assert_eq!(
        round.seek(frontier),
        at,
        "nothing beyond the fork has been run yet"
    );
    round.advance(100);
    assert_eq!(round.frontier(), at + 100);
    assert!(
        round.take_played_back().is_empty(),
        "nothing of the old line plays back"
    );
    let fork = round.simulation.engine().trace_lines(0);

    // The new line seeks like any other, and its replay is the new line.
    round.seek(line[0].tick + 1);
    round.seek(at + 100);
    assert_eq!(round.simulation.engine().trace_lines(0), fork);
    assert_eq!(Replay::of(&round).moves, round.line());
    let reference = live_to(&setup, round.line(), at + 100);
    assert_eq!(fingerprint(&round), fingerprint(&reference));
}

#[test]
fn playback_shows_each_move_as_its_tick_comes() {
    let live = play_live(
        &paxos_setup(),
        &paxos_plan(),
        Pace {
            chunk: 10,
            step_every: 0,
        },
    );
    let replay = Replay::of(&live);
    let mut round = Round::from_replay(&replay);
    let mut shown = Vec::new();
    while !round.simulation.engine().finished() {
        let before = round.now();
        round.advance(10);
        for played in round.take_played_back() {
            assert!(
                before < played.tick || (before == 0 && played.tick == 0),
                "{played:?} shown late (frame from {before})"
            );
            assert!(played.tick <= round.now(), "{played:?} shown early");
            shown.push(played);
        }
    }
    assert_eq!(shown, live.moves);

    // Single steps stop at each planned move's tick, even with no event due then.
    let mut round = Round::from_replay(&replay);
    let mut stopped_at = Vec::new();
    while !round.planned().is_empty() {
        round.step();
        if !round.take_played_back().is_empty() {
            stopped_at.push(round.now());
        }
    }
    let mut ticks: Vec<Tick> = live.moves.iter().map(|m| m.tick).collect();
    ticks.dedup();
    assert_eq!(stopped_at, ticks);
}

#[test]
fn stepping_back_and_forth_goes_from_moment_to_moment() {
    let mut round = play_live(
        &paxos_setup(),
        &paxos_plan(),
        Pace {
            chunk: 10,
            step_every: 0,
        },
    );
    let frontier = round.frontier();
    round.seek(frontier / 2);
    // Standing where nothing happens, a step back goes to before the last thing that happened.
    let trace = round.simulation.engine().trace_lines(0);
    if let Some(next) = round.next_moment() {
        round.seek(next - 1);
    }
    let previous = round.previous_moment().unwrap();
    round.seek(previous);
    assert!(round.simulation.engine().trace_lines(0).len() < trace.len());
    round.seek(round.next_moment().unwrap());
    let mut visited = vec![round.now()];
    for _ in 0..20 {
        let previous = round.previous_moment().unwrap();
        assert!(previous < round.now());
        let trace = round.simulation.engine().trace_lines(0);
        round.seek(previous);
        assert!(
            round.simulation.engine().trace_lines(0).len() < trace.len(),
            "something happened then"
        );
        visited.push(previous);
    }
    for expected in visited.iter().rev().skip(1) {
        let next = round.next_moment().unwrap();
        assert_eq!(next, *expected);
        round.seek(next);
    }
    // At the frontier, the next moment is the next event due.
    round.seek(frontier);
    assert!(round.next_moment().is_some_and(|t| t > frontier));
    assert_eq!(round.seek(0), 0);
    assert_eq!(round.previous_moment(), None);
}

#[test]
fn a_move_refused_at_playback_stops_it_and_the_round_goes_on() {
    let setup = paxos_setup();
    let tampered = |moves: Vec<PlannedMove>| Replay {
        setup: setup.clone(),
        moves,
        trace_hash: None,
    };
    let at = |tick, attack| PlannedMove { tick, attack };
    // Six isolations cost 18 points; the budget is 15.
    let greedy: Vec<PlannedMove> = (1..=6)
        .map(|k| at(k * 40, Attack::Isolate(k as usize % 5)))
        .collect();
    let cases = [
        (
            greedy,
            5,
            "move 6 of 6 (isolate node 1 at tick 240) was refused: not enough fault budget (0 left, this costs 3)",
        ),
        (
            vec![
                at(50, Attack::DropNext(1)),
                at(60, Attack::Drop(99_999)),
                at(70, Attack::HealAll),
            ],
            1,
            "move 2 of 3 (drop message 99999 at tick 60) was refused: message 99999 is not in flight",
        ),
        (
            vec![
                at(10, Attack::ToggleDown(0)),
                at(20, Attack::ToggleDown(1)),
                at(30, Attack::ToggleDown(2)),
            ],
            2,
            "move 3 of 3 (kill or recover node 2 at tick 30) was refused: at most 2 of 5 may be down at once",
        ),
    ];
    for (moves, played, expected) in cases {
        let replay = tampered(moves.clone());
        let mut round = Round::from_replay(&replay);
        round.advance(1_000);
        let error = round.playback_error().expect("refused").to_string();
        assert!(error.starts_with(expected), "{error}");
        assert_eq!(round.moves.len(), played);
        assert!(
            round.planned().is_empty(),
            "the rest of the line is dropped"
        );
        assert_eq!(round.line(), &moves[..played]);
        let shown = round.take_played_back();
        assert_eq!(shown.len(), played);
        // The round itself goes on, as a live one with the moves that were played.
        while round.outcome.is_none() && round.now() < 100_000 {
            round.advance(50);
        }
        assert!(round.outcome.is_some());
        let reference = live_to(&setup, &moves[..played], 1_000);
        round.seek(1_000);
        assert_eq!(fingerprint(&round), fingerprint(&reference));

        let failure = replay.run().unwrap_err();
        assert!(matches!(failure, ReplayFailure::Refused(_)));
        assert!(failure.to_string().starts_with(expected), "{failure}");
    }

    // A move after the round ended (the round refuses moves once it is over).
    let live = play_live(
        &setup,
        &paxos_plan(),
        Pace {
            chunk: 10,
            step_every: 0,
        },
    );
    let mut late = Replay::of(&live);
    let end = live.outcome.clone().unwrap().tick;
    late.moves.push(at(end + 1, Attack::HealAll));
    let failure = late.run().unwrap_err().to_string();
    assert!(
        failure.contains("was refused: the round is over"),
        "{failure}"
    );
}

#[test]
fn bad_replay_files_are_explained() {
    let good = r#"{"version": 1, "setup": {"mode": "paxos", "nodes": 3},
        "moves": [{"tick": 100, "attack": {"Isolate": 0}}, {"tick": 200, "attack": "HealAll"}]}"#;
    let replay = Replay::parse(good).unwrap();
    assert_eq!(replay.moves.len(), 2);
    assert_eq!(replay.setup.knob("nodes"), 3);
    let cases = [
        ("", "the file is empty; expected a replay"),
        (&good[..60], "line 2, column"),
        (&good[..60], "the file ends before the replay does"),
        ("[1, 2]", "expected a replay: a JSON object"),
        (r#"{"mode": "paxos"}"#, "not a replay: it has no `version`"),
        (
            r#"{"version": 2, "future": true}"#,
            "replay version 2 is not one this game reads (it reads version 1)",
        ),
        (
            r#"{"version": "one"}"#,
            "replay version \"one\" is not one this game reads",
        ),
        (r#"{"version": 1}"#, "field `setup`"),
        (
            r#"{"version": 1, "setup": {}, "extra": 1}"#,
            "unknown field `extra`",
        ),
        (
            r#"{"version": 1, "setup": {"nodes": 12}}"#,
            "field `setup.nodes`: 12 is outside 3..=9",
        ),
        (
            r#"{"version": 1, "setup": {"nodez": 3}}"#,
            "field `setup`: unknown field `nodez`",
        ),
        (
            r#"{"version": 1, "setup": {}, "moves": [{"tick": -5, "attack": "HealAll"}]}"#,
            "field `moves[0].tick`: invalid value: integer `-5`, expected a whole number",
        ),
        (
            r#"{"version": 1, "setup": {}, "moves": [{"tick": 1000001, "attack": "HealAll"}]}"#,
            "moves[0].tick: 1000001 is after the round's last tick (1000000)",
        ),
        (
            r#"{"version": 1, "setup": {}, "moves": [{"tick": 99999999999999999999, "attack": "HealAll"}]}"#,
            "field `moves[0].tick`",
        ),
        (
            r#"{"version": 1, "setup": {}, "moves": [{"tick": 9, "attack": "HealAll"}, {"tick": 8, "attack": "HealAll"}]}"#,
            "moves[1].tick: 8 comes before the previous move's tick 9 (moves must be in tick order)",
        ),
        (
            r#"{"version": 1, "setup": {}, "moves": [{"tick": 9, "attack": {"Teleport": 1}}]}"#,
            "field `moves[0].attack`: unknown variant `Teleport`, expected one of `ToggleDown`",
        ),
        (
            r#"{"version": 1, "setup": {}, "moves": [{"tick": 9, "attack": {"Cut": [0, 3]}}]}"#,
            "moves[0].attack: node 3 does not exist (nodes are 0..3)",
        ),
        (
            r#"{"version": 1, "setup": {"mode": "ec-counter"}, "moves": [{"tick": 9, "attack": {"ToggleDown": 4}}]}"#,
            "moves[0].attack: node 4 is a client",
        ),
        (
            r#"{"version": 1, "setup": {}, "moves": [{"tick": 9}]}"#,
            "field `moves[0]`: missing field `attack`",
        ),
        (
            r#"{"version": 1, "setup": {}, "trace_hash": "xyz"}"#,
            "`xyz` is not a trace hash",
        ),
        (
            r#"{"version": 1, "setup": {}} {}"#,
            "unexpected text after the replay",
        ),
    ];
    for (text, expected) in cases {
        let err = Replay::parse(text).unwrap_err();
        assert!(err.contains(expected), "{text}\n  gave: {err}");
        assert!(!err.contains("u64") && !err.contains("struct "), "{err}");
    }

    // Through the command line: exit code 2, the file named, nothing on stdout.
    let scratch = Scratch::new("bad");
    let truncated = scratch.write("cut.json", &good[..60]);
    let out = beat_paxos(&["sim", "--replay", &truncated]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.starts_with(&format!("error: {truncated}: line 2, column")),
        "{stderr}"
    );
    assert!(out.stdout.is_empty() && !stderr.contains("panicked"));
    let out = beat_paxos(&["sim", "--replay", "/no/such/replay.json"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("/no/such/replay.json: cannot read the replay")
    );
    if std::path::Path::new("/dev/zero").exists() {
        let out = beat_paxos(&["sim", "--replay", "/dev/zero"]);
        assert_eq!(out.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&out.stderr).contains("longer than 16 MiB"));
    }
}

#[test]
fn a_replay_decides_the_whole_round_so_no_flag_may_change_it() {
    let scratch = Scratch::new("flags");
    let file = scratch.write("r.json", r#"{"version": 1, "setup": {"mode": "paxos"}}"#);
    for flag in [
        &["--scenario", "x.json"][..],
        &["--chaos"],
        &["--seed", "4"],
        &["--mode", "paxos"],
        &["--nodes", "5"],
        &["--break", "amnesia"],
        &["--clients", "2"],
        &["--requests", "2"],
    ] {
        let mut args = vec!["sim", "--replay", &file];
        args.extend(flag);
        let out = beat_paxos(&args);
        assert_eq!(out.status.code(), Some(2), "{flag:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("'--replay <REPLAY>' cannot be used with") && stderr.contains(flag[0]),
            "{flag:?}: {stderr}"
        );
    }
}

#[test]
fn a_replay_stopped_at_a_tick_is_the_round_at_that_moment() {
    let setup = paxos_setup();
    let live = play_live(
        &setup,
        &paxos_plan(),
        Pace {
            chunk: 10,
            step_every: 0,
        },
    );
    let line = live.line().to_vec();
    let scratch = Scratch::new("stop-at");
    let file = scratch.write("r.json", &Replay::of(&live).to_json());
    for tick in [1, 260, 700, 901, 1250] {
        let reference = live_to(&setup, &line, tick);
        let summary = json(&beat_paxos(&[
            "sim",
            "--replay",
            &file,
            "--max-ticks",
            &tick.to_string(),
        ]));
        let events = reference.simulation.engine().trace_len();
        assert_eq!(summary["trace_events"], events as u64, "at {tick}");
        assert_eq!(
            summary["trace_hash"],
            prefix_hash(&reference, events),
            "at {tick}"
        );
    }
    let out = beat_paxos(&["sim", "--replay", &file, "--max-ticks", "0"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--max-ticks: 0 is outside"));
}

/// A headless run of a long replay keeps its moves once: the line, not a copy of the replay's
/// moves nor a list of the moves played back (a 15 MiB replay took 355 MiB, now 44.5 MiB; see
/// docs/replays.md). The version is read without reading the rest as a JSON tree, wherever it is.
#[test]
fn a_replay_runs_headless_without_keeping_its_moves_twice() {
    let moves: Vec<String> = (0..2_000)
        .map(|_| r#"{"tick": 100, "attack": "HealAll"}"#.to_string())
        .collect();
    let text = format!(
        r#"{{"setup": {{"seed": 1}}, "moves": [{}], "version": 1}}"#,
        moves.join(",")
    );
    let replay = Replay::parse(&text).unwrap();
    assert_eq!(replay.moves.len(), 2_000);
    let mut round = Round::from_replay(&replay);
    round.play_to_end();
    assert_eq!(round.playback_error(), None);
    assert_eq!(round.moves.len(), 2_000);
    assert!(
        round.take_played_back().is_empty(),
        "nobody shows a headless run's moves"
    );
    let used_up = replay.clone().play_into(Box::new(std::io::sink())).unwrap();
    assert_eq!(
        used_up.trace_hash,
        replay.run().unwrap().trace_hash,
        "using the replay up runs the same round"
    );
}
