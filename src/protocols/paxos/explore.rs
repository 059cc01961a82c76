//! Exhaustive checking of Paxos: ballots bounded by round, messages in words.

use std::hash::{Hash, Hasher};

use super::node::{Msg, Note, PaxosNode, Timer};
use super::{Paxos, PaxosChecker};
use crate::explore::{CheckOptions, Explorable, StepEvent, StepKind};
use crate::protocol::Setup;
use crate::sim::NodeId;
use crate::view::colour_name;

/// Two different values were proposed (at different ballots).
const TWO_VALUES: &str = "two values are proposed";
/// A leader proposed a value a promise carried, not its own.
const CARRIED: &str = "a leader proposes a value carried from an earlier ballot";
/// A node crashed holding an accepted value and, after recovering, promised a later ballot.
const CRASH_BETWEEN: &str = "a node crashes between an accept and a later prepare";

impl Explorable for Paxos {
    const PROGRESS: &'static str = "a value is decided";
    const SAFETY_WORDS: &'static str = "agreement";
    const ROUNDS: bool = true;
    fn round_bound_words(max_round: u64) -> String {
        format!("ballots up to round {max_round}")
    }
    const MILESTONES: &'static [&'static str] = &[TWO_VALUES, CARRIED, CRASH_BETWEEN];
    const NODES_COMMUTE: bool = true;

    fn milestones(step: &StepEvent<'_, PaxosNode, PaxosChecker>, marks: &mut u64) -> u64 {
        let mut reached = 0;
        if step.checker.values_proposed() >= 2 {
            reached |= 1 << 0;
        }
        let carried = step
            .notes
            .iter()
            .any(|note| matches!(note, Note::Proposed { ballot, value } if *value != ballot.node));
        if carried {
            reached |= 1 << 1;
        }
        // Marks: bit 8 + n, node n crashed holding an accepted value.
        let crashed_holding = 1u64 << (8 + step.node.min(55));
        match step.kind {
            StepKind::Crash if step.before.accepted.is_some() => *marks |= crashed_holding,
            StepKind::Deliver {
                msg: Msg::Prepare { .. },
                ..
            }
            | StepKind::Timer(_)
                if *marks & crashed_holding != 0
                    && step.after.accepted.is_some()
                    && step.after.promised > step.before.promised =>
            {
                reached |= 1 << 2;
            }
            _ => {}
        }
        reached
    }

    /// No node starts (or hears of) a ballot above `max_round`, which makes the space finite.
    fn within_bounds(node: &PaxosNode, options: &CheckOptions) -> bool {
        node.max_round <= options.max_round
    }

    /// No more than `max_ballots` ballots started in all.
    fn history_within_bounds(checker: &PaxosChecker, options: &CheckOptions) -> bool {
        options
            .max_ballots
            .is_none_or(|max| checker.ballots_started <= max)
    }

    /// Everything but `failed_attempts`, which only stretches election timeouts.
    fn hash_for_search<H: Hasher>(node: &PaxosNode, state: &mut H) {
        let PaxosNode {
            id,
            cluster,
            variant,
            timing,
            promised,
            accepted,
            decided,
            max_round,
            role,
            failed_attempts: _,
        } = node;
        (id, cluster, variant, timing, promised).hash(state);
        (accepted, decided, max_round, role).hash(state);
    }

    /// The verdicts' inputs only: what commutes between nodes (see `hash_verdicts`).
    fn hash_checker_for_search<H: Hasher>(checker: &PaxosChecker, state: &mut H) {
        checker.hash_verdicts(state);
    }

    fn dead_message(node: &PaxosNode, _from: NodeId, msg: &Msg) -> bool {
        node.cannot_use(msg)
    }

    fn progress(checker: &PaxosChecker) -> bool {
        !checker.decisions.is_empty()
    }

    fn describe_message(_setup: &Setup, msg: &Msg) -> String {
        match *msg {
            Msg::Prepare { ballot } => format!("Prepare({ballot})"),
            Msg::Promise {
                ballot,
                accepted: None,
            } => format!("Promise({ballot}, nothing accepted)"),
            Msg::Promise {
                ballot,
                accepted: Some((at, value)),
            } => format!("Promise({ballot}, accepted {} at {at})", colour_name(value)),
            Msg::Accept { ballot, value } => format!("Accept({ballot}, {})", colour_name(value)),
            Msg::Accepted { ballot } => format!("Accepted({ballot})"),
            Msg::Nack { ballot, promised } => format!("Nack({ballot}, promised {promised})"),
            Msg::Decide { ballot, value } => format!("Decide({ballot}, {})", colour_name(value)),
        }
    }

    fn describe_timer(Timer::Election: &Timer) -> String {
        "election timer".into()
    }
}
