//! Raft's own chaos strikes: in a chaos run, a Raft simulation watches each step and strikes at
//! the moments where Raft's rules matter, which random faults almost never hit:
//! - **forget**: a server has just granted a vote: crash it (it recovers two hops later), pause
//!   the clients, and cut the candidate off from the servers that have not heard of its term,
//!   keeping just enough of them to make its majority. The candidate wins with the crashed
//!   server's vote; a server that was cut off later starts an election for the same term and
//!   asks the recovered server, which (in `forget-vote`) has forgotten its vote.
//! - **crash the leader**: right after a leader appends a command (cut off, so that the entry
//!   stays its own), or right after its commit index rises (an entry reached a majority), crash
//!   it; it recovers a few hops later. Repeated, this leaves logs that differ in their last
//!   terms and then commits over them: the paper's Figure 8 (a)–(d).
//! - **strand the old leader**: right after a leader appends a command, partition it away alone;
//!   it keeps accepting commands it cannot commit, and a new leader overwrites them on healing.
//!
//! Which strikes a run has, and how long they watch, are drawn from the seed; each moment's
//! dice from the seed and the tick. The plan never changes during a run, so a snapshot of the
//! simulation is all a rewind needs, and a chaos run replays exactly. The simulation keeps the
//! contract's `RunningSim` and forwards everything else to the plain Raft simulation.

use std::any::Any;

use super::{Raft, RaftNode};
use crate::diagram::Stamped;
use crate::protocol::{Outcome, Running, RunningSim, Setup, Summary, Upcoming, model_sim};
use crate::sim::quorum::majority;
use crate::sim::{
    Action, ActionError, Faults, MessageStats, NodeId, SimRng, Tick, TraceDigest, Violation,
};
use crate::view::{Checks, LogLine, MessageView, NodeView, Quorums, ResultsView};

/// The RNG stream of the plan (the engine's chaos uses streams 1 to 3).
const PLAN_STREAM: u64 = 23;
const DICE_STREAM: u64 = 24;

/// The strikes of one chaos run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Plan {
    seed: u64,
    hop: Tick,
    /// Strikes watch the run until this tick.
    until: Tick,
    forget: bool,
    crash_leader: bool,
    strand_leader: bool,
}

impl Plan {
    /// The plan of chaos run `setup`: each strike in about half the runs, watching the first
    /// 50 to 200 hops.
    pub fn new(setup: &Setup) -> Plan {
        let mut rng = SimRng::new(setup.seed, PLAN_STREAM);
        let hop = setup.net.base_delay + setup.net.jitter;
        Plan {
            seed: setup.seed,
            hop,
            until: hop * rng.between(50, 200),
            forget: rng.chance(500),
            crash_leader: rng.chance(700),
            strand_leader: rng.chance(300),
        }
    }

    fn dice(&self, now: Tick, node: NodeId) -> SimRng {
        let key = self.seed ^ now.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ (node as u64) << 56;
        SimRng::new(key, DICE_STREAM)
    }
}

/// What a step may change about a server that the strikes watch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Seen {
    term: u64,
    voted_for: Option<NodeId>,
    leader: bool,
    log: usize,
    commit: u64,
}

/// A fresh Raft simulation: with Raft's strikes in a chaos run.
pub(super) fn start(setup: &Setup, record_trace: bool) -> Box<dyn RunningSim> {
    if setup.chaos {
        Box::new(Struck::new(setup, record_trace))
    } else {
        Box::new(Running::<Raft>::new(setup, record_trace))
    }
}

/// A Raft simulation with its chaos strikes.
pub struct Struck {
    inner: Box<dyn RunningSim>,
    plan: Plan,
}

impl Struck {
    pub fn new(setup: &Setup, record_trace: bool) -> Struck {
        Struck {
            inner: Box::new(Running::<Raft>::new(setup, record_trace)),
            plan: Plan::new(setup),
        }
    }

