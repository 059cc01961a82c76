//! The deterministic simulation core: integer ticks, one seeded RNG, a network of in-flight
//! messages with faults, and I/O-free protocol actors driven by an event queue.
//!
//! An [`Actor`] is one node's state machine. It never does I/O: it is handed a [`Cx`] and pushes
//! effects (send, set or cancel a timer, record a note for the checkers). The [`Sim`] owns time,
//! the network and the faults, applies the effects, and feeds every note to a [`Checker`].

pub mod action;
pub mod checker;
pub mod network;
pub mod rng;
pub mod script;

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};
use std::fmt::Debug;
use std::hash::Hash;

use serde::Serialize;

pub use action::{Action, ActionError, TimedAction};
pub use checker::{Checker, Violation};
pub use network::{Faults, NetConfig};
pub use rng::SimRng;
pub use script::ScriptStep;

/// Simulated time. One tick is one millisecond of the simulated system.
pub type Tick = u64;
pub type NodeId = usize;
pub type MsgId = u64;

/// One node's protocol logic. It is `Hash` so that scripted runs and the model checker can seed
/// a handler's random numbers from the node's state ([`SimRng::for_state`]).
pub trait Actor: Clone + Debug + Hash {
    type Msg: Clone + Debug + Serialize;
    type Timer: Clone + PartialEq + Debug + Serialize;
    /// What the node reports for the checkers and the trace (votes, decisions, value changes).
    type Note: Clone + Debug + Serialize;

