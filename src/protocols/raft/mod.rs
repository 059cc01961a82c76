//! Raft as a plug-in: a replicated log. Servers elect a leader per term; the leader appends
//! clients' commands to its log, replicates them, and commits an entry of its own term once a
//! majority holds it; every server applies committed entries in log order. The actor is
//! [`node`] ([`server`], [`client`]), the safety checker [`checker`], the views and teaching text
//! [`view`]; here are its settings, broken variants and chaos faults. See `docs/raft.md`.

mod chaos;
pub mod checker;
pub mod client;
mod explore;
pub mod lessons;
pub mod node;
pub mod server;
pub mod soak;
pub mod view;

#[cfg(test)]
mod tests;

use crate::diagram::MarkKind;
use crate::protocol::{
    Aim, ChaosFault, Info, Knob, Mode, Model, Outcome, Protocol, ProtocolEngine, Setup, Summary,
    TraceFollower,
};
use crate::sim::{Event, InFlight, NetConfig, NodeId, SimRng, Tick, Traced};
use crate::view::{CheatSheet, Checks, MessageLook, NodeView, Place, Quorums, ResultsView};

pub use checker::RaftChecker;
pub use node::{
    Command, Entry, Index, Msg, Note, RaftNode, RaftShape, RaftTiming, Term, Timer, Variant,
};

/// The Raft plug-in.
pub struct Raft;

pub const MODE: Mode = Mode::of(&Raft);
/// Its line in the registry (`crate::protocols::REGISTRY`).
pub const ENTRY: crate::protocols::Entry = crate::protocols::Entry {
    mode: MODE,
    explorer: Some(&Raft),
};

const KNOBS: &[Knob] = &[
    Knob {
        field: "servers",
        label: "Servers",
        range: 3..=9,
        default: 5,
        unit: "",
        slider: Some(3..=9),
        in_link: true,
    },
    Knob {
        field: "clients",
        label: "Clients",
        range: 1..=3,
        default: 1,
        unit: "",
        slider: Some(1..=3),
        in_link: true,
    },
    Knob {
        field: "requests",
        label: "Commands per client",
        range: 1..=20,
        default: 3,
        unit: "",
        slider: Some(1..=20),
        in_link: true,
    },
    Knob::hidden("raft.election_timeout", 10..=100_000, 500),
    Knob::hidden("raft.heartbeat", 1..=100_000, 150),
    Knob::hidden("raft.retry_timeout", 1..=100_000, 1_000),
    Knob::hidden("raft.think_time", 1..=100_000, 100),
];

const VARIANTS: &[crate::protocol::Variant] = &[
    crate::protocol::Variant {
        name: "commit-old-term",
        what: "a leader commits an entry of an earlier term once a majority holds it (Figure 8)",
    },
    crate::protocol::Variant {
        name: "forget-vote",
        what: "a server forgets whom it voted for when it crashes, so it may vote twice in a term",
    },
    crate::protocol::Variant {
        name: "no-up-to-date-check",
        what: "servers vote for a candidate without checking that its log is up to date",
    },
];

impl Raft {
    /// The cluster's shape: servers are nodes `0..servers`, clients follow.
    pub fn shape(setup: &Setup) -> RaftShape {
        RaftShape {
            servers: setup.knob("servers") as usize,
            clients: setup.knob("clients") as usize,
            commands: setup.knob("requests") as u32,
        }
    }

    pub fn timing(setup: &Setup) -> RaftTiming {
        RaftTiming {
            election_timeout: setup.knob("raft.election_timeout"),
            heartbeat: setup.knob("raft.heartbeat"),
            retry_timeout: setup.knob("raft.retry_timeout"),
            think_time: setup.knob("raft.think_time"),
        }
    }

    pub fn variant(setup: &Setup) -> Variant {
        match setup.broken {
            Some("commit-old-term") => Variant::CommitOldTerm,
            Some("forget-vote") => Variant::ForgetVote,
            Some("no-up-to-date-check") => Variant::NoUpToDateCheck,
            _ => Variant::Correct,
        }
    }

