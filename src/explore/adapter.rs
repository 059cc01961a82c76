//! Our actors as stateright actors: the handlers the game runs, driven by the model checker.
//!
//! Each effect a handler pushes into its [`Cx`] becomes a stateright command: a send is a send, a
//! timer is armed or cancelled (its duration is ignored: the checker may fire any armed timer at
//! any moment), and a note is kept in the node's state until the model hands it to the checker.
//! Durable state is stateright's storage: after every change the node saves its crash image (a
//! copy that has been through `on_crash`), and a node that recovers starts from that image, as in
//! the simulator, where `kill` calls `on_crash` and `recover` calls `on_start`.

use std::borrow::Cow;
use std::hash::Hash;

use stateright::actor::{Actor as StaterightActor, Id, Out, model_timeout};

use super::ExplorableActor;
use crate::sim::{Cx, Effect, NodeId, SimRng};

/// One of our actors as a stateright actor. Node `id` starts as `initial`; `seed` seeds the
/// numbers its handlers draw (from their state, as in a scripted run: [`SimRng::for_state`]).
#[derive(Clone, Debug)]
pub struct Explored<A> {
    pub initial: A,
    pub seed: u64,
}

/// A node's state in the model: our actor, and the notes its last handler emitted (the model
/// feeds them to the checker and clears them, so between steps this is always empty).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct NodeState<A: ExplorableActor> {
    pub actor: A,
    pub notes: Vec<A::Note>,
}

impl<A: ExplorableActor> Explored<A> {
    /// Runs one handler of node `me` and returns the effects it pushed.
    pub fn run(
        &self,
        me: NodeId,
        actor: &mut A,
        handler: impl FnOnce(&mut A, &mut Cx<'_, A>),
    ) -> Vec<Effect<A>> {
        let mut rng = SimRng::for_state(self.seed, me, actor);
        let mut effects = Vec::new();
        handler(actor, &mut Cx::detached(me, 0, &mut rng, &mut effects));
        effects
    }

    /// The state a crashed node restarts from.
    pub fn crash_image(actor: &A) -> A {
        let mut image = actor.clone();
        image.on_crash();
        image
    }

    /// Turns effects into stateright commands, keeping the notes in the node's state.
    fn emit(effects: Vec<Effect<A>>, node: &mut NodeState<A>, out: &mut Out<Self>) {
        for effect in effects {
            match effect {
                Effect::Send { to, msg } => out.send(Id::from(to), msg),
                Effect::SetTimer { timer, .. } => out.set_timer(timer, model_timeout()),
                Effect::CancelTimer { timer } => out.cancel_timer(timer),
                Effect::Note(note) => node.notes.push(note),
            }
        }
    }

    /// Runs a handler on a node's state, replacing it only if something changed (stateright
    /// skips steps that change nothing and send nothing).
    fn step(
        &self,
        id: Id,
        state: &mut Cow<NodeState<A>>,
        out: &mut Out<Self>,
        handler: impl FnOnce(&mut A, &mut Cx<'_, A>),
    ) {
        let mut node = NodeState {
            actor: state.actor.clone(),
            notes: Vec::new(),
        };
        let effects = self.run(usize::from(id), &mut node.actor, handler);
        Self::emit(effects, &mut node, out);
        let changed = node.actor != state.actor;
        if changed {
            out.save(Self::crash_image(&node.actor));
        }
        if changed || !node.notes.is_empty() {
            *state = Cow::Owned(node);
        }
    }
}

impl<A: ExplorableActor> StaterightActor for Explored<A> {
    type Msg = A::Msg;
    type Timer = A::Timer;
    type State = NodeState<A>;
    /// The crash image of the node's last state.
    type Storage = A;
    type Random = ();

    fn on_start(&self, id: Id, storage: &Option<A>, out: &mut Out<Self>) -> NodeState<A> {
        let mut node = NodeState {
            actor: storage.clone().unwrap_or_else(|| self.initial.clone()),
            notes: Vec::new(),
        };
        let effects = self.run(usize::from(id), &mut node.actor, |actor, cx| {
            actor.on_start(cx)
        });
        Self::emit(effects, &mut node, out);
        out.save(Self::crash_image(&node.actor));
        node
    }

    fn on_msg(
        &self,
        id: Id,
        state: &mut Cow<NodeState<A>>,
        src: Id,
        msg: A::Msg,
        out: &mut Out<Self>,
    ) {
        self.step(id, state, out, |actor, cx| {
            actor.on_message(usize::from(src), msg, cx)
        });
    }

    fn on_timeout(
        &self,
        id: Id,
        state: &mut Cow<NodeState<A>>,
        timer: &A::Timer,
        out: &mut Out<Self>,
    ) {
        self.step(id, state, out, |actor, cx| {
            actor.on_timer(timer.clone(), cx)
        });
    }
}
