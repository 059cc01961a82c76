//! Time travel: seeking the round to any moment (the top bar's slider, a click in the space-time
//! diagram, the arrow and Home keys, the web API), and what the views share to highlight the same
//! message everywhere. The core rebuilds the exact state at the moment asked; the views start over
//! from the rebuilt trace (see [`Frame::rewound`](super::sim_step::Frame::rewound)).

use bevy::prelude::*;

use super::Screen;
use super::sim_step::{Clock, CurrentRound, Frame, PublishFrame, ReadInput};
use crate::sim::{MsgId, Tick};

pub(super) fn plugin(app: &mut App) {
    app.add_message::<Seek>()
        .init_resource::<Hover>()
        .init_resource::<DiagramShown>()
        .add_systems(
            Update,
            (
                timeline_keys.in_set(ReadInput),
                apply_seeks.after(ReadInput).before(PublishFrame),
            )
                .run_if(
                    resource_exists::<CurrentRound>
                        .and_then(in_state(Screen::Playing).or_else(in_state(Screen::Results))),
                ),
        );
}

/// Move the round to this tick: its exact state then, with the later moves kept (they play
/// again unless the player makes a new move, which forks the round there).
#[derive(Message, Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seek(pub Tick);

/// What the pointer is over, so the diagram, the sprites and the log highlight the same thing.
#[derive(Resource, Default, Debug, Clone, PartialEq)]
pub struct Hover {
    /// A message hovered in the diagram.
    pub in_diagram: Option<MsgId>,
    /// A message whose log line is hovered.
    pub in_log: Option<MsgId>,
    /// A message sprite under the pointer in the game area.
    pub in_game: Option<MsgId>,
    /// A moment hovered in the log.
    pub tick: Option<Tick>,
}

impl Hover {
    pub fn message(&self) -> Option<MsgId> {
        self.in_diagram.or(self.in_log).or(self.in_game)
    }
}

/// Whether the space-time diagram is shown (`T` toggles it).
#[derive(Resource, Debug, Clone, Copy, PartialEq, Eq)]
pub struct DiagramShown(pub bool);

impl Default for DiagramShown {
    fn default() -> Self {
        DiagramShown(true)
    }
}

/// `T` shows or hides the diagram; Left (or `,`) steps one event back, Home goes to the start.
/// Stepping forward is `.` (or Right), like single-stepping.
fn timeline_keys(
    keys: Res<ButtonInput<KeyCode>>,
    current: Res<CurrentRound>,
    mut shown: ResMut<DiagramShown>,
    mut clock: ResMut<Clock>,
    mut seeks: MessageWriter<Seek>,
) {
    if keys.just_pressed(KeyCode::KeyT) {
        shown.0 = !shown.0;
    }
    if keys.any_just_pressed([KeyCode::ArrowLeft, KeyCode::Comma])
        && let Some(tick) = current.round.previous_moment()
    {
        seeks.write(Seek(tick));
    }
    if keys.just_pressed(KeyCode::ArrowRight) {
        clock.paused = true;
        clock.step = true;
    }
    if keys.just_pressed(KeyCode::Home) {
        seeks.write(Seek(0));
    }
}

/// Present while a rewind takes the game from the results back to playing the same round.
#[derive(Resource)]
pub struct SameRound;

/// Seeks the round, pauses there (as a video player does), and goes back from the results to
/// play if the moment is before the end.
fn apply_seeks(
    mut commands: Commands,
    mut seeks: MessageReader<Seek>,
    mut current: ResMut<CurrentRound>,
    mut clock: ResMut<Clock>,
    mut frame: ResMut<Frame>,
    screen: Res<State<Screen>>,
    mut next: ResMut<NextState<Screen>>,
) {
    let Some(&Seek(tick)) = seeks.read().last() else {
        return;
    };
    current.round.seek(tick);
    clock.paused = true;
    clock.step = false;
    frame.rewind();
    if *screen.get() == Screen::Results && current.round.outcome.is_none() {
        commands.insert_resource(SameRound);
        next.set(Screen::Playing);
    }
}
