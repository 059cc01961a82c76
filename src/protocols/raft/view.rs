//! What Raft looks like and how it is explained: each server's role, term and log, clients with
//! their progress, message labels and colours, log lines, the diagram's milestones, the live
//! checks, the majorities to outline, captions, the results and the cheat sheet.

use std::collections::BTreeSet;

use super::Raft;
use super::checker::{
    ELECTION_SAFETY, LEADER_COMPLETENESS, LINEARIZABILITY, LOG_MATCHING, STATE_MACHINE_SAFETY,
};
use super::node::{Entry, Index, Msg, Note, RaftNode, RaftShape, Term, Variant};
use super::server::{Role, Server};
use crate::diagram::MarkKind;
use crate::protocol::{Outcome, ProtocolEngine, base_view};
use crate::sim::quorum::majority;
use crate::sim::{Event, InFlight, NodeId, Traced};
use crate::view::{
    CheatSheet, CheckLine, CheckStatus, Checks, MessageLook, MessageShape, NodeView, Place,
    QuorumKind, QuorumOutline, Quorums, ResultsView, caught, clockwise_from_top, colour_letter,
    colour_name, seconds,
};

pub const PITCH: &str = "Servers elect a leader for each term; the leader appends the clients' \
    commands to its log, copies them to the others, and commits an entry once a majority holds \
    it. Attack it: kill leaders, split the cluster, drop messages. Your score is how much later \
    every command commits than it would have left alone. What you can never do is make two \
    servers apply different commands at one index.";

pub const CHEAT_SHEET: CheatSheet = CheatSheet {
    intro: Some(
        "Messages take the colour of the candidate or leader of their term; heartbeats are the \
         small diamonds. A log shows each entry's term; `|` marks the commit index.",
    ),
    rows: &[
        (
            "vote?",
            "RequestVote: a candidate asks for votes in a new term, telling where its log ends",
        ),
        (
            "vote",
            "the answer: granted once per term, only to a candidate whose log is as up to date",
        ),
        (
            "append N",
            "AppendEntries: the leader sends entries from index N, after an entry both must share",
        ),
        ("heartbeat", "an append with no entries: \"I still lead\""),
        (
            "ack",
            "the follower's log matches the leader's up to here (or does not: go back)",
        ),
        ("cmd", "a client asks a server to run its command"),
        ("done", "the leader applied the command"),
        ("redirect", "\"I do not lead; try this server\""),
    ],
};

/// Why no attack can make two servers apply different commands at one index.
pub const WHY_IT_HELD: &str = "Why: a leader needs the votes of a majority, and a server votes \
    only for a candidate whose log is at least as up to date as its own; an entry is committed \
    only once a majority holds it, and only by a leader of its own term. Two majorities share a \
    server, so every later leader holds every committed entry.";

/// A broken protocol that held in one run proves nothing: say so rather than the proof.
const WHY_IT_HELD_THIS_TIME: &str = "This cluster runs a deliberately broken Raft: safety held \
    in this run, but the argument that it always holds does not apply, and other runs break it.";

const WHY_IT_BROKE: &str = "This cluster ran a deliberately broken Raft; the checker caught it.";

/// A node's name: servers by colour ("red"), clients by number ("client 1").
pub fn name(shape: RaftShape, node: NodeId) -> String {
    if shape.is_server(node) {
        colour_name(node).to_string()
    } else {
        format!("client {}", node - shape.servers + 1)
    }
}

/// Servers on a circle from the top, clockwise; clients in a column to its left.
pub fn layout(shape: RaftShape) -> Vec<Place> {
    let servers =
        (0..shape.servers).map(|i| Place::polar(clockwise_from_top(i, shape.servers), 250.0, 44.0));
    let clients = (0..shape.clients).map(|c| Place {
        x: -450.0,
        y: 90.0 * (c as f32 - (shape.clients as f32 - 1.0) / 2.0),
        radius: 24.0,
        shows_value: false,
    });
    servers.chain(clients).collect()
}

/// How many log entries a server's status line shows: the latest ones, so that a log of 20
/// entries at 9 servers still fits under its node.
const LOG_SHOWN: usize = 8;

