//! What Raft looks like and how it is explained: each server's role, term and log, clients with
//! their progress, message labels and colours, log lines, the diagram's milestones, the live
//! checks, the majorities to outline, captions, the results and the cheat sheet.

use std::collections::{BTreeMap, BTreeSet};

use super::Raft;
use super::checker::{
    ELECTION_SAFETY, LEADER_COMPLETENESS, LINEARIZABILITY, LOG_MATCHING, STATE_MACHINE_SAFETY,
};
use super::node::{Command, Entry, Index, Msg, Note, RaftNode, RaftShape, Term, Variant};
use super::server::{Role, Server};
use crate::diagram::MarkKind;
use crate::protocol::{Outcome, ProtocolEngine, TraceFollower, base_view};
use crate::sim::quorum::majority;
use crate::sim::{Event, InFlight, NodeId, Tick, Traced};
use crate::view::{
    CheatSheet, CheckLine, CheckStatus, Checks, LogEntryView, MessageLook, MessageShape, NodeView,
    Place, QuorumKind, QuorumOutline, Quorums, ResultsView, caught, clockwise_from_top,
    colour_letter, colour_name, seconds,
};

pub const PITCH: &str = "Servers elect a leader for each term; the leader appends the clients' \
    commands to its log, copies them to the others, and commits an entry once a majority holds \
    it. Attack it: kill leaders, split the cluster, drop messages. Your score is how much later \
    every command commits than it would have left alone. What you can never do is make two \
    servers apply different commands at one index.";

