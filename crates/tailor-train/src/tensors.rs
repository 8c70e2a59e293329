//! Small conversions between catalog data and Burn tensors that every trainer uses.

use burn::linalg::{Norm, vector_normalize};
use burn::prelude::*;
use tailor_core::quant::EmbeddingMatrix;

use crate::error::TrainError;

/// The device a module's parameters live on: where its forward passes run.
pub fn device_of<M: Module>(module: &M) -> Device {
    module
        .devices()
        .first()
        .cloned()
        .unwrap_or_else(Device::flex)
}

/// A tensor's values as f32, read back on the CPU.
pub fn to_vec<const D: usize>(tensor: Tensor<D>) -> Result<Vec<f32>, TrainError> {
    tensor
        .into_data()
        .convert::<f32>()
        .try_to_vec::<f32>()
        .map_err(TrainError::Readback)
}

pub fn matrix_tensor(matrix: &EmbeddingMatrix, device: &Device) -> Tensor<2> {
    Tensor::from_data(
        TensorData::new(matrix.values.clone(), [matrix.rows, matrix.dim]),
        device,
    )
}

/// The catalog's item features and ids as tensors, built once per run.
pub struct CatalogTensors {
    pub features: Tensor<2>,
    pub ids: Tensor<1, Int>,
    pub device: Device,
}

impl CatalogTensors {
    pub fn new(features: &EmbeddingMatrix, device: &Device) -> Self {
        let ids: Vec<usize> = (0..features.rows).collect();
        Self {
            features: matrix_tensor(features, device),
            ids: index_tensor(&ids, device),
            device: device.clone(),
        }
    }
}

pub fn gather_rows(matrix: &EmbeddingMatrix, rows: &[usize], device: &Device) -> Tensor<2> {
    let mut values = Vec::with_capacity(rows.len() * matrix.dim);
    for &row in rows {
        values.extend_from_slice(matrix.row(row));
    }
    Tensor::from_data(TensorData::new(values, [rows.len(), matrix.dim]), device)
}

/// Rows scaled to unit L2 norm (a zero row stays zero).
pub fn normalize_rows(x: Tensor<2>) -> Tensor<2> {
    vector_normalize(x, Norm::L2, 1, 1e-6)
}

pub fn index_tensor(indices: &[usize], device: &Device) -> Tensor<1, Int> {
    let values: Vec<i64> = indices.iter().map(|&i| i as i64).collect();
    Tensor::from_data(TensorData::new(values, [indices.len()]), device)
}