    /// The node starts, at time zero or when it recovers after a crash.
    fn on_start(&mut self, cx: &mut Cx<'_, Self>);
    fn on_message(&mut self, from: NodeId, msg: Self::Msg, cx: &mut Cx<'_, Self>);
    fn on_timer(&mut self, timer: Self::Timer, cx: &mut Cx<'_, Self>);
    /// The node crashes: it must forget its volatile state and keep its durable state.
    fn on_crash(&mut self);
    /// ec-counter clients stop or resume issuing requests; other actors ignore it.
    fn on_pause(&mut self, _paused: bool, _cx: &mut Cx<'_, Self>) {}
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

/// An actor's view of the world while it handles one input.
pub struct Cx<'a, A: Actor> {
    pub me: NodeId,
    pub now: Tick,
    pub rng: &'a mut SimRng,
    effects: &'a mut Vec<Effect<A>>,
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

/// A message on the wire.
#[derive(Clone, Debug, Serialize)]
pub struct InFlight<M> {
    pub id: MsgId,
    pub from: NodeId,
    pub to: NodeId,
    pub sent: Tick,
    /// When it arrives, or when it dies if `doomed`.
    pub arrives: Tick,
    /// Marked by a `drop_next` attack: it dies at `arrives`, halfway along its link.
    pub doomed: bool,
    pub msg: M,
}

impl<M> InFlight<M> {
    /// How far along its link the message is at `now` (fractional ticks, for smooth animation),
    /// from 0 (sender) to 1 (receiver). A doomed message dies halfway, at `arrives`.
    pub fn progress(&self, now: f64) -> f32 {
        let (sent, arrives) = (self.sent, self.arrives);
        if arrives <= sent {
            return 1.0;
        }
        let full = if self.doomed {
            (arrives - sent) * 2
        } else {
            arrives - sent
        };
        ((now - sent as f64) / full as f64).clamp(0.0, 1.0) as f32
    }
}

/// Why a message never arrived.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DropReason {
    LinkCut,
    ReceiverDown,
    Player,
    /// A scripted run lost it: a `lose` step, or no step delivered it before the script ended.
    Lost,
}

/// One entry of the event history: what the trace file, the event log and replays are made of.
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "event", rename_all = "snake_case", bound = "")]
pub enum Event<A: Actor> {
    Send {
        id: MsgId,
        from: NodeId,
        to: NodeId,
        arrives: Tick,
        msg: A::Msg,
    },
    Deliver {
        id: MsgId,
        from: NodeId,
        to: NodeId,
    },
    Drop {
        id: MsgId,
        from: NodeId,
        to: NodeId,
        reason: DropReason,
    },
    Timer {
        node: NodeId,
        timer: A::Timer,
    },
    Action {
        action: Action,
    },
    Refused {
        action: Action,
        reason: String,
    },
    Note {
        node: NodeId,
        note: A::Note,
    },
    Violation {
        violation: Violation,
    },
}

#[derive(Clone, Debug, Serialize)]
#[serde(bound = "")]
pub struct Traced<A: Actor> {
    pub tick: Tick,
    #[serde(flatten)]
    pub event: Event<A>,
}

/// Message counters for a run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct MessageStats {
    pub sent: u64,
    pub delivered: u64,
    pub dropped: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Due {
    Arrival(MsgId),
    /// A timer of this node; the queue entry's sequence number identifies which arming it was.
    Timer(NodeId),
    Scheduled(usize),
    /// Step `k` of the script.
    Script(usize),
    /// The script is over: messages it never delivered are lost.
    ScriptEnd,
}

/// Cluster-wide settings the simulator enforces.
#[derive(Clone, Debug)]
pub struct SimConfig {
    pub seed: u64,
    pub net: NetConfig,
    /// How many attackable nodes may be down at once.
    pub max_down: usize,
    /// Keep the full event history (the game and `--trace` do; bulk chaos runs need not).
    pub record_trace: bool,
}

pub struct Sim<A: Actor, C: Checker<A::Note>> {
    now: Tick,
    config: SimConfig,
    rng: SimRng,
    actors: Vec<A>,
    faults: Faults,
    drop_next: Vec<bool>,
    in_flight: BTreeMap<MsgId, InFlight<A::Msg>>,
    next_msg_id: MsgId,
    queue: BinaryHeap<Reverse<(Tick, u64, Due)>>,
    next_seq: u64,
    /// Armed timers per node, with the sequence number of their queue entry.
    timers: Vec<Vec<(A::Timer, u64)>>,
    scheduled: Vec<Action>,
    /// How many of `scheduled` are still queued (kept, not counted, as runs ask after every event).
    pending_scheduled: usize,
    trace: Vec<Traced<A>>,
    events_processed: u64,
    stats: MessageStats,
    checker: C,
    violations: Vec<Violation>,
    effects: Vec<Effect<A>>,
    /// In a scripted run, the script and where it stands.
    script: Option<script::ScriptRun>,
}

impl<A: Actor, C: Checker<A::Note>> Sim<A, C> {
    /// A cluster of `actors`, started at tick 0.
    pub fn new(actors: Vec<A>, checker: C, config: SimConfig) -> Self {
        Self::start(actors, checker, config, None)
    }

    /// A cluster whose events come from `script` rather than from delays and the seed (see
    /// [`script`]). Scheduled actions still apply at their ticks.
    pub fn scripted(actors: Vec<A>, checker: C, config: SimConfig, steps: Vec<ScriptStep>) -> Self {
        let run = script::ScriptRun::new(steps, config.net.base_delay);
        Self::start(actors, checker, config, Some(run))
    }

    fn start(
        actors: Vec<A>,
        checker: C,
        config: SimConfig,
        script: Option<script::ScriptRun>,
    ) -> Self {
        let n = actors.len();
        let mut sim = Sim {
            now: 0,
            rng: SimRng::new(config.seed, 0),
            config,
            actors,
            faults: Faults::new(n),
            drop_next: vec![false; n],
            in_flight: BTreeMap::new(),
            next_msg_id: 0,
            queue: BinaryHeap::new(),
            next_seq: 0,
            timers: vec![Vec::new(); n],
            scheduled: Vec::new(),
            pending_scheduled: 0,
            trace: Vec::new(),
            events_processed: 0,
            stats: MessageStats::default(),
            checker,
            violations: Vec::new(),
            effects: Vec::new(),
            script,
        };
        if let Some(run) = &sim.script {
            let ticks: Vec<Tick> = (0..run.steps.len()).map(|k| run.tick_of(k)).collect();
            let end = run.end();
            for (k, tick) in ticks.into_iter().enumerate() {
                sim.push_due(tick, Due::Script(k));
            }
            sim.push_due(end, Due::ScriptEnd);
        }
        for node in 0..n {
            sim.with_actor(node, |actor, cx| actor.on_start(cx));
        }
        sim
    }

    pub fn now(&self) -> Tick {
        self.now
    }
    pub fn config(&self) -> &SimConfig {
        &self.config
    }
    pub fn actors(&self) -> &[A] {
        &self.actors
    }
    pub fn faults(&self) -> &Faults {
        &self.faults
    }
    pub fn in_flight(&self) -> impl Iterator<Item = &InFlight<A::Msg>> {
        self.in_flight.values()
    }
    pub fn in_flight_count(&self) -> usize {
        self.in_flight.len()
    }
    pub fn trace(&self) -> &[Traced<A>] {
        &self.trace
    }
    pub fn stats(&self) -> MessageStats {
        self.stats
    }
    pub fn checker(&self) -> &C {
        &self.checker
    }
    pub fn violations(&self) -> &[Violation] {
        &self.violations
    }
    pub fn events_processed(&self) -> u64 {
        self.events_processed
    }
    pub fn drop_armed(&self, node: NodeId) -> bool {
        self.drop_next[node]
    }
    /// Whether anything (a message, a timer, a scheduled action) is still due.
    pub fn idle(&self) -> bool {
        self.queue.is_empty()
    }
    /// Scheduled actions not yet applied.
    pub fn pending_actions(&self) -> usize {
        self.pending_scheduled
    }
    /// Why the script stopped before its end, in a scripted run that did.
    pub fn script_error(&self) -> Option<&str> {
        self.script.as_ref().and_then(|run| run.error.as_deref())
    }

    /// Schedules `action` at tick `at` (not before now).
    pub fn schedule(&mut self, at: Tick, action: Action) {
        let index = self.scheduled.len();
        self.scheduled.push(action);
        self.pending_scheduled += 1;
        self.push_due(at.max(self.now), Due::Scheduled(index));
    }

    /// Applies an action now, or says why not. Refusals leave everything unchanged.
    pub fn apply(&mut self, action: Action) -> Result<(), ActionError> {
        self.validate(&action)?;
        self.record(Event::Action {
            action: action.clone(),
        });
        match action {
            Action::Kill { node } => {
                self.faults.set_down(node, true);
                self.timers[node].clear();
                self.drop_next[node] = false;
                self.actors[node].on_crash();
            }
            Action::Recover { node } => {
                self.faults.set_down(node, false);
                self.with_actor(node, |actor, cx| actor.on_start(cx));
            }
            Action::Slow { node, factor } => self.faults.set_slow(node, factor),
            Action::Cut { from, to, both } => {
                self.faults.set_cut(from, to, true);
                if both {
                    self.faults.set_cut(to, from, true);
                }
            }
            Action::Heal { from, to } => {
                self.faults.set_cut(from, to, false);
                self.faults.set_cut(to, from, false);
            }
            Action::Partition { groups } => self.faults.partition(&groups),
            Action::HealAll => self.faults.heal_all(),
            Action::Drop { message } => {
                if let Some(m) = self.in_flight.remove(&message) {
                    self.lose(m, DropReason::Player);
                }
            }
            Action::DropNext { from } => self.drop_next[from] = true,
            Action::PauseClients | Action::ResumeClients => {
                let paused = action == Action::PauseClients;
                for node in 0..self.actors.len() {
                    if !self.faults.is_down(node) {
                        self.with_actor(node, |actor, cx| actor.on_pause(paused, cx));
                    }
                }
            }
        }
        Ok(())
    }

    /// The shape checks every action gets (shared with scenario files), then the ones that depend
    /// on the moment: who is down, which messages are in flight.
    fn validate(&self, action: &Action) -> Result<(), ActionError> {
        action.check(self.actors.len(), |node| self.actors[node].attackable())?;
        match action {
            Action::Kill { node } => {
                if self.faults.is_down(*node) {
                    return Err(ActionError::AlreadyDown(*node));
                }
                if self.faults.down_count() >= self.config.max_down {
                    let attackable = self.actors.iter().filter(|a| a.attackable()).count();
                    return Err(ActionError::TooManyDown {
                        max_down: self.config.max_down,
                        nodes: attackable,
                    });
                }
            }
            Action::Recover { node } if !self.faults.is_down(*node) => {
                return Err(ActionError::AlreadyUp(*node));
            }
            Action::Drop { message } if !self.in_flight.contains_key(message) => {
                return Err(ActionError::UnknownMessage(*message));
            }
            _ => {}
        }
        Ok(())
    }

    /// Processes every event due at or before `until`, then sets the clock to `until`.
    pub fn run_until(&mut self, until: Tick) {
        while let Some(&Reverse((tick, _, _))) = self.queue.peek() {
            if tick > until {
                break;
            }
            self.step_one();
        }
        self.now = self.now.max(until);
    }

    /// Processes the next due event, if any. Returns false when nothing is left.
    pub fn step_one(&mut self) -> bool {
        let Some(Reverse((tick, seq, due))) = self.queue.pop() else {
            return false;
        };
        self.now = tick;
        self.events_processed += 1;
        match due {
            Due::Arrival(id) => self.arrive(id),
            Due::Timer(node) => self.fire_timer(node, seq),
            Due::Scheduled(index) => {
                self.pending_scheduled -= 1;
                let action = self.scheduled[index].clone();
                if let Err(refusal) = self.apply(action.clone()) {
                    self.record(Event::Refused {
                        action,
                        reason: refusal.to_string(),
                    });
                }
            }
            Due::Script(step) => self.script_step(step),
            Due::ScriptEnd => {
                let leftover: Vec<MsgId> = self.in_flight.keys().copied().collect();
                for id in leftover {
                    if let Some(m) = self.in_flight.remove(&id) {
                        self.lose(m, DropReason::Lost);
                    }
                }
            }
        }
        true
    }

    /// Carries out step `step` of the script, or stops the script saying why it cannot.
    fn script_step(&mut self, step: usize) {
        let Some(run) = &self.script else { return };
        if run.error.is_some() {
            return;
        }
        let claimed = run.claimed[step];
        let fail = |sim: &mut Self, problem: String| {
            if let Some(run) = &mut sim.script {
                run.fail(step, problem);
            }
        };
        let current = run.steps[step].clone();
        match current {
            ScriptStep::Deliver { ref msg, .. } | ScriptStep::Lose { ref msg, .. } => {
                let Some(id) = claimed.filter(|id| self.in_flight.contains_key(id)) else {
                    let problem = match claimed {
                        None => format!("no message {msg} was sent on this link before this step"),
                        Some(_) => format!("message {msg} was lost before this step"),
                    };
                    return fail(self, problem);
                };
                match current {
                    ScriptStep::Lose { .. } => {
                        if let Some(m) = self.in_flight.remove(&id) {
                            self.lose(m, DropReason::Lost);
                        }
                    }
                    _ => self.arrive(id),
                }
            }
            ScriptStep::Timer { node, timer } => {
                let armed = self.timers[node]
                    .iter()
                    .find(|(t, _)| serde_json::to_value(t).ok().as_ref() == Some(&timer))
                    .map(|(_, seq)| *seq);
                match armed {
                    Some(seq) => self.fire_timer(node, seq),
                    None => fail(self, format!("node {node} has no {timer} timer armed")),
                }
            }
            ScriptStep::Kill { node } => {
                if let Err(refusal) = self.apply(Action::Kill { node }) {
                    fail(self, refusal.to_string());
                }
            }
            ScriptStep::Recover { node } => {
                if let Err(refusal) = self.apply(Action::Recover { node }) {
                    fail(self, refusal.to_string());
                }
            }
        }
    }

    /// Tick of the next due event.
    pub fn next_due(&self) -> Option<Tick> {
        self.queue.peek().map(|Reverse((tick, _, _))| *tick)
    }

    fn arrive(&mut self, id: MsgId) {
        let Some(m) = self.in_flight.remove(&id) else {
            return; // dropped by the player on the way
        };
        if m.doomed {
            self.lose(m, DropReason::Player);
        } else if !self.faults.link_open(m.from, m.to) {
            self.lose(m, DropReason::LinkCut);
        } else if self.faults.is_down(m.to) {
            self.lose(m, DropReason::ReceiverDown);
        } else {
            self.stats.delivered += 1;
            self.record(Event::Deliver {
                id,
                from: m.from,
                to: m.to,
            });
            let (from, msg) = (m.from, m.msg);
            self.with_actor(m.to, |actor, cx| actor.on_message(from, msg, cx));
        }
    }

    fn lose(&mut self, m: InFlight<A::Msg>, reason: DropReason) {
        self.stats.dropped += 1;
        self.record(Event::Drop {
            id: m.id,
            from: m.from,
            to: m.to,
            reason,
        });
    }

    fn fire_timer(&mut self, node: NodeId, seq: u64) {
        let armed = &mut self.timers[node];
        let Some(position) = armed.iter().position(|(_, s)| *s == seq) else {
            return; // cancelled, re-armed, or the node crashed
        };
        let (timer, _) = armed.swap_remove(position);
        self.record(Event::Timer {
            node,
            timer: timer.clone(),
        });
        self.with_actor(node, |actor, cx| actor.on_timer(timer, cx));
    }

    /// Runs one actor handler and applies the effects it produced.
    fn with_actor(&mut self, node: NodeId, handler: impl FnOnce(&mut A, &mut Cx<'_, A>)) {
        let mut effects = std::mem::take(&mut self.effects);
        // A scripted run draws as the model checker does, from the node's state.
        let mut state_rng;
        let rng = if self.script.is_some() {
            state_rng = SimRng::for_state(self.config.seed, node, &self.actors[node]);
            &mut state_rng
        } else {
            &mut self.rng
        };
        let mut cx = Cx {
            me: node,
            now: self.now,
            rng,
            effects: &mut effects,
        };
        handler(&mut self.actors[node], &mut cx);
        for effect in effects.drain(..) {
            match effect {
                Effect::Send { to, msg } => self.send(node, to, msg),
                Effect::SetTimer { timer, after } => {
                    let after = after * u64::from(self.faults.slow_factor(node));
                    let seq = if self.script.is_some() {
                        // Only a script step fires it: armed, but not queued.
                        self.next_seq += 1;
                        self.next_seq - 1
                    } else {
                        self.push_due(self.now + after, Due::Timer(node))
                    };
                    let armed = &mut self.timers[node];
                    armed.retain(|(t, _)| *t != timer);
                    armed.push((timer, seq));
                }
                Effect::CancelTimer { timer } => self.timers[node].retain(|(t, _)| *t != timer),
                Effect::Note(note) => {
                    let before = self.violations.len();
                    self.checker
                        .observe(self.now, node, &note, &mut self.violations);
                    self.record(Event::Note { node, note });
                    for index in before..self.violations.len() {
                        let violation = self.violations[index].clone();
                        self.record(Event::Violation { violation });
                    }
                }
            }
        }
        self.effects = effects;
    }

    fn send(&mut self, from: NodeId, to: NodeId, msg: A::Msg) {
        if self.script.is_some() {
            return self.send_scripted(from, to, msg);
        }
        let net = self.config.net;
        let slowest = self
            .faults
            .slow_factor(from)
            .max(self.faults.slow_factor(to));
        let delay = (net.base_delay + self.rng.below(net.jitter + 1)) * u64::from(slowest);
        let doomed = std::mem::replace(&mut self.drop_next[from], false);
        let arrives = if doomed {
            self.now + delay / 2
        } else {
            self.now + delay
        };
        let id = self.next_msg_id;
        self.next_msg_id += 1;
        self.stats.sent += 1;
        self.record(Event::Send {
            id,
            from,
            to,
            arrives,
            msg: msg.clone(),
        });
        self.in_flight.insert(
            id,
            InFlight {
                id,
                from,
                to,
                sent: self.now,
                arrives,
                doomed,
                msg,
            },
        );
        self.push_due(arrives, Due::Arrival(id));
    }

    /// Puts a message on the wire in a scripted run: it arrives at the tick of the step that
    /// delivers (or loses) it, with a copy for each later step that delivers it again; a message
    /// no step is for dies halfway along its link when the script ends.
    fn send_scripted(&mut self, from: NodeId, to: NodeId, msg: A::Msg) {
        let Some(run) = &self.script else { return };
        let key = serde_json::to_value(&msg).unwrap_or_default();
        let claim = run.claim(self.now, from, to, &key);
        let player_drop = std::mem::replace(&mut self.drop_next[from], false);
        let (first, copies) = match claim {
            Some(claim) => (Some(claim.first), claim.copies),
            None => (None, Vec::new()),
        };
        let trips = std::iter::once(first).chain(copies.into_iter().map(Some));
        for step in trips {
            let Some(run) = &mut self.script else { return };
            let id = self.next_msg_id;
            self.next_msg_id += 1;
            let (arrives, lost) = match step {
                Some(k) => {
                    run.claimed[k] = Some(id);
                    (
                        run.tick_of(k),
                        matches!(run.steps[k], ScriptStep::Lose { .. }),
                    )
                }
                None => (run.end(), true),
            };
            self.stats.sent += 1;
            self.record(Event::Send {
                id,
                from,
                to,
                arrives,
                msg: msg.clone(),
            });
            self.in_flight.insert(
                id,
                InFlight {
                    id,
                    from,
                    to,
                    sent: self.now,
                    arrives,
                    doomed: lost || player_drop,
                    msg: msg.clone(),
                },
            );
        }
    }

    /// Queues `due` at `tick`; returns the sequence number that orders same-tick events.
    fn push_due(&mut self, tick: Tick, due: Due) -> u64 {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.queue.push(Reverse((tick, seq, due)));
        seq
    }

    fn record(&mut self, event: Event<A>) {
        if self.config.record_trace {
            self.trace.push(Traced {
                tick: self.now,
                event,
            });
        }
    }
}

/// FNV-1a (64-bit) over bytes: a tiny, portable hash to compare traces across platforms.
pub fn fnv1a64(mut hash: u64, bytes: &[u8]) -> u64 {
    for byte in bytes {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

/// The FNV-1a starting value.
pub const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;

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

#[cfg(test)]
mod tests {
    use super::*;

    /// Node 0 sends `ping(i)` to node 1 every 100 ticks; node 1 echoes; every delivery is noted.
    /// `count` is durable, `volatile` is lost in a crash.
    #[derive(Clone, Debug, Hash)]
    struct Echo {
        count: u32,
        volatile: u32,
    }

    impl Actor for Echo {
        type Msg = u32;
        type Timer = &'static str;
        type Note = (NodeId, u32);

        fn on_start(&mut self, cx: &mut Cx<'_, Self>) {
            if cx.me == 0 {
                cx.set_timer("ping", 100);
            }
        }
        fn on_message(&mut self, from: NodeId, msg: u32, cx: &mut Cx<'_, Self>) {
            self.count += 1;
            self.volatile += 1;
            cx.note((from, msg));
            if cx.me == 1 {
                cx.send(from, msg);
            }
        }
        fn on_timer(&mut self, _: &'static str, cx: &mut Cx<'_, Self>) {
            self.count += 1;
            cx.send(1, self.count);
            cx.set_timer("ping", 100);
        }
        fn on_crash(&mut self) {
            self.volatile = 0;
        }
    }

    #[derive(Default)]
    struct Notes(Vec<(Tick, NodeId, (NodeId, u32))>);
    impl Checker<(NodeId, u32)> for Notes {
        fn observe(
            &mut self,
            tick: Tick,
            node: NodeId,
            note: &(NodeId, u32),
            _: &mut Vec<Violation>,
        ) {
            self.0.push((tick, node, *note));
        }
    }

    fn echo_sim(nodes: usize) -> Sim<Echo, Notes> {
        let config = SimConfig {
            seed: 3,
            net: NetConfig {
                base_delay: 10,
                jitter: 5,
            },
            max_down: 1,
            record_trace: true,
        };
        Sim::new(
            vec![
                Echo {
                    count: 0,
                    volatile: 0
                };
                nodes
            ],
            Notes::default(),
            config,
        )
    }

    #[test]
    fn messages_arrive_after_base_delay_plus_jitter() {
        let mut sim = echo_sim(2);
        sim.run_until(1050);
        let arrivals: Vec<_> = sim
            .checker()
            .0
            .iter()
            .filter(|(_, node, _)| *node == 1)
            .collect();
        assert_eq!(arrivals.len(), 10, "one ping per 100 ticks");
        for (tick, _, _) in arrivals {
            let delay = tick % 100;
            assert!(
                (10..=15).contains(&delay),
                "ping delivered {delay} ticks after sending"
            );
        }
        assert_eq!(sim.stats().dropped, 0);
        assert_eq!(
            sim.stats().delivered,
            sim.stats().sent - sim.in_flight_count() as u64
        );
    }

    #[test]
    fn a_down_node_loses_messages_and_timers_but_keeps_durable_state() {
        let mut sim = echo_sim(2);
        sim.run_until(350);
        let durable = sim.actors()[1].count;
        assert!(durable > 0 && sim.actors()[1].volatile > 0);
        sim.apply(Action::Kill { node: 1 }).unwrap();
        assert_eq!(sim.actors()[1].volatile, 0);
        sim.run_until(650);
        assert_eq!(
            sim.actors()[1].count,
            durable,
            "a down node handles nothing"
        );
        assert!(sim.trace().iter().any(|t| matches!(
            t.event,
            Event::Drop {
                reason: DropReason::ReceiverDown,
                ..
            }
        )));
        sim.apply(Action::Recover { node: 1 }).unwrap();
        sim.run_until(1000);
        assert!(sim.actors()[1].count > durable);

        // Killing the pinger cancels its timer: nothing more is sent.
        sim.apply(Action::Kill { node: 0 }).unwrap();
        let sent = sim.stats().sent;
        sim.run_until(2000);
        assert!(
            sim.stats().sent <= sent + 1,
            "at most the echo of a ping already on the wire"
        );
    }

    #[test]
    fn cuts_partitions_and_slow_nodes() {
        let mut sim = echo_sim(3);
        sim.apply(Action::Cut {
            from: 0,
            to: 1,
            both: false,
        })
        .unwrap();
        sim.run_until(500);
        assert!(
            sim.checker().0.is_empty(),
            "every ping is lost on the cut link"
        );
        assert_eq!(
            sim.stats().dropped,
            sim.stats().sent - sim.in_flight_count() as u64
        );
        sim.apply(Action::Heal { from: 0, to: 1 }).unwrap();
        sim.apply(Action::Partition {
            groups: vec![vec![0], vec![1, 2]],
        })
        .unwrap();
        sim.run_until(1000);
        assert!(
            sim.checker().0.is_empty(),
            "the partition separates 0 from 1"
        );
        sim.apply(Action::HealAll).unwrap();
        sim.apply(Action::Slow { node: 1, factor: 4 }).unwrap();
        sim.run_until(1200);
        // The ping sent at 1000 left before the slow-down; the one sent at 1100 takes (10..=15) * 4.
        let slowed: Vec<Tick> = sim
            .checker()
            .0
            .iter()
            .map(|(tick, ..)| *tick)
            .filter(|t| *t > 1100)
            .collect();
        assert!(
            !slowed.is_empty() && (1140..=1160).contains(&slowed[0]),
            "slowed delivery at {slowed:?}"
        );
    }

    #[test]
    fn drop_next_kills_the_next_message_halfway_and_drop_removes_one() {
        let mut sim = echo_sim(2);
        sim.apply(Action::DropNext { from: 0 }).unwrap();
        assert!(sim.drop_armed(0));
        sim.run_until(101);
        let doomed = sim.in_flight().next().unwrap().clone();
        assert!(doomed.doomed && doomed.arrives - doomed.sent <= 8);
        assert!(doomed.progress(doomed.arrives as f64) <= 0.5 + f32::EPSILON);
        sim.run_until(150);
        assert!(sim.checker().0.is_empty());
        assert!(!sim.drop_armed(0));
        sim.run_until(201);
        let id = sim.in_flight().next().unwrap().id;
        sim.apply(Action::Drop { message: id }).unwrap();
        assert_eq!(
            sim.apply(Action::Drop { message: id }),
            Err(ActionError::UnknownMessage(id))
        );
        sim.run_until(250);
        assert!(sim.checker().0.is_empty());
        assert_eq!(sim.stats().dropped, 2);
    }

    #[test]
    fn refused_actions_change_nothing() {
        let mut sim = echo_sim(3);
        sim.apply(Action::Kill { node: 2 }).unwrap();
        assert_eq!(
            sim.apply(Action::Kill { node: 1 }),
            Err(ActionError::TooManyDown {
                max_down: 1,
                nodes: 3
            })
        );
        assert!(!sim.faults().is_down(1));
        assert_eq!(
            sim.apply(Action::Kill { node: 2 }),
            Err(ActionError::AlreadyDown(2))
        );
        assert_eq!(
            sim.apply(Action::Recover { node: 0 }),
            Err(ActionError::AlreadyUp(0))
        );
        assert_eq!(
            sim.apply(Action::Kill { node: 7 }),
            Err(ActionError::UnknownNode { node: 7, nodes: 3 })
        );
        assert_eq!(
            sim.apply(Action::Slow { node: 0, factor: 0 }),
            Err(ActionError::BadSlowFactor(0))
        );
        assert_eq!(
            sim.apply(Action::Cut {
                from: 1,
                to: 1,
                both: true
            }),
            Err(ActionError::SelfLink(1))
        );
        assert_eq!(
            sim.apply(Action::Partition {
                groups: vec![vec![0, 1], vec![1]]
            }),
            Err(ActionError::NodeInTwoGroups(1))
        );
        assert_eq!(sim.apply(Action::PauseClients), Err(ActionError::NoClients));
        // A refused scheduled action is recorded, not fatal.
        sim.schedule(10, Action::Kill { node: 0 });
        sim.run_until(20);
        assert!(
            sim.trace()
                .iter()
                .any(|t| matches!(&t.event, Event::Refused { .. }))
        );
    }

    fn echo_script(steps: serde_json::Value) -> Sim<Echo, Notes> {
        let mut config = echo_sim(2).config().clone();
        config.net.base_delay = 10;
        let steps: Vec<ScriptStep> = serde_json::from_value(steps).unwrap();
        Sim::scripted(
            vec![
                Echo {
                    count: 0,
                    volatile: 0
                };
                2
            ],
            Notes::default(),
            config,
            steps,
        )
    }

    #[test]
    fn a_script_orders_every_event_one_hop_apart() {
        let mut sim = echo_script(serde_json::json!([
            {"step": "timer", "node": 0, "timer": "ping"},
            {"step": "deliver", "from": 0, "to": 1, "msg": 1},
            {"step": "deliver", "from": 0, "to": 1, "msg": 1, "copy": true},
            {"step": "deliver", "from": 1, "to": 0, "msg": 1},
            {"step": "kill", "node": 1},
            {"step": "timer", "node": 0, "timer": "ping"},
            {"step": "recover", "node": 1},
        ]));
        sim.run_until(10_000);
        assert_eq!(sim.script_error(), None);
        assert_eq!(
            sim.checker().0,
            vec![(20, 1, (0, 1)), (30, 1, (0, 1)), (40, 0, (1, 1))],
            "each step one hop after the last, the copy delivered again"
        );
        let sends: Vec<(Tick, Tick)> = sim
            .trace()
            .iter()
            .filter_map(|t| match t.event {
                Event::Send {
                    from: 0, arrives, ..
                } => Some((t.tick, arrives)),
                _ => None,
            })
            .collect();
        assert_eq!(
            sends,
            vec![(10, 20), (10, 30), (60, 80)],
            "a message travels until the step that delivers it; unscripted, until the end"
        );
        let lost: Vec<Tick> = sim
            .trace()
            .iter()
            .filter(|t| {
                matches!(
                    t.event,
                    Event::Drop {
                        reason: DropReason::Lost,
                        ..
                    }
                )
            })
            .map(|t| t.tick)
            .collect();
        assert_eq!(
            lost,
            vec![80, 80],
            "the second echo and the last ping are lost when the script ends"
        );
        assert!(
            !sim.trace().iter().any(|t| t.tick > 80),
            "timers stay armed but never fire by themselves"
        );
        assert!(!sim.faults().is_down(1));
    }

    #[test]
    fn a_script_step_that_cannot_happen_stops_the_script() {
        let mut sim = echo_script(serde_json::json!([
            {"step": "timer", "node": 0, "timer": "ping"},
            {"step": "deliver", "from": 0, "to": 1, "msg": 5},
            {"step": "deliver", "from": 0, "to": 1, "msg": 1},
        ]));
        sim.run_until(10_000);
        let error = sim.script_error().unwrap();
        assert!(
            error.starts_with("script[1] (deliver from 0 to 1): no message 5"),
            "{error}"
        );
        assert!(sim.checker().0.is_empty(), "later steps do not run");

        let mut sim =
            echo_script(serde_json::json!([{"step": "timer", "node": 1, "timer": "ping"}]));
        sim.run_until(10_000);
        assert!(
            sim.script_error()
                .unwrap()
                .contains("node 1 has no \"ping\" timer armed"),
            "{:?}",
            sim.script_error()
        );
    }
}
