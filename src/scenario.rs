//! Scenario files: a cluster, its timing, a seed and a list of timed actions, in JSON.
//!
//! Every field is optional; [`Setup`] is the fully resolved form the runners use. Loading never
//! panics: a malformed or invalid file gives a [`ScenarioError`] naming the file, the line and
//! column where known, and the field.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::protocols::ec_counter::{self, EcShape, EcTiming};
use crate::protocols::paxos::{self, PaxosTiming};
use crate::sim::{Action, NetConfig, NodeId, Tick, TimedAction};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    #[default]
    Paxos,
    EcCounter,
}

impl Mode {
    pub fn name(self) -> &'static str {
        match self {
            Mode::Paxos => "paxos",
            Mode::EcCounter => "ec-counter",
        }
    }

    pub fn parse(text: &str) -> Result<Mode, String> {
        match text {
            "paxos" => Ok(Mode::Paxos),
            "ec-counter" => Ok(Mode::EcCounter),
            other => Err(format!(
                "unknown mode `{other}` (expected `paxos` or `ec-counter`)"
            )),
        }
    }
}

/// A deliberately broken protocol, for teaching and for proving the checkers work.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Broken {
    #[default]
    None,
    Amnesia,
    SkipHighestAccepted,
    NoMax,
}

impl Broken {
    pub const ALL: [(&'static str, Broken); 3] = [
        ("amnesia", Broken::Amnesia),
        ("skip-highest-accepted", Broken::SkipHighestAccepted),
        ("no-max", Broken::NoMax),
    ];

    pub fn parse(text: &str) -> Result<Broken, String> {
        Broken::ALL.iter().find(|(name, _)| *name == text).map(|(_, b)| *b).ok_or_else(|| {
            format!("unknown variant `{text}` (expected one of: amnesia, skip-highest-accepted, no-max)")
        })
    }

    pub fn name(self) -> Option<&'static str> {
        Broken::ALL
            .iter()
            .find(|(_, b)| *b == self)
            .map(|(name, _)| *name)
    }

    pub fn mode(self) -> Option<Mode> {
        match self {
            Broken::None => None,
            Broken::Amnesia | Broken::SkipHighestAccepted => Some(Mode::Paxos),
            Broken::NoMax => Some(Mode::EcCounter),
        }
    }

    pub fn paxos(self) -> paxos::Variant {
        match self {
            Broken::Amnesia => paxos::Variant::Amnesia,
            Broken::SkipHighestAccepted => paxos::Variant::SkipHighestAccepted,
            _ => paxos::Variant::Correct,
        }
    }

    pub fn ec_counter(self) -> ec_counter::Variant {
        if self == Broken::NoMax {
            ec_counter::Variant::NoMax
        } else {
            ec_counter::Variant::Correct
        }
    }
}

/// A scenario file as written. See `docs/scenarios.md`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub name: Option<String>,
    pub description: Option<String>,
    pub mode: Option<Mode>,
    pub seed: Option<u64>,
    /// Paxos cluster size.
    pub nodes: Option<usize>,
    pub servers: Option<usize>,
    pub clients: Option<usize>,
    pub requests: Option<u32>,
    pub net: Option<NetConfig>,
    pub paxos: Option<PaxosTiming>,
    pub ec_counter: Option<EcTiming>,
    #[serde(rename = "break")]
    pub broken: Option<Broken>,
    pub max_ticks: Option<Tick>,
    #[serde(default)]
    pub actions: Vec<TimedAction>,
}

/// Everything a run needs, resolved and validated.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Setup {
    pub mode: Mode,
    pub seed: u64,
    pub nodes: usize,
    pub ec: EcShape,
    pub net: NetConfig,
    pub paxos: PaxosTiming,
    pub ec_timing: EcTiming,
    pub broken: Broken,
    pub max_ticks: Tick,
    pub actions: Vec<TimedAction>,
}

pub const PAXOS_NODES: std::ops::RangeInclusive<usize> = 3..=9;
pub const EC_SERVERS: std::ops::RangeInclusive<usize> = 2..=7;
pub const EC_CLIENTS: std::ops::RangeInclusive<usize> = 1..=12;
pub const EC_REQUESTS: std::ops::RangeInclusive<u32> = 0..=10_000;

impl Default for Setup {
    fn default() -> Self {
        Setup::for_mode(Mode::Paxos)
    }
}

