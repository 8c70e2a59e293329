//! Project automation for Tailor, run as `cargo xtask <command>`. It exists so that a fresh
//! machine needs exactly two commands (`cargo xtask demo`, `cargo xtask test`): every tool the
//! build and the browser tests need is checked and, where possible, installed here, with a message
//! naming the missing piece otherwise. All cargo builds it starts share one target directory
//! outside the clone, so that repeated CI runs on one machine stay incremental.
// The binary's own crate: it prints the tables and owns the progress reporter.
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod bench;
mod fingerprint;
mod pack;
mod seeds;
mod setup;
mod wasm;

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand, ValueEnum};

use setup::Tools;
use wasm::Flavour;

#[derive(Parser)]
#[command(
    name = "cargo xtask",
    about = "Build, test and demo automation for Tailor"
)]
struct Cli {
    #[command(subcommand)]
    command: Task,
}

#[derive(Subcommand)]
enum Task {
    /// Check for, and install, the wasm toolchain, wasm-bindgen-cli, wasm-opt, Chromium and
    /// playwright-core.
    Setup,
    /// Build tailor-wasm (CPU and WebGPU flavours) into web/pkg/.
    Wasm {
        /// Build only these flavours (default: all).
        #[arg(long, value_enum)]
        flavour: Vec<Flavour>,
    },
    /// Build both wasm flavours and write the npm package of web/ (a tarball with them inside)
    /// to the target directory's pack/.
    Pack,
    /// Run every test: fmt and clippy checks, the product's cargo tests, the experiments' quick
    /// checks, the wasm builds, and the browser tests in headless Chromium.
    Test {
        /// Run one part only (default: all three).
        #[arg(long, value_enum)]
        only: Option<TestPart>,
    },
    /// Build everything and serve the demo shop (www/) on 127.0.0.1.
    Demo {
        #[arg(long, default_value_t = 8080)]
        port: u16,
    },
    /// Retrain the model of every test that asserts a model's quality with each seed, run those
    /// tests, and tabulate every asserted figure by seed.
    Seeds {
        #[arg(long, value_delimiter = ',', default_values_t = [0, 1, 2, 3, 4])]
        seeds: Vec<u64>,
        /// Only the Rust tests, or only the browser tests (default: both).
        #[arg(long, value_enum)]
        only: Option<seeds::Part>,
    },
    /// Run the native criterion benchmarks and the browser benchmark page.
    Bench {
        /// Which benchmarks to run (default: both).
        #[arg(long, value_enum)]
        only: Option<BenchKind>,
    },
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum TestPart {
    /// fmt, clippy and the product crates' Rust tests.
    Cargo,
    /// The wasm builds, the example shops' bundles and the browser tests.
    Browser,
    /// The quick checks of the paper reproductions in crates/experiments/.
    Experiments,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum BenchKind {
    Native,
    Browser,
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    let root = workspace_root();
    env::set_current_dir(&root).with_context(|| format!("cannot enter {}", root.display()))?;
    match cli.command {
        Task::Setup => {
            Tools::ensure(&root)?;
        }
        Task::Wasm { flavour } => {
            let tools = Tools::ensure(&root)?;
            let flavours = if flavour.is_empty() {
                Flavour::ALL.to_vec()
            } else {
                flavour
            };
            for flavour in flavours {
                wasm::build(&tools, &root, flavour)?;
            }
        }
        Task::Pack => {
            let tools = Tools::ensure(&root)?;
            for flavour in Flavour::ALL {
                wasm::build(&tools, &root, flavour)?;
            }
            pack::pack(&root)?;
        }
        Task::Test { only } => test(&root, only)?,
        Task::Demo { port } => demo(&root, port)?,
        Task::Seeds { seeds, only } => seeds::audit(&root, &seeds, only)?,
        Task::Bench { only } => bench(&root, only)?,
    }
    Ok(())
}

fn test(root: &Path, only: Option<TestPart>) -> Result<()> {
    let runs = |part: TestPart| only.is_none_or(|o| o == part);
    // The browser's tool set (wasm toolchain, npm packages, Chromium) only when its part runs.
    let tools = if runs(TestPart::Browser) {
        Some(Tools::ensure(root)?)
    } else {
        setup::ensure_test_tools()?;
        None
    };
    if runs(TestPart::Cargo) {
        step("cargo fmt --check");
        run(cargo().args(["fmt", "--all", "--check"])).context(
            "code is not formatted: run `cargo fmt --all` (or `rustup component add rustfmt`)",
        )?;
        step("cargo clippy -D warnings, as the build of every target of the workspace's tests");
        run(cargo_test()?.args(["--workspace", "--all-targets", "--no-run"]))
            .context("clippy found problems (or is missing: `rustup component add clippy`)")?;
    }
    let experiments = experiment_crates(root)?;
    match only {
        None => {
            step(
                "the tests of the workspace (the product crates and the experiments' quick checks)",
            );
            run(test_runner()?.arg("--workspace"))?;
            run(cargo_test()?.args(["--workspace", "--doc"]))?;
        }
        Some(TestPart::Cargo) => {
            step("the tests of the product crates");
            let product_crates = |mut command: Command| {
                command.arg("--workspace");
                for name in &experiments {
                    command.args(["--exclude", name]);
                }
                command
            };
            run(&mut product_crates(test_runner()?))?;
            run(product_crates(cargo_test()?).arg("--doc"))?;
        }
        Some(TestPart::Experiments) => {
            step("the experiments' quick checks");
            let mut command = test_runner()?;
            for name in &experiments {
                command.args(["-p", name]);
            }
            run(&mut command)?;
        }
        Some(TestPart::Browser) => {}
    }
    let Some(tools) = tools else {
        return Ok(());
    };
    step(
        "building the tailor binary (the browser tests serve pages with `tailor serve`) and \
         synthetic-bundles (the benchmark page's catalogs)",
    );
    build_debug_binaries()?;
    for flavour in Flavour::ALL {
        wasm::build(&tools, root, flavour)?;
    }
    // The browser tests install this tarball as a shop would.
    let package = pack::pack(root)?;
    let tailor = target_dir().join("debug/tailor");
    // A small model on a slice of the same data: the browser tests need a real bundle, and the
    // full one takes 20 minutes to train from scratch. Its folder is named after its options and
    // the code that trains it, so a second test run of the same code resumes it (skipping every
    // epoch), and any change trains a new one rather than testing a model of older code.
    let test_run = kept_run(root, "test-run", TEST_SHOP_IMPORT, TEST_BUNDLE_OPTIONS)?;
    step("training the browser tests' bundle on the example shop of 120 items of the reviews");
    let test_bundle = train_and_export(&tailor, &test_run)?;
    let outfits_run = kept_run(
        root,
        "test-outfits-run",
        TEST_OUTFITS_IMPORT,
        TEST_OUTFITS_OPTIONS,
    )?;
    step(
        "training complete the look's bundle on the Fashion-MNIST example shop (quick, SYNTHETIC \
         outfits) through the same path",
    );
    let outfits_bundle = train_and_export(&tailor, &outfits_run)?;
    step("training the hand-made example shop (tests/fixtures/shop) through the same path");
    let handmade_bundle = train_handmade_shop(&tailor, root)?;
    step("preparing the benchmark page's smoke test (bundles and the transformers.js model)");
    let test_bench = bench::prepare(
        &tailor,
        &target_dir().join("debug/synthetic-bundles"),
        &test_run.dir,
        &test_bundle,
        &target_dir().join("test-bench"),
        &[1000],
    )?;
    step("browser tests in headless Chromium");
    let tests_dir = root.join("tests/browser");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&tests_dir)
        .with_context(|| format!("cannot list {}", tests_dir.display()))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.to_string_lossy().ends_with(".test.mjs"))
        .collect();
    files.sort();
    if files.is_empty() {
        bail!("no browser tests (*.test.mjs) in {}", tests_dir.display());
    }
    run(node(&tools)
        .env("TAILOR_TEST_BUNDLE", &test_bundle)
        .env("TAILOR_OUTFITS_BUNDLE", &outfits_bundle)
        .env("TAILOR_HANDMADE_BUNDLE", &handmade_bundle)
        .env("TAILOR_BENCH_DIR", &test_bench)
        .env("TAILOR_PACKAGE", &package)
        .arg("--test")
        .args(&files))
}

