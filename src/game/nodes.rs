//! Nodes as entities laid out on a circle, with their badges and state, and the links between
//! them (red when cut).

use bevy::asset::RenderAssetUsages;
use bevy::prelude::*;
use bevy::render::render_resource::{Extent3d, TextureDimension, TextureFormat};
use bevy::sprite::Anchor;

use super::camera::PixelSize;
use super::classroom::{Classroom, LABEL_PX, LabelSize, label_pixel};
use super::node_colour;
use super::sim_step::{CurrentRound, Frame, PublishFrame, RoundStarted};
use crate::sim::NodeId;
use crate::view::{self, Place};

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<Selection>()
        .add_systems(Startup, make_shapes)
        .add_systems(
            Update,
            (
                respawn_cluster,
                (update_nodes.after(PublishFrame), update_links, place_labels),
            )
                .chain()
                .run_if(resource_exists::<CurrentRound>),
        );
}

/// The node the keyboard acts on, whether `C` is waiting for the other end of a cut, and the
/// waiting message the network player picked with `N`.
#[derive(Resource, Default, Debug)]
pub struct Selection {
    pub node: Option<NodeId>,
    pub cut_pending: bool,
    pub message: Option<crate::sim::MsgId>,
}

impl Selection {
    /// The waiting message the network player's keys act on: the one picked with `N` while it
    /// still waits, else the first waiting (the panel's first line).
    pub fn picked_message<'a>(
        &self,
        choices: &'a view::NetworkChoices,
    ) -> Option<&'a view::WaitingMessage> {
        self.message
            .and_then(|id| choices.messages.iter().find(|m| m.id == id))
            .or_else(|| choices.messages.first())
    }
}

/// Images shared by every sprite: drawn in code, so the game ships no image files.
#[derive(Resource, Clone)]
pub struct Shapes {
    pub disc: Handle<Image>,
    pub ring: Handle<Image>,
    /// The accept majority's outline.
    pub thin_ring: Handle<Image>,
    /// The promise majority's outline: dashed, so that it differs from the accept majority's
    /// even in the same colour.
    pub dashed_ring: Handle<Image>,
    /// The mark of a node in both outlined majorities.
    pub star: Handle<Image>,
    /// A committed log entry, and an entry not yet committed.
    pub square: Handle<Image>,
    pub hollow_square: Handle<Image>,
    /// The timer ring at each of `TIMER_STEPS + 1` fractions left, from none to the whole ring.
    pub timer_arcs: Vec<Handle<Image>>,
}

/// A node's body; `place` is where the layout put it.
#[derive(Component, Debug, Clone, Copy)]
pub struct NodeEntity {
    pub id: NodeId,
    pub place: Place,
}

/// Marks everything that belongs to one round, so the next round starts clean.
#[derive(Component)]
pub struct RoundEntity;

/// A label beside a node: its badge (rank 0), its status lines (rank 1) or its "in both" tag
/// (rank 2, beside the star that says the same). Where labels would collide, lower ranks and
/// nodes keep theirs (`labels.rs`).
#[derive(Component, Clone, Copy, Debug)]
pub struct NodeLabel {
    pub rank: u8,
}

#[derive(Component)]
enum NodePart {
    Ring,
    /// Outlines a member of a majority (see [`QuorumRing`]).
    Quorum(QuorumRing),
    /// A node in both outlined majorities: a star and a tag, a mark nothing else uses.
    Overlap,
    OverlapTag,
    Halo,
    Mark,
    Value,
    Badge,
    Status,
    /// The election timer's ring (see [`TIMER_STEPS`]).
    Timer,
    /// Box `slot` of the log row.
    LogBox(usize),
    /// "+N": the older entries the row leaves out.
    LogMore,
}

/// The majority outline a node can have: dashed, the promise majority of the latest leader to
/// finish phase 1; solid, the accept majority of a chosen ballot. A node shows at most one,
/// besides its own ring (selected, leading, decided): a node in both majorities shows the
/// promise majority's and wears the overlap star for the other, so no node wears more than two
/// outlines.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum QuorumRing {
    Promised,
    Accepted,
}

/// Quorum outlines' diameter, relative to the node's: outside the node's own ring.
const QUORUM_SCALE: f32 = 1.6;

#[derive(Component, Debug, Clone, Copy)]
pub struct LinkEntity {
    pub a: NodeId,
    pub b: NodeId,
}

#[derive(Component)]
struct CutMark;

const TEXT_Z: f32 = 0.3;

/// How finely the timer ring shrinks: one of this many steps of a turn.
const TIMER_STEPS: usize = 48;
/// The timer ring sits inside the node's rim, clear of its mark and of the outlines outside it.
const TIMER_SCALE: f32 = 0.9;
const TIMER_HOLE: f32 = 0.8;
const TIMER_COLOUR: Color = Color::srgba(0.0, 0.0, 0.0, 0.6);

