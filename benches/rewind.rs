//! Rewinding a round: how long `Round::seek` takes to jump anywhere in a long round, with the trace
//! recorded as the game records it, against re-simulating from the start; and how much memory the
//! round's snapshots take. Run with `cargo bench --no-default-features --bench rewind`; a number
//! argument sets the jumps per case (default 300), `--huge` adds the largest counter round a link
//! can ask for (7 servers, 12 clients of 10,000 requests: minutes, and gigabytes of trace).

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use beat_paxos::protocol::Setup;
use beat_paxos::protocols::{ec_counter, paxos};
use beat_paxos::round::{Attack, Round};
use beat_paxos::sim::{Action, SimRng, Tick, TimedAction};

/// Counts the bytes the process holds, to weigh the snapshots.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static ALLOCATED: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size(), Ordering::Relaxed);
        ALLOCATED.fetch_add(layout.size(), Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// 9-node Paxos kept from deciding for 60 simulated seconds: the network splits into three
/// groups of three (no majority), a node of each group crashes and restarts every second, and
/// the nodes time out quickly; the player slows, kills and cuts within the groups, and the player isolates and
/// kills nodes along the way. It decides soon after the network heals at 60,000.
fn paxos_sixty_seconds() -> (Setup, Vec<(Tick, Attack)>) {
    let mut setup = Setup::for_mode(paxos::MODE);
    setup.set_knob("nodes", 9).unwrap();
    setup.seed = 7;
    // Short timeouts keep ballots coming; the backoff after failed ones would otherwise leave
    // the nodes mostly waiting.
    setup.set_knob("paxos.election_timeout", 40).unwrap();
    setup.actions.push(TimedAction {
        at: 0,
        action: Action::Partition {
            groups: vec![vec![0, 1, 2], vec![3, 4, 5], vec![6, 7, 8]],
        },
    });
    for (k, at) in (1_000..60_000).step_by(1_000).enumerate() {
        // A crash forgets a node's back-off: the restarted nodes start ballots again at once.
        for group in [0, 3, 6] {
            let node = group + k % 3;
            let kill = Action::Kill { node };
            let recover = Action::Recover { node };
            setup.actions.push(TimedAction { at, action: kill });
            setup.actions.push(TimedAction {
                at: at + 400,
                action: recover,
            });
        }
    }
    setup.actions.push(TimedAction {
        at: 60_000,
        action: Action::HealAll,
    });
    // Nothing that would join the groups (an isolation replaces the partition).
    let moves = vec![
        (5_000, Attack::Slow(2, true)),
        (8_000, Attack::DropNext(1)),
        (12_000, Attack::ToggleDown(4)),
        (12_500, Attack::ToggleDown(4)),
        (20_000, Attack::Slow(2, false)),
        (31_000, Attack::Cut(0, 1)),
        (45_000, Attack::DuplicateNext(7)),
        (59_990, Attack::Cut(3, 4)),
    ];
    (setup, moves)
}

/// The largest counter round: 7 servers and 12 clients, with `requests` each and the title
/// screen's shortest sync period; the player partitions a server off and pauses the clients.
fn counter(requests: u64) -> (Setup, Vec<(Tick, Attack)>) {
    let mut setup = Setup::for_mode(ec_counter::MODE);
    setup.set_knob("servers", 7).unwrap();
    setup.set_knob("clients", 12).unwrap();
    setup.set_knob("requests", requests).unwrap();
    setup.set_knob("ec_counter.sync_period", 20).unwrap();
    let moves = vec![
        (300, Attack::Isolate(0)),
        (2_000, Attack::PauseClients(true)),
        (2_500, Attack::Cut(1, 2)),
        (4_000, Attack::ToggleDown(3)),
    ];
    (setup, moves)
}

/// Plays the round live as the game does at 5x (10 ticks a frame), making each move when its
/// tick comes, until the round is finished or `max` ticks.
fn play(setup: &Setup, moves: &[(Tick, Attack)], max: Tick) -> Round {
    let mut round = Round::new(setup.clone());
    let mut moves = moves.iter().peekable();
    while !round.simulation.engine().finished() && round.now() < max {
        while let Some((_, attack)) = moves.next_if(|(tick, _)| *tick <= round.now()) {
            round
                .attack(attack.clone())
                .unwrap_or_else(|refusal| panic!("{attack}: {refusal}"));
        }
        round.advance(10);
    }
    round
}

fn figures(times: &mut [Duration]) -> String {
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let at = |q: f64| times[((times.len() - 1) as f64 * q).round() as usize];
    format!(
        "median {:>8.3} ms   p99 {:>8.3} ms   max {:>8.3} ms",
        ms(at(0.5)),
        ms(at(0.99)),
        ms(times[times.len() - 1])
    )
}

fn mib(bytes: usize) -> f64 {
    bytes as f64 / (1 << 20) as f64
}

fn case(name: &str, setup: &Setup, moves: &[(Tick, Attack)], jumps: usize) {
    println!("{name}");
    let before = LIVE.load(Ordering::Relaxed);
    let started = Instant::now();
    let mut round = play(setup, moves, 2_000_000);
    let played = started.elapsed();
    let held = LIVE.load(Ordering::Relaxed).saturating_sub(before);
    let frontier = round.frontier();
    println!(
        "  played live to tick {frontier} in {:.2} s: {} events, {} trace entries, {} moves, {} snapshots",
        played.as_secs_f64(),
        round.simulation.engine().events_processed(),
        round.simulation.engine().trace_len(),
        round.moves.len(),
        round.snapshot_count()
    );
    if let Some(outcome) = &round.outcome {
        println!("  outcome at tick {}", outcome.tick);
    }
    let allocated = ALLOCATED.load(Ordering::Relaxed);
    let one = round.simulation.snapshot();
    let snapshot_bytes = ALLOCATED.load(Ordering::Relaxed) - allocated;
    drop(one);
    println!(
        "  memory: the round holds {:.1} MiB; one snapshot (at the end) {:.1} KiB, all {} about {:.1} MiB",
        mib(held),
        snapshot_bytes as f64 / 1024.0,
        round.snapshot_count(),
        mib(snapshot_bytes * round.snapshot_count())
    );

    let mut rng = SimRng::new(1, 0);
    let mut times = Vec::with_capacity(jumps);
    let mut slowest = (Duration::ZERO, 0, 0, 0);
    for jump in 0..jumps {
        let (from, target) = (round.now(), rng.below(frontier + 1));
        let started = Instant::now();
        let reached = round.seek(target);
        let took = started.elapsed();
        times.push(took);
        slowest = slowest.max((took, jump, from, target));
        assert_eq!(reached, target);
    }
    let (took, jump, from, target) = slowest;
    println!(
        "  slowest: jump {jump}, from tick {from} to {target}: {:.3} ms",
        took.as_secs_f64() * 1e3
    );
    println!(
        "  seek anywhere ({jumps} jumps):        {}",
        figures(&mut times)
    );

    // What the game does on each jump besides the seek: every view that starts over from the
    // rebuilt trace (the diagram, the event log) and the frame's node, message and check views.
    let mut times = Vec::with_capacity(jumps);
    for _ in 0..jumps {
        let target = rng.below(frontier + 1);
        let started = Instant::now();
        round.seek(target);
        let simulation = &round.simulation;
        let mut diagram = round.setup.empty_diagram();
        diagram.extend(
            simulation.engine().diagram_entries(&round.setup, 0),
            simulation.engine().trace_len(),
        );
        let log = simulation.engine().log_lines(&round.setup, 0);
        let nodes = simulation.engine().node_views(&round.setup);
        let messages = simulation
            .engine()
            .message_views(&round.setup, target as f64);
        let checks = simulation.engine().checks(&round.setup);
        times.push(started.elapsed());
        std::hint::black_box((diagram, log, nodes, messages, checks));
    }
    println!(
        "  seek + the game's views ({jumps} jumps): {}",
        figures(&mut times)
    );

    // The same jumps by re-simulating from the start, as a round without snapshots would.
    let line = round.line().to_vec();
    let from_start = (jumps / 10).max(5);
    let mut times = Vec::with_capacity(from_start);
    for _ in 0..from_start {
        let target = rng.below(frontier + 1);
        let started = Instant::now();
        let mut fresh = Round::with_plan(setup.clone(), line.clone());
        fresh.advance(target);
        times.push(started.elapsed());
    }
    println!(
        "  re-simulating from the start ({from_start}): {}",
        figures(&mut times)
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let jumps = args
        .iter()
        .filter_map(|a| a.parse::<usize>().ok())
        .next()
        .unwrap_or(300);
    let (setup, moves) = paxos_sixty_seconds();
    case(
        "paxos, 9 nodes, 60 s without a majority",
        &setup,
        &moves,
        jumps,
    );
    let (setup, moves) = counter(300);
    case(
        "ec-counter, 7 servers x 12 clients x 300 requests (the title screen's largest), sync 20",
        &setup,
        &moves,
        jumps,
    );
    if args.iter().any(|a| a == "--huge") {
        let (setup, moves) = counter(10_000);
        case(
            "ec-counter, 7 servers x 12 clients x 10,000 requests (a link's largest), sync 20",
            &setup,
            &moves,
            jumps,
        );
    }
}
