//! The results window once the cluster decided (or converged): the outcome, the safety verdict
//! and why it held, the score, the player's moves, and the way to the next round.

use bevy::ecs::system::SystemParam;
use bevy::prelude::*;
use bevy_egui::{EguiContexts, EguiPrimaryContextPass, egui};
use egui::RichText;

use super::{BAD, GOLD, GOOD, HudSet, fit_width, palette};
use crate::game::camera::GameArea;
use crate::game::persist::BestScores;
use crate::game::share;
use crate::game::sim_step::{CurrentRound, Feedback};
use crate::game::{Screen, Settings};
use crate::round::attack_text;
use crate::view::seconds;

pub(super) fn plugin(app: &mut App) {
    app.add_systems(
        EguiPrimaryContextPass,
        results_window
            .in_set(HudSet::Windows)
            .run_if(in_state(Screen::Results).and_then(resource_exists::<CurrentRound>)),
    );
}

#[derive(SystemParam)]
struct Results<'w, 's> {
    contexts: EguiContexts<'w, 's>,
    area: Res<'w, GameArea>,
    current: Res<'w, CurrentRound>,
    scores: Option<Res<'w, BestScores>>,
    next: ResMut<'w, NextState<Screen>>,
    settings: ResMut<'w, Settings>,
    feedback: MessageWriter<'w, Feedback>,
}

fn results_window(mut results: Results) -> Result {
    let ctx = results.contexts.ctx_mut()?;
    let round = &results.current.round;
    let Some(outcome) = &round.outcome else {
        return Ok(());
    };
    let view = round.simulation.engine().results(&round.setup, outcome);
    // Centred on the cluster's area, not on the window, so the side panel stays visible.
    let zoom = ctx.zoom_factor();
    let screen = ctx.viewport_rect().center();
    let area = *results.area;
    let centre = (area.min + area.max) / (2.0 * zoom);
    let offset = egui::vec2(centre.x - screen.x, centre.y - screen.y);
    let (next, settings) = (&mut results.next, &mut results.settings);
    let feedback = &mut results.feedback;
    let scores = results.scores.as_deref();
    egui::Window::new(view.title)
        .anchor(egui::Align2::CENTER_CENTER, offset)
        .max_width(fit_width(ctx, 460.0))
        .collapsible(false)
        .resizable(false)
        .show(ctx, |ui| {
            if !view.headline.is_empty() {
                let mut headline = RichText::new(&view.headline).size(22.0);
                if let Some(colour) = view.headline_colour {
                    headline = headline.color(palette(colour));
                }
                ui.label(headline);
            }
            for line in &view.lines {
                ui.label(line);
            }
            if let Some((held, verdict)) = &view.verdict {
                let colour = if *held { GOOD } else { BAD };
                ui.label(RichText::new(verdict).strong().color(colour));
            }
            ui.label(view.why);
            ui.separator();
            if round.setup.network_player {
                // The network player set the clock itself: a delay is not a score here.
                ui.label(network_moves(round, outcome.tick));
            } else {
                ui.label(match outcome.left_alone {
                    Some(alone) => format!(
                        "With your moves the cluster won at {}; left alone, at {}.",
                        seconds(outcome.tick),
                        seconds(alone)
                    ),
                    None => format!(
                        "With your moves the cluster won at {}; left alone, it never does.",
                        seconds(outcome.tick)
                    ),
                });
                ui.label(
                    RichText::new(format!(
                        "Score: {} of delay you caused",
                        seconds(outcome.score)
                    ))
                    .size(20.0)
                    .color(GOLD),
                );
                if outcome.score == 0 {
                    ui.label("No delay, no points: attack the cluster to hold it off.");
                } else if round.replayed() {
                    ui.label("A replay: its score is not kept.");
                } else if let Some(scores) = scores {
                    if scores.new_record {
                        ui.label(RichText::new("New best!").strong().color(GOLD));
                    } else if let Some(best) = scores.get(&round.setup) {
                        ui.label(format!("best {}", seconds(best)));
                    }
                }
            }
            let budget = round.setup.budget;
            let spent = budget - round.budget_left;
            ui.label(format!(
                "Your moves: {} (fault budget spent {spent}/{budget})",
                round.moves.len()
            ));
            egui::ScrollArea::vertical()
                .max_height(120.0)
                .show(ui, |ui| {
                    for m in &round.moves {
                        let text = attack_text(&m.attack, &round.setup);
                        ui.monospace(format!("{:>7}  {text}", seconds(m.tick)));
                    }
                });
            ui.horizontal(|ui| {
                // The network player's Enter delivers messages: R starts its next round.
                let next_key = if round.setup.network_player {
                    "Next round (R)"
                } else {
                    "Next round (Enter)"
                };
                if ui.button(next_key).clicked() {
                    next.set(Screen::Playing);
                }
                if ui.button("Title screen").clicked() {
                    settings.fixed_seed = false;
                    next.set(Screen::Title);
                }
            });
            ui.horizontal(|ui| {
                if ui.button("Copy link to this round").clicked() {
                    feedback.write(Feedback(share::copy_link(round)));
                }
                if ui.button("Save replay").clicked() {
                    feedback.write(Feedback(share::save_replay(round)));
                }
            });
            ui.label(
                egui::RichText::new("Drag the timeline (top) or click the diagram to go back.")
                    .small(),
            );
        });
    Ok(())
}

/// What the network player did in a round, in one sentence: its moves by kind.
fn network_moves(round: &crate::round::Round, won_at: crate::sim::Tick) -> String {
    use crate::round::Attack;
    let count = |kind: fn(&Attack) -> bool| round.moves.iter().filter(|m| kind(&m.attack)).count();
    let delivered = count(|a| matches!(a, Attack::Deliver(_)));
    let copies = count(|a| matches!(a, Attack::DeliverCopy(_)));
    let dropped = count(|a| matches!(a, Attack::Drop(_)));
    let fired = count(|a| matches!(a, Attack::Fire(..)));
    let plural =
        |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    format!(
        "You were the network: the cluster got there at {}, after you delivered {}, copied {}, \
         dropped {} and fired {}. No score: the network sets the clock. \"Can this still \
         break?\" tells whether any other order could break it from here.",
        seconds(won_at),
        plural(delivered, "message", "messages"),
        plural(copies, "message", "messages"),
        plural(dropped, "message", "messages"),
        plural(fired, "timer", "timers"),
    )
}