/// How many of a log's latest entries its row shows; a "+N" marker counts the older ones.
pub const LOG_SHOWN: usize = 8;
/// A log box's side, and the distance from one box to the next.
const LOG_BOX: f32 = 16.0;
const LOG_PITCH: f32 = 19.0;
/// Room for the "+N" marker, left of the boxes.
const LOG_MARKER: f32 = 30.0;
const LOG_WIDTH: f32 = LOG_MARKER + LOG_PITCH * LOG_SHOWN as f32 - (LOG_PITCH - LOG_BOX);
/// Air between a log row and the labels beside it (more than the labels' own margins).
const LOG_AIR: f32 = 5.0;

/// Where a node's log row goes, relative to the node: its left end (the "+N" marker's room)
/// and the middle of its boxes' line.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LogRow {
    pub left: f32,
    pub y: f32,
}

impl LogRow {
    /// The middle of box `slot` (0 the oldest shown).
    pub fn slot(&self, slot: usize) -> Vec2 {
        Vec2::new(
            self.left + LOG_MARKER + LOG_BOX / 2.0 + slot as f32 * LOG_PITCH,
            self.y,
        )
    }

    /// Where the "+N" marker ends (it is anchored on its right).
    pub fn marker(&self) -> Vec2 {
        Vec2::new(self.left + LOG_MARKER - 3.0, self.y)
    }

    /// The room the row takes, relative to the node.
    pub fn rect(&self) -> Rect {
        Rect::new(
            self.left,
            self.y - LOG_BOX / 2.0,
            self.left + LOG_WIDTH,
            self.y + LOG_BOX / 2.0,
        )
    }

    /// The index of the first entry of a log of `len` that the row shows (it shows the latest
    /// `LOG_SHOWN`, the first in slot 0): also how many the "+N" marker counts.
    pub fn first_shown(len: usize) -> usize {
        len.saturating_sub(LOG_SHOWN)
    }
}

/// The room a node's log row takes in the world, if the node shows a log: the labels keep clear
/// of it (`labels.rs`). `line` as for [`LabelPlaces::around`].
pub fn log_row_rect(place: Place, line: f32) -> Option<Rect> {
    let row = LabelPlaces::around(place, line).log?;
    Some(row.rect().translate(Vec2::new(place.x, place.y)))
}

/// The overlap star's colour: its shape and its tag, not its colour, set it apart (gold is the
/// leader's ring).
const OVERLAP_COLOUR: Color = Color::srgb(1.0, 1.0, 1.0);

fn make_shapes(mut commands: Commands, mut images: ResMut<Assets<Image>>) {
    let disc = images.add(circle_image(128, 0.0));
    let ring = images.add(circle_image(128, 0.82));
    let thin_ring = images.add(circle_image(256, 0.88));
    let dashed_ring = images.add(dashed(circle_image(256, 0.86), 14));
    let star = images.add(star_image(128));
    let square = images.add(white_image(4, vec![255; 64]));
    let hollow_square = images.add(hollow_square_image(20, 4));
    let timer_arcs = (0..=TIMER_STEPS)
        .map(|step| images.add(arc_image(96, TIMER_HOLE, step as f32 / TIMER_STEPS as f32)))
        .collect();
    commands.insert_resource(Shapes {
        disc,
        ring,
        thin_ring,
        dashed_ring,
        star,
        square,
        hollow_square,
        timer_arcs,
    });
}

/// A white square outline `border` pixels thick, to tint.
fn hollow_square_image(size: u32, border: u32) -> Image {
    let mut data = Vec::with_capacity((size * size * 4) as usize);
    for y in 0..size {
        for x in 0..size {
            let edge = x < border || y < border || x >= size - border || y >= size - border;
            data.extend_from_slice(&[255, 255, 255, if edge { 255 } else { 0 }]);
        }
    }
    white_image(size, data)
}

/// The part of a white ring (inner radius `hole`, as a fraction) that `fraction` of a turn
/// covers, clockwise from the top: the time a timer has left.
fn arc_image(size: u32, hole: f32, fraction: f32) -> Image {
    let mut ring = circle_image(size, hole);
    let r = size as f32 / 2.0;
    if let Some(data) = ring.data.as_mut() {
        for y in 0..size {
            for x in 0..size {
                // Clockwise from the top, in turns (image rows go down).
                let (dx, dy) = (x as f32 + 0.5 - r, y as f32 + 0.5 - r);
                let turn = (dx.atan2(-dy) / std::f32::consts::TAU).rem_euclid(1.0);
                if turn >= fraction {
                    data[((y * size + x) * 4 + 3) as usize] = 0;
                }
            }
        }
    }
    ring
}

