//! Visual interests on Fashion-MNIST: a test of COURIER's central claim (Yang et al., arXiv
//! 2306.05001) that image features pretrained from behaviour beat image features pretrained on
//! image classes for click prediction, once the class is already an input.
//!
//! No public data set has both product images and click histories, so the shoppers are
//! synthetic (seeded, documented below) and every figure of this module is labelled so.
//!
//! - Catalog: `items_per_class` images of each of the 10 classes, drawn (seeded) from the
//!   Fashion-MNIST training split.
//! - Visual trait the class does not carry: the **ink tercile within the class**. Items of one
//!   class are ranked by mean pixel value (0 = background, so this is how much of the 28x28 frame
//!   the garment covers and how light it is); the lowest third is trait 0, the middle third 1,
//!   the top third 2. Every class has all three traits in equal shares, so the class label says
//!   nothing about the trait.
//! - Shoppers: each has one preferred trait and `favourite_classes` favourite classes. Each click
//!   (time-ordered, no item twice) is in a favourite class with probability `class_affinity`,
//!   else in a uniformly drawn class; it has the preferred trait with probability
//!   `trait_affinity`, else one of the other two; the item is uniform within that
//!   (class, trait) cell. The first `history_len` clicks are the history, the next
//!   `next_clicks` the clicks to predict. Shoppers are split into training and held-out ones.
//! - Pretraining A (classification): [`ImageTower`] + linear classifier, cross-entropy on the
//!   class labels of `classification_images` training images (more than the catalog, so that
//!   the baseline gets at least as much image training as COURIER); accuracy on Fashion-MNIST
//!   test images.
//! - Pretraining B (COURIER): [`ImageTower`] features of a training shopper's earlier clicks
//!   reconstruct the next click's features ([`reconstruct`]), [`info_nce`] against the batch's
//!   other next clicks. Only the history part of training shoppers' sequences is used.
//!   Both towers start from the same initial weights.
//! - Click model, the same for every feature set: logistic regression on [class of j one-hot;
//!   share of the history in j's class; image features], trained on training shoppers and
//!   evaluated on held-out ones. Candidates: the shopper's next clicks (positives) and
//!   `negatives` items drawn uniformly from those the shopper never clicked. The image features
//!   of candidate j, from L2-normalised frozen tower outputs f: r_j * f_j and m * f_j
//!   (elementwise), with r_j COURIER's reconstruction of f_j from the history's features and m
//!   the mean of the history's features; their sums are <r_j, f_j> and the mean similarity,
//!   and keeping them apart lets the click model weigh each feature direction. The headline
//!   figure is the mean over held-out shoppers of each shopper's AUC; the global AUC over all
//!   held-out candidates is reported beside it. Two references frame it: an untrained tower of
//!   the same shape, and an oracle that is given the share of the history with j's true trait.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::time::Instant;

use burn::nn::loss::{BinaryCrossEntropyLossConfig, CrossEntropyLoss, CrossEntropyLossConfig};
use burn::nn::{Linear, LinearConfig};
use burn::optim::{AdamConfig, GradientsParams};
use burn::prelude::*;
use indicatif::ProgressBar;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use tailor_data::{FASHION_MNIST_CLASSES, FASHION_MNIST_SIDE, FashionImages, FashionMnist};
use tailor_model::image::{ImageTower, ImageTowerConfig};
use tailor_model::intention::{History, info_nce, reconstruct, same_item_mask};

use tailor_train::TrainError;
use tailor_train::learner::{Checkpoints, LossOnly, Schedule, TrainOutput, TrainStep, fit};
use tailor_train::metrics::auc;
use tailor_train::tensors::{index_tensor, normalize_rows, to_vec};

const CLASSES: usize = FASHION_MNIST_CLASSES.len();
const TRAITS: usize = 3;
const PIXELS: usize = FASHION_MNIST_SIDE * FASHION_MNIST_SIDE;

