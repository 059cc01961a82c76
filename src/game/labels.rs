//! No label draws over another, at any size: each frame, node and message labels are placed in
//! order of importance, and one that would overlap a node, a log row or a label already placed waits,
//! hidden, until there is room. Nodes' labels first: every badge (short, and it names the
//! leader), then the status lines, then the "in both" tags (the star beside each says the same),
//! each kind by node number (a counter's servers before its clients); then the hovered message;
//! then messages in flight, oldest
//! first (so the labels that stay, stay put); lost messages last. A node's label that would
//! cross the edge of what the player sees is moved inside it.

use bevy::ecs::system::SystemParam;
use bevy::prelude::*;
use bevy::sprite::Anchor;
use bevy::text::TextLayoutInfo;
use bevy::window::PrimaryWindow;

use super::camera::{GameArea, MainCamera, PixelSize};
use super::classroom::{Classroom, label_pixel};
use super::messages::{Fading, MessageLabel, MessageSprite};
use super::nodes::{LabelPlaces, NodeEntity, NodeLabel, log_row_rect};
use super::timeline::Hover;

pub(super) fn plugin(app: &mut App) {
    app.add_systems(
        PostUpdate,
        declutter
            .after(super::camera::fit_camera)
            .before(TransformSystems::Propagate),
    );
}

/// A little air around each box, so labels do not touch either.
const MARGIN: f32 = 2.0;

/// A label's box in the world, from where it is drawn, its laid-out size and its anchor.
fn label_rect(global: &GlobalTransform, layout: &TextLayoutInfo, anchor: Option<&Anchor>) -> Rect {
    let size = layout.size * global.scale().truncate().abs();
    let anchor = anchor.map_or(Vec2::ZERO, |a| a.0);
    Rect::from_center_size(global.translation().truncate() - anchor * size, size)
}

/// Room taken, and by which node's labels (a node's own labels are laid out to stack closely, so
/// they never hide each other).
pub(super) type Taken = Vec<(Rect, Option<Entity>)>;

/// Takes `rect`'s room if it is free of what is `taken` (a node's own labels excepted), and says
/// whether it did.
pub(super) fn claim(rect: Rect, owner: Option<Entity>, taken: &mut Taken) -> bool {
    let rect = rect.inflate(MARGIN);
    let free = taken
        .iter()
        .all(|(other, by)| (owner.is_some() && *by == owner) || rect.intersect(*other).is_empty());
    if free {
        taken.push((rect, owner));
    }
    free
}

/// Shows `rect`'s label if it fits beside what is `taken` (and takes its room), hides it if not.
fn place(rect: Rect, owner: Option<Entity>, taken: &mut Taken, visibility: &mut Visibility) {
    let wanted = if claim(rect, owner, taken) {
        Visibility::Inherited
    } else {
        Visibility::Hidden
    };
    if *visibility != wanted {
        *visibility = wanted;
    }
}

type NodeLabels<'w, 's> = Query<
    'w,
    's,
    (
        &'static NodeLabel,
        &'static ChildOf,
        &'static mut Transform,
        &'static TextLayoutInfo,
        Option<&'static Anchor>,
        &'static mut Visibility,
    ),
    Without<MessageLabel>,
>;

type MessageLabels<'w, 's> = Query<
    'w,
    's,
    (
        &'static GlobalTransform,
        &'static TextLayoutInfo,
        Option<&'static Anchor>,
        &'static mut Visibility,
    ),
    (With<MessageLabel>, Without<NodeLabel>),
>;

/// The camera, which is no label (the labels' transforms are written beside its read).
type CameraOnly = (With<MainCamera>, Without<NodeLabel>);

/// The part of the world the player sees, clear of the panels: a node's label that would cross
/// its edge is moved inside it, never cut off. Worked out from the camera as `fit_camera` placed
/// it this frame (its transform and scale, not last frame's propagated ones), so that labels
/// follow the camera without a frame's lag.
fn seen_world(
    camera: Option<Single<(&Transform, &Projection), CameraOnly>>,
    window: Option<Single<&Window, With<PrimaryWindow>>>,
    area: Option<Res<GameArea>>,
) -> Option<Rect> {
    let (at, projection) = *camera?;
    let Projection::Orthographic(ortho) = projection else {
        return None;
    };
    let window = window?;
    let size = Vec2::new(window.width(), window.height());
    let (min, max) = area.map_or((Vec2::ZERO, size), |a| {
        (a.min.max(Vec2::ZERO), a.max.min(size))
    });
    // Window pixels (y down, from the top left) to the world (y up) around the camera.
    let to_world = |p: Vec2| {
        let from_middle = (p - size / 2.0) * ortho.scale;
        at.translation.truncate() + Vec2::new(from_middle.x, -from_middle.y)
    };
    Some(Rect::from_corners(to_world(min), to_world(max)))
}

