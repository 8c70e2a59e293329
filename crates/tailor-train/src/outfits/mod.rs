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

use burn::prelude::*;
use tailor_core::quant::EmbeddingMatrix;
use tailor_data::{Outfit, OutfitData};
use tailor_model::fhn::{CodeMode, FashionHashNetConfig, OutfitTerms};
use tailor_model::hash_beta;

use crate::error::TrainError;

mod batches;
mod codes;
mod export;
mod train;

pub use batches::{Sampler, gather_outfits};
pub use codes::{CodeReading, Codes, EvalLists, OutfitMetrics, model_codes};
pub use export::{OutfitNames, export_outfits};
pub use train::{OutfitEpoch, TrainedOutfits, load_trained, read_records, train_outfits};

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
