//! Seeded runs of Raft under random faults that then heal: the driver of the property soak (a
//! debug-cheap one in the unit tests, a long one in `tests/check.rs`). Phase 2's chaos adversary,
//! which strikes at the dangerous moments, is meant to take over from it.

use std::ops::Range;

use super::{RaftChecker, RaftNode, RaftShape, RaftTiming, Variant};
use crate::sim::{Action, Engine, EngineConfig, NetConfig, NodeId, SimRng, Tick};

/// Clients, and commands each, in a soak run.
const CLIENTS: usize = 2;
const COMMANDS: u32 = 8;

/// How long after the faults heal every command must be acknowledged.
const PATIENCE: Tick = 30_000;

/// One seeded run of `servers` servers of `variant`, two clients submitting 8 commands each:
/// random crashes of a minority, partitions, cut links and slow servers every 0.1–0.8 s until
/// `faults_end`, then everything heals and recovers. Returns the run once every client is done,
/// or [`PATIENCE`] ticks after the faults end.
pub fn chaos_run(
    seed: u64,
    servers: usize,
    faults_end: Tick,
    variant: Variant,
) -> Engine<RaftNode, RaftChecker> {
    let shape = RaftShape {
        servers,
        clients: CLIENTS,
        commands: COMMANDS,
    };
    // Clients think for up to 2 s between commands, so commands arrive all through the faults.
    let timing = RaftTiming {
        think_time: 2_000,
        ..RaftTiming::default()
    };
    let config = EngineConfig {
        seed,
        net: NetConfig::default(),
        max_down: (servers - 1) / 2,
        record_trace: false,
    };
    let nodes = RaftNode::cluster(shape, variant, timing);
    let mut sim = Engine::new(nodes, RaftChecker::new(servers), config);
    let mut dice = SimRng::new(seed, 1);
    let mut at = 0;
    while at < faults_end {
        at += dice.between(100, 800);
        sim.run_until(at);
        let node = dice.index(servers);
        let other = (node + 1 + dice.index(servers - 1)) % servers;
        let action = match dice.below(6) {
            0 => Action::Kill { node },
            1 => Action::Recover { node },
            2 => {
                let cut: Vec<NodeId> = (0..servers).filter(|_| dice.chance(500)).collect();
                let rest: Vec<NodeId> = (0..servers).filter(|n| !cut.contains(n)).collect();
                Action::Partition {
                    groups: vec![cut, rest],
                }
            }
            3 => Action::Cut {
                from: node,
                to: other,
                both: dice.chance(500),
            },
            4 => Action::Slow {
                node,
                factor: 1 + dice.below(4) as u32,
            },
            _ => Action::HealAll,
        };
        // A refusal (killing a server already down, or one too many) just skips this fault.
        let _ = sim.apply(action);
    }
    let _ = sim.apply(Action::HealAll);
    for node in 0..servers {
        let _ = sim.apply(Action::Slow { node, factor: 1 });
        let _ = sim.apply(Action::Recover { node });
    }
    while sim.checker().clients_done < CLIENTS && sim.now() < faults_end + PATIENCE {
        let next = sim.now() + 500;
        sim.run_until(next);
    }
    sim
}

/// `variant`'s chaos runs for every seed at every size: what went wrong in each failed run (a
/// violation, or a command not acknowledged once the faults healed). Empty when all is well.
pub fn soak(seeds: Range<u64>, sizes: &[usize], faults_end: Tick, variant: Variant) -> Vec<String> {
    let mut failures = Vec::new();
    for &servers in sizes {
        for seed in seeds.clone() {
            let sim = chaos_run(seed, servers, faults_end, variant);
            let at = format!("seed {seed}, {servers} servers");
            if let Some(v) = sim.violations().first() {
                failures.push(format!("{at}: {} at {}: {}", v.kind, v.tick, v.detail));
            }
            let acknowledged = sim.checker().acknowledged.len();
            if acknowledged < CLIENTS * COMMANDS as usize {
                failures.push(format!(
                    "{at}: {acknowledged} of {} commands acknowledged",
                    CLIENTS * COMMANDS as usize
                ));
            }
        }
    }
    failures
}