    fn clients(sim: &ProtocolEngine<Self>) -> usize {
        sim.actors().iter().filter_map(RaftNode::as_client).count()
    }
}

const INFO: Info = Info {
    name: "raft",
    title: "Beat Raft",
    pitch: view::PITCH,
    knobs: KNOBS,
    size_knob: "servers",
    variants: VARIANTS,
    chaos_faults: {
        use ChaosFault::*;
        &[
            Crash,
            Crash,
            Slow,
            Cut,
            Partition,
            Partition,
            DropNext,
            Duplicate,
            PauseClients,
        ]
    },
};

impl Protocol for Raft {
    fn info(&self) -> &'static Info {
        &INFO
    }
    fn default_net(&self) -> NetConfig {
        // The simulator's default hop (60–90 ticks), which `RaftTiming`'s defaults are set against.
        NetConfig::default()
    }
    fn cluster_size(&self, setup: &Setup) -> usize {
        Raft::shape(setup).nodes()
    }
    /// Only servers can be killed or slowed; clients are the workload, not the system.
    fn is_target(&self, setup: &Setup, node: NodeId) -> bool {
        Raft::shape(setup).is_server(node)
    }
    /// A minority of the servers: the rest can still elect a leader and commit.
    fn max_down(&self, setup: &Setup) -> usize {
        (Raft::shape(setup).servers - 1) / 2
    }
    /// The election timeout from half to three times its value, but at least two hops (below a
    /// round trip no leader survives); the heartbeat stays well under it, as Raft requires;
    /// client retries from half to twice theirs, think times from a quarter to twenty times.
    fn vary_timing(&self, setup: &mut Setup, rng: &mut SimRng) {
        let hop = setup.net.base_delay + setup.net.jitter;
        let timeout = setup.knob("raft.election_timeout");
        let low = (timeout / 2).max(2 * hop);
        let timeout = rng.between(low, (timeout * 3).max(low)).clamp(10, 100_000);
        let heartbeat = (timeout / rng.between(3, 6)).max(1);
        let retry =
            (setup.knob("raft.retry_timeout") * rng.between(50, 200) / 100).clamp(2 * hop, 100_000);
        let think =
            (setup.knob("raft.think_time") * rng.between(25, 2_000) / 100).clamp(1, 100_000);
        for (field, value) in [
            ("raft.election_timeout", timeout),
            ("raft.heartbeat", heartbeat),
            ("raft.retry_timeout", retry),
            ("raft.think_time", think),
        ] {
            setup.set_knob(field, value).expect("a raft knob");
        }
    }
    fn label(&self, setup: &Setup) -> String {
        let shape = Raft::shape(setup);
        format!("Raft, {} servers x{} clients", shape.servers, shape.clients)
    }
    fn score_key(&self, setup: &Setup) -> String {
        let shape = Raft::shape(setup);
        format!(
            "raft-{}x{}x{}",
            shape.servers, shape.clients, shape.commands
        )
    }
    fn node_name(&self, setup: &Setup, node: NodeId) -> String {
        view::name(Raft::shape(setup), node)
    }
    fn layout(&self, setup: &Setup) -> Vec<Place> {
        view::layout(Raft::shape(setup))
    }
    /// Every pair of servers, and each client to every server (a client may send to any).
    fn links(&self, setup: &Setup) -> Vec<(NodeId, NodeId)> {
        let shape = Raft::shape(setup);
        let n = shape.nodes();
        (0..shape.servers)
            .flat_map(|a| (a + 1..n).map(move |b| (a, b)))
            .collect()
    }
    fn cheat_sheet(&self) -> CheatSheet {
        view::CHEAT_SHEET
    }
    fn lessons(&self) -> &'static [crate::protocol::Lesson] {
        lessons::LESSONS
    }
    /// A chaos run gets Raft's own strikes besides the engine's adversary (see `chaos.rs`).
    fn strikes(&self, setup: &Setup) -> Option<Box<dyn crate::protocol::Strikes>> {
        Some(Box::new(chaos::RaftStrikes::new(setup)))
    }
    fn scenarios(&self) -> &'static [(&'static str, &'static str)] {
        &[
            (
                "raft-leader-crash.json",
                include_str!("../../../assets/scenarios/raft-leader-crash.json"),
            ),
            (
                "raft-old-leader.json",
                include_str!("../../../assets/scenarios/raft-old-leader.json"),
            ),
        ]
    }
}

