//! What a protocol plug-in implements: [`Protocol`] (the facts that need no running simulation)
//! and [`Model`] (its actor, checker and views of a running simulation), and helpers for them.

use super::*;
use crate::diagram::MarkKind;
use crate::sim::{
    Actor, Checker, Engine, Event, InFlight, NetConfig, NodeId, SimRng, Tick, Traced,
};
use crate::view::{
    CheatSheet, Checks, MessageLook, NodeView, Place, Quorums, ResultsView, clockwise_from_top,
};
use std::any::Any;

/// The facts about a protocol that are plain data: one static value per protocol.
#[derive(Debug)]
pub struct Info {
    /// Its name in scenario files, links and on the command line: `paxos`.
    pub name: &'static str,
    /// Its name on the title screen: `Beat Paxos`.
    pub title: &'static str,
    /// A few sentences on the title screen: what the cluster does, what the player does.
    pub pitch: &'static str,
    /// Its numeric settings, in the order the title screen shows them.
    pub knobs: &'static [Knob],
    /// The knob `--nodes` sets: the number of nodes the player attacks.
    pub size_knob: &'static str,
    /// Deliberately broken versions, to teach what each rule is for and to prove the checker
    /// works.
    pub variants: &'static [Variant],
    /// The faults chaos draws from, each as likely as its number of entries.
    pub chaos_faults: &'static [ChaosFault],
}

/// The facts and views of a protocol that need no running simulation. Only [`info`](Self::info)
/// and [`cheat_sheet`](Self::cheat_sheet) are required; the rest have defaults for a cluster of
/// `size_knob` equal nodes on a circle, all linked, a majority of which must stay up.
pub trait Protocol: Sync + 'static {
    fn info(&self) -> &'static Info;
    fn cheat_sheet(&self) -> CheatSheet;
    fn default_net(&self) -> NetConfig {
        NetConfig::default()
    }
    /// How many nodes the simulation has (counter clients count).
    fn cluster_size(&self, setup: &Setup) -> usize {
        setup.knob(self.info().size_knob) as usize
    }
    /// Whether the player may kill or slow `node`, and whether partitions list it.
    fn is_target(&self, _setup: &Setup, _node: NodeId) -> bool {
        true
    }
    /// Its rounds end when the cluster converges, not when it decides (reports say which).
    fn converges(&self) -> bool {
        false
    }
    /// How many targets may be down at once: a minority.
    fn max_down(&self, setup: &Setup) -> usize {
        self.cluster_size(setup).saturating_sub(1) / 2
    }
    /// A node the player kills comes back by itself after this many hops, if the round could
    /// otherwise never end.
    fn restart_killed_after_hops(&self) -> Option<u64> {
        None
    }
    /// Chaos varies the timing of each run: here the protocol redraws its own timeouts from `rng`,
    /// around `setup`'s values and the (already varied) network's `setup.net`, inside its knobs'
    /// ranges.
    fn vary_timing(&self, _setup: &mut Setup, _rng: &mut SimRng) {}
    /// "Paxos, 3 nodes".
    fn label(&self, setup: &Setup) -> String {
        format!("{}, {} nodes", self.info().title, self.cluster_size(setup))
    }
    /// The key best scores are kept under: one per protocol and cluster shape.
    fn score_key(&self, setup: &Setup) -> String {
        format!("{}-{}", self.info().name, self.cluster_size(setup))
    }
    /// A node's name in the log: "red", "server 2".
    fn node_name(&self, _setup: &Setup, node: NodeId) -> String {
        format!("node {node}")
    }
    fn layout(&self, setup: &Setup) -> Vec<Place> {
        let n = self.cluster_size(setup);
        (0..n)
            .map(|i| Place::polar(clockwise_from_top(i, n), 250.0, 40.0))
            .collect()
    }
    /// The links drawn between nodes (messages only travel along these).
    fn links(&self, setup: &Setup) -> Vec<(NodeId, NodeId)> {
        let n = self.cluster_size(setup);
        (0..n)
            .flat_map(|a| (a + 1..n).map(move |b| (a, b)))
            .collect()
    }
    /// Its example scenarios, built in (so the web version has them): (file name, JSON text).
    fn scenarios(&self) -> &'static [(&'static str, &'static str)] {
        &[]
    }
    /// Its lessons, in the order a learner takes them (see `crate::lesson`).
    fn lessons(&self) -> &'static [Lesson] {
        &[]
    }
    /// Its own chaos strikes for chaos run `setup`, if it has any: the adversary asks them after
    /// each step whether to strike now (Raft crashes a server right after it votes).
    fn strikes(&self, _setup: &Setup) -> Option<Box<dyn Strikes>> {
        None
    }
}

/// A protocol's own chaos strikes, at moments only it can see in its nodes' state. The adversary
/// calls [`before`](Self::before) and [`after`](Self::after) around each step of a chaos run.
/// They must depend only on the run (and the seed), so that a chaos run replays exactly.
pub trait Strikes: Send + Sync {
    /// Before a step: note what `after` compares against.
    fn before(&mut self, sim: &dyn AnyEngine);
    /// After the step: strike now, through `sim`'s actions, if the step made the moment.
    fn after(&mut self, sim: &mut dyn AnyEngine);
    /// A copy, for the snapshots a rewind restores.
    fn boxed_clone(&self) -> Box<dyn Strikes>;
}

impl Clone for Box<dyn Strikes> {
    fn clone(&self) -> Self {
        self.boxed_clone()
    }
}