/// `tailor import` arguments of the browser tests' shop: the 120 most reviewed items of the
/// Women's Clothing reviews, 15 reviews each.
const TEST_SHOP_IMPORT: &[&str] = &["womens-clothing", "--subset", "120,15"];
/// `tailor train` options of the browser tests' bundle.
const TEST_BUNDLE_OPTIONS: &[&str] = &["--epochs", "20", "--quick", "--quiet"];
/// The demo's shop: all of the Women's Clothing reviews.
const DEMO_SHOP_IMPORT: &[&str] = &["womens-clothing"];
/// The example shop whose bundle completes the look in the tests: the generator's quick
/// SYNTHETIC outfits over Fashion-MNIST pictures. Its text side only has to work.
const TEST_OUTFITS_IMPORT: &[&str] = &["fashion-mnist-outfits", "--quick"];
const TEST_OUTFITS_OPTIONS: &[&str] = &["--epochs", "4", "--quick", "--quiet"];
/// The demo's complete the look: the full Fashion-MNIST example shop, shown labelled synthetic.
const DEMO_OUTFITS_IMPORT: &[&str] = &["fashion-mnist-outfits"];

/// `tailor train --shop tests/fixtures/shop`, eval and export into a fresh folder: the shop is
/// small enough (seconds) that it is never kept, so an edited fixture is always what is tested.
fn train_handmade_shop(tailor: &Path, root: &Path) -> Result<PathBuf> {
    let run_dir = target_dir().join("handmade-run");
    if run_dir.exists() {
        std::fs::remove_dir_all(&run_dir)
            .with_context(|| format!("cannot remove {}", run_dir.display()))?;
    }
    let bundle = run_dir.join("bundle");
    run(Command::new(tailor)
        .args([
            "train",
            "--quiet",
            "--quick",
            "--epochs",
            "4",
            "--min-requests",
            "3",
        ])
        .arg("--shop")
        .arg(root.join("tests/fixtures/shop"))
        .arg("--out")
        .arg(&run_dir))?;
    run(Command::new(tailor)
        .args(["export", "--run"])
        .arg(&run_dir)
        .arg("--out")
        .arg(&bundle))?;
    Ok(bundle)
}

