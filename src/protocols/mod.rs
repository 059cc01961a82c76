//! The protocols Beat Paxos teaches, one folder each, and the registry: the only place that lists
//! them. A protocol's folder holds its actor (`node.rs`), its checker (`checker.rs`), its views and
//! teaching text (`view.rs`), and in `mod.rs` its settings, broken variants and chaos faults (the
//! [`Protocol`](crate::protocol::Protocol) and [`Model`](crate::protocol::Model) traits).

use crate::explore::Explorer;
use crate::protocol::Mode;

// Each protocol is a folder and its line here, plus its entry in REGISTRY. The modules are plain
// `mod` items, not made by a macro, because rustfmt and cargo-mutants find files by reading `mod`
// items and never expand macros.
pub mod ec_counter;
pub mod paxos;
pub mod raft;

/// Every protocol the CLI, the game, the web bridge and the tests know, in menu order.
pub const REGISTRY: &[Entry] = &[paxos::ENTRY, ec_counter::ENTRY, raft::ENTRY];

/// A registered protocol: its contract, and the hooks that live in layers above the contract
/// (so that `protocol` need not import them).
#[derive(Clone, Copy)]
pub struct Entry {
    pub mode: Mode,
    /// How `beat-paxos check` and "can this still break?" explore it exhaustively, if they can
    /// (in the browser, the core search only).
    pub explorer: Option<&'static dyn Explorer>,
}

/// Every registered protocol, in menu order.
pub fn modes() -> impl Iterator<Item = Mode> {
    REGISTRY.iter().map(|entry| entry.mode)
}

/// How `beat-paxos check` explores `mode`, if it is registered and can be.
pub fn explorer(mode: Mode) -> Option<&'static dyn Explorer> {
    REGISTRY
        .iter()
        .find(|entry| entry.mode == mode)
        .and_then(|entry| entry.explorer)
}

/// The registered protocol called `name`.
pub fn by_name(name: &str) -> Option<Mode> {
    modes().find(|m| m.name() == name)
}

/// The protocol a broken variant belongs to.
pub fn owner_of_variant(variant: &str) -> Option<Mode> {
    modes().find(|m| m.variant(variant).is_some())
}

/// What `--mode` and `mode=` accept, for error messages: "`paxos` or `ec-counter`".
pub fn names() -> String {
    let quoted: Vec<String> = modes().map(|m| format!("`{}`", m.name())).collect();
    match quoted.split_last() {
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        None => String::new(),
    }
}

/// Kept here too for protocols written against the old path; it lives in `sim::quorum`.
pub use crate::sim::quorum::majority;

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::protocol::Setup;
    use crate::sim::NodeId;

    #[test]
    fn protocols_are_found_by_name_and_by_variant() {
        for mode in modes() {
            assert_eq!(by_name(mode.name()), Some(mode));
            for variant in mode.variants() {
                assert_eq!(owner_of_variant(variant.name), Some(mode));
            }
            assert!(
                names().contains(&format!("`{}`", mode.name())),
                "{}",
                names()
            );
        }
        assert_eq!(by_name("zab"), None);
        assert_eq!(owner_of_variant("byzantine"), None);
        let last = REGISTRY.last().unwrap().mode.name();
        assert!(names().ends_with(&format!(" or `{last}`")), "{}", names());
    }

    /// Each protocol at every size its size knob allows.
    fn every_shape() -> Vec<Setup> {
        let mut shapes = Vec::new();
        for mode in modes() {
            let size = mode
                .knob(mode.size_knob())
                .expect("the size knob is a knob");
            for nodes in size.range.clone() {
                let mut setup = Setup::for_mode(mode);
                setup.set_knob(size.field, nodes).unwrap();
                shapes.push(setup);
            }
        }
        shapes
    }

    #[test]
    fn every_shape_has_its_own_label_and_score_key() {
        let shapes = every_shape();
        let labels: BTreeSet<String> = shapes.iter().map(|s| s.mode.label(s)).collect();
        let keys: BTreeSet<String> = shapes.iter().map(|s| s.mode.score_key(s)).collect();
        assert_eq!(labels.len(), shapes.len(), "{labels:?}");
        assert_eq!(keys.len(), shapes.len(), "{keys:?}");
    }

    #[test]
    fn every_node_has_a_name_a_place_and_a_link() {
        for setup in every_shape() {
            let (mode, n) = (setup.mode, setup.cluster_size());
            let names: BTreeSet<String> = (0..n).map(|node| mode.node_name(&setup, node)).collect();
            assert_eq!(names.len(), n, "{mode:?}: {names:?}");
            assert!(names.iter().all(|name| !name.is_empty()));
            assert_eq!(mode.layout(&setup).len(), n);
            let links = mode.links(&setup);
            let pairs: BTreeSet<(NodeId, NodeId)> =
                links.iter().map(|&(a, b)| (a.min(b), a.max(b))).collect();
            assert_eq!(pairs.len(), links.len(), "{mode:?}: a link drawn twice");
            assert!(pairs.iter().all(|&(a, b)| a < b && b < n), "{links:?}");
            // Targets (the nodes the player attacks) all talk to each other; everyone talks to someone.
            for a in 0..n {
                assert!(
                    pairs.iter().any(|&(x, y)| x == a || y == a),
                    "{mode:?}: {a} alone"
                );
                for b in a + 1..n {
                    if setup.is_target(a) && setup.is_target(b) {
                        assert!(pairs.contains(&(a, b)), "{mode:?}: {a}-{b} missing");
                    }
                }
            }
        }
    }

    #[test]
    fn every_protocol_explains_its_messages() {
        for mode in modes() {
            assert!(!mode.cheat_sheet().rows.is_empty(), "{mode:?}");
        }
    }
}
