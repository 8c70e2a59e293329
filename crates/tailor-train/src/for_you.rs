//! "For you": the next item from the shopper's history alone, which is what a bundle ranks for
//! an empty request. COURIER's item side under WhisperLite's query tower, trained on behaviour
//! split leave-last-out (see `crate::next_item`):
//!
//! - item tower e_i = normalise(W x_i + v_i) over the item text's MiniLM embedding x_i and a
//!   learned per-item vector v_i, first pretrained with COURIER's reconstruction loss on the
//!   training histories;
//! - query tower z = MLP([e_last ; u]): the most recent history item stands in for the request,
//!   so that the head can tell "what now" (the last click) from "what overall" (u, the intention
//!   attention over the history);
//! - score <z, e_i>.
//!
//! Every position of every training history is an example (the next item after its prefix),
//! scored against the whole catalog with softmax cross-entropy: InfoNCE whose negatives are all
//! items, affordable because scoring is one matrix product. The epoch with the best validation
//! NDCG@10 is kept; training stops after `patience` epochs without a better one. Each epoch is
//! checkpointed, so a killed run resumes after its last finished epoch.
//!
//! The MovieLens experiment runs the same trainer with other item sides (frozen content, ids
//! only) and with a text request per target.

use std::path::Path;

use burn::module::Module;
use burn::nn::{Embedding, EmbeddingConfig};
use burn::optim::AdamConfig;
use burn::prelude::*;
use burn::tensor::activation::log_softmax;
use indicatif::ProgressBar;
use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};
use tailor_core::quant::EmbeddingMatrix;
use tailor_model::intention::{History, info_nce, reconstruct, same_item_mask};
use tailor_model::text_ranker::{ItemTower, QueryTower, TextRankerConfig};

use crate::checkpoint::{
    BEST_WEIGHTS_FILE, CheckpointProgress, load_weights, progress_path, read_json,
};
use crate::error::TrainError;
use crate::evaluate::to_matrix;
use crate::learner::{
    Checkpoints, EpochSummary, LossOnly, Schedule, TrainOutput, TrainStep, ValidStep, epoch_rng,
    fit,
};
use crate::next_item::{EpochLog, LeaveLastOut, LeaveOneOutMetrics, Phase, masked_rank};
use crate::tensors::{CatalogTensors, index_tensor, matrix_tensor, normalize_rows};

#[derive(Config, Debug)]
pub struct SequenceConfig {
    /// Width of e_i and z for the learned item sides.
    #[config(default = 64)]
    pub dim: usize,
    /// Attention heads of the intention module.
    #[config(default = 2)]
    pub heads: usize,
    #[config(default = 50)]
    pub max_history: usize,
    /// Hidden width of the query tower's MLP.
    #[config(default = 256)]
    pub hidden: usize,
    #[config(default = 20)]
    pub epochs: usize,
    /// Epochs without a better validation NDCG@10 before training stops.
    #[config(default = 3)]
    pub patience: usize,
    #[config(default = 3)]
    pub pretrain_epochs: usize,
    #[config(default = 256)]
    pub batch_size: usize,
    #[config(default = 2e-3)]
    pub learning_rate: f64,
    /// tau of COURIER's attention and InfoNCE during pretraining.
    #[config(default = 0.1)]
    pub temperature: f64,
    /// Training examples drawn per epoch (0: all of them).
    #[config(default = 0)]
    pub examples_per_epoch: usize,
    #[config(default = 0)]
    pub seed: u64,
}

impl SequenceConfig {
    /// A product run's "for you" head: at most 200,000 examples an epoch (a MovieLens-1M
    /// epoch in well under a minute), or a short one for tests.
    pub fn for_you(seed: u64, quick: bool) -> SequenceConfig {
        let config = SequenceConfig::new().with_seed(seed);
        if quick {
            config
                .with_epochs(4)
                .with_pretrain_epochs(1)
                .with_examples_per_epoch(20_000)
        } else {
            config.with_examples_per_epoch(200_000)
        }
    }
}

/// What a sequence ranker learns from: the split histories, each item's content embedding x_i,
/// and, for a text request per target, that request's embedding per target item.
#[derive(Clone, Copy)]
pub struct SequenceData<'a> {
    pub split: &'a LeaveLastOut,
    pub content: &'a EmbeddingMatrix,
    pub target_requests: Option<&'a EmbeddingMatrix>,
}

