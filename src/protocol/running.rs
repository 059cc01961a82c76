//! The erased running simulation that the CLI, the game and chaos call: [`AnyEngine`], and what
//! it reports ([`Summary`], [`Outcome`]).

use std::any::Any;

use serde::Serialize;

use super::*;
use crate::diagram::{Entry, Stamped};
use crate::sim::{
    Action, ActionError, Engine, EngineConfig, Event, Faults, InFlight, MessageStats, MsgId, Next,
    NodeId, Tick, TraceDigest, Violation,
};
use crate::view::{self, Checks, LogLine, MessageView, NodeView, Quorums, ResultsView};

/// The next event of a running simulation, as an observer that is not the protocol sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Upcoming {
    /// A message arrives; `deliverable` says whether it reaches its receiver (else it is lost).
    Arrival {
        id: MsgId,
        from: NodeId,
        to: NodeId,
        aim: Aim,
        copy: bool,
        deliverable: bool,
    },
    /// A timer of this node fires (or was cancelled).
    Timer(NodeId),
    /// A scheduled action applies (or is refused).
    Action(Action),
    /// Nothing that anyone sees: a message dropped on its way.
    Nothing,
}

/// A running simulation of some protocol, as everything outside the protocol sees it.
pub trait AnyEngine: Send + Sync {
    fn now(&self) -> Tick;
    fn apply(&mut self, action: Action) -> Result<(), crate::sim::ActionError>;
    fn schedule(&mut self, at: Tick, action: Action);
    fn run_until(&mut self, tick: Tick);
    /// Processes the next due event; false when nothing is left.
    fn step_one(&mut self) -> bool;
    fn next_due(&self) -> Option<Tick>;
    /// What [`step_one`](Self::step_one) will process next, and when.
    fn upcoming(&self) -> Option<(Tick, Upcoming)>;
    /// The protocol's dangerous situations reached so far (see [`Model::dangers`]).
    fn dangers(&self) -> Vec<&'static str>;
    fn violations(&self) -> &[Violation];
    fn stats(&self) -> MessageStats;
    fn faults(&self) -> &Faults;
    fn drop_armed(&self, node: NodeId) -> bool;
    fn in_flight_count(&self) -> usize;
    fn trace_len(&self) -> usize;
    fn events_processed(&self) -> u64;
    fn pending_actions(&self) -> usize;
    /// Why a scripted run's script stopped before its end, if it did.
    fn script_error(&self) -> Option<&str>;
    /// In a network player's run, whether the network runs by itself for now; `None` in any
    /// other run (see [`Engine::network_running`]).
    fn network_running(&self) -> Option<bool>;
    /// In a network player's run, what the player can do now: the messages waiting, by
    /// destination in the order sent, and the timers that can fire. `None` in any other run.
    fn network_choices(&self, setup: &Setup) -> Option<view::NetworkChoices>;
    fn finished(&self) -> bool;
    /// Runs until [`finished`](Self::finished), nothing is left to happen, or `max_ticks`.
    fn run_to_end(&mut self, max_ticks: Tick);
    /// See [`Model::won_at`].
    fn won_at(&self) -> Option<Tick>;
    fn summary(&self, setup: &Setup) -> Summary;
    /// Trace entries `from..` as JSON lines (each ending in a newline), as `--trace` writes them.
    fn trace_lines(&self, from: usize) -> Vec<String>;
    /// From now on writes every event to `out` as a JSON line instead of keeping it in memory.
    fn stream_trace(&mut self, out: Box<dyn std::io::Write + Send + Sync>);
    /// Flushes a streamed trace: how many events it held and their hash, or the first write error.
    fn finish_trace(&mut self) -> std::io::Result<TraceDigest>;
    fn node_views(&self, setup: &Setup) -> Vec<NodeView>;
    /// Every message in flight at `now` (fractional ticks, for smooth animation).
    fn message_views(&self, setup: &Setup, now: f64) -> Vec<MessageView>;
    /// Event-log lines for trace entries `from..`.
    fn log_lines(&self, setup: &Setup, from: usize) -> Vec<LogLine>;
    /// Ids of the messages lost (dropped, cut off, or sent to a down node) in trace entries `from..`.
    fn lost_since(&self, from: usize) -> Vec<MsgId>;
    /// Trace entries `from..` as the space-time diagram reads them.
    fn diagram_entries(&self, setup: &Setup, from: usize) -> Vec<Stamped>;
    fn checks(&self, setup: &Setup) -> Checks;
    fn results(&self, setup: &Setup, outcome: &Outcome) -> ResultsView;
    fn clients_paused(&self) -> Option<bool>;
    /// See [`Model::quorums`].
    fn quorums(&self) -> Quorums;
    /// See [`Model::quorums_following`].
    fn quorums_following(&self, follower: &mut TraceFollower) -> Quorums;
    /// The latest protocol step worth a caption (see [`Model::caption`]): when, and its words.
    fn caption(&self, setup: &Setup) -> Option<(Tick, String)>;
    /// For tests that look inside one protocol's simulator.
    fn as_any(&self) -> &dyn Any;
    /// A copy of the run as it stands, without its trace (see [`Engine::snapshot`]).
    fn snapshot(&self) -> Box<dyn AnyEngine>;
    /// Continues from a snapshot of this run's line (see [`Engine::restore`]).
    fn restore(&mut self, snapshot: &dyn AnyEngine) -> Result<(), String>;
    /// Drops the trace kept beyond now (see [`Engine::forget_kept_trace`]).
    fn forget_kept_trace(&mut self);
    /// The latest tick before `tick` at which the trace holds an event.
    fn moment_before(&self, tick: Tick) -> Option<Tick>;
    /// The first tick after `tick` at which the trace, or what it keeps beyond now, holds an
    /// event.
    fn moment_after(&self, tick: Tick) -> Option<Tick>;
}

