//! The lesson panel, at the top of the side panel during a lesson: what to look at, the
//! objective and whether it is met, a hint after a while, and the way on.

use bevy::ecs::system::SystemParam;
use bevy::prelude::*;
use bevy_egui::egui;
use egui::RichText;

use super::{BAD, GOLD, GOOD, MUTED};
use crate::game::lesson::{ActiveLesson, LessonAction};
use crate::game::sim_step::CurrentRound;
use crate::lesson;
use crate::view::seconds;

#[derive(SystemParam)]
pub(super) struct LessonPanel<'w> {
    active: Option<Res<'w, ActiveLesson>>,
    current: Res<'w, CurrentRound>,
    actions: MessageWriter<'w, LessonAction>,
}

/// Whether there is a lesson to show.
pub(super) fn active(panel: &LessonPanel) -> bool {
    panel.active.is_some()
}

/// The panel; its buttons say what they want as [`LessonAction`]s.
pub(super) fn show(ui: &mut egui::Ui, panel: &mut LessonPanel) {
    let Some(active) = panel.active.as_deref() else {
        return;
    };
    let actions = &mut panel.actions;
    let lesson = active.lesson;
    let round = &panel.current.round;
    ui.label(
        RichText::new(format!("Lesson: {}", lesson.title))
            .heading()
            .color(GOLD),
    );
    // The buttons first: text below them grows and shrinks as the round runs (a hint, a
    // pause), and a button that moves between press and release is not clicked.
    ui.horizontal_wrapped(|ui| {
        if ui.button("try again").clicked() {
            actions.write(LessonAction::TryAgain);
        }
        if ui.button("all lessons").clicked() {
            actions.write(LessonAction::AllLessons);
        }
        if active.met_at.is_none() && !active.shown && ui.button("show me").clicked() {
            actions.write(LessonAction::ShowMe);
        }
        if let Some(following) = lesson::next(lesson).filter(|_| active.met_at.is_some()) {
            let label = RichText::new(format!("next: {}", following.title)).strong();
            if ui.button(label).clicked() {
                actions.write(LessonAction::Next);
            }
        }
    });
    ui.add_space(4.0);
    ui.add(egui::Label::new(lesson.text).wrap());
    ui.add_space(4.0);
    if let Some(words) = &active.paused_for {
        egui::Frame::group(ui.style())
            .stroke(egui::Stroke::new(1.5, GOLD))
            .show(ui, |ui| {
                ui.label(RichText::new("PAUSED FOR YOU").strong().color(GOLD));
                ui.add(egui::Label::new(RichText::new(words).strong()).wrap());
                ui.label(
                    RichText::new("Space (or resume) plays on; . (or step) steps.").color(MUTED),
                );
            });
        ui.add_space(4.0);
    }
    // A round that can no longer meet the objective: decided (and closed to moves) or finished.
    let over = (round.outcome.is_some() && !round.setup.keep_playing)
        || round.simulation.engine().finished();
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
}
