//! In-flight messages as sprites moving along their link, coloured by the leader whose ballot
//! they carry and labelled with their kind. Lost messages fade out where they die.

use std::collections::{HashMap, HashSet};

use bevy::ecs::system::SystemParam;
use bevy::prelude::*;
use bevy::sprite::Anchor;

use super::camera::PixelSize;
use super::classroom::{Classroom, LABEL_PX, LabelSize, label_font};
use super::node_colour;
use super::nodes::{NodeEntity, RoundEntity, Selection, Shapes};
use super::sim_step::{CurrentRound, Frame, PublishFrame, RoundStarted};
use super::timeline::Hover;
use crate::sim::MsgId;
use crate::view::{MessageShape, Place};

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<MessageEntities>().add_systems(
        Update,
        (
            forget_old_round,
            sync_messages
                .after(PublishFrame)
                .run_if(resource_exists::<CurrentRound>),
            fade_lost,
            light_hovered,
        )
            .chain(),
    );
}

/// The label of a message sprite (its kind and contents).
#[derive(Component)]
pub struct MessageLabel;

/// A message sprite; `id` is the core's message id.
#[derive(Component, Debug)]
pub struct MessageSprite {
    pub id: MsgId,
}

/// A lost message's last moments.
#[derive(Component)]
pub struct Fading {
    left: f32,
}

const FADE_SECONDS: f32 = 0.9;

/// A light message's size, relative to the others', and its opacity.
const LIGHT_SCALE: f32 = 0.55;
const LIGHT_ALPHA: f32 = 0.5;

/// The sprite of each message in flight, by the core's message id.
#[derive(Resource, Default)]
struct MessageEntities {
    by_id: HashMap<MsgId, Entity>,
}

/// Where a message is drawn: from the sender's rim to the receiver's rim.
fn along(from: Place, to: Place, progress: f32) -> Vec2 {
    let (a, b) = (Vec2::new(from.x, from.y), Vec2::new(to.x, to.y));
    let dir = (b - a).normalize_or_zero();
    let start = a + dir * from.radius;
    let end = b - dir * to.radius;
    start.lerp(end, progress)
}

/// Where the messages waiting for the network player are parked on their links: the first sent
/// nearest its receiver, the later ones queued back towards the sender, so that none hides
/// another and each can be picked.
fn parked_progress(messages: &[crate::view::MessageView]) -> HashMap<MsgId, f32> {
    let mut links: HashMap<(usize, usize), Vec<MsgId>> = HashMap::new();
    for message in messages {
        links
            .entry((message.from, message.to))
            .or_default()
            .push(message.id);
    }
    let mut parked = HashMap::new();
    for waiting in links.values_mut() {
        waiting.sort_unstable();
        // Spread over the link's last 80% at most, closer together when many wait.
        let gap = (0.7 / waiting.len() as f32).min(0.16);
        for (place, id) in waiting.iter().enumerate() {
            parked.insert(*id, 0.85 - gap * place as f32);
        }
    }
    parked
}

/// The old round's sprites went with its `RoundEntity` cleanup; forget their ids.
fn forget_old_round(
    mut started: MessageReader<RoundStarted>,
    mut entities: ResMut<MessageEntities>,
) {
    if started.read().count() > 0 {
        entities.by_id.clear();
    }
}

/// How new message sprites look: the shared shapes, and label sizes for the mode.
#[derive(SystemParam)]
struct Looks<'w> {
    shapes: Res<'w, Shapes>,
    classroom: Res<'w, Classroom>,
    pixel: Res<'w, PixelSize>,
}

