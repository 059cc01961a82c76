//! Single-decree Paxos. Every node is proposer, acceptor and learner.
//!
//! A proposer picks a ballot `(round, node)` higher than any it has seen and asks all acceptors
//! to promise it (phase 1a/1b). With promises from a majority it proposes the value accepted at the
//! highest ballot among them, or its own value if none (2a); acceptors accept unless they promised
//! a higher ballot (2b). A majority of accepts for one ballot means the value is chosen, and the
//! proposer broadcasts the decision. Acceptor state is durable; a proposer that times out retries
//! with a higher ballot after a randomized, growing back-off.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::sim::quorum::majority;
use crate::sim::{Actor, Cx, NodeId, Tick};
use crate::view::colour_letter;

/// A proposal number, ordered by round, then by the node that owns it. Round 0 means "none".
/// Rounds are 64-bit: a node starts at most one ballot per election timeout (10 ticks or more)
/// within a run of at most [`TICK_LIMIT`](crate::sim::TICK_LIMIT) ticks, so they cannot run out.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub struct Ballot {
    pub round: u64,
    pub node: NodeId,
}

impl std::fmt::Display for Ballot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.round == 0 {
            write!(f, "-")
        } else {
            write!(f, "{}.{}", self.round, colour_letter(self.node))
        }
    }
}

/// A proposed value: each node proposes itself, so the decision says whose proposal won.
pub type Value = NodeId;

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Msg {
    /// 1a: "promise to ignore ballots below this one".
    Prepare { ballot: Ballot },
    /// 1b: the promise, with the acceptor's last accepted proposal if any.
    Promise {
        ballot: Ballot,
        accepted: Option<(Ballot, Value)>,
    },
    /// 2a: "accept this value at this ballot".
    Accept { ballot: Ballot, value: Value },
    /// 2b: "accepted".
    Accepted { ballot: Ballot },
    /// Refusal: the acceptor has promised a higher ballot.
    Nack { ballot: Ballot, promised: Ballot },
    /// The value is chosen.
    Decide { ballot: Ballot, value: Value },
}

impl Msg {
    pub const PREPARE: &str = "p1a";
    pub const PROMISE: &str = "p1b";
    pub const ACCEPT: &str = "p2a";
    pub const ACCEPTED: &str = "p2b";
    pub const NACK: &str = "nack";
    pub const DECIDE: &str = "decide";