impl Model for Raft {
    type Actor = RaftNode;
    type Checker = RaftChecker;

    fn build(setup: &Setup) -> (Vec<RaftNode>, RaftChecker) {
        let shape = Raft::shape(setup);
        (
            RaftNode::cluster(shape, Raft::variant(setup), Raft::timing(setup)),
            RaftChecker::new(shape.servers),
        )
    }

    /// Every command committed and acknowledged: every client is done.
    fn finished(sim: &ProtocolEngine<Self>) -> bool {
        sim.checker().clients_done >= Raft::clients(sim)
    }

    /// When the last client heard its last command acknowledged.
    fn won_at(sim: &ProtocolEngine<Self>) -> Option<Tick> {
        let checker = sim.checker();
        checker
            .last_done_at
            .filter(|_| checker.clients_done >= Raft::clients(sim))
    }

    fn summarize(sim: &ProtocolEngine<Self>, summary: &mut Summary) {
        let checker = sim.checker();
        summary.decided = Raft::finished(sim);
        summary.decision_tick = Raft::won_at(sim);
        summary.value = Some(format!("{} commands committed", checker.acknowledged.len()));
        summary.ballots = Some(checker.leaders.len() as u64);
    }

    fn node_view(sim: &ProtocolEngine<Self>, setup: &Setup, node: NodeId) -> NodeView {
        view::node(sim, Raft::shape(setup), node)
    }

    fn message_look(setup: &Setup, message: &InFlight<Msg>) -> MessageLook {
        view::message(Raft::shape(setup), message)
    }

    fn note_text(note: &Note) -> Option<String> {
        view::note(note)
    }

    fn mark(event: &Event<RaftNode>) -> Option<(NodeId, MarkKind, String)> {
        view::mark(event)
    }

    fn quorums(sim: &ProtocolEngine<Self>) -> Quorums {
        view::quorums(sim)
    }

    fn quorums_following(sim: &ProtocolEngine<Self>, follower: &mut TraceFollower) -> Quorums {
        view::quorums_following(sim, follower)
    }

    fn caption(
        sim: &ProtocolEngine<Self>,
        setup: &Setup,
        step: &[Traced<RaftNode>],
    ) -> Option<String> {
        view::caption(sim, Raft::shape(setup), step)
    }

    fn checks(sim: &ProtocolEngine<Self>, setup: &Setup) -> Checks {
        view::checks(sim, Raft::shape(setup))
    }

    fn results(sim: &ProtocolEngine<Self>, setup: &Setup, outcome: &Outcome) -> ResultsView {
        view::results(sim, Raft::shape(setup), outcome)
    }

    fn clients_paused(sim: &ProtocolEngine<Self>) -> Option<bool> {
        Some(
            sim.actors()
                .iter()
                .filter_map(RaftNode::as_client)
                .any(|c| c.paused),
        )
    }

    /// A RequestVote opens a term its receiver joins; an append with entries asks its receiver
    /// to store what the leader will count toward a commit; votes and acks are counted.
    fn aim(message: &Msg) -> Aim {
        match message {
            Msg::RequestVote { .. } => Aim::Open,
            Msg::Append { entries, .. } if !entries.is_empty() => Aim::Commit,
            Msg::Vote { .. } | Msg::AppendReply { .. } => Aim::Vote,
            Msg::Append { .. } | Msg::Request { .. } | Msg::Done { .. } | Msg::Redirect { .. } => {
                Aim::Other
            }
        }
    }

    fn dangers(sim: &ProtocolEngine<Self>) -> Vec<&'static str> {
        view::dangers(sim)
    }
}