/// How a round ended, and its score.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Outcome {
    /// When the cluster won: decided (Paxos) or converged (ec-counter).
    pub tick: Tick,
    /// When the same round, left alone (its setup without the player's moves), was won; none
    /// if it never was.
    pub left_alone: Option<Tick>,
    /// The score: the simulated milliseconds of delay the player caused beyond the round left
    /// alone. An undisturbed round scores 0, and so does a round the player's moves ended sooner.
    pub score: Tick,
}

impl Outcome {
    pub fn new(tick: Tick, left_alone: Option<Tick>) -> Outcome {
        let score = left_alone.map_or(0, |alone| tick.saturating_sub(alone));
        Outcome {
            tick,
            left_alone,
            score,
        }
    }
}

/// What `beat-paxos sim` prints: what every protocol reports, then the protocol's own fields
/// (`details`). For ec-counter, `decided`/`decision_tick` mean converged.
#[derive(Clone, Debug, Serialize)]
pub struct Summary {
    pub mode: &'static str,
    pub seed: u64,
    #[serde(rename = "break")]
    pub broken: Option<&'static str>,
    pub nodes: usize,
    pub decided: bool,
    pub value: Option<String>,
    pub decision_tick: Option<Tick>,
    /// How many leadership attempts the run started (Paxos's ballots), for a protocol that has
    /// leaders; null for one that has none.
    pub ballots: Option<u64>,
    pub messages: MessageStats,
    pub violations: Vec<Violation>,
    pub ticks: Tick,
    pub events: u64,
    /// The protocol's own fields (`Model::summarize`), printed in place, after `events`.
    #[serde(flatten)]
    pub details: SummaryFields,
    /// With `--trace`: how many events it holds, and the FNV-1a hash of the file (hex).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trace_events: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trace_hash: Option<String>,
}

/// The fields one protocol adds to its [`Summary`], in the order it adds them. A list rather than
/// a map: the JSON keeps that order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SummaryFields(Vec<(&'static str, serde_json::Value)>);

impl SummaryFields {
    /// Sets field `name` (in its first place, if it was set before).
    pub fn set(&mut self, name: &'static str, value: impl Serialize) {
        let value = serde_json::to_value(value).expect("summary fields serialize to JSON");
        match self.0.iter_mut().find(|(n, _)| *n == name) {
            Some((_, old)) => *old = value,
            None => self.0.push((name, value)),
        }
    }

    /// Field `name`, if the protocol set it.
    pub fn get(&self, name: &str) -> Option<&serde_json::Value> {
        self.0.iter().find(|(n, _)| *n == name).map(|(_, v)| v)
    }
}

impl Serialize for SummaryFields {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.0.iter().map(|(name, value)| (*name, value)))
    }
}

