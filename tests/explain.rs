//! What the game explains, read from the trace: the majorities it outlines (the accept majority
//! that chose a value, the latest leader's promise majority and the node they share) and the
//! classroom captions of each protocol step.

use std::collections::BTreeSet;

use beat_paxos::lesson;
use beat_paxos::protocol::Setup;
use beat_paxos::protocols::paxos::{self, Paxos};
use beat_paxos::protocols::{ec_counter, majority};
use beat_paxos::round::Round;
use beat_paxos::sim::Event;
use beat_paxos::view::{QuorumKind, QuorumOutline, Quorums, colour_name};

fn outline(quorums: &Quorums, kind: QuorumKind) -> Vec<&QuorumOutline> {
    quorums.outlines.iter().filter(|o| o.kind == kind).collect()
}

/// Every caption the round shows, in order, one event at a time until it is won.
fn captions(round: &mut Round) -> Vec<String> {
    let mut seen: Vec<String> = Vec::new();
    while round.outcome.is_none() && round.now() < 60_000 {
        round.step();
        if let Some((_, text)) = round.simulation.engine().caption(&round.setup)
            && seen.last() != Some(&text)
        {
            seen.push(text);
        }
    }
    seen
}

/// The cannot-disagree lesson's round with its recorded solution to play: a value is chosen, its
/// leader is cut off, and a new leader takes over.
fn cannot_disagree() -> Round {
    let recording = lesson::find("cannot-disagree")
        .unwrap()
        .recording()
        .unwrap();
    Round::with_plan(recording.setup, recording.moves)
}

#[test]
fn a_decision_outlines_the_majority_that_accepted_and_the_leaders_promises() {
    let mut round = Round::new(Setup::for_mode(paxos::MODE));
    let before = round.simulation.engine().quorums();
    assert!(before.outlines.is_empty() && before.legend.is_empty());
    round.play_to_end();
    let sim = round.simulation.of::<Paxos>().unwrap();
    let quorums = round.simulation.engine().quorums();

    let (decided_ballot, value) = sim.actors()[0].decided.expect("everyone decided");
    let accepted: Vec<usize> = (0..3)
        .filter(|n| {
            sim.actors()[*n]
                .accepted
                .is_some_and(|(b, _)| b == decided_ballot)
        })
        .collect();
    let accept = outline(&quorums, QuorumKind::Accepted);
    assert_eq!(accept.len(), 1);
    assert_eq!(accept[0].members, accepted);
    assert!(accept[0].members.len() >= majority(3));
    assert_eq!(accept[0].colour, value, "the value's colour");

    let promise = outline(&quorums, QuorumKind::Promised);
    assert_eq!(promise.len(), 1);
    assert_eq!(
        promise[0].colour, decided_ballot.node,
        "the deciding leader"
    );
    assert!(
        promise[0].members.contains(&decided_ballot.node),
        "it promised itself first"
    );
    assert!(promise[0].members.len() >= majority(3));
    assert!(
        quorums.overlap.is_empty(),
        "no value was chosen before this ballot"
    );
    assert!(
        quorums.legend[0].contains("No earlier ballot"),
        "{:?}",
        quorums.legend
    );
    assert!(
        quorums.legend[1].contains(&format!(
            "accepted {} at ballot {decided_ballot}",
            beat_paxos::view::colour_name(value)
        )),
        "{:?}",
        quorums.legend
    );
}

#[test]
fn the_node_in_both_majorities_is_the_one_that_carried_the_chosen_value() {
    let mut round = cannot_disagree();
    round.play_to_end();
    let sim = round.simulation.of::<Paxos>().unwrap();
    let quorums = round.simulation.engine().quorums();
    let chosen = sim.checker().chosen.expect("a value was chosen");

    let promise = outline(&quorums, QuorumKind::Promised);
    assert_eq!(promise.len(), 1);
    let new_leader = promise[0].colour;
    assert_ne!(new_leader, chosen.0.node, "a new leader took over");
    assert!(!quorums.overlap.is_empty());
    for node in &quorums.overlap {
        assert!(
            promise[0].members.contains(node),
            "{node} promised the new leader"
        );
        let accepted = sim.actors()[*node].accepted.unwrap();
        assert_eq!(accepted.1, chosen.1, "{node} had accepted the chosen value");
    }
    // The overlap is among the promises, and the legend explains it.
    let promised: BTreeSet<usize> = promise[0].members.iter().copied().collect();
    let accept = outline(&quorums, QuorumKind::Accepted);
    assert!(!accept.is_empty());
    assert!(
        quorums.legend[0].contains("(starred)"),
        "{:?}",
        quorums.legend
    );
    assert!(
        quorums.legend[0].contains(&format!(
            "so {} proposed {}",
            beat_paxos::view::colour_name(new_leader),
            beat_paxos::view::colour_name(chosen.1)
        )),
        "{:?}",
        quorums.legend
    );
    assert!(quorums.overlap.iter().all(|n| promised.contains(n)));
}

