//! The command line: the game by default, `sim`, `chaos` and `check` headless. JSON goes to
//! stdout, errors to stderr with exit code 2.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::chaos;
use crate::explore::{CheckOptions, NetworkKind, Search};
use crate::protocol::Mode;
use crate::protocols;
use crate::scenario::{self, Scenario, Setup};
use crate::sim::{FNV_OFFSET, fnv1a64};
use crate::simulation;

#[derive(Parser, Debug)]
#[command(
    name = "beat-paxos",
    version,
    about = "Attack Paxos and an eventually consistent counter; watch safety hold."
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
}

/// The cluster a command simulates; any flag given overrides the scenario file.
#[derive(Args, Debug, Clone, Default)]
pub struct ClusterArgs {
    /// The protocol: paxos or ec-counter.
    #[arg(long, value_parser = parse_mode)]
    pub mode: Option<Mode>,
    /// Paxos nodes (3-9), or ec-counter servers (2-7).
    #[arg(long)]
    pub nodes: Option<usize>,
    /// ec-counter clients (1-12).
    #[arg(long)]
    pub clients: Option<usize>,
    /// ec-counter requests per client.
    #[arg(long)]
    pub requests: Option<u32>,
    #[arg(long)]
    pub seed: Option<u64>,
    /// A scenario file (JSON, see docs/scenarios.md).
    #[arg(long)]
    pub scenario: Option<PathBuf>,
    /// Run a deliberately broken protocol: amnesia, skip-highest-accepted or no-max.
    #[arg(long = "break")]
    pub broken: Option<String>,
}

#[derive(Args, Debug)]
pub struct SimArgs {
    #[command(flatten)]
    pub cluster: ClusterArgs,
    /// Add a random fault schedule drawn from the seed.
    #[arg(long)]
    pub chaos: bool,
    #[arg(long)]
    pub max_ticks: Option<u64>,
    /// Write every event as JSON lines to this file.
    #[arg(long)]
    pub trace: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct ChaosArgs {
    #[command(flatten)]
    pub cluster: ClusterArgs,
    #[arg(long, default_value_t = 1000)]
    pub runs: u64,
    /// Leave out the wall-clock `events_per_sec`, so that identical runs print identical bytes.
    #[arg(long)]
    pub no_timing: bool,
}

#[derive(Args, Debug)]
pub struct CheckArgs {
    #[command(flatten)]
    pub cluster: ClusterArgs,
    /// bfs (shortest counterexamples) or dfs (far less memory, for big proofs).
    #[arg(long, default_value = "bfs")]
    pub search: Search,
    /// How the network treats messages: unordered, duplicating or lossy.
    #[arg(long, default_value = "unordered")]
    pub network: NetworkKind,
    /// How many nodes may be down at once.
    #[arg(long, default_value_t = 1)]
    pub max_crashes: usize,
    /// Paxos: explore no ballot above this round (1: each node leads at most one ballot).
    #[arg(long, default_value_t = 1)]
    pub max_round: u64,
    /// Explore no path longer than this many steps (ec-counter: 14 unless given).
    #[arg(long)]
    pub max_depth: Option<usize>,
    /// Checker threads; with more than one the counterexample found may not be the shortest.
    #[arg(long, default_value_t = 1)]
    pub threads: usize,
    /// Stop after this many seconds and report what was explored.
    #[arg(long)]
    pub timeout: Option<f64>,
    /// Stop after generating this many states (each takes memory, about a kilobyte).
    #[arg(long, default_value_t = 10_000_000)]
    pub max_states: usize,
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
            scenario.set_knob(mode.size_knob(), n as u64);
        }
        if let Some(clients) = self.clients {
            scenario.set_knob("clients", clients as u64);
        }
        if let Some(requests) = self.requests {
            scenario.set_knob("requests", u64::from(requests));
        }
        scenario.seed = self.seed.or(scenario.seed);
        if let Some(broken) = &self.broken {
            scenario.broken = Some(broken.clone());
        }
        Setup::from_scenario(&scenario).map_err(|invalid| {
            let field = invalid.field.as_str();
            let flag_given = if field == mode.size_knob() {
                self.nodes.is_some().then_some("--nodes")
            } else {
                match field {
                    "clients" => self.clients.is_some().then_some("--clients"),
                    "requests" => self.requests.is_some().then_some("--requests"),
                    "break" => self.broken.is_some().then_some("--break"),
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
        let start_playing = cluster.mode.is_some()
            || cluster.nodes.is_some()
            || cluster.seed.is_some()
            || cluster.scenario.is_some()
            || cluster.clients.is_some();
        let setup = cluster.setup()?;
        let scenario = match &cluster.scenario {
            Some(path) => Scenario::load(path).ok().and_then(|(s, _)| s.name),
            None => None,
        };
        let fixed_seed = cluster.seed.is_some() || cluster.scenario.is_some();
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
            },
            start_playing,
            clock,
            window: self.window,
            screenshot: self.screenshot.clone().zip(self.exit_after_frames),
            scores,
            notices: Vec::new(),
        })
    }
}