impl Setup {
    pub fn for_mode(mode: Mode) -> Setup {
        let net = match mode {
            Mode::Paxos => NetConfig::default(),
            // Short hops so that a hundred requests per client make a lively minute of play.
            Mode::EcCounter => NetConfig {
                base_delay: 20,
                jitter: 10,
            },
        };
        Setup {
            mode,
            seed: 1,
            nodes: 3,
            ec: EcShape {
                servers: 3,
                clients: 5,
                requests: 100,
            },
            net,
            paxos: PaxosTiming::default(),
            ec_timing: EcTiming::default(),
            broken: Broken::None,
            max_ticks: 1_000_000,
            actions: Vec::new(),
        }
    }

    /// Total nodes in the simulated cluster (ec-counter clients count as nodes).
    pub fn cluster_size(&self) -> usize {
        match self.mode {
            Mode::Paxos => self.nodes,
            Mode::EcCounter => self.ec.nodes(),
        }
    }

    /// How many attackable nodes may be down at once: a minority of Paxos nodes; all servers but one.
    pub fn max_down(&self) -> usize {
        match self.mode {
            Mode::Paxos => (self.nodes - 1) / 2,
            Mode::EcCounter => self.ec.servers - 1,
        }
    }

    /// Applies a scenario over these defaults (mode first, so mode defaults apply), then validates.
    pub fn from_scenario(scenario: &Scenario) -> Result<Setup, Invalid> {
        let mut setup = Setup::for_mode(scenario.mode.unwrap_or_default());
        setup.seed = scenario.seed.unwrap_or(setup.seed);
        setup.nodes = scenario.nodes.unwrap_or(setup.nodes);
        setup.ec.servers = scenario.servers.unwrap_or(setup.ec.servers);
        setup.ec.clients = scenario.clients.unwrap_or(setup.ec.clients);
        setup.ec.requests = scenario.requests.unwrap_or(setup.ec.requests);
        setup.net = scenario.net.unwrap_or(setup.net);
        setup.paxos = scenario.paxos.unwrap_or(setup.paxos);
        setup.ec_timing = scenario.ec_counter.unwrap_or(setup.ec_timing);
        setup.broken = scenario.broken.unwrap_or_default();
        setup.max_ticks = scenario.max_ticks.unwrap_or(setup.max_ticks);
        setup.actions = scenario.actions.clone();
        setup.validate()?;
        Ok(setup)
    }

