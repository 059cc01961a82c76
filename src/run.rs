//! Building a simulation from a [`Setup`] and running it to its end: what the CLI, the tests, the
//! benchmarks and the game share.

use serde::Serialize;

use crate::check::Violation;
use crate::check::ec_counter::EcChecker;
use crate::check::paxos::PaxosChecker;
use crate::protocols::ec_counter::EcNode;
use crate::protocols::node_name;
use crate::protocols::paxos::PaxosNode;
use crate::scenario::{Mode, Setup};
use crate::sim::{Action, ActionError, MessageStats, NodeId, Sim, SimConfig, Tick};

pub type PaxosSim = Sim<PaxosNode, PaxosChecker>;
pub type EcSim = Sim<EcNode, EcChecker>;

/// A running simulation of either protocol.
pub enum Simulation {
    Paxos(PaxosSim),
    EcCounter(EcSim),
}

/// Calls `$body` with `$sim` bound to whichever protocol's simulator `$simulation` holds.
#[macro_export]
macro_rules! with_sim {
    ($simulation:expr, $sim:ident => $body:expr) => {
        match $simulation {
            Simulation::Paxos($sim) => $body,
            Simulation::EcCounter($sim) => $body,
        }
    };
}

impl Simulation {
    /// A fresh simulation of `setup` with its scenario actions scheduled.
    pub fn new(setup: &Setup, record_trace: bool) -> Simulation {
        let config = SimConfig {
            seed: setup.seed,
            net: setup.net,
            max_down: setup.max_down(),
            record_trace,
        };
        let mut simulation = match setup.mode {
            Mode::Paxos => {
                let nodes = PaxosNode::cluster(setup.nodes, setup.broken.paxos(), setup.paxos);
                Simulation::Paxos(Sim::new(nodes, PaxosChecker::new(setup.nodes), config))
            }
            Mode::EcCounter => {
                let nodes = EcNode::cluster(setup.ec, setup.broken.ec_counter(), setup.ec_timing);
                Simulation::EcCounter(Sim::new(
                    nodes,
                    EcChecker::new(setup.ec.servers, setup.ec.clients),
                    config,
                ))
            }
        };
        for timed in &setup.actions {
            with_sim!(&mut simulation, sim => sim.schedule(timed.at, timed.action.clone()));
        }
        simulation
    }

    pub fn now(&self) -> Tick {
        with_sim!(self, sim => sim.now())
    }

    pub fn apply(&mut self, action: Action) -> Result<(), ActionError> {
        with_sim!(self, sim => sim.apply(action))
    }

    pub fn schedule(&mut self, at: Tick, action: Action) {
        with_sim!(self, sim => sim.schedule(at, action))
    }

    pub fn run_until(&mut self, tick: Tick) {
        with_sim!(self, sim => sim.run_until(tick))
    }

    pub fn violations(&self) -> &[Violation] {
        with_sim!(self, sim => sim.violations())
    }

    pub fn stats(&self) -> MessageStats {
        with_sim!(self, sim => sim.stats())
    }

    pub fn next_due(&self) -> Option<Tick> {
        with_sim!(self, sim => sim.next_due())
    }

    pub fn is_down(&self, node: NodeId) -> bool {
        with_sim!(self, sim => sim.faults().is_down(node))
    }

    pub fn slow_factor(&self, node: NodeId) -> u32 {
        with_sim!(self, sim => sim.faults().slow_factor(node))
    }

    /// Whether messages from `from` currently reach `to`.
    pub fn link_open(&self, from: NodeId, to: NodeId) -> bool {
        with_sim!(self, sim => sim.faults().link_open(from, to))
    }

    pub fn drop_armed(&self, node: NodeId) -> bool {
        with_sim!(self, sim => sim.drop_armed(node))
    }

    pub fn in_flight_count(&self) -> usize {
        with_sim!(self, sim => sim.in_flight_count())
    }

    pub fn trace_len(&self) -> usize {
        with_sim!(self, sim => sim.trace().len())
    }

    /// No node down or slowed, no link cut, no partition.
    pub fn all_healed(&self) -> bool {
        with_sim!(self, sim => sim.faults().all_healed())
    }

    pub fn events_processed(&self) -> u64 {
        with_sim!(self, sim => sim.events_processed())
    }