impl SequenceData<'_> {
    pub fn items(&self) -> usize {
        self.content.rows
    }

    fn check(&self, request: Request) -> Result<(), TrainError> {
        let bad = |message: String| Err(TrainError::Config { message });
        if self.split.users() == 0 {
            return bad("no shopper has the three events leave-last-out needs".into());
        }
        match (request, self.target_requests) {
            (Request::LastItem, _) => Ok(()),
            (_, None) => bad("a text request per target needs the targets' request texts".into()),
            (_, Some(requests)) if requests.rows != self.items() => bad(format!(
                "{} items but {} request embeddings",
                self.items(),
                requests.rows
            )),
            _ => Ok(()),
        }
    }
}

/// What the query tower is asked besides the history.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Request {
    /// No request: the most recent history item's e_i stands in for q ("for you").
    LastItem,
    /// The target's text request as q, and the history.
    TargetText,
    /// The target's text request, and no history (no attention heads).
    TargetTextOnly,
}

/// Where e_i comes from.
#[derive(Clone)]
pub enum ItemSide {
    /// The content tower, from COURIER pretraining or freshly initialised.
    Tower(Option<Box<ItemTower>>),
    /// The content embeddings themselves, frozen.
    Frozen,
    /// Learned id embeddings only.
    Ids,
}

impl ItemSide {
    /// The same parts without their weights: what saved weights are loaded into.
    fn shape(&self) -> ItemSide {
        match self {
            ItemSide::Tower(_) => ItemSide::Tower(None),
            other => other.clone(),
        }
    }

    fn name(&self) -> &'static str {
        match self {
            ItemSide::Tower(Some(_)) => "pretrained tower",
            ItemSide::Tower(None) => "tower",
            ItemSide::Frozen => "frozen content",
            ItemSide::Ids => "ids",
        }
    }
}

/// Which ranker to train: where its e_i come from, and what it is asked besides the history.
#[derive(Clone)]
pub struct SequenceModel {
    pub side: ItemSide,
    pub request: Request,
}

#[derive(Module, Debug)]
pub struct SequenceRanker {
    query: QueryTower,
    tower: Option<ItemTower>,
    ids: Option<Embedding>,
}

impl SequenceRanker {
    pub fn query_tower(&self) -> &QueryTower {
        &self.query
    }

    /// Every item's e_i, L2-normalised: [items, dim].
    fn item_embeddings(&self, catalog: &CatalogTensors) -> Tensor<2> {
        let raw = match (&self.tower, &self.ids) {
            (Some(tower), _) => tower.forward(catalog.features.clone(), catalog.ids.clone()),
            (None, Some(ids)) => ids.weight.val(),
            (None, None) => catalog.features.clone(),
        };
        normalize_rows(raw)
    }

    /// Every item's e_i for the content embeddings x_i, as the bundle stores them.
    pub fn item_matrix(&self, content: &EmbeddingMatrix) -> Result<EmbeddingMatrix, TrainError> {
        let device = self.device();
        to_matrix(self.item_embeddings(&CatalogTensors::new(content, &device)))
    }

    fn device(&self) -> Device {
        self.query
            .devices()
            .first()
            .cloned()
            .unwrap_or_else(Device::flex)
    }

    /// z for a batch of histories (oldest first) and their targets, asked `request` (with the
    /// targets' request embeddings, for a text request).
    fn request_vectors(
        &self,
        items: Tensor<2>,
        histories: &[&[usize]],
        targets: &[usize],
        (request, target_requests): (Request, Option<&Tensor<2>>),
        max_history: usize,
    ) -> Tensor<2> {
        let requests = request_rows(request, target_requests, items.clone(), histories, targets);
        let longest = histories.iter().map(|h| h.len()).max().unwrap_or(0);
        let history = (self.query.intention().is_some() && longest > 0)
            .then(|| History::gather(items, histories, longest.min(max_history)));
        self.query.forward(requests, history)
    }
}

/// The request rows of a batch: the targets' text requests, or each history's most recent e_i
/// (zero for an empty history).
fn request_rows(
    request: Request,
    target_requests: Option<&Tensor<2>>,
    items: Tensor<2>,
    histories: &[&[usize]],
    targets: &[usize],
) -> Tensor<2> {
    let device = items.device();
    match (request, target_requests) {
        (Request::TargetText | Request::TargetTextOnly, Some(requests)) => {
            requests.clone().select(0, index_tensor(targets, &device))
        }
        _ => {
            let last: Vec<&[usize]> = histories
                .iter()
                .map(|h| &h[h.len().saturating_sub(1)..])
                .collect();
            let [_, dim] = items.dims();
            History::gather(items, &last, 1)
                .items
                .reshape([histories.len(), dim])
        }
    }
}

