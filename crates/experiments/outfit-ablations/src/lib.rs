//! Fashion Hash Net's evaluation: per-user AUC and NDCG@10 on held-out outfits against
//! sampled negatives, for the relaxed and the binary codes, against BPR-MF over outfits, a
//! float-embedding version of the same model, and the paper's two one-term ablations, all in
//! one run on the same lists. The outfits are a shop's, read as `tailor train --shop` reads them:
//! by default the shop that `tailor import fashion-mnist-outfits` writes from the seeded
//! generator of `tailor_data::outfits` (so every figure is SYNTHETIC).
//!
//! The preference half is also tested on real behaviour: MovieLens histories as single-item
//! "outfits" for the paper's user-id variant, ranked over the full catalog from binary codes,
//! against the BPR-MF of the MovieLens comparison.

mod bpr_mf;

use std::time::Instant;

use burn::prelude::*;
use serde::{Deserialize, Serialize};
use tailor_core::quant::EmbeddingMatrix;
use tailor_data::{Outfit, OutfitData};
use tailor_model::fhn::FashionHashNetConfig;

use crate::bpr_mf::{BprMfOutfits, bpr_mf_outfits};
use movielens_comparison::{
    EvalCheckpoint, HistoryData, HistoryEvalConfig, ModelResult, Phase, bpr_mf, rank_users,
};
use tailor_train::TrainError;
use tailor_train::outfits::{
    CodeReading, EvalLists, ItemContent, OutfitEpoch, OutfitMetrics, OutfitSet, OutfitTrainConfig,
    model_codes, train_outfits,
};

/// The held-out outfits per user and the sampled negatives per held-out outfit.
#[derive(Config, Debug)]
pub struct OutfitEvalConfig {
    #[config(default = 128)]
    pub bits: usize,
    #[config(default = 64)]
    pub dim: usize,
    /// Each epoch raises beta = sqrt(epoch + 1); by 40 the relaxed codes are close enough to
    /// their signs that binary AUC stays within 0.01 of relaxed (seeds 0-2 of the quick set).
    #[config(default = 40)]
    pub epochs: usize,
    #[config(default = 2)]
    pub test_per_user: usize,
    #[config(default = 50)]
    pub negatives: usize,
    #[config(default = 0)]
    pub seed: u64,
}

impl OutfitEvalConfig {
    /// The FHN trainer's config for a catalog with content (the browser's history variant).
    pub fn content_training(&self, slots: usize, text_dim: usize) -> OutfitTrainConfig {
        OutfitTrainConfig::new(
            FashionHashNetConfig::new(slots)
                .with_bits(self.bits)
                .with_dim(self.dim)
                .with_text_dim(text_dim),
        )
        .with_epochs(self.epochs)
        .with_seed(self.seed)
    }
}

/// Outfits over `slots` slots, with their items' pictures and class-name texts (`class_text`
/// row c is class c), `test_per_user` of each user's held out.
pub fn outfit_set(
    data: &OutfitData,
    slots: usize,
    class_text: EmbeddingMatrix,
    test_per_user: usize,
) -> OutfitSet {
    let content = ItemContent {
        pixels: data.pixels.clone(),
        class: data.items.iter().map(|item| item.class).collect(),
        class_text,
    };
    OutfitSet::split(data, slots, Some(content), test_per_user)
}

/// One model read one way.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OutfitEvalRow {
    pub key: String,
    pub label: String,
    pub reading: Option<CodeReading>,
    pub metrics: OutfitMetrics,
    pub train_seconds: f64,
}

/// Bytes per item of the catalog's codes against f32 vectors of the same width.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CatalogSize {
    pub items: usize,
    pub bits: usize,
    pub code_bytes: usize,
    pub float_bytes: usize,
    pub shrink: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OutfitEvalReport {
    pub synthetic: bool,
    pub note: String,
    pub items: usize,
    pub users: usize,
    pub train_outfits: usize,
    pub test_outfits: usize,
    pub negatives_per_outfit: usize,
    pub rows: Vec<OutfitEvalRow>,
    pub catalog: CatalogSize,
    pub training: Vec<(String, Vec<OutfitEpoch>)>,
    pub seconds: f64,
}

impl OutfitEvalReport {
    pub fn row(&self, key: &str) -> Option<&OutfitEvalRow> {
        self.rows.iter().find(|row| row.key == key)
    }

    /// The outfit model's goals (binary within 0.01 AUC of relaxed, ahead of every comparison,
    /// a 16x smaller catalog), each with whether this run met it.
    pub fn goals(&self) -> Vec<(String, bool)> {
        let auc = |key: &str| self.row(key).map_or(f64::NAN, |r| r.metrics.auc);
        let full = auc("fhn_binary");
        let mut goals = vec![
            (
                format!(
                    "binary AUC {:.4} within 0.01 of relaxed AUC {:.4}",
                    full,
                    auc("fhn_relaxed")
                ),
                (full - auc("fhn_relaxed")).abs() <= 0.01,
            ),
            (
                format!(
                    "codes shrink the catalog {:.0}x (goal 16x)",
                    self.catalog.shrink
                ),
                self.catalog.shrink >= 16.0,
            ),
        ];
        for key in ["preference_only", "compatibility_only", "bpr_mf"] {
            goals.push((
                format!("FHN binary AUC {full:.4} beats {key} {:.4}", auc(key)),
                full > auc(key),
            ));
        }
        goals
    }
}

