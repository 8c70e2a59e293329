use tailor_core::BundleError;
use thiserror::Error;

/// Errors from building a model out of caller- or file-supplied configuration and weights.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum ModelError {
    #[error("{what} must be a positive multiple of {multiple_of}, got {actual}")]
    InvalidSize {
        what: &'static str,
        multiple_of: usize,
        actual: usize,
    },
    #[error("tokenizer: {0}")]
    Tokenizer(String),
    #[error("{what} has {actual} values, expected {expected}")]
    ShapeMismatch {
        what: &'static str,
        expected: usize,
        actual: usize,
    },
    #[error("{what} cannot be loaded: {message}")]
    Weights { what: &'static str, message: String },
    #[error("reading a result back from the device failed: {0}")]
    Readback(String),
    #[error("{0}")]
    BadRequest(String),
    #[error("this build cannot use the bundle: {0}")]
    Unsupported(String),
}

/// Why a bundle could not become a ranker: its files (missing, damaged, unknown version), or a
/// model that cannot be built from files that passed their checksums.
#[derive(Debug, Error)]
pub enum LoadError {
    #[error(transparent)]
    Bundle(#[from] BundleError),
    #[error(transparent)]
    Model(#[from] ModelError),
}
