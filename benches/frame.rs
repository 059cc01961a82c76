//! The game's own CPU per frame on busy rounds, without a GPU: the game's logic plugins (the
//! simulation stepping, the view model, nodes, messages, labels, input, lessons, classroom) in a
//! headless Bevy app, driven at 60 frames a second of game time at the fastest speed (5x), where
//! a frame has the most to catch up with. Rendering and
//! the egui side panel are not in it: they need a renderer.
//!
//! Run with `cargo bench --bench frame`; a number argument sets the frames per round (default
//! 1,800: 30 s of game time). The last case goes back and forth in the counter round as the
//! timeline does, and times the frames that show each moment.
//!
//! CPU time is the whole process's (every thread's), read from `/proc/self/task/*/schedstat`, so
//! that work Bevy spreads over its task pools counts too.

use std::time::Duration;

use bevy::prelude::*;
use bevy::state::app::StatesPlugin;
use bevy::time::TimeUpdateStrategy;

use beat_paxos::game::persist::ScoreStore;
use beat_paxos::game::sim_step::{Clock, CurrentRound, PlayerAttack, StartImmediately};
use beat_paxos::game::timeline::Seek;
use beat_paxos::game::{Settings, logic_plugins};
use beat_paxos::protocol::Setup;
use beat_paxos::protocols::{ec_counter, paxos};
use beat_paxos::round::Attack;
use beat_paxos::sim::{Action, Tick, TimedAction};

/// Nanoseconds of CPU every thread of this process has used so far.
fn process_cpu_ns() -> u64 {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return 0;
    };
    tasks
        .filter_map(|task| std::fs::read_to_string(task.ok()?.path().join("schedstat")).ok())
        .filter_map(|stat| stat.split_whitespace().next()?.parse::<u64>().ok())
        .sum()
}

fn app(setup: Setup) -> App {
    let mut app = App::new();
    app.add_plugins((MinimalPlugins, StatesPlugin, AssetPlugin::default()))
        .init_asset::<Image>()
        .insert_resource(TimeUpdateStrategy::ManualDuration(Duration::from_secs_f64(
            1.0 / 60.0,
        )))
        .insert_resource(ScoreStore::Memory);
    logic_plugins(&mut app);
    app.insert_resource(Settings {
        setup,
        fixed_seed: true,
        ..Settings::default()
    })
    .insert_resource(StartImmediately)
    .insert_resource(Clock::at_speed("5x").expect("a listed speed"));
    for _ in 0..3 {
        app.update(); // startup, enter Playing, spawn the cluster
    }
    app
}

fn percentile(sorted: &[f64], q: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
}

/// Plays `frames` frames, making each move when its tick comes, and prints CPU ms per frame.
fn case(name: &str, setup: Setup, moves: &[(Tick, Attack)], frames: usize) {
    let mut app = app(setup);
    let mut moves = moves.iter().peekable();
    let mut cpu_ms = Vec::with_capacity(frames);
    let mut most_in_flight = 0;
    for _ in 0..frames {
        let now = app.world().resource::<CurrentRound>().round.now();
        while let Some((_, attack)) = moves.next_if(|(tick, _)| *tick <= now) {
            app.world_mut().write_message(PlayerAttack(attack.clone()));
        }
        let before = process_cpu_ns();
        app.update();
        cpu_ms.push((process_cpu_ns() - before) as f64 / 1e6);
        let round = &app.world().resource::<CurrentRound>().round;
        most_in_flight = most_in_flight.max(round.simulation.engine().in_flight_count());
    }
    let round = &app.world().resource::<CurrentRound>().round;
    let (ticks, trace) = (round.now(), round.simulation.engine().trace_len());
    cpu_ms.sort_by(f64::total_cmp);
    println!(
        "{name}: {frames} frames to tick {ticks} ({trace} trace entries, at most {most_in_flight} \
         messages in flight): CPU per frame p50 {:.3} ms, p99 {:.3} ms, max {:.3} ms",
        percentile(&cpu_ms, 0.5),
        percentile(&cpu_ms, 0.99),
        cpu_ms[cpu_ms.len() - 1],
    );
}

