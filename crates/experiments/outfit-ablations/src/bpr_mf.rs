//! BPR-MF over outfits, the baseline of the outfit comparison: a user vector against the mean
//! of the outfit's item vectors, trained on the same sampled pairs as Fashion Hash Net and scored
//! on the same held-out lists.

use std::path::Path;

use burn::nn::{Embedding, EmbeddingConfig};
use burn::optim::AdamConfig;
use burn::prelude::*;
use indicatif::ProgressBar;
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use tailor_data::Outfit;
use tailor_model::fhn::bpr_loss;
use tailor_train::TrainError;
use tailor_train::learner::{Checkpoints, LossOnly, Schedule, TrainOutput, TrainStep, fit};
use tailor_train::outfits::{EvalLists, OutfitMetrics, OutfitSet, Sampler, gather_outfits};
use tailor_train::tensors::{index_tensor, to_vec};

/// BPR-MF over outfits: a user vector against the mean of the outfit's item vectors, trained
/// on the product's loop (checkpointed in `dir`, so a killed comparison continues it).
pub fn bpr_mf_outfits(
    set: &OutfitSet,
    config: &BprMfOutfits,
    dir: &Path,
    lists: &EvalLists,
) -> Result<OutfitMetrics, TrainError> {
    let device = Device::flex().autodiff();
    device.seed(config.seed);
    let init = |count: usize| {
        EmbeddingConfig::new(count, config.dim)
            .with_initializer(burn::nn::Initializer::Normal {
                mean: 0.0,
                std: 0.1,
            })
            .init(&device)
    };
    let model = OutfitMf {
        users: init(set.users),
        items: init(set.items()),
    };
    let steps = OutfitMfSteps {
        set,
        config,
        sampler: Sampler::new(set, false),
        device: device.clone(),
    };
    let fitted = fit(
        &steps,
        model,
        AdamConfig::new().init(),
        &Schedule::fixed(config.epochs, 1e-2),
        &Checkpoints::resuming(
            dir,
            serde_json::json!({ "bpr_mf_outfits": config, "items": set.items(), "users": set.users }),
        ),
        &ProgressBar::hidden(),
        &|_| {},
    )?;
    let model = fitted.model.valid();
    let cpu = Device::flex();
    let mut scores = Vec::with_capacity(lists.rows.len());
    for chunk in lists.rows.chunks(4096) {
        let users: Vec<usize> = chunk.iter().map(|r| r.0).collect();
        let outfits: Vec<Outfit> = chunk.iter().map(|r| r.1).collect();
        let s = model.scores(index_tensor(&users, &cpu), &outfits, set.slots);
        scores.extend(to_vec(s)?);
    }
    Ok(lists.metrics(&scores))
}

/// BPR-MF's settings: the width of its factors, its epochs and its seed.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct BprMfOutfits {
    pub dim: usize,
    pub epochs: usize,
    pub seed: u64,
}

#[derive(Module, Debug)]
struct OutfitMf {
    users: Embedding,
    items: Embedding,
}

impl OutfitMf {
    fn scores(&self, users: Tensor<1, Int>, outfits: &[Outfit], slots: usize) -> Tensor<1> {
        let n = users.dims()[0];
        let user = self
            .users
            .forward(users.reshape([1, n]))
            .squeeze_dim::<2>(0);
        let dim = user.dims()[1];
        let table = self.items.weight.val();
        let (items, present) = gather_outfits(&table, outfits, slots);
        let count = present.sum_dim(1).clamp_min(1.0);
        let mean = items.sum_dim(1).reshape([n, dim]) / count;
        (user * mean).sum_dim(1).reshape([n])
    }
}

/// BPR-MF's part of the loop: every (user, outfit) pair in a shuffled order, each against a
/// sampled negative outfit, in batches of 256.
struct OutfitMfSteps<'a> {
    set: &'a OutfitSet,
    config: &'a BprMfOutfits,
    sampler: Sampler<'a>,
    device: Device,
}

/// Users, their positive outfits and their negatives.
type PairBatch = (Vec<usize>, Vec<Outfit>, Vec<Outfit>);

impl TrainStep for OutfitMfSteps<'_> {
    type Model = OutfitMf;
    type Batch = PairBatch;

    fn steps_per_epoch(&self) -> usize {
        self.sampler.pool().len().div_ceil(256)
    }

    fn batches(&self, epoch: usize) -> impl Iterator<Item = PairBatch> {
        // Its own seeding, as before it ran on the shared loop, so its figures stand.
        let seed = self.config.seed ^ (epoch as u64).wrapping_mul(0xB9B);
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut order: Vec<(usize, Outfit)> = self.sampler.pool().to_vec();
        order.shuffle(&mut rng);
        let chunks: Vec<Vec<(usize, Outfit)>> = order.chunks(256).map(<[_]>::to_vec).collect();
        chunks.into_iter().map(move |chunk| {
            let users = chunk.iter().map(|e| e.0).collect();
            let positives = chunk.iter().map(|e| e.1).collect();
            let negatives = chunk
                .iter()
                .map(|(u, o)| self.sampler.negative(*u, o, 0.5, &mut rng))
                .collect();
            (users, positives, negatives)
        })
    }

    fn step(&self, model: &OutfitMf, (users, positives, negatives): PairBatch) -> TrainOutput {
        let ids = index_tensor(&users, &self.device);
        let pos = model.scores(ids.clone(), &positives, self.set.slots);
        let neg = model.scores(ids, &negatives, self.set.slots);
        TrainOutput::new(model, bpr_loss(pos, neg), Vec::new())
    }
}

impl LossOnly for OutfitMfSteps<'_> {
    const TRAINING: &'static str = "BPR-MF over outfits";
    const LOSS: &'static str = "loss";
}
