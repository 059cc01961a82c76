//! A broken protocol, shown: the "BROKEN PROTOCOL" badge over the cluster whenever the round runs
//! a broken variant, and the window a caught violation opens: which property failed, which nodes
//! disagree (the checker's own words), when, what the broken rule was, and a way to go to that
//! moment.

use bevy::ecs::system::SystemParam;
use bevy::prelude::*;
use bevy_egui::{EguiContexts, EguiPrimaryContextPass, egui};
use egui::RichText;

use super::{BAD, HudSet, fit_width};
use crate::game::Screen;
use crate::game::camera::GameArea;
use crate::game::sim_step::{Clock, CurrentRound};
use crate::game::timeline::{DiagramShown, Seek};
use crate::game::violation::ViolationAlarm;
use crate::view::seconds;

pub(super) fn plugin(app: &mut App) {
    app.add_systems(
        EguiPrimaryContextPass,
        (violation_window, broken_badge)
            .in_set(HudSet::Windows)
            .run_if(
                resource_exists::<CurrentRound>
                    .and_then(in_state(Screen::Playing).or_else(in_state(Screen::Results))),
            ),
    );
}

#[derive(SystemParam)]
struct ViolationWindow<'w, 's> {
    contexts: EguiContexts<'w, 's>,
    area: Res<'w, GameArea>,
    current: Res<'w, CurrentRound>,
    alarm: ResMut<'w, ViolationAlarm>,
    clock: ResMut<'w, Clock>,
    diagram: ResMut<'w, DiagramShown>,
    seeks: MessageWriter<'w, Seek>,
}

fn violation_window(mut window: ViolationWindow) -> Result {
    let ctx = window.contexts.ctx_mut()?;
    let (Some(violation), true) = (window.alarm.caught.clone(), window.alarm.open) else {
        return Ok(());
    };
    let setup = &window.current.round.setup;
    let broken = setup
        .broken
        .and_then(|name| setup.mode.variant(name))
        .map(|variant| format!("The broken rule: {} ({}).", variant.what, variant.name));
    let zoom = ctx.zoom_factor();
    let corner = window.area.min / zoom + Vec2::splat(12.0);
    let mut open = true;
    egui::Window::new(RichText::new("Safety broken").color(BAD).strong())
        .id(egui::Id::new("violation"))
        .fixed_pos(egui::pos2(corner.x, corner.y))
        .max_width(fit_width(ctx, 380.0))
        .collapsible(false)
        .resizable(false)
        .show(ctx, |ui| {
            ui.label(
                RichText::new(format!("The {} check failed", violation.kind))
                    .size(18.0)
                    .color(BAD),
            );
            ui.label(format!(
                "at t={}: {}",
                seconds(violation.tick),
                violation.detail
            ));
            if let Some(broken) = &broken {
                ui.label(broken);
            }
            ui.label("The game paused there. The checker watches every step of every run.");
            ui.horizontal(|ui| {
                if ui
                    .button(format!("Go to t={}", seconds(violation.tick)))
                    .on_hover_text("the timeline and the space-time diagram move to that moment")
                    .clicked()
                {
                    window.seeks.write(Seek(violation.tick));
                    window.diagram.0 = true;
                }
                if ui.button("Keep watching").clicked() {
                    window.clock.paused = false;
                    open = false;
                }
                if ui.button("Close").clicked() {
                    open = false;
                }
            });
        });
    window.alarm.open = open;
    Ok(())
}

/// Top right of the cluster's area, in the checks' red: this is not the real protocol.
fn broken_badge(
    mut contexts: EguiContexts,
    area: Res<GameArea>,
    current: Res<CurrentRound>,
) -> Result {
    let setup = &current.round.setup;
    let Some(name) = setup.broken else {
        return Ok(());
    };
    let ctx = contexts.ctx_mut()?;
    let zoom = ctx.zoom_factor();
    let what = setup.mode.variant(name).map_or("", |v| v.what);
    egui::Area::new(egui::Id::new("broken-badge"))
        .pivot(egui::Align2::RIGHT_TOP)
        .fixed_pos(egui::pos2(
            area.max.x / zoom - 10.0,
            area.min.y / zoom + 10.0,
        ))
        .show(ctx, |ui| {
            egui::Frame::new()
                .fill(BAD)
                .corner_radius(4.0)
                .inner_margin(egui::Margin::symmetric(8, 4))
                .show(ui, |ui| {
                    ui.label(
                        RichText::new(format!("BROKEN PROTOCOL: {name}"))
                            .strong()
                            .color(egui::Color32::WHITE),
                    )
                    .on_hover_text(what);
                });
        });
    Ok(())
}
