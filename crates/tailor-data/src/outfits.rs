//! Outfits for Fashion Hash Net: a shop's own outfits read from CSV, or SYNTHETIC outfits
//! generated over Fashion-MNIST images. No public data set here has real outfits with users, so
//! every figure computed from generated outfits must say they are synthetic
//! ([`OutfitData::synthetic`] is true for them).
//!
//! An outfit fills the slots [`OUTFIT_SLOTS`] in that order: top, bottom and shoes always, bag
//! and outerwear optionally.
//!
//! # The generator ([`synthetic_outfits`])
//!
//! A documented generative model, so that FHN's two halves (user-item preference and item-item
//! compatibility) both have something to learn:
//!
//! - **Slots from classes.** top = {0 T-shirt/top, 2 Pullover, 6 Shirt}, bottom = {1 Trouser},
//!   shoes = {5 Sandal, 7 Sneaker, 9 Ankle boot}, bag = {8 Bag}, outerwear = {4 Coat}. Class 3
//!   Dress is not used.
//! - **Items.** For each used class, `items_per_class` training images of that class, chosen by
//!   a seeded partial shuffle. Items are ordered by slot, then class, then image index; the id of
//!   an item is `fm-<train image index>`.
//! - **Tone.** An item's mean ink (pixel / 255 over its 784 pixels), z-scored within its class
//!   over the chosen items (population standard deviation; 0 when the class has no spread). The
//!   title is the tone word and the lower-case class name: tone < -0.43 "Light", tone > 0.43
//!   "Dark", otherwise "Mid-tone" (0.43 splits a standard normal into thirds), e.g.
//!   "Dark ankle boot".
//! - **Season** of each class: T-shirt/top +1, Sandal +1, Shirt 0, Sneaker 0, Trouser 0, Bag 0,
//!   Pullover -1, Coat -1, Ankle boot -1.
//! - **Compatibility** of an outfit: minus the mean over item pairs k < l of
//!   |season_k - season_l| + |tone_k - tone_l|.
//! - **Users.** User u has a preferred tone t_u ~ N(0, 1) and a liking c_u[class] ~ N(0, 1) of
//!   every used class (drawn in slot, then class order).
//! - **Preference** of u for an outfit: the mean over its items k of c_u[class_k] - |tone_k - t_u|.
//! - **Positives.** To make one positive for u, draw `candidates` random outfits (a uniform
//!   random item for each required slot; each optional slot filled with probability
//!   `optional_rate` by a uniform random item of that slot) and keep the one with the highest
//!   utility = preference_weight * preference + compatibility_weight * compatibility +
//!   noise * Gumbel(0, 1). Repeat until u has `outfits_per_user` distinct outfits; after
//!   20 * `outfits_per_user` positives drawn without getting there, generation fails.
//!
//! Randomness is ChaCha8 seeded with `seed`: stream 0 chooses the items, stream u + 1 draws user
//! u's tastes and outfits, so the items do not depend on the number of users and a user's
//! outfits do not depend on the other users. Normal draws use Box-Muller and Gumbel draws
//! -ln(-ln U), both over U uniform in the open interval (0, 1) from 53 random bits.

use std::collections::{HashMap, HashSet};
use std::f64::consts::TAU;
use std::path::{Path, PathBuf};

