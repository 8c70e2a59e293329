//! `visual-interest`: the visual-interest experiment on Fashion-MNIST (see the library), which tests whether image features pretrained from click behaviour
//! (COURIER) beat class-pretrained ones for click prediction. It writes `visual.json`, a bar
//! plot of the click AUCs and the pretraining curves, and prints the AUCs; the shoppers are
//! synthetic, and every output says so.

// The binary's own crate: it prints the AUCs and where the report went.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result};
use clap::Parser;
use tailor_data::FashionMnist;
use tailor_train::plots::{plot_bars, plot_epoch_series};
use visual_interest::{VisualConfig, run_visual_experiment};

/// The report's file name inside the output folder.
const VISUAL_REPORT_FILE: &str = "visual.json";

/// The visual-interest experiment on Fashion-MNIST with SYNTHETIC shoppers: click AUC of
/// class-pretrained against behaviour-pretrained (COURIER) image features. Writes
/// OUT/visual.json.
#[derive(Parser)]
#[command(version)]
struct Cli {
    #[arg(long)]
    out: PathBuf,
    /// The small setup the tests run (about a minute) instead of the full one.
    #[arg(long)]
    quick: bool,
    /// Seed of the synthetic shoppers, the initial weights and the sampling.
    #[arg(long, default_value_t = 0)]
    seed: u64,
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    visual(&cli.out, cli.quick, cli.seed)
}

fn visual(out: &Path, quick: bool, seed: u64) -> Result<()> {
    let started = Instant::now();
    let images = FashionMnist::load().context("cannot read Fashion-MNIST")?;
    let config = if quick {
        VisualConfig::quick()
    } else {
        VisualConfig::new()
    }
    .with_seed(seed);
    eprintln!(
        "visual experiment ({}): {} items, {} synthetic shoppers, seed {seed}",
        if quick { "quick" } else { "full" },
        config.items_per_class * tailor_data::FASHION_MNIST_CLASSES.len(),
        config.shoppers
    );
    let progress = tailor_train::progress::progress_bar(false);
    // The pretrainings' checkpoints: a killed run started again continues them.
    let report = run_visual_experiment(&config, &images, &out.join("checkpoints"), &progress)?;
    progress.finish_and_clear();
    fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let path = out.join(VISUAL_REPORT_FILE);
    let json = serde_json::to_string_pretty(&report).context("cannot serialize the report")?;
    fs::write(&path, json + "\n").with_context(|| format!("cannot write {}", path.display()))?;

    println!("SYNTHETIC: {}", report.note);
    println!(
        "classifier test accuracy {:.3}; COURIER InfoNCE {:.3} -> {:.3} (chance {:.3})",
        report.classification.test_accuracy,
        report
            .courier
            .epoch_losses
            .first()
            .copied()
            .unwrap_or(f64::NAN),
        report
            .courier
            .epoch_losses
            .last()
            .copied()
            .unwrap_or(f64::NAN),
        report.courier.chance_loss
    );
    println!("| features | mean shopper AUC | global AUC | trait probe |");
    println!("|---|---:|---:|---:|");
    for row in &report.click {
        let probe = row
            .trait_probe
            .map_or_else(|| "-".to_string(), |p| format!("{p:.3}"));
        println!(
            "| {} | {:.3} | {:.3} | {probe} |",
            row.features, row.mean_shopper_auc, row.global_auc
        );
    }
    let bars: Vec<(String, f64)> = report
        .click
        .iter()
        .map(|row| (row.features.clone(), row.mean_shopper_auc))
        .collect();
    plot_bars(
        &out.join("visual-auc.svg"),
        "Click AUC, SYNTHETIC shoppers on Fashion-MNIST images",
        "mean per-shopper click AUC",
        &bars,
    )?;
    let curve = |losses: &[f64]| -> Vec<(i64, f64)> {
        losses
            .iter()
            .enumerate()
            .map(|(epoch, &loss)| (epoch as i64 + 1, loss))
            .collect()
    };
    plot_epoch_series(
        &out.join("visual-pretraining.svg"),
        "Image tower pretraining (SYNTHETIC shoppers)",
        "training loss",
        &[
            (
                "classification cross-entropy".to_string(),
                curve(&report.classification.epoch_losses),
            ),
            (
                "COURIER InfoNCE".to_string(),
                curve(&report.courier.epoch_losses),
            ),
        ],
    )?;
    println!(
        "wrote {} ({:.0} s)",
        path.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
