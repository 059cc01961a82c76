//! The command line: the game by default, `sim`, `chaos` and `check` headless. JSON goes to
//! stdout, errors to stderr with exit code 2.

use std::ffi::OsString;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use clap::parser::ValueSource;
use clap::{ArgMatches, Args, CommandFactory, FromArgMatches, Parser, Subcommand};

use crate::explore::{CheckOptions, Incomplete, NetworkKind, Search, budget};
use crate::output_file::{self, OutputFile};
use crate::protocol::Mode;
use crate::protocols;
use crate::replay::{Replay, ReplayFailure};
use crate::round::Round;
use crate::scenario::{self, Scenario, Setup};
use crate::sim::{TICK_LIMIT, Tick};
use crate::simulation::Simulation;
use crate::{batch, chaos};

#[derive(Parser, Debug)]
#[command(
    name = "beat-paxos",
    version,
    about = "Attack Paxos, Raft and an eventually consistent counter; watch safety hold."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub game: GameArgs,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run one simulation headless and print its summary as JSON.
    Sim(SimArgs),
    /// Run many seeded chaos simulations and print a summary as JSON.
    Chaos(ChaosArgs),
    /// Explore every ordering of a small cluster's events (model checking) and print the result
    /// as JSON, with the first counterexample found as numbered steps.
    Check(CheckArgs),
    /// List the lessons, or play one headless and say whether its objective was met (exit code
    /// 0 if it was, 1 if not).
    Lesson(LessonArgs),
}

#[derive(Args, Debug)]
pub struct LessonArgs {
    /// The lesson to play (see `--list`).
    #[arg(required_unless_present = "list", conflicts_with = "list")]
    pub name: Option<String>,
    /// Print every lesson as JSON, in the order of the path.
    #[arg(long)]
    pub list: bool,
    /// Play the lesson's recorded solution; without it the round is left alone.
    #[arg(long)]
    pub solve: bool,
}

/// The cluster a command simulates; any flag given overrides the scenario file.
#[derive(Args, Debug, Clone, Default)]
pub struct ClusterArgs {
    /// The protocol: paxos, ec-counter or raft.
    #[arg(long, value_parser = parse_mode)]
    pub mode: Option<Mode>,
    /// Paxos nodes (3-9), ec-counter servers (2-7) or Raft servers (3-9).
    #[arg(long, value_parser = whole_number, allow_hyphen_values = true)]
    pub nodes: Option<u64>,
    /// ec-counter clients (1-12) or Raft clients (1-3).
    #[arg(long, value_parser = whole_number, allow_hyphen_values = true)]
    pub clients: Option<u64>,
    /// ec-counter requests per client (0-10000) or Raft commands per client (1-20).
    #[arg(long, value_parser = whole_number, allow_hyphen_values = true)]
    pub requests: Option<u64>,
    /// The seed of the run's randomness: the same seed and moves give the same run.
    #[arg(long, value_parser = whole_number, allow_hyphen_values = true)]
    pub seed: Option<u64>,
    /// A scenario file (JSON, see docs/scenarios.md).
    #[arg(long)]
    pub scenario: Option<PathBuf>,
    /// Run a deliberately broken protocol: Paxos amnesia, skip-highest-accepted or
    /// accept-after-promise; ec-counter no-max; Raft commit-old-term, forget-vote or
    /// no-up-to-date-check.
    #[arg(long = "break")]
    pub broken: Option<String>,
    /// The player is the network: every message waits on its link and every timer waits until
    /// the player delivers or fires it (see docs/network-player.md).
    #[arg(long)]
    pub network_player: bool,
}

#[derive(Args, Debug)]
pub struct SimArgs {
    #[command(flatten)]
    pub cluster: ClusterArgs,
    /// Add a random fault schedule drawn from the seed.
    #[arg(long)]
    pub chaos: bool,
    /// Stop the run at this tick at the latest (1 to 10^15).
    #[arg(long, value_parser = whole_number, allow_hyphen_values = true)]
    pub max_ticks: Option<u64>,
    /// Play a replay file (JSON, see docs/replays.md) to its end: its setup, with its moves at
    /// their ticks. The file sets the whole round, so no other flag may choose it, except
    /// `--max-ticks`, which stops it there (the round as the game shows it after going back to
    /// that tick, if it had not ended before).
    #[arg(long, conflicts_with_all = ["mode", "nodes", "clients", "requests", "seed", "scenario", "broken", "network_player", "chaos"])]
    pub replay: Option<PathBuf>,
    /// Write every event as JSON lines to this file, as the run goes.
    #[arg(long)]
    pub trace: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct ChaosArgs {
    #[command(flatten)]
    pub cluster: ClusterArgs,
    #[arg(long, default_value_t = 1000, value_parser = whole_number, allow_hyphen_values = true)]
    pub runs: u64,
    /// Worker threads (default: one per core). The result is the same for any number.
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..))]
    pub jobs: Option<u16>,
    /// Leave out the wall-clock `events_per_sec`, so that identical runs print identical bytes.
    #[arg(long)]
    pub no_timing: bool,
}