#[test]
fn each_paxos_step_is_captioned_in_plain_words() {
    let mut round = cannot_disagree();
    let seen = captions(&mut round);
    let any = |needle: &str| seen.iter().any(|c| c.contains(needle));
    assert!(any("starts ballot 1."), "{seen:#?}");
    assert!(any("promised ballot 1."), "{seen:#?}");
    assert!(any("it has accepted nothing yet"), "{seen:#?}");
    assert!(any(
        "no promise carried an accepted value, so it may propose its own"
    ));
    assert!(any("it has promised nothing higher"), "{seen:#?}");
    // After the first leader was cut off, a promise to the new one carries the accepted value,
    // and the new leader must propose it.
    assert!(any(": it will ignore lower ballots, and told"), "{seen:#?}");
    assert!(any("it had accepted"), "{seen:#?}");
    assert!(any("so it must propose"), "{seen:#?}");
    assert!(any("learns that"), "{seen:#?}");
}

#[test]
fn each_counter_step_is_captioned_with_servers_and_clients_named() {
    let mut setup = Setup::for_mode(ec_counter::MODE);
    setup.set_knob("requests", 10).unwrap();
    let mut round = Round::new(setup);
    let seen = captions(&mut round);
    let any = |needle: &str| seen.iter().any(|c| c.contains(needle));
    assert!(any("asks server"), "{seen:#?}");
    assert!(any(" sets "), "{seen:#?}");
    assert!(any("tells the other servers it holds"), "{seen:#?}");
    assert!(any("has sent all its requests"), "{seen:#?}");
    assert!(seen.iter().all(|c| !c.contains("a client")), "{seen:#?}");
}

/// The Paxos lessons whose recorded solutions take a new leader through phase 1 after values
/// were accepted, with the broken rule each runs (if any).
const PHASE_ONE_LESSONS: &[(&str, Option<&str>)] = &[
    ("cannot-disagree", None),
    ("highest-ballot", None),
    ("break-amnesia", Some("amnesia")),
    ("break-skip-highest", Some("skip-highest-accepted")),
    ("break-accept-after-promise", Some("accept-after-promise")),
];

/// The recorded solution of lesson `name`, played to its end.
fn solved(name: &str) -> Round {
    let recording = lesson::find(name).unwrap().recording().unwrap();
    let mut round = Round::with_plan(recording.setup, recording.moves);
    round.play_to_end();
    round
}

/// Each proposal in the trace: when, by which leader, at which ballot, and which value.
fn proposals(round: &Round) -> Vec<(u64, paxos::Ballot, usize)> {
    let sim = round.simulation.of::<Paxos>().unwrap();
    sim.trace()
        .iter()
        .filter_map(|traced| match &traced.event {
            Event::Note {
                note: paxos::Note::Proposed { ballot, value },
                ..
            } => Some((traced.tick, *ballot, *value)),
            _ => None,
        })
        .collect()
}