    /// The short name players see on the sprite (and in the cheat sheet).
    pub fn kind(&self) -> &'static str {
        match self {
            Msg::Prepare { .. } => Msg::PREPARE,
            Msg::Promise { .. } => Msg::PROMISE,
            Msg::Accept { .. } => Msg::ACCEPT,
            Msg::Accepted { .. } => Msg::ACCEPTED,
            Msg::Nack { .. } => Msg::NACK,
            Msg::Decide { .. } => Msg::DECIDE,
        }
    }

    /// The ballot whose leader this message serves; sprites take that leader's colour.
    pub fn leader_ballot(&self) -> Ballot {
        match self {
            Msg::Prepare { ballot }
            | Msg::Promise { ballot, .. }
            | Msg::Accept { ballot, .. }
            | Msg::Accepted { ballot }
            | Msg::Decide { ballot, .. } => *ballot,
            Msg::Nack { promised, .. } => *promised,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Timer {
    /// No progress seen for a while: start a new ballot.
    Election,
}

/// What a node reports to the checkers.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Note {
    BallotStarted { ballot: Ballot },
    Proposed { ballot: Ballot, value: Value },
    Accepted { ballot: Ballot, value: Value },
    Decided { value: Value },
}

/// Deliberately broken versions, to teach what each rule is for and to prove the checkers work.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Variant {
    #[default]
    Correct,
    /// A recovering acceptor forgets what it promised and accepted.
    Amnesia,
    /// A new leader proposes its own value even when a promise carried an accepted one.
    SkipHighestAccepted,
    /// An acceptor accepts a lower ballot's accept after promising a higher one (phase 2a
    /// without the promise check).
    AcceptAfterPromise,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PaxosTiming {
    /// A node with no news for `election_timeout..3*election_timeout` ticks starts a ballot; each
    /// failed attempt doubles the range, up to 16 times. The spread is wide compared with a message
    /// hop so that, without faults, one node usually starts well before the others.
    pub election_timeout: Tick,
}

impl Default for PaxosTiming {
    fn default() -> Self {
        PaxosTiming {
            election_timeout: 300,
        }
    }
}

/// What a node is doing as a proposer.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum Role {
    Follower,
    /// Phase 1: collecting promises and the highest accepted proposal among them.
    Preparing {
        ballot: Ballot,
        promises: BTreeSet<NodeId>,
        highest: Option<(Ballot, Value)>,
    },
    /// Phase 2: collecting accepts for `value`.
    Proposing {
        ballot: Ballot,
        value: Value,
        accepts: BTreeSet<NodeId>,
    },
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct PaxosNode {
    pub id: NodeId,
    pub cluster: usize,
    pub variant: Variant,
    pub timing: PaxosTiming,
    // Durable: survives a crash.
    pub promised: Ballot,
    pub accepted: Option<(Ballot, Value)>,
    pub decided: Option<(Ballot, Value)>,
    /// The highest round this node has started or seen refused, so a restart never reuses a ballot.
    pub max_round: u64,
    // Volatile: lost in a crash.
    pub role: Role,
    /// This node's ballots that stalled or lost to a higher one: its back-off. Only a crash
    /// resets it; resetting it on another node's ballot let duelling proposers keep each other's
    /// back-off short, and with a timeout below a ballot's round trip they never decided.
    pub failed_attempts: u32,
}

impl PaxosNode {
    pub fn new(id: NodeId, cluster: usize, variant: Variant, timing: PaxosTiming) -> Self {
        PaxosNode {
            id,
            cluster,
            variant,
            timing,
            promised: Ballot::default(),
            accepted: None,
            decided: None,
            max_round: 0,
            role: Role::Follower,
            failed_attempts: 0,
        }
    }

    /// A cluster of `n` nodes.
    pub fn cluster(n: usize, variant: Variant, timing: PaxosTiming) -> Vec<Self> {
        (0..n)
            .map(|id| PaxosNode::new(id, n, variant, timing))
            .collect()
    }

    /// The ballot this node leads, if it is a proposer right now.
    pub fn leading(&self) -> Option<Ballot> {
        match self.role {
            Role::Follower => None,
            Role::Preparing { ballot, .. } | Role::Proposing { ballot, .. } => Some(ballot),
        }
    }

    /// A short phase name for the view: follower, p1 (preparing), p2 (proposing), decided.
    pub fn phase(&self) -> &'static str {
        match (&self.decided, &self.role) {
            (Some(_), _) => "decided",
            (None, Role::Follower) => "follower",
            (None, Role::Preparing { .. }) => "phase 1",
            (None, Role::Proposing { .. }) => "phase 2",
        }
    }

    /// Whether `msg`, delivered now or in any state this node may reach, would do nothing at
    /// all (no change, no message, no note, no timer), for the exhaustive search, which then
    /// forgets it. Each rule follows from the handlers below and from what only grows:
    /// `max_round`, and `decided` once set (both durable). Ballots a node leads are new
    /// rounds above `max_round`, so once it no longer prepares (or proposes) ballot `b` it
    /// never will again.
    pub fn cannot_use(&self, msg: &Msg) -> bool {
        let preparing =
            |b: Ballot| matches!(self.role, Role::Preparing { ballot, .. } if ballot == b);
        let proposing =
            |b: Ballot| matches!(self.role, Role::Proposing { ballot, .. } if ballot == b);
        match *msg {
            // `on_promise` reads only a promise for the ballot being prepared.
            Msg::Promise { ballot, .. } => !preparing(ballot),
            // `on_accepted` reads only an accept for the ballot being proposed, which a ballot
            // prepared now may still become.
            Msg::Accepted { ballot } => !preparing(ballot) && !proposing(ballot),
            // `on_nack` raises `max_round` and steps down only from the refused ballot.
            Msg::Nack { ballot, promised } => {
                self.max_round >= promised.round && self.leading() != Some(ballot)
            }
            // `learn` does nothing once decided.
            Msg::Decide { .. } => self.decided.is_some(),
            // A node answers these whatever its state (a promise, a refusal, the decision).
            Msg::Prepare { .. } | Msg::Accept { .. } => false,
        }
    }

    fn others(&self) -> impl Iterator<Item = NodeId> + use<> {
        let me = self.id;
        (0..self.cluster).filter(move |n| *n != me)
    }

    fn arm_election_timer(&self, cx: &mut Cx<'_, Self>) {
        let base = self.timing.election_timeout << self.failed_attempts.min(4);
        let after = cx.rng.between(base, 3 * base - 1);
        cx.set_timer(Timer::Election, after);
    }

    /// Our ballot lost to a higher one: stop leading, and wait longer before the next attempt.
    fn abandon_ballot(&mut self) {
        self.role = Role::Follower;
        self.failed_attempts = self.failed_attempts.saturating_add(1);
    }

    /// Gives up proposing because a higher ballot exists.
    fn step_down(&mut self, cx: &mut Cx<'_, Self>) {
        if self.role != Role::Follower {
            self.abandon_ballot();
            self.arm_election_timer(cx);
        }
    }

    fn start_ballot(&mut self, cx: &mut Cx<'_, Self>) {
        if self.role != Role::Follower {
            // Our last ballot stalled: back off further before the next one.
            self.failed_attempts = self.failed_attempts.saturating_add(1);
        }
        // Never reuse a ballot: with no round left, stay a follower (the bound on `Ballot`
        // makes this unreachable in a valid run).
        let Some(round) = self.max_round.max(self.promised.round).checked_add(1) else {
            self.role = Role::Follower;
            return;
        };
        self.max_round = round;
        let ballot = Ballot {
            round,
            node: self.id,
        };
        cx.note(Note::BallotStarted { ballot });
        // Our own acceptor promises first; `round` is above anything it promised.
        self.promised = ballot;
        self.role = Role::Preparing {
            ballot,
            promises: BTreeSet::from([self.id]),
            highest: self.accepted,
        };
        for peer in self.others() {
            cx.send(peer, Msg::Prepare { ballot });
        }
        self.arm_election_timer(cx);
    }

    fn on_prepare(&mut self, from: NodeId, ballot: Ballot, cx: &mut Cx<'_, Self>) {
        if ballot < self.promised {
            cx.send(
                from,
                Msg::Nack {
                    ballot,
                    promised: self.promised,
                },
            );
            return;
        }
        self.promised = ballot;
        // `ballot` is never our own (a leader sends nothing to itself), so `<=` would do the same.
        if self.leading().is_some_and(|mine| mine < ballot) {
            self.abandon_ballot();
        }
        cx.send(
            from,
            Msg::Promise {
                ballot,
                accepted: self.accepted,
            },
        );
        // Someone else is leading: give them time before competing.
        self.arm_election_timer(cx);
    }

    fn on_promise(
        &mut self,
        from: NodeId,
        ballot: Ballot,
        accepted: Option<(Ballot, Value)>,
        cx: &mut Cx<'_, Self>,
    ) {
        let Role::Preparing {
            ballot: mine,
            promises,
            highest,
        } = &mut self.role
        else {
            return;
        };
        if *mine != ballot {
            return;
        }
        promises.insert(from);
        // Promises at one ballot carry one value, so a tie (`>=`) would pick the same one.
        if accepted.is_some_and(|(b, _)| highest.is_none_or(|(h, _)| b > h)) {
            *highest = accepted;
        }
        let (promised_by, highest) = (promises.len(), *highest);
        // Progress on our own ballot: a lone leader must not time out and duel itself.
        self.arm_election_timer(cx);
        if promised_by < majority(self.cluster) {
            return;
        }
        let value = match (self.variant, highest) {
            (Variant::SkipHighestAccepted, _) | (_, None) => self.id,
            (_, Some((_, value))) => value,
        };
        cx.note(Note::Proposed { ballot, value });
        // Our own acceptor accepts first (we promised this ballot and nothing higher since).
        self.accepted = Some((ballot, value));
        cx.note(Note::Accepted { ballot, value });
        self.role = Role::Proposing {
            ballot,
            value,
            accepts: BTreeSet::from([self.id]),
        };
        for peer in self.others() {
            cx.send(peer, Msg::Accept { ballot, value });
        }
    }

    fn on_accept(&mut self, from: NodeId, ballot: Ballot, value: Value, cx: &mut Cx<'_, Self>) {
        if ballot < self.promised && self.variant != Variant::AcceptAfterPromise {
            cx.send(
                from,
                Msg::Nack {
                    ballot,
                    promised: self.promised,
                },
            );
            return;
        }
        // The broken variant may accept below its promise, but still never lowers the promise.
        self.promised = self.promised.max(ballot);
        self.accepted = Some((ballot, value));
        cx.note(Note::Accepted { ballot, value });
        // `ballot` is never our own (a leader sends nothing to itself), so `<=` would do the same.
        if self.leading().is_some_and(|mine| mine < ballot) {
            self.abandon_ballot();
        }
        cx.send(from, Msg::Accepted { ballot });
        self.arm_election_timer(cx);
    }

    fn on_accepted(&mut self, from: NodeId, ballot: Ballot, cx: &mut Cx<'_, Self>) {
        let Role::Proposing {
            ballot: mine,
            value,
            accepts,
        } = &mut self.role
        else {
            return;
        };
        if *mine != ballot {
            return;
        }
        accepts.insert(from);
        let (accepted_by, value) = (accepts.len(), *value);
        if accepted_by < majority(self.cluster) {
            self.arm_election_timer(cx);
            return;
        }
        self.learn(ballot, value, cx);
        for peer in self.others() {
            cx.send(peer, Msg::Decide { ballot, value });
        }
    }

    fn on_nack(&mut self, ballot: Ballot, promised: Ballot, cx: &mut Cx<'_, Self>) {
        self.max_round = self.max_round.max(promised.round);
        // A refusal always carries a promise above its ballot (`>=` would do the same).
        if self.leading() == Some(ballot) && promised > ballot {
            self.step_down(cx);
        }
    }

    fn learn(&mut self, ballot: Ballot, value: Value, cx: &mut Cx<'_, Self>) {
        if self.decided.is_none() {
            self.decided = Some((ballot, value));
            self.role = Role::Follower;
            cx.note(Note::Decided { value });
            cx.cancel_timer(Timer::Election);
        }
    }
}

