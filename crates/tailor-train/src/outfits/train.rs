//! Fashion Hash Net on the shared training loop ([`crate::learner::fit`]): BPR over sampled
//! outfit pairs plus the consistency hinge, a checkpoint after each epoch, and the reading back
//! of a finished run.

use burn::optim::AdamConfig;
use burn::prelude::*;
use indicatif::ProgressBar;
use rand::Rng;
use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};
use std::path::Path;
use tailor_data::Outfit;
use tailor_model::fhn::{CONSISTENCY_WEIGHT, CodeMode, FashionHashNet, bpr_loss};

use super::batches::{CatalogInputs, Example, Sampler, UserBatch, gather_outfits, user_codes};
use super::{OutfitSet, OutfitTrainConfig};
use crate::checkpoint::{CheckpointProgress, load_weights, progress_path, read_json, weights_path};
use crate::error::TrainError;
use crate::learner::{
    Checkpoints, EpochSummary, Schedule, TrainOutput, TrainStep, ValidStep, epoch_rng, fit,
};

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
    log: &dyn Fn(&str),
) -> Result<TrainedOutfits, TrainError> {
    set.check(config)?;
    let base = device;
    let device = base.clone().autodiff();
    device.seed(config.seed);
    let model = config.model.init(&device)?;
    let identity = serde_json::to_value(config).map_err(|source| TrainError::Serialize {
        what: "outfit training config",
        source,
    })?;
    let steps = OutfitSteps {
        set,
        config,
        sampler: Sampler::new(set, false),
        catalog: CatalogInputs::new(set, &device),
        examples: set
            .train
            .iter()
            .enumerate()
            .flat_map(|(u, outfits)| (0..outfits.len()).map(move |i| (u, i)))
            .collect(),
        device,
    };
    let fitted = fit(
        &steps,
        model,
        AdamConfig::new().init(),
        &Schedule::fixed(config.epochs, config.learning_rate),
        &Checkpoints::resuming(dir, identity),
        progress,
        log,
    )?;
    let model = load_trained(set, config, dir, base)?;
    Ok(TrainedOutfits {
        model,
        epochs: fitted.records,
    })
}

/// Fashion Hash Net's part of the training loop: BPR over sampled outfit pairs plus the
/// consistency hinge, with the codes' relaxation set by the epoch.
struct OutfitSteps<'a> {
    set: &'a OutfitSet,
    config: &'a OutfitTrainConfig,
    sampler: Sampler<'a>,
    catalog: CatalogInputs,
    /// Every (user, index of one of their training outfits).
    examples: Vec<(usize, usize)>,
    device: Device,
}

/// One step's examples, with what the epoch fixes for them.
struct OutfitBatch {
    examples: Vec<Example>,
    negative_text: Option<Tensor<2>>,
    mode: CodeMode,
}

impl TrainStep for OutfitSteps<'_> {
    type Model = FashionHashNet;
    type Batch = OutfitBatch;

    fn steps_per_epoch(&self) -> usize {
        self.examples.len().div_ceil(self.config.batch_size.max(1))
    }

    fn batches(&self, epoch: usize) -> impl Iterator<Item = OutfitBatch> {
        let (set, config) = (self.set, self.config);
        let mode = config.mode(epoch - 1);
        let mut rng = epoch_rng(config.seed, epoch);
        let mut order = self.examples.clone();
        order.shuffle(&mut rng);
        let chunks: Vec<Vec<(usize, usize)>> = order
            .chunks(config.batch_size.max(1))
            .map(<[_]>::to_vec)
            .collect();
        chunks.into_iter().map(move |chunk| {
            let examples = chunk
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
                        negative: self.sampler.negative(
                            user,
                            &positive,
                            config.hard_negative_rate,
                            &mut rng,
                        ),
                        request,
                        history: if config.model.user_ids > 0 {
                            Vec::new()
                        } else {
                            self.sampler.history(user, Some(index))
                        },
                    }
                })
                .collect();
            OutfitBatch {
                examples,
                negative_text: self.catalog.negative_text(&mut rng, &self.device),
                mode,
            }
        })
    }

    fn step(&self, model: &FashionHashNet, batch: OutfitBatch) -> TrainOutput {
        let OutfitBatch {
            examples,
            negative_text,
            mode,
        } = batch;
        let (codes, hinge) =
            model.item_codes_with_consistency(&self.catalog.inputs, negative_text, mode);
        let users: Vec<usize> = examples.iter().map(|e| e.user).collect();
        let histories: Vec<Vec<usize>> = examples.iter().map(|e| e.history.clone()).collect();
        let requests: Vec<Option<usize>> = examples.iter().map(|e| e.request).collect();
        let user = user_codes(
            model,
            &self.config.model,
            &codes,
            &self.catalog,
            &UserBatch {
                users: &users,
                histories: &histories,
                requests: &requests,
            },
            mode,
        );
        let positives: Vec<Outfit> = examples.iter().map(|e| e.positive).collect();
        let negatives: Vec<Outfit> = examples.iter().map(|e| e.negative).collect();
        let slots = self.set.slots;
        let (pos, pos_present) = gather_outfits(&codes, &positives, slots);
        let (neg, neg_present) = gather_outfits(&codes, &negatives, slots);
        let terms = self.config.terms();
        let pos = model
            .outfit_scores(user.clone(), pos, pos_present)
            .total(terms);
        let neg = model.outfit_scores(user, neg, neg_present).total(terms);
        let scale = self.config.bpr_scale;
        let bpr = bpr_loss(pos.mul_scalar(scale), neg.mul_scalar(scale));
        let loss = bpr.clone() + hinge.clone().mul_scalar(CONSISTENCY_WEIGHT);
        TrainOutput::new(model, loss, vec![bpr, hinge])
    }
}

impl ValidStep for OutfitSteps<'_> {
    type Valid = ();
    type Record = OutfitEpoch;

    fn validate(&self, _model: &FashionHashNet) -> Result<(), TrainError> {
        Ok(())
    }

    fn describe(&self, epoch: &EpochSummary, _valid: &()) -> String {
        format!(
            "outfit epoch {}/{}: BPR {:.4}  consistency {:.4}",
            epoch.epoch,
            self.config.epochs,
            epoch.part(0),
            epoch.part(1)
        )
    }

    fn record(&self, epoch: &EpochSummary, _valid: ()) -> OutfitEpoch {
        OutfitEpoch {
            epoch: epoch.epoch,
            beta: match self.config.mode(epoch.epoch - 1) {
                CodeMode::Relaxed { beta } => beta,
                CodeMode::Float => 0.0,
            },
            loss: epoch.loss(),
            bpr: epoch.part(0),
            consistency: epoch.part(1),
            seconds: epoch.seconds,
        }
    }
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
        return Err(TrainError::Unfinished {
            path: dir.to_path_buf(),
            epochs_done: saved.epochs_done,
            epochs: config.epochs,
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
