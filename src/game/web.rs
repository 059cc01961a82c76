//! The browser build: settings from the URL, scores in localStorage, pausing while the tab is
//! hidden, and a small JavaScript API (`window.beatPaxos`, set up by `web/index.html`) for tests
//! and embedding.

use std::cell::RefCell;

use std::time::Duration;

use bevy::ecs::system::SystemParam;
use bevy::prelude::*;
use bevy::winit::{UpdateMode, WinitSettings};
use wasm_bindgen::prelude::*;

use super::camera::MainCamera;
use super::classroom::Classroom;
use super::messages::{Fading, MessageSprite};
use super::nodes::{NodeEntity, Selection};
use super::persist::ScoreStore;
use super::share;
use super::sim_step::{
    Clock, CurrentRound, Frame, PlayerAttack, PublishFrame, ReadInput, RoundStarted,
};
use super::timeline::Seek;
use super::violation::ViolationAlarm;
use super::{Launch, Screen, Settings};
use crate::link;
use crate::round::Attack;
use crate::sim::{FNV_OFFSET, NodeId, Tick, fnv1a64};

/// Starts the game as the page's URL asks.
pub fn start() {
    let query = web_sys::window()
        .and_then(|w| w.location().search().ok())
        .unwrap_or_default();
    let link = link::parse(&query);
    let mut notices: Vec<String> = link
        .problems
        .iter()
        .map(|p| format!("Link ignored: {p}"))
        .collect();
    let clock = match link.speed.as_deref().map(Clock::at_speed) {
        Some(Ok(clock)) => Some(clock),
        Some(Err(problem)) => {
            notices.push(format!(
                "Link ignored: {}",
                problem.trim_start_matches("--speed: ")
            ));
            None
        }
        None => None,
    };
    for notice in &notices {
        web_sys::console::warn_1(&notice.into());
    }
    super::run(Launch {
        settings: Settings {
            setup: link.setup,
            scenario: link.scenario,
            fixed_seed: link.chose,
            plan: link.moves,
            lesson: link.lesson,
            free_play: None,
        },
        start_playing: link.chose,
        clock,
        window: None,
        screenshot: None,
        scores: ScoreStore::LocalStorage,
        notices,
        present: link.present,
    });
}

/// What the page can see and do, shared between the Bevy systems and the exported functions
/// (the browser runs both on one thread).
#[derive(Default)]
struct Bridge {
    state: String,
    inbox: Vec<Attack>,
    /// Ticks to seek to, from `beatPaxos.seek`.
    seeks: Vec<Tick>,
    /// The replay JSON of the current round, and which (round, line length) it is for.
    replay: String,
    replay_of: (u32, usize),
    /// FNV-1a of the trace after each event: `hashes[n - 1]` covers the first `n` events.
    hashes: Vec<u64>,
    /// `beatPaxos.askChecker()` asked "can this still break?"; answered next frame.
    ask_checker: bool,
    /// The checker's last answer (JSON), with the milliseconds its search took.
    checker_answer: Option<String>,
}

thread_local! {
    static BRIDGE: RefCell<Bridge> = RefCell::new(Bridge::default());
}

/// The game's state as JSON: screen, tick, nodes, messages, moves, outcome, violations.
#[wasm_bindgen]
pub fn beat_paxos_state() -> String {
    BRIDGE.with(|b| b.borrow().state.clone())
}

/// Submits a player attack, e.g. `{"ToggleDown": 0}` or `{"Cut": [0, 1]}`; applied next frame.
#[wasm_bindgen]
pub fn beat_paxos_act(json: &str) -> Result<(), JsValue> {
    let attack: Attack = serde_json::from_str(json)
        .map_err(|e| JsValue::from_str(&format!("not an attack: {e}")))?;
    BRIDGE.with(|b| b.borrow_mut().inbox.push(attack));
    Ok(())
}

/// Moves the round to `tick` (see the timeline): its exact state then, paused; applied next
/// frame. Ticks past how far the round has gone go to the furthest point.
#[wasm_bindgen]
pub fn beat_paxos_seek(tick: f64) -> Result<(), JsValue> {
    if !(tick.is_finite() && tick >= 0.0) {
        return Err(JsValue::from_str(&format!(
            "not a tick: {tick} (expected a whole number from 0)"
        )));
    }
    BRIDGE.with(|b| b.borrow_mut().seeks.push(tick as Tick));
    Ok(())
}

/// Asks "can this still break?" from the current moment, as the side panel's button does;
/// the answer comes next frame, from `beat_paxos_checker_answer`.
#[wasm_bindgen]
pub fn beat_paxos_ask_checker() {
    BRIDGE.with(|b| {
        let mut b = b.borrow_mut();
        b.ask_checker = true;
        b.checker_answer = None;
    });
}

/// The checker's last answer as JSON (the search's `FromHere`, and `ms`: how long the search
/// took in this browser), or `undefined` until there is one.
#[wasm_bindgen]
pub fn beat_paxos_checker_answer() -> Option<String> {
    BRIDGE.with(|b| b.borrow().checker_answer.clone())
}