/// A white anti-aliased disc (or ring, if `hole` is the inner radius as a fraction), to tint.
fn circle_image(size: u32, hole: f32) -> Image {
    let r = size as f32 / 2.0;
    let mut data = Vec::with_capacity((size * size * 4) as usize);
    for y in 0..size {
        for x in 0..size {
            let d = Vec2::new(x as f32 + 0.5 - r, y as f32 + 0.5 - r).length();
            let outer = (r - d).clamp(0.0, 1.0);
            let inner = if hole > 0.0 {
                (d - hole * r).clamp(0.0, 1.0)
            } else {
                1.0
            };
            data.extend_from_slice(&[255, 255, 255, (outer * inner * 255.0) as u8]);
        }
    }
    white_image(size, data)
}

/// A square white image of `size` pixels from its RGBA bytes, to tint.
fn white_image(size: u32, data: Vec<u8>) -> Image {
    Image::new(
        Extent3d {
            width: size,
            height: size,
            depth_or_array_layers: 1,
        },
        TextureDimension::D2,
        data,
        TextureFormat::Rgba8UnormSrgb,
        RenderAssetUsages::default(),
    )
}

/// `ring` with `dashes` gaps cut around it.
fn dashed(mut ring: Image, dashes: u32) -> Image {
    let size = ring.width();
    let r = size as f32 / 2.0;
    let Some(data) = ring.data.as_mut() else {
        return ring;
    };
    for y in 0..size {
        for x in 0..size {
            let angle = (y as f32 + 0.5 - r).atan2(x as f32 + 0.5 - r);
            let turn = (angle / std::f32::consts::TAU + 1.0) * dashes as f32;
            if turn.fract() > 0.6 {
                data[((y * size + x) * 4 + 3) as usize] = 0;
            }
        }
    }
    ring
}

/// A white anti-aliased five-pointed star, to tint.
fn star_image(size: u32) -> Image {
    let r = size as f32 / 2.0;
    let (outer, inner) = (r - 1.0, 0.45 * (r - 1.0));
    // The star's corners, point up (image rows go down).
    let corners: Vec<Vec2> = (0..10)
        .map(|i| {
            let angle = -std::f32::consts::FRAC_PI_2 + i as f32 * std::f32::consts::PI / 5.0;
            let radius = if i % 2 == 0 { outer } else { inner };
            Vec2::new(r + radius * angle.cos(), r + radius * angle.sin())
        })
        .collect();
    let inside = |p: Vec2| {
        let mut crossings = false;
        for i in 0..corners.len() {
            let (a, b) = (corners[i], corners[(i + 1) % corners.len()]);
            if (a.y > p.y) != (b.y > p.y) && p.x < a.x + (p.y - a.y) / (b.y - a.y) * (b.x - a.x) {
                crossings = !crossings;
            }
        }
        crossings
    };
    let mut data = Vec::with_capacity((size * size * 4) as usize);
    for y in 0..size {
        for x in 0..size {
            // Four samples a pixel, for smooth edges.
            let covered = [(0.25, 0.25), (0.75, 0.25), (0.25, 0.75), (0.75, 0.75)]
                .iter()
                .filter(|(dx, dy)| inside(Vec2::new(x as f32 + dx, y as f32 + dy)))
                .count();
            data.extend_from_slice(&[255, 255, 255, (covered * 255 / 4) as u8]);
        }
    }
    white_image(size, data)
}

/// A label on the cluster; `size_labels` (`classroom.rs`) sizes its font for the camera.
fn text(value: impl Into<String>, size: LabelSize, colour: Color) -> impl Bundle {
    (
        Text2d::new(value),
        TextFont {
            font_size: FontSize::Px(size.world.max(size.px)),
            ..default()
        },
        size,
        TextColor(colour),
    )
}

/// A node's badge, in logical pixels on screen.
const BADGE_PX: f32 = 13.0;
/// The room a line of the badge takes, relative to its font size.
const BADGE_LINE: f32 = 1.3;

