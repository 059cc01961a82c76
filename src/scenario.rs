//! Scenario files: a protocol, its settings, a seed and a list of timed actions, in JSON.
//!
//! Every field is optional; [`Setup`] is the fully resolved form the runners use. The fields a
//! protocol adds (`nodes`, `servers`, `paxos.election_timeout`, ...) come from its knobs in the
//! registry, so a new protocol's fields need no change here. Loading never panics: a malformed or
//! invalid file gives a [`ScenarioError`] naming the file, the line and column where known, and
//! the field.

use std::fmt;
use std::io::Read;
use std::path::Path;

use serde::de::{self, DeserializeSeed, MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Serialize};

use crate::protocol::{DEFAULT_FAULT_BUDGET, Mode};
pub use crate::protocol::{Invalid, Setup};
use crate::protocols::{self, REGISTRY};
use crate::sim::action::NESTED_PATH;
use crate::sim::{NetConfig, ScriptStep, Tick, TimedAction};

/// A scenario file as written. See `docs/scenarios.md`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Scenario {
    pub name: Option<String>,
    pub description: Option<String>,
    pub mode: Option<Mode>,
    pub seed: Option<u64>,
    /// Protocol settings by field (`nodes`, `ec_counter.sync_period`), in file order.
    pub knobs: Vec<(String, u64)>,
    pub net: Option<NetConfig>,
    pub broken: Option<String>,
    pub max_ticks: Option<Tick>,
    /// The player's fault points (default 15).
    pub budget: Option<u32>,
    /// Moves stay allowed after the round's outcome.
    pub keep_playing: bool,
    /// The player is the network: messages and timers wait for the player's moves.
    pub network_player: bool,
    pub actions: Vec<TimedAction>,
    /// The events of a scripted run, in order (see `docs/scenarios.md`).
    pub script: Vec<ScriptStep>,
}

/// The fields every scenario may have, whatever its protocol.
const COMMON_FIELDS: [&str; 12] = [
    "name",
    "description",
    "mode",
    "seed",
    "net",
    "break",
    "max_ticks",
    "budget",
    "keep_playing",
    "network_player",
    "actions",
    "script",
];

/// The largest scenario file read. Scenarios are a few kilobytes (a long scripted one a few
/// megabytes), so a device, a pipe that never ends or a huge file gets an error, not an endless read.
pub const MAX_SCENARIO_BYTES: u64 = 16 << 20;

/// What a scenario looks like, for errors that say what was expected.
const SCENARIO_EXAMPLE: &str =
    "a scenario: a JSON object such as {\"mode\": \"paxos\", \"nodes\": 5}";

/// The protocol a scenario (or a link, or a flag) gets when it names none.
pub fn default_mode() -> Mode {
    REGISTRY[0].mode
}

impl Scenario {
    /// Sets a protocol setting, replacing any earlier value.
    pub fn set_knob(&mut self, field: &str, value: u64) {
        match self.knobs.iter_mut().find(|(f, _)| f == field) {
            Some(slot) => slot.1 = value,
            None => self.knobs.push((field.to_string(), value)),
        }
    }

    /// The scenario a setup came from (for saving a run).
    pub fn of(setup: &Setup) -> Scenario {
        Scenario {
            mode: Some(setup.mode),
            seed: Some(setup.seed),
            knobs: setup
                .knobs
                .iter()
                .map(|(f, v)| (f.to_string(), v))
                .collect(),
            net: Some(setup.net),
            broken: setup.broken.map(str::to_string),
            max_ticks: Some(setup.max_ticks),
            // Written only when it differs, so that links made before budgets could be set keep
            // their checksums.
            budget: (setup.budget != DEFAULT_FAULT_BUDGET).then_some(setup.budget),
            keep_playing: setup.keep_playing,
            network_player: setup.network_player,
            actions: setup.actions.clone(),
            script: setup.script.clone(),
            ..Scenario::default()
        }
    }

