//! Fashion Hash Net training and evaluation over outfits.
//!
//! One trainer serves every FHN model: the browser's (users are histories of item codes), the
//! paper's (a user-id table), the float-embedding comparison and the two one-term ablations,
//! on the synthetic Fashion-MNIST outfits, on a shop's own outfit CSV, and on MovieLens as
//! single-item outfits. Each training step codes the whole catalog once (the catalogs here are a
//! few thousand items), then scores a batch of (positive, negative) outfit pairs with BPR, plus
//! the image-text code consistency hinge for items with both sides.
//!
//! Negatives are random outfits of the positive's slots, rejected while they are one of the
//! user's known positives, or, with probability `hard_negative_rate`, another user's positive.
//! Every epoch ends with a checkpoint (weights, optimizer state, records), and randomness is
//! seeded by (seed, epoch), so a killed run resumes where it stopped and ends where an
//! uninterrupted one would.

use std::collections::HashSet;
use std::path::Path;
use std::time::Instant;

use burn::optim::{AdamConfig, GradientsParams};
use burn::prelude::*;
use indicatif::ProgressBar;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use tailor_core::quant::EmbeddingMatrix;
use tailor_data::{Outfit, OutfitData};
use tailor_model::fhn::{
    CONSISTENCY_WEIGHT, CodeMode, FashionHashNet, FashionHashNetConfig, ItemInputs, OutfitTerms,
    UserInput, bpr_loss, outfit_scores,
};
use tailor_model::{History, hash_beta};

use crate::checkpoint::{
    CheckpointProgress, load_checkpoint, load_weights, progress_path, read_json,
    restore_checkpoint, save_checkpoint, weights_path,
};
use crate::error::TrainError;
use crate::tensors::{index_tensor, matrix_tensor, to_vec};

/// The Fashion-MNIST picture side and size.
const IMAGE_PIXELS: usize = 28 * 28;

#[derive(Config, Debug)]
pub struct OutfitTrainConfig {
    pub model: FashionHashNetConfig,
    #[config(default = 20)]
    pub epochs: usize,
    #[config(default = 128)]
    pub batch_size: usize,
    /// Chosen on the quick synthetic set over seeds 0-2: 0.02 and above sometimes let the
    /// codes saturate on the class text before the picture side has learnt anything.
    #[config(default = 1e-2)]
    pub learning_rate: f64,
    /// gamma of beta = sqrt(epoch * gamma + 1).
    #[config(default = 1.0)]
    pub gamma: f32,
    #[config(default = 0.25)]
    pub hard_negative_rate: f64,
    /// BPR reads (positive - negative) * this: the score is a mean over items and bits, so its
    /// differences are small, and without a scale BPR's gradient stays near its initial value.
    #[config(default = 10.0)]
    pub bpr_scale: f32,
    /// How often a history model's example comes with a request: the text of one of the
    /// positive outfit's items, so that a request can steer the user code.
    #[config(default = 0.3)]
    pub request_rate: f64,
    /// Train the preference half, the compatibility half, or both.
    #[config(default = true)]
    pub preference: bool,
    #[config(default = true)]
    pub compatibility: bool,
    /// The float-embedding comparison: codes W e, never squashed or signed.
    #[config(default = false)]
    pub float_codes: bool,
    #[config(default = 0)]
    pub seed: u64,
}

impl OutfitTrainConfig {
    pub fn terms(&self) -> OutfitTerms {
        OutfitTerms {
            preference: self.preference,
            compatibility: self.compatibility,
        }
    }

    /// The codes of a trained model: the relaxed codes of the last epoch's beta, or floats.
    pub fn final_mode(&self) -> CodeMode {
        if self.float_codes {
            CodeMode::Float
        } else {
            CodeMode::Relaxed {
                beta: hash_beta(self.epochs.saturating_sub(1), self.gamma),
            }
        }
    }

    fn mode(&self, epoch: usize) -> CodeMode {
        if self.float_codes {
            CodeMode::Float
        } else {
            CodeMode::Relaxed {
                beta: hash_beta(epoch, self.gamma),
            }
        }
    }
}

