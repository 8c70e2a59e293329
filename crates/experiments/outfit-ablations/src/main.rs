//! `outfit-ablations`: Fashion Hash Net's evaluation. On outfits generated over Fashion-MNIST
//! (SYNTHETIC, and every output says so) or a shop's outfit CSV over the same items, it compares
//! relaxed and binary codes, the float-embedding model, the one-term ablations and BPR-MF; with
//! `--movielens`, it tests the preference half (user-id variant) on real histories against
//! BPR-MF. Finished trainings are checkpointed next to the report, so a killed run resumes.

// The binary's own crate: it prints the tables and the progress lines.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use burn::prelude::Device;
use clap::Parser;
use movielens_comparison::{EvalCheckpoint, HistoryData, HistoryEvalConfig};
use outfit_ablations::{
    OutfitEvalConfig, OutfitEvalReport, outfit_set, run_movielens_fhn, run_outfit_eval,
};
use tailor_data::import::write_fashion_mnist_outfits;
use tailor_data::shop::Shop;
use tailor_data::{
    FashionMnist, MovieLensVariant, PackageCache, SyntheticOutfitConfig, read_outfit_csv,
    synthetic_outfits,
};
use tailor_train::embed::SentenceEncoder;
use tailor_train::for_you::SequenceConfig;

/// Fashion Hash Net's outfit evaluation: relaxed and binary codes against BPR-MF over outfits,
/// a float-embedding model and the one-term ablations, on SYNTHETIC outfits over Fashion-MNIST
/// (or your CSV over the same items, or a shop's outfits); with --movielens, the user-id variant
/// against BPR-MF on real histories. Resumes from JSON.checkpoints.
#[derive(Parser)]
#[command(version)]
struct Cli {
    #[arg(long)]
    json: PathBuf,
    /// The small setup the tests run instead of the full one.
    #[arg(long)]
    quick: bool,
    /// A shop folder: its own outfits over its own items, read as `tailor train --shop` reads
    /// them (e.g. `tailor import fashion-mnist-outfits`'s).
    #[arg(long, conflicts_with_all = ["movielens", "outfits_csv"])]
    shop: Option<PathBuf>,
    /// Outfits as CSV with header user,top,bottom,shoes,bag,outerwear (item ids "fm-N").
    #[arg(long, conflicts_with = "movielens")]
    outfits_csv: Option<PathBuf>,
    /// ml-100k or ml-1m: single-item "outfits" from real histories.
    #[arg(long)]
    movielens: Option<MovieLensVariant>,
    #[arg(long, default_value_t = 40)]
    epochs: usize,
    #[arg(long, default_value_t = 128)]
    bits: usize,
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Package and embedding cache (default: $TAILOR_CACHE or ~/.cache/tailor).
    #[arg(long)]
    cache: Option<PathBuf>,
}

struct OutfitArgs {
    json: PathBuf,
    quick: bool,
    /// A shop folder whose own outfits are evaluated (the product's reader and its items).
    shop: Option<PathBuf>,
    outfits_csv: Option<PathBuf>,
    movielens: Option<MovieLensVariant>,
    config: OutfitEvalConfig,
    cache: PathBuf,
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    outfits(&OutfitArgs {
        json: cli.json,
        quick: cli.quick,
        shop: cli.shop,
        outfits_csv: cli.outfits_csv,
        movielens: cli.movielens,
        config: OutfitEvalConfig::new()
            .with_epochs(cli.epochs)
            .with_bits(cli.bits)
            .with_seed(cli.seed),
        cache: cli.cache.unwrap_or_else(PackageCache::default_root),
    })
}

fn log(line: &str) {
    eprintln!("{line}");
}

fn outfits(args: &OutfitArgs) -> Result<()> {
    let checkpoints = args.json.with_extension("checkpoints");
    if let Some(variant) = args.movielens {
        return movielens(args, variant, &checkpoints);
    }
    if let Some(shop) = &args.shop {
        return shop_outfits(args, shop, &checkpoints);
    }
    // The generated outfits, or a CSV's over the same pictures, enter as any data set does: as
    // the shop `tailor import fashion-mnist-outfits` writes, read back by the product's reader.
    let images = FashionMnist::load().context("cannot read Fashion-MNIST")?;
    let generator = if args.quick {
        SyntheticOutfitConfig::quick()
    } else {
        SyntheticOutfitConfig::default()
    };
    let generator = SyntheticOutfitConfig {
        seed: args.config.seed,
        ..generator
    };
    let mut data = synthetic_outfits(&images.train, &generator)?;
    if let Some(csv) = &args.outfits_csv {
        let (users, outfits) = read_outfit_csv(csv, &data.items)?;
        data.users = users.len();
        data.outfits = outfits;
        data.synthetic = false;
    }
    let shop = checkpoints.with_extension("shop");
    if shop.exists() {
        std::fs::remove_dir_all(&shop)
            .with_context(|| format!("cannot remove the old {}", shop.display()))?;
    }
    write_fashion_mnist_outfits(&data, &shop)
        .with_context(|| format!("cannot write the shop {}", shop.display()))?;
    shop_outfits(args, &shop, &checkpoints)
}