    /// The scenario file of a counterexample `beat-paxos check` found (the checker is native
    /// only).
    #[cfg(not(target_arch = "wasm32"))]
    pub fn of_counterexample(scripted: &crate::explore::Scripted) -> Scenario {
        let mut scenario = Scenario::of(&scripted.setup);
        scenario.name = Some(scripted.name.clone());
        scenario.description = Some(scripted.description.clone());
        scenario
    }
}

impl Setup {
    /// Applies a scenario over its protocol's defaults, then validates.
    pub fn from_scenario(scenario: &Scenario) -> Result<Setup, Invalid> {
        let mode = scenario.mode.unwrap_or_else(default_mode);
        let mut setup = Setup::for_mode(mode);
        setup.seed = scenario.seed.unwrap_or(setup.seed);
        for (field, value) in &scenario.knobs {
            setup.set_knob(field, *value).map_err(|problem| Invalid {
                field: field.clone(),
                problem,
            })?;
        }
        setup.net = scenario.net.unwrap_or(setup.net);
        if let Some(name) = &scenario.broken {
            setup.broken = Some(resolve_variant(mode, name).map_err(|problem| Invalid {
                field: "break".into(),
                problem,
            })?);
        }
        setup.max_ticks = scenario.max_ticks.unwrap_or(setup.max_ticks);
        setup.budget = scenario.budget.unwrap_or(setup.budget);
        setup.keep_playing = scenario.keep_playing;
        setup.network_player = scenario.network_player;
        setup.actions = scenario.actions.clone();
        setup.script = scenario.script.clone();
        setup.validate()?;
        Ok(setup)
    }
}

/// The broken variant `name` of `mode`, or why there is none.
pub fn resolve_variant(mode: Mode, name: &str) -> Result<&'static str, String> {
    if let Some(variant) = mode.variant(name) {
        return Ok(variant.name);
    }
    match protocols::owner_of_variant(name) {
        Some(owner) => Err(format!(
            "`{name}` breaks {}, not {}",
            owner.name(),
            mode.name()
        )),
        None => {
            let all: Vec<&str> = protocols::modes()
                .flat_map(|m| m.variants().iter().map(|v| v.name))
                .collect();
            Err(format!(
                "unknown variant `{name}` (expected one of: {})",
                all.join(", ")
            ))
        }
    }
}

/// Every field a scenario may have, for "unknown field" errors.
fn known_fields() -> Vec<String> {
    let mut fields: Vec<String> = COMMON_FIELDS.iter().map(|f| f.to_string()).collect();
    for mode in protocols::modes() {
        for knob in mode.knobs() {
            let top = knob.path().0.unwrap_or(knob.field).to_string();
            if !fields.contains(&top) {
                fields.push(top);
            }
        }
    }
    fields
}

fn unknown_field<E: de::Error>(field: &str, expected: &[String]) -> E {
    let expected: Vec<String> = expected.iter().map(|f| format!("`{f}`")).collect();
    E::custom(format!(
        "unknown field `{field}`, expected one of {}",
        expected.join(", ")
    ))
}

impl<'de> Deserialize<'de> for Scenario {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Scenario, D::Error> {
        deserializer.deserialize_map(ScenarioVisitor)
    }
}

struct ScenarioVisitor;

impl<'de> Visitor<'de> for ScenarioVisitor {
    type Value = Scenario;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(SCENARIO_EXAMPLE)
    }

    fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Scenario, M::Error> {
        let mut scenario = Scenario::default();
        let mut seen: Vec<String> = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            if seen.contains(&key) {
                return Err(de::Error::custom(format!("duplicate field `{key}`")));
            }
            seen.push(key.clone());
            match key.as_str() {
                "name" => scenario.name = Some(map.next_value()?),
                "description" => scenario.description = Some(map.next_value()?),
                "mode" => scenario.mode = Some(map.next_value_seed(ModeName)?),
                "seed" => scenario.seed = Some(map.next_value()?),
                "net" => scenario.net = Some(map.next_value()?),
                "break" => scenario.broken = Some(map.next_value()?),
                "max_ticks" => scenario.max_ticks = Some(map.next_value()?),
                "budget" => scenario.budget = Some(map.next_value()?),
                "keep_playing" => scenario.keep_playing = map.next_value()?,
                "network_player" => scenario.network_player = map.next_value()?,
                "actions" => scenario.actions = map.next_value()?,
                "script" => scenario.script = map.next_value()?,
                other if is_knob_field(other) => {
                    let value: u64 = map.next_value()?;
                    scenario.knobs.push((other.to_string(), value));
                }
                other if is_knob_group(other) => {
                    let group = map.next_value_seed(KnobGroup(other.to_string()))?;
                    scenario.knobs.extend(group);
                }
                other => return Err(unknown_field(other, &known_fields())),
            }
        }
        Ok(scenario)
    }
}

