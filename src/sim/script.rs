//! Scripted runs: the scenario names every event in order (which message is delivered or lost,
//! which timer fires, who crashes and recovers) instead of delays and the seed choosing them. This
//! is how a model checker's counterexample becomes a run that `sim` replays and the game plays.
//!
//! Step `k` (counting from 0) happens at tick `(k + 1) * hop`, `hop` being the network's base
//! delay, so time keeps flowing and messages visibly travel. When a message is sent, the simulator
//! looks ahead for the first step that delivers (or loses) it and sets its arrival to that step's
//! tick; a message no step delivers is lost when the script ends. Timers never fire by themselves,
//! only when a `timer` step says so. Handlers draw their random numbers from a generator seeded
//! from the node's own state ([`SimRng::for_state`](super::SimRng::for_state)), exactly as the
//! model checker does, so a node picks the values the checker saw.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::pacing::Pacing;
use super::scheduler::Due;
use super::{
    Action, ActionError, Actor, Checker, DropReason, Engine, EngineConfig, MsgId, NodeId, Tick,
};

/// One event of a script. Messages and timers are written as they appear in the trace
/// (`{"type": "prepare", "ballot": {"round": 1, "node": 0}}`, `"Election"`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "step", rename_all = "snake_case", deny_unknown_fields)]
pub enum ScriptStep {
    /// Deliver the message `msg` that `from` sent to `to`.
    Deliver {
        from: NodeId,
        to: NodeId,
        msg: Value,
        /// Deliver another copy of a message this script already delivered (a network that
        /// duplicates messages): the copy travels beside the original from the moment it was sent.
        #[serde(default, skip_serializing_if = "is_false")]
        copy: bool,
    },
    /// The network loses that message (it dies halfway along its link).
    Lose {
        from: NodeId,
        to: NodeId,
        msg: Value,
    },
    /// One of the node's armed timers fires.
    Timer { node: NodeId, timer: Value },
    /// The node crashes, as the `kill` action.
    Kill { node: NodeId },
    /// The node restarts from its durable state, as the `recover` action.
    Recover { node: NodeId },
}

fn is_false(b: &bool) -> bool {
    !*b
}

impl ScriptStep {
    /// The checks that depend only on the cluster's shape, as [`Action::check`] does for actions.
    pub fn check(
        &self,
        nodes: usize,
        attackable: impl Fn(NodeId) -> bool,
    ) -> Result<(), ActionError> {
        let known = |node: NodeId| {
            if node < nodes {
                Ok(())
            } else {
                Err(ActionError::UnknownNode { node, nodes })
            }
        };
        match self {
            ScriptStep::Deliver { from, to, .. } | ScriptStep::Lose { from, to, .. } => {
                known(*from)?;
                known(*to)
            }
            ScriptStep::Timer { node, .. } => known(*node),
            ScriptStep::Kill { node } => Action::Kill { node: *node }.check(nodes, attackable),
            ScriptStep::Recover { node } => {
                Action::Recover { node: *node }.check(nodes, attackable)
            }
        }
    }

    /// The message a `deliver` or `lose` step is about, as (from, to, message).
    fn message(&self) -> Option<(NodeId, NodeId, &Value)> {
        match self {
            ScriptStep::Deliver { from, to, msg, .. } | ScriptStep::Lose { from, to, msg } => {
                Some((*from, *to, msg))
            }
            _ => None,
        }
    }

    fn is_copy(&self) -> bool {
        matches!(self, ScriptStep::Deliver { copy: true, .. })
    }

    /// "deliver from 1 to 0", for errors.
    fn describe(&self) -> String {
        match self {
            ScriptStep::Deliver { from, to, .. } => format!("deliver from {from} to {to}"),
            ScriptStep::Lose { from, to, .. } => format!("lose from {from} to {to}"),
            ScriptStep::Timer { node, timer } => format!("timer {timer} of {node}"),
            ScriptStep::Kill { node } => format!("kill {node}"),
            ScriptStep::Recover { node } => format!("recover {node}"),
        }
    }
}

