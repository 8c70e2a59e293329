//! A run folder: what `tailor train` writes and `tailor eval` / `tailor export` read.
//!
//! ```text
//! RUN/run.json                  options; eval and export rebuild the same data from them
//! RUN/<variant>/progress.json   per-epoch records and the config (see whisper.rs)
//! RUN/<variant>/epoch-NNN.*     the last checkpoint
//! RUN/outfits-<encoder>/        Fashion Hash Net's checkpoints (complete the look), one model
//!                               per query encoder
//! ```
//! Variants: WhisperLite on MiniLM queries, WhisperLite on static-encoder queries, and the
//! linear baseline (no hidden layers, item-balanced sampling) on MiniLM queries. The reviews
//! have no outfits, so the outfit model learns from SYNTHETIC outfits over Fashion-MNIST items
//! (`tailor_data::outfits`), a catalog of its own that the bundle ships beside the shop's.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use tailor_core::bundle::{
    BUNDLE_FORMAT_VERSION, BundleItem, BundleWriter, EmbeddingEncoding, EncoderKind,
    ITEM_EMBEDDINGS_FILE, ITEMS_FILE, MINILM_FILE, Manifest, Personalization, QUERY_TOWER_FILE,
    STATIC_ENCODER_FILE, TOKENIZER_FILE,
};
use tailor_core::quant::{self, EmbeddingMatrix};
use tailor_model::whisper::{WhisperLite, WhisperLiteConfig, WhisperLiteLossConfig};

use tailor_data::{
    FASHION_MNIST_CLASSES, FashionMnist, OutfitData, SyntheticOutfitConfig, synthetic_outfits,
};

use crate::corpus::ReviewCorpus;
use crate::error::TrainError;
use crate::evaluate::{
    MethodResult, dot_ranks, model_vectors, popularity_ranks, quantized_ranks, random_ranks,
    to_matrix,
};
use crate::metrics::{RankingMetrics, recall_curve};
use crate::outfit_eval::{OutfitEvalConfig, fashion_outfit_set};
use crate::outfits::{OutfitSet, OutfitTrainConfig, export_outfits, load_trained, train_outfits};
use crate::pipeline::{PrepareOptions, Prepared, Stages, Subset, prepare};
use crate::plots::{EpochRecord, plot_recall_at_k, plot_training_curves};
use crate::whisper::{
    BEST_WEIGHTS_FILE, WhisperTrainConfig, item_embeddings, load_weights, progress_bar, read_json,
    read_progress, train, write_json,
};

pub const RUN_FILE: &str = "run.json";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunOptions {
    pub seed: u64,
    pub epochs: usize,
    /// `[max_items, max_reviews_per_item]` for quick runs; absent for the full data.
    pub subset: Option<[usize; 2]>,
}

