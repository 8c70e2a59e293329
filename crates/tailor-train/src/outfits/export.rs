//! The bundle's outfit part: packed item codes, slots and classes, the two weight vectors,
//! item metadata and pictures, and the user encoder's weights.

use tailor_data::OutfitData;
use tailor_model::fhn::FashionHashNet;

use super::codes::{CodeReading, model_codes};
use super::{OutfitSet, OutfitTrainConfig};
use crate::error::TrainError;
use crate::tensors::to_vec;

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