/// The replay file of the current round (JSON, as "save replay" writes it).
#[wasm_bindgen]
pub fn beat_paxos_replay() -> String {
    BRIDGE.with(|b| b.borrow().replay.clone())
}

/// FNV-1a (hex) of the first `events` trace lines, exactly as `beat-paxos sim --trace` writes
/// them; `undefined` until that many events exist.
#[wasm_bindgen]
pub fn beat_paxos_trace_hash(events: usize) -> Option<String> {
    BRIDGE.with(|b| {
        let b = b.borrow();
        match events {
            0 => Some(format!("{FNV_OFFSET:016x}")),
            n => b.hashes.get(n - 1).map(|h| format!("{h:016x}")),
        }
    })
}

pub(super) fn plugin(app: &mut App) {
    app.add_systems(Update, (deliver_inbox.in_set(ReadInput), pause_when_hidden))
        .add_systems(
            Update,
            (forget_old_round, hash_new_trace)
                .chain()
                .after(PublishFrame)
                .run_if(resource_exists::<CurrentRound>),
        )
        .add_systems(Last, (publish_state, signal_ready))
        .add_systems(
            Update,
            answer_checker
                .after(PublishFrame)
                .run_if(resource_exists::<CurrentRound>),
        );
}

/// Runs the search `beatPaxos.askChecker()` asked for, timed with the browser's clock.
fn answer_checker(current: Res<CurrentRound>) {
    if !BRIDGE.with(|b| std::mem::take(&mut b.borrow_mut().ask_checker)) {
        return;
    }
    let started = js_sys::Date::now();
    let answer = super::hud::ask_checker(&current.round);
    let ms = js_sys::Date::now() - started;
    let json = match answer {
        Ok(found) => serde_json::json!({ "ms": ms, "found": found }),
        Err(why) => serde_json::json!({ "ms": ms, "error": why }),
    };
    BRIDGE.with(|b| b.borrow_mut().checker_answer = Some(json.to_string()));
}

fn deliver_inbox(mut attacks: MessageWriter<PlayerAttack>, mut seeks: MessageWriter<Seek>) {
    let (inbox, asked) = BRIDGE.with(|b| {
        let mut b = b.borrow_mut();
        (std::mem::take(&mut b.inbox), std::mem::take(&mut b.seeks))
    });
    for attack in inbox {
        attacks.write(PlayerAttack(attack));
    }
    for tick in asked {
        seeks.write(Seek(tick));
    }
}

/// A hidden tab stops rendering (one wake-up a second to notice it is back) and the round waits
/// for the player to return.
fn pause_when_hidden(
    mut clock: ResMut<Clock>,
    mut winit: ResMut<WinitSettings>,
    mut paused_by_us: Local<bool>,
) {
    let hidden = web_sys::window()
        .and_then(|w| w.document())
        .is_some_and(|d| d.hidden());
    let mode = if hidden {
        UpdateMode::reactive_low_power(Duration::from_secs(1))
    } else {
        UpdateMode::Continuous
    };
    if winit.focused_mode != mode {
        winit.focused_mode = mode;
        winit.unfocused_mode = mode;
    }
    if hidden && !clock.paused {
        clock.paused = true;
        *paused_by_us = true;
    } else if !hidden && *paused_by_us {
        clock.paused = false;
        *paused_by_us = false;
    }
}

/// A new round's trace starts from scratch; attacks already submitted still apply.
fn forget_old_round(mut started: MessageReader<RoundStarted>) {
    if started.read().count() > 0 {
        BRIDGE.with(|b| {
            let mut b = b.borrow_mut();
            *b = Bridge {
                inbox: std::mem::take(&mut b.inbox),
                seeks: std::mem::take(&mut b.seeks),
                ..Default::default()
            };
        });
    }
}

/// Extends the running trace hash with this frame's new trace entries.
fn hash_new_trace(current: Res<CurrentRound>, frame: Res<Frame>) {
    let lines = current
        .round
        .simulation
        .engine()
        .trace_lines(frame.new_trace.start);
    BRIDGE.with(|b| {
        let mut b = b.borrow_mut();
        if frame.rewound {
            b.hashes.clear();
        }
        let mut hash = b.hashes.last().copied().unwrap_or(FNV_OFFSET);
        for line in lines {
            hash = fnv1a64(hash, line.as_bytes());
            b.hashes.push(hash);
        }
    });
}

/// The nodes and messages as drawn, and which node is selected.
#[derive(SystemParam)]
struct DrawnNodes<'w, 's> {
    selection: Res<'w, Selection>,
    nodes: Query<'w, 's, (&'static NodeEntity, &'static GlobalTransform)>,
    messages: Query<'w, 's, (&'static MessageSprite, &'static GlobalTransform), Without<Fading>>,
    camera: Option<Single<'w, 's, (&'static Camera, &'static GlobalTransform), With<MainCamera>>>,
}

