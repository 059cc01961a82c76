//! The egui HUD, one module per panel: the title screen, the top bar, the side panel's sections
//! (node inspector, live checks, event log, cheat sheet and controls), the results window and
//! the toasts. This file lays the play screen out and holds the shared style.

mod caption;
mod checks;
mod diagram;
mod help;
mod inspector;
mod lesson;
mod log;
mod network;
mod results;
mod title;
pub mod toasts;
mod top_bar;
mod violation;

use bevy::ecs::system::SystemParam;
use bevy::prelude::*;
use bevy::window::PrimaryWindow;
use bevy_egui::{EguiContexts, EguiPrimaryContextPass, egui};
use egui::{Color32, RichText};

use super::Screen;
use super::camera::GameArea;
use super::sim_step::CurrentRound;
use super::timeline::Seek;
use crate::view::{CheckLine, CheckStatus, PALETTE};

pub use network::ask as ask_checker;
pub use toasts::Toasts;

pub(super) fn plugin(app: &mut App) {
    app.add_plugins((
        title::plugin,
        checks::plugin,
        diagram::plugin,
        log::plugin,
        results::plugin,
        toasts::plugin,
        violation::plugin,
    ))
    .init_resource::<network::CheckerAnswer>()
    .add_systems(
        EguiPrimaryContextPass,
        play_screen.in_set(HudSet::Panels).run_if(
            resource_exists::<CurrentRound>
                .and_then(in_state(Screen::Playing).or_else(in_state(Screen::Results))),
        ),
    )
    .configure_sets(
        EguiPrimaryContextPass,
        (HudSet::Panels, HudSet::Windows).chain(),
    );
}

/// Below this width (egui points) the side panel folds away: a phone held upright.
const NARROW_WIDTH: f32 = 560.0;

/// Panels first (they decide the game area), then the windows placed over it.
#[derive(SystemSet, Debug, Clone, PartialEq, Eq, Hash)]
enum HudSet {
    Panels,
    Windows,
}

const GOOD: Color32 = Color32::from_rgb(110, 220, 120);
const BAD: Color32 = Color32::from_rgb(255, 90, 80);
/// Lost messages (`view::LOST_COLOUR`): a grey no node wears.
const LOST: Color32 = {
    let [r, g, b] = crate::view::LOST_COLOUR;
    Color32::from_rgb(r, g, b)
};
const GOLD: Color32 = Color32::from_rgb(255, 210, 60);
const MUTED: Color32 = Color32::from_rgb(160, 165, 175);

/// A window's width: `wanted`, or the screen's width less a margin on a screen narrower than that.
fn fit_width(ctx: &egui::Context, wanted: f32) -> f32 {
    wanted.min(ctx.content_rect().width() - 24.0).max(120.0)
}

/// Classroom mode's table of node state, at the HUD's (projector) size: the lines under each
/// node on the cluster are what a class most needs to read, and there they are small.
fn node_states(ui: &mut egui::Ui, nodes: &[crate::view::NodeView]) {
    ui.label(RichText::new("Nodes").strong());
    // Counter clients (drawn light) are many and say little: the servers only.
    for node in nodes.iter().filter(|node| !node.light) {
        let lines: Vec<&str> = node
            .status
            .iter()
            .map(String::as_str)
            .filter(|line| !line.is_empty())
            .collect();
        let state = if node.down {
            "down".to_string()
        } else {
            lines.join(" · ")
        };
        ui.horizontal_wrapped(|ui| {
            ui.label(
                RichText::new(&node.title)
                    .strong()
                    .color(palette(node.colour)),
            );
            ui.label(state);
        });
    }
}

fn palette(index: usize) -> Color32 {
    let [r, g, b] = PALETTE[index % PALETTE.len()];
    Color32::from_rgb(r, g, b)
}

/// Text size follows the window, so panels stay readable from 1280x720 to 1920x1080 and beyond;
/// classroom mode makes it larger still, for a projector. A window narrower than it is tall (a
/// phone or tablet held upright) grows the text by its width, not its height, so the top bar
/// does not wrap into the cluster's room.
fn fit_zoom(ctx: &egui::Context, window: Option<&Window>, classroom: bool) {
    let (width, height) = window.map_or((1280.0, 720.0), |w| (w.width(), w.height()));
    let scale = if classroom {
        crate::game::classroom::HUD_SCALE
    } else {
        1.0
    };
    let zoom = ((height / 720.0).min(width / 1000.0) * 1.15).clamp(1.0, 1.8) * scale;
    if (ctx.zoom_factor() - zoom).abs() > 0.01 {
        ctx.set_zoom_factor(zoom);
    }
}

/// One line of the live checks: OK / FAILED marks for properties, colour for progress.
fn check_line(ui: &mut egui::Ui, line: &CheckLine) {
    let mark = match line.status {
        CheckStatus::Holds => Some(("OK", GOOD)),
        CheckStatus::Failed => Some(("FAILED", BAD)),
        CheckStatus::Waiting | CheckStatus::Reached | CheckStatus::Info => None,
    };
    match (mark, line.status) {
        (Some((mark, colour)), _) => {
            ui.horizontal_wrapped(|ui| {
                ui.label(RichText::new(mark).strong().color(colour));
                ui.add(egui::Label::new(line.text.as_str()).wrap());
            });
        }
        (None, CheckStatus::Waiting) => {
            ui.label(RichText::new(&line.text).color(GOLD));
        }
        (None, CheckStatus::Reached) => {
            ui.label(RichText::new(&line.text).color(GOOD));
        }
        (None, _) => {
            ui.label(RichText::new(&line.text).color(MUTED));
        }
    }
}

