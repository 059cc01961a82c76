//! No label draws over another, at any size: each frame, node and message labels are placed in
//! order of importance, and one that would overlap a node, a log row or a label already placed waits,
//! hidden, until there is room. Nodes first, by number (a counter's servers before its clients),
//! each its badge before its status; then the hovered message; then messages in flight, oldest
//! first (so the labels that stay, stay put); lost messages last.

use bevy::prelude::*;
use bevy::sprite::Anchor;
use bevy::text::TextLayoutInfo;

use super::messages::{Fading, MessageLabel, MessageSprite};
use super::nodes::{NodeEntity, NodeLabel, log_row_rect};
use super::timeline::Hover;

pub(super) fn plugin(app: &mut App) {
    app.add_systems(PostUpdate, declutter.before(TransformSystems::Propagate));
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
        &'static GlobalTransform,
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
        &'static mut Visibility,
    ),
    (With<MessageLabel>, Without<NodeLabel>),
>;

/// Runs after the text is laid out for this frame's words and sizes (the layout of the frame
/// before, for a label that just changed) and with last frame's positions: close enough for
/// labels that move a few pixels a frame.
fn declutter(
    hover: Res<Hover>,
    nodes: Query<&NodeEntity>,
    mut node_labels: NodeLabels,
    sprites: Query<(&MessageSprite, &Children, Has<Fading>)>,
    mut message_labels: MessageLabels,
) {
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
        if let Some(row) = log_row_rect(node.place) {
            taken.push((row.inflate(MARGIN), None));
        }
    }

    let mut order: Vec<_> = node_labels
        .iter_mut()
        .filter_map(|(label, parent, global, layout, anchor, visibility)| {
            let owner = parent.parent();
            let node = nodes.get(owner).ok()?.id;
            // An empty label takes no room.
            let rect = (layout.size != Vec2::ZERO).then(|| label_rect(global, layout, anchor));
            Some(((node, label.rank), owner, rect, visibility))
        })
        .collect();
    order.sort_by_key(|(key, ..)| *key);
    for (_, owner, rect, mut visibility) in order {
        match rect {
            Some(rect) => place(rect, Some(owner), &mut taken, &mut visibility),
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
            let Ok((global, layout, mut visibility)) = message_labels.get_mut(child) else {
                continue;
            };
            // Not laid out yet (a label spawned this frame): it waits a frame.
            if layout.size == Vec2::ZERO {
                continue;
            }
            place(
                label_rect(global, layout, None),
                None,
                &mut taken,
                &mut visibility,
            );
        }
    }
}
