//! The Bevy front end: thin views over the simulation core. One plugin per concern, each in its
//! own file; none of them decides protocol behaviour, they only draw the core's state and turn
//! input into [`Attack`](crate::round::Attack)s.

pub mod camera;
pub mod classroom;
pub mod hud;
pub mod input;
pub mod labels;
pub mod lesson;
pub mod messages;
pub mod nodes;
pub mod persist;
pub mod screenshot;
pub mod share;
pub mod sim_step;
pub mod timeline;
pub mod violation;
#[cfg(target_arch = "wasm32")]
pub mod web;
#[cfg(target_arch = "wasm32")]
mod web_lean;

use bevy::prelude::*;
use bevy::window::WindowResolution;

use crate::protocol::Setup;
use crate::scenario::default_mode;
use crate::view::PALETTE;

/// The screens of the game.
#[derive(States, Default, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Screen {
    #[default]
    Title,
    Playing,
    /// The round is decided; the cluster keeps animating behind the results panel.
    Results,
}

/// What the next round will be: chosen on the title screen, or given on the command line.
#[derive(Resource, Clone, Debug, PartialEq)]
pub struct Settings {
    pub setup: Setup,
    /// The scenario's name, if one is loaded.
    pub scenario: Option<String>,
    /// A new seed each round (from the title screen) or always the same one (from a link or flag).
    pub fixed_seed: bool,
    /// Moves the next round plays back (a replay file or a shared link), once.
    pub plan: Vec<crate::round::PlannedMove>,
    /// The lesson being played, if any (its setup is `setup`).
    pub lesson: Option<&'static crate::lesson::Lesson>,
    /// The free-play setup from before the lesson, given back when the player leaves it.
    pub free_play: Option<Setup>,
}

impl Settings {
    /// Leaves the lesson, if one is being played: free play gets the player's own setup back
    /// (a correct protocol, unless they had chosen a broken one themselves).
    pub fn leave_lesson(&mut self) {
        if self.lesson.take().is_some() {
            self.setup = self
                .free_play
                .take()
                .unwrap_or_else(|| Setup::for_mode(self.setup.mode));
            self.scenario = None;
            self.plan.clear();
        }
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            setup: Setup::for_mode(default_mode()),
            scenario: None,
            fixed_seed: false,
            plan: Vec::new(),
            lesson: None,
            free_play: None,
        }
    }
}

/// Everything except rendering, windowing and egui: what the headless tests run.
pub fn logic_plugins(app: &mut App) {
    app.init_state::<Screen>()
        .init_resource::<Settings>()
        .init_resource::<camera::PixelSize>()
        .add_plugins((
            sim_step::plugin,
            timeline::plugin,
            nodes::plugin,
            messages::plugin,
            input::plugin,
            persist::plugin,
            lesson::plugin,
            violation::plugin,
            classroom::plugin,
            labels::plugin,
        ));
}

/// How to start the game: from the command line natively, from the URL on the web.
#[derive(Clone, Debug, Default)]
pub struct Launch {
    pub settings: Settings,
    /// Skip the title screen and start a round.
    pub start_playing: bool,
    pub clock: Option<sim_step::Clock>,
    pub window: Option<(u32, u32)>,
    /// `--screenshot FILE --exit-after-frames N`.
    pub screenshot: Option<(std::path::PathBuf, u32)>,
    pub scores: persist::ScoreStore,
    /// Said to the player when the game opens (e.g. a link parameter that was ignored).
    pub notices: Vec<String>,
    /// Open in classroom mode (`--present`, `&present=1`).
    pub present: bool,
}

/// Runs the game in a window until it is closed (on the web: starts it and returns).
pub fn run(launch: Launch) -> AppExit {
    let (width, height) = launch.window.unwrap_or((1280, 720));
    let mut app = App::new();
    app.insert_resource(ClearColor(Color::srgb(0.07, 0.08, 0.10)))
        .add_plugins(DefaultPlugins.set(WindowPlugin {
            primary_window: Some(Window {
                title: "Beat Paxos".into(),
                resolution: WindowResolution::new(width, height),
                canvas: Some("#beat-paxos".into()),
                fit_canvas_to_parent: true,
                ..default()
            }),
            ..default()
        }))
        .add_plugins(bevy_egui::EguiPlugin::default());
    logic_plugins(&mut app);
    app.add_plugins((
        camera::plugin,
        hud::plugin,
        screenshot::plugin(launch.screenshot.clone()),
    ));
    #[cfg(target_arch = "wasm32")]
    app.add_plugins((web::plugin, web_lean::plugin));
    app.insert_resource(launch.settings)
        .insert_resource(launch.scores)
        .insert_resource(classroom::Classroom(launch.present));
    if launch.start_playing {
        app.insert_resource(sim_step::StartImmediately);
    }
    if let Some(clock) = launch.clock {
        app.insert_resource(clock);
    }
    if !launch.notices.is_empty() {
        app.insert_resource(hud::Toasts(
            launch.notices.into_iter().map(|n| (n, 10.0)).collect(),
        ));
    }
    app.run()
}

/// A node's colour from the shared palette.
pub fn node_colour(index: usize) -> Color {
    let [r, g, b] = PALETTE[index % PALETTE.len()];
    Color::srgb_u8(r, g, b)
}