#[derive(Args, Debug)]
pub struct CheckArgs {
    #[command(flatten)]
    pub cluster: ClusterArgs,
    /// bfs (shortest counterexamples), dfs (far less memory, for big proofs) or core (depth
    /// first without stateright, with sleep sets for Paxos: the fastest for big proofs).
    #[arg(long, default_value = "bfs")]
    pub search: Search,
    /// The core search: explore every order of steps of different nodes (no sleep sets).
    #[arg(long)]
    pub no_sleep_sets: bool,
    /// The core search: keep messages that can no longer do anything in the network.
    #[arg(long)]
    pub keep_dead_messages: bool,
    /// How the network treats messages: unordered, duplicating or lossy (default unordered;
    /// with --from-replay, duplicating: the network player may deliver copies).
    #[arg(long)]
    pub network: Option<NetworkKind>,
    /// "Can this still break?": play this replay of a network player's round to its end, then
    /// search every way on from that exact state (the game's question), instead of from the
    /// start. Prints the answer, and a way as the player's moves if there is one.
    #[arg(long, conflicts_with_all = ["mode", "nodes", "clients", "requests", "seed", "scenario", "broken", "network_player", "counterexample", "threads"])]
    pub from_replay: Option<PathBuf>,
    /// How many nodes may be down at once.
    #[arg(long, default_value_t = 1, value_parser = whole_count, allow_hyphen_values = true)]
    pub max_crashes: usize,
    /// Paxos: explore no ballot above this round (default 1: each node leads at most one
    /// ballot); Raft: no term above this (default 1). Protocols without rounds refuse it.
    #[arg(long, value_parser = whole_number, allow_hyphen_values = true)]
    pub max_round: Option<u64>,
    /// Paxos: explore no path on which more than this many ballots are started in all.
    #[arg(long, value_parser = whole_number, allow_hyphen_values = true)]
    pub max_ballots: Option<u64>,
    /// Explore no path longer than this many steps, at least 1 (ec-counter: 14 unless given;
    /// Raft: 12).
    #[arg(long, value_parser = whole_count, allow_hyphen_values = true)]
    pub max_depth: Option<usize>,
    /// Checker threads, 1 to 4 per core; with more than one the counterexample found may not
    /// be the shortest.
    #[arg(long, default_value_t = 1, value_parser = whole_count, allow_hyphen_values = true)]
    pub threads: usize,
    /// Stop after this many seconds (above 0, at most 10^9) and report what was explored.
    #[arg(long, value_parser = seconds, allow_hyphen_values = true)]
    pub timeout: Option<std::time::Duration>,
    /// Stop after generating this many states, at least 1 (each takes memory, about a kilobyte).
    #[arg(long, default_value_t = 10_000_000, value_parser = whole_count, allow_hyphen_values = true)]
    pub max_states: usize,
    /// Stop when the process's memory reaches this size, such as 512M or 4G (default: half of
    /// the machine's memory; under `ulimit -v`, also 70% of that limit).
    #[arg(long, value_parser = memory_size)]
    pub max_memory: Option<u64>,
    /// Write the first counterexample here as a scenario that `sim --scenario` replays.
    #[arg(long)]
    pub counterexample: Option<PathBuf>,
    /// Leave out the wall-clock fields, so that identical runs print identical bytes.
    #[arg(long)]
    pub no_timing: bool,
}

#[derive(Args, Debug, Clone, Default)]
pub struct GameArgs {
    #[command(flatten)]
    pub cluster: ClusterArgs,
    /// Render this many frames, write a PNG screenshot here, and exit.
    #[arg(long, requires = "exit_after_frames")]
    pub screenshot: Option<PathBuf>,
    #[arg(long)]
    pub exit_after_frames: Option<u32>,
    /// Start at this speed: 0.5, 1, 2, 3, 4 or 5.
    #[arg(long)]
    pub speed: Option<String>,
    /// Window size, e.g. 1920x1080 (default 1280x720).
    #[arg(long, value_parser = parse_window_size)]
    pub window: Option<(u32, u32)>,
    /// Watch a replay file (JSON, see docs/replays.md): its round, its moves shown as they
    /// happen; make a move of your own at any moment to take over.
    #[arg(long, conflicts_with_all = ["mode", "nodes", "clients", "requests", "seed", "scenario", "broken", "network_player"])]
    pub replay: Option<PathBuf>,
    /// Play a lesson (see `beat-paxos lesson --list`); it sets the whole round.
    #[arg(long, conflicts_with_all = ["mode", "nodes", "clients", "requests", "seed", "scenario", "broken", "network_player", "replay"])]
    pub lesson: Option<String>,
    /// With `--lesson`: play the lesson's recorded solution (its moves play by themselves).
    #[arg(long, requires = "lesson")]
    pub solution: bool,
    /// Classroom mode, for a projector: large text, a reduced side panel and a caption of each
    /// protocol step (`V` toggles it in the game).
    #[arg(long)]
    pub present: bool,
}

/// Parses the command line, or says why not. A flag given before a subcommand is refused rather
/// than silently read as a game option: `beat-paxos --break amnesia chaos` would otherwise run a
/// correct cluster and report it clean.
pub fn parse(args: impl IntoIterator<Item = OsString>) -> Result<Cli, ParseError> {
    let matches = Cli::command()
        .try_get_matches_from(args)
        .map_err(ParseError::Clap)?;
    if let Some(command) = matches.subcommand_name() {
        refuse_flags_before(command, &matches)?;
    }
    Cli::from_arg_matches(&matches).map_err(ParseError::Clap)
}

