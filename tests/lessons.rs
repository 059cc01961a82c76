//! The lessons: every recorded solution meets its objective, a round left alone does not (unless
//! watching is the objective), objectives are read from the trace so a rewind reopens them, and
//! `beat-paxos lesson` reports it all.

mod common;

use beat_paxos::lesson::{self, Lesson};
use beat_paxos::protocol::Model;
use beat_paxos::protocols;
use beat_paxos::protocols::ec_counter::{self, EcCounter};
use beat_paxos::protocols::paxos::{Note, Paxos, PaxosNode};
use beat_paxos::round::{Attack, PlannedMove, Round};
use beat_paxos::sim::{Event, NodeId, Traced};
use common::{beat_paxos, json};

fn lessons() -> Vec<&'static Lesson> {
    lesson::all().map(|(_, lesson)| lesson).collect()
}

#[test]
fn every_solution_meets_its_objective_and_plays_as_recorded() {
    for lesson in lessons() {
        let recording = lesson.recording().unwrap();
        assert!(
            recording.trace_hash.is_some(),
            "{}: the recording has no trace hash",
            lesson.name
        );
        // The hash ties the solution to the rules it was recorded with.
        recording
            .run()
            .unwrap_or_else(|failure| panic!("{}: {failure}", lesson.name));
        let solved = lesson.attempt(true).unwrap();
        assert!(solved.met, "{}: the solution does not meet it", lesson.name);
        assert_eq!(
            solved.moves,
            recording.moves.len(),
            "{}: a move was refused",
            lesson.name
        );
        assert_eq!(
            solved.moves == 0,
            lesson.watch,
            "{}: only a watching lesson needs no move",
            lesson.name
        );
    }
}

#[test]
fn a_round_left_alone_meets_only_the_watching_objectives() {
    for lesson in lessons() {
        let idle = lesson.attempt(false).unwrap();
        assert_eq!(
            idle.met, lesson.watch,
            "{}: left alone, met = {} (ended at tick {})",
            lesson.name, idle.met, idle.ended_at
        );
        assert!(
            idle.violations.is_empty(),
            "{}: the checkers fire with nobody playing: {:?}",
            lesson.name,
            idle.violations
        );
    }
}

#[test]
fn every_broken_variant_has_a_lesson_that_ends_in_its_violation() {
    for mode in protocols::modes() {
        for variant in mode.variants() {
            let lesson = mode
                .lessons()
                .iter()
                .find(|l| l.setup().unwrap().broken == Some(variant.name))
                .unwrap_or_else(|| {
                    panic!("no lesson breaks {} with {}", mode.name(), variant.name)
                });
            let solved = lesson.attempt(true).unwrap();
            assert!(
                !solved.violations.is_empty(),
                "{}: no violation",
                lesson.name
            );
        }
    }
}

#[test]
fn lessons_have_unique_names_short_texts_and_their_protocols_setup() {
    let mut names: Vec<&str> = Vec::new();
    for (mode, lesson) in lesson::all() {
        assert!(!names.contains(&lesson.name), "{} twice", lesson.name);
        names.push(lesson.name);
        assert_eq!(lesson.setup().unwrap().mode, mode, "{}", lesson.name);
        let sentences = lesson.text.matches(". ").count() + 1;
        assert!(
            (2..=4).contains(&sentences),
            "{}: {sentences} sentences",
            lesson.name
        );
        for text in [lesson.objective, lesson.hint, lesson.done] {
            assert!(text.ends_with('.'), "{}: `{text}`", lesson.name);
        }
    }
    assert_eq!(lesson::find(names[0]).unwrap().name, names[0]);
    assert_eq!(
        lesson::next(lesson::find(names[0]).unwrap()).map(|l| l.name),
        Some(names[1])
    );
    assert!(lesson::next(lesson::find(names[names.len() - 1]).unwrap()).is_none());
    let unknown = lesson::find("no-such-lesson").unwrap_err();
    assert!(unknown.contains("first-decision"), "{unknown}");
}