fn respawn_cluster(
    mut commands: Commands,
    mut started: MessageReader<RoundStarted>,
    current: Res<CurrentRound>,
    shapes: Res<Shapes>,
    old: Query<Entity, With<RoundEntity>>,
    mut selection: ResMut<Selection>,
    (classroom, pixel): (Res<Classroom>, Res<PixelSize>),
) {
    if started.read().count() == 0 {
        return;
    }
    let line = label_pixel(&classroom, &pixel);
    *selection = Selection::default();
    for entity in &old {
        commands.entity(entity).despawn();
    }
    let setup = &current.round.setup;
    let places = setup.mode.layout(setup);
    for (a, b) in setup.mode.links(setup) {
        let link = LinkEntity { a, b };
        let (a, b) = (places[a], places[b]);
        let (transform, length) = line_transform(a, b, 0.0);
        commands.spawn((
            RoundEntity,
            link,
            Sprite::from_color(Color::srgba(1.0, 1.0, 1.0, 0.15), Vec2::new(length, 2.0)),
            transform,
            children![(
                CutMark,
                text(
                    "X",
                    LabelSize {
                        px: 14.0,
                        world: 22.0
                    },
                    Color::srgb(1.0, 0.3, 0.3)
                ),
                Transform::from_xyz(0.0, 0.0, 0.1),
                Visibility::Hidden
            )],
        ));
    }
    for (id, place) in places.iter().enumerate() {
        let diameter = place.radius * 2.0;
        let big = place.radius > 30.0;
        let labels = LabelPlaces::around(*place, line);
        // A node that shows a value (a counter server) has it in the middle, its mark small above.
        let (mark_size, mark_y) = match (place.shows_value, big) {
            (true, _) => (14.0, 20.0),
            (false, true) => (30.0, 0.0),
            (false, false) => (13.0, 0.0),
        };
        let mut body = commands.spawn((
            RoundEntity,
            NodeEntity { id, place: *place },
            Sprite {
                image: shapes.disc.clone(),
                custom_size: Some(Vec2::splat(diameter)),
                ..default()
            },
            Transform::from_xyz(place.x, place.y, 1.0),
            children![
                (
                    NodePart::Halo,
                    Sprite {
                        image: shapes.disc.clone(),
                        custom_size: Some(Vec2::splat(diameter * 1.6)),
                        color: Color::srgba(1.0, 0.6, 0.1, 0.35),
                        ..default()
                    },
                    Transform::from_xyz(0.0, 0.0, -0.2),
                    Visibility::Hidden,
                ),
                (
                    NodePart::Ring,
                    Sprite {
                        image: shapes.ring.clone(),
                        custom_size: Some(Vec2::splat(diameter * 1.25)),
                        ..default()
                    },
                    Transform::from_xyz(0.0, 0.0, -0.1),
                ),
                quorum_ring(&shapes, QuorumRing::Promised, diameter),
                quorum_ring(&shapes, QuorumRing::Accepted, diameter),
                (
                    NodePart::Overlap,
                    Sprite {
                        image: shapes.star.clone(),
                        custom_size: Some(Vec2::splat(place.radius * 1.1)),
                        color: OVERLAP_COLOUR,
                        ..default()
                    },
                    Transform::from_xyz(place.radius * 0.85, place.radius * 0.85, TEXT_Z),
                    Visibility::Hidden,
                ),
                (
                    NodePart::OverlapTag,
                    NodeLabel { rank: 2 },
                    text("", LabelSize::screen(LABEL_PX), OVERLAP_COLOUR),
                    Anchor::BOTTOM_LEFT,
                    Transform::from_translation(LabelPlaces::tag(*place)),
                ),
                (
                    NodePart::Mark,
                    text(
                        "",
                        LabelSize {
                            px: LABEL_PX,
                            world: mark_size
                        },
                        Color::BLACK
                    ),
                    Transform::from_xyz(0.0, mark_y, TEXT_Z)
                ),
                (
                    NodePart::Value,
                    text(
                        "",
                        LabelSize {
                            px: 14.0,
                            world: 24.0
                        },
                        Color::WHITE
                    ),
                    Transform::from_xyz(0.0, -7.0, TEXT_Z),
                    Visibility::Hidden
                ),
                (
                    NodePart::Badge,
                    NodeLabel { rank: 0 },
                    text("", LabelSize::screen(BADGE_PX), Color::WHITE),
                    labels.badge_anchor,
                    Transform::from_translation(labels.badge)
                ),
                (
                    NodePart::Status,
                    NodeLabel { rank: 1 },
                    text(
                        "",
                        LabelSize::screen(LABEL_PX),
                        Color::srgb(0.85, 0.87, 0.9)
                    ),
                    TextLayout::justify(labels.status_justify),
                    labels.status_anchor,
                    Transform::from_translation(labels.status),
                ),
            ],
        ));
        body.with_children(|parts| {
            parts.spawn((
                NodePart::Timer,
                Sprite {
                    image: shapes.timer_arcs[TIMER_STEPS].clone(),
                    custom_size: Some(Vec2::splat(diameter * TIMER_SCALE)),
                    color: TIMER_COLOUR,
                    ..default()
                },
                Transform::from_xyz(0.0, 0.0, TEXT_Z - 0.05),
                Visibility::Hidden,
            ));
            let Some(row) = labels.log else {
                return;
            };
            for slot in 0..LOG_SHOWN {
                parts.spawn((
                    NodePart::LogBox(slot),
                    Sprite {
                        image: shapes.square.clone(),
                        custom_size: Some(Vec2::splat(LOG_BOX)),
                        ..default()
                    },
                    Transform::from_translation(row.slot(slot).extend(TEXT_Z)),
                    Visibility::Hidden,
                ));
            }
            parts.spawn((
                NodePart::LogMore,
                text(
                    "",
                    LabelSize::screen(LABEL_PX),
                    Color::srgb(0.85, 0.87, 0.9),
                ),
                Anchor::CENTER_RIGHT,
                Transform::from_translation(row.marker().extend(TEXT_Z)),
            ));
        });
    }
}