/// Item content for models with an image and a text side.
pub struct ItemContent {
    /// items x 784 grey pixels.
    pub pixels: Vec<u8>,
    /// Each item's class, an index into `class_text`.
    pub class: Vec<usize>,
    /// The text embedding of each class name, [classes, text_dim].
    pub class_text: EmbeddingMatrix,
}

/// A catalog, its users and their outfits, split for training.
pub struct OutfitSet {
    pub slots: usize,
    pub item_slot: Vec<usize>,
    pub content: Option<ItemContent>,
    pub users: usize,
    /// Per user, the training outfits in order.
    pub train: Vec<Vec<Outfit>>,
    /// Per user, the held-out outfits (may be empty).
    pub test: Vec<Vec<Outfit>>,
}

impl OutfitSet {
    /// The last `test_per_user` outfits of each user with more than that are held out.
    pub fn split(
        data: &OutfitData,
        slots: usize,
        content: Option<ItemContent>,
        test_per_user: usize,
    ) -> OutfitSet {
        let mut per_user: Vec<Vec<Outfit>> = vec![Vec::new(); data.users];
        for entry in &data.outfits {
            if let Some(outfits) = per_user.get_mut(entry.user as usize) {
                outfits.push(entry.outfit);
            }
        }
        let (mut train, mut test) = (Vec::new(), Vec::new());
        for outfits in per_user {
            let held = if outfits.len() > test_per_user {
                test_per_user
            } else {
                0
            };
            let cut = outfits.len() - held;
            train.push(outfits[..cut].to_vec());
            test.push(outfits[cut..].to_vec());
        }
        OutfitSet {
            slots,
            item_slot: data.items.iter().map(|item| item.slot).collect(),
            content,
            users: data.users,
            train,
            test,
        }
    }

    pub fn items(&self) -> usize {
        self.item_slot.len()
    }

    fn by_slot(&self) -> Vec<Vec<u32>> {
        let mut by_slot = vec![Vec::new(); self.slots];
        for (item, &slot) in self.item_slot.iter().enumerate() {
            if let Some(list) = by_slot.get_mut(slot) {
                list.push(item as u32);
            }
        }
        by_slot
    }

    fn check(&self, config: &OutfitTrainConfig) -> Result<(), TrainError> {
        let bad = |message: String| Err(TrainError::Config { message });
        if self.slots == 0 || self.slots > 5 {
            return bad(format!("{} outfit slots; 1 to 5 are supported", self.slots));
        }
        if self.train.iter().all(Vec::is_empty) {
            return bad("no training outfits".into());
        }
        if let Some(outfit) = self
            .train
            .iter()
            .chain(&self.test)
            .flatten()
            .find(|o| !self.valid(o))
        {
            return bad(format!(
                "outfit {outfit:?} has an item outside the catalog or in the wrong slot"
            ));
        }
        if config.model.slots != self.slots {
            return bad(format!(
                "the model has {} slots, the outfits {}",
                config.model.slots, self.slots
            ));
        }
        let content_model = config.model.item_ids == 0;
        if content_model != self.content.is_some() {
            return bad("the model's item side does not match the data's content".into());
        }
        if let Some(content) = &self.content {
            if content.pixels.len() != self.items() * IMAGE_PIXELS
                || content.class.len() != self.items()
                || content.class.iter().any(|&c| c >= content.class_text.rows)
                || content.class_text.dim != config.model.text_dim
            {
                return bad(
                    "item pictures, classes or class texts do not match the catalog".into(),
                );
            }
        } else if config.model.item_ids != self.items() {
            return bad(format!(
                "the id table has {} items, the catalog {}",
                config.model.item_ids,
                self.items()
            ));
        }
        if config.model.user_ids != 0 && config.model.user_ids != self.users {
            return bad(format!(
                "the user table has {} users, the data {}",
                config.model.user_ids, self.users
            ));
        }
        Ok(())
    }

    fn valid(&self, outfit: &Outfit) -> bool {
        outfit.0.iter().enumerate().all(|(slot, item)| match item {
            Some(item) => slot < self.slots && self.item_slot.get(*item as usize) == Some(&slot),
            None => true,
        }) && !outfit.is_empty()
    }
}

