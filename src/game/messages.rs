//! In-flight messages as sprites moving along their link, coloured by the leader whose ballot
//! they carry and labelled with their kind. Lost messages fade out where they die.

use std::collections::{HashMap, HashSet};

use bevy::prelude::*;

use super::node_colour;
use super::nodes::{NodeEntity, RoundEntity, Shapes};
use super::sim_step::{Clock, CurrentRound};
use crate::sim::MsgId;
use crate::view::{self, MessageShape, Place};

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<MessageEntities>()
        .add_systems(Update, (sync_messages, fade_lost).chain());
}

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

#[derive(Resource, Default)]
struct MessageEntities {
    round: u32,
    by_id: HashMap<MsgId, Entity>,
    trace_cursor: usize,
}

/// Where a message is drawn: from the sender's rim to the receiver's rim.
fn along(from: Place, to: Place, progress: f32) -> Vec2 {
    let (a, b) = (Vec2::new(from.x, from.y), Vec2::new(to.x, to.y));
    let dir = (b - a).normalize_or_zero();
    let start = a + dir * from.radius;
    let end = b - dir * to.radius;
    start.lerp(end, progress)
}

#[allow(clippy::too_many_arguments)]
fn sync_messages(
    mut commands: Commands,
    current: Option<Res<CurrentRound>>,
    clock: Res<Clock>,
    fixed: Res<Time<Fixed>>,
    shapes: Option<Res<Shapes>>,
    nodes: Query<&NodeEntity>,
    mut entities: ResMut<MessageEntities>,
    mut sprites: Query<&mut Transform, With<MessageSprite>>,
) {
    let (Some(current), Some(shapes)) = (current, shapes) else {
        return;
    };
    if entities.round != current.number {
        // The old round's sprites went with its RoundEntity cleanup.
        *entities = MessageEntities {
            round: current.number,
            ..default()
        };
    }
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
    let simulation = &current.round.simulation;
    // Smooth motion between fixed steps: interpolate within the current step.
    let running = !clock.paused && current.round.outcome.is_none();
    let within = if running {
        f64::from(fixed.overstep_fraction()) * clock.ticks_per_step() as f64
    } else {
        0.0
    };
    let now = simulation.now() as f64 + within;
    let views = view::messages(simulation, &current.round.setup, now);
    let live: HashSet<MsgId> = views.iter().map(|m| m.id).collect();
    for message in &views {
        let position = along(places[message.from], places[message.to], message.progress);
        if let Some(&entity) = entities.by_id.get(&message.id) {
            if let Ok(mut transform) = sprites.get_mut(entity) {
                transform.translation = position.extend(transform.translation.z);
            }
            continue;
        }
        let colour = node_colour(message.colour);
        let (size, rotation) = match message.shape {
            MessageShape::Round => (24.0, Quat::IDENTITY),
            MessageShape::Diamond => (19.0, Quat::from_rotation_z(std::f32::consts::FRAC_PI_4)),
        };
        let sprite = match message.shape {
            MessageShape::Round => Sprite {
                image: shapes.disc.clone(),
                color: colour,
                custom_size: Some(Vec2::splat(size)),
                ..default()
            },
            MessageShape::Diamond => Sprite::from_color(colour, Vec2::splat(size)),
        };
        // Later messages draw on top; z stays below the node labels.
        let z = 2.0 + (message.id % 1000) as f32 * 0.0005;
        let entity = commands
            .spawn((
                RoundEntity,
                MessageSprite { id: message.id },
                sprite,
                Transform::from_translation(position.extend(z)).with_rotation(rotation),
                children![(
                    Text2d::new(message.label.clone()),
                    TextFont {
                        font_size: FontSize::Px(14.0),
                        ..default()
                    },
                    TextColor(Color::srgb(0.97, 0.97, 0.97)),
                    Transform::from_xyz(0.0, 19.0, 0.5).with_rotation(rotation.inverse()),
                )],
            ))
            .id();
        entities.by_id.insert(message.id, entity);
    }
    // Messages that left the network: delivered ones vanish, lost ones fade where they died.
    let cursor = entities.trace_cursor;
    let lost: HashSet<MsgId> = view::lost_since(simulation, cursor).into_iter().collect();
    entities.trace_cursor = simulation.trace_len();
    let gone: Vec<MsgId> = entities
        .by_id
        .keys()
        .filter(|id| !live.contains(id))
        .copied()
        .collect();
    for id in gone {
        let entity = entities.by_id.remove(&id).expect("listed above");
        if lost.contains(&id) {
            commands
                .entity(entity)
                .insert(Fading { left: FADE_SECONDS });
        } else {
            commands.entity(entity).despawn();
        }
    }
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
        sprite.color = Color::srgba(1.0, 0.25, 0.2, t);
        transform.scale = Vec3::splat(1.0 + (1.0 - t) * 1.5);
    }
}