/// A protocol's name, checked against the registry while the field is read (so errors name it).
struct ModeName;

impl<'de> DeserializeSeed<'de> for ModeName {
    type Value = Mode;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Mode, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for ModeName {
    type Value = Mode;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "a protocol name: {}", protocols::names())
    }

    fn visit_str<E: de::Error>(self, name: &str) -> Result<Mode, E> {
        protocols::by_name(name).ok_or_else(|| {
            E::custom(format!(
                "unknown mode `{name}` (expected {})",
                protocols::names()
            ))
        })
    }
}

fn is_knob_field(field: &str) -> bool {
    protocols::modes().any(|m| m.knobs().iter().any(|k| k.path() == (None, field)))
}

fn is_knob_group(group: &str) -> bool {
    protocols::modes().any(|m| m.knobs().iter().any(|k| k.path().0 == Some(group)))
}

/// A nested object of knobs, such as `"ec_counter": {"sync_period": 50}`.
struct KnobGroup(String);

impl<'de> DeserializeSeed<'de> for KnobGroup {
    type Value = Vec<(String, u64)>;

    fn deserialize<D: de::Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for KnobGroup {
    type Value = Vec<(String, u64)>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "an object of `{}` settings", self.0)
    }

    fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Self::Value, M::Error> {
        let keys: Vec<String> = protocols::modes()
            .flat_map(|m| m.knobs().iter())
            .filter(|k| k.path().0 == Some(self.0.as_str()))
            .map(|k| k.path().1.to_string())
            .collect();
        let mut values: Vec<(String, u64)> = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            if !keys.contains(&key) {
                return Err(unknown_field(&key, &keys));
            }
            let field = format!("{}.{key}", self.0);
            if values.iter().any(|(seen, _)| *seen == field) {
                return Err(de::Error::custom(format!("duplicate field `{key}`")));
            }
            let value: u64 = map.next_value()?;
            values.push((field, value));
        }
        Ok(values)
    }
}

impl Serialize for Scenario {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        if let Some(name) = &self.name {
            map.serialize_entry("name", name)?;
        }
        if let Some(description) = &self.description {
            map.serialize_entry("description", description)?;
        }
        if let Some(mode) = &self.mode {
            map.serialize_entry("mode", mode.name())?;
        }
        if let Some(seed) = self.seed {
            map.serialize_entry("seed", &seed)?;
        }
        // Top-level knobs as they are; nested ones gathered under their group.
        let mut groups: Vec<(&str, serde_json::Map<String, serde_json::Value>)> = Vec::new();
        for (field, value) in &self.knobs {
            match field.split_once('.') {
                None => map.serialize_entry(field, value)?,
                Some((group, key)) => {
                    let index = match groups.iter().position(|(g, _)| *g == group) {
                        Some(index) => index,
                        None => {
                            groups.push((group, serde_json::Map::new()));
                            groups.len() - 1
                        }
                    };
                    groups[index].1.insert(key.to_string(), (*value).into());
                }
            }
        }
        for (group, values) in &groups {
            map.serialize_entry(group, values)?;
        }
        if let Some(net) = &self.net {
            map.serialize_entry("net", net)?;
        }
        if let Some(broken) = &self.broken {
            map.serialize_entry("break", broken)?;
        }
        if let Some(max_ticks) = self.max_ticks {
            map.serialize_entry("max_ticks", &max_ticks)?;
        }
        if let Some(budget) = self.budget {
            map.serialize_entry("budget", &budget)?;
        }
        if self.keep_playing {
            map.serialize_entry("keep_playing", &true)?;
        }
        if self.network_player {
            map.serialize_entry("network_player", &true)?;
        }
        if !self.actions.is_empty() {
            map.serialize_entry("actions", &self.actions)?;
        }
        if !self.script.is_empty() {
            map.serialize_entry("script", &self.script)?;
        }
        map.end()
    }
}