/// The facts of [`Info`], read through any protocol (a [`Mode`] derefs to one).
impl dyn Protocol {
    pub fn name(&self) -> &'static str {
        self.info().name
    }
    pub fn title(&self) -> &'static str {
        self.info().title
    }
    pub fn pitch(&self) -> &'static str {
        self.info().pitch
    }
    pub fn knobs(&self) -> &'static [Knob] {
        self.info().knobs
    }
    pub fn size_knob(&self) -> &'static str {
        self.info().size_knob
    }
    pub fn variants(&self) -> &'static [Variant] {
        self.info().variants
    }
    pub fn chaos_faults(&self) -> &'static [ChaosFault] {
        self.info().chaos_faults
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
    fn finished(sim: &ProtocolEngine<Self>) -> bool;
    /// When the cluster won the round (Paxos decided; the counter converged once its clients
    /// were done), if it has.
    fn won_at(sim: &ProtocolEngine<Self>) -> Option<Tick>;
    /// Fills in a finished run's summary: `decided`, `value`, `decision_tick` (and `ballots`,
    /// for a protocol with leaders), and the protocol's own fields in `details`; runs its
    /// end-of-run checks.
    fn summarize(sim: &ProtocolEngine<Self>, summary: &mut Summary);
    fn node_view(sim: &ProtocolEngine<Self>, setup: &Setup, node: NodeId) -> NodeView;
    fn message_look(setup: &Setup, message: &InFlight<<Self::Actor as Actor>::Msg>) -> MessageLook;
    /// A note in words for the event log ("starts ballot 2.G"), or none to leave it out.
    fn note_text(note: &<Self::Actor as Actor>::Note) -> Option<String>;
    /// The milestone a trace event puts on the space-time diagram (a ballot started, a promise,
    /// a decision, a value changed), if any: on which node's lane, what kind, and its words.
    fn mark(_event: &Event<Self::Actor>) -> Option<(NodeId, MarkKind, String)> {
        None
    }
    /// Majorities to outline on the cluster, worked out from the trace (none by default).
    fn quorums(_sim: &ProtocolEngine<Self>) -> Quorums {
        Quorums::default()
    }
    /// [`Model::quorums`], reading only the trace entries added since `follower` last read (what
    /// the game asks in each frame where the trace grew). By default, the whole trace again.
    fn quorums_following(sim: &ProtocolEngine<Self>, _follower: &mut TraceFollower) -> Quorums {
        Self::quorums(sim)
    }
    /// One protocol step in plain words, for classroom captions: `step` holds the trace entries
    /// of one node handling one thing (a delivery, a timer), in order. None if the step is not
    /// worth a caption (a promise that does not yet make a majority).
    fn caption(
        _sim: &ProtocolEngine<Self>,
        _setup: &Setup,
        _step: &[Traced<Self::Actor>],
    ) -> Option<String> {
        None
    }
    fn checks(sim: &ProtocolEngine<Self>, setup: &Setup) -> Checks;
    fn results(sim: &ProtocolEngine<Self>, setup: &Setup, outcome: &Outcome) -> ResultsView;
    /// Whether the clients are paused, for protocols that have clients.
    fn clients_paused(_sim: &ProtocolEngine<Self>) -> Option<bool> {
        None
    }
    /// What `message` does in the protocol, so that chaos can aim its faults at it.
    fn aim(_message: &<Self::Actor as Actor>::Msg) -> Aim {
        Aim::Other
    }
    /// The protocol's own dangerous situations this run reached so far (chaos counts how often
    /// each occurs): `two_values_proposed`.
    fn dangers(_sim: &ProtocolEngine<Self>) -> Vec<&'static str> {
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
pub type ProtocolEngine<P> = Engine<<P as Model>::Actor, <P as Model>::Checker>;

/// A node's view with what the network knows filled in (down, slowed, drop armed); the protocol
/// adds the rest.
pub fn base_view<A: Actor, C: Checker<A::Note>>(
    sim: &Engine<A, C>,
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
        log: Vec::new(),
        timer: None,
        takes_commands: false,
    }
}

/// What a view keeps between frames to read a run's trace once, entry by entry, rather than
/// from the start in every frame (see [`Model::quorums_following`]): the protocol's own reading
/// so far and how far it got. It starts over by itself when the trace is shorter than what it
/// read or is not the one it read (a rewind, another round), and when the caller says so.
#[derive(Default)]
pub struct TraceFollower {
    read: usize,
    /// The trace's entry just before `read`, in words: to tell a trace that was cut back and
    /// grew again along another line from the one read.
    last: Option<String>,
    reading: Option<Box<dyn Any + Send + Sync>>,
}

impl TraceFollower {
    /// The protocol's reading of `trace` so far (a fresh `T` if there is none yet or it must
    /// start over) and the entries it has not read, which it counts as read from now on.
    pub fn follow<'t, T, E>(&mut self, trace: &'t [E]) -> (&mut T, &'t [E])
    where
        T: Default + Send + Sync + 'static,
        E: std::fmt::Debug,
    {
        let same_line = self.read <= trace.len()
            && (self.read == 0
                || self.last.as_deref() == Some(&format!("{:?}", trace[self.read - 1])));
        if !same_line || !self.reading.as_ref().is_some_and(|r| r.is::<T>()) {
            self.read = 0;
            self.reading = Some(Box::new(T::default()));
        }
        let new = &trace[self.read..];
        self.read = trace.len();
        self.last = trace.last().map(|entry| format!("{entry:?}"));
        let reading = self
            .reading
            .as_mut()
            .and_then(|r| r.downcast_mut::<T>())
            .expect("set above");
        (reading, new)
    }
}