/// A log in one line: each entry's term, `|` after the commit index; "…" when older entries are
/// left out. "1 1 2|3", "…4 4 5 5|5".
pub fn log_line(log: &[Entry], commit: Index) -> String {
    let skip = log.len().saturating_sub(LOG_SHOWN);
    let mut text = String::new();
    if skip > 0 {
        text.push('…');
    }
    if commit as usize == skip && commit > 0 {
        text.push('|');
    }
    for (i, entry) in log.iter().enumerate().skip(skip) {
        if !text.is_empty() && !text.ends_with('|') && !text.ends_with('…') {
            text.push(' ');
        }
        text += &entry.term.to_string();
        if i + 1 == commit as usize {
            text.push('|');
        }
    }
    if log.is_empty() {
        text = "empty".into();
    }
    text
}

/// "1:1 2:1 3:2": every entry as index:term, for the inspector.
fn log_in_full(log: &[Entry]) -> String {
    if log.is_empty() {
        return "empty".into();
    }
    let entries: Vec<String> = log
        .iter()
        .enumerate()
        .map(|(i, e)| format!("{}:{}", i + 1, e.term))
        .collect();
    entries.join(" ")
}

fn server_view(sim: &ProtocolEngine<Raft>, s: &Server) -> NodeView {
    let mut view = base_view(
        sim,
        s.id,
        colour_name(s.id).into(),
        colour_letter(s.id).into(),
        s.id,
    );
    view.leading = s.is_leader().then(|| format!("term {}", s.term));
    let role = if view.down { "down" } else { s.role_name() };
    view.status = vec![
        format!("term {} {role}", s.term),
        format!("log {}", log_line(&s.log, s.commit)),
    ];
    let voted = s
        .voted_for
        .map_or("-".into(), |v| colour_name(v).to_string());
    view.inspector = vec![
        ("term".into(), s.term.to_string()),
        ("voted for".into(), voted),
        ("log (index:term)".into(), log_in_full(&s.log)),
        ("commit index".into(), s.commit.to_string()),
        ("applied".into(), s.applied.to_string()),
    ];
    match &s.role {
        Role::Follower => {
            let leader = s
                .leader
                .map_or("unknown".into(), |l| colour_name(l).to_string());
            view.inspector.push(("leader".into(), leader));
        }
        Role::Candidate { votes } => view.inspector.push((
            "votes".into(),
            format!("{} of {} needed", votes.len(), majority(s.servers)),
        )),
        Role::Leader { next, matched } => {
            let per = |values: &[Index]| -> String {
                let shown: Vec<String> = values
                    .iter()
                    .enumerate()
                    .map(|(n, v)| format!("{}={v}", colour_letter(n)))
                    .collect();
                shown.join(" ")
            };
            view.inspector.push(("nextIndex".into(), per(next)));
            view.inspector.push(("matchIndex".into(), per(matched)));
        }
    }
    if let Some(deadline) = s.election_deadline.filter(|_| !s.is_leader() && !view.down) {
        view.inspector.push((
            "election timer".into(),
            format!("{} left", seconds(deadline.saturating_sub(sim.now()))),
        ));
    }
    view
}

pub fn node(sim: &ProtocolEngine<Raft>, shape: RaftShape, id: NodeId) -> NodeView {
    match &sim.actors()[id] {
        RaftNode::Server(s) => server_view(sim, s),
        RaftNode::Client(c) => {
            let mut view = base_view(
                sim,
                id,
                name(shape, id),
                format!("c{}", id - shape.servers + 1),
                c.target,
            );
            view.light = true;
            let progress = if c.paused {
                format!("{}/{} paused", c.completed, c.total)
            } else {
                format!("{}/{}", c.completed, c.total)
            };
            let waiting = match c.outstanding {
                Some(command) => format!("cmd {} to {}", command.seq + 1, colour_name(c.target)),
                None => String::new(),
            };
            view.status = vec![progress, waiting];
            view.inspector = vec![
                (
                    "commands done".into(),
                    format!("{} of {}", c.completed, c.total),
                ),
                ("sends to".into(), colour_name(c.target).into()),
            ];
            view
        }
    }
}