impl Actor for PaxosNode {
    type Msg = Msg;
    type Timer = Timer;
    type Note = Note;

    fn on_start(&mut self, cx: &mut Cx<'_, Self>) {
        if self.decided.is_none() {
            self.arm_election_timer(cx);
        }
    }

    fn on_message(&mut self, from: NodeId, msg: Msg, cx: &mut Cx<'_, Self>) {
        // A node that knows the outcome answers any proposer with it.
        if let (Some((ballot, value)), Msg::Prepare { .. } | Msg::Accept { .. }) =
            (self.decided, &msg)
        {
            cx.send(from, Msg::Decide { ballot, value });
            return;
        }
        match msg {
            Msg::Prepare { ballot } => self.on_prepare(from, ballot, cx),
            Msg::Promise { ballot, accepted } => self.on_promise(from, ballot, accepted, cx),
            Msg::Accept { ballot, value } => self.on_accept(from, ballot, value, cx),
            Msg::Accepted { ballot } => self.on_accepted(from, ballot, cx),
            Msg::Nack { ballot, promised } => self.on_nack(ballot, promised, cx),
            Msg::Decide { ballot, value } => self.learn(ballot, value, cx),
        }
    }

    fn on_timer(&mut self, Timer::Election: Timer, cx: &mut Cx<'_, Self>) {
        if self.decided.is_none() {
            self.start_ballot(cx);
        }
    }