/// Why the command line was not parsed: clap's own errors (including `--help` and `--version`,
/// which it prints itself) or ours.
#[derive(Debug)]
pub enum ParseError {
    Clap(clap::Error),
    Cli(CliError),
}

fn refuse_flags_before(command: &str, matches: &ArgMatches) -> Result<(), ParseError> {
    let cli = Cli::command();
    let Some(sub) = cli.find_subcommand(command) else {
        return Ok(());
    };
    let given = cli
        .get_arguments()
        .find(|arg| matches.value_source(arg.get_id().as_str()) == Some(ValueSource::CommandLine));
    let Some(arg) = given else {
        return Ok(());
    };
    let flag = format!("--{}", arg.get_long().unwrap_or(arg.get_id().as_str()));
    let sub_has_it = sub.get_arguments().any(|a| a.get_long() == arg.get_long());
    let problem = if sub_has_it {
        format!("{flag} is given before `{command}`; put it after: beat-paxos {command} {flag} ...")
    } else {
        format!("{flag} is an option of the game, not of `{command}`")
    };
    Err(ParseError::Cli(CliError(problem)))
}

fn whole_number(text: &str) -> Result<u64, String> {
    text.parse()
        .map_err(|_| format!("expected a whole number from 0 to {}", u64::MAX))
}

fn whole_count(text: &str) -> Result<usize, String> {
    text.parse()
        .map_err(|_| format!("expected a whole number from 0 to {}", usize::MAX))
}

/// The longest `--timeout`: about 31 years, far beyond any search, and exact as a `Duration`.
const MAX_TIMEOUT_SECONDS: f64 = 1e9;

fn seconds(text: &str) -> Result<std::time::Duration, String> {
    match text.parse::<f64>() {
        Ok(seconds) if seconds > 0.0 && seconds <= MAX_TIMEOUT_SECONDS => {
            Ok(std::time::Duration::from_secs_f64(seconds))
        }
        _ => Err(format!(
            "expected a number of seconds above 0 and at most {MAX_TIMEOUT_SECONDS}, such as 60 \
             or 0.5"
        )),
    }
}

/// `512M`, `4G`, `1.5G`, `100000K` (binary units; a plain number is in megabytes) as bytes.
fn memory_size(text: &str) -> Result<u64, String> {
    let bad = || {
        "expected a size such as 512M or 4G (K, M, G or T; a plain number is megabytes)".to_string()
    };
    let trimmed = text.trim();
    let trimmed = trimmed
        .strip_suffix("iB")
        .or_else(|| trimmed.strip_suffix('B'))
        .unwrap_or(trimmed);
    let (number, unit) = match trimmed.char_indices().last() {
        Some((at, c)) if c.is_ascii_alphabetic() => (&trimmed[..at], c.to_ascii_uppercase()),
        _ => (trimmed, 'M'),
    };
    let shift = match unit {
        'K' => 10,
        'M' => 20,
        'G' => 30,
        'T' => 40,
        _ => return Err(bad()),
    };
    let number: f64 = number.parse().map_err(|_| bad())?;
    let bytes = number * (1u64 << shift) as f64;
    if number.is_finite() && bytes >= 1.0 && bytes < u64::MAX as f64 {
        Ok(bytes as u64)
    } else {
        Err(bad())
    }
}

fn parse_mode(text: &str) -> Result<Mode, String> {
    protocols::by_name(text)
        .ok_or_else(|| format!("unknown mode `{text}` (expected {})", protocols::names()))
}

fn parse_window_size(text: &str) -> Result<(u32, u32), String> {
    let bad = || format!("`{text}` is not a size like 1280x720 (each side 320 to 7680)");
    let (w, h) = text.split_once('x').ok_or_else(bad)?;
    let (w, h): (u32, u32) = (w.parse().map_err(|_| bad())?, h.parse().map_err(|_| bad())?);
    if (320..=7680).contains(&w) && (240..=7680).contains(&h) {
        Ok((w, h))
    } else {
        Err(bad())
    }
}

/// A command-line failure, printed as `error: ...` with exit code 2.
#[derive(Debug)]
pub struct CliError(pub String);

impl std::fmt::Display for CliError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl ClusterArgs {
    /// The setup these flags describe: the scenario file if any, then each flag over it.
    pub fn setup(&self) -> Result<Setup, CliError> {
        self.setup_with(|_| &[])
    }

