//! Test-split evaluation. Every method ranks the whole catalog for the same test requests, in the
//! same run: the trained heads, zero-shot cosine for each encoder, popularity and random.

use burn::prelude::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use tailor_core::DenseVectors;
use tailor_core::bundle::EmbeddingEncoding;
use tailor_core::quant::{self, EmbeddingMatrix};
use tailor_model::text_ranker::TextRanker;

use crate::error::TrainError;
use crate::metrics::{RankingMetrics, rank_of};
use crate::tensors::matrix_tensor;
use crate::text_ranker::item_embeddings;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MethodResult {
    pub name: String,
    pub metrics: RankingMetrics,
    #[serde(skip)]
    pub ranks: Vec<usize>,
}

impl MethodResult {
    pub fn new(name: impl Into<String>, ranks: Vec<usize>) -> Self {
        Self {
            name: name.into(),
            metrics: RankingMetrics::from_ranks(&ranks),
            ranks,
        }
    }
}

/// Which items a ranking may return: all of them, or the protocol's candidates.
pub type Candidates<'a> = &'a [bool];

/// Rank of `target` among the candidates only: the others score -inf and fall to the bottom.
pub fn candidate_rank(scores: &mut [f32], target: usize, candidates: Candidates) -> usize {
    for (score, &keep) in scores.iter_mut().zip(candidates) {
        if !keep {
            *score = f32::NEG_INFINITY;
        }
    }
    rank_of(scores, target)
}

/// Ranks by inner product of each query row with every item row, scored by tailor-core's float
/// scorer (the one the browser ranks dense embeddings with).
pub fn dot_ranks(
    queries: &EmbeddingMatrix,
    items: &EmbeddingMatrix,
    targets: &[usize],
    candidates: Candidates,
) -> Result<Vec<usize>, TrainError> {
    let scorer = DenseVectors::new(items.dim, items.values.clone())?;
    let mut scores = vec![0f32; items.rows];
    targets
        .iter()
        .enumerate()
        .map(|(q, &target)| {
            scorer.score_into(queries.row(q), &mut scores)?;
            Ok(candidate_rank(&mut scores, target, candidates))
        })
        .collect()
}

/// Most training reviews first, for every request alike.
pub fn popularity_ranks(
    train_counts: &[usize],
    targets: &[usize],
    candidates: Candidates,
) -> Vec<usize> {
    targets
        .iter()
        .map(|&t| {
            let mut scores: Vec<f32> = train_counts.iter().map(|&c| c as f32).collect();
            candidate_rank(&mut scores, t, candidates)
        })
        .collect()
}

/// A fresh random order of the candidates per request.
pub fn random_ranks(targets: &[usize], candidates: Candidates, seed: u64) -> Vec<usize> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    targets
        .iter()
        .map(|&t| {
            let mut scores: Vec<f32> = (0..candidates.len()).map(|_| rng.random()).collect();
            candidate_rank(&mut scores, t, candidates)
        })
        .collect()
}

/// z for each query and e_i for each item, as plain matrices (what a bundle stores and the
/// browser multiplies).
pub fn model_vectors(
    model: &TextRanker,
    item_features: &EmbeddingMatrix,
    queries: &EmbeddingMatrix,
) -> Result<(EmbeddingMatrix, EmbeddingMatrix), TrainError> {
    let device = crate::tensors::device_of(model);
    let items = item_embeddings(model, item_features, &device);
    let z = model.query.forward(matrix_tensor(queries, &device), None);
    Ok((to_matrix(z)?, to_matrix(items)?))
}

/// The same ranking with item embeddings stored in `encoding` and read back.
pub fn quantized_ranks(
    z: &EmbeddingMatrix,
    items: &EmbeddingMatrix,
    targets: &[usize],
    encoding: EmbeddingEncoding,
    candidates: Candidates,
) -> Result<Vec<usize>, TrainError> {
    let loaded = quant::round_trip(items, encoding)?;
    dot_ranks(z, &loaded, targets, candidates)
}

pub fn to_matrix(tensor: Tensor<2>) -> Result<EmbeddingMatrix, TrainError> {
    let [rows, dim] = tensor.dims();
    let values = tensor
        .into_data()
        .try_into_vec::<f32>()
        .map_err(TrainError::Readback)?;
    EmbeddingMatrix::new(rows, dim, values).map_err(TrainError::from)
}
