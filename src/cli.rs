//! The command line: the game by default, `sim` and `chaos` headless. JSON goes to stdout, errors
//! to stderr with exit code 2.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};

use clap::{Args, Parser, Subcommand};

use crate::chaos;
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
    /// Worker threads (default: one per core). The result is the same for any number.
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..))]
    pub jobs: Option<u16>,
    /// Leave out the wall-clock `events_per_sec`, so that identical runs print identical bytes.
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
        let mut scenario = match &self.scenario {
            Some(path) => Scenario::load(path).map_err(|e| CliError(e.to_string()))?.0,
            None => Scenario::default(),
        };
        if let Some(mode) = self.mode {
            scenario.mode = Some(mode);
        }
        let mode = scenario.mode.unwrap_or_else(scenario::default_mode);
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

/// Set by Ctrl-C: `chaos` stops handing out seeds and prints what it has.
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Exit code of a `chaos` stopped by Ctrl-C (after printing its partial result): 128 + SIGINT.
const EXIT_INTERRUPTED: i32 = 130;

pub fn chaos(args: &ChaosArgs) -> Result<(), CliError> {
    let setup = args.cluster.setup()?;
    // The first Ctrl-C asks for a partial result; a second one, if that takes too long, quits.
    // One press can arrive twice (`timeout` signals the process and its group): a second signal
    // within half a second is the same press.
    let first_press = std::sync::OnceLock::new();
    ctrlc::set_handler(move || {
        let pressed = *first_press.get_or_init(std::time::Instant::now);
        INTERRUPTED.store(true, Ordering::SeqCst);
        if pressed.elapsed() > std::time::Duration::from_millis(500) {
            std::process::exit(EXIT_INTERRUPTED);
        }
    })
    .map_err(|e| CliError(format!("cannot catch Ctrl-C: {e}")))?;
    let mut show = |p: chaos::Progress| {
        let rate = p.done as f64 / p.elapsed.as_secs_f64().max(1e-9);
        eprint!(
            "\r{} of {} runs, {} violating, {rate:.0} runs/s   ",
            p.done, p.total, p.violating_runs
        );
    };
    let terminal = std::io::stderr().is_terminal();
    let mut options = chaos::RunOptions {
        stop: Some(&INTERRUPTED),
        progress: terminal.then_some(&mut show as &mut dyn FnMut(chaos::Progress)),
        ..chaos::RunOptions::default()
    };
    if let Some(jobs) = args.jobs {
        options.jobs = usize::from(jobs);
    }
    let mut report = chaos::run_many_with(&setup, args.runs, options);
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
