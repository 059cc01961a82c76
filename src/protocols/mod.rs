//! The protocols Beat Paxos teaches, one folder each, and the registry: the only place that lists
//! them. A protocol's folder holds its actor (`node.rs`), its checker (`checker.rs`), its views and
//! teaching text (`view.rs`), and in `mod.rs` its settings, broken variants and chaos faults (the
//! [`Protocol`](crate::protocol::Protocol) and [`Model`](crate::protocol::Model) traits).

use crate::protocol::Mode;

// Plain declarations, not made by the macro: rustfmt and cargo-mutants find files by reading
// `mod` items and never expand macros, so a macro-declared folder is neither formatted nor mutated.
pub mod ec_counter;
pub mod paxos;

/// Lists each protocol's [`Mode`] in [`REGISTRY`], in menu order.
macro_rules! registry {
    ($($protocol:ident),+ $(,)?) => {
        /// Every protocol the CLI, the game, the web bridge and the tests know, in menu order.
        pub const REGISTRY: &[Mode] = &[$($protocol::MODE),+];
    };
}

registry!(paxos, ec_counter);

/// The registered protocol called `name`.
pub fn by_name(name: &str) -> Option<Mode> {
    REGISTRY.iter().copied().find(|m| m.name() == name)
}

/// The protocol a broken variant belongs to.
pub fn owner_of_variant(variant: &str) -> Option<Mode> {
    REGISTRY
        .iter()
        .copied()
        .find(|m| m.variant(variant).is_some())
}

/// What `--mode` and `mode=` accept, for error messages: "`paxos` or `ec-counter`".
pub fn names() -> String {
    let quoted: Vec<String> = REGISTRY.iter().map(|m| format!("`{}`", m.name())).collect();
    match quoted.split_last() {
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        None => String::new(),
    }
}

/// How many nodes make a majority of `n`.
pub fn majority(n: usize) -> usize {
    n / 2 + 1
}
