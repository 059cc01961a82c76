//! The protocols Beat Paxos teaches, each an I/O-free [`Actor`](crate::sim::Actor).

pub mod ec_counter;
pub mod paxos;

/// Node names in cluster order: red, green, blue first, as in the original game. Each also has a
/// distinct letter so that no one has to tell colours apart.
pub const NODE_NAMES: [&str; 9] = [
    "red", "green", "blue", "orange", "purple", "yellow", "teal", "pink", "white",
];

/// The one-letter mark of a node, shown on it so colour is never the only cue.
pub fn node_letter(node: usize) -> char {
    ['R', 'G', 'B', 'O', 'P', 'Y', 'S', 'K', 'W'][node % 9]
}

pub fn node_name(node: usize) -> &'static str {
    NODE_NAMES[node % NODE_NAMES.len()]
}

/// How many nodes make a majority of `n`.
pub fn majority(n: usize) -> usize {
    n / 2 + 1
}
