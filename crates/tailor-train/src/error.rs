use std::path::PathBuf;

use burn::store::{BurnpackStore, ModuleStore, SafetensorsStore};
use thiserror::Error;

/// What Burn's own weight format reports when it cannot encode or decode a model.
pub type WeightsFormatError = <BurnpackStore as ModuleStore>::Error;
/// What safetensors, the bundle's weight format, reports when it cannot encode a model.
pub type SafetensorsError = <SafetensorsStore as ModuleStore>::Error;

#[derive(Debug, Error)]
pub enum TrainError {
    // The two data errors are boxed: they carry file positions and would make every `Result`
    // of the crate several times larger than its value.
    #[error(transparent)]
    Data(Box<tailor_data::DataError>),
    /// The shop folder does not open cleanly; nothing was trained.
    #[error(transparent)]
    Shop(Box<tailor_data::shop::ShopError>),
    #[error(transparent)]
    Model(#[from] tailor_model::ModelError),
    #[error("cannot load weights from {path}: {source}")]
    Weights {
        path: PathBuf,
        source: tailor_model::ModelError,
    },
    #[error("cannot read the checkpoint weights {path}: {source}")]
    LoadWeights {
        path: PathBuf,
        source: WeightsFormatError,
    },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot draw {path}: {source}")]
    Plot {
        path: PathBuf,
        source: plotters::drawing::DrawingAreaErrorKind<std::io::Error>,
    },
    /// A tensor's values could not be read back to the host.
    #[error("cannot read a tensor back: {0}")]
    Readback(#[from] burn::tensor::DataError),
    /// Model weights could not be written in Burn's format.
    #[error("cannot encode model weights: {0}")]
    EncodeWeights(WeightsFormatError),
    /// Model weights could not be written as safetensors for a bundle.
    #[error("cannot encode model weights for the bundle: {0}")]
    ExportWeights(SafetensorsError),
    /// An optimizer's state could not be saved or restored.
    #[error("optimizer state {path}: {source}")]
    Optimizer {
        path: PathBuf,
        source: burn::store::RecordError,
    },
    #[error(transparent)]
    Quant(#[from] tailor_core::QuantError),
    #[error(transparent)]
    Core(#[from] tailor_core::CoreError),
    /// Training into a folder that already holds a run, without `--resume`.
    #[error(
        "{path}: a run is already there; pass --resume to continue it, or choose another output \
         folder"
    )]
    RunExists { path: PathBuf },
    /// Resuming a folder that holds another training: other options, config or data.
    #[error(
        "{path}: it holds a training with other options or data; resume with the same ones, or \
         start in another folder"
    )]
    OtherTraining { path: PathBuf },
    /// Loading a model whose training has not finished.
    #[error(
        "{path}: training stopped after epoch {epochs_done} of {epochs}; run `tailor train \
         --resume` first"
    )]
    Unfinished {
        path: PathBuf,
        epochs_done: usize,
        epochs: usize,
    },
    #[error("invalid training setup: {message}")]
    Config { message: String },
    /// The training pairs' sampling weights are unusable (none positive, or not finite).
    #[error("cannot sample training pairs: {0}")]
    PairWeights(#[from] rand::distr::weighted::Error),
    #[error(transparent)]
    Bundle(#[from] tailor_core::BundleError),
    #[error("cannot serialize {what}: {source}")]
    Serialize {
        what: &'static str,
        source: serde_json::Error,
    },
    /// A checkpoint's JSON record cannot be read or written.
    #[error("checkpoint {path}: {source}")]
    Json {
        path: PathBuf,
        source: serde_json::Error,
    },
}

impl From<tailor_data::shop::ShopError> for TrainError {
    fn from(error: tailor_data::shop::ShopError) -> Self {
        TrainError::Shop(Box::new(error))
    }
}

impl From<tailor_data::DataError> for TrainError {
    fn from(error: tailor_data::DataError) -> Self {
        TrainError::Data(Box::new(error))
    }
}
