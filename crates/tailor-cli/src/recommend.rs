//! `tailor recommend` and `tailor synth-bundle`: the browser's ranking, run natively on a bundle
//! folder (to check a bundle before hosting it, and to compare native and wasm scores), and the
//! synthetic catalogs the browser benchmark sweeps over.

use std::path::Path;

use anyhow::{Context, Result};
use burn::prelude::Device;
use serde::Serialize;
use tailor_core::Bundle;
use tailor_model::ranker::{Ranker, ScoreOn};
use tailor_train::synthetic::write_synthetic_bundle;

/// One ranked item, in the shape the browser's `recommend()` returns.
#[derive(Serialize)]
struct RankedItem<'a> {
    id: &'a str,
    title: &'a str,
    class: &'a str,
    score: f32,
    index: usize,
}

pub fn recommend(bundle_dir: &Path, queries: &[String], k: usize, json: bool) -> Result<()> {
    let bundle = Bundle::open_dir(bundle_dir)
        .with_context(|| format!("cannot open the bundle in {}", bundle_dir.display()))?;
    let ranker = Ranker::from_bundle(bundle, &Device::flex(), ScoreOn::Cpu)
        .with_context(|| format!("cannot build the model of {}", bundle_dir.display()))?;
    let mut results = Vec::new();
    for query in queries {
        let hits = pollster::block_on(ranker.recommend(query, k))?;
        let items: Vec<RankedItem> = hits
            .iter()
            .map(|hit| {
                let item = &ranker.items()[hit.index];
                RankedItem {
                    id: &item.id,
                    title: &item.title,
                    class: &item.class,
                    score: hit.score,
                    index: hit.index,
                }
            })
            .collect();
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
