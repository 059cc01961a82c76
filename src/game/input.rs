//! Mouse, touch and keyboard, turned into attacks. Every attack works with each of them:
//! double-click/double-tap a node to kill or recover it, press and hold to slow it, drag from one
//! node to another to cut their link, click a message to drop it; or number keys to select a node
//! and K, S, C, D, U, I, H to act on it.

use bevy::prelude::*;
use bevy::window::PrimaryWindow;

use super::Screen;
use super::camera::{GameArea, MainCamera};
use super::messages::{Fading, MessageSprite};
use super::nodes::{NodeEntity, Selection};
use super::sim_step::{Clock, CurrentRound, Feedback, PlayerAttack, ReadInput};
use super::timeline::Hover;
use crate::round::Attack;
use crate::sim::NodeId;

pub(super) fn plugin(app: &mut App) {
    app.init_resource::<ButtonInput<KeyCode>>()
        .init_resource::<Pointer>()
        .add_systems(
            Update,
            (keyboard, (read_pointer, pointer_gestures).chain())
                .in_set(ReadInput)
                .run_if(in_state(Screen::Playing).and_then(resource_exists::<CurrentRound>)),
        )
        .add_systems(
            Update,
            (clock_keys, restart_keys)
                .run_if(in_state(Screen::Playing).or_else(in_state(Screen::Results))),
        );
}

/// Hold a node this long (seconds) to slow it rather than click it.
const HOLD_SECONDS: f32 = 0.35;
/// A press this soon after a click's release, on the same node, makes a double-click (timed
/// from release to press, as phones time a double tap, so a slow frame between the two taps
/// does not count against it).
const DOUBLE_SECONDS: f32 = 0.4;
/// A press that moves further than this (world units) is a drag.
const DRAG_DISTANCE: f32 = 14.0;
/// A pointer this close (world units) to a message is on it.
const MESSAGE_REACH: f32 = 14.0;
/// A press this close (logical pixels) to a node's centre is on it, however small the node is
/// drawn: a fingertip's reach.
const REACH_PIXELS: f32 = 22.0;

/// The primary pointer this frame, from the mouse or the first touch, in world coordinates.
#[derive(Resource, Default, Debug, Clone, PartialEq)]
pub struct Pointer {
    pub position: Option<Vec2>,
    pub pressed: bool,
    pub just_pressed: bool,
    pub just_released: bool,
    /// Where the current press began (world coordinates).
    pub origin: Option<Vec2>,
    /// World units per logical pixel: how far a fingertip reaches in the world.
    pub pixel_size: f32,
    press: Option<Press>,
    last_click: Option<(NodeId, f32)>,
}

#[derive(Debug, Clone, PartialEq)]
struct Press {
    at: Vec2,
    started: f32,
    node: Option<NodeId>,
    slowing: bool,
    /// The second press of a double-click.
    double: bool,
}

type CameraView = (
    &'static Camera,
    &'static GlobalTransform,
    &'static Projection,
);

fn read_pointer(
    mouse: Option<Res<ButtonInput<MouseButton>>>,
    touches: Option<Res<Touches>>,
    window: Option<Single<&Window, With<PrimaryWindow>>>,
    camera: Option<Single<CameraView, With<MainCamera>>>,
    area: Option<Res<GameArea>>,
    mut pointer: ResMut<Pointer>,
) {
    let (Some(window), Some(camera)) = (window, camera) else {
        return;
    };
    let (camera, camera_transform, projection) = *camera;
    if let Projection::Orthographic(ortho) = projection {
        pointer.pixel_size = ortho.scale;
    }
    // A finger lifted this frame is gone from the pressed touches but still says where it
    // was lifted: a drag ends on the node it cuts to.
    let finger = touches
        .as_ref()
        .and_then(|t| t.iter().chain(t.iter_just_released()).next());
    let screen = finger
        .map(|f| f.position())
        .or_else(|| window.cursor_position());
    // Where the press began: a finger that moved before its first frame was drawn (a quick
    // swipe on a slow device) still starts on the node it went down on.
    let origin = finger.map(|f| f.start_position()).or(screen);
    let over_game = origin.is_some_and(|p| area.as_ref().is_none_or(|a| a.contains(p)));
    let mouse_down = mouse.as_ref().is_some_and(|m| m.pressed(MouseButton::Left));
    // A tap shorter than a frame (pressed and lifted between two frames) still counts as
    // pressed for this frame.
    let touch_down = touches
        .as_ref()
        .is_some_and(|t| t.iter().next().is_some() || t.iter_just_pressed().next().is_some());
    let pressed = mouse_down || touch_down;
    let was = pointer.pressed;
    let to_world = |p| camera.viewport_to_world_2d(camera_transform, p).ok();
    pointer.position = screen.and_then(to_world);
    pointer.origin = origin.and_then(to_world);
    // A press that starts over a panel belongs to egui, not to the game.
    pointer.just_pressed = pressed && !was && over_game;
    pointer.pressed = pressed && (was || pointer.just_pressed);
    pointer.just_released = was && !pressed;
}

