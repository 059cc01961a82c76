//! The core search: depth first over the same actors, with no model checker underneath, so that
//! it builds for the browser (wasm32) too.
//!
//! A state is every node (its actor, whether it is up, its armed timers; a crashed node is its
//! crash image), the messages in flight (a sorted list: a set on a duplicating network, a
//! multiset otherwise), the protocol's checker and what it reported. The steps and what each
//! does are exactly those of the stateright search (`super::model`): a delivery that changes
//! nothing and arms nothing is no step, a timer that only re-arms itself is none either, a crash
//! forgets the volatile state and the timers, a recovery runs `on_start` on the crash image, and
//! crashes that lose nothing are left out. The states seen are kept as 64-bit fingerprints.
//!
//! With `sleep_sets`, the search leaves out orders of steps that only differ by swapping steps of
//! different nodes (sleep sets, Godefroid 1996): such steps commute, and every state is still
//! reached, through fewer transitions. `docs/checking.md` says why this is sound here and which
//! protocols it applies to.
//!
//! A search may start where a scenario's script leads ([`Dfs::after_script`]): a deep situation
//! named by hand (Raft's Figure 8), searched on from there, its counterexamples beginning with
//! the script.

use std::collections::HashSet;
use std::hash::{BuildHasherDefault, Hash, Hasher};
use std::sync::Arc;

use super::budget::Budget;
use super::{CheckOptions, Explorable, ExplorableActor, NetworkKind, StepEvent, StepKind};
use crate::sim::{Actor, Checker, Effect, NodeId, ScriptStep, Violation};

/// One step of the explored cluster.
pub enum Event<A: Actor> {
    /// `msg` from `from` reaches `to`.
    Deliver {
        from: NodeId,
        to: NodeId,
        msg: A::Msg,
    },
    /// The network loses `msg` (lossy network only).
    Lose {
        from: NodeId,
        to: NodeId,
        msg: A::Msg,
    },
    Timer {
        node: NodeId,
        timer: A::Timer,
    },
    Crash(NodeId),
    Recover(NodeId),
}

impl<A: Actor> Clone for Event<A> {
    fn clone(&self) -> Self {
        match self {
            Event::Deliver { from, to, msg } => Event::Deliver {
                from: *from,
                to: *to,
                msg: msg.clone(),
            },
            Event::Lose { from, to, msg } => Event::Lose {
                from: *from,
                to: *to,
                msg: msg.clone(),
            },
            Event::Timer { node, timer } => Event::Timer {
                node: *node,
                timer: timer.clone(),
            },
            Event::Crash(node) => Event::Crash(*node),
            Event::Recover(node) => Event::Recover(*node),
        }
    }
}

impl<A: Actor<Msg: PartialEq>> PartialEq for Event<A> {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (
                Event::Deliver { from, to, msg },
                Event::Deliver {
                    from: f,
                    to: t,
                    msg: m,
                },
            )
            | (
                Event::Lose { from, to, msg },
                Event::Lose {
                    from: f,
                    to: t,
                    msg: m,
                },
            ) => from == f && to == t && msg == m,
            (Event::Timer { node, timer }, Event::Timer { node: n, timer: t }) => {
                node == n && timer == t
            }
            (Event::Crash(a), Event::Crash(b)) | (Event::Recover(a), Event::Recover(b)) => a == b,
            _ => false,
        }
    }
}

impl<A: Actor> Event<A> {
    /// The node whose state the step reads and changes (a loss: the receiver's, conservatively).
    pub fn node(&self) -> NodeId {
        match self {
            Event::Deliver { to, .. } | Event::Lose { to, .. } => *to,
            Event::Timer { node, .. } | Event::Crash(node) | Event::Recover(node) => *node,
        }
    }
}

/// A node in a state of the search.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Slot<A: Actor> {
    /// The live state; for a crashed node, its crash image (what it restarts from).
    pub actor: A,
    pub up: bool,
    /// The armed timers, sorted.
    pub timers: Vec<A::Timer>,
}

