//! Text encoding: the WordPiece tokenizer and all-MiniLM-L6-v2 (BERT, 6 layers, 384 wide, mean
//! pooling, L2 norm). Frozen: it embeds item text and training queries natively, and the
//! shopper's request in the browser.

mod minilm;
mod static_encoder;
mod tokenizer;

pub use minilm::{MiniLm, MiniLmConfig};

/// all-MiniLM-L6-v2's `max_seq_length`: longer texts are truncated to this many tokens.
pub const MINILM_MAX_TOKENS: usize = 256;
pub use static_encoder::StaticEncoder;
pub use tokenizer::{Encoded, TextTokenizer, pad_batch};
