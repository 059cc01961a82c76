//! Steps the simulation core in `FixedUpdate`: pause, single step and speed only change how many
//! ticks a step takes. Owns the round's lifecycle (start, decision, results), announces each new
//! round once with [`RoundStarted`], and publishes what every view needs each frame in [`Frame`]:
//! the node and message views, the live checks and the trace entries new since the last frame,
//! computed once.

use std::ops::Range;

use bevy::prelude::*;

use super::{Screen, Settings};
use crate::protocol::TraceFollower;
use crate::round::{Attack, Round};
use crate::sim::{MsgId, Tick};
use crate::view::{Checks, LogLine, MessageView, NodeView, Quorums};

/// Fixed steps per second; at 1x each step is two ticks, so one simulated second takes 8.3 s.
pub const STEPS_PER_SECOND: f64 = 60.0;
/// Ticks per step, and the speed each gives.
pub const SPEEDS: [(Tick, &str); 6] = [
    (1, "0.5x"),
    (2, "1x"),
    (4, "2x"),
    (6, "3x"),
    (8, "4x"),
    (10, "5x"),
];
const NORMAL_SPEED: usize = 1;

pub(super) fn plugin(app: &mut App) {
    app.insert_resource(Time::<Fixed>::from_hz(STEPS_PER_SECOND))
        .init_resource::<Clock>()
        .init_resource::<Frame>()
        .add_message::<PlayerAttack>()
        .add_message::<Feedback>()
        .add_message::<RoundStarted>()
        .configure_sets(Update, (ReadInput, PublishFrame.after(ReadInput)))
        .add_systems(Startup, start_if_asked)
        .add_systems(OnEnter(Screen::Playing), start_round)
        .add_systems(
            Update,
            (
                apply_attacks.after(ReadInput).before(PublishFrame),
                publish_frame.in_set(PublishFrame),
            )
                .run_if(resource_exists::<CurrentRound>),
        )
        .add_systems(
            FixedUpdate,
            (advance, finish_round).chain().run_if(
                resource_exists::<CurrentRound>
                    .and_then(in_state(Screen::Playing).or_else(in_state(Screen::Results))),
            ),
        );
}

/// Systems that turn input into [`PlayerAttack`]s; attacks are applied right after them, in the
/// same frame.
#[derive(SystemSet, Debug, Clone, PartialEq, Eq, Hash)]
pub struct ReadInput;

/// [`Frame`] is up to date after this set; views that draw it run after it.
#[derive(SystemSet, Debug, Clone, PartialEq, Eq, Hash)]
pub struct PublishFrame;

/// The round being played.
#[derive(Resource)]
pub struct CurrentRound {
    pub round: Round,
    /// Counts rounds since the game started, from 1.
    pub number: u32,
}

/// Sent once when a round starts, so that views reset what they keep per round.
#[derive(Message, Debug, Clone, Copy)]
pub struct RoundStarted {
    pub number: u32,
}

/// What the views draw this frame, computed once from the core after it advanced.
#[derive(Resource, Default)]
pub struct Frame {
    pub nodes: Vec<NodeView>,
    /// Messages in flight, placed at this frame's (interpolated) moment.
    pub messages: Vec<MessageView>,
    pub checks: Option<Checks>,
    /// The majorities to outline (worked out again only when the trace grew or was rebuilt).
    pub quorums: Quorums,
    /// The latest protocol step in plain words, for classroom mode: when, and the words.
    pub caption: Option<(Tick, String)>,
    /// The moment shown, in fractional ticks (between fixed steps while running).
    pub now: f64,
    /// Trace entries new since the last frame.
    pub new_trace: Range<usize>,
    /// Event-log lines for those entries.
    pub new_log: Vec<LogLine>,
    /// Messages lost in those entries (dropped, cut off, sent to a down node).
    pub lost: Vec<MsgId>,
    /// The round was rebuilt at another moment (a seek): `new_trace` starts from the beginning,
    /// and views that keep what they saw start over.
    pub rewound: bool,
    /// A seek happened since the last frame was published.
    rewind_pending: bool,
    /// The quorum outlines' reading of the trace so far: each entry is read once (a new round
    /// or a rewind starts it over).
    trace_follower: TraceFollower,
}