/// The content tower e_i = W x_i + v_i: linear, because a hidden layer over the whole catalog
/// at every step would cost more than everything else together.
pub fn init_tower(data: &SequenceData<'_>, config: &SequenceConfig, device: &Device) -> ItemTower {
    TextRankerConfig::new(1, data.content.dim, data.items())
        .with_hidden(0)
        .with_dim(config.dim)
        .init(device)
        .items
}

/// The query tower's shape for an item side and request: what the bundle's loader rebuilds.
pub fn query_tower_config(
    dim: usize,
    request_dim: usize,
    config: &SequenceConfig,
    heads: usize,
) -> TextRankerConfig {
    TextRankerConfig::new(request_dim, 1, 1)
        .with_history_heads(heads)
        .with_max_history(config.max_history)
        .with_hidden(config.hidden)
        .with_dim(dim)
}

/// Every (user, position) of the training histories: the item at `position` after its prefix.
fn training_examples(split: &LeaveLastOut) -> Vec<(u32, u32)> {
    split
        .train
        .iter()
        .enumerate()
        .flat_map(|(user, history)| (1..history.len()).map(move |t| (user as u32, t as u32)))
        .collect()
}

/// One epoch's examples, shuffled by a generator seeded per epoch, so that a resumed run draws
/// what an uninterrupted one would have.
fn epoch_examples(
    all: &[(u32, u32)],
    config: &SequenceConfig,
    salt: u64,
    epoch: usize,
) -> Vec<(u32, u32)> {
    let mut rng = epoch_rng(config.seed ^ salt, epoch);
    let mut examples = all.to_vec();
    examples.shuffle(&mut rng);
    if config.examples_per_epoch > 0 {
        examples.truncate(config.examples_per_epoch);
    }
    examples
}

/// An epoch's examples in batches.
fn epoch_batches(
    all: &[(u32, u32)],
    config: &SequenceConfig,
    salt: u64,
    epoch: usize,
) -> std::vec::IntoIter<Vec<(u32, u32)>> {
    let examples = epoch_examples(all, config, salt, epoch);
    let batches: Vec<Vec<(u32, u32)>> = examples
        .chunks(config.batch_size.max(1))
        .map(<[_]>::to_vec)
        .collect();
    batches.into_iter()
}

fn batch_rows<'a>(
    split: &'a LeaveLastOut,
    batch: &[(u32, u32)],
    max_history: usize,
) -> (Vec<&'a [usize]>, Vec<usize>) {
    batch
        .iter()
        .map(|&(user, t)| {
            let history = &split.train[user as usize];
            let t = t as usize;
            (&history[t.saturating_sub(max_history)..t], history[t])
        })
        .unzip()
}

fn steps(examples: usize, config: &SequenceConfig) -> usize {
    let drawn = if config.examples_per_epoch > 0 {
        examples.min(config.examples_per_epoch)
    } else {
        examples
    };
    drawn.div_ceil(config.batch_size.max(1))
}

/// COURIER pretraining of the content tower: reconstruct each next item from its history,
/// checkpointed in `dir` after each epoch (a folder holding the same pretraining continues it).
/// Returns the tower and the mean InfoNCE of each epoch.
pub fn pretrain_courier(
    data: &SequenceData<'_>,
    config: &SequenceConfig,
    tower: ItemTower,
    dir: &Path,
    progress: &ProgressBar,
    log: &dyn Fn(&str),
) -> Result<(ItemTower, Vec<f64>), TrainError> {
    data.check(Request::LastItem)?;
    let device = tower
        .devices()
        .first()
        .cloned()
        .unwrap_or_else(|| Device::flex().autodiff());
    let steps = PretrainSteps {
        data: *data,
        config,
        catalog: CatalogTensors::new(data.content, &device),
        examples: training_examples(data.split),
    };
    let identity = serde_json::json!({ "config": config, "items": data.items() });
    let fitted = fit(
        &steps,
        tower,
        AdamConfig::new().init(),
        &Schedule::fixed(config.pretrain_epochs, config.learning_rate),
        &Checkpoints::resuming(dir, identity),
        progress,
        log,
    )?;
    Ok((fitted.model, fitted.records))
}

