//! Adding a protocol, as a test: a one-round "everyone broadcasts its value, everyone decides the
//! smallest" toy, written exactly as a real plug-in under `src/protocols/toy/` would be (its actor,
//! checker, views and settings), then run through the same generic machinery the CLI, the game
//! and chaos use. A registered protocol also gets its `mod` line and its entry in `REGISTRY`
//! in `src/protocols/mod.rs`; that entry is what lets scenario files, links and `--mode` find it
//! by name. `docs/architecture.md` walks through it.

use std::collections::BTreeMap;

use serde::Serialize;

use beat_paxos::chaos;
use beat_paxos::protocol::{
    ChaosFault, Info, Knob, Mode, Model, Outcome, Protocol, ProtocolEngine, Setup, Summary,
    Variant, base_view,
};
use beat_paxos::sim::{Action, Actor, Checker, Cx, InFlight, NodeId, Tick, Violation};
use beat_paxos::simulation::{Simulation, run};
use beat_paxos::view::{
    CheatSheet, CheckLine, Checks, MessageLook, MessageShape, NodeView, ResultsView, caught,
    colour_letter, seconds,
};

// ---- node.rs: the actor, I/O-free --------------------------------------------------------------

/// Each node starts with a value, sends it to everyone, and decides the smallest value once it has
/// heard from every node. It re-sends until it has decided, and a decided node answers late
/// senders, so crashes and lost messages only delay it.
#[derive(Clone, Debug, Hash)]
struct ToyNode {
    id: NodeId,
    cluster: usize,
    /// Broken variant: decide your own value without listening.
    selfish: bool,
    value: u64,
    heard: BTreeMap<NodeId, u64>,
    decided: Option<u64>,
}

#[derive(Clone, Debug, Serialize)]
struct Value(u64);

#[derive(Clone, Debug, PartialEq, Serialize)]
struct Resend;

#[derive(Clone, Debug, Serialize)]
enum ToyNote {
    Started { value: u64 },
    Decided { value: u64 },
}

const RESEND_AFTER: Tick = 400;

impl ToyNode {
    fn broadcast(&self, cx: &mut Cx<'_, Self>) {
        for peer in (0..self.cluster).filter(|p| *p != self.id) {
            cx.send(peer, Value(self.value));
        }
    }
}

impl Actor for ToyNode {
    type Msg = Value;
    type Timer = Resend;
    type Note = ToyNote;

    fn on_start(&mut self, cx: &mut Cx<'_, Self>) {
        cx.note(ToyNote::Started { value: self.value });
        if self.selfish {
            self.decided = Some(self.value);
            cx.note(ToyNote::Decided { value: self.value });
            return;
        }
        if self.decided.is_none() {
            self.broadcast(cx);
            cx.set_timer(Resend, RESEND_AFTER);
        }
    }

    fn on_message(&mut self, from: NodeId, Value(value): Value, cx: &mut Cx<'_, Self>) {
        if self.decided.is_some() {
            cx.send(from, Value(self.value));
            return;
        }
        self.heard.insert(from, value);
        if self.heard.len() + 1 == self.cluster {
            let smallest = self.heard.values().copied().fold(self.value, u64::min);
            self.decided = Some(smallest);
            cx.note(ToyNote::Decided { value: smallest });
            cx.cancel_timer(Resend);
        }
    }

    fn on_timer(&mut self, Resend: Resend, cx: &mut Cx<'_, Self>) {
        if self.decided.is_none() {
            self.broadcast(cx);
            cx.set_timer(Resend, RESEND_AFTER);
        }
    }

    fn on_crash(&mut self) {
        // What it heard is volatile; its value and decision are durable.
        self.heard.clear();
    }
}

// ---- checker.rs: agreement and validity, trusting nothing ---------------------------------------

#[derive(Clone, Default)]
struct ToyChecker {
    started: Vec<u64>,
    decisions: BTreeMap<NodeId, u64>,
    first_decision: Option<Tick>,
}