#[derive(Config, Debug)]
pub struct VisualConfig {
    /// Catalog images per class.
    #[config(default = 300)]
    pub items_per_class: usize,
    #[config(default = 2000)]
    pub shoppers: usize,
    /// Share of the shoppers held out for evaluation.
    #[config(default = 0.2)]
    pub heldout_share: f64,
    /// Clicks that form the history.
    #[config(default = 12)]
    pub history_len: usize,
    /// Clicks after the history: the positives of the click model.
    #[config(default = 4)]
    pub next_clicks: usize,
    /// Never-clicked items drawn per shopper as the click model's negatives.
    #[config(default = 16)]
    pub negatives: usize,
    #[config(default = 2)]
    pub favourite_classes: usize,
    /// Probability that a click is in one of the shopper's favourite classes.
    #[config(default = 0.6)]
    pub class_affinity: f64,
    /// Probability that a click has the shopper's preferred trait.
    #[config(default = 0.8)]
    pub trait_affinity: f64,
    /// Width of the image features.
    #[config(default = 32)]
    pub dim: usize,
    /// Channels of the tower's first conv block.
    #[config(default = 16)]
    pub channels: usize,
    /// Labelled Fashion-MNIST training images (a seeded sample, catalog items among them) that
    /// the classifier learns from: more than the catalog, so that the baseline is not starved.
    #[config(default = 20000)]
    pub classification_images: usize,
    #[config(default = 4)]
    pub classification_epochs: usize,
    #[config(default = 4)]
    pub courier_epochs: usize,
    #[config(default = 64)]
    pub batch_size: usize,
    /// History items the COURIER pretraining reads per target (the most recent ones).
    #[config(default = 6)]
    pub courier_slots: usize,
    /// Temperature of the reconstruction attention and of InfoNCE.
    #[config(default = 0.2)]
    pub temperature: f64,
    /// Adam's learning rate in both pretrainings.
    #[config(default = 3e-3)]
    pub learning_rate: f64,
    /// Full-batch Adam steps of each click model.
    #[config(default = 300)]
    pub click_steps: usize,
    #[config(default = 0.05)]
    pub click_learning_rate: f64,
    /// Fashion-MNIST test images on which the classifier's accuracy is measured.
    #[config(default = 2000)]
    pub test_images: usize,
    #[config(default = 0)]
    pub seed: u64,
}

impl VisualConfig {
    /// A small setup for tests: well under two minutes in a debug build on two cores.
    pub fn quick() -> VisualConfig {
        VisualConfig::new()
            .with_items_per_class(100)
            .with_shoppers(500)
            .with_channels(8)
            .with_classification_images(5000)
            .with_classification_epochs(4)
            .with_courier_epochs(6)
            .with_test_images(1000)
    }
}

