//! Single-decree Paxos as a plug-in: the actor ([`node`]), the safety checker ([`checker`]), the
//! views and teaching text ([`view`]), and here its settings, broken variants and chaos faults.

pub mod checker;
#[cfg(not(target_arch = "wasm32"))]
mod explore;
pub mod node;
pub mod view;

use crate::protocol::{ChaosFault, Knob, Mode, Model, ModelSim, Outcome, Protocol, RunningSim, Setup, Summary, Variant};
use crate::simulation::Running;
use crate::sim::{InFlight, NetConfig, NodeId};
use crate::view::{CheatSheet, Checks, MessageLook, NodeView, Place, ResultsView, colour_name};

pub use checker::PaxosChecker;
pub use node::{Ballot, Msg, Note, PaxosNode, PaxosTiming, Value};

/// The Paxos plug-in.
pub struct Paxos;

pub const MODE: Mode = Mode(&Paxos);

const KNOBS: &[Knob] = &[
    Knob {
        field: "nodes",
        label: "Nodes",
        range: 3..=9,
        default: 3,
        unit: "",
        slider: Some(3..=9),
        in_link: true,
    },
    Knob::hidden("paxos.election_timeout", 10..=100_000, 300),
];

const VARIANTS: &[Variant] = &[
    Variant {
        name: "amnesia",
        what: "a recovering acceptor forgets its promises and accepted value",
    },
    Variant {
        name: "skip-highest-accepted",
        what: "a new leader proposes its own value even when a promise carried an accepted one",
    },
];

impl Paxos {
    fn variant(setup: &Setup) -> node::Variant {
        match setup.broken {
            Some("amnesia") => node::Variant::Amnesia,
            Some("skip-highest-accepted") => node::Variant::SkipHighestAccepted,
            _ => node::Variant::Correct,
        }
    }

    fn nodes(setup: &Setup) -> usize {
        setup.knob("nodes") as usize
    }
}

impl Protocol for Paxos {
    fn name(&self) -> &'static str {
        "paxos"
    }
    fn title(&self) -> &'static str {
        "Beat Paxos"
    }
    fn pitch(&self) -> &'static str {
        view::PITCH
    }
    fn knobs(&self) -> &'static [Knob] {
        KNOBS
    }
    fn size_knob(&self) -> &'static str {
        "nodes"
    }
    fn variants(&self) -> &'static [Variant] {
        VARIANTS
    }
    fn default_net(&self) -> NetConfig {
        NetConfig::default()
    }
    fn cluster_size(&self, setup: &Setup) -> usize {
        Paxos::nodes(setup)
    }
    fn max_down(&self, setup: &Setup) -> usize {
        (Paxos::nodes(setup) - 1) / 2
    }
    fn start(&self, setup: &Setup, record_trace: bool) -> Box<dyn RunningSim> {
        Box::new(Running::<Paxos>::new(setup, record_trace))
    }
    fn chaos_faults(&self) -> &'static [ChaosFault] {
        use ChaosFault::*;
        &[Crash, Crash, Slow, Cut, Partition, DropNext]
    }
    fn label(&self, setup: &Setup) -> String {
        format!("Paxos, {} nodes", Paxos::nodes(setup))
    }
    fn score_key(&self, setup: &Setup) -> String {
        format!("paxos-{}", Paxos::nodes(setup))
    }
    fn score_label(&self) -> &'static str {
        "time"
    }
    fn node_name(&self, _setup: &Setup, node: NodeId) -> String {
        colour_name(node).to_string()
    }
    fn layout(&self, setup: &Setup) -> Vec<Place> {
        view::layout(Paxos::nodes(setup))
    }
    fn links(&self, setup: &Setup) -> Vec<(NodeId, NodeId)> {
        let n = Paxos::nodes(setup);
        (0..n).flat_map(|a| (a + 1..n).map(move |b| (a, b))).collect()
    }
    fn cheat_sheet(&self) -> CheatSheet {
        view::CHEAT_SHEET
    }
    #[cfg(not(target_arch = "wasm32"))]
    fn explorer(&self) -> Option<&'static dyn crate::explore::Explorer> {
        Some(&Paxos)
    }
}

impl Model for Paxos {
    type Actor = PaxosNode;
    type Checker = PaxosChecker;

    fn build(setup: &Setup) -> (Vec<PaxosNode>, PaxosChecker) {
        let n = Paxos::nodes(setup);
        let timing = PaxosTiming {
            election_timeout: setup.knob("paxos.election_timeout"),
        };
        (
            PaxosNode::cluster(n, Paxos::variant(setup), timing),
            PaxosChecker::new(n),
        )
    }

    fn finished(sim: &ModelSim<Self>) -> bool {
        sim.checker().decisions.len() == sim.actors().len()
    }

    fn outcome(sim: &ModelSim<Self>) -> Option<Outcome> {
        let tick = sim.checker().first_decision?;
        Some(Outcome { tick, score: tick })
    }

    fn summarize(sim: &ModelSim<Self>, summary: &mut Summary) {
        let checker = sim.checker();
        summary.decided = checker.first_decision.is_some();
        summary.value = checker
            .decisions
            .values()
            .next()
            .map(|v| colour_name(*v).to_string());
        summary.decision_tick = checker.first_decision;
        summary.ballots = Some(checker.ballots_started);
    }

    fn node_view(sim: &ModelSim<Self>, _setup: &Setup, node: NodeId) -> NodeView {
        view::node(sim, node)
    }

    fn message_look(_setup: &Setup, message: &InFlight<Msg>) -> MessageLook {
        view::message(&message.msg)
    }

    fn note_text(note: &Note) -> Option<String> {
        view::note(note)
    }

    fn checks(sim: &ModelSim<Self>, _setup: &Setup) -> Checks {
        view::checks(sim)
    }

    fn results(sim: &ModelSim<Self>, _setup: &Setup, outcome: &Outcome) -> ResultsView {
        view::results(sim, outcome)
    }
}
