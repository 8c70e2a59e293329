//! Ranking a bundle's catalog for a text request: the part of the model that runs where the
//! shopper is. The browser build and the native `tailor recommend` both go through [`Ranker`],
//! so the two give the same scores for the same bundle.
//!
//! A request becomes q (static encoder or MiniLM, on the CPU or the device), then z = the query
//! tower's output, then one score per item, <z, e_i>. Where the scores are computed is the
//! caller's choice: on the CPU with tailor-core's dense scorer, or on the device as one
//! matrix-vector product (WebGPU), read back asynchronously and sorted on the CPU.

use std::collections::HashMap;

use burn::prelude::*;
use tailor_core::bundle::{MINILM_FILE, QUERY_TOWER_FILE, TOKENIZER_FILE};
use tailor_core::{Bundle, BundleItem, DenseVectors, EncoderKind, Hit, Manifest, top_k};

use crate::error::{LoadError, ModelError};
use crate::text::{MINILM_MAX_TOKENS, MiniLm, StaticEncoder, TextTokenizer};
use crate::whisper::{QueryTower, WhisperLiteConfig};

/// Requests longer than this many characters are cut here: a search box never needs more, and
/// it bounds the work a pasted novel can cause.
pub const MAX_QUERY_CHARS: usize = 1000;

/// Where the catalog's scores are computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScoreOn {
    /// tailor-core's dense scorer: the fastest choice next to a CPU backend.
    Cpu,
    /// One matrix-vector product on the device (a GPU), read back as a score vector.
    Device,
}

enum QueryEncoder {
    Static(StaticEncoder),
    MiniLm(Box<MiniLm>),
}

enum Catalog {
    Cpu(DenseVectors),
    Device(Box<Tensor<2>>),
}

/// A loaded bundle, ready to rank its catalog.
pub struct Ranker {
    manifest: Manifest,
    items: Vec<BundleItem>,
    index_of: HashMap<String, usize>,
    tokenizer: TextTokenizer,
    encoder: QueryEncoder,
    tower: QueryTower,
    catalog: Catalog,
    device: Device,
}

impl Ranker {
    /// Builds the model a verified bundle describes on `device`.
    pub fn from_bundle(
        mut bundle: Bundle,
        device: &Device,
        score_on: ScoreOn,
    ) -> Result<Ranker, LoadError> {
        let manifest = bundle.manifest.clone();
        if manifest.history_dim != 0 {
            return Err(ModelError::Unsupported(format!(
                "it has personalization layers (history_dim {}), which this build does not run",
                manifest.history_dim
            ))
            .into());
        }
        let items = bundle.items()?;
        let embeddings = bundle.item_embeddings()?;
        let tokenizer = TextTokenizer::from_json(bundle.file(TOKENIZER_FILE)?, MINILM_MAX_TOKENS)?;
        let encoder = match manifest.encoder {
            EncoderKind::Static => {
                let vectors = bundle.static_encoder()?;
                if vectors.rows != tokenizer.vocab_size() {
                    return Err(ModelError::ShapeMismatch {
                        what: "the static encoder's vocabulary",
                        expected: tokenizer.vocab_size(),
                        actual: vectors.rows,
                    }
                    .into());
                }
                QueryEncoder::Static(StaticEncoder::new(vectors))
            }
            EncoderKind::Minilm => QueryEncoder::MiniLm(Box::new(MiniLm::from_safetensors(
                bundle.take_file(MINILM_FILE)?,
                device,
            )?)),
        };
        let config = WhisperLiteConfig::new(manifest.text_dim, 0, manifest.item_count)
            .with_history_dim(manifest.history_dim)
            .with_hidden(manifest.hidden)
            .with_dim(manifest.dim);
        let tower = config.load_query_tower(bundle.take_file(QUERY_TOWER_FILE)?, device)?;
        let catalog = match score_on {
            ScoreOn::Cpu => Catalog::Cpu(
                DenseVectors::new(embeddings.dim, embeddings.values)
                    .map_err(|e| ModelError::Unsupported(format!("item embeddings: {e}")))?,
            ),
            ScoreOn::Device => Catalog::Device(Box::new(Tensor::from_data(
                TensorData::new(embeddings.values, [embeddings.rows, embeddings.dim]),
                device,
            ))),
        };
        let index_of = items
            .iter()
            .enumerate()
            .map(|(index, item)| (item.id.clone(), index))
            .collect();
        Ok(Ranker {
            manifest,
            items,
            index_of,
            tokenizer,
            encoder,
            tower,
            catalog,
            device: device.clone(),
        })
    }

    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// The catalog, in embedding order.
    pub fn items(&self) -> &[BundleItem] {
        &self.items
    }

    /// The catalog index of an item id, `None` for an id the bundle does not have.
    pub fn index_of(&self, id: &str) -> Option<usize> {
        self.index_of.get(id).copied()
    }

    /// Whether recommendations depend on the history: not until the bundle has history layers.
    pub fn is_personalized(&self) -> bool {
        self.manifest.history_dim > 0
    }

    /// z = QueryTower(q) for one request, [1, dim] on the device.
    pub fn request_vector(&self, query: &str) -> Result<Tensor<2>, ModelError> {
        let query = truncate_chars(query, MAX_QUERY_CHARS);
        let q = match &self.encoder {
            QueryEncoder::Static(encoder) => {
                let q = encoder.encode(&self.tokenizer, query)?;
                let dim = q.len();
                Tensor::from_data(TensorData::new(q, [1, dim]), &self.device)
            }
            QueryEncoder::MiniLm(model) => {
                let encoded = self.tokenizer.encode_batch(&[query], &self.device)?;
                model.embed(encoded.ids, encoded.mask)
            }
        };
        Ok(self.tower.forward(q, None))
    }

    /// The `k` best items for a request, best first. Async because a GPU can only be read back
    /// asynchronously in the browser; natively, block on it.
    pub async fn recommend(&self, query: &str, k: usize) -> Result<Vec<Hit>, ModelError> {
        self.rank(self.request_vector(query)?, k).await
    }

    /// The `k` best items for a request vector z from [`Ranker::request_vector`].
    pub async fn rank(&self, z: Tensor<2>, k: usize) -> Result<Vec<Hit>, ModelError> {
        if k == 0 {
            return Err(ModelError::BadRequest("k must be at least 1".into()));
        }
        let k = k.min(self.items.len());
        let hits = match &self.catalog {
            Catalog::Cpu(vectors) => vectors.top_k(&read_back(z).await?, k),
            Catalog::Device(matrix) => {
                let scores = matrix.as_ref().clone().matmul(z.transpose());
                top_k(&read_back(scores).await?, k)
            }
        };
        hits.map_err(|e| ModelError::BadRequest(e.to_string()))
    }
}

async fn read_back<const D: usize>(tensor: Tensor<D>) -> Result<Vec<f32>, ModelError> {
    tensor
        .into_data_async()
        .await
        .map_err(|e| ModelError::Readback(format!("{e:?}")))?
        .try_into_vec::<f32>()
        .map_err(|e| ModelError::Readback(format!("{e:?}")))
}

/// The first `max` characters of `text`, cut on a character boundary.
fn truncate_chars(text: &str, max: usize) -> &str {
    match text.char_indices().nth(max) {
        Some((end, _)) => &text[..end],
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::truncate_chars;

    #[test]
    fn truncation_keeps_whole_characters() {
        assert_eq!(truncate_chars("héllo", 2), "hé");
        assert_eq!(truncate_chars("hé", 5), "hé");
        assert_eq!(truncate_chars("", 0), "");
    }
}