/// The product path a shop takes, on a kept run: `tailor import` of its example shop into
/// `RUN/shop` (once), `tailor train --shop RUN/shop --resume`, then eval and export of the
/// static bundle to `RUN/bundle`, which it returns.
fn train_and_export(tailor: &Path, kept: &KeptRun<'_>) -> Result<PathBuf> {
    let run_dir = &kept.dir;
    let shop = run_dir.join("shop");
    if !shop.join("catalog.csv").is_file() {
        // Written beside, then moved: a killed import never leaves half a shop to train on.
        let partial = run_dir.join("shop.partial");
        if partial.exists() {
            std::fs::remove_dir_all(&partial)
                .with_context(|| format!("cannot remove {}", partial.display()))?;
        }
        run(Command::new(tailor)
            .arg("import")
            .args(&kept.import)
            .arg("--out")
            .arg(&partial))?;
        if shop.exists() {
            std::fs::remove_dir_all(&shop)
                .with_context(|| format!("cannot remove {}", shop.display()))?;
        }
        std::fs::rename(&partial, &shop)
            .with_context(|| format!("cannot move the shop to {}", shop.display()))?;
    }
    let report = run_dir.join("report.json");
    let bundle = run_dir.join("bundle");
    // The folder's name hashes the code and options that make it, and the writer puts the
    // manifest in last: a bundle with a manifest is the finished output of exactly these inputs.
    if bundle.join("manifest.json").is_file() && report.is_file() {
        println!(
            "{}: trained, evaluated and exported by this code already",
            bundle.display()
        );
        return Ok(bundle);
    }
    run(Command::new(tailor)
        .arg("train")
        .arg("--shop")
        .arg(&shop)
        .args(["--resume", "--out"])
        .arg(run_dir)
        .args(&kept.options))?;
    run(Command::new(tailor)
        .args(["eval", "--run"])
        .arg(run_dir)
        .arg("--json")
        .arg(&report))?;
    run(Command::new(tailor)
        .args(["export", "--run"])
        .arg(run_dir)
        .arg("--out")
        .arg(&bundle)
        .arg("--report")
        .arg(&report))?;
    Ok(bundle)
}

