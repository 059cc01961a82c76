//! The scheduler: [`Engine`] owns time, the network and the faults, takes due events off its queue
//! in order, applies actors' effects and feeds every note to the checker. When each event is due
//! is its pacing's to say: delays and the seed, or a script (see [`pacing`](super::pacing)).

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};
use std::io::Write;

use serde::Serialize;

use super::pacing::Pacing;
use super::trace::TraceStream;
use super::*;

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
    /// The message this one is a duplicate of (made by `duplicate` or `duplicate_next`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub copy_of: Option<MsgId>,
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
            (arrives - sent).saturating_mul(2)
        } else {
            arrives - sent
        };
        ((now - sent as f64) / full as f64).clamp(0.0, 1.0) as f32
    }
}

/// What the next due event is, as [`Engine::peek_next`] shows it.
#[derive(Debug)]
pub enum Next<'a, M> {
    /// A message reaches the end of its link (it may still be lost there: see [`Engine::deliverable`]).
    Arrival(&'a InFlight<M>),
    /// A message that was dropped on the way: nothing happens.
    Gone,
    /// A timer of this node fires (or was cancelled: then nothing happens).
    Timer(NodeId),
    /// A scheduled action applies (or is refused).
    Action(&'a Action),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Due {
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
pub struct EngineConfig {
    pub seed: u64,
    pub net: NetConfig,
    /// How many attackable nodes may be down at once.
    pub max_down: usize,
    /// Keep the full event history in memory (the game does; bulk chaos runs need not, and
    /// `--trace` streams it to a file instead, see [`Engine::stream_trace`]).
    pub record_trace: bool,
}

pub struct Engine<A: Actor, C: Checker<A::Note>> {
    pub(super) now: Tick,
    pub(super) config: EngineConfig,
    pub(super) rng: SimRng,
    pub(super) actors: Vec<A>,
    pub(super) faults: Faults,
    pub(super) drop_next: Vec<bool>,
    /// Armed `duplicate_next`: the delay of the copy of the node's next message.
    pub(super) duplicate_next: Vec<Option<Tick>>,
    pub(super) in_flight: BTreeMap<MsgId, InFlight<A::Msg>>,
    pub(super) next_msg_id: MsgId,
    pub(super) queue: BinaryHeap<Reverse<(Tick, u64, Due)>>,
    pub(super) next_seq: u64,
    /// Armed timers per node, with the sequence number of their queue entry.
    pub(super) timers: Vec<Vec<(A::Timer, u64)>>,
    pub(super) scheduled: Vec<Action>,
    /// How many of `scheduled` are still queued (kept, not counted, as runs ask after every event).
    pub(super) pending_scheduled: usize,
    /// The event history of the run's line: the first `trace_len` entries are the history so
    /// far; any beyond are what happened next last time this line was run, kept when the run is
    /// restored to an earlier snapshot (see [`Engine::restore`]) and written over as it runs again.
    pub(super) trace: Vec<Traced<A>>,
    pub(super) trace_len: usize,
    pub(super) stream: Option<TraceStream>,
    /// When an action (the player's or a scheduled one) last applied.
    pub(super) last_action_at: Option<Tick>,
    pub(super) events_processed: u64,
    pub(super) stats: MessageStats,
    pub(super) checker: C,
    pub(super) violations: Vec<Violation>,
    pub(super) effects: Vec<Effect<A>>,
    /// How events are timed: by delays and the seed, or by a script.
    pub(super) pacing: Pacing,
}

impl<A: Actor, C: Checker<A::Note>> Engine<A, C> {
    /// A cluster of `actors`, started at tick 0.
    pub fn new(actors: Vec<A>, checker: C, config: EngineConfig) -> Self {
        let mut sim = Self::unstarted(actors, checker, config, Pacing::Timed);
        sim.start_nodes();
        sim
    }

    /// A cluster at tick 0 whose nodes have not run `on_start` yet.
    pub(super) fn unstarted(
        actors: Vec<A>,
        checker: C,
        config: EngineConfig,
        pacing: Pacing,
    ) -> Self {
        let n = actors.len();
        Engine {
            now: 0,
            rng: SimRng::new(config.seed, 0),
            config,
            actors,
            faults: Faults::new(n),
            drop_next: vec![false; n],
            duplicate_next: vec![None; n],
            in_flight: BTreeMap::new(),
            next_msg_id: 0,
            queue: BinaryHeap::new(),
            next_seq: 0,
            timers: vec![Vec::new(); n],
            scheduled: Vec::new(),
            pending_scheduled: 0,
            trace: Vec::new(),
            trace_len: 0,
            stream: None,
            last_action_at: None,
            events_processed: 0,
            stats: MessageStats::default(),
            checker,
            violations: Vec::new(),
            effects: Vec::new(),
            pacing,
        }
    }

    /// Runs every node's `on_start`.
    pub(super) fn start_nodes(&mut self) {
        for node in 0..self.actors.len() {
            self.with_actor(node, |actor, cx| actor.on_start(cx));
        }
    }

    pub fn now(&self) -> Tick {
        self.now
    }
    pub fn config(&self) -> &EngineConfig {
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
    /// The event history kept in memory (empty once it streams, see [`Engine::stream_trace`]).
    pub fn trace(&self) -> &[Traced<A>] {
        // A snapshot holds no trace, only its length (see `Engine::snapshot`).
        &self.trace[..self.trace_len.min(self.trace.len())]
    }
    /// When an action (the player's or a scheduled one) last applied, if any has.
    pub fn last_action_at(&self) -> Option<Tick> {
        self.last_action_at
    }

    /// From now on writes every event to `out` as a JSON line instead of keeping it, after the
    /// events kept so far: memory stays flat however long the run. Write errors are kept for
    /// [`Engine::finish_trace`].
    pub fn stream_trace(&mut self, out: Box<dyn Write + Send + Sync>) {
        let mut stream = TraceStream {
            out,
            line: Vec::new(),
            digest: TraceDigest::default(),
            error: None,
        };
        let mut kept = std::mem::take(&mut self.trace);
        kept.truncate(self.trace_len);
        self.trace_len = 0;
        for traced in kept {
            stream.write(&traced);
        }
        self.stream = Some(stream);
    }

    /// Flushes a streamed trace and returns its digest, or the first write error. For a trace
    /// kept in memory, its digest.
    pub fn finish_trace(&mut self) -> std::io::Result<TraceDigest> {
        match &mut self.stream {
            Some(stream) => match stream.error.take() {
                Some(error) => Err(error),
                None => stream.out.flush().map(|()| stream.digest),
            },
            None => {
                let mut digest = TraceDigest::default();
                let mut line = Vec::new();
                for traced in &self.trace[..self.trace_len.min(self.trace.len())] {
                    line.clear();
                    serde_json::to_writer(&mut line, traced).expect("trace events serialize");
                    line.push(b'\n');
                    digest.add(&line);
                }
                Ok(digest)
            }
        }
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
    pub fn duplicate_armed(&self, node: NodeId) -> bool {
        self.duplicate_next[node].is_some()
    }
    /// Whether anything (a message, a timer, a scheduled action) is still due.
    pub fn idle(&self) -> bool {
        self.queue.is_empty()
    }
    /// Scheduled actions not yet applied.
    pub fn pending_actions(&self) -> usize {
        self.pending_scheduled
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
        self.last_action_at = Some(self.now);
        self.record(Event::Action {
            action: action.clone(),
        });
        self.faults.apply(&action);
        match action {
            Action::Kill { node } => {
                self.timers[node].clear();
                self.drop_next[node] = false;
                self.duplicate_next[node] = None;
                self.actors[node].on_crash();
            }
            Action::Recover { node } => {
                self.with_actor(node, |actor, cx| actor.on_start(cx));
            }
            Action::Slow { .. }
            | Action::Cut { .. }
            | Action::Heal { .. }
            | Action::Partition { .. }
            | Action::HealAll => {}
            Action::Drop { message } => {
                if let Some(m) = self.in_flight.remove(&message) {
                    self.lose(m, DropReason::Player);
                }
            }
            Action::DropNext { from } => self.drop_next[from] = true,
            Action::Duplicate { message, delay } => {
                if let Some(original) = self.in_flight.get(&message) {
                    let at = original.arrives + delay;
                    self.copy(message, at);
                }
            }
            Action::DuplicateNext { from, delay } => self.duplicate_next[from] = Some(delay),
            Action::Submit { node } => self.with_actor(node, |actor, cx| actor.on_submit(cx)),
            Action::Deliver { message, copy } => self.deliver_now(message, copy),
            Action::Fire { node, timer } => self.fire_now(node, timer),
            Action::Network { run } => self.let_network_run(run),
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
            Action::Submit { node } if !self.actors[*node].takes_commands() => {
                return Err(ActionError::TakesNoCommands(*node));
            }
            Action::Submit { node } if self.faults.is_down(*node) => {
                return Err(ActionError::DownForCommands(*node));
            }
            Action::Drop { message } | Action::Duplicate { message, .. }
                if !self.in_flight.contains_key(message) =>
            {
                return Err(ActionError::UnknownMessage(*message));
            }
            Action::Deliver { .. } | Action::Fire { .. } | Action::Network { .. } => {
                self.validate_network_move(action)?
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
            Due::ScriptEnd => self.end_script(),
        }
        true
    }

    /// Tick of the next due event.
    pub fn next_due(&self) -> Option<Tick> {
        self.queue.peek().map(|Reverse((tick, _, _))| *tick)
    }

    /// The next due event and its tick, without processing it: what an adversary watching the
    /// run (chaos) reacts to.
    pub fn peek_next(&self) -> Option<(Tick, Next<'_, A::Msg>)> {
        let &Reverse((tick, _, due)) = self.queue.peek()?;
        let next = match due {
            Due::Arrival(id) => self.in_flight.get(&id).map_or(Next::Gone, Next::Arrival),
            Due::Timer(node) => Next::Timer(node),
            Due::Scheduled(index) => Next::Action(&self.scheduled[index]),
            // A script names its own events; no adversary reacts inside a scripted run.
            Due::Script(_) | Due::ScriptEnd => Next::Gone,
        };
        Some((tick, next))
    }

    /// Whether `message`, on arriving now, would reach its receiver (not doomed, link open,
    /// receiver up).
    pub fn deliverable(&self, message: &InFlight<A::Msg>) -> bool {
        !message.doomed
            && self.faults.link_open(message.from, message.to)
            && !self.faults.is_down(message.to)
    }

    pub(super) fn arrive(&mut self, id: MsgId) {
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

    pub(super) fn lose(&mut self, m: InFlight<A::Msg>, reason: DropReason) {
        self.stats.dropped += 1;
        self.record(Event::Drop {
            id: m.id,
            from: m.from,
            to: m.to,
            reason,
        });
    }

    pub(super) fn fire_timer(&mut self, node: NodeId, seq: u64) {
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
        let mut own_rng = self.own_rng(node);
        let rng = own_rng.as_mut().unwrap_or(&mut self.rng);
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
                    let after = after.saturating_mul(u64::from(self.faults.slow_factor(node)));
                    let seq = self.arm_timer(node, self.now.saturating_add(after));
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

    /// Puts a copy of in-flight message `of` on the wire, arriving at `arrives`. It takes no
    /// randomness, so a run that duplicates nothing is unchanged by this feature.
    pub(super) fn copy(&mut self, of: MsgId, arrives: Tick) {
        let original = &self.in_flight[&of];
        let (from, to, msg) = (original.from, original.to, original.msg.clone());
        let id = self.next_msg_id;
        self.next_msg_id += 1;
        self.stats.duplicated += 1;
        self.record(Event::Duplicate {
            id,
            of,
            from,
            to,
            arrives,
        });
        self.in_flight.insert(
            id,
            InFlight {
                id,
                from,
                to,
                sent: self.now,
                arrives,
                doomed: false,
                copy_of: Some(of),
                msg,
            },
        );
        self.queue_arrival(id, arrives);
    }

    /// Records a send and puts the message in flight (the caller queues its arrival, if timed).
    pub(super) fn put_on_wire(
        &mut self,
        id: MsgId,
        from: NodeId,
        to: NodeId,
        arrives: Tick,
        doomed: bool,
        msg: A::Msg,
    ) {
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
                copy_of: None,
                msg,
            },
        );
    }

    /// Queues `due` at `tick`; returns the sequence number that orders same-tick events.
    pub(super) fn push_due(&mut self, tick: Tick, due: Due) -> u64 {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.queue.push(Reverse((tick, seq, due)));
        seq
    }

    fn record(&mut self, event: Event<A>) {
        if let Some(stream) = &mut self.stream {
            stream.write(&Traced {
                tick: self.now,
                event,
            });
        } else if self.config.record_trace {
            let traced = Traced {
                tick: self.now,
                event,
            };
            match self.trace.get_mut(self.trace_len) {
                Some(kept) => *kept = traced,
                None => self.trace.push(traced),
            }
            self.trace_len += 1;
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

    #[derive(Clone, Default)]
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

    fn echo_sim(nodes: usize) -> Engine<Echo, Notes> {
        let config = EngineConfig {
            seed: 3,
            net: NetConfig {
                base_delay: 10,
                jitter: 5,
            },
            max_down: 1,
            record_trace: true,
        };
        Engine::new(
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

    /// A writer the test can read back, failing once it holds `capacity` bytes.
    #[derive(Clone)]
    struct SharedBuffer {
        bytes: std::sync::Arc<std::sync::Mutex<Vec<u8>>>,
        capacity: usize,
    }

    impl Write for SharedBuffer {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            let mut bytes = self.bytes.lock().unwrap();
            if bytes.len() + buf.len() > self.capacity {
                return Err(std::io::Error::new(std::io::ErrorKind::StorageFull, "full"));
            }
            bytes.extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_streamed_trace_is_the_trace_kept_in_memory_and_keeps_nothing() {
        let mut kept = echo_sim(3);
        kept.schedule(250, Action::Kill { node: 1 });
        kept.run_until(1000);
        let expected: String = kept
            .trace()
            .iter()
            .map(|t| serde_json::to_string(t).unwrap() + "\n")
            .collect();

        let mut streamed = echo_sim(3);
        streamed.schedule(250, Action::Kill { node: 1 });
        streamed.run_until(300);
        let buffer = SharedBuffer {
            bytes: Default::default(),
            capacity: usize::MAX,
        };
        streamed.stream_trace(Box::new(buffer.clone()));
        assert!(
            streamed.trace().is_empty(),
            "events so far went to the stream"
        );
        streamed.run_until(1000);
        assert!(streamed.trace().is_empty());
        assert_eq!(
            String::from_utf8(std::mem::take(&mut *buffer.bytes.lock().unwrap())).unwrap(),
            expected
        );
        let digest = streamed.finish_trace().unwrap();
        assert_eq!(digest, kept.finish_trace().unwrap());
        assert_eq!(digest.events, kept.trace().len() as u64);
        assert_eq!(
            digest.hash,
            fnv1a64(FNV_OFFSET, expected.as_bytes()),
            "the hash covers every line in order"
        );
    }

    #[test]
    fn a_restored_snapshot_runs_on_as_the_run_did_and_keeps_the_trace_beyond_it() {
        let mut sim = echo_sim(2);
        sim.run_until(330);
        let snapshot = sim.snapshot();
        let history = sim.trace().len();
        assert!(snapshot.trace().is_empty() && snapshot.kept_trace().is_empty());
        sim.apply(Action::Kill { node: 1 }).unwrap();
        sim.run_until(900);
        let whole = format!("{:?}", sim.trace());
        let (len, stats) = (sim.trace().len(), sim.stats());

        sim.restore(&snapshot).unwrap();
        assert_eq!(sim.now(), 330);
        assert!(!sim.faults().is_down(1));
        assert_eq!(sim.trace().len(), history);
        assert_eq!(sim.kept_trace().len(), len, "what came next is kept");
        sim.apply(Action::Kill { node: 1 }).unwrap();
        sim.run_until(900);
        assert_eq!(format!("{:?}", sim.trace()), whole, "the same run again");
        assert_eq!(sim.stats(), stats);

        // Another line from the snapshot: what was kept goes once it is forgotten.
        sim.restore(&snapshot).unwrap();
        sim.forget_kept_trace();
        assert_eq!(sim.kept_trace().len(), sim.trace().len());
        let later = {
            let mut other = echo_sim(2);
            other.run_until(600);
            other.snapshot()
        };
        assert!(sim.restore(&later).is_err(), "its history is not here");
        sim.stream_trace(Box::new(std::io::sink()));
        assert!(
            sim.restore(&snapshot).is_err(),
            "a streamed trace cannot rewind"
        );
    }

    #[test]
    fn a_failed_trace_write_is_reported_when_the_trace_finishes() {
        let mut sim = echo_sim(2);
        sim.stream_trace(Box::new(SharedBuffer {
            bytes: Default::default(),
            capacity: 200,
        }));
        sim.run_until(1000);
        let error = sim.finish_trace().unwrap_err();
        assert_eq!(error.kind(), std::io::ErrorKind::StorageFull);
    }

    #[test]
    fn time_saturates_at_its_end_instead_of_going_backwards() {
        // Unreachable through validated input (see TICK_LIMIT), but the simulator must not wrap.
        let mut sim = echo_sim(2);
        sim.apply(Action::Kill { node: 0 }).unwrap();
        sim.schedule(u64::MAX - 150, Action::Recover { node: 0 });
        sim.schedule(
            u64::MAX - 140,
            Action::Slow {
                node: 1,
                factor: 20,
            },
        );
        let mut last = sim.now();
        for _ in 0..200 {
            assert!(sim.step_one(), "the pinger keeps pinging");
            assert!(
                sim.now() >= last,
                "time went back from {last} to {}",
                sim.now()
            );
            last = sim.now();
        }
        assert_eq!(last, u64::MAX);
        assert_eq!(sim.last_action_at(), Some(u64::MAX - 140));
    }

    #[test]
    fn duplicate_next_delivers_a_trailing_copy_with_its_own_id() {
        let mut sim = echo_sim(2);
        sim.apply(Action::DuplicateNext { from: 0, delay: 30 })
            .unwrap();
        assert!(sim.duplicate_armed(0));
        sim.run_until(101);
        assert!(!sim.duplicate_armed(0), "only the next message is copied");
        let wire: Vec<_> = sim.in_flight().cloned().collect();
        assert_eq!(wire.len(), 2);
        let (original, copy) = (&wire[0], &wire[1]);
        assert_ne!(original.id, copy.id);
        assert_eq!(copy.copy_of, Some(original.id));
        assert_eq!((copy.from, copy.to, copy.msg), (0, 1, original.msg));
        assert_eq!(copy.arrives, original.arrives + 30);
        sim.run_until(199);
        let pings: Vec<(Tick, u32)> = sim
            .checker()
            .0
            .iter()
            .filter(|(_, node, _)| *node == 1)
            .map(|(tick, _, (_, msg))| (*tick, *msg))
            .collect();
        assert_eq!(
            pings,
            vec![
                (original.arrives, original.msg),
                (original.arrives + 30, original.msg)
            ],
            "node 1 gets the ping twice"
        );
        let stats = sim.stats();
        assert_eq!(stats.duplicated, 1);
        assert_eq!(
            stats.delivered + stats.dropped + sim.in_flight_count() as u64,
            stats.sent + stats.duplicated
        );
        let copies: Vec<_> = sim
            .trace()
            .iter()
            .filter(|t| matches!(t.event, Event::Duplicate { .. }))
            .collect();
        assert_eq!(copies.len(), 1);
        let line = serde_json::to_string(copies[0]).unwrap();
        assert!(
            line.contains(&format!(
                r#""event":"duplicate","id":{},"of":{}"#,
                copy.id, original.id
            )),
            "{line}"
        );
    }

    #[test]
    fn duplicating_an_in_flight_message_and_what_is_refused() {
        let mut sim = echo_sim(2);
        sim.run_until(101);
        let original = sim.in_flight().next().unwrap().clone();
        sim.apply(Action::Duplicate {
            message: original.id,
            delay: 0,
        })
        .unwrap();
        let copy = sim
            .in_flight()
            .find(|m| m.copy_of.is_some())
            .unwrap()
            .clone();
        assert_eq!(copy.arrives, original.arrives, "no delay: right behind it");
        assert_eq!(copy.sent, 101, "the copy leaves when it is made");
        sim.run_until(original.arrives);
        let received = sim.checker().0.iter().filter(|(_, n, _)| *n == 1).count();
        assert_eq!(received, 2);
        assert_eq!(
            sim.apply(Action::Duplicate {
                message: original.id,
                delay: 0
            }),
            Err(ActionError::UnknownMessage(original.id)),
            "a delivered message can no longer be copied"
        );
        // A crash disarms duplicate_next, as it does drop_next.
        sim.apply(Action::DuplicateNext { from: 1, delay: 5 })
            .unwrap();
        sim.apply(Action::Kill { node: 1 }).unwrap();
        assert!(!sim.duplicate_armed(1));
    }

    #[test]
    fn peek_next_shows_what_step_one_will_do() {
        let mut sim = echo_sim(2);
        sim.schedule(50, Action::HealAll);
        assert!(matches!(
            sim.peek_next(),
            Some((50, Next::Action(Action::HealAll)))
        ));
        sim.step_one();
        assert!(matches!(sim.peek_next(), Some((100, Next::Timer(0)))));
        sim.step_one();
        let Some((tick, Next::Arrival(ping))) = sim.peek_next() else {
            panic!("the ping is next");
        };
        assert_eq!((tick, ping.from, ping.to), (ping.arrives, 0, 1));
        assert!(sim.deliverable(ping));
        let id = ping.id;
        sim.apply(Action::Cut {
            from: 0,
            to: 1,
            both: false,
        })
        .unwrap();
        let Some((_, Next::Arrival(ping))) = sim.peek_next() else {
            panic!("still the ping");
        };
        assert!(!sim.deliverable(ping), "the cut link will lose it");
        sim.apply(Action::Drop { message: id }).unwrap();
        assert!(matches!(sim.peek_next(), Some((_, Next::Gone))));
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

    #[test]
    fn the_network_player_delivers_and_fires_by_hand_and_the_network_runs_when_let() {
        let config = echo_sim(2).config().clone();
        let echo = Echo {
            count: 0,
            volatile: 0,
        };
        let mut sim = Engine::network_player(vec![echo; 2], Notes::default(), config);
        sim.run_until(1_000);
        assert_eq!(sim.events_processed(), 0, "nothing happens by itself");
        assert_eq!(sim.armed_timers(0).count(), 1);
        sim.apply(Action::Fire { node: 0, timer: 0 }).unwrap();
        let ping = sim.in_flight().next().unwrap().id;
        sim.run_until(5_000);
        assert_eq!(sim.in_flight_count(), 1, "the ping waits on its link");

        sim.apply(Action::Deliver {
            message: ping,
            copy: true,
        })
        .unwrap();
        assert_eq!(sim.checker().0.len(), 1, "a copy delivered");
        assert!(sim.in_flight().any(|m| m.id == ping), "the original waits");
        sim.apply(Action::Deliver {
            message: ping,
            copy: false,
        })
        .unwrap();
        assert_eq!(
            sim.apply(Action::Deliver {
                message: ping,
                copy: false
            }),
            Err(ActionError::UnknownMessage(ping))
        );
        assert_eq!(
            sim.apply(Action::Fire { node: 1, timer: 0 }),
            Err(ActionError::NoTimer { node: 1, timer: 0 })
        );
        assert_eq!(sim.in_flight_count(), 2, "two echoes wait");

        // Let it run: the echoes arrive (sent at 5,000, after 10 to 15 ticks), and the ping
        // timer, re-armed at 1,000 and due at 1,100, fires at once.
        sim.apply(Action::Network { run: true }).unwrap();
        sim.run_until(5_020);
        let echoes = sim.checker().0.iter().filter(|(_, node, _)| *node == 0);
        assert_eq!(echoes.count(), 2);
        assert_eq!(
            sim.trace()
                .iter()
                .filter(|t| matches!(t.event, Event::Timer { .. }))
                .map(|t| t.tick)
                .collect::<Vec<_>>(),
            vec![1_000, 5_000]
        );
        sim.run_until(5_350);
        let pinged = sim.checker().0.len();
        assert!(pinged > 4, "the network runs as timed");

        sim.apply(Action::Network { run: false }).unwrap();
        sim.run_until(50_000);
        assert_eq!(sim.checker().0.len(), pinged, "held again");
        assert_eq!(sim.armed_timers(0).count(), 1, "the timer stays armed");
        sim.apply(Action::Network { run: true }).unwrap();
        sim.run_until(50_100);
        assert!(sim.checker().0.len() > pinged, "and fires once let run");

        let mut timed = echo_sim(2);
        assert_eq!(
            timed.apply(Action::Fire { node: 0, timer: 0 }),
            Err(ActionError::NotNetworkPlayer)
        );
    }

    fn echo_script(steps: serde_json::Value) -> Engine<Echo, Notes> {
        let mut config = echo_sim(2).config().clone();
        config.net.base_delay = 10;
        let steps: Vec<ScriptStep> = serde_json::from_value(steps).unwrap();
        Engine::scripted(
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

    #[test]
    fn a_second_delivery_or_a_late_lose_says_the_first_delivery_took_the_message() {
        for (second, expected) in [
            (
                serde_json::json!({"step": "deliver", "from": 0, "to": 1, "msg": 1}),
                "script[2] (deliver from 0 to 1): message 1 was already delivered by script[1]; \
                 to deliver it again, as a network that duplicates, write \"copy\": true",
            ),
            (
                serde_json::json!({"step": "lose", "from": 0, "to": 1, "msg": 1}),
                "script[2] (lose from 0 to 1): message 1 was already delivered by script[1], so \
                 it is no longer on the wire to lose",
            ),
        ] {
            let mut sim = echo_script(serde_json::json!([
                {"step": "timer", "node": 0, "timer": "ping"},
                {"step": "deliver", "from": 0, "to": 1, "msg": 1},
                second,
            ]));
            sim.run_until(10_000);
            assert_eq!(sim.script_error(), Some(expected));
        }
    }

    #[test]
    fn a_step_after_the_run_ended_is_an_error_only_if_it_could_never_happen() {
        let script = |last: serde_json::Value| {
            echo_script(serde_json::json!([
                {"step": "timer", "node": 0, "timer": "ping"},
                {"step": "deliver", "from": 0, "to": 1, "msg": 1},
                last,
            ]))
        };
        // The run ends after step 1 (as a decided round does); step 2 could still happen.
        let mut sim = script(serde_json::json!({"step": "deliver", "from": 1, "to": 0, "msg": 1}));
        sim.run_until(20);
        let before = (sim.now(), sim.checker().0.clone(), sim.trace().len());
        sim.check_rest_of_script();
        assert_eq!(sim.script_error(), None);
        assert_eq!(
            (sim.now(), sim.checker().0.clone(), sim.trace().len()),
            before,
            "the check plays the rest on a copy"
        );

        let mut sim = script(serde_json::json!({"step": "deliver", "from": 1, "to": 0, "msg": 9}));
        sim.run_until(20);
        sim.check_rest_of_script();
        let error = sim.script_error().unwrap_or_default();
        assert!(
            error.starts_with("script[2] (deliver from 1 to 0): no message 9")
                && error.ends_with(
                    "(the run ended before this step, at tick 20; it could never have happened)"
                ),
            "{error}"
        );
    }
}
