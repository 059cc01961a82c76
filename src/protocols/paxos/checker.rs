//! Paxos safety: agreement (no two nodes decide differently), validity (a decided value was
//! proposed), and stability (once a majority accepts a value at some ballot, that value is chosen
//! forever: no ballot may gather a majority for another one).

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::node::{Ballot, Note, Value};
use crate::sim::quorum::majority;
use crate::sim::{Checker, NodeId, Tick, Violation};
use crate::view::colour_name as node_name;

#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize)]
pub struct PaxosChecker {
    cluster: usize,
    /// The value proposed at each ballot (a ballot must never carry two values).
    proposed: BTreeMap<Ballot, Value>,
    /// The acceptors that accepted each ballot.
    accepted_by: BTreeMap<Ballot, BTreeSet<NodeId>>,
    /// The first value a majority accepted, and at which ballot.
    pub chosen: Option<(Ballot, Value)>,
    /// What each node decided.
    pub decisions: BTreeMap<NodeId, Value>,
    /// When the first node decided.
    pub first_decision: Option<Tick>,
    pub ballots_started: u64,
}

impl PaxosChecker {
    pub fn new(cluster: usize) -> Self {
        PaxosChecker {
            cluster,
            ..Default::default()
        }
    }

    /// Feeds what later verdicts can depend on to `state`, for the exhaustive search: the
    /// ballot at which a value was first chosen only names it in a violation's text (only the
    /// value is compared), and once a ballot has a majority its further voters change nothing
    /// (`voters.len() >= majority` stays true). What is left is the same whatever order the
    /// notes of different nodes arrived in.
    pub fn hash_verdicts<H: std::hash::Hasher>(&self, state: &mut H) {
        use std::hash::Hash;
        let PaxosChecker {
            cluster,
            proposed,
            accepted_by,
            chosen,
            decisions,
            first_decision,
            ballots_started,
        } = self;
        (cluster, proposed, decisions, ballots_started).hash(state);
        chosen.map(|(_, value)| value).hash(state);
        first_decision.is_some().hash(state);
        for (ballot, voters) in accepted_by {
            ballot.hash(state);
            match voters.len() >= majority(*cluster) {
                true => usize::MAX.hash(state),
                false => voters.hash(state),
            }
        }
    }

    /// How many different values were proposed (at any ballots).
    pub fn values_proposed(&self) -> usize {
        self.proposed.values().collect::<BTreeSet<_>>().len()
    }
}