#[test]
fn the_majorities_panel_states_the_proposal_the_trace_shows_in_every_lesson() {
    for (name, broken) in PHASE_ONE_LESSONS {
        let mut round = solved(name);
        assert_eq!(round.setup.broken, *broken, "{name}");
        let all = proposals(&round);
        assert!(all.len() >= 2, "{name}: a second leader proposes");
        let mut contradicted = 0;
        for (tick, ballot, value) in &all {
            round.seek(*tick);
            // The latest proposal up to now is the one the panel explains.
            let (_, ballot, value) = proposals(&round)
                .last()
                .copied()
                .unwrap_or((*tick, *ballot, *value));
            let legend = round.simulation.engine().quorums().legend.join(" ");
            let (leader, proposed) = (colour_name(ballot.node), colour_name(value));
            assert!(
                legend.contains(&format!("so {leader} proposed {proposed}")),
                "{name} at {tick}: {legend}"
            );
            for other in (0..3).filter(|v| *v != value).map(colour_name) {
                assert!(
                    !legend.contains(&format!("{leader} proposed {other}")),
                    "{name} at {tick}: {legend}"
                );
            }
            let sim = round.simulation.of::<Paxos>().unwrap();
            let chosen = sim.checker().chosen.filter(|(at, _)| *at < ballot);
            if let Some((_, chosen)) = chosen
                && chosen != value
            {
                contradicted += 1;
                // The run contradicts the correct protocol's conclusion, so the panel must not
                // state it, and must say why, naming the broken rule.
                assert!(
                    broken.is_some(),
                    "{name}: correct Paxos proposed another value"
                );
                for conclusion in ["had to propose", "learned in phase 1 that"] {
                    assert!(!legend.contains(conclusion), "{name}: {legend}");
                }
                assert!(
                    legend.contains(&format!("not the chosen {}", colour_name(chosen))),
                    "{name}: {legend}"
                );
                assert!(
                    legend.contains(&format!("the broken rule: {}", broken.unwrap())),
                    "{name}: {legend}"
                );
            }
        }
        if broken.is_none() {
            assert_eq!(contradicted, 0, "{name}");
        }
    }
}

#[test]
fn at_the_violation_the_panel_names_the_broken_rule_and_no_caption_claims_safety() {
    for (name, broken) in PHASE_ONE_LESSONS {
        let Some(broken) = broken else { continue };
        let mut round = solved(name);
        let violation = round.simulation.engine().violations()[0].tick;
        let end = round.now();
        round.seek(violation);
        let legend = round.simulation.engine().quorums().legend.join(" ");
        assert!(
            legend.contains(&format!("the broken rule: {broken}")),
            "{name}: {legend}"
        );
        // Every caption up to the end of the run, past the first decision.
        round.seek(0);
        let mut seen: Vec<String> = Vec::new();
        while round.now() < end {
            round.step();
            if let Some((_, text)) = round.simulation.engine().caption(&round.setup)
                && seen.last() != Some(&text)
            {
                seen.push(text);
            }
        }
        for caption in &seen {
            assert!(
                !caption.contains("no higher ballot can ever propose anything else"),
                "{name}: {caption}"
            );
        }
        if *broken == "accept-after-promise" {
            // The late accept is captioned as the broken rule, not as a correct accept.
            assert!(
                seen.iter()
                    .any(|c| c.contains("although it had promised the higher ballot")),
                "{name}: {seen:#?}"
            );
        }
    }
}

#[test]
fn the_new_leader_that_hears_two_values_proposes_the_highest_ballots() {
    let round = solved("highest-ballot");
    let sim = round.simulation.of::<Paxos>().unwrap();
    let quorums = round.simulation.engine().quorums();
    let legend = &quorums.legend[0];
    assert!(
        legend.contains("the highest ballot its promises reported was"),
        "{legend}"
    );
    // Both values the leader heard of were accepted, at different ballots.
    let accepted: BTreeSet<(paxos::Ballot, usize)> = sim
        .trace()
        .iter()
        .filter_map(|traced| match &traced.event {
            Event::Note {
                note: paxos::Note::Accepted { ballot, value },
                ..
            } => Some((*ballot, *value)),
            _ => None,
        })
        .collect();
    let values: BTreeSet<usize> = accepted.iter().map(|(_, v)| *v).collect();
    assert!(values.len() >= 2, "{accepted:?}");
    assert!(sim.violations().is_empty());
    // The caption of that proposal names the value it gave up, too.
    let recording = lesson::find("highest-ballot").unwrap().recording().unwrap();
    let seen = captions(&mut Round::with_plan(recording.setup, recording.moves));
    assert!(
        seen.iter()
            .any(|c| c.contains("the highest reported (others carried")
                && c.contains("at lower ballots), so it must propose")),
        "{seen:#?}"
    );
}