/// COURIER pretraining's part of the training loop: InfoNCE between each next item and its
/// reconstruction from the history, no validation.
struct PretrainSteps<'a> {
    data: SequenceData<'a>,
    config: &'a SequenceConfig,
    catalog: CatalogTensors,
    examples: Vec<(u32, u32)>,
}

impl TrainStep for PretrainSteps<'_> {
    type Model = ItemTower;
    type Batch = Vec<(u32, u32)>;

    fn steps_per_epoch(&self) -> usize {
        steps(self.examples.len(), self.config)
    }

    fn batches(&self, epoch: usize) -> impl Iterator<Item = Vec<(u32, u32)>> {
        epoch_batches(&self.examples, self.config, 0xC0, epoch)
    }

    fn step(&self, tower: &ItemTower, batch: Vec<(u32, u32)>) -> TrainOutput {
        let (rows, targets) = batch_rows(self.data.split, &batch, self.config.max_history);
        let device = &self.catalog.device;
        let items =
            normalize_rows(tower.forward(self.catalog.features.clone(), self.catalog.ids.clone()));
        let longest = rows.iter().map(|r| r.len()).max().unwrap_or(1);
        let history = History::gather(items.clone(), &rows, longest);
        let target_vectors = items.select(0, index_tensor(&targets, device));
        let r = reconstruct(target_vectors.clone(), &history, self.config.temperature).vectors;
        let loss = info_nce(
            r,
            target_vectors,
            same_item_mask(&targets, device),
            self.config.temperature,
        );
        TrainOutput::new(tower, loss, Vec::new())
    }
}

impl LossOnly for PretrainSteps<'_> {
    const TRAINING: &'static str = "COURIER pretraining";
    const LOSS: &'static str = "InfoNCE";
}

/// A trained sequence ranker: the weights of its best epoch, and every epoch's record.
pub struct TrainedSequence {
    pub model: SequenceRanker,
    pub epochs: Vec<EpochLog>,
    pub best_epoch: usize,
}

/// Trains a ranker on every position of the training histories, checkpointing into
/// `checkpoint_dir` after each epoch. A folder holding finished epochs of the same training
/// continues after the last one (a finished one is only loaded); one of another training is
/// refused.
pub fn train_sequence_ranker(
    data: &SequenceData<'_>,
    config: &SequenceConfig,
    model: SequenceModel,
    checkpoint_dir: &Path,
    device: &Device,
    progress: &ProgressBar,
    log: &dyn Fn(&str),
) -> Result<TrainedSequence, TrainError> {
    let SequenceModel { side, request } = model;
    data.check(request)?;
    let base = device;
    let device = base.clone().autodiff();
    device.seed(config.seed.wrapping_add(1));
    let identity = serde_json::json!({
        "config": config,
        "item_side": side.name(),
        "request": request,
        "items": data.items(),
    });
    let shape = side.shape();
    let model = init_ranker(data, config, side, request, &device);
    let steps = SequenceSteps {
        data: *data,
        config,
        request,
        catalog: CatalogTensors::new(data.content, &device),
        target_requests: data.target_requests.map(|m| matrix_tensor(m, &device)),
        examples: training_examples(data.split),
    };
    let fitted = fit(
        &steps,
        model,
        AdamConfig::new().init(),
        &config.schedule(),
        &Checkpoints::resuming(checkpoint_dir, identity),
        progress,
        log,
    )?;
    if fitted.best_epoch == 0 {
        return Err(TrainError::Config {
            message: "training needs at least one epoch".into(),
        });
    }
    let model = load_weights(
        init_ranker(data, config, shape, request, base),
        &checkpoint_dir.join(BEST_WEIGHTS_FILE),
    )?;
    Ok(TrainedSequence {
        model,
        epochs: fitted.records,
        best_epoch: fitted.best_epoch,
    })
}

/// The sequence ranker's part of the training loop: softmax over the whole catalog for each
/// next item, and validation NDCG@10 to pick the epoch and stop early.
struct SequenceSteps<'a> {
    data: SequenceData<'a>,
    config: &'a SequenceConfig,
    request: Request,
    catalog: CatalogTensors,
    target_requests: Option<Tensor<2>>,
    examples: Vec<(u32, u32)>,
}

