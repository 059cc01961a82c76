//! ec-counter properties: a server's value never decreases; a get never returns less than a set
//! that server already acknowledged; every answer a client receives (a get's value, a set's
//! "applied" and value) tells the truth about the server at that moment; once every client is
//! done and the network is whole, the servers converge to the largest acknowledged set (the
//! checker records when). A run that ends before that could happen has not converged, which is
//! no violation.

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

    /// The end-of-run check. Convergence is owed only once every client is done and the network
    /// has been whole for `end.grace` ticks; a run that stops sooner has simply not converged.
    pub fn finish(&self, end: &RunEnd, violations: &mut Vec<Violation>) -> Convergence {
        if let Some(tick) = self.converged_at {
            return Convergence::Converged(tick);
        }
        let tick = end.tick;
        if !self.clients_finished() {
            return Convergence::NotConverged(format!(
                "the run stopped at tick {tick} with {} of {} clients done",
                self.clients_done, self.clients
            ));
        }
        if !end.healed {
            return Convergence::NotConverged(format!(
                "the run stopped at tick {tick} with a fault not healed"
            ));
        }
        let settled = self.clients_done_at.max(end.last_action_at).unwrap_or(0);
        let waited = tick.saturating_sub(settled);
        if waited < end.grace {
            return Convergence::NotConverged(format!(
                "the run stopped {waited} ticks after the clients finished and the network healed \
                 (tick {settled}); the servers get {} ticks to sync",
                end.grace
            ));
        }
        violations.push(Violation {
            tick,
            kind: "convergence".into(),
            detail: format!(
                "every client was done and the network whole from tick {settled}, yet {waited} \
                 ticks later the servers hold {:?} instead of the largest acknowledged set, {}",
                self.values, self.max_acknowledged
            ),
        });
        Convergence::Diverged
    }
}

/// How a run ended, for the end-of-run convergence check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RunEnd {
    pub tick: Tick,
    /// Every fault healed and no scheduled action left.
    pub healed: bool,
    /// When the last action applied (a heal, a recovery), if any did.
    pub last_action_at: Option<Tick>,
    /// How long correct servers need to agree once clients are done and the network is whole.
    pub grace: Tick,
}

