//! A running simulation of any protocol: the simulator of a [`Model`] behind the [`RunningSim`]
//! interface the CLI, the game, chaos and the tests use, and [`run`] from setup to summary.

use std::any::Any;

use crate::chaos::Adversary;
use crate::diagram::{Entry, Stamped};
use crate::protocol::{Model, ModelSim, Outcome, RunningSim, Setup, Summary, Upcoming};
use crate::sim::{
    Action, ActionError, Event, Faults, InFlight, MessageStats, MsgId, Next, NodeId, Sim,
    SimConfig, Tick, TraceDigest, Violation,
};
use crate::view::{self, Checks, LogLine, MessageView, NodeView, Quorums, ResultsView};

/// The simulator of protocol `P` behind `run`, if it runs `P`.
pub fn model_sim<P: Model>(run: &dyn RunningSim) -> Option<&ModelSim<P>> {
    run.as_any().downcast_ref::<Running<P>>().map(|r| &r.sim)
}

/// The simulator of protocol `P`, as a [`RunningSim`].
/// How many steps back [`RunningSim::caption`] looks for one worth a caption.
const CAPTION_LOOKBACK: usize = 256;

/// The node whose step an event belongs to: the sender of a send, the receiver of a delivery,
/// the node of a note or a timer. None for the network's and the player's doings.
fn acting_node<A: crate::sim::Actor>(event: &Event<A>) -> Option<NodeId> {
    match event {
        Event::Send { from, .. } => Some(*from),
        Event::Deliver { to, .. } => Some(*to),
        Event::Note { node, .. } | Event::Timer { node, .. } => Some(*node),
        _ => None,
    }
}

pub struct Running<P: Model> {
    sim: ModelSim<P>,
}

impl<P: Model> Running<P> {
    pub fn new(setup: &Setup, record_trace: bool) -> Running<P> {
        let config = SimConfig {
            seed: setup.seed,
            net: setup.net,
            max_down: setup.max_down(),
            record_trace,
        };
        let (actors, checker) = P::build(setup);
        let sim = if setup.script.is_empty() {
            Sim::new(actors, checker, config)
        } else {
            Sim::scripted(actors, checker, config, setup.script.clone())
        };
        Running { sim }
    }
}