/// The simulator of protocol `P` behind `run`, if it runs `P`.
pub fn engine_of<P: Model>(run: &dyn AnyEngine) -> Option<&ProtocolEngine<P>> {
    run.as_any()
        .downcast_ref::<TypedEngine<P>>()
        .map(|r| &r.sim)
}

/// The simulator of protocol `P`, as a [`AnyEngine`].
/// How many steps back [`AnyEngine::caption`] looks for one worth a caption.
const CAPTION_LOOKBACK: usize = 256;

/// The node whose step an event belongs to: the sender of a send, the receiver of a delivery,
/// the node of a note or a timer. None for the network's and the player's doings.
fn acting_node<A: crate::sim::Actor>(event: &Event<A>) -> Option<NodeId> {
    match event {
        Event::Send { from, .. } => Some(*from),
        Event::Deliver { to, .. } => Some(*to),
        Event::Note { node, .. } | Event::Timer { node, .. } => Some(*node),
        _ => None,
    }
}

pub(crate) struct TypedEngine<P: Model> {
    sim: ProtocolEngine<P>,
}

impl<P: Model> TypedEngine<P> {
    pub(crate) fn new(setup: &Setup, record_trace: bool) -> TypedEngine<P> {
        let config = EngineConfig {
            seed: setup.seed,
            net: setup.net,
            max_down: setup.max_down(),
            record_trace,
        };
        let (actors, checker) = P::build(setup);
        let sim = if !setup.script.is_empty() {
            Engine::scripted(actors, checker, config, setup.script.clone())
        } else if setup.network_player {
            Engine::network_player(actors, checker, config)
        } else {
            Engine::new(actors, checker, config)
        };
        TypedEngine { sim }
    }
}

