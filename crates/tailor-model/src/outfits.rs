//! Complete the look: the bundle's Fashion Hash Net codes and the shopper's history, turned
//! into outfits that contain a chosen item. The browser and the native `tailor complete` both
//! go through [`OutfitCompleter`], so they give the same outfits for the same bundle.
//!
//! The history's item codes (read from the packed codes, so no float embeddings are shipped)
//! go through the bundle's user encoder, optionally queried by the request's text embedding; the
//! sign of its output is the user code b_u. tailor-core's [`OutfitCatalog`] then picks
//! candidates per slot by weighted preference and compatibility with the anchor, and searches
//! their combinations exactly.

use std::collections::HashMap;

use burn::prelude::*;
use burn::store::SafetensorsStore;
use serde::Serialize;
use tailor_core::bundle::{OUTFIT_USER_FILE, OutfitBundleItem, OutfitSection};
use tailor_core::{
    Bundle, CodeLength, DIVERSITY_POOL_PER_LOOK, OutfitCatalog, OutfitSearch, PackedCodes,
    ScoredOutfit, diversify,
};

use crate::error::{LoadError, ModelError};
use crate::fhn::{CodeMode, FashionHashNetConfig, UserEncoder, UserInput};
use crate::intention::History;
use crate::weights::apply;

/// The most outfits one call returns.
pub const MAX_OUTFITS: usize = 100;

pub struct OutfitCompleter {
    section: OutfitSection,
    catalog: OutfitCatalog,
    items: Vec<OutfitBundleItem>,
    index_of: HashMap<String, usize>,
    user: UserEncoder,
    /// 28x28 grey pictures, `items x 784`, when the bundle ships them.
    images: Option<Vec<u8>>,
    device: Device,
}

/// One item of a completed outfit, as the browser's `completeOutfit()` returns it.
#[derive(Debug, Serialize)]
pub struct LookItem<'a> {
    pub id: &'a str,
    pub title: &'a str,
    pub slot: &'a str,
    pub class: &'a str,
    pub index: usize,
}

#[derive(Debug, Serialize)]
pub struct CompletedOutfit<'a> {
    /// In slot order; the anchor is one of them.
    pub items: Vec<LookItem<'a>>,
    pub score: f32,
    pub preference: f32,
    pub compatibility: f32,
}

/// The result of one completion.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CompletedLook<'a> {
    pub anchor: &'a str,
    pub outfits: Vec<CompletedOutfit<'a>>,
    /// Whether the user code came from a history or a request (else it is the model's
    /// shopper-without-history code).
    pub personalized: bool,
    pub history_used: usize,
    /// History ids that are not outfit items (e.g. items of the main catalog); ignored.
    pub unknown_history: Vec<&'a str>,
    /// How many outfits the exact search scored.
    pub scored: usize,
    /// True when the model learnt from generated outfits; pages should say so.
    pub synthetic: bool,
}

impl OutfitCompleter {
    /// The bundle's outfit model, if it has one. `text_dim` is the width of the bundle's query
    /// encoder, which the user encoder's request projection reads.
    pub fn from_bundle(
        bundle: &Bundle,
        text_dim: usize,
        device: &Device,
    ) -> Result<Option<OutfitCompleter>, LoadError> {
        let (Some(section), Some(catalog)) =
            (bundle.manifest.outfits.clone(), bundle.outfit_catalog()?)
        else {
            return Ok(None);
        };
        let items = bundle.outfit_items()?;
        let config = FashionHashNetConfig::new(section.slots.len())
            .with_bits(section.bits)
            .with_dim(section.dim)
            .with_text_dim(text_dim)
            .with_max_history(section.max_history);
        let store = SafetensorsStore::from_bytes(Some(bundle.file(OUTFIT_USER_FILE)?.to_vec()));
        let user = apply(
            config.init_user(device)?,
            store,
            "outfit user encoder weights",
        )?;
        let index_of = items
            .iter()
            .enumerate()
            .map(|(index, item)| (item.id.clone(), index))
            .collect();
        Ok(Some(OutfitCompleter {
            section,
            catalog,
            items,
            index_of,
            user,
            images: bundle.outfit_images()?.map(<[u8]>::to_vec),
            device: device.clone(),
        }))
    }

    pub fn section(&self) -> &OutfitSection {
        &self.section
    }

    pub fn items(&self) -> &[OutfitBundleItem] {
        &self.items
    }

    /// Every item's 28x28 grey picture, `items x 784` bytes, if the bundle has them.
    pub fn images(&self) -> Option<&[u8]> {
        self.images.as_deref()
    }

    pub fn index_of(&self, id: &str) -> Option<usize> {
        self.index_of.get(id).copied()
    }

