//! Weights from safetensors bytes. Natively they come from files, in the browser from fetched
//! bundle files, so loading takes bytes and never a path.

use burn::module::Module;
use burn::store::{ApplyResult, ModuleSnapshot, PyTorchToBurnAdapter, SafetensorsStore};

use crate::error::ModelError;
use crate::text::{MiniLm, MiniLmConfig};
use crate::text_ranker::{QueryTower, TextRankerConfig};
use burn::prelude::Device;

/// Applies `store` to `module`. A load that left tensors unset or could not fit some is an
/// error: a model with silently random weights would rank without complaint.
pub(crate) fn apply<M: Module>(
    mut module: M,
    mut store: SafetensorsStore,
    what: &'static str,
) -> Result<M, ModelError> {
    let result = module
        .load_from(&mut store)
        .map_err(|e| ModelError::Weights {
            what,
            message: format!("{e}"),
        })?;
    check_applied(&result, what)?;
    Ok(module)
}

/// A weight load that left tensors unset or could not fit some is an error (from any store:
/// safetensors here, burnpack checkpoints in training).
pub fn check_applied(result: &ApplyResult, what: &'static str) -> Result<(), ModelError> {
    if result.missing.is_empty() && result.errors.is_empty() {
        return Ok(());
    }
    Err(ModelError::Weights {
        what,
        message: format!(
            "tensors missing from the file: {:?}; tensors that did not fit: {:?}",
            result.missing, result.errors
        ),
    })
}

impl MiniLm {
    /// all-MiniLM-L6-v2 from its checkpoint's safetensors (Hugging Face key layout).
    pub fn from_safetensors(bytes: Vec<u8>, device: &Device) -> Result<MiniLm, ModelError> {
        let store = SafetensorsStore::from_bytes(Some(bytes))
            .with_from_adapter(PyTorchToBurnAdapter)
            .with_key_remapping(r"\.LayerNorm\.", ".layer_norm.")
            .with_key_remapping(r"attention\.self\.", "attention.self_attention.")
            // The checkpoint also has the unused pooler and the position-id buffer.
            .allow_partial(true);
        apply(MiniLmConfig::new().init(device), store, "MiniLM weights")
    }
}

impl TextRankerConfig {
    /// The query tower with the weights a bundle ships (Burn's key layout).
    pub fn load_query_tower(
        &self,
        bytes: Vec<u8>,
        device: &Device,
    ) -> Result<QueryTower, ModelError> {
        let store = SafetensorsStore::from_bytes(Some(bytes));
        apply(self.init_query_tower(device), store, "query tower weights")
    }
}