impl Checker<ToyNote> for ToyChecker {
    fn observe(&mut self, tick: Tick, node: NodeId, note: &ToyNote, out: &mut Vec<Violation>) {
        match *note {
            ToyNote::Started { value } => self.started.push(value),
            ToyNote::Decided { value } => {
                if let Some((other, theirs)) = self.decisions.iter().find(|(_, v)| **v != value) {
                    out.push(Violation {
                        tick,
                        kind: "agreement".into(),
                        detail: format!("node {node} decided {value} but node {other} {theirs}"),
                    });
                }
                if !self.started.contains(&value) {
                    out.push(Violation {
                        tick,
                        kind: "validity".into(),
                        detail: format!("node {node} decided {value}, nobody's value"),
                    });
                }
                self.decisions.insert(node, value);
                self.first_decision.get_or_insert(tick);
            }
        }
    }
}

// ---- view.rs: what the player sees -------------------------------------------------------------

fn node_view(sim: &ProtocolEngine<Toy>, id: NodeId) -> NodeView {
    let node = &sim.actors()[id];
    let mut view = base_view(sim, id, format!("node {id}"), colour_letter(id).into(), id);
    view.value = Some(node.value);
    view.done = node.decided.map(|v| ("DECIDED", v.to_string()));
    view.status = vec![format!("heard {}/{}", node.heard.len(), node.cluster - 1)];
    view
}

// ---- mod.rs: the plug-in -----------------------------------------------------------------------

struct Toy;

const TOY: Mode = Mode::of(&Toy);

const KNOBS: &[Knob] = &[Knob {
    field: "nodes",
    label: "Nodes",
    range: 2..=9,
    default: 3,
    unit: "",
    slider: Some(2..=9),
    in_link: true,
}];

const VARIANTS: &[Variant] = &[Variant {
    name: "selfish",
    what: "every node decides its own value without listening",
}];

const INFO: Info = Info {
    name: "toy-broadcast",
    title: "Broadcast",
    pitch: "Everyone tells everyone its number and takes the smallest. Try to stop them.",
    knobs: KNOBS,
    size_knob: "nodes",
    variants: VARIANTS,
    chaos_faults: &[ChaosFault::Crash, ChaosFault::Cut, ChaosFault::DropNext],
};

impl Protocol for Toy {
    fn info(&self) -> &'static Info {
        &INFO
    }
    /// Everyone hears from everyone in the end, so all but one may be down at once.
    fn max_down(&self, setup: &Setup) -> usize {
        self.cluster_size(setup) - 1
    }
    fn cheat_sheet(&self) -> CheatSheet {
        CheatSheet {
            intro: None,
            rows: &[("v=N", "a node's number, sent to everyone")],
        }
    }
}

impl Model for Toy {
    type Actor = ToyNode;
    type Checker = ToyChecker;

    fn build(setup: &Setup) -> (Vec<ToyNode>, ToyChecker) {
        let cluster = Toy.cluster_size(setup);
        let nodes = (0..cluster)
            .map(|id| ToyNode {
                id,
                cluster,
                selfish: setup.broken == Some("selfish"),
                // Distinct, seed-dependent numbers.
                value: (setup.seed + 7 * id as u64) % 100,
                heard: BTreeMap::new(),
                decided: None,
            })
            .collect();
        (nodes, ToyChecker::default())
    }
    fn finished(sim: &ProtocolEngine<Self>) -> bool {
        sim.checker().decisions.len() == sim.actors().len()
    }
    fn won_at(sim: &ProtocolEngine<Self>) -> Option<Tick> {
        sim.checker().first_decision
    }
    fn summarize(sim: &ProtocolEngine<Self>, summary: &mut Summary) {
        let checker = sim.checker();
        summary.decided = checker.first_decision.is_some();
        summary.decision_tick = checker.first_decision;
        summary.value = checker.decisions.values().next().map(u64::to_string);
    }
    fn node_view(sim: &ProtocolEngine<Self>, _setup: &Setup, node: NodeId) -> NodeView {
        node_view(sim, node)
    }
    fn message_look(_setup: &Setup, message: &InFlight<Value>) -> MessageLook {
        MessageLook {
            label: format!("v={}", message.msg.0),
            colour: message.from,
            shape: MessageShape::Round,
            light: false,
        }
    }
    fn note_text(note: &ToyNote) -> Option<String> {
        match note {
            ToyNote::Started { .. } => None,
            ToyNote::Decided { value } => Some(format!("decides {value}")),
        }
    }
    fn checks(sim: &ProtocolEngine<Self>, _setup: &Setup) -> Checks {
        Checks {
            heading: "Safety",
            lines: vec![CheckLine::property(
                !caught(sim.violations(), "agreement"),
                "Agreement: everyone decides the same number",
            )],
            gauge: None,
        }
    }
    fn results(sim: &ProtocolEngine<Self>, _setup: &Setup, outcome: &Outcome) -> ResultsView {
        ResultsView {
            title: "Decided",
            headline: format!(
                "Everyone took {:?}",
                sim.checker().decisions.values().next()
            ),
            headline_colour: None,
            lines: vec![format!("after {}", seconds(outcome.tick))],
            verdict: None,
            why: "Why: everyone heard the same numbers.",
        }
    }
}