use rand::seq::SliceRandom;
use rand::{Rng, RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::error::DataError;
use crate::fashion_mnist::{FASHION_MNIST_CLASSES, FASHION_MNIST_SIDE, FashionImages};

/// Outfit slots in order; the first three are required in every outfit, the last two optional.
pub const OUTFIT_SLOTS: [&str; 5] = ["top", "bottom", "shoes", "bag", "outerwear"];
pub const REQUIRED_SLOTS: usize = 3;

/// The slot names as they read in "item ... is a top, not shoes".
const SLOT_PHRASES: [&str; 5] = ["a top", "a bottom", "shoes", "a bag", "outerwear"];

/// Fashion-MNIST classes of each slot; class 3 (Dress) fits none.
const SLOT_CLASSES: [&[usize]; 5] = [&[0, 2, 6], &[1], &[5, 7, 9], &[8], &[4]];

/// Season of each class, indexed by label: +1 summer, -1 winter, 0 any (Dress is unused).
const CLASS_SEASON: [f64; 10] = [1.0, 0.0, -1.0, 0.0, -1.0, 1.0, 0.0, 0.0, 0.0, -1.0];

/// Tone z-scores past which an item is "Dark" or "Light": the tertiles of a standard normal.
const TONE_THRESHOLD: f64 = 0.43;

/// Positives drawn per wanted outfit before giving up on distinct outfits.
const ATTEMPTS_PER_OUTFIT: usize = 20;

const IMAGE_PIXELS: usize = FASHION_MNIST_SIDE * FASHION_MNIST_SIDE;

/// The header [`read_outfit_csv`] requires, exactly.
const CSV_HEADER: [&str; 6] = ["user", "top", "bottom", "shoes", "bag", "outerwear"];

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

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SyntheticOutfitConfig {
    pub seed: u64,
    pub items_per_class: usize,
    pub users: usize,
    pub outfits_per_user: usize,
    /// Random outfits drawn per generated positive.
    pub candidates: usize,
    /// Probability that each optional slot (bag, outerwear) is filled in a candidate.
    pub optional_rate: f64,
    pub preference_weight: f64,
    pub compatibility_weight: f64,
    /// Scale of the Gumbel noise on the utility.
    pub noise: f64,
}

impl Default for SyntheticOutfitConfig {
    fn default() -> Self {
        Self {
            seed: 0,
            items_per_class: 120,
            users: 400,
            outfits_per_user: 12,
            candidates: 48,
            optional_rate: 0.35,
            preference_weight: 1.0,
            compatibility_weight: 1.0,
            noise: 0.15,
        }
    }
}

impl SyntheticOutfitConfig {
    /// A smaller shop for tests and quick runs.
    pub fn quick() -> Self {
        Self {
            items_per_class: 60,
            users: 200,
            outfits_per_user: 10,
            ..Self::default()
        }
    }

    fn validate(&self) -> Result<(), DataError> {
        let counts = [
            ("items_per_class", self.items_per_class),
            ("users", self.users),
            ("outfits_per_user", self.outfits_per_user),
            ("candidates", self.candidates),
        ];
        if let Some((name, _)) = counts.iter().find(|(_, value)| *value == 0) {
            return Err(generator_error(format!(
                "{name} is 0, it must be at least 1"
            )));
        }
        if u32::try_from(self.users).is_err() {
            return Err(generator_error(format!(
                "users is {}, more than user ids can hold (u32)",
                self.users
            )));
        }
        // `contains` is false for NaN too.
        if !(0.0..=1.0).contains(&self.optional_rate) {
            return Err(generator_error(format!(
                "optional_rate is {}, it must be a probability in [0, 1]",
                self.optional_rate
            )));
        }
        let reals = [
            ("preference_weight", self.preference_weight),
            ("compatibility_weight", self.compatibility_weight),
            ("noise", self.noise),
        ];
        if let Some((name, value)) = reals.iter().find(|(_, value)| !value.is_finite()) {
            return Err(generator_error(format!(
                "{name} is {value}, it must be a finite number"
            )));
        }
        if self.noise < 0.0 {
            return Err(generator_error(format!(
                "noise is {}, a noise scale cannot be negative",
                self.noise
            )));
        }
        Ok(())
    }
}

/// Generates a SYNTHETIC shop over the training images of Fashion-MNIST, following the model in
/// the module documentation.
pub fn synthetic_outfits(
    images: &FashionImages,
    config: &SyntheticOutfitConfig,
) -> Result<OutfitData, DataError> {
    generate(images, config).map(|(data, _, _)| data)
}

/// What the generator knows about the items beyond [`OutfitItem`].
struct Shop {
    class: Vec<usize>,
    tone: Vec<f64>,
    by_slot: [Vec<u32>; 5],
}

/// One user's hidden tastes.
struct Taste {
    tone: f64,
    /// By class; Dress keeps 0.
    liking: [f64; 10],
}

impl Shop {
    /// A candidate outfit: every required slot filled, optional ones with probability `rate`.
    fn draw(&self, rng: &mut ChaCha8Rng, optional_rate: f64) -> Outfit {
        let mut outfit = [None; 5];
        for (slot, items) in self.by_slot.iter().enumerate() {
            if slot < REQUIRED_SLOTS || rng.random_bool(optional_rate) {
                outfit[slot] = Some(items[rng.random_range(0..items.len())]);
            }
        }
        Outfit(outfit)
    }

    fn compatibility(&self, outfit: &Outfit) -> f64 {
        let items: Vec<usize> = outfit.items().collect();
        let mut sum = 0.0;
        let mut pairs = 0usize;
        for (k, &a) in items.iter().enumerate() {
            for &b in &items[k + 1..] {
                sum += (CLASS_SEASON[self.class[a]] - CLASS_SEASON[self.class[b]]).abs()
                    + (self.tone[a] - self.tone[b]).abs();
                pairs += 1;
            }
        }
        if pairs == 0 { 0.0 } else { -sum / pairs as f64 }
    }

    fn preference(&self, taste: &Taste, outfit: &Outfit) -> f64 {
        let (sum, count) = outfit.items().fold((0.0, 0usize), |(sum, count), item| {
            let value = taste.liking[self.class[item]] - (self.tone[item] - taste.tone).abs();
            (sum + value, count + 1)
        });
        if count == 0 { 0.0 } else { sum / count as f64 }
    }

    /// Utility without the noise term.
    fn utility(&self, taste: &Taste, outfit: &Outfit, config: &SyntheticOutfitConfig) -> f64 {
        config.preference_weight * self.preference(taste, outfit)
            + config.compatibility_weight * self.compatibility(outfit)
    }
}

/// The generator, also returning its hidden state for the tests.
fn generate(
    images: &FashionImages,
    config: &SyntheticOutfitConfig,
) -> Result<(OutfitData, Shop, Vec<Taste>), DataError> {
    config.validate()?;
    if images.pixels.len() != images.len() * IMAGE_PIXELS {
        return Err(generator_error(format!(
            "the images hold {} pixel bytes for {} labels, expected {} per image",
            images.pixels.len(),
            images.len(),
            IMAGE_PIXELS
        )));
    }
    let (items, pixels, shop) = choose_items(images, config)?;
    let mut outfits = Vec::with_capacity(config.users * config.outfits_per_user);
    let mut tastes = Vec::with_capacity(config.users);
    for user in 0..config.users {
        // validate() checked that every user index fits in u32.
        let user_id = user as u32;
        let mut rng = ChaCha8Rng::seed_from_u64(config.seed);
        rng.set_stream(user as u64 + 1);
        let taste = draw_taste(&mut rng);
        let mut seen = HashSet::with_capacity(config.outfits_per_user);
        let mut attempts = 0usize;
        while seen.len() < config.outfits_per_user {
            if attempts >= config.outfits_per_user.saturating_mul(ATTEMPTS_PER_OUTFIT) {
                return Err(generator_error(format!(
                    "user {user} has only {} distinct outfits after {attempts} draws, {} \
                     wanted; lower outfits_per_user or raise items_per_class, candidates or noise",
                    seen.len(),
                    config.outfits_per_user
                )));
            }
            attempts += 1;
            let outfit = best_candidate(&shop, &taste, &mut rng, config);
            if seen.insert(outfit) {
                outfits.push(UserOutfit {
                    user: user_id,
                    outfit,
                });
            }
        }
        tastes.push(taste);
    }
    let data = OutfitData {
        items,
        pixels,
        users: config.users,
        outfits,
        synthetic: true,
    };
    Ok((data, shop, tastes))
}

fn choose_items(
    images: &FashionImages,
    config: &SyntheticOutfitConfig,
) -> Result<(Vec<OutfitItem>, Vec<u8>, Shop), DataError> {
    let mut rng = ChaCha8Rng::seed_from_u64(config.seed);
    rng.set_stream(0);
    let mut items = Vec::new();
    let mut pixels = Vec::new();
    let mut shop = Shop {
        class: Vec::new(),
        tone: Vec::new(),
        by_slot: Default::default(),
    };
    for (slot, classes) in SLOT_CLASSES.iter().enumerate() {
        for &class in *classes {
            let mut pool: Vec<usize> = images
                .labels
                .iter()
                .enumerate()
                .filter(|(_, label)| usize::from(**label) == class)
                .map(|(index, _)| index)
                .collect();
            if pool.len() < config.items_per_class {
                return Err(generator_error(format!(
                    "items_per_class is {}, but class {class} ({}) has only {} images",
                    config.items_per_class,
                    FASHION_MNIST_CLASSES[class],
                    pool.len()
                )));
            }
            let (chosen, _) = pool.partial_shuffle(&mut rng, config.items_per_class);
            let mut chosen = chosen.to_vec();
            chosen.sort_unstable();
            let inks: Vec<f64> = chosen
                .iter()
                .map(|&image| mean_ink(images.image(image)))
                .collect();
            for (&image, tone) in chosen.iter().zip(z_scores(&inks)) {
                let index = u32::try_from(items.len()).map_err(|_| {
                    generator_error("more items than item indices can hold (u32)".to_string())
                })?;
                items.push(OutfitItem {
                    id: format!("fm-{image}"),
                    slot,
                    class,
                    title: title(class, tone),
                });
                pixels.extend_from_slice(images.image(image));
                shop.class.push(class);
                shop.tone.push(tone);
                shop.by_slot[slot].push(index);
            }
        }
    }
    Ok((items, pixels, shop))
}

fn draw_taste(rng: &mut ChaCha8Rng) -> Taste {
    let tone = normal(rng);
    let mut liking = [0.0; 10];
    for &class in SLOT_CLASSES.iter().flat_map(|classes| classes.iter()) {
        liking[class] = normal(rng);
    }
    Taste { tone, liking }
}

/// The highest-utility outfit of `config.candidates` random ones, with Gumbel noise.
fn best_candidate(
    shop: &Shop,
    taste: &Taste,
    rng: &mut ChaCha8Rng,
    config: &SyntheticOutfitConfig,
) -> Outfit {
    let score = |rng: &mut ChaCha8Rng| {
        let outfit = shop.draw(rng, config.optional_rate);
        let utility = shop.utility(taste, &outfit, config) + config.noise * gumbel(rng);
        (utility, outfit)
    };
    let (mut best_utility, mut best) = score(rng);
    for _ in 1..config.candidates {
        let (utility, outfit) = score(rng);
        if utility > best_utility {
            (best_utility, best) = (utility, outfit);
        }
    }
    best
}

fn mean_ink(image: &[u8]) -> f64 {
    let total: u64 = image.iter().map(|&pixel| u64::from(pixel)).sum();
    total as f64 / (255.0 * image.len().max(1) as f64)
}

/// Population z-scores; all 0 when the values have no spread.
fn z_scores(values: &[f64]) -> Vec<f64> {
    let n = values.len().max(1) as f64;
    let mean = values.iter().sum::<f64>() / n;
    let std = (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n).sqrt();
    values
        .iter()
        .map(|v| {
            if std > 0.0 && std.is_finite() {
                (v - mean) / std
            } else {
                0.0
            }
        })
        .collect()
}

fn title(class: usize, tone: f64) -> String {
    let word = if tone < -TONE_THRESHOLD {
        "Light"
    } else if tone > TONE_THRESHOLD {
        "Dark"
    } else {
        "Mid-tone"
    };
    format!("{word} {}", FASHION_MNIST_CLASSES[class].to_lowercase())
}

/// Uniform in the open interval (0, 1), so that logarithms stay finite.
fn open_unit(rng: &mut ChaCha8Rng) -> f64 {
    ((rng.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
}

/// Standard normal by Box-Muller.
fn normal(rng: &mut ChaCha8Rng) -> f64 {
    let radius = (-2.0 * open_unit(rng).ln()).sqrt();
    let angle = TAU * open_unit(rng);
    radius * angle.cos()
}

/// Standard Gumbel by inversion.
fn gumbel(rng: &mut ChaCha8Rng) -> f64 {
    -(-open_unit(rng).ln()).ln()
}

fn generator_error(message: String) -> DataError {
    DataError::SyntheticOutfits { message }
}

/// Reads a shop's outfits: CSV with the exact header `user,top,bottom,shoes,bag,outerwear`, one
/// outfit per row, an item id of `items` per slot, an empty cell for an absent optional slot.
/// Cells are trimmed; a leading UTF-8 byte order mark is ignored. User ids are strings, mapped
/// to dense u32 in order of first appearance (returned too). Outfits come back grouped by user,
/// each user's in file order; a repeated row of a user is kept once. If `items` repeats an id,
/// its first item is meant.
pub fn read_outfit_csv(
    path: &Path,
    items: &[OutfitItem],
) -> Result<(Vec<String>, Vec<UserOutfit>), DataError> {
    let bytes = std::fs::read(path).map_err(DataError::io(path))?;
    parse_outfit_bytes(path, &bytes, items)
}

/// The core of [`read_outfit_csv`], over text already read; `path_for_errors` names it in errors.
pub fn parse_outfit_csv(
    path_for_errors: &Path,
    text: &str,
    items: &[OutfitItem],
) -> Result<(Vec<String>, Vec<UserOutfit>), DataError> {
    parse_outfit_bytes(path_for_errors, text.as_bytes(), items)
}

fn parse_outfit_bytes(
    path: &Path,
    bytes: &[u8],
    items: &[OutfitItem],
) -> Result<(Vec<String>, Vec<UserOutfit>), DataError> {
    let bad = |line: u64, message: String| DataError::OutfitCsv {
        path: PathBuf::from(path),
        line: usize::try_from(line).unwrap_or(usize::MAX),
        message,
    };
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    // The header is read as a record so that its line and an empty file are ours to report.
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(bytes);
    let mut record = csv::StringRecord::new();

    let header_line = match next_record(&mut reader, &mut record).map_err(|(l, m)| bad(l, m))? {
        Some(line) => line,
        None => {
            return Err(bad(
                1,
                format!(
                    "the file is empty; expected the header `{}`",
                    CSV_HEADER.join(",")
                ),
            ));
        }
    };
    if !record.iter().eq(CSV_HEADER) {
        let found: Vec<&str> = record.iter().collect();
        return Err(bad(
            header_line,
            format!(
                "the header is {:?}, expected `{}` (exactly these columns, in this order)",
                found.join(","),
                CSV_HEADER.join(",")
            ),
        ));
    }

    let mut by_id: HashMap<&str, usize> = HashMap::with_capacity(items.len());
    for (index, item) in items.iter().enumerate() {
        by_id.entry(item.id.as_str()).or_insert(index);
    }
    let mut users: Vec<String> = Vec::new();
    let mut user_index: HashMap<String, u32> = HashMap::new();
    // Per user: outfits in file order, and the set that drops repeats.
    let mut outfits: Vec<(Vec<Outfit>, HashSet<Outfit>)> = Vec::new();

    while let Some(line) = next_record(&mut reader, &mut record).map_err(|(l, m)| bad(l, m))? {
        let outfit = parse_row(&record, &by_id, items).map_err(|message| bad(line, message))?;
        let user = &record[0];
        let index = match user_index.get(user) {
            Some(&index) => index,
            None => {
                let index = u32::try_from(users.len())
                    .map_err(|_| bad(line, "more users than u32 ids can hold".to_string()))?;
                users.push(user.to_string());
                user_index.insert(user.to_string(), index);
                outfits.push((Vec::new(), HashSet::new()));
                index
            }
        };
        let (list, seen) = &mut outfits[index as usize];
        if seen.insert(outfit) {
            list.push(outfit);
        }
    }
    if users.is_empty() {
        return Err(bad(
            header_line,
            "the file has the header but no outfits below it".to_string(),
        ));
    }
    let outfits = outfits
        .into_iter()
        .zip(0u32..)
        .flat_map(|((list, _), user)| {
            list.into_iter()
                .map(move |outfit| UserOutfit { user, outfit })
        })
        .collect();
    Ok((users, outfits))
}

/// Reads the next record; `Ok(Some(line))` gives the line it starts on, `Ok(None)` the end.
fn next_record(
    reader: &mut csv::Reader<&[u8]>,
    record: &mut csv::StringRecord,
) -> Result<Option<u64>, (u64, String)> {
    let before = reader.position().line();
    match reader.read_record(record) {
        Ok(more) => Ok(more.then(|| record.position().map_or(before, |p| p.line()))),
        Err(error) => Err(csv_error(&error, before)),
    }
}

/// Checks one data row (its user is read by the caller) and returns its outfit.
fn parse_row(
    record: &csv::StringRecord,
    by_id: &HashMap<&str, usize>,
    items: &[OutfitItem],
) -> Result<Outfit, String> {
    if record.len() != CSV_HEADER.len() {
        // An unclosed quote swallows the following lines into one field.
        let hint = if record.iter().any(|field| field.contains(['\n', '\r'])) {
            "; a quoted field runs over several lines, is a closing quote missing?"
        } else {
            ""
        };
        return Err(format!(
            "expected {} fields (`{}`), found {}{hint}",
            CSV_HEADER.len(),
            CSV_HEADER.join(","),
            record.len()
        ));
    }
    if record[0].is_empty() {
        return Err("the user is empty".to_string());
    }
    let mut outfit = [None; 5];
    for (slot, column) in OUTFIT_SLOTS.iter().enumerate() {
        let id = &record[slot + 1];
        if id.is_empty() {
            if slot < REQUIRED_SLOTS {
                return Err(format!(
                    "column {column:?} is empty, but every outfit needs a top, a bottom and shoes"
                ));
            }
            continue;
        }
        let Some(&index) = by_id.get(id) else {
            return Err(format!(
                "item {id:?} in column {column:?} is not in the catalog"
            ));
        };
        let item_slot = items[index].slot;
        if item_slot != slot {
            let is = SLOT_PHRASES
                .get(item_slot)
                .copied()
                .unwrap_or("of an unknown slot");
            return Err(format!(
                "item {id:?} in column {column:?} is {is}, not {}",
                SLOT_PHRASES[slot]
            ));
        }
        outfit[slot] = Some(
            u32::try_from(index)
                .map_err(|_| "more items than u32 item indices can hold".to_string())?,
        );
    }
    Ok(Outfit(outfit))
}

/// The line and message of a CSV reader error.
fn csv_error(error: &csv::Error, fallback_line: u64) -> (u64, String) {
    match error.kind() {
        csv::ErrorKind::Utf8 { pos, err } => (
            pos.as_ref().map_or(fallback_line, |p| p.line()),
            format!("field {} is not valid UTF-8 text", err.field() + 1),
        ),
        _ => (
            error.position().map_or(fallback_line, |p| p.line()),
            error.to_string(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fashion_mnist::{FASHION_MNIST_DIR, read_split};
    use std::sync::OnceLock;

    /// The training split, read once for all tests of this process.
    fn train() -> &'static FashionImages {
        static TRAIN: OnceLock<FashionImages> = OnceLock::new();
        TRAIN.get_or_init(|| {
            let dir = Path::new(FASHION_MNIST_DIR);
            read_split(
                &dir.join("train-images-idx3-ubyte.gz"),
                &dir.join("train-labels-idx1-ubyte.gz"),
            )
            .expect("Fashion-MNIST is installed (apt-get install dataset-fashion-mnist)")
        })
    }

    /// A small shop: enough users for the statistics, quick to generate in a debug build.
    fn small() -> SyntheticOutfitConfig {
        SyntheticOutfitConfig {
            items_per_class: 20,
            users: 12,
            outfits_per_user: 6,
            ..SyntheticOutfitConfig::default()
        }
    }

    #[test]
    fn configs_have_the_documented_defaults() {
        let config = SyntheticOutfitConfig::default();
        assert_eq!(
            (config.seed, config.items_per_class, config.users),
            (0, 120, 400)
        );
        assert_eq!((config.outfits_per_user, config.candidates), (12, 48));
        assert_eq!(config.optional_rate, 0.35);
        assert_eq!(
            (
                config.preference_weight,
                config.compatibility_weight,
                config.noise
            ),
            (1.0, 1.0, 0.15)
        );
        let quick = SyntheticOutfitConfig::quick();
        assert_eq!(
            (quick.items_per_class, quick.users, quick.outfits_per_user),
            (60, 200, 10)
        );
        let json = serde_json::to_string(&quick).unwrap();
        assert_eq!(
            serde_json::from_str::<SyntheticOutfitConfig>(&json).unwrap(),
            quick
        );
    }

    #[test]
    fn same_seed_same_data_other_seed_other_outfits() {
        let config = small();
        let a = synthetic_outfits(train(), &config).unwrap();
        let b = synthetic_outfits(train(), &config).unwrap();
        let ids = |data: &OutfitData| -> Vec<(String, String)> {
            data.items
                .iter()
                .map(|item| (item.id.clone(), item.title.clone()))
                .collect()
        };
        assert_eq!(ids(&a), ids(&b));
        assert_eq!(a.pixels, b.pixels);
        assert_eq!(a.outfits, b.outfits);
        assert!(a.synthetic);

        let other = synthetic_outfits(
            train(),
            &SyntheticOutfitConfig {
                seed: 1,
                ..config.clone()
            },
        )
        .unwrap();
        assert_ne!(ids(&a), ids(&other));
        assert_ne!(a.outfits, other.outfits);

        // Separate streams: more users change neither the items nor the first users' outfits.
        let more = synthetic_outfits(
            train(),
            &SyntheticOutfitConfig {
                users: config.users + 3,
                ..config.clone()
            },
        )
        .unwrap();
        assert_eq!(ids(&a), ids(&more));
        assert_eq!(a.outfits[..], more.outfits[..a.outfits.len()]);
    }

    #[test]
    fn items_and_outfits_have_the_documented_shape() {
        let config = small();
        let images = train();
        let data = synthetic_outfits(images, &config).unwrap();
        assert_eq!(data.items.len(), 9 * config.items_per_class);
        assert_eq!(data.pixels.len(), data.items.len() * IMAGE_PIXELS);
        assert_eq!(data.users, config.users);
        assert_eq!(data.outfits.len(), config.users * config.outfits_per_user);

        // Ordered by slot, then class, then image index; pixels and class from that image.
        let mut previous = None;
        for (index, item) in data.items.iter().enumerate() {
            let image: usize = item.id.strip_prefix("fm-").unwrap().parse().unwrap();
            let key = (item.slot, item.class, image);
            assert!(previous < Some(key), "{item:?} is out of order");
            previous = Some(key);
            assert!(SLOT_CLASSES[item.slot].contains(&item.class));
            assert_eq!(usize::from(images.labels[image]), item.class);
            assert_eq!(
                &data.pixels[index * IMAGE_PIXELS..(index + 1) * IMAGE_PIXELS],
                images.image(image)
            );
        }
        assert!(data.items.iter().all(|item| item.class != 3));
        let tops = data.items_of_slot(0);
        assert_eq!(tops.len(), 3 * config.items_per_class);
        assert!(tops.windows(2).all(|pair| pair[0] < pair[1]));
        assert_eq!(data.items_of_slot(3).len(), config.items_per_class);

        // Grouped by user, distinct within a user, required slots filled with the right items.
        assert!(data.outfits.windows(2).all(|w| w[0].user <= w[1].user));
        for user in 0..config.users as u32 {
            let own: HashSet<Outfit> = data
                .outfits
                .iter()
                .filter(|o| o.user == user)
                .map(|o| o.outfit)
                .collect();
            assert_eq!(own.len(), config.outfits_per_user);
        }
        for UserOutfit { outfit, .. } in &data.outfits {
            assert!(outfit.0[..REQUIRED_SLOTS].iter().all(Option::is_some));
            for (slot, item) in outfit.0.iter().enumerate() {
                if let Some(item) = item {
                    assert_eq!(data.items[*item as usize].slot, slot);
                }
            }
            assert!((REQUIRED_SLOTS..=5).contains(&outfit.len()));
            assert_eq!(outfit.items().count(), outfit.len());
        }
    }

    #[test]
    fn optional_slots_follow_optional_rate() {
        let config = small();
        let (_, shop, _) = generate(train(), &config).unwrap();
        // Candidates fill each optional slot at optional_rate.
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        let draws = 4000;
        let mut filled = [0usize; 5];
        for _ in 0..draws {
            let outfit = shop.draw(&mut rng, config.optional_rate);
            for (slot, item) in outfit.0.iter().enumerate() {
                filled[slot] += usize::from(item.is_some());
            }
        }
        assert_eq!(&filled[..REQUIRED_SLOTS], &[draws; REQUIRED_SLOTS]);
        for count in &filled[REQUIRED_SLOTS..] {
            let rate = *count as f64 / draws as f64;
            assert!((rate - config.optional_rate).abs() < 0.04, "{rate}");
        }
        // Positives keep optional items in a loose band around the rate: the argmax prefers
        // coats less often, since a coat's winter season clashes with summer tops and shoes.
        let data = synthetic_outfits(train(), &SyntheticOutfitConfig::quick()).unwrap();
        let outfits = data.outfits.len() as f64;
        for (slot, name) in OUTFIT_SLOTS.iter().enumerate().skip(REQUIRED_SLOTS) {
            let rate = data
                .outfits
                .iter()
                .filter(|o| o.outfit.0[slot].is_some())
                .count() as f64
                / outfits;
            assert!((0.05..0.5).contains(&rate), "{name} {rate}");
        }
        // The extremes: never and always.
        for (rate, expected) in [(0.0, 3), (1.0, 5)] {
            let data = synthetic_outfits(
                train(),
                &SyntheticOutfitConfig {
                    optional_rate: rate,
                    users: 3,
                    ..small()
                },
            )
            .unwrap();
            assert!(data.outfits.iter().all(|o| o.outfit.len() == expected));
        }
    }

    #[test]
    fn positives_carry_compatibility_and_preference_signal() {
        let config = SyntheticOutfitConfig::quick();
        let (data, shop, tastes) = generate(train(), &config).unwrap();
        let mean = |values: &mut dyn Iterator<Item = f64>| {
            let (sum, count) = values.fold((0.0, 0.0), |(s, n), v| (s + v, n + 1.0));
            sum / count
        };

        // Compatibility: positives against random outfits of the same shop.
        let positive = mean(&mut data.outfits.iter().map(|o| shop.compatibility(&o.outfit)));
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let random = mean(
            &mut (0..4000).map(|_| shop.compatibility(&shop.draw(&mut rng, config.optional_rate))),
        );
        assert!(
            positive > random + 0.5,
            "positives {positive}, random {random}"
        );

        // Preference: a user likes their own positives more than other users' positives.
        let mut gap = 0.0;
        for (user, taste) in tastes.iter().enumerate() {
            let (own, other): (Vec<&UserOutfit>, Vec<&UserOutfit>) =
                data.outfits.iter().partition(|o| o.user as usize == user);
            gap += mean(&mut own.iter().map(|o| shop.preference(taste, &o.outfit)))
                - mean(&mut other.iter().map(|o| shop.preference(taste, &o.outfit)));
        }
        gap /= tastes.len() as f64;
        assert!(gap > 0.3, "own minus others' preference {gap}");

        // Without the preference term, the user signal is gone.
        let (data, shop, tastes) = generate(
            train(),
            &SyntheticOutfitConfig {
                preference_weight: 0.0,
                users: 40,
                ..config
            },
        )
        .unwrap();
        let mut gap = 0.0;
        for (user, taste) in tastes.iter().enumerate() {
            let (own, other): (Vec<&UserOutfit>, Vec<&UserOutfit>) =
                data.outfits.iter().partition(|o| o.user as usize == user);
            gap += mean(&mut own.iter().map(|o| shop.preference(taste, &o.outfit)))
                - mean(&mut other.iter().map(|o| shop.preference(taste, &o.outfit)));
        }
        gap /= tastes.len() as f64;
        assert!(gap.abs() < 0.15, "{gap}");
    }

    #[test]
    fn titles_follow_tone() {
        let data = synthetic_outfits(train(), &small()).unwrap();
        let ink = |index: usize| mean_ink(&data.pixels[index * IMAGE_PIXELS..][..IMAGE_PIXELS]);
        assert_eq!(title(9, 1.0), "Dark ankle boot");
        assert_eq!(title(2, -1.0), "Light pullover");
        assert_eq!(title(0, 0.0), "Mid-tone t-shirt/top");
        for classes in SLOT_CLASSES {
            for &class in classes {
                let class_name = FASHION_MNIST_CLASSES[class].to_lowercase();
                let of = |word: &str| -> Vec<f64> {
                    let wanted = format!("{word} {class_name}");
                    (0..data.items.len())
                        .filter(|&i| data.items[i].class == class && data.items[i].title == wanted)
                        .map(ink)
                        .collect()
                };
                let (dark, mid, light) = (of("Dark"), of("Mid-tone"), of("Light"));
                assert_eq!(
                    dark.len() + mid.len() + light.len(),
                    small().items_per_class
                );
                assert!(!dark.is_empty() && !light.is_empty(), "{class_name}");
                let least_dark = dark.iter().copied().fold(f64::INFINITY, f64::min);
                let most_light = light.iter().copied().fold(0.0, f64::max);
                assert!(least_dark > most_light, "{class_name}");
            }
        }
        // Tones are z-scores, and a class without spread gets tone 0.
        let tones = z_scores(&[0.1, 0.2, 0.3]);
        assert!((tones.iter().sum::<f64>()).abs() < 1e-12);
        assert!((tones[2] - 1.5f64.sqrt()).abs() < 1e-12);
        assert_eq!(z_scores(&[0.4, 0.4]), vec![0.0, 0.0]);
    }

    #[test]
    fn bad_configs_are_refused() {
        let refused = |config: SyntheticOutfitConfig, needle: &str| {
            let error = synthetic_outfits(train(), &config).unwrap_err().to_string();
            assert!(error.contains(needle), "{error}");
            assert!(
                error.starts_with("cannot generate synthetic outfits"),
                "{error}"
            );
        };
        refused(
            SyntheticOutfitConfig {
                items_per_class: 0,
                ..small()
            },
            "items_per_class is 0",
        );
        refused(
            SyntheticOutfitConfig {
                users: 0,
                ..small()
            },
            "users is 0",
        );
        refused(
            SyntheticOutfitConfig {
                outfits_per_user: 0,
                ..small()
            },
            "outfits_per_user is 0",
        );
        refused(
            SyntheticOutfitConfig {
                candidates: 0,
                ..small()
            },
            "candidates is 0",
        );
        for rate in [-0.1, 1.5, f64::NAN] {
            refused(
                SyntheticOutfitConfig {
                    optional_rate: rate,
                    ..small()
                },
                "optional_rate",
            );
        }
        refused(
            SyntheticOutfitConfig {
                preference_weight: f64::INFINITY,
                ..small()
            },
            "preference_weight is inf",
        );
        refused(
            SyntheticOutfitConfig {
                compatibility_weight: f64::NAN,
                ..small()
            },
            "compatibility_weight is NaN",
        );
        refused(
            SyntheticOutfitConfig {
                noise: -1.0,
                ..small()
            },
            "noise is -1",
        );
        refused(
            SyntheticOutfitConfig {
                items_per_class: 6001,
                ..small()
            },
            "class 0 (T-shirt/top) has only 6000 images",
        );
        // One item per class and no optional slots: 9 possible outfits, 10 wanted.
        refused(
            SyntheticOutfitConfig {
                items_per_class: 1,
                optional_rate: 0.0,
                outfits_per_user: 10,
                ..small()
            },
            "user 0 has only",
        );
        // Images whose pixels do not match their labels.
        let broken = FashionImages {
            pixels: vec![0; 10],
            labels: vec![0; 2],
        };
        let error = synthetic_outfits(&broken, &small())
            .unwrap_err()
            .to_string();
        assert!(error.contains("10 pixel bytes for 2 labels"), "{error}");
    }

    /// Two tops, and one item of every other slot.
    fn catalog() -> Vec<OutfitItem> {
        [
            (1, 0, 0),
            (2, 1, 1),
            (3, 2, 7),
            (4, 3, 8),
            (5, 4, 4),
            (6, 0, 2),
        ]
        .into_iter()
        .map(|(n, slot, class)| OutfitItem {
            id: format!("fm-{n}"),
            slot,
            class,
            title: format!("item {n}"),
        })
        .collect()
    }

    fn parse(text: &str) -> Result<(Vec<String>, Vec<UserOutfit>), DataError> {
        parse_outfit_csv(Path::new("outfits.csv"), text, &catalog())
    }

    /// The line and message of a row error.
    fn row_error(text: &str) -> (usize, String) {
        match parse(text) {
            Err(DataError::OutfitCsv {
                path,
                line,
                message,
            }) => {
                assert_eq!(path, Path::new("outfits.csv"));
                (line, message)
            }
            other => panic!("expected an outfit CSV error, got {other:?}"),
        }
    }

    const HEADER: &str = "user,top,bottom,shoes,bag,outerwear\n";

    #[test]
    fn csv_round_trips_generated_outfits() {
        let data = synthetic_outfits(train(), &small()).unwrap();
        let kept: Vec<UserOutfit> = data
            .outfits
            .iter()
            .copied()
            .filter(|o| o.user < 4)
            .collect();
        let cell =
            |item: Option<u32>| item.map_or(String::new(), |i| data.items[i as usize].id.clone());
        let mut text = String::from(HEADER);
        let mut rows: Vec<String> = kept
            .iter()
            .map(|o| {
                let cells: Vec<String> = o.outfit.0.iter().map(|&item| cell(item)).collect();
                format!("shopper-{},{}", o.user, cells.join(","))
            })
            .collect();
        // A repeated row is kept once.
        rows.push(rows[1].clone());
        text.push_str(&rows.join("\n"));
        let (users, outfits) =
            parse_outfit_csv(Path::new("outfits.csv"), &text, &data.items).unwrap();
        assert_eq!(users, ["shopper-0", "shopper-1", "shopper-2", "shopper-3"]);
        assert_eq!(outfits, kept);

        // Interleaved users come back grouped, in order of first appearance; spaces, CRLF and a
        // byte order mark are tolerated.
        let text = "\u{feff}user,top,bottom,shoes,bag,outerwear\r\n\
                    b, fm-1 ,fm-2,fm-3,,\r\n\
                    a,fm-6,fm-2,fm-3,fm-4,fm-5\r\n\
                    \r\n\
                    b,fm-6,fm-2,fm-3,,fm-5\r\n";
        let (users, outfits) = parse(text).unwrap();
        assert_eq!(users, ["b", "a"]);
        let outfit = |items: [Option<u32>; 5]| Outfit(items);
        assert_eq!(
            outfits,
            [
                UserOutfit {
                    user: 0,
                    outfit: outfit([Some(0), Some(1), Some(2), None, None])
                },
                UserOutfit {
                    user: 0,
                    outfit: outfit([Some(5), Some(1), Some(2), None, Some(4)])
                },
                UserOutfit {
                    user: 1,
                    outfit: outfit([Some(5), Some(1), Some(2), Some(3), Some(4)])
                },
            ]
        );

        // The file reader gives the same.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("outfits.csv");
        std::fs::write(&path, text).unwrap();
        assert_eq!(
            read_outfit_csv(&path, &catalog()).unwrap(),
            (users, outfits)
        );
    }

    #[test]
    fn malformed_csv_rows_report_their_line() {
        let good = "u1,fm-1,fm-2,fm-3,,\n";
        let cases: [(String, usize, &str); 9] = [
            (
                format!("{HEADER}{good}{good}u2,fm-1,fm-2,fm-3\n"),
                4,
                "expected 6 fields (`user,top,bottom,shoes,bag,outerwear`), found 4",
            ),
            (
                format!("{HEADER}{good}u2,fm-1,fm-2,fm-3,,,\n"),
                3,
                "expected 6 fields (`user,top,bottom,shoes,bag,outerwear`), found 7",
            ),
            (
                format!("{HEADER}{good} ,fm-1,fm-2,fm-3,,\n"),
                3,
                "the user is empty",
            ),
            (
                format!("{HEADER}u1,fm-1,,fm-3,fm-4,\n"),
                2,
                "column \"bottom\" is empty, but every outfit needs a top, a bottom and shoes",
            ),
            (
                format!("{HEADER}{good}{good}{good}{good}{good}u1,fm-1,fm-2,fm-99,,\n"),
                7,
                "item \"fm-99\" in column \"shoes\" is not in the catalog",
            ),
            (
                format!("{HEADER}{good}{good}{good}{good}{good}u1,fm-1,fm-2,fm-6,,\n"),
                7,
                "item \"fm-6\" in column \"shoes\" is a top, not shoes",
            ),
            (
                format!("{HEADER}u1,fm-1,fm-2,fm-3,fm-5,\n"),
                2,
                "item \"fm-5\" in column \"bag\" is outerwear, not a bag",
            ),
            // An unclosed quote swallows the rest of the file into one field.
            (
                format!("{HEADER}{good}u1,\"fm-1,fm-2,fm-3,,\n{good}"),
                3,
                "expected 6 fields (`user,top,bottom,shoes,bag,outerwear`), found 2; a quoted \
                 field runs over several lines, is a closing quote missing?",
            ),
            // Text after a closing quote is kept as part of the id, then not found.
            (
                format!("{HEADER}u1,\"fm-1\"x,fm-2,fm-3,,\n"),
                2,
                "item \"fm-1x\" in column \"top\" is not in the catalog",
            ),
        ];
        for (text, line, message) in cases {
            let (found_line, found) = row_error(&text);
            assert_eq!((found_line, found.as_str()), (line, message), "{text}");
        }
        // The Display names the file and the line.
        let error = parse(&format!(
            "{HEADER}{good}{good}{good}{good}{good}u1,fm-1,fm-2,fm-6,,\n"
        ))
        .unwrap_err()
        .to_string();
        assert_eq!(
            error,
            "outfits.csv line 7: item \"fm-6\" in column \"shoes\" is a top, not shoes"
        );
    }

    #[test]
    fn wrong_headers_and_empty_files_are_refused() {
        let expected = "expected `user,top,bottom,shoes,bag,outerwear`";
        for header in [
            "user,top,bottom,shoes,bag\n",
            "user,bottom,top,shoes,bag,outerwear\n",
            "User,top,bottom,shoes,bag,outerwear\n",
            "user,top,bottom,shoes,bag,outerwear,extra\n",
            "u1,fm-1,fm-2,fm-3,,\n",
        ] {
            let (line, message) = row_error(&format!("{header}u1,fm-1,fm-2,fm-3,,\n"));
            assert_eq!(line, 1, "{header}");
            assert!(message.contains(expected), "{message}");
            assert!(
                message.contains(&format!("{:?}", header.trim_end())),
                "{message}"
            );
        }
        let (line, message) = row_error("");
        assert_eq!(line, 1);
        assert_eq!(
            message,
            "the file is empty; expected the header `user,top,bottom,shoes,bag,outerwear`"
        );
        let (line, message) = row_error(HEADER);
        assert_eq!(line, 1);
        assert_eq!(message, "the file has the header but no outfits below it");
        assert!(row_error("\n\n").1.starts_with("the file is empty"));
    }

    #[test]
    fn hostile_ids_are_data_and_appear_escaped() {
        let hostile = "<script>alert(\"x\")</script>";
        let text = format!(
            "{HEADER}u1,fm-1,\"{}\",fm-3,,\n",
            hostile.replace('"', "\"\"")
        );
        let (line, message) = row_error(&text);
        assert_eq!(line, 2);
        assert_eq!(
            message,
            format!("item {hostile:?} in column \"bottom\" is not in the catalog")
        );
        assert!(
            message.contains(r#""<script>alert(\"x\")</script>""#),
            "{message}"
        );

        // Hostile user ids are kept verbatim as ids.
        let user = "\"'; DROP TABLE users; --<b>";
        let text = format!(
            "{HEADER}\"{}\",fm-1,fm-2,fm-3,,\n",
            user.replace('"', "\"\"")
        );
        let (users, outfits) = parse(&text).unwrap();
        assert_eq!(users, [user]);
        assert_eq!(outfits.len(), 1);

        // A hostile header is quoted too, not interpreted.
        let (_, message) = row_error("user,<img src=x onerror=alert(1)>\n");
        assert!(
            message.contains("\"user,<img src=x onerror=alert(1)>\""),
            "{message}"
        );
    }

    #[test]
    fn non_utf8_rows_report_their_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("outfits.csv");
        let mut bytes = format!("{HEADER}u1,fm-1,fm-2,fm-3,,\n").into_bytes();
        bytes.extend_from_slice(b"u2,fm-1,fm-\xff\xfe,fm-3,,\n");
        std::fs::write(&path, &bytes).unwrap();
        match read_outfit_csv(&path, &catalog()) {
            Err(DataError::OutfitCsv { line, message, .. }) => {
                assert_eq!(line, 3);
                assert_eq!(message, "field 3 is not valid UTF-8 text");
            }
            other => panic!("expected an outfit CSV error, got {other:?}"),
        }
        let error = read_outfit_csv(&dir.path().join("missing.csv"), &catalog())
            .unwrap_err()
            .to_string();
        assert!(error.contains("missing.csv"), "{error}");
    }
}
