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
    // Rust's standard output quietly drops writes to a closed descriptor (`beat-paxos sim >&-`),
    // and a file opened later (a trace) could take its number: refuse before doing anything.
    if args.command.is_some()
        && let Err(error) = stdout_is_open()
    {
        return fail(&format!(
            "stdout is closed ({error}), so the result would be lost; run with stdout open, \
             or redirect it (> result.json)"
        ));
    }
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

/// Whether stdout was open when the process started. Rust's runtime opens `/dev/null`
/// read-write on a standard descriptor found closed, so that is what a closed stdout looks like
/// by now; a shell's `> /dev/null` opens it write-only, and is left alone.
#[cfg(target_os = "linux")]
fn stdout_is_open() -> Result<(), &'static str> {
    const ACCESS_MODE: u32 = 0o3;
    const READ_WRITE: u32 = 0o2;
    let target = std::fs::read_link("/proc/self/fd/1");
    let flags = std::fs::read_to_string("/proc/self/fdinfo/1");
    let read_write = flags.ok().is_some_and(|info| {
        info.lines()
            .find_map(|line| line.strip_prefix("flags:"))
            .and_then(|octal| u32::from_str_radix(octal.trim(), 8).ok())
            .is_some_and(|flags| flags & ACCESS_MODE == READ_WRITE)
    });
    match target {
        Err(_) => Err("it has no file"),
        Ok(path) if path == std::path::Path::new("/dev/null") && read_write => {
            Err("the shell closed it")
        }
        Ok(_) => Ok(()),
    }
}

#[cfg(all(not(target_os = "linux"), not(target_arch = "wasm32")))]
fn stdout_is_open() -> Result<(), &'static str> {
    Ok(())
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