    fn on_crash(&mut self) {
        self.role = Role::Follower;
        self.failed_attempts = 0;
        if self.variant == Variant::Amnesia {
            self.promised = Ballot::default();
            self.accepted = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::sent;
    use crate::sim::{Effect, SimRng};

    fn b(round: u64, node: NodeId) -> Ballot {
        Ballot { round, node }
    }

    /// Runs one handler on `node` and returns what it did.
    fn handle(
        node: &mut PaxosNode,
        f: impl FnOnce(&mut PaxosNode, &mut Cx<'_, PaxosNode>),
    ) -> Vec<Effect<PaxosNode>> {
        let mut rng = SimRng::new(1, 0);
        let mut effects = Vec::new();
        f(node, &mut Cx::detached(node.id, 0, &mut rng, &mut effects));
        effects
    }

    /// The delay of the election timer the handler armed, if it armed one.
    fn election_timer(effects: &[Effect<PaxosNode>]) -> Option<Tick> {
        effects.iter().rev().find_map(|e| match e {
            Effect::SetTimer { after, .. } => Some(*after),
            _ => None,
        })
    }

    fn proposed(effects: &[Effect<PaxosNode>]) -> Option<Value> {
        effects.iter().find_map(|e| {
            if let Effect::Note(Note::Proposed { value, .. }) = e {
                Some(*value)
            } else {
                None
            }
        })
    }

    /// Node 2 (blue) times out and collects a promise from node 1 carrying `accepted`.
    fn blue_after_promise(
        variant: Variant,
        accepted: Option<(Ballot, Value)>,
    ) -> (PaxosNode, Vec<Effect<PaxosNode>>) {
        let mut blue = PaxosNode::new(2, 3, variant, PaxosTiming::default());
        let started = handle(&mut blue, |n, cx| n.on_timer(Timer::Election, cx));
        assert_eq!(
            sent(&started),
            vec![
                (0, Msg::Prepare { ballot: b(1, 2) }),
                (1, Msg::Prepare { ballot: b(1, 2) })
            ]
        );
        let effects = handle(&mut blue, |n, cx| {
            n.on_message(
                1,
                Msg::Promise {
                    ballot: b(1, 2),
                    accepted,
                },
                cx,
            )
        });
        (blue, effects)
    }

    #[test]
    fn with_no_accepted_value_a_leader_proposes_its_own() {
        let (blue, effects) = blue_after_promise(Variant::Correct, None);
        assert_eq!(proposed(&effects), Some(2));
        assert_eq!(blue.accepted, Some((b(1, 2), 2)));
        assert_eq!(sent(&effects).len(), 2, "accept goes to both peers");
    }

    #[test]
    fn a_leader_adopts_the_highest_accepted_value_unless_broken() {
        let (_, effects) = blue_after_promise(Variant::Correct, Some((b(1, 0), 0)));
        assert_eq!(
            proposed(&effects),
            Some(0),
            "red's accepted value must be carried forward"
        );
        let (_, effects) = blue_after_promise(Variant::SkipHighestAccepted, Some((b(1, 0), 0)));
        assert_eq!(proposed(&effects), Some(2), "the broken variant ignores it");
    }

    #[test]
    fn a_leader_cannot_use_messages_of_a_ballot_it_has_left() {
        let (mut blue, _) = blue_after_promise(Variant::Correct, None);
        // Proposing 1.B: its promises are spent, its accepts still count.
        let promise = Msg::Promise {
            ballot: b(1, 2),
            accepted: None,
        };
        assert!(blue.cannot_use(&promise));
        assert!(!blue.cannot_use(&Msg::Accepted { ballot: b(1, 2) }));
        // A new ballot (2.B): nothing of 1.B is read again, and each rule matches the handler.
        handle(&mut blue, |n, cx| n.on_timer(Timer::Election, cx));
        let old = [
            promise,
            Msg::Accepted { ballot: b(1, 2) },
            Msg::Nack {
                ballot: b(1, 2),
                promised: b(1, 0),
            },
        ];
        for msg in old {
            assert!(blue.cannot_use(&msg), "{msg:?}");
            let mut after = blue.clone();
            let effects = handle(&mut after, |n, cx| n.on_message(1, msg.clone(), cx));
            assert!(effects.is_empty() && after == blue, "{msg:?} did something");
        }
        let current = Msg::Promise {
            ballot: b(2, 2),
            accepted: None,
        };
        assert!(!blue.cannot_use(&current));
        assert!(
            !blue.cannot_use(&Msg::Prepare { ballot: b(1, 0) }),
            "always answered"
        );
        assert!(!blue.cannot_use(&Msg::Decide {
            ballot: b(1, 0),
            value: 0
        }));
    }

    #[test]
    fn acceptors_refuse_lower_ballots_and_step_down_for_higher() {
        let mut red = PaxosNode::new(0, 3, Variant::Correct, PaxosTiming::default());
        handle(&mut red, |n, cx| {
            n.on_message(1, Msg::Prepare { ballot: b(2, 1) }, cx)
        });
        let effects = handle(&mut red, |n, cx| {
            n.on_message(
                2,
                Msg::Accept {
                    ballot: b(1, 2),
                    value: 2,
                },
                cx,
            )
        });
        assert_eq!(
            sent(&effects),
            vec![(
                2,
                Msg::Nack {
                    ballot: b(1, 2),
                    promised: b(2, 1)
                }
            )]
        );
        assert_eq!(red.accepted, None);

        handle(&mut red, |n, cx| n.on_timer(Timer::Election, cx));
        assert_eq!(
            red.leading(),
            Some(b(3, 0)),
            "a new ballot goes above everything promised"
        );
        handle(&mut red, |n, cx| {
            n.on_message(
                1,
                Msg::Nack {
                    ballot: b(3, 0),
                    promised: b(4, 1),
                },
                cx,
            )
        });
        assert_eq!(red.leading(), None);
        handle(&mut red, |n, cx| n.on_timer(Timer::Election, cx));
        assert_eq!(red.leading(), Some(b(5, 0)));
    }

    #[test]
    fn a_lower_accept_after_a_higher_promise_is_refused_unless_broken() {
        for (variant, refuses) in [
            (Variant::Correct, true),
            (Variant::AcceptAfterPromise, false),
        ] {
            let mut green = PaxosNode::new(1, 3, variant, PaxosTiming::default());
            handle(&mut green, |n, cx| {
                n.on_message(2, Msg::Prepare { ballot: b(2, 2) }, cx)
            });
            let effects = handle(&mut green, |n, cx| {
                n.on_message(
                    0,
                    Msg::Accept {
                        ballot: b(1, 0),
                        value: 0,
                    },
                    cx,
                )
            });
            let reply = if refuses {
                Msg::Nack {
                    ballot: b(1, 0),
                    promised: b(2, 2),
                }
            } else {
                Msg::Accepted { ballot: b(1, 0) }
            };
            assert_eq!(sent(&effects), vec![(0, reply)], "{variant:?}");
            assert_eq!(green.accepted.is_none(), refuses, "{variant:?}");
            assert_eq!(green.promised, b(2, 2), "{variant:?}: the promise stays");
        }
    }

    #[test]
    fn a_crash_keeps_acceptor_state_unless_amnesiac() {
        for (variant, keeps) in [(Variant::Correct, true), (Variant::Amnesia, false)] {
            let mut green = PaxosNode::new(1, 3, variant, PaxosTiming::default());
            handle(&mut green, |n, cx| {
                n.on_message(
                    0,
                    Msg::Accept {
                        ballot: b(1, 0),
                        value: 0,
                    },
                    cx,
                )
            });
            green.on_crash();
            assert_eq!(green.accepted.is_some(), keeps, "{variant:?}");
            assert_eq!(green.promised == b(1, 0), keeps, "{variant:?}");
            assert_eq!(green.role, Role::Follower);
        }
    }

    #[test]
    fn a_majority_of_accepts_decides_and_broadcasts() {
        let (mut blue, _) = blue_after_promise(Variant::Correct, None);
        let effects = handle(&mut blue, |n, cx| {
            n.on_message(0, Msg::Accepted { ballot: b(1, 2) }, cx)
        });
        assert_eq!(blue.decided, Some((b(1, 2), 2)));
        let decides = sent(&effects);
        assert_eq!(
            decides,
            vec![
                (
                    0,
                    Msg::Decide {
                        ballot: b(1, 2),
                        value: 2
                    }
                ),
                (
                    1,
                    Msg::Decide {
                        ballot: b(1, 2),
                        value: 2
                    }
                )
            ]
        );
        // Once decided, it answers proposers with the decision instead of voting.
        let effects = handle(&mut blue, |n, cx| {
            n.on_message(1, Msg::Prepare { ballot: b(9, 1) }, cx)
        });
        assert_eq!(
            sent(&effects),
            vec![(
                1,
                Msg::Decide {
                    ballot: b(1, 2),
                    value: 2
                }
            )]
        );
    }

    #[test]
    fn a_proposer_beaten_by_a_higher_ballot_backs_off_longer() {
        for beaten_by in [
            Msg::Prepare { ballot: b(2, 1) },
            Msg::Accept {
                ballot: b(2, 1),
                value: 1,
            },
        ] {
            let mut red = PaxosNode::new(0, 3, Variant::Correct, PaxosTiming::default());
            handle(&mut red, |n, cx| n.on_timer(Timer::Election, cx));
            assert_eq!(red.leading(), Some(b(1, 0)));
            handle(&mut red, |n, cx| n.on_message(1, beaten_by.clone(), cx));
            assert_eq!(red.leading(), None, "{beaten_by:?}");
            assert_eq!(red.failed_attempts, 1, "{beaten_by:?}");
        }
    }

    #[test]
    fn promising_or_accepting_for_another_proposer_keeps_the_back_off() {
        // Resetting it here let duelling proposers keep each other's back-off at its shortest.
        let mut red = PaxosNode::new(0, 3, Variant::Correct, PaxosTiming::default());
        red.failed_attempts = 3;
        handle(&mut red, |n, cx| {
            n.on_message(1, Msg::Prepare { ballot: b(4, 1) }, cx)
        });
        let effects = handle(&mut red, |n, cx| {
            n.on_message(
                1,
                Msg::Accept {
                    ballot: b(4, 1),
                    value: 1,
                },
                cx,
            )
        });
        assert_eq!(red.failed_attempts, 3);
        let wait = effects.iter().find_map(|e| match e {
            Effect::SetTimer {
                timer: Timer::Election,
                after,
            } => Some(*after),
            _ => None,
        });
        let base = PaxosTiming::default().election_timeout << 3;
        assert!(
            wait.is_some_and(|after| (base..3 * base).contains(&after)),
            "the election timer waits with the back-off of three failures: {wait:?}"
        );
    }

    #[test]
    fn a_node_out_of_rounds_never_reuses_a_ballot() {
        let mut red = PaxosNode::new(0, 3, Variant::Correct, PaxosTiming::default());
        red.max_round = u64::MAX;
        let effects = handle(&mut red, |n, cx| n.on_timer(Timer::Election, cx));
        assert!(sent(&effects).is_empty(), "{:?}", sent(&effects));
        assert_eq!(red.leading(), None);
        assert_eq!(red.promised, Ballot::default());
    }

    #[test]
    fn messages_are_coloured_by_their_ballots_leader() {
        assert_eq!(
            Msg::Promise {
                ballot: b(1, 2),
                accepted: Some((b(1, 0), 0))
            }
            .leader_ballot()
            .node,
            2
        );
        assert_eq!(
            Msg::Nack {
                ballot: b(1, 2),
                promised: b(3, 1)
            }
            .leader_ballot()
            .node,
            1
        );
    }

    #[test]
    fn message_kinds_are_the_ones_the_cheat_sheet_explains() {
        let rows = crate::protocols::paxos::view::CHEAT_SHEET.rows;
        let ballot = b(1, 0);
        let kinds: Vec<&str> = [
            Msg::Prepare { ballot },
            Msg::Promise {
                ballot,
                accepted: None,
            },
            Msg::Accept { ballot, value: 0 },
            Msg::Accepted { ballot },
            Msg::Nack {
                ballot,
                promised: ballot,
            },
            Msg::Decide { ballot, value: 0 },
        ]
        .iter()
        .map(Msg::kind)
        .collect();
        let explained: Vec<&str> = rows.iter().map(|(kind, _)| *kind).collect();
        assert_eq!(kinds.len(), explained.len());
        assert!(kinds.iter().all(|k| explained.contains(k)), "{kinds:?}");
    }

    #[test]
    fn each_phase_has_its_own_name() {
        let (mut blue, _) = blue_after_promise(Variant::Correct, None);
        let proposing = blue.phase();
        handle(&mut blue, |n, cx| {
            n.on_message(0, Msg::Accepted { ballot: b(1, 2) }, cx)
        });
        let mut red = PaxosNode::new(0, 3, Variant::Correct, PaxosTiming::default());
        let following = red.phase();
        handle(&mut red, |n, cx| n.on_timer(Timer::Election, cx));
        let phases = [following, red.phase(), proposing, blue.phase()];
        let distinct: BTreeSet<&str> = phases.into_iter().collect();
        assert_eq!(distinct.len(), 4, "{phases:?}");
        assert!(phases.iter().all(|p| !p.is_empty()));
    }

    #[test]
    fn ballots_read_as_round_dot_colour_letter() {
        assert_eq!(b(2, 1).to_string(), "2.G");
        assert_eq!(Ballot::default().to_string(), "-", "round 0 is no ballot");
    }

    #[test]
    fn election_timeouts_spread_over_t_to_3t_and_double_per_failed_attempt_up_to_16x() {
        let timing = PaxosTiming {
            election_timeout: 10,
        };
        for failed_attempts in 0..=6 {
            let base = 10 << failed_attempts.min(4);
            let delays: Vec<Tick> = (0..400)
                .map(|seed| {
                    let mut node = PaxosNode::new(0, 3, Variant::Correct, timing);
                    node.failed_attempts = failed_attempts;
                    let (mut rng, mut effects) = (SimRng::new(seed, 0), Vec::new());
                    node.on_start(&mut Cx::detached(0, 0, &mut rng, &mut effects));
                    election_timer(&effects).expect("a follower arms its election timer")
                })
                .collect();
            let (low, high) = (*delays.iter().min().unwrap(), *delays.iter().max().unwrap());
            assert!(
                base <= low && high < 3 * base,
                "{failed_attempts} failures: {low}..={high}, expected {base}..{}",
                3 * base
            );
            // The whole range is used: that spread is what keeps proposers from duelling.
            assert!(
                low <= base + base / 8 && high + 1 + base / 8 >= 3 * base,
                "{failed_attempts} failures: only {low}..={high} of {base}..{}",
                3 * base
            );
        }
    }

    #[test]
    fn a_stalled_or_refused_ballot_doubles_the_back_off() {
        let timing = PaxosTiming {
            election_timeout: 10,
        };
        let mut red = PaxosNode::new(0, 3, Variant::Correct, timing);
        handle(&mut red, |n, cx| n.on_timer(Timer::Election, cx));
        assert_eq!(red.failed_attempts, 0, "a first ballot is not a failure");
        // The ballot timed out without a decision: the next one comes later.
        let effects = handle(&mut red, |n, cx| n.on_timer(Timer::Election, cx));
        assert_eq!(red.leading(), Some(b(2, 0)));
        assert_eq!(red.failed_attempts, 1);
        assert!((20..60).contains(&election_timer(&effects).unwrap()));
        // Refused: it steps down and waits longer still.
        let refusal = Msg::Nack {
            ballot: b(2, 0),
            promised: b(5, 1),
        };
        let effects = handle(&mut red, |n, cx| n.on_message(1, refusal.clone(), cx));
        assert_eq!(red.leading(), None);
        assert_eq!(red.failed_attempts, 2);
        assert!((40..120).contains(&election_timer(&effects).unwrap()));
        // A second refusal of the same ballot is no new failure.
        let effects = handle(&mut red, |n, cx| n.on_message(2, refusal, cx));
        assert_eq!(red.failed_attempts, 2);
        assert_eq!(election_timer(&effects), None);
        handle(&mut red, |n, cx| n.on_timer(Timer::Election, cx));
        assert_eq!(red.leading(), Some(b(6, 0)), "above the refusing promise");
    }

    #[test]
    fn a_late_refusal_of_an_old_ballot_does_not_stop_the_current_one() {
        let mut red = PaxosNode::new(0, 3, Variant::Correct, PaxosTiming::default());
        handle(&mut red, |n, cx| n.on_timer(Timer::Election, cx));
        handle(&mut red, |n, cx| n.on_timer(Timer::Election, cx));
        assert_eq!(red.leading(), Some(b(2, 0)));
        // Blue promised 1.B, between red's two ballots, and refuses the first one late.
        handle(&mut red, |n, cx| {
            n.on_message(
                2,
                Msg::Nack {
                    ballot: b(1, 0),
                    promised: b(1, 2),
                },
                cx,
            )
        });
        assert_eq!(red.leading(), Some(b(2, 0)));
    }

    #[test]
    fn an_acceptor_promises_the_ballot_it_already_promised_again() {
        // A retried or duplicated prepare gets the same promise, not a refusal.
        let mut red = PaxosNode::new(0, 3, Variant::Correct, PaxosTiming::default());
        for _ in 0..2 {
            let effects = handle(&mut red, |n, cx| {
                n.on_message(1, Msg::Prepare { ballot: b(1, 1) }, cx)
            });
            assert_eq!(
                sent(&effects),
                vec![(
                    1,
                    Msg::Promise {
                        ballot: b(1, 1),
                        accepted: None
                    }
                )]
            );
        }
    }

    #[test]
    fn a_leader_that_promises_a_higher_ballot_gives_up_its_own() {
        let mut blue = PaxosNode::new(2, 3, Variant::Correct, PaxosTiming::default());
        handle(&mut blue, |n, cx| n.on_timer(Timer::Election, cx));
        handle(&mut blue, |n, cx| {
            n.on_message(0, Msg::Prepare { ballot: b(2, 0) }, cx)
        });
        assert_eq!(blue.leading(), None);
        // A late promise for its old ballot must not make it propose, nor accept below its promise.
        let effects = handle(&mut blue, |n, cx| {
            n.on_message(
                1,
                Msg::Promise {
                    ballot: b(1, 2),
                    accepted: None,
                },
                cx,
            )
        });
        assert_eq!(proposed(&effects), None);
        assert_eq!(blue.accepted, None);
    }

    #[test]
    fn a_leader_that_accepts_a_higher_ballot_gives_up_its_own() {
        let (mut blue, _) = blue_after_promise(Variant::Correct, None);
        assert!(matches!(blue.role, Role::Proposing { .. }));
        handle(&mut blue, |n, cx| {
            n.on_message(
                0,
                Msg::Accept {
                    ballot: b(2, 0),
                    value: 0,
                },
                cx,
            )
        });
        assert_eq!(blue.leading(), None);
        assert_eq!(blue.accepted, Some((b(2, 0), 0)));
        // A late accept of its old ballot must not make it decide its own value.
        handle(&mut blue, |n, cx| {
            n.on_message(1, Msg::Accepted { ballot: b(1, 2) }, cx)
        });
        assert_eq!(blue.decided, None);
    }

    #[test]
    fn a_leader_adopts_the_highest_ballots_value_whatever_order_promises_arrive_in() {
        let older = Some((b(1, 0), 0));
        let newer = Some((b(2, 1), 1));
        for order in [[older, newer], [newer, older]] {
            let mut blue = PaxosNode::new(2, 5, Variant::Correct, PaxosTiming::default());
            blue.max_round = 2;
            handle(&mut blue, |n, cx| n.on_timer(Timer::Election, cx));
            let ballot = blue.leading().unwrap();
            let effects: Vec<_> = order
                .into_iter()
                .enumerate()
                .flat_map(|(from, accepted)| {
                    handle(&mut blue, |n, cx| {
                        n.on_message(from, Msg::Promise { ballot, accepted }, cx)
                    })
                })
                .collect();
            assert_eq!(proposed(&effects), Some(1), "{order:?}");
        }
    }

    #[test]
    fn a_repeated_promise_or_accept_from_one_acceptor_counts_once() {
        // Five nodes: a majority is three, the leader and two others.
        let mut blue = PaxosNode::new(2, 5, Variant::Correct, PaxosTiming::default());
        handle(&mut blue, |n, cx| n.on_timer(Timer::Election, cx));
        let ballot = b(1, 2);
        let promise = Msg::Promise {
            ballot,
            accepted: None,
        };
        for _ in 0..3 {
            let effects = handle(&mut blue, |n, cx| n.on_message(1, promise.clone(), cx));
            assert_eq!(proposed(&effects), None, "green alone is not two acceptors");
        }
        let effects = handle(&mut blue, |n, cx| n.on_message(0, promise, cx));
        assert_eq!(proposed(&effects), Some(2));
        for _ in 0..3 {
            handle(&mut blue, |n, cx| {
                n.on_message(1, Msg::Accepted { ballot }, cx)
            });
            assert_eq!(blue.decided, None, "green alone is not two acceptors");
        }
        handle(&mut blue, |n, cx| {
            n.on_message(0, Msg::Accepted { ballot }, cx)
        });
        assert_eq!(blue.decided, Some((ballot, 2)));
    }

    #[test]
    fn a_leader_needs_more_than_half_the_cluster_at_every_size() {
        for n in 3..=9 {
            let mut red = PaxosNode::new(0, n, Variant::Correct, PaxosTiming::default());
            handle(&mut red, |node, cx| node.on_timer(Timer::Election, cx));
            let ballot = red.leading().unwrap();
            // The leader's own vote, then one peer after another.
            for peer in 1..n {
                let promise = Msg::Promise {
                    ballot,
                    accepted: None,
                };
                handle(&mut red, |node, cx| node.on_message(peer, promise, cx));
                let votes = peer + 1;
                let proposing = matches!(red.role, Role::Proposing { .. });
                assert_eq!(proposing, 2 * votes > n, "{votes} of {n} promised");
            }
            for peer in 1..n {
                handle(&mut red, |node, cx| {
                    node.on_message(peer, Msg::Accepted { ballot }, cx)
                });
                let votes = peer + 1;
                assert_eq!(
                    red.decided.is_some(),
                    2 * votes > n,
                    "{votes} of {n} accepted"
                );
            }
        }
    }
}
