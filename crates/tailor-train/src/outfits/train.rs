//! The training loop: one epoch of BPR over sampled outfit pairs plus the consistency hinge,
//! a checkpoint after each, and the reading back of a finished run.

use std::path::Path;
use std::time::Instant;

use burn::optim::{AdamConfig, GradientsParams};
use burn::prelude::*;
use indicatif::ProgressBar;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use tailor_data::Outfit;
use tailor_model::fhn::{CONSISTENCY_WEIGHT, CodeMode, FashionHashNet, bpr_loss};

use super::batches::{CatalogInputs, Example, Sampler, UserBatch, gather_outfits, user_codes};
use super::{OutfitSet, OutfitTrainConfig};
use crate::checkpoint::{
    CheckpointProgress, load_checkpoint, load_weights, progress_path, read_json,
    restore_checkpoint, save_checkpoint, weights_path,
};
use crate::error::TrainError;

/// What one epoch did.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OutfitEpoch {
    pub epoch: usize,
    pub beta: f32,
    pub loss: f64,
    pub bpr: f64,
    pub consistency: f64,
    pub seconds: f64,
}

/// The trained model and its epochs.
pub struct TrainedOutfits {
    pub model: FashionHashNet,
    pub epochs: Vec<OutfitEpoch>,
}

/// Trains with a checkpoint in `dir` after every epoch; a folder holding finished epochs of
/// the same config is resumed, one of another config refused.
///
/// Burn's random initialisation is seeded per process: a run is reproducible (and a resumed
/// run equal to an uninterrupted one) when no other training starts in the same process at
/// the same time.
pub fn train_outfits(
    set: &OutfitSet,
    config: &OutfitTrainConfig,
    dir: &Path,
    device: &Device,
    progress: &ProgressBar,
) -> Result<TrainedOutfits, TrainError> {
    set.check(config)?;
    let base = device;
    let device = base.clone().autodiff();
    device.seed(config.seed);
    let model = config.model.init(&device)?;
    let optimizer = AdamConfig::new().init();
    let config_json = serde_json::to_value(config).map_err(|source| TrainError::Serialize {
        what: "outfit training config",
        source,
    })?;
    let restored = restore_checkpoint::<OutfitEpoch>(dir, &config_json, true)?;
    let (mut model, mut optimizer, mut epochs) = match restored {
        Some(saved) if saved.epochs_done > 0 => {
            let (model, optimizer) = load_checkpoint(dir, saved.epochs_done, model, optimizer)?;
            (model, optimizer, saved.records)
        }
        _ => (model, optimizer, Vec::new()),
    };

    let sampler = Sampler::new(set, false);
    let catalog = CatalogInputs::new(set, &device);
    let examples: Vec<(usize, usize)> = set
        .train
        .iter()
        .enumerate()
        .flat_map(|(u, outfits)| (0..outfits.len()).map(move |i| (u, i)))
        .collect();
    let steps = examples.len().div_ceil(config.batch_size.max(1));
    progress.set_length((steps * config.epochs) as u64);
    progress.set_position((steps * epochs.len()) as u64);
    let terms = config.terms();
    for epoch in epochs.len()..config.epochs {
        let started = Instant::now();
        let mode = config.mode(epoch);
        let mut rng = ChaCha8Rng::seed_from_u64(
            config.seed ^ ((epoch as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15)),
        );
        let mut order = examples.clone();
        order.shuffle(&mut rng);
        let (mut loss_sum, mut bpr_sum, mut hinge_sum) = (0.0, 0.0, 0.0);
        for chunk in order.chunks(config.batch_size.max(1)) {
            let batch: Vec<Example> = chunk
                .iter()
                .map(|&(user, index)| {
                    let positive = set.train[user][index];
                    let request = match &set.content {
                        Some(content) if rng.random_bool(config.request_rate.clamp(0.0, 1.0)) => {
                            let items: Vec<usize> = positive.items().collect();
                            Some(content.class[items[rng.random_range(0..items.len())]])
                        }
                        _ => None,
                    };
                    Example {
                        user,
                        positive,
                        negative: sampler.negative(
                            user,
                            &positive,
                            config.hard_negative_rate,
                            &mut rng,
                        ),
                        request,
                        history: if config.model.user_ids > 0 {
                            Vec::new()
                        } else {
                            sampler.history(user, Some(index))
                        },
                    }
                })
                .collect();
            let negative_text = catalog.negative_text(&mut rng, &device);
            let (codes, hinge) =
                model.item_codes_with_consistency(&catalog.inputs, negative_text, mode);
            let users: Vec<usize> = batch.iter().map(|e| e.user).collect();
            let histories: Vec<Vec<usize>> = batch.iter().map(|e| e.history.clone()).collect();
            let requests: Vec<Option<usize>> = batch.iter().map(|e| e.request).collect();
            let user = user_codes(
                &model,
                &config.model,
                &codes,
                &catalog,
                &UserBatch {
                    users: &users,
                    histories: &histories,
                    requests: &requests,
                },
                mode,
            );
            let positives: Vec<Outfit> = batch.iter().map(|e| e.positive).collect();
            let negatives: Vec<Outfit> = batch.iter().map(|e| e.negative).collect();
            let (pos, pos_present) = gather_outfits(&codes, &positives, set.slots);
            let (neg, neg_present) = gather_outfits(&codes, &negatives, set.slots);
            let pos = model
                .outfit_scores(user.clone(), pos, pos_present)
                .total(terms);
            let neg = model.outfit_scores(user, neg, neg_present).total(terms);
            let bpr = bpr_loss(
                pos.mul_scalar(config.bpr_scale),
                neg.mul_scalar(config.bpr_scale),
            );
            let loss = bpr.clone() + hinge.clone().mul_scalar(CONSISTENCY_WEIGHT);
            loss_sum += f64::from(loss.clone().into_scalar::<f32>());
            bpr_sum += f64::from(bpr.into_scalar::<f32>());
            hinge_sum += f64::from(hinge.into_scalar::<f32>());
            let grads = GradientsParams::from_grads(loss.backward(), &model);
            model = optimizer.step(config.learning_rate, model, grads);
            progress.inc(1);
        }
        let n = steps.max(1) as f64;
        let record = OutfitEpoch {
            epoch: epoch + 1,
            beta: match mode {
                CodeMode::Relaxed { beta } => beta,
                CodeMode::Float => 0.0,
            },
            loss: loss_sum / n,
            bpr: bpr_sum / n,
            consistency: hinge_sum / n,
            seconds: started.elapsed().as_secs_f64(),
        };
        progress.set_message(format!(
            "epoch {}/{}  BPR {:.4}  consistency {:.4}",
            epoch + 1,
            config.epochs,
            record.bpr,
            record.consistency
        ));
        epochs.push(record);
        save_checkpoint(
            dir,
            &CheckpointProgress {
                config: config_json.clone(),
                epochs_done: epoch + 1,
                records: epochs.clone(),
                best_epoch: 0,
            },
            &model,
            &optimizer,
        )?;
    }
    let model = load_trained(set, config, dir, base)?;
    Ok(TrainedOutfits { model, epochs })
}

/// The finished model of a checkpoint folder, on the plain CPU device.
pub fn load_trained(
    set: &OutfitSet,
    config: &OutfitTrainConfig,
    dir: &Path,
    device: &Device,
) -> Result<FashionHashNet, TrainError> {
    let saved: CheckpointProgress<OutfitEpoch> = read_json(&progress_path(dir))?;
    if saved.epochs_done < config.epochs {
        return Err(TrainError::Checkpoint {
            path: dir.to_path_buf(),
            message: format!(
                "training stopped after epoch {} of {}; resume it first",
                saved.epochs_done, config.epochs
            ),
        });
    }
    set.check(config)?;
    let model = config.model.init(device)?;
    load_weights(model, &weights_path(dir, saved.epochs_done))
}

pub fn read_records(dir: &Path) -> Result<Vec<OutfitEpoch>, TrainError> {
    let saved: CheckpointProgress<OutfitEpoch> = read_json(&progress_path(dir))?;
    Ok(saved.records)
}
