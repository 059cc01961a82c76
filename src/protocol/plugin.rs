//! What a protocol plug-in implements: [`Protocol`] (the facts that need no running simulation)
//! and [`Model`] (its actor, checker and views of a running simulation), and helpers for them.

use super::*;
use crate::diagram::MarkKind;
use crate::sim::{Actor, Checker, Event, InFlight, NetConfig, NodeId, Sim, SimRng, Tick, Traced};
use crate::view::{CheatSheet, Checks, MessageLook, NodeView, Place, Quorums, ResultsView};

/// The facts and views of a protocol that need no running simulation.
pub trait Protocol: Sync + 'static {
    /// Its name in scenario files, links and on the command line: `paxos`.
    fn name(&self) -> &'static str;
    /// Its name on the title screen: `Beat Paxos`.
    fn title(&self) -> &'static str;
    /// A few sentences on the title screen: what the cluster does, what the player does.
    fn pitch(&self) -> &'static str;
    /// Its numeric settings, in the order the title screen shows them.
    fn knobs(&self) -> &'static [Knob];
    /// The knob `--nodes` sets: the number of nodes the player attacks.
    fn size_knob(&self) -> &'static str;
    /// Deliberately broken versions, to teach what each rule is for and to prove the checker works.
    fn variants(&self) -> &'static [Variant];
    fn default_net(&self) -> NetConfig;
    /// How many nodes the simulation has (counter clients count).
    fn cluster_size(&self, setup: &Setup) -> usize;
    /// Whether the player may kill or slow `node`, and whether partitions list it.
    fn is_target(&self, _setup: &Setup, _node: NodeId) -> bool {
        true
    }
    /// Its rounds end when the cluster converges, not when it decides (reports say which).
    fn converges(&self) -> bool {
        false
    }
    /// How many targets may be down at once.
    fn max_down(&self, setup: &Setup) -> usize;
    /// A fresh simulation of `setup` (nothing scheduled yet): `Box::new(Running::<Self>::new(..))`.
    fn start(&self, setup: &Setup, record_trace: bool) -> Box<dyn RunningSim>;
    /// A node the player kills comes back by itself after this many hops, if the round could
    /// otherwise never end.
    fn restart_killed_after_hops(&self) -> Option<u64> {
        None
    }
    /// The faults chaos draws from, each as likely as its number of entries.
    fn chaos_faults(&self) -> &'static [ChaosFault];
    /// Chaos varies the timing of each run: here the protocol redraws its own timeouts from `rng`,
    /// around `setup`'s values and the (already varied) network's `setup.net`, inside its knobs'
    /// ranges.
    fn vary_timing(&self, _setup: &mut Setup, _rng: &mut SimRng) {}
    /// "Paxos, 3 nodes".
    fn label(&self, setup: &Setup) -> String;
    /// The key best scores are kept under: one per protocol and cluster shape.
    fn score_key(&self, setup: &Setup) -> String;
    /// A node's name in the log: "red", "server 2".
    fn node_name(&self, setup: &Setup, node: NodeId) -> String;
    fn layout(&self, setup: &Setup) -> Vec<Place>;
    /// The links drawn between nodes (messages only travel along these).
    fn links(&self, setup: &Setup) -> Vec<(NodeId, NodeId)>;
    fn cheat_sheet(&self) -> CheatSheet;
    /// Its example scenarios, built in (so the web version has them): (file name, JSON text).
    fn scenarios(&self) -> &'static [(&'static str, &'static str)] {
        &[]
    }
    /// Its lessons, in the order a learner takes them (see `crate::lesson`).
    fn lessons(&self) -> &'static [Lesson] {
        &[]
    }
}

/// The typed side of a protocol: its actor and checker, and the views of a running simulation.
pub trait Model: Protocol + Sized {
    type Actor: Actor + 'static;
    /// `Clone` so that a round can keep snapshots of its run to seek in (see `Round::seek`).
    type Checker: Checker<<Self::Actor as Actor>::Note> + Clone + Send + Sync + 'static;