    /// As [`setup`](Self::setup), with knob values for the chosen protocol to use where neither
    /// the scenario file nor a flag gives one.
    pub fn setup_with(
        &self,
        defaults: impl Fn(Mode) -> &'static [(&'static str, u64)],
    ) -> Result<Setup, CliError> {
        let mut scenario = match &self.scenario {
            Some(path) => Scenario::load(path).map_err(|e| CliError(e.to_string()))?.0,
            None => Scenario::default(),
        };
        if let Some(mode) = self.mode {
            scenario.mode = Some(mode);
        }
        let mode = scenario.mode.unwrap_or_else(scenario::default_mode);
        for (field, value) in defaults(mode) {
            if !scenario.knobs.iter().any(|(f, _)| f == field) {
                scenario.set_knob(field, *value);
            }
        }
        if let Some(n) = self.nodes {
            scenario.set_knob(mode.size_knob(), n);
        }
        if let Some(clients) = self.clients {
            scenario.set_knob("clients", clients);
        }
        if let Some(requests) = self.requests {
            scenario.set_knob("requests", requests);
        }
        scenario.seed = self.seed.or(scenario.seed);
        if let Some(broken) = &self.broken {
            scenario.broken = Some(broken.clone());
        }
        scenario.network_player |= self.network_player;
        Setup::from_scenario(&scenario).map_err(|invalid| {
            let field = invalid.field.as_str();
            let flag_given = if field == mode.size_knob() {
                self.nodes.is_some().then_some("--nodes")
            } else {
                match field {
                    "clients" => self.clients.is_some().then_some("--clients"),
                    "requests" => self.requests.is_some().then_some("--requests"),
                    "break" => self.broken.is_some().then_some("--break"),
                    "network_player" => self.network_player.then_some("--network-player"),
                    _ => None,
                }
            };
            match (flag_given, &self.scenario) {
                (Some(flag), _) => CliError(format!("{flag}: {}", invalid.problem)),
                (None, Some(path)) => CliError(format!("{}: {invalid}", path.display())),
                (None, None) => CliError(invalid.to_string()),
            }
        })
    }
}

#[cfg(feature = "game")]
impl GameArgs {
    /// How to start the game: flags that choose a cluster skip the title screen.
    pub fn launch(&self) -> Result<crate::game::Launch, CliError> {
        use crate::game::{Launch, Settings, persist, sim_step::Clock};
        let cluster = &self.cluster;
        // A replay that cannot be read, or does not play as it says (a changed move, a hash
        // that does not match), is not played: the game opens on a fresh round and says why.
        let mut notices = Vec::new();
        let replay = match self.replay.as_deref().map(Replay::load) {
            None => None,
            Some(Ok(replay)) => match replay.run() {
                Ok(_) => Some(replay),
                Err(failure) => {
                    notices.push(format!(
                        "Replay not played: {failure}. Here is its round, fresh."
                    ));
                    Some(Replay {
                        moves: Vec::new(),
                        ..replay
                    })
                }
            },
            Some(Err(problem)) => {
                notices.push(format!(
                    "Replay not played: {problem}. A fresh round instead."
                ));
                None
            }
        };
        let lesson = self
            .lesson
            .as_deref()
            .map(crate::lesson::find)
            .transpose()
            .map_err(|problem| CliError(format!("--lesson: {problem}")))?;
        let start_playing = self.replay.is_some()
            || lesson.is_some()
            || cluster.mode.is_some()
            || cluster.nodes.is_some()
            || cluster.seed.is_some()
            || cluster.scenario.is_some()
            || cluster.broken.is_some()
            || cluster.clients.is_some()
            || cluster.network_player;
        let (setup, plan) = match (replay, lesson) {
            (Some(replay), _) => (replay.setup, replay.moves),
            (None, Some(lesson)) => {
                let recording = lesson.recording().map_err(CliError)?;
                let plan = if self.solution {
                    recording.moves
                } else {
                    Vec::new()
                };
                (recording.setup, plan)
            }
            (None, None) => (cluster.setup()?, Vec::new()),
        };
        let scenario = match &cluster.scenario {
            Some(path) => Scenario::load(path).ok().and_then(|(s, _)| s.name),
            None => None,
        };
        let fixed_seed = cluster.seed.is_some()
            || cluster.scenario.is_some()
            || self.replay.is_some()
            || lesson.is_some();
        let clock = self
            .speed
            .as_deref()
            .map(Clock::at_speed)
            .transpose()
            .map_err(CliError)?;
        let scores =
            persist::scores_path().map_or(persist::ScoreStore::Memory, persist::ScoreStore::File);
        Ok(Launch {
            settings: Settings {
                setup,
                scenario,
                fixed_seed,
                plan,
                lesson,
                free_play: None,
            },
            start_playing,
            clock,
            window: self.window,
            screenshot: self.screenshot.clone().zip(self.exit_after_frames),
            scores,
            notices,
            present: self.present,
        })
    }
}

/// Prints `value` as JSON on stdout. A full disk or a closed pipe is an error, not a panic.
fn print_json(value: &impl serde::Serialize) -> Result<(), CliError> {
    let text = serde_json::to_string_pretty(value).map_err(|e| CliError(e.to_string()))?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{text}")
        .and_then(|()| out.flush())
        .map_err(|e| CliError(format!("cannot write the result to stdout: {e}")))
}

/// `beat-paxos lesson`: whether the objective was met (always true for `--list`).
pub fn lesson(args: &LessonArgs) -> Result<bool, CliError> {
    let Some(name) = &args.name else {
        print_json(&crate::lesson::listing().map_err(CliError)?)?;
        return Ok(true);
    };
    let lesson = crate::lesson::find(name).map_err(CliError)?;
    let attempt = crate::link::attempt(lesson, args.solve).map_err(CliError)?;
    print_json(&attempt)?;
    Ok(attempt.attempt.met)
}

