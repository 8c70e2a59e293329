//! `tailor recommend`, `tailor similar` and `tailor complete`: the browser's ranking, similar
//! items and complete the look, run natively on a bundle folder (to check a bundle before
//! hosting it, and to compare native and wasm scores).

use std::path::Path;

use anyhow::{Context, Result};
use burn::prelude::Device;
use tailor_core::Bundle;
use tailor_model::ranker::{ItemFilter, Ranker, RecommendedItem, ScoreOn};

/// What `--exclude` and `--category` leave out of a ranking.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Item ids never returned.
    pub exclude: Vec<String>,
    /// Only items with this step in their category path.
    pub category: Option<String>,
}

impl Filter {
    /// The ranker's filter; unlike the browser, an id the bundle lacks is an error here, since
    /// it is most likely a typo on the command line.
    fn resolve(&self, ranker: &Ranker) -> Result<ItemFilter> {
        Ok(ItemFilter {
            exclude: indices(ranker, &self.exclude, "--exclude")?,
            category: self.category.clone().filter(|c| !c.is_empty()),
        })
    }
}

fn indices(ranker: &Ranker, ids: &[String], option: &str) -> Result<Vec<usize>> {
    ids.iter()
        .map(|id| {
            ranker.index_of(id).with_context(|| {
                format!("{option} names item {id:?}, which the bundle does not have")
            })
        })
        .collect()
}

pub fn recommend(
    bundle_dir: &Path,
    queries: &[String],
    history: &[String],
    k: usize,
    filter: &Filter,
    json: bool,
) -> Result<()> {
    let ranker = open_ranker(bundle_dir)?;
    let history = indices(&ranker, history, "--history")?;
    let filter = filter.resolve(&ranker)?;
    if !history.is_empty() && !ranker.is_personalized() {
        eprintln!("note: this bundle does not personalize; the history is ignored");
    }
    let mut results = Vec::new();
    for query in queries {
        let ranked = pollster::block_on(ranker.recommend(query, &history, k, &filter))?;
        let items = ranker.describe(&ranked);
        if !json {
            println!("{query:?}");
            print_items(&items);
        }
        results.push(serde_json::json!({ "query": query, "items": items }));
    }
    if json {
        println!("{}", serde_json::to_string_pretty(&results)?);
    }
    Ok(())
}

/// `tailor similar`: the items most like one item, exactly as the browser's `similar()`.
pub fn similar(bundle_dir: &Path, item: &str, k: usize, filter: &Filter, json: bool) -> Result<()> {
    let ranker = open_ranker(bundle_dir)?;
    let index = ranker
        .index_of(item)
        .with_context(|| format!("--item names item {item:?}, which the bundle does not have"))?;
    let filter = filter.resolve(&ranker)?;
    let ranked = pollster::block_on(ranker.similar(index, k, &filter))?;
    let items = ranker.describe(&ranked);
    if json {
        let result = serde_json::json!({ "item": item, "items": items });
        println!("{}", serde_json::to_string_pretty(&result)?);
    } else {
        println!("like {} [{item}]", ranker.items()[index].title);
        print_items(&items);
    }
    Ok(())
}

fn print_items(items: &[RecommendedItem<'_>]) {
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
