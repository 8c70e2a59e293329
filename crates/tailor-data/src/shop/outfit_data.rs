//! A shop's own outfits as the outfit model reads them: the catalog items that have a slot,
//! each with a 28 x 28 grey thumbnail of its picture (resized here, in Rust, with the `image`
//! crate) and its category as its class, and the outfits over them, by shopper.

use std::collections::BTreeMap;
use std::path::Path;

use image::imageops::FilterType;

use super::Shop;
use super::error::ShopError;
use crate::fashion_mnist::FASHION_MNIST_SIDE;
use crate::outfits::{OUTFIT_SLOTS, Outfit, OutfitData, OutfitItem, UserOutfit};

/// The most slots an outfit of the model may have.
pub const MAX_SHOP_SLOTS: usize = 5;

/// A slot is required when at least this share of the outfits fill it.
const REQUIRED_SHARE: f64 = 0.9;

/// The outfit model's view of a shop.
#[derive(Debug, Clone)]
pub struct ShopOutfitData {
    /// Items are the catalog items with a slot, in catalog order; synthetic only where
    /// tailor.toml says the outfits were generated.
    pub data: OutfitData,
    /// Slot names, required ones first; `OutfitItem::slot` indexes this.
    pub slots: Vec<String>,
    /// How many of the first slots every completed look must fill.
    pub required: usize,
    /// Class names (the last step of the category path, or the slot); `OutfitItem::class`
    /// indexes this.
    pub classes: Vec<String>,
    /// Each outfit item's catalog position.
    pub catalog_index: Vec<u32>,
    /// Whether every outfit item has a picture file; without, the thumbnails are blank and the
    /// model reads the item text alone.
    pub pictures: bool,
}

impl Shop {
    /// Whether every outfit item (every catalog item with a slot) has a picture file: the rule
    /// by which [`Shop::outfit_data`] gives thumbnails or blank ones, cheap to ask on its own.
    pub fn outfit_pictures(&self) -> bool {
        self.catalog
            .items
            .iter()
            .filter(|item| !item.slot.is_empty())
            .all(|item| !item.image_is_url() && self.image_path(item).is_some())
    }