pub fn sim(args: &SimArgs) -> Result<(), CliError> {
    if let Some(path) = &args.replay {
        return sim_replay(path, args.trace.as_ref(), args.max_ticks);
    }
    let mut setup = args.cluster.setup()?;
    if let Some(max) = args.max_ticks {
        setup.max_ticks = max;
        setup
            .validate()
            .map_err(|invalid| CliError(format!("--max-ticks: {}", invalid.problem)))?;
    }
    if args.chaos {
        refuse_chaos_over_a_script(&setup, &args.cluster)?;
        refuse_chaos_over_the_network_player(&setup)?;
        setup = chaos::with_chaos(&setup);
    }
    let cannot_write = |path: &PathBuf, e: std::io::Error| {
        CliError(format!("{}: cannot write the trace: {e}", path.display()))
    };
    if let (Some(trace), Some(scenario)) = (&args.trace, &args.cluster.scenario) {
        output_file::refuse_overwriting(("--trace", trace), &[("--scenario", scenario)])
            .map_err(CliError)?;
    }
    // Create the trace file before the run, so that a bad path fails at once, not after it.
    let (trace_output, trace_file) = match args.trace.as_ref() {
        Some(path) => {
            let (output, file) = OutputFile::create(path).map_err(|e| cannot_write(path, e))?;
            (Some(output), Some(file))
        }
        None => (None, None),
    };
    let mut simulation = Simulation::new(&setup, trace_file.is_some());
    if let Some(file) = trace_file {
        // Streamed as the run goes: memory stays flat however long the trace.
        simulation.stream_trace(Box::new(std::io::BufWriter::new(file)));
    }
    let finished = run_watched(&mut simulation, setup.max_ticks)?;
    let mut summary = simulation.engine().summary(&setup);
    if let Some(problem) = simulation.engine().script_error() {
        return Err(CliError(match &args.cluster.scenario {
            Some(path) => format!("{}: {problem}", path.display()),
            None => problem.to_string(),
        }));
    }
    if let Some(path) = &args.trace {
        let digest = simulation
            .finish_trace()
            .map_err(|e| cannot_write(path, e))?;
        if let Some(output) = trace_output {
            output.commit().map_err(|e| cannot_write(path, e))?;
        }
        summary.trace_events = Some(digest.events);
        summary.trace_hash = Some(format!("{:016x}", digest.hash));
    }
    if finished {
        return print_json(&summary);
    }
    let mut partial = serde_json::to_value(&summary).map_err(|e| CliError(e.to_string()))?;
    partial["interrupted"] = true.into();
    print_json(&partial)?;
    eprintln!(
        "interrupted: the summary is of the run so far, up to tick {}",
        summary.ticks
    );
    std::process::exit(EXIT_INTERRUPTED);
}

/// Runs `simulation` to its end as [`Simulation::run_to_end`] does, showing progress on a
/// terminal. Ctrl-C or SIGTERM stops it early: returns whether it ran to its end.
fn run_watched(simulation: &mut Simulation, max_ticks: Tick) -> Result<bool, CliError> {
    catch_interrupts()?;
    let terminal = std::io::stderr().is_terminal();
    let started = std::time::Instant::now();
    let mut shown = started;
    let finished = simulation.run_to_end_in_slices(max_ticks, 4096, |run| {
        if terminal && shown.elapsed() >= std::time::Duration::from_secs(1) {
            shown = std::time::Instant::now();
            let rate = run.engine().events_processed() as f64 / started.elapsed().as_secs_f64();
            eprint!(
                "\rtick {} of at most {max_ticks}, {} events, {rate:.0} events/s   ",
                run.engine().now(),
                run.engine().events_processed()
            );
        }
        !INTERRUPTED.load(Ordering::SeqCst)
    });
    if terminal && shown != started {
        eprint!("\r\x1b[K");
    }
    Ok(finished)
}

/// `sim --replay`: the replay's round to its end (or to `stop_at`), as the game plays it; the
/// summary always has the trace's event count and hash.
fn sim_replay(path: &Path, trace: Option<&PathBuf>, stop_at: Option<Tick>) -> Result<(), CliError> {
    let mut replay = Replay::load(path).map_err(CliError)?;
    if let Some(tick) = stop_at {
        if tick == 0 || tick > TICK_LIMIT {
            return Err(CliError(format!(
                "--max-ticks: {tick} is outside 1..={TICK_LIMIT}"
            )));
        }
        // The round so far at `tick`: the moves made by then, and no check of the full run's
        // hash, which covers what comes after.
        replay.setup.max_ticks = replay.setup.max_ticks.min(tick);
        replay.moves.retain(|planned| planned.tick <= tick);
        replay.trace_hash = None;
    }
    let cannot_write = |trace: &PathBuf, e: std::io::Error| {
        CliError(format!("{}: cannot write the trace: {e}", trace.display()))
    };
    if let Some(trace) = trace {
        output_file::refuse_overwriting(("--trace", trace), &[("--replay", path)])
            .map_err(CliError)?;
    }
    // Create the trace file before the run, so that a bad path fails at once, not after it.
    let (output, out): (_, Box<dyn Write + Send + Sync>) = match trace {
        Some(trace) => {
            let (output, file) = OutputFile::create(trace).map_err(|e| cannot_write(trace, e))?;
            (Some(output), Box::new(std::io::BufWriter::new(file)))
        }
        None => (None, Box::new(std::io::sink())),
    };
    let summary = replay
        .play_into(out)
        .map_err(|failure| match (failure, trace) {
            (ReplayFailure::Trace(e), Some(trace)) => cannot_write(trace, e),
            (failure, _) => CliError(format!("{}: {failure}", path.display())),
        })?;
    if let (Some(output), Some(trace)) = (output, trace) {
        output.commit().map_err(|e| cannot_write(trace, e))?;
    }
    print_json(&summary)
}