pub const CHEAT_SHEET: CheatSheet = CheatSheet {
    intro: Some(
        "Messages take the colour of the candidate or leader of their term; heartbeats and \
         their acks are drawn small and faint. A log is a row of boxes, one per entry in its \
         term's colour: solid once committed, hollow until then. The dark ring inside a \
         follower is its election timer running out.",
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

/// Servers on a circle from the top, clockwise, each with its log; clients in a column to its
/// left, beyond the logs of the servers on the left side.
pub fn layout(shape: RaftShape) -> Vec<Place> {
    let servers = (0..shape.servers).map(|i| Place {
        shows_log: true,
        ..Place::polar(clockwise_from_top(i, shape.servers), 250.0, 44.0)
    });
    let clients = (0..shape.clients).map(|c| Place {
        x: -570.0,
        y: 90.0 * (c as f32 - (shape.clients as f32 - 1.0) / 2.0),
        radius: 24.0,
        shows_value: false,
        shows_log: false,
    });
    servers.chain(clients).collect()
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

/// A log as the row of boxes draws it: each entry's term, committed up to `commit`.
pub fn log_view(log: &[Entry], commit: Index) -> Vec<LogEntryView> {
    log.iter()
        .enumerate()
        .map(|(i, e)| LogEntryView {
            term: e.term,
            committed: (i as Index) < commit,
        })
        .collect()
}

/// The fraction of a follower's or candidate's election timeout left at `now`, for the
/// shrinking ring. As in RaftScope, the whole ring is the longest timeout a server may draw
/// (twice the base), so a freshly armed ring starts between half and full: the randomised
/// timeouts show. None for a leader, and for a server whose timer is not armed.
pub fn election_timer_left(now: Tick, s: &Server) -> Option<f32> {
    let deadline = s.election_deadline.filter(|_| !s.is_leader())?;
    let longest = (2 * s.timing.election_timeout).max(1);
    Some((deadline.saturating_sub(now) as f32 / longest as f32).clamp(0.0, 1.0))
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
    view.status = vec![format!("term {} {role}", s.term)];
    view.log = log_view(&s.log, s.commit);
    view.takes_commands = true;
    view.timer = election_timer_left(sim.now(), s).filter(|_| !view.down);
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
/// the server's. Heartbeats and the acks of heartbeats are light (drawn smaller and fainter), so
/// that they do not drown the rest.
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
        shape: MessageShape::Round,
        light: m.msg.is_heartbeat() || m.msg.is_heartbeat_ack(),
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
        Note::Acknowledged { command } if command.is_player() => {
            "has applied your command: it is committed".into()
        }
        Note::Redirected { leader, .. } => match leader {
            Some(leader) => format!(
                "does not lead: it refuses your command and names {} as the leader",
                colour_name(*leader)
            ),
            None => "does not lead and knows no leader: it refuses your command".into(),
        },
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
        Note::Started
        | Note::Applied { .. }
        | Note::Acknowledged { .. }
        | Note::Redirected { .. } => return None,
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
    let (yours, committed): (Vec<&Command>, Vec<&Command>) =
        checker.acknowledged.iter().partition(|c| c.is_player());
    let committed = committed.len();
    lines.push(CheckLine::new(
        if committed >= total {
            CheckStatus::Reached
        } else {
            CheckStatus::Waiting
        },
        format!("commands committed and acknowledged: {committed} of {total}"),
    ));
    if !yours.is_empty() {
        lines.push(CheckLine::new(
            CheckStatus::Info,
            format!("your commands committed: {}", yours.len()),
        ));
    }
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
    let mut votes = Votes::default();
    votes.read_on(sim.trace());
    quorums_of(sim, &votes)
}

/// [`quorums`], reading only the trace entries `follower` has not read yet.
pub fn quorums_following(sim: &ProtocolEngine<Raft>, follower: &mut TraceFollower) -> Quorums {
    let (votes, new) = follower.follow::<Votes, _>(sim.trace());
    votes.read_on(new);
    quorums_of(sim, votes)
}

/// Who voted for whom in each term, as the trace's `Voted` notes say.
#[derive(Default)]
struct Votes(BTreeMap<(Term, NodeId), BTreeSet<NodeId>>);

impl Votes {
    fn read_on(&mut self, new: &[Traced<RaftNode>]) {
        for traced in new {
            if let Event::Note {
                node,
                note: Note::Voted { term, candidate },
            } = &traced.event
            {
                self.0.entry((*term, *candidate)).or_default().insert(*node);
            }
        }
    }
}

fn quorums_of(sim: &ProtocolEngine<Raft>, votes: &Votes) -> Quorums {
    let mut quorums = Quorums::default();
    let Some((term, leader)) = latest_leader(sim) else {
        return quorums;
    };
    let voters = votes.0.get(&(term, leader)).cloned().unwrap_or_default();
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
            Note::Redirected { leader, .. } => {
                let to = leader.map_or("none yet, mid-election".into(), who);
                format!(
                    "{me} does not lead, so it refuses your command, as it would a client's, \
                     and names the leader it knows: {to}. Only a leader logs commands."
                )
            }
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
    use crate::protocols::raft::RaftTiming;
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
    fn a_log_view_has_each_entrys_term_and_is_committed_up_to_the_commit_index() {
        assert_eq!(log_view(&[], 0), vec![]);
        let view = log_view(&entries(&[1, 1, 2, 3]), 3);
        let terms: Vec<Term> = view.iter().map(|e| e.term).collect();
        let committed: Vec<bool> = view.iter().map(|e| e.committed).collect();
        assert_eq!(terms, [1, 1, 2, 3]);
        assert_eq!(committed, [true, true, true, false]);
    }

    #[test]
    fn the_election_ring_is_the_time_left_over_the_longest_timeout_and_leaders_have_none() {
        let mut s = Server::new(0, 3, Variant::Correct, RaftTiming::default());
        assert_eq!(election_timer_left(0, &s), None, "not armed yet");
        s.election_deadline = Some(1_000);
        // Twice the base timeout of 500 is the whole ring.
        assert_eq!(election_timer_left(0, &s), Some(1.0));
        assert_eq!(election_timer_left(750, &s), Some(0.25));
        assert_eq!(election_timer_left(2_000, &s), Some(0.0), "overdue");
        s.role = Role::Leader {
            next: vec![1; 3],
            matched: vec![0; 3],
        };
        assert_eq!(election_timer_left(750, &s), None);
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
        assert!(heartbeat.look.light);
        assert_eq!(heartbeat.look.colour, heartbeat.from, "the leader's colour");
        let views = simulation.engine().node_views(&setup);
        let leaders: Vec<&NodeView> = views.iter().filter(|v| v.leading.is_some()).collect();
        assert_eq!(leaders.len(), 1, "{views:?}");
        let leader = leaders[0];
        assert!(leader.status[0].ends_with("leader"), "{:?}", leader.status);
        assert_eq!(leader.timer, None, "a leader runs no election timer");
        let followers = views[..5].iter().filter(|v| v.leading.is_none());
        assert!(followers.clone().all(|v| v.timer.is_some()), "{views:?}");
        // The commands so far are in the leader's log; none is drawn committed beyond its own.
        let sim = simulation.of::<Raft>().expect("a Raft run");
        let server = sim.actors()[leader.id].as_server().expect("a server");
        assert_eq!(leader.log, log_view(&server.log, server.commit));
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
        // The inspector offers a command at a server, not at a client.
        assert!(leader.takes_commands && !client.takes_commands);
        let quorums = simulation.engine().quorums();
        assert_eq!(quorums.outlines[0].colour, leader.id);
        assert!(quorums.outlines[0].members.len() >= 3, "{quorums:?}");
    }
}