#[test]
fn the_first_lesson_teaches_ballot_notation_and_chosen_versus_decided() {
    let first = lessons()[0];
    assert_eq!(first.name, "first-decision");
    let sentences: Vec<&str> = first.text.split(". ").collect();
    let ballots = sentences
        .iter()
        .find(|s| s.contains("1.G"))
        .expect("a sentence on ballot notation");
    for needle in ["round", "node", "higher ballot beats a lower"] {
        assert!(ballots.contains(needle), "{ballots}");
    }
    let chosen = sentences
        .iter()
        .find(|s| s.contains("chosen"))
        .expect("a sentence on chosen and decided");
    for needle in ["majority", "decided", "learns"] {
        assert!(chosen.contains(needle), "{chosen}");
    }
}

#[test]
fn a_rewind_before_the_objective_opens_it_again_and_playing_on_meets_it_again() {
    let lesson = lesson::find("leader-crash").unwrap();
    let recording = lesson.recording().unwrap();
    let mut round = Round::with_plan(recording.setup.clone(), recording.moves.clone());
    round.play_to_end();
    let met = lesson.met(&round).expect("the solution meets it");
    round.seek(met - 1);
    assert_eq!(lesson.met(&round), None);
    round.seek(met);
    assert_eq!(lesson.met(&round), Some(met));
}

#[test]
fn killing_a_node_that_does_not_lead_is_not_killing_the_leader() {
    let lesson = lesson::find("leader-crash").unwrap();
    let recording = lesson.recording().unwrap();
    let [solution] = recording.moves.as_slice() else {
        panic!("one move expected")
    };
    let Attack::ToggleDown(leader) = solution.attack else {
        panic!("a kill expected")
    };
    for node in (0..3).filter(|n| *n != leader) {
        let kill = PlannedMove {
            tick: solution.tick,
            attack: Attack::ToggleDown(node),
        };
        let mut round = Round::with_plan(recording.setup.clone(), vec![kill]);
        round.play_to_end();
        assert_eq!(lesson.met(&round), None, "killing follower {node}");
    }
}

#[test]
fn the_break_it_lessons_need_the_move_at_the_right_moment() {
    // Amnesia: green must be down when red's decision reaches it, so it does not relearn it.
    let lesson = lesson::find("break-amnesia").unwrap();
    let recording = lesson.recording().unwrap();
    let kill_and_recover = |recover_at| {
        vec![
            recording.moves[0].clone(),
            PlannedMove {
                tick: recover_at,
                attack: recording.moves[1].attack.clone(),
            },
        ]
    };
    let mut too_soon = Round::with_plan(recording.setup.clone(), kill_and_recover(700));
    too_soon.play_to_end();
    assert_eq!(lesson.met(&too_soon), None);
    let mut in_time = Round::with_plan(recording.setup.clone(), kill_and_recover(850));
    in_time.play_to_end();
    assert!(lesson.met(&in_time).is_some());
}

#[test]
fn the_command_lists_lessons_and_plays_them() {
    let listed = json(&beat_paxos(&["lesson", "--list"]));
    let names: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["name"].as_str().unwrap())
        .collect();
    let expected: Vec<&str> = lessons().iter().map(|l| l.name).collect();
    assert_eq!(names, expected);
    assert_eq!(listed[0]["mode"], "paxos");
    let broken: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|l| l["break"].as_str())
        .collect();
    assert_eq!(
        broken,
        [
            "amnesia",
            "skip-highest-accepted",
            "accept-after-promise",
            "amnesia",
            "no-max",
            "forget-vote",
            "no-up-to-date-check",
            "commit-old-term"
        ]
    );

    let solved = beat_paxos(&["lesson", "cut-off", "--solve"]);
    let report = json(&solved);
    assert_eq!(report["met"], true);
    assert_eq!(report["lesson"], "cut-off");

    let idle = beat_paxos(&["lesson", "cut-off"]);
    assert_eq!(idle.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&idle.stdout).unwrap();
    assert_eq!(report["met"], false);

    let unknown = beat_paxos(&["lesson", "nope", "--solve"]);
    assert_eq!(unknown.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&unknown.stderr);
    assert!(stderr.contains("there is no lesson `nope`"), "{stderr}");
}

/// A move the hint asks for: now, or after `delay` ticks.
struct Do {
    delay: u64,
    attack: Attack,
}

fn now(attack: Attack) -> Vec<Do> {
    vec![Do { delay: 0, attack }]
}

