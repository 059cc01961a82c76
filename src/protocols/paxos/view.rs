//! What Paxos looks like and how it is explained: node badges and inspector rows, message labels
//! and colours, log lines, the live safety checks, the results and the cheat sheet.

use std::collections::BTreeSet;

use super::node::{Ballot, Msg, Note, PaxosNode, Role, Value, Variant};
use super::story::{PhaseOne, Story, StoryReader, late_accept};
use super::{Paxos, PaxosChecker};
use crate::diagram::MarkKind;
use crate::protocol::{Outcome, ProtocolEngine, TraceFollower, base_view};
use crate::sim::quorum::majority;
use crate::sim::{Event, NodeId, Traced};
use crate::view::{
    CheatSheet, CheckLine, CheckStatus, Checks, MessageLook, MessageShape, NodeView, Place,
    QuorumKind, QuorumOutline, Quorums, ResultsView, caught, clockwise_from_top, colour_letter,
    colour_name, seconds,
};

pub const PITCH: &str = "A cluster tries to agree on one value. Attack it: kill nodes, slow them, \
    cut links, drop messages. Your score is how much later it decides than it would have left alone. What you can \
    never do is make two nodes decide differently.";

pub const CHEAT_SHEET: CheatSheet = CheatSheet {
    intro: Some("Messages take the colour of the leader whose ballot they carry."),
    rows: &[
        (
            Msg::PREPARE,
            "prepare: a leader asks every node to promise its ballot",
        ),
        (
            Msg::PROMISE,
            "promise: \"I'll ignore lower ballots; here's what I accepted\"",
        ),
        (
            Msg::ACCEPT,
            "accept: the leader asks to accept a value (the highest already accepted, else its own)",
        ),
        (
            Msg::ACCEPTED,
            "accepted: a vote; a majority of votes means the value is chosen",
        ),
        (Msg::DECIDE, "the leader tells everyone the chosen value"),
        (Msg::NACK, "refusal: a higher ballot was promised"),
    ],
};

/// Why no attack can make two nodes decide differently.
pub const WHY_IT_HELD: &str = "Why: any two majorities share a node. A new leader's phase 1 hears \
    from a majority, so it learns any value a majority may already have accepted, and must propose \
    that value instead of its own.";

/// A broken protocol that held in one run proves nothing: say so rather than the proof.
const WHY_IT_HELD_THIS_TIME: &str = "This cluster runs a deliberately broken protocol: safety \
    held in this run, but the argument that it always holds does not apply, and other runs break it.";

const WHY_IT_BROKE: &str =
    "This cluster ran a deliberately broken protocol; the checker caught it.";

/// Nodes on a circle from the top, clockwise.
pub fn layout(nodes: usize) -> Vec<Place> {
    (0..nodes)
        .map(|i| Place::polar(clockwise_from_top(i, nodes), 250.0, 44.0))
        .collect()
}

fn accepted_text(accepted: Option<(super::Ballot, usize)>) -> String {
    accepted.map_or("-".into(), |(b, v)| format!("{b}={}", colour_name(v)))
}

pub fn node(sim: &ProtocolEngine<Paxos>, id: NodeId) -> NodeView {
    let node: &PaxosNode = &sim.actors()[id];
    let mut view = base_view(
        sim,
        id,
        colour_name(id).into(),
        colour_letter(id).into(),
        id,
    );
    view.leading = node.leading().map(|b| b.to_string());
    view.done = node
        .decided
        .map(|(_, v)| ("DECIDED", colour_name(v).to_string()));
    let phase = if view.down { "down" } else { node.phase() };
    view.status = vec![
        phase.to_string(),
        format!("promised {}", node.promised),
        format!("accepted {}", accepted_text(node.accepted)),
    ];
    let needed = majority(node.cluster);
    view.inspector = match &node.role {
        Role::Follower => Vec::new(),
        Role::Preparing { promises, .. } => vec![(
            "promises".into(),
            format!("{} of {needed} needed", promises.len()),
        )],
        Role::Proposing { value, accepts, .. } => vec![
            ("proposing".into(), colour_name(*value).into()),
            (
                "accepts".into(),
                format!("{} of {needed} needed", accepts.len()),
            ),
        ],
    };
    view
}