/// Whether a finished run converged.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Convergence {
    /// At this tick.
    Converged(Tick),
    /// Not yet, through no fault of the counter: why, in words.
    NotConverged(String),
    /// Given every chance, the servers still differ: a convergence violation.
    Diverged,
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
            Note::SetAcknowledged {
                value,
                applied,
                holding,
            } => {
                self.acknowledged[node] = self.acknowledged[node].max(value);
                self.max_acknowledged = self.max_acknowledged.max(value);
                let held = self.values[node];
                let wrong = if holding != held {
                    Some(format!(
                        "answered set({value}) with {holding} but holds {held}"
                    ))
                } else if applied && holding != value {
                    Some(format!("said set({value}) was applied but holds {holding}"))
                } else if !applied && holding < value {
                    Some(format!("ignored set({value}) while holding only {holding}"))
                } else {
                    None
                };
                if let Some(what) = wrong {
                    violations.push(Violation {
                        tick,
                        kind: "wrong-reply".into(),
                        detail: format!("server {node} {what}"),
                    });
                }
            }
            Note::GetAnswered { value } => {
                let floor = self.acknowledged[node];
                if value < floor {
                    violations.push(Violation {
                        tick,
                        kind: "stale-read".into(),
                        detail: format!(
                            "server {node} answered a get with {value} \
                             after acknowledging a set of {floor}"
                        ),
                    });
                }
                let held = self.values[node];
                if value != held {
                    violations.push(Violation {
                        tick,
                        kind: "wrong-reply".into(),
                        detail: format!(
                            "server {node} answered a get with {value} but holds {held}"
                        ),
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
                holding: 10,
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
        c.observe(1, 0, &Note::ServerValue { value: 7 }, &mut v);
        c.observe(
            1,
            0,
            &Note::SetAcknowledged {
                value: 7,
                applied: true,
                holding: 7,
            },
            &mut v,
        );
        c.observe(2, 2, &Note::ClientDone, &mut v);
        assert_eq!(c.converged_at, None, "server 1 still holds 0");
        assert_eq!(c.spread(), 7);
        c.observe(5, 1, &Note::ServerValue { value: 7 }, &mut v);
        assert_eq!(c.converged_at, Some(5));
        assert_eq!(
            c.finish(&end(9, true, None), &mut v),
            Convergence::Converged(5)
        );
        assert!(v.is_empty());
    }

    fn end(tick: Tick, healed: bool, last_action_at: Option<Tick>) -> RunEnd {
        RunEnd {
            tick,
            healed,
            last_action_at,
            grace: 100,
        }
    }

    /// Two servers apart (7 and 0) after the client acknowledged 7; the client is done at `done`.
    fn apart(done: Option<Tick>) -> EcChecker {
        let mut c = EcChecker::new(2, 1);
        let mut v = Vec::new();
        c.observe(
            1,
            0,
            &Note::SetAcknowledged {
                value: 7,
                applied: true,
                holding: 7,
            },
            &mut v,
        );
        c.observe(1, 0, &Note::ServerValue { value: 7 }, &mut v);
        if let Some(tick) = done {
            c.observe(tick, 2, &Note::ClientDone, &mut v);
        }
        c
    }

    #[test]
    fn a_run_that_ends_too_soon_has_not_converged_and_violates_nothing() {
        let mut v = Vec::new();
        let cases = [
            (
                apart(None),
                end(5000, true, None),
                "with 0 of 1 clients done",
            ),
            (
                apart(Some(10)),
                end(5000, false, None),
                "a fault not healed",
            ),
            (apart(Some(10)), end(105, true, None), "95 ticks after"),
            (
                apart(Some(10)),
                end(5000, true, Some(4950)),
                "50 ticks after",
            ),
        ];
        for (checker, end, why) in cases {
            match checker.finish(&end, &mut v) {
                Convergence::NotConverged(reason) => assert!(reason.contains(why), "{reason}"),
                other => panic!("{end:?}: {other:?}"),
            }
        }
        assert!(v.is_empty(), "{v:?}");
    }

    #[test]
    fn servers_apart_long_after_the_clients_finished_and_the_network_healed_violate_convergence() {
        let mut v = Vec::new();
        let outcome = apart(Some(10)).finish(&end(5000, true, Some(200)), &mut v);
        assert_eq!(outcome, Convergence::Diverged);
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].kind, "convergence");
        assert!(
            v[0].detail.contains("from tick 200") && v[0].detail.contains("[7, 0]"),
            "{}",
            v[0].detail
        );
        // Exactly the grace period after settling is long enough.
        let mut v = Vec::new();
        let outcome = apart(Some(10)).finish(&end(110, true, None), &mut v);
        assert_eq!(outcome, Convergence::Diverged);
    }

    fn set(value: u64, applied: bool, holding: u64) -> Note {
        Note::SetAcknowledged {
            value,
            applied,
            holding,
        }
    }

    /// The violation kinds `notes` from server 0 raise, in order.
    fn kinds(notes: &[Note]) -> Vec<String> {
        let mut c = EcChecker::new(2, 1);
        let mut v = Vec::new();
        for note in notes {
            c.observe(1, 0, note, &mut v);
        }
        v.into_iter().map(|v| v.kind).collect()
    }

    #[test]
    fn truthful_answers_pass() {
        let none: Vec<String> = Vec::new();
        let raised = Note::ServerValue { value: 5 };
        assert_eq!(kinds(&[raised.clone(), set(5, true, 5)]), none);
        assert_eq!(kinds(&[raised.clone(), set(3, false, 5)]), none);
        assert_eq!(
            kinds(&[raised.clone(), set(5, false, 5)]),
            none,
            "a set of what it holds"
        );
        assert_eq!(
            kinds(&[raised.clone(), Note::GetAnswered { value: 5 }]),
            none
        );
        // The same value reported twice is no decrease.
        assert_eq!(kinds(&[raised.clone(), raised]), none);
    }

    #[test]
    fn a_wrong_get_reply_is_caught() {
        let raised = Note::ServerValue { value: 5 };
        // An old value, though no set was acknowledged (so it is no stale read).
        assert_eq!(
            kinds(&[raised.clone(), Note::GetAnswered { value: 4 }]),
            ["wrong-reply"]
        );
        assert_eq!(
            kinds(&[raised, Note::GetAnswered { value: 6 }]),
            ["wrong-reply"]
        );
        // A get answering exactly what the server acknowledged is no stale read.
        let read = [
            Note::ServerValue { value: 7 },
            set(7, true, 7),
            Note::GetAnswered { value: 7 },
        ];
        assert!(kinds(&read).is_empty());
    }

    #[test]
    fn a_wrong_set_reply_is_caught() {
        let raised = Note::ServerValue { value: 5 };
        for (wrong, why) in [
            (set(5, true, 4), "a value it does not hold"),
            (set(6, true, 5), "applied, but not what it holds"),
            (set(9, false, 5), "a larger set ignored"),
        ] {
            assert_eq!(kinds(&[raised.clone(), wrong]), ["wrong-reply"], "{why}");
        }
    }

    #[test]
    fn the_spread_is_largest_minus_smallest() {
        let mut c = EcChecker::new(3, 1);
        let mut v = Vec::new();
        c.observe(1, 0, &Note::ServerValue { value: 10 }, &mut v);
        c.observe(1, 2, &Note::ServerValue { value: 4 }, &mut v);
        assert_eq!(c.spread(), 10, "server 1 still holds 0");
        c.observe(2, 1, &Note::ServerValue { value: 6 }, &mut v);
        assert_eq!(c.spread(), 6);
    }

    #[test]
    fn convergence_waits_for_every_client() {
        let mut c = EcChecker::new(1, 2);
        let mut v = Vec::new();
        c.observe(1, 1, &Note::ClientDone, &mut v);
        assert!(!c.clients_finished());
        assert_eq!(c.converged_at, None, "client 2 is still writing");
        c.observe(3, 2, &Note::ClientDone, &mut v);
        assert!(c.clients_finished());
        assert_eq!((c.clients_done_at, c.converged_at), (Some(3), Some(3)));
    }
}