/// Press, hold, drag, click and double-click on nodes and messages.
fn pointer_gestures(
    time: Res<Time<Real>>,
    mut pointer: ResMut<Pointer>,
    nodes: Query<&NodeEntity>,
    messages: Query<(&MessageSprite, &GlobalTransform), Without<Fading>>,
    mut selection: ResMut<Selection>,
    mut attacks: MessageWriter<PlayerAttack>,
    mut hover: ResMut<Hover>,
) {
    let now = time.elapsed_secs();
    // The message under the pointer is lit in the diagram too.
    hover.in_game = pointer.position.and_then(|at| {
        messages
            .iter()
            .find(|(_, t)| t.translation().truncate().distance(at) <= MESSAGE_REACH)
            .map(|(m, _)| m.id)
    });
    // The nearest node within reach: its disc (and a little), or a fingertip's reach where the
    // disc is drawn smaller than that.
    let reach = REACH_PIXELS * pointer.pixel_size;
    let node_at = |p: Vec2| {
        nodes
            .iter()
            .map(|n| (n, p.distance(Vec2::new(n.place.x, n.place.y))))
            .filter(|(n, distance)| *distance <= (n.place.radius + 4.0).max(reach))
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(n, _)| n.id)
    };
    if pointer.just_pressed {
        let Some(at) = pointer.origin else { return };
        // A message under the pointer takes priority (clicking it drops it), except over a
        // node's disc, where messages leave and arrive: a press there is on the node.
        let over_disc = nodes
            .iter()
            .any(|n| at.distance(Vec2::new(n.place.x, n.place.y)) <= n.place.radius);
        let hit = messages
            .iter()
            .filter(|_| !over_disc)
            .find(|(_, t)| t.translation().truncate().distance(at) <= MESSAGE_REACH);
        if let Some((message, _)) = hit {
            attacks.write(PlayerAttack(Attack::Drop(message.id)));
            return;
        }
        let node = node_at(at);
        let double = pointer
            .last_click
            .is_some_and(|(last, released)| Some(last) == node && now - released <= DOUBLE_SECONDS);
        pointer.press = Some(Press {
            at,
            started: now,
            node,
            slowing: false,
            double,
        });
        return;
    }
    let position = pointer.position;
    let released = pointer.just_released;
    let Some(press) = pointer.press.as_mut() else {
        return;
    };
    let moved = position.is_some_and(|p| p.distance(press.at) > DRAG_DISTANCE);
    if let (Some(node), false, false) = (press.node, press.slowing, released)
        && !moved
        && now - press.started >= HOLD_SECONDS
    {
        press.slowing = true;
        attacks.write(PlayerAttack(Attack::Slow(node, true)));
    }
    if !released {
        return;
    }
    let press = pointer.press.take().expect("checked above");
    let Some(node) = press.node else { return };
    if press.slowing {
        attacks.write(PlayerAttack(Attack::Slow(node, false)));
        return;
    }
    let target = position.and_then(node_at);
    if moved {
        if let Some(other) = target.filter(|other| *other != node) {
            attacks.write(PlayerAttack(Attack::Cut(node, other)));
        }
        return;
    }
    selection.node = Some(node);
    if press.double {
        attacks.write(PlayerAttack(Attack::ToggleDown(node)));
        pointer.last_click = None;
    } else {
        pointer.last_click = Some((node, now));
    }
}

