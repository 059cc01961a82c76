//! What a protocol plug-in provides, and the setup of a run.
//!
//! A protocol is a unit struct in its own folder under `src/protocols/` implementing two traits:
//! [`Protocol`], the facts and views that need no running simulation (its settings, broken
//! variants, layout, cheat sheet, chaos faults), and [`Model`], its actor and checker types and the
//! views of a running simulation (node badges, message labels, live checks, results). Everything
//! else (the CLI, the game, the web bridge, chaos, the tests) reaches protocols through a [`Mode`],
//! a handle to one of them, and the registry in `src/protocols/mod.rs` lists them all.

use std::any::Any;
use std::ops::RangeInclusive;

use serde::Serialize;

use crate::diagram::{MarkKind, Stamped};
use crate::sim::{
    Action, Actor, Checker, Event, Faults, InFlight, MessageStats, MsgId, NetConfig, NodeId,
    ScriptStep, Sim, SimRng, TICK_LIMIT, Tick, TimedAction, TraceDigest, Traced, Violation,
};
use crate::view::{
    CheatSheet, Checks, LogLine, MessageLook, MessageView, NodeView, Place, Quorums, ResultsView,
};

/// The facts and views of a protocol that need no running simulation.
pub trait Protocol: Sync + 'static {
    /// Its name in scenario files, links and on the command line: `paxos`.
    fn name(&self) -> &'static str;
    /// Its name on the title screen: `Beat Paxos`.
    fn title(&self) -> &'static str;
    /// A few sentences on the title screen: what the cluster does, what the player does.
    fn pitch(&self) -> &'static str;
    /// Its numeric settings, in the order the title screen shows them.
    fn knobs(&self) -> &'static [Knob];
    /// The knob `--nodes` sets: the number of nodes the player attacks.
    fn size_knob(&self) -> &'static str;
    /// Deliberately broken versions, to teach what each rule is for and to prove the checker works.
    fn variants(&self) -> &'static [Variant];
    fn default_net(&self) -> NetConfig;
    /// How many nodes the simulation has (counter clients count).
    fn cluster_size(&self, setup: &Setup) -> usize;
    /// Whether the player may kill or slow `node`, and whether partitions list it.
    fn is_target(&self, _setup: &Setup, _node: NodeId) -> bool {
        true
    }
    /// Its rounds end when the cluster converges, not when it decides (reports say which).
    fn converges(&self) -> bool {
        false
    }
    /// How many targets may be down at once.
    fn max_down(&self, setup: &Setup) -> usize;
    /// A fresh simulation of `setup` (nothing scheduled yet): `Box::new(Running::<Self>::new(..))`.
    fn start(&self, setup: &Setup, record_trace: bool) -> Box<dyn RunningSim>;
    /// A node the player kills comes back by itself after this many hops, if the round could
    /// otherwise never end.
    fn restart_killed_after_hops(&self) -> Option<u64> {
        None
    }
    /// The faults chaos draws from, each as likely as its number of entries.
    fn chaos_faults(&self) -> &'static [ChaosFault];
    /// Chaos varies the timing of each run: here the protocol redraws its own timeouts from `rng`,
    /// around `setup`'s values and the (already varied) network's `setup.net`, inside its knobs'
    /// ranges.
    fn vary_timing(&self, _setup: &mut Setup, _rng: &mut SimRng) {}
    /// "Paxos, 3 nodes".
    fn label(&self, setup: &Setup) -> String;
    /// The key best scores are kept under: one per protocol and cluster shape.
    fn score_key(&self, setup: &Setup) -> String;
    /// A node's name in the log: "red", "server 2".
    fn node_name(&self, setup: &Setup, node: NodeId) -> String;
    fn layout(&self, setup: &Setup) -> Vec<Place>;
    /// The links drawn between nodes (messages only travel along these).
    fn links(&self, setup: &Setup) -> Vec<(NodeId, NodeId)>;
    fn cheat_sheet(&self) -> CheatSheet;
    /// Its example scenarios, built in (so the web version has them): (file name, JSON text).
    fn scenarios(&self) -> &'static [(&'static str, &'static str)] {
        &[]
    }
    /// How `beat-paxos check` explores it exhaustively, if it can (native builds only).
    #[cfg(not(target_arch = "wasm32"))]
    fn explorer(&self) -> Option<&'static dyn crate::explore::Explorer> {
        None
    }
    /// Its lessons, in the order a learner takes them (see `crate::lesson`).
    fn lessons(&self) -> &'static [Lesson] {
        &[]
    }
}