/// How far `rect` must move to lie inside `seen` (its left or top edge wins if it is larger).
fn into_view(rect: Rect, seen: Rect) -> Vec2 {
    let axis = |lo: f32, hi: f32, seen_lo: f32, seen_hi: f32| {
        if lo < seen_lo {
            seen_lo - lo
        } else if hi > seen_hi {
            (seen_hi - hi).max(seen_lo - lo)
        } else {
            0.0
        }
    };
    Vec2::new(
        axis(rect.min.x, rect.max.x, seen.min.x, seen.max.x),
        axis(rect.min.y, rect.max.y, seen.min.y, seen.max.y),
    )
}

/// The sizes labels are drawn at, and where the player sees the world.
#[derive(SystemParam)]
struct View<'w, 's> {
    classroom: Res<'w, Classroom>,
    pixel: Res<'w, PixelSize>,
    camera: Option<Single<'w, 's, (&'static Transform, &'static Projection), CameraOnly>>,
    window: Option<Single<'w, 's, &'static Window, With<PrimaryWindow>>>,
    area: Option<Res<'w, GameArea>>,
}

/// Runs after the text is laid out for this frame's words and sizes (the layout of the frame
/// before, for a label that just changed) and with last frame's positions: close enough for
/// labels that move a few pixels a frame.
fn declutter(
    hover: Res<Hover>,
    view: View,
    nodes: Query<&NodeEntity>,
    mut node_labels: NodeLabels,
    sprites: Query<(&MessageSprite, &Children, Has<Fading>)>,
    mut message_labels: MessageLabels,
) {
    let line = label_pixel(&view.classroom, &view.pixel);
    let seen = seen_world(view.camera, view.window, view.area);
    let mut taken: Taken = nodes
        .iter()
        .map(|n| {
            let disc = Rect::from_center_size(
                Vec2::new(n.place.x, n.place.y),
                Vec2::splat(n.place.radius * 2.0),
            );
            (disc, None)
        })
        .collect();
    // Log rows are drawn where they belong, always: every label keeps clear of them, its own
    // node's too.
    for node in &nodes {
        if let Some(row) = log_row_rect(node.place, line) {
            taken.push((row.inflate(MARGIN), None));
        }
    }

    let mut order: Vec<_> = node_labels
        .iter_mut()
        .filter_map(
            |(label, parent, mut transform, layout, anchor, visibility)| {
                let owner = parent.parent();
                let node = nodes.get(owner).ok()?;
                // Where the layout puts it; moved inside the part of the world the player sees.
                let places = LabelPlaces::around(node.place, line);
                let home = match label.rank {
                    0 => places.badge,
                    1 => places.status,
                    _ => LabelPlaces::tag(node.place),
                };
                let at = Vec2::new(node.place.x, node.place.y) + home.truncate();
                // An empty label takes no room.
                let rect = (layout.size != Vec2::ZERO).then(|| {
                    let size = layout.size;
                    let anchor = anchor.map_or(Vec2::ZERO, |a| a.0);
                    let rect = Rect::from_center_size(at - anchor * size, size);
                    let shift = seen.map_or(Vec2::ZERO, |seen| into_view(rect, seen));
                    let wanted = home + shift.extend(0.0);
                    if transform.translation != wanted {
                        transform.translation = wanted;
                    }
                    // Only the badge and status are laid out to stack with each other; moved, or
                    // the tag beside the star, a label must find room free of its node's others.
                    let owner = (shift == Vec2::ZERO && label.rank < 2).then_some(owner);
                    (rect.translate(shift), owner)
                });
                Some(((label.rank, node.id), rect, visibility))
            },
        )
        .collect();
    order.sort_by_key(|(key, ..)| *key);
    for (_, rect, mut visibility) in order {
        match rect {
            Some((rect, owner)) => place(rect, owner, &mut taken, &mut visibility),
            // Assigned only when it changes: a write marks it changed for every system after.
            None => {
                if *visibility != Visibility::Inherited {
                    *visibility = Visibility::Inherited;
                }
            }
        }
    }

    let lit = hover.message();
    let mut order: Vec<(&MessageSprite, &Children, bool)> = sprites.iter().collect();
    order.sort_by_key(|(sprite, _, fading)| (Some(sprite.id) != lit, *fading, sprite.id));
    for (_, children, _) in order {
        for child in children.iter() {
            let Ok((global, layout, anchor, mut visibility)) = message_labels.get_mut(child) else {
                continue;
            };
            // Not laid out yet (a label spawned this frame): it waits a frame.
            if layout.size == Vec2::ZERO {
                continue;
            }
            place(
                label_rect(global, layout, anchor),
                None,
                &mut taken,
                &mut visibility,
            );
        }
    }
}