/// The catalog's inputs as tensors, built once per device.
struct CatalogInputs {
    inputs: ItemInputs,
    /// Per item, the text embedding rows of every other class (for the consistency hinge).
    class: Vec<usize>,
    class_text: Option<Tensor<2>>,
}

impl CatalogInputs {
    fn new(set: &OutfitSet, device: &Device) -> CatalogInputs {
        let n = set.items();
        let mut one_hot = vec![0f32; n * set.slots];
        for (item, &slot) in set.item_slot.iter().enumerate() {
            one_hot[item * set.slots + slot] = 1.0;
        }
        let slots = Tensor::from_data(TensorData::new(one_hot, [n, set.slots]), device);
        match &set.content {
            Some(content) => {
                let pixels: Vec<f32> = content
                    .pixels
                    .iter()
                    .map(|&p| f32::from(p) / 255.0)
                    .collect();
                let class_text = matrix_tensor(&content.class_text, device);
                let text = class_text
                    .clone()
                    .select(0, index_tensor(&content.class, device));
                CatalogInputs {
                    inputs: ItemInputs {
                        slots,
                        pixels: Some(Tensor::from_data(
                            TensorData::new(pixels, [n, 1, 28, 28]),
                            device,
                        )),
                        text: Some(text),
                        ids: None,
                    },
                    class: content.class.clone(),
                    class_text: Some(class_text),
                }
            }
            None => CatalogInputs {
                inputs: ItemInputs {
                    slots,
                    pixels: None,
                    text: None,
                    ids: Some(index_tensor(&(0..n).collect::<Vec<_>>(), device)),
                },
                class: Vec::new(),
                class_text: None,
            },
        }
    }

    /// Each item's text against another class's text, drawn afresh each epoch.
    fn negative_text(&self, rng: &mut ChaCha8Rng, device: &Device) -> Option<Tensor<2>> {
        let class_text = self.class_text.as_ref()?;
        let classes = class_text.dims()[0];
        if classes < 2 {
            return None;
        }
        let other: Vec<usize> = self
            .class
            .iter()
            .map(|&c| (c + 1 + rng.random_range(0..classes - 1)) % classes)
            .collect();
        Some(class_text.clone().select(0, index_tensor(&other, device)))
    }

    /// Every item's code under `mode`, without gradients' bookkeeping beyond the model's.
    fn codes(&self, model: &FashionHashNet, mode: CodeMode) -> Tensor<2> {
        model.item_codes(&self.inputs, mode)
    }
}

/// One (user, positive, negative) training example.
struct Example {
    user: usize,
    positive: Outfit,
    negative: Outfit,
    /// The class of one of the positive's items, asked for as a request.
    request: Option<usize>,
    /// The user's other training outfits' items, oldest first.
    history: Vec<usize>,
}

struct Sampler<'a> {
    set: &'a OutfitSet,
    by_slot: Vec<Vec<u32>>,
    known: Vec<HashSet<Outfit>>,
    pool: Vec<(usize, Outfit)>,
}

