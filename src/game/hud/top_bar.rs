//! The top bar: what is being played, the time or score, the budget, and the clock controls.

use bevy::ecs::system::SystemParam;
use bevy::prelude::*;
use bevy_egui::egui;
use egui::RichText;

use super::GOLD;
use crate::game::classroom::Classroom;
use crate::game::persist::BestScores;
use crate::game::share;
use crate::game::sim_step::{Clock, CurrentRound, Feedback};
use crate::game::timeline::{DiagramShown, Seek};
use crate::game::{Screen, Settings};
use crate::round::{DROPS_PER_ROUND, DUPLICATES_PER_ROUND, Round};
use crate::view::seconds;

#[derive(SystemParam)]
pub(super) struct TopBar<'w, 's> {
    pub current: Res<'w, CurrentRound>,
    clock: ResMut<'w, Clock>,
    scores: Option<Res<'w, BestScores>>,
    pub next: ResMut<'w, NextState<Screen>>,
    pub settings: ResMut<'w, Settings>,
    feedback: MessageWriter<'w, Feedback>,
    pub classroom: ResMut<'w, Classroom>,
    pub diagram: ResMut<'w, DiagramShown>,
    /// On a narrow screen (a phone held upright) the side panel is folded away until asked for.
    pub side_panel: Local<'s, bool>,
}

/// The timeline: jump to the start, one event back, and a slider over the round so far.
/// `slider_width` in points: shorter in classroom mode, whose larger type leaves less room.
fn timeline(ui: &mut egui::Ui, round: &Round, seeks: &mut MessageWriter<Seek>, slider_width: f32) {
    if ui
        .button("|<")
        .on_hover_text("back to the start (Home)")
        .clicked()
    {
        seeks.write(Seek(0));
    }
    if ui
        .button("<")
        .on_hover_text("one event back (Left)")
        .clicked()
        && let Some(tick) = round.previous_moment()
    {
        seeks.write(Seek(tick));
    }
    let now = round.now();
    let mut moment = now;
    let frontier = round.frontier().max(now).max(1);
    ui.spacing_mut().slider_width = slider_width;
    let slider = egui::Slider::new(&mut moment, 0..=frontier)
        .show_value(false)
        .trailing_fill(true);
    let response = ui.add(slider).on_hover_text(format!(
        "drag to go back to any moment of the round so far ({})",
        seconds(frontier)
    ));
    if response.changed() && moment != now {
        seeks.write(Seek(moment));
    }
}

/// `narrow`: the screen is too narrow for the side panel beside the cluster; a button then
/// unfolds it.
pub(super) fn show(
    ui: &mut egui::Ui,
    bar: &mut TopBar,
    seeks: &mut MessageWriter<Seek>,
    narrow: bool,
) {
    let round = &bar.current.round;
    let mode = round.setup.mode;
    // Classroom mode's larger type keeps to one line at 1280x720: what a class needs to follow
    // the round, without the seed, the best score and the drop and copy counts.
    let classroom = bar.classroom.0;
    ui.horizontal_wrapped(|ui| {
        ui.heading(RichText::new("Beat Paxos").strong());
        ui.separator();
        ui.label(mode.label(&round.setup));
        if !classroom {
            ui.label(format!(
                "round {}  seed {}",
                bar.current.number, round.setup.seed
            ));
        }
        ui.separator();
        ui.label(format!("t {}", seconds(round.now())));
        if round.setup.network_player {
            // The network player sets the clock: no delay to score.
            ui.label(RichText::new("you are the network").strong().color(GOLD));
            ui.label(format!("moves {}", round.moves.len()));
        } else {
            let alone = match round.left_alone() {
                Some(tick) => format!("left alone, the cluster wins at {}", seconds(tick)),
                None => "left alone, the cluster never wins this round".to_string(),
            };
            ui.label(
                RichText::new(format!("delay {}", seconds(round.score_so_far())))
                    .strong()
                    .color(GOLD),
            )
            .on_hover_text(format!(
                "Your score: how much later than left alone the cluster wins ({alone})."
            ));
            if let Some(best) = bar.scores.as_ref().and_then(|s| s.get(&round.setup))
                && !classroom
            {
                ui.label(format!("best {}", seconds(best)));
            }
        }
        ui.label(format!(
            "budget {}/{}",
            round.budget_left, round.setup.budget
        ));
        if !classroom {
            ui.label(format!("drops {}/{DROPS_PER_ROUND}", round.drops_left));
            ui.label(format!(
                "dups {}/{DUPLICATES_PER_ROUND}",
                round.duplicates_left
            ));
        }
        ui.separator();
        // While the network player holds the network, time moves only with its moves: no clock
        // to run, slow or step.
        if !round.network_held() {
            clock_controls(ui, &mut bar.clock);
            ui.separator();
        }
        timeline(ui, round, seeks, if classroom { 50.0 } else { 80.0 });
        ui.separator();
        // One menu for the round: starting over, sharing it, leaving it.
        ui.menu_button("menu", |ui| {
            if ui.button("restart with a new round (R)").clicked() {
                bar.next.set(Screen::Playing);
                ui.close();
            }
            let classroom = ("leave classroom mode (V)", "classroom mode (V)");
            menu_toggle(ui, &mut bar.classroom.0, classroom);
            let diagram = (
                "hide the space-time diagram (T)",
                "show the space-time diagram (T)",
            );
            menu_toggle(ui, &mut bar.diagram.0, diagram);
            if ui.button("copy link to this round").clicked() {
                bar.feedback.write(Feedback(share::copy_link(round)));
                ui.close();
            }
            if ui.button("save replay").clicked() {
                bar.feedback.write(Feedback(share::save_replay(round)));
                ui.close();
            }
            if ui.button("title screen").clicked() {
                bar.settings.fixed_seed = false;
                bar.next.set(Screen::Title);
                ui.close();
            }
        });
        if narrow {
            let label = if *bar.side_panel { "cluster" } else { "panel" };
            if ui
                .button(label)
                .on_hover_text("the checks, the log and the cheat sheet")
                .clicked()
            {
                *bar.side_panel = !*bar.side_panel;
            }
        }
    });
}

/// Slower, the speed, faster, pause or resume, and one step.
fn clock_controls(ui: &mut egui::Ui, clock: &mut Clock) {
    if ui.button("-").on_hover_text("slower (-)").clicked() {
        clock.slower();
    }
    ui.label(clock.label());
    if ui.button("+").on_hover_text("faster (+)").clicked() {
        clock.faster();
    }
    let pause = if clock.paused { "resume" } else { "pause" };
    if ui.button(pause).on_hover_text("Space").clicked() {
        clock.paused = !clock.paused;
    }
    if ui
        .button("step")
        .on_hover_text("advance to the next event (.)")
        .clicked()
    {
        clock.paused = true;
        clock.step = true;
    }
}

/// A menu item that turns `on` off or on, worded `(when on, when off)`.
fn menu_toggle(ui: &mut egui::Ui, on: &mut bool, (when_on, when_off): (&str, &str)) {
    if ui.button(if *on { when_on } else { when_off }).clicked() {
        *on = !*on;
        ui.close();
    }
}