/// A message in flight: receiver, sender, message (sorted by receiver first).
pub type Envelope<M> = (NodeId, NodeId, M);

/// A state of the search.
pub struct State<P: Explorable> {
    pub slots: Vec<Slot<P::Actor>>,
    /// Sorted; without repeats on a duplicating network.
    pub net: Vec<Envelope<<P::Actor as Actor>::Msg>>,
    /// Shared between states until a note changes it: most steps note nothing.
    pub checker: Arc<P::Checker>,
    pub violations: Vec<Violation>,
    /// Milestone memory along the path (see [`Explorable::milestones`]); not fingerprinted.
    marks: u64,
    /// Messages this path delivered (duplicating network), to tell a second delivery; not
    /// fingerprinted.
    delivered: Arc<Vec<Envelope<<P::Actor as Actor>::Msg>>>,
    /// Messages this path dropped as dead, sorted; not fingerprinted. Each is tried again on its
    /// receiver whenever that node changes, so that a rule that disagrees with the handlers (a
    /// handler changed, its rule not) is caught rather than trusted.
    dropped: Arc<Vec<Envelope<<P::Actor as Actor>::Msg>>>,
}

impl<P: Explorable> Clone for State<P> {
    fn clone(&self) -> Self {
        State {
            slots: self.slots.clone(),
            net: self.net.clone(),
            checker: self.checker.clone(),
            violations: self.violations.clone(),
            marks: self.marks,
            delivered: self.delivered.clone(),
            dropped: self.dropped.clone(),
        }
    }
}

/// Fingerprints are already uniform: the visited set uses them as they are.
#[derive(Default)]
struct Identity(u64);

impl Hasher for Identity {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.0 = (self.0 << 8) | u64::from(*byte);
        }
    }
    fn write_u64(&mut self, value: u64) {
        self.0 = value;
    }
}

type Visited = HashSet<u64, BuildHasherDefault<Identity>>;

/// The hasher behind fingerprints: two multiply-and-rotate lanes over 64-bit words, mixed at the
/// end. Several times faster than the standard library's SipHash on the many small fields of a
/// state (hashing was a third of the search's time), and as good for telling states apart: a
/// fingerprint is not defended against an adversary, only against chance.
#[derive(Default)]
struct Fingerprinter {
    a: u64,
    b: u64,
}

impl Fingerprinter {
    fn word(&mut self, word: u64) {
        self.a = (self.a ^ word)
            .wrapping_mul(0x9E37_79B9_7F4A_7C15)
            .rotate_left(31);
        self.b = (self.b.rotate_left(27) ^ word).wrapping_mul(0xD6E8_FEB8_6659_FD93) ^ 0x5851_F42D;
    }
}

/// The finalizer of MurmurHash3: every input bit affects every output bit.
fn fmix(mut x: u64) -> u64 {
    x ^= x >> 33;
    x = x.wrapping_mul(0xFF51_AFD7_ED55_8CCD);
    x ^= x >> 33;
    x = x.wrapping_mul(0xC4CE_B9FE_1A85_EC53);
    x ^ (x >> 33)
}

impl Hasher for Fingerprinter {
    fn finish(&self) -> u64 {
        fmix(self.a) ^ fmix(self.b ^ 0x2545_F491_4F6C_DD1D).rotate_left(17)
    }
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.word(u64::from_le_bytes(word));
        }
        self.word(bytes.len() as u64);
    }
    fn write_u8(&mut self, value: u8) {
        self.word(u64::from(value));
    }
    fn write_u16(&mut self, value: u16) {
        self.word(u64::from(value));
    }
    fn write_u32(&mut self, value: u32) {
        self.word(u64::from(value));
    }
    fn write_u64(&mut self, value: u64) {
        self.word(value);
    }
    fn write_usize(&mut self, value: usize) {
        self.word(value as u64);
    }
}