impl TrainStep for SequenceSteps<'_> {
    type Model = SequenceRanker;
    type Batch = Vec<(u32, u32)>;

    fn steps_per_epoch(&self) -> usize {
        steps(self.examples.len(), self.config)
    }

    fn batches(&self, epoch: usize) -> impl Iterator<Item = Vec<(u32, u32)>> {
        epoch_batches(&self.examples, self.config, 0x5EC, epoch)
    }

    fn step(&self, model: &SequenceRanker, batch: Vec<(u32, u32)>) -> TrainOutput {
        let (rows, targets) = batch_rows(self.data.split, &batch, self.config.max_history);
        let items = model.item_embeddings(&self.catalog);
        let z = model.request_vectors(
            items.clone(),
            &rows,
            &targets,
            (self.request, self.target_requests.as_ref()),
            self.config.max_history,
        );
        let logits = z.matmul(items.transpose());
        let loss = log_softmax(logits, 1)
            .gather(
                1,
                index_tensor(&targets, &self.catalog.device).unsqueeze_dim(1),
            )
            .neg()
            .mean();
        TrainOutput::new(model, loss, Vec::new())
    }
}

impl ValidStep for SequenceSteps<'_> {
    type Valid = LeaveOneOutMetrics;
    type Record = EpochLog;

    fn validate(&self, model: &SequenceRanker) -> Result<LeaveOneOutMetrics, TrainError> {
        evaluate(model, &self.data, self.config, self.request, Phase::Valid)
    }

    fn describe(&self, epoch: &EpochSummary, valid: &LeaveOneOutMetrics) -> String {
        format!(
            "epoch {}: loss {:.4}  valid NDCG@10 {:.4}  HR@10 {:.4}",
            epoch.epoch,
            epoch.loss(),
            valid.ndcg_at_10,
            valid.hr_at_10
        )
    }

    fn record(&self, epoch: &EpochSummary, valid: LeaveOneOutMetrics) -> EpochLog {
        EpochLog {
            epoch: epoch.epoch,
            train_loss: epoch.loss(),
            valid_ndcg_at_10: valid.ndcg_at_10,
            seconds: epoch.seconds,
        }
    }

    fn score(&self, record: &EpochLog) -> Option<f64> {
        Some(record.valid_ndcg_at_10)
    }
}

impl SequenceConfig {
    /// The ranker's epochs, learning rate and early stopping.
    fn schedule(&self) -> Schedule {
        Schedule {
            epochs: self.epochs,
            learning_rate: self.learning_rate,
            patience: Some(self.patience),
        }
    }
}

fn init_ranker(
    data: &SequenceData<'_>,
    config: &SequenceConfig,
    side: ItemSide,
    request: Request,
    device: &Device,
) -> SequenceRanker {
    let (dim, tower, ids) = match side {
        ItemSide::Tower(pretrained) => (
            config.dim,
            Some(pretrained.map_or_else(|| init_tower(data, config, device), |t| *t)),
            None,
        ),
        ItemSide::Frozen => (data.content.dim, None, None),
        ItemSide::Ids => (
            config.dim,
            None,
            Some(EmbeddingConfig::new(data.items(), config.dim).init(device)),
        ),
    };
    let (request_dim, heads) = match (request, data.target_requests) {
        (Request::TargetText, Some(requests)) => (requests.dim, config.heads),
        (Request::TargetTextOnly, Some(requests)) => (requests.dim, 0),
        _ => (dim, config.heads),
    };
    SequenceRanker {
        query: query_tower_config(dim, request_dim, config, heads).init_query_tower(device),
        tower,
        ids,
    }
}

/// Full-catalog ranks of every user's target, in batches of users.
pub fn evaluate(
    model: &SequenceRanker,
    data: &SequenceData<'_>,
    config: &SequenceConfig,
    request: Request,
    phase: Phase,
) -> Result<LeaveOneOutMetrics, TrainError> {
    let device = model.device();
    let items = model.item_embeddings(&CatalogTensors::new(data.content, &device));
    evaluate_with_items(model, items, data, config, request, phase)
}

