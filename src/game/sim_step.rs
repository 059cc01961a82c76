//! Steps the simulation core in `FixedUpdate`: pause, single step and speed only change how many
//! ticks a step takes. Also owns the round's lifecycle (start, decision, results).

use bevy::prelude::*;

use super::{Screen, Settings};
use crate::round::{Attack, Round};
use crate::sim::Tick;

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
        .add_message::<PlayerAttack>()
        .add_message::<Feedback>()
        .add_systems(Startup, start_if_asked)
        .add_systems(OnEnter(Screen::Playing), start_round)
        .add_systems(Update, apply_attacks.after(ReadInput))
        .add_systems(
            FixedUpdate,
            (advance, finish_round)
                .chain()
                .run_if(in_state(Screen::Playing).or_else(in_state(Screen::Results))),
        );
}

/// Systems that turn input into [`PlayerAttack`]s; attacks are applied right after them, in the
/// same frame.
#[derive(SystemSet, Debug, Clone, PartialEq, Eq, Hash)]
pub struct ReadInput;

/// The round being played.
#[derive(Resource)]
pub struct CurrentRound {
    pub round: Round,
    /// Counts rounds since the game started, from 1.
    pub number: u32,
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
    mut feedback: MessageWriter<Feedback>,
) {
    let number = previous.map_or(1, |p| p.number + 1);
    if number > 1 && !settings.fixed_seed {
        settings.setup.seed = next_seed(settings.setup.seed);
    }
    if number == 1 {
        // Nothing moves until the first timeout; tell a new player what they can do meanwhile.
        feedback.write(Feedback(
            "Attack! Double-click a node to kill it, hold it to slow it, drag between nodes to cut a link."
                .into(),
        ));
    }
    commands.insert_resource(CurrentRound {
        round: Round::new(settings.setup.clone()),
        number,
    });
}

/// A fresh seed derived from the last one (the game never reads the wall clock for randomness).
pub fn next_seed(seed: u64) -> u64 {
    crate::sim::SimRng::new(seed, 7).next_u64() % 1_000_000
}

fn apply_attacks(
    mut attacks: MessageReader<PlayerAttack>,
    mut feedback: MessageWriter<Feedback>,
    current: Option<ResMut<CurrentRound>>,
) {
    let Some(mut current) = current else {
        attacks.clear();
        return;
    };
    for PlayerAttack(attack) in attacks.read() {
        if let Err(refusal) = current.round.attack(attack.clone()) {
            feedback.write(Feedback(refusal));
        }
    }
}

fn advance(current: Option<ResMut<CurrentRound>>, mut clock: ResMut<Clock>) {
    let Some(mut current) = current else { return };
    if std::mem::take(&mut clock.step) {
        current.round.step();
    } else if !clock.paused {
        let ticks = clock.ticks_per_step();
        current.round.advance(ticks);
    }
}

fn finish_round(
    current: Option<Res<CurrentRound>>,
    screen: Res<State<Screen>>,
    mut next: ResMut<NextState<Screen>>,
) {
    if let Some(current) = current
        && current.round.outcome.is_some()
        && *screen.get() == Screen::Playing
    {
        next.set(Screen::Results);
    }
}
