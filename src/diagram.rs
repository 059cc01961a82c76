//! The space-time (Lamport) diagram as plain data: one lane per node, every message an arrow from
//! (sender, send time) to (receiver, arrival time), the intervals a node spent down, slowed or cut
//! off, and the protocol's milestones. It is built from the trace alone, entry by entry, so the
//! game keeps it up to date cheaply and rebuilds it exactly after a rewind.

use std::collections::HashMap;

use crate::sim::{Action, DropReason, Faults, MsgId, NodeId, Tick};
use crate::view::{MessageLook, Place};

/// One trace entry as the diagram needs it, protocol-neutral (see
/// [`AnyEngine::diagram_entries`](crate::protocol::AnyEngine::diagram_entries)).
#[derive(Clone, Debug, PartialEq)]
pub enum Entry {
    Sent {
        id: MsgId,
        from: NodeId,
        to: NodeId,
        arrives: Tick,
        look: MessageLook,
    },
    /// The network copied message `of`.
    Copied {
        id: MsgId,
        of: MsgId,
        from: NodeId,
        to: NodeId,
        arrives: Tick,
    },
    Delivered {
        id: MsgId,
    },
    Lost {
        id: MsgId,
        reason: DropReason,
    },
    /// An action applied (the player's, a scenario's or an automatic heal).
    Action(Action),
    /// A protocol milestone on a node's lane.
    Mark {
        node: NodeId,
        kind: MarkKind,
        text: String,
    },
    Violation(String),
}

/// A trace entry and its tick.
#[derive(Clone, Debug, PartialEq)]
pub struct Stamped {
    pub tick: Tick,
    pub entry: Entry,
}

/// What a milestone on a lane is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MarkKind {
    /// A node started a ballot (Paxos).
    Ballot,
    /// A node promised a ballot (Paxos).
    Promise,
    /// A node accepted a value (Paxos).
    Accept,
    /// A node decided (Paxos).
    Decide,
    /// A server's value changed to this (ec-counter).
    Value(u64),
    /// Every server holds the same value again (ec-counter; the diagram works it out).
    Converged,
    /// A client finished its requests (ec-counter).
    Done,
    /// A checker caught a violation.
    Violation,
}

/// How a message ended, so far.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fate {
    InFlight,
    Delivered(Tick),
    Lost(Tick, DropReason),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Arrow {
    pub id: MsgId,
    pub from: NodeId,
    pub to: NodeId,
    pub sent: Tick,
    /// When it reaches (or would reach) the receiver's lane.
    pub arrives: Tick,
    pub fate: Fate,
    pub look: MessageLook,
    /// The message this one is a network copy of.
    pub copy_of: Option<MsgId>,
}

impl Arrow {
    /// Where the arrow's head is at `tick`: (tick, fraction of the way from the sender's lane to
    /// the receiver's). In flight it stops at `tick`; delivered or lost, where it ended.
    pub fn head(&self, tick: Tick) -> (Tick, f32) {
        let end = match self.fate {
            Fate::InFlight => tick,
            Fate::Delivered(at) | Fate::Lost(at, _) => at.min(tick),
        }
        .max(self.sent);
        (end, self.fraction(end))
    }

    fn fraction(&self, tick: Tick) -> f32 {
        if self.arrives <= self.sent {
            return 1.0;
        }
        ((tick - self.sent) as f64 / (self.arrives - self.sent) as f64).clamp(0.0, 1.0) as f32
    }

    /// Whether the arrow exists at `tick` (it was sent by then).
    pub fn started_by(&self, tick: Tick) -> bool {
        self.sent <= tick
    }
}