    /// b_u from outfit-item indices (most recent first; at most `max_history` are read) and a
    /// request embedding [1, text_dim], packed like the item codes. Async because a GPU can only
    /// be read back asynchronously in the browser; natively, block on it.
    pub async fn user_code(
        &self,
        recent_first: &[usize],
        request: Option<Tensor<2>>,
    ) -> Result<Vec<u64>, ModelError> {
        let length = self.catalog.length();
        let bits = length.bits();
        let kept = &recent_first[..recent_first.len().min(self.section.max_history)];
        let mut words = Vec::with_capacity(kept.len() * length.words());
        for &index in kept.iter().rev() {
            let code = self.catalog.code(index).ok_or_else(|| {
                ModelError::BadRequest(format!(
                    "history item index {index} is outside the {} outfit items",
                    self.items.len()
                ))
            })?;
            words.extend_from_slice(code);
        }
        let mut signs = PackedCodes::new(length, words).map_err(bad)?.to_signs();
        let slots = kept.len().max(1);
        let mask = vec![!kept.is_empty(); slots];
        if kept.is_empty() {
            signs = vec![0.0; bits];
        }
        let history = History {
            items: Tensor::from_data(TensorData::new(signs, [1, slots, bits]), &self.device),
            mask: Tensor::from_data(TensorData::new(mask, [1, slots]), &self.device),
        };
        // Any positive beta has the same signs; 1 keeps tanh away from rounding to zero.
        let relaxed = self.user.forward(
            UserInput::History {
                history: Box::new(history),
                request,
            },
            CodeMode::Relaxed { beta: 1.0 },
        );
        let values = relaxed
            .into_data_async()
            .await
            .map_err(|e| ModelError::Readback(format!("{e:?}")))?
            .convert::<f32>()
            .try_into_vec::<f32>()
            .map_err(|e| ModelError::Readback(format!("{e:?}")))?;
        let code =
            PackedCodes::from_signs(CodeLength::new(bits).map_err(bad)?, &values).map_err(bad)?;
        Ok(code.words().to_vec())
    }

    /// `k` different looks that contain `anchor` (an outfit item id) for a shopper with this
    /// history (ids, most recent first; ids that are not outfit items are ignored) and request:
    /// the first is the best outfit, the next ones trade a little score for variety
    /// ([`tailor_core::diversify`] with lambda `diversity`; 0 ranks by score alone).
    pub async fn complete<'a>(
        &'a self,
        anchor: &'a str,
        request: Option<Tensor<2>>,
        history: &'a [String],
        k: usize,
        diversity: f32,
    ) -> Result<CompletedLook<'a>, ModelError> {
        let anchor_index = self.index_of(anchor).ok_or_else(|| {
            ModelError::BadRequest(format!(
                "unknown anchor item {anchor:?}: it is not one of the bundle's {} outfit items",
                self.items.len()
            ))
        })?;
        if k == 0 || k > MAX_OUTFITS {
            return Err(ModelError::BadRequest(format!(
                "k must be between 1 and {MAX_OUTFITS}, got {k}"
            )));
        }
        let mut known = Vec::new();
        let mut unknown_history: Vec<&str> = Vec::new();
        for id in history {
            match self.index_of(id) {
                Some(index) => known.push(index),
                None if !unknown_history.contains(&id.as_str()) => unknown_history.push(id),
                None => {}
            }
        }
        let history_used = known.len().min(self.section.max_history);
        let personalized = history_used > 0 || request.is_some();
        let user = self.user_code(&known, request).await?;
        let search = OutfitSearch {
            candidates_per_slot: self.section.candidates_per_slot,
        };
        // The looks shown differ from each other: MMR over the best few times k outfits, so
        // that one look does not come back three times with one near-identical item swapped.
        let (ranked, scored) = self
            .catalog
            .complete_counted(&user, anchor_index, k * DIVERSITY_POOL_PER_LOOK, search)
            .map_err(bad)?;
        let outfits = diversify(ranked, anchor_index, k, diversity).map_err(bad)?;
        Ok(CompletedLook {
            anchor,
            outfits: outfits.iter().map(|o| self.describe(o)).collect(),
            personalized,
            history_used,
            unknown_history,
            scored,
            synthetic: self.section.synthetic,
        })
    }

    /// The outfit catalog in code order, each item as outfits list it (slot by name).
    pub fn catalog_items(&self) -> Vec<LookItem<'_>> {
        (0..self.items.len())
            .filter_map(|index| self.look_item(index))
            .collect()
    }

    fn look_item(&self, index: usize) -> Option<LookItem<'_>> {
        let item = self.items.get(index)?;
        Some(LookItem {
            id: &item.id,
            title: &item.title,
            slot: self
                .section
                .slots
                .get(item.slot)
                .map_or("", |s| s.name.as_str()),
            class: &item.class,
            index,
        })
    }

    fn describe(&self, outfit: &ScoredOutfit) -> CompletedOutfit<'_> {
        CompletedOutfit {
            items: outfit
                .items
                .iter()
                .filter_map(|&index| self.look_item(index))
                .collect(),
            score: outfit.score,
            preference: outfit.preference,
            compatibility: outfit.compatibility,
        }
    }
}

fn bad(error: impl ToString) -> ModelError {
    ModelError::BadRequest(error.to_string())
}
