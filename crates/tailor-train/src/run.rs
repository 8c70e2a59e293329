//! A run folder: what `tailor train --shop` writes and `tailor eval` / `tailor export` read.
//!
//! ```text
//! RUN/run.json                  options and what each part trains from; eval and export
//!                               rebuild the same data from them
//! RUN/<variant>/progress.json   per-epoch records and the config (see checkpoint.rs)
//! RUN/<variant>/epoch-NNN.*     the last checkpoint
//! RUN/outfits-<encoder>/        Fashion Hash Net's checkpoints (complete the look), one model
//!                               per query encoder
//! RUN/for-you/                  the "for you" head's pretrained item tower and checkpoints,
//!                               for a shop with events (see for_you.rs)
//! ```
//! Variants: WhisperLite on MiniLM queries and on static-encoder queries. Their history heads
//! train on the shop's real sessions where its search log names shoppers with events before
//! their searches, and on synthetic shoppers otherwise. The outfit model learns from the shop's
//! own outfits over its own items; a shop without an outfits file gets no outfit model, and its
//! bundle no outfit section, so that a shop's bundle never holds outfits it did not make. A
//! shop with events also gets a "for you" head, which ranks an empty request from the history
//! alone. `run.json` and the manifest say what each part learnt from.

use std::path::{Path, PathBuf};

use burn::prelude::Device;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use tailor_core::bundle::{
    BUNDLE_FORMAT_VERSION, BundleItem, BundleWriter, EmbeddingEncoding, EncoderKind,
    FOR_YOU_ITEMS_FILE, FOR_YOU_TOWER_FILE, ForYouSection, ITEM_EMBEDDINGS_FILE, ITEMS_FILE,
    MINILM_FILE, Manifest, Personalization, QUERY_TOWER_FILE, STATIC_ENCODER_FILE, TOKENIZER_FILE,
};
use tailor_core::quant::{self, EmbeddingMatrix};
use tailor_model::fhn::FashionHashNetConfig;
use tailor_model::text_ranker::{QueryTower, TextRanker, TextRankerConfig, TextRankerLossConfig};

use tailor_data::OutfitData;
use tailor_data::shop::Shop;

use crate::checkpoint::{BEST_WEIGHTS_FILE, load_weights, read_json, read_progress, write_json};
use crate::corpus::{RequestSource, ShopCorpus, SplitConfig, shopper_histories};
use crate::error::TrainError;
use crate::evaluate::{
    MethodResult, dot_ranks, model_vectors, popularity_ranks, quantized_ranks, random_ranks,
    to_matrix,
};
use crate::for_you::{
    ForYouRecord, Request, SequenceConfig, evaluate_with_items, load_for_you, train_for_you,
};
use crate::metrics::{RankingMetrics, recall_curve};
use crate::next_item::{
    BprMfConfig, LeaveOneOutMetrics, Phase, bpr_mf, popularity_scores, rank_users,
};
use crate::outfits::{
    ItemContent, OutfitNames, OutfitSet, OutfitTrainConfig, export_outfits, load_trained,
    train_outfits,
};
use crate::pipeline::{PrepareOptions, Prepared, Stages, prepare};
use crate::plots::{EpochRecord, plot_recall_at_k, plot_training_curves};
use crate::progress::progress_bar;
use crate::tensors::matrix_tensor;
use crate::text_ranker::{TextRankerTrainConfig, item_embeddings, train};

pub const RUN_FILE: &str = "run.json";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunOptions {
    /// The shop folder, as an absolute path.
    pub shop: PathBuf,
    /// Seed of the initial weights and the sampling.
    pub seed: u64,
    /// Seed of the held-out requests: fixed by default, so that runs with different training
    /// seeds are measured on the same test requests.
    pub split_seed: u64,
    pub epochs: usize,
    /// Items with at least this many requests hold one out for test and one for validation.
    pub min_requests: usize,
    /// A quick outfit model (a quarter of the epochs), for tests.
    pub quick: bool,
}

impl RunOptions {
    pub fn new(shop: PathBuf) -> Self {
        Self {
            shop,
            seed: 0,
            split_seed: 0,
            epochs: 12,
            min_requests: SplitConfig::default().min_requests,
            quick: false,
        }
    }
}

/// What `run.json` holds: the options, and what each part of the model trains from.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunFile {
    pub options: RunOptions,
    pub sources: TrainingSources,
}

