//! Beat Paxos: a game about attacking distributed protocols and watching safety hold.
//!
//! The crate is a deterministic simulation engine ([`sim`]), the protocols it runs as plug-ins
//! ([`protocol`] says what one provides, [`protocols`] holds them and their registry), the runners
//! built on them ([`simulation`], [`scenario`], [`chaos`], [`round`], [`replay`]), and, with the `game`
//! feature, the Bevy front end in [`game`]. `docs/architecture.md` draws the layers.

pub mod batch;
pub mod chaos;
#[cfg(not(target_arch = "wasm32"))]
pub mod cli;
pub mod diagram;
pub mod explore;
#[cfg(feature = "game")]
pub mod game;
pub mod lesson;
pub mod link;
#[cfg(not(target_arch = "wasm32"))]
pub mod output_file;
pub mod protocol;
pub mod protocols;
pub mod replay;
pub mod round;
pub mod scenario;
pub mod sim;
pub mod simulation;
pub mod view;
