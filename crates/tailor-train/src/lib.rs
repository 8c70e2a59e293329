//! Native training for Tailor's product: a shop folder in, a trained run out, then its
//! evaluation against baselines and its export as the static bundle the browser loads. It trains
//! the text ranker (WhisperLite's method), the "for you" head (COURIER's intention over the
//! history) and Fashion Hash Net's outfit codes, checkpointing every epoch so that a killed run
//! resumes exactly. Native only: nothing in the browser depends on it, and the paper
//! reproductions in `crates/experiments/` are built on its public API, never the other way round.

pub mod checkpoint;
pub mod corpus;
pub mod distill;
pub mod embed;
mod encoder;
mod error;
pub mod evaluate;
pub mod for_you;
pub mod learner;
pub mod metrics;
pub mod next_item;
pub mod outfits;
pub mod pipeline;
pub mod plots;
pub mod progress;
pub mod run;
pub mod tensors;
pub mod text_ranker;

pub use encoder::{MINILM_MAX_TOKENS, MINILM_MODEL_DIR, load_minilm};
pub use error::TrainError;
