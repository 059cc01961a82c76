//! Entry point: the game by default; `sim` and `chaos` run the simulation headless.

use std::process::ExitCode;

use beat_paxos::cli::{self, Cli, Command};
use clap::Parser;

fn main() -> ExitCode {
    let args = Cli::parse();
    let result = match &args.command {
        Some(Command::Sim(sim)) => cli::sim(sim),
        Some(Command::Chaos(chaos)) => cli::chaos(chaos),
        None => play(&args.game),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::from(2)
        }
    }
}

#[cfg(feature = "game")]
fn play(args: &cli::GameArgs) -> Result<(), cli::CliError> {
    beat_paxos::game::run(args)
}

#[cfg(not(feature = "game"))]
fn play(_: &cli::GameArgs) -> Result<(), cli::CliError> {
    Err(cli::CliError(
        "this binary was built without the `game` feature; try `beat-paxos sim --help`".into(),
    ))
}