/// [`evaluate`] with the item embeddings given, e.g. as a bundle stores them.
pub fn evaluate_with_items(
    model: &SequenceRanker,
    items: Tensor<2>,
    data: &SequenceData<'_>,
    config: &SequenceConfig,
    request: Request,
    phase: Phase,
) -> Result<LeaveOneOutMetrics, TrainError> {
    let device = items.device();
    let target_requests = data.target_requests.map(|m| matrix_tensor(m, &device));
    let users = data.split.users();
    let item_count = data.items();
    let mut ranks = Vec::with_capacity(users);
    for first in (0..users).step_by(512) {
        let batch: Vec<usize> = (first..(first + 512).min(users)).collect();
        let histories: Vec<Vec<usize>> = batch
            .iter()
            .map(|&u| data.split.history(u, phase))
            .collect();
        let rows: Vec<&[usize]> = histories
            .iter()
            .map(|h| &h[h.len().saturating_sub(config.max_history)..])
            .collect();
        let targets: Vec<usize> = batch.iter().map(|&u| data.split.target(u, phase)).collect();
        let z = model.request_vectors(
            items.clone(),
            &rows,
            &targets,
            (request, target_requests.as_ref()),
            config.max_history,
        );
        let scores = z
            .matmul(items.clone().transpose())
            .into_data()
            .try_to_vec::<f32>()
            .map_err(TrainError::Readback)?;
        for ((row, history), &target) in scores.chunks(item_count).zip(&histories).zip(&targets) {
            ranks.push(masked_rank(row.to_vec(), history, target));
        }
    }
    Ok(LeaveOneOutMetrics::from_ranks(&ranks))
}

/// The product's "for you" head as a run trains it: COURIER pretraining of the item tower, then
/// the ranker with the most recent item as the request, both kept in `dir`.
pub struct ForYouTraining {
    pub trained: TrainedSequence,
    /// COURIER pretraining's mean InfoNCE per epoch.
    pub pretraining_loss: Vec<f64>,
}

/// Where a "for you" folder keeps COURIER pretraining's checkpoints.
const PRETRAINING_DIR: &str = "pretraining";

/// Trains the "for you" head in `dir`, or continues or loads what `dir` holds of the same
/// training (the run folder's own check refuses a run started without `--resume`).
pub fn train_for_you(
    data: &SequenceData<'_>,
    config: &SequenceConfig,
    dir: &Path,
    device: &Device,
    progress: &ProgressBar,
    log: &dyn Fn(&str),
) -> Result<ForYouTraining, TrainError> {
    let autodiff = device.clone().autodiff();
    autodiff.seed(config.seed);
    let (tower, pretraining_loss) = pretrain_courier(
        data,
        config,
        init_tower(data, config, &autodiff),
        &dir.join(PRETRAINING_DIR),
        progress,
        log,
    )?;
    let trained = train_sequence_ranker(
        data,
        config,
        SequenceModel {
            side: ItemSide::Tower(Some(Box::new(tower))),
            request: Request::LastItem,
        },
        dir,
        device,
        progress,
        log,
    )?;
    Ok(ForYouTraining {
        trained,
        pretraining_loss,
    })
}

/// How a "for you" head trained: its epochs (validation NDCG@10), the one kept, and the COURIER
/// pretraining loss per epoch.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ForYouRecord {
    pub best_epoch: usize,
    pub epochs: Vec<EpochLog>,
    pub pretraining_loss: Vec<f64>,
}

/// The finished "for you" head kept in `dir`, for eval and export.
pub fn load_for_you(
    data: &SequenceData<'_>,
    config: &SequenceConfig,
    dir: &Path,
    device: &Device,
) -> Result<(SequenceRanker, ForYouRecord), TrainError> {
    let progress: CheckpointProgress<EpochLog> = read_json(&progress_path(dir))?;
    // No record when the config asks for no pretraining epochs.
    let pretraining_record = progress_path(&dir.join(PRETRAINING_DIR));
    let pretraining_loss = if pretraining_record.exists() {
        read_json::<CheckpointProgress<f64>>(&pretraining_record)?.records
    } else {
        Vec::new()
    };
    if !config
        .schedule()
        .finished(progress.epochs_done, progress.best_epoch)
    {
        return Err(TrainError::Unfinished {
            path: dir.to_path_buf(),
            epochs_done: progress.epochs_done,
            epochs: config.epochs,
        });
    }
    let model = init_ranker(
        data,
        config,
        ItemSide::Tower(None),
        Request::LastItem,
        device,
    );
    let record = ForYouRecord {
        best_epoch: progress.best_epoch,
        epochs: progress.records,
        pretraining_loss,
    };
    Ok((load_weights(model, &dir.join(BEST_WEIGHTS_FILE))?, record))
}