/// Places each node's badge, status and log row again when the labels' size on screen changes
/// (the camera zoomed to fit another window, or classroom mode), so that they stack as closely
/// as at first.
fn place_labels(
    classroom: Res<Classroom>,
    pixel: Res<PixelSize>,
    nodes: Query<(&NodeEntity, &Children)>,
    mut parts: Query<(&NodePart, &mut Transform), Without<NodeEntity>>,
) {
    if !classroom.is_changed() && !pixel.is_changed() {
        return;
    }
    let line = label_pixel(&classroom, &pixel);
    for (node, children) in &nodes {
        let labels = LabelPlaces::around(node.place, line);
        for child in children.iter() {
            let Ok((part, mut transform)) = parts.get_mut(child) else {
                continue;
            };
            let wanted = match (part, labels.log) {
                (NodePart::Badge, _) => labels.badge,
                (NodePart::Status, _) => labels.status,
                (NodePart::LogBox(slot), Some(row)) => row.slot(*slot).extend(TEXT_Z),
                (NodePart::LogMore, Some(row)) => row.marker().extend(TEXT_Z),
                _ => continue,
            };
            if transform.translation != wanted {
                transform.translation = wanted;
            }
        }
    }
}

fn quorum_ring(shapes: &Shapes, ring: QuorumRing, diameter: f32) -> impl Bundle {
    let image = match ring {
        QuorumRing::Promised => shapes.dashed_ring.clone(),
        QuorumRing::Accepted => shapes.thin_ring.clone(),
    };
    (
        NodePart::Quorum(ring),
        Sprite {
            image,
            custom_size: Some(Vec2::splat(diameter * QUORUM_SCALE)),
            ..default()
        },
        Transform::from_xyz(0.0, 0.0, -0.15),
        Visibility::Hidden,
    )
}

/// Where a node's badge and status text go: on the side facing away from the centre of the
/// cluster, where no messages fly.
/// A node that shows a log has its row between the node and its status.
pub(crate) struct LabelPlaces {
    pub(crate) badge: Vec3,
    pub(crate) badge_anchor: Anchor,
    pub(crate) status: Vec3,
    pub(crate) status_anchor: Anchor,
    status_justify: Justify,
    pub(crate) log: Option<LogRow>,
}

impl LabelPlaces {
    /// Where the "in both" tag of a node in two outlined majorities goes: beside its star.
    pub(crate) fn tag(place: Place) -> Vec3 {
        Vec3::new(place.radius * 1.3, place.radius * 0.95, TEXT_Z)
    }

    /// `line`: world units per logical pixel of label text (`classroom::label_pixel`), which
    /// sets how far apart the badge and the lines beyond it stack.
    pub(crate) fn around(place: Place, line: f32) -> LabelPlaces {
        let plain = LabelPlaces::without_log(place, line);
        if !place.shows_log {
            return plain;
        }
        let outward = Vec2::new(place.x, place.y).normalize_or(Vec2::Y);
        let gap = place.radius * QUORUM_SCALE + 2.0;
        let badge_line = BADGE_PX * BADGE_LINE * line;
        let z = TEXT_Z;
        // Above or below the node, the row runs outward from the node's inner edge, so that the
        // rows of neighbours on one line (the bottom two of nine) keep apart.
        let left = if place.x > place.radius {
            -place.radius
        } else if place.x < -place.radius {
            place.radius - LOG_WIDTH
        } else {
            -LOG_WIDTH / 2.0
        };
        if outward.y > 0.6 {
            // Top: the row above the badge, the status above the row.
            let bottom = gap + badge_line + LOG_AIR;
            LabelPlaces {
                status: Vec3::new(0.0, bottom + LOG_BOX + LOG_AIR, z),
                log: Some(LogRow {
                    left,
                    y: bottom + LOG_BOX / 2.0,
                }),
                ..plain
            }
        } else if outward.y < -0.6 {
            // Bottom: the row under the node, the status under the row, the badge above the node.
            LabelPlaces {
                badge: Vec3::new(0.0, gap, z),
                badge_anchor: Anchor::BOTTOM_CENTER,
                status: Vec3::new(0.0, -(gap + LOG_BOX + LOG_AIR), z),
                log: Some(LogRow {
                    left,
                    y: -(gap + LOG_BOX / 2.0),
                }),
                ..plain
            }
        } else {
            // A side: the status just above the middle line, the row just below it.
            let side = outward.x.signum();
            LabelPlaces {
                status: Vec3::new(side * gap, LOG_AIR / 2.0, z),
                status_anchor: if side > 0.0 {
                    Anchor::BOTTOM_LEFT
                } else {
                    Anchor::BOTTOM_RIGHT
                },
                log: Some(LogRow {
                    left: if side > 0.0 { gap } else { -gap - LOG_WIDTH },
                    y: -(LOG_AIR / 2.0 + LOG_BOX / 2.0),
                }),
                ..plain
            }
        }
    }

