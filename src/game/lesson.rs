//! A lesson being played: follows its objective as the round runs, records it done, and keeps
//! the results window away (the lesson panel, `hud/lesson.rs`, says how it went instead). It
//! stops the clock where the lesson says (at the start, at each moment a move must come, and at
//! the moment the objective was met) so that nothing depends on quick fingers or a fast machine.

use bevy::prelude::*;

use super::hud::Toasts;
use super::persist::{LessonsDone, ScoreStore};
use super::sim_step::{Clock, CurrentRound, PublishFrame, RoundStarted};
use super::timeline::Seek;
use super::{Screen, Settings};
use crate::lesson::Lesson;
use crate::protocol::Pause;
use crate::sim::Tick;

pub(super) fn plugin(app: &mut App) {
    app.add_message::<LessonAction>()
        // Back to the title from a round (not the title the game opens on, with a lesson
        // given on the command line or in a link still to start).
        .add_systems(
            OnTransition {
                exited: Screen::Playing,
                entered: Screen::Title,
            },
            leave_lesson,
        )
        .add_systems(
            OnTransition {
                exited: Screen::Results,
                entered: Screen::Title,
            },
            leave_lesson,
        )
        .add_systems(Update, act.run_if(on_message::<LessonAction>))
        .add_systems(
            Update,
            (
                start_lesson.run_if(on_message::<RoundStarted>),
                follow_objective.run_if(resource_exists::<ActiveLesson>),
                pause_at_moments.run_if(resource_exists::<ActiveLesson>),
            )
                .chain()
                .after(PublishFrame),
        );
}

/// The lesson of the current round, and where its objective stands.
#[derive(Resource, Debug, Clone)]
pub struct ActiveLesson {
    pub lesson: &'static Lesson,
    /// When the objective was met in the run as it stands (a rewind before it clears it).
    pub met_at: Option<Tick>,
    /// The round plays the lesson's recorded solution ("show me"): meeting the objective then
    /// does not count as done.
    pub shown: bool,
    /// What the lesson says while the clock is stopped for it (the start, or a moment to act).
    pub paused_for: Option<String>,
    /// The pauses already made this round, and the moment the objective was last paused at: going
    /// back before one and playing on is no news, so it does not stop the clock again.
    paused: Vec<Pause>,
    paused_on_done: Option<Tick>,
    /// The trace length the pauses were last read at: they are read again only when it changes.
    pauses_read_at: Option<usize>,
}

fn start_lesson(
    mut commands: Commands,
    settings: Res<Settings>,
    current: Res<CurrentRound>,
    mut clock: ResMut<Clock>,
) {
    let Some(lesson) = settings.lesson else {
        commands.remove_resource::<ActiveLesson>();
        return;
    };
    let shown = !current.round.planned().is_empty();
    // A shown solution plays by itself: nothing to wait for.
    let paused_for = lesson.starts_paused.filter(|_| !shown).map(str::to_string);
    clock.paused = paused_for.is_some();
    commands.insert_resource(ActiveLesson {
        lesson,
        met_at: None,
        shown,
        paused_for,
        paused: Vec::new(),
        paused_on_done: None,
        pauses_read_at: None,
    });
}

/// What the lesson panel's buttons ask for (a message, so that they work the same whether
/// the round runs or not, and tests can press them).
#[derive(Message, Debug, Clone, Copy, PartialEq, Eq)]
pub enum LessonAction {
    /// The lesson's round again, from the start.
    TryAgain,
    /// The lesson's round with its recorded solution playing by itself.
    ShowMe,
    /// The next lesson on the path.
    Next,
    /// Back to the title screen's list of lessons.
    AllLessons,
}