impl Default for RunOptions {
    fn default() -> Self {
        Self {
            seed: 0,
            epochs: 12,
            subset: None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    WhisperMinilm,
    WhisperStatic,
    LinearMinilm,
}

impl Variant {
    pub const ALL: [Variant; 3] = [
        Variant::WhisperMinilm,
        Variant::WhisperStatic,
        Variant::LinearMinilm,
    ];

    pub fn dir_name(self) -> &'static str {
        match self {
            Variant::WhisperMinilm => "whisperlite-minilm",
            Variant::WhisperStatic => "whisperlite-static",
            Variant::LinearMinilm => "linear-minilm",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Variant::WhisperMinilm => "WhisperLite, MiniLM queries",
            Variant::WhisperStatic => "WhisperLite, static-encoder queries",
            Variant::LinearMinilm => "linear map + per-item vector, MiniLM queries",
        }
    }

    pub fn encoder(self) -> EncoderKind {
        match self {
            Variant::WhisperStatic => EncoderKind::Static,
            _ => EncoderKind::Minilm,
        }
    }

    /// The settings of the reported run. The query and item towers start from zero-shot
    /// cosine (identity init, z and e_i as wide as q); the rest was chosen on the validation
    /// split: temperature 0.05 (scores start as cosines, so InfoNCE needs sharp logits),
    /// learning rate 3e-4, and half-balanced sampling for WhisperLite.
    fn config(self, prepared: &Prepared, options: &RunOptions) -> WhisperTrainConfig {
        let query_dim = prepared.query_dim(self.encoder());
        let model = WhisperLiteConfig::new(
            query_dim,
            prepared.item_features(self.encoder()).dim,
            prepared.corpus.items.len(),
        )
        .with_dim(query_dim)
        .with_identity_init(true);
        // WhisperLite variants personalize: two attention heads over up to 50 viewed items,
        // trained on synthetic shopper histories (the reviews have no shoppers).
        let model = match self {
            Variant::LinearMinilm => model,
            _ => model.with_history_heads(2).with_max_history(50),
        };
        let config =
            WhisperTrainConfig::new(model, WhisperLiteLossConfig::new().with_temperature(0.05))
                .with_learning_rate(3e-4)
                .with_epochs(options.epochs)
                .with_seed(options.seed);
        match self {
            Variant::LinearMinilm => {
                // The linear research baseline: no hidden layers, item-balanced sampling.
                let mut config = config.with_balance(0.0);
                config.model.hidden = 0;
                config
            }
            _ => config,
        }
    }
}

pub fn prepare_options(cache_root: &Path, options: &RunOptions) -> PrepareOptions {
    let mut prepare = PrepareOptions::with_cache_root(cache_root);
    prepare.split.seed = options.seed;
    prepare.subset = options
        .subset
        .map(|[max_items, max_reviews_per_item]| Subset {
            max_items,
            max_reviews_per_item,
        });
    prepare
}

/// Trains every variant into `run_dir`. With `resume`, finished epochs are kept and training
/// continues where it stopped.
pub fn train_run(
    run_dir: &Path,
    options: &RunOptions,
    resume: bool,
    cache_root: &Path,
    stages: &dyn Stages,
    quiet: bool,
) -> Result<Prepared, TrainError> {
    let run_file = run_dir.join(RUN_FILE);
    if run_file.exists() {
        let saved: RunOptions = read_json(&run_file)?;
        if !resume {
            return Err(TrainError::Checkpoint {
                path: run_file,
                message: "a run is already there; pass --resume to continue it, or choose \
                          another output folder"
                    .into(),
            });
        }
        if &saved != options {
            return Err(TrainError::Checkpoint {
                path: run_file,
                message: format!(
                    "it was started with other options ({saved:?}); resume with the same ones"
                ),
            });
        }
    } else {
        write_json(&run_file, options)?;
    }
    let prepared = prepare(&prepare_options(cache_root, options), stages)?;
    // One outfit model per query encoder: a request steers the user code through the text
    // side, which must read the encoder the bundle ships.
    for encoder in [EncoderKind::Static, EncoderKind::Minilm] {
        let outfits = RunOutfits::new(&prepared, options, encoder)?;
        if !quiet {
            eprintln!(
                "training Fashion Hash Net on SYNTHETIC outfits over Fashion-MNIST ({encoder:?} \
                 requests)"
            );
        }
        let bar = progress_bar(quiet);
        train_outfits(
            &outfits.set,
            &outfits.config,
            &outfits_dir(run_dir, encoder),
            &bar,
        )?;
        bar.finish_and_clear();
    }
    for variant in Variant::ALL {
        let data = prepared.ranking_data(variant.encoder())?;
        let config = variant.config(&prepared, options);
        if !quiet {
            eprintln!("training {}", variant.label());
        }
        train(
            &data,
            &config,
            &run_dir.join(variant.dir_name()),
            true,
            &progress_bar(quiet),
        )?;
    }
    Ok(prepared)
}

/// The trained model of one variant, with its epoch records.
pub fn load_variant(
    run_dir: &Path,
    variant: Variant,
    prepared: &Prepared,
    options: &RunOptions,
) -> Result<(WhisperLite, TrainingSummary), TrainError> {
    let dir = run_dir.join(variant.dir_name());
    let progress = read_progress(&dir)?;
    let config = variant.config(prepared, options);
    if progress.epochs_done < config.epochs {
        return Err(TrainError::Checkpoint {
            path: dir,
            message: format!(
                "training stopped after epoch {} of {}; run `tailor train --resume` first",
                progress.epochs_done, config.epochs
            ),
        });
    }
    let model = config.model.init(&burn::prelude::Device::flex());
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
    stages: &dyn Stages,
) -> Result<(RunOptions, Prepared), TrainError> {
    let options: RunOptions = read_json(&run_dir.join(RUN_FILE))?;
    let prepared = prepare(&prepare_options(cache_root, &options), stages)?;
    Ok((options, prepared))
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
    pub test_queries: usize,
    pub catalog_items: usize,
    /// The published baselines' protocol first (candidates: items with >= 10 reviews), then the
    /// whole catalog.
    pub protocols: Vec<ProtocolResult>,
    pub static_encoder: StaticEncoderInfo,
    pub training: Vec<TrainingSummary>,
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
    options: &RunOptions,
    prepared: &Prepared,
    plots_dir: &Path,
) -> Result<EvalReport, TrainError> {
    std::fs::create_dir_all(plots_dir).map_err(|source| TrainError::Io {
        path: plots_dir.to_path_buf(),
        source,
    })?;
    let corpus: &ReviewCorpus = &prepared.corpus;
    let test = &corpus.split.test;
    let reviewed = prepared.candidates();
    let everything = vec![true; corpus.items.len()];
    let protocols: [(&str, String, &[bool]); 2] = [
        (
            "reviewed-items",
            format!(
                "one held-out review per item with >= {} reviews is the request (split seed {}); \
                 candidates are those {} items",
                tailor_data::SplitConfig::default().min_reviews,
                options.seed,
                reviewed.iter().filter(|&&c| c).count()
            ),
            &reviewed,
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
    for (name, description, candidates) in protocols {
        let mut methods = Vec::new();
        let mut quantization = Vec::new();
        for (variant, z, items, targets) in &trained {
            let full =
                MethodResult::new(variant.label(), dot_ranks(z, items, targets, candidates)?);
            if *variant != Variant::LinearMinilm {
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
            "popularity (training reviews per item)",
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
    let vectors = prepared.static_encoder.vectors();
    Ok(EvalReport {
        test_queries: test.len(),
        catalog_items: corpus.items.len(),
        protocols: results,
        static_encoder: StaticEncoderInfo {
            vocab: vectors.rows,
            dim: vectors.dim,
            stored_bytes: quant::encode(vectors, EmbeddingEncoding::Int8).len(),
        },
        training,
    })
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
        EncoderKind::Minilm => Variant::WhisperMinilm,
        EncoderKind::Static => Variant::WhisperStatic,
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
    writer.add(QUERY_TOWER_FILE, &query_tower_bytes(&model)?)?;
    let device = burn::prelude::Device::flex();
    let items = to_matrix(item_embeddings(
        &model,
        prepared.item_features(encoder),
        &device,
    ))?;
    writer.add(ITEM_EMBEDDINGS_FILE, &quant::encode(&items, encoding))?;
    let metadata: Vec<BundleItem> = prepared
        .corpus
        .items
        .iter()
        .zip(&prepared.corpus.catalog)
        .map(|(item, catalog)| BundleItem {
            id: item.item_id.to_string(),
            title: item.display_title(),
            class: catalog.class.clone(),
            department: catalog.department.clone(),
            division: catalog.division.clone(),
            reviews: item.review_indices.len(),
        })
        .collect();
    let items_json = serde_json::to_vec(&metadata).map_err(|e| TrainError::Serialize {
        what: "item metadata",
        message: e.to_string(),
    })?;
    writer.add(ITEMS_FILE, &items_json)?;

    let outfits = RunOutfits::new(prepared, options, encoder)?;
    let outfit_model = load_trained(
        &outfits.set,
        &outfits.config,
        &outfits_dir(run_dir, encoder),
    )?;
    let outfit_section = export_outfits(
        &mut writer,
        &outfit_model,
        &outfits.set,
        &outfits.data,
        &outfits.config,
    )?;

    let mut item_types: Vec<String> = prepared
        .corpus
        .catalog
        .iter()
        // A few items have no class in the data; they are typed by nothing rather than by "".
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
            outfits: Some(outfit_section),
            files: Vec::new(),
            metrics,
        })
        .map_err(TrainError::from)
}

/// Where a run keeps the checkpoints of the outfit model for one query encoder.
pub fn outfits_dir(run_dir: &Path, encoder: EncoderKind) -> PathBuf {
    run_dir.join(match encoder {
        EncoderKind::Minilm => "outfits-minilm",
        EncoderKind::Static => "outfits-static",
    })
}

/// The outfit model of a shop run: SYNTHETIC outfits over Fashion-MNIST items, since the reviews
/// have none. Quick runs (a subset of the reviews) use the generator's quick size.
pub struct RunOutfits {
    pub data: OutfitData,
    pub set: OutfitSet,
    pub config: OutfitTrainConfig,
}

impl RunOutfits {
    /// The outfits, and a model whose text side reads `encoder`'s embeddings of the class
    /// names, as the bundle with that encoder will embed a request.
    pub fn new(
        prepared: &Prepared,
        options: &RunOptions,
        encoder: EncoderKind,
    ) -> Result<RunOutfits, TrainError> {
        let generator = if options.subset.is_some() {
            SyntheticOutfitConfig::quick()
        } else {
            SyntheticOutfitConfig::default()
        };
        let generator = SyntheticOutfitConfig {
            seed: options.seed,
            ..generator
        };
        let images = FashionMnist::load()?;
        let data = synthetic_outfits(&images.train, &generator)?;
        let class_text = prepared.embed_texts(encoder, &FASHION_MNIST_CLASSES)?;
        let text_dim = class_text.dim;
        // Every outfit trains the bundle's model; the evaluation's held-out split is
        // `tailor outfits`' business.
        let set = fashion_outfit_set(&data, class_text, 0);
        let eval = OutfitEvalConfig::new().with_seed(options.seed);
        // A quick run's outfit model only has to work, not to be good (its figures come from
        // `tailor outfits`): a quarter of the epochs.
        let eval = if options.subset.is_some() {
            eval.with_epochs(10)
        } else {
            eval
        };
        let config = eval.content_training(set.slots, text_dim);
        Ok(RunOutfits { data, set, config })
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
fn query_tower_bytes(model: &WhisperLite) -> Result<Vec<u8>, TrainError> {
    use burn::store::{ModuleSnapshot, SafetensorsStore};
    let mut store = SafetensorsStore::from_bytes(None);
    model
        .query
        .save_into(&mut store)
        .map_err(|e| TrainError::Tensor(format!("{e:?}")))?;
    store
        .get_bytes()
        .map_err(|e| TrainError::Tensor(format!("{e:?}")))
}
