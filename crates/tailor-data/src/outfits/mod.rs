//! Outfits for Fashion Hash Net: a shop's own outfits read from CSV, or SYNTHETIC outfits
//! generated over Fashion-MNIST images. No public data set here has real outfits with users, so
//! every figure computed from generated outfits must say they are synthetic
//! ([`OutfitData::synthetic`] is true for them).
//!
//! An outfit fills the slots [`OUTFIT_SLOTS`] in that order: top, bottom and shoes always, bag
//! and outerwear optionally.
//!
//! The generator and its model are in [`generator`], the CSV reader in [`reader`]; this module
//! holds the types both produce, which the shop reader fills too.

mod generator;
mod reader;

use serde::Serialize;

pub use generator::{SyntheticOutfitConfig, synthetic_outfits};
pub use reader::{parse_outfit_csv, read_outfit_csv};

/// Outfit slots in order; the first three are required in every outfit, the last two optional.
pub const OUTFIT_SLOTS: [&str; 5] = ["top", "bottom", "shoes", "bag", "outerwear"];
pub const REQUIRED_SLOTS: usize = 3;

/// An outfit: one item index per slot (slot order above), None for an absent optional slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Outfit(pub [Option<u32>; 5]);

impl Outfit {
    /// The item indices present, in slot order.
    pub fn items(&self) -> impl Iterator<Item = usize> + '_ {
        self.0
            .iter()
            .filter_map(|item| item.map(|item| item as usize))
    }

    /// The number of items present.
    pub fn len(&self) -> usize {
        self.0.iter().filter(|item| item.is_some()).count()
    }

    /// True only for an outfit with no items at all, which is never a valid outfit.
    pub fn is_empty(&self) -> bool {
        self.0.iter().all(Option::is_none)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UserOutfit {
    pub user: u32,
    pub outfit: Outfit,
}

#[derive(Debug, Clone, Serialize)]
pub struct OutfitItem {
    /// `fm-<train image index>` for generated items, e.g. "fm-123".
    pub id: String,
    /// Index into [`OUTFIT_SLOTS`].
    pub slot: usize,
    /// Fashion-MNIST class 0..10.
    pub class: usize,
    /// From the class name and the item's visible tone, e.g. "Dark sneaker".
    pub title: String,
}

/// What the shop's items and outfits are, whoever made them.
#[derive(Debug, Clone)]
pub struct OutfitData {
    pub items: Vec<OutfitItem>,
    /// items.len() * 784 grayscale pixels, row-major 28x28 per item (same order as items).
    pub pixels: Vec<u8>,
    pub users: usize,
    /// Every positive outfit, grouped by user (all of user 0's first, in generation order).
    pub outfits: Vec<UserOutfit>,
    /// True when generated: every figure computed from it must be labelled synthetic.
    pub synthetic: bool,
}

impl OutfitData {
    /// Item indices of that slot, ascending.
    pub fn items_of_slot(&self, slot: usize) -> Vec<usize> {
        self.items
            .iter()
            .enumerate()
            .filter(|(_, item)| item.slot == slot)
            .map(|(index, _)| index)
            .collect()
    }
}