impl Checker<Note> for PaxosChecker {
    fn observe(&mut self, tick: Tick, node: NodeId, note: &Note, violations: &mut Vec<Violation>) {
        let mut flag = |kind: &str, detail: String| {
            violations.push(Violation {
                tick,
                kind: kind.into(),
                detail,
            })
        };
        match *note {
            Note::BallotStarted { .. } => self.ballots_started += 1,
            Note::Proposed { ballot, value } => {
                if let Some(old) = self
                    .proposed
                    .insert(ballot, value)
                    .filter(|old| *old != value)
                {
                    flag(
                        "stability",
                        format!(
                            "ballot {ballot} proposed both {} and {}",
                            node_name(old),
                            node_name(value)
                        ),
                    );
                }
            }
            Note::Accepted { ballot, value } => {
                if self.proposed.get(&ballot) != Some(&value) {
                    flag(
                        "validity",
                        format!(
                            "{} accepted {} at ballot {ballot}, which nobody proposed",
                            node_name(node),
                            node_name(value)
                        ),
                    );
                }
                let voters = self.accepted_by.entry(ballot).or_default();
                voters.insert(node);
                if voters.len() >= majority(self.cluster) {
                    match self.chosen {
                        None => self.chosen = Some((ballot, value)),
                        Some((first, chosen)) if chosen != value => flag(
                            "stability",
                            format!(
                                "{} was chosen at ballot {first}, then a majority accepted {} at ballot {ballot}",
                                node_name(chosen),
                                node_name(value)
                            ),
                        ),
                        Some(_) => {}
                    }
                }
            }
            Note::Decided { value } => {
                if !self.proposed.values().any(|v| *v == value) {
                    flag(
                        "validity",
                        format!(
                            "{} decided {}, which was never proposed",
                            node_name(node),
                            node_name(value)
                        ),
                    );
                }
                if let Some((&other, &theirs)) = self.decisions.iter().find(|(_, v)| **v != value) {
                    flag(
                        "agreement",
                        format!(
                            "{} decided {} but {} decided {}",
                            node_name(node),
                            node_name(value),
                            node_name(other),
                            node_name(theirs)
                        ),
                    );
                }
                self.decisions.insert(node, value);
                self.first_decision.get_or_insert(tick);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(round: u64, node: NodeId) -> Ballot {
        Ballot { round, node }
    }

    fn feed(checker: &mut PaxosChecker, notes: &[(NodeId, Note)]) -> Vec<Violation> {
        let mut v = Vec::new();
        for (node, note) in notes {
            checker.observe(0, *node, note, &mut v);
        }
        v
    }

    #[test]
    fn a_clean_history_passes() {
        let mut c = PaxosChecker::new(3);
        let v = feed(
            &mut c,
            &[
                (
                    0,
                    Note::Proposed {
                        ballot: b(1, 0),
                        value: 0,
                    },
                ),
                (
                    0,
                    Note::Accepted {
                        ballot: b(1, 0),
                        value: 0,
                    },
                ),
                (
                    1,
                    Note::Accepted {
                        ballot: b(1, 0),
                        value: 0,
                    },
                ),
                (0, Note::Decided { value: 0 }),
                (
                    2,
                    Note::Proposed {
                        ballot: b(2, 2),
                        value: 0,
                    },
                ),
                (
                    2,
                    Note::Accepted {
                        ballot: b(2, 2),
                        value: 0,
                    },
                ),
                (2, Note::Decided { value: 0 }),
            ],
        );
        assert!(v.is_empty(), "{v:?}");
        assert_eq!(c.chosen, Some((b(1, 0), 0)));
    }

    #[test]
    fn disagreement_and_a_changed_choice_are_caught() {
        let mut c = PaxosChecker::new(3);
        let v = feed(
            &mut c,
            &[
                (
                    0,
                    Note::Proposed {
                        ballot: b(1, 0),
                        value: 0,
                    },
                ),
                (
                    0,
                    Note::Accepted {
                        ballot: b(1, 0),
                        value: 0,
                    },
                ),
                (
                    1,
                    Note::Accepted {
                        ballot: b(1, 0),
                        value: 0,
                    },
                ),
                (0, Note::Decided { value: 0 }),
                (
                    2,
                    Note::Proposed {
                        ballot: b(2, 2),
                        value: 2,
                    },
                ),
                (
                    2,
                    Note::Accepted {
                        ballot: b(2, 2),
                        value: 2,
                    },
                ),
                (
                    1,
                    Note::Accepted {
                        ballot: b(2, 2),
                        value: 2,
                    },
                ),
                (2, Note::Decided { value: 2 }),
            ],
        );
        let kinds: Vec<&str> = v.iter().map(|v| v.kind.as_str()).collect();
        assert_eq!(kinds, ["stability", "agreement"]);
        assert!(
            v[1].detail
                .contains("blue decided blue but red decided red"),
            "{}",
            v[1].detail
        );
    }

    #[test]
    fn an_unproposed_value_is_invalid() {
        let mut c = PaxosChecker::new(3);
        let v = feed(&mut c, &[(1, Note::Decided { value: 2 })]);
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].kind, "validity");
    }

    fn proposed(ballot: Ballot, value: Value) -> Note {
        Note::Proposed { ballot, value }
    }

    fn accepted(ballot: Ballot, value: Value) -> Note {
        Note::Accepted { ballot, value }
    }

    #[test]
    fn one_ballot_carrying_two_values_is_caught() {
        let mut c = PaxosChecker::new(3);
        let v = feed(
            &mut c,
            &[
                (0, proposed(b(1, 0), 0)),
                (0, proposed(b(1, 0), 0)),
                (0, proposed(b(2, 0), 2)),
            ],
        );
        assert!(
            v.is_empty(),
            "the same value again, or at another ballot: {v:?}"
        );
        let v = feed(&mut c, &[(0, proposed(b(1, 0), 1))]);
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].kind, "stability");
        assert_eq!(v[0].detail, "ballot 1.R proposed both red and green");
    }

    #[test]
    fn accepting_a_value_nobody_proposed_at_that_ballot_is_invalid() {
        let mut c = PaxosChecker::new(3);
        let v = feed(
            &mut c,
            &[
                (0, proposed(b(1, 0), 0)),
                // Red's value, but at a ballot nobody proposed it at.
                (1, accepted(b(2, 0), 0)),
                // A ballot that was proposed, but with another value.
                (2, accepted(b(1, 0), 2)),
            ],
        );
        let kinds: Vec<&str> = v.iter().map(|v| v.kind.as_str()).collect();
        assert_eq!(kinds, ["validity", "validity"]);
        assert!(
            v[1].detail.starts_with("blue accepted blue at ballot 1.R"),
            "{}",
            v[1].detail
        );
    }

    #[test]
    fn a_later_ballot_may_gather_a_majority_for_the_chosen_value() {
        let mut c = PaxosChecker::new(3);
        let v = feed(
            &mut c,
            &[
                (0, proposed(b(1, 0), 0)),
                (0, accepted(b(1, 0), 0)),
                (1, accepted(b(1, 0), 0)),
                (2, proposed(b(2, 2), 0)),
                (2, accepted(b(2, 2), 0)),
                (1, accepted(b(2, 2), 0)),
                (0, accepted(b(2, 2), 0)),
            ],
        );
        assert!(v.is_empty(), "{v:?}");
        assert_eq!(
            c.chosen,
            Some((b(1, 0), 0)),
            "the first majority is the choice"
        );
    }

    #[test]
    fn a_value_is_chosen_by_a_majority_not_by_fewer() {
        for n in 3..=9 {
            let mut c = PaxosChecker::new(n);
            feed(&mut c, &[(0, proposed(b(1, 0), 0))]);
            for acceptor in 0..n {
                feed(&mut c, &[(acceptor, accepted(b(1, 0), 0))]);
                let votes = acceptor + 1;
                assert_eq!(c.chosen.is_some(), 2 * votes > n, "{votes} of {n}");
            }
        }
    }

    #[test]
    fn ballots_started_are_counted() {
        let mut c = PaxosChecker::new(3);
        feed(
            &mut c,
            &[
                (0, Note::BallotStarted { ballot: b(1, 0) }),
                (1, Note::BallotStarted { ballot: b(2, 1) }),
            ],
        );
        assert_eq!(c.ballots_started, 2);
    }
}