/// Why a scenario could not be loaded.
#[derive(Debug)]
pub enum ScenarioError {
    Read {
        file: String,
        error: std::io::Error,
    },
    /// Longer than [`MAX_SCENARIO_BYTES`], or not text.
    NotAScenario {
        file: String,
        problem: String,
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
            ScenarioError::NotAScenario { file, problem } => {
                write!(f, "{file}: {problem}; expected {SCENARIO_EXAMPLE}")
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
        parse_json(text, "scenario", SCENARIO_EXAMPLE).map_err(|error| ScenarioError::Syntax {
            file: file.to_string(),
            line: error.line,
            column: error.column,
            field: error.field,
            message: error.message,
        })
    }

    /// Reads (at most [`MAX_SCENARIO_BYTES`]), parses and validates a scenario file.
    pub fn load(path: &Path) -> Result<(Scenario, Setup), ScenarioError> {
        let file = path.display().to_string();
        let text = read_text(path).map_err(|error| match error {
            TextError::Read(error) => ScenarioError::Read {
                file: file.clone(),
                error,
            },
            TextError::NotText(problem) => ScenarioError::NotAScenario {
                file: file.clone(),
                problem,
            },
        })?;
        let scenario = Scenario::parse(&file, &text)?;
        let setup = Setup::from_scenario(&scenario)
            .map_err(|invalid| ScenarioError::Invalid { file, invalid })?;
        Ok((scenario, setup))
    }
}

/// Where and why JSON text did not parse as the value wanted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct JsonError {
    pub line: usize,
    pub column: usize,
    /// The field's path (`actions[0].at`), or empty, `.` or `?` when there is none.
    pub field: String,
    pub message: String,
}

impl fmt::Display for JsonError {
    /// `line 3, column 14: field `moves[1].tick`: ...`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}, column {}: ", self.line, self.column)?;
        if !self.field.is_empty() && self.field != "." && self.field != "?" {
            write!(f, "field `{}`: ", self.field)?;
        }
        write!(f, "{}", self.message)
    }
}

/// Parses `text` as one `T` and nothing after it, with errors in plain words: `what` names the
/// value ("scenario"), `example` shows one.
pub(crate) fn parse_json<T: serde::de::DeserializeOwned>(
    text: &str,
    what: &str,
    example: &str,
) -> Result<T, JsonError> {
    // Editors on Windows may start a UTF-8 file with a byte-order mark, which is not JSON but
    // says nothing about the content: skip it.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut json = serde_json::Deserializer::from_str(text);
    let parsed: Result<T, _> = serde_path_to_error::deserialize(&mut json);
    let value = parsed.map_err(|error| {
        let mut field = error.path().to_string();
        let inner = error.into_inner();
        // serde_json appends " at line L column C"; we print the position up front instead.
        let message = inner.to_string();
        let mut message = message.split(" at line ").next().unwrap_or(&message);
        // A value read in two steps (a scheduled action) names the field inside it up front.
        if let Some((inside, rest)) = message
            .strip_prefix(NESTED_PATH)
            .and_then(|nested| nested.split_once(NESTED_PATH))
        {
            if !inside.is_empty() && inside != "." {
                if field == "." {
                    field.clear();
                }
                if !inside.starts_with('[') && !field.is_empty() {
                    field.push('.');
                }
                field.push_str(inside);
            }
            message = rest;
        }
        let message = if inner.is_eof() && text.trim().is_empty() {
            format!("the file is empty; expected {example}")
        } else if inner.is_eof() {
            format!("the file ends before the {what} does ({message})")
        } else {
            in_plain_words(message)
        };
        JsonError {
            line: inner.line(),
            column: inner.column(),
            field,
            message,
        }
    })?;
    json.end().map_err(|inner| JsonError {
        line: inner.line(),
        column: inner.column(),
        field: String::new(),
        message: format!("unexpected text after the {what}"),
    })?;
    Ok(value)
}