/// The typed side of a protocol: its actor and checker, and the views of a running simulation.
pub trait Model: Protocol + Sized {
    type Actor: Actor + 'static;
    /// `Clone` so that a round can keep snapshots of its run to seek in (see `Round::seek`).
    type Checker: Checker<<Self::Actor as Actor>::Note> + Clone + Send + Sync + 'static;

    /// The cluster's actors and a fresh checker.
    fn build(setup: &Setup) -> (Vec<Self::Actor>, Self::Checker);
    /// The round is over (every node decided, the counter converged and healed).
    fn finished(sim: &ModelSim<Self>) -> bool;
    /// When the cluster won the round (Paxos decided; the counter converged once its clients
    /// were done), if it has.
    fn won_at(sim: &ModelSim<Self>) -> Option<Tick>;
    /// Fills in the protocol's fields of a finished run's summary (and its end-of-run checks).
    fn summarize(sim: &ModelSim<Self>, summary: &mut Summary);
    fn node_view(sim: &ModelSim<Self>, setup: &Setup, node: NodeId) -> NodeView;
    fn message_look(setup: &Setup, message: &InFlight<<Self::Actor as Actor>::Msg>) -> MessageLook;
    /// A note in words for the event log ("starts ballot 2.G"), or none to leave it out.
    fn note_text(note: &<Self::Actor as Actor>::Note) -> Option<String>;
    /// The milestone a trace event puts on the space-time diagram (a ballot started, a promise,
    /// a decision, a value changed), if any: on which node's lane, what kind, and its words.
    fn mark(_event: &Event<Self::Actor>) -> Option<(NodeId, MarkKind, String)> {
        None
    }
    /// Majorities to outline on the cluster, worked out from the trace (none by default).
    fn quorums(_sim: &ModelSim<Self>) -> Quorums {
        Quorums::default()
    }
    /// One protocol step in plain words, for classroom captions: `step` holds the trace entries
    /// of one node handling one thing (a delivery, a timer), in order. None if the step is not
    /// worth a caption (a promise that does not yet make a majority).
    fn caption(
        _sim: &ModelSim<Self>,
        _setup: &Setup,
        _step: &[Traced<Self::Actor>],
    ) -> Option<String> {
        None
    }
    fn checks(sim: &ModelSim<Self>, setup: &Setup) -> Checks;
    fn results(sim: &ModelSim<Self>, setup: &Setup, outcome: &Outcome) -> ResultsView;
    /// Whether the clients are paused, for protocols that have clients.
    fn clients_paused(_sim: &ModelSim<Self>) -> Option<bool> {
        None
    }
    /// What `message` does in the protocol, so that chaos can aim its faults at it.
    fn aim(_message: &<Self::Actor as Actor>::Msg) -> Aim {
        Aim::Other
    }
    /// The protocol's own dangerous situations this run reached so far (chaos counts how often
    /// each occurs): `two_values_proposed`.
    fn dangers(_sim: &ModelSim<Self>) -> Vec<&'static str> {
        Vec::new()
    }
}

/// What a message does in its protocol, as far as chaos needs to know to aim faults at the
/// dangerous moments.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Aim {
    /// Opens a round its receiver joins (Paxos 1a, prepare).
    Open,
    /// Asks its receiver to store something others will rely on (Paxos 2a, accept; an ec-counter
    /// set). Crashing the receiver right after, and cutting the sender off, is where forgetting
    /// and competing rounds do harm.
    Commit,
    /// An answer its receiver counts toward a quorum (Paxos 1b and 2b): a copy of one must not
    /// count twice.
    Vote,
    Other,
}

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

/// The simulator of protocol `P`.
pub type ModelSim<P> = Sim<<P as Model>::Actor, <P as Model>::Checker>;

/// A running simulation of some protocol, as everything outside the protocol sees it.
pub trait RunningSim: Send + Sync {
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
    /// The latest protocol step worth a caption (see [`Model::caption`]): when, and its words.
    fn caption(&self, setup: &Setup) -> Option<(Tick, String)>;
    /// For tests that look inside one protocol's simulator.
    fn as_any(&self) -> &dyn Any;
    /// A copy of the run as it stands, without its trace (see [`Sim::snapshot`]).
    fn snapshot(&self) -> Box<dyn RunningSim>;
    /// Continues from a snapshot of this run's line (see [`Sim::restore`]).
    fn restore(&mut self, snapshot: &dyn RunningSim) -> Result<(), String>;
    /// Drops the trace kept beyond now (see [`Sim::forget_kept_trace`]).
    fn forget_kept_trace(&mut self);
    /// The latest tick before `tick` at which the trace holds an event.
    fn moment_before(&self, tick: Tick) -> Option<Tick>;
    /// The first tick after `tick` at which the trace, or what it keeps beyond now, holds an
    /// event.
    fn moment_after(&self, tick: Tick) -> Option<Tick>;
}

