//! Training the text ranker (WhisperLite's method) on precomputed, frozen text embeddings.
//!
//! It runs on the shared loop, [`crate::learner::fit`]: every epoch ends with a checkpoint, so a
//! run killed at any point resumes from its last finished epoch, exactly.

use std::path::Path;

use burn::optim::AdamWConfig;
use burn::prelude::*;
use indicatif::ProgressBar;
use rand::Rng;
use rand::distr::{Distribution, weighted::WeightedIndex};
use rand_chacha::ChaCha8Rng;
use tailor_core::quant::EmbeddingMatrix;
use tailor_model::History;
use tailor_model::intention::same_item_mask;
use tailor_model::text_ranker::{TextRanker, TextRankerConfig, TextRankerLossConfig};

use crate::checkpoint::{BEST_WEIGHTS_FILE, CheckpointProgress, load_weights};
use crate::error::TrainError;
use crate::evaluate::candidate_rank;
use crate::learner::{
    Checkpoints, EpochSummary, Schedule, TrainOutput, TrainStep, ValidStep, epoch_rng, fit,
};
use crate::metrics::RankingMetrics;
use crate::plots::EpochRecord;
use crate::tensors::{CatalogTensors, device_of, gather_rows, index_tensor, matrix_tensor};

#[derive(Config, Debug)]
pub struct TextRankerTrainConfig {
    pub model: TextRankerConfig,
    pub loss: TextRankerLossConfig,
    #[config(default = 12)]
    pub epochs: usize,
    #[config(default = 256)]
    pub batch_size: usize,
    /// Sampled negatives per request for the BCE term.
    #[config(default = 16)]
    pub negatives: usize,
    #[config(default = 1e-3)]
    pub learning_rate: f64,
    #[config(default = 1e-4)]
    pub weight_decay: f64,
    /// A training pair is drawn with probability proportional to n^(balance - 1), n being the
    /// number of training reviews of its item: 1 keeps the data's popularity skew, 0 draws every
    /// item equally often.
    #[config(default = 0.5)]
    pub balance: f64,
    #[config(default = 0)]
    pub seed: u64,
    /// For a model with history heads and a shop without real histories: how its histories
    /// are made up. See [`SyntheticShoppers`].
    #[config(default = "SyntheticShoppers::new()")]
    pub shoppers: SyntheticShoppers,
}

/// SYNTHETIC shopper histories, for training the history layers on a shop without behaviour
/// logs (such as the reviews data, which has no user ids). Seeded through the training RNG.
///
/// A request's shopper has viewed n items before asking, n uniform in 1..=`max_history` (the
/// training loop also trains every request without its history). The shopper's browsing has a
/// topic class: with probability `on_topic` the requested item's class (they browse what they
/// end up asking for), otherwise another class (they changed their mind). Each viewed item is,
/// with probability `same_class`, an item of the topic class, otherwise any item. So the model
/// learns that a history full of one class makes that class likelier for a vague request, but
/// also that an explicit request for another class wins. Figures measured with these histories
/// are labelled synthetic.
#[derive(Config, Debug)]
pub struct SyntheticShoppers {
    #[config(default = 8)]
    pub max_history: usize,
    #[config(default = 0.4)]
    pub on_topic: f64,
    #[config(default = 0.8)]
    pub same_class: f64,
}

impl SyntheticShoppers {
    /// One made-up history (oldest first) for a request about `target`.
    pub fn history(
        &self,
        target: usize,
        classes: &ClassMembers,
        rng: &mut ChaCha8Rng,
    ) -> Vec<usize> {
        let length = if self.max_history == 0 {
            0
        } else {
            rng.random_range(1..=self.max_history)
        };
        let topic = if rng.random_bool(self.on_topic.clamp(0.0, 1.0)) {
            classes.same_class(target)
        } else {
            let other = rng.random_range(0..classes.members.len());
            &classes.members[other]
        };
        (0..length)
            .map(|_| {
                let in_topic = topic.len() > 1 && rng.random_bool(self.same_class.clamp(0.0, 1.0));
                loop {
                    let item = if in_topic {
                        topic[rng.random_range(0..topic.len())]
                    } else {
                        rng.random_range(0..classes.item_class.len())
                    };
                    if item != target {
                        break item;
                    }
                }
            })
            .collect()
    }
}

/// Each item's class and each class's items.
#[derive(Debug, Clone)]
pub struct ClassMembers {
    item_class: Vec<usize>,
    members: Vec<Vec<usize>>,
}

