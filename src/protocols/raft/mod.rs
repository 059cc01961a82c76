//! Raft: a replicated log. Servers elect a leader per term; the leader appends clients' commands
//! to its log, replicates them, and commits an entry of its own term once a majority holds it;
//! every server applies committed entries in log order. See `docs/raft.md`.
//!
//! Phase 1 of issue 23: the protocol, its checker and its broken variants, driven by the engine's
//! actor API. It is not yet in the protocol registry.

pub mod checker;
pub mod client;
pub mod node;
pub mod server;
pub mod soak;

#[cfg(test)]
mod tests;

pub use checker::RaftChecker;
pub use node::{
    Command, Entry, Index, Msg, Note, RaftNode, RaftShape, RaftTiming, Term, Timer, Variant,
};
