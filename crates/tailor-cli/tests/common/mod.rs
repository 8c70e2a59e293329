//! Running the `tailor` binary from the CLI tests.

use std::process::{Command, Output};

pub fn tailor() -> Command {
    Command::new(env!("CARGO_BIN_EXE_tailor"))
}

/// Runs `command` and returns its output; a failure shows both streams.
pub fn run_ok(command: &mut Command) -> Output {
    let output = command.output().expect("start tailor");
    assert!(
        output.status.success(),
        "tailor failed\nstdout: {}\nstderr: {}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}