fn demo(root: &Path, port: u16) -> Result<()> {
    let tools = Tools::ensure(root)?;
    for flavour in Flavour::ALL {
        wasm::build(&tools, root, flavour)?;
    }
    step("building the tailor binary");
    run(cargo().args(["build", "--release", "-p", "tailor-cli"]))?;
    let tailor = target_dir().join("release/tailor");

    // The run lives next to the build cache, outside the clone: a second `demo` resumes it,
    // which skips every finished epoch, and re-evaluates and re-exports in seconds.
    let demo_run = kept_run(root, "demo-run", DEMO_SHOP_IMPORT, &[])?;
    step(
        "the Women's Clothing example shop through the product path: tailor import, then \
         train --shop (first run: embeds 22k reviews), eval, export (static query encoder, f16 \
         item embeddings)",
    );
    let bundle = train_and_export(&tailor, &demo_run)?;
    // The reviews have no outfits, so their bundle has no outfit model; the page completes the
    // look from the Fashion-MNIST example shop's bundle, served at /looks.
    let looks_run = kept_run(root, "demo-outfits-run", DEMO_OUTFITS_IMPORT, &[])?;
    step(
        "the Fashion-MNIST example shop (SYNTHETIC outfits over its pictures) through the same \
         path, for complete the look",
    );
    let looks_bundle = train_and_export(&tailor, &looks_run)?;
    let run_dir = demo_run.dir;
    let report = run_dir.join("report.json");
    println!(
        "run: {}\nreport: {}\nplots: {}\nbundle: {}\ncomplete the look's bundle: {}",
        run_dir.display(),
        report.display(),
        run_dir.join("plots").display(),
        bundle.display(),
        looks_bundle.display()
    );

    let base = format!("http://127.0.0.1:{port}");
    // Name only the pages that exist, so the printed URL never leads to a 404.
    let mut pages: Vec<String> = [("", "the shop"), ("bench/", "the scorer benchmark")]
        .iter()
        .filter(|(path, _)| root.join("www").join(path).join("index.html").is_file())
        .map(|(path, what)| format!("  {what}: {base}/{path}"))
        .collect();
    pages.push(format!(
        "  the bundle's manifest: {base}/bundle/manifest.json"
    ));
    let mut mounts = vec![
        ("/web".to_string(), root.join("web")),
        ("/bundle".to_string(), bundle),
        ("/looks".to_string(), looks_bundle),
    ];
    // The recommend() benchmark page needs what `cargo xtask bench` prepares.
    let bench_dir = target_dir().join("bench");
    if bench_dir.join("bundles").is_dir() && bench_dir.join("models").is_dir() {
        mounts.extend(bench::mounts(root, &bench_dir));
        pages.push(format!(
            "  recommend() against transformers.js: {base}/bench/recommend/"
        ));
    } else {
        pages.push(
            "  (the recommend() benchmark page needs `cargo xtask bench` to run once first)".into(),
        );
    }
    step(&format!(
        "serving www/ on {base}/ (Ctrl-C stops it)\n{}",
        pages.join("\n")
    ));
    let mut serve = Command::new(tailor);
    serve.arg("serve").arg(root.join("www"));
    for (prefix, dir) in &mounts {
        serve
            .arg("--mount")
            .arg(format!("{prefix}={}", dir.display()));
    }
    run(serve.arg("--addr").arg(format!("127.0.0.1:{port}")))
}

