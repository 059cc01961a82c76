//! Lessons: the guided path. Each protocol plug-in lists its own ([`Protocol::lessons`]); this
//! module gathers them in order, finds them by name, and plays a lesson's round headless, with its
//! recorded solution or with nobody touching it (`beat-paxos lesson`, the tests).
//!
//! An objective is a function of the run's trace up to now, so it is checked at every step
//! whatever the game's frame rate, and a rewind before the moment it was met opens it again.

use serde::Serialize;

pub use crate::protocol::Lesson;
use crate::protocol::{Mode, Setup};
use crate::protocols;
use crate::replay::Replay;
use crate::round::Round;
use crate::sim::Tick;

/// Every lesson, in the order a learner takes them: protocol by protocol, as registered.
pub fn all() -> impl Iterator<Item = (Mode, &'static Lesson)> {
    protocols::modes().flat_map(|mode| mode.lessons().iter().map(move |lesson| (mode, lesson)))
}

/// The lesson called `name`, or why there is none (with the names there are).
pub fn find(name: &str) -> Result<&'static Lesson, String> {
    all()
        .map(|(_, lesson)| lesson)
        .find(|lesson| lesson.name == name)
        .ok_or_else(|| {
            let names: Vec<&str> = all().map(|(_, lesson)| lesson.name).collect();
            format!(
                "there is no lesson `{name}` (the lessons are: {})",
                names.join(", ")
            )
        })
}

/// The lesson after `lesson` on the path, if any.
pub fn next(lesson: &Lesson) -> Option<&'static Lesson> {
    let mut lessons = all().map(|(_, l)| l);
    lessons.find(|l| l.name == lesson.name)?;
    lessons.next()
}

impl Lesson {
    /// The lesson's round and its recorded solution. The built-in files are checked by the
    /// tests, so an error here means a lesson was edited badly; it is reported, not a panic.
    pub fn recording(&self) -> Result<Replay, String> {
        Replay::parse(self.replay).map_err(|problem| format!("lesson `{}`: {problem}", self.name))
    }

    /// The round the lesson is played on.
    pub fn setup(&self) -> Result<Setup, String> {
        self.recording().map(|replay| replay.setup)
    }

    /// When the objective was met in `round`'s run so far, if it was.
    pub fn met(&self, round: &Round) -> Option<Tick> {
        (self.goal)(round.simulation.engine())
    }

    /// The lesson's round played headless to its end, with the recorded solution or untouched.
    pub fn attempt(&self, with_solution: bool) -> Result<Attempt, String> {
        let recording = self.recording()?;
        let moves = if with_solution {
            recording.moves
        } else {
            Vec::new()
        };
        let mut round = Round::with_plan(recording.setup, moves);
        round.play_to_end();
        if let Some(problem) = round.playback_error() {
            return Err(format!("lesson `{}`: {problem}", self.name));
        }
        Ok(Attempt {
            lesson: self.name,
            solution: with_solution,
            met: self.met(&round).is_some(),
            met_at: self.met(&round),
            moves: round.moves.len(),
            ended_at: round.now(),
            violations: round
                .simulation
                .engine()
                .violations()
                .iter()
                .map(|v| v.kind.clone())
                .collect(),
        })
    }
}

/// How a headless play of a lesson went (what `beat-paxos lesson NAME --solve` prints).
#[derive(Clone, Debug, Serialize)]
pub struct Attempt {
    pub lesson: &'static str,
    /// Whether the recorded solution was played (else nobody touched the round).
    pub solution: bool,
    pub met: bool,
    pub met_at: Option<Tick>,
    /// Moves applied.
    pub moves: usize,
    pub ended_at: Tick,
    /// The properties the checkers found broken.
    pub violations: Vec<String>,
}

/// A lesson as `beat-paxos lesson --list` prints it.
#[derive(Clone, Debug, Serialize)]
pub struct Listed {
    pub name: &'static str,
    pub mode: &'static str,
    pub title: &'static str,
    pub objective: &'static str,
    pub watch: bool,
    #[serde(rename = "break", skip_serializing_if = "Option::is_none")]
    pub broken: Option<&'static str>,
}

/// Every lesson, for `--list`.
pub fn listing() -> Result<Vec<Listed>, String> {
    all()
        .map(|(mode, lesson)| {
            Ok(Listed {
                name: lesson.name,
                mode: mode.name(),
                title: lesson.title,
                objective: lesson.objective,
                watch: lesson.watch,
                broken: lesson.setup()?.broken,
            })
        })
        .collect()
}