/// The synthetic world: a catalog of real images and made-up shoppers.
#[derive(Debug, Clone, PartialEq)]
pub struct VisualWorld {
    /// Indices of the catalog items in the Fashion-MNIST training split.
    pub sources: Vec<usize>,
    pub classes: Vec<usize>,
    /// Ink tercile within the class, 0..3.
    pub traits: Vec<usize>,
    pub shoppers: Vec<Shopper>,
    /// Indices into `shoppers`.
    pub train_shoppers: Vec<usize>,
    pub heldout_shoppers: Vec<usize>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Shopper {
    pub preferred_trait: usize,
    pub favourite_classes: Vec<usize>,
    /// Catalog indices, oldest first: `history_len` history clicks, then the next clicks.
    pub clicks: Vec<usize>,
}

/// Everything a run measured.
#[derive(Debug, Clone, Serialize)]
pub struct VisualReport {
    /// Always true: the shoppers and their clicks are generated, only the images are real.
    pub synthetic: bool,
    pub note: String,
    pub trait_definition: String,
    pub config: VisualConfig,
    pub seed: u64,
    pub sizes: VisualSizes,
    pub classification: ClassificationReport,
    pub courier: CourierReport,
    /// One row per feature set, the same click model each time.
    pub click: Vec<ClickResult>,
    pub seconds: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct VisualSizes {
    pub catalog_items: usize,
    pub train_shoppers: usize,
    pub heldout_shoppers: usize,
    pub courier_examples: usize,
    pub click_train_rows: usize,
    pub click_eval_rows: usize,
    pub classification_images: usize,
    pub test_images: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct ClassificationReport {
    /// Mean cross-entropy of each epoch.
    pub epoch_losses: Vec<f64>,
    /// On Fashion-MNIST test images, none of which is in the catalog.
    pub test_accuracy: f64,
    pub seconds: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct CourierReport {
    /// Mean InfoNCE of each epoch.
    pub epoch_losses: Vec<f64>,
    /// ln(batch size): the loss of features that say nothing.
    pub chance_loss: f64,
    pub seconds: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct ClickResult {
    pub features: String,
    /// Mean over held-out shoppers of each one's AUC (next clicks vs. sampled negatives).
    pub mean_shopper_auc: f64,
    /// AUC over all held-out candidates together.
    pub global_auc: f64,
    /// Training BCE every 10 steps.
    pub train_losses: Vec<f64>,
    /// How much of the trait the image features carry across classes: the share of items whose
    /// trait is the majority trait of their 10 nearest items (cosine) of other classes. Chance
    /// is 1/3. None for the rows without image features.
    pub trait_probe: Option<f64>,
}

/// The names of the click model's feature sets, in report order.
pub const CLASS_ONLY: &str = "class only";
pub const CLASSIFICATION: &str = "class + classification-pretrained image features";
pub const COURIER: &str = "class + COURIER-pretrained image features";
pub const UNTRAINED: &str = "class + untrained image features (control)";
pub const ORACLE: &str = "class + true trait match (oracle, upper reference)";

/// Generates the world, pretrains both towers on the product's training loop (checkpointed in
/// `checkpoints`, so a killed run continues them) and evaluates the click model on each feature
/// set, advancing `progress` by one per pretraining epoch and per click model. `images` must
/// hold at least `items_per_class` training images of every class.
pub fn run_visual_experiment(
    config: &VisualConfig,
    images: &FashionMnist,
    checkpoints: &Path,
    progress: &ProgressBar,
) -> Result<VisualReport, TrainError> {
    let started = Instant::now();
    // The click models: class only, the three feature sets, the oracle.
    progress.set_length((config.classification_epochs + config.courier_epochs + 5) as u64);
    let world = generate_world(config, &images.train)?;
    let catalog = catalog_pixels(&world, &images.train);

    let classification_started = Instant::now();
    let (labelled_pixels, labels) = classification_sample(config, &images.train);
    progress.set_message("classification pretraining");
    let (classifier_tower, classification_losses) =
        pretrain_classification(config, &labelled_pixels, &labels, checkpoints, progress)?;
    let test_accuracy = classifier_accuracy(config, &classifier_tower, &images.test)?;
    let classification = ClassificationReport {
        epoch_losses: classification_losses,
        test_accuracy,
        seconds: classification_started.elapsed().as_secs_f64(),
    };

    let courier_started = Instant::now();
    let examples = courier_examples(config, &world);
    progress.set_message("COURIER pretraining");
    let (courier_tower, courier_losses) =
        pretrain_courier(config, &catalog, &world, &examples, checkpoints, progress)?;
    let courier = CourierReport {
        epoch_losses: courier_losses,
        chance_loss: (config.batch_size as f64).ln(),
        seconds: courier_started.elapsed().as_secs_f64(),
    };

    let device = Device::flex();
    device.seed(config.seed);
    let untrained = tower_config(config).init(&device);
    let candidates = click_candidates(config, &world);
    let feature_sets = [
        (
            CLASSIFICATION,
            tower_features(&classifier_tower.tower, &catalog)?,
        ),
        (COURIER, tower_features(&courier_tower, &catalog)?),
        (UNTRAINED, tower_features(&untrained, &catalog)?),
    ];
    progress.set_message("click models");
    let mut click = vec![evaluate_click_model(
        config,
        &world,
        &candidates,
        CLASS_ONLY,
        None,
        false,
    )?];
    progress.inc(1);
    for (name, features) in &feature_sets {
        let mut row =
            evaluate_click_model(config, &world, &candidates, name, Some(features), false)?;
        row.trait_probe = Some(trait_probe(config, &world, features)?);
        click.push(row);
        progress.inc(1);
    }
    click.push(evaluate_click_model(
        config,
        &world,
        &candidates,
        ORACLE,
        None,
        true,
    )?);
    progress.inc(1);

    Ok(VisualReport {
        synthetic: true,
        note: "Synthetic shoppers on real Fashion-MNIST images: the click histories are \
               generated (see trait_definition and config); no real behaviour is involved."
            .into(),
        trait_definition: "ink tercile within the class: the catalog items of each class \
                           ranked by mean pixel value, lowest third = 0, middle = 1, top = 2"
            .into(),
        config: config.clone(),
        seed: config.seed,
        sizes: VisualSizes {
            catalog_items: world.classes.len(),
            train_shoppers: world.train_shoppers.len(),
            heldout_shoppers: world.heldout_shoppers.len(),
            courier_examples: examples.len(),
            click_train_rows: candidates.train.len(),
            click_eval_rows: candidates.heldout.len(),
            classification_images: labels.len(),
            test_images: config.test_images.min(images.test.len()),
        },
        classification,
        courier,
        click,
        seconds: started.elapsed().as_secs_f64(),
    })
}

fn check_config(config: &VisualConfig, images: &FashionImages) -> Result<(), TrainError> {
    let invalid = |message: String| Err(TrainError::Config { message });
    let per_class = (0..CLASSES)
        .map(|class| {
            images
                .labels
                .iter()
                .filter(|&&l| usize::from(l) == class)
                .count()
        })
        .min()
        .unwrap_or(0);
    if config.items_per_class < TRAITS || config.items_per_class > per_class {
        return invalid(format!(
            "items_per_class is {}; it must be at least {TRAITS} and at most {per_class}, the \
             images of the rarest class",
            config.items_per_class
        ));
    }
    let clicks = config.history_len + config.next_clicks;
    if config.history_len < 2 || config.next_clicks == 0 {
        return invalid("history_len must be at least 2 and next_clicks at least 1".into());
    }
    // Any one (class, trait) cell can then hold a whole click sequence, so drawing clicks
    // without repeats always ends, whatever the affinities.
    if clicks > config.items_per_class / TRAITS {
        return invalid(format!(
            "{clicks} clicks per shopper need at least {} items per class",
            clicks * TRAITS
        ));
    }
    if clicks + config.negatives > config.items_per_class * CLASSES {
        return invalid("the catalog is too small for the clicks and negatives per shopper".into());
    }
    if config.favourite_classes == 0 || config.favourite_classes > CLASSES {
        return invalid(format!("favourite_classes must be 1 to {CLASSES}"));
    }
    for (name, p) in [
        ("heldout_share", config.heldout_share),
        ("class_affinity", config.class_affinity),
        ("trait_affinity", config.trait_affinity),
    ] {
        if !(0.0..=1.0).contains(&p) {
            return invalid(format!("{name} must be a probability, got {p}"));
        }
    }
    let heldout = (config.shoppers as f64 * config.heldout_share).round() as usize;
    if heldout == 0 || heldout >= config.shoppers {
        return invalid("there must be both training and held-out shoppers".into());
    }
    if config.classification_images == 0 {
        return invalid("classification_images must be at least 1".into());
    }
    if config.batch_size < 2 || config.temperature <= 0.0 {
        return invalid("batch_size must be at least 2 and temperature positive".into());
    }
    Ok(())
}

/// The seeded synthetic world over the images of `train` (the Fashion-MNIST training split).
pub fn generate_world(
    config: &VisualConfig,
    train: &FashionImages,
) -> Result<VisualWorld, TrainError> {
    check_config(config, train)?;
    let mut rng = ChaCha8Rng::seed_from_u64(config.seed);
    let mut order: Vec<usize> = (0..train.len()).collect();
    order.shuffle(&mut rng);
    let mut per_class = vec![Vec::new(); CLASSES];
    for index in order {
        let class = usize::from(train.labels[index]);
        if per_class[class].len() < config.items_per_class {
            per_class[class].push(index);
        }
    }
    let (mut sources, mut classes, mut traits) = (Vec::new(), Vec::new(), Vec::new());
    // cells[class][trait]: catalog indices.
    let mut cells = vec![vec![Vec::new(); TRAITS]; CLASSES];
    for (class, members) in per_class.iter().enumerate() {
        let mut by_ink: Vec<(u64, usize)> = members
            .iter()
            .map(|&i| (train.image(i).iter().map(|&p| u64::from(p)).sum(), i))
            .collect();
        by_ink.sort_unstable();
        for (rank, &(_, source)) in by_ink.iter().enumerate() {
            let item_trait = rank * TRAITS / by_ink.len();
            cells[class][item_trait].push(sources.len());
            sources.push(source);
            classes.push(class);
            traits.push(item_trait);
        }
    }

    let clicks_per_shopper = config.history_len + config.next_clicks;
    let shoppers: Vec<Shopper> = (0..config.shoppers)
        .map(|_| {
            let preferred_trait = rng.random_range(0..TRAITS);
            let mut all_classes: Vec<usize> = (0..CLASSES).collect();
            all_classes.shuffle(&mut rng);
            let favourite_classes = all_classes[..config.favourite_classes].to_vec();
            let mut clicks: Vec<usize> = Vec::with_capacity(clicks_per_shopper);
            while clicks.len() < clicks_per_shopper {
                let class = if rng.random_bool(config.class_affinity) {
                    favourite_classes[rng.random_range(0..favourite_classes.len())]
                } else {
                    rng.random_range(0..CLASSES)
                };
                let item_trait = if rng.random_bool(config.trait_affinity) {
                    preferred_trait
                } else {
                    (preferred_trait + rng.random_range(1..TRAITS)) % TRAITS
                };
                let cell = &cells[class][item_trait];
                let item = cell[rng.random_range(0..cell.len())];
                // Redrawing a repeat keeps the click distribution; the cells are large enough.
                if !clicks.contains(&item) {
                    clicks.push(item);
                }
            }
            Shopper {
                preferred_trait,
                favourite_classes,
                clicks,
            }
        })
        .collect();
    let mut order: Vec<usize> = (0..shoppers.len()).collect();
    order.shuffle(&mut rng);
    let heldout = (config.shoppers as f64 * config.heldout_share).round() as usize;
    let heldout_shoppers = order[..heldout].to_vec();
    let train_shoppers = order[heldout..].to_vec();
    Ok(VisualWorld {
        sources,
        classes,
        traits,
        shoppers,
        train_shoppers,
        heldout_shoppers,
    })
}

/// The catalog's pixels in [0, 1], item after item.
fn catalog_pixels(world: &VisualWorld, train: &FashionImages) -> Vec<f32> {
    world
        .sources
        .iter()
        .flat_map(|&source| train.image(source).iter().map(|&p| f32::from(p) / 255.0))
        .collect()
}

fn images_tensor(pixels: &[f32], device: &Device) -> Tensor<4> {
    let count = pixels.len() / PIXELS;
    Tensor::from_data(
        TensorData::new(
            pixels.to_vec(),
            [count, 1, FASHION_MNIST_SIDE, FASHION_MNIST_SIDE],
        ),
        device,
    )
}

fn tower_config(config: &VisualConfig) -> ImageTowerConfig {
    ImageTowerConfig::new()
        .with_dim(config.dim)
        .with_channels(config.channels)
}

fn scalar(tensor: Tensor<1>) -> Result<f64, TrainError> {
    Ok(to_vec(tensor)?.first().copied().map_or(f64::NAN, f64::from))
}

/// An epoch's batches: the indices 0..count, shuffled by (seed, epoch) so runs repeat.
fn epoch_batches(count: usize, batch_size: usize, seed: u64, epoch: usize) -> Vec<Vec<usize>> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ (epoch as u64 + 1).wrapping_mul(0x9E37_79B9));
    let mut order: Vec<usize> = (0..count).collect();
    order.shuffle(&mut rng);
    order.chunks(batch_size).map(<[usize]>::to_vec).collect()
}

#[derive(Module, Debug)]
struct Classifier {
    tower: ImageTower,
    head: Linear,
}

impl Classifier {
    fn forward(&self, images: Tensor<4>) -> Tensor<2> {
        self.head.forward(self.tower.forward(images))
    }
}

/// A seeded sample of `classification_images` labelled training images: pixels and classes.
fn classification_sample(config: &VisualConfig, train: &FashionImages) -> (Vec<f32>, Vec<usize>) {
    let mut rng = ChaCha8Rng::seed_from_u64(config.seed.wrapping_add(0xC1A55));
    let mut order: Vec<usize> = (0..train.len()).collect();
    order.shuffle(&mut rng);
    order.truncate(config.classification_images);
    let pixels = order
        .iter()
        .flat_map(|&i| train.image(i).iter().map(|&p| f32::from(p) / 255.0))
        .collect();
    let labels = order
        .iter()
        .map(|&i| usize::from(train.labels[i]))
        .collect();
    (pixels, labels)
}

fn pretrain_classification(
    config: &VisualConfig,
    catalog: &[f32],
    classes: &[usize],
    checkpoints: &Path,
    progress: &ProgressBar,
) -> Result<(Classifier, Vec<f64>), TrainError> {
    let device = Device::flex().autodiff();
    device.seed(config.seed);
    let model = Classifier {
        tower: tower_config(config).init(&device),
        head: LinearConfig::new(config.dim, CLASSES).init(&device),
    };
    let steps = ClassificationSteps {
        config,
        classes,
        images: images_tensor(catalog, &device),
        loss: CrossEntropyLossConfig::new().init(&device),
        device: device.clone(),
    };
    let fitted = fit(
        &steps,
        model,
        AdamConfig::new().init(),
        &Schedule::fixed(config.classification_epochs, config.learning_rate),
        &Checkpoints::resuming(
            &checkpoints.join("classification"),
            serde_json::json!({ "config": config, "images": classes.len() }),
        ),
        &ProgressBar::hidden(),
        &|_| progress.inc(1),
    )?;
    Ok((fitted.model.valid(), fitted.records))
}

/// Pretraining A's part of the product's training loop: cross-entropy on the class labels.
struct ClassificationSteps<'a> {
    config: &'a VisualConfig,
    classes: &'a [usize],
    images: Tensor<4>,
    loss: CrossEntropyLoss,
    device: Device,
}

impl TrainStep for ClassificationSteps<'_> {
    type Model = Classifier;
    type Batch = Vec<usize>;

