//! The Bevy front end: thin views over the simulation core. One plugin per concern, each in its
//! own file; none of them decides protocol behaviour, they only draw the core's state and turn
//! input into [`Attack`](crate::round::Attack)s.

pub mod camera;
pub mod hud;
pub mod input;
pub mod messages;
pub mod nodes;
pub mod persist;
pub mod screenshot;
pub mod sim_step;

use bevy::prelude::*;
use bevy::window::WindowResolution;

use crate::cli::{CliError, GameArgs};
use crate::scenario::{Mode, Setup};
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
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            setup: Setup::for_mode(Mode::Paxos),
            scenario: None,
            fixed_seed: false,
        }
    }
}

/// Everything except rendering, windowing and egui: what the headless tests run.
pub fn logic_plugins(app: &mut App) {
    app.init_state::<Screen>()
        .init_resource::<Settings>()
        .add_plugins((
            sim_step::plugin,
            nodes::plugin,
            messages::plugin,
            input::plugin,
            persist::plugin,
        ));
}

/// Runs the game in a window until it is closed.
pub fn run(args: &GameArgs) -> Result<(), CliError> {
    let (settings, start_playing) = settings_from_args(args)?;
    let (width, height) = args.window.unwrap_or((1280, 720));
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
    app.add_plugins((camera::plugin, hud::plugin, screenshot::plugin(args)));
    app.insert_resource(settings)
        .insert_resource(persist::ScoresFile(persist::scores_path()));
    if start_playing {
        app.insert_resource(sim_step::StartImmediately);
    }
    if let Some(speed) = &args.speed {
        app.insert_resource(sim_step::Clock::at_speed(speed).map_err(CliError)?);
    }
    match app.run() {
        AppExit::Success => Ok(()),
        AppExit::Error(code) => Err(CliError(format!("the game exited with code {code}"))),
    }
}

/// Settings from the command line; a mode, seed, size or scenario given there starts a round
/// straight away.
fn settings_from_args(args: &GameArgs) -> Result<(Settings, bool), CliError> {
    let cluster = &args.cluster;
    let given = cluster.mode.is_some()
        || cluster.nodes.is_some()
        || cluster.seed.is_some()
        || cluster.scenario.is_some()
        || cluster.clients.is_some();
    let setup = cluster.setup()?;
    let scenario = match &cluster.scenario {
        Some(path) => crate::scenario::Scenario::load(path)
            .ok()
            .and_then(|(s, _)| s.name),
        None => None,
    };
    let fixed_seed = cluster.seed.is_some() || cluster.scenario.is_some();
    Ok((
        Settings {
            setup,
            scenario,
            fixed_seed,
        },
        given,
    ))
}

/// A node's colour from the shared palette.
pub fn node_colour(index: usize) -> Color {
    let [r, g, b] = PALETTE[index % PALETTE.len()];
    Color::srgb_u8(r, g, b)
}