    fn without_log(place: Place, line: f32) -> LabelPlaces {
        let outward = Vec2::new(place.x, place.y).normalize_or(Vec2::Y);
        // Outside the outermost quorum outline.
        let gap = place.radius * QUORUM_SCALE + 2.0;
        let badge_line = BADGE_PX * BADGE_LINE * line;
        if outward.y > 0.6 {
            // Top of the circle: badge just above the node, status above the badge.
            LabelPlaces {
                badge: Vec3::new(0.0, gap, TEXT_Z),
                badge_anchor: Anchor::BOTTOM_CENTER,
                status: Vec3::new(0.0, gap + badge_line, TEXT_Z),
                status_anchor: Anchor::BOTTOM_CENTER,
                status_justify: Justify::Center,
                log: None,
            }
        } else if outward.y < -0.6 {
            // Bottom: badge just below the node, status below the badge, both away from the
            // crowded middle.
            LabelPlaces {
                badge: Vec3::new(0.0, -gap, TEXT_Z),
                badge_anchor: Anchor::TOP_CENTER,
                status: Vec3::new(0.0, -gap - badge_line, TEXT_Z),
                status_anchor: Anchor::TOP_CENTER,
                status_justify: Justify::Center,
                log: None,
            }
        } else {
            let side = outward.x.signum();
            LabelPlaces {
                badge: Vec3::new(0.0, gap, TEXT_Z),
                badge_anchor: Anchor::BOTTOM_CENTER,
                status: Vec3::new(side * gap, 0.0, TEXT_Z),
                status_anchor: if side > 0.0 {
                    Anchor::CENTER_LEFT
                } else {
                    Anchor::CENTER_RIGHT
                },
                status_justify: if side > 0.0 {
                    Justify::Left
                } else {
                    Justify::Right
                },
                log: None,
            }
        }
    }
}

/// Where the segment from `a` to `b` sits (its middle, turned along it) and how long it is. The
/// length goes into the sprite's size, not the transform's scale, so children such as the cut
/// mark are not stretched with it.
pub fn line_transform(a: Place, b: Place, z: f32) -> (Transform, f32) {
    let (from, to) = (Vec2::new(a.x, a.y), Vec2::new(b.x, b.y));
    let d = to - from;
    let transform = Transform::from_translation(((from + to) / 2.0).extend(z))
        .with_rotation(Quat::from_rotation_z(d.y.atan2(d.x)));
    (transform, d.length())
}

/// What `update_nodes` changes on a node's child parts.
type NodePartParts = (
    &'static NodePart,
    Option<&'static mut Sprite>,
    Option<&'static mut Text2d>,
    Option<&'static mut TextColor>,
    &'static mut Visibility,
);