impl<'a> Sampler<'a> {
    fn new(set: &'a OutfitSet, include_test: bool) -> Sampler<'a> {
        let known = (0..set.users)
            .map(|u| {
                let mut known: HashSet<Outfit> = set.train[u].iter().copied().collect();
                if include_test {
                    known.extend(set.test[u].iter().copied());
                }
                known
            })
            .collect();
        let pool = set
            .train
            .iter()
            .enumerate()
            .flat_map(|(u, outfits)| outfits.iter().map(move |&o| (u, o)))
            .collect();
        Sampler {
            set,
            by_slot: set.by_slot(),
            known,
            pool,
        }
    }

    /// A random outfit with the positive's slots that the user is not known to like. Gives up
    /// after many tries (a user who likes nearly everything) and returns the last draw.
    fn random_negative(&self, user: usize, positive: &Outfit, rng: &mut ChaCha8Rng) -> Outfit {
        let mut draw = *positive;
        for _ in 0..100 {
            for (slot, item) in draw.0.iter_mut().enumerate() {
                if item.is_some()
                    && let Some(candidates) = self.by_slot.get(slot)
                    && !candidates.is_empty()
                {
                    *item = Some(candidates[rng.random_range(0..candidates.len())]);
                }
            }
            if !self.known[user].contains(&draw) {
                break;
            }
        }
        draw
    }

    fn negative(
        &self,
        user: usize,
        positive: &Outfit,
        hard_rate: f64,
        rng: &mut ChaCha8Rng,
    ) -> Outfit {
        if rng.random_bool(hard_rate.clamp(0.0, 1.0)) {
            for _ in 0..20 {
                let (other, outfit) = self.pool[rng.random_range(0..self.pool.len())];
                if other != user && !self.known[user].contains(&outfit) {
                    return outfit;
                }
            }
        }
        self.random_negative(user, positive, rng)
    }

    fn history(&self, user: usize, except: Option<usize>) -> Vec<usize> {
        self.set.train[user]
            .iter()
            .enumerate()
            .filter(|(index, _)| Some(*index) != except)
            .flat_map(|(_, outfit)| outfit.items())
            .collect()
    }
}

/// Gathers outfits' codes [batch, slots, bits] and their presence mask [batch, slots].
fn gather_outfits(codes: &Tensor<2>, outfits: &[Outfit], slots: usize) -> (Tensor<3>, Tensor<2>) {
    let device = codes.device();
    let bits = codes.dims()[1];
    let mut indices = Vec::with_capacity(outfits.len() * slots);
    let mut present = Vec::with_capacity(outfits.len() * slots);
    for outfit in outfits {
        for item in outfit.0.iter().take(slots) {
            indices.push(item.map_or(0, |i| i as usize));
            present.push(if item.is_some() { 1f32 } else { 0.0 });
        }
    }
    let gathered = codes
        .clone()
        .select(0, index_tensor(&indices, &device))
        .reshape([outfits.len(), slots, bits]);
    let present = Tensor::from_data(TensorData::new(present, [outfits.len(), slots]), &device);
    (
        gathered * present.clone().reshape([outfits.len(), slots, 1]),
        present,
    )
}

/// Who a batch's users are: ids, their histories (item indices, oldest first) and requests (a
/// class whose text is asked for).
struct UserBatch<'a> {
    users: &'a [usize],
    histories: &'a [Vec<usize>],
    requests: &'a [Option<usize>],
}

/// User codes for a batch: by id, or by history (codes looked up in `codes`) and request.
fn user_codes(
    model: &FashionHashNet,
    config: &FashionHashNetConfig,
    codes: &Tensor<2>,
    catalog: &CatalogInputs,
    batch: &UserBatch<'_>,
    mode: CodeMode,
) -> Tensor<2> {
    let UserBatch {
        users,
        histories,
        requests,
    } = *batch;
    let device = codes.device();
    if config.user_ids > 0 {
        return model.user_codes(UserInput::Ids(index_tensor(users, &device)), mode);
    }
    let rows: Vec<&[usize]> = histories.iter().map(Vec::as_slice).collect();
    let longest = rows.iter().map(|r| r.len()).max().unwrap_or(0);
    let slots = longest.clamp(1, config.max_history);
    let history = History::gather(codes.clone(), &rows, slots);
    let request = match &catalog.class_text {
        Some(class_text) if requests.iter().any(Option::is_some) => {
            let dim = class_text.dims()[1];
            // Rows without a request get a zero vector, which the model reads as none.
            let chosen: Vec<usize> = requests.iter().map(|r| r.unwrap_or(0)).collect();
            let keep: Vec<f32> = requests
                .iter()
                .map(|r| if r.is_some() { 1.0 } else { 0.0 })
                .collect();
            let keep = Tensor::<2>::from_data(TensorData::new(keep, [requests.len(), 1]), &device);
            Some(
                class_text.clone().select(0, index_tensor(&chosen, &device))
                    * keep.expand([requests.len(), dim]),
            )
        }
        _ => None,
    };
    model.user_codes(
        UserInput::History {
            history: Box::new(history),
            request,
        },
        mode,
    )
}

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
    progress: &ProgressBar,
) -> Result<TrainedOutfits, TrainError> {
    set.check(config)?;
    let device = Device::flex().autodiff();
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
    let model = load_trained(set, config, dir)?;
    Ok(TrainedOutfits { model, epochs })
}

