//! Safety and liveness checkers. They watch the notes actors emit and never trust the protocol:
//! each one is tested against a deliberately broken variant that it must catch.

pub mod ec_counter;
pub mod paxos;

use serde::{Deserialize, Serialize};

use crate::sim::{NodeId, Tick};

/// A property that failed, with when and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Violation {
    pub tick: Tick,
    pub kind: String,
    pub detail: String,
}

/// Observes every note as it is emitted, reporting broken properties into `violations`.
pub trait Checker<Note> {
    fn observe(&mut self, tick: Tick, node: NodeId, note: &Note, violations: &mut Vec<Violation>);
}