/// Runs one handler of node `me` on `actor` and returns its effects; numbers are drawn from the
/// node's state, as in a scripted run.
pub fn run_handler<A: Actor>(
    seed: u64,
    me: NodeId,
    actor: &mut A,
    handler: impl FnOnce(&mut A, &mut crate::sim::Cx<'_, A>),
) -> Vec<Effect<A>> {
    let mut rng = crate::sim::SimRng::for_state(seed, me, actor);
    let mut effects = Vec::new();
    handler(
        actor,
        &mut crate::sim::Cx::detached(me, 0, &mut rng, &mut effects),
    );
    effects
}

/// The state a crashed node restarts from.
pub fn crash_image<A: Actor>(actor: &A) -> A {
    let mut image = actor.clone();
    image.on_crash();
    image
}

/// What a finished core search found.
pub struct Outcome<P: Explorable> {
    pub unique_states: usize,
    /// States generated inside the bounds, counting repeats.
    pub states: usize,
    pub depth: usize,
    pub progress: bool,
    /// Bit `i`: `P::MILESTONES[i]`; the top bit: a message delivered again.
    pub milestones: u64,
    /// The steps from the start to the first violation, each with the node it acted on as it
    /// was just before (for a recovery, its crash image), and the violating state.
    pub violation: Option<(Path<P::Actor>, State<P>)>,
}

/// The steps of a path, each with the node it acted on as it was just before.
pub type Path<A> = Vec<(Event<A>, A)>;

/// The top milestone bit: a message delivered a second time (duplicating network).
pub const DELIVERED_AGAIN_BIT: u64 = 1 << 63;

/// Protocol `P`'s cluster, searched depth first.
pub struct Dfs<'a, P: Explorable> {
    pub initial: Vec<P::Actor>,
    pub checker: P::Checker,
    pub seed: u64,
    pub options: &'a CheckOptions,
    pub budget: &'a Budget,
    /// Leave out orders that differ only by swapping independent steps.
    pub sleep_sets: bool,
    /// Which messages can no longer do anything (with `options.drop_dead`):
    /// [`Explorable::dead_message`], or a rule under test.
    pub dead: DeadRule<P::Actor>,
}

/// Whether a message from a node can no longer do anything at its receiver.
pub type DeadRule<A> = fn(&A, NodeId, &<A as Actor>::Msg) -> bool;

struct Frame<P: Explorable> {
    state: State<P>,
    /// The steps enabled here, each with its id (see [`event_id`]).
    events: Vec<(u64, Event<P::Actor>)>,
    next: usize,
    /// The ids of the steps whose exploration from here an earlier branch covers.
    sleep: Vec<u64>,
    depth: usize,
}

/// A step as one number, to keep sleep sets small and quick to search: the node it acts on in
/// bits 56 to 62, whether it is a crash in bit 63, a hash of the rest below. Two different
/// steps of one node enabled in one state share an id with a chance of about one in 2^56.
fn event_id<A: ExplorableActor>(event: &Event<A>) -> u64 {
    let mut hasher = Fingerprinter::default();
    match event {
        Event::Deliver { from, to, msg } => (0u8, from, to, msg).hash(&mut hasher),
        Event::Lose { from, to, msg } => (1u8, from, to, msg).hash(&mut hasher),
        Event::Timer { node, timer } => (2u8, node, timer).hash(&mut hasher),
        Event::Crash(node) => (3u8, node).hash(&mut hasher),
        Event::Recover(node) => (4u8, node).hash(&mut hasher),
    }
    let crash = u64::from(matches!(event, Event::Crash(_)));
    (hasher.finish() >> 8) | ((event.node() as u64 & 0x7F) << 56) | (crash << 63)
}

/// Whether two steps, given by id, commute: each leaves the other enabled and both orders reach
/// the same state. Steps of different nodes do, except two crashes, which compete for the crash
/// slot (a step only adds messages for others, and removes only its own delivery's copy).
fn independent(a: u64, b: u64) -> bool {
    let node = |id: u64| (id >> 56) & 0x7F;
    let crash = |id: u64| id >> 63 == 1;
    node(a) != node(b) && !(crash(a) && crash(b))
}

