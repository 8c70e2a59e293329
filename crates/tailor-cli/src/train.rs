//! `tailor train`, `tailor eval` and `tailor export`: thin wrappers over tailor-train that pick
//! the device (Burn's `flex` CPU backend), add progress bars and print where everything went.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result};
use burn::prelude::Device;
use indicatif::ProgressBar;
use tailor_core::bundle::{EmbeddingEncoding, EncoderKind};
use tailor_data::PackageCache;
use tailor_train::metrics::markdown_table;
use tailor_train::pipeline::Stages;
use tailor_train::progress::progress_bar;
use tailor_train::run::{self, RunOptions};

pub struct TrainArgs {
    pub shop: PathBuf,
    pub out: PathBuf,
    pub epochs: usize,
    pub seed: u64,
    pub split_seed: u64,
    pub min_requests: usize,
    pub quick: bool,
    pub resume: bool,
    pub cache: Option<PathBuf>,
    pub quiet: bool,
}

pub struct ExportArgs {
    pub run: PathBuf,
    pub out: PathBuf,
    pub encoder: EncoderKind,
    pub encoding: EmbeddingEncoding,
    pub report: Option<PathBuf>,
    pub cache: Option<PathBuf>,
    pub quiet: bool,
}

/// Prints each stage and gives it a progress bar (hidden with `--quiet`).
struct Console {
    quiet: bool,
}

impl Stages for Console {
    fn stage(&self, name: &str) -> ProgressBar {
        if !self.quiet {
            eprintln!("{name}");
        }
        progress_bar(self.quiet)
    }

    fn note(&self, message: &str) {
        if !self.quiet {
            eprintln!("{message}");
        }
    }
}

fn cache_root(cache: Option<&Path>) -> PathBuf {
    cache.map_or_else(PackageCache::default_root, Path::to_path_buf)
}

pub fn train(args: &TrainArgs) -> Result<()> {
    let shop = std::path::absolute(&args.shop)
        .with_context(|| format!("resolving {}", args.shop.display()))?;
    let options = RunOptions {
        shop,
        seed: args.seed,
        split_seed: args.split_seed,
        epochs: args.epochs,
        min_requests: args.min_requests,
        quick: args.quick,
    };
    let started = Instant::now();
    let (_, sources) = run::train_run(
        &args.out,
        &options,
        args.resume,
        &cache_root(args.cache.as_deref()),
        &Device::flex(),
        &Console { quiet: args.quiet },
        args.quiet,
    )
    .with_context(|| format!("training into {}", args.out.display()))?;
    println!(
        "{} items; requests: {}\npersonalization: {}\noutfits: {}",
        sources.items, sources.requests_note, sources.personalization_note, sources.outfits_note
    );
    println!(
        "trained in {:.0} s; checkpoints in {}",
        started.elapsed().as_secs_f64(),
        args.out.display()
    );
    Ok(())
}

pub fn eval(
    run_dir: &Path,
    json: &Path,
    plots: Option<&Path>,
    cache: Option<&Path>,
    quiet: bool,
) -> Result<()> {
    // Loading a run embeds the shop's texts again (minutes on a cold cache): the stages show.
    let console = Console { quiet };
    let (run_file, prepared) =
        run::load_run(run_dir, &cache_root(cache), &Device::flex(), &console)
            .with_context(|| format!("loading the run in {}", run_dir.display()))?;
    let plots = plots.map_or_else(|| run_dir.join("plots"), Path::to_path_buf);
    let report = run::eval_run(run_dir, &run_file, &prepared, &plots)?;
    println!("requests: {}\n", report.sources.requests_note);
    println!("{} test requests\n", report.test_queries);
    for protocol in &report.protocols {
        println!("## {}: {}\n", protocol.name, protocol.description);
        let rows: Vec<_> = protocol
            .methods
            .iter()
            .map(|m| (m.name.clone(), m.metrics.clone()))
            .collect();
        println!("{}", markdown_table(&rows));
        println!("Item embeddings as stored in the bundle:\n");
        let rows: Vec<_> = protocol
            .quantization
            .iter()
            .map(|q| {
                (
                    format!(
                        "{}, {:?} (R@10 loss {:+.4})",
                        q.method, q.encoding, q.recall_at_10_loss
                    ),
                    q.metrics.clone(),
                )
            })
            .collect();
        println!("{}", markdown_table(&rows));
    }
    if let Some(next) = &report.next_item {
        println!(
            "## for you (next item from the history): {}\n",
            next.description
        );
        println!("| method | HR@10 | NDCG@10 | Recall@20 | valid NDCG@10 |");
        println!("|---|---:|---:|---:|---:|");
        for m in &next.methods {
            println!(
                "| {} | {:.4} | {:.4} | {:.4} | {:.4} |",
                m.name, m.test.hr_at_10, m.test.ndcg_at_10, m.test.recall_at_20, m.valid.ndcg_at_10
            );
        }
        println!();
    }
    println!(
        "static encoder: {} tokens x {} dims, {:.2} MB in int8",
        report.static_encoder.vocab,
        report.static_encoder.dim,
        report.static_encoder.stored_bytes as f64 / 1e6
    );
    let bytes = serde_json::to_vec_pretty(&report)?;
    if let Some(parent) = json.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(json, bytes).with_context(|| format!("writing {}", json.display()))?;
    println!("report: {}\nplots: {}", json.display(), plots.display());
    Ok(())
}

pub fn export(args: &ExportArgs) -> Result<()> {
    let console = Console { quiet: args.quiet };
    let (run_file, prepared) = run::load_run(
        &args.run,
        &cache_root(args.cache.as_deref()),
        &Device::flex(),
        &console,
    )
    .with_context(|| format!("loading the run in {}", args.run.display()))?;
    let metrics = match &args.report {
        Some(path) => {
            let bytes =
                std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
            serde_json::from_slice(&bytes)
                .with_context(|| format!("{} is not an eval report", path.display()))?
        }
        None => serde_json::Value::Null,
    };
    let manifest = run::export_run(
        &args.run,
        &run_file.options,
        &prepared,
        &args.out,
        args.encoder,
        args.encoding,
        metrics,
    )?;
    let total: u64 = manifest.files.iter().map(|f| f.size).sum();
    println!("bundle in {}:", args.out.display());
    for file in &manifest.files {
        println!("  {:<46} {:>10} bytes", file.path, file.size);
    }
    println!("  total {:.2} MB", total as f64 / 1e6);
    let manifest_path = args.out.join(tailor_core::MANIFEST_FILE);
    let manifest_bytes = std::fs::read(&manifest_path)
        .with_context(|| format!("cannot read {}", manifest_path.display()))?;
    // What a page pins with `Tailor.load(url, {integrity})`.
    println!(
        "manifest integrity: {}",
        tailor_core::bundle::integrity(&manifest_bytes)
    );
    Ok(())
}
