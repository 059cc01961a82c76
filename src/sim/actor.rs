//! The actor API: what one node's protocol logic implements ([`Actor`]) and the context it
//! handles an input in ([`Cx`]), pushing effects the simulator (or the model checker) applies.

use std::fmt::Debug;
use std::hash::Hash;

use serde::Serialize;

use super::{NodeId, SimRng, Tick};

/// One node's protocol logic. Plain data (`Send + Sync`), so a running simulation can live in
/// the game's ECS, and `Hash`, so that scripted runs and the model checker can seed a handler's
/// random numbers from the node's state ([`SimRng::for_state`]).
pub trait Actor: Clone + Debug + Hash + Send + Sync {
    type Msg: Clone + Debug + Serialize + Send + Sync;
    type Timer: Clone + PartialEq + Debug + Serialize + Send + Sync;
    /// What the node reports for the checkers and the trace (votes, decisions, value changes).
    type Note: Clone + Debug + Serialize + Send + Sync;

    /// The node starts, at time zero or when it recovers after a crash.
    fn on_start(&mut self, cx: &mut Cx<'_, Self>);
    fn on_message(&mut self, from: NodeId, msg: Self::Msg, cx: &mut Cx<'_, Self>);
    fn on_timer(&mut self, timer: Self::Timer, cx: &mut Cx<'_, Self>);
    /// The node crashes: it must forget its volatile state and keep its durable state.
    fn on_crash(&mut self);
    /// ec-counter clients stop or resume issuing requests; other actors ignore it.
    fn on_pause(&mut self, _paused: bool, _cx: &mut Cx<'_, Self>) {}
    /// Whether the player may submit a client command here ([`Actor::on_submit`]); no node does
    /// unless its protocol says so.
    fn takes_commands(&self) -> bool {
        false
    }
    /// The player submits a client command here (a node that [takes commands](Self::takes_commands)
    /// and is up), to be handled as a client's would.
    fn on_submit(&mut self, _cx: &mut Cx<'_, Self>) {}
    /// Whether the player may kill or slow this node (ec-counter clients are not targets).
    fn attackable(&self) -> bool {
        true
    }
}

/// What an actor may do while handling an input.
pub enum Effect<A: Actor> {
    Send { to: NodeId, msg: A::Msg },
    SetTimer { timer: A::Timer, after: Tick },
    CancelTimer { timer: A::Timer },
    Note(A::Note),
}

/// The messages among `effects`, with their receivers, in order (what handler tests read).
pub fn sent<A: Actor>(effects: &[Effect<A>]) -> Vec<(NodeId, A::Msg)> {
    effects
        .iter()
        .filter_map(|effect| match effect {
            Effect::Send { to, msg } => Some((*to, msg.clone())),
            _ => None,
        })
        .collect()
}

/// The notes among `effects`, in order.
pub fn notes<A: Actor>(effects: &[Effect<A>]) -> Vec<A::Note> {
    effects
        .iter()
        .filter_map(|effect| match effect {
            Effect::Note(note) => Some(note.clone()),
            _ => None,
        })
        .collect()
}

/// An actor's view of the world while it handles one input.
pub struct Cx<'a, A: Actor> {
    pub me: NodeId,
    pub now: Tick,
    pub rng: &'a mut SimRng,
    pub(super) effects: &'a mut Vec<Effect<A>>,
}

impl<A: Actor> Cx<'_, A> {
    pub fn send(&mut self, to: NodeId, msg: A::Msg) {
        self.effects.push(Effect::Send { to, msg });
    }

    /// Arms `timer` to fire `after` ticks from now, replacing the same timer if already armed.
    pub fn set_timer(&mut self, timer: A::Timer, after: Tick) {
        self.effects.push(Effect::SetTimer { timer, after });
    }

    pub fn cancel_timer(&mut self, timer: A::Timer) {
        self.effects.push(Effect::CancelTimer { timer });
    }

    pub fn note(&mut self, note: A::Note) {
        self.effects.push(Effect::Note(note));
    }
}

impl<'a, A: Actor> Cx<'a, A> {
    /// A context outside any simulator: for testing one actor's handlers, and for the model
    /// checker, which runs them itself.
    pub fn detached(
        me: NodeId,
        now: Tick,
        rng: &'a mut SimRng,
        effects: &'a mut Vec<Effect<A>>,
    ) -> Self {
        Cx {
            me,
            now,
            rng,
            effects,
        }
    }
}
