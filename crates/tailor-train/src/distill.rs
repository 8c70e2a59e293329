//! Distils MiniLM into the static query encoder, the way Model2Vec does: every vocabulary token
//! is embedded alone ([CLS] token [SEP]) by the full model, the vectors are reduced with PCA,
//! and each is scaled by a smooth inverse frequency weight a / (a + p(token)), p counted over the
//! training reviews, so that words like "the" and "dress" count less than "linen" or "petite".

use std::path::Path;

use indicatif::ProgressBar;
use nalgebra::{DMatrix, SymmetricEigen};
use tailor_core::bundle::EmbeddingEncoding;
use tailor_core::quant::{self, EmbeddingMatrix};
use tailor_model::text::StaticEncoder;

use crate::embed::{MINILM_DIM, SentenceEncoder};
use crate::error::TrainError;

#[derive(Debug, Clone, PartialEq)]
pub struct DistillConfig {
    /// PCA output width; at most MiniLM's 384.
    pub dim: usize,
    /// The a of a / (a + p).
    pub sif: f64,
}

impl Default for DistillConfig {
    fn default() -> Self {
        // 30,522 tokens x 256 dims in int8 is 7.9 MB, inside the 8 MB budget for shop pages.
        Self {
            dim: 256,
            sif: 1e-3,
        }
    }
}

/// The static encoder, already round-tripped through the bundle's int8 storage, so what
/// training and evaluation see is exactly what the browser will load.
pub fn distill_static(
    encoder: &SentenceEncoder,
    corpus: &[&str],
    config: &DistillConfig,
    cache_dir: &Path,
    progress: &ProgressBar,
) -> Result<StaticEncoder, TrainError> {
    if config.dim == 0 || config.dim > MINILM_DIM {
        return Err(TrainError::Config {
            message: format!(
                "static encoder width must be 1..={MINILM_DIM}, got {}",
                config.dim
            ),
        });
    }
    let tokenizer = encoder.tokenizer();
    let vocab = tokenizer.vocab_size();
    let (cls, sep) = (tokenizer.cls_id(), tokenizer.sep_id());
    let sequences: Vec<Vec<u32>> = (0..vocab as u32).map(|id| vec![cls, id, sep]).collect();
    let token_vectors = encoder.embed_ids_cached(&sequences, cache_dir, progress)?;

    let mut counts = vec![0u64; vocab];
    for text in corpus {
        for id in tokenizer.piece_ids(text)? {
            if let Some(count) = counts.get_mut(id as usize) {
                *count += 1;
            }
        }
    }
    let total = counts.iter().sum::<u64>().max(1) as f64;

    let reduced = pca(&token_vectors, config.dim);
    let mut values = Vec::with_capacity(vocab * config.dim);
    for (id, row) in reduced.row_iter().enumerate() {
        let p = counts[id] as f64 / total;
        let weight = if tokenizer.is_special(id as u32) {
            0.0
        } else {
            config.sif / (config.sif + p)
        };
        values.extend(row.iter().map(|v| (v * weight) as f32));
    }
    let matrix = EmbeddingMatrix::new(vocab, config.dim, values)?;
    let loaded = quant::round_trip(&matrix, EmbeddingEncoding::Int8)?;
    Ok(StaticEncoder::new(loaded))
}

/// Rows of `matrix`, centred and projected on its `dim` leading principal axes.
fn pca(matrix: &EmbeddingMatrix, dim: usize) -> DMatrix<f64> {
    let x = DMatrix::from_row_iterator(
        matrix.rows,
        matrix.dim,
        matrix.values.iter().map(|&v| f64::from(v)),
    );
    let mean = x.row_mean();
    let centred = DMatrix::from_fn(matrix.rows, matrix.dim, |r, c| x[(r, c)] - mean[c]);
    let covariance = centred.transpose() * &centred / matrix.rows.max(1) as f64;
    let eigen = SymmetricEigen::new(covariance);
    let mut order: Vec<usize> = (0..matrix.dim).collect();
    order.sort_by(|&a, &b| eigen.eigenvalues[b].total_cmp(&eigen.eigenvalues[a]));
    let axes = DMatrix::from_fn(matrix.dim, dim, |r, c| eigen.eigenvectors[(r, order[c])]);
    centred * axes
}