impl<P: Model> RunningSim for Running<P> {
    fn now(&self) -> Tick {
        self.sim.now()
    }
    fn apply(&mut self, action: Action) -> Result<(), ActionError> {
        self.sim.apply(action)
    }
    fn schedule(&mut self, at: Tick, action: Action) {
        self.sim.schedule(at, action)
    }
    fn run_until(&mut self, tick: Tick) {
        self.sim.run_until(tick)
    }
    fn step_one(&mut self) -> bool {
        self.sim.step_one()
    }
    fn next_due(&self) -> Option<Tick> {
        self.sim.next_due()
    }
    fn upcoming(&self) -> Option<(Tick, Upcoming)> {
        let (tick, next) = self.sim.peek_next()?;
        let upcoming = match next {
            Next::Arrival(m) => Upcoming::Arrival {
                id: m.id,
                from: m.from,
                to: m.to,
                aim: P::aim(&m.msg),
                copy: m.copy_of.is_some(),
                deliverable: self.sim.deliverable(m),
            },
            Next::Gone => Upcoming::Nothing,
            Next::Timer(node) => Upcoming::Timer(node),
            Next::Action(action) => Upcoming::Action(action.clone()),
        };
        Some((tick, upcoming))
    }
    fn dangers(&self) -> Vec<&'static str> {
        P::dangers(&self.sim)
    }
    fn violations(&self) -> &[Violation] {
        self.sim.violations()
    }
    fn stats(&self) -> MessageStats {
        self.sim.stats()
    }
    fn faults(&self) -> &Faults {
        self.sim.faults()
    }
    fn drop_armed(&self, node: NodeId) -> bool {
        self.sim.drop_armed(node)
    }
    fn in_flight_count(&self) -> usize {
        self.sim.in_flight_count()
    }
    fn trace_len(&self) -> usize {
        self.sim.trace().len()
    }
    fn events_processed(&self) -> u64 {
        self.sim.events_processed()
    }
    fn pending_actions(&self) -> usize {
        self.sim.pending_actions()
    }
    fn script_error(&self) -> Option<&str> {
        self.sim.script_error()
    }
    fn finished(&self) -> bool {
        P::finished(&self.sim)
    }
    fn run_to_end(&mut self, max_ticks: Tick) {
        while !P::finished(&self.sim) {
            match self.sim.next_due() {
                Some(tick) if tick <= max_ticks => self.sim.step_one(),
                _ => break,
            };
        }
        self.sim.check_rest_of_script();
    }
    fn won_at(&self) -> Option<Tick> {
        P::won_at(&self.sim)
    }
    fn summary(&self, setup: &Setup) -> Summary {
        let mut summary = Summary {
            mode: setup.mode.name(),
            seed: setup.seed,
            broken: setup.broken,
            nodes: setup.cluster_size(),
            decided: false,
            value: None,
            decision_tick: None,
            ballots: None,
            messages: self.sim.stats(),
            violations: self.sim.violations().to_vec(),
            ticks: self.sim.now(),
            events: self.sim.events_processed(),
            converged: None,
            status: None,
            reason: None,
            converged_tick: None,
            final_values: None,
            max_acknowledged: None,
            trace_events: None,
            trace_hash: None,
        };
        P::summarize(&self.sim, &mut summary);
        summary
    }
    fn trace_lines(&self, from: usize) -> Vec<String> {
        let trace = self.sim.trace();
        trace[from.min(trace.len())..]
            .iter()
            .map(|event| serde_json::to_string(event).expect("trace events serialize") + "\n")
            .collect()
    }
    fn stream_trace(&mut self, out: Box<dyn std::io::Write + Send + Sync>) {
        self.sim.stream_trace(out)
    }
    fn finish_trace(&mut self) -> std::io::Result<TraceDigest> {
        self.sim.finish_trace()
    }
    fn node_views(&self, setup: &Setup) -> Vec<NodeView> {
        (0..self.sim.actors().len())
            .map(|node| P::node_view(&self.sim, setup, node))
            .collect()
    }
    fn message_views(&self, setup: &Setup, now: f64) -> Vec<MessageView> {
        self.sim
            .in_flight()
            .map(|m| MessageView {
                id: m.id,
                from: m.from,
                to: m.to,
                progress: m.progress(now),
                doomed: m.doomed,
                duplicate: m.copy_of.is_some(),
                look: P::message_look(setup, m),
            })
            .collect()
    }
    fn log_lines(&self, setup: &Setup, from: usize) -> Vec<LogLine> {
        let trace = self.sim.trace();
        trace[from.min(trace.len())..]
            .iter()
            .filter_map(|t| {
                view::log_line(t, P::note_text, |node| setup.mode.node_name(setup, node))
            })
            .collect()
    }
    fn lost_since(&self, from: usize) -> Vec<MsgId> {
        let trace = self.sim.trace();
        trace[from.min(trace.len())..]
            .iter()
            .filter_map(|t| match t.event {
                Event::Drop { id, .. } => Some(id),
                _ => None,
            })
            .collect()
    }
    fn diagram_entries(&self, setup: &Setup, from: usize) -> Vec<Stamped> {
        let trace = self.sim.trace();
        let mut entries = Vec::new();
        for traced in &trace[from.min(trace.len())..] {
            let tick = traced.tick;
            let entry = match &traced.event {
                Event::Send {
                    id,
                    from,
                    to,
                    arrives,
                    msg,
                } => {
                    // The look of a message depends only on it and its ends, as on the wire.
                    let on_wire = InFlight {
                        id: *id,
                        from: *from,
                        to: *to,
                        sent: tick,
                        arrives: *arrives,
                        doomed: false,
                        copy_of: None,
                        msg: msg.clone(),
                    };
                    Some(Entry::Sent {
                        id: *id,
                        from: *from,
                        to: *to,
                        arrives: *arrives,
                        look: P::message_look(setup, &on_wire),
                    })
                }
                Event::Duplicate {
                    id,
                    of,
                    from,
                    to,
                    arrives,
                } => Some(Entry::Copied {
                    id: *id,
                    of: *of,
                    from: *from,
                    to: *to,
                    arrives: *arrives,
                }),
                Event::Deliver { id, .. } => Some(Entry::Delivered { id: *id }),
                Event::Drop { id, reason, .. } => Some(Entry::Lost {
                    id: *id,
                    reason: *reason,
                }),
                Event::Action { action } => Some(Entry::Action(action.clone())),
                Event::Violation { violation } => Some(Entry::Violation(format!(
                    "{}: {}",
                    violation.kind, violation.detail
                ))),
                Event::Timer { .. } | Event::Refused { .. } | Event::Note { .. } => None,
            };
            entries.extend(entry.map(|entry| Stamped { tick, entry }));
            if let Some((node, kind, text)) = P::mark(&traced.event) {
                entries.push(Stamped {
                    tick,
                    entry: Entry::Mark { node, kind, text },
                });
            }
        }
        entries
    }
    fn checks(&self, setup: &Setup) -> Checks {
        P::checks(&self.sim, setup)
    }
    fn results(&self, setup: &Setup, outcome: &Outcome) -> ResultsView {
        P::results(&self.sim, setup, outcome)
    }
    fn clients_paused(&self) -> Option<bool> {
        P::clients_paused(&self.sim)
    }
    fn quorums(&self) -> Quorums {
        P::quorums(&self.sim)
    }
    fn caption(&self, setup: &Setup) -> Option<(Tick, String)> {
        // Walk back through the trace one step at a time (one node handling one thing at one
        // tick); a bounded walk, as the newest steps are almost always worth a caption.
        let trace = self.sim.trace();
        let mut end = trace.len();
        for _ in 0..CAPTION_LOOKBACK {
            let last = end.checked_sub(1)?;
            let key = (trace[last].tick, acting_node(&trace[last].event));
            let mut start = last;
            while start > 0 && (trace[start - 1].tick, acting_node(&trace[start - 1].event)) == key
            {
                start -= 1;
            }
            if key.1.is_some()
                && let Some(text) = P::caption(&self.sim, setup, &trace[start..end])
            {
                return Some((key.0, text));
            }
            end = start;
        }
        None
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn snapshot(&self) -> Box<dyn RunningSim> {
        Box::new(Running::<P> {
            sim: self.sim.snapshot(),
        })
    }
    fn restore(&mut self, snapshot: &dyn RunningSim) -> Result<(), String> {
        match snapshot.as_any().downcast_ref::<Running<P>>() {
            Some(snapshot) => self.sim.restore(&snapshot.sim),
            None => Err("the snapshot is of another protocol".into()),
        }
    }
    fn forget_kept_trace(&mut self) {
        self.sim.forget_kept_trace()
    }
    fn moment_before(&self, tick: Tick) -> Option<Tick> {
        let trace = self.sim.trace();
        let before = trace.partition_point(|t| t.tick < tick);
        before.checked_sub(1).map(|index| trace[index].tick)
    }
    fn moment_after(&self, tick: Tick) -> Option<Tick> {
        let kept = self.sim.kept_trace();
        kept.get(kept.partition_point(|t| t.tick <= tick))
            .map(|t| t.tick)
    }
}