    /// Checks every field; the error names the field as it is written in a scenario file.
    pub fn validate(&self) -> Result<(), Invalid> {
        let bad = |field: &str, problem: String| {
            Err(Invalid {
                field: field.to_string(),
                problem,
            })
        };
        match self.mode {
            Mode::Paxos if !PAXOS_NODES.contains(&self.nodes) => {
                return bad("nodes", format!("{} is outside 3..=9", self.nodes));
            }
            Mode::EcCounter if !EC_SERVERS.contains(&self.ec.servers) => {
                return bad("servers", format!("{} is outside 2..=7", self.ec.servers));
            }
            Mode::EcCounter if !EC_CLIENTS.contains(&self.ec.clients) => {
                return bad("clients", format!("{} is outside 1..=12", self.ec.clients));
            }
            Mode::EcCounter if !EC_REQUESTS.contains(&self.ec.requests) => {
                return bad(
                    "requests",
                    format!("{} is outside 0..=10000", self.ec.requests),
                );
            }
            _ => {}
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
        if !(10..=100_000).contains(&self.paxos.election_timeout) {
            return bad(
                "paxos.election_timeout",
                format!(
                    "{} is outside 10..=100000 ticks",
                    self.paxos.election_timeout
                ),
            );
        }
        let t = self.ec_timing;
        for (field, value) in [
            ("ec_counter.sync_period", t.sync_period),
            ("ec_counter.retry_timeout", t.retry_timeout),
            ("ec_counter.think_time", t.think_time),
        ] {
            if !(1..=100_000).contains(&value) {
                return bad(field, format!("{value} is outside 1..=100000 ticks"));
            }
        }
        if let Some(mode) = self.broken.mode().filter(|m| *m != self.mode) {
            return bad(
                "break",
                format!(
                    "`{}` breaks {}, not {}",
                    self.broken.name().unwrap_or("?"),
                    mode.name(),
                    self.mode.name()
                ),
            );
        }
        if self.max_ticks == 0 {
            return bad("max_ticks", "must be at least 1".into());
        }
        for (index, timed) in self.actions.iter().enumerate() {
            if let Err(problem) = self.check_action(&timed.action) {
                return bad(&format!("actions[{index}]"), problem);
            }
        }
        Ok(())
    }

    /// Static checks of an action against the cluster's shape (the simulator checks the rest when
    /// the action applies, e.g. whether a minority is already down).
    fn check_action(&self, action: &Action) -> Result<(), String> {
        let n = self.cluster_size();
        let node = |id: NodeId| {
            if id < n {
                Ok(())
            } else {
                Err(format!("node {id} does not exist (nodes are 0..{n})"))
            }
        };
        let server = |id: NodeId| {
            node(id)?;
            if self.mode == Mode::EcCounter && id >= self.ec.servers {
                Err(format!(
                    "node {id} is a client; only servers 0..{} can be killed or slowed",
                    self.ec.servers
                ))
            } else {
                Ok(())
            }
        };
        match action {
            Action::Kill { node: id } | Action::Recover { node: id } => server(*id),
            Action::Slow { node: id, factor } => {
                server(*id)?;
                if (1..=20).contains(factor) {
                    Ok(())
                } else {
                    Err(format!("slow factor {factor} is outside 1..=20"))
                }
            }
            Action::Cut { from, to, .. } | Action::Heal { from, to } => {
                node(*from)?;
                node(*to)?;
                if from == to {
                    Err(format!(
                        "a link needs two different nodes, got {from} twice"
                    ))
                } else {
                    Ok(())
                }
            }
            Action::Partition { groups } => {
                let mut seen = vec![false; n];
                for &id in groups.iter().flatten() {
                    node(id)?;
                    if std::mem::replace(&mut seen[id], true) {
                        return Err(format!("node {id} is in two groups"));
                    }
                }
                Ok(())
            }
            Action::DropNext { from } => node(*from),
            Action::PauseClients | Action::ResumeClients if self.mode == Mode::Paxos => {
                Err("pausing clients only applies to ec-counter".into())
            }
            Action::HealAll
            | Action::Drop { .. }
            | Action::PauseClients
            | Action::ResumeClients => Ok(()),
        }
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

/// Why a scenario could not be loaded.
#[derive(Debug)]
pub enum ScenarioError {
    Read {
        file: String,
        error: std::io::Error,
    },
    Syntax {
        file: String,
        line: usize,
        column: usize,
        field: String,
        message: String,
    },
    Invalid {
        file: String,
        invalid: Invalid,
    },
}

impl std::fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ScenarioError::Read { file, error } => {
                write!(f, "{file}: cannot read the scenario: {error}")
            }
            ScenarioError::Syntax {
                file,
                line,
                column,
                field,
                message,
            } => {
                write!(f, "{file}:{line}:{column}: ")?;
                if !field.is_empty() && field != "." && field != "?" {
                    write!(f, "field `{field}`: ")?;
                }
                write!(f, "{message}")
            }
            ScenarioError::Invalid { file, invalid } => write!(f, "{file}: {invalid}"),
        }
    }
}

impl std::error::Error for ScenarioError {}

impl Scenario {
    /// Parses scenario JSON; `file` names it in errors.
    pub fn parse(file: &str, text: &str) -> Result<Scenario, ScenarioError> {
        let mut json = serde_json::Deserializer::from_str(text);
        let parsed: Result<Scenario, _> = serde_path_to_error::deserialize(&mut json);
        let scenario = parsed.map_err(|error| {
            let field = error.path().to_string();
            let inner = error.into_inner();
            // serde_json appends " at line L column C"; we print the position up front instead.
            let message = inner.to_string();
            let message = message
                .split(" at line ")
                .next()
                .unwrap_or(&message)
                .to_string();
            ScenarioError::Syntax {
                file: file.to_string(),
                line: inner.line(),
                column: inner.column(),
                field,
                message,
            }
        })?;
        json.end().map_err(|inner| ScenarioError::Syntax {
            file: file.to_string(),
            line: inner.line(),
            column: inner.column(),
            field: String::new(),
            message: "unexpected text after the scenario".into(),
        })?;
        Ok(scenario)
    }

    /// Reads, parses and validates a scenario file.
    pub fn load(path: &Path) -> Result<(Scenario, Setup), ScenarioError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|error| ScenarioError::Read {
            file: file.clone(),
            error,
        })?;
        let scenario = Scenario::parse(&file, &text)?;
        let setup = Setup::from_scenario(&scenario)
            .map_err(|invalid| ScenarioError::Invalid { file, invalid })?;
        Ok((scenario, setup))
    }
}

