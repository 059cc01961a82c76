//! Beat Paxos: a game about attacking distributed protocols and watching safety hold.
//!
//! The crate is a deterministic simulation core ([`sim`], [`protocols`], [`check`]) with the
//! runners built on it ([`scenario`], [`run`], [`chaos`]), and, with the `game` feature, the Bevy
//! front end in [`game`].

pub mod chaos;
pub mod check;
#[cfg(not(target_arch = "wasm32"))]
pub mod cli;
#[cfg(feature = "game")]
pub mod game;
pub mod link;
pub mod protocols;
pub mod round;
pub mod run;
pub mod scenario;
pub mod sim;
pub mod view;
