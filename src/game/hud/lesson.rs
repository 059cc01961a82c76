//! The lesson panel, at the top of the side panel during a lesson: what to look at, the
//! objective and whether it is met, a hint after a while, and the way on.

use bevy::ecs::system::SystemParam;
use bevy::prelude::*;
use bevy_egui::egui;
use egui::RichText;

use super::{BAD, GOLD, GOOD, MUTED};
use crate::game::lesson::ActiveLesson;
use crate::game::sim_step::CurrentRound;
use crate::game::{Screen, Settings};
use crate::lesson;
use crate::view::seconds;

#[derive(SystemParam)]
pub(super) struct LessonPanel<'w> {
    active: Option<Res<'w, ActiveLesson>>,
    current: Res<'w, CurrentRound>,
}

/// Whether there is a lesson to show.
pub(super) fn active(panel: &LessonPanel) -> bool {
    panel.active.is_some()
}

/// The panel; its buttons start rounds through `settings` and `next` (the top bar's).
pub(super) fn show(
    ui: &mut egui::Ui,
    panel: &LessonPanel,
    settings: &mut Settings,
    next: &mut NextState<Screen>,
) {
    let Some(active) = panel.active.as_deref() else {
        return;
    };
    let lesson = active.lesson;
    let round = &panel.current.round;
    ui.label(
        RichText::new(format!("Lesson: {}", lesson.title))
            .heading()
            .color(GOLD),
    );
    ui.add(egui::Label::new(lesson.text).wrap());
    ui.add_space(4.0);
    // A round that can no longer meet the objective: decided (and closed to moves) or finished.
    let over =
        (round.outcome.is_some() && !round.setup.keep_playing) || round.simulation.finished();
    match active.met_at {
        Some(tick) => {
            ui.horizontal_wrapped(|ui| {
                ui.label(RichText::new("DONE").strong().color(GOOD));
                ui.label(format!("{} (at {})", lesson.objective, seconds(tick)));
            });
            ui.add(egui::Label::new(RichText::new(lesson.done).color(GOOD)).wrap());
        }
        None => {
            ui.horizontal_wrapped(|ui| {
                ui.label(RichText::new("GOAL").strong().color(GOLD));
                ui.add(egui::Label::new(lesson.objective).wrap());
            });
            if active.shown {
                ui.label(
                    RichText::new("Showing a solution: its moves play by themselves.").color(MUTED),
                );
            }
            if over {
                ui.label(
                    RichText::new("The round has moved past it this time: try again.").color(BAD),
                );
            }
            if over || round.now() >= lesson.hint_after {
                ui.add(
                    egui::Label::new(RichText::new(format!("Hint: {}", lesson.hint)).color(MUTED))
                        .wrap(),
                );
            }
        }
    }
    ui.horizontal_wrapped(|ui| {
        if ui.button("try again").clicked() {
            start(settings, lesson);
            next.set(Screen::Playing);
        }
        if active.met_at.is_none() && !active.shown && ui.button("show me").clicked() {
            start(settings, lesson);
            settings.plan = lesson.recording().map(|r| r.moves).unwrap_or_default();
            next.set(Screen::Playing);
        }
        if let Some(following) = lesson::next(lesson).filter(|_| active.met_at.is_some()) {
            let label = RichText::new(format!("next: {}", following.title)).strong();
            if ui.button(label).clicked() {
                start(settings, following);
                next.set(Screen::Playing);
            }
        }
        if ui.button("all lessons").clicked() {
            settings.lesson = None;
            next.set(Screen::Title);
        }
    });
}

/// Sets the next round to be `lesson`'s.
pub(super) fn start(settings: &mut Settings, lesson: &'static lesson::Lesson) {
    match lesson.setup() {
        Ok(setup) => {
            settings.setup = setup;
            settings.scenario = None;
            settings.fixed_seed = true;
            settings.plan.clear();
            settings.lesson = Some(lesson);
        }
        Err(problem) => warn!("{problem}"),
    }
}
