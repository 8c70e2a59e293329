//! Native-only training for Tailor. It runs the training loops of the three models (WhisperLite
//! text ranking, COURIER intention pretraining, Fashion Hash Net codes) on a native Burn backend,
//! computes the evaluation metrics against baselines in the same run, and exports a trained model
//! as a static bundle that the browser runtime loads. It depends on tailor-data and tailor-model;
//! nothing in the browser depends on it.

pub mod corpus;
pub mod distill;
pub mod embed;
mod encoder;
mod error;
pub mod evaluate;
pub mod for_you;
pub mod history_eval;
pub mod metrics;
pub mod next_item;
pub mod outfit_eval;
pub mod outfits;
pub mod pipeline;
pub mod plots;
pub mod run;
pub mod synthetic;
pub mod visual;
pub mod whisper;

pub use encoder::{MINILM_MAX_TOKENS, MINILM_MODEL_DIR, load_minilm};
pub use error::TrainError;