    /// The shop's outfits for the outfit model, or `None` when it has none.
    pub fn outfit_data(&self) -> Result<Option<ShopOutfitData>, ShopError> {
        if self.outfits.is_empty() {
            return Ok(None);
        }
        let outfits_path = self
            .summary
            .outfits
            .as_ref()
            .map_or_else(|| self.dir.join("outfits"), |f| f.path.clone());

        // Slots by how often outfits fill them; required ones first, then known names in their
        // usual order, then the shop's own by first use.
        let mut filled: Vec<(String, usize)> = Vec::new();
        for outfit in &self.outfits {
            for &item in &outfit.items {
                let slot = &self.catalog.items[item as usize].slot;
                match filled.iter_mut().find(|(name, _)| name == slot) {
                    Some((_, count)) => *count += 1,
                    None => filled.push((slot.clone(), 1)),
                }
            }
        }
        if filled.len() > MAX_SHOP_SLOTS {
            return Err(ShopError::TooManySlots {
                path: outfits_path,
                slots: filled.into_iter().map(|(name, _)| name).collect(),
                max: MAX_SHOP_SLOTS,
            });
        }
        let total = self.outfits.len() as f64;
        let known = |name: &str| {
            OUTFIT_SLOTS
                .iter()
                .position(|k| *k == name)
                .unwrap_or(OUTFIT_SLOTS.len())
        };
        let mut order: Vec<(bool, usize, usize, String)> = filled
            .iter()
            .enumerate()
            .map(|(first, (name, count))| {
                let required = *count as f64 >= REQUIRED_SHARE * total;
                (!required, known(name), first, name.clone())
            })
            .collect();
        order.sort();
        let mut required = order.iter().filter(|(optional, ..)| !optional).count();
        if required == 0 {
            // Every look needs one piece it is built around: the most filled slot.
            let most = filled
                .iter()
                .max_by_key(|(_, count)| *count)
                .map(|(name, _)| name.clone())
                .unwrap_or_default();
            order.sort_by_key(|(_, known, first, name)| (*name != most, *known, *first));
            required = 1;
        }
        let slots: Vec<String> = order.into_iter().map(|(.., name)| name).collect();

        let mut classes: Vec<String> = Vec::new();
        let mut items = Vec::new();
        let mut catalog_index = Vec::new();
        let mut outfit_index = vec![None; self.catalog.len()];
        let side = FASHION_MNIST_SIDE as u32;
        let pictures = self.outfit_pictures();
        let mut pixels = Vec::new();
        for (position, item) in self.catalog.items.iter().enumerate() {
            let Some(slot) = slots.iter().position(|s| *s == item.slot) else {
                continue;
            };
            let class_name = item
                .category
                .last()
                .cloned()
                .unwrap_or_else(|| item.slot.clone());
            let class = match classes.iter().position(|c| *c == class_name) {
                Some(index) => index,
                None => {
                    classes.push(class_name);
                    classes.len() - 1
                }
            };
            outfit_index[position] = Some(items.len() as u32);
            catalog_index.push(position as u32);
            items.push(OutfitItem {
                id: item.id.clone(),
                slot,
                class,
                title: item.title.clone(),
            });
            match self.image_path(item).filter(|_| pictures) {
                Some(path) => pixels.extend(thumbnail(&path, &item.id, side)?),
                None => pixels.extend(std::iter::repeat_n(0u8, (side * side) as usize)),
            }
        }

        // Shoppers in order of first appearance; outfits without one share a last "user".
        let mut users: BTreeMap<u32, u32> = BTreeMap::new();
        let mut by_user: Vec<Vec<Outfit>> = Vec::new();
        let mut anonymous = Vec::new();
        for outfit in &self.outfits {
            let mut slots_filled = [None; 5];
            for &item in &outfit.items {
                let Some(index) = outfit_index[item as usize] else {
                    continue;
                };
                slots_filled[items[index as usize].slot] = Some(index);
            }
            let built = Outfit(slots_filled);
            match outfit.user {
                Some(user) => {
                    let next = users.len() as u32;
                    let dense = *users.entry(user).or_insert(next);
                    if dense as usize == by_user.len() {
                        by_user.push(Vec::new());
                    }
                    by_user[dense as usize].push(built);
                }
                None => anonymous.push(built),
            }
        }
        if !anonymous.is_empty() {
            by_user.push(anonymous);
        }
        let outfits: Vec<UserOutfit> = by_user
            .iter()
            .enumerate()
            .flat_map(|(user, list)| {
                list.iter().map(move |&outfit| UserOutfit {
                    user: user as u32,
                    outfit,
                })
            })
            .collect();
        Ok(Some(ShopOutfitData {
            data: OutfitData {
                items,
                pixels,
                users: by_user.len(),
                outfits,
                synthetic: self.config.outfits.synthetic.is_some(),
            },
            slots,
            required,
            classes,
            catalog_index,
            pictures,
        }))
    }
}

/// A `side` x `side` grey thumbnail of a picture, row-major.
fn thumbnail(path: &Path, item: &str, side: u32) -> Result<Vec<u8>, ShopError> {
    let picture = image::ImageReader::open(path)
        .map_err(|source| ShopError::UndecodablePicture {
            path: path.to_path_buf(),
            item: item.to_string(),
            source: Box::new(image::ImageError::IoError(source)),
        })?
        .with_guessed_format()
        .map_err(|source| ShopError::UndecodablePicture {
            path: path.to_path_buf(),
            item: item.to_string(),
            source: Box::new(image::ImageError::IoError(source)),
        })?
        .decode()
        .map_err(|source| ShopError::UndecodablePicture {
            path: path.to_path_buf(),
            item: item.to_string(),
            source: Box::new(source),
        })?;
    Ok(picture
        .resize_exact(side, side, FilterType::Triangle)
        .to_luma8()
        .into_raw())
}