    fn steps_per_epoch(&self) -> usize {
        self.classes.len().div_ceil(self.config.batch_size.max(1))
    }

    fn batches(&self, epoch: usize) -> impl Iterator<Item = Vec<usize>> {
        let config = self.config;
        epoch_batches(
            self.classes.len(),
            config.batch_size,
            config.seed,
            epoch - 1,
        )
        .into_iter()
    }

    fn step(&self, model: &Classifier, batch: Vec<usize>) -> TrainOutput {
        let images = self
            .images
            .clone()
            .select(0, index_tensor(&batch, &self.device));
        let labels: Vec<usize> = batch.iter().map(|&i| self.classes[i]).collect();
        let loss = self
            .loss
            .forward(model.forward(images), index_tensor(&labels, &self.device));
        TrainOutput::new(model, loss, Vec::new())
    }
}

impl LossOnly for ClassificationSteps<'_> {
    const TRAINING: &'static str = "classification pretraining";
    const LOSS: &'static str = "cross-entropy";
}

fn classifier_accuracy(
    config: &VisualConfig,
    model: &Classifier,
    test: &FashionImages,
) -> Result<f64, TrainError> {
    let device = Device::flex();
    let count = config.test_images.min(test.len());
    let mut correct = 0usize;
    for chunk in (0..count).collect::<Vec<_>>().chunks(500) {
        let pixels: Vec<f32> = chunk
            .iter()
            .flat_map(|&i| test.image(i).iter().map(|&p| f32::from(p) / 255.0))
            .collect();
        let predicted = model
            .forward(images_tensor(&pixels, &device))
            .argmax(1)
            .into_data()
            .convert::<i64>()
            .try_to_vec::<i64>()
            .map_err(TrainError::Readback)?;
        correct += chunk
            .iter()
            .zip(&predicted)
            .filter(|&(&i, &p)| i64::from(test.labels[i]) == p)
            .count();
    }
    Ok(correct as f64 / count.max(1) as f64)
}

