//! The network's fault state: which nodes are down or slowed, which links are cut, the partition.
//! Pure bookkeeping; the simulator consults it when sending and delivering.

use serde::Serialize;

use super::{Action, NodeId};

/// Message timing: every message takes `base_delay + uniform(0..=jitter)` ticks, times the slow
/// factor of the slower endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetConfig {
    pub base_delay: u64,
    pub jitter: u64,
}

impl Default for NetConfig {
    fn default() -> Self {
        NetConfig {
            base_delay: 60,
            jitter: 30,
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Faults {
    down: Vec<bool>,
    slow: Vec<u32>,
    /// `cut[from * n + to]`: messages from `from` to `to` are lost.
    cut: Vec<bool>,
    /// Partition group of each node, if it is in the partition.
    group: Vec<Option<usize>>,
}

impl Faults {
    pub fn new(nodes: usize) -> Self {
        Faults {
            down: vec![false; nodes],
            slow: vec![1; nodes],
            cut: vec![false; nodes * nodes],
            group: vec![None; nodes],
        }
    }

    pub fn nodes(&self) -> usize {
        self.down.len()
    }

    pub fn is_down(&self, node: NodeId) -> bool {
        self.down[node]
    }

    pub fn down_count(&self) -> usize {
        self.down.iter().filter(|d| **d).count()
    }

    pub fn set_down(&mut self, node: NodeId, down: bool) {
        self.down[node] = down;
    }

    pub fn slow_factor(&self, node: NodeId) -> u32 {
        self.slow[node]
    }

    pub fn set_slow(&mut self, node: NodeId, factor: u32) {
        self.slow[node] = factor;
    }

    pub fn set_cut(&mut self, from: NodeId, to: NodeId, cut: bool) {
        let n = self.nodes();
        self.cut[from * n + to] = cut;
    }

    pub fn is_cut(&self, from: NodeId, to: NodeId) -> bool {
        self.cut[from * self.nodes() + to]
    }

    pub fn partition(&mut self, groups: &[Vec<NodeId>]) {
        self.group.iter_mut().for_each(|g| *g = None);
        for (index, members) in groups.iter().enumerate() {
            for &node in members {
                self.group[node] = Some(index);
            }
        }
    }

    pub fn partition_group(&self, node: NodeId) -> Option<usize> {
        self.group[node]
    }

    pub fn heal_all(&mut self) {
        self.cut.iter_mut().for_each(|c| *c = false);
        self.group.iter_mut().for_each(|g| *g = None);
    }

    /// Applies the part of `action` that changes the faults (who is down or slowed, which links
    /// are cut); other actions change nothing here. The simulator and the space-time diagram
    /// both go through this, so the diagram's fault intervals are the simulator's.
    pub fn apply(&mut self, action: &Action) {
        match action {
            Action::Kill { node } => self.set_down(*node, true),
            Action::Recover { node } => self.set_down(*node, false),
            Action::Slow { node, factor } => self.set_slow(*node, *factor),
            Action::Cut { from, to, both } => {
                self.set_cut(*from, *to, true);
                if *both {
                    self.set_cut(*to, *from, true);
                }
            }
            Action::Heal { from, to } => {
                self.set_cut(*from, *to, false);
                self.set_cut(*to, *from, false);
            }
            Action::Partition { groups } => self.partition(groups),
            Action::HealAll => self.heal_all(),
            Action::Drop { .. }
            | Action::DropNext { .. }
            | Action::Duplicate { .. }
            | Action::DuplicateNext { .. }
            | Action::PauseClients
            | Action::ResumeClients
            | Action::Submit { .. } => {}
            Action::Deliver { .. } | Action::Fire { .. } | Action::Network { .. } => {}
        }
    }

    /// Whether a message from `from` can currently reach `to` (ignoring whether `to` is up).
    pub fn link_open(&self, from: NodeId, to: NodeId) -> bool {
        if from == to {
            return true;
        }
        let split = matches!((self.group[from], self.group[to]), (Some(a), Some(b)) if a != b);
        !split && !self.is_cut(from, to)
    }

    /// True when nothing is broken: all nodes up, at normal speed, all links open.
    pub fn all_healed(&self) -> bool {
        !self.down.iter().any(|d| *d)
            && self.slow.iter().all(|s| *s == 1)
            && !self.cut.iter().any(|c| *c)
            && self.group.iter().all(|g| g.is_none())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partition_blocks_only_between_listed_groups() {
        let mut f = Faults::new(4);
        f.partition(&[vec![0, 1], vec![2]]);
        assert!(f.link_open(0, 1));
        assert!(!f.link_open(0, 2));
        assert!(!f.link_open(2, 1));
        assert!(f.link_open(3, 2), "node 3 is unlisted and keeps its links");
        f.heal_all();
        assert!(f.link_open(0, 2));
        assert!(f.all_healed());
    }

    #[test]
    fn a_cut_is_one_way() {
        let mut f = Faults::new(3);
        f.set_cut(0, 1, true);
        assert!(!f.link_open(0, 1));
        assert!(f.link_open(1, 0));
        assert!(!f.all_healed());
    }
}