impl<P: Model> AnyEngine for TypedEngine<P> {
    fn now(&self) -> Tick {
        self.sim.now()
    }
    fn apply(&mut self, action: Action) -> Result<(), ActionError> {
        self.sim.apply(action)
    }
    fn schedule(&mut self, at: Tick, action: Action) {
        self.sim.schedule(at, action)
    }
    fn run_until(&mut self, tick: Tick) {
        self.sim.run_until(tick)
    }
    fn step_one(&mut self) -> bool {
        self.sim.step_one()
    }
    fn next_due(&self) -> Option<Tick> {
        self.sim.next_due()
    }
    fn upcoming(&self) -> Option<(Tick, Upcoming)> {
        let (tick, next) = self.sim.peek_next()?;
        let upcoming = match next {
            Next::Arrival(m) => Upcoming::Arrival {
                id: m.id,
                from: m.from,
                to: m.to,
                aim: P::aim(&m.msg),
                copy: m.copy_of.is_some(),
                deliverable: self.sim.deliverable(m),
            },
            Next::Gone => Upcoming::Nothing,
            Next::Timer(node) => Upcoming::Timer(node),
            Next::Action(action) => Upcoming::Action(action.clone()),
        };
        Some((tick, upcoming))
    }
    fn dangers(&self) -> Vec<&'static str> {
        P::dangers(&self.sim)
    }
    fn violations(&self) -> &[Violation] {
        self.sim.violations()
    }
    fn stats(&self) -> MessageStats {
        self.sim.stats()
    }
    fn faults(&self) -> &Faults {
        self.sim.faults()
    }
    fn drop_armed(&self, node: NodeId) -> bool {
        self.sim.drop_armed(node)
    }
    fn in_flight_count(&self) -> usize {
        self.sim.in_flight_count()
    }
    fn trace_len(&self) -> usize {
        self.sim.trace().len()
    }
    fn events_processed(&self) -> u64 {
        self.sim.events_processed()
    }
    fn pending_actions(&self) -> usize {
        self.sim.pending_actions()
    }
    fn script_error(&self) -> Option<&str> {
        self.sim.script_error()
    }
    fn network_running(&self) -> Option<bool> {
        self.sim.network_running()
    }
    fn network_choices(&self, setup: &Setup) -> Option<view::NetworkChoices> {
        let running = self.sim.network_running()?;
        let mut messages: Vec<view::WaitingMessage> = self
            .sim
            .in_flight()
            .map(|m| view::WaitingMessage {
                id: m.id,
                from: m.from,
                to: m.to,
                sent: m.sent,
                copy_of: m.copy_of,
                deliverable: self.sim.deliverable(m),
                label: P::message_look(setup, m).label,
            })
            .collect();
        // Ids grow as messages are sent (a copy's when it is made), so a stable sort by
        // destination keeps each destination's in the order sent.
        messages.sort_by_key(|m| m.to);
        let timers = (0..self.sim.actors().len())
            .flat_map(|node| {
                self.sim
                    .armed_timers(node)
                    .enumerate()
                    .map(move |(timer, armed)| view::ArmedTimer {
                        node,
                        timer,
                        name: match serde_json::to_value(armed) {
                            Ok(serde_json::Value::String(name)) => name,
                            other => other.map(|v| v.to_string()).unwrap_or_default(),
                        },
                    })
            })
            .collect();
        Some(view::NetworkChoices {
            running,
            messages,
            timers,
        })
    }
    fn finished(&self) -> bool {
        P::finished(&self.sim)
    }
    fn run_to_end(&mut self, max_ticks: Tick) {
        while !P::finished(&self.sim) {
            match self.sim.next_due() {
                Some(tick) if tick <= max_ticks => self.sim.step_one(),
                _ => break,
            };
        }
        self.sim.check_rest_of_script();
    }
    fn won_at(&self) -> Option<Tick> {
        P::won_at(&self.sim)
    }
    fn summary(&self, setup: &Setup) -> Summary {
        let mut summary = Summary {
            mode: setup.mode.name(),
            seed: setup.seed,
            broken: setup.broken,
            nodes: setup.cluster_size(),
            decided: false,
            value: None,
            decision_tick: None,
            ballots: None,
            messages: self.sim.stats(),
            violations: self.sim.violations().to_vec(),
            ticks: self.sim.now(),
            events: self.sim.events_processed(),
            details: SummaryFields::default(),
            trace_events: None,
            trace_hash: None,
        };
        P::summarize(&self.sim, &mut summary);
        summary
    }
    fn trace_lines(&self, from: usize) -> Vec<String> {
        let trace = self.sim.trace();
        trace[from.min(trace.len())..]
            .iter()
            .map(|event| serde_json::to_string(event).expect("trace events serialize") + "\n")
            .collect()
    }
    fn stream_trace(&mut self, out: Box<dyn std::io::Write + Send + Sync>) {
        self.sim.stream_trace(out)
    }
    fn finish_trace(&mut self) -> std::io::Result<TraceDigest> {
        self.sim.finish_trace()
    }
    fn node_views(&self, setup: &Setup) -> Vec<NodeView> {
        (0..self.sim.actors().len())
            .map(|node| P::node_view(&self.sim, setup, node))
            .collect()
    }
    fn message_views(&self, setup: &Setup, now: f64) -> Vec<MessageView> {
        self.sim
            .in_flight()
            .map(|m| MessageView {
                id: m.id,
                from: m.from,
                to: m.to,
                progress: m.progress(now),
                doomed: m.doomed,
                duplicate: m.copy_of.is_some(),
                look: P::message_look(setup, m),
            })
            .collect()
    }
    fn log_lines(&self, setup: &Setup, from: usize) -> Vec<LogLine> {
        let trace = self.sim.trace();
        trace[from.min(trace.len())..]
            .iter()
            .filter_map(|t| {
                view::log_line(t, P::note_text, |node| setup.mode.node_name(setup, node))
            })
            .collect()
    }
    fn lost_since(&self, from: usize) -> Vec<MsgId> {
        let trace = self.sim.trace();
        trace[from.min(trace.len())..]
            .iter()
            .filter_map(|t| match t.event {
                Event::Drop { id, .. } => Some(id),
                _ => None,
            })
            .collect()
    }
    fn diagram_entries(&self, setup: &Setup, from: usize) -> Vec<Stamped> {
        let trace = self.sim.trace();
        let mut entries = Vec::new();
        for traced in &trace[from.min(trace.len())..] {
            let tick = traced.tick;
            let entry = match &traced.event {
                Event::Send {
                    id,
                    from,
                    to,
                    arrives,
                    msg,
                } => {
                    // The look of a message depends only on it and its ends, as on the wire.
                    let on_wire = InFlight {
                        id: *id,
                        from: *from,
                        to: *to,
                        sent: tick,
                        arrives: *arrives,
                        doomed: false,
                        copy_of: None,
                        msg: msg.clone(),
                    };
                    Some(Entry::Sent {
                        id: *id,
                        from: *from,
                        to: *to,
                        arrives: *arrives,
                        look: P::message_look(setup, &on_wire),
                    })
                }
                Event::Duplicate {
                    id,
                    of,
                    from,
                    to,
                    arrives,
                } => Some(Entry::Copied {
                    id: *id,
                    of: *of,
                    from: *from,
                    to: *to,
                    arrives: *arrives,
                }),
                Event::Deliver { id, .. } => Some(Entry::Delivered { id: *id }),
                Event::Drop { id, reason, .. } => Some(Entry::Lost {
                    id: *id,
                    reason: *reason,
                }),
                Event::Action { action } => Some(Entry::Action(action.clone())),
                Event::Violation { violation } => Some(Entry::Violation(format!(
                    "{}: {}",
                    violation.kind, violation.detail
                ))),
                Event::Timer { .. } | Event::Refused { .. } | Event::Note { .. } => None,
            };
            entries.extend(entry.map(|entry| Stamped { tick, entry }));
            if let Some((node, kind, text)) = P::mark(&traced.event) {
                entries.push(Stamped {
                    tick,
                    entry: Entry::Mark { node, kind, text },
                });
            }
        }
        entries
    }
    fn checks(&self, setup: &Setup) -> Checks {
        P::checks(&self.sim, setup)
    }
    fn results(&self, setup: &Setup, outcome: &Outcome) -> ResultsView {
        P::results(&self.sim, setup, outcome)
    }
    fn clients_paused(&self) -> Option<bool> {
        P::clients_paused(&self.sim)
    }
    fn quorums(&self) -> Quorums {
        P::quorums(&self.sim)
    }
    fn quorums_following(&self, follower: &mut TraceFollower) -> Quorums {
        P::quorums_following(&self.sim, follower)
    }
    fn caption(&self, setup: &Setup) -> Option<(Tick, String)> {
        // Walk back through the trace one step at a time (one node handling one thing at one
        // tick); a bounded walk, as the newest steps are almost always worth a caption.
        let trace = self.sim.trace();
        let mut end = trace.len();
        for _ in 0..CAPTION_LOOKBACK {
            let last = end.checked_sub(1)?;
            let key = (trace[last].tick, acting_node(&trace[last].event));
            let mut start = last;
            while start > 0 && (trace[start - 1].tick, acting_node(&trace[start - 1].event)) == key
            {
                start -= 1;
            }
            if key.1.is_some()
                && let Some(text) = P::caption(&self.sim, setup, &trace[start..end])
            {
                return Some((key.0, text));
            }
            end = start;
        }
        None
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn snapshot(&self) -> Box<dyn AnyEngine> {
        Box::new(TypedEngine::<P> {
            sim: self.sim.snapshot(),
        })
    }
    fn restore(&mut self, snapshot: &dyn AnyEngine) -> Result<(), String> {
        match snapshot.as_any().downcast_ref::<TypedEngine<P>>() {
            Some(snapshot) => self.sim.restore(&snapshot.sim),
            None => Err("the snapshot is of another protocol".into()),
        }
    }
    fn forget_kept_trace(&mut self) {
        self.sim.forget_kept_trace()
    }
    fn moment_before(&self, tick: Tick) -> Option<Tick> {
        let trace = self.sim.trace();
        let before = trace.partition_point(|t| t.tick < tick);
        before.checked_sub(1).map(|index| trace[index].tick)
    }
    fn moment_after(&self, tick: Tick) -> Option<Tick> {
        let kept = self.sim.kept_trace();
        kept.get(kept.partition_point(|t| t.tick <= tick))
            .map(|t| t.tick)
    }
}

#[cfg(test)]
mod tests {
    use super::SummaryFields;

    #[test]
    fn summary_fields_keep_the_order_they_were_first_set_in() {
        let mut fields = SummaryFields::default();
        fields.set("status", "not_converged");
        fields.set("final_values", [3, 1]);
        fields.set("status", "converged");
        assert_eq!(fields.get("status"), Some(&serde_json::json!("converged")));
        assert_eq!(fields.get("reason"), None);
        assert_eq!(
            serde_json::to_string(&fields).unwrap(),
            r#"{"status":"converged","final_values":[3,1]}"#
        );
    }
}