/// A running simulation of whichever protocol its setup names, with the chaos adversary
/// watching it if the setup is a chaos run.
pub struct Simulation {
    sim: Box<dyn RunningSim>,
    adversary: Option<Adversary>,
}

impl std::ops::Deref for Simulation {
    type Target = dyn RunningSim;
    fn deref(&self) -> &Self::Target {
        &*self.sim
    }
}

impl std::ops::DerefMut for Simulation {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut *self.sim
    }
}

impl Simulation {
    /// A fresh simulation of `setup` with its scenario actions scheduled.
    pub fn new(setup: &Setup, record_trace: bool) -> Simulation {
        let mut simulation = Simulation {
            sim: setup.mode.start(setup, record_trace),
            adversary: setup.chaos.then(|| Adversary::new(setup)),
        };
        for timed in &setup.actions {
            simulation.schedule(timed.at, timed.action.clone());
        }
        simulation
    }

    /// A copy of the run as it stands, without its trace: see [`Sim::snapshot`].
    pub fn snapshot(&self) -> Simulation {
        Simulation {
            sim: self.sim.snapshot(),
            adversary: self.adversary.clone(),
        }
    }

    /// Continues from a snapshot of this run's line: see [`Sim::restore`].
    pub fn restore(&mut self, snapshot: &Simulation) -> Result<(), String> {
        self.sim.restore(&*snapshot.sim)?;
        self.adversary = snapshot.adversary.clone();
        Ok(())
    }

