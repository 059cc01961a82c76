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
//! simulation is all a rewind needs, and a chaos run replays exactly. The engine's adversary
//! asks them after each step (`Protocol::strikes`).

use super::{Raft, RaftNode};
use crate::protocol::{AnyEngine, Setup, Strikes, engine_of};
use crate::sim::quorum::majority;
use crate::sim::{Action, NodeId, SimRng, Tick};

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

/// Raft's strikes for one chaos run: its plan, and the servers as they were before the step.
#[derive(Clone)]
pub struct RaftStrikes {
    plan: Plan,
    before: Vec<Seen>,
}

impl RaftStrikes {
    pub fn new(setup: &Setup) -> RaftStrikes {
        RaftStrikes {
            plan: Plan::new(setup),
            before: Vec::new(),
        }
    }
}

/// What the strikes watch of each server.
fn seen(sim: &dyn AnyEngine) -> Vec<Seen> {
    let sim = engine_of::<Raft>(sim).expect("a Raft simulation");
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

impl Strikes for RaftStrikes {
    fn before(&mut self, sim: &dyn AnyEngine) {
        self.before = seen(sim);
    }
    fn after(&mut self, sim: &mut dyn AnyEngine) {
        let before = std::mem::take(&mut self.before);
        Strike {
            plan: self.plan,
            sim,
        }
        .strike(&before);
    }
    fn boxed_clone(&self) -> Box<dyn Strikes> {
        Box::new(self.clone())
    }
}

/// One step's strikes, on the simulation.
struct Strike<'a> {
    plan: Plan,
    sim: &'a mut dyn AnyEngine,
}

impl Strike<'_> {
    /// Strikes at what the last step changed.
    fn strike(&mut self, before: &[Seen]) {
        let now = self.sim.now();
        if now > self.plan.until {
            return;
        }
        let after = seen(&*self.sim);
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
        let _ = self.sim.apply(Action::Partition {
            groups: vec![vec![node], rest],
        });
        let at = self.sim.now() + for_ticks;
        self.sim.schedule(at, Action::HealAll);
    }

    fn crash(&mut self, node: NodeId, for_ticks: Tick) {
        if self.sim.apply(Action::Kill { node }).is_ok() {
            let at = self.sim.now() + for_ticks;
            self.sim.schedule(at, Action::Recover { node });
        }
    }

    /// `voter` just voted for `candidate` in `term`.
    fn forget(&mut self, voter: NodeId, candidate: NodeId, term: u64, servers: &[Seen]) {
        let now = self.sim.now();
        let hop = self.plan.hop;
        self.crash(voter, 2 * hop);
        let _ = self.sim.apply(Action::PauseClients);
        self.sim.schedule(now + 40 * hop, Action::ResumeClients);
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
            if self.sim.apply(cut).is_ok() {
                self.sim.schedule(
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