/// A 9-node Paxos round kept from deciding for 20 s: the network splits into three groups of
/// three (no majority) and the nodes time out quickly, so ballots keep coming and the messages of
/// several leaders are in flight at once; the player slows, kills and duplicates meanwhile.
fn paxos_nine() -> (Setup, Vec<(Tick, Attack)>) {
    let mut setup = Setup::for_mode(paxos::MODE);
    setup.set_knob("nodes", 9).unwrap();
    setup.set_knob("paxos.election_timeout", 40).unwrap();
    setup.seed = 7;
    let groups = vec![vec![0, 1, 2], vec![3, 4, 5], vec![6, 7, 8]];
    setup.actions.push(TimedAction {
        at: 0,
        action: Action::Partition { groups },
    });
    setup.actions.push(TimedAction {
        at: 20_000,
        action: Action::HealAll,
    });
    let moves = vec![
        (2_000, Attack::Slow(2, true)),
        (4_000, Attack::ToggleDown(0)),
        (6_000, Attack::DuplicateNext(5)),
        (9_000, Attack::ToggleDown(0)),
    ];
    (setup, moves)
}

/// The largest counter round (7 servers, 12 clients) on a slow network (16 times the default
/// delay), so that over a thousand messages are in flight at once.
fn counter_crowded() -> (Setup, Vec<(Tick, Attack)>) {
    let mut setup = Setup::for_mode(ec_counter::MODE);
    setup.set_knob("servers", 7).unwrap();
    setup.set_knob("clients", 12).unwrap();
    setup.set_knob("requests", 10_000).unwrap();
    setup.set_knob("ec_counter.sync_period", 20).unwrap();
    setup.net.base_delay *= 16;
    setup.net.jitter *= 16;
    (
        setup,
        vec![(3_000, Attack::Isolate(2)), (9_000, Attack::Slow(4, true))],
    )
}

/// Plays `frames` frames of the round, then goes back and forth in it `seeks` times, as the
/// timeline's slider does (a `Seek` to a moment spread over the round so far, in an order that
/// mixes long and short jumps, back and forward), and prints the CPU ms of each frame that shows
/// the moment sought: the core's seek and every view's rebuild.
fn rewinds(name: &str, setup: Setup, moves: &[(Tick, Attack)], frames: usize, seeks: usize) {
    let mut app = app(setup);
    let mut moves = moves.iter().peekable();
    for _ in 0..frames {
        let now = app.world().resource::<CurrentRound>().round.now();
        while let Some((_, attack)) = moves.next_if(|(tick, _)| *tick <= now) {
            app.world_mut().write_message(PlayerAttack(attack.clone()));
        }
        app.update();
    }
    let end = app.world().resource::<CurrentRound>().round.now();
    app.world_mut().resource_mut::<Clock>().paused = true;
    let mut cpu_ms = Vec::with_capacity(seeks);
    for k in 0..seeks {
        // 613 is prime to 1,000: the moments visit the whole round in a scattered order.
        let at = end * ((k * 613 + 1) % 1_000) as Tick / 1_000;
        app.world_mut().write_message(Seek(at));
        let before = process_cpu_ns();
        app.update();
        cpu_ms.push((process_cpu_ns() - before) as f64 / 1e6);
        let now = app.world().resource::<CurrentRound>().round.now();
        assert_eq!(now, at, "the frame shows the moment sought");
    }
    cpu_ms.sort_by(f64::total_cmp);
    println!(
        "{name}: {seeks} seeks within ticks 0..{end}: CPU of the frame that shows the moment \
         p50 {:.3} ms, p99 {:.3} ms, max {:.3} ms",
        percentile(&cpu_ms, 0.5),
        percentile(&cpu_ms, 0.99),
        cpu_ms[cpu_ms.len() - 1],
    );
}

fn main() {
    let frames = std::env::args()
        .skip(1)
        .find_map(|arg| arg.parse().ok())
        .unwrap_or(1_800);
    let (setup, moves) = paxos_nine();
    case("paxos, 9 nodes", setup, &moves, frames);
    let (setup, moves) = counter_crowded();
    case("ec-counter, 7 servers x 12 clients", setup, &moves, frames);
    let (setup, moves) = counter_crowded();
    rewinds(
        "rewind, ec-counter, 7 servers x 12 clients",
        setup,
        &moves,
        frames,
        200,
    );
}