/// Fault points a player has per round, unless the scenario says otherwise.
pub const DEFAULT_FAULT_BUDGET: u32 = 15;
/// The fault budgets a scenario may give.
pub const BUDGET_RANGE: std::ops::RangeInclusive<u32> = 0..=1000;

/// One of the registered protocols (or a test's own): what a setup, a link or a flag chooses.
#[derive(Clone, Copy)]
pub struct Mode(pub &'static dyn Protocol);

impl std::ops::Deref for Mode {
    type Target = dyn Protocol;
    fn deref(&self) -> &Self::Target {
        self.0
    }
}

impl PartialEq for Mode {
    fn eq(&self, other: &Mode) -> bool {
        self.name() == other.name()
    }
}

impl Eq for Mode {}

impl std::fmt::Debug for Mode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl Serialize for Mode {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

impl Mode {
    pub fn knob(&self, field: &str) -> Option<&'static Knob> {
        self.knobs().iter().find(|k| k.field == field)
    }

    pub fn variant(&self, name: &str) -> Option<&'static Variant> {
        self.variants().iter().find(|v| v.name == name)
    }
}

/// A numeric setting of a protocol: a cluster size, a count, a timeout.
#[derive(Clone, Debug, PartialEq)]
pub struct Knob {
    /// As written in scenario files (a dot for a nested field): `nodes`, `ec_counter.sync_period`.
    pub field: &'static str,
    /// On the title screen: "Requests per client".
    pub label: &'static str,
    pub range: RangeInclusive<u64>,
    pub default: u64,
    /// Printed after values in errors: " ticks".
    pub unit: &'static str,
    /// The range of its slider on the title screen, if it has one.
    pub slider: Option<RangeInclusive<u64>>,
    /// A share link carries it as `?field=value`.
    pub in_link: bool,
}

impl Knob {
    /// A setting shown nowhere but in scenario files.
    pub const fn hidden(field: &'static str, range: RangeInclusive<u64>, default: u64) -> Knob {
        Knob {
            field,
            label: field,
            range,
            default,
            unit: " ticks",
            slider: None,
            in_link: false,
        }
    }

    /// The scenario's nesting: `("ec_counter", "sync_period")`, or `(None, "nodes")`.
    pub fn path(&self) -> (Option<&'static str>, &'static str) {
        match self.field.split_once('.') {
            Some((group, key)) => (Some(group), key),
            None => (None, self.field),
        }
    }
}

/// A lesson: a round set up to show one thing, a few sentences, and an objective the core checks
/// at every step. `crate::lesson` lists every protocol's lessons and plays their solutions.
pub struct Lesson {
    /// `first-decision`: what links (`?lesson=`) and `beat-paxos lesson` call it.
    pub name: &'static str,
    pub title: &'static str,
    /// Two to four sentences: what is going on and what to try.
    pub text: &'static str,
    /// The objective, in one line.
    pub objective: &'static str,
    /// Shown when the objective is still open this many simulated ticks into the round.
    pub hint_after: Tick,
    pub hint: &'static str,
    /// Shown once the objective is met: what just happened, and why.
    pub done: &'static str,
    /// Whether watching is the objective (then a round left alone meets it).
    pub watch: bool,
    /// The lesson's round and a recorded solution, as a replay file (`docs/replays.md`).
    pub replay: &'static str,
    /// When the objective was first met in this run, reading its trace up to now (so a rewind
    /// before that moment makes it open again). `None` while it is not.
    pub goal: fn(&dyn RunningSim) -> Option<Tick>,
    /// The round starts paused, saying this (a lesson read step by step, or one whose move
    /// comes first thing).
    pub starts_paused: Option<&'static str>,
    /// The moments the move must come at, read from the run's trace up to now: the game stops
    /// at each and says what to do, so no lesson needs quick fingers. [`no_pauses`] if none.
    pub pauses: fn(&dyn RunningSim) -> Vec<Pause>,
}

/// A moment a lesson stops at: when, and what to do now, in words computed from the run
/// ("red just started ballot 1.R: kill it now").
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pause {
    pub tick: Tick,
    pub text: String,
}