/// What each part of the model trains from, as `tailor train` prints it and the manifest
/// records it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainingSources {
    pub items: usize,
    /// Text requests: how many of each kind, and how they are split.
    pub requests: RequestCounts,
    pub requests_note: String,
    /// Whether the history heads train on the shop's own sessions.
    pub real_sessions: bool,
    /// Text-model training pairs with an empty request (history, next item) from the shop's
    /// events.
    pub for_you_pairs: usize,
    /// The "for you" head's training examples: every next event of the shoppers' training
    /// histories; 0 without a head.
    pub for_you_examples: usize,
    pub personalization_note: String,
    /// Whether the shop has outfits, and so the bundle an outfit model.
    pub outfits: bool,
    /// Whether its tailor.toml says its outfits were generated.
    pub synthetic_outfits: bool,
    pub outfits_note: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RequestCounts {
    pub queries: usize,
    pub reviews: usize,
    pub pseudo: usize,
    pub train: usize,
    pub valid: usize,
    pub test: usize,
}

impl TrainingSources {
    pub fn new(prepared: &Prepared, options: &RunOptions) -> Self {
        let corpus = &prepared.corpus;
        let split = &corpus.split;
        let requests = RequestCounts {
            queries: corpus.count(RequestSource::Query),
            reviews: corpus.count(RequestSource::Review),
            pseudo: corpus.count(RequestSource::Pseudo),
            train: split.train.len(),
            valid: split.valid.len(),
            test: split.test.len(),
        };
        let requests_note = if corpus.pseudo() {
            "no search log and no reviews: pseudo-requests made of each item's own text \
             (title, category, attributes) train the query tower; nothing is held out, so \
             zero-shot MiniLM is the floor and validation reuses the training requests"
                .to_string()
        } else {
            format!(
                "{} search-log rows and {} reviews; every item with >= {} requests holds one out \
                 for test and one for validation (split seed {}): {} train, {} validation, {} \
                 test{}",
                requests.queries,
                requests.reviews,
                options.min_requests,
                options.split_seed,
                requests.train,
                requests.valid,
                requests.test,
                if requests.valid == 0 {
                    "; no item has enough, so validation reuses the training requests"
                } else {
                    ""
                }
            )
        };
        let histories =
            shopper_histories(&prepared.shop, &corpus.requests, &split.train, MAX_HISTORY);
        let outfits = OutfitSource::of(&prepared.shop);
        let for_you_pairs = prepared.for_you_pairs(MAX_HISTORY).len();
        let text_sessions = match &histories {
            Some(h) => format!(
                "real sessions: {} of {} training requests have their shopper's earlier events \
                 ({} events, weighted by tailor.toml; only positive weights count) as history",
                h.iter().filter(|h| !h.is_empty()).count(),
                h.len(),
                prepared.shop.events.rows.len()
            ),
            None if for_you_pairs > 0 => "real sessions: the search log names no shopper with \
                                          earlier events, so text requests train without a \
                                          history and the history heads learn from the shop's \
                                          events below"
                .to_string(),
            None => "SYNTHETIC shoppers: the shop has no search-log rows with a shopper and a \
                     time that has events before them, so the history heads learn from made-up \
                     histories"
                .to_string(),
        };
        let for_you_examples = prepared.next_items.train_positions();
        let personalization_note = if for_you_pairs > 0 {
            format!(
                "{text_sessions}, with {for_you_pairs} empty-request pairs from the shoppers' \
                 recent events; for you (an empty request and a history): a COURIER head of its \
                 own on {for_you_examples} next events of {} shoppers, their last two events \
                 held out (leave-last-out)",
                prepared.next_items.users()
            )
        } else {
            text_sessions
        };
        TrainingSources {
            items: corpus.items.len(),
            requests,
            requests_note,
            real_sessions: histories.is_some() || for_you_pairs > 0,
            for_you_pairs,
            for_you_examples,
            personalization_note,
            outfits: outfits != OutfitSource::None,
            synthetic_outfits: matches!(
                outfits,
                OutfitSource::Shop {
                    synthetic: true,
                    ..
                }
            ),
            outfits_note: outfits.note(&prepared.shop),
        }
    }
}

/// How many viewed items the history heads attend over.
pub const MAX_HISTORY: usize = 50;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    TextMinilm,
    TextStatic,
}

impl Variant {
    pub const ALL: [Variant; 2] = [Variant::TextMinilm, Variant::TextStatic];