/// Plays lesson `name` as a student following its hint: after every step, `hint` reads the
/// Paxos events that step added and says which moves to make, at that moment or a little later.
/// The round is then played to its end; returns it.
fn follow_hint(
    name: &str,
    hint: impl FnMut(&[Traced<PaxosNode>]) -> Vec<Do>,
) -> (&'static Lesson, Round) {
    follow::<Paxos>(name, hint)
}

/// [`follow_hint`] for a lesson of any protocol.
fn follow<M: Model>(
    name: &str,
    hint: impl FnMut(&[Traced<M::Actor>]) -> Vec<Do>,
) -> (&'static Lesson, Round) {
    follow_from::<M>(name, Vec::new(), hint)
}

/// [`follow`] for a lesson that starts paused: `start` are the moves its opening words ask for,
/// made before the first step.
fn follow_from<M: Model>(
    name: &str,
    start: Vec<Attack>,
    mut hint: impl FnMut(&[Traced<M::Actor>]) -> Vec<Do>,
) -> (&'static Lesson, Round) {
    let lesson = lesson::find(name).unwrap();
    let mut round = Round::new(lesson.setup().unwrap());
    assert!(
        start.is_empty() || lesson.starts_paused.is_some(),
        "{name}: moves before the first step, but the lesson does not start paused"
    );
    for attack in start {
        round.attack(attack).unwrap();
    }
    let mut seen = 0;
    let mut later: Vec<(u64, Attack)> = Vec::new();
    while lesson.met(&round).is_none() && round.now() < 20_000 {
        later.sort_by_key(|(tick, _)| *tick);
        let due = round.simulation.engine().next_due();
        match later.first() {
            Some((tick, _)) if due.is_none_or(|due| *tick < due) => {
                let (tick, attack) = later.remove(0);
                round.advance(tick - round.now());
                round.attack(attack).unwrap();
                continue;
            }
            None if due.is_none() => break,
            _ => round.step(),
        }
        let sim = round.simulation.of::<M>().unwrap();
        let events = sim.trace()[seen..].to_vec();
        seen = sim.trace().len();
        for Do { delay, attack } in hint(&events) {
            if delay == 0 {
                paused_here(lesson, &round);
                round.attack(attack).unwrap();
            } else {
                later.push((round.now() + delay, attack));
            }
        }
    }
    round.play_to_end();
    (lesson, round)
}

/// The game stops the student at the moment the hint names: the lesson pauses right here.
fn paused_here(lesson: &Lesson, round: &Round) {
    let pauses = (lesson.pauses)(round.simulation.engine());
    assert!(
        pauses.iter().any(|pause| pause.tick == round.now()),
        "{}: the hint acts at tick {}, but the game pauses at {:?}",
        lesson.name,
        round.now(),
        pauses
    );
}

/// And the other way round: every pause of the run is a moment the hint acted at (a pause that
/// asks for a move the hint does not make would mislead the student).
fn acted_at_every_pause(lesson: &Lesson, round: &Round) {
    for pause in (lesson.pauses)(round.simulation.engine()) {
        assert!(
            round.moves.iter().any(|played| played.tick == pause.tick),
            "{}: the game pauses at {} ({}), but the hint does nothing then: {:?}",
            lesson.name,
            pause.tick,
            pause.text,
            round.moves
        );
    }
}

fn note(traced: &Traced<PaxosNode>) -> Option<(NodeId, &Note)> {
    match &traced.event {
        Event::Note { node, note } => Some((*node, note)),
        _ => None,
    }
}

fn met(lesson: &Lesson, round: &Round) {
    assert!(
        lesson.met(round).is_some(),
        "{}: following the hint does not meet the objective ({:?})",
        lesson.name,
        round.moves
    );
}

#[test]
fn first_decision_hint_nothing_to_do_meets_it() {
    let (lesson, round) = follow_hint("first-decision", |_| Vec::new());
    met(lesson, &round);
}

#[test]
fn leader_crash_hint_kill_the_node_that_starts_ballot_one_at_once() {
    let mut done = false;
    let (lesson, round) = follow_hint("leader-crash", |events| {
        for (node, note) in events.iter().filter_map(note) {
            if let Note::BallotStarted { ballot } = note
                && ballot.round == 1
                && !done
            {
                done = true;
                return now(Attack::ToggleDown(node));
            }
        }
        Vec::new()
    });
    met(lesson, &round);
}

