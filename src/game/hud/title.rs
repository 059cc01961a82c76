//! The title screen: choose a protocol, its settings, a seed or a built-in scenario, and start.

use bevy::ecs::system::SystemParam;
use bevy::prelude::*;
use bevy::window::PrimaryWindow;
use bevy_egui::{EguiContexts, EguiPrimaryContextPass, egui};
use egui::RichText;

use super::{GOLD, MUTED, fit_width, fit_zoom};
use crate::game::camera::GameArea;
use crate::game::persist::{BestScores, LessonsDone};
use crate::game::sim_step::next_seed;
use crate::game::{Screen, Settings};
use crate::protocol::Setup;
use crate::protocols;
use crate::scenario::{self, Scenario};
use crate::view::seconds;

pub(super) fn plugin(app: &mut App) {
    app.add_systems(Startup, load_shipped_scenarios)
        .add_systems(
            EguiPrimaryContextPass,
            title_screen.run_if(in_state(Screen::Title)),
        );
}

/// The scenarios that ship with the game, parsed once.
#[derive(Resource, Default)]
struct ShippedScenarios(Vec<Scenario>);

fn load_shipped_scenarios(mut commands: Commands) {
    let scenarios = scenario::shipped().into_iter().map(|(_, s)| s).collect();
    commands.insert_resource(ShippedScenarios(scenarios));
}

#[derive(SystemParam)]
struct TitleScreen<'w, 's> {
    contexts: EguiContexts<'w, 's>,
    window: Option<Single<'w, 's, &'static Window, With<PrimaryWindow>>>,
    settings: ResMut<'w, Settings>,
    shipped: Res<'w, ShippedScenarios>,
    scores: Option<Res<'w, BestScores>>,
    lessons_done: Option<Res<'w, LessonsDone>>,
    area: ResMut<'w, GameArea>,
    next: ResMut<'w, NextState<Screen>>,
}

const FREE_PLAY: &str = "none (free play)";

fn title_screen(mut title: TitleScreen) -> Result {
    let ctx = title.contexts.ctx_mut()?;
    fit_zoom(ctx, title.window.as_deref().copied(), false);
    *title.area = GameArea::default();
    let settings = &mut *title.settings;
    let shipped = &title.shipped.0;
    let scores = title.scores.as_deref();
    let lessons_done = title.lessons_done.as_deref();
    let mut start = ctx.input(|i| i.key_pressed(egui::Key::Enter));
    let mut lesson_chosen = None;
    let mut free_play = |ui: &mut egui::Ui| {
        ui.label(RichText::new("Free play").heading());
        ui.label(settings.setup.mode.pitch());
        ui.add_space(8.0);
        choose_mode(ui, settings);
        settings_grid(ui, &mut settings.setup);
        ui.add_space(4.0);
        choose_scenario(ui, settings, shipped);
        choose_break(ui, &mut settings.setup);
        // A scripted scenario fixes the order of events itself: no network player there.
        if settings.setup.script.is_empty() {
            ui.checkbox(
                &mut settings.setup.network_player,
                "You are the network: deliver every message yourself",
            );
        }
        ui.add_space(6.0);
        if let Some(best) = scores.and_then(|s| s.get(&settings.setup)) {
            ui.label(format!("Best for this setup: {}", seconds(best)));
        }
        if let Some(warning) = scores.and_then(|s| s.warning.clone()) {
            ui.colored_label(GOLD, warning);
        }
        ui.add_space(6.0);
        if ui
            .button(RichText::new("  Start (Enter)  ").size(18.0))
            .clicked()
        {
            start = true;
        }
    };
    let mut lessons = |ui: &mut egui::Ui| lesson_chosen = lesson_path(ui, lessons_done);
    // Side by side where they fit; on a narrow screen (a phone held upright) one above the
    // other, scrolled.
    let screen = ctx.content_rect();
    let narrow = screen.width() < 760.0 || screen.height() < 480.0;
    let window = egui::Window::new("Beat Paxos")
        .collapsible(false)
        .resizable(false);
    if narrow {
        window
            .anchor(egui::Align2::CENTER_TOP, egui::vec2(0.0, 8.0))
            .max_width(fit_width(ctx, 420.0))
            .min_height(screen.height() - 60.0)
            .max_height(screen.height() - 60.0)
            .vscroll(true)
            .show(ctx, |ui| {
                free_play(ui);
                ui.separator();
                lessons(ui);
            });
    } else {
        window
            .anchor(egui::Align2::CENTER_CENTER, egui::vec2(0.0, 0.0))
            .show(ctx, |ui| {
                ui.horizontal_top(|ui| {
                    ui.vertical(|ui| {
                        ui.set_max_width(420.0);
                        free_play(ui);
                    });
                    // Space, not a separator: a vertical one stretches the window to the
                    // screen's height.
                    ui.add_space(24.0);
                    ui.vertical(lessons);
                });
            });
    }
    if let Some(lesson) = lesson_chosen {
        crate::game::lesson::start(settings, lesson);
        title.next.set(Screen::Playing);
    } else if start {
        settings.lesson = None;
        // The seed on screen is the one played; later rounds draw new ones.
        settings.fixed_seed = true;
        title.next.set(Screen::Playing);
    }
    Ok(())
}

