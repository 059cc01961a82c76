//! Short messages at the bottom of the play screen for a few seconds: refusals, hints, notices.

use bevy::prelude::*;
use bevy_egui::{EguiContexts, EguiPrimaryContextPass, egui};

use super::{GOLD, HudSet};
use crate::game::Screen;
use crate::game::camera::GameArea;
use crate::game::sim_step::Feedback;

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<Toasts>()
        .add_systems(Update, collect_feedback)
        .add_systems(
            EguiPrimaryContextPass,
            show.in_set(HudSet::Windows)
                .run_if(in_state(Screen::Playing).or_else(in_state(Screen::Results))),
        );
}

/// The messages shown, with the seconds each has left.
#[derive(Resource, Default)]
pub struct Toasts(pub Vec<(String, f32)>);

const TOAST_SECONDS: f32 = 4.0;
const TOASTS_SHOWN: usize = 4;

fn collect_feedback(
    mut feedback: MessageReader<Feedback>,
    mut toasts: ResMut<Toasts>,
    time: Res<Time>,
) {
    for Feedback(text) in feedback.read() {
        toasts.0.push((text.clone(), TOAST_SECONDS));
    }
    let dt = time.delta_secs();
    toasts.0.iter_mut().for_each(|(_, left)| *left -= dt);
    toasts.0.retain(|(_, left)| *left > 0.0);
    if toasts.0.len() > TOASTS_SHOWN {
        toasts.0.remove(0);
    }
}

/// Centred at the bottom of the game area, clear of the side panel and the diagram.
fn show(mut contexts: EguiContexts, toasts: Res<Toasts>, area: Res<GameArea>) -> Result {
    if toasts.0.is_empty() {
        return Ok(());
    }
    let ctx = contexts.ctx_mut()?;
    let zoom = ctx.zoom_factor();
    let bottom = egui::pos2(
        (area.min.x + area.max.x) / (2.0 * zoom),
        area.max.y / zoom - 12.0,
    );
    // Never wider than the cluster's area: long toasts wrap rather than cover the side panel.
    let width = ((area.max.x - area.min.x) / zoom - 40.0).max(160.0);
    egui::Area::new("toasts".into())
        .pivot(egui::Align2::CENTER_BOTTOM)
        .fixed_pos(bottom)
        .show(ctx, |ui| {
            egui::Frame::popup(ui.style()).show(ui, |ui| {
                ui.set_max_width(width);
                for (text, _) in &toasts.0 {
                    ui.add(egui::Label::new(egui::RichText::new(text).color(GOLD)).wrap());
                }
            });
        });
    Ok(())
}
