//! A lesson being played: follows its objective as the round runs, records it done, and keeps
//! the results window away (the lesson panel, `hud/lesson.rs`, says how it went instead).

use bevy::prelude::*;

use super::Settings;
use super::hud::Toasts;
use super::persist::{LessonsDone, ScoreStore};
use super::sim_step::{CurrentRound, PublishFrame, RoundStarted};
use crate::lesson::Lesson;
use crate::sim::Tick;

pub(super) fn plugin(app: &mut App) {
    app.add_systems(
        Update,
        (
            start_lesson.run_if(on_message::<RoundStarted>),
            follow_objective.run_if(resource_exists::<ActiveLesson>),
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
}

fn start_lesson(mut commands: Commands, settings: Res<Settings>, current: Res<CurrentRound>) {
    match settings.lesson {
        Some(lesson) => commands.insert_resource(ActiveLesson {
            lesson,
            met_at: None,
            shown: !current.round.planned().is_empty(),
        }),
        None => commands.remove_resource::<ActiveLesson>(),
    }
}

fn follow_objective(
    mut active: ResMut<ActiveLesson>,
    current: Res<CurrentRound>,
    mut progress: Option<ResMut<LessonsDone>>,
    store: Res<ScoreStore>,
    mut toasts: Option<ResMut<Toasts>>,
) {
    let met_at = active.lesson.met(&current.round);
    if met_at == active.met_at {
        return;
    }
    active.met_at = met_at;
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