impl DrawnNodes<'_, '_> {
    /// Where node `id` is drawn, in CSS pixels from the canvas's top left, so that a test can
    /// touch it: its centre and radius (none until the camera has placed it).
    fn on_screen(&self, id: NodeId) -> Option<serde_json::Value> {
        let (camera, view) = self.camera.as_deref()?;
        let (node, placed) = self.nodes.iter().find(|(n, _)| n.id == id)?;
        let centre = placed.translation();
        let at = camera.world_to_viewport(view, centre).ok()?;
        let edge = camera
            .world_to_viewport(view, centre + Vec3::X * node.place.radius)
            .ok()?;
        Some(serde_json::json!({ "x": at.x, "y": at.y, "r": (edge.x - at.x).abs() }))
    }

    /// Where each message sprite is drawn, in CSS pixels from the canvas's top left, by the
    /// core's message id: a test clicks the network player's parked messages there.
    fn messages_on_screen(&self) -> serde_json::Map<String, serde_json::Value> {
        let Some((camera, view)) = self.camera.as_deref() else {
            return serde_json::Map::new();
        };
        self.messages
            .iter()
            .filter_map(|(message, placed)| {
                let at = camera.world_to_viewport(view, placed.translation()).ok()?;
                let xy = serde_json::json!({ "x": at.x, "y": at.y });
                Some((message.id.to_string(), xy))
            })
            .collect()
    }
}

fn publish_state(
    current: Option<Res<CurrentRound>>,
    frame: Res<Frame>,
    screen: Res<State<Screen>>,
    clock: Res<Clock>,
    settings: Res<Settings>,
    alarm: Res<ViolationAlarm>,
    classroom: Res<Classroom>,
    drawn: DrawnNodes,
) {
    let screen = format!("{:?}", screen.get()).to_lowercase();
    let Some(current) = current else {
        let state = serde_json::json!({
            "screen": screen,
            "seed": settings.setup.seed,
            "mode": settings.setup.mode.name(),
        });
        BRIDGE.with(|b| b.borrow_mut().state = state.to_string());
        return;
    };
    let round = &current.round;
    let simulation = round.simulation.engine();
    let nodes: Vec<serde_json::Value> = frame
        .nodes
        .iter()
        .map(|n| {
            serde_json::json!({
                "id": n.id, "name": n.title, "down": n.down, "slow": n.slow,
                "leading": n.leading, "decided": n.done.as_ref().map(|(_, v)| v), "value": n.value,
                "screen": drawn.on_screen(n.id),
            })
        })
        .collect();
    let line = (current.number, round.line().len());
    BRIDGE.with(|b| {
        let mut b = b.borrow_mut();
        if b.replay_of != line || b.replay.is_empty() {
            b.replay = share::replay_json(round);
            b.replay_of = line;
        }
        let state = serde_json::json!({
            "screen": screen,
            "round": current.number,
            "mode": round.setup.mode.name(),
            "seed": round.setup.seed,
            "tick": round.now(),
            "paused": clock.paused,
            "speed": clock.label(),
            "nodes": nodes,
            "selected": drawn.selection.node,
            "in_flight": simulation.in_flight_count(),
            "messages": simulation.stats(),
            "moves": round.moves,
            "budget_left": round.budget_left,
            "outcome": round.outcome,
            "violations": simulation.violations(),
            // A network player's round: the messages waiting and the timers to fire.
            "network": round.network_choices(),
            // Where each message is drawn, by id (parked ones are where the player clicks).
            "message_screens": drawn.messages_on_screen(),
            // The violation window: the violation it shows, and whether it is open.
            "alarm": alarm.caught.as_ref().map(|v| serde_json::json!({
                "kind": v.kind, "tick": v.tick, "open": alarm.open,
            })),
            "classroom": classroom.0,
            "caption": frame.caption.as_ref().map(|(_, text)| text),
            "broken": round.setup.broken,
            "quorums": frame.quorums.outlines.len(),
            "trace_len": b.hashes.len(),
            "frontier": round.frontier(),
            "share": share::round_query(round),
        });
        b.state = state.to_string();
    });
}

/// Tells the page (and tests) that frames are being drawn, and how long that took. The floors in
/// tests/web/floors signal the same moment with a copy of this.
fn signal_ready(mut frames: Local<u32>) {
    *frames += 1;
    if *frames != 3 {
        return;
    }
    let Some(window) = web_sys::window() else {
        return;
    };
    let ms = window.performance().map_or(0.0, |p| p.now());
    let _ = js_sys::Reflect::set(&window, &"beatPaxosFirstFrameMs".into(), &ms.into());
    let _ = js_sys::Reflect::set(&window, &"beatPaxosReady".into(), &true.into());
    web_sys::console::log_1(&format!("beat-paxos: ready, first frames after {ms:.0} ms").into());
}