#[test]
fn cut_off_hint_isolate_another_node_as_a_leader_starts() {
    for other in [1, 2] {
        cut_off_isolating_the_node_after_the_leader_by(other);
    }
}

fn cut_off_isolating_the_node_after_the_leader_by(other: usize) {
    let mut done = false;
    let (lesson, round) = follow_hint("cut-off", |events| {
        for (leader, note) in events.iter().filter_map(note) {
            if let Note::BallotStarted { .. } = note
                && !done
            {
                done = true;
                return now(Attack::Isolate((leader + other) % 3));
            }
        }
        Vec::new()
    });
    met(lesson, &round);
}

#[test]
fn no_majority_hint_kill_one_and_cut_the_pairs_as_the_first_ballot_starts() {
    let mut done = false;
    let (lesson, round) = follow_hint("no-majority", |events| {
        if done
            || !events
                .iter()
                .filter_map(note)
                .any(|(_, n)| matches!(n, Note::BallotStarted { .. }))
        {
            return Vec::new();
        }
        done = true;
        let mut moves = now(Attack::ToggleDown(4));
        for (a, b) in [(0, 2), (0, 3), (1, 2), (1, 3)] {
            moves.extend(now(Attack::Cut(a, b)));
        }
        moves
    });
    met(lesson, &round);
}

/// The hint of `cannot-disagree` and `break-skip-highest`: isolate the leader once its p2b
/// replies have arrived (it decides at that moment).
fn isolate_the_leader_as_it_decides(name: &str) {
    let mut done = false;
    let (lesson, round) = follow_hint(name, |events| {
        for (node, note) in events.iter().filter_map(note) {
            if let Note::Decided { .. } = note
                && !done
            {
                done = true;
                return now(Attack::Isolate(node));
            }
        }
        Vec::new()
    });
    met(lesson, &round);
}

#[test]
fn cannot_disagree_hint_isolate_the_leader_when_its_p2b_replies_arrive() {
    isolate_the_leader_as_it_decides("cannot-disagree");
}

#[test]
fn break_skip_highest_hint_isolate_the_leader_when_its_p2b_replies_arrive() {
    isolate_the_leader_as_it_decides("break-skip-highest");
}

#[test]
fn break_amnesia_hint_kill_green_once_it_accepted_and_recover_it_after_reds_decide_is_lost() {
    let (green, red) = (1, 0);
    let (mut killed, mut red_decided, mut recovered) = (false, false, false);
    let (lesson, round) = follow_hint("break-amnesia", |events| {
        for traced in events {
            match &traced.event {
                Event::Note {
                    node,
                    note: Note::Accepted { .. },
                } if *node == green && !killed => {
                    killed = true;
                    return now(Attack::ToggleDown(green));
                }
                Event::Note {
                    node,
                    note: Note::Decided { .. },
                } if *node == red => red_decided = true,
                Event::Drop { to, .. } if *to == green && red_decided && !recovered => {
                    recovered = true;
                    return now(Attack::ToggleDown(green));
                }
                _ => {}
            }
        }
        Vec::new()
    });
    met(lesson, &round);
}

#[test]
fn break_accept_after_promise_hint_slow_the_first_leader_in_phase_one() {
    let mut done = false;
    let (lesson, round) = follow_hint("break-accept-after-promise", |events| {
        for (node, note) in events.iter().filter_map(note) {
            if let Note::BallotStarted { .. } = note
                && !done
            {
                done = true;
                return now(Attack::Slow(node, true));
            }
        }
        Vec::new()
    });
    met(lesson, &round);
}

#[test]
fn highest_ballot_hint_isolate_each_of_the_first_two_leaders_as_it_proposes() {
    // At once, or a little later while its p2a messages are still on their way.
    for reaction in [0, 40] {
        let mut leaders: Vec<NodeId> = Vec::new();
        let (lesson, round) = follow_hint("highest-ballot", |events| {
            let mut moves = Vec::new();
            for (node, note) in events.iter().filter_map(note) {
                if matches!(note, Note::Proposed { .. })
                    && !leaders.contains(&node)
                    && leaders.len() < 2
                {
                    leaders.push(node);
                    moves.push(Do {
                        delay: reaction,
                        attack: Attack::Isolate(node),
                    });
                }
            }
            moves
        });
        met(lesson, &round);
    }
}