/// Set by Ctrl-C or SIGTERM: `chaos` stops handing out seeds, `sim` stops its run, and each
/// prints what it has.
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Exit code of a command stopped by Ctrl-C (after printing its partial result): 128 + SIGINT.
const EXIT_INTERRUPTED: i32 = 130;

/// Makes Ctrl-C and SIGTERM set [`INTERRUPTED`]. The first asks for a partial result; a second
/// one, if that takes too long, quits. One press can arrive twice (`timeout` signals the process
/// and its group): a second signal within half a second is the same press.
fn catch_interrupts() -> Result<(), CliError> {
    let first_press = std::sync::OnceLock::new();
    ctrlc::set_handler(move || {
        let pressed = *first_press.get_or_init(std::time::Instant::now);
        INTERRUPTED.store(true, Ordering::SeqCst);
        if pressed.elapsed() > std::time::Duration::from_millis(500) {
            std::process::exit(EXIT_INTERRUPTED);
        }
    })
    .map_err(|e| CliError(format!("cannot catch Ctrl-C: {e}")))
}

/// A script fixes the order of every event; chaos varies that order, so it cannot keep both.
fn refuse_chaos_over_a_script(setup: &Setup, args: &ClusterArgs) -> Result<(), CliError> {
    if setup.script.is_empty() {
        return Ok(());
    }
    let path = args
        .scenario
        .as_deref()
        .unwrap_or(Path::new("the scenario"));
    Err(CliError(format!(
        "{}: this scenario has a script, which fixes the order of every event; chaos varies \
         that order, so it cannot run a scripted scenario (play it with `sim --scenario`)",
        path.display()
    )))
}

/// A network player's network waits for moves, which chaos runs have none of.
fn refuse_chaos_over_the_network_player(setup: &Setup) -> Result<(), CliError> {
    match setup.network_player {
        true => Err(CliError(
            "--network-player: a chaos run's network is the adversary's, so it cannot also be \
             the player's (the network player plays rounds: the game, `sim --replay`)"
                .into(),
        )),
        false => Ok(()),
    }
}

pub fn chaos(args: &ChaosArgs) -> Result<(), CliError> {
    let setup = args.cluster.setup()?;
    refuse_chaos_over_a_script(&setup, &args.cluster)?;
    refuse_chaos_over_the_network_player(&setup)?;
    catch_interrupts()?;
    let mut show = |p: batch::Progress| {
        let rate = p.done as f64 / p.elapsed.as_secs_f64().max(1e-9);
        eprint!(
            "\r{} of {} runs, {} violating, {rate:.0} runs/s   ",
            p.done, p.total, p.violating_runs
        );
    };
    let terminal = std::io::stderr().is_terminal();
    let mut options = batch::RunOptions {
        stop: Some(&INTERRUPTED),
        progress: terminal.then_some(&mut show as &mut dyn FnMut(batch::Progress)),
        ..batch::RunOptions::default()
    };
    if let Some(jobs) = args.jobs {
        options.jobs = usize::from(jobs);
    }
    let mut report = batch::run_many_with(&setup, args.runs, options);
    if terminal {
        eprint!("\r\x1b[K");
    }
    if args.no_timing {
        report.events_per_sec = None;
    }
    print_json(&report)?;
    if report.interrupted {
        std::io::Write::flush(&mut std::io::stdout()).ok();
        eprintln!(
            "interrupted: the result covers seeds {}..{} of the {} asked for",
            report.first_seed,
            report.first_seed.wrapping_add(report.runs),
            args.runs
        );
        std::process::exit(EXIT_INTERRUPTED);
    }
    Ok(())
}