impl<P: Explorable> Dfs<'_, P> {
    /// Whether a reduction is on.
    fn reduced(&self) -> bool {
        self.sleep_sets || self.options.drop_dead
    }

    fn duplicating(&self) -> bool {
        self.options.network == NetworkKind::Duplicating
    }

    pub fn initial_state(&self) -> State<P> {
        let mut state = State {
            slots: Vec::new(),
            net: Vec::new(),
            checker: Arc::new(self.checker.clone()),
            violations: Vec::new(),
            marks: 0,
            delivered: Arc::new(Vec::new()),
            dropped: Arc::new(Vec::new()),
        };
        for (node, initial) in self.initial.iter().enumerate() {
            let mut actor = initial.clone();
            let effects = run_handler(self.seed, node, &mut actor, |a, cx| a.on_start(cx));
            state.slots.push(Slot {
                actor,
                up: true,
                timers: Vec::new(),
            });
            self.apply(&mut state, node, effects);
        }
        state
    }

    /// What the search tells states apart by: as `ExploreState`'s hash does, so that without
    /// reductions both searches meet the same states; with them, the checker only by what later
    /// verdicts read (which makes steps of different nodes commute exactly), and the path's
    /// milestone marks too (merging states that differ only in dead messages would otherwise
    /// lose the paths that reach a milestone).
    pub fn fingerprint(&self, state: &State<P>) -> u64 {
        let mut hasher = Fingerprinter::default();
        for slot in &state.slots {
            slot.up.hash(&mut hasher);
            if slot.up {
                P::hash_for_search(&slot.actor, &mut hasher);
            } else {
                slot.actor.hash(&mut hasher);
            }
            slot.timers.hash(&mut hasher);
        }
        state.net.hash(&mut hasher);
        if self.reduced() {
            P::hash_checker_for_search(&state.checker, &mut hasher);
            state.marks.hash(&mut hasher);
        } else {
            state.checker.hash(&mut hasher);
        }
        for violation in &state.violations {
            violation.kind.hash(&mut hasher);
            violation.detail.hash(&mut hasher);
        }
        hasher.finish()
    }

    /// Applies a handler's effects: sends, timers, and notes to the checker.
    fn apply(&self, state: &mut State<P>, node: NodeId, effects: Vec<Effect<P::Actor>>) {
        for effect in effects {
            match effect {
                Effect::Send { to, msg } => {
                    let envelope = (to, node, msg);
                    match state.net.binary_search(&envelope) {
                        Ok(_) if self.duplicating() => {}
                        Ok(at) | Err(at) => state.net.insert(at, envelope),
                    }
                }
                Effect::SetTimer { timer, .. } => {
                    let timers = &mut state.slots[node].timers;
                    if let Err(at) = timers.binary_search(&timer) {
                        timers.insert(at, timer);
                    }
                }
                Effect::CancelTimer { timer } => {
                    let timers = &mut state.slots[node].timers;
                    if let Ok(at) = timers.binary_search(&timer) {
                        timers.remove(at);
                    }
                }
                Effect::Note(note) => {
                    Arc::make_mut(&mut state.checker).observe(
                        0,
                        node,
                        &note,
                        &mut state.violations,
                    );
                }
            }
        }
    }

    /// The steps enabled in `state`.
    fn events(&self, state: &State<P>, events: &mut Vec<Event<P::Actor>>) {
        let lossy = self.options.network == NetworkKind::Lossy;
        let mut last: Option<&Envelope<_>> = None;
        for envelope in &state.net {
            if last == Some(envelope) {
                continue; // another copy of the same message: the same steps
            }
            last = Some(envelope);
            let (to, from, msg) = envelope;
            if lossy {
                events.push(Event::Lose {
                    from: *from,
                    to: *to,
                    msg: msg.clone(),
                });
            }
            if state.slots[*to].up {
                events.push(Event::Deliver {
                    from: *from,
                    to: *to,
                    msg: msg.clone(),
                });
            }
        }
        for (node, slot) in state.slots.iter().enumerate() {
            for timer in &slot.timers {
                events.push(Event::Timer {
                    node,
                    timer: timer.clone(),
                });
            }
        }
        let crashed = state.slots.iter().filter(|slot| !slot.up).count();
        for (node, slot) in state.slots.iter().enumerate() {
            if !slot.up {
                events.push(Event::Recover(node));
            } else if crashed < self.options.max_crashes
                && slot.actor.attackable()
                && !self.idle_crash(state, node)
            {
                events.push(Event::Crash(node));
            }
        }
    }

    /// Whether crashing `node` would lose nothing (see `Exploration::idle_crash`).
    fn idle_crash(&self, state: &State<P>, node: NodeId) -> bool {
        let slot = &state.slots[node];
        let mut restarted = crash_image(&slot.actor);
        let effects = run_handler(self.seed, node, &mut restarted, |a, cx| a.on_start(cx));
        let Some(armed) = super::timers_only(effects) else {
            return false;
        };
        armed == slot.timers && search_hash::<P>(&restarted) == search_hash::<P>(&slot.actor)
    }

    /// The state after `event`, or `None` if the step changes nothing (and so is no step), with
    /// the milestones it reached.
    fn step(&self, last: &State<P>, event: &Event<P::Actor>) -> Option<(State<P>, u64)> {
        let node = event.node();
        let before = &last.slots[node].actor;
        // The handler runs first, on the node alone: most redeliveries change nothing, and the
        // whole state is copied only for a real step.
        let (mut next, effects, kind_again) = match event {
            Event::Deliver { from, to, msg } => {
                let mut actor = before.clone();
                let effects = run_handler(self.seed, *to, &mut actor, |a, cx| {
                    a.on_message(*from, msg.clone(), cx)
                });
                if effects.is_empty() && actor == *before {
                    return None;
                }
                let mut next = last.clone();
                let envelope = (*to, *from, msg.clone());
                let mut again = false;
                if self.duplicating() {
                    match next.delivered.binary_search(&envelope) {
                        Ok(_) => again = true,
                        Err(at) => Arc::make_mut(&mut next.delivered).insert(at, envelope),
                    }
                } else if let Ok(at) = next.net.binary_search(&envelope) {
                    next.net.remove(at);
                }
                next.slots[node].actor = actor;
                (next, effects, again)
            }
            Event::Lose { from, to, msg } => {
                let mut next = last.clone();
                if let Ok(at) = next.net.binary_search(&(*to, *from, msg.clone())) {
                    next.net.remove(at);
                }
                return Some((next, 0));
            }
            Event::Timer { timer, .. } => {
                let mut actor = before.clone();
                let effects = run_handler(self.seed, node, &mut actor, |a, cx| {
                    a.on_timer(timer.clone(), cx)
                });
                let only_rearms = matches!(effects.as_slice(),
                    [Effect::SetTimer { timer: t, .. }] if t == timer);
                if only_rearms && actor == *before {
                    return None;
                }
                let mut next = last.clone();
                let timers = &mut next.slots[node].timers;
                if let Ok(at) = timers.binary_search(timer) {
                    timers.remove(at);
                }
                next.slots[node].actor = actor;
                (next, effects, false)
            }
            Event::Crash(_) => {
                let mut next = last.clone();
                let slot = &mut next.slots[node];
                slot.actor = crash_image(&slot.actor);
                slot.up = false;
                slot.timers.clear();
                (next, Vec::new(), false)
            }
            Event::Recover(_) => {
                let mut next = last.clone();
                let slot = &mut next.slots[node];
                let effects = run_handler(self.seed, node, &mut slot.actor, |a, cx| a.on_start(cx));
                slot.up = true;
                (next, effects, false)
            }
        };
        let notes: Vec<_> = effects
            .iter()
            .filter_map(|effect| match effect {
                Effect::Note(note) => Some(note.clone()),
                _ => None,
            })
            .collect();
        self.apply(&mut next, node, effects);
        if self.options.drop_dead {
            let changed = last.slots[node].actor != next.slots[node].actor;
            self.drop_dead(&mut next, node, changed);
        }
        let kind = match event {
            Event::Deliver { from, msg, .. } => StepKind::Deliver {
                from: *from,
                msg,
                again: kind_again,
            },
            Event::Timer { timer, .. } => StepKind::Timer(timer),
            Event::Crash(_) => StepKind::Crash,
            Event::Recover(_) => StepKind::Recover,
            Event::Lose { .. } => unreachable!("a loss returned above"),
        };
        let step = StepEvent {
            node,
            kind,
            before,
            after: &next.slots[node].actor,
            notes: &notes,
            checker: &*next.checker,
        };
        let mut marks = next.marks;
        let mut reached = P::milestones(&step, &mut marks);
        if kind_again {
            reached |= DELIVERED_AGAIN_BIT;
        }
        next.marks = marks;
        Some((next, reached))
    }

    /// Drops the messages the protocol says can no longer do anything, and tries every message
    /// this path dropped on its receiver when it is new or the receiver just changed (`node`,
    /// `changed`): one that would still do something means the protocol's rule is wrong, which
    /// the search reports as a violation rather than trust.
    fn drop_dead(&self, state: &mut State<P>, node: NodeId, changed: bool) {
        let slots = &state.slots;
        let mut newly = Vec::new();
        state.net.retain(|envelope| {
            let (to, from, msg) = envelope;
            let dead = (self.dead)(&slots[*to].actor, *from, msg);
            if dead {
                newly.push(envelope.clone());
            }
            !dead
        });
        let mut wrong = None;
        for envelope in &newly {
            if !self.inert(&state.slots[envelope.0], envelope) {
                wrong = Some(envelope.clone());
            }
        }
        if changed && state.slots[node].up {
            let start = state.dropped.partition_point(|e| e.0 < node);
            for envelope in state.dropped[start..].iter().take_while(|e| e.0 == node) {
                if !self.inert(&state.slots[node], envelope) {
                    wrong = Some(envelope.clone());
                }
            }
        }
        if !newly.is_empty() {
            let dropped = Arc::make_mut(&mut state.dropped);
            for envelope in newly {
                if let Err(at) = dropped.binary_search(&envelope) {
                    dropped.insert(at, envelope);
                }
            }
        }
        if let Some((to, from, msg)) = wrong {
            state.violations.push(Violation {
                tick: 0,
                kind: "dead message".into(),
                detail: format!(
                    "the search dropped {msg:?} from node {from} to node {to} as one that could \
                     no longer do anything, but node {to} now acts on it: the protocol's \
                     `dead_message` rule disagrees with its handlers (check with \
                     --keep-dead-messages)"
                ),
            });
        }
    }

    /// Whether delivering `envelope` to `slot` now would do nothing at all.
    fn inert(&self, slot: &Slot<P::Actor>, envelope: &Envelope<<P::Actor as Actor>::Msg>) -> bool {
        let (to, from, msg) = envelope;
        let mut actor = slot.actor.clone();
        let effects = run_handler(self.seed, *to, &mut actor, |a, cx| {
            a.on_message(*from, msg.clone(), cx)
        });
        effects.is_empty() && actor == slot.actor
    }

    /// Whether `state` is inside the search's bounds.
    fn within(&self, state: &State<P>) -> bool {
        P::history_within_bounds(&state.checker, self.options)
            && state
                .slots
                .iter()
                .all(|slot| P::within_bounds(&slot.actor, self.options))
    }

    /// The state a scenario's `script` leads to from the initial state, and the path there (each
    /// step with the node it acts on as it was just before): where [`Dfs::run_from`] starts a
    /// search, so that a deep bug is searched for from a situation named by hand, and its
    /// counterexample is the script followed by what the search adds. An error names the first
    /// step the search cannot take (not enabled, doing nothing, or leaving the bounds).
    pub fn after_script(
        &self,
        script: &[ScriptStep],
    ) -> Result<(State<P>, Path<P::Actor>), String> {
        let mut state = self.initial_state();
        let mut path = Vec::new();
        for (k, step) in script.iter().enumerate() {
            let message = |from: &NodeId, to: &NodeId, msg: &serde_json::Value| {
                state
                    .net
                    .iter()
                    .find(|(t, f, m)| t == to && f == from && to_json(m) == *msg)
                    .map(|(_, _, m)| m.clone())
            };
            let event = match step {
                ScriptStep::Deliver { from, to, msg, .. } => {
                    message(from, to, msg).map(|msg| Event::Deliver {
                        from: *from,
                        to: *to,
                        msg,
                    })
                }
                ScriptStep::Lose { from, to, msg } => {
                    message(from, to, msg).map(|msg| Event::Lose {
                        from: *from,
                        to: *to,
                        msg,
                    })
                }
                ScriptStep::Timer { node, timer } => state
                    .slots
                    .get(*node)
                    .and_then(|slot| slot.timers.iter().find(|t| to_json(*t) == *timer))
                    .map(|timer| Event::Timer {
                        node: *node,
                        timer: timer.clone(),
                    }),
                // Within `--max-crashes`, as the search's own crashes are.
                ScriptStep::Kill { node } => {
                    let down = state.slots.iter().filter(|slot| !slot.up).count();
                    let up = state.slots.get(*node).is_some_and(|slot| slot.up);
                    (up && down < self.options.max_crashes).then_some(Event::Crash(*node))
                }
                ScriptStep::Recover { node } => state
                    .slots
                    .get(*node)
                    .is_some_and(|slot| !slot.up)
                    .then_some(Event::Recover(*node)),
            };
            let problem = |what: &str| {
                let step = serde_json::to_string(step).unwrap_or_default();
                format!("step {} of the script ({step}) {what}", k + 1)
            };
            let event = event.ok_or_else(|| problem("is not possible there"))?;
            let node = event.node();
            let before = state.slots[node].actor.clone();
            let (next, _) = self
                .step(&state, &event)
                .ok_or_else(|| problem("changes nothing, so the search would not take it"))?;
            if !self.within(&next) {
                return Err(problem(
                    "leaves the search's bounds (raise --max-round or --max-ballots)",
                ));
            }
            path.push((event, before));
            state = next;
        }
        Ok((state, path))
    }

    /// A state of the search made of its parts: each node, the messages in flight (in any
    /// order, repeats allowed; made a set on a duplicating network) and the checker with what
    /// it reported. For a search from a moment of a running simulation (see
    /// [`super::from_here`]).
    pub fn state_of(
        &self,
        slots: Vec<Slot<P::Actor>>,
        mut net: Vec<Envelope<<P::Actor as Actor>::Msg>>,
        checker: P::Checker,
        violations: Vec<Violation>,
    ) -> State<P> {
        net.sort();
        if self.duplicating() {
            net.dedup();
        }
        State {
            slots,
            net,
            checker: Arc::new(checker),
            violations,
            marks: 0,
            delivered: Arc::new(Vec::new()),
            dropped: Arc::new(Vec::new()),
        }
    }

    /// Searches every state within the bounds, or until the first violation or the budget.
    pub fn run(&self) -> Outcome<P> {
        self.run_from(self.initial_state(), Vec::new())
    }

    /// [`Dfs::run`] from `init`, reached by `prefix` (see [`Dfs::after_script`]): a violation's
    /// path starts with it.
    pub fn run_from(&self, init: State<P>, prefix: Path<P::Actor>) -> Outcome<P> {
        let mut visited = Visited::default();
        visited.insert(self.fingerprint(&init));
        let mut outcome = Outcome {
            unique_states: 1,
            states: 1,
            depth: 1,
            progress: P::progress(&init.checker),
            milestones: 0,
            violation: None,
        };
        if !init.violations.is_empty() {
            outcome.violation = Some((prefix, init));
            return outcome;
        }
        let mut events = Vec::new();
        self.events(&init, &mut events);
        let events = events.into_iter().map(|e| (event_id(&e), e)).collect();
        let mut stack = vec![Frame {
            state: init,
            events,
            next: 0,
            sleep: Vec::new(),
            depth: 1,
        }];
        while let Some(frame) = stack.last_mut() {
            let Some((id, event)) = frame.events.get(frame.next).cloned() else {
                stack.pop();
                continue;
            };
            frame.next += 1;
            if self.sleep_sets && frame.sleep.contains(&id) {
                continue;
            }
            let Some((next, reached)) = self.step(&frame.state, &event) else {
                continue;
            };
            // Steps explored before this one from here, and those asleep here, that commute
            // with it: their orders after it are covered by the branch that took them first.
            let sleep = if self.sleep_sets {
                let done = frame.events[..frame.next - 1].iter().map(|(id, _)| *id);
                let mut sleep: Vec<u64> = frame
                    .sleep
                    .iter()
                    .copied()
                    .chain(done)
                    .filter(|other| independent(*other, id))
                    .collect();
                sleep.sort_unstable();
                sleep.dedup();
                sleep
            } else {
                Vec::new()
            };
            let depth = frame.depth + 1;
            if self.budget.spend_one() {
                break;
            }
            if !self.within(&next) {
                continue;
            }
            outcome.states += 1;
            outcome.milestones |= reached;
            if !visited.insert(self.fingerprint(&next)) {
                continue;
            }
            outcome.unique_states += 1;
            outcome.depth = outcome.depth.max(depth);
            outcome.progress = outcome.progress || P::progress(&next.checker);
            if !next.violations.is_empty() {
                let path: Vec<_> = prefix
                    .iter()
                    .cloned()
                    .chain(stack.iter().map(|frame| {
                        let event = frame.events[frame.next - 1].1.clone();
                        let node = event.node();
                        (event, frame.state.slots[node].actor.clone())
                    }))
                    .collect();
                outcome.violation = Some((path, next));
                break;
            }
            if self.options.max_depth.is_some_and(|max| depth >= max) {
                continue;
            }
            let mut events = Vec::new();
            self.events(&next, &mut events);
            let events = events.into_iter().map(|e| (event_id(&e), e)).collect();
            stack.push(Frame {
                state: next,
                events,
                next: 0,
                sleep,
                depth,
            });
        }
        outcome
    }
}

