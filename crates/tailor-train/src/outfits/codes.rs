//! The trained model's codes for a catalog and its users, read relaxed, as signs, or as
//! floats, and the held-out lists they are scored on (AUC, NDCG@10).

use burn::prelude::*;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use tailor_data::Outfit;
use tailor_model::fhn::{FashionHashNet, OutfitTerms, outfit_scores};

use super::batches::{CatalogInputs, Sampler, UserBatch, gather_outfits, user_codes};
use super::{OutfitSet, OutfitTrainConfig};
use crate::error::TrainError;
use crate::tensors::{index_tensor, to_vec};

/// How codes are read at evaluation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CodeReading {
    /// tanh(beta W e) at the last epoch's beta.
    Relaxed,
    /// sign(W e): what the browser scores.
    Binary,
    /// W e of the float-embedding model.
    Float,
}

/// Every item's and every user's codes, read as `reading`: [items, bits] and [users, bits].
pub struct Codes {
    pub items: Tensor<2>,
    pub users: Tensor<2>,
    pub user_weights: Tensor<1>,
    pub compat_weights: Tensor<1>,
}

fn signs(x: Tensor<2>) -> Tensor<2> {
    // >= 0 is +1, as tailor-core packs them.
    x.greater_equal_elem(0.0)
        .float()
        .mul_scalar(2.0)
        .sub_scalar(1.0)
}

/// The codes a model gives every item and user (each user by id or by the items of all their
/// training outfits, without a request).
pub fn model_codes(
    model: &FashionHashNet,
    set: &OutfitSet,
    config: &OutfitTrainConfig,
    reading: CodeReading,
) -> Codes {
    let device = crate::tensors::device_of(model);
    let mode = config.final_mode();
    let catalog = CatalogInputs::new(set, &device);
    let sampler = Sampler::new(set, false);
    let relaxed = catalog.codes(model, mode);
    let items = match reading {
        CodeReading::Binary => signs(relaxed.clone()),
        _ => relaxed.clone(),
    };
    let users: Vec<usize> = (0..set.users).collect();
    let mut rows = Vec::new();
    for chunk in users.chunks(512) {
        let histories: Vec<Vec<usize>> = if config.model.user_ids > 0 {
            vec![Vec::new(); chunk.len()]
        } else {
            chunk.iter().map(|&u| sampler.history(u, None)).collect()
        };
        let requests = vec![None; chunk.len()];
        // A history model reads the codes the browser has: signs for binary, else relaxed.
        let user = user_codes(
            model,
            &config.model,
            &items,
            &catalog,
            &UserBatch {
                users: chunk,
                histories: &histories,
                requests: &requests,
            },
            mode,
        );
        rows.push(match reading {
            CodeReading::Binary => signs(user),
            _ => user,
        });
    }
    let (user_weights, compat_weights) = model.weights();
    Codes {
        items,
        users: Tensor::cat(rows, 0),
        user_weights,
        compat_weights,
    }
}

impl Codes {
    /// Scores of (user, outfit) rows under `terms`.
    pub fn score(
        &self,
        rows: &[(usize, Outfit)],
        slots: usize,
        terms: OutfitTerms,
    ) -> Result<Vec<f32>, TrainError> {
        let device = self.items.device();
        let mut scores = Vec::with_capacity(rows.len());
        for chunk in rows.chunks(4096) {
            let outfits: Vec<Outfit> = chunk.iter().map(|r| r.1).collect();
            let users: Vec<usize> = chunk.iter().map(|r| r.0).collect();
            let (codes, present) = gather_outfits(&self.items, &outfits, slots);
            let user = self.users.clone().select(0, index_tensor(&users, &device));
            let total = outfit_scores(
                user,
                codes,
                present,
                self.user_weights.clone(),
                self.compat_weights.clone(),
            )
            .total(terms);
            scores.extend(to_vec(total)?);
        }
        Ok(scores)
    }
}

/// Per-user AUC and NDCG@10 over held-out outfits against sampled negatives.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq)]
pub struct OutfitMetrics {
    pub users: usize,
    pub auc: f64,
    pub ndcg_at_10: f64,
}

/// The evaluation lists: per user with held-out outfits, those positives and `negatives` random
/// outfits per positive (same slots, none a known positive of the user), fixed by the seed so
/// that every model is scored on the same lists.
pub struct EvalLists {
    pub rows: Vec<(usize, Outfit)>,
    /// Per user: the row range, and how many of its first rows are positives.
    pub users: Vec<(std::ops::Range<usize>, usize)>,
}

impl EvalLists {
    pub fn new(set: &OutfitSet, negatives: usize, seed: u64) -> EvalLists {
        let sampler = Sampler::new(set, true);
        let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0xE7A1);
        let mut rows = Vec::new();
        let mut users = Vec::new();
        for (user, held) in set.test.iter().enumerate() {
            if held.is_empty() {
                continue;
            }
            let start = rows.len();
            rows.extend(held.iter().map(|&o| (user, o)));
            for positive in held {
                for _ in 0..negatives {
                    rows.push((user, sampler.random_negative(user, positive, &mut rng)));
                }
            }
            users.push((start..rows.len(), held.len()));
        }
        EvalLists { rows, users }
    }

    /// Mean per-user AUC and NDCG@10 of `scores` (one per row). Ties rank negatives first, so
    /// equal scores never flatter a model.
    pub fn metrics(&self, scores: &[f32]) -> OutfitMetrics {
        let (mut auc_sum, mut ndcg_sum) = (0.0, 0.0);
        for (range, positives) in &self.users {
            let user_scores = &scores[range.clone()];
            let (pos, neg) = user_scores.split_at(*positives);
            auc_sum += crate::metrics::auc(pos, neg).unwrap_or(0.5);
            let mut order: Vec<usize> = (0..user_scores.len()).collect();
            order.sort_by(|&a, &b| {
                user_scores[b]
                    .total_cmp(&user_scores[a])
                    .then((a < *positives).cmp(&(b < *positives)))
            });
            let dcg: f64 = order
                .iter()
                .take(10)
                .enumerate()
                .filter(|(_, row)| **row < *positives)
                .map(|(rank, _)| 1.0 / (rank as f64 + 2.0).log2())
                .sum();
            let ideal: f64 = (0..(*positives).min(10))
                .map(|rank| 1.0 / (rank as f64 + 2.0).log2())
                .sum();
            ndcg_sum += dcg / ideal.max(f64::MIN_POSITIVE);
        }
        let users = self.users.len();
        OutfitMetrics {
            users,
            auc: auc_sum / users.max(1) as f64,
            ndcg_at_10: ndcg_sum / users.max(1) as f64,
        }
    }
}