pub fn check(args: &CheckArgs) -> Result<(), CliError> {
    if let Some(path) = &args.from_replay {
        return check_from_replay(path, args);
    }
    if args.cluster.network_player {
        return Err(CliError(
            "--network-player: `check` explores every order of events from the start itself; \
             to ask from a moment of a network player's round, give its replay with \
             --from-replay"
                .into(),
        ));
    }
    let explorer = protocols::explorer;
    let setup = args
        .cluster
        .setup_with(|mode| explorer(mode).map_or(&[], |e| e.small_setup()))?;
    let Some(explorer) = explorer(setup.mode) else {
        return Err(CliError(format!(
            "{} cannot be checked exhaustively",
            setup.mode.name()
        )));
    };
    if let Some(path) = &args.cluster.scenario
        && (!setup.actions.is_empty() || (!setup.script.is_empty() && args.search != Search::Core))
    {
        // The search tries every ordering itself; silently leaving out the scenario's faults
        // would prove something other than what the file describes. A script is where the core
        // search starts.
        return Err(CliError(format!(
            "--scenario {}: `check` explores every ordering of events itself, so it takes a \
             scenario's cluster but not its `actions`, and a `script` only as where the core \
             search starts (add --search core); expected a scenario without them (`sim \
             --scenario` plays them)",
            path.display()
        )));
    }
    if args.max_crashes > setup.max_down() {
        return Err(CliError(format!(
            "--max-crashes {}: at most {} of these nodes may be down at once (a majority must \
             stay up), so a counterexample with more could not be replayed",
            args.max_crashes,
            setup.max_down()
        )));
    }
    if args.max_round.is_some() && !explorer.has_rounds() {
        return Err(CliError(format!(
            "--max-round: {} has no rounds to bound; leave it out",
            setup.mode.name()
        )));
    }
    // The reductions exist in the core search only; elsewhere the flag would be ignored.
    for (given, flag) in [
        (args.no_sleep_sets, "--no-sleep-sets"),
        (args.keep_dead_messages, "--keep-dead-messages"),
    ] {
        if given && args.search != Search::Core {
            return Err(CliError(format!(
                "{flag}: only the core search has this reduction; add --search core"
            )));
        }
    }
    let max_round = args.max_round.unwrap_or(1);
    if max_round == 0 {
        return Err(CliError("--max-round: must be at least 1".into()));
    }
    match args.max_ballots {
        Some(_) if !explorer.has_rounds() => {
            return Err(CliError(format!(
                "--max-ballots: {} has no ballots to bound",
                setup.mode.name()
            )));
        }
        Some(0) => return Err(CliError("--max-ballots: must be at least 1".into())),
        _ => {}
    }
    if args.max_depth == Some(0) {
        return Err(CliError("--max-depth: must be at least 1".into()));
    }
    if args.max_states == 0 {
        return Err(CliError("--max-states: must be at least 1".into()));
    }
    // More threads than this only contend for the cores, and each takes memory; 100000 of them
    // once aborted the process.
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let max_threads = 4 * cores;
    if args.threads == 0 || args.threads > max_threads {
        return Err(CliError(format!(
            "--threads {}: expected 1 to {max_threads} (4 per core; this machine has {cores})",
            args.threads
        )));
    }
    // Refuse a path that cannot be written before a search that may take minutes: the file is
    // written under a temporary name beside it, opened now.
    let counterexample = match &args.counterexample {
        Some(path) => {
            if let Some(input) = &args.cluster.scenario {
                output_file::refuse_overwriting(
                    ("--counterexample", path),
                    &[("--scenario", input)],
                )
                .map_err(CliError)?;
            }
            let opened = OutputFile::create(path).map_err(|e| {
                CliError(format!(
                    "--counterexample {}: cannot write there: {e}; expected a file in an \
                     existing, writable folder",
                    path.display()
                ))
            })?;
            Some((path, opened))
        }
        None => None,
    };
    let options = CheckOptions {
        search: args.search,
        network: args.network.unwrap_or(NetworkKind::Unordered),
        max_crashes: args.max_crashes,
        max_round,
        max_ballots: args.max_ballots,
        max_depth: args.max_depth.or(explorer.default_max_depth()),
        threads: args.threads,
        timeout: args.timeout,
        max_states: Some(args.max_states),
        max_memory: args.max_memory.or_else(budget::default_max_memory),
        stop: Some(&INTERRUPTED),
        sleep_sets: !args.no_sleep_sets,
        drop_dead: !args.keep_dead_messages,
        max_copies: None,
    };
    if let (Some(path), false) = (&args.cluster.scenario, setup.script.is_empty())
        && let Some(problem) = explorer.script_start_error(&setup, &options)
    {
        return Err(CliError(format!(
            "--scenario {}: the search cannot start where the script leads: {problem}",
            path.display()
        )));
    }
    catch_interrupts()?;
    let mut report = explorer.check(&setup, &options);
    // A counterexample that cannot be written is an error, but the report still goes to stdout.
    let mut write_failure = None;
    if let Some((path, (output, mut file))) = counterexample
        && let Some(scripted) = &report.scripted
    {
        let written = serde_json::to_string_pretty(&Scenario::of_counterexample(scripted))
            .map_err(std::io::Error::other)
            .and_then(|text| writeln!(file, "{text}"))
            .and_then(|()| file.sync_all())
            .and_then(|()| output.commit());
        match written {
            Ok(()) => report.counterexample_file = Some(path.display().to_string()),
            Err(e) => {
                write_failure = Some(CliError(format!(
                    "{}: cannot write the counterexample: {e} (the report is on stdout)",
                    path.display()
                )))
            }
        }
    }
    if args.no_timing {
        report.seconds = None;
        report.states_per_sec = None;
    }
    print_json(&report)?;
    if let Some(failure) = write_failure {
        return Err(failure);
    }
    if report.incomplete == Some(Incomplete::Interrupted) {
        eprintln!("interrupted: the report covers the states explored until then");
        std::process::exit(EXIT_INTERRUPTED);
    }
    Ok(())
}