/// The pauses of a lesson whose move has no particular moment.
pub fn no_pauses(_run: &dyn RunningSim) -> Vec<Pause> {
    Vec::new()
}

/// The objective of a break-it lesson: a checker caught a broken property.
pub fn first_violation(run: &dyn RunningSim) -> Option<Tick> {
    run.violations().first().map(|violation| violation.tick)
}

/// Lessons are told apart by name.
impl PartialEq for Lesson {
    fn eq(&self, other: &Lesson) -> bool {
        self.name == other.name
    }
}

impl std::fmt::Debug for Lesson {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name)
    }
}

/// A deliberately broken version of a protocol.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Variant {
    /// `amnesia`: what `--break`, scenario files and links call it.
    pub name: &'static str,
    /// What it gets wrong, in a sentence.
    pub what: &'static str,
}

/// The faults chaos schedules draw from. Each heals within its window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChaosFault {
    /// A target crashes and recovers.
    Crash,
    Slow,
    /// A link is cut, one way or both, and healed.
    Cut,
    /// Targets split into two groups, then the network heals.
    Partition,
    /// A few nodes lose their next message.
    DropNext,
    /// A few nodes' next message arrives twice, the copy a little or a lot later.
    Duplicate,
    /// Every client pauses, then resumes.
    PauseClients,
}

/// The settings of a run, resolved and validated: a protocol, its knobs, the network, a seed,
/// and the actions scheduled in advance.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Setup {
    pub mode: Mode,
    pub seed: u64,
    /// One value per knob of the protocol, in its order.
    pub knobs: Knobs,
    pub net: NetConfig,
    /// The broken variant run, if any.
    #[serde(rename = "break")]
    pub broken: Option<&'static str>,
    pub max_ticks: Tick,
    /// Fault points the player has in a round of this setup (a lesson may be generous).
    pub budget: u32,
    /// Whether the player may go on attacking after the round's outcome (a lesson whose
    /// objective comes later, such as two values chosen in a broken protocol).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub keep_playing: bool,
    pub actions: Vec<TimedAction>,
    /// A chaos run (`chaos::with_chaos`): besides the scheduled faults in `actions`, an adversary
    /// drawn from the seed watches the run and aims faults at its dangerous moments.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub chaos: bool,
    /// The events of a scripted run, in order; empty for a timed run (see `sim::script`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub script: Vec<ScriptStep>,
}

/// The values of a protocol's knobs.
#[derive(Clone, Debug, PartialEq)]
pub struct Knobs(Vec<(&'static str, u64)>);

impl Knobs {
    pub fn defaults(knobs: &[Knob]) -> Knobs {
        Knobs(knobs.iter().map(|k| (k.field, k.default)).collect())
    }

    /// The value of knob `field`. Protocols ask only for their own knobs, so a missing one is a
    /// bug in the protocol, not bad input.
    pub fn get(&self, field: &str) -> u64 {
        self.0
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, v)| *v)
            .unwrap_or_else(|| panic!("no knob `{field}`"))
    }

    pub fn get_mut(&mut self, field: &str) -> Option<&mut u64> {
        self.0.iter_mut().find(|(f, _)| *f == field).map(|(_, v)| v)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&'static str, u64)> + '_ {
        self.0.iter().copied()
    }
}

impl Serialize for Knobs {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.0.iter().copied())
    }
}

/// A field whose value is not allowed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invalid {
    pub field: String,
    pub problem: String,
}

impl std::fmt::Display for Invalid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "field `{}`: {}", self.field, self.problem)
    }
}

impl Setup {
    /// The protocol's defaults, seed 1, nothing scheduled.
    pub fn for_mode(mode: Mode) -> Setup {
        Setup {
            mode,
            seed: 1,
            knobs: Knobs::defaults(mode.knobs()),
            net: mode.default_net(),
            broken: None,
            max_ticks: 1_000_000,
            budget: DEFAULT_FAULT_BUDGET,
            keep_playing: false,
            actions: Vec::new(),
            chaos: false,
            script: Vec::new(),
        }
    }

    pub fn knob(&self, field: &str) -> u64 {
        self.knobs.get(field)
    }

    /// Sets a knob of this protocol; `Err` names what it has instead.
    pub fn set_knob(&mut self, field: &str, value: u64) -> Result<(), String> {
        let mode = self.mode;
        match self.knobs.get_mut(field) {
            Some(slot) => {
                *slot = value;
                Ok(())
            }
            None => {
                let known: Vec<&str> = mode.knobs().iter().map(|k| k.field).collect();
                Err(format!(
                    "{} has no `{field}` setting (it has: {})",
                    mode.name(),
                    known.join(", ")
                ))
            }
        }
    }

