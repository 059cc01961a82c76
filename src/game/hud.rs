//! The egui HUD: title screen, top bar, side panel (selected node, live safety checks, event log,
//! cheat sheet, controls), results panel and short messages.

use bevy::prelude::*;
use bevy::window::PrimaryWindow;
use bevy_egui::{EguiContexts, EguiPrimaryContextPass, egui};
use egui::{Color32, RichText};

use super::camera::GameArea;
use super::nodes::Selection;
use super::persist::BestScores;
use super::sim_step::{Clock, CurrentRound, Feedback, PlayerAttack, next_seed};
use super::{Screen, Settings};
use crate::round::{Attack, DROPS_PER_ROUND, FAULT_BUDGET, Round};
use crate::run::Simulation;
use crate::scenario::{self, Mode, Setup};
use crate::sim::Tick;
use crate::view::{self, LogKind, NodeKind, PALETTE};

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<Toasts>()
        .init_resource::<EventLog>()
        .init_resource::<SpreadHistory>()
        .add_systems(Update, (collect_feedback, collect_log, sample_spread))
        .add_systems(
            EguiPrimaryContextPass,
            (
                title_screen.run_if(in_state(Screen::Title)),
                play_hud.run_if(in_state(Screen::Playing).or_else(in_state(Screen::Results))),
                results_window.run_if(in_state(Screen::Results)),
            ),
        );
}

/// Short messages shown at the bottom for a few seconds.
#[derive(Resource, Default)]
pub struct Toasts(pub Vec<(String, f32)>);

/// The colour-coded log in the side panel.
#[derive(Resource, Default)]
pub struct EventLog {
    round: u32,
    cursor: usize,
    pub lines: Vec<view::LogLine>,
}

/// Counter spread (max - min over servers) over time, for the plot.
#[derive(Resource, Default)]
pub struct SpreadHistory {
    round: u32,
    pub samples: Vec<(Tick, u64)>,
}

const LOG_LINES_KEPT: usize = 400;

fn collect_feedback(
    mut feedback: MessageReader<Feedback>,
    mut toasts: ResMut<Toasts>,
    time: Res<Time>,
) {
    for Feedback(text) in feedback.read() {
        toasts.0.push((text.clone(), 4.0));
    }
    let dt = time.delta_secs();
    toasts.0.iter_mut().for_each(|(_, left)| *left -= dt);
    toasts.0.retain(|(_, left)| *left > 0.0);
    if toasts.0.len() > 4 {
        toasts.0.remove(0);
    }
}

fn collect_log(current: Option<Res<CurrentRound>>, mut log: ResMut<EventLog>) {
    let Some(current) = current else { return };
    if log.round != current.number {
        *log = EventLog {
            round: current.number,
            ..default()
        };
    }
    let simulation = &current.round.simulation;
    let lines = view::log_lines(simulation, &current.round.setup, log.cursor);
    log.cursor = simulation.trace_len();
    log.lines.extend(lines);
    let excess = log.lines.len().saturating_sub(LOG_LINES_KEPT);
    log.lines.drain(..excess);
}

fn sample_spread(current: Option<Res<CurrentRound>>, mut history: ResMut<SpreadHistory>) {
    let Some(current) = current else { return };
    let Simulation::EcCounter(sim) = &current.round.simulation else {
        return;
    };
    if history.round != current.number {
        *history = SpreadHistory {
            round: current.number,
            ..default()
        };
    }
    let now = sim.now();
    if history.samples.last().is_none_or(|(t, _)| now >= t + 20) {
        history.samples.push((now, sim.checker().spread()));
    }
}

fn palette(index: usize) -> Color32 {
    let [r, g, b] = PALETTE[index % PALETTE.len()];
    Color32::from_rgb(r, g, b)
}

const GOOD: Color32 = Color32::from_rgb(110, 220, 120);
const BAD: Color32 = Color32::from_rgb(255, 90, 80);
const GOLD: Color32 = Color32::from_rgb(255, 210, 60);
const MUTED: Color32 = Color32::from_rgb(160, 165, 175);

