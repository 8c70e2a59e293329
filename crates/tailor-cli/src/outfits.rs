//! `tailor outfits`: Fashion Hash Net's evaluation. On outfits generated over Fashion-MNIST
//! (SYNTHETIC, and every output says so) or a shop's outfit CSV over the same items, it compares
//! relaxed and binary codes, the float-embedding model, the one-term ablations and BPR-MF; with
//! `--movielens`, it tests the preference half (user-id variant) on real histories against
//! BPR-MF. Finished trainings are checkpointed next to the report, so a killed run resumes.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use tailor_data::shop::Shop;
use tailor_data::{
    FashionMnist, MovieLensVariant, PackageCache, SyntheticOutfitConfig, read_outfit_csv,
    synthetic_outfits,
};
use tailor_train::embed::SentenceEncoder;
use tailor_train::for_you::SequenceConfig;
use tailor_train::history_eval::{EvalCheckpoint, HistoryData, HistoryEvalConfig};
use tailor_train::outfit_eval::{
    OutfitEvalConfig, OutfitEvalReport, class_name_embeddings, fashion_outfit_set, outfit_set,
    run_movielens_fhn, run_outfit_eval,
};

pub struct OutfitArgs {
    pub json: PathBuf,
    pub quick: bool,
    /// A shop folder whose own outfits are evaluated (the product's reader and its items).
    pub shop: Option<PathBuf>,
    pub outfits_csv: Option<PathBuf>,
    pub movielens: Option<MovieLensVariant>,
    pub config: OutfitEvalConfig,
    pub cache: PathBuf,
}

fn log(line: &str) {
    eprintln!("{line}");
}

pub fn outfits(args: &OutfitArgs) -> Result<()> {
    let checkpoints = args.json.with_extension("checkpoints");
    if let Some(variant) = args.movielens {
        return movielens(args, variant, &checkpoints);
    }
    if let Some(shop) = &args.shop {
        return shop_outfits(args, shop, &checkpoints);
    }
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
    let mut identity = serde_json::json!({
        "generator": &generator,
        "config": &args.config,
    });
    if let Some(csv) = &args.outfits_csv {
        // The shop's own outfits over the same catalog replace the generated ones.
        let (users, outfits) = read_outfit_csv(csv, &data.items)?;
        data.users = users.len();
        data.outfits = outfits;
        data.synthetic = false;
        identity["outfits_csv"] = serde_json::json!(tailor_core::sha256_hex(
            &std::fs::read(csv).with_context(|| format!("reading {}", csv.display()))?
        ));
    }
    let encoder = SentenceEncoder::from_packages(&PackageCache::new(&args.cache))?;
    let class_text = class_name_embeddings(&encoder)?;
    let set = fashion_outfit_set(&data, class_text, args.config.test_per_user);
    eprintln!(
        "{}: {} items, {} users, {} outfits",
        if data.synthetic {
            "SYNTHETIC outfits over Fashion-MNIST"
        } else {
            "outfits from the CSV"
        },
        set.items(),
        set.users,
        data.outfits.len()
    );
    let checkpoint = EvalCheckpoint::open(&checkpoints, &identity)
        .with_context(|| format!("opening {}", checkpoints.display()))?;
    let report = run_outfit_eval(&set, &args.config, data.synthetic, &checkpoint, &log)?;
    write_json(&args.json, &report)?;
    print_report(&report);
    Ok(())
}

/// The same evaluation on a shop's own outfits, read as `tailor train --shop` reads them.
fn shop_outfits(args: &OutfitArgs, dir: &Path, checkpoints: &Path) -> Result<()> {
    let shop =
        Shop::open(dir).with_context(|| format!("the shop {} is not usable", dir.display()))?;
    let outfits = shop
        .outfit_data()?
        .with_context(|| format!("the shop {} has no outfits file", dir.display()))?;
    let encoder = SentenceEncoder::from_packages(&PackageCache::new(&args.cache))?;
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
        "shop": dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf()),
        "outfits": outfits.data.outfits.len(),
        "items": outfits.data.items.len(),
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
    let (_, data) = HistoryData::movielens(
        variant,
        &PackageCache::new(&args.cache),
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

fn write_json<T: serde::Serialize>(path: &Path, value: &T) -> Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
    }
    let json = serde_json::to_string_pretty(value).context("cannot serialize the report")?;
    std::fs::write(path, json + "\n").with_context(|| format!("cannot write {}", path.display()))
}
