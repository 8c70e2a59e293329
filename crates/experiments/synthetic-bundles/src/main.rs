//! `synthetic-bundles`: copies a trained bundle with a SYNTHETIC catalog of `--items` items, for
//! the benchmarks' size sweeps (see the library for how the items are made).

// The binary's own crate: it prints where the bundle went.
#![allow(clippy::print_stdout)]

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Parser;
use synthetic_bundles::write_synthetic_bundle;
use tailor_core::Bundle;

/// Copy a bundle with a synthetic catalog of ITEMS items, for size benchmarks.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// The trained bundle whose model (encoder, tokenizer, query tower) is kept.
    #[arg(long)]
    from: PathBuf,
    #[arg(long)]
    items: usize,
    #[arg(long, default_value_t = 0)]
    seed: u64,
    #[arg(long)]
    out: PathBuf,
}

fn main() -> Result<()> {
    let args = Args::parse();
    let source = Bundle::open_dir(&args.from)
        .with_context(|| format!("cannot open the bundle in {}", args.from.display()))?;
    let manifest = write_synthetic_bundle(&source, args.items, args.seed, &args.out)
        .with_context(|| format!("cannot write {}", args.out.display()))?;
    let bytes: u64 = manifest.files.iter().map(|f| f.size).sum();
    println!(
        "{}: {} SYNTHETIC items, {:.2} MB",
        args.out.display(),
        args.items,
        bytes as f64 / 1e6
    );
    Ok(())
}
