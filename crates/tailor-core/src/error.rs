use thiserror::Error;

/// Everything that can be wrong with the input to the scorers. Bad input is reported, never a
/// panic: codes and weights come from downloaded bundles and from JavaScript callers.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum CoreError {
    #[error("code length must be a positive multiple of 64 bits, got {bits}")]
    InvalidCodeLength { bits: usize },
    #[error("{what} has length {actual}, expected {expected}")]
    LengthMismatch {
        what: &'static str,
        expected: usize,
        actual: usize,
    },
    #[error("{what} has length {actual}, which is not a multiple of {multiple_of}")]
    RaggedLength {
        what: &'static str,
        actual: usize,
        multiple_of: usize,
    },
    #[error("vector dimension must be at least 1")]
    ZeroDimension,
    #[error("{what} {index} is not a finite number ({value})")]
    NonFinite {
        what: &'static str,
        index: usize,
        value: f32,
    },
    #[error("the weights' absolute values sum to {sum:e}, too large for f32 scores")]
    WeightsTooLarge { sum: f64 },
    #[error("k must be at least 1")]
    ZeroK,
    #[error("k = {k} is larger than the {n} items to rank")]
    KExceedsItems { k: usize, n: usize },
}
