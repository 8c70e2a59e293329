//! `movielens-comparison --variant SET` (or `--shop DIR`): the personalization comparison on
//! real MovieLens histories, read through the shop format (COURIER-pretrained item tower against
//! frozen content, ids, BPR-MF and popularity, and text request + history), written as JSON with
//! bar and training-curve plots.

// The binary's own crate: it prints the tables and owns the progress bar.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::Parser;
use indicatif::ProgressBar;
use movielens_comparison::{
    EvalCheckpoint, HistoryData, HistoryEvalConfig, HistoryEvalReport, ModelResult,
    run_history_eval,
};
use tailor_data::shop::Shop;
use tailor_data::{MovieLensVariant, PackageCache};
use tailor_train::for_you::SequenceConfig;
use tailor_train::plots::{plot_bars, plot_epoch_series};

/// The personalization comparison on MovieLens histories: COURIER-pretrained item tower against
/// frozen content, ids, BPR-MF and popularity, plus text request and history. Resumes from
/// JSON.checkpoints.
#[derive(Parser)]
#[command(version)]
struct Cli {
    /// ml-100k or ml-1m: imported as a shop beside the report (JSON.shop), then read back
    /// through the shop format.
    #[arg(long, required_unless_present = "shop", conflicts_with = "shop")]
    variant: Option<MovieLensVariant>,
    /// A shop folder instead (such as `tailor import ml-1m` writes): its events are the
    /// histories, its `year` and `genres` columns make the item texts.
    #[arg(long)]
    shop: Option<PathBuf>,
    /// Where the JSON report goes.
    #[arg(long)]
    json: PathBuf,
    /// Folder for the SVG plots (default: `plots` beside the JSON).
    #[arg(long)]
    plots: Option<PathBuf>,
    /// Package and embedding cache (default: $TAILOR_CACHE or ~/.cache/tailor).
    #[arg(long)]
    cache: Option<PathBuf>,
    /// The most epochs per model (each stops early on validation NDCG@10).
    #[arg(long, default_value_t = 20)]
    epochs: usize,
    /// Training examples drawn per epoch (0: every position of every history).
    #[arg(long, default_value_t = 0)]
    examples_per_epoch: usize,
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// No progress bars.
    #[arg(long)]
    quiet: bool,
}

struct HistoryEvalArgs<'a> {
    variant: Option<MovieLensVariant>,
    shop: Option<&'a Path>,
    json: &'a Path,
    plots: Option<&'a Path>,
    cache: &'a Path,
    config: HistoryEvalConfig,
    quiet: bool,
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    let cache = cli.cache.unwrap_or_else(PackageCache::default_root);
    eval_history(&HistoryEvalArgs {
        variant: cli.variant,
        shop: cli.shop.as_deref(),
        json: &cli.json,
        plots: cli.plots.as_deref(),
        cache: &cache,
        config: HistoryEvalConfig::new(
            SequenceConfig::new()
                .with_epochs(cli.epochs)
                .with_examples_per_epoch(cli.examples_per_epoch)
                .with_seed(cli.seed),
        ),
        quiet: cli.quiet,
    })
}

