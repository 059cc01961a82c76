//! Classroom mode (`V`, `--present`, `&present=1`): for a projector. Labels on the cluster grow,
//! the HUD grows and keeps only the essentials, and a caption says in plain words what the last
//! protocol step did (see `hud/caption.rs`). The core writes the captions; this only sizes text:
//! every label on the cluster, in either mode, at a size in screen pixels ([`LabelSize`]).

use bevy::prelude::*;

use super::Screen;
use super::camera::PixelSize;
use super::sim_step::ReadInput;
use super::timeline::DiagramShown;

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<Classroom>()
        .add_systems(
            Update,
            (
                toggle
                    .in_set(ReadInput)
                    .run_if(in_state(Screen::Playing).or_else(in_state(Screen::Results))),
                fit_the_diagram,
            ),
        )
        // After the camera is fitted and before text is laid out: a zoom shows no frame of
        // labels sized for the old scale.
        .add_systems(
            PostUpdate,
            size_labels
                .after(super::camera::fit_camera)
                .before(bevy::text::detect_text_needs_rerender),
        );
}

/// Whether classroom mode is on.
#[derive(Resource, Default, Debug, Clone, Copy, PartialEq, Eq)]
pub struct Classroom(pub bool);

/// How much larger labels on the cluster are in classroom mode.
pub const LABEL_SCALE: f32 = 1.5;
/// How much larger the HUD's text is in classroom mode.
pub const HUD_SCALE: f32 = 1.35;
/// The least a label on the cluster is drawn at, in logical pixels on screen (`LABEL_SCALE` times
/// that, 18, in classroom mode), however far the camera is zoomed out to fit the cluster.
pub const LABEL_PX: f32 = 12.0;

/// How large a label on the cluster is drawn: `px` logical pixels on screen, or `world` units if
/// that is larger (a node's mark, which grows with its disc); times [`LABEL_SCALE`] in
/// classroom mode. [`size_labels`] keeps the font at that size as the camera or the mode change.
#[derive(Component, Clone, Copy, Debug, PartialEq)]
pub struct LabelSize {
    pub px: f32,
    pub world: f32,
}

impl LabelSize {
    /// A label sized on screen.
    pub const fn screen(px: f32) -> LabelSize {
        LabelSize { px, world: 0.0 }
    }

    /// Its font size in world units, at `pixel` world units per logical pixel.
    pub fn font(&self, pixel: f32, classroom: bool) -> f32 {
        self.world.max(self.px * pixel) * text_scale(classroom)
    }
}

/// How much larger than normal labels are drawn: [`LABEL_SCALE`] in classroom mode.
pub fn text_scale(classroom: bool) -> f32 {
    if classroom { LABEL_SCALE } else { 1.0 }
}

/// World units per logical pixel of label text: where lines of labels stack, how far apart.
pub fn label_pixel(classroom: &Classroom, pixel: &PixelSize) -> f32 {
    pixel.0 * text_scale(classroom.0)
}

/// The font of a label spawned while the round runs (a message's): sized for the camera and
/// the mode already, so it never shows a frame at another size.
pub fn label_font(size: LabelSize, classroom: &Classroom, pixel: &PixelSize) -> impl Bundle {
    (
        TextFont {
            font_size: FontSize::Px(size.font(pixel.0, classroom.0)),
            ..default()
        },
        size,
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

/// Sizes every label on the cluster (new ones as they appear, all of them when the camera's
/// scale or the mode changes). The font size changes, not the scale, so text stays sharp.
fn size_labels(
    classroom: Res<Classroom>,
    pixel: Res<PixelSize>,
    mut labels: Query<(&mut TextFont, &LabelSize)>,
    new: Query<(), Added<LabelSize>>,
) {
    if !classroom.is_changed() && !pixel.is_changed() && new.is_empty() {
        return;
    }
    for (mut font, size) in &mut labels {
        let wanted = FontSize::Px(size.font(pixel.0, classroom.0));
        if font.font_size != wanted {
            font.font_size = wanted;
        }
    }
}
