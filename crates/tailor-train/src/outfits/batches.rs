//! Training batches: the catalog as model inputs, the sampler of (user, positive, negative)
//! outfits, and the users' inputs (histories of item codes, or ids).

use std::collections::HashSet;

use burn::prelude::*;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use tailor_data::Outfit;
use tailor_model::History;
use tailor_model::fhn::{CodeMode, FashionHashNet, FashionHashNetConfig, ItemInputs, UserInput};

use super::OutfitSet;
use crate::tensors::{index_tensor, matrix_tensor};

/// The catalog's inputs as tensors, built once per device.
pub(crate) struct CatalogInputs {
    pub(crate) inputs: ItemInputs,
    /// Per item, the text embedding rows of every other class (for the consistency hinge).
    pub(crate) class: Vec<usize>,
    pub(crate) class_text: Option<Tensor<2>>,
}

impl CatalogInputs {
    pub(crate) fn new(set: &OutfitSet, device: &Device) -> CatalogInputs {
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
    pub(crate) fn negative_text(&self, rng: &mut ChaCha8Rng, device: &Device) -> Option<Tensor<2>> {
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
    pub(crate) fn codes(&self, model: &FashionHashNet, mode: CodeMode) -> Tensor<2> {
        model.item_codes(&self.inputs, mode)
    }
}

/// One (user, positive, negative) training example.
pub(crate) struct Example {
    pub(crate) user: usize,
    pub(crate) positive: Outfit,
    pub(crate) negative: Outfit,
    /// The class of one of the positive's items, asked for as a request.
    pub(crate) request: Option<usize>,
    /// The user's other training outfits' items, oldest first.
    pub(crate) history: Vec<usize>,
}

pub struct Sampler<'a> {
    pub(crate) set: &'a OutfitSet,
    pub(crate) by_slot: Vec<Vec<u32>>,
    pub(crate) known: Vec<HashSet<Outfit>>,
    pub(crate) pool: Vec<(usize, Outfit)>,
}

impl<'a> Sampler<'a> {
    /// Every training (user, outfit) pair the sampler draws positives from.
    pub fn pool(&self) -> &[(usize, Outfit)] {
        &self.pool
    }

    pub fn new(set: &'a OutfitSet, include_test: bool) -> Sampler<'a> {
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
    pub(crate) fn random_negative(
        &self,
        user: usize,
        positive: &Outfit,
        rng: &mut ChaCha8Rng,
    ) -> Outfit {
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

    /// A negative for `user`'s `positive`: with probability `hard_rate` another user's positive,
    /// otherwise a random outfit of the same slots; never one of the user's own outfits.
    pub fn negative(
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

    pub(crate) fn history(&self, user: usize, except: Option<usize>) -> Vec<usize> {
        self.set.train[user]
            .iter()
            .enumerate()
            .filter(|(index, _)| Some(*index) != except)
            .flat_map(|(_, outfit)| outfit.items())
            .collect()
    }
}

/// Gathers outfits' codes [batch, slots, bits] and their presence mask [batch, slots].
pub fn gather_outfits(
    codes: &Tensor<2>,
    outfits: &[Outfit],
    slots: usize,
) -> (Tensor<3>, Tensor<2>) {
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
pub(crate) struct UserBatch<'a> {
    pub(crate) users: &'a [usize],
    pub(crate) histories: &'a [Vec<usize>],
    pub(crate) requests: &'a [Option<usize>],
}

/// User codes for a batch: by id, or by history (codes looked up in `codes`) and request.
pub(crate) fn user_codes(
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