/// The finished model of a checkpoint folder, on the plain CPU device.
pub fn load_trained(
    set: &OutfitSet,
    config: &OutfitTrainConfig,
    dir: &Path,
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
    let model = config.model.init(&Device::flex())?;
    load_weights(model, &weights_path(dir, saved.epochs_done))
}

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
    let device = Device::flex();
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

/// BPR-MF over outfits: a user vector against the mean of the outfit's item vectors.
pub fn bpr_mf_outfits(
    set: &OutfitSet,
    dim: usize,
    epochs: usize,
    seed: u64,
    lists: &EvalLists,
) -> Result<OutfitMetrics, TrainError> {
    use burn::nn::{Embedding, EmbeddingConfig};
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
    let examples: Vec<(usize, Outfit)> = sampler.pool.clone();
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

/// Reads a finished training's records, if any (for reports of resumed runs).
/// What the bundle calls an outfit catalog's slots and classes.
#[derive(Debug, Clone, PartialEq)]
pub struct OutfitNames {
    /// Slot names, required ones first.
    pub slots: Vec<String>,
    /// How many of the first slots a completed look must fill.
    pub required: usize,
    /// Class names; `OutfitItem::class` indexes them.
    pub classes: Vec<String>,
}

impl OutfitNames {
    /// The Fashion-MNIST outfits' names.
    pub fn fashion_mnist() -> Self {
        Self {
            slots: tailor_data::OUTFIT_SLOTS.map(String::from).to_vec(),
            required: tailor_data::REQUIRED_SLOTS,
            classes: tailor_data::FASHION_MNIST_CLASSES
                .map(String::from)
                .to_vec(),
        }
    }
}

pub fn read_records(dir: &Path) -> Result<Vec<OutfitEpoch>, TrainError> {
    let saved: CheckpointProgress<OutfitEpoch> = read_json(&progress_path(dir))?;
    Ok(saved.records)
}

/// The bundle's outfit part from a trained content model: binary item codes, slots, the two
/// weight vectors, item metadata and pictures, and the user encoder's weights. Returns the
/// manifest section to put into the manifest.
pub fn export_outfits(
    writer: &mut tailor_core::BundleWriter,
    model: &FashionHashNet,
    set: &OutfitSet,
    data: &OutfitData,
    names: &OutfitNames,
    config: &OutfitTrainConfig,
) -> Result<tailor_core::OutfitSection, TrainError> {
    use burn::store::{ModuleSnapshot, SafetensorsStore};
    use tailor_core::{CodeLength, OutfitBundleItem, OutfitFiles, OutfitSlot, PackedCodes};

    let codes = model_codes(model, set, config, CodeReading::Binary);
    let values = to_vec(codes.items)?;
    let length = CodeLength::new(config.model.bits)?;
    let packed = PackedCodes::from_signs(length, &values)?;
    let (user_weights, compat_weights) = model.weights();
    let (user_weights, compat_weights) = (to_vec(user_weights)?, to_vec(compat_weights)?);
    let mut store = SafetensorsStore::from_bytes(None);
    model
        .user()
        .save_into(&mut store)
        .map_err(TrainError::ExportWeights)?;
    let user_encoder = store.get_bytes().map_err(TrainError::ExportWeights)?;
    let section = tailor_core::OutfitSection {
        bits: config.model.bits,
        slots: names
            .slots
            .iter()
            .take(set.slots)
            .enumerate()
            .map(|(index, name)| OutfitSlot {
                name: name.clone(),
                required: index < names.required,
            })
            .collect(),
        item_count: set.items(),
        dim: config.model.dim,
        max_history: config.model.max_history,
        candidates_per_slot: tailor_core::OutfitSearch::default().candidates_per_slot,
        synthetic: data.synthetic,
    };
    let items: Vec<OutfitBundleItem> = data
        .items
        .iter()
        .map(|item| OutfitBundleItem {
            id: item.id.clone(),
            title: item.title.clone(),
            slot: item.slot,
            class: names.classes.get(item.class).cloned().unwrap_or_default(),
        })
        .collect();
    writer.add_outfits(&OutfitFiles {
        section: &section,
        items: &items,
        codes: &packed,
        user_weights: &user_weights,
        compat_weights: &compat_weights,
        images: Some(&data.pixels),
        user_encoder: Some(&user_encoder),
    })?;
    Ok(section)
}
