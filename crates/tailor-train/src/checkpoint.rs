//! Checkpoint folders, shared by every trainer: after each epoch the weights, the optimizer
//! state and a progress record (`progress.json`: the config, the finished epochs, their records
//! and the best epoch) are written atomically, the record last. A run killed at any point
//! therefore resumes from its last finished epoch, and a folder made with another config is
//! refused rather than silently continued.
//!
//! Weights are stored in Burn's own format rather than safetensors because it keeps each
//! parameter's id, and the optimizer's state is keyed by those ids.

use std::path::{Path, PathBuf};

use burn::store::{BurnpackStore, ModuleSnapshot};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use tailor_core::bundle::write_atomically;

use crate::encoder::check_applied;
use crate::error::TrainError;

/// What `progress.json` in a checkpoint folder records, for any trainer's epoch records `R`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CheckpointProgress<R> {
    pub config: serde_json::Value,
    pub epochs_done: usize,
    pub records: Vec<R>,
    /// The epoch whose weights are in [`BEST_WEIGHTS_FILE`], for a trainer that picks one by
    /// validation (the text ranker by MRR, the "for you" head by NDCG@10); 0 otherwise.
    #[serde(default)]
    pub best_epoch: usize,
}

/// The progress record of the checkpoint folder `dir`.
pub fn read_progress<R: DeserializeOwned>(dir: &Path) -> Result<CheckpointProgress<R>, TrainError> {
    read_json(&dir.join(PROGRESS_FILE))
}

const PROGRESS_FILE: &str = "progress.json";
/// The weights of the epoch with the best validation MRR: what eval and export use. Validation
/// (one held-out review per item, disjoint from test) picks the epoch, so the test split stays
/// unseen. MRR rather than Recall@10 because it moves less between neighbouring epochs.
pub const BEST_WEIGHTS_FILE: &str = "best.bpk";

pub fn weights_path(dir: &Path, epoch: usize) -> PathBuf {
    dir.join(format!("epoch-{epoch:03}.bpk"))
}

fn optimizer_path(dir: &Path, epoch: usize) -> PathBuf {
    dir.join(format!("epoch-{epoch:03}.optimizer"))
}

pub fn progress_path(dir: &Path) -> PathBuf {
    dir.join(PROGRESS_FILE)
}

/// The progress record of a checkpoint folder to resume, if it has one. Without `resume`, a
/// folder that holds a run is refused; with it, a run of another config is.
pub fn restore_checkpoint<R: DeserializeOwned>(
    dir: &Path,
    config_json: &serde_json::Value,
    resume: bool,
) -> Result<Option<CheckpointProgress<R>>, TrainError> {
    let path = progress_path(dir);
    if !path.exists() {
        return Ok(None);
    }
    if !resume {
        return Err(TrainError::RunExists { path });
    }
    let saved: CheckpointProgress<R> = read_json(&path)?;
    if &saved.config != config_json {
        return Err(TrainError::OtherTraining { path });
    }
    Ok(Some(saved))
}

/// The weights and optimizer state saved after `epoch`.
pub fn load_checkpoint<M: ModuleSnapshot>(
    dir: &Path,
    epoch: usize,
    model: M,
    optimizer: burn::optim::ModuleOptimizer,
) -> Result<(M, burn::optim::ModuleOptimizer), TrainError> {
    let model = load_weights(model, &weights_path(dir, epoch))?;
    let path = optimizer_path(dir, epoch);
    let bytes = read_file(&path)?;
    let optimizer = optimizer
        .from_bytes(burn::tensor::Bytes::from_bytes_vec(bytes))
        .map_err(|source| TrainError::Optimizer { path, source })?;
    Ok((model, optimizer))
}

/// Checkpoints a finished epoch: its weights as the best ones when the record says this epoch
/// is the best, then [`save_checkpoint`].
pub fn end_epoch<M: ModuleSnapshot, R: Serialize>(
    dir: &Path,
    progress: &CheckpointProgress<R>,
    model: &M,
    optimizer: &burn::optim::ModuleOptimizer,
) -> Result<(), TrainError> {
    if progress.best_epoch == progress.epochs_done {
        write_atomically(&dir.join(BEST_WEIGHTS_FILE), &weights_bytes(model)?)?;
    }
    save_checkpoint(dir, progress, model, optimizer)
}

/// Weights and optimizer state first, the progress record last: until the record names an
/// epoch, a resumed run ignores that epoch's files.
pub fn save_checkpoint<M: ModuleSnapshot, R: Serialize>(
    dir: &Path,
    progress: &CheckpointProgress<R>,
    model: &M,
    optimizer: &burn::optim::ModuleOptimizer,
) -> Result<(), TrainError> {
    let epoch = progress.epochs_done;
    write_atomically(&weights_path(dir, epoch), &weights_bytes(model)?)?;
    let optimizer_bytes = optimizer
        .into_bytes()
        .map_err(|source| TrainError::Optimizer {
            path: optimizer_path(dir, epoch),
            source,
        })?;
    write_atomically(&optimizer_path(dir, epoch), &optimizer_bytes)?;
    write_json(&progress_path(dir), progress)?;
    // The previous epoch's files are no longer needed once the record points past them.
    if epoch > 1 {
        for path in [weights_path(dir, epoch - 1), optimizer_path(dir, epoch - 1)] {
            let _ = std::fs::remove_file(path);
        }
    }
    Ok(())
}

/// The model's weights in Burn's own format. Unlike safetensors it keeps each parameter's id,
/// and the optimizer's state is keyed by those ids: with safetensors, a resumed run would find
/// no Adam moments for its freshly initialised parameters and silently restart them.
pub fn weights_bytes<M: ModuleSnapshot>(model: &M) -> Result<Vec<u8>, TrainError> {
    let mut store = BurnpackStore::from_bytes(None);
    model
        .save_into(&mut store)
        .map_err(TrainError::EncodeWeights)?;
    store
        .get_bytes()
        .map(|bytes| bytes.to_vec())
        .map_err(TrainError::EncodeWeights)
}

pub fn load_weights<M: ModuleSnapshot>(mut model: M, path: &Path) -> Result<M, TrainError> {
    let bytes = read_file(path)?;
    let mut store = BurnpackStore::from_bytes(Some(burn::tensor::Bytes::from_bytes_vec(bytes)));
    let result = model
        .load_from(&mut store)
        .map_err(|source| TrainError::LoadWeights {
            path: path.to_path_buf(),
            source,
        })?;
    check_applied(&result, path)?;
    Ok(model)
}

fn read_file(path: &Path) -> Result<Vec<u8>, TrainError> {
    std::fs::read(path).map_err(|source| TrainError::Io {
        path: path.to_path_buf(),
        source,
    })
}

pub fn read_json<T: DeserializeOwned>(path: &Path) -> Result<T, TrainError> {
    serde_json::from_slice(&read_file(path)?).map_err(|source| TrainError::Json {
        path: path.to_path_buf(),
        source,
    })
}

pub fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<(), TrainError> {
    let bytes = serde_json::to_vec_pretty(value).map_err(|source| TrainError::Json {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(write_atomically(path, &bytes)?)
}
