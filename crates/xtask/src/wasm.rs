//! `cargo xtask wasm`: cargo build for wasm32, wasm-bindgen `--target web`, then wasm-opt, into
//! web/pkg/<flavour>/ where the JS package loads it.

use std::fs;
use std::path::Path;

use anyhow::{Context, Result};
use clap::ValueEnum;

use crate::setup::{Tools, WasmToolchain};
use crate::{cargo, run, step, target_dir};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Flavour {
    /// Burn `flex`: small, loaded by every page.
    Cpu,
    /// Burn `webgpu`: large, fetched only when a page asks for the GPU.
    Webgpu,
}

impl Flavour {
    pub const ALL: [Flavour; 2] = [Flavour::Cpu, Flavour::Webgpu];

    fn name(self) -> &'static str {
        match self {
            Flavour::Cpu => "cpu",
            Flavour::Webgpu => "webgpu",
        }
    }
}

pub fn build(tools: &Tools, root: &Path, flavour: Flavour) -> Result<()> {
    let name = flavour.name();
    step(&format!("wasm build, {name} flavour"));
    let mut command = cargo();
    command.args([
        "build",
        "--release",
        "--target",
        "wasm32-unknown-unknown",
        "-p",
        "tailor-wasm",
    ]);
    // Wasm SIMD (in every current browser) lets Burn's CPU matrix kernels use 128-bit vectors;
    // it halves MiniLM's time in the CPU module. Both flavours get the same flags so that they
    // share every dependency they have in common instead of rebuilding them.
    command.env(
        "CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS",
        "-C target-feature=+simd128",
    );
    if flavour == Flavour::Webgpu {
        command.args(["--no-default-features", "--features", "webgpu"]);
    }
    if let WasmToolchain::BuildStd { rustc, linker } = &tools.wasm {
        command
            .arg("-Zbuild-std=std,panic_abort")
            .env("RUSTC_BOOTSTRAP", "1")
            .env("RUSTC", rustc)
            .env("CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER", linker);
    }
    run(&mut command)?;

    let raw = target_dir().join("wasm32-unknown-unknown/release/tailor_wasm.wasm");
    let out_dir = root.join("web/pkg").join(name);
    run(std::process::Command::new(&tools.wasm_bindgen)
        .args(["--target", "web", "--out-name", "tailor_wasm", "--out-dir"])
        .arg(&out_dir)
        .arg(&raw))?;
    optimize(tools, name, &out_dir.join("tailor_wasm_bg.wasm"))
}

/// Runs wasm-opt -O3 in place. The result is cached against an exact copy of its input, because
/// the WebGPU module takes minutes to optimise and is usually unchanged between runs.
fn optimize(tools: &Tools, name: &str, wasm: &Path) -> Result<()> {
    let input = fs::read(wasm).with_context(|| format!("cannot read {}", wasm.display()))?;
    let cache = target_dir().join("wasm-opt");
    fs::create_dir_all(&cache)?;
    let cached_input = cache.join(format!("{name}.in.wasm"));
    let cached_output = cache.join(format!("{name}.out.wasm"));
    let reusable = cached_output.is_file() && fs::read(&cached_input).is_ok_and(|c| c == input);
    if reusable {
        println!("wasm-opt: input unchanged since the last build, reusing its output");
    } else {
        println!("wasm-opt -O3 on the {name} module ({} bytes)", input.len());
        let _ = fs::remove_file(&cached_input);
        run(std::process::Command::new(&tools.wasm_opt)
            .args([
                "-O3",
                "--enable-bulk-memory",
                "--enable-nontrapping-float-to-int",
                "--enable-simd",
            ])
            .arg(wasm)
            .arg("-o")
            .arg(&cached_output))?;
        fs::write(&cached_input, &input)?;
    }
    fs::copy(&cached_output, wasm)?;
    let after = fs::metadata(wasm)?.len();
    println!(
        "{name}: {} before wasm-opt, {} after -> {}",
        megabytes(input.len() as u64),
        megabytes(after),
        wasm.display()
    );
    Ok(())
}

fn megabytes(bytes: u64) -> String {
    format!("{:.2} MB ({bytes} bytes)", bytes as f64 / 1e6)
}