/// Sprites are labelled with their kind and coloured by the leader whose ballot they carry.
pub fn message(msg: &Msg) -> MessageLook {
    MessageLook {
        label: msg.kind().to_string(),
        colour: msg.leader_ballot().node,
        shape: MessageShape::Round,
        light: false,
    }
}

pub fn note(note: &Note) -> Option<String> {
    Some(match note {
        Note::BallotStarted { ballot } => format!("starts ballot {ballot} (phase 1)"),
        Note::Proposed { ballot, value } => format!(
            "proposes {} at ballot {ballot} (phase 2)",
            colour_name(*value)
        ),
        Note::Accepted { .. } => return None,
        Note::Decided { value } => format!("decides {}", colour_name(*value)),
    })
}

/// The one-line agreement verdict.
pub fn verdict(checker: &PaxosChecker) -> String {
    match checker.decisions.values().next() {
        None => "no node has decided yet".to_string(),
        Some(first) if checker.decisions.values().all(|v| v == first) => {
            let n = checker.decisions.len();
            let who = if n == 1 {
                "the one node that decided".to_string()
            } else {
                format!("all {n} nodes that decided")
            };
            format!("{who} agree on {}", colour_name(*first))
        }
        Some(_) => "NODES DISAGREE".to_string(),
    }
}

pub fn checks(sim: &ProtocolEngine<Paxos>) -> Checks {
    let violations = sim.violations();
    let checker = sim.checker();
    let chosen = match checker.chosen {
        Some((ballot, value)) => format!(
            "Chosen: {} (majority at ballot {ballot})",
            colour_name(value)
        ),
        None => "Chosen: nothing yet".into(),
    };
    let mut lines = vec![
        CheckLine::property(
            !caught(violations, "agreement"),
            format!("Agreement: {}", verdict(checker)),
        ),
        CheckLine::property(
            !caught(violations, "validity"),
            "Validity: only proposed values are decided",
        ),
        CheckLine::property(!caught(violations, "stability"), chosen),
    ];
    let decided: Vec<String> = checker
        .decisions
        .iter()
        .map(|(n, v)| format!("{}={}", colour_letter(*n), colour_letter(*v)))
        .collect();
    if !decided.is_empty() {
        lines.push(CheckLine::new(
            CheckStatus::Info,
            format!("decisions: {}", decided.join(" ")),
        ));
    }
    Checks {
        heading: "Safety (checked at every step)",
        lines,
        gauge: None,
    }
}

pub fn results(sim: &ProtocolEngine<Paxos>, outcome: &Outcome) -> ResultsView {
    let checker = sim.checker();
    let violations = sim.violations();
    let value = checker.decisions.values().next().copied();
    let broken = sim.actors().iter().any(|a| a.variant != Variant::Correct);
    let verdict = match violations.first() {
        None => (true, format!("Safety held: {}.", verdict(checker))),
        Some(v) => (false, format!("Safety BROKEN: {}", v.detail)),
    };
    ResultsView {
        title: "Decided",
        headline: value.map_or_else(String::new, |v| {
            format!("The cluster decided {}", colour_name(v).to_uppercase())
        }),
        headline_colour: value,
        lines: vec![format!(
            "after {} of simulated time, {} ballot(s) started",
            seconds(outcome.tick),
            checker.ballots_started
        )],
        why: match (verdict.0, broken) {
            (true, false) => WHY_IT_HELD,
            (true, true) => WHY_IT_HELD_THIS_TIME,
            (false, _) => WHY_IT_BROKE,
        },
        verdict: Some(verdict),
    }
}