/// `check --from-replay`: the replay's round played to its end, then "can this still break?"
/// asked there, as the game asks it (`Explorer::can_it_break`).
fn check_from_replay(path: &Path, args: &CheckArgs) -> Result<(), CliError> {
    let replay = Replay::load(path).map_err(CliError)?;
    let Some(explorer) = protocols::explorer(replay.setup.mode) else {
        return Err(CliError(format!(
            "{}: {} cannot be checked exhaustively",
            path.display(),
            replay.setup.mode.name()
        )));
    };
    if args.max_crashes > replay.setup.max_down() {
        return Err(CliError(format!(
            "--max-crashes {}: at most {} of these nodes may be down at once",
            args.max_crashes,
            replay.setup.max_down()
        )));
    }
    for (given, flag) in [
        (args.max_round.is_some(), "--max-round"),
        (args.max_ballots.is_some(), "--max-ballots"),
    ] {
        if given {
            return Err(CliError(format!(
                "{flag}: with --from-replay the rounds are bounded by where the round already \
                 is (the search may go one round on from the highest reached); leave it out"
            )));
        }
    }
    if args.search != Search::Core && args.search != Search::Bfs {
        return Err(CliError(
            "--search: with --from-replay the search is the core one (`--search core`)".into(),
        ));
    }
    if args.max_depth == Some(0) {
        return Err(CliError("--max-depth: must be at least 1".into()));
    }
    if args.max_states == 0 {
        return Err(CliError("--max-states: must be at least 1".into()));
    }
    let mut round = Round::from_replay(&replay);
    round.play_to_end();
    if let Some(problem) = round.playback_error() {
        return Err(CliError(format!("{}: {problem}", path.display())));
    }
    catch_interrupts()?;
    let options = CheckOptions {
        search: Search::Core,
        network: args.network.unwrap_or(NetworkKind::Duplicating),
        max_crashes: args.max_crashes,
        max_depth: args.max_depth.or(explorer.default_max_depth()),
        timeout: args.timeout,
        max_states: Some(args.max_states),
        max_memory: args.max_memory.or_else(budget::default_max_memory),
        stop: Some(&INTERRUPTED),
        sleep_sets: !args.no_sleep_sets,
        drop_dead: !args.keep_dead_messages,
        max_copies: Some(round.duplicates_left as usize),
        ..CheckOptions::default()
    };
    let mut answer = explorer
        .can_it_break(&round.setup, round.simulation.engine(), &options)
        .map_err(|problem| CliError(format!("{}: {problem}", path.display())))?;
    if args.no_timing {
        answer.seconds = None;
        answer.states_per_sec = None;
    }
    print_json(&answer)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_line(line: &str) -> Result<Cli, String> {
        parse(line.split_whitespace().map(OsString::from)).map_err(|error| match error {
            ParseError::Clap(clap) => clap.to_string(),
            ParseError::Cli(cli) => cli.0,
        })
    }

    #[test]
    fn a_flag_before_the_subcommand_is_refused_not_ignored() {
        let err = parse_line("beat-paxos --break amnesia chaos --runs 10").unwrap_err();
        assert_eq!(
            err,
            "--break is given before `chaos`; put it after: beat-paxos chaos --break ..."
        );
        let err = parse_line("beat-paxos --seed 4 sim").unwrap_err();
        assert!(err.contains("put it after: beat-paxos sim --seed"), "{err}");
        let err = parse_line("beat-paxos --speed 2 sim").unwrap_err();
        assert_eq!(err, "--speed is an option of the game, not of `sim`");

        let Some(Command::Chaos(chaos)) = parse_line("beat-paxos chaos --break amnesia")
            .unwrap()
            .command
        else {
            panic!("not chaos");
        };
        assert_eq!(chaos.cluster.broken.as_deref(), Some("amnesia"));
        let game = parse_line("beat-paxos --break amnesia --nodes 5").unwrap();
        assert!(game.command.is_none());
        assert_eq!(game.game.cluster.nodes, Some(5));
    }

    #[test]
    fn number_flags_say_what_they_expect() {
        for line in [
            "beat-paxos sim --seed x",
            "beat-paxos sim --seed -1",
            "beat-paxos sim --nodes -3",
            "beat-paxos chaos --runs 1e3",
            "beat-paxos check --max-crashes -1",
            "beat-paxos check --max-round -1",
        ] {
            let err = parse_line(line).unwrap_err();
            assert!(
                err.contains("expected a whole number from 0 to 18446744073709551615"),
                "{line}: {err}"
            );
        }
    }

    #[test]
    fn memory_sizes_and_timeouts_read_as_people_write_them() {
        assert_eq!(memory_size("512M"), Ok(512 << 20));
        assert_eq!(memory_size("4G"), Ok(4 << 30));
        assert_eq!(memory_size("1.5GiB"), Ok(3 << 29));
        assert_eq!(memory_size("100"), Ok(100 << 20));
        assert_eq!(memory_size("64k"), Ok(64 << 10));
        for bad in ["", "lots", "-1G", "0", "4X", "inf", "NaNG", "99999999T"] {
            assert!(memory_size(bad).is_err(), "{bad}");
        }
        assert_eq!(seconds("0.5"), Ok(std::time::Duration::from_millis(500)));
        for bad in ["0", "-1", "inf", "NaN", "1e10", "ten"] {
            let err = seconds(bad).unwrap_err();
            assert!(err.contains("at most 1000000000"), "{bad}: {err}");
        }
    }
}
