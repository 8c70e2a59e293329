//! `tailor recommend` and `tailor synth-bundle`: the browser's ranking, run natively on a bundle
//! folder (to check a bundle before hosting it, and to compare native and wasm scores), and the
//! synthetic catalogs the browser benchmark sweeps over.

use std::path::Path;

use anyhow::{Context, Result};
use burn::prelude::Device;
use tailor_core::Bundle;
use tailor_model::ranker::{Ranker, ScoreOn};
use tailor_train::synthetic::write_synthetic_bundle;

pub fn recommend(
    bundle_dir: &Path,
    queries: &[String],
    history: &[String],
    k: usize,
    json: bool,
) -> Result<()> {
    let ranker = open_ranker(bundle_dir)?;
    let history = history
        .iter()
        .map(|id| {
            ranker.index_of(id).with_context(|| {
                format!("the history names item {id:?}, which the bundle does not have")
            })
        })
        .collect::<Result<Vec<usize>>>()?;
    if !history.is_empty() && !ranker.is_personalized() {
        eprintln!("note: this bundle does not personalize; the history is ignored");
    }
    let mut results = Vec::new();
    for query in queries {
        let ranked = pollster::block_on(ranker.recommend(query, &history, k))?;
        let items = ranker.describe(&ranked);
        if !json {
            println!("{query:?}");
            for (rank, item) in items.iter().enumerate() {
                println!(
                    "{:>3}. {:>8.4}  {:<14} {}  [{}]",
                    rank + 1,
                    item.score,
                    item.class,
                    item.title,
                    item.id
                );
                if let Some(reason) = item.because.first() {
                    println!(
                        "               because you viewed {} ({:.2})",
                        reason.title, reason.weight
                    );
                }
            }
        }
        results.push(serde_json::json!({ "query": query, "items": items }));
    }
    if json {
        println!("{}", serde_json::to_string_pretty(&results)?);
    }
    Ok(())
}

pub fn synth_bundle(from: &Path, items: usize, seed: u64, out: &Path) -> Result<()> {
    let source = Bundle::open_dir(from)
        .with_context(|| format!("cannot open the bundle in {}", from.display()))?;
    let manifest = write_synthetic_bundle(&source, items, seed, out)?;
    let bytes: u64 = manifest.files.iter().map(|f| f.size).sum();
    println!(
        "{}: {items} synthetic items, {:.2} MB",
        out.display(),
        bytes as f64 / 1e6
    );
    Ok(())
}

/// A bundle folder's model on the CPU, as the browser's CPU build loads it.
fn open_ranker(bundle_dir: &Path) -> Result<Ranker> {
    let bundle = Bundle::open_dir(bundle_dir)
        .with_context(|| format!("cannot open the bundle in {}", bundle_dir.display()))?;
    Ranker::from_bundle(bundle, &Device::flex(), ScoreOn::Cpu)
        .with_context(|| format!("cannot build the model of {}", bundle_dir.display()))
}

/// `tailor complete`: complete the look natively, exactly as the browser's `completeOutfit()`.
pub fn complete(
    bundle_dir: &Path,
    anchor: &str,
    query: &str,
    history: &[String],
    k: usize,
    diversity: f32,
    json: bool,
) -> Result<()> {
    let ranker = open_ranker(bundle_dir)?;
    let look = pollster::block_on(ranker.complete_outfit(anchor, query, history, k, diversity))?;
    if json {
        println!("{}", serde_json::to_string_pretty(&look)?);
        return Ok(());
    }
    if look.synthetic {
        println!("(the outfit model learnt from SYNTHETIC outfits)");
    }
    for (rank, outfit) in look.outfits.iter().enumerate() {
        let items: Vec<String> = outfit
            .items
            .iter()
            .map(|item| format!("{} [{}]", item.title, item.id))
            .collect();
        println!(
            "{:>2}. {:>7.4} (preference {:>7.4}, compatibility {:>7.4})  {}",
            rank + 1,
            outfit.score,
            outfit.preference,
            outfit.compatibility,
            items.join(" + ")
        );
    }
    if !look.unknown_history.is_empty() {
        eprintln!(
            "note: {} history ids are not outfit items and were ignored",
            look.unknown_history.len()
        );
    }
    Ok(())
}
