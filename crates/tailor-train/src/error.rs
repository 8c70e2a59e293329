use std::path::PathBuf;

use thiserror::Error;

#[derive(Debug, Error)]
pub enum TrainError {
    #[error(transparent)]
    Data(#[from] tailor_data::DataError),
    /// The shop folder does not open cleanly; nothing was trained.
    #[error(transparent)]
    Shop(#[from] tailor_data::shop::ShopError),
    #[error(transparent)]
    Model(#[from] tailor_model::ModelError),
    #[error("cannot load weights from {path}: {message}")]
    Weights { path: PathBuf, message: String },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot draw {path}: {message}")]
    Plot { path: PathBuf, message: String },
    #[error("tensor: {0}")]
    Tensor(String),
    #[error("checkpoint {path}: {message}")]
    Checkpoint { path: PathBuf, message: String },
    #[error("invalid training setup: {message}")]
    Config { message: String },
    #[error(transparent)]
    Bundle(#[from] tailor_core::BundleError),
    #[error("cannot serialize {what}: {message}")]
    Serialize { what: &'static str, message: String },
}
