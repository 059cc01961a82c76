//! Exhaustive checking of ec-counter: a small cluster, paths bounded by length.

use super::node::{EcNode, Msg, Note, Timer};
use super::{EcChecker, EcCounter};
use crate::explore::{Explorable, StepEvent, StepKind};
use crate::protocol::Setup;

impl Explorable for EcCounter {
    const PROGRESS: &'static str = "the servers converge";
    const MILESTONES: &'static [&'static str] = &[
        "a server ignores a set below its value",
        "a sync raises a server's value",
        "a client resends a request",
    ];

    fn milestones(step: &StepEvent<'_, EcNode, EcChecker>, _marks: &mut u64) -> u64 {
        let mut reached = 0;
        let ignored = |note: &Note| matches!(note, Note::SetAcknowledged { applied: false, .. });
        if step.notes.iter().any(ignored) {
            reached |= 1 << 0;
        }
        let value = |node: &EcNode| node.as_server().map(|server| server.value);
        if let StepKind::Deliver {
            msg: Msg::Sync { .. },
            ..
        } = step.kind
            && value(step.after) > value(step.before)
        {
            reached |= 1 << 1;
        }
        if let StepKind::Timer(Timer::Retry) = step.kind {
            reached |= 1 << 2;
        }
        reached
    }

    /// Two servers, a client on each, two requests each. Clients draw their requests from the
    /// seed and their own state, so the search covers every interleaving of the workloads those
    /// draws give (replies vary with the interleaving, and so do later requests), not every
    /// workload; another `--seed` explores others.
    fn small_setup() -> &'static [(&'static str, u64)] {
        &[("servers", 2), ("clients", 2), ("requests", 2)]
    }

    /// Servers gossip forever and clients retry, so only a depth bound makes the space finite.
    fn default_max_depth() -> Option<usize> {
        Some(14)
    }

    fn progress(checker: &EcChecker) -> bool {
        checker.converged_at.is_some()
    }

    fn describe_message(_setup: &Setup, msg: &Msg) -> String {
        match *msg {
            Msg::Get { .. } => "Get".into(),
            Msg::Set { value, .. } => format!("Set({value})"),
            Msg::Value { value, .. } => format!("Value({value})"),
            Msg::SetDone { applied, value, .. } => {
                let applied = if applied { "applied" } else { "ignored" };
                format!("SetDone({applied}, now {value})")
            }
            Msg::Sync { value } => format!("Sync({value})"),
        }
    }

    fn describe_timer(timer: &Timer) -> String {
        match timer {
            Timer::Sync => "sync timer",
            Timer::NextRequest => "next-request timer",
            Timer::Retry => "retry timer",
        }
        .into()
    }
}
