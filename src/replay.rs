//! Replay files: a round's setup and its line of moves in JSON, to watch a round again, share it,
//! or check it headless (`beat-paxos sim --replay`). See `docs/replays.md`.
//!
//! The setup is written as a scenario (the same fields, nested under `setup`), so everything a
//! scenario can say a replay can too. Reading never panics: a malformed file, an unknown version,
//! moves out of order or out of the round, an unknown attack or node each give an error in words,
//! with the line and column for JSON errors.

use std::io::Write;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::protocol::{Setup, Summary};
use crate::round::{PlannedMove, Round, check_line};
use crate::scenario::{self, Scenario, TextError};

/// The replay format this build writes and reads.
pub const REPLAY_VERSION: u64 = 1;

/// What a replay looks like, for errors that say what was expected.
const REPLAY_EXAMPLE: &str = "a replay: a JSON object such as {\"version\": 1, \"setup\": \
     {\"mode\": \"paxos\"}, \"moves\": [{\"tick\": 900, \"attack\": {\"Isolate\": 0}}]}";

/// A round to play again: its setup and its line of moves, in tick order.
#[derive(Clone, Debug, PartialEq)]
pub struct Replay {
    pub setup: Setup,
    pub moves: Vec<PlannedMove>,
    /// FNV-1a of the trace of the replay's full run ([`Replay::run`]), when the file gives it: a
    /// run that hashes differently means the file was changed (or the game's rules were).
    pub trace_hash: Option<u64>,
}

/// A replay as written.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ReplayFile {
    version: u64,
    setup: Scenario,
    /// A chaos run (an adversary watches it); the schedule chaos drew is in `setup.actions`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    chaos: bool,
    #[serde(default)]
    moves: Vec<PlannedMove>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    trace_hash: Option<String>,
}

/// What a replay file's first reading needs: whether it is a JSON object, and its `version`.
/// Everything else is skipped unread.
struct VersionProbe {
    object: bool,
    version: Option<serde_json::Value>,
}

impl<'de> Deserialize<'de> for VersionProbe {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::{IgnoredAny, MapAccess, SeqAccess, Visitor};
        struct Visit;
        const NOT_AN_OBJECT: VersionProbe = VersionProbe {
            object: false,
            version: None,
        };
        impl<'de> Visitor<'de> for Visit {
            type Value = VersionProbe;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("JSON")
            }
            fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<VersionProbe, M::Error> {
                let mut version = None;
                while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                    if key == "version" {
                        version = Some(map.next_value::<serde_json::Value>()?);
                    } else {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
                Ok(VersionProbe {
                    object: true,
                    version,
                })
            }
            fn visit_seq<S: SeqAccess<'de>>(self, mut seq: S) -> Result<VersionProbe, S::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(NOT_AN_OBJECT)
            }
            fn visit_bool<E>(self, _: bool) -> Result<VersionProbe, E> {
                Ok(NOT_AN_OBJECT)
            }
            fn visit_i64<E>(self, _: i64) -> Result<VersionProbe, E> {
                Ok(NOT_AN_OBJECT)
            }
            fn visit_u64<E>(self, _: u64) -> Result<VersionProbe, E> {
                Ok(NOT_AN_OBJECT)
            }
            fn visit_f64<E>(self, _: f64) -> Result<VersionProbe, E> {
                Ok(NOT_AN_OBJECT)
            }
            fn visit_str<E>(self, _: &str) -> Result<VersionProbe, E> {
                Ok(NOT_AN_OBJECT)
            }
            fn visit_unit<E>(self) -> Result<VersionProbe, E> {
                Ok(NOT_AN_OBJECT)
            }
        }
        deserializer.deserialize_any(Visit)
    }
}

/// Why a replay's run failed.
#[derive(Debug)]
pub enum ReplayFailure {
    /// A move was refused when its tick came, or came after the round ended.
    Refused(String),
    /// The scenario's script could not be carried out.
    Script(String),
    /// The trace could not be written.
    Trace(std::io::Error),
    /// The run's trace does not hash as the replay says it should.
    Tampered { expected: u64, actual: u64 },
}

impl std::fmt::Display for ReplayFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReplayFailure::Refused(problem) | ReplayFailure::Script(problem) => {
                f.write_str(problem)
            }
            ReplayFailure::Trace(error) => write!(f, "cannot write the trace: {error}"),
            ReplayFailure::Tampered { expected, actual } => write!(
                f,
                "the run's trace hashes to {actual:016x}, not the {expected:016x} the replay \
                 gives: the file was changed, or made by a version of the game with other rules"
            ),
        }
    }
}

impl Replay {
    /// The replay of `round`: its setup and its whole line, the moves still to play after a
    /// rewind included. No trace hash (see [`Replay::with_trace_hash`]).
    pub fn of(round: &Round) -> Replay {
        Replay {
            setup: round.setup.clone(),
            moves: round.line().to_vec(),
            trace_hash: None,
        }
    }