/// Where a script stands in a running simulation.
#[derive(Clone, Debug)]
pub(super) struct ScriptRun {
    pub(super) steps: Vec<ScriptStep>,
    hop: Tick,
    /// The message (or copy) each `deliver`/`lose` step will act on, once it has been sent.
    pub(super) claimed: Vec<Option<MsgId>>,
    /// Why the script stopped early, if it did.
    pub(super) error: Option<String>,
    /// The `deliver`/`lose` steps of each message, so that a send finds its step without
    /// scanning the script (a scan made a long script quadratic).
    index: HashMap<MessageKey, Steps>,
}

/// A message as steps name it: its link and its JSON text. `serde_json` keeps object keys
/// sorted, so equal messages have equal text.
type MessageKey = (NodeId, NodeId, String);

/// The steps about one message, in script order, and the first one a send may still claim:
/// claims only move forward (time does), so the steps before it never will be.
#[derive(Clone, Debug, Default)]
struct Steps {
    steps: Vec<usize>,
    next: usize,
}

fn key(from: NodeId, to: NodeId, msg: &Value) -> MessageKey {
    (from, to, msg.to_string())
}

/// Which steps a message just sent is for: the step that delivers or loses it, then the steps
/// that deliver copies of it.
pub(super) struct Claim {
    pub(super) first: usize,
    pub(super) copies: Vec<usize>,
}

impl ScriptRun {
    pub(super) fn new(steps: Vec<ScriptStep>, hop: Tick) -> ScriptRun {
        let claimed = vec![None; steps.len()];
        let mut index: HashMap<MessageKey, Steps> = HashMap::new();
        for (k, step) in steps.iter().enumerate() {
            if let Some((from, to, msg)) = step.message() {
                index.entry(key(from, to, msg)).or_default().steps.push(k);
            }
        }
        ScriptRun {
            steps,
            hop: hop.max(1),
            claimed,
            error: None,
            index,
        }
    }

    pub(super) fn tick_of(&self, step: usize) -> Tick {
        (step as Tick + 1) * self.hop
    }

    /// When leftover messages are lost: one hop after the last step.
    pub(super) fn end(&self) -> Tick {
        self.tick_of(self.steps.len())
    }

    /// Finds the steps, after `now`, for a message `from -> to` that serializes to `msg`: the
    /// first unclaimed step delivering or losing it, and the copies delivered after that step
    /// and before the next step about an identical message. Linear over a whole run: each step
    /// is passed over once.
    pub(super) fn claim(
        &mut self,
        now: Tick,
        from: NodeId,
        to: NodeId,
        msg: &Value,
    ) -> Option<Claim> {
        let hop = self.hop;
        let tick_of = |k: usize| (k as Tick + 1) * hop;
        let entry = self.index.get_mut(&key(from, to, msg))?;
        // Past steps, claimed steps and copies with no delivery before them can never be
        // claimed now: skip them for good.
        while let Some(&k) = entry.steps.get(entry.next) {
            if tick_of(k) > now && self.claimed[k].is_none() && !self.steps[k].is_copy() {
                break;
            }
            entry.next += 1;
        }
        let first = *entry.steps.get(entry.next)?;
        let copies = entry.steps[entry.next + 1..]
            .iter()
            .copied()
            .take_while(|&k| self.steps[k].is_copy())
            .filter(|&k| self.claimed[k].is_none())
            .collect();
        Some(Claim { first, copies })
    }

    /// The step before `step` that already carried out `step`'s message, if one did: why a
    /// second delivery (without `copy`) or a late `lose` has nothing to act on.
    pub(super) fn done_before(&self, step: usize) -> Option<usize> {
        let (from, to, msg) = self.steps[step].message()?;
        let steps = &self.index.get(&key(from, to, msg))?.steps;
        let before = steps.partition_point(|&k| k < step);
        steps[..before].iter().rev().copied().find(|&k| {
            self.claimed[k].is_some() && matches!(self.steps[k], ScriptStep::Deliver { .. })
        })
    }

    /// Stops the script at `step`, saying why.
    pub(super) fn fail(&mut self, step: usize, problem: impl std::fmt::Display) {
        if self.error.is_none() {
            let what = self.steps[step].describe();
            self.error = Some(format!("script[{step}] ({what}): {problem}"));
        }
    }
}