/// (target, earlier clicks) pairs from the training shoppers' histories: every history click
/// after the first is a target once.
fn courier_examples(config: &VisualConfig, world: &VisualWorld) -> Vec<(usize, usize)> {
    world
        .train_shoppers
        .iter()
        .flat_map(|&shopper| (1..config.history_len).map(move |position| (shopper, position)))
        .collect()
}

fn pretrain_courier(
    config: &VisualConfig,
    catalog: &[f32],
    world: &VisualWorld,
    examples: &[(usize, usize)],
    checkpoints: &Path,
    progress: &ProgressBar,
) -> Result<(ImageTower, Vec<f64>), TrainError> {
    let device = Device::flex().autodiff();
    device.seed(config.seed);
    let tower = tower_config(config).init(&device);
    let steps = CourierSteps {
        config,
        world,
        examples,
        images: images_tensor(catalog, &device),
        device: device.clone(),
    };
    let fitted = fit(
        &steps,
        tower,
        AdamConfig::new().init(),
        &Schedule::fixed(config.courier_epochs, config.learning_rate),
        &Checkpoints::resuming(
            &checkpoints.join("courier"),
            serde_json::json!({ "config": config, "examples": examples.len() }),
        ),
        &ProgressBar::hidden(),
        &|_| progress.inc(1),
    )?;
    Ok((fitted.model.valid(), fitted.records))
}