/// The counter lessons' hints name no moment but the hint's own: the student acts when it shows.
/// The student may take a moment to read it: acting 0.2 s after it shows works too.
fn act_when_the_hint_shows(name: &str, attack: Attack) {
    let lesson = lesson::find(name).unwrap();
    for reading in [0, 200] {
        let moves = vec![PlannedMove {
            tick: lesson.hint_after + reading,
            attack: attack.clone(),
        }];
        let mut round = Round::with_plan(lesson.setup().unwrap(), moves);
        round.play_to_end();
        assert_eq!(round.playback_error(), None, "{name}");
        met(lesson, &round);
    }
}

#[test]
fn ec_diverge_hint_isolate_a_server_when_the_hint_shows() {
    act_when_the_hint_shows("ec-diverge", Attack::Isolate(0));
}

#[test]
fn ec_converge_hint_heal_when_the_hint_shows() {
    act_when_the_hint_shows("ec-converge", Attack::HealAll);
}

#[test]
fn break_no_max_hint_drop_the_servers_answer_to_the_first_set() {
    let mut done = false;
    let (lesson, round) = follow::<EcCounter>("break-no-max", |events| {
        for traced in events {
            if let Event::Send {
                to,
                msg: ec_counter::Msg::Set { .. },
                ..
            } = &traced.event
                && !done
            {
                done = true;
                return now(Attack::DropNext(*to));
            }
        }
        Vec::new()
    });
    met(lesson, &round);
}

#[test]
fn dueling_leaders_is_not_won_by_killing_one_leader_after_another() {
    // Kill each new leader as it starts (recovering the last one first): three ballots, one
    // leader at a time, so no duel.
    let mut down: Option<NodeId> = None;
    let mut ballots = 0;
    let (lesson, round) = follow_hint("dueling-leaders", |events| {
        let mut moves = Vec::new();
        for (node, note) in events.iter().filter_map(note) {
            if let Note::BallotStarted { .. } = note {
                ballots += 1;
                if ballots > 2 {
                    continue;
                }
                if let Some(dead) = down.take() {
                    moves.extend(now(Attack::ToggleDown(dead)));
                }
                moves.extend(now(Attack::ToggleDown(node)));
                down = Some(node);
            }
        }
        moves
    });
    let sim = round.simulation.of::<Paxos>().unwrap();
    let first_decision = sim.checker().first_decision.expect("decided");
    let before = sim
        .trace()
        .iter()
        .filter(|t| t.tick <= first_decision)
        .filter_map(note)
        .filter(|(_, n)| matches!(n, Note::BallotStarted { .. }))
        .count();
    assert!(
        before >= 3,
        "{before} ballots: the old objective would be met"
    );
    assert_eq!(lesson.met(&round), None, "{:?}", round.moves);
}

#[test]
fn dueling_leaders_hint_slow_each_new_leader_as_it_starts_its_ballot() {
    let mut slowed: Vec<NodeId> = Vec::new();
    let (lesson, round) = follow_hint("dueling-leaders", |events| {
        let mut moves = Vec::new();
        for (node, note) in events.iter().filter_map(note) {
            if let Note::BallotStarted { .. } = note
                && !slowed.contains(&node)
            {
                slowed.push(node);
                moves.extend(now(Attack::Slow(node, true)));
            }
        }
        moves
    });
    met(lesson, &round);
}

/// Raft's forget-vote lesson, as its hint says: when a server votes for the first candidate,
/// kill it, cut the candidate from the third server (whose vote has not come), pause the
/// clients, and recover the voter a few hops later.
#[test]
fn raft_forget_vote_hint_kill_the_first_voter_and_cut_its_candidate_off_breaks_election_safety() {
    use beat_paxos::protocols::raft::{Note as RaftNote, Raft, RaftNode};
    let mut done = false;
    let (lesson, round) =
        follow::<Raft>("raft-break-forget-vote", |events: &[Traced<RaftNode>]| {
            for traced in events {
                let Event::Note {
                    node,
                    note: RaftNote::Voted { candidate, .. },
                } = &traced.event
                else {
                    continue;
                };
                if done || node == candidate {
                    continue;
                }
                done = true;
                let third = 3 - node - candidate;
                let at_once = |attack| Do { delay: 0, attack };
                return vec![
                    at_once(Attack::ToggleDown(*node)),
                    at_once(Attack::Cut(*candidate, third)),
                    at_once(Attack::PauseClients(true)),
                    Do {
                        delay: 200,
                        attack: Attack::ToggleDown(*node),
                    },
                ];
            }
            Vec::new()
        });
    met(lesson, &round);
    assert_eq!(
        round.simulation.engine().violations()[0].kind,
        "election-safety",
        "{:?}",
        round.moves
    );
}