fn eval_history(args: &HistoryEvalArgs) -> Result<()> {
    let packages = PackageCache::new(args.cache);
    let (name, shop_dir, package) = if let Some(dir) = args.shop {
        let name = dir
            .file_name()
            .map_or_else(|| "shop".into(), |n| n.to_string_lossy().into_owned());
        (name, dir.to_path_buf(), None)
    } else {
        let variant = args.variant.context("give --variant or --shop")?;
        // Beside the report: each run reads its own copy, so parallel runs never share one.
        let dir = args.json.with_extension("shop");
        if !args.quiet {
            eprintln!(
                "importing {} as a shop into {}",
                variant.name(),
                dir.display()
            );
        }
        HistoryData::import_movielens(variant, &packages, &dir)
            .with_context(|| format!("importing {}", variant.name()))?;
        let package = variant.package().requirement();
        (variant.name().to_string(), dir, Some(package))
    };
    let shop = Shop::open(&shop_dir).with_context(|| format!("reading {}", shop_dir.display()))?;
    let progress = if args.quiet {
        ProgressBar::hidden()
    } else {
        eprintln!("embedding the movies of {name} with MiniLM");
        ProgressBar::new(0)
    };
    let data = HistoryData::from_shop(&shop, &packages, &args.cache.join("embeddings"), &progress)
        .with_context(|| format!("preparing {name}"))?;
    progress.finish_and_clear();
    eprintln!(
        "{name}: {} users, {} movies, {} interactions",
        data.split.users(),
        data.items,
        shop.events.rows.len()
    );
    // Finished parts go next to the report, so that a killed run resumes where it stopped.
    let checkpoints = args.json.with_extension("checkpoints");
    let identity = serde_json::json!({
        "dataset": name,
        "package": package,
        "users": data.split.users(),
        "items": data.items,
        "interactions": shop.events.rows.len(),
        "config": &args.config,
    });
    let checkpoint = EvalCheckpoint::open(&checkpoints, &identity)
        .with_context(|| format!("opening {}", checkpoints.display()))?;
    if checkpoint.finished() > 0 {
        eprintln!(
            "resuming: {} finished parts in {}",
            checkpoint.finished(),
            checkpoints.display()
        );
    }
    let report = run_history_eval(
        &name,
        &data,
        &args.config,
        &checkpoint,
        args.quiet,
        &|line| eprintln!("{line}"),
    )?;
    print_tables(&report);

    if let Some(parent) = args.json.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(args.json, serde_json::to_vec_pretty(&report)?)
        .with_context(|| format!("writing {}", args.json.display()))?;
    let plots = args
        .plots
        .map_or_else(|| args.json.with_file_name("plots"), Path::to_path_buf);
    std::fs::create_dir_all(&plots)?;
    let bars = |results: &[ModelResult]| -> Vec<(String, f64)> {
        results
            .iter()
            .map(|m| (m.label.clone(), m.test.ndcg_at_10))
            .collect()
    };
    let curves = |results: &[ModelResult]| -> Vec<(String, Vec<(i64, f64)>)> {
        results
            .iter()
            .filter(|m| !m.epochs.is_empty())
            .map(|m| {
                let points = m
                    .epochs
                    .iter()
                    .map(|e| (e.epoch as i64, e.valid_ndcg_at_10))
                    .collect();
                (m.label.clone(), points)
            })
            .collect()
    };
    plot_bars(
        &plots.join(format!("{name}-ndcg.svg")),
        &format!("{name}: test NDCG@10 per model"),
        "NDCG@10",
        &bars(&report.models),
    )?;
    plot_bars(
        &plots.join(format!("{name}-text-history-ndcg.svg")),
        &format!("{name}: request (genres) and history, test NDCG@10"),
        "NDCG@10",
        &bars(&report.text_and_history),
    )?;
    let mut series = curves(&report.models);
    series.extend(curves(&report.text_and_history));
    plot_epoch_series(
        &plots.join(format!("{name}-training.svg")),
        &format!("{name}: validation NDCG@10 per epoch"),
        "valid NDCG@10",
        &series,
    )?;
    let pretraining = vec![(
        "COURIER InfoNCE".to_string(),
        report
            .pretraining_loss
            .iter()
            .enumerate()
            .map(|(i, &loss)| (i as i64 + 1, loss))
            .collect(),
    )];
    plot_epoch_series(
        &plots.join(format!("{name}-pretraining.svg")),
        &format!("{name}: COURIER pretraining loss"),
        "InfoNCE",
        &pretraining,
    )?;
    println!(
        "report: {}\nplots: {}",
        args.json.display(),
        plots.display()
    );
    Ok(())
}

fn print_tables(report: &HistoryEvalReport) {
    let table = |results: &[ModelResult]| {
        println!("| model | HR@10 | NDCG@10 | Recall@20 | valid NDCG@10 | best epoch |");
        println!("|---|---:|---:|---:|---:|---:|");
        for m in results {
            println!(
                "| {} | {:.4} | {:.4} | {:.4} | {:.4} | {} |",
                m.label,
                m.test.hr_at_10,
                m.test.ndcg_at_10,
                m.test.recall_at_20,
                m.valid.ndcg_at_10,
                m.best_epoch
            );
        }
        println!();
    };
    println!(
        "\n{}: {} users, {} items, test on the last interaction\n",
        report.dataset, report.users, report.items
    );
    table(&report.models);
    table(&report.text_and_history);
}