/// The milestones of Paxos on the space-time diagram: ballots started, promises, votes and
/// decisions.
pub fn mark(event: &Event<PaxosNode>) -> Option<(NodeId, MarkKind, String)> {
    match event {
        Event::Note { node, note } => match note {
            Note::BallotStarted { ballot } => {
                Some((*node, MarkKind::Ballot, format!("starts ballot {ballot}")))
            }
            Note::Accepted { ballot, value } => Some((
                *node,
                MarkKind::Accept,
                format!("accepts {} at ballot {ballot}", colour_name(*value)),
            )),
            Note::Decided { value } => Some((
                *node,
                MarkKind::Decide,
                format!("decides {}", colour_name(*value)),
            )),
            Note::Proposed { .. } => None,
        },
        Event::Send {
            from,
            msg: Msg::Promise { ballot, accepted },
            ..
        } => {
            let text = match accepted {
                Some((at, value)) => format!(
                    "promises ballot {ballot}, telling it had accepted {} at {at}",
                    colour_name(*value)
                ),
                None => format!("promises ballot {ballot}"),
            };
            Some((*from, MarkKind::Promise, text))
        }
        _ => None,
    }
}

/// `text` with its first letter in upper case, to start a sentence with a node's name.
fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_uppercase().chain(chars).collect()
    })
}

