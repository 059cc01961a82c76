//! `--screenshot FILE --exit-after-frames N`: render N frames, save a PNG, exit. In this mode each
//! frame runs exactly one simulation step, so the picture depends on N and the seed, not on how
//! fast the machine renders.

use std::path::PathBuf;

use bevy::prelude::*;
use bevy::render::view::screenshot::{Screenshot, ScreenshotCaptured, save_to_disk};
use bevy::time::TimeUpdateStrategy;

use super::sim_step::CurrentRound;

#[derive(Resource, Clone)]
struct ScreenshotPlan {
    path: PathBuf,
    frames: u32,
}

pub(super) fn plugin(plan: Option<(PathBuf, u32)>) -> impl Fn(&mut App) + Send + Sync + 'static {
    let plan = plan.map(|(path, frames)| ScreenshotPlan { path, frames });
    move |app: &mut App| {
        if let Some(plan) = plan.clone() {
            app.insert_resource(plan)
                .insert_resource(TimeUpdateStrategy::FixedTimesteps(1))
                .add_systems(Last, take_screenshot);
        }
    }
}

fn take_screenshot(
    mut commands: Commands,
    plan: Res<ScreenshotPlan>,
    current: Option<Res<CurrentRound>>,
    mut frames: Local<u32>,
) {
    *frames += 1;
    if *frames != plan.frames {
        return;
    }
    // What the picture shows, for scripts and tests to check against.
    if let Some(current) = current {
        let round = &current.round;
        eprintln!(
            "screenshot: tick {} nodes {} in_flight {} decided {}",
            round.now(),
            round.setup.cluster_size(),
            round.simulation.engine().in_flight_count(),
            round.outcome.is_some()
        );
    }
    let path = plan.path.clone();
    commands
        .spawn(Screenshot::primary_window())
        .observe(save_to_disk(path))
        .observe(
            |_: On<ScreenshotCaptured>, mut exit: MessageWriter<AppExit>| {
                exit.write(AppExit::Success);
            },
        );
}
