//! Public data sets written as example shops: after `tailor import`, a data set is a shop folder
//! like any other and goes through the same `tailor train --shop`. The main design choice: an
//! importer only moves columns (it never decides a split, never reads a held-out row into an
//! item), so what a public figure measures is what a shop's run measures.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;

use image::{GrayImage, ImageFormat};

use crate::error::DataError;
use crate::fashion_mnist::{FASHION_MNIST_CLASSES, FASHION_MNIST_SIDE};
use crate::movielens::MovieLens;
use crate::outfits::{OUTFIT_SLOTS, OutfitData};
use crate::reviews::{Review, catalog};

/// A smaller slice of a data set for quick runs and tests: the `max_items` items with the most
/// rows, each with at most `max_rows_per_item` rows (the earliest).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ImportSubset {
    pub max_items: usize,
    pub max_rows_per_item: usize,
}

/// What an importer wrote: the shop folder and the rows of each file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImportSummary {
    pub dir: PathBuf,
    pub items: usize,
    pub reviews: usize,
    pub events: usize,
    pub outfits: usize,
    pub pictures: usize,
}

/// Writes the Women's Clothing reviews as a shop: `catalog.csv` (one item per `Clothing ID`,
/// in id order; its class as the title, "Division > Department > Class" as the category) and
/// `reviews.csv` (every review, in file order, with its title, text and rating), and a
/// `tailor.toml` that names the shop.
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
    write_text(
        &out.join(crate::shop::CONFIG_FILE),
        "# The Women's Clothing E-Commerce reviews, as a shop.\nname = \"womens-clothing-reviews\"\n",
    )?;
    Ok(ImportSummary {
        dir: out.to_path_buf(),
        items: items.len(),
        reviews: written,
        ..ImportSummary::default()
    })
}

/// Writes MovieLens as a shop: `catalog.csv` (every rated movie, in order of first rating; the
/// title, the first genre as the category, the year and every genre as attributes) and `events.csv` (every rating,
/// each user's oldest first, as the event `rated-<stars>` at its Unix second). `tailor.toml`
/// weighs every rating 1, so that every rating is an interaction, as the MovieLens protocols
/// count it. `max_users` keeps the first users (in file order) for quick runs.
pub fn write_movielens(
    movielens: &MovieLens,
    max_users: Option<usize>,
    out: &Path,
) -> Result<ImportSummary, DataError> {
    std::fs::create_dir_all(out).map_err(DataError::io(out))?;
    let users = max_users.map_or(movielens.histories.len(), |n| {
        n.min(movielens.histories.len())
    });
    let mut rated = vec![false; movielens.movies.len()];
    for history in &movielens.histories[..users] {
        for &movie in history {
            rated[movie] = true;
        }
    }

    let catalog_path = out.join("catalog.csv");
    let mut writer = csv_writer(&catalog_path)?;
    writer
        .write_record(["id", "title", "category", "year", "genres"])
        .map_err(DataError::write(&catalog_path))?;
    let mut items = 0;
    for (movie, _) in movielens.movies.iter().zip(&rated).filter(|(_, r)| **r) {
        writer
            .write_record([
                movie.id.as_str(),
                movie.title.as_str(),
                movie.genres.first().map_or("", String::as_str),
                movie.year.as_str(),
                &movie.genres.join(", "),
            ])
            .map_err(DataError::write(&catalog_path))?;
        items += 1;
    }
    finish(writer, &catalog_path)?;

    let events_path = out.join("events.csv");
    let mut writer = csv_writer(&events_path)?;
    writer
        .write_record(["user", "item", "event", "time"])
        .map_err(DataError::write(&events_path))?;
    let mut events = 0;
    for user in 0..users {
        let rows = movielens.histories[user]
            .iter()
            .zip(&movielens.times[user])
            .zip(&movielens.ratings[user]);
        for ((&movie, time), stars) in rows {
            writer
                .write_record([
                    movielens.users[user].as_str(),
                    movielens.movies[movie].id.as_str(),
                    &format!("rated-{stars}"),
                    &time.to_string(),
                ])
                .map_err(DataError::write(&events_path))?;
            events += 1;
        }
    }
    finish(writer, &events_path)?;

    let weights: String = (0..=5).map(|s| format!("rated-{s} = 1.0\n")).collect();
    write_text(
        &out.join(crate::shop::CONFIG_FILE),
        &format!(
            "# MovieLens ({}): every rating is an interaction, whatever its stars.\n\
             name = \"movielens-{}\"\n\
             [events.weights]\n{weights}",
            movielens.variant.name(),
            movielens.variant.name()
        ),
    )?;
    Ok(ImportSummary {
        dir: out.to_path_buf(),
        items,
        events,
        ..ImportSummary::default()
    })
}