/// Pretraining B's part of the product's training loop: COURIER's reconstruction of each next
/// click's features from the earlier clicks' features.
struct CourierSteps<'a> {
    config: &'a VisualConfig,
    world: &'a VisualWorld,
    examples: &'a [(usize, usize)],
    images: Tensor<4>,
    device: Device,
}

impl TrainStep for CourierSteps<'_> {
    type Model = ImageTower;
    type Batch = Vec<usize>;

    fn steps_per_epoch(&self) -> usize {
        self.examples.len().div_ceil(self.config.batch_size.max(1))
    }

    fn batches(&self, epoch: usize) -> impl Iterator<Item = Vec<usize>> {
        let config = self.config;
        epoch_batches(
            self.examples.len(),
            config.batch_size,
            config.seed,
            epoch - 1,
        )
        .into_iter()
    }

    fn step(&self, tower: &ImageTower, batch: Vec<usize>) -> TrainOutput {
        let config = self.config;
        // The tower runs once per distinct image of the batch.
        let mut local: HashMap<usize, usize> = HashMap::new();
        let mut distinct = Vec::new();
        let mut local_index = |item: usize| {
            *local.entry(item).or_insert_with(|| {
                distinct.push(item);
                distinct.len() - 1
            })
        };
        let mut targets = Vec::with_capacity(batch.len());
        let mut target_rows = Vec::with_capacity(batch.len());
        let mut histories = Vec::with_capacity(batch.len());
        for &example in &batch {
            let (shopper, position) = self.examples[example];
            let clicks = &self.world.shoppers[shopper].clicks;
            let start = position.saturating_sub(config.courier_slots);
            histories.push(
                clicks[start..position]
                    .iter()
                    .map(|&item| local_index(item))
                    .collect::<Vec<_>>(),
            );
            targets.push(clicks[position]);
            target_rows.push(local_index(clicks[position]));
        }
        let images = self
            .images
            .clone()
            .select(0, index_tensor(&distinct, &self.device));
        let features = normalize_rows(tower.forward(images));
        let rows: Vec<&[usize]> = histories.iter().map(Vec::as_slice).collect();
        let history = History::gather(features.clone(), &rows, config.courier_slots);
        let target_features = features.select(0, index_tensor(&target_rows, &self.device));
        let reconstruction =
            reconstruct(target_features.clone(), &history, config.temperature).vectors;
        let loss = info_nce(
            reconstruction,
            target_features,
            same_item_mask(&targets, &self.device),
            config.temperature,
        );
        TrainOutput::new(tower, loss, Vec::new())
    }
}

impl LossOnly for CourierSteps<'_> {
    const TRAINING: &'static str = "COURIER pretraining";
    const LOSS: &'static str = "InfoNCE";
}

/// L2-normalised features [items, dim] of every catalog image, row-major.
fn tower_features(tower: &ImageTower, catalog: &[f32]) -> Result<Vec<f32>, TrainError> {
    let device = Device::flex();
    let mut features = Vec::new();
    for chunk in catalog.chunks(500 * PIXELS) {
        features.extend(to_vec(normalize_rows(
            tower.forward(images_tensor(chunk, &device)),
        ))?);
    }
    Ok(features)
}

/// One candidate of the click model.
#[derive(Debug, Clone, Copy)]
struct Candidate {
    shopper: usize,
    item: usize,
    clicked: bool,
}

