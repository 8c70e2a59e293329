//! The packed-code and dense scorers as JS classes. A catalog is copied into wasm memory once,
//! then every query scans it there.

use tailor_core::{CodeLength, DenseVectors, Hit, PackedCodes, Similarity};
use wasm_bindgen::prelude::*;

use crate::js_error;

/// Item indices (Uint32Array) and scores (Float32Array), best first.
#[wasm_bindgen]
pub struct Ranking {
    indices: Vec<u32>,
    scores: Vec<f32>,
}

#[wasm_bindgen]
impl Ranking {
    #[wasm_bindgen(getter)]
    pub fn indices(&self) -> Vec<u32> {
        self.indices.clone()
    }

    #[wasm_bindgen(getter)]
    pub fn scores(&self) -> Vec<f32> {
        self.scores.clone()
    }
}

impl From<Vec<Hit>> for Ranking {
    fn from(hits: Vec<Hit>) -> Self {
        // Indices fit in u32: a wasm32 catalog cannot hold 2^32 codes.
        let indices = hits.iter().map(|h| h.index as u32).collect();
        let scores = hits.iter().map(|h| h.score).collect();
        Self { indices, scores }
    }
}

/// Diagonal weights w of <w . a, b>, turned into lookup tables once.
#[wasm_bindgen]
pub struct WeightTable(tailor_core::WeightTable);

#[wasm_bindgen]
impl WeightTable {
    #[wasm_bindgen(constructor)]
    pub fn new(weights: &[f32]) -> Result<WeightTable, JsError> {
        tailor_core::WeightTable::new(weights)
            .map(WeightTable)
            .map_err(js_error)
    }
}

/// N binary codes of `bits` bits, packed in a BigUint64Array (code i = words i*W..(i+1)*W).
#[wasm_bindgen]
pub struct CodeIndex(PackedCodes);

#[wasm_bindgen]
impl CodeIndex {
    #[wasm_bindgen(constructor)]
    pub fn new(bits: usize, words: Vec<u64>) -> Result<CodeIndex, JsError> {
        let length = CodeLength::new(bits).map_err(js_error)?;
        PackedCodes::new(length, words)
            .map(CodeIndex)
            .map_err(js_error)
    }

    #[wasm_bindgen(getter)]
    pub fn length(&self) -> usize {
        self.0.len()
    }

    /// <query, item> for every item.
    pub fn scores(&self, query: &[u64]) -> Result<Vec<f32>, JsError> {
        self.0
            .scores(query, Similarity::InnerProduct)
            .map_err(js_error)
    }

    /// <w . query, item> for every item.
    #[wasm_bindgen(js_name = scoresWeighted)]
    pub fn scores_weighted(
        &self,
        query: &[u64],
        weights: &WeightTable,
    ) -> Result<Vec<f32>, JsError> {
        self.0
            .scores(query, Similarity::Weighted(&weights.0))
            .map_err(js_error)
    }

    #[wasm_bindgen(js_name = topK)]
    pub fn top_k(&self, query: &[u64], k: usize) -> Result<Ranking, JsError> {
        self.0
            .top_k(query, Similarity::InnerProduct, k)
            .map(Ranking::from)
            .map_err(js_error)
    }

    /// The same codes as dense +1.0 / -1.0 vectors, e.g. for a float baseline on identical data.
    #[wasm_bindgen(js_name = toDense)]
    pub fn to_dense(&self) -> Result<DenseIndex, JsError> {
        DenseVectors::new(self.0.length().bits(), self.0.to_signs())
            .map(DenseIndex)
            .map_err(js_error)
    }

    #[wasm_bindgen(js_name = topKWeighted)]
    pub fn top_k_weighted(
        &self,
        query: &[u64],
        weights: &WeightTable,
        k: usize,
    ) -> Result<Ranking, JsError> {
        self.0
            .top_k(query, Similarity::Weighted(&weights.0), k)
            .map(Ranking::from)
            .map_err(js_error)
    }
}

/// N float vectors of `dim` values, scored by dot product.
#[wasm_bindgen]
pub struct DenseIndex(DenseVectors);

#[wasm_bindgen]
impl DenseIndex {
    #[wasm_bindgen(constructor)]
    pub fn new(dim: usize, values: Vec<f32>) -> Result<DenseIndex, JsError> {
        DenseVectors::new(dim, values)
            .map(DenseIndex)
            .map_err(js_error)
    }

    #[wasm_bindgen(getter)]
    pub fn length(&self) -> usize {
        self.0.len()
    }

    #[wasm_bindgen(js_name = topK)]
    pub fn top_k(&self, query: &[f32], k: usize) -> Result<Ranking, JsError> {
        self.0.top_k(query, k).map(Ranking::from).map_err(js_error)
    }
}
