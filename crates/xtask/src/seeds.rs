//! `cargo xtask seeds`: the seed audit. Every test that asserts something about a trained
//! model's quality is run again with its model retrained under each seed, and every figure it
//! asserts (its `quality:` lines, see tests/quality.rs and tests/browser/quality.mjs) is put in
//! one table: the value, the bound it must beat, and whether it held. A quality assertion that
//! holds for one seed only is luck, not a test; this is how to tell.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::setup::Tools;
use crate::wasm::{self, Flavour};
use crate::{
    TEST_BUNDLE_OPTIONS, TEST_OUTFITS_IMPORT, TEST_OUTFITS_OPTIONS, TEST_SHOP_IMPORT, cargo_test,
    kept_run, node, step, target_dir, train_and_export,
};

/// The Rust tests that assert a model's quality: (label, `cargo test` arguments).
const RUST_TESTS: [(&str, &[&str]); 6] = [
    ("train_cli", &["-p", "tailor-cli", "--test", "train_cli"]),
    (
        "movielens",
        &["-p", "movielens-comparison", "--test", "movielens"],
    ),
    ("outfits", &["-p", "outfit-ablations", "--test", "outfits"]),
    ("visual", &["-p", "visual-interest", "--test", "visual"]),
    (
        "intention-toy",
        &[
            "-p",
            "tailor-model",
            "--lib",
            "the_reconstruction_loss_falls",
        ],
    ),
    (
        "fhn-toy",
        &["-p", "tailor-model", "--lib", "bpr_learns_a_toy_preference"],
    ),
];

/// The browser tests that assert the test bundle's quality.
const BROWSER_TESTS: [&str; 2] = ["shop.test.mjs", "personalization.test.mjs"];

/// One `quality:` line: what was measured, the value, the comparison and its bound.
struct Figure {
    value: f64,
    op: String,
    bound: f64,
}

impl Figure {
    fn holds(&self) -> bool {
        match self.op.as_str() {
            ">" => self.value > self.bound,
            ">=" => self.value >= self.bound,
            "<" => self.value < self.bound,
            "<=" => self.value <= self.bound,
            _ => false,
        }
    }
}

/// Parses `quality: NAME: VALUE OP BOUND` anywhere in a line (test runners indent or prefix it).
fn parse_figure(line: &str) -> Option<(String, Figure)> {
    let rest = &line[line.find("quality: ")? + "quality: ".len()..];
    let (name, numbers) = rest.rsplit_once(": ")?;
    let mut parts = numbers.split_whitespace();
    let value = parts.next()?.parse().ok()?;
    let op = parts.next()?.to_string();
    let bound = parts.next()?.parse().ok()?;
    Some((name.to_string(), Figure { value, op, bound }))
}

/// Which half of the audit to run: the Rust tests, the browser tests, or both.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Part {
    Rust,
    Browser,
}

