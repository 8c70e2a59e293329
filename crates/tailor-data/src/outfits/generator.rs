//! The seeded generator of SYNTHETIC outfits over Fashion-MNIST ([`synthetic_outfits`]) and its
//! config.
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

use std::collections::HashSet;
use std::f64::consts::TAU;

use rand::seq::SliceRandom;
use rand::{Rng, RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use super::{Outfit, OutfitData, OutfitItem, REQUIRED_SLOTS, UserOutfit};
use crate::error::DataError;
use crate::fashion_mnist::{FASHION_MNIST_CLASSES, FASHION_MNIST_SIDE, FashionImages};

/// Fashion-MNIST classes of each slot; class 3 (Dress) fits none.
const SLOT_CLASSES: [&[usize]; 5] = [&[0, 2, 6], &[1], &[5, 7, 9], &[8], &[4]];

/// Season of each class, indexed by label: +1 summer, -1 winter, 0 any (Dress is unused).
const CLASS_SEASON: [f64; 10] = [1.0, 0.0, -1.0, 0.0, -1.0, 1.0, 0.0, 0.0, 0.0, -1.0];

/// Tone z-scores past which an item is "Dark" or "Light": the tertiles of a standard normal.
const TONE_THRESHOLD: f64 = 0.43;

/// Positives drawn per wanted outfit before giving up on distinct outfits.
const ATTEMPTS_PER_OUTFIT: usize = 20;

const IMAGE_PIXELS: usize = FASHION_MNIST_SIDE * FASHION_MNIST_SIDE;

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

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::sync::OnceLock;

    use super::*;
    use crate::fashion_mnist::{FASHION_MNIST_DIR, read_split};
    use crate::outfits::OUTFIT_SLOTS;

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
}
