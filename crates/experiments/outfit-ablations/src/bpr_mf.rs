//! BPR-MF over outfits, the baseline of the outfit comparison: a user vector against the mean
//! of the outfit's item vectors, trained on the same sampled pairs as Fashion Hash Net and scored
//! on the same held-out lists.

use burn::nn::{Embedding, EmbeddingConfig};
use burn::optim::{AdamConfig, GradientsParams};
use burn::prelude::*;
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use tailor_data::Outfit;
use tailor_model::fhn::bpr_loss;
use tailor_train::TrainError;
use tailor_train::outfits::{EvalLists, OutfitMetrics, OutfitSet, Sampler, gather_outfits};
use tailor_train::tensors::{index_tensor, to_vec};

/// BPR-MF over outfits: a user vector against the mean of the outfit's item vectors.
pub fn bpr_mf_outfits(
    set: &OutfitSet,
    dim: usize,
    epochs: usize,
    seed: u64,
    lists: &EvalLists,
) -> Result<OutfitMetrics, TrainError> {
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
    let device = Device::flex().autodiff();
    device.seed(seed);
    let init = |count: usize| {
        EmbeddingConfig::new(count, dim)
            .with_initializer(burn::nn::Initializer::Normal {
                mean: 0.0,
                std: 0.1,
            })
            .init(&device)
    };
    let mut model = OutfitMf {
        users: init(set.users),
        items: init(set.items()),
    };
    let mut optimizer = AdamConfig::new().init();
    let sampler = Sampler::new(set, false);
    let examples: Vec<(usize, Outfit)> = sampler.pool().to_vec();
    for epoch in 0..epochs {
        let mut rng = ChaCha8Rng::seed_from_u64(seed ^ (epoch as u64 + 1).wrapping_mul(0xB9B));
        let mut order = examples.clone();
        order.shuffle(&mut rng);
        for chunk in order.chunks(256) {
            let users: Vec<usize> = chunk.iter().map(|e| e.0).collect();
            let positives: Vec<Outfit> = chunk.iter().map(|e| e.1).collect();
            let negatives: Vec<Outfit> = chunk
                .iter()
                .map(|(u, o)| sampler.negative(*u, o, 0.5, &mut rng))
                .collect();
            let ids = index_tensor(&users, &device);
            let pos = model.scores(ids.clone(), &positives, set.slots);
            let neg = model.scores(ids, &negatives, set.slots);
            let loss = bpr_loss(pos, neg);
            let grads = GradientsParams::from_grads(loss.backward(), &model);
            model = optimizer.step(1e-2, model, grads);
        }
    }
    let model = model.valid();
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