    /// The same replay with the hash of its full run filled in, so that a changed copy is
    /// detected. Runs the round to its end headless (milliseconds for a usual round).
    pub fn with_trace_hash(mut self) -> Result<Replay, ReplayFailure> {
        self.trace_hash = None;
        let summary = self.run()?;
        self.trace_hash = summary
            .trace_hash
            .and_then(|hex| u64::from_str_radix(&hex, 16).ok());
        Ok(self)
    }

    /// The replay as pretty-printed JSON.
    pub fn to_json(&self) -> String {
        let file = ReplayFile {
            version: REPLAY_VERSION,
            setup: Scenario::of(&self.setup),
            chaos: self.setup.chaos,
            moves: self.moves.clone(),
            trace_hash: self.trace_hash.map(|hash| format!("{hash:016x}")),
        };
        serde_json::to_string_pretty(&file).expect("replays serialize") + "\n"
    }

    /// Reads a replay, or says in words what is wrong with it.
    pub fn parse(text: &str) -> Result<Replay, String> {
        // The version first, so that a file of another version is told so rather than about a
        // field this version does not know. Only the version is kept: the rest is skipped
        // without being built (a whole file as a JSON tree took some 20 times its size).
        let probe: VersionProbe =
            scenario::parse_json(text, "replay", REPLAY_EXAMPLE).map_err(|e| e.to_string())?;
        if !probe.object {
            return Err(format!("expected {REPLAY_EXAMPLE}"));
        }
        match probe.version {
            Some(serde_json::Value::Number(n)) if n.as_u64() == Some(REPLAY_VERSION) => {}
            Some(other) => {
                return Err(format!(
                    "replay version {other} is not one this game reads (it reads version \
                     {REPLAY_VERSION})"
                ));
            }
            None => {
                return Err(format!(
                    "not a replay: it has no `version`; expected {REPLAY_EXAMPLE}"
                ));
            }
        }
        let file: ReplayFile =
            scenario::parse_json(text, "replay", REPLAY_EXAMPLE).map_err(|e| e.to_string())?;
        let mut setup = Setup::from_scenario(&file.setup)
            .map_err(|invalid| format!("field `setup.{}`: {}", invalid.field, invalid.problem))?;
        setup.chaos = file.chaos;
        check_line(&setup, &file.moves)?;
        let trace_hash = file
            .trace_hash
            .map(|hex| match u64::from_str_radix(&hex, 16) {
                Ok(hash) if hex.len() == 16 => Ok(hash),
                _ => Err(format!(
                    "field `trace_hash`: `{hex}` is not a trace hash (16 hexadecimal digits)"
                )),
            })
            .transpose()?;
        Ok(Replay {
            setup,
            moves: file.moves,
            trace_hash,
        })
    }

    /// Reads a replay file (at most 16 MiB, like a scenario). Errors start with the file's name.
    pub fn load(path: &Path) -> Result<Replay, String> {
        let file = path.display();
        let text = scenario::read_text(path).map_err(|error| match error {
            TextError::Read(error) => format!("{file}: cannot read the replay: {error}"),
            TextError::NotText(problem) => {
                format!("{file}: {problem}; expected {REPLAY_EXAMPLE}")
            }
        })?;
        Replay::parse(&text).map_err(|problem| format!("{file}: {problem}"))
    }

    /// Runs the replay headless to its end (see [`Round::play_to_end`]) and returns the summary
    /// `beat-paxos sim` prints, with the trace's event count and hash.
    pub fn run(&self) -> Result<Summary, ReplayFailure> {
        self.run_into(Box::new(std::io::sink()))
    }

    /// As [`Replay::run`], writing the trace to `trace` as JSON lines while it runs.
    pub fn run_into(&self, trace: Box<dyn Write + Send + Sync>) -> Result<Summary, ReplayFailure> {
        self.clone().play_into(trace)
    }

    /// As [`Replay::run_into`], using up the replay: its moves become the round's line without
    /// a copy (a long replay's moves are most of its memory).
    pub fn play_into(self, trace: Box<dyn Write + Send + Sync>) -> Result<Summary, ReplayFailure> {
        let expected_hash = self.trace_hash;
        let mut round = Round::with_plan(self.setup, self.moves);
        round.simulation.stream_trace(trace);
        round.play_to_end();
        if let Some(problem) = round.playback_error() {
            return Err(ReplayFailure::Refused(problem.to_string()));
        }
        if let Some(problem) = round.simulation.engine().script_error() {
            return Err(ReplayFailure::Script(problem.to_string()));
        }
        let mut summary = round.simulation.engine().summary(&round.setup);
        let digest = round
            .simulation
            .finish_trace()
            .map_err(ReplayFailure::Trace)?;
        if let Some(expected) = expected_hash
            && expected != digest.hash
        {
            return Err(ReplayFailure::Tampered {
                expected,
                actual: digest.hash,
            });
        }
        summary.trace_events = Some(digest.events);
        summary.trace_hash = Some(format!("{:016x}", digest.hash));
        Ok(summary)
    }
}

impl Round {
    /// A fresh round of the replay's setup that plays its moves back as it runs (see
    /// [`Round::with_plan`]).
    pub fn from_replay(replay: &Replay) -> Round {
        Round::with_plan(replay.setup.clone(), replay.moves.clone())
    }
}
