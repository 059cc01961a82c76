//! What a protocol plug-in provides, and the setup of a run.
//!
//! A protocol is a unit struct in its own folder under `src/protocols/` implementing two traits:
//! [`Protocol`], the facts and views that need no running simulation (its settings, broken
//! variants, layout, cheat sheet, chaos faults), and [`Model`], its actor and checker types and the
//! views of a running simulation (node badges, message labels, live checks, results). Everything
//! else (the CLI, the game, the web bridge, chaos, the tests) reaches protocols through a [`Mode`],
//! a handle to one of them, and the registry in `src/protocols/mod.rs` lists them all.
//!
//! One file per audience: [`plugin`] is what a protocol implements, [`setup`] its settings and
//! their validation, [`running`] the erased running simulation everything above calls, and
//! [`lesson`] lessons.

use serde::Serialize;

pub mod lesson;
pub mod plugin;
pub mod running;
pub mod setup;

pub use lesson::*;
pub use plugin::*;
pub use running::*;
pub use setup::*;

/// One of the registered protocols (or a test's own): what a setup, a link or a flag chooses.
/// `Mode::of(&Paxos)` keeps the protocol and how to start a simulation of it, so that a plug-in
/// need not write `start` itself.
#[derive(Clone, Copy)]
pub struct Mode {
    protocol: &'static dyn Protocol,
    start: fn(&Setup, bool) -> Box<dyn AnyEngine>,
}

impl std::ops::Deref for Mode {
    type Target = dyn Protocol;
    fn deref(&self) -> &Self::Target {
        self.protocol
    }
}

/// A fresh simulation of protocol `P`.
fn start<P: Model>(setup: &Setup, record_trace: bool) -> Box<dyn AnyEngine> {
    Box::new(TypedEngine::<P>::new(setup, record_trace))
}

impl PartialEq for Mode {
    fn eq(&self, other: &Mode) -> bool {
        self.name() == other.name()
    }
}

impl Eq for Mode {}

impl std::fmt::Debug for Mode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl Serialize for Mode {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

impl Mode {
    pub const fn of<P: Model>(protocol: &'static P) -> Mode {
        Mode {
            protocol,
            start: start::<P>,
        }
    }

    /// A fresh simulation of `setup` (nothing scheduled yet).
    pub fn start(&self, setup: &Setup, record_trace: bool) -> Box<dyn AnyEngine> {
        (self.start)(setup, record_trace)
    }

    pub fn knob(&self, field: &str) -> Option<&'static Knob> {
        self.knobs().iter().find(|k| k.field == field)
    }

    pub fn variant(&self, name: &str) -> Option<&'static Variant> {
        self.variants().iter().find(|v| v.name == name)
    }
}
