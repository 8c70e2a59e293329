//! Shared by the Rust tests that assert a trained model's quality (included with `#[path]`).
//! Each such test trains with its own fixed seed, or with `TAILOR_TEST_SEED` when the seed audit
//! (`cargo xtask seeds`) retrains it with others, and prints every figure it asserts on one
//! `quality:` line, so that the audit can tabulate the margin of each assertion for each seed.

/// The seed to train with: `TAILOR_TEST_SEED` if set, else the test's own.
pub fn seed(default: u64) -> u64 {
    match std::env::var("TAILOR_TEST_SEED") {
        Ok(value) => value
            .parse()
            .unwrap_or_else(|_| panic!("TAILOR_TEST_SEED={value:?} is not a seed")),
        Err(_) => default,
    }
}

/// Prints `quality: NAME: VALUE OP BOUND` (to stderr, which `--nocapture` shows) and returns
/// whether it holds, for the test to assert.
#[allow(clippy::print_stderr)]
pub fn check(name: &str, value: f64, op: &str, bound: f64) -> bool {
    let holds = match op {
        ">" => value > bound,
        ">=" => value >= bound,
        "<" => value < bound,
        "<=" => value <= bound,
        _ => panic!("unknown comparison {op}"),
    };
    eprintln!("quality: {name}: {value:.4} {op} {bound:.4}");
    holds
}
