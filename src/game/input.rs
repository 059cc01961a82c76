//! Mouse, touch and keyboard, turned into attacks. Every attack works with each of them:
//! double-click/double-tap a node to kill or recover it, press and hold to slow it, drag from one
//! node to another to cut their link, click a message to drop it; or number keys to select a node
//! and K, S, C, D, U, I, H to act on it. The network player clicks a message to deliver it, or
//! picks one with N and delivers, copies or drops it with Enter, Shift+Enter or X.

use bevy::input::touch::TouchPhase;
use bevy::prelude::*;
use bevy::window::{PrimaryWindow, WindowEvent};

use super::Screen;
use super::camera::{GameArea, MainCamera};
use super::messages::{Fading, MessageSprite};
use super::nodes::{NodeEntity, Selection};
use super::sim_step::{Clock, CurrentRound, Feedback, PlayerAttack, ReadInput};
use super::timeline::Hover;
use crate::round::Attack;
use crate::sim::NodeId;

pub(super) fn plugin(app: &mut App) {
    // Present with a window; the headless tests, which have none, write `PointerEvent`s.
    app.add_message::<WindowEvent>()
        .add_message::<PointerEvent>()
        .init_resource::<ButtonInput<KeyCode>>()
        .init_resource::<Pointer>()
        .add_systems(
            Update,
            (
                keyboard,
                network_keys,
                (read_pointer, pointer_gestures).chain(),
            )
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
/// A press this soon after a click's release, on the same node, makes a double-click. It is
/// timed from release to press, as phones time a double tap, and between the taps themselves as
/// nearly as a frame can tell: events carry no time, so a release read in one frame counts as
/// at that frame's end and a press read in a later frame as at that frame's start. However
/// slow the frames, two taps close enough together are a double tap (and two read in one frame
/// always are).
const DOUBLE_SECONDS: f32 = 0.4;
/// A press that moves further than this (world units) is a drag.
const DRAG_DISTANCE: f32 = 14.0;
/// A pointer this close (world units) to a message is on it.
const MESSAGE_REACH: f32 = 14.0;
/// A press this close (logical pixels) to a node's centre is on it, however small the node is
/// drawn: a fingertip's reach.
const REACH_PIXELS: f32 = 22.0;

/// One thing the primary pointer (the mouse, or the first finger down) did, in world
/// coordinates, in the order the window reported it. Gestures are read from these, never from
/// the state a frame happens to see: on a slow machine a whole click, or both clicks of a
/// double-click, can fall between two frames.
#[derive(Message, Debug, Clone, Copy, PartialEq)]
pub enum PointerEvent {
    /// Went down here, over the game area (a press on a panel belongs to egui).
    Press(Vec2),
    /// Moved here while down.
    Move(Vec2),
    /// Came up here.
    Release(Vec2),
}

/// Where the primary pointer is, for hovering, and what the gestures need between frames.
#[derive(Resource, Default, Debug, Clone, PartialEq)]
pub struct Pointer {
    /// World coordinates, if the pointer is over the window.
    pub position: Option<Vec2>,
    /// World units per logical pixel: how far a fingertip reaches in the world.
    pub pixel_size: f32,
    /// Window coordinates, kept between frames (the cursor need not move to click).
    screen: Option<Vec2>,
    /// The finger being followed, if a touch is the pointer.
    finger: Option<u64>,
    /// Whether a press that began over the game area is still down.
    down: bool,
    press: Option<Press>,
    last_click: Option<(NodeId, f32)>,
}

#[derive(Debug, Clone, PartialEq)]
struct Press {
    at: Vec2,
    started: f32,
    node: Option<NodeId>,
    slowing: bool,
    /// Moved further than a click may: a drag.
    moved: bool,
    /// The second press of a double-click.
    double: bool,
}

type CameraView = (
    &'static Camera,
    &'static GlobalTransform,
    &'static Projection,
);

/// Turns the window's mouse and touch events, in their order, into [`PointerEvent`]s.
fn read_pointer(
    mut window_events: MessageReader<WindowEvent>,
    window: Option<Single<&Window, With<PrimaryWindow>>>,
    camera: Option<Single<CameraView, With<MainCamera>>>,
    area: Option<Res<GameArea>>,
    mut pointer: ResMut<Pointer>,
    mut out: MessageWriter<PointerEvent>,
) {
    let (Some(window), Some(camera)) = (window, camera) else {
        window_events.clear();
        return;
    };
    let (camera, camera_transform, projection) = *camera;
    if let Projection::Orthographic(ortho) = projection {
        pointer.pixel_size = ortho.scale;
    }
    let to_world = |p: Vec2| camera.viewport_to_world_2d(camera_transform, p).ok();
    let over_game = |p: Vec2| area.as_ref().is_none_or(|a| a.contains(p));
    if pointer.screen.is_none() {
        pointer.screen = window.cursor_position();
    }
    for event in window_events.read() {
        // (where, went down, came up) in window coordinates.
        let (at, down, up) = match event {
            WindowEvent::CursorMoved(moved) if pointer.finger.is_none() => {
                (moved.position, false, false)
            }
            WindowEvent::CursorLeft(_) if pointer.finger.is_none() => {
                pointer.screen = None;
                continue;
            }
            WindowEvent::MouseButtonInput(input)
                if input.button == MouseButton::Left && pointer.finger.is_none() =>
            {
                let Some(at) = pointer.screen.or(window.cursor_position()) else {
                    continue;
                };
                let pressed = input.state.is_pressed();
                (at, pressed, !pressed)
            }
            WindowEvent::TouchInput(touch) => {
                let ours = pointer.finger == Some(touch.id);
                match touch.phase {
                    TouchPhase::Started if pointer.finger.is_none() => {
                        pointer.finger = Some(touch.id);
                        (touch.position, true, false)
                    }
                    TouchPhase::Moved if ours => (touch.position, false, false),
                    TouchPhase::Ended | TouchPhase::Canceled if ours => {
                        pointer.finger = None;
                        (touch.position, false, true)
                    }
                    _ => continue,
                }
            }
            _ => continue,
        };
        pointer.screen = Some(at);
        let Some(world) = to_world(at) else { continue };
        if down {
            // A release the window never reported (it came outside) ends the last press here.
            if std::mem::take(&mut pointer.down) {
                out.write(PointerEvent::Release(world));
            }
            if over_game(at) {
                pointer.down = true;
                out.write(PointerEvent::Press(world));
            }
        } else if up {
            if std::mem::take(&mut pointer.down) {
                out.write(PointerEvent::Release(world));
            }
        } else if pointer.down {
            out.write(PointerEvent::Move(world));
        }
    }
    pointer.position = pointer.screen.and_then(to_world);
}

/// The message sprites still in flight (not fading out), where they are.
type LiveMessages<'w, 's> =
    Query<'w, 's, (&'static MessageSprite, &'static GlobalTransform), Without<Fading>>;

/// Press, hold, drag, click and double-click on nodes and messages, from the pointer's events
/// in order; only holding to slow reads the clock.
fn pointer_gestures(
    (time, current): (Res<Time<Real>>, Option<Res<CurrentRound>>),
    mut events: MessageReader<PointerEvent>,
    mut pointer: ResMut<Pointer>,
    (nodes, messages): (Query<&NodeEntity>, LiveMessages),
    mut selection: ResMut<Selection>,
    mut attacks: MessageWriter<PlayerAttack>,
    mut hover: ResMut<Hover>,
) {
    let now = time.elapsed_secs();
    let held = current.is_some_and(|current| current.round.network_held());
    // The earliest moment this frame's events can have happened: just after the last frame.
    let frame_start = now - time.delta_secs();
    // The nearest message within reach: a fingertip's on a small screen, where parked messages
    // lie close together.
    let message_reach = MESSAGE_REACH.max(0.6 * REACH_PIXELS * pointer.pixel_size);
    let message_at = |at: Vec2| {
        messages
            .iter()
            .map(|(m, t)| (m.id, t.translation().truncate().distance(at)))
            .filter(|(_, distance)| *distance <= message_reach)
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(id, _)| id)
    };
    // The message under the pointer is lit in the diagram too.
    hover.in_game = pointer.position.and_then(message_at);
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
    for event in events.read() {
        match *event {
            PointerEvent::Press(at) => {
                // A message under the pointer takes priority (clicking it drops it), except
                // over a node's disc, where messages leave and arrive: a press there is on the
                // node.
                let over_disc = nodes
                    .iter()
                    .any(|n| at.distance(Vec2::new(n.place.x, n.place.y)) <= n.place.radius);
                if let Some(message) = message_at(at).filter(|_| !over_disc) {
                    // The network player delivers what it clicks; everyone else drops it.
                    let attack = if held {
                        Attack::Deliver(message)
                    } else {
                        Attack::Drop(message)
                    };
                    attacks.write(PlayerAttack(attack));
                    pointer.press = None;
                    continue;
                }
                let node = node_at(at);
                let double = pointer.last_click.is_some_and(|(last, released)| {
                    Some(last) == node && frame_start - released <= DOUBLE_SECONDS
                });
                pointer.press = Some(Press {
                    at,
                    started: now,
                    node,
                    slowing: false,
                    moved: false,
                    double,
                });
            }
            PointerEvent::Move(at) => {
                if let Some(press) = pointer.press.as_mut() {
                    press.moved |= at.distance(press.at) > DRAG_DISTANCE;
                }
            }
            PointerEvent::Release(at) => {
                let Some(mut press) = pointer.press.take() else {
                    continue;
                };
                press.moved |= at.distance(press.at) > DRAG_DISTANCE;
                let Some(node) = press.node else { continue };
                if press.slowing {
                    attacks.write(PlayerAttack(Attack::Slow(node, false)));
                    continue;
                }
                if press.moved {
                    if let Some(other) = node_at(at).filter(|other| *other != node) {
                        attacks.write(PlayerAttack(Attack::Cut(node, other)));
                    }
                    continue;
                }
                selection.node = Some(node);
                if press.double {
                    attacks.write(PlayerAttack(Attack::ToggleDown(node)));
                    pointer.last_click = None;
                } else {
                    pointer.last_click = Some((node, now));
                }
            }
        }
    }
    // Still down, on a node, where it went down: held long enough, it slows the node.
    if let Some(press) = pointer.press.as_mut()
        && let Some(node) = press.node
        && !press.slowing
        && !press.moved
        && now - press.started >= HOLD_SECONDS
    {
        press.slowing = true;
        attacks.write(PlayerAttack(Attack::Slow(node, true)));
    }
}

/// The number keys that select nodes 1 to 9 (index 0 to 8).
pub const DIGITS: [KeyCode; 9] = [
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
        && let Some(paused) = round.simulation.engine().clients_paused()
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

/// The network player's keys: N picks the next waiting message (in the panel's order), Enter
/// delivers the picked one, Shift+Enter delivers a copy and keeps it waiting, X drops it; F fires
/// the selected node's timer; G lets the network run, or holds it again.
fn network_keys(
    keys: Res<ButtonInput<KeyCode>>,
    current: Res<CurrentRound>,
    mut selection: ResMut<Selection>,
    mut attacks: MessageWriter<PlayerAttack>,
    mut feedback: MessageWriter<Feedback>,
) {
    let network = [
        KeyCode::KeyN,
        KeyCode::Enter,
        KeyCode::NumpadEnter,
        KeyCode::KeyX,
        KeyCode::KeyF,
        KeyCode::KeyG,
    ];
    if !keys.any_just_pressed(network) {
        return;
    }
    let round = &current.round;
    let Some(choices) = round.network_choices() else {
        return;
    };
    if keys.just_pressed(KeyCode::KeyG) {
        attacks.write(PlayerAttack(Attack::RunNetwork(!choices.running)));
        return;
    }
    if choices.running {
        feedback.write(Feedback(
            "the network runs by itself: G holds it again".into(),
        ));
        return;
    }
    let nothing_waits = || {
        Feedback(
            "no message waits: select a node (1-9 or a click) and press F to fire its timer".into(),
        )
    };
    if keys.just_pressed(KeyCode::KeyN) {
        let picked = selection.picked_message(&choices).map(|m| m.id);
        let at = choices.messages.iter().position(|m| Some(m.id) == picked);
        let next = at.map(|at| &choices.messages[(at + 1) % choices.messages.len()]);
        selection.message = next.map(|m| m.id);
        if next.is_none() {
            feedback.write(nothing_waits());
        }
    }
    let deliver = keys.any_just_pressed([KeyCode::Enter, KeyCode::NumpadEnter]);
    if deliver || keys.just_pressed(KeyCode::KeyX) {
        let copy = keys.any_pressed([KeyCode::ShiftLeft, KeyCode::ShiftRight]);
        match selection.picked_message(&choices) {
            None => {
                feedback.write(nothing_waits());
            }
            Some(message) if !deliver => {
                attacks.write(PlayerAttack(Attack::Drop(message.id)));
            }
            Some(message) if copy => {
                attacks.write(PlayerAttack(Attack::DeliverCopy(message.id)));
            }
            Some(message) => {
                attacks.write(PlayerAttack(Attack::Deliver(message.id)));
            }
        }
    }
    if keys.just_pressed(KeyCode::KeyF) {
        let Some(node) = selection.node else {
            feedback.write(Feedback(
                "select a node first (1-9 or a click): F fires its timer".into(),
            ));
            return;
        };
        match choices.timers.iter().find(|timer| timer.node == node) {
            Some(timer) => {
                attacks.write(PlayerAttack(Attack::Fire(node, timer.timer)));
            }
            None => {
                let name = round.setup.mode.node_name(&round.setup, node);
                feedback.write(Feedback(format!("{name} has no timer to fire")));
            }
        }
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

/// R restarts with a new round; Enter after a decision starts the next one, except for the
/// network player, whose Enter delivers messages: a last Enter pressed as the round ends must
/// not skip its results.
fn restart_keys(
    keys: Res<ButtonInput<KeyCode>>,
    screen: Res<State<Screen>>,
    current: Option<Res<CurrentRound>>,
    mut next: ResMut<NextState<Screen>>,
) {
    let network_player = current.is_some_and(|c| c.round.setup.network_player);
    let next_round =
        *screen.get() == Screen::Results && keys.just_pressed(KeyCode::Enter) && !network_player;
    if keys.just_pressed(KeyCode::KeyR) || next_round {
        // Entering Playing again (0.19 runs OnEnter on same-state sets) starts a fresh round.
        next.set(Screen::Playing);
    }
}