/// One model of the comparison and how its codes are read.
struct ModelRun<'a> {
    key: &'a str,
    label: &'a str,
    config: OutfitTrainConfig,
    readings: &'a [(CodeReading, &'a str)],
}

/// Trains (or resumes) one model in `checkpoint`'s folder `key` and evaluates it.
fn fhn_rows(
    set: &OutfitSet,
    run: &ModelRun<'_>,
    lists: &EvalLists,
    checkpoint: &EvalCheckpoint,
    log: &dyn Fn(&str),
) -> Result<(Vec<OutfitEvalRow>, Vec<OutfitEpoch>), TrainError> {
    let ModelRun {
        key,
        label,
        ref config,
        readings,
    } = *run;
    let started = Instant::now();
    let bar = tailor_train::progress::progress_bar(false);
    let trained = train_outfits(
        set,
        config,
        &checkpoint.dir().join(key),
        &Device::flex(),
        &bar,
        &|line| bar.suspend(|| log(&format!("{label}: {line}"))),
    )?;
    bar.finish_and_clear();
    let train_seconds = trained.epochs.iter().map(|e| e.seconds).sum::<f64>();
    let mut rows = Vec::new();
    for &(reading, suffix) in readings {
        let codes = model_codes(&trained.model, set, config, reading);
        let metrics = lists.metrics(&codes.score(&lists.rows, set.slots, config.terms())?);
        let row = OutfitEvalRow {
            key: format!("{key}{suffix}"),
            label: if reading == CodeReading::Float {
                label.to_string()
            } else {
                format!("{label}, {}", reading_label(reading))
            },
            reading: Some(reading),
            metrics,
            train_seconds,
        };
        log(&format!(
            "{:<58} AUC {:.4}  NDCG@10 {:.4}  ({:.0} s)",
            row.label,
            metrics.auc,
            metrics.ndcg_at_10,
            started.elapsed().as_secs_f64()
        ));
        rows.push(row);
    }
    Ok((rows, trained.epochs))
}

fn reading_label(reading: CodeReading) -> &'static str {
    match reading {
        CodeReading::Relaxed => "relaxed codes (tanh)",
        CodeReading::Binary => "binary codes (sign)",
        CodeReading::Float => "float embeddings",
    }
}

