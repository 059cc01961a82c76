//! ec-counter properties: a server's value never decreases; a get never returns less than a set
//! that server already acknowledged; once every client is done, the servers converge to the
//! largest acknowledged set (the checker records when).

use serde::Serialize;

use super::node::Note;
use crate::sim::{Checker, NodeId, Tick, Violation};

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct EcChecker {
    clients: usize,
    /// Each server's value as last reported.
    pub values: Vec<u64>,
    /// The largest set each server acknowledged.
    acknowledged: Vec<u64>,
    pub max_acknowledged: u64,
    pub clients_done: usize,
    /// When the last client finished its requests.
    pub clients_done_at: Option<Tick>,
    /// When all servers first held `max_acknowledged` with every client done.
    pub converged_at: Option<Tick>,
}

impl EcChecker {
    pub fn new(servers: usize, clients: usize) -> Self {
        EcChecker {
            clients,
            values: vec![0; servers],
            acknowledged: vec![0; servers],
            max_acknowledged: 0,
            clients_done: 0,
            clients_done_at: None,
            converged_at: None,
        }
    }

    pub fn clients_finished(&self) -> bool {
        self.clients_done == self.clients
    }

    /// Largest minus smallest server value.
    pub fn spread(&self) -> u64 {
        let max = self.values.iter().max().copied().unwrap_or(0);
        let min = self.values.iter().min().copied().unwrap_or(0);
        max - min
    }

    fn note_convergence(&mut self, tick: Tick) {
        if self.converged_at.is_none()
            && self.clients_finished()
            && self.values.iter().all(|v| *v == self.max_acknowledged)
        {
            self.converged_at = Some(tick);
        }
    }

    /// The end-of-run check: called once the run is over, with clients done and faults healed.
    pub fn finish(&self, tick: Tick, violations: &mut Vec<Violation>) {
        if self.converged_at.is_none() {
            violations.push(Violation {
                tick,
                kind: "convergence".into(),
                detail: format!(
                    "servers hold {:?} but the largest acknowledged set was {}",
                    self.values, self.max_acknowledged
                ),
            });
        }
    }
}

impl Checker<Note> for EcChecker {
    fn observe(&mut self, tick: Tick, node: NodeId, note: &Note, violations: &mut Vec<Violation>) {
        match *note {
            Note::ServerValue { value } => {
                let old = std::mem::replace(&mut self.values[node], value);
                if value < old {
                    violations.push(Violation {
                        tick,
                        kind: "monotonicity".into(),
                        detail: format!("server {node} went down from {old} to {value}"),
                    });
                }
            }
            Note::SetAcknowledged { value, .. } => {
                self.acknowledged[node] = self.acknowledged[node].max(value);
                self.max_acknowledged = self.max_acknowledged.max(value);
            }
            Note::GetAnswered { value } => {
                let floor = self.acknowledged[node];
                if value < floor {
                    violations.push(Violation {
                        tick,
                        kind: "stale-read".into(),
                        detail: format!("server {node} answered a get with {value} after acknowledging a set of {floor}"),
                    });
                }
            }
            Note::ClientDone => {
                self.clients_done += 1;
                if self.clients_finished() {
                    self.clients_done_at = Some(tick);
                }
            }
        }
        self.note_convergence(tick);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decreasing_values_and_stale_reads_are_caught() {
        let mut c = EcChecker::new(2, 1);
        let mut v = Vec::new();
        c.observe(1, 0, &Note::ServerValue { value: 10 }, &mut v);
        c.observe(
            1,
            0,
            &Note::SetAcknowledged {
                value: 10,
                applied: true,
            },
            &mut v,
        );
        assert!(v.is_empty());
        c.observe(2, 0, &Note::ServerValue { value: 3 }, &mut v);
        c.observe(3, 0, &Note::GetAnswered { value: 3 }, &mut v);
        let kinds: Vec<&str> = v.iter().map(|v| v.kind.as_str()).collect();
        assert_eq!(kinds, ["monotonicity", "stale-read"]);
    }

    #[test]
    fn convergence_needs_clients_done_and_every_server_at_the_max() {
        let mut c = EcChecker::new(2, 1);
        let mut v = Vec::new();
        c.observe(
            1,
            0,
            &Note::SetAcknowledged {
                value: 7,
                applied: true,
            },
            &mut v,
        );
        c.observe(1, 0, &Note::ServerValue { value: 7 }, &mut v);
        c.observe(2, 2, &Note::ClientDone, &mut v);
        assert_eq!(c.converged_at, None, "server 1 still holds 0");
        assert_eq!(c.spread(), 7);
        c.observe(5, 1, &Note::ServerValue { value: 7 }, &mut v);
        assert_eq!(c.converged_at, Some(5));
        c.finish(9, &mut v);
        assert!(v.is_empty());
        let stuck = EcChecker::new(2, 1);
        stuck.finish(9, &mut v);
        assert_eq!(v[0].kind, "convergence");
    }
}
