//! The setup of a run: a protocol's knobs, broken variants and chaos faults, and [`Setup`] with
//! its validation.

use std::ops::RangeInclusive;

use serde::Serialize;

use super::*;
use crate::sim::{NetConfig, NodeId, ScriptStep, TICK_LIMIT, Tick, TimedAction};

/// Fault points a player has per round, unless the scenario says otherwise.
pub const DEFAULT_FAULT_BUDGET: u32 = 15;
/// The fault budgets a scenario may give.
pub const BUDGET_RANGE: std::ops::RangeInclusive<u32> = 0..=1000;

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
    /// The player is the network (`--network-player`, `net=player` in links): each message
    /// waits on its link and each timer waits until the player delivers or fires it
    /// (`sim::Engine::network_player`).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub network_player: bool,
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
            network_player: false,
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

    /// An empty space-time diagram of this cluster.
    pub fn empty_diagram(&self) -> crate::diagram::Diagram {
        crate::diagram::Diagram::new(self.cluster_size(), &self.mode.layout(self))
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
        if self.network_player && !self.script.is_empty() {
            return bad(
                "network_player",
                "a scripted run fixes the order of every event, so it cannot also leave it to \
                 the network player; leave out `script` or `network_player`"
                    .into(),
            );
        }
        if self.network_player && self.chaos {
            return bad(
                "network_player",
                "a chaos run's network is the adversary's, so it cannot also be the player's"
                    .into(),
            );
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
