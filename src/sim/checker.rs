//! What a checker is: an observer of the notes actors emit, reporting broken properties. Each
//! protocol brings its own (in its folder under `src/protocols/`); none trusts the protocol, and each
//! is tested against a deliberately broken variant it must catch.

use serde::{Deserialize, Serialize};

use super::{NodeId, Tick};

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