pub fn seconds(ticks: Tick) -> String {
    format!("{:.2} s", ticks as f64 / 1000.0)
}

/// Text size follows the window, so panels stay readable from 1280x720 to 1920x1080 and beyond.
fn fit_zoom(ctx: &egui::Context, window: Option<&Window>) {
    let height = window.map_or(720.0, |w| w.height());
    let zoom = (height / 720.0 * 1.15).clamp(1.0, 1.8);
    if (ctx.zoom_factor() - zoom).abs() > 0.01 {
        ctx.set_zoom_factor(zoom);
    }
}

fn root_ui(ctx: &egui::Context) -> egui::Ui {
    egui::Ui::new(
        ctx.clone(),
        "root".into(),
        egui::UiBuilder::new()
            .layer_id(egui::LayerId::background())
            .max_rect(ctx.viewport_rect()),
    )
}

fn title_screen(
    mut contexts: EguiContexts,
    window: Option<Single<&Window, With<PrimaryWindow>>>,
    mut settings: ResMut<Settings>,
    scores: Option<Res<BestScores>>,
    mut area: ResMut<GameArea>,
    mut next: ResMut<NextState<Screen>>,
) -> Result {
    let ctx = contexts.ctx_mut()?;
    fit_zoom(ctx, window.as_deref().copied());
    *area = GameArea::default();
    let mut start = ctx.input(|i| i.key_pressed(egui::Key::Enter));
    egui::Window::new("Beat Paxos")
        .anchor(egui::Align2::CENTER_CENTER, egui::vec2(0.0, 0.0))
        .collapsible(false)
        .resizable(false)
        .show(ctx, |ui| {
            ui.label(
                "A cluster tries to agree on one value. Attack it: kill nodes, slow them, cut links, drop \
                 messages. The longer it takes to decide, the higher your score. What you can never do is \
                 make two nodes decide differently.",
            );
            ui.add_space(8.0);
            let setup = &mut settings.setup;
            let mut mode = setup.mode;
            ui.horizontal(|ui| {
                ui.label("Mode:");
                ui.selectable_value(&mut mode, Mode::Paxos, "Beat Paxos");
                ui.selectable_value(&mut mode, Mode::EcCounter, "ec-counter");
            });
            if mode != setup.mode {
                let seed = setup.seed;
                *setup = Setup::for_mode(mode);
                setup.seed = seed;
                settings.scenario = None;
            }
            let setup = &mut settings.setup;
            egui::Grid::new("options").num_columns(2).spacing([12.0, 6.0]).show(ui, |ui| {
                match setup.mode {
                    Mode::Paxos => {
                        ui.label("Nodes");
                        ui.add(egui::Slider::new(&mut setup.nodes, scenario::PAXOS_NODES));
                        ui.end_row();
                    }
                    Mode::EcCounter => {
                        ui.label("Servers");
                        ui.add(egui::Slider::new(&mut setup.ec.servers, scenario::EC_SERVERS));
                        ui.end_row();
                        ui.label("Clients");
                        ui.add(egui::Slider::new(&mut setup.ec.clients, scenario::EC_CLIENTS));
                        ui.end_row();
                        ui.label("Requests per client");
                        ui.add(egui::Slider::new(&mut setup.ec.requests, 1..=300));
                        ui.end_row();
                        ui.label("Sync period (ms)");
                        ui.add(egui::Slider::new(&mut setup.ec_timing.sync_period, 20..=1000));
                        ui.end_row();
                    }
                }
                ui.label("Seed");
                ui.horizontal(|ui| {
                    ui.add(egui::DragValue::new(&mut setup.seed).range(0..=999_999));
                    if ui.button("new").clicked() {
                        setup.seed = next_seed(setup.seed);
                    }
                });
                ui.end_row();
            });
            ui.add_space(4.0);
            let shipped = scenario::shipped();
            let current = settings.scenario.clone().unwrap_or_else(|| "none (free play)".into());
            let mut chosen = None;
            egui::ComboBox::from_label("Scenario").selected_text(current).show_ui(ui, |ui| {
                if ui.selectable_label(settings.scenario.is_none(), "none (free play)").clicked() {
                    chosen = Some(None);
                }
                for (_, s) in &shipped {
                    let name = s.name.clone().unwrap_or_default();
                    let picked = ui.selectable_label(settings.scenario.as_ref() == Some(&name), &name);
                    if picked.on_hover_text(s.description.clone().unwrap_or_default()).clicked() {
                        chosen = Some(Some(s.clone()));
                    }
                }
            });
            match chosen {
                Some(None) => {
                    settings.scenario = None;
                    settings.setup.actions.clear();
                    settings.setup.broken = scenario::Broken::None;
                }
                Some(Some(s)) => {
                    if let Ok(setup) = Setup::from_scenario(&s) {
                        settings.setup = setup;
                        settings.scenario = s.name.clone();
                    }
                }
                None => {}
            }
            if let Some(description) = shipped
                .iter()
                .find(|(_, s)| s.name.is_some() && s.name == settings.scenario)
                .and_then(|(_, s)| s.description.clone())
            {
                ui.label(RichText::new(description).italics().color(MUTED));
            }
            ui.add_space(6.0);
            if let Some(best) = scores.as_ref().and_then(|s| s.get(&settings.setup)) {
                ui.label(format!("Best for this setup: {}", seconds(best)));
            }
            if let Some(warning) = scores.as_ref().and_then(|s| s.warning.clone()) {
                ui.colored_label(GOLD, warning);
            }
            ui.add_space(6.0);
            if ui.button(RichText::new("  Start (Enter)  ").size(18.0)).clicked() {
                start = true;
            }
        });
    if start {
        settings.fixed_seed = true; // the seed on screen is the one played; later rounds draw new ones
        next.set(Screen::Playing);
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn play_hud(
    mut contexts: EguiContexts,
    window: Option<Single<&Window, With<PrimaryWindow>>>,
    current: Option<Res<CurrentRound>>,
    mut clock: ResMut<Clock>,
    mut selection: ResMut<Selection>,
    scores: Option<Res<BestScores>>,
    log: Res<EventLog>,
    spread: Res<SpreadHistory>,
    toasts: Res<Toasts>,
    mut area: ResMut<GameArea>,
    mut attacks: MessageWriter<PlayerAttack>,
    mut next: ResMut<NextState<Screen>>,
    mut settings: ResMut<Settings>,
) -> Result {
    let ctx = contexts.ctx_mut()?;
    fit_zoom(ctx, window.as_deref().copied());
    let Some(current) = current else {
        return Ok(());
    };
    let round = &current.round;
    let mut root = root_ui(ctx);
    egui::Panel::top("top").show(&mut root, |ui| {
        ui.horizontal_wrapped(|ui| {
            ui.heading(RichText::new("Beat Paxos").strong());
            ui.separator();
            let mode = match round.setup.mode {
                Mode::Paxos => format!("Paxos, {} nodes", round.setup.nodes),
                Mode::EcCounter => format!(
                    "ec-counter, {}x{}",
                    round.setup.ec.servers, round.setup.ec.clients
                ),
            };
            ui.label(mode);
            ui.label(format!(
                "round {}  seed {}",
                current.number, round.setup.seed
            ));
            ui.separator();
            let score = round.outcome.as_ref().map_or(round.now(), |o| o.score);
            let label = if round.setup.mode == Mode::Paxos {
                "time"
            } else {
                "sim time"
            };
            ui.label(
                RichText::new(format!("{label} {}", seconds(score)))
                    .strong()
                    .color(GOLD),
            );
            if let Some(best) = scores.as_ref().and_then(|s| s.get(&round.setup)) {
                ui.label(format!("best {}", seconds(best)));
            }
            ui.label(format!("budget {}/{FAULT_BUDGET}", round.budget_left));
            ui.label(format!("drops {}/{DROPS_PER_ROUND}", round.drops_left));
            ui.separator();
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
            if ui.button("restart").on_hover_text("R").clicked() {
                next.set(Screen::Playing);
            }
            if ui.button("menu").clicked() {
                settings.fixed_seed = false;
                next.set(Screen::Title);
            }
        });
    });
    egui::Panel::right("side")
        .default_size(330.0)
        .min_size(260.0)
        .max_size(480.0)
        .resizable(true)
        .show(&mut root, |ui| {
            egui::ScrollArea::vertical().show(ui, |ui| {
                selected_node(ui, round, &mut selection, &mut attacks);
                cluster_actions(ui, round, &mut attacks);
                ui.separator();
                safety(ui, round, &spread);
                ui.separator();
                event_log(ui, &log);
                ui.separator();
                cheat_sheet(ui, round.setup.mode);
                controls(ui);
            });
        });
    let free = root.available_rect_before_wrap();
    let zoom = ctx.zoom_factor();
    *area = GameArea {
        min: Vec2::new(free.min.x, free.min.y) * zoom,
        max: Vec2::new(free.max.x, free.max.y) * zoom,
    };
    if !toasts.0.is_empty() {
        egui::Area::new("toasts".into())
            .anchor(egui::Align2::CENTER_BOTTOM, egui::vec2(-170.0, -16.0))
            .show(ctx, |ui| {
                egui::Frame::popup(ui.style()).show(ui, |ui| {
                    for (text, _) in &toasts.0 {
                        ui.colored_label(GOLD, text);
                    }
                });
            });
    }
    Ok(())
}

fn selected_node(
    ui: &mut egui::Ui,
    round: &Round,
    selection: &mut Selection,
    attacks: &mut MessageWriter<PlayerAttack>,
) {
    let views = view::nodes(&round.simulation, &round.setup);
    let Some(node) = selection.node.and_then(|n| views.get(n)) else {
        ui.label(RichText::new("Click a node or press its number to select it.").color(MUTED));
        return;
    };
    ui.horizontal(|ui| {
        ui.label(
            RichText::new(format!("{} ({})", node.title, node.mark))
                .strong()
                .color(palette(node.colour)),
        );
        if ui
            .small_button("x")
            .on_hover_text("deselect (Esc)")
            .clicked()
        {
            selection.node = None;
        }
    });
    let badge = super::nodes::badge(node);
    if !badge.is_empty() {
        ui.label(RichText::new(badge).color(GOLD));
    }
    if let Some(value) = node.value {
        ui.label(format!("value {value}"));
    }
    for line in node.status.iter().filter(|l| !l.is_empty()) {
        ui.monospace(line);
    }
    if round.outcome.is_some() || node.kind == NodeKind::Client {
        return;
    }
    ui.horizontal_wrapped(|ui| {
        let id = node.id;
        if ui
            .button(if node.down { "recover (K)" } else { "kill (K)" })
            .clicked()
        {
            attacks.write(PlayerAttack(Attack::ToggleDown(id)));
        }
        if ui
            .button(if node.slow > 1 {
                "unslow (S)"
            } else {
                "slow (S)"
            })
            .clicked()
        {
            attacks.write(PlayerAttack(Attack::Slow(id, node.slow <= 1)));
        }
        if ui.button("isolate (I)").clicked() {
            attacks.write(PlayerAttack(Attack::Isolate(id)));
        }
        if ui.button("drop next (D)").clicked() {
            attacks.write(PlayerAttack(Attack::DropNext(id)));
        }
    });
}

/// Attacks on the whole cluster rather than one node.
fn cluster_actions(ui: &mut egui::Ui, round: &Round, attacks: &mut MessageWriter<PlayerAttack>) {
    if round.outcome.is_some() {
        return;
    }
    ui.horizontal_wrapped(|ui| {
        if ui.button("heal network (H)").clicked() {
            attacks.write(PlayerAttack(Attack::HealAll));
        }
        if let Simulation::EcCounter(sim) = &round.simulation {
            let paused = sim
                .actors()
                .iter()
                .filter_map(|n| n.as_client())
                .any(|c| c.paused);
            let label = if paused {
                "resume clients (P)"
            } else {
                "pause clients (P)"
            };
            if ui
                .button(label)
                .on_hover_text("only server syncs run while clients are paused")
                .clicked()
            {
                attacks.write(PlayerAttack(Attack::PauseClients(!paused)));
            }
        }
    });
}

fn check_line(ui: &mut egui::Ui, ok: bool, text: impl Into<String>) {
    let (mark, colour) = if ok { ("OK", GOOD) } else { ("FAILED", BAD) };
    ui.horizontal_wrapped(|ui| {
        ui.label(RichText::new(mark).strong().color(colour));
        ui.add(egui::Label::new(text.into()).wrap());
    });
}

fn safety(ui: &mut egui::Ui, round: &Round, spread: &SpreadHistory) {
    let violations = round.simulation.violations();
    match &round.simulation {
        Simulation::Paxos(sim) => {
            ui.label(RichText::new("Safety (checked at every step)").strong());
            let checker = sim.checker();
            let agreement = !violations.iter().any(|v| v.kind == "agreement");
            check_line(ui, agreement, format!("Agreement: {}", checker.verdict()));
            check_line(
                ui,
                !violations.iter().any(|v| v.kind == "validity"),
                "Validity: only proposed values are decided",
            );
            let chosen = match checker.chosen {
                Some((ballot, value)) => format!(
                    "Chosen: {} (majority at ballot {ballot})",
                    crate::protocols::node_name(value)
                ),
                None => "Chosen: nothing yet".into(),
            };
            check_line(
                ui,
                !violations.iter().any(|v| v.kind == "stability"),
                chosen,
            );
            let decided: Vec<String> = checker
                .decisions
                .iter()
                .map(|(n, v)| {
                    format!(
                        "{}={}",
                        crate::protocols::node_letter(*n),
                        crate::protocols::node_letter(*v)
                    )
                })
                .collect();
            if !decided.is_empty() {
                ui.label(RichText::new(format!("decisions: {}", decided.join(" "))).color(MUTED));
            }
        }
        Simulation::EcCounter(sim) => {
            ui.label(RichText::new("Live checks").strong());
            let checker = sim.checker();
            check_line(
                ui,
                !violations.iter().any(|v| v.kind == "monotonicity"),
                "server values never decrease",
            );
            check_line(
                ui,
                !violations.iter().any(|v| v.kind == "stale-read"),
                "gets return at least what was acknowledged",
            );
            let done = format!(
                "clients done {}/{}",
                checker.clients_done, round.setup.ec.clients
            );
            let converged = match checker.converged_at {
                Some(t) => format!(
                    "converged at t={} on {}",
                    seconds(t),
                    checker.max_acknowledged
                ),
                None => format!("not converged: spread {} ({done})", checker.spread()),
            };
            ui.label(
                RichText::new(converged).color(if checker.converged_at.is_some() {
                    GOOD
                } else {
                    GOLD
                }),
            );
            ui.label(format!(
                "largest acknowledged set: {}",
                checker.max_acknowledged
            ));
            spread_plot(ui, spread);
        }
    }
    for v in violations.iter().take(3) {
        ui.colored_label(
            BAD,
            format!("t={} {}: {}", seconds(v.tick), v.kind, v.detail),
        );
    }
    if round.setup.broken != scenario::Broken::None {
        ui.colored_label(
            BAD,
            format!(
                "This cluster runs a BROKEN protocol: {}",
                round.setup.broken.name().unwrap_or("?")
            ),
        );
    }
}

fn spread_plot(ui: &mut egui::Ui, history: &SpreadHistory) {
    ui.label(RichText::new("spread (max - min) over time").color(MUTED));
    let (response, painter) =
        ui.allocate_painter(egui::vec2(ui.available_width(), 70.0), egui::Sense::hover());
    let rect = response.rect;
    painter.rect_stroke(
        rect,
        2.0,
        egui::Stroke::new(1.0, Color32::from_gray(80)),
        egui::StrokeKind::Inside,
    );
    let (Some(first), Some(last)) = (history.samples.first(), history.samples.last()) else {
        return;
    };
    let top = history
        .samples
        .iter()
        .map(|(_, s)| *s)
        .max()
        .unwrap_or(1)
        .max(1) as f32;
    let span = (last.0 - first.0).max(1) as f32;
    let points: Vec<egui::Pos2> = history
        .samples
        .iter()
        .map(|(t, s)| {
            egui::pos2(
                egui::remap((t - first.0) as f32, 0.0..=span, rect.left()..=rect.right()),
                egui::remap(*s as f32, 0.0..=top, rect.bottom() - 2.0..=rect.top() + 2.0),
            )
        })
        .collect();
    painter.line(points, egui::Stroke::new(1.5, GOLD));
    painter.text(
        rect.left_top() + egui::vec2(4.0, 2.0),
        egui::Align2::LEFT_TOP,
        format!("{}", top as u64),
        egui::FontId::monospace(10.0),
        MUTED,
    );
}

fn event_log(ui: &mut egui::Ui, log: &EventLog) {
    ui.label(RichText::new("Events").strong());
    egui::ScrollArea::vertical()
        .id_salt("log")
        .max_height(220.0)
        .stick_to_bottom(true)
        .show(ui, |ui| {
            for line in &log.lines {
                let colour = match line.kind {
                    LogKind::Violation => BAD,
                    LogKind::Player => GOLD,
                    LogKind::Fault => Color32::from_rgb(255, 150, 90),
                    LogKind::Protocol => line.node.map_or(MUTED, palette),
                };
                ui.label(
                    RichText::new(format!("{:>6}  {}", seconds(line.tick), line.text))
                        .monospace()
                        .size(11.0)
                        .color(colour),
                );
            }
        });
}

fn cheat_sheet(ui: &mut egui::Ui, mode: Mode) {
    let rows: &[(&str, &str)] = match mode {
        Mode::Paxos => &[
            (
                "p1a",
                "prepare: a leader asks every node to promise its ballot",
            ),
            (
                "p1b",
                "promise: \"I'll ignore lower ballots; here's what I accepted\"",
            ),
            (
                "p2a",
                "accept: the leader asks to accept a value (the highest already accepted, else its own)",
            ),
            (
                "p2b",
                "accepted: a vote; a majority of votes means the value is chosen",
            ),
            ("decide", "the leader tells everyone the chosen value"),
            ("nack", "refusal: a higher ballot was promised"),
        ],
        Mode::EcCounter => &[
            ("get", "a client asks its server for the value"),
            (
                "set(v)",
                "applied only if v is larger than the server's value",
            ),
            ("reply(v)", "the server's value after the request"),
            ("sync(v)", "servers gossip their value; the larger wins"),
        ],
    };
    egui::CollapsingHeader::new(RichText::new("Cheat sheet").strong())
        .default_open(true)
        .show(ui, |ui| {
            if mode == Mode::Paxos {
                ui.label(
                    RichText::new(
                        "Messages take the colour of the leader whose ballot they carry.",
                    )
                    .color(MUTED),
                );
            }
            egui::Grid::new("cheat").num_columns(2).show(ui, |ui| {
                for (kind, meaning) in rows {
                    ui.monospace(*kind);
                    ui.add(egui::Label::new(*meaning).wrap());
                    ui.end_row();
                }
            });
        });
}

fn controls(ui: &mut egui::Ui) {
    egui::CollapsingHeader::new(RichText::new("Controls").strong())
        .default_open(true)
        .show(ui, |ui| {
            egui::Grid::new("keys").num_columns(2).show(ui, |ui| {
                for (keys, what) in [
                    ("double-click / double-tap", "kill or recover a node"),
                    ("press and hold", "slow a node while held"),
                    ("drag node to node", "cut their link (heals by itself)"),
                    ("click a message", "drop it"),
                    ("1-9", "select a node"),
                    ("K / S / D / I", "kill-recover / slow / drop next / isolate"),
                    ("C then 1-9", "cut the link to that node"),
                    ("H", "heal the network"),
                    ("P", "pause clients (ec-counter)"),
                    ("Space / . / + -", "pause / step / speed"),
                    ("R, Enter", "restart, next round"),
                ] {
                    ui.monospace(keys);
                    ui.add(egui::Label::new(what).wrap());
                    ui.end_row();
                }
            });
        });
}

fn results_window(
    mut contexts: EguiContexts,
    area: Res<GameArea>,
    current: Option<Res<CurrentRound>>,
    scores: Option<Res<BestScores>>,
    mut next: ResMut<NextState<Screen>>,
    mut settings: ResMut<Settings>,
) -> Result {
    let ctx = contexts.ctx_mut()?;
    let Some(current) = current else {
        return Ok(());
    };
    let round = &current.round;
    let Some(outcome) = &round.outcome else {
        return Ok(());
    };
    let title = match round.setup.mode {
        Mode::Paxos => "Decided",
        Mode::EcCounter => "Converged",
    };
    // Centred on the cluster's area, not on the window, so the side panel stays visible.
    let zoom = ctx.zoom_factor();
    let screen = ctx.viewport_rect().center();
    let centre = (area.min + area.max) / (2.0 * zoom);
    let offset = egui::vec2(centre.x - screen.x, centre.y - screen.y);
    egui::Window::new(title)
        .anchor(egui::Align2::CENTER_CENTER, offset)
        .max_width(460.0)
        .collapsible(false)
        .resizable(false)
        .show(ctx, |ui| {
            let violations = round.simulation.violations();
            match &round.simulation {
                Simulation::Paxos(sim) => {
                    let checker = sim.checker();
                    if let Some(value) = checker.decisions.values().next() {
                        ui.label(
                            RichText::new(format!("The cluster decided {}", crate::protocols::node_name(*value).to_uppercase()))
                                .size(22.0)
                                .color(palette(*value)),
                        );
                    }
                    ui.label(format!("after {} of simulated time, {} ballot(s) started", seconds(outcome.tick), checker.ballots_started));
                    let verdict = checker.verdict();
                    if violations.is_empty() {
                        ui.label(RichText::new(format!("Safety held: {verdict}.")).strong().color(GOOD));
                        ui.label(
                            "Why: any two majorities share a node. A new leader's phase 1 hears from a majority, so it \
                             learns any value a majority may already have accepted, and must propose that value \
                             instead of its own.",
                        );
                    } else {
                        ui.label(RichText::new(format!("Safety BROKEN: {}", violations[0].detail)).strong().color(BAD));
                        ui.label("This cluster ran a deliberately broken protocol; the checker caught it.");
                    }
                }
                Simulation::EcCounter(sim) => {
                    let checker = sim.checker();
                    ui.label(RichText::new(format!("All servers hold {}", checker.max_acknowledged)).size(22.0));
                    ui.label(format!("final values {:?}, largest write {}", checker.values, checker.max_acknowledged));
                    ui.label(format!("converged at t={}, {} after the last client request", seconds(outcome.tick), seconds(outcome.score)));
                    if violations.is_empty() {
                        ui.label(RichText::new("Every check held.").strong().color(GOOD));
                    }
                    ui.label(
                        "Why: a sync can only raise a server's value, and never above the largest value written. \
                         Once the network heals, every server hears the maximum within one sync period, and no \
                         server ever lets go of it.",
                    );
                }
            }
            ui.separator();
            ui.label(RichText::new(format!("Score: {}", seconds(outcome.score))).size(20.0).color(GOLD));
            if let Some(scores) = &scores {
                if scores.new_record {
                    ui.label(RichText::new("New best!").strong().color(GOLD));
                } else if let Some(best) = scores.get(&round.setup) {
                    ui.label(format!("best {}", seconds(best)));
                }
            }
            let spent = FAULT_BUDGET - round.budget_left;
            ui.label(format!("Your moves: {} (fault budget spent {spent}/{FAULT_BUDGET})", round.moves.len()));
            egui::ScrollArea::vertical().max_height(120.0).show(ui, |ui| {
                for m in &round.moves {
                    ui.monospace(format!("{:>7}  {:?}", seconds(m.tick), m.attack));
                }
            });
            ui.horizontal(|ui| {
                if ui.button("Next round (Enter)").clicked() {
                    next.set(Screen::Playing);
                }
                if ui.button("Title screen").clicked() {
                    settings.fixed_seed = false;
                    next.set(Screen::Title);
                }
            });
        });
    Ok(())
}
