//! Public data sets written as example shops: after `tailor import`, a data set is a shop folder
//! like any other and goes through the same `tailor train --shop`. The main design choice: an
//! importer only moves columns (it never decides a split, never reads a held-out row into an
//! item), so what a public figure measures is what a shop's run measures.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::error::DataError;
use crate::reviews::{Review, catalog};

/// A smaller slice of a data set for quick runs and tests: the `max_items` items with the most
/// rows, each with at most `max_rows_per_item` rows (the earliest).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ImportSubset {
    pub max_items: usize,
    pub max_rows_per_item: usize,
}

/// What an importer wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportSummary {
    pub dir: PathBuf,
    pub items: usize,
    pub reviews: usize,
}

/// Writes the Women's Clothing reviews as a shop: `catalog.csv` (one item per `Clothing ID`,
/// in id order; its class as the title, "Division > Department > Class" as the category) and
/// `reviews.csv` (every review, in file order, with its title, text and rating).
pub fn write_womens_clothing(
    reviews: &[Review],
    subset: Option<ImportSubset>,
    out: &Path,
) -> Result<ImportSummary, DataError> {
    let kept: Vec<&Review> = match subset {
        Some(subset) => take_subset(reviews, subset),
        None => reviews.iter().collect(),
    };
    let owned: Vec<Review> = kept.iter().map(|r| (*r).clone()).collect();
    let items = catalog(&owned);
    std::fs::create_dir_all(out).map_err(DataError::io(out))?;

    let catalog_path = out.join("catalog.csv");
    let mut writer = csv_writer(&catalog_path)?;
    writer
        .write_record(["id", "title", "category"])
        .map_err(DataError::write(&catalog_path))?;
    for item in &items {
        let path: Vec<&str> = [&item.division, &item.department, &item.class]
            .into_iter()
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
            .collect();
        let title = match item.class.trim() {
            "" => format!("Item {}", item.item_id),
            class => class.to_string(),
        };
        writer
            .write_record([item.item_id.to_string(), title, path.join(" > ")])
            .map_err(DataError::write(&catalog_path))?;
    }
    finish(writer, &catalog_path)?;

    let reviews_path = out.join("reviews.csv");
    let mut writer = csv_writer(&reviews_path)?;
    writer
        .write_record(["item", "title", "text", "rating"])
        .map_err(DataError::write(&reviews_path))?;
    let mut written = 0;
    for review in &owned {
        if review.request().is_empty() {
            continue;
        }
        writer
            .write_record([
                review.item_id.to_string(),
                review.title.clone(),
                review.text.clone(),
                review.rating.to_string(),
            ])
            .map_err(DataError::write(&reviews_path))?;
        written += 1;
    }
    finish(writer, &reviews_path)?;
    Ok(ImportSummary {
        dir: out.to_path_buf(),
        items: items.len(),
        reviews: written,
    })
}

fn csv_writer(path: &Path) -> Result<csv::Writer<BufWriter<File>>, DataError> {
    let file = File::create(path).map_err(DataError::io(path))?;
    Ok(csv::Writer::from_writer(BufWriter::new(file)))
}

fn finish(writer: csv::Writer<BufWriter<File>>, path: &Path) -> Result<(), DataError> {
    let mut inner = writer
        .into_inner()
        .map_err(|e| DataError::io(path)(e.into_error()))?;
    inner.flush().map_err(DataError::io(path))
}

/// The most reviewed items (ties by id), so that the slice still has validation and test rows.
fn take_subset(reviews: &[Review], subset: ImportSubset) -> Vec<&Review> {
    let mut counts = BTreeMap::<i64, usize>::new();
    for review in reviews {
        *counts.entry(review.item_id).or_default() += 1;
    }
    let mut ranked: Vec<(usize, i64)> = counts.into_iter().map(|(id, n)| (n, id)).collect();
    ranked.sort_by_key(|&(n, id)| (std::cmp::Reverse(n), id));
    let mut ids: Vec<i64> = ranked
        .into_iter()
        .take(subset.max_items)
        .map(|(_, id)| id)
        .collect();
    ids.sort_unstable();
    let mut taken = BTreeMap::<i64, usize>::new();
    reviews
        .iter()
        .filter(|review| {
            if ids.binary_search(&review.item_id).is_err() {
                return false;
            }
            let count = taken.entry(review.item_id).or_default();
            *count += 1;
            *count <= subset.max_rows_per_item
        })
        .collect()
}