/// Raft's leader-crash lesson, as its hint says: kill the leader as it commits the first command.
#[test]
fn raft_leader_crash_hint_kill_the_leader_as_it_commits() {
    use beat_paxos::protocols::raft::{Note as RaftNote, Raft, RaftNode};
    let mut leader = None;
    let mut done = false;
    let (lesson, round) = follow::<Raft>("raft-leader-crash", |events: &[Traced<RaftNode>]| {
        for traced in events {
            let Event::Note { node, note } = &traced.event else {
                continue;
            };
            match note {
                RaftNote::BecameLeader { .. } => leader = Some(*node),
                RaftNote::Committed { .. } if leader == Some(*node) && !done => {
                    done = true;
                    return now(Attack::ToggleDown(*node));
                }
                _ => {}
            }
        }
        Vec::new()
    });
    met(lesson, &round);
    assert!(round.simulation.engine().violations().is_empty());
}

/// Raft's old-leader lesson, as its hint says: isolate the leader as it appends the first command.
#[test]
fn raft_old_leader_hint_isolate_the_leader_as_it_appends() {
    use beat_paxos::protocols::raft::{Note as RaftNote, Raft, RaftNode};
    let mut leader = None;
    let mut done = false;
    let (lesson, round) = follow::<Raft>("raft-old-leader", |events: &[Traced<RaftNode>]| {
        for traced in events {
            let Event::Note { node, note } = &traced.event else {
                continue;
            };
            match note {
                RaftNote::BecameLeader { .. } => leader = Some(*node),
                RaftNote::Appended { .. } if leader == Some(*node) && !done => {
                    done = true;
                    return now(Attack::Isolate(*node));
                }
                _ => {}
            }
        }
        Vec::new()
    });
    met(lesson, &round);
    assert!(round.simulation.engine().violations().is_empty());
}

/// Raft's no-up-to-date-check lesson, as its opening words and hint say: isolate blue at once
/// and again each time it rejoins, pause the clients after the first commit, and isolate the
/// leader once blue runs for a term above the leader's.
#[test]
fn raft_no_up_to_date_check_hint_keep_blue_away_then_isolate_the_leader_breaks_completeness() {
    use beat_paxos::protocols::raft::{Note as RaftNote, Raft, RaftNode};
    use beat_paxos::sim::Action;
    const BLUE: NodeId = 2;
    let mut leader = None;
    let (mut rejoined, mut committed, mut isolated) = (0, false, false);
    let (lesson, round) = follow_from::<Raft>(
        "raft-break-no-up-to-date-check",
        vec![Attack::Isolate(BLUE)],
        |events: &[Traced<RaftNode>]| {
            for traced in events {
                match &traced.event {
                    Event::Action {
                        action: Action::HealAll,
                    } if !isolated => {
                        rejoined += 1;
                        return now(Attack::Isolate(BLUE));
                    }
                    Event::Note { node, note } => match note {
                        RaftNote::BecameLeader { term } => leader = Some((*node, *term)),
                        RaftNote::Committed { index: 1 } if !committed => {
                            committed = true;
                            return now(Attack::PauseClients(true));
                        }
                        RaftNote::ElectionStarted { term }
                            if *node == BLUE
                                && committed
                                && !isolated
                                && leader.is_some_and(|(_, t)| *term > t) =>
                        {
                            isolated = true;
                            return now(Attack::Isolate(leader.unwrap().0));
                        }
                        _ => {}
                    },
                    _ => {}
                }
            }
            Vec::new()
        },
    );
    met(lesson, &round);
    acted_at_every_pause(lesson, &round);
    assert!(rejoined > 0 && committed && isolated, "{:?}", round.moves);
    assert_eq!(
        round.simulation.engine().violations()[0].kind,
        "leader-completeness",
        "{:?}",
        round.moves
    );
}