    pub fn dir_name(self) -> &'static str {
        match self {
            Variant::TextMinilm => "whisperlite-minilm",
            Variant::TextStatic => "whisperlite-static",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Variant::TextMinilm => "WhisperLite, MiniLM queries",
            Variant::TextStatic => "WhisperLite, static-encoder queries",
        }
    }

    pub fn encoder(self) -> EncoderKind {
        match self {
            Variant::TextStatic => EncoderKind::Static,
            Variant::TextMinilm => EncoderKind::Minilm,
        }
    }

    /// The settings of the reported run. The query and item towers start from zero-shot
    /// cosine (identity init, z and e_i as wide as q); the rest was chosen on the validation
    /// split: temperature 0.05 (scores start as cosines, so InfoNCE needs sharp logits),
    /// learning rate 3e-4, and half-balanced sampling. Two attention heads over up to
    /// [`MAX_HISTORY`] viewed items personalize.
    fn config(self, prepared: &Prepared, options: &RunOptions) -> TextRankerTrainConfig {
        let query_dim = prepared.query_dim(self.encoder());
        let model = TextRankerConfig::new(
            query_dim,
            prepared.item_features(self.encoder()).dim,
            prepared.corpus.items.len(),
        )
        .with_dim(query_dim)
        .with_identity_init(true)
        .with_history_heads(2)
        .with_max_history(MAX_HISTORY);
        TextRankerTrainConfig::new(model, TextRankerLossConfig::new().with_temperature(0.05))
            .with_learning_rate(3e-4)
            .with_epochs(options.epochs)
            .with_seed(options.seed)
    }
}

pub fn prepare_options(cache_root: &Path, options: &RunOptions, device: &Device) -> PrepareOptions {
    let mut prepare = PrepareOptions::with_cache_root(cache_root, device.clone());
    prepare.split = SplitConfig {
        min_requests: options.min_requests,
        seed: options.split_seed,
    };
    prepare
}

/// Trains every variant into `run_dir`. With `resume`, finished epochs are kept and training
/// continues where it stopped.
pub fn train_run(
    run_dir: &Path,
    options: &RunOptions,
    resume: bool,
    cache_root: &Path,
    device: &Device,
    stages: &dyn Stages,
    quiet: bool,
) -> Result<(Prepared, TrainingSources), TrainError> {
    let run_file = run_dir.join(RUN_FILE);
    if run_file.exists() {
        let saved: RunFile = read_json(&run_file)?;
        if !resume {
            return Err(TrainError::RunExists { path: run_file });
        }
        if &saved.options != options {
            return Err(TrainError::OtherTraining { path: run_file });
        }
    }
    let prepared = prepare(
        &options.shop,
        &prepare_options(cache_root, options, device),
        stages,
    )?;
    let sources = TrainingSources::new(&prepared, options);
    stages.note(&format!(
        "{} items\nrequests: {}\npersonalization: {}\noutfits: {}",
        sources.items, sources.requests_note, sources.personalization_note, sources.outfits_note
    ));
    write_json(
        &run_file,
        &RunFile {
            options: options.clone(),
            sources: sources.clone(),
        },
    )?;
    // One outfit model per query encoder: a request steers the user code through the text
    // side, which must read the encoder the bundle ships.
    for encoder in [EncoderKind::Static, EncoderKind::Minilm] {
        let Some(outfits) = RunOutfits::new(&prepared, options, encoder)? else {
            break;
        };
        stages.note(&format!(
            "training Fashion Hash Net ({encoder:?} requests) on {}",
            outfits.source.note(&prepared.shop)
        ));
        let bar = progress_bar(quiet);
        train_outfits(
            &outfits.set,
            &outfits.config,
            &outfits_dir(run_dir, encoder),
            &prepared.device,
            &bar,
            &|line| bar.suspend(|| stages.note(line)),
        )?;
        bar.finish_and_clear();
    }
    for variant in Variant::ALL {
        let data = prepared.ranking_data(variant.encoder(), MAX_HISTORY)?;
        let config = variant.config(&prepared, options);
        stages.note(&format!("training {}", variant.label()));
        let bar = progress_bar(quiet);
        train(
            &data,
            &config,
            &run_dir.join(variant.dir_name()),
            true,
            &prepared.device,
            &bar,
            // Through `suspend`: the line must also reach logs where no bar is drawn.
            &|line| bar.suspend(|| stages.note(line)),
        )?;
        bar.finish_and_clear();
    }
    if has_for_you(&prepared) {
        stages.note(&format!(
            "training the for-you head (COURIER) on {} next events",
            sources.for_you_examples
        ));
        let bar = progress_bar(quiet);
        train_for_you(
            &prepared.for_you_data(),
            &for_you_config(options),
            &for_you_dir(run_dir),
            &prepared.device,
            &bar,
            &|line| bar.suspend(|| stages.note(line)),
        )?;
        bar.finish_and_clear();
    }
    Ok((prepared, sources))
}

/// Whether a run trains a "for you" head: when some shopper has more events than the two
/// leave-last-out holds out, and a second one to learn from.
pub fn has_for_you(prepared: &Prepared) -> bool {
    prepared.next_items.train_positions() > 0
}

