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
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use stateright::actor::{ActorModel, ActorModelAction, ActorModelState, Network};
use stateright::{Model, Property};

use super::adapter::Explored;
use super::budget::Budget;
use super::dfs::DELIVERED_AGAIN_BIT;
use super::{CheckOptions, DELIVERED_AGAIN, Explorable, StepEvent, StepKind};
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
    /// What this path has done that milestones may depend on later (see
    /// [`Explorable::milestones`]). Kept out of the fingerprint: it never changes what can happen,
    /// only what the search can report as reached, and a state first met on a path that did
    /// not do it reports less, never more.
    pub marks: u64,
    /// The messages this path has delivered, on a duplicating network only, to tell a copy
    /// delivered again from a first delivery. Also kept out of the fingerprint.
    pub delivered: Arc<Vec<Delivered<P::Actor>>>,
    /// The milestones the step into this state reached; the model counts them once the state
    /// is found inside the bounds.
    pub reached: u64,
}

/// A delivered message: sender, receiver and the message.
pub type Delivered<A> = (usize, usize, <A as Actor>::Msg);

impl<P: Explorable> Clone for ExploreState<P> {
    fn clone(&self) -> Self {
        ExploreState {
            system: self.system.clone(),
            checker: self.checker.clone(),
            violations: self.violations.clone(),
            marks: self.marks,
            delivered: self.delivered.clone(),
            reached: self.reached,
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

/// What the search tells a live node's states apart by, as one number.
fn search_hash<P: Explorable>(actor: &P::Actor) -> u64 {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    P::hash_for_search(actor, &mut hasher);
    hasher.finish()
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
    /// The milestones reached by some step inside the bounds (bit `i`: `P::MILESTONES[i]`;
    /// the top bit: [`DELIVERED_AGAIN`]).
    pub milestones: AtomicU64,
    /// Set when the search meets its first violation. Stateright keeps the last discovery it
    /// records, so later ones (deeper, in breadth-first order) are not reported.
    pub violated: AtomicBool,
}

impl<P: Explorable> Exploration<P> {
    /// Each milestone's name and whether some step reached it: the protocol's, then, on a
    /// duplicating network, [`DELIVERED_AGAIN`].
    pub fn milestones_reached(&self) -> Vec<(&'static str, bool)> {
        let reached = self.milestones.load(Ordering::Relaxed);
        let mut list: Vec<_> = P::MILESTONES
            .iter()
            .enumerate()
            .map(|(bit, name)| (*name, reached & (1 << bit) != 0))
            .collect();
        if self.options.network == super::NetworkKind::Duplicating {
            list.push((DELIVERED_AGAIN, reached & DELIVERED_AGAIN_BIT != 0));
        }
        list
    }

    /// Whether crashing `node` now would lose nothing: its state is its crash image (as far as
    /// the search tells states apart) and a restart would arm exactly the timers armed now, with
    /// no message or note. Such a crash only stops the node for a while, and every path through
    /// it has a twin in which the node stays up and idle: the same steps of the others are
    /// enabled (a node down only blocks its own steps, and holds the crash slot others could
    /// use), they reach the same states, and the recovery lands where the twin already is. So the
    /// search leaves these crashes out; the crashes it keeps are those of a node holding
    /// volatile state, such as a leader mid-ballot. A broken variant whose crash image differs
    /// (amnesia) keeps all of its crashes.
    fn idle_crash(&self, state: &ExploreState<P>, node: usize) -> bool {
        let system = &state.system;
        let live = &system.actor_states[node].actor;
        let explored = &self.system.actors[node];
        let mut restarted = system.actor_storages[node]
            .clone()
            .unwrap_or_else(|| explored.initial.clone());
        let effects = explored.run(node, &mut restarted, |actor, cx| actor.on_start(cx));
        let Some(armed) = super::timers_only(effects) else {
            return false;
        };
        let mut set: Vec<_> = system.timers_set[node].iter().cloned().collect();
        set.sort();
        armed == set && search_hash::<P>(&restarted) == search_hash::<P>(live)
    }

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
                    marks: 0,
                    delivered: Arc::new(Vec::new()),
                    reached: 0,
                })
            })
            .collect()
    }

    fn actions(&self, state: &Self::State, actions: &mut Vec<Self::Action>) {
        // Once out of budget the queued states are only drained, not expanded: expanding them
        // (millions, in breadth-first search) is what made a timeout overshoot several times.
        if state.violations.is_empty() && !self.budget.draining() {
            self.system.actions(&state.system, actions);
            actions.retain(|action| match action {
                ActorModelAction::Crash(id) => !self.idle_crash(state, usize::from(*id)),
                _ => true,
            });
        }
    }

    fn next_state(&self, last: &Self::State, action: Self::Action) -> Option<Self::State> {
        let duplicating = matches!(last.system.network, Network::UnorderedDuplicating(..));
        let taken = action.clone();
        let system = self.system.next_state(&last.system, action)?;
        let mut next = ExploreState {
            system,
            checker: last.checker.clone(),
            violations: last.violations.clone(),
            marks: last.marks,
            delivered: last.delivered.clone(),
            reached: 0,
        };
        let (node, kind) = match &taken {
            ActorModelAction::Deliver { src, dst, msg } => {
                let (from, to) = (usize::from(*src), usize::from(*dst));
                let mut again = false;
                if duplicating {
                    let envelope = (from, to, msg.clone());
                    match next.delivered.binary_search(&envelope) {
                        Ok(_) => again = true,
                        Err(at) => Arc::make_mut(&mut next.delivered).insert(at, envelope),
                    }
                }
                (to, StepKind::Deliver { from, msg, again })
            }
            ActorModelAction::Timeout(id, timer) => (usize::from(*id), StepKind::Timer(timer)),
            ActorModelAction::Crash(id) => (usize::from(*id), StepKind::Crash),
            ActorModelAction::Recover(id) => (usize::from(*id), StepKind::Recover),
            ActorModelAction::Drop(_) | ActorModelAction::SelectRandom { .. } => {
                return Some(self.observe(next));
            }
        };
        let notes = next.system.actor_states[node].notes.clone();
        let mut next = self.observe(next);
        let initial = &self.system.actors[node].initial;
        let before = match kind {
            StepKind::Recover => last.system.actor_storages[node].as_ref().unwrap_or(initial),
            _ => &last.system.actor_states[node].actor,
        };
        let again = matches!(kind, StepKind::Deliver { again: true, .. });
        let event = StepEvent {
            node,
            kind,
            before,
            after: &next.system.actor_states[node].actor,
            notes: &notes,
            checker: &*next.checker,
        };
        let mut marks = next.marks;
        let mut reached = P::milestones(&event, &mut marks);
        if again {
            reached |= DELIVERED_AGAIN_BIT;
        }
        next.marks = marks;
        next.reached = reached;
        Some(next)
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
        let within = crashes_allowed
            && P::history_within_bounds(&state.checker, &self.options)
            && state
                .system
                .actor_states
                .iter()
                .all(|node| P::within_bounds(&node.actor, &self.options));
        if within && state.reached != 0 {
            self.milestones.fetch_or(state.reached, Ordering::Relaxed);
        }
        within
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