/// The scripted pacing of the scheduler: its events come from the script, in order, not from
/// delays and the seed (see [`pacing`](super::pacing)).
impl<A: Actor, C: Checker<A::Note>> Engine<A, C> {
    /// A cluster whose events come from `steps` rather than from delays and the seed. Scheduled
    /// actions still apply at their ticks.
    pub fn scripted(
        actors: Vec<A>,
        checker: C,
        config: EngineConfig,
        steps: Vec<ScriptStep>,
    ) -> Self {
        let run = ScriptRun::new(steps, config.net.base_delay);
        let dues: Vec<(Tick, Due)> = (0..run.steps.len())
            .map(|k| (run.tick_of(k), Due::Script(k)))
            .chain([(run.end(), Due::ScriptEnd)])
            .collect();
        let mut sim = Self::unstarted(actors, checker, config, Pacing::Scripted(run));
        // Queued before the nodes start, so that a step comes first among same-tick events.
        for (tick, due) in dues {
            sim.push_due(tick, due);
        }
        sim.start_nodes();
        sim
    }

    /// Why the script stopped before its end, in a scripted run that did.
    pub fn script_error(&self) -> Option<&str> {
        self.pacing.script().and_then(|run| run.error.as_deref())
    }

    /// In a scripted run that ended (decided, or at its tick limit) before its script did: plays
    /// the rest of the script on a copy, so that a step that could never happen is an error
    /// however early the run ends. Steps that could still happen are left unplayed.
    pub fn check_rest_of_script(&mut self)
    where
        C: Clone,
    {
        let Some(run) = self.pacing.script() else {
            return;
        };
        let end = run.end();
        if run.error.is_some() || self.now >= end {
            return;
        }
        let mut rest = self.snapshot();
        rest.run_until(end);
        if let (Some(error), Some(run)) = (rest.script_error(), self.pacing.script_mut()) {
            run.error = Some(format!(
                "{error} (the run ended before this step, at tick {}; it could never have happened)",
                self.now
            ));
        }
    }

    /// Carries out step `step` of the script, or stops the script saying why it cannot.
    pub(super) fn script_step(&mut self, step: usize) {
        let Some(run) = self.pacing.script() else {
            return;
        };
        if run.error.is_some() {
            return;
        }
        let claimed = run.claimed[step];
        let fail = |sim: &mut Self, problem: String| {
            if let Some(run) = sim.pacing.script_mut() {
                run.fail(step, problem);
            }
        };
        let current = run.steps[step].clone();
        match current {
            ScriptStep::Deliver { ref msg, .. } | ScriptStep::Lose { ref msg, .. } => {
                let Some(id) = claimed.filter(|id| self.in_flight.contains_key(id)) else {
                    let earlier = run.done_before(step);
                    let problem = match (claimed, earlier, &current) {
                        (None, Some(j), ScriptStep::Deliver { .. }) => format!(
                            "message {msg} was already delivered by script[{j}]; to deliver it \
                             again, as a network that duplicates, write \"copy\": true"
                        ),
                        (None, Some(j), _) => format!(
                            "message {msg} was already delivered by script[{j}], so it is no \
                             longer on the wire to lose"
                        ),
                        (None, None, _) => {
                            format!("no message {msg} was sent on this link before this step")
                        }
                        (Some(_), _, _) => format!("message {msg} was lost before this step"),
                    };
                    return fail(self, problem);
                };
                match current {
                    ScriptStep::Lose { .. } => {
                        if let Some(m) = self.in_flight.remove(&id) {
                            self.lose(m, DropReason::Lost);
                        }
                    }
                    _ => self.arrive(id),
                }
            }
            ScriptStep::Timer { node, timer } => {
                let armed = self.timers[node]
                    .iter()
                    .find(|(t, _)| serde_json::to_value(t).ok().as_ref() == Some(&timer))
                    .map(|(_, seq)| *seq);
                match armed {
                    Some(seq) => self.fire_timer(node, seq),
                    None => fail(self, format!("node {node} has no {timer} timer armed")),
                }
            }
            ScriptStep::Kill { node } => {
                if let Err(refusal) = self.apply(Action::Kill { node }) {
                    fail(self, refusal.to_string());
                }
            }
            ScriptStep::Recover { node } => {
                if let Err(refusal) = self.apply(Action::Recover { node }) {
                    fail(self, refusal.to_string());
                }
            }
        }
    }