struct Candidates {
    train: Vec<Candidate>,
    heldout: Vec<Candidate>,
}

/// Each shopper's next clicks and `negatives` never-clicked items, drawn with a generator of
/// its own so that the candidates do not depend on anything trained.
fn click_candidates(config: &VisualConfig, world: &VisualWorld) -> Candidates {
    let mut rng = ChaCha8Rng::seed_from_u64(config.seed.wrapping_add(0x5EED));
    let items = world.classes.len();
    let mut of = |shoppers: &[usize]| {
        let mut rows = Vec::new();
        for &shopper in shoppers {
            let clicks = &world.shoppers[shopper].clicks;
            for &item in &clicks[config.history_len..] {
                rows.push(Candidate {
                    shopper,
                    item,
                    clicked: true,
                });
            }
            let mut drawn = Vec::with_capacity(config.negatives);
            while drawn.len() < config.negatives {
                let item = rng.random_range(0..items);
                if !clicks.contains(&item) && !drawn.contains(&item) {
                    drawn.push(item);
                }
            }
            rows.extend(drawn.into_iter().map(|item| Candidate {
                shopper,
                item,
                clicked: false,
            }));
        }
        rows
    };
    Candidates {
        train: of(&world.train_shoppers),
        heldout: of(&world.heldout_shoppers),
    }
}

/// Inputs of the click model, row after row: class one-hot, the history's share of the class,
/// then the image features (`features`, [items, dim] normalised) or the oracle trait share.
fn click_inputs(
    config: &VisualConfig,
    world: &VisualWorld,
    rows: &[Candidate],
    features: Option<&[f32]>,
    oracle: bool,
) -> Result<(Vec<f32>, usize), TrainError> {
    let history_of = |row: &Candidate| &world.shoppers[row.shopper].clicks[..config.history_len];
    let reconstructions = match features {
        Some(features) => Some(reconstructions(config, world, rows, features)?),
        None => None,
    };
    let dim = config.dim;
    let mut inputs = Vec::new();
    for (index, row) in rows.iter().enumerate() {
        let history = history_of(row);
        let class = world.classes[row.item];
        inputs.extend((0..CLASSES).map(|c| if c == class { 1.0 } else { 0.0 }));
        let share = |same: &dyn Fn(usize) -> bool| {
            history.iter().filter(|&&h| same(h)).count() as f32 / history.len() as f32
        };
        inputs.push(share(&|h| world.classes[h] == class));
        if oracle {
            inputs.push(share(&|h| world.traits[h] == world.traits[row.item]));
        }
        if let (Some(features), Some(reconstructions)) = (features, &reconstructions) {
            // Elementwise products rather than only their sums (the dot products), so that the
            // click model can weigh each feature direction: a learned diagonal bilinear form.
            let target = &features[row.item * dim..(row.item + 1) * dim];
            let reconstruction = &reconstructions[index * dim..(index + 1) * dim];
            inputs.extend(target.iter().zip(reconstruction).map(|(f, r)| f * r));
            let mut mean = vec![0.0f32; dim];
            for &h in history {
                for (m, v) in mean.iter_mut().zip(&features[h * dim..(h + 1) * dim]) {
                    *m += v / history.len() as f32;
                }
            }
            inputs.extend(target.iter().zip(&mean).map(|(f, m)| f * m));
        }
    }
    let width = inputs.len() / rows.len().max(1);
    Ok((inputs, width))
}

/// r_j [rows, dim] for each row: COURIER's reconstruction of f_j from the shopper's history.
fn reconstructions(
    config: &VisualConfig,
    world: &VisualWorld,
    rows: &[Candidate],
    features: &[f32],
) -> Result<Vec<f32>, TrainError> {
    let device = Device::flex();
    let items = world.classes.len();
    let table = Tensor::<2>::from_data(
        TensorData::new(features.to_vec(), [items, config.dim]),
        &device,
    );
    let mut vectors = Vec::with_capacity(rows.len() * config.dim);
    for chunk in rows.chunks(2048) {
        let histories: Vec<&[usize]> = chunk
            .iter()
            .map(|row| &world.shoppers[row.shopper].clicks[..config.history_len])
            .collect();
        let history = History::gather(table.clone(), &histories, config.history_len);
        let items: Vec<usize> = chunk.iter().map(|row| row.item).collect();
        let targets = table.clone().select(0, index_tensor(&items, &device));
        vectors.extend(to_vec(
            reconstruct(targets, &history, config.temperature).vectors,
        )?);
    }
    Ok(vectors)
}