/// What laying out the play screen needs.
#[derive(SystemParam)]
struct PlayScreen<'w, 's> {
    contexts: EguiContexts<'w, 's>,
    window: Option<Single<'w, 's, &'static Window, With<PrimaryWindow>>>,
    area: ResMut<'w, GameArea>,
    top_bar: top_bar::TopBar<'w, 's>,
    inspector: inspector::Inspector<'w>,
    checks: checks::LiveChecks<'w>,
    log: Res<'w, log::EventLog>,
    diagram: diagram::DiagramPanel<'w>,
    seeks: MessageWriter<'w, Seek>,
    lesson: lesson::LessonPanel<'w>,
    network: network::NetworkPanel<'w>,
    frame: Res<'w, crate::game::sim_step::Frame>,
}

/// The play screen: the top bar and the side panel, and the game area they leave.
fn play_screen(mut hud: PlayScreen) -> Result {
    let ctx = hud.contexts.ctx_mut()?;
    let classroom = hud.top_bar.classroom.0;
    fit_zoom(ctx, hud.window.as_deref().copied(), classroom);
    let mut root = egui::Ui::new(
        ctx.clone(),
        "root".into(),
        egui::UiBuilder::new()
            .layer_id(egui::LayerId::background())
            .max_rect(ctx.viewport_rect()),
    );
    // A phone held upright has no room for the side panel beside the cluster: it folds away,
    // and the top bar's "panel" button swaps one for the other.
    let narrow = ctx.content_rect().width() < NARROW_WIDTH;
    egui::Panel::top("top").show(&mut root, |ui| {
        top_bar::show(ui, &mut hud.top_bar, &mut hud.seeks, narrow)
    });
    let mode = hud.top_bar.current.round.setup.mode;
    if hud.top_bar.diagram.0 {
        let height = ctx.content_rect().height();
        // Upright, the cluster has only the window's width: the diagram may not take its height.
        let most = if narrow { 0.3 } else { 0.7 };
        egui::Panel::bottom("diagram")
            .default_size(height * 0.3)
            .min_size(90.0)
            .max_size(height * most)
            .resizable(true)
            .show(&mut root, |ui| {
                diagram::show(ui, &mut hud.diagram, &mut hud.seeks)
            });
    } else {
        hud.diagram.hover.in_diagram = None;
    }
    let side_panel = !narrow || *hud.top_bar.side_panel;
    // In classroom mode the side panel keeps the essentials: the lesson, and the live checks
    // with what the outlines mean.
    let (id, width) = match (narrow, classroom) {
        // Folded out on a narrow screen, it takes the whole width.
        (true, _) => ("side-narrow", ctx.content_rect().width()),
        (false, true) => ("side-classroom", 330.0),
        (false, false) => ("side", 330.0),
    };
    let panel = egui::Panel::right(id)
        .default_size(width)
        .min_size(width.min(260.0))
        .max_size(width.max(480.0))
        .resizable(!narrow);
    if side_panel {
        panel.show(&mut root, |ui| {
            // A new round (a lesson opened, or tried again) starts with its text at the top.
            let round = hud.top_bar.current.number;
            egui::ScrollArea::vertical()
                .id_salt(("side", round))
                .show(ui, |ui| {
                    if lesson::active(&hud.lesson) {
                        lesson::show(ui, &mut hud.lesson);
                        ui.separator();
                    }
                    // The network player's choices come first: every move of the round is one.
                    if network::active(&hud.network) {
                        let inspector = &mut hud.inspector;
                        network::show(
                            ui,
                            &mut hud.network,
                            &mut inspector.attacks,
                            &inspector.selection,
                            classroom,
                        );
                        ui.separator();
                    }
                    if classroom {
                        node_states(ui, &hud.frame.nodes);
                        ui.separator();
                        checks::show(ui, &hud.checks);
                        return;
                    }
                    inspector::show(ui, &mut hud.inspector);
                    ui.separator();
                    checks::show(ui, &hud.checks);
                    ui.separator();
                    log::show(ui, &hud.log, &mut hud.diagram.hover);
                    ui.separator();
                    help::show(ui, mode.cheat_sheet(), network::active(&hud.network));
                });
        });
    }
    if classroom {
        egui::Panel::bottom("caption").show(&mut root, |ui| {
            caption::show(ui, hud.frame.caption.as_ref())
        });
    }
    // The keys are the game's. A clicked button keeps egui's focus, and Space or Enter would
    // press it again (Space on the play button undid the pause the same key made): only a text
    // field may keep the keyboard.
    if !ctx.text_edit_focused()
        && let Some(focused) = ctx.memory(|memory| memory.focused())
    {
        ctx.memory_mut(|memory| memory.surrender_focus(focused));
    }
    let free = root.available_rect_before_wrap();
    let zoom = ctx.zoom_factor();
    *hud.area = GameArea {
        min: Vec2::new(free.min.x, free.min.y) * zoom,
        max: Vec2::new(free.max.x, free.max.y) * zoom,
    };
    Ok(())
}