/// Every model of the comparison on one outfit set. Finished trainings are resumed from
/// `checkpoint`, so a killed run repeats at most one epoch.
pub fn run_outfit_eval(
    set: &OutfitSet,
    config: &OutfitEvalConfig,
    synthetic: bool,
    checkpoint: &EvalCheckpoint,
    log: &dyn Fn(&str),
) -> Result<OutfitEvalReport, TrainError> {
    let started = Instant::now();
    let text_dim = set
        .content
        .as_ref()
        .map_or(0, |content| content.class_text.dim);
    let base = config.content_training(set.slots, text_dim);
    let lists = EvalLists::new(set, config.negatives, config.seed);
    if lists.users.is_empty() {
        return Err(TrainError::Config {
            message: format!(
                "no user has more than {} outfits, so none are held out for evaluation",
                config.test_per_user
            ),
        });
    }
    let mut rows = Vec::new();
    let mut training = Vec::new();
    let both = [
        (CodeReading::Relaxed, "_relaxed"),
        (CodeReading::Binary, "_binary"),
    ];
    let binary = [(CodeReading::Binary, "")];
    let mut user_ids = base.clone();
    user_ids.model.user_ids = set.users;
    let float = [(CodeReading::Float, "")];
    let runs = [
        ModelRun {
            key: "fhn",
            label: "FHN, user = history (browser)",
            config: base.clone(),
            readings: &both,
        },
        ModelRun {
            key: "fhn_user_ids",
            label: "FHN, user-id table (paper)",
            config: user_ids,
            readings: &both,
        },
        ModelRun {
            key: "float",
            label: "same model, float embeddings",
            config: base.clone().with_float_codes(true),
            readings: &float,
        },
        ModelRun {
            key: "preference_only",
            label: "FHN, preference term only",
            config: base.clone().with_compatibility(false),
            readings: &binary,
        },
        ModelRun {
            key: "compatibility_only",
            label: "FHN, compatibility term only",
            config: base.clone().with_preference(false),
            readings: &binary,
        },
    ];
    for run in &runs {
        let (model_rows, epochs) = fhn_rows(set, run, &lists, checkpoint, log)?;
        rows.extend(model_rows);
        training.push((run.key.to_string(), epochs));
    }
    let bpr_started = Instant::now();
    let metrics = match checkpoint.load::<OutfitMetrics>("bpr_mf_outfits")? {
        Some(saved) => saved,
        None => {
            let bpr = BprMfOutfits {
                dim: config.dim,
                epochs: config.epochs,
                seed: config.seed,
            };
            let dir = checkpoint.dir().join("bpr_mf_outfits");
            let metrics = bpr_mf_outfits(set, &bpr, &dir, &lists)?;
            checkpoint.save("bpr_mf_outfits", &metrics)?;
            metrics
        }
    };
    log(&format!(
        "{:<58} AUC {:.4}  NDCG@10 {:.4}",
        "BPR-MF over outfits (mean of item factors)", metrics.auc, metrics.ndcg_at_10
    ));
    rows.push(OutfitEvalRow {
        key: "bpr_mf".into(),
        label: format!("BPR-MF over outfits, dim {}", config.dim),
        reading: None,
        metrics,
        train_seconds: bpr_started.elapsed().as_secs_f64(),
    });
    let code_bytes = config.bits / 8;
    let float_bytes = config.bits * 4;
    Ok(OutfitEvalReport {
        synthetic,
        note: if synthetic {
            "SYNTHETIC: outfits and users come from the seeded generator in \
             tailor_data::outfits over real Fashion-MNIST pictures"
                .into()
        } else {
            "outfits read from the shop's CSV".into()
        },
        items: set.items(),
        users: set.users,
        train_outfits: set.train.iter().map(Vec::len).sum(),
        test_outfits: set.test.iter().map(Vec::len).sum(),
        negatives_per_outfit: config.negatives,
        rows,
        catalog: CatalogSize {
            items: set.items(),
            bits: config.bits,
            code_bytes,
            float_bytes,
            shrink: float_bytes as f64 / code_bytes as f64,
        },
        training,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// MovieLens histories as single-item outfits of one slot, for the paper's user-id variant.
pub fn movielens_outfit_set(data: &HistoryData) -> OutfitSet {
    let train = data
        .split
        .train
        .iter()
        .map(|history| {
            let mut seen = std::collections::HashSet::new();
            history
                .iter()
                .filter(|&&item| seen.insert(item))
                .map(|&item| Outfit([Some(item as u32), None, None, None, None]))
                .collect()
        })
        .collect();
    OutfitSet {
        slots: 1,
        item_slot: vec![0; data.items],
        content: None,
        users: data.split.users(),
        train,
        test: vec![Vec::new(); data.split.users()],
    }
}

/// FHN's preference half (user-id table, item-id table, binary codes) against BPR-MF on a
/// MovieLens leave-last-out split, both ranking the full catalog.
pub fn run_movielens_fhn(
    data: &HistoryData,
    history_config: &HistoryEvalConfig,
    config: &OutfitEvalConfig,
    checkpoint: &EvalCheckpoint,
    log: &dyn Fn(&str),
) -> Result<Vec<ModelResult>, TrainError> {
    let bpr = checkpoint.result("bpr_mf", log, || {
        Ok(bpr_mf(
            &data.split,
            data.items,
            &history_config.bpr_mf(),
            log,
        ))
    })?;
    let set = movielens_outfit_set(data);
    let train_config = OutfitTrainConfig::new(
        FashionHashNetConfig::new(1)
            .with_bits(config.bits)
            .with_dim(config.dim)
            .with_item_ids(data.items)
            .with_user_ids(set.users),
    )
    .with_epochs(config.epochs)
    .with_compatibility(false)
    // Uniform negatives, as BPR-MF samples them, so that the two differ only in the model.
    .with_hard_negative_rate(0.0)
    .with_batch_size(1024)
    .with_learning_rate(1e-2)
    .with_seed(config.seed);
    let fhn = checkpoint.result("fhn_user_ids", log, || {
        let started = Instant::now();
        let bar = tailor_train::progress::progress_bar(false);
        let trained = train_outfits(
            &set,
            &train_config,
            &checkpoint.dir().join("fhn_user_ids"),
            &Device::flex(),
            &bar,
            &|line| bar.suspend(|| log(&format!("FHN with user ids: {line}"))),
        )?;
        bar.finish_and_clear();
        let result = |reading: CodeReading, phase: Phase| {
            let codes = model_codes(&trained.model, &set, &train_config, reading);
            let bits = codes.items.dims()[1];
            let weighted = codes.users.clone() * codes.user_weights.clone().reshape([1, bits]);
            let scores = weighted.matmul(codes.items.clone().transpose());
            let values = tailor_train::tensors::to_vec(scores)?;
            let items = data.items;
            Ok::<_, TrainError>(rank_users(&data.split, phase, |user, _| {
                values[user * items..(user + 1) * items].to_vec()
            }))
        };
        Ok(ModelResult {
            key: "fhn_user_ids".into(),
            label: format!("FHN user-id table, {}-bit binary codes", config.bits),
            valid: result(CodeReading::Binary, Phase::Valid)?,
            test: result(CodeReading::Binary, Phase::Test)?,
            best_epoch: config.epochs,
            epochs: Vec::new(),
            seconds: started.elapsed().as_secs_f64(),
        })
    })?;
    Ok(vec![bpr, fhn])
}