/// The scenarios that ship with the game, built in so the web version has them too.
pub fn shipped() -> Vec<(&'static str, Scenario)> {
    const FILES: [(&str, &str); 4] = [
        (
            "leader-crash.json",
            include_str!("../assets/scenarios/leader-crash.json"),
        ),
        (
            "dueling-leaders.json",
            include_str!("../assets/scenarios/dueling-leaders.json"),
        ),
        (
            "counter-partition.json",
            include_str!("../assets/scenarios/counter-partition.json"),
        ),
        (
            "broken-counter.json",
            include_str!("../assets/scenarios/broken-counter.json"),
        ),
    ];
    FILES
        .iter()
        .filter_map(|(file, text)| Scenario::parse(file, text).ok().map(|s| (*file, s)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn setup_of(text: &str) -> Result<Setup, String> {
        let scenario = Scenario::parse("t.json", text).map_err(|e| e.to_string())?;
        Setup::from_scenario(&scenario).map_err(|invalid| {
            ScenarioError::Invalid {
                file: "t.json".into(),
                invalid,
            }
            .to_string()
        })
    }

    #[test]
    fn an_empty_scenario_is_the_default_paxos_game() {
        assert_eq!(setup_of("{}").unwrap(), Setup::default());
    }

    #[test]
    fn fields_override_defaults() {
        let s = setup_of(
            r#"{"mode": "ec-counter", "servers": 4, "clients": 2, "seed": 9,
                "actions": [{"at": 10, "action": "partition", "groups": [[0, 1], [2, 3]]}]}"#,
        )
        .unwrap();
        assert_eq!(
            (s.mode, s.ec.servers, s.ec.clients, s.seed),
            (Mode::EcCounter, 4, 2, 9)
        );
        assert_eq!(
            s.net.base_delay, 20,
            "ec-counter keeps its own network default"
        );
        assert_eq!(s.actions.len(), 1);
    }

    #[test]
    fn syntax_errors_name_line_column_and_field() {
        let err = setup_of(
            "{\n  \"nodes\": 3,\n  \"actions\": [{\"at\": 5, \"action\": \"explode\"}]\n}",
        )
        .unwrap_err();
        assert!(err.starts_with("t.json:3:"), "{err}");
        assert!(
            err.contains("field `actions[0]`") && err.contains("explode"),
            "{err}"
        );
        let err = setup_of(r#"{"nodes": "three"}"#).unwrap_err();
        assert!(
            err.contains("field `nodes`") && err.contains("invalid type"),
            "{err}"
        );
        let err = setup_of(r#"{"nodez": 3}"#).unwrap_err();
        assert!(err.contains("unknown field `nodez`"), "{err}");
        let err = setup_of(r#"{"nodes": 3"#).unwrap_err();
        assert!(err.starts_with("t.json:1:"), "{err}");
    }

    #[test]
    fn invalid_values_name_the_field() {
        assert_eq!(
            setup_of(r#"{"nodes": 12}"#).unwrap_err(),
            "t.json: field `nodes`: 12 is outside 3..=9"
        );
        let err = setup_of(r#"{"actions": [{"at": 1, "action": "kill", "node": 3}]}"#).unwrap_err();
        assert_eq!(
            err,
            "t.json: field `actions[0]`: node 3 does not exist (nodes are 0..3)"
        );
        let err = setup_of(
            r#"{"mode": "ec-counter", "actions": [{"at": 1, "action": "kill", "node": 4}]}"#,
        )
        .unwrap_err();
        assert!(err.contains("node 4 is a client"), "{err}");
        let err = setup_of(r#"{"break": "no-max"}"#).unwrap_err();
        assert!(
            err.contains("`no-max` breaks ec-counter, not paxos"),
            "{err}"
        );
        let err = setup_of(r#"{"net": {"base_delay": 0, "jitter": 1}}"#).unwrap_err();
        assert!(err.contains("net.base_delay"), "{err}");
    }

    #[test]
    fn every_shipped_scenario_is_built_in_and_valid() {
        let shipped = shipped();
        let on_disk = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/assets/scenarios"))
            .unwrap()
            .count();
        assert_eq!(
            shipped.len(),
            on_disk,
            "a scenario file failed to parse or is missing from shipped()"
        );
        for (file, scenario) in shipped {
            assert!(Setup::from_scenario(&scenario).is_ok(), "{file}");
            assert!(
                scenario.name.is_some(),
                "{file} needs a name for the title screen"
            );
        }
    }

    #[test]
    fn missing_file_is_a_clear_error() {
        let err = Scenario::load(Path::new("/no/such/scenario.json"))
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("/no/such/scenario.json: cannot read the scenario"),
            "{err}"
        );
    }
}