pub fn audit(root: &Path, seeds: &[u64], only: Option<Part>) -> Result<()> {
    let tools = Tools::ensure(root)?;
    let dir = target_dir().join("seed-audit");
    fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;

    // figures[name][seed]; failures lists the runs that failed for another reason too.
    let mut figures: BTreeMap<String, BTreeMap<u64, Figure>> = BTreeMap::new();
    let mut failed_runs = Vec::new();
    for &seed in seeds.iter().filter(|_| only != Some(Part::Browser)) {
        for (label, args) in RUST_TESTS {
            step(&format!("seed {seed}: cargo test {}", args.join(" ")));
            let mut command = cargo_test()?;
            command
                .args(args)
                .args(["--", "--nocapture"])
                .env("TAILOR_TEST_SEED", seed.to_string());
            let log = dir.join(format!("seed{seed}-{label}.log"));
            if !collect(&mut command, &log, seed, &mut figures)? {
                failed_runs.push(format!("seed {seed}: {label} ({})", log.display()));
            }
        }
    }
    if only != Some(Part::Rust) {
        step("building the tailor binary and the CPU wasm module");
        crate::build_debug_binaries()?;
        wasm::build(&tools, root, Flavour::Cpu)?;
    }
    let tailor = target_dir().join("debug/tailor");
    // The shop pages complete the look from the outfits bundle, whatever the seed.
    let outfits_bundle = if only == Some(Part::Rust) {
        None
    } else {
        let outfits = kept_run(
            root,
            "test-outfits-run",
            TEST_OUTFITS_IMPORT,
            TEST_OUTFITS_OPTIONS,
        )?;
        Some(train_and_export(&tailor, &outfits)?)
    };
    for &seed in seeds.iter().filter(|_| only != Some(Part::Rust)) {
        step(&format!(
            "seed {seed}: the browser tests' bundle, then its browser tests"
        ));
        let seed_text = seed.to_string();
        let mut options = TEST_BUNDLE_OPTIONS.to_vec();
        // Seed 0 is the default: the same options, so the same run as `cargo xtask test`'s.
        if seed != 0 {
            options.extend(["--seed", &seed_text]);
        }
        let prefix = if seed == 0 {
            "test-run".to_string()
        } else {
            format!("seed{seed}-run")
        };
        let run = kept_run(root, &prefix, TEST_SHOP_IMPORT, &options)?;
        let bundle = train_and_export(&tailor, &run)?;
        let mut command = node(&tools);
        command
            .env("TAILOR_TEST_BUNDLE", &bundle)
            .envs(outfits_bundle.iter().map(|b| ("TAILOR_OUTFITS_BUNDLE", b)))
            .arg("--test")
            .args(BROWSER_TESTS.map(|file| root.join("tests/browser").join(file)));
        let log = dir.join(format!("seed{seed}-browser.log"));
        if !collect(&mut command, &log, seed, &mut figures)? {
            failed_runs.push(format!("seed {seed}: browser tests ({})", log.display()));
        }
    }

    let table = table(&figures, seeds);
    // Named by its seeds, so that two audits of different seeds can run side by side.
    let seed_list: Vec<String> = seeds.iter().map(u64::to_string).collect();
    let part = match only {
        Some(Part::Rust) => "-rust",
        Some(Part::Browser) => "-browser",
        None => "",
    };
    let path = dir.join(format!("table-seeds-{}{part}.md", seed_list.join("-")));
    fs::write(&path, &table).with_context(|| format!("cannot write {}", path.display()))?;
    step(&format!(
        "quality assertions by seed (also in {})",
        path.display()
    ));
    println!("{table}");
    let broken: Vec<String> = figures
        .iter()
        .flat_map(|(name, by_seed)| {
            by_seed
                .iter()
                .filter(|(_, f)| !f.holds())
                .map(move |(seed, _)| format!("{name} (seed {seed})"))
        })
        .collect();
    if !broken.is_empty() || !failed_runs.is_empty() {
        bail!("quality assertions that did not hold: {broken:?}; failed runs: {failed_runs:?}");
    }
    Ok(())
}

/// Runs `command`, keeps its output in `log`, and adds its `quality:` figures under `seed`.
/// Returns whether it succeeded.
fn collect(
    command: &mut Command,
    log: &Path,
    seed: u64,
    figures: &mut BTreeMap<String, BTreeMap<u64, Figure>>,
) -> Result<bool> {
    let output = command
        .output()
        .with_context(|| format!("cannot start {command:?}"))?;
    let mut text = String::from_utf8_lossy(&output.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&output.stderr));
    fs::write(log, &text).with_context(|| format!("cannot write {}", log.display()))?;
    for (name, figure) in text.lines().filter_map(parse_figure) {
        figures.entry(name).or_default().insert(seed, figure);
    }
    Ok(output.status.success())
}

/// Markdown: a row per assertion, a column per seed, each cell `value op bound` and a mark.
fn table(figures: &BTreeMap<String, BTreeMap<u64, Figure>>, seeds: &[u64]) -> String {
    let mut out = String::from("| assertion |");
    for seed in seeds {
        let _ = write!(out, " seed {seed} |");
    }
    out.push_str("\n|---|");
    out.push_str(&"---|".repeat(seeds.len()));
    out.push('\n');
    for (name, by_seed) in figures {
        let _ = write!(out, "| {name} |");
        for seed in seeds {
            match by_seed.get(seed) {
                Some(f) => {
                    let mark = if f.holds() { "ok" } else { "**FAILS**" };
                    let _ = write!(out, " {:.4} {} {:.4} {mark} |", f.value, f.op, f.bound);
                }
                None => out.push_str(" (not reached) |"),
            }
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quality_lines_parse_wherever_a_runner_puts_them() {
        let (name, f) = parse_figure("# quality: shop \"a: b\": top 10: 4.0000 > 3.0000").unwrap();
        assert_eq!(name, "shop \"a: b\": top 10");
        assert_eq!((f.value, f.op.as_str(), f.bound), (4.0, ">", 3.0));
        assert!(f.holds());
        let (_, f) = parse_figure("quality: x: 0.5000 <= 0.4000").unwrap();
        assert!(!f.holds());
        assert!(parse_figure("test result: ok").is_none());
        assert!(parse_figure("quality: x: 1.0 ~ 2.0").is_some_and(|(_, f)| !f.holds()));
    }
}
