//! Classroom mode (`V`, `--present`, `&present=1`): for a projector. Labels on the cluster grow,
//! the HUD grows and keeps only the essentials, and a caption says in plain words what the last
//! protocol step did (see `hud/caption.rs`). The core writes the captions; this only sizes text.

use bevy::prelude::*;

use super::Screen;
use super::sim_step::ReadInput;
use super::timeline::DiagramShown;

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<Classroom>().add_systems(
        Update,
        (
            toggle
                .in_set(ReadInput)
                .run_if(in_state(Screen::Playing).or_else(in_state(Screen::Results))),
            size_labels,
            fit_the_diagram,
        ),
    );
}

/// Whether classroom mode is on.
#[derive(Resource, Default, Debug, Clone, Copy, PartialEq, Eq)]
pub struct Classroom(pub bool);

/// How much larger labels on the cluster are in classroom mode.
pub const LABEL_SCALE: f32 = 1.5;
/// How much larger the HUD's text is in classroom mode.
pub const HUD_SCALE: f32 = 1.35;

/// A label's font size outside classroom mode, kept to scale from.
#[derive(Component, Clone, Copy)]
struct NormalSize(f32);

/// The font of a label spawned while the round runs (a message's): sized for the mode already,
/// so it never shows a frame at the other size.
pub fn label_font(normal: f32, classroom: &Classroom) -> impl Bundle {
    let scale = if classroom.0 { LABEL_SCALE } else { 1.0 };
    (
        TextFont {
            font_size: FontSize::Px(normal * scale),
            ..default()
        },
        NormalSize(normal),
    )
}

fn toggle(keys: Res<ButtonInput<KeyCode>>, mut classroom: ResMut<Classroom>) {
    if keys.just_pressed(KeyCode::KeyV) {
        classroom.0 = !classroom.0;
    }
}

/// Entering classroom mode hides the space-time diagram, which leaves a projector's cluster too
/// little room (`T` brings it back); leaving it shows the diagram again.
fn fit_the_diagram(classroom: Res<Classroom>, mut shown: ResMut<DiagramShown>) {
    if classroom.is_changed() {
        shown.0 = !classroom.0;
    }
}

/// Sizes every world label (new ones as they appear, all of them when the mode changes). The
/// font size changes, not the scale, so text stays sharp.
fn size_labels(
    mut commands: Commands,
    classroom: Res<Classroom>,
    mut labels: Query<(Entity, &mut TextFont, Option<&NormalSize>), With<Text2d>>,
    new: Query<(), Added<Text2d>>,
) {
    if !classroom.is_changed() && new.is_empty() {
        return;
    }
    let scale = if classroom.0 { LABEL_SCALE } else { 1.0 };
    for (entity, mut font, normal) in &mut labels {
        let normal = match normal {
            Some(size) => size.0,
            None => {
                let FontSize::Px(px) = font.font_size else {
                    continue;
                };
                commands.entity(entity).insert(NormalSize(px));
                px
            }
        };
        let wanted = FontSize::Px(normal * scale);
        if font.font_size != wanted {
            font.font_size = wanted;
        }
    }
}
