use std::path::PathBuf;

use thiserror::Error;

#[derive(Debug, Error)]
pub enum TrainError {
    #[error(transparent)]
    Data(#[from] tailor_data::DataError),
    #[error(transparent)]
    Model(#[from] tailor_model::ModelError),
    #[error("cannot load weights from {path}: {message}")]
    Weights { path: PathBuf, message: String },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}