/// The sentence that labels the Fashion-MNIST shop's outfits as generated, in its tailor.toml
/// and from there in every report and bundle trained on it.
pub const FASHION_MNIST_OUTFITS_NOTE: &str = "SYNTHETIC outfits, generated by Tailor's documented \
     model (tailor_data::synthetic_outfits) over Fashion-MNIST pictures; not real shoppers' outfits";

/// Writes outfits over Fashion-MNIST pictures as a shop: `catalog.csv` (each item's title, a
/// description, "Fashion-MNIST > class" as the category, its slot and its picture),
/// `images/<id>.png` (the 28 x 28 grey picture), `outfits.csv` (one row per item of each outfit,
/// with its user) and, when `data` is SYNTHETIC (the generator's), a `tailor.toml` that labels
/// the outfits so and descriptions that say it.
pub fn write_fashion_mnist_outfits(
    data: &OutfitData,
    out: &Path,
) -> Result<ImportSummary, DataError> {
    let images = out.join("images");
    std::fs::create_dir_all(&images).map_err(DataError::io(&images))?;
    let side = FASHION_MNIST_SIDE;
    let catalog_path = out.join("catalog.csv");
    let mut writer = csv_writer(&catalog_path)?;
    writer
        .write_record(["id", "title", "description", "category", "slot", "image"])
        .map_err(DataError::write(&catalog_path))?;
    for (index, item) in data.items.iter().enumerate() {
        let file = format!("images/{}.png", item.id);
        let path = out.join(&file);
        let pixels = data.pixels[index * side * side..(index + 1) * side * side].to_vec();
        let picture = GrayImage::from_raw(side as u32, side as u32, pixels).ok_or_else(|| {
            DataError::io(&path)(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "the outfit data holds fewer pixels than items",
            ))
        })?;
        picture
            .save_with_format(&path, ImageFormat::Png)
            .map_err(|source| DataError::WritePicture {
                path: path.clone(),
                source,
            })?;
        writer
            .write_record([
                item.id.as_str(),
                item.title.as_str(),
                if data.synthetic {
                    "SYNTHETIC item: a Fashion-MNIST training picture in a generated outfit"
                } else {
                    "a Fashion-MNIST training picture"
                },
                &format!("Fashion-MNIST > {}", FASHION_MNIST_CLASSES[item.class]),
                OUTFIT_SLOTS[item.slot],
                &file,
            ])
            .map_err(DataError::write(&catalog_path))?;
    }
    finish(writer, &catalog_path)?;

    let outfits_path = out.join("outfits.csv");
    let mut writer = csv_writer(&outfits_path)?;
    writer
        .write_record(["outfit", "item", "user"])
        .map_err(DataError::write(&outfits_path))?;
    for (number, outfit) in data.outfits.iter().enumerate() {
        for item in outfit.outfit.items() {
            writer
                .write_record([
                    format!("o{number}"),
                    data.items[item].id.clone(),
                    format!("u{}", outfit.user),
                ])
                .map_err(DataError::write(&outfits_path))?;
        }
    }
    finish(writer, &outfits_path)?;
    let mut config = String::from("name = \"fashion-mnist-outfits\"\n");
    if data.synthetic {
        config.push_str(&format!(
            "[outfits]\nsynthetic = \"{FASHION_MNIST_OUTFITS_NOTE}\"\n"
        ));
    }
    write_text(&out.join(crate::shop::CONFIG_FILE), &config)?;
    Ok(ImportSummary {
        dir: out.to_path_buf(),
        items: data.items.len(),
        outfits: data.outfits.len(),
        pictures: data.items.len(),
        ..ImportSummary::default()
    })
}

fn write_text(path: &Path, text: &str) -> Result<(), DataError> {
    std::fs::write(path, text).map_err(DataError::io(path))
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