impl ClassMembers {
    /// From one class label per item.
    pub fn new<S: AsRef<str>>(labels: &[S]) -> ClassMembers {
        let mut names: Vec<&str> = labels.iter().map(AsRef::as_ref).collect();
        names.sort_unstable();
        names.dedup();
        let item_class: Vec<usize> = labels
            .iter()
            .map(|l| names.binary_search(&l.as_ref()).unwrap_or(0))
            .collect();
        let mut members = vec![Vec::new(); names.len()];
        for (item, &class) in item_class.iter().enumerate() {
            members[class].push(item);
        }
        ClassMembers {
            item_class,
            members,
        }
    }

    /// The items of `item`'s class, itself included.
    pub fn same_class(&self, item: usize) -> &[usize] {
        &self.members[self.item_class[item]]
    }
}

/// Requests as embeddings, each with the index of its item, and the items' text features.
pub struct RankingData {
    pub train_queries: EmbeddingMatrix,
    pub train_items: Vec<usize>,
    pub valid_queries: EmbeddingMatrix,
    pub valid_items: Vec<usize>,
    pub item_features: EmbeddingMatrix,
    /// Items that validation ranks (true) and those it leaves out; see `Prepared::candidates`.
    pub valid_candidates: Vec<bool>,
    /// Classes, from which synthetic histories are drawn for a model with history heads.
    pub classes: ClassMembers,
    /// The shop's real histories, one per training pair (empty where the pair has none); `None`
    /// to train the history heads on synthetic shoppers.
    pub histories: Option<Vec<Vec<usize>>>,
}

pub type Progress = CheckpointProgress<EpochRecord>;

/// A finished training run.
pub struct Trained {
    /// The weights of the best epoch.
    pub model: TextRanker,
    pub records: Vec<EpochRecord>,
    pub best_epoch: usize,
}

/// Trains, checkpointing into `checkpoint_dir` after each epoch and giving `log` one line per
/// epoch. With `resume`, a run whose checkpoint folder holds finished epochs continues after the
/// last one; the config must be the one the checkpoint was made with.
pub fn train(
    data: &RankingData,
    config: &TextRankerTrainConfig,
    checkpoint_dir: &Path,
    resume: bool,
    device: &Device,
    progress: &ProgressBar,
    log: &dyn Fn(&str),
) -> Result<Trained, TrainError> {
    check_data(data, config)?;
    let base = device;
    let device = base.clone().autodiff();
    device.seed(config.seed);
    let model = config.model.init(&device);
    let optimizer = AdamWConfig::new()
        .with_weight_decay(config.weight_decay as f32)
        .init();
    let identity = serde_json::to_value(config).map_err(|source| TrainError::Serialize {
        what: "the training config",
        source,
    })?;
    let steps = TextRankerSteps {
        data,
        config,
        sampler: PairSampler::new(&data.train_items, config.model.item_count, config.balance)?,
        catalog: CatalogTensors::new(&data.item_features, &device),
    };
    let fitted = fit(
        &steps,
        model,
        optimizer,
        &Schedule::fixed(config.epochs, config.learning_rate),
        &Checkpoints {
            dir: checkpoint_dir,
            identity,
            resume,
        },
        progress,
        log,
    )?;
    let model = load_weights(
        config.model.init(base),
        &checkpoint_dir.join(BEST_WEIGHTS_FILE),
    )?;
    Ok(Trained {
        model,
        records: fitted.records,
        best_epoch: fitted.best_epoch,
    })
}

/// The text ranker's part of the training loop: item-balanced pairs with sampled negatives,
/// BCE plus InfoNCE, and validation MRR to pick the epoch.
struct TextRankerSteps<'a> {
    data: &'a RankingData,
    config: &'a TextRankerTrainConfig,
    sampler: PairSampler<'a>,
    catalog: CatalogTensors,
}