/// Sprites are labelled with their kind and take the colour of the candidate or leader of their
/// term (the sender of a vote request or an append, the receiver of its answer); client traffic
/// the server's. Heartbeats are small diamonds, so that they do not drown the rest.
pub fn message(shape: RaftShape, m: &InFlight<Msg>) -> MessageLook {
    let colour = match m.msg {
        Msg::RequestVote { .. } | Msg::Append { .. } => m.from,
        Msg::Vote { .. } | Msg::AppendReply { .. } => m.to,
        Msg::Request { .. } => m.to,
        Msg::Done { .. } | Msg::Redirect { .. } => m.from,
    };
    MessageLook {
        label: m.msg.label(),
        colour: colour.min(shape.servers - 1),
        shape: if m.msg.is_heartbeat() {
            MessageShape::Diamond
        } else {
            MessageShape::Round
        },
    }
}

pub fn note(note: &Note) -> Option<String> {
    Some(match note {
        Note::Started => "starts as a follower".into(),
        Note::ElectionStarted { term } => format!("starts an election for term {term}"),
        Note::Voted { term, candidate } => {
            format!("votes for {} in term {term}", colour_name(*candidate))
        }
        Note::BecameLeader { term } => format!("leads term {term}"),
        Note::Truncated { len } => {
            format!("cuts its log to {len} entries (they conflict with the leader's)")
        }
        Note::Appended { index, entry } => format!("appends #{index} (term {})", entry.term),
        Note::Committed { index } => format!("commits up to #{index}"),
        Note::Applied { .. } | Note::Acknowledged { .. } => return None,
        Note::ClientDone => "has every command committed".into(),
    })
}

/// The milestones of Raft on the space-time diagram: elections started and won, votes, entries
/// appended, commits, logs cut, clients done.
pub fn mark(event: &Event<RaftNode>) -> Option<(NodeId, MarkKind, String)> {
    let Event::Note { node, note: n } = event else {
        return None;
    };
    let kind = match n {
        Note::ElectionStarted { .. } | Note::BecameLeader { .. } => MarkKind::Ballot,
        Note::Voted { .. } => MarkKind::Promise,
        Note::Appended { .. } | Note::Truncated { .. } => MarkKind::Accept,
        Note::Committed { .. } => MarkKind::Decide,
        Note::ClientDone => MarkKind::Done,
        Note::Started | Note::Applied { .. } | Note::Acknowledged { .. } => return None,
    };
    Some((*node, kind, note(n)?))
}

/// The leader of the latest term won, if any.
fn latest_leader(sim: &ProtocolEngine<Raft>) -> Option<(Term, NodeId)> {
    sim.checker()
        .leaders
        .iter()
        .next_back()
        .map(|(t, n)| (*t, *n))
}

pub fn checks(sim: &ProtocolEngine<Raft>, shape: RaftShape) -> Checks {
    let violations = sim.violations();
    let checker = sim.checker();
    let mut lines = vec![
        CheckLine::property(
            !caught(violations, ELECTION_SAFETY),
            "Election safety: at most one leader per term",
        ),
        CheckLine::property(
            !caught(violations, LOG_MATCHING),
            "Log matching: same index and term, same log before it",
        ),
        CheckLine::property(
            !caught(violations, LEADER_COMPLETENESS),
            "Leader completeness: every leader holds every committed entry",
        ),
        CheckLine::property(
            !caught(violations, STATE_MACHINE_SAFETY),
            "State machine safety: one command per index",
        ),
        CheckLine::property(
            !caught(violations, LINEARIZABILITY),
            "Clients: each acknowledged command applied once, in one order",
        ),
    ];
    let total = shape.clients * shape.commands as usize;
    let committed = checker.acknowledged.len();
    lines.push(CheckLine::new(
        if committed >= total {
            CheckStatus::Reached
        } else {
            CheckStatus::Waiting
        },
        format!("commands committed and acknowledged: {committed} of {total}"),
    ));
    if let Some((term, leader)) = latest_leader(sim) {
        lines.push(CheckLine::new(
            CheckStatus::Info,
            format!("latest leader: {} (term {term})", colour_name(leader)),
        ));
    }
    Checks {
        heading: "Safety (checked at every step)",
        lines,
        gauge: None,
    }
}

