//! Lessons: a round set up to show one thing, with an objective the core checks.

use super::*;
use crate::sim::Tick;

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
    pub goal: fn(&dyn AnyEngine) -> Option<Tick>,
    /// The round starts paused, saying this (a lesson read step by step, or one whose move
    /// comes first thing).
    pub starts_paused: Option<&'static str>,
    /// The moments the move must come at, read from the run's trace up to now: the game stops
    /// at each and says what to do, so no lesson needs quick fingers. [`no_pauses`] if none.
    pub pauses: fn(&dyn AnyEngine) -> Vec<Pause>,
}

/// A moment a lesson stops at: when, and what to do now, in words computed from the run
/// ("red just started ballot 1.R: kill it now").
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pause {
    pub tick: Tick,
    pub text: String,
}

/// The pauses of a lesson whose move has no particular moment.
pub fn no_pauses(_run: &dyn AnyEngine) -> Vec<Pause> {
    Vec::new()
}

/// The objective of a break-it lesson: a checker caught a broken property.
pub fn first_violation(run: &dyn AnyEngine) -> Option<Tick> {
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
