//! `movielens-comparison --variant SET`: the personalization comparison on real MovieLens
//! histories (COURIER-pretrained item tower against frozen content, ids, BPR-MF and popularity,
//! and text request + history), written as JSON with bar and training-curve plots.

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
use tailor_data::{MovieLensVariant, PackageCache};
use tailor_train::for_you::SequenceConfig;
use tailor_train::plots::{plot_bars, plot_epoch_series};

/// The personalization comparison on MovieLens histories: COURIER-pretrained item tower against
/// frozen content, ids, BPR-MF and popularity, plus text request and history. Resumes from
/// JSON.checkpoints.
#[derive(Parser)]
#[command(version)]
struct Cli {
    /// ml-100k or ml-1m.
    #[arg(long)]
    variant: MovieLensVariant,
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
    variant: MovieLensVariant,
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
    let progress = if args.quiet {
        ProgressBar::hidden()
    } else {
        eprintln!(
            "reading {} and embedding its movies with MiniLM",
            args.variant.name()
        );
        ProgressBar::new(0)
    };
    let (set, data) = HistoryData::movielens(
        args.variant,
        &PackageCache::new(args.cache),
        &args.cache.join("embeddings"),
        &progress,
    )
    .with_context(|| format!("preparing {}", args.variant.name()))?;
    progress.finish_and_clear();
    eprintln!(
        "{}: {} users, {} movies, {} interactions",
        args.variant.name(),
        data.split.users(),
        data.items,
        set.interactions()
    );
    // Finished parts go next to the report, so that a killed run resumes where it stopped.
    let checkpoints = args.json.with_extension("checkpoints");
    let identity = serde_json::json!({
        "dataset": args.variant.name(),
        "package": args.variant.package().requirement(),
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
        args.variant.name(),
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
    let name = args.variant.name();
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
