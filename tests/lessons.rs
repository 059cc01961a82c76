//! The lessons: every recorded solution meets its objective, a round left alone does not (unless
//! watching is the objective), objectives are read from the trace so a rewind reopens them, and
//! `beat-paxos lesson` reports it all.

mod common;

use beat_paxos::lesson::{self, Lesson};
use beat_paxos::protocols::REGISTRY;
use beat_paxos::round::{Attack, PlannedMove, Round};
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
    for mode in REGISTRY {
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
            "no-max"
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