fn act(
    mut actions: MessageReader<LessonAction>,
    active: Option<Res<ActiveLesson>>,
    mut settings: ResMut<Settings>,
    mut next: ResMut<NextState<Screen>>,
) {
    let Some(lesson) = active.map(|active| active.lesson) else {
        actions.clear();
        return;
    };
    // One round change a frame: the last button pressed wins.
    let Some(action) = actions.read().last().copied() else {
        return;
    };
    match action {
        LessonAction::TryAgain => start(&mut settings, lesson),
        LessonAction::ShowMe => {
            start(&mut settings, lesson);
            settings.plan = lesson.recording().map(|r| r.moves).unwrap_or_default();
        }
        LessonAction::Next => match crate::lesson::next(lesson) {
            Some(following) => start(&mut settings, following),
            None => return,
        },
        LessonAction::AllLessons => {
            next.set(Screen::Title);
            return;
        }
    }
    next.set(Screen::Playing);
}

/// Sets the next round to be `lesson`'s.
pub fn start(settings: &mut Settings, lesson: &'static Lesson) {
    match lesson.setup() {
        Ok(setup) => {
            // Free play comes back as the player left it, not with this lesson's round.
            if settings.lesson.is_none() {
                settings.free_play = Some(settings.setup.clone());
            }
            settings.setup = setup;
            settings.scenario = None;
            settings.fixed_seed = true;
            settings.plan.clear();
            settings.lesson = Some(lesson);
        }
        Err(problem) => warn!("{problem}"),
    }
}

/// The title screen is free play: whatever way the player left the lesson, its round goes.
fn leave_lesson(mut settings: ResMut<Settings>) {
    settings.leave_lesson();
}

/// Stops the clock at each of the lesson's moments, once, at that very tick, saying what to do;
/// the words go once the clock runs again.
fn pause_at_moments(
    mut active: ResMut<ActiveLesson>,
    current: Res<CurrentRound>,
    mut clock: ResMut<Clock>,
    mut seeks: MessageWriter<Seek>,
) {
    if !clock.paused && active.paused_for.is_some() {
        active.paused_for = None;
    }
    if active.shown || active.met_at.is_some() {
        return;
    }
    let round = &current.round;
    // A pause is a function of the trace: a trace read with no new pause in it need not be
    // read again until it changes.
    let length = round.simulation.engine().trace_len();
    if active.pauses_read_at == Some(length) {
        return;
    }
    let pauses = (active.lesson.pauses)(round.simulation.engine());
    let Some(pause) = pauses.into_iter().find(|p| !active.paused.contains(p)) else {
        active.pauses_read_at = Some(length);
        return;
    };
    stop_at(pause.tick, round.now(), &mut clock, &mut seeks);
    active.paused_for = Some(pause.text.clone());
    active.paused.push(pause);
}

/// Pauses the game at `tick`: a frame runs several ticks, so it goes back to that very moment.
fn stop_at(tick: Tick, now: Tick, clock: &mut Clock, seeks: &mut MessageWriter<Seek>) {
    clock.paused = true;
    if now > tick {
        seeks.write(Seek(tick));
    }
}

fn follow_objective(
    mut active: ResMut<ActiveLesson>,
    current: Res<CurrentRound>,
    mut progress: Option<ResMut<LessonsDone>>,
    store: Res<ScoreStore>,
    mut toasts: Option<ResMut<Toasts>>,
    mut clock: ResMut<Clock>,
    mut seeks: MessageWriter<Seek>,
) {
    let met_at = active.lesson.met(&current.round);
    if met_at == active.met_at {
        return;
    }
    active.met_at = met_at;
    // Stop on the moment that met it, so the diagram and the cluster show it.
    if let Some(tick) = met_at.filter(|tick| active.paused_on_done != Some(*tick)) {
        active.paused_on_done = Some(tick);
        active.paused_for = None;
        stop_at(tick, current.round.now(), &mut clock, &mut seeks);
    }
    let Some(progress) = progress
        .as_deref_mut()
        .filter(|_| met_at.is_some() && !active.shown)
    else {
        return;
    };
    if progress.done.insert(active.lesson.name.to_string()) {
        if let Some(toasts) = toasts.as_deref_mut() {
            toasts
                .0
                .push((format!("Lesson done: {}", active.lesson.title), 6.0));
        }
        if let Err(problem) = store.save_lessons(progress) {
            warn!("{problem}");
            progress.warning = Some(problem);
        }
    }
}