fn bench(root: &Path, only: Option<BenchKind>) -> Result<()> {
    if only != Some(BenchKind::Browser) {
        step("native benchmark (criterion): 1M codes of 128 bits against a float baseline");
        run(cargo().args(["bench", "-p", "tailor-core", "--bench", "scorer"]))?;
        step("native benchmark (criterion): complete the look over 5 slots of 10k to 1M codes");
        run(cargo().args(["bench", "-p", "tailor-core", "--bench", "outfits"]))?;
    }
    if only != Some(BenchKind::Native) {
        let tools = Tools::ensure(root)?;
        wasm::build(&tools, root, Flavour::Cpu)?;
        run(cargo().args([
            "build",
            "--release",
            "-p",
            "tailor-cli",
            "-p",
            "synthetic-bundles",
        ]))?;
        // node() points the pages at the debug binary; the server is the same either way.
        build_debug_binaries()?;
        step("browser benchmark (www/bench/) in headless Chromium");
        run(node(&tools).arg(root.join("tests/browser/bench.mjs")))?;
        step("complete-the-look benchmark (www/bench/outfits.html) in headless Chromium");
        run(node(&tools).arg(root.join("tests/browser/bench-outfits.mjs")))?;
        let tailor = target_dir().join("release/tailor");
        let demo_run = kept_run(root, "demo-run", DEMO_SHOP_IMPORT, &[])?;
        step("the demo model (trained once, then resumed) for the recommend() benchmark");
        let bundle = train_and_export(&tailor, &demo_run)?;
        let run_dir = demo_run.dir;
        step("bundles of 1k, 10k and 100k synthetic items, and transformers.js's model");
        let bench_dir = bench::prepare(
            &tailor,
            &target_dir().join("release/synthetic-bundles"),
            &run_dir,
            &bundle,
            &target_dir().join("bench"),
            &[1_000, 10_000, 100_000],
        )?;
        step("recommend() against transformers.js (www/bench/recommend/) in headless Chromium");
        run(node(&tools)
            .env("TAILOR_BENCH_DIR", &bench_dir)
            .arg(root.join("tests/browser/bench-recommend.mjs")))?;
    }
    Ok(())
}

/// The package names of the paper reproductions: the folders of crates/experiments/, each named
/// after its package.
fn experiment_crates(root: &Path) -> Result<Vec<String>> {
    let dir = root.join("crates/experiments");
    let mut names = Vec::new();
    for entry in
        std::fs::read_dir(&dir).with_context(|| format!("cannot list {}", dir.display()))?
    {
        let path = entry
            .with_context(|| format!("cannot list {}", dir.display()))?
            .path();
        if path.join("Cargo.toml").is_file()
            && let Some(name) = path.file_name().and_then(|n| n.to_str())
        {
            names.push(name.to_string());
        }
    }
    names.sort();
    if names.is_empty() {
        bail!("no experiment crates in {}", dir.display());
    }
    Ok(names)
}

/// The repository root, two levels above this crate.
fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// A training run kept in the target directory between invocations.
struct KeptRun<'a> {
    dir: PathBuf,
    /// `tailor import` arguments of its example shop.
    import: Vec<&'a str>,
    /// `tailor train` options.
    options: Vec<&'a str>,
}

/// The run folder for the example shop `tailor import` writes with `import` and `tailor train`
/// with `options`, named by the code and arguments that shape it (see `fingerprint`); other
/// runs of the same prefix are removed.
fn kept_run<'a>(
    root: &Path,
    prefix: &str,
    import: &[&'a str],
    options: &[&'a str],
) -> Result<KeptRun<'a>> {
    let rustc =
        output_of(Command::new(env::var_os("RUSTC").unwrap_or_else(|| "rustc".into())).arg("-vV"))
            .context("cannot run `rustc -vV`")?;
    let arguments: Vec<&str> = ["import"]
        .iter()
        .chain(import)
        .chain(&["train"])
        .chain(options)
        .copied()
        .collect();
    let name = fingerprint::run_name(root, prefix, &arguments, &rustc)?;
    fingerprint::remove_stale_runs(&target_dir(), prefix, &name)?;
    Ok(KeptRun {
        dir: target_dir().join(name),
        import: import.to_vec(),
        options: options.to_vec(),
    })
}

/// The debug `tailor` and `synthetic-bundles` binaries, as the workspace's test build makes
/// them (it links both for their integration tests): `cargo build -p` would resolve features
/// for those packages alone and build most dependencies a second time.
pub fn build_debug_binaries() -> Result<()> {
    run(cargo_test()?.args(["--workspace", "--no-run"]))
}

