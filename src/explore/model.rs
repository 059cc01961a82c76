//! The model the checker explores: stateright's [`ActorModel`] of our actors (its network, timers,
//! crashes and storage), with our protocol's checker riding along in every state.
//!
//! An `ActorModel`'s history only sees messages, while our checkers watch the notes handlers emit
//! (votes, decisions, value changes). So this thin wrapper takes each step from the actor model,
//! then feeds the notes of that step to the checker in the order they were emitted, exactly as the
//! simulator does. A state with a violation has no successors: breadth-first search then reports
//! the shortest path to it.
//!
//! Two states the protocol cannot tell apart are searched once: a crashed node is only its durable
//! state until it recovers (stateright keeps its last state around, unused), a live node's saved
//! crash image follows from its state, the last message a duplicating network delivered is
//! forgotten, and a protocol may leave out fields that only time its timers
//! ([`Explorable::hash_for_search`]).

use std::hash::{Hash, Hasher};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use stateright::actor::{ActorModel, ActorModelAction, ActorModelState, Network};
use stateright::{Model, Property};

use super::adapter::Explored;
use super::budget::Budget;
use super::{CheckOptions, Explorable};
use crate::sim::{Actor, Checker, Violation};

/// The name of the property that holds when the checker reports nothing.
pub const SAFETY: &str = "safety";

/// A property that fails once the search is out of budget, only so that stateright's threads
/// stop at their next block (`finish_when` any failure) rather than drain every queued state;
/// the report reads the budget's reason instead.
pub const BUDGET: &str = "within budget";

/// A state of the explored system: the actor model's state, the checker that has seen every note
/// so far, and what it reported.
pub struct ExploreState<P: Explorable> {
    pub system: ActorModelState<Explored<P::Actor>>,
    /// Shared between states until a note changes it: most steps note nothing.
    pub checker: Arc<P::Checker>,
    pub violations: Vec<Violation>,
}

impl<P: Explorable> Clone for ExploreState<P> {
    fn clone(&self) -> Self {
        ExploreState {
            system: self.system.clone(),
            checker: self.checker.clone(),
            violations: self.violations.clone(),
        }
    }
}

impl<P: Explorable> std::fmt::Debug for ExploreState<P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExploreState")
            .field("system", &self.system)
            .field("checker", &self.checker)
            .field("violations", &self.violations)
            .finish()
    }
}

impl<P: Explorable> PartialEq for ExploreState<P> {
    fn eq(&self, other: &Self) -> bool {
        self.system == other.system
            && self.checker == other.checker
            && self.violations == other.violations
    }
}

/// What the search tells states apart by (see the module's notes).
impl<P: Explorable> Hash for ExploreState<P> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        let system = &self.system;
        for (node, actor) in system.actor_states.iter().enumerate() {
            if system.crashed[node] {
                true.hash(state);
                system.actor_storages[node].hash(state);
            } else {
                false.hash(state);
                // Notes are handed to the checker at once, so between steps there are none.
                P::hash_for_search(&actor.actor, state);
            }
        }
        match &system.network {
            // Stateright remembers the last message a duplicating network delivered, which
            // changes nothing that can happen next.
            Network::UnorderedDuplicating(messages, _last) => messages.hash(state),
            network => network.hash(state),
        }
        system.timers_set.hash(state);
        self.checker.hash(state);
        for violation in &self.violations {
            violation.kind.hash(state);
            violation.detail.hash(state);
        }
    }
}

/// A step of the explored system: a delivery, a loss, a timer, a crash or a recovery.
pub type Step<A> = ActorModelAction<
    <A as Actor>::Msg,
    <A as Actor>::Timer,
    <Explored<A> as stateright::actor::Actor>::Random,
>;

/// Protocol `P`'s cluster as a model for stateright's checkers.
pub struct Exploration<P: Explorable> {
    pub system: ActorModel<Explored<P::Actor>>,
    /// A fresh checker, cloned into the initial state.
    pub checker: P::Checker,
    pub options: CheckOptions,
    /// Which nodes may crash (ec-counter clients may not, as in the game).
    pub attackable: Vec<bool>,
    /// The time, memory and states the search may spend (stateright's own timeout only applies
    /// between threads), and why it stopped early if it did.
    pub budget: Budget,
    /// Set when the search meets its first violation. Stateright keeps the last discovery it
    /// records, so later ones (deeper, in breadth-first order) are not reported.
    pub violated: AtomicBool,
}

impl<P: Explorable> Exploration<P> {
    /// Hands the notes each node emitted in the last step to the checker, in order.
    fn observe(&self, mut state: ExploreState<P>) -> ExploreState<P> {
        for node in 0..state.system.actor_states.len() {
            if state.system.actor_states[node].notes.is_empty() {
                continue;
            }
            let notes =
                std::mem::take(&mut Arc::make_mut(&mut state.system.actor_states[node]).notes);
            let checker = Arc::make_mut(&mut state.checker);
            for note in &notes {
                checker.observe(0, node, note, &mut state.violations);
            }
        }
        state
    }
}

impl<P: Explorable> Model for Exploration<P> {
    type State = ExploreState<P>;
    type Action = Step<P::Actor>;

    fn init_states(&self) -> Vec<Self::State> {
        self.system
            .init_states()
            .into_iter()
            .map(|system| {
                self.observe(ExploreState {
                    system,
                    checker: Arc::new(self.checker.clone()),
                    violations: Vec::new(),
                })
            })
            .collect()
    }

    fn actions(&self, state: &Self::State, actions: &mut Vec<Self::Action>) {
        // Once out of budget the queued states are only drained, not expanded: expanding them
        // (millions, in breadth-first search) is what made a timeout overshoot several times.
        if state.violations.is_empty() && !self.budget.draining() {
            self.system.actions(&state.system, actions);
        }
    }

    fn next_state(&self, last: &Self::State, action: Self::Action) -> Option<Self::State> {
        let system = self.system.next_state(&last.system, action)?;
        Some(self.observe(ExploreState {
            system,
            checker: last.checker.clone(),
            violations: last.violations.clone(),
        }))
    }

    fn within_boundary(&self, state: &Self::State) -> bool {
        // Past the deadline, over the state limit or the memory budget, or interrupted: from
        // then on every new state is out of bounds, so the search drains and ends.
        if self.budget.spend_one() {
            return false;
        }
        let crashes_allowed = state
            .system
            .crashed
            .iter()
            .zip(&self.attackable)
            .all(|(crashed, attackable)| !crashed || *attackable);
        crashes_allowed
            && state
                .system
                .actor_states
                .iter()
                .all(|node| P::within_bounds(&node.actor, &self.options))
    }

    fn properties(&self) -> Vec<Property<Self>> {
        vec![
            Property::always(SAFETY, |model: &Self, state: &Self::State| {
                state.violations.is_empty() || model.violated.swap(true, Ordering::Relaxed)
            }),
            Property::sometimes(P::PROGRESS, |_, state: &Self::State| {
                P::progress(&state.checker)
            }),
            Property::always(BUDGET, |model: &Self, _| !model.budget.exhausted()),
        ]
    }
}