/// Raft's commit-old-term lesson (Figure 8 by hand), as its hint says: isolate each of the first
/// two leaders right after it appends a command (pausing the clients with the second), isolate
/// the second again each time it rejoins, and kill the old leader as it commits its old entry.
#[test]
fn raft_commit_old_term_hint_figure_8_by_hand_breaks_completeness() {
    use beat_paxos::protocols::raft::{Note as RaftNote, Raft, RaftNode};
    use beat_paxos::sim::Action;
    let mut leaders: Vec<NodeId> = Vec::new();
    let mut isolated = 0;
    let mut killed = false;
    let (lesson, round) = follow::<Raft>(
        "raft-break-commit-old-term",
        |events: &[Traced<RaftNode>]| {
            for traced in events {
                match &traced.event {
                    Event::Action {
                        action: Action::HealAll,
                    } if isolated == 2 && !killed => {
                        return now(Attack::Isolate(leaders[1]));
                    }
                    Event::Note { node, note } => match note {
                        RaftNote::BecameLeader { .. } => leaders.push(*node),
                        RaftNote::Appended { .. }
                            if isolated < 2
                                && leaders.len() == isolated + 1
                                && leaders.last() == Some(node) =>
                        {
                            isolated += 1;
                            let mut moves = now(Attack::Isolate(*node));
                            if isolated == 2 {
                                moves.extend(now(Attack::PauseClients(true)));
                            }
                            return moves;
                        }
                        RaftNote::Committed { .. }
                            if isolated == 2 && !killed && leaders.last() == Some(node) =>
                        {
                            killed = true;
                            return now(Attack::ToggleDown(*node));
                        }
                        _ => {}
                    },
                    _ => {}
                }
            }
            Vec::new()
        },
    );
    met(lesson, &round);
    acted_at_every_pause(lesson, &round);
    assert!(killed, "{:?}", round.moves);
    assert_eq!(
        round.simulation.engine().violations()[0].kind,
        "leader-completeness",
        "{:?}",
        round.moves
    );
}

/// Raft's split-vote lesson, as its hint says: as the first candidate asks for votes, cut it from
/// two of the other three servers.
#[test]
fn raft_split_vote_hint_cut_the_first_candidate_from_two_servers_splits_the_term() {
    use beat_paxos::protocols::raft::{Note as RaftNote, Raft, RaftNode};
    let mut done = false;
    let (lesson, round) = follow::<Raft>("raft-split-vote", |events: &[Traced<RaftNode>]| {
        for traced in events {
            let Event::Note {
                node,
                note: RaftNote::ElectionStarted { .. },
            } = &traced.event
            else {
                continue;
            };
            if done {
                continue;
            }
            done = true;
            let mut moves = now(Attack::Cut(*node, (node + 1) % 4));
            moves.extend(now(Attack::Cut(*node, (node + 2) % 4)));
            return moves;
        }
        Vec::new()
    });
    met(lesson, &round);
    acted_at_every_pause(lesson, &round);
    assert!(round.simulation.engine().violations().is_empty());
}

/// A term without a leader is not a split vote when its candidate had a majority and crashed
/// before counting it: killing the first candidate as it runs does not meet the objective.
#[test]
fn raft_split_vote_is_not_a_candidate_killed_holding_a_majority() {
    use beat_paxos::protocols::raft::{Note as RaftNote, Raft, RaftNode};
    let mut done = false;
    let (lesson, round) = follow::<Raft>("raft-split-vote", |events: &[Traced<RaftNode>]| {
        for traced in events {
            if let Event::Note {
                node,
                note: RaftNote::ElectionStarted { .. },
            } = &traced.event
                && !done
            {
                done = true;
                return now(Attack::ToggleDown(*node));
            }
        }
        Vec::new()
    });
    assert_eq!(lesson.met(&round), None, "{:?}", round.moves);
    // The first term did end without a leader, with two candidates in it.
    let sim = round.simulation.of::<Raft>().unwrap();
    let first_term_runs = sim
        .trace()
        .iter()
        .filter(|t| {
            matches!(
                t.event,
                Event::Note {
                    note: RaftNote::ElectionStarted { term: 1 },
                    ..
                }
            )
        })
        .count();
    assert_eq!(first_term_runs, 2);
    assert!(sim.trace().iter().any(|t| matches!(
        t.event,
        Event::Note {
            note: RaftNote::BecameLeader { term: 2.. },
            ..
        }
    )));
}
