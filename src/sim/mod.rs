//! The deterministic simulation core: integer ticks, one seeded RNG, a network of in-flight
//! messages with faults, and I/O-free protocol actors driven by an event queue.
//!
//! An [`Actor`] is one node's state machine. It never does I/O: it is handed a [`Cx`] and pushes
//! effects (send, set or cancel a timer, record a note for the checkers). The [`Engine`] owns time,
//! the network and the faults, applies the effects, and feeds every note to a [`Checker`].

pub mod action;
mod actor;
pub mod checker;
pub mod network;
mod pacing;
mod player;
pub mod quorum;
pub mod rng;
mod scheduler;
pub mod script;
mod snapshot;
mod trace;

pub use action::{Action, ActionError, TimedAction};
pub use actor::{Actor, Cx, Effect, notes, sent};
pub use checker::{Checker, Violation};
pub use network::{Faults, NetConfig};
pub use rng::SimRng;
pub use scheduler::{Engine, EngineConfig, InFlight, Next};
pub use script::ScriptStep;
pub use trace::{DropReason, Event, FNV_OFFSET, MessageStats, TraceDigest, Traced, fnv1a64};

/// Simulated time. One tick is one millisecond of the simulated system.
pub type Tick = u64;

/// The latest tick a run may be asked to reach: 10^15 ticks, about 31,700 years of simulated
/// time. Scenario files and flags are checked against it so that a tick plus any delay or timer
/// stays far below `u64::MAX`; the simulator saturates rather than wraps all the same, so time
/// never goes backwards.
pub const TICK_LIMIT: Tick = 1_000_000_000_000_000;
pub type NodeId = usize;
pub type MsgId = u64;
