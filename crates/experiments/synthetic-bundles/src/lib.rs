//! SYNTHETIC catalogs for size benchmarks: a real bundle with its item embeddings and metadata
//! replaced by `items` made-up ones, everything else (encoder, tokenizer, query tower) kept. The
//! browser then does exactly the work a shop of that size would cause. Every synthetic item is
//! a real item's embedding plus Gaussian noise of the embeddings' own spread, so scores keep a
//! realistic distribution, and its title says that it is synthetic.

use std::path::Path;

use rand::SeedableRng;
use rand::seq::IndexedRandom;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};
use tailor_core::bundle::{ITEM_EMBEDDINGS_FILE, ITEMS_FILE};
use tailor_core::{Bundle, BundleItem, BundleWriter, EmbeddingMatrix, Manifest, quant};

/// Why a synthetic bundle could not be written.
#[derive(Debug, thiserror::Error)]
pub enum SyntheticError {
    #[error("a synthetic catalog needs at least one item and a source bundle with items")]
    Empty,
    #[error("the source bundle's embeddings have no spread to sample noise from")]
    NoSpread,
    #[error("cannot write the synthetic item metadata: {0}")]
    Metadata(#[from] serde_json::Error),
    #[error(transparent)]
    Quant(#[from] tailor_core::QuantError),
    #[error(transparent)]
    Bundle(#[from] tailor_core::BundleError),
}

/// Writes `source` with a synthetic catalog of `items` items into `out`.
pub fn write_synthetic_bundle(
    source: &Bundle,
    items: usize,
    seed: u64,
    out: &Path,
) -> Result<Manifest, SyntheticError> {
    let real_items = source.items()?;
    let real = source.item_embeddings()?;
    if items == 0 || real.rows == 0 {
        return Err(SyntheticError::Empty);
    }
    let spread = (real.values.iter().map(|v| v * v).sum::<f32>() / real.values.len() as f32)
        .sqrt()
        .max(1e-6);
    let noise = Normal::new(0.0, spread).map_err(|_| SyntheticError::NoSpread)?;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let sources: Vec<usize> = (0..real.rows).collect();
    let mut values = Vec::with_capacity(items * real.dim);
    let mut metadata = Vec::with_capacity(items);
    for i in 0..items {
        let &like = sources.choose(&mut rng).unwrap_or(&0);
        values.extend(real.row(like).iter().map(|v| v + noise.sample(&mut rng)));
        let original = &real_items[like];
        metadata.push(BundleItem {
            id: format!("synthetic-{i}"),
            title: format!("Synthetic item {i} (near {})", original.title),
            class: original.class.clone(),
            category: original.category.clone(),
            image: String::new(),
            price: None,
            currency: String::new(),
            url: String::new(),
            highlight: None,
        });
    }
    let matrix = EmbeddingMatrix::new(items, real.dim, values)?;
    let mut writer = BundleWriter::create(out)?;
    for entry in &source.manifest.files {
        match entry.name.as_str() {
            ITEM_EMBEDDINGS_FILE => writer.add(
                ITEM_EMBEDDINGS_FILE,
                &quant::encode(&matrix, source.manifest.item_embedding_encoding),
            )?,
            ITEMS_FILE => writer.add(ITEMS_FILE, &serde_json::to_vec(&metadata)?)?,
            name => writer.add(name, source.file(name)?)?,
        }
    }
    let mut manifest = source.manifest.clone();
    manifest.item_count = items;
    manifest.files.clear();
    manifest.metrics = serde_json::json!({
        "synthetic": format!(
            "{items} synthetic items: real item embeddings plus Gaussian noise (seed {seed}); \
             for size benchmarks only"
        ),
    });
    Ok(writer.finish(manifest)?)
}