/// A message or timer as a script writes it.
fn to_json<T: serde::Serialize>(value: &T) -> serde_json::Value {
    serde_json::to_value(value).unwrap_or_default()
}

/// What the search tells a live node's states apart by, as one number.
fn search_hash<P: Explorable>(actor: &P::Actor) -> u64 {
    let mut hasher = Fingerprinter::default();
    P::hash_for_search(actor, &mut hasher);
    hasher.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::Setup;
    use crate::protocols::paxos::node::{Msg, PaxosNode};
    use crate::protocols::paxos::{self, Paxos};
    use std::time::Instant;

    fn search(
        options: &CheckOptions,
        budget: &Budget,
        dead: DeadRule<PaxosNode>,
    ) -> Outcome<Paxos> {
        let (initial, checker) =
            <Paxos as crate::protocol::Model>::build(&Setup::for_mode(paxos::MODE));
        Dfs::<Paxos> {
            initial,
            checker,
            seed: 1,
            options,
            budget,
            sleep_sets: true,
            dead,
        }
        .run()
    }

    #[test]
    fn a_dead_message_rule_that_disagrees_with_the_handlers_is_reported() {
        let options = CheckOptions {
            max_crashes: 0,
            ..CheckOptions::default()
        };
        let budget = Budget::new(Instant::now(), None, None, None, None);
        // Wrong: a leader still preparing its ballot counts a promise for it.
        let outcome = search(&options, &budget, |_, _, msg| {
            matches!(msg, Msg::Promise { .. })
        });
        let (_, state) = outcome.violation.expect("the wrong rule is caught");
        assert_eq!(state.violations[0].kind, "dead message");
        assert!(
            state.violations[0].detail.contains("Promise"),
            "{:?}",
            state.violations
        );

        let right = search(&options, &budget, |node, _, msg| node.cannot_use(msg));
        assert!(right.violation.is_none());
    }
}