/// Trains the logistic regression on the training shoppers' candidates and scores the
/// held-out shoppers'.
fn evaluate_click_model(
    config: &VisualConfig,
    world: &VisualWorld,
    candidates: &Candidates,
    name: &str,
    features: Option<&[f32]>,
    oracle: bool,
) -> Result<ClickResult, TrainError> {
    let (mut train, width) = click_inputs(config, world, &candidates.train, features, oracle)?;
    let (mut heldout, _) = click_inputs(config, world, &candidates.heldout, features, oracle)?;
    standardize(&mut train, &mut heldout, width);

    let device = Device::flex().autodiff();
    device.seed(config.seed);
    let mut model = LinearConfig::new(width, 1).init(&device);
    let mut optimizer = AdamConfig::new().init();
    let loss_fn = BinaryCrossEntropyLossConfig::new()
        .with_logits(true)
        .init(&device);
    let rows = candidates.train.len();
    let inputs = Tensor::<2>::from_data(TensorData::new(train, [rows, width]), &device);
    let labels: Vec<i64> = candidates
        .train
        .iter()
        .map(|c| i64::from(c.clicked))
        .collect();
    let labels = Tensor::<1, Int>::from_data(TensorData::new(labels, [rows]), &device);
    let mut train_losses = Vec::new();
    for step in 0..config.click_steps {
        let logits = model.forward(inputs.clone()).reshape([rows]);
        let loss = loss_fn.forward(logits, labels.clone());
        if step % 10 == 0 {
            train_losses.push(scalar(loss.clone())?);
        }
        let grads = GradientsParams::from_grads(loss.backward(), &model);
        model = optimizer.step(config.click_learning_rate, model, grads);
    }

    let model = model.valid();
    let eval_device = Device::flex();
    let count = candidates.heldout.len();
    let scores = to_vec(model.forward(Tensor::<2>::from_data(
        TensorData::new(heldout, [count, width]),
        &eval_device,
    )))?;
    let (mut positives, mut negatives) = (Vec::new(), Vec::new());
    // Ordered, so that the mean sums in the same order on every run.
    let mut per_shopper: BTreeMap<usize, (Vec<f32>, Vec<f32>)> = BTreeMap::new();
    for (row, &score) in candidates.heldout.iter().zip(&scores) {
        let entry = per_shopper.entry(row.shopper).or_default();
        if row.clicked {
            positives.push(score);
            entry.0.push(score);
        } else {
            negatives.push(score);
            entry.1.push(score);
        }
    }
    let shopper_aucs: Vec<f64> = per_shopper
        .values()
        .filter_map(|(p, n)| auc(p, n))
        .collect();
    Ok(ClickResult {
        features: name.to_string(),
        mean_shopper_auc: shopper_aucs.iter().sum::<f64>() / shopper_aucs.len().max(1) as f64,
        global_auc: auc(&positives, &negatives).unwrap_or(f64::NAN),
        train_losses,
        trait_probe: None,
    })
}

/// Neighbours that vote in [`trait_probe`].
const PROBE_NEIGHBOURS: usize = 10;

/// See [`ClickResult::trait_probe`]. Neighbours come from other classes only, so that the
/// class (which carries no trait) cannot help.
fn trait_probe(
    config: &VisualConfig,
    world: &VisualWorld,
    features: &[f32],
) -> Result<f64, TrainError> {
    let device = Device::flex();
    let items = world.classes.len();
    let table = Tensor::<2>::from_data(
        TensorData::new(features.to_vec(), [items, config.dim]),
        &device,
    );
    let similarities = to_vec(table.clone().matmul(table.transpose()))?;
    let mut correct = 0usize;
    for item in 0..items {
        let mut others: Vec<(f32, usize)> = (0..items)
            .filter(|&other| world.classes[other] != world.classes[item])
            .map(|other| (similarities[item * items + other], other))
            .collect();
        let k = PROBE_NEIGHBOURS.min(others.len());
        if k == 0 {
            continue;
        }
        others.select_nth_unstable_by(k - 1, |a, b| b.0.total_cmp(&a.0));
        let mut votes = [0usize; TRAITS];
        for &(_, other) in &others[..k] {
            votes[world.traits[other]] += 1;
        }
        // Ties go to the lowest trait: deterministic, and no help to any feature set.
        let predicted = (0..TRAITS)
            .max_by_key(|&t| (votes[t], TRAITS - t))
            .unwrap_or(0);
        correct += usize::from(predicted == world.traits[item]);
    }
    Ok(correct as f64 / items.max(1) as f64)
}

/// Scales every column to zero mean and unit variance on the training rows.
fn standardize(train: &mut [f32], heldout: &mut [f32], width: usize) {
    let rows = (train.len() / width.max(1)).max(1) as f32;
    for column in 0..width {
        let values = || train.iter().skip(column).step_by(width);
        let mean = values().sum::<f32>() / rows;
        let variance = values().map(|v| (v - mean) * (v - mean)).sum::<f32>() / rows;
        let scale = 1.0 / variance.sqrt().max(1e-6);
        for data in [&mut *train, &mut *heldout] {
            for value in data.iter_mut().skip(column).step_by(width) {
                *value = (*value - mean) * scale;
            }
        }
    }
}
