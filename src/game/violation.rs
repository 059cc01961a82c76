//! When a checker fires (a broken protocol, in free play or a lesson): the game pauses on that
//! moment and the HUD says which property failed and how (`hud/violation.rs`), with a way to go
//! to the moment in the timeline and the space-time diagram.

use bevy::prelude::*;

use super::sim_step::{Clock, CurrentRound, PublishFrame, RoundStarted};
use super::timeline::Seek;
use crate::sim::{Tick, Violation};

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<ViolationAlarm>().add_systems(
        Update,
        raise
            .after(PublishFrame)
            .run_if(resource_exists::<CurrentRound>),
    );
}

/// The violation the HUD shows, and those already raised this round.
#[derive(Resource, Default, Debug)]
pub struct ViolationAlarm {
    /// The first violation of the round, once caught.
    pub caught: Option<Violation>,
    /// Whether its window is open.
    pub open: bool,
    /// Violations raised this round, by tick and property: going back before one and playing
    /// on catches it again, and that is no news.
    raised: Vec<(Tick, String)>,
}

fn raise(
    mut started: MessageReader<RoundStarted>,
    current: Res<CurrentRound>,
    mut clock: ResMut<Clock>,
    mut alarm: ResMut<ViolationAlarm>,
    mut seeks: MessageWriter<Seek>,
) {
    if started.read().count() > 0 {
        *alarm = ViolationAlarm::default();
    }
    let Some(violation) = current.round.simulation.engine().violations().first() else {
        return;
    };
    let key = (violation.tick, violation.kind.clone());
    if alarm.raised.contains(&key) {
        return;
    }
    alarm.raised.push(key);
    alarm.caught = Some(violation.clone());
    alarm.open = true;
    clock.paused = true;
    // A frame runs several ticks: go back to the very moment it was caught.
    if current.round.now() > violation.tick {
        seeks.write(Seek(violation.tick));
    }
}