impl Frame {
    /// Says that the round was rebuilt: the next frame starts over from its first trace entry.
    pub fn rewind(&mut self) {
        self.rewind_pending = true;
    }
}

/// Speed and pause.
#[derive(Resource, Debug, Clone, PartialEq, Eq)]
pub struct Clock {
    pub speed: usize,
    pub paused: bool,
    /// Advance to the next event once, even while paused.
    pub step: bool,
}

impl Default for Clock {
    fn default() -> Self {
        Clock {
            speed: NORMAL_SPEED,
            paused: false,
            step: false,
        }
    }
}

impl Clock {
    /// A clock at one of the named speeds ("0.5", "1", "2x", ...).
    pub fn at_speed(text: &str) -> Result<Clock, String> {
        let wanted = text.trim_end_matches('x');
        let index = SPEEDS
            .iter()
            .position(|(_, label)| label.trim_end_matches('x') == wanted);
        let names: Vec<&str> = SPEEDS.iter().map(|(_, l)| *l).collect();
        let speed =
            index.ok_or_else(|| format!("--speed: `{text}` is not one of {}", names.join(", ")))?;
        Ok(Clock {
            speed,
            ..Clock::default()
        })
    }

    pub fn ticks_per_step(&self) -> Tick {
        SPEEDS[self.speed].0
    }

    pub fn label(&self) -> &'static str {
        SPEEDS[self.speed].1
    }

    pub fn faster(&mut self) {
        self.speed = (self.speed + 1).min(SPEEDS.len() - 1);
    }

    pub fn slower(&mut self) {
        self.speed = self.speed.saturating_sub(1);
    }
}

/// Present when the command line asked for a round straight away (no title screen).
#[derive(Resource)]
pub struct StartImmediately;

/// A player's attack, from any input device, on its way to the core.
#[derive(Message, Debug, Clone)]
pub struct PlayerAttack(pub Attack);

/// Something to tell the player briefly (a refusal, a hint).
#[derive(Message, Debug, Clone)]
pub struct Feedback(pub String);

fn start_if_asked(asked: Option<Res<StartImmediately>>, mut next: ResMut<NextState<Screen>>) {
    if asked.is_some() {
        next.set(Screen::Playing);
    }
}

/// Starts a round from the settings; a new seed each round unless the seed was fixed.
fn start_round(
    mut commands: Commands,
    mut settings: ResMut<Settings>,
    previous: Option<Res<CurrentRound>>,
    (mut feedback, mut started): (MessageWriter<Feedback>, MessageWriter<RoundStarted>),
    mut frame: ResMut<Frame>,
    same_round: Option<Res<super::timeline::SameRound>>,
    mut clock: ResMut<Clock>,
) {
    // A rewind from the results back into the round keeps playing that round.
    if same_round.is_some() {
        commands.remove_resource::<super::timeline::SameRound>();
        return;
    }
    // A lesson that starts paused stops before its first step, not after it (the lesson
    // follower, later in the frame, says why).
    if settings
        .lesson
        .is_some_and(|lesson| lesson.starts_paused.is_some())
        && settings.plan.is_empty()
    {
        clock.paused = true;
    }
    let number = previous.map_or(1, |p| p.number + 1);
    if number > 1 && !settings.fixed_seed {
        settings.setup.seed = next_seed(settings.setup.seed);
    }
    if number == 1 && settings.lesson.is_none() {
        // Nothing moves until the first timeout; tell a new player what they can do meanwhile
        // (a lesson's panel says what to do in its own words).
        let hint = if settings.setup.network_player {
            "You are the network: fire a node's timer (in the side panel, or its number then F), \
             then click a waiting message to deliver it."
        } else {
            "Attack! Double-click a node to kill it, hold it to slow it, drag between nodes to cut a link."
        };
        feedback.write(Feedback(hint.into()));
    }
    commands.insert_resource(CurrentRound {
        round: Round::with_plan(settings.setup.clone(), std::mem::take(&mut settings.plan)),
        number,
    });
    *frame = Frame::default();
    started.write(RoundStarted { number });
}