    fn seen(&self) -> Vec<Seen> {
        let sim = model_sim::<Raft>(&*self.inner).expect("a Raft simulation");
        sim.actors()
            .iter()
            .filter_map(RaftNode::as_server)
            .map(|s| Seen {
                term: s.term,
                voted_for: s.voted_for,
                leader: s.is_leader(),
                log: s.log.len(),
                commit: s.commit,
            })
            .collect()
    }

    /// Strikes at what the last step changed.
    fn strike(&mut self, before: &[Seen]) {
        let now = self.inner.now();
        if now > self.plan.until {
            return;
        }
        let after = self.seen();
        let hop = self.plan.hop;
        for (node, (was, is)) in before.iter().zip(&after).enumerate() {
            let mut dice = self.plan.dice(now, node);
            let voted = is.voted_for.filter(|c| *c != node);
            if self.plan.forget
                && voted.is_some()
                && (was.voted_for, was.term) != (is.voted_for, is.term)
            {
                self.forget(node, voted.unwrap_or(node), is.term, &after);
            }
            if !(was.leader && is.leader && was.term == is.term) {
                continue;
            }
            let appended = is.log > was.log;
            let committed = is.commit > was.commit;
            if self.plan.crash_leader && (appended || committed) && dice.chance(800) {
                let down = hop * dice.between(2, 8);
                if appended {
                    // Its appends are already on the wire: cut them off too, so that the new
                    // entry stays on the crashed leader alone (Figure 8's (a) and (b)).
                    self.isolate(node, after.len(), down);
                }
                self.crash(node, down);
            } else if self.plan.strand_leader && appended && dice.chance(300) {
                self.isolate(node, after.len(), hop * dice.between(15, 40));
            }
        }
    }

    /// Partitions `node` away from the other servers for `for_ticks`.
    fn isolate(&mut self, node: NodeId, servers: usize, for_ticks: Tick) {
        let rest: Vec<NodeId> = (0..servers).filter(|n| *n != node).collect();
        let _ = self.inner.apply(Action::Partition {
            groups: vec![vec![node], rest],
        });
        let at = self.inner.now() + for_ticks;
        self.inner.schedule(at, Action::HealAll);
    }

    fn crash(&mut self, node: NodeId, for_ticks: Tick) {
        if self.inner.apply(Action::Kill { node }).is_ok() {
            let at = self.inner.now() + for_ticks;
            self.inner.schedule(at, Action::Recover { node });
        }
    }

    /// `voter` just voted for `candidate` in `term`.
    fn forget(&mut self, voter: NodeId, candidate: NodeId, term: u64, servers: &[Seen]) {
        let now = self.inner.now();
        let hop = self.plan.hop;
        self.crash(voter, 2 * hop);
        let _ = self.inner.apply(Action::PauseClients);
        self.inner.schedule(now + 40 * hop, Action::ResumeClients);
        let heard = servers
            .iter()
            .enumerate()
            .filter(|(n, s)| *n != candidate && s.term >= term)
            .count();
        let keep = (majority(servers.len()) - 1).saturating_sub(heard);
        let unheard = servers
            .iter()
            .enumerate()
            .filter(|(n, s)| *n != candidate && s.term < term)
            .map(|(n, _)| n);
        for other in unheard.skip(keep).collect::<Vec<_>>() {
            let cut = Action::Cut {
                from: candidate,
                to: other,
                both: true,
            };
            if self.inner.apply(cut).is_ok() {
                self.inner.schedule(
                    now + 40 * hop,
                    Action::Heal {
                        from: candidate,
                        to: other,
                    },
                );
            }
        }
    }
}

impl RunningSim for Struck {
    fn step_one(&mut self) -> bool {
        let before = self.seen();
        let stepped = self.inner.step_one();
        if stepped {
            self.strike(&before);
        }
        stepped
    }
    fn run_until(&mut self, tick: Tick) {
        while self.inner.next_due().is_some_and(|t| t <= tick) {
            self.step_one();
        }
        self.inner.run_until(tick)
    }
    fn run_to_end(&mut self, max_ticks: Tick) {
        while !self.inner.finished() && self.inner.next_due().is_some_and(|t| t <= max_ticks) {
            self.step_one();
        }
        self.inner.run_to_end(max_ticks)
    }
    fn snapshot(&self) -> Box<dyn RunningSim> {
        Box::new(Struck {
            inner: self.inner.snapshot(),
            plan: self.plan,
        })
    }
    /// The plan is the seed's, so the simulation's snapshot is the whole state.
    fn restore(&mut self, snapshot: &dyn RunningSim) -> Result<(), String> {
        self.inner.restore(snapshot)
    }
    /// The plain Raft simulation, for `Simulation::of::<Raft>` and restores.
    fn as_any(&self) -> &dyn Any {
        self.inner.as_any()
    }