fn print_json(value: &impl serde::Serialize) -> Result<(), CliError> {
    let text = serde_json::to_string_pretty(value).map_err(|e| CliError(e.to_string()))?;
    println!("{text}");
    Ok(())
}

pub fn sim(args: &SimArgs) -> Result<(), CliError> {
    let mut setup = args.cluster.setup()?;
    if let Some(max) = args.max_ticks {
        setup.max_ticks = max;
    }
    if args.chaos {
        setup = chaos::with_chaos(&setup);
    }
    let (mut summary, simulation) = simulation::run(&setup, args.trace.is_some());
    if let Some(problem) = simulation.script_error() {
        return Err(CliError(match &args.cluster.scenario {
            Some(path) => format!("{}: {problem}", path.display()),
            None => problem.to_string(),
        }));
    }
    if let Some(path) = &args.trace {
        let lines = simulation.trace_lines(0);
        let hash = lines
            .iter()
            .fold(FNV_OFFSET, |h, line| fnv1a64(h, line.as_bytes()));
        summary.trace_events = Some(lines.len());
        summary.trace_hash = Some(format!("{hash:016x}"));
        let fail = |e: std::io::Error| {
            CliError(format!("{}: cannot write the trace: {e}", path.display()))
        };
        let file = std::fs::File::create(path).map_err(fail)?;
        let mut out = std::io::BufWriter::new(file);
        simulation.write_trace(&mut out).map_err(fail)?;
        std::io::Write::flush(&mut out).map_err(fail)?;
    }
    print_json(&summary)
}

pub fn chaos(args: &ChaosArgs) -> Result<(), CliError> {
    let setup = args.cluster.setup()?;
    let mut report = chaos::run_many(&setup, args.runs);
    if args.no_timing {
        report.events_per_sec = None;
    }
    print_json(&report)
}

pub fn check(args: &CheckArgs) -> Result<(), CliError> {
    let explorer = |mode: Mode| mode.explorer();
    let setup = args
        .cluster
        .setup_with(|mode| explorer(mode).map_or(&[], |e| e.small_setup()))?;
    let Some(explorer) = explorer(setup.mode) else {
        return Err(CliError(format!(
            "{} cannot be checked exhaustively",
            setup.mode.name()
        )));
    };
    if args.max_crashes > setup.max_down() {
        return Err(CliError(format!(
            "--max-crashes {}: at most {} of these nodes may be down at once (a majority must \
             stay up), so a counterexample with more could not be replayed",
            args.max_crashes,
            setup.max_down()
        )));
    }
    if args.max_round == 0 {
        return Err(CliError("--max-round: must be at least 1".into()));
    }
    if args.max_depth == Some(0) {
        return Err(CliError("--max-depth: must be at least 1".into()));
    }
    if args.threads == 0 {
        return Err(CliError("--threads: must be at least 1".into()));
    }
    let timeout = match args.timeout {
        None => None,
        Some(seconds) if seconds > 0.0 && seconds <= 1e9 => {
            Some(std::time::Duration::from_secs_f64(seconds))
        }
        Some(seconds) => {
            return Err(CliError(format!(
                "--timeout {seconds}: expected a number of seconds above 0"
            )));
        }
    };
    if let Some(path) = &args.counterexample {
        // Refuse a path that cannot be written before a search that may take minutes.
        let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
        if path.is_dir() || dir.is_some_and(|d| !d.is_dir()) {
            return Err(CliError(format!(
                "--counterexample {}: expected a file in an existing directory",
                path.display()
            )));
        }
    }
    let options = CheckOptions {
        search: args.search,
        network: args.network,
        max_crashes: args.max_crashes,
        max_round: args.max_round,
        max_depth: args.max_depth.or(explorer.default_max_depth()),
        threads: args.threads,
        timeout,
        max_states: Some(args.max_states),
    };
    let mut report = explorer.check(&setup, &options);
    if let (Some(path), Some(scenario)) = (&args.counterexample, &report.scenario) {
        let text = serde_json::to_string_pretty(scenario).map_err(|e| CliError(e.to_string()))?;
        std::fs::write(path, text + "\n").map_err(|e| {
            CliError(format!(
                "{}: cannot write the counterexample: {e}",
                path.display()
            ))
        })?;
        report.counterexample_file = Some(path.display().to_string());
    }
    if args.no_timing {
        report.seconds = None;
        report.states_per_sec = None;
    }
    print_json(&report)
}