    /// The cluster's actors and a fresh checker.
    fn build(setup: &Setup) -> (Vec<Self::Actor>, Self::Checker);
    /// The round is over (every node decided, the counter converged and healed).
    fn finished(sim: &ModelSim<Self>) -> bool;
    /// When the cluster won the round (Paxos decided; the counter converged once its clients
    /// were done), if it has.
    fn won_at(sim: &ModelSim<Self>) -> Option<Tick>;
    /// Fills in the protocol's fields of a finished run's summary (and its end-of-run checks).
    fn summarize(sim: &ModelSim<Self>, summary: &mut Summary);
    fn node_view(sim: &ModelSim<Self>, setup: &Setup, node: NodeId) -> NodeView;
    fn message_look(setup: &Setup, message: &InFlight<<Self::Actor as Actor>::Msg>) -> MessageLook;
    /// A note in words for the event log ("starts ballot 2.G"), or none to leave it out.
    fn note_text(note: &<Self::Actor as Actor>::Note) -> Option<String>;
    /// The milestone a trace event puts on the space-time diagram (a ballot started, a promise,
    /// a decision, a value changed), if any: on which node's lane, what kind, and its words.
    fn mark(_event: &Event<Self::Actor>) -> Option<(NodeId, MarkKind, String)> {
        None
    }
    /// Majorities to outline on the cluster, worked out from the trace (none by default).
    fn quorums(_sim: &ModelSim<Self>) -> Quorums {
        Quorums::default()
    }
    /// One protocol step in plain words, for classroom captions: `step` holds the trace entries
    /// of one node handling one thing (a delivery, a timer), in order. None if the step is not
    /// worth a caption (a promise that does not yet make a majority).
    fn caption(
        _sim: &ModelSim<Self>,
        _setup: &Setup,
        _step: &[Traced<Self::Actor>],
    ) -> Option<String> {
        None
    }
    fn checks(sim: &ModelSim<Self>, setup: &Setup) -> Checks;
    fn results(sim: &ModelSim<Self>, setup: &Setup, outcome: &Outcome) -> ResultsView;
    /// Whether the clients are paused, for protocols that have clients.
    fn clients_paused(_sim: &ModelSim<Self>) -> Option<bool> {
        None
    }
    /// What `message` does in the protocol, so that chaos can aim its faults at it.
    fn aim(_message: &<Self::Actor as Actor>::Msg) -> Aim {
        Aim::Other
    }
    /// The protocol's own dangerous situations this run reached so far (chaos counts how often
    /// each occurs): `two_values_proposed`.
    fn dangers(_sim: &ModelSim<Self>) -> Vec<&'static str> {
        Vec::new()
    }
}

/// What a message does in its protocol, as far as chaos needs to know to aim faults at the
/// dangerous moments.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Aim {
    /// Opens a round its receiver joins (Paxos 1a, prepare).
    Open,
    /// Asks its receiver to store something others will rely on (Paxos 2a, accept; an ec-counter
    /// set). Crashing the receiver right after, and cutting the sender off, is where forgetting
    /// and competing rounds do harm.
    Commit,
    /// An answer its receiver counts toward a quorum (Paxos 1b and 2b): a copy of one must not
    /// count twice.
    Vote,
    Other,
}

/// The simulator of protocol `P`.
pub type ModelSim<P> = Sim<<P as Model>::Actor, <P as Model>::Checker>;

/// A node's view with what the network knows filled in (down, slowed, drop armed); the protocol
/// adds the rest.
pub fn base_view<A: Actor, C: Checker<A::Note>>(
    sim: &Sim<A, C>,
    id: NodeId,
    title: String,
    mark: String,
    colour: usize,
) -> NodeView {
    NodeView {
        id,
        title,
        mark,
        colour,
        light: false,
        down: sim.faults().is_down(id),
        slow: sim.faults().slow_factor(id),
        leading: None,
        done: None,
        drop_armed: sim.drop_armed(id),
        value: None,
        status: Vec::new(),
        inspector: Vec::new(),
    }
}
