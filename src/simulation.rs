//! A running simulation of any protocol: the simulator of a [`Model`] behind the [`RunningSim`]
//! interface the CLI, the game, chaos and the tests use, and [`run`] from setup to summary.

use std::any::Any;

use crate::protocol::{Model, ModelSim, Outcome, RunningSim, Setup, Summary};
use crate::sim::{
    Action, ActionError, Event, Faults, MessageStats, MsgId, NodeId, Sim, SimConfig, Tick,
    Violation,
};
use crate::view::{self, Checks, LogLine, MessageView, NodeView, ResultsView};

/// The simulator of protocol `P`, as a [`RunningSim`].
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
    }
    fn outcome(&self) -> Option<Outcome> {
        P::outcome(&self.sim)
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
    fn checks(&self, setup: &Setup) -> Checks {
        P::checks(&self.sim, setup)
    }
    fn results(&self, setup: &Setup, outcome: &Outcome) -> ResultsView {
        P::results(&self.sim, setup, outcome)
    }
    fn clients_paused(&self) -> Option<bool> {
        P::clients_paused(&self.sim)
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// A running simulation of whichever protocol its setup names.
pub struct Simulation(Box<dyn RunningSim>);

impl std::ops::Deref for Simulation {
    type Target = dyn RunningSim;
    fn deref(&self) -> &Self::Target {
        &*self.0
    }
}

impl std::ops::DerefMut for Simulation {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut *self.0
    }
}

impl Simulation {
    /// A fresh simulation of `setup` with its scenario actions scheduled.
    pub fn new(setup: &Setup, record_trace: bool) -> Simulation {
        let mut simulation = Simulation(setup.mode.start(setup, record_trace));
        for timed in &setup.actions {
            simulation.schedule(timed.at, timed.action.clone());
        }
        simulation
    }

    /// The simulator inside, if it runs protocol `P`.
    pub fn of<P: Model>(&self) -> Option<&ModelSim<P>> {
        self.0.as_any().downcast_ref::<Running<P>>().map(|r| &r.sim)
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
