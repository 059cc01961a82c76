//! Helpers the integration tests share: running the `beat-paxos` binary and reading its JSON.

use std::process::Command;

/// Runs the `beat-paxos` binary this test build made.
pub fn beat_paxos(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_beat-paxos"))
        .args(args)
        .output()
        .unwrap()
}

/// The JSON a successful run printed (failing the test with its stderr otherwise).
pub fn json(output: &std::process::Output) -> serde_json::Value {
    assert!(
        output.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}
