//! The outfit model's files: their byte encodings, and the checks the writer runs before writing
//! them and the reader runs after reading them, kept in one place so the two agree.

use std::collections::BTreeSet;

use super::manifest::{
    OUTFIT_CODES_FILE, OUTFIT_IMAGE_BYTES, OUTFIT_IMAGES_FILE, OUTFIT_ITEMS_FILE,
    OUTFIT_TYPES_FILE, OUTFIT_WEIGHTS_FILE, OutfitBundleItem, OutfitSection,
};
use super::{bad_file, bad_manifest};
use crate::codes::{CodeLength, PackedCodes};
use crate::error::{BundleError, CoreError};

/// What [`BundleWriter::add_outfits`](super::BundleWriter::add_outfits) writes: the trained
/// FHN's values for every outfit item.
#[derive(Debug, Clone, Copy)]
pub struct OutfitFiles<'a> {
    pub section: &'a OutfitSection,
    /// In code order; each item's `slot` becomes its byte in `outfit_types.bin`.
    pub items: &'a [OutfitBundleItem],
    pub codes: &'a PackedCodes,
    pub user_weights: &'a [f32],
    pub compat_weights: &'a [f32],
    /// `item_count * 784` grayscale bytes, if the page should show the items' images.
    pub images: Option<&'a [u8]>,
    /// The user encoder's safetensors bytes, written as
    /// [`OUTFIT_USER_FILE`](super::OUTFIT_USER_FILE) when given.
    pub user_encoder: Option<&'a [u8]>,
}

/// Codes as the little-endian `u64` words of `outfit_codes.bin`.
pub fn encode_outfit_codes(codes: &PackedCodes) -> Vec<u8> {
    codes.words().iter().flat_map(|w| w.to_le_bytes()).collect()
}

/// w_u then w_c as the little-endian f32 of `outfit_weights.bin`.
pub fn encode_outfit_weights(user_weights: &[f32], compat_weights: &[f32]) -> Vec<u8> {
    user_weights
        .iter()
        .chain(compat_weights)
        .flat_map(|w| w.to_le_bytes())
        .collect()
}

/// The section's code length, or a manifest error saying why it is not one.
pub(super) fn outfit_length(section: &OutfitSection) -> Result<CodeLength, BundleError> {
    CodeLength::new(section.bits).map_err(|e| bad_manifest(format!("outfits.bits: {e}")))
}

pub(super) fn check_outfit_items(
    section: &OutfitSection,
    items: &[OutfitBundleItem],
) -> Result<(), BundleError> {
    if items.len() != section.item_count {
        return Err(bad_file(
            OUTFIT_ITEMS_FILE,
            format!(
                "it has {} items, the manifest says {}",
                items.len(),
                section.item_count
            ),
        ));
    }
    let mut ids = BTreeSet::new();
    if let Some(item) = items.iter().find(|item| !ids.insert(item.id.as_str())) {
        return Err(bad_file(
            OUTFIT_ITEMS_FILE,
            format!("item id {:?} appears twice", item.id),
        ));
    }
    if let Some((index, item)) = items
        .iter()
        .enumerate()
        .find(|(_, item)| item.slot >= section.slots.len())
    {
        return Err(bad_file(
            OUTFIT_ITEMS_FILE,
            format!(
                "item {index} ({:?}) has slot {} but the manifest lists {} slots",
                item.id,
                item.slot,
                section.slots.len()
            ),
        ));
    }
    Ok(())
}

pub(super) fn check_outfit_images(
    section: &OutfitSection,
    images: &[u8],
) -> Result<(), BundleError> {
    let expected = section.item_count.checked_mul(OUTFIT_IMAGE_BYTES);
    if expected != Some(images.len()) {
        return Err(bad_file(
            OUTFIT_IMAGES_FILE,
            format!(
                "{} bytes is not {} images of 28 x 28 bytes ({} bytes)",
                images.len(),
                section.item_count,
                section.item_count.saturating_mul(OUTFIT_IMAGE_BYTES)
            ),
        ));
    }
    Ok(())
}

/// The outfit file a catalog error that survived the size checks is about: the weights'
/// values, or else the codes and their types.
pub(super) fn outfit_file_of(error: &CoreError) -> &'static str {
    match error {
        CoreError::NonFinite { .. }
        | CoreError::WeightsTooLarge { .. }
        | CoreError::LengthMismatch { .. } => OUTFIT_WEIGHTS_FILE,
        CoreError::OutfitTypeCount { .. } | CoreError::OutfitTypeOutOfRange { .. } => {
            OUTFIT_TYPES_FILE
        }
        _ => OUTFIT_CODES_FILE,
    }
}