#[test]
fn the_results_give_the_proof_only_for_the_correct_protocol() {
    use beat_paxos::protocol::Outcome;
    // Left alone, the broken lessons decide safely: the results must not present that run as
    // the proof that the broken protocol is safe.
    for (name, broken) in PHASE_ONE_LESSONS {
        let setup = lesson::find(name).unwrap().setup().unwrap();
        let mut round = Round::new(setup);
        round.play_to_end();
        assert!(round.simulation.engine().violations().is_empty(), "{name}");
        let results = round
            .simulation
            .engine()
            .results(&round.setup, &Outcome::new(round.now(), None));
        assert_eq!(
            results.why.contains("any two majorities share a node"),
            broken.is_none(),
            "{name}: {}",
            results.why
        );
        if broken.is_some() {
            assert!(results.why.contains("broken protocol"), "{}", results.why);
        }
    }
}

#[test]
fn the_starred_nodes_are_in_both_outlines_even_before_anyone_decides() {
    let mut round = cannot_disagree();
    // Step to the first moment a node is starred as in both majorities.
    while round.simulation.engine().quorums().overlap.is_empty() {
        assert!(round.now() < 20_000, "no node was ever in both majorities");
        round.step();
    }
    let quorums = round.simulation.engine().quorums();
    for node in &quorums.overlap {
        for kind in [QuorumKind::Promised, QuorumKind::Accepted] {
            assert!(
                outline(&quorums, kind)
                    .iter()
                    .any(|o| o.members.contains(node)),
                "{node} is starred but not in an outlined {kind:?} majority: {quorums:?}"
            );
        }
    }
}

/// The outlines the game follows the trace for, one entry at a time across frames, are those a
/// reading of the whole trace gives, at every step of every lesson's solution; also after a
/// rewind and another move, which the reading notices by itself (the trace went back, then
/// grew past where it had read along another line).
#[test]
fn the_outlines_read_entry_by_entry_are_those_of_the_whole_trace_even_across_a_rewind() {
    use beat_paxos::protocol::TraceFollower;
    use beat_paxos::round::Attack;
    let mut lessons = 0;
    for (mode, lesson) in lesson::all() {
        if lesson.name.starts_with("network-") {
            continue; // moves of a network player's round; its steps are read alike
        }
        let recording = lesson.recording().unwrap();
        let mut round = Round::with_plan(recording.setup, recording.moves);
        let mut follower = TraceFollower::default();
        let mut outlined = 0;
        let compare = |round: &Round, follower: &mut TraceFollower, at: &str| {
            let engine = round.simulation.engine();
            let whole = engine.quorums();
            assert_eq!(
                engine.quorums_following(follower),
                whole,
                "{}, {at}, tick {}",
                lesson.name,
                round.now()
            );
            usize::from(!whole.outlines.is_empty())
        };
        // Compared every few steps (a whole reading each time is what this saves the game), so
        // the follower reads several entries at once as a frame does.
        let mut steps = 0;
        while round.outcome.is_none() && steps < 3_000 {
            round.step();
            steps += 1;
            if steps % 7 == 0 {
                outlined += compare(&round, &mut follower, "played");
            }
        }
        let end = round.now();
        let read = round.simulation.engine().trace_len();
        round.seek(end / 3);
        let kill = (0..mode_nodes(&round))
            .map(Attack::ToggleDown)
            .find(|attack| round.attack(attack.clone()).is_ok());
        assert!(kill.is_some(), "{}: a move after the rewind", lesson.name);
        for _ in 0..10_000 {
            if round.simulation.engine().trace_len() > read {
                break;
            }
            round.step();
        }
        compare(&round, &mut follower, "after a rewind and another move");
        for step in 0..300 {
            round.step();
            if step % 7 == 0 {
                outlined += compare(&round, &mut follower, "played on after the rewind");
            }
        }
        lessons += 1;
        assert!(
            outlined > 0 || mode == ec_counter::MODE,
            "{}: never outlined",
            lesson.name
        );
    }
    assert!(lessons >= 10, "{lessons} lessons");
}

fn mode_nodes(round: &Round) -> usize {
    round.simulation.engine().node_views(&round.setup).len()
}