impl TrainStep for TextRankerSteps<'_> {
    type Model = TextRanker;
    type Batch = Batch;

    fn steps_per_epoch(&self) -> usize {
        self.data.train_items.len().div_ceil(self.config.batch_size)
    }

    fn batches(&self, epoch: usize) -> impl Iterator<Item = Batch> {
        let (data, config) = (self.data, self.config);
        let mut rng = epoch_rng(config.seed, epoch);
        (0..self.steps_per_epoch()).map(move |_| {
            let mut batch = self
                .sampler
                .batch(config.batch_size, config.negatives, &mut rng);
            if config.model.history_heads > 0 {
                batch.histories = match &data.histories {
                    Some(real) => batch.pairs.iter().map(|&p| real[p].clone()).collect(),
                    None => batch
                        .pairs
                        .iter()
                        .map(|&p| {
                            config
                                .shoppers
                                .history(data.train_items[p], &data.classes, &mut rng)
                        })
                        .collect(),
                };
            }
            batch
        })
    }

    fn step(&self, model: &TextRanker, batch: Batch) -> TrainOutput {
        let loss = batch_loss(model, self.data, &self.catalog, &batch, &self.config.loss);
        TrainOutput::new(model, loss.total, vec![loss.bce, loss.info_nce])
    }
}

impl ValidStep for TextRankerSteps<'_> {
    type Valid = RankingMetrics;
    type Record = EpochRecord;

    fn validate(&self, model: &TextRanker) -> Result<RankingMetrics, TrainError> {
        let data = self.data;
        evaluate_queries(model, data, &data.valid_queries, &data.valid_items)
    }

    fn record(&self, epoch: &EpochSummary, valid: RankingMetrics) -> EpochRecord {
        EpochRecord {
            epoch: epoch.epoch,
            train_loss: epoch.loss(),
            train_bce: epoch.part(0),
            train_info_nce: epoch.part(1),
            valid_recall_at_10: valid.recall_at_10,
            valid_mrr: valid.mrr,
            seconds: epoch.seconds,
        }
    }

    fn score(&self, record: &EpochRecord) -> Option<f64> {
        Some(record.valid_mrr)
    }

    fn describe(&self, epoch: &EpochSummary, valid: &RankingMetrics) -> String {
        format!(
            "epoch {:>3}: loss {:.4} (BCE {:.4}, InfoNCE {:.4})  valid R@10 {:.3}  MRR {:.3}",
            epoch.epoch,
            epoch.loss(),
            epoch.part(0),
            epoch.part(1),
            valid.recall_at_10,
            valid.mrr
        )
    }
}

/// Ranks of each query's item among all items.
pub fn query_ranks(
    model: &TextRanker,
    data: &RankingData,
    queries: &EmbeddingMatrix,
    items: &[usize],
) -> Result<Vec<usize>, TrainError> {
    let device = device_of(model);
    let item_embeddings = item_embeddings(model, &data.item_features, &device);
    let z = model.query.forward(matrix_tensor(queries, &device), None);
    let mut scores = model
        .scores(z, item_embeddings)
        .into_data()
        .try_into_vec::<f32>()
        .map_err(TrainError::Readback)?;
    let n = data.item_features.rows;
    Ok(items
        .iter()
        .enumerate()
        .map(|(q, &item)| {
            candidate_rank(
                &mut scores[q * n..(q + 1) * n],
                item,
                &data.valid_candidates,
            )
        })
        .collect())
}

fn evaluate_queries(
    model: &TextRanker,
    data: &RankingData,
    queries: &EmbeddingMatrix,
    items: &[usize],
) -> Result<RankingMetrics, TrainError> {
    Ok(RankingMetrics::from_ranks(&query_ranks(
        model, data, queries, items,
    )?))
}

/// e_i for every item, [items, dim].
pub fn item_embeddings(
    model: &TextRanker,
    features: &EmbeddingMatrix,
    device: &Device,
) -> Tensor<2> {
    let catalog = CatalogTensors::new(features, device);
    model.items.forward(catalog.features, catalog.ids)
}

struct Batch {
    pairs: Vec<usize>,
    negatives: Vec<usize>,
    /// One synthetic history per pair, for a model with history heads; empty otherwise.
    histories: Vec<Vec<usize>>,
}

/// Draws training pairs by item-balanced weights and negatives uniformly from the catalog.
struct PairSampler<'a> {
    items: &'a [usize],
    weights: WeightedIndex<f64>,
    item_count: usize,
}

impl<'a> PairSampler<'a> {
    fn new(items: &'a [usize], item_count: usize, balance: f64) -> Result<Self, TrainError> {
        let mut counts = vec![0usize; item_count];
        for &item in items {
            counts[item] += 1;
        }
        let weights = items
            .iter()
            .map(|&item| (counts[item] as f64).powf(balance - 1.0));
        let weights = WeightedIndex::new(weights)?;
        Ok(Self {
            items,
            weights,
            item_count,
        })
    }

