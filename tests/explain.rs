//! What the game explains, read from the trace: the majorities it outlines (the accept majority
//! that chose a value, the latest leader's promise majority and the node they share) and the
//! classroom captions of each protocol step.

use std::collections::BTreeSet;

use beat_paxos::lesson;
use beat_paxos::protocol::Setup;
use beat_paxos::protocols::paxos::{self, Paxos};
use beat_paxos::protocols::{ec_counter, majority};
use beat_paxos::round::Round;
use beat_paxos::view::{QuorumKind, QuorumOutline, Quorums};

fn outline(quorums: &Quorums, kind: QuorumKind) -> Vec<&QuorumOutline> {
    quorums.outlines.iter().filter(|o| o.kind == kind).collect()
}

/// Every caption the round shows, in order, one event at a time until it is won.
fn captions(round: &mut Round) -> Vec<String> {
    let mut seen: Vec<String> = Vec::new();
    while round.outcome.is_none() && round.now() < 60_000 {
        round.step();
        if let Some((_, text)) = round.simulation.caption(&round.setup)
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
    let before = round.simulation.quorums();
    assert!(before.outlines.is_empty() && before.legend.is_empty());
    round.play_to_end();
    let sim = round.simulation.of::<Paxos>().unwrap();
    let quorums = round.simulation.quorums();

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
    let quorums = round.simulation.quorums();
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
    assert!(quorums.legend[0].contains("(gold)"), "{:?}", quorums.legend);
    assert!(
        quorums.legend[0].contains(&format!(
            "so {} had to propose",
            beat_paxos::view::colour_name(new_leader)
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