    /// The script is over: messages it never delivered are lost.
    pub(super) fn end_script(&mut self) {
        let leftover: Vec<MsgId> = self.in_flight.keys().copied().collect();
        for id in leftover {
            if let Some(m) = self.in_flight.remove(&id) {
                self.lose(m, DropReason::Lost);
            }
        }
    }

    /// Puts a message on the wire in a scripted run: it arrives at the tick of the step that
    /// delivers (or loses) it, with a copy for each later step that delivers it again; a message
    /// no step is for dies halfway along its link when the script ends.
    pub(super) fn send_scripted(&mut self, from: NodeId, to: NodeId, msg: A::Msg) {
        let Some(run) = self.pacing.script_mut() else {
            return;
        };
        let key = serde_json::to_value(&msg).unwrap_or_default();
        let claim = run.claim(self.now, from, to, &key);
        let player_drop = std::mem::replace(&mut self.drop_next[from], false);
        let (first, copies) = match claim {
            Some(claim) => (Some(claim.first), claim.copies),
            None => (None, Vec::new()),
        };
        let trips = std::iter::once(first).chain(copies.into_iter().map(Some));
        for step in trips {
            let Some(run) = self.pacing.script_mut() else {
                return;
            };
            let id = self.next_msg_id;
            self.next_msg_id += 1;
            let (arrives, lost) = match step {
                Some(k) => {
                    run.claimed[k] = Some(id);
                    (
                        run.tick_of(k),
                        matches!(run.steps[k], ScriptStep::Lose { .. }),
                    )
                }
                None => (run.end(), true),
            };
            self.put_on_wire(id, from, to, arrives, lost || player_drop, msg.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_read_as_flat_json() {
        let steps: Vec<ScriptStep> = serde_json::from_str(
            r#"[{"step": "timer", "node": 0, "timer": "Election"},
                {"step": "deliver", "from": 0, "to": 1, "msg": {"type": "prepare"}},
                {"step": "deliver", "from": 0, "to": 1, "msg": {"type": "prepare"}, "copy": true},
                {"step": "kill", "node": 1}]"#,
        )
        .unwrap();
        assert_eq!(
            steps[1],
            ScriptStep::Deliver {
                from: 0,
                to: 1,
                msg: serde_json::json!({"type": "prepare"}),
                copy: false
            }
        );
        assert!(steps[2].is_copy());
        let text = serde_json::to_string(&steps[1]).unwrap();
        assert!(!text.contains("copy"), "{text}");
        assert!(
            serde_json::from_str::<ScriptStep>(r#"{"step": "kill", "node": 1, "x": 2}"#).is_err()
        );
    }

    #[test]
    fn a_message_claims_its_first_delivery_and_the_copies_after_it() {
        let msg = serde_json::json!("m");
        let deliver = |copy| ScriptStep::Deliver {
            from: 0,
            to: 1,
            msg: msg.clone(),
            copy,
        };
        let mut run = ScriptRun::new(
            vec![
                deliver(false),
                ScriptStep::Kill { node: 2 },
                deliver(true),
                deliver(false),
                deliver(true),
            ],
            10,
        );
        let claim = run.claim(0, 0, 1, &msg).unwrap();
        assert_eq!((claim.first, claim.copies), (0, vec![2]));
        // Sent after step 0 happened: the next delivery is step 3, with its copy.
        let claim = run.claim(run.tick_of(0), 0, 1, &msg).unwrap();
        assert_eq!((claim.first, claim.copies), (3, vec![4]));
        assert!(run.claim(0, 1, 0, &msg).is_none(), "another link");
        assert!(run.claim(0, 0, 1, &serde_json::json!("n")).is_none());
    }
}