/// "red, green and blue".
fn names(nodes: &BTreeSet<NodeId>) -> String {
    let names: Vec<&str> = nodes.iter().map(|n| colour_name(*n)).collect();
    match names.as_slice() {
        [] => "nobody".into(),
        [one] => (*one).into(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// The majorities to outline, read from the trace: the promise majority of the latest leader to
/// finish phase 1 (as its promises arrived while it was preparing, its own first), the accept
/// majority of each ballot nodes decided at, and the nodes the promise majority shares with an
/// earlier accept majority. The legend says what happened, including the proposal the leader
/// actually made and, when it differs from a value already chosen, why as far as the trace shows.
pub fn quorums(sim: &ProtocolEngine<Paxos>) -> Quorums {
    quorums_of(sim, &Story::read(sim))
}

/// [`quorums`], reading only the trace entries `follower` has not read yet.
pub fn quorums_following(sim: &ProtocolEngine<Paxos>, follower: &mut TraceFollower) -> Quorums {
    let (reader, new) = follower.follow::<StoryReader, _>(sim.trace());
    reader.read_on(sim, new);
    quorums_of(sim, &reader.story)
}

fn quorums_of(sim: &ProtocolEngine<Paxos>, story: &Story) -> Quorums {
    let mut quorums = Quorums::default();
    if let Some(one) = story.phase_ones.last() {
        let leader = one.ballot.node;
        let promised = one.promised();
        quorums.outlines.push(QuorumOutline {
            kind: QuorumKind::Promised,
            colour: leader,
            members: promised.iter().copied().collect(),
        });
        let mut legend = format!(
            "Dashed outline, in the leader's colour: {} promised {}'s ballot {}, a majority.",
            names(&promised),
            colour_name(leader),
            one.ballot
        );
        match &one.earlier {
            Some((ballot, value, by)) => {
                let both: BTreeSet<NodeId> = promised.intersection(by).copied().collect();
                quorums.overlap = both.iter().copied().collect();
                legend += &format!(
                    " Earlier, {} accepted {} at ballot {ballot}, also a majority, so {} was \
                     chosen. Two majorities always share a node: {} (starred) {} in both.",
                    names(by),
                    colour_name(*value),
                    colour_name(*value),
                    names(&both),
                    if both.len() == 1 { "is" } else { "are" },
                );
                if one.proposed == *value {
                    let told: Vec<String> = both
                        .iter()
                        .map(|node| story.why_not_carried(one, *node, *ballot, *value))
                        .collect();
                    legend += &format!(
                        " {}; {}.",
                        capitalized(&told.join("; ")),
                        Story::choice(one)
                    );
                } else {
                    let why: Vec<String> = both
                        .iter()
                        .map(|node| story.why_not_carried(one, *node, *ballot, *value))
                        .collect();
                    legend += &format!(
                        " But {}; {}, not the chosen {}.",
                        why.join("; "),
                        Story::choice(one),
                        colour_name(*value)
                    );
                }
            }
            None => {
                legend += &format!(
                    " No earlier ballot had a majority of accepts, so no value was chosen yet; {}.",
                    Story::choice(one)
                );
            }
        }
        quorums.legend.push(legend);
    }
    if let Some(late) = story.late_accepts.first()
        && !quorums
            .legend
            .iter()
            .any(|l| l.contains("accept-after-promise"))
    {
        quorums.legend.push(format!(
            "{} accepted {} at ballot {} after promising the higher ballot {}, which a correct \
             acceptor refuses (the broken rule: accept-after-promise).",
            capitalized(colour_name(late.node)),
            colour_name(late.value),
            late.ballot,
            late.promised
        ));
    }
    // The ballots nodes decided at, and the chosen ballot the latest promises overlap with
    // (chosen even when its leader was stopped before any node decided): the star names a node
    // in both, so both are outlined.
    let mut chosen: BTreeSet<Ballot> = sim
        .actors()
        .iter()
        .filter_map(|n| n.decided.map(|(ballot, _)| ballot))
        .collect();
    if let Some((ballot, _, _)) = story.phase_ones.last().and_then(|one| one.earlier.as_ref()) {
        chosen.insert(*ballot);
    }
    for ballot in chosen.iter().take(2) {
        let Some((value, by)) = story.accepted.get(ballot) else {
            continue;
        };
        quorums.outlines.push(QuorumOutline {
            kind: QuorumKind::Accepted,
            colour: *value,
            members: by.iter().copied().collect(),
        });
        quorums.legend.push(format!(
            "Solid outline, in the value's colour: {} accepted {} at ballot {ballot}, a \
             majority, so {} is chosen.",
            names(by),
            colour_name(*value),
            colour_name(*value)
        ));
    }
    quorums
}

/// One Paxos step in plain words (see [`crate::protocol::Model::caption`]).
pub fn caption(sim: &ProtocolEngine<Paxos>, step: &[Traced<PaxosNode>]) -> Option<String> {
    let name = |n: NodeId| colour_name(n);
    step.iter().find_map(|traced| match &traced.event {
        Event::Note { node, note } => match *note {
            Note::BallotStarted { ballot } => Some(format!(
                "{} heard nothing for a while and starts ballot {ballot}: it asks every node \
                 to promise to ignore lower ballots.",
                name(*node)
            )),
            Note::Proposed { ballot, value } => {
                let story = Story::read(sim);
                let one = story
                    .phase_ones
                    .iter()
                    .rev()
                    .find(|one| one.ballot == ballot);
                let why = match one.and_then(PhaseOne::highest) {
                    None => "no promise carried an accepted value, so it may propose its own"
                        .to_string(),
                    Some((at, carried)) if carried == value && value != *node => {
                        let reported: BTreeSet<(Ballot, Value)> = one
                            .iter()
                            .flat_map(|one| one.reports.values().filter_map(|r| r.accepted))
                            .collect();
                        let others: Vec<String> = reported
                            .iter()
                            .filter(|(_, v)| *v != value)
                            .map(|(b, v)| format!("{} at {b}", name(*v)))
                            .collect();
                        let also = if others.is_empty() {
                            String::new()
                        } else {
                            format!(" (others carried {}, at lower ballots)", others.join(", "))
                        };
                        format!(
                            "a promise carried {}, accepted at ballot {at}, the highest \
                             reported{also}, so it must propose {} rather than its own value",
                            name(value),
                            name(value)
                        )
                    }
                    Some((at, carried)) if carried == value => format!(
                        "the highest accepted value its promises reported is its own, {} at \
                         ballot {at}, so it proposes it again",
                        name(value)
                    ),
                    Some((at, carried)) => format!(
                        "a promise carried {}, accepted at ballot {at}, but it proposes its own \
                         value anyway (the broken rule: skip-highest-accepted)",
                        name(carried)
                    ),
                };
                Some(format!(
                    "{} has promises from a majority for ballot {ballot}: {why}. It asks \
                     everyone to accept {} at ballot {ballot}.",
                    name(*node),
                    name(value)
                ))
            }
            Note::Accepted { ballot, value } => {
                // Only this broken acceptor can accept below its promise; the trace says if it
                // did (read once).
                let late = (sim.actors()[*node].variant == Variant::AcceptAfterPromise)
                    .then(|| late_accept(sim, *node, ballot))
                    .flatten();
                match late {
                    Some(late) => Some(format!(
                        "{} accepted {} at ballot {ballot} although it had promised the higher \
                         ballot {}: a correct acceptor refuses it (the broken rule: \
                         accept-after-promise). It tells {}.",
                        name(*node),
                        name(value),
                        late.promised,
                        name(ballot.node)
                    )),
                    None if ballot.node != *node => Some(format!(
                        "{} accepted {} at ballot {ballot}: it has promised nothing higher. It \
                         tells {}.",
                        name(*node),
                        name(value),
                        name(ballot.node)
                    )),
                    None => None,
                }
            }
            Note::Decided { value } if sim.actors()[*node].variant == Variant::Correct => {
                Some(format!(
                    "{} learns that {} is chosen: a majority accepted it at one ballot, and no \
                     higher ballot can ever propose anything else.",
                    name(*node),
                    name(value)
                ))
            }
            Note::Decided { value } => Some(format!(
                "{} learns that {} is chosen: a majority accepted it at one ballot. In correct \
                 Paxos no higher ballot could then propose anything else, but this cluster \
                 breaks a rule.",
                name(*node),
                name(value)
            )),
        },
        Event::Send { from, to, msg, .. } => match *msg {
            Msg::Promise { ballot, accepted } => {
                let told = match accepted {
                    Some((at, value)) => {
                        format!("it had accepted {} at ballot {at}", name(value))
                    }
                    None => "it has accepted nothing yet".to_string(),
                };
                Some(format!(
                    "{} promised ballot {ballot}: it will ignore lower ballots, and told {} \
                     {told}.",
                    name(*from),
                    name(*to)
                ))
            }
            Msg::Nack { ballot, promised } => Some(format!(
                "{} refuses ballot {ballot}: it has promised the higher ballot {promised}, and \
                 tells {}.",
                name(*from),
                name(*to)
            )),
            _ => None,
        },
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use crate::protocol::Setup;
    use crate::protocols::paxos::MODE;
    use crate::sim::Action;
    use crate::simulation::Simulation;
    use crate::view::LogKind;

    #[test]
    fn nodes_sit_on_a_circle_without_overlapping() {
        for nodes in 3..=9 {
            let mut setup = Setup::for_mode(MODE);
            setup.set_knob("nodes", nodes).unwrap();
            crate::view::tests::assert_apart(&MODE.layout(&setup));
        }
    }

    #[test]
    fn node_views_and_log_lines_follow_the_simulation() {
        let setup = Setup::for_mode(MODE);
        let mut simulation = Simulation::new(&setup, true);
        simulation.apply(Action::Kill { node: 2 }).unwrap();
        simulation.run_until(5_000);
        let views = simulation.engine().node_views(&setup);
        assert_eq!(
            views.iter().map(|v| v.mark.as_str()).collect::<Vec<_>>(),
            ["R", "G", "B"]
        );
        assert!(views[2].down && views[2].status[0] == "down");
        assert!(views[0].done.is_some() || views[1].done.is_some());
        let log = simulation.engine().log_lines(&setup, 0);
        assert!(
            log.iter()
                .any(|l| l.text == "blue killed" && l.kind == LogKind::Player)
        );
        assert!(log.iter().any(|l| l.text.contains("starts ballot")));
        assert!(log.iter().any(|l| l.text.contains("decides")));
    }

    #[test]
    fn messages_take_their_leaders_colour_and_move_along() {
        let setup = Setup::for_mode(MODE);
        let mut simulation = Simulation::new(&setup, true);
        while simulation.engine().in_flight_count() == 0 {
            let now = simulation.engine().now();
            simulation.run_until(now + 1);
        }
        let now = simulation.engine().now() as f64;
        let first = simulation.engine().message_views(&setup, now);
        let later = simulation.engine().message_views(&setup, now + 30.0);
        assert!(!first.is_empty());
        for (a, b) in first.iter().zip(&later) {
            assert_eq!(a.look.label, "p1a");
            assert_eq!(
                a.look.colour, a.from,
                "a prepare carries its sender's ballot"
            );
            assert!(b.progress > a.progress);
        }
    }
}
