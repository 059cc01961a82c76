//! A running simulation of any protocol: the simulator of a [`Model`] behind the [`AnyEngine`]
//! interface the CLI, the game, chaos and the tests use, and [`run`] from setup to summary.

use crate::chaos::Adversary;
use crate::protocol::{AnyEngine, Model, ProtocolEngine, Setup, Summary, engine_of};
use crate::sim::{Action, ActionError, NodeId, Tick, TraceDigest};

/// A running simulation of whichever protocol its setup names, with the chaos adversary
/// watching it if the setup is a chaos run.
///
/// Its adversary cannot be stepped past: nothing hands out the `&mut dyn AnyEngine` inside, and
/// there is no `Deref` to it either; [`engine`](Self::engine) lends it out to read.
///
/// ```compile_fail
/// use beat_paxos::protocol::{AnyEngine, Setup};
/// use beat_paxos::simulation::Simulation;
/// let mut run = Simulation::new(&Setup::for_mode(beat_paxos::protocols::paxos::MODE), false);
/// let inner: &mut dyn AnyEngine = run.engine(); // read only
/// inner.step_one();
/// ```
///
/// ```
/// use beat_paxos::protocol::Setup;
/// use beat_paxos::simulation::Simulation;
/// let mut run = Simulation::new(&Setup::for_mode(beat_paxos::protocols::paxos::MODE), false);
/// assert!(run.step_one()); // through the adversary, when there is one
/// ```
pub struct Simulation {
    sim: Box<dyn AnyEngine>,
    adversary: Option<Adversary>,
}

impl Simulation {
    /// The run as it stands, to read (what the views, the CLI and the tests look at). A shared
    /// reference only: everything that changes the run is a method of `Simulation`, so nothing
    /// can step past its adversary.
    pub fn engine(&self) -> &dyn AnyEngine {
        &*self.sim
    }

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

    /// A copy of the run as it stands, without its trace: see [`Engine::snapshot`].
    pub fn snapshot(&self) -> Simulation {
        Simulation {
            sim: self.sim.snapshot(),
            adversary: self.adversary.clone(),
        }
    }

    /// Continues from a snapshot of this run's line: see [`Engine::restore`].
    pub fn restore(&mut self, snapshot: &Simulation) -> Result<(), String> {
        self.sim.restore(&*snapshot.sim)?;
        self.adversary = snapshot.adversary.clone();
        Ok(())
    }

    /// The simulator inside, if it runs protocol `P`.
    pub fn of<P: Model>(&self) -> Option<&ProtocolEngine<P>> {
        engine_of::<P>(&*self.sim)
    }

    /// Applies a player's or a scenario's action now (see [`AnyEngine::apply`]).
    pub fn apply(&mut self, action: Action) -> Result<(), ActionError> {
        self.sim.apply(action)
    }

    pub fn schedule(&mut self, at: Tick, action: Action) {
        self.sim.schedule(at, action)
    }

    /// See [`AnyEngine::stream_trace`].
    pub fn stream_trace(&mut self, out: Box<dyn std::io::Write + Send + Sync>) {
        self.sim.stream_trace(out)
    }

    /// See [`AnyEngine::finish_trace`].
    pub fn finish_trace(&mut self) -> std::io::Result<TraceDigest> {
        self.sim.finish_trace()
    }

    /// See [`AnyEngine::forget_kept_trace`].
    pub fn forget_kept_trace(&mut self) {
        self.sim.forget_kept_trace()
    }

    // The three ways to advance the run go through the adversary when there is one.

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
            let target = self.engine().events_processed().saturating_add(slice);
            while self.engine().events_processed() < target {
                if self.engine().finished()
                    || self.engine().next_due().is_none_or(|tick| tick > max_ticks)
                {
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
        self.engine().faults().is_down(node)
    }

    pub fn slow_factor(&self, node: NodeId) -> u32 {
        self.engine().faults().slow_factor(node)
    }

    /// Whether messages from `from` currently reach `to`.
    pub fn link_open(&self, from: NodeId, to: NodeId) -> bool {
        self.engine().faults().link_open(from, to)
    }

    /// No node down or slowed, no link cut, no partition.
    pub fn all_healed(&self) -> bool {
        self.engine().faults().all_healed()
    }

    /// Writes the event history as JSON lines.
    pub fn write_trace(&self, out: &mut impl std::io::Write) -> std::io::Result<()> {
        for line in self.engine().trace_lines(0) {
            out.write_all(line.as_bytes())?;
        }
        Ok(())
    }
}

/// Runs `setup` start to finish and returns its summary (and the simulation, for traces).
pub fn run(setup: &Setup, record_trace: bool) -> (Summary, Simulation) {
    let mut simulation = Simulation::new(setup, record_trace);
    simulation.run_to_end(setup.max_ticks);
    (simulation.engine().summary(setup), simulation)
}