fn update_nodes(
    frame: Res<Frame>,
    selection: Res<Selection>,
    shapes: Res<Shapes>,
    mut bodies: Query<(&NodeEntity, &mut Sprite, &Children)>,
    mut parts: Query<NodePartParts, Without<NodeEntity>>,
) {
    for (node, mut body, children) in &mut bodies {
        let Some(view) = frame.nodes.get(node.id) else {
            continue;
        };
        let colour = node_colour(view.colour);
        body.color = match (view.down, view.light) {
            (true, _) => Color::srgb(0.22, 0.23, 0.25),
            (false, true) => colour.mix(&Color::WHITE, 0.35),
            (false, false) => colour,
        };
        let selected = selection.node == Some(node.id);
        for child in children.iter() {
            let Ok((part, sprite, text, text_colour, mut visibility)) = parts.get_mut(child) else {
                continue;
            };
            match part {
                NodePart::Halo => {
                    *visibility = if view.slow > 1 {
                        Visibility::Inherited
                    } else {
                        Visibility::Hidden
                    };
                }
                NodePart::OverlapTag => {
                    // Words, not visibility: where they fit is `labels.rs`'s to say.
                    if let Some(mut text) = text {
                        let in_both = frame.quorums.overlap.contains(&node.id);
                        set_text(&mut text, if in_both { "in both" } else { "" }.into());
                    }
                }
                NodePart::Overlap => {
                    let wanted = if frame.quorums.overlap.contains(&node.id) {
                        Visibility::Inherited
                    } else {
                        Visibility::Hidden
                    };
                    if *visibility != wanted {
                        *visibility = wanted;
                    }
                }
                NodePart::Quorum(ring) => {
                    let colour = quorum_colour(&frame.quorums, *ring, node.id);
                    if let (Some(colour), Some(mut sprite)) = (colour, sprite) {
                        sprite.color = colour;
                    }
                    let wanted = if colour.is_some() {
                        Visibility::Inherited
                    } else {
                        Visibility::Hidden
                    };
                    if *visibility != wanted {
                        *visibility = wanted;
                    }
                }
                NodePart::Ring => {
                    let (ring, shown) = if selected {
                        (Color::WHITE, true)
                    } else if view.leading.is_some() {
                        (Color::srgb(1.0, 0.84, 0.2), true)
                    } else if view.done.is_some() {
                        (Color::srgb(0.45, 0.9, 0.45), true)
                    } else {
                        (Color::NONE, false)
                    };
                    if let Some(mut sprite) = sprite {
                        sprite.color = ring;
                    }
                    *visibility = if shown {
                        Visibility::Inherited
                    } else {
                        Visibility::Hidden
                    };
                }
                NodePart::Mark => {
                    if let Some(mut text) = text {
                        let mark = if view.down {
                            "X".to_string()
                        } else {
                            view.mark.clone()
                        };
                        set_text(&mut text, mark);
                    }
                    if let Some(mut c) = text_colour {
                        c.0 = if view.down {
                            Color::srgb(0.9, 0.3, 0.3)
                        } else {
                            Color::BLACK
                        };
                    }
                    // On a server the value takes the middle; the mark moves up.
                }
                NodePart::Value => {
                    if let (Some(value), Some(mut text)) = (view.value, text) {
                        set_text(&mut text, value.to_string());
                        *visibility = Visibility::Inherited;
                    }
                }
                NodePart::Badge => {
                    if let Some(mut text) = text {
                        set_text(&mut text, view::badge(view));
                    }
                    if let Some(mut c) = text_colour {
                        c.0 = badge_colour(view);
                    }
                }
                NodePart::Timer => {
                    let step = view
                        .timer
                        .map(|left| (left.clamp(0.0, 1.0) * TIMER_STEPS as f32).round() as usize);
                    if let (Some(step), Some(mut sprite)) = (step, sprite)
                        && sprite.image != shapes.timer_arcs[step]
                    {
                        sprite.image = shapes.timer_arcs[step].clone();
                    }
                    set_visible(&mut visibility, step.is_some_and(|s| s > 0));
                }
                NodePart::LogBox(slot) => {
                    let entry = view.log.get(LogRow::first_shown(view.log.len()) + slot);
                    if let (Some(entry), Some(mut sprite)) = (entry, sprite) {
                        let [r, g, b] = view::term_colour(entry.term);
                        let colour =
                            Color::srgb_u8(r, g, b).with_alpha(if view.down { 0.45 } else { 1.0 });
                        let image = if entry.committed {
                            &shapes.square
                        } else {
                            &shapes.hollow_square
                        };
                        if sprite.color != colour {
                            sprite.color = colour;
                        }
                        if sprite.image != *image {
                            sprite.image = image.clone();
                        }
                    }
                    set_visible(&mut visibility, entry.is_some());
                }
                NodePart::LogMore => {
                    if let Some(mut text) = text {
                        let older = LogRow::first_shown(view.log.len());
                        set_text(
                            &mut text,
                            if older > 0 {
                                format!("+{older}")
                            } else {
                                String::new()
                            },
                        );
                    }
                }
                NodePart::Status => {
                    if let Some(mut text) = text {
                        let lines: Vec<&str> = view
                            .status
                            .iter()
                            .map(String::as_str)
                            .filter(|l| !l.is_empty())
                            .collect();
                        set_text(&mut text, lines.join("\n"));
                    }
                }
            }
        }
    }
}

/// The colour of a node's quorum outline, if the node shows that outline: the ballot's
/// leader's colour for a promise majority, the value's for an accept majority. A node in two
/// outlined majorities shows one: the promise majority's for the overlap node, which wears the
/// star for the other, else the accept majority's.
fn quorum_colour(quorums: &view::Quorums, ring: QuorumRing, node: NodeId) -> Option<Color> {
    let in_outline = |kind: view::QuorumKind| {
        quorums
            .outlines
            .iter()
            .find(|o| o.kind == kind && o.members.contains(&node))
    };
    let overlap = quorums.overlap.contains(&node);
    let in_both = in_outline(view::QuorumKind::Promised).is_some()
        && in_outline(view::QuorumKind::Accepted).is_some();
    let kind = match ring {
        QuorumRing::Promised if in_both && !overlap => return None,
        QuorumRing::Accepted if in_both && overlap => return None,
        QuorumRing::Promised => view::QuorumKind::Promised,
        QuorumRing::Accepted => view::QuorumKind::Accepted,
    };
    in_outline(kind).map(|o| node_colour(o.colour).with_alpha(0.85))
}

