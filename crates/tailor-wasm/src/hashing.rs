//! FHN hash-head forward pass on this build's backend.

use burn::prelude::*;
use tailor_model::HashHeadConfig;
use wasm_bindgen::prelude::*;

use crate::{backend::device, js_error};

/// Relaxed codes tanh(beta * W e) of the row-major embeddings [n, input_dim], with W given
/// row-major [input_dim, bits]. Read back asynchronously, so it also works on WebGPU.
#[wasm_bindgen]
pub async fn hash_forward(
    weights: Vec<f32>,
    embeddings: Vec<f32>,
    input_dim: usize,
    bits: usize,
    beta: f32,
) -> Result<Vec<f32>, JsError> {
    let device = device().await.map_err(|e| JsError::new(&e))?;
    let head = HashHeadConfig::new(input_dim)
        .with_bits(bits)
        .init_with_weights(weights, &device)
        .map_err(js_error)?;
    if embeddings.is_empty() || !embeddings.len().is_multiple_of(input_dim) {
        return Err(JsError::new(&format!(
            "embeddings have {} values, not a positive multiple of the input width {input_dim}",
            embeddings.len()
        )));
    }
    let n = embeddings.len() / input_dim;
    let input = Tensor::<2>::from_data(TensorData::new(embeddings, [n, input_dim]), &device);
    let data = head
        .forward(input, beta)
        .into_data_async()
        .await
        .map_err(|e| JsError::new(&format!("reading back the hash codes failed: {e:?}")))?;
    data.try_into_vec::<f32>()
        .map_err(|e| JsError::new(&format!("hash codes are not f32: {e:?}")))
}
