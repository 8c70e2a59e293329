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
}