/// Shows or hides a part, assigning only on a change (a write marks it changed for every system
/// after).
fn set_visible(visibility: &mut Visibility, shown: bool) {
    let wanted = if shown {
        Visibility::Inherited
    } else {
        Visibility::Hidden
    };
    if *visibility != wanted {
        *visibility = wanted;
    }
}

/// Assigns only when the text changed, so Bevy does not re-layout unchanged text every frame.
fn set_text(text: &mut Text2d, value: String) {
    if text.0 != value {
        text.0 = value;
    }
}

fn badge_colour(view: &view::NodeView) -> Color {
    if view.down {
        Color::srgb(1.0, 0.45, 0.45)
    } else if view.done.is_some() {
        Color::srgb(0.5, 0.95, 0.5)
    } else if view.leading.is_some() {
        Color::srgb(1.0, 0.84, 0.2)
    } else {
        Color::srgb(1.0, 0.7, 0.3)
    }
}

fn update_links(
    current: Res<CurrentRound>,
    mut links: Query<(&LinkEntity, &mut Sprite, &Children)>,
    mut marks: Query<&mut Visibility, With<CutMark>>,
) {
    let simulation = &current.round.simulation;
    for (link, mut sprite, children) in &mut links {
        let forward = simulation.link_open(link.a, link.b);
        let backward = simulation.link_open(link.b, link.a);
        sprite.color = match (forward, backward) {
            (true, true) => Color::srgba(1.0, 1.0, 1.0, 0.15),
            (false, false) => Color::srgba(1.0, 0.3, 0.3, 0.8),
            _ => Color::srgba(1.0, 0.6, 0.2, 0.8),
        };
        for child in children.iter() {
            if let Ok(mut visibility) = marks.get_mut(child) {
                *visibility = if forward && backward {
                    Visibility::Hidden
                } else {
                    Visibility::Inherited
                };
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::game::labels::{Taken, claim};
    use crate::protocols::raft::{RaftShape, view::layout};

    /// A label's room as the default (monospaced) font lays it out: 0.6 em a character, 1.25 em
    /// a line.
    fn text_rect(at: Vec3, anchor: Anchor, text: &str, size: f32) -> Rect {
        let size = Vec2::new(text.chars().count() as f32 * 0.6 * size, 1.25 * size);
        Rect::from_center_size(at.truncate() - anchor.0 * size, size)
    }

    #[test]
    fn nine_servers_with_logs_of_twenty_entries_keep_rows_labels_and_nodes_apart() {
        let shape = RaftShape {
            servers: 9,
            clients: 3,
            commands: 20,
        };
        let places = layout(shape);
        // At one world unit a pixel of label text (a window large enough for the nine): the
        // nodes first, then every row, as `labels.rs` claims room; each must find it free.
        let mut taken: Taken = places
            .iter()
            .map(|p| {
                let disc = Rect::from_center_size(Vec2::new(p.x, p.y), Vec2::splat(p.radius * 2.0));
                (disc, None)
            })
            .collect();
        let servers = &places[..shape.servers];
        for place in servers {
            let row = log_row_rect(*place, 1.0).expect("a server shows its log");
            assert!(claim(row, None, &mut taken), "the row of {place:?}");
            // A log of 20: its latest 8 entries in their slots, "+12" before them, all in the row.
            let local = LabelPlaces::around(*place, 1.0).log.unwrap();
            let first = LogRow::first_shown(20);
            assert_eq!(first, 12);
            for slot in 0..20 - first {
                let b = Rect::from_center_size(local.slot(slot), Vec2::splat(LOG_BOX));
                assert!(local.rect().contains(b.min) && local.rect().contains(b.max));
                if slot > 0 {
                    let before = local.slot(slot - 1).x + LOG_BOX / 2.0;
                    assert!(b.min.x > before, "boxes {slot} and before overlap");
                }
            }
            let marker = text_rect(
                local.marker().extend(0.0),
                Anchor::CENTER_RIGHT,
                "+12",
                LABEL_PX,
            );
            assert!(
                marker.max.x < local.slot(0).x - LOG_BOX / 2.0,
                "+12 before the boxes"
            );
            assert!(marker.min.x >= local.left, "+12 inside the row");
        }
        // Then each server's own labels at their longest, where they go.
        for place in servers {
            let labels = LabelPlaces::around(*place, 1.0);
            let origin = Vec3::new(place.x, place.y, 0.0);
            let badge = text_rect(
                origin + labels.badge,
                labels.badge_anchor,
                "LEADER term 9",
                BADGE_PX,
            );
            let status = text_rect(
                origin + labels.status,
                labels.status_anchor,
                "term 9 candidate",
                LABEL_PX,
            );
            assert!(claim(badge, None, &mut taken), "the badge of {place:?}");
            assert!(claim(status, None, &mut taken), "the status of {place:?}");
        }
    }
}