/// The same evaluation on a shop's own outfits, read as `tailor train --shop` reads them.
fn shop_outfits(args: &OutfitArgs, dir: &Path, checkpoints: &Path) -> Result<()> {
    let shop =
        Shop::open(dir).with_context(|| format!("the shop {} is not usable", dir.display()))?;
    let outfits = shop
        .outfit_data()?
        .with_context(|| format!("the shop {} has no outfits file", dir.display()))?;
    let encoder = SentenceEncoder::from_packages(&PackageCache::new(&args.cache), &Device::flex())?;
    let classes: Vec<&str> = outfits.classes.iter().map(String::as_str).collect();
    let class_text = encoder.embed_texts(&classes)?;
    let set = outfit_set(
        &outfits.data,
        outfits.slots.len(),
        class_text,
        args.config.test_per_user,
    );
    let synthetic = outfits.data.synthetic;
    eprintln!(
        "{}the shop's outfits: {} items, {} users, {} outfits",
        if synthetic { "SYNTHETIC: " } else { "" },
        set.items(),
        set.users,
        outfits.data.outfits.len()
    );
    let identity = serde_json::json!({
        "shop": shop_digest(dir)?,
        "config": &args.config,
    });
    let checkpoint = EvalCheckpoint::open(checkpoints, &identity)
        .with_context(|| format!("opening {}", checkpoints.display()))?;
    let report = run_outfit_eval(&set, &args.config, synthetic, &checkpoint, &log)?;
    write_json(&args.json, &report)?;
    print_report(&report);
    Ok(())
}

fn print_report(report: &OutfitEvalReport) {
    println!("{}", report.note);
    println!(
        "{} items, {} users, {} training and {} held-out outfits, {} negatives each",
        report.items,
        report.users,
        report.train_outfits,
        report.test_outfits,
        report.negatives_per_outfit
    );
    println!("| model | AUC | NDCG@10 |");
    println!("|---|---:|---:|");
    for row in &report.rows {
        println!(
            "| {} | {:.4} | {:.4} |",
            row.label, row.metrics.auc, row.metrics.ndcg_at_10
        );
    }
    println!(
        "catalog: {} B of codes per item against {} B of f32 ({}x smaller)",
        report.catalog.code_bytes, report.catalog.float_bytes, report.catalog.shrink
    );
    for (goal, met) in report.goals() {
        println!("{} {goal}", if met { "met:   " } else { "MISSED:" });
    }
}

fn movielens(args: &OutfitArgs, variant: MovieLensVariant, checkpoints: &Path) -> Result<()> {
    // Through the shop format, as the comparison reads it.
    let packages = PackageCache::new(&args.cache);
    let shop_dir = checkpoints.with_extension("shop");
    HistoryData::import_movielens(variant, &packages, &shop_dir)
        .with_context(|| format!("importing {}", variant.name()))?;
    let shop = tailor_data::shop::Shop::open(&shop_dir)
        .with_context(|| format!("reading {}", shop_dir.display()))?;
    let data = HistoryData::from_shop(
        &shop,
        &packages,
        &args.cache.join("embeddings"),
        &indicatif::ProgressBar::hidden(),
    )
    .with_context(|| format!("preparing {}", variant.name()))?;
    let history_config = HistoryEvalConfig::new(SequenceConfig::new().with_seed(args.config.seed));
    let identity = serde_json::json!({
        "dataset": variant.name(),
        "package": variant.package().requirement(),
        "config": &args.config,
        "bpr": &history_config,
    });
    let checkpoint = EvalCheckpoint::open(checkpoints, &identity)
        .with_context(|| format!("opening {}", checkpoints.display()))?;
    let results = run_movielens_fhn(&data, &history_config, &args.config, &checkpoint, &log)?;
    write_json(&args.json, &results)?;
    println!(
        "{}: leave-last-out, full ranking of unseen items",
        variant.name()
    );
    println!("| model | HR@10 | NDCG@10 | Recall@20 |");
    println!("|---|---:|---:|---:|");
    for result in &results {
        println!(
            "| {} | {:.4} | {:.4} | {:.4} |",
            result.label, result.test.hr_at_10, result.test.ndcg_at_10, result.test.recall_at_20
        );
    }
    Ok(())
}

/// What the checkpoints are checked against: the SHA-256 of each file at the shop's top level
/// (catalog, logs, outfits, tailor.toml), so that a shop edited in place is a new comparison. The
/// pictures are named by the catalog.
fn shop_digest(dir: &Path) -> Result<serde_json::Value> {
    let mut files = serde_json::Map::new();
    let entries =
        std::fs::read_dir(dir).with_context(|| format!("cannot list {}", dir.display()))?;
    for entry in entries {
        let path = entry
            .with_context(|| format!("cannot list {}", dir.display()))?
            .path();
        if path.is_file()
            && let Some(name) = path.file_name().and_then(|n| n.to_str())
        {
            let bytes =
                std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
            files.insert(name.to_string(), tailor_core::sha256_hex(&bytes).into());
        }
    }
    Ok(files.into())
}

fn write_json<T: serde::Serialize>(path: &Path, value: &T) -> Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
    }
    let json = serde_json::to_string_pretty(value).context("cannot serialize the report")?;
    std::fs::write(path, json + "\n").with_context(|| format!("cannot write {}", path.display()))
}