/// The "for you" head's settings for a run's options.
pub fn for_you_config(options: &RunOptions) -> SequenceConfig {
    SequenceConfig::for_you(options.seed, options.quick)
}

/// Where a run keeps the "for you" head.
pub fn for_you_dir(run_dir: &Path) -> PathBuf {
    run_dir.join("for-you")
}

/// The trained model of one variant, with its epoch records.
pub fn load_variant(
    run_dir: &Path,
    variant: Variant,
    prepared: &Prepared,
    options: &RunOptions,
) -> Result<(TextRanker, TrainingSummary), TrainError> {
    let dir = run_dir.join(variant.dir_name());
    let progress = read_progress(&dir)?;
    let config = variant.config(prepared, options);
    if progress.epochs_done < config.epochs {
        return Err(TrainError::Unfinished {
            path: dir,
            epochs_done: progress.epochs_done,
            epochs: config.epochs,
        });
    }
    let model = config.model.init(&prepared.device);
    let model = load_weights(model, &dir.join(BEST_WEIGHTS_FILE))?;
    Ok((
        model,
        TrainingSummary {
            method: variant.label().to_string(),
            best_epoch: progress.best_epoch,
            epochs: progress.records,
        },
    ))
}

pub fn load_run(
    run_dir: &Path,
    cache_root: &Path,
    device: &Device,
    stages: &dyn Stages,
) -> Result<(RunFile, Prepared), TrainError> {
    let run: RunFile = read_json(&run_dir.join(RUN_FILE))?;
    let prepared = prepare(
        &run.options.shop,
        &prepare_options(cache_root, &run.options, device),
        stages,
    )?;
    Ok((run, prepared))
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct QuantizationResult {
    pub method: String,
    pub encoding: EmbeddingEncoding,
    pub metrics: RankingMetrics,
    /// Recall@10 with f32 item embeddings minus Recall@10 with the stored ones.
    pub recall_at_10_loss: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EvalReport {
    /// What each part of the model trained from.
    pub sources: TrainingSources,
    pub test_queries: usize,
    pub catalog_items: usize,
    /// The published baselines' protocol first (candidates: items with held-out requests), then
    /// the whole catalog; none where nothing is held out.
    pub protocols: Vec<ProtocolResult>,
    pub static_encoder: StaticEncoderInfo,
    pub training: Vec<TrainingSummary>,
    /// "For you" on the shop's events (next item from the history, with an empty request);
    /// none without events.
    pub next_item: Option<NextItemReport>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NextItemReport {
    pub description: String,
    pub users: usize,
    pub methods: Vec<NextItemResult>,
    /// How the "for you" head trained; none without one.
    pub for_you_training: Option<ForYouRecord>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NextItemResult {
    pub name: String,
    pub valid: LeaveOneOutMetrics,
    pub test: LeaveOneOutMetrics,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TrainingSummary {
    pub method: String,
    /// The epoch whose weights are evaluated and exported (best validation MRR).
    pub best_epoch: usize,
    pub epochs: Vec<EpochRecord>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ProtocolResult {
    pub name: String,
    pub description: String,
    pub candidates: usize,
    pub methods: Vec<MethodResult>,
    pub quantization: Vec<QuantizationResult>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StaticEncoderInfo {
    pub vocab: usize,
    pub dim: usize,
    pub stored_bytes: usize,
}

/// Evaluates every trained variant and the baselines on the test split, under both candidate
/// sets, and draws the plots into `plots_dir`.
pub fn eval_run(
    run_dir: &Path,
    run: &RunFile,
    prepared: &Prepared,
    plots_dir: &Path,
) -> Result<EvalReport, TrainError> {
    let options = &run.options;
    std::fs::create_dir_all(plots_dir).map_err(|source| TrainError::Io {
        path: plots_dir.to_path_buf(),
        source,
    })?;
    let corpus: &ShopCorpus = &prepared.corpus;
    let test = &corpus.split.test;
    let held_out = prepared.candidates();
    let everything = vec![true; corpus.items.len()];
    let protocols: [(&str, String, &[bool]); 2] = [
        (
            "held-out-items",
            format!(
                "one held-out request per item with >= {} requests is the request (split seed \
                 {}); candidates are those {} items",
                options.min_requests,
                options.split_seed,
                held_out.iter().filter(|&&c| c).count()
            ),
            &held_out,
        ),
        (
            "full-catalog",
            format!(
                "the same requests; candidates are all {} catalog items",
                corpus.items.len()
            ),
            &everything,
        ),
    ];

    let mut trained = Vec::new();
    let mut training = Vec::new();
    for variant in Variant::ALL {
        let (model, summary) = load_variant(run_dir, variant, prepared, options)?;
        let (queries, targets) = prepared.queries(variant.encoder(), test)?;
        let (z, items) =
            model_vectors(&model, prepared.item_features(variant.encoder()), &queries)?;
        plot_training_curves(
            &plots_dir.join(format!("training-{}.svg", variant.dir_name())),
            &format!("Training: {}", variant.label()),
            &summary.epochs,
        )?;
        training.push(summary);
        trained.push((variant, z, items, targets));
    }

    let mut results = Vec::new();
    // A shop with nothing held out has no test requests to rank; the report says so.
    let protocols = if test.is_empty() {
        Vec::new()
    } else {
        protocols.to_vec()
    };
    for (name, description, candidates) in protocols {
        let mut methods = Vec::new();
        let mut quantization = Vec::new();
        for (variant, z, items, targets) in &trained {
            let full =
                MethodResult::new(variant.label(), dot_ranks(z, items, targets, candidates)?);
            for encoding in [EmbeddingEncoding::F16, EmbeddingEncoding::Int8] {
                let ranks = quantized_ranks(z, items, targets, encoding, candidates)?;
                let metrics = RankingMetrics::from_ranks(&ranks);
                quantization.push(QuantizationResult {
                    method: variant.label().to_string(),
                    encoding,
                    recall_at_10_loss: full.metrics.recall_at_10 - metrics.recall_at_10,
                    metrics,
                });
            }
            methods.push(full);
        }
        for (encoder, label) in [
            (EncoderKind::Minilm, "zero-shot MiniLM cosine"),
            (EncoderKind::Static, "zero-shot static-encoder cosine"),
        ] {
            let (queries, targets) = prepared.queries(encoder, test)?;
            methods.push(MethodResult::new(
                label,
                dot_ranks(
                    &queries,
                    prepared.zero_shot_items(encoder),
                    &targets,
                    candidates,
                )?,
            ));
        }
        let (_, targets) = prepared.queries(EncoderKind::Minilm, test)?;
        methods.push(MethodResult::new(
            "popularity (training requests per item)",
            popularity_ranks(&corpus.train_counts(), &targets, candidates),
        ));
        methods.push(MethodResult::new(
            "random",
            random_ranks(&targets, candidates, options.seed),
        ));
        let curves: Vec<(String, Vec<(usize, f64)>)> = methods
            .iter()
            .map(|m| (m.name.clone(), recall_curve(&m.ranks, 50)))
            .collect();
        plot_recall_at_k(
            &plots_dir.join(format!("recall-at-k-{name}.svg")),
            &format!("Recall@K on the test split ({name})"),
            &curves,
        )?;
        results.push(ProtocolResult {
            name: name.to_string(),
            description,
            candidates: candidates.iter().filter(|&&c| c).count(),
            methods,
            quantization,
        });
    }
    let next_item = next_item_report(run_dir, prepared, options)?;
    let vectors = prepared.static_encoder.vectors();
    Ok(EvalReport {
        sources: run.sources.clone(),
        test_queries: test.len(),
        catalog_items: corpus.items.len(),
        protocols: results,
        static_encoder: StaticEncoderInfo {
            vocab: vectors.rows,
            dim: vectors.dim,
            stored_bytes: quant::encode(vectors, EmbeddingEncoding::Int8).len(),
        },
        training,
        next_item,
    })
}

/// The next-item protocol (see `crate::next_item`) on the shop's events: the "for you" head,
/// with its item embeddings in f32 and as an int8 bundle stores them, against popularity,
/// random and BPR-MF.
fn next_item_report(
    run_dir: &Path,
    prepared: &Prepared,
    options: &RunOptions,
) -> Result<Option<NextItemReport>, TrainError> {
    let split = &prepared.next_items;
    if split.users() == 0 {
        return Ok(None);
    }
    let items = prepared.corpus.items.len();
    let mut methods = Vec::new();
    let mut for_you_training = None;
    if has_for_you(prepared) {
        let data = prepared.for_you_data();
        let config = for_you_config(options);
        let (model, record) =
            load_for_you(&data, &config, &for_you_dir(run_dir), &prepared.device)?;
        let f32_items = model.item_matrix(data.content)?;
        let device = prepared.device.clone();
        for (name, stored) in [
            (
                "for you: the COURIER head (empty request and the history)",
                None,
            ),
            (
                "for you: the same, int8 item vectors as a bundle stores them",
                Some(EmbeddingEncoding::Int8),
            ),
        ] {
            let matrix = match stored {
                None => f32_items.clone(),
                Some(encoding) => quant::round_trip(&f32_items, encoding)?,
            };
            let metrics = |phase| {
                evaluate_with_items(
                    &model,
                    matrix_tensor(&matrix, &device),
                    &data,
                    &config,
                    Request::LastItem,
                    phase,
                )
            };
            methods.push(NextItemResult {
                name: name.into(),
                valid: metrics(Phase::Valid)?,
                test: metrics(Phase::Test)?,
            });
        }
        for_you_training = Some(record);
    }
    let popularity = popularity_scores(&split.train, items);
    methods.push(NextItemResult {
        name: "popularity (training events per item)".into(),
        valid: rank_users(split, Phase::Valid, |_, _| popularity.clone()),
        test: rank_users(split, Phase::Test, |_, _| popularity.clone()),
    });
    let random = |phase| {
        rank_users(split, phase, |user, _| {
            let mut rng = ChaCha8Rng::seed_from_u64(options.seed ^ (user as u64) << 1);
            (0..items).map(|_| rng.random::<f32>()).collect()
        })
    };
    methods.push(NextItemResult {
        name: "random".into(),
        valid: random(Phase::Valid),
        test: random(Phase::Test),
    });
    let bpr = bpr_mf(
        split,
        items,
        &BprMfConfig {
            dim: 64,
            epochs: if options.quick { 10 } else { 40 },
            patience: 3,
            seed: options.seed,
        },
        &|_| {},
    );
    methods.push(NextItemResult {
        name: bpr.label,
        valid: bpr.valid,
        test: bpr.test,
    });
    Ok(Some(NextItemReport {
        description: format!(
            "leave-last-out over the shop's events with a positive weight: per shopper with at \
             least 3, the last is the test target and the one before the validation target, \
             ranked among every item the shopper has not had before ({} shoppers, {} items)",
            split.users(),
            items
        ),
        users: split.users(),
        methods,
        for_you_training,
    }))
}

/// Writes the bundle the browser loads: the chosen query encoder, the query tower, the item
/// embeddings in `encoding`, item metadata and the tokenizer, all listed in manifest.json.
pub fn export_run(
    run_dir: &Path,
    options: &RunOptions,
    prepared: &Prepared,
    out: &Path,
    encoder: EncoderKind,
    encoding: EmbeddingEncoding,
    metrics: serde_json::Value,
) -> Result<Manifest, TrainError> {
    let variant = match encoder {
        EncoderKind::Minilm => Variant::TextMinilm,
        EncoderKind::Static => Variant::TextStatic,
    };
    let (model, _) = load_variant(run_dir, variant, prepared, options)?;
    let config = variant.config(prepared, options);
    let mut writer = BundleWriter::create(out)?;

    let read =
        |path: PathBuf| std::fs::read(&path).map_err(|source| TrainError::Io { path, source });
    writer.add(
        TOKENIZER_FILE,
        &read(prepared.model_dir.join("tokenizer.json"))?,
    )?;
    match encoder {
        EncoderKind::Static => {
            let stored = quant::encode(prepared.static_encoder.vectors(), EmbeddingEncoding::Int8);
            writer.add(STATIC_ENCODER_FILE, &stored)?;
        }
        EncoderKind::Minilm => {
            let weights = read(prepared.model_dir.join("model.safetensors"))?;
            writer.add(MINILM_FILE, &weights)?;
        }
    }
    writer.add(QUERY_TOWER_FILE, &query_tower_bytes(&model.query)?)?;
    let device = prepared.device.clone();
    let items = to_matrix(item_embeddings(
        &model,
        prepared.item_features(encoder),
        &device,
    ))?;
    writer.add(ITEM_EMBEDDINGS_FILE, &quant::encode(&items, encoding))?;
    let metadata = product_cards(prepared, out)?;
    let items_json = serde_json::to_vec(&metadata).map_err(|source| TrainError::Serialize {
        what: "item metadata",
        source,
    })?;
    writer.add(ITEMS_FILE, &items_json)?;

    let outfit_section = match RunOutfits::new(prepared, options, encoder)? {
        Some(outfits) => {
            let outfit_model = load_trained(
                &outfits.set,
                &outfits.config,
                &outfits_dir(run_dir, encoder),
                &prepared.device,
            )?;
            Some(export_outfits(
                &mut writer,
                &outfit_model,
                &outfits.set,
                &outfits.data,
                &outfits.names,
                &outfits.config,
            )?)
        }
        None => None,
    };
    let for_you = if has_for_you(prepared) {
        let data = prepared.for_you_data();
        let config = for_you_config(options);
        let (model, _) = load_for_you(&data, &config, &for_you_dir(run_dir), &prepared.device)?;
        let items = model.item_matrix(data.content)?;
        writer.add(FOR_YOU_TOWER_FILE, &query_tower_bytes(model.query_tower())?)?;
        writer.add(FOR_YOU_ITEMS_FILE, &quant::encode(&items, encoding))?;
        Some(ForYouSection {
            dim: config.dim,
            hidden: config.hidden,
            heads: config.heads,
            max_history: config.max_history,
            explain_temperature: explain_temperature(&items),
        })
    } else {
        None
    };

    let mut item_types: Vec<String> = prepared
        .corpus
        .items
        .iter()
        // Items without a category are typed by nothing rather than by "".
        .filter(|c| !c.class.is_empty())
        .map(|c| c.class.clone())
        .collect();
    item_types.sort();
    item_types.dedup();
    writer
        .finish(Manifest {
            format_version: BUNDLE_FORMAT_VERSION,
            encoder,
            text_dim: config.model.query_dim,
            dim: config.model.dim,
            hidden: config.model.hidden,
            personalization: (config.model.history_heads > 0).then(|| Personalization {
                heads: config.model.history_heads,
                max_history: config.model.max_history,
                explain_temperature: explain_temperature(&items),
            }),
            item_count: items.rows,
            item_types,
            item_embedding_encoding: encoding,
            outfits: outfit_section,
            for_you,
            shop: Some(prepared.shop.name()),
            files: Vec::new(),
            metrics: bundle_metrics(prepared, options, metrics, out)?,
        })
        .map_err(TrainError::from)
}

/// The manifest's `metrics`: where the bundle was trained from, and the name of the eval report.
/// The report itself (tens of KB) goes beside the bundle as `report.json`, not into the
/// manifest, which every page load fetches.
fn bundle_metrics(
    prepared: &Prepared,
    options: &RunOptions,
    report: serde_json::Value,
    out: &Path,
) -> Result<serde_json::Value, TrainError> {
    let mut metrics =
        serde_json::json!({ "trained_from": TrainingSources::new(prepared, options) });
    if !report.is_null() {
        let bytes = serde_json::to_vec_pretty(&report).map_err(|source| TrainError::Json {
            path: out.join(REPORT_FILE),
            source,
        })?;
        tailor_core::bundle::write_atomically(&out.join(REPORT_FILE), &bytes)?;
        metrics["report"] = REPORT_FILE.into();
    }
    Ok(metrics)
}

/// The eval report `tailor export --report` copies beside the bundle.
pub const REPORT_FILE: &str = "report.json";

/// The page's product cards, in catalog order. Pictures that are files of the shop are copied
/// to `out/images/` (beside the bundle files, not among them: the page loads each picture when
/// it shows it, never the catalog's all at once) and named by their path relative to `out`.
fn product_cards(prepared: &Prepared, out: &Path) -> Result<Vec<BundleItem>, TrainError> {
    let shop = &prepared.shop;
    let mut cards = Vec::with_capacity(shop.catalog.len());
    for (item, text) in shop.catalog.items.iter().zip(&prepared.corpus.items) {
        let image = match shop.image_path(item) {
            Some(source) if !item.image_is_url() => {
                let relative = source
                    .strip_prefix(shop.dir.join("images"))
                    .map_or_else(|_| PathBuf::from(&item.image), Path::to_path_buf);
                let target = out.join("images").join(&relative);
                if let Some(parent) = target.parent() {
                    std::fs::create_dir_all(parent).map_err(|source| TrainError::Io {
                        path: parent.to_path_buf(),
                        source,
                    })?;
                }
                std::fs::copy(&source, &target).map_err(|source| TrainError::Io {
                    path: target.clone(),
                    source,
                })?;
                let parts: Vec<String> = relative
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect();
                format!("images/{}", parts.join("/"))
            }
            _ => item.image.clone(),
        };
        cards.push(BundleItem {
            id: item.id.clone(),
            title: item.title.clone(),
            class: text.class.clone(),
            category: item.category.clone(),
            image,
            price: item.price,
            currency: item.currency.clone(),
            url: item.url.clone(),
            highlight: text.highlight.clone(),
        });
    }
    Ok(cards)
}

/// Where a run keeps the checkpoints of the outfit model for one query encoder.
pub fn outfits_dir(run_dir: &Path, encoder: EncoderKind) -> PathBuf {
    run_dir.join(match encoder {
        EncoderKind::Minilm => "outfits-minilm",
        EncoderKind::Static => "outfits-static",
    })
}

/// The outfit model of a run, from the shop's own outfits over its own catalog items
/// (pictures as thumbnails where every outfit item has one). Quick runs train a quarter of the
/// epochs.
pub struct RunOutfits {
    pub data: OutfitData,
    pub set: OutfitSet,
    pub names: OutfitNames,
    pub config: OutfitTrainConfig,
    /// What they are, for the report and the manifest.
    pub source: OutfitSource,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutfitSource {
    /// `synthetic` where tailor.toml says the outfits were generated.
    Shop { pictures: bool, synthetic: bool },
    /// No outfits file: no outfit model.
    None,
}

impl OutfitSource {
    pub fn of(shop: &Shop) -> OutfitSource {
        if shop.outfits.is_empty() {
            OutfitSource::None
        } else {
            OutfitSource::Shop {
                pictures: shop.outfit_pictures(),
                synthetic: shop.config.outfits.synthetic.is_some(),
            }
        }
    }

    pub fn note(self, shop: &Shop) -> String {
        match self {
            OutfitSource::Shop { pictures, .. } => format!(
                "{}the shop's own {} outfits over its catalog items, {}",
                shop.config
                    .outfits
                    .synthetic
                    .as_ref()
                    .map_or_else(String::new, |how| format!("{how}: ")),
                shop.outfits.len(),
                if pictures {
                    "with an image tower over their pictures (28 x 28 grey thumbnails) and their \
                     categories as text"
                } else {
                    "from their categories as text (not every outfit item has a picture file)"
                }
            ),
            OutfitSource::None => "none: the shop has no outfits file, so the bundle has no \
                                   outfit model (complete the look is off)"
                .to_string(),
        }
    }
}

impl RunOutfits {
    /// The shop's outfits, and a model whose text side reads `encoder`'s embeddings of the
    /// class names, as the bundle with that encoder will embed a request; `None` for a shop
    /// without outfits.
    pub fn new(
        prepared: &Prepared,
        options: &RunOptions,
        encoder: EncoderKind,
    ) -> Result<Option<RunOutfits>, TrainError> {
        let source = OutfitSource::of(&prepared.shop);
        let Some(shop) = prepared.shop.outfit_data()? else {
            return Ok(None);
        };
        let (data, names) = (
            shop.data,
            OutfitNames {
                slots: shop.slots,
                required: shop.required,
                classes: shop.classes,
            },
        );
        let class_refs: Vec<&str> = names.classes.iter().map(String::as_str).collect();
        let class_text = prepared.embed_texts(encoder, &class_refs)?;
        let text_dim = class_text.dim;
        let content = ItemContent {
            pixels: data.pixels.clone(),
            class: data.items.iter().map(|item| item.class).collect(),
            class_text,
        };
        // Every outfit trains the bundle's model; a held-out split is the outfit-ablations
        // experiment's business.
        let set = OutfitSet::split(&data, names.slots.len(), Some(content), 0);
        // The settings of outfit-ablations' content model; a quick run's model only has to
        // work, not to be good: a quarter of the epochs.
        let config = OutfitTrainConfig::new(
            FashionHashNetConfig::new(set.slots)
                .with_bits(128)
                .with_dim(64)
                .with_text_dim(text_dim),
        )
        .with_epochs(if options.quick { 10 } else { 40 })
        .with_seed(options.seed);
        Ok(Some(RunOutfits {
            data,
            set,
            names,
            config,
            source,
        }))
    }
}

/// tau for "because you viewed": the spread (standard deviation) of the dot products between
/// item embeddings, so that the explanation's softmax separates a close history item from a
/// typical one by a few units, whatever the embeddings' scale. At most 2,000 items are used.
fn explain_temperature(items: &EmbeddingMatrix) -> f64 {
    let n = items.rows.min(2000);
    let (mut sum, mut squares, mut count) = (0f64, 0f64, 0f64);
    for a in 0..n {
        for b in a + 1..n {
            let dot: f32 = items
                .row(a)
                .iter()
                .zip(items.row(b))
                .map(|(x, y)| x * y)
                .sum();
            sum += f64::from(dot);
            squares += f64::from(dot) * f64::from(dot);
            count += 1.0;
        }
    }
    if count == 0.0 {
        return 1.0;
    }
    let mean = sum / count;
    (squares / count - mean * mean).sqrt().max(1e-6)
}

/// Only the query tower's tensors: the item tower stays behind, its output is the embeddings.
fn query_tower_bytes(tower: &QueryTower) -> Result<Vec<u8>, TrainError> {
    use burn::store::{ModuleSnapshot, SafetensorsStore};
    let mut store = SafetensorsStore::from_bytes(None);
    tower
        .save_into(&mut store)
        .map_err(TrainError::ExportWeights)?;
    store.get_bytes().map_err(TrainError::ExportWeights)
}