fn sync_messages(
    mut commands: Commands,
    current: Res<CurrentRound>,
    frame: Res<Frame>,
    looks: Looks,
    nodes: Query<&NodeEntity>,
    mut entities: ResMut<MessageEntities>,
    mut sprites: Query<&mut Transform, With<MessageSprite>>,
) {
    let mut places = vec![None; current.round.setup.cluster_size()];
    for node in &nodes {
        if let Some(slot) = places.get_mut(node.id) {
            *slot = Some(node.place);
        }
    }
    if places.iter().any(Option::is_none) {
        return; // nodes not spawned yet
    }
    let places: Vec<Place> = places.into_iter().flatten().collect();
    let live: HashSet<MsgId> = frame.messages.iter().map(|m| m.id).collect();
    let parked = current
        .round
        .network_held()
        .then(|| parked_progress(&frame.messages));
    for message in &frame.messages {
        let progress = parked
            .as_ref()
            .and_then(|parked| parked.get(&message.id).copied())
            .unwrap_or(message.progress);
        let position = along(places[message.from], places[message.to], progress);
        if let Some(&entity) = entities.by_id.get(&message.id) {
            if let Ok(mut transform) = sprites.get_mut(entity) {
                transform.translation = position.extend(transform.translation.z);
            }
            continue;
        }
        let look = &message.look;
        // Routine traffic is smaller and fainter, and drawn under the rest.
        let (scale, alpha, z) = if look.light {
            (LIGHT_SCALE, LIGHT_ALPHA, 1.9)
        } else {
            (1.0, 1.0, 2.0)
        };
        let colour = node_colour(look.colour).with_alpha(alpha);
        let (size, rotation) = match look.shape {
            MessageShape::Round => (24.0 * scale, Quat::IDENTITY),
            MessageShape::Diamond => (
                19.0 * scale,
                Quat::from_rotation_z(std::f32::consts::FRAC_PI_4),
            ),
        };
        let sprite = match look.shape {
            MessageShape::Round => Sprite {
                image: looks.shapes.disc.clone(),
                color: colour,
                custom_size: Some(Vec2::splat(size)),
                ..default()
            },
            MessageShape::Diamond => Sprite::from_color(colour, Vec2::splat(size)),
        };
        // Later messages draw on top; z stays below the node labels.
        let z = z + (message.id % 1000) as f32 * 0.0005;
        let entity = commands
            .spawn((
                RoundEntity,
                MessageSprite { id: message.id },
                sprite,
                Transform::from_translation(position.extend(z)).with_rotation(rotation),
                children![(
                    MessageLabel,
                    Text2d::new(look.label.clone()),
                    label_font(LabelSize::screen(LABEL_PX), &looks.classroom, &looks.pixel),
                    TextColor(Color::srgba(0.97, 0.97, 0.97, alpha.max(0.7))),
                    // Just above the sprite, a few pixels clear of it.
                    Anchor::BOTTOM_CENTER,
                    Transform::from_xyz(0.0, size / 2.0 + 2.0 * looks.pixel.0, 0.5)
                        .with_rotation(rotation.inverse()),
                    // Shown once laid out and placed, if there is room (`labels.rs`).
                    Visibility::Hidden,
                )],
            ))
            .id();
        entities.by_id.insert(message.id, entity);
    }
    // Messages that left the network: delivered ones vanish, lost ones fade where they died.
    let lost: HashSet<MsgId> = frame.lost.iter().copied().collect();
    let gone: Vec<MsgId> = entities
        .by_id
        .keys()
        .filter(|id| !live.contains(id))
        .copied()
        .collect();
    for id in gone {
        let entity = entities.by_id.remove(&id).expect("listed above");
        // After a rewind, messages not in flight then simply were not there.
        if lost.contains(&id) && !frame.rewound {
            // Its cross, as in the diagram: a lost message is told by shape, not colour alone.
            // Its label goes: the fade grows the sprite, and a label in screen pixels grown with
            // it would stand out more than the cross.
            commands
                .entity(entity)
                .despawn_children()
                .insert(Fading { left: FADE_SECONDS })
                .with_child((
                    Text2d::new("X"),
                    label_font(
                        LabelSize {
                            px: LABEL_PX,
                            world: 18.0,
                        },
                        &looks.classroom,
                        &looks.pixel,
                    ),
                    TextColor(Color::WHITE),
                    Transform::from_xyz(0.0, 0.0, 0.6),
                ));
        } else {
            commands.entity(entity).despawn();
        }
    }
}

/// [`LOST_COLOUR`](crate::view::LOST_COLOUR) as a Bevy colour.
pub fn lost_colour() -> Color {
    let [r, g, b] = crate::view::LOST_COLOUR;
    Color::srgb_u8(r, g, b)
}

fn fade_lost(
    mut commands: Commands,
    time: Res<Time>,
    mut fading: Query<(Entity, &mut Fading, &mut Sprite, &mut Transform)>,
) {
    for (entity, mut fade, mut sprite, mut transform) in &mut fading {
        fade.left -= time.delta_secs();
        if fade.left <= 0.0 {
            commands.entity(entity).despawn();
            continue;
        }
        let t = fade.left / FADE_SECONDS;
        sprite.color = lost_colour().with_alpha(t);
        transform.scale = Vec3::splat(1.0 + (1.0 - t) * 1.5);
    }
}

/// The message hovered in the diagram or the log is drawn larger, and so, a little less, is the
/// one the network player's keys act on (`Selection::picked_message`).
fn light_hovered(
    hover: Res<Hover>,
    current: Option<Res<CurrentRound>>,
    selection: Res<Selection>,
    mut sprites: Query<(&MessageSprite, &mut Transform), Without<Fading>>,
) {
    let lit = hover.message();
    let picked = current
        .filter(|current| current.round.network_held())
        .and_then(|current| current.round.network_choices())
        .and_then(|choices| selection.picked_message(&choices).map(|m| m.id));
    for (sprite, mut transform) in &mut sprites {
        let scale = if Some(sprite.id) == lit {
            1.8
        } else if Some(sprite.id) == picked {
            1.5
        } else {
            1.0
        };
        if transform.scale.x != scale {
            transform.scale = Vec3::splat(scale);
        }
    }
}