/// Why a file's text could not be read.
#[derive(Debug)]
pub(crate) enum TextError {
    Read(std::io::Error),
    /// Longer than [`MAX_SCENARIO_BYTES`], or not UTF-8.
    NotText(String),
}

/// The text of a scenario or replay file, refusing anything longer than [`MAX_SCENARIO_BYTES`]
/// without reading past it (the file may be a device or a pipe that never ends).
pub(crate) fn read_text(path: &Path) -> Result<String, TextError> {
    let too_long = || TextError::NotText(format!("longer than {} MiB", MAX_SCENARIO_BYTES >> 20));
    let opened = std::fs::File::open(path).map_err(TextError::Read)?;
    if opened
        .metadata()
        .is_ok_and(|m| m.is_file() && m.len() > MAX_SCENARIO_BYTES)
    {
        return Err(too_long());
    }
    let mut bytes = Vec::new();
    opened
        .take(MAX_SCENARIO_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(TextError::Read)?;
    if bytes.len() as u64 > MAX_SCENARIO_BYTES {
        return Err(too_long());
    }
    String::from_utf8(bytes)
        .map_err(|_| TextError::NotText("not text (it is not valid UTF-8)".into()))
}

/// serde's error messages name Rust types ("expected u64"); say what to write in JSON instead.
pub(crate) fn in_plain_words(message: &str) -> String {
    const PLAIN: [(&str, &str); 6] = [
        ("u64", "a whole number from 0 to 18446744073709551615"),
        ("u32", "a whole number from 0 to 4294967295"),
        ("usize", "a whole number, 0 or more"),
        ("a sequence", "a list in square brackets, such as [0, 1]"),
        (
            "struct NetConfig",
            "the network's timing: an object such as {\"base_delay\": 60, \"jitter\": 30}",
        ),
        (
            "struct TimedAction",
            "an action: an object such as {\"at\": 100, \"action\": \"kill\", \"node\": 0}",
        ),
    ];
    if let Some((start, rust)) = message.rsplit_once(", expected ")
        && let Some((_, plain)) = PLAIN.iter().find(|(name, _)| *name == rust)
    {
        return format!("{start}, expected {plain}");
    }
    message.to_string()
}

/// The scenarios that ship with the game, each protocol's in registry order, built in so the web
/// version has them too.
pub fn shipped() -> Vec<(&'static str, Scenario)> {
    protocols::modes()
        .flat_map(|mode| mode.scenarios())
        .filter_map(|(file, text)| Scenario::parse(file, text).ok().map(|s| (*file, s)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocols::{ec_counter, paxos};

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
        assert_eq!(setup_of("{}").unwrap(), Setup::for_mode(paxos::MODE));
    }

    #[test]
    fn fields_override_defaults() {
        let s = setup_of(
            r#"{"mode": "ec-counter", "servers": 4, "clients": 2, "seed": 9,
                "actions": [{"at": 10, "action": "partition", "groups": [[0, 1], [2, 3]]}]}"#,
        )
        .unwrap();
        assert_eq!(
            (s.mode, s.knob("servers"), s.knob("clients"), s.seed),
            (ec_counter::MODE, 4, 2, 9)
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
            err.contains("field `actions[0].action`") && err.contains("explode"),
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
    fn an_error_inside_an_action_names_the_field() {
        let err =
            setup_of(r#"{"actions": [{"at": 5, "action": "kill", "node": "0"}]}"#).unwrap_err();
        assert!(
            err.contains("field `actions[0].node`: invalid type"),
            "{err}"
        );
        let err =
            setup_of(r#"{"actions": [{"at": 5, "action": "partition", "groups": [[0], ["x"]]}]}"#)
                .unwrap_err();
        assert!(err.contains("field `actions[0].groups[1][0]`"), "{err}");
        let err =
            setup_of(r#"{"actions": [{"at": "5", "action": "kill", "node": 0}]}"#).unwrap_err();
        assert!(err.contains("field `actions[0].at`"), "{err}");
        let err = setup_of(r#"{"actions": [{"at": 5, "at": 6, "action": "kill", "node": 0}]}"#)
            .unwrap_err();
        assert!(err.contains("duplicate field `at`"), "{err}");
        let ok = setup_of(r#"{"actions": [{"action": "kill", "node": 1, "at": 5}]}"#).unwrap();
        assert_eq!(ok.actions.len(), 1);
    }

    #[test]
    fn a_field_given_twice_is_refused_and_named() {
        let err = setup_of(r#"{"seed": 1, "seed": 2}"#).unwrap_err();
        assert!(err.contains("duplicate field `seed`"), "{err}");
    }

    #[test]
    fn a_byte_order_mark_is_skipped() {
        let setup = setup_of("\u{feff}{\"seed\": 7}").unwrap();
        assert_eq!(setup.seed, 7);
    }

    #[test]
    fn errors_say_what_was_expected_in_json_terms() {
        let cases = [
            (
                r#"{"mode": 1}"#,
                "expected a protocol name: `paxos`, `ec-counter` or `raft`",
            ),
            ("[1, 2]", "expected a scenario: a JSON object such as {"),
            (r#"{"nodes": "three"}"#, "expected a whole number from 0 to"),
            (r#"{"seed": -1}"#, "expected a whole number from 0 to"),
            (
                r#"{"net": 5}"#,
                r#"expected the network's timing: an object such as {"base_delay""#,
            ),
            (r#"{"actions": {}}"#, "expected a list in square brackets"),
            (
                r#"{"actions": [1]}"#,
                r#"expected an action: an object such as {"at""#,
            ),
            (
                r#"{"actions": [{"at": 1, "action": "slow", "node": 0, "factor": -1}]}"#,
                "expected a whole number from 0 to 4294967295",
            ),
            ("", "the file is empty; expected a scenario"),
            (r#"{"nodes": 3,"#, "the file ends before the scenario does"),
        ];
        for (text, expected) in cases {
            let err = setup_of(text).unwrap_err();
            assert!(err.contains(expected), "{text}: {err}");
            assert!(
                !err.contains("u64") && !err.contains("struct "),
                "{text}: Rust type names mean nothing to a player: {err}"
            );
        }
    }

    #[test]
    fn a_setting_given_twice_in_a_group_is_refused() {
        let err = setup_of(r#"{"paxos": {"election_timeout": 100, "election_timeout": 200}}"#)
            .unwrap_err();
        assert!(err.contains("duplicate field `election_timeout`"), "{err}");
    }

    #[test]
    fn ticks_beyond_the_limit_are_refused_so_time_cannot_wrap() {
        let limit = crate::sim::TICK_LIMIT;
        let at = |tick: u64| {
            setup_of(&format!(
                r#"{{"actions": [{{"at": {tick}, "action": "kill", "node": 0}}]}}"#
            ))
        };
        assert!(at(limit).is_ok());
        let err = at(u64::MAX).unwrap_err();
        assert_eq!(
            err,
            format!(
                "t.json: field `actions[0].at`: {} is outside 0..={limit} ticks",
                u64::MAX
            )
        );
        assert!(setup_of(&format!(r#"{{"max_ticks": {limit}}}"#)).is_ok());
        let err = setup_of(&format!(r#"{{"max_ticks": {}}}"#, limit + 1)).unwrap_err();
        assert!(
            err.contains("field `max_ticks`") && err.contains("outside 1..="),
            "{err}"
        );
    }

    /// A file in a fresh temporary directory, removed on drop.
    struct TempFile(std::path::PathBuf);

    impl TempFile {
        fn new(name: &str) -> TempFile {
            let dir = std::env::temp_dir()
                .join(format!("beat-paxos-scenario-{}-{name}", std::process::id()));
            std::fs::create_dir_all(&dir).unwrap();
            TempFile(dir.join(name))
        }
    }

    impl Drop for TempFile {
        fn drop(&mut self) {
            std::fs::remove_dir_all(self.0.parent().unwrap()).ok();
        }
    }

    #[test]
    fn huge_endless_or_binary_files_are_refused_without_reading_them_whole() {
        let huge = TempFile::new("huge.json");
        // Sparse: 1 GiB on paper, nothing on disk; refused from its size alone.
        std::fs::File::create(&huge.0)
            .unwrap()
            .set_len(1 << 30)
            .unwrap();
        let err = Scenario::load(&huge.0).unwrap_err().to_string();
        assert!(err.contains("huge.json: longer than 16 MiB"), "{err}");
        let endless = Path::new("/dev/zero");
        if endless.exists() {
            let err = Scenario::load(endless).unwrap_err().to_string();
            assert!(err.starts_with("/dev/zero: longer than 16 MiB"), "{err}");
        }
        let binary = TempFile::new("binary.json");
        std::fs::write(&binary.0, [0xff, 0xfe, 0x00]).unwrap();
        let err = Scenario::load(&binary.0).unwrap_err().to_string();
        assert!(err.contains("not text"), "{err}");
        let small = TempFile::new("small.json");
        std::fs::write(&small.0, r#"{"nodes": 5}"#).unwrap();
        assert_eq!(Scenario::load(&small.0).unwrap().1.knob("nodes"), 5);
    }

    #[test]
    fn a_scenario_may_give_a_budget_and_keep_the_round_going() {
        let s = setup_of(r#"{"budget": 60, "keep_playing": true}"#).unwrap();
        assert_eq!((s.budget, s.keep_playing), (60, true));
        let plain = setup_of("{}").unwrap();
        assert_eq!(
            (plain.budget, plain.keep_playing),
            (DEFAULT_FAULT_BUDGET, false)
        );
        // Written only when they differ from the default, so older checksums stay valid.
        let text = serde_json::to_string(&Scenario::of(&s)).unwrap();
        assert!(
            text.contains(r#""budget":60,"keep_playing":true"#),
            "{text}"
        );
        let text = serde_json::to_string(&Scenario::of(&plain)).unwrap();
        assert!(
            !text.contains("budget") && !text.contains("keep_playing"),
            "{text}"
        );
        assert_eq!(
            setup_of(r#"{"budget": 1001}"#).unwrap_err(),
            "t.json: field `budget`: 1001 is outside 0..=1000 fault points"
        );
        let err = setup_of(r#"{"keep_playing": 1}"#).unwrap_err();
        assert!(
            err.contains("keep_playing") && err.contains("boolean"),
            "{err}"
        );
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
    fn a_script_round_trips_and_bad_steps_name_their_index() {
        let text = r#"{"nodes": 3, "script": [
            {"step": "timer", "node": 0, "timer": "Election"},
            {"step": "deliver", "from": 0, "to": 2, "msg": {"type": "prepare", "ballot": {"round": 1, "node": 0}}},
            {"step": "kill", "node": 2}]}"#;
        let scenario = Scenario::parse("t.json", text).unwrap();
        assert_eq!(scenario.script.len(), 3);
        let saved = serde_json::to_string(&Scenario::of(&setup_of(text).unwrap())).unwrap();
        assert_eq!(
            Scenario::parse("saved.json", &saved).unwrap().script,
            scenario.script
        );

        let err = setup_of(
            r#"{"script": [{"step": "timer", "node": 0, "timer": "Election"},
                                          {"step": "kill", "node": 3}]}"#,
        )
        .unwrap_err();
        assert_eq!(
            err,
            "t.json: field `script[1]`: node 3 does not exist (nodes are 0..3)"
        );
        let err = setup_of(r#"{"script": [{"step": "teleport", "node": 0}]}"#).unwrap_err();
        assert!(
            err.contains("field `script[0].step`") && err.contains("teleport"),
            "{err}"
        );
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
