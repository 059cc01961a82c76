//! Entry point: the game by default; `sim`, `chaos`, `check` and `lesson` run headless.

#[cfg(not(target_arch = "wasm32"))]
use std::io::Write;
#[cfg(not(target_arch = "wasm32"))]
use std::process::ExitCode;

#[cfg(not(target_arch = "wasm32"))]
use beat_paxos::cli::{self, Command, ParseError};

/// In the browser the URL, not a command line, says what to play.
#[cfg(target_arch = "wasm32")]
fn main() {
    beat_paxos::game::web::start();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() -> ExitCode {
    let args = match cli::parse(std::env::args_os()) {
        Ok(args) => args,
        // Usage errors, `--help` and `--version`: clap prints them (exit code 2, or 0).
        Err(ParseError::Clap(clap)) => {
            return match clap.print() {
                Ok(()) => ExitCode::from(clap.exit_code() as u8),
                Err(error) => {
                    let stream = if clap.use_stderr() {
                        "stderr"
                    } else {
                        "stdout"
                    };
                    fail(&format!("cannot write to {stream}: {error}"))
                }
            };
        }
        Err(ParseError::Cli(error)) => return fail(&error.0),
    };
    let result = match &args.command {
        Some(Command::Sim(sim)) => cli::sim(sim),
        Some(Command::Chaos(chaos)) => cli::chaos(chaos),
        Some(Command::Check(check)) => cli::check(check),
        // An objective not met is an answer, not an error: exit code 1, as `cmp` or `grep` do.
        Some(Command::Lesson(lesson)) => match cli::lesson(lesson) {
            Ok(true) => Ok(()),
            Ok(false) => return ExitCode::from(1),
            Err(error) => Err(error),
        },
        None => play(&args.game),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => fail(&error.0),
    }
}

/// Reports an error on stderr with exit code 2 (and never panics, even if stderr is closed).
#[cfg(not(target_arch = "wasm32"))]
fn fail(error: &str) -> ExitCode {
    let _ = writeln!(std::io::stderr(), "error: {error}");
    ExitCode::from(2)
}

#[cfg(all(feature = "game", not(target_arch = "wasm32")))]
fn play(args: &cli::GameArgs) -> Result<(), cli::CliError> {
    match beat_paxos::game::run(args.launch()?) {
        bevy::app::AppExit::Success => Ok(()),
        bevy::app::AppExit::Error(code) => {
            Err(cli::CliError(format!("the game exited with code {code}")))
        }
    }
}

#[cfg(all(not(feature = "game"), not(target_arch = "wasm32")))]
fn play(_: &cli::GameArgs) -> Result<(), cli::CliError> {
    Err(cli::CliError(
        "this binary was built without the `game` feature; try `beat-paxos sim --help`".into(),
    ))
}