/// A fresh seed derived from the last one (the game never reads the wall clock for randomness).
pub fn next_seed(seed: u64) -> u64 {
    crate::sim::SimRng::new(seed, 7).next_u64() % 1_000_000
}

fn apply_attacks(
    mut attacks: MessageReader<PlayerAttack>,
    mut feedback: MessageWriter<Feedback>,
    mut current: ResMut<CurrentRound>,
) {
    for PlayerAttack(attack) in attacks.read() {
        if let Err(refusal) = current.round.attack(attack.clone()) {
            feedback.write(Feedback(refusal));
        }
    }
}

fn advance(
    mut current: ResMut<CurrentRound>,
    mut clock: ResMut<Clock>,
    mut feedback: MessageWriter<Feedback>,
) {
    let had_error = current.round.playback_error().is_some();
    if std::mem::take(&mut clock.step) {
        current.round.step();
    } else if !clock.paused {
        let ticks = clock.ticks_per_step();
        current.round.advance(ticks);
    }
    // Moves of a replay (or kept after a rewind) are shown as they happen.
    for played in current.round.take_played_back() {
        let round = &current.round;
        let text = match played.attack {
            // Whether it killed or recovered shows in the state it left.
            Attack::ToggleDown(node) if round.simulation.is_down(node) => {
                format!("kill {}", round.setup.mode.node_name(&round.setup, node))
            }
            Attack::ToggleDown(node) => {
                format!("recover {}", round.setup.mode.node_name(&round.setup, node))
            }
            _ => crate::round::attack_text(&played.attack, &round.setup),
        };
        feedback.write(Feedback(format!("replay: {text}")));
    }
    if !had_error && let Some(problem) = current.round.playback_error() {
        feedback.write(Feedback(problem.to_string()));
    }
}

/// Shows the results once the round has its outcome; a lesson's panel says how it went instead.
fn finish_round(
    current: Res<CurrentRound>,
    screen: Res<State<Screen>>,
    mut next: ResMut<NextState<Screen>>,
    lesson: Option<Res<super::lesson::ActiveLesson>>,
) {
    if current.round.outcome.is_some() && *screen.get() == Screen::Playing && lesson.is_none() {
        next.set(Screen::Results);
    }
}

/// Computes this frame's views from the core, once, for every view to read.
fn publish_frame(
    current: Res<CurrentRound>,
    clock: Res<Clock>,
    fixed: Res<Time<Fixed>>,
    mut frame: ResMut<Frame>,
) {
    let round = &current.round;
    let simulation = &round.simulation;
    let setup = &round.setup;
    // Smooth motion between fixed steps: interpolate within the current step.
    let running = !clock.paused && round.outcome.is_none();
    let within = if running {
        f64::from(fixed.overstep_fraction()) * clock.ticks_per_step() as f64
    } else {
        0.0
    };
    let now = simulation.engine().now() as f64 + within;
    let rewound = std::mem::take(&mut frame.rewind_pending);
    let from = if rewound { 0 } else { frame.new_trace.end };
    let to = simulation.engine().trace_len();
    let mut follower = std::mem::take(&mut frame.trace_follower);
    if from == 0 {
        follower = TraceFollower::default();
    }
    let (quorums, caption) = if rewound || from != to {
        (
            simulation.engine().quorums_following(&mut follower),
            simulation.engine().caption(setup),
        )
    } else {
        (std::mem::take(&mut frame.quorums), frame.caption.take())
    };
    *frame = Frame {
        nodes: simulation.engine().node_views(setup),
        messages: simulation.engine().message_views(setup, now),
        checks: Some(simulation.engine().checks(setup)),
        quorums,
        caption,
        now,
        new_trace: from..to,
        new_log: simulation.engine().log_lines(setup, from),
        lost: simulation.engine().lost_since(from),
        rewound,
        rewind_pending: false,
        trace_follower: follower,
    };
}