/// `cargo test`, built the way `cargo clippy -- -D warnings` builds: the workspace's own crates
/// are compiled by clippy-driver (named in `RUSTC_WORKSPACE_WRAPPER`, with clippy's arguments in
/// `CLIPPY_ARGS`, as cargo-clippy itself passes them), which lints them and then compiles them
/// as rustc would. The tests' build is then also the clippy pass, where a separate `cargo
/// clippy` checked every dependency a second time (8 minutes of a cold run on 2 cores). Every
/// `cargo test` of xtask goes through here: cargo rebuilds the workspace's crates when the
/// wrapper changes, so they all share one build.
pub fn cargo_test() -> Result<Command> {
    cargo_through_clippy(&["test"])
}

/// What runs the tests' binaries: cargo-nextest where it is installed, else `cargo test`, both
/// on the one build of [`cargo_test`]. nextest runs every test in its own process, so the long
/// ones (the experiments' checks, each mostly on one core) overlap: 4.1 minutes against 6.8 for
/// the same 202 tests on 2 cores, where `cargo test` runs one binary after another. It runs no
/// doctests; `cargo test --doc` does that part.
fn test_runner() -> Result<Command> {
    if output_of(cargo().args(["nextest", "--version"])).is_some() {
        cargo_through_clippy(&["nextest", "run", "--no-fail-fast"])
    } else {
        println!(
            "cargo-nextest is not installed: the tests run with cargo test, one binary at a time"
        );
        cargo_test()
    }
}

fn cargo_through_clippy(subcommand: &[&str]) -> Result<Command> {
    let mut command = cargo();
    command
        .args(subcommand)
        .env("RUSTC_WORKSPACE_WRAPPER", setup::clippy_driver()?)
        .env(
            "CLIPPY_ARGS",
            "-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__",
        );
    Ok(command)
}

/// The shared cargo target directory: `$CARGO_TARGET_DIR`, else `~/.cache/tailor-target`.
fn target_dir() -> PathBuf {
    if let Some(dir) = env::var_os("CARGO_TARGET_DIR") {
        return PathBuf::from(dir);
    }
    let home = env::var_os("HOME").map_or_else(|| PathBuf::from("."), PathBuf::from);
    home.join(".cache/tailor-target")
}

fn cargo() -> Command {
    let mut command = Command::new(env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    command.env("CARGO_TARGET_DIR", target_dir());
    command
}

/// Node with what the browser tests need to find: the tailor binary and Chromium.
fn node(tools: &Tools) -> Command {
    let mut command = Command::new("node");
    command
        .env("TAILOR_BIN", target_dir().join("debug/tailor"))
        .env("CHROMIUM", &tools.chromium);
    command
}

/// Replaces `to` with a copy of the tree at `from`, leaving out the entries named in `skip`.
fn copy_dir(from: &Path, to: &Path, skip: &[&str]) -> Result<()> {
    if to.exists() {
        std::fs::remove_dir_all(to).with_context(|| format!("cannot clear {}", to.display()))?;
    }
    std::fs::create_dir_all(to).with_context(|| format!("cannot create {}", to.display()))?;
    for entry in
        std::fs::read_dir(from).with_context(|| format!("cannot list {}", from.display()))?
    {
        let entry = entry?;
        let name = entry.file_name();
        if skip.iter().any(|s| name == *s) {
            continue;
        }
        let (source, target) = (entry.path(), to.join(&name));
        if entry.file_type()?.is_dir() {
            copy_dir(&source, &target, &[])?;
        } else {
            std::fs::copy(&source, &target).with_context(|| {
                format!("cannot copy {} to {}", source.display(), target.display())
            })?;
        }
    }
    Ok(())
}

fn step(what: &str) {
    println!("\n==> {what}");
}

/// Runs a command to completion, failing with the command line if it fails.
fn run(command: &mut Command) -> Result<()> {
    let status = command
        .status()
        .with_context(|| format!("cannot start {command:?}"))?;
    if !status.success() {
        bail!("{command:?} failed ({status})");
    }
    Ok(())
}

/// Runs a command and returns its trimmed stdout, or `None` if it cannot run or fails.
fn output_of(command: &mut Command) -> Option<String> {
    let output = command.output().ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).trim().to_string())
}
