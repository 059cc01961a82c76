//! The 2D camera, fitted so the whole cluster shows in the part of the window the panels leave.

use bevy::prelude::*;
use bevy::window::PrimaryWindow;

pub fn plugin(app: &mut App) {
    app.init_resource::<GameArea>()
        .add_systems(Startup, spawn_camera)
        .add_systems(PostUpdate, fit_camera);
}

#[derive(Component)]
pub struct MainCamera;

/// The window area not covered by egui panels, in logical pixels (top-left origin).
#[derive(Resource, Debug, Clone, Copy, PartialEq)]
pub struct GameArea {
    pub min: Vec2,
    pub max: Vec2,
}

impl Default for GameArea {
    fn default() -> Self {
        GameArea {
            min: Vec2::ZERO,
            max: Vec2::splat(f32::MAX),
        }
    }
}

impl GameArea {
    pub fn contains(&self, point: Vec2) -> bool {
        point.cmpge(self.min).all() && point.cmple(self.max).all()
    }
}

/// World units per logical pixel, as the camera is fitted now. Labels on the cluster are sized
/// in pixels and multiplied by it (`classroom::LabelSize`), so they read the same at nine nodes
/// as at three; the headless tests, without a camera, keep 1.
#[derive(Resource, Debug, Clone, Copy, PartialEq)]
pub struct PixelSize(pub f32);

impl Default for PixelSize {
    fn default() -> Self {
        PixelSize(1.0)
    }
}

/// Half the side of the square of world space that must stay visible.
const WORLD_HALF: f32 = 430.0;

fn spawn_camera(mut commands: Commands) {
    commands.spawn((Camera2d, MainCamera));
}

/// Fits the camera to the game area; `labels.rs` places labels after it, in the same frame.
pub(super) fn fit_camera(
    window: Option<Single<&Window, With<PrimaryWindow>>>,
    area: Res<GameArea>,
    camera: Option<Single<(&mut Transform, &mut Projection), With<MainCamera>>>,
    mut pixel: ResMut<PixelSize>,
) {
    let (Some(window), Some(camera)) = (window, camera) else {
        return;
    };
    let (mut transform, mut projection) = camera.into_inner();
    let size = Vec2::new(window.width(), window.height());
    let min = area.min.max(Vec2::ZERO);
    let max = area.max.min(size);
    let free = (max - min).max(Vec2::splat(50.0));
    let scale = (2.0 * WORLD_HALF / free.x).max(2.0 * WORLD_HALF / free.y);
    let centre = (min + max) / 2.0 - size / 2.0;
    let wanted = Vec3::new(-centre.x * scale, centre.y * scale, transform.translation.z);
    if transform.translation != wanted {
        transform.translation = wanted;
    }
    if let Projection::Orthographic(ortho) = &mut *projection
        && ortho.scale != scale
    {
        ortho.scale = scale;
    }
    if pixel.0 != scale {
        pixel.0 = scale;
    }
}