/// One button per registered protocol; switching keeps the seed.
fn choose_mode(ui: &mut egui::Ui, settings: &mut Settings) {
    let mut mode = settings.setup.mode;
    ui.horizontal(|ui| {
        ui.label("Mode:");
        for candidate in protocols::modes() {
            ui.selectable_value(&mut mode, candidate, candidate.title());
        }
    });
    if mode != settings.setup.mode {
        let seed = settings.setup.seed;
        settings.setup = Setup::for_mode(mode);
        settings.setup.seed = seed;
        settings.scenario = None;
    }
}

/// A slider for each of the protocol's knobs that has one, and the seed.
fn settings_grid(ui: &mut egui::Ui, setup: &mut Setup) {
    egui::Grid::new("options")
        .num_columns(2)
        .spacing([12.0, 6.0])
        .show(ui, |ui| {
            for knob in setup.mode.knobs() {
                let (Some(range), Some(value)) = (&knob.slider, setup.knobs.get_mut(knob.field))
                else {
                    continue;
                };
                ui.label(knob.label);
                ui.add(egui::Slider::new(value, range.clone()));
                ui.end_row();
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
}

fn choose_scenario(ui: &mut egui::Ui, settings: &mut Settings, shipped: &[Scenario]) {
    let current = settings
        .scenario
        .clone()
        .unwrap_or_else(|| FREE_PLAY.into());
    let mut chosen = None;
    egui::ComboBox::from_label("Scenario")
        .selected_text(current)
        .show_ui(ui, |ui| {
            if ui
                .selectable_label(settings.scenario.is_none(), FREE_PLAY)
                .clicked()
            {
                chosen = Some(None);
            }
            for s in shipped {
                let name = s.name.clone().unwrap_or_default();
                let picked = ui.selectable_label(settings.scenario.as_ref() == Some(&name), &name);
                if picked
                    .on_hover_text(s.description.clone().unwrap_or_default())
                    .clicked()
                {
                    chosen = Some(Some(s));
                }
            }
        });
    match chosen {
        Some(None) => {
            settings.scenario = None;
            settings.setup.actions.clear();
            settings.setup.broken = None;
        }
        Some(Some(s)) => {
            if let Ok(setup) = Setup::from_scenario(s) {
                settings.setup = setup;
                settings.scenario = s.name.clone();
            }
        }
        None => {}
    }
    if let Some(description) = shipped
        .iter()
        .find(|s| s.name.is_some() && s.name == settings.scenario)
        .and_then(|s| s.description.clone())
    {
        ui.label(RichText::new(description).italics().color(MUTED));
    }
}

/// The protocol as it should be, or one of its deliberately broken variants, to see the checker
/// catch what each rule prevents.
fn choose_break(ui: &mut egui::Ui, setup: &mut Setup) {
    let variants = setup.mode.variants();
    if variants.is_empty() {
        return;
    }
    let shown = setup
        .broken
        .map_or_else(|| "correct".to_string(), |name| format!("BROKEN: {name}"));
    egui::ComboBox::from_label("Protocol")
        .selected_text(shown)
        .show_ui(ui, |ui| {
            ui.selectable_value(&mut setup.broken, None, "correct");
            for variant in variants {
                ui.selectable_value(
                    &mut setup.broken,
                    Some(variant.name),
                    format!("BROKEN: {}", variant.name),
                )
                .on_hover_text(variant.what);
            }
        });
    if let Some(variant) = setup.broken.and_then(|name| setup.mode.variant(name)) {
        ui.colored_label(super::BAD, format!("Broken on purpose: {}", variant.what));
    }
}

/// The lessons, protocol by protocol, done ones ticked; the one clicked, if any.
fn lesson_path(
    ui: &mut egui::Ui,
    done: Option<&LessonsDone>,
) -> Option<&'static crate::lesson::Lesson> {
    ui.label(RichText::new("Lessons").heading());
    ui.label(RichText::new("A guided path, from a first decision to breaking Paxos.").color(MUTED));
    let mut chosen = None;
    let mut protocol = None;
    for (number, (mode, lesson)) in crate::lesson::all().enumerate() {
        if protocol != Some(mode) {
            protocol = Some(mode);
            ui.add_space(4.0);
            ui.label(RichText::new(mode.title()).strong());
        }
        let finished = done.is_some_and(|d| d.done.contains(lesson.name));
        ui.horizontal(|ui| {
            let mark = if finished {
                RichText::new("done").color(super::GOOD)
            } else {
                RichText::new("    ").monospace()
            };
            ui.label(mark);
            let button = ui
                .button(format!("{}. {}", number + 1, lesson.title))
                .on_hover_text(lesson.objective);
            if button.clicked() {
                chosen = Some(lesson);
            }
        });
    }
    if let Some(warning) = done.and_then(|d| d.warning.as_deref()) {
        ui.colored_label(GOLD, warning);
    }
    chosen
}