    /// The simulator inside, if it runs protocol `P`.
    pub fn of<P: Model>(&self) -> Option<&ModelSim<P>> {
        model_sim::<P>(&*self.sim)
    }

    // The three ways to advance the run go through the adversary when there is one (these
    // inherent methods are found before the `RunningSim` ones behind `Deref`).

    /// Processes the next due event, if any. Returns false when nothing is left.
    pub fn step_one(&mut self) -> bool {
        match &mut self.adversary {
            Some(adversary) => adversary.step(&mut *self.sim),
            None => self.sim.step_one(),
        }
    }

    /// Processes every event due at or before `until`, then sets the clock to `until`.
    pub fn run_until(&mut self, until: Tick) {
        if self.adversary.is_some() {
            while self.sim.next_due().is_some_and(|tick| tick <= until) {
                self.step_one();
            }
        }
        self.sim.run_until(until);
    }

    /// Runs until the round is finished, nothing is left to happen, or `max_ticks`.
    pub fn run_to_end(&mut self, max_ticks: Tick) {
        if self.adversary.is_none() {
            return self.sim.run_to_end(max_ticks);
        }
        while !self.sim.finished() && self.sim.next_due().is_some_and(|tick| tick <= max_ticks) {
            self.step_one();
        }
    }

    /// As [`run_to_end`](Self::run_to_end), in slices of `slice` events, asking `keep_going`
    /// after each whether to go on: for a caller that shows progress or can be interrupted.
    /// Returns whether the run got to its end.
    pub fn run_to_end_in_slices(
        &mut self,
        max_ticks: Tick,
        slice: u64,
        mut keep_going: impl FnMut(&Simulation) -> bool,
    ) -> bool {
        loop {
            let target = self.events_processed().saturating_add(slice);
            while self.events_processed() < target {
                if self.finished() || self.next_due().is_none_or(|tick| tick > max_ticks) {
                    // Nothing is left to run: this only checks the rest of a script.
                    self.run_to_end(max_ticks);
                    return true;
                }
                self.step_one();
            }
            if !keep_going(self) {
                return false;
            }
        }
    }

    /// The dangerous situations this run reached: the adversary's (a chaos run's) and the
    /// protocol's, sorted by name.
    pub fn situations(&self) -> Vec<&'static str> {
        let mut seen = self.sim.dangers();
        if let Some(adversary) = &self.adversary {
            seen.extend(adversary.situations(&*self.sim));
        }
        seen.sort_unstable();
        seen.dedup();
        seen
    }

    /// The fault kinds that took effect in a chaos run (see [`crate::chaos::fault`]), sorted;
    /// none outside chaos.
    pub fn fault_kinds(&self) -> Vec<&'static str> {
        self.adversary
            .as_ref()
            .map_or(Vec::new(), Adversary::faults)
    }

    pub fn is_down(&self, node: NodeId) -> bool {
        self.faults().is_down(node)
    }

    pub fn slow_factor(&self, node: NodeId) -> u32 {
        self.faults().slow_factor(node)
    }

    /// Whether messages from `from` currently reach `to`.
    pub fn link_open(&self, from: NodeId, to: NodeId) -> bool {
        self.faults().link_open(from, to)
    }

    /// No node down or slowed, no link cut, no partition.
    pub fn all_healed(&self) -> bool {
        self.faults().all_healed()
    }

    /// Writes the event history as JSON lines.
    pub fn write_trace(&self, out: &mut impl std::io::Write) -> std::io::Result<()> {
        for line in self.trace_lines(0) {
            out.write_all(line.as_bytes())?;
        }
        Ok(())
    }
}

/// Runs `setup` start to finish and returns its summary (and the simulation, for traces).
pub fn run(setup: &Setup, record_trace: bool) -> (Summary, Simulation) {
    let mut simulation = Simulation::new(setup, record_trace);
    simulation.run_to_end(setup.max_ticks);
    (simulation.summary(setup), simulation)
}
