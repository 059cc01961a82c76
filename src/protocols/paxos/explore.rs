//! Exhaustive checking of Paxos: ballots bounded by round, messages in words.

use std::hash::{Hash, Hasher};

use super::node::{Msg, PaxosNode, Timer};
use super::{Paxos, PaxosChecker};
use crate::explore::{CheckOptions, Explorable};
use crate::protocol::Setup;
use crate::view::colour_name;

impl Explorable for Paxos {
    const PROGRESS: &'static str = "a value is decided";
    const ROUNDS: bool = true;

    /// No node starts (or hears of) a ballot above `max_round`, which makes the space finite.
    fn within_bounds(node: &PaxosNode, options: &CheckOptions) -> bool {
        node.max_round <= options.max_round
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