const DIGITS: [KeyCode; 9] = [
    KeyCode::Digit1,
    KeyCode::Digit2,
    KeyCode::Digit3,
    KeyCode::Digit4,
    KeyCode::Digit5,
    KeyCode::Digit6,
    KeyCode::Digit7,
    KeyCode::Digit8,
    KeyCode::Digit9,
];

/// Number keys select node 1..9; K kills or recovers it, S slows it or restores it, C then a number
/// cuts a link, D drops its next message, I isolates it, H heals the network, P pauses clients.
fn keyboard(
    keys: Res<ButtonInput<KeyCode>>,
    current: Res<CurrentRound>,
    mut selection: ResMut<Selection>,
    mut attacks: MessageWriter<PlayerAttack>,
    mut feedback: MessageWriter<Feedback>,
) {
    let round = &current.round;
    let nodes = round.setup.cluster_size();
    if let Some(index) = DIGITS
        .iter()
        .position(|k| keys.just_pressed(*k))
        .filter(|i| *i < nodes)
    {
        match (selection.cut_pending, selection.node) {
            (true, Some(from)) if from != index => {
                attacks.write(PlayerAttack(Attack::Cut(from, index)));
                selection.cut_pending = false;
            }
            _ => {
                selection.node = Some(index);
                selection.cut_pending = false;
            }
        }
    }
    if keys.just_pressed(KeyCode::Escape) {
        *selection = Selection::default();
    }
    if keys.just_pressed(KeyCode::KeyH) {
        attacks.write(PlayerAttack(Attack::HealAll));
    }
    if keys.just_pressed(KeyCode::KeyP)
        && let Some(paused) = round.simulation.clients_paused()
    {
        attacks.write(PlayerAttack(Attack::PauseClients(!paused)));
    }
    let acting = [
        KeyCode::KeyK,
        KeyCode::KeyS,
        KeyCode::KeyC,
        KeyCode::KeyD,
        KeyCode::KeyU,
        KeyCode::KeyI,
    ];
    if !keys.any_just_pressed(acting) {
        return;
    }
    let Some(node) = selection.node else {
        feedback.write(Feedback(
            "select a node first: press its number (1-9) or click it".into(),
        ));
        return;
    };
    if keys.just_pressed(KeyCode::KeyK) {
        attacks.write(PlayerAttack(Attack::ToggleDown(node)));
    }
    if keys.just_pressed(KeyCode::KeyS) {
        let slowed = round.simulation.slow_factor(node) > 1;
        attacks.write(PlayerAttack(Attack::Slow(node, !slowed)));
    }
    if keys.just_pressed(KeyCode::KeyC) {
        selection.cut_pending = true;
        feedback.write(Feedback(
            "cut: press the number of the node at the other end".into(),
        ));
    }
    if keys.just_pressed(KeyCode::KeyD) {
        attacks.write(PlayerAttack(Attack::DropNext(node)));
    }
    if keys.just_pressed(KeyCode::KeyU) {
        attacks.write(PlayerAttack(Attack::DuplicateNext(node)));
    }
    if keys.just_pressed(KeyCode::KeyI) {
        attacks.write(PlayerAttack(Attack::Isolate(node)));
    }
}

/// Space pauses, `.` steps to the next event, `+`/`-` change speed.
fn clock_keys(keys: Res<ButtonInput<KeyCode>>, mut clock: ResMut<Clock>) {
    if keys.just_pressed(KeyCode::Space) {
        clock.paused = !clock.paused;
    }
    if keys.just_pressed(KeyCode::Period) {
        clock.paused = true;
        clock.step = true;
    }
    if keys.any_just_pressed([KeyCode::Equal, KeyCode::NumpadAdd]) {
        clock.faster();
    }
    if keys.any_just_pressed([KeyCode::Minus, KeyCode::NumpadSubtract]) {
        clock.slower();
    }
}

/// R restarts with a new round; Enter after a decision starts the next one.
fn restart_keys(
    keys: Res<ButtonInput<KeyCode>>,
    screen: Res<State<Screen>>,
    mut next: ResMut<NextState<Screen>>,
) {
    let next_round = *screen.get() == Screen::Results && keys.just_pressed(KeyCode::Enter);
    if keys.just_pressed(KeyCode::KeyR) || next_round {
        // Entering Playing again (0.19 runs OnEnter on same-state sets) starts a fresh round.
        next.set(Screen::Playing);
    }
}