    fn batch(&self, size: usize, negatives: usize, rng: &mut ChaCha8Rng) -> Batch {
        let pairs: Vec<usize> = (0..size).map(|_| self.weights.sample(rng)).collect();
        let negatives = pairs
            .iter()
            .flat_map(|&pair| {
                let positive = self.items[pair];
                (0..negatives)
                    .map(|_| {
                        // Uniform over the other items.
                        let drawn = rng.random_range(0..self.item_count - 1);
                        if drawn >= positive { drawn + 1 } else { drawn }
                    })
                    .collect::<Vec<_>>()
            })
            .collect();
        Batch {
            pairs,
            negatives,
            histories: Vec::new(),
        }
    }
}

fn batch_loss(
    model: &TextRanker,
    data: &RankingData,
    catalog: &CatalogTensors,
    batch: &Batch,
    loss: &TextRankerLossConfig,
) -> tailor_model::text_ranker::TextRankerLoss {
    let device = &catalog.device;
    let size = batch.pairs.len();
    let positives: Vec<usize> = batch.pairs.iter().map(|&p| data.train_items[p]).collect();
    let queries = gather_rows(&data.train_queries, &batch.pairs, device);
    // The item tower runs once over the catalog (about a thousand rows) rather than once per
    // positive and negative (batch x (1 + k) rows), then rows are picked out.
    let e_all = model
        .items
        .forward(catalog.features.clone(), catalog.ids.clone());
    let longest = batch.histories.iter().map(Vec::len).max().unwrap_or(0);
    let history = (longest > 0).then(|| {
        let rows: Vec<&[usize]> = batch.histories.iter().map(Vec::as_slice).collect();
        History::gather(e_all.clone(), &rows, longest)
    });
    let e_positive = e_all.clone().select(0, index_tensor(&positives, device));
    let sampled = batch.negatives.len() / size.max(1);
    let e_negative = e_all
        .select(0, index_tensor(&batch.negatives, device))
        .reshape([size, sampled, model.items.dim()]);
    let same_item = same_item_mask(&positives, device);
    let without_history = model.query.forward(queries.clone(), None);
    let Some(history) = history else {
        return loss.loss(without_history, e_positive, e_negative, same_item);
    };
    // Every request is trained both without and with its history, half the weight each: a
    // shopper's first request has no history, and the request-only ranking must not get worse
    // because the model learned to lean on one.
    let alone = loss.loss(
        without_history,
        e_positive.clone(),
        e_negative.clone(),
        same_item.clone(),
    );
    let with = loss.loss(
        model.query.forward(queries, Some(history)),
        e_positive,
        e_negative,
        same_item,
    );
    tailor_model::text_ranker::TextRankerLoss {
        total: (alone.total + with.total).div_scalar(2.0),
        bce: (alone.bce + with.bce).div_scalar(2.0),
        info_nce: (alone.info_nce + with.info_nce).div_scalar(2.0),
    }
}

fn check_data(data: &RankingData, config: &TextRankerTrainConfig) -> Result<(), TrainError> {
    let model = &config.model;
    let problems = [
        (
            data.train_items.is_empty(),
            "there are no training pairs".to_string(),
        ),
        (
            data.train_queries.rows != data.train_items.len(),
            "training queries and items differ in number".to_string(),
        ),
        (
            data.train_queries.dim != model.query_dim || data.valid_queries.dim != model.query_dim,
            format!("queries are not {} wide", model.query_dim),
        ),
        (
            data.item_features.dim != model.item_text_dim
                || data.item_features.rows != model.item_count,
            format!(
                "item features must be {} x {}",
                model.item_count, model.item_text_dim
            ),
        ),
        (
            model.item_count < 2,
            "the catalog needs two items or more".to_string(),
        ),
        (
            data.train_items
                .iter()
                .chain(&data.valid_items)
                .any(|&i| i >= model.item_count),
            "an item index is outside the catalog".to_string(),
        ),
        (
            config.batch_size == 0,
            "batch size must be positive".to_string(),
        ),
        (
            data.histories.as_ref().is_some_and(|h| {
                h.len() != data.train_items.len()
                    || h.iter().flatten().any(|&i| i >= model.item_count)
            }),
            "histories must be one per training pair, over catalog items".to_string(),
        ),
    ];
    match problems.into_iter().find(|(bad, _)| *bad) {
        Some((_, message)) => Err(TrainError::Config { message }),
        None => Ok(()),
    }
}