pub fn results(sim: &ProtocolEngine<Raft>, shape: RaftShape, outcome: &Outcome) -> ResultsView {
    let checker = sim.checker();
    let violations = sim.violations();
    let broken = sim
        .actors()
        .iter()
        .filter_map(RaftNode::as_server)
        .any(|s| s.variant != Variant::Correct);
    let verdict = match violations.first() {
        None => (
            true,
            "Safety held: every server applied the same command at every index.".to_string(),
        ),
        Some(v) => (false, format!("Safety BROKEN ({}): {}", v.kind, v.detail)),
    };
    let total = shape.clients * shape.commands as usize;
    ResultsView {
        title: "Committed",
        headline: format!("All {total} commands committed"),
        headline_colour: latest_leader(sim).map(|(_, leader)| leader),
        lines: vec![format!(
            "after {} of simulated time, {} term(s) with a leader, {} entries committed",
            seconds(outcome.tick),
            checker.leaders.len(),
            checker.committed.len()
        )],
        why: match (verdict.0, broken) {
            (true, false) => WHY_IT_HELD,
            (true, true) => WHY_IT_HELD_THIS_TIME,
            (false, _) => WHY_IT_BROKE,
        },
        verdict: Some(verdict),
    }
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

/// The majorities to outline: the servers that voted the latest leader in (read from the
/// trace's `Voted` notes of its term), the servers whose logs match the leader's up to its
/// commit index (its `matchIndex`, now), and the servers in both: the overlap that carried every
/// committed entry into the leader's term.
pub fn quorums(sim: &ProtocolEngine<Raft>) -> Quorums {
    let mut quorums = Quorums::default();
    let Some((term, leader)) = latest_leader(sim) else {
        return quorums;
    };
    let voters: BTreeSet<NodeId> = sim
        .trace()
        .iter()
        .filter_map(|t| match &t.event {
            Event::Note {
                node,
                note:
                    Note::Voted {
                        term: voted,
                        candidate,
                    },
            } if *voted == term && *candidate == leader => Some(*node),
            _ => None,
        })
        .collect();
    if voters.is_empty() {
        return quorums;
    }
    quorums.outlines.push(QuorumOutline {
        kind: QuorumKind::Promised,
        colour: leader,
        members: voters.iter().copied().collect(),
    });
    quorums.legend.push(format!(
        "Inner outline, in the leader's colour: {} voted {} in for term {term}, a majority.",
        names(&voters),
        colour_name(leader)
    ));
    let Some(RaftNode::Server(server)) = sim.actors().get(leader) else {
        return quorums;
    };
    if let Role::Leader { matched, .. } = &server.role
        && server.term == term
        && server.commit > 0
    {
        let holders: BTreeSet<NodeId> = matched
            .iter()
            .enumerate()
            .filter(|(n, m)| *n == leader || **m >= server.commit)
            .map(|(n, _)| n)
            .collect();
        quorums.outlines.push(QuorumOutline {
            kind: QuorumKind::Accepted,
            colour: leader,
            members: holders.iter().copied().collect(),
        });
        let both: BTreeSet<NodeId> = voters.intersection(&holders).copied().collect();
        quorums.legend.push(format!(
            "Outer outline: {} hold the leader's log up to its commit index #{}, a majority. \
             {} (gold) {} in both: a server that voted only for a log as up to date as its own.",
            names(&holders),
            server.commit,
            names(&both),
            if both.len() == 1 { "is" } else { "are" }
        ));
        quorums.overlap = both.into_iter().collect();
    }
    quorums
}

/// One Raft step in plain words (see [`crate::protocol::Model::caption`]).
pub fn caption(
    sim: &ProtocolEngine<Raft>,
    shape: RaftShape,
    step: &[Traced<RaftNode>],
) -> Option<String> {
    let who = |n: NodeId| name(shape, n);
    let broken = |v: Variant| {
        sim.actors()
            .iter()
            .filter_map(RaftNode::as_server)
            .any(|s| s.variant == v)
    };
    step.iter().find_map(|traced| {
        let Event::Note { node, note } = &traced.event else {
            return None;
        };
        let me = who(*node);
        Some(match note {
            Note::ElectionStarted { term } => format!(
                "{me} heard from no leader in time: it starts an election for term {term}, \
                 votes for itself and asks every server for its vote."
            ),
            Note::Voted { term, candidate } => {
                let rule = if broken(Variant::NoUpToDateCheck) {
                    "without checking its log (the broken rule)"
                } else {
                    "its log is at least as up to date, and this is its only vote in the term"
                };
                format!("{me} votes for {} in term {term}: {rule}.", who(*candidate))
            }
            Note::BecameLeader { term } => format!(
                "{me} has the votes of a majority: it leads term {term} and starts sending \
                 its log to the others."
            ),
            Note::Truncated { len } => format!(
                "{me}'s log conflicts with the leader's: it cuts it to {len} entries, dropping \
                 entries that were never committed."
            ),
            Note::Committed { index } => format!(
                "{me} commits up to #{index}: a majority holds it (and, for a leader, it is of \
                 the leader's own term)."
            ),
            Note::ClientDone => format!("{me} has every command committed."),
            Note::Started
            | Note::Appended { .. }
            | Note::Applied { .. }
            | Note::Acknowledged { .. } => return None,
        })
    })
}

/// The dangerous situations this run reached (see `checker::situation`).
pub fn dangers(sim: &ProtocolEngine<Raft>) -> Vec<&'static str> {
    sim.checker().situations.iter().copied().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::Setup;
    use crate::protocols::raft::MODE;
    use crate::simulation::Simulation;

    fn entries(terms: &[Term]) -> Vec<Entry> {
        terms
            .iter()
            .map(|&term| Entry {
                term,
                command: super::super::Command { client: 9, seq: 0 },
            })
            .collect()
    }

    #[test]
    fn a_log_line_shows_terms_and_marks_the_commit_index() {
        assert_eq!(log_line(&[], 0), "empty");
        assert_eq!(log_line(&entries(&[1, 1, 2, 3]), 3), "1 1 2|3");
        assert_eq!(log_line(&entries(&[1, 1]), 0), "1 1");
        assert_eq!(log_line(&entries(&[1, 1]), 2), "1 1|");
        let long: Vec<Term> = (1..=20).collect();
        // Only the latest entries are shown; a commit index just before them is still marked.
        assert_eq!(log_line(&entries(&long), 12), "…|13 14 15 16 17 18 19 20");
        assert_eq!(log_line(&entries(&long), 5), "…13 14 15 16 17 18 19 20");
        assert_eq!(log_line(&entries(&long), 13), "…13|14 15 16 17 18 19 20");
        assert_eq!(log_line(&entries(&long), 20), "…13 14 15 16 17 18 19 20|");
    }

    #[test]
    fn servers_and_clients_never_overlap() {
        for servers in 3..=9 {
            let mut setup = Setup::for_mode(MODE);
            setup.set_knob("servers", servers).unwrap();
            setup.set_knob("clients", 3).unwrap();
            crate::view::tests::assert_apart(&MODE.layout(&setup));
        }
    }

    #[test]
    fn a_round_shows_roles_terms_logs_and_light_heartbeats() {
        let setup = Setup::for_mode(MODE);
        let mut simulation = Simulation::new(&setup, true);
        let mut heartbeat = None;
        while heartbeat.is_none() && simulation.engine().now() < 10_000 {
            let now = simulation.engine().now();
            simulation.run_until(now + 5);
            heartbeat = simulation
                .engine()
                .message_views(&setup, simulation.engine().now() as f64)
                .into_iter()
                .find(|m| m.look.label == "heartbeat");
        }
        let heartbeat = heartbeat.expect("a leader sends heartbeats");
        assert_eq!(heartbeat.look.shape, MessageShape::Diamond);
        assert_eq!(heartbeat.look.colour, heartbeat.from, "the leader's colour");
        let views = simulation.engine().node_views(&setup);
        let leaders: Vec<&NodeView> = views.iter().filter(|v| v.leading.is_some()).collect();
        assert_eq!(leaders.len(), 1, "{views:?}");
        let leader = leaders[0];
        assert!(leader.status[0].ends_with("leader"), "{:?}", leader.status);
        assert!(leader.status[1].starts_with("log "), "{:?}", leader.status);
        let rows: Vec<&str> = leader.inspector.iter().map(|(k, _)| k.as_str()).collect();
        for row in [
            "term",
            "voted for",
            "log (index:term)",
            "commit index",
            "nextIndex",
            "matchIndex",
        ] {
            assert!(rows.contains(&row), "{rows:?}");
        }
        let client = &views[5];
        assert!(client.light && client.title == "client 1", "{client:?}");
        let quorums = simulation.engine().quorums();
        assert_eq!(quorums.outlines[0].colour, leader.id);
        assert!(quorums.outlines[0].members.len() >= 3, "{quorums:?}");
    }
}