// ---- the tests: the generic machinery runs the new protocol ------------------------------------

fn setup(seed: u64, nodes: u64) -> Setup {
    let mut setup = Setup::for_mode(TOY);
    setup.seed = seed;
    setup.set_knob("nodes", nodes).unwrap();
    setup
}

#[test]
fn a_fault_free_run_decides_the_smallest_value_everywhere() {
    let setup = setup(42, 4);
    let (summary, simulation) = run(&setup, true);
    assert!(
        summary.decided && summary.violations.is_empty(),
        "{summary:?}"
    );
    let smallest = (0..4).map(|id| (42 + 7 * id) % 100).min().unwrap();
    assert_eq!(summary.value, Some(smallest.to_string()));
    assert!(simulation.engine().finished());
    let views = simulation.engine().node_views(&setup);
    assert_eq!(views.len(), 4);
    assert!(
        views
            .iter()
            .all(|v| v.done == Some(("DECIDED", smallest.to_string())))
    );
    let log = simulation.engine().log_lines(&setup, 0);
    assert_eq!(log.iter().filter(|l| l.text.contains("decides")).count(), 4);
}

#[test]
fn chaos_and_player_attacks_reach_it_and_it_stays_safe() {
    for seed in 0..200 {
        let chaotic = chaos::with_chaos(&setup(seed, 3));
        assert!(chaotic.validate().is_ok());
        let (summary, _) = run(&chaotic, false);
        assert!(summary.violations.is_empty(), "seed {seed}: {summary:?}");
        assert!(summary.decided, "seed {seed} never decided");
    }
    // A kill through the same path the game's attacks take, refused past `max_down`.
    let setup = setup(1, 3);
    let mut simulation = Simulation::new(&setup, true);
    simulation.apply(Action::Kill { node: 0 }).unwrap();
    simulation.apply(Action::Kill { node: 1 }).unwrap();
    assert!(simulation.apply(Action::Kill { node: 2 }).is_err());
    simulation.run_until(1_000);
    let views = simulation.engine().node_views(&setup);
    assert!(
        views[0].down && views[0].done.is_none(),
        "a down node handles nothing"
    );
    assert!(!simulation.engine().finished());
}

#[test]
fn the_broken_variant_is_caught_by_its_checker() {
    let mut broken = setup(3, 3);
    broken.broken = Some("selfish");
    assert!(broken.validate().is_ok());
    let (summary, _) = run(&broken, false);
    assert!(
        summary.violations.iter().any(|v| v.kind == "agreement"),
        "{summary:?}"
    );
}

#[test]
fn its_settings_are_validated_like_any_protocol() {
    let mut too_big = setup(1, 3);
    too_big.set_knob("nodes", 12).unwrap();
    assert_eq!(
        too_big.validate().unwrap_err().to_string(),
        "field `nodes`: 12 is outside 2..=9"
    );
    assert!(too_big.set_knob("servers", 3).is_err());
    let mut unknown = setup(1, 3);
    unknown.broken = Some("amnesia");
    assert!(unknown.validate().is_err());
}
