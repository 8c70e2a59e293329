//! Plain-Rust core of Tailor, shared by native training and the browser runtime. It holds what
//! must behave identically on both sides and needs no tensor library: binary item codes packed
//! into `u64` words, their (diagonally weighted) inner products via xor and popcount, dense
//! float scoring, and top-k selection. Keeping it free of Burn keeps the wasm CPU build small and
//! lets the browser score a million-item catalog without touching a tensor backend.

mod codes;
mod dense;
mod error;
mod topk;

pub use codes::{CodeLength, PackedCodes, Similarity, WeightTable, inner_product};
pub use dense::DenseVectors;
pub use error::CoreError;
pub use topk::{Hit, TopK, top_k};