    fn now(&self) -> Tick {
        self.inner.now()
    }
    fn apply(&mut self, action: Action) -> Result<(), ActionError> {
        self.inner.apply(action)
    }
    fn schedule(&mut self, at: Tick, action: Action) {
        self.inner.schedule(at, action)
    }
    fn next_due(&self) -> Option<Tick> {
        self.inner.next_due()
    }
    fn upcoming(&self) -> Option<(Tick, Upcoming)> {
        self.inner.upcoming()
    }
    fn dangers(&self) -> Vec<&'static str> {
        self.inner.dangers()
    }
    fn violations(&self) -> &[Violation] {
        self.inner.violations()
    }
    fn stats(&self) -> MessageStats {
        self.inner.stats()
    }
    fn faults(&self) -> &Faults {
        self.inner.faults()
    }
    fn drop_armed(&self, node: NodeId) -> bool {
        self.inner.drop_armed(node)
    }
    fn in_flight_count(&self) -> usize {
        self.inner.in_flight_count()
    }
    fn trace_len(&self) -> usize {
        self.inner.trace_len()
    }
    fn events_processed(&self) -> u64 {
        self.inner.events_processed()
    }
    fn pending_actions(&self) -> usize {
        self.inner.pending_actions()
    }
    fn script_error(&self) -> Option<&str> {
        self.inner.script_error()
    }
    fn finished(&self) -> bool {
        self.inner.finished()
    }
    fn won_at(&self) -> Option<Tick> {
        self.inner.won_at()
    }
    fn summary(&self, setup: &Setup) -> Summary {
        self.inner.summary(setup)
    }
    fn trace_lines(&self, from: usize) -> Vec<String> {
        self.inner.trace_lines(from)
    }
    fn stream_trace(&mut self, out: Box<dyn std::io::Write + Send + Sync>) {
        self.inner.stream_trace(out)
    }
    fn finish_trace(&mut self) -> std::io::Result<TraceDigest> {
        self.inner.finish_trace()
    }
    fn node_views(&self, setup: &Setup) -> Vec<NodeView> {
        self.inner.node_views(setup)
    }
    fn message_views(&self, setup: &Setup, now: f64) -> Vec<MessageView> {
        self.inner.message_views(setup, now)
    }
    fn log_lines(&self, setup: &Setup, from: usize) -> Vec<LogLine> {
        self.inner.log_lines(setup, from)
    }
    fn lost_since(&self, from: usize) -> Vec<crate::sim::MsgId> {
        self.inner.lost_since(from)
    }
    fn diagram_entries(&self, setup: &Setup, from: usize) -> Vec<Stamped> {
        self.inner.diagram_entries(setup, from)
    }
    fn checks(&self, setup: &Setup) -> Checks {
        self.inner.checks(setup)
    }
    fn results(&self, setup: &Setup, outcome: &Outcome) -> ResultsView {
        self.inner.results(setup, outcome)
    }
    fn clients_paused(&self) -> Option<bool> {
        self.inner.clients_paused()
    }
    fn quorums(&self) -> Quorums {
        self.inner.quorums()
    }
    fn caption(&self, setup: &Setup) -> Option<(Tick, String)> {
        self.inner.caption(setup)
    }
    fn forget_kept_trace(&mut self) {
        self.inner.forget_kept_trace()
    }
    fn moment_before(&self, tick: Tick) -> Option<Tick> {
        self.inner.moment_before(tick)
    }
    fn moment_after(&self, tick: Tick) -> Option<Tick> {
        self.inner.moment_after(tick)
    }
}
