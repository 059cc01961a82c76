//! The Bevy floor: the game's Bevy and bevy_egui features with one sprite, one label and one egui
//! window instead of the game. egui has no fonts here (the game brings its own), so its text is
//! invisible.
use bevy::prelude::*;
use bevy_egui::{EguiContexts, EguiPlugin, EguiPrimaryContextPass, egui};

fn main() {
    App::new()
        .add_plugins(DefaultPlugins.set(WindowPlugin {
            primary_window: Some(Window {
                canvas: Some("#beat-paxos".into()),
                fit_canvas_to_parent: true,
                ..default()
            }),
            ..default()
        }))
        .add_plugins(EguiPlugin::default())
        .add_systems(Startup, setup)
        .add_systems(EguiPrimaryContextPass, ui)
        .add_systems(Last, signal_ready)
        .run();
}

fn setup(mut commands: Commands) {
    commands.spawn(Camera2d);
    commands.spawn(Sprite::from_color(
        Color::srgb(0.8, 0.2, 0.2),
        Vec2::splat(40.0),
    ));
    commands.spawn((Text2d::new("node 1"), Transform::from_xyz(0.0, 40.0, 0.0)));
}

fn ui(mut contexts: EguiContexts) -> Result {
    egui::Window::new("HUD").show(contexts.ctx_mut()?, |ui| {
        ui.label("tick 0");
        if ui.button("pause").clicked() {}
    });
    Ok(())
}

/// The time of the third frame, for tests/web/bench.mjs: a copy of the game's `signal_ready`
/// (src/game/web.rs), since the floor must not depend on the game it is measured without. Keep
/// the two alike, or the floor and the game are timed to different moments.
fn signal_ready(mut frames: Local<u32>) {
    *frames += 1;
    if *frames != 3 {
        return;
    }
    let Some(window) = web_sys::window() else {
        return;
    };
    let ms = window.performance().map_or(0.0, |p| p.now());
    let _ = js_sys::Reflect::set(&window, &"beatPaxosFirstFrameMs".into(), &ms.into());
    let _ = js_sys::Reflect::set(&window, &"beatPaxosReady".into(), &true.into());
}