/// An interval a node spent in some fault.
#[derive(Clone, Debug, PartialEq)]
pub struct Span {
    pub node: NodeId,
    pub kind: SpanKind,
    pub from: Tick,
    /// None while it lasts.
    pub until: Option<Tick>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum SpanKind {
    Down,
    Slow(u32),
    /// Links to these nodes are cut (either way), by cuts or a partition.
    CutOff(Vec<NodeId>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Mark {
    pub tick: Tick,
    /// None for marks across the cluster (convergence, violations).
    pub node: Option<NodeId>,
    pub kind: MarkKind,
    pub text: String,
}

/// The diagram of a run so far.
#[derive(Clone, Debug)]
pub struct Diagram {
    pub lanes: usize,
    pub arrows: Vec<Arrow>,
    pub spans: Vec<Span>,
    pub marks: Vec<Mark>,
    /// Trace entries read so far: the next [`Diagram::extend`] starts there.
    pub read: usize,
    /// The latest tick seen.
    pub last_tick: Tick,
    arrow_of: HashMap<MsgId, usize>,
    faults: Faults,
    /// The span of each (node, kind of fault) that is still open.
    open_down: Vec<Option<usize>>,
    open_slow: Vec<Option<usize>>,
    open_cut: Vec<Option<usize>>,
    /// The value of each lane that holds one (counter servers), to spot convergence.
    values: Vec<Option<u64>>,
}

impl Diagram {
    /// An empty diagram of `lanes` nodes placed at `places` (a setup's `cluster_size()` and
    /// `mode.layout(..)`): it takes these, not a setup, so that it sits below the contract.
    pub fn new(lanes: usize, places: &[Place]) -> Diagram {
        Diagram {
            lanes,
            arrows: Vec::new(),
            spans: Vec::new(),
            marks: Vec::new(),
            read: 0,
            last_tick: 0,
            arrow_of: HashMap::new(),
            faults: Faults::new(lanes),
            open_down: vec![None; lanes],
            open_slow: vec![None; lanes],
            open_cut: vec![None; lanes],
            // Servers all start at 0.
            values: places.iter().map(|p| p.shows_value.then_some(0)).collect(),
        }
    }

    /// Adds entries that follow the ones read so far.
    pub fn extend(&mut self, entries: impl IntoIterator<Item = Stamped>, read_up_to: usize) {
        for stamped in entries {
            self.add(stamped);
        }
        self.read = read_up_to;
    }

    fn add(&mut self, Stamped { tick, entry }: Stamped) {
        self.last_tick = self.last_tick.max(tick);
        match entry {
            Entry::Sent {
                id,
                from,
                to,
                arrives,
                look,
            } => self.arrow(Arrow {
                id,
                from,
                to,
                sent: tick,
                arrives,
                fate: Fate::InFlight,
                look,
                copy_of: None,
            }),
            // A copy travels the original's link and looks like it.
            Entry::Copied {
                id, of, arrives, ..
            } => {
                if let Some(&original) = self.arrow_of.get(&of) {
                    let copy = Arrow {
                        id,
                        sent: tick,
                        arrives,
                        fate: Fate::InFlight,
                        copy_of: Some(of),
                        ..self.arrows[original].clone()
                    };
                    self.arrow(copy);
                }
            }
            Entry::Delivered { id } => {
                if let Some(&i) = self.arrow_of.get(&id) {
                    self.arrows[i].fate = Fate::Delivered(tick);
                }
            }
            Entry::Lost { id, reason } => {
                if let Some(&i) = self.arrow_of.get(&id) {
                    let arrow = &mut self.arrows[i];
                    // A message doomed by `drop_next` dies halfway, at what its send called its
                    // arrival: its line keeps the slope of a whole hop.
                    if reason == DropReason::Player && tick >= arrow.arrives && tick > arrow.sent {
                        arrow.arrives = arrow.sent + (tick - arrow.sent) * 2;
                    }
                    arrow.fate = Fate::Lost(tick, reason);
                }
            }
            Entry::Action(action) => {
                self.faults.apply(&action);
                self.update_spans(tick);
            }
            Entry::Mark { node, kind, text } => {
                if let MarkKind::Value(value) = kind {
                    self.value_changed(tick, node, value);
                }
                self.marks.push(Mark {
                    tick,
                    node: Some(node),
                    kind,
                    text,
                });
            }
            Entry::Violation(text) => self.marks.push(Mark {
                tick,
                node: None,
                kind: MarkKind::Violation,
                text,
            }),
        }
    }

    fn arrow(&mut self, arrow: Arrow) {
        self.arrow_of.insert(arrow.id, self.arrows.len());
        self.arrows.push(arrow);
    }

    /// The arrow of message `id`, if it was sent.
    pub fn arrow_of(&self, id: MsgId) -> Option<&Arrow> {
        self.arrow_of.get(&id).map(|&i| &self.arrows[i])
    }

    /// Closes and opens fault spans to match the faults after an action.
    fn update_spans(&mut self, tick: Tick) {
        for node in 0..self.lanes {
            let down = self.faults.is_down(node);
            let slow = self.faults.slow_factor(node);
            let cut_off: Vec<NodeId> = (0..self.lanes)
                .filter(|&other| {
                    other != node
                        && (!self.faults.link_open(node, other)
                            || !self.faults.link_open(other, node))
                })
                .collect();
            let wanted = [
                down.then_some(SpanKind::Down),
                (slow > 1).then_some(SpanKind::Slow(slow)),
                (!cut_off.is_empty()).then_some(SpanKind::CutOff(cut_off)),
            ];
            for (slot, wanted) in wanted.into_iter().enumerate() {
                let open = match slot {
                    0 => &mut self.open_down[node],
                    1 => &mut self.open_slow[node],
                    _ => &mut self.open_cut[node],
                };
                let current = open.map(|i| &self.spans[i].kind);
                if current == wanted.as_ref() {
                    continue;
                }
                if let Some(i) = open.take() {
                    self.spans[i].until = Some(tick);
                }
                if let Some(kind) = wanted {
                    *open = Some(self.spans.len());
                    self.spans.push(Span {
                        node,
                        kind,
                        from: tick,
                        until: None,
                    });
                }
            }
        }
    }

    fn value_changed(&mut self, tick: Tick, node: NodeId, value: u64) {
        let agreed_before = self.agreed_value().is_some();
        if let Some(slot) = self.values.get_mut(node) {
            *slot = Some(value);
        }
        if let (false, Some(value)) = (agreed_before, self.agreed_value()) {
            self.marks.push(Mark {
                tick,
                node: None,
                kind: MarkKind::Converged,
                text: format!("converged: every server holds {value}"),
            });
        }
    }

    /// The value every lane that holds one agrees on, if they all agree.
    fn agreed_value(&self) -> Option<u64> {
        let mut held = self.values.iter().flatten();
        let first = *held.next()?;
        held.all(|v| *v == first).then_some(first)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::Setup;
    use crate::protocols::{ec_counter, paxos};
    use crate::round::{Attack, Round};

    fn built(round: &Round) -> Diagram {
        let mut diagram = round.setup.empty_diagram();
        let len = round.simulation.engine().trace_len();
        diagram.extend(
            round.simulation.engine().diagram_entries(&round.setup, 0),
            len,
        );
        diagram
    }

    #[test]
    fn every_message_is_an_arrow_that_ends_where_the_trace_says() {
        let mut round = Round::new(Setup::for_mode(paxos::MODE));
        round.advance(3_000);
        let diagram = built(&round);
        let stats = round.simulation.engine().stats();
        assert_eq!(diagram.arrows.len() as u64, stats.sent);
        let delivered = diagram
            .arrows
            .iter()
            .filter(|a| matches!(a.fate, Fate::Delivered(_)))
            .count();
        assert_eq!(delivered as u64, stats.delivered);
        for arrow in &diagram.arrows {
            assert!(arrow.arrives >= arrow.sent);
            if let Fate::Delivered(at) = arrow.fate {
                assert_eq!(at, arrow.arrives, "delivered when it was due");
                assert_eq!(arrow.head(u64::MAX), (at, 1.0));
            }
        }
        assert!(diagram.marks.iter().any(|m| m.kind == MarkKind::Ballot));
        assert!(diagram.marks.iter().any(|m| m.kind == MarkKind::Promise));
        assert!(diagram.marks.iter().any(|m| m.kind == MarkKind::Decide));
    }

    #[test]
    fn built_in_pieces_equals_built_at_once() {
        let mut round = Round::new(Setup::for_mode(paxos::MODE));
        let mut pieces = round.setup.empty_diagram();
        for _ in 0..40 {
            round.advance(50);
            let from = pieces.read;
            let len = round.simulation.engine().trace_len();
            pieces.extend(
                round
                    .simulation
                    .engine()
                    .diagram_entries(&round.setup, from),
                len,
            );
        }
        let whole = built(&round);
        assert_eq!(pieces.arrows, whole.arrows);
        assert_eq!(pieces.marks, whole.marks);
    }

    #[test]
    fn faults_become_spans_on_the_lanes() {
        let mut round = Round::new(Setup::for_mode(paxos::MODE));
        round.advance(100);
        round.attack(Attack::ToggleDown(1)).unwrap();
        round.attack(Attack::Slow(2, true)).unwrap();
        round.advance(200);
        round.attack(Attack::ToggleDown(1)).unwrap();
        round.attack(Attack::Isolate(0)).unwrap();
        round.advance(50);
        let diagram = built(&round);
        let span = |node, want: fn(&SpanKind) -> bool| {
            diagram
                .spans
                .iter()
                .filter(|s| s.node == node && want(&s.kind))
                .map(|s| (s.from, s.until))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            span(1, |k| *k == SpanKind::Down),
            vec![(100, Some(300))],
            "down from the kill to the recovery"
        );
        assert_eq!(span(2, |k| *k == SpanKind::Slow(4)), vec![(100, None)]);
        assert_eq!(
            diagram
                .spans
                .iter()
                .find(|s| s.node == 0 && matches!(s.kind, SpanKind::CutOff(_)))
                .map(|s| (&s.kind, s.from)),
            Some((&SpanKind::CutOff(vec![1, 2]), 300)),
            "isolated from both others"
        );
        assert_eq!(
            span(1, |k| matches!(k, SpanKind::CutOff(_))),
            vec![(300, None)],
            "the others are cut off from the isolated node"
        );
    }

    #[test]
    fn lost_and_copied_messages_are_marked() {
        let mut round = Round::new(Setup::for_mode(paxos::MODE));
        while round.simulation.engine().in_flight_count() < 2 {
            round.step();
        }
        let views = round
            .simulation
            .engine()
            .message_views(&round.setup, round.now() as f64);
        round.attack(Attack::Drop(views[0].id)).unwrap();
        round.attack(Attack::Duplicate(views[1].id)).unwrap();
        round.advance(2_000);
        let diagram = built(&round);
        let dropped = diagram.arrow_of(views[0].id).unwrap();
        assert!(matches!(dropped.fate, Fate::Lost(_, DropReason::Player)));
        let copy = diagram
            .arrows
            .iter()
            .find(|a| a.copy_of == Some(views[1].id))
            .expect("the copy is an arrow");
        assert_eq!(copy.look, diagram.arrow_of(views[1].id).unwrap().look);
        assert!(copy.arrives > diagram.arrow_of(views[1].id).unwrap().arrives);
    }

    #[test]
    fn counter_servers_converging_is_marked() {
        let mut setup = Setup::for_mode(ec_counter::MODE);
        setup.set_knob("requests", 10).unwrap();
        let mut round = Round::new(setup);
        round.attack(Attack::Isolate(0)).unwrap();
        while round.outcome.is_none() && round.now() < 100_000 {
            round.advance(100);
        }
        let diagram = built(&round);
        assert!(
            diagram
                .marks
                .iter()
                .any(|m| matches!(m.kind, MarkKind::Value(_)))
        );
        let last = diagram
            .marks
            .iter()
            .rfind(|m| m.kind == MarkKind::Converged)
            .expect("the servers converge at the end");
        let values: Vec<u64> = round
            .simulation
            .engine()
            .node_views(&round.setup)
            .iter()
            .filter_map(|v| v.value)
            .collect();
        assert!(last.text.ends_with(&values[0].to_string()), "{}", last.text);
    }
}