    /// The round is over: every Paxos node decided, or the counter converged with every fault
    /// healed and every scheduled action applied.
    pub fn finished(&self) -> bool {
        match self {
            Simulation::Paxos(sim) => sim.checker().decisions.len() == sim.actors().len(),
            Simulation::EcCounter(sim) => {
                sim.checker().converged_at.is_some()
                    && sim.faults().all_healed()
                    && sim.pending_actions() == 0
            }
        }
    }

    /// Runs until [`finished`](Self::finished), nothing is left to happen, or `max_ticks`.
    pub fn run_to_end(&mut self, max_ticks: Tick) {
        while !self.finished() {
            let next = with_sim!(self, sim => sim.next_due());
            match next {
                Some(tick) if tick <= max_ticks => with_sim!(self, sim => sim.step_one()),
                _ => break,
            };
        }
    }

    /// Trace entries `from..` as JSON lines (each ending in a newline), as `--trace` writes them.
    pub fn trace_lines(&self, from: usize) -> Vec<String> {
        with_sim!(self, sim => sim.trace()[from.min(sim.trace().len())..]
            .iter()
            .map(|event| serde_json::to_string(event).expect("trace events serialize") + "\n")
            .collect())
    }

    /// Writes the event history as JSON lines.
    pub fn write_trace(&self, out: &mut impl std::io::Write) -> std::io::Result<()> {
        for line in self.trace_lines(0) {
            out.write_all(line.as_bytes())?;
        }
        Ok(())
    }

    /// The result of a finished run. For ec-counter this adds the end-of-run convergence check.
    pub fn summary(&self, setup: &Setup) -> Summary {
        let mut summary = Summary {
            mode: setup.mode.name(),
            seed: setup.seed,
            broken: setup.broken.name(),
            nodes: setup.cluster_size(),
            decided: false,
            value: None,
            decision_tick: None,
            ballots: None,
            messages: self.stats(),
            violations: self.violations().to_vec(),
            ticks: self.now(),
            events: self.events_processed(),
            converged: None,
            converged_tick: None,
            final_values: None,
            max_acknowledged: None,
            trace_events: None,
            trace_hash: None,
        };
        match self {
            Simulation::Paxos(sim) => {
                let checker = sim.checker();
                summary.decided = checker.first_decision.is_some();
                summary.value = checker
                    .decisions
                    .values()
                    .next()
                    .map(|v| node_name(*v).to_string());
                summary.decision_tick = checker.first_decision;
                summary.ballots = Some(checker.ballots_started);
            }
            Simulation::EcCounter(sim) => {
                let checker = sim.checker();
                checker.finish(sim.now(), &mut summary.violations);
                summary.decided = checker.converged_at.is_some();
                summary.converged = Some(summary.decided);
                summary.decision_tick = checker.converged_at;
                summary.converged_tick = checker.converged_at;
                summary.value = checker
                    .converged_at
                    .map(|_| checker.max_acknowledged.to_string());
                summary.final_values = Some(checker.values.clone());
                summary.max_acknowledged = Some(checker.max_acknowledged);
            }
        }
        summary
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

/// What `beat-paxos sim` prints. For ec-counter, `decided`/`decision_tick` mean converged.
#[derive(Clone, Debug, Serialize)]
pub struct Summary {
    pub mode: &'static str,
    pub seed: u64,
    #[serde(rename = "break")]
    pub broken: Option<&'static str>,
    pub nodes: usize,
    pub decided: bool,
    pub value: Option<String>,
    pub decision_tick: Option<Tick>,
    pub ballots: Option<u32>,
    pub messages: MessageStats,
    pub violations: Vec<Violation>,
    pub ticks: Tick,
    pub events: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub converged: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub converged_tick: Option<Tick>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub final_values: Option<Vec<u64>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_acknowledged: Option<u64>,
    /// With `--trace`: how many events it holds, and the FNV-1a hash of the file (hex).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trace_events: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trace_hash: Option<String>,
}

/// Runs `setup` start to finish and returns its summary (and the simulation, for traces).
pub fn run(setup: &Setup, record_trace: bool) -> (Summary, Simulation) {
    let mut simulation = Simulation::new(setup, record_trace);
    simulation.run_to_end(setup.max_ticks);
    (simulation.summary(setup), simulation)
}