    /// Total nodes in the simulated cluster.
    pub fn cluster_size(&self) -> usize {
        self.mode.cluster_size(self)
    }

    pub fn max_down(&self) -> usize {
        self.mode.max_down(self)
    }

    pub fn is_target(&self, node: NodeId) -> bool {
        self.mode.is_target(self, node)
    }

    /// Checks every field; the error names the field as it is written in a scenario file.
    pub fn validate(&self) -> Result<(), Invalid> {
        let bad = |field: &str, problem: String| {
            Err(Invalid {
                field: field.to_string(),
                problem,
            })
        };
        for knob in self.mode.knobs() {
            let value = self.knob(knob.field);
            if !knob.range.contains(&value) {
                let (low, high) = (knob.range.start(), knob.range.end());
                return bad(
                    knob.field,
                    format!("{value} is outside {low}..={high}{}", knob.unit),
                );
            }
        }
        if !(1..=10_000).contains(&self.net.base_delay) {
            return bad(
                "net.base_delay",
                format!("{} is outside 1..=10000 ticks", self.net.base_delay),
            );
        }
        if self.net.jitter > 10_000 {
            return bad(
                "net.jitter",
                format!("{} is above 10000 ticks", self.net.jitter),
            );
        }
        if !BUDGET_RANGE.contains(&self.budget) {
            return bad(
                "budget",
                format!(
                    "{} is outside {}..={} fault points",
                    self.budget,
                    BUDGET_RANGE.start(),
                    BUDGET_RANGE.end()
                ),
            );
        }
        if let Some(name) = self.broken
            && self.mode.variant(name).is_none()
        {
            let names: Vec<&str> = self.mode.variants().iter().map(|v| v.name).collect();
            return bad(
                "break",
                format!(
                    "`{name}` is not a broken variant of {} (it has: {})",
                    self.mode.name(),
                    names.join(", ")
                ),
            );
        }
        if !(1..=TICK_LIMIT).contains(&self.max_ticks) {
            return bad("max_ticks", ticks_outside(self.max_ticks, 1));
        }
        let nodes = self.cluster_size();
        for (index, timed) in self.actions.iter().enumerate() {
            if timed.at > TICK_LIMIT {
                return bad(&format!("actions[{index}].at"), ticks_outside(timed.at, 0));
            }
            if let Err(problem) = timed.action.check(nodes, |node| self.is_target(node)) {
                return bad(&format!("actions[{index}]"), problem.to_string());
            }
        }
        for (index, step) in self.script.iter().enumerate() {
            if let Err(problem) = step.check(nodes, |node| self.is_target(node)) {
                return bad(&format!("script[{index}]"), problem.to_string());
            }
        }
        Ok(())
    }
}

/// "0 is outside 1..=1000000000000000 ticks".
fn ticks_outside(value: Tick, low: Tick) -> String {
    format!("{value} is outside {low}..={TICK_LIMIT} ticks")
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

/// What `beat-paxos sim` prints. For ec-counter, `decided`/`decision_tick` mean converged.
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
    pub ballots: Option<u64>,
    pub messages: MessageStats,
    pub violations: Vec<Violation>,
    pub ticks: Tick,
    pub events: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub converged: Option<bool>,
    /// For protocols that converge: `converged`; `not_converged` when the run ended before
    /// convergence was owed (clients busy, a fault unhealed, too little time since): no
    /// violation; or `diverged`, which comes with a convergence violation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<&'static str>,
    /// Why the run has not converged, in words.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub converged_tick: Option<Tick>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub final_values: Option<Vec<u64>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_acknowledged: Option<u64>,
    /// With `--trace`: how many events it holds, and the FNV-1a hash of the file (hex).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trace_events: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trace_hash: Option<String>,
}

/// A node's view with what the network knows filled in (down, slowed, drop armed); the protocol
/// adds the rest.
pub fn base_view<A: Actor, C: Checker<A::Note>>(
    sim: &Sim<A, C>,
    id: NodeId,
    title: String,
    mark: String,
    colour: usize,
) -> NodeView {
    NodeView {
        id,
        title,
        mark,
        colour,
        light: false,
        down: sim.faults().is_down(id),
        slow: sim.faults().slow_factor(id),
        leading: None,
        done: None,
        drop_armed: sim.drop_armed(id),
        value: None,
        status: Vec::new(),
        inspector: Vec::new(),
    }
}
