//! Ranking a bundle's catalog for a text request: the part of the model that runs where the
//! shopper is. The browser build and the native `tailor recommend` both go through [`Ranker`],
//! so the two give the same scores for the same bundle.
//!
//! A request becomes q (static encoder or MiniLM, on the CPU or the device); with the shopper's
//! history, the intention attention adds u; z = the query tower's output; then one score per
//! item, <z, e_i>. Each result is explained by the history items COURIER's attention puts the
//! most weight on when that result is the query ("because you viewed ..."). Where the scores are computed is the
//! caller's choice: on the CPU with tailor-core's dense scorer, or on the device as one
//! matrix-vector product (WebGPU), read back asynchronously and sorted on the CPU.

use std::collections::HashMap;

use burn::prelude::*;
use serde::Serialize;
use tailor_core::bundle::{MINILM_FILE, QUERY_TOWER_FILE, TOKENIZER_FILE};
use tailor_core::{Bundle, BundleItem, DenseVectors, EncoderKind, Hit, Manifest, top_k};

use crate::error::{LoadError, ModelError};
use crate::intention::{History, reconstruct};
use crate::outfits::{CompletedLook, OutfitCompleter};
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

/// How many history items explain one result.
pub const EXPLANATIONS_PER_RESULT: usize = 3;

/// A history item behind a result, with its attention weight (the weights of one result sum to
/// at most 1).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Because {
    pub index: usize,
    pub weight: f32,
}

/// One ranked item.
#[derive(Debug, Clone, PartialEq)]
pub struct Ranked {
    pub index: usize,
    pub score: f32,
    /// Heaviest first; empty without a history or for a model that does not personalize.
    pub because: Vec<Because>,
}

/// A result as the browser's `recommend()` and `tailor recommend --json` return it.
#[derive(Debug, Serialize)]
pub struct RecommendedItem<'a> {
    pub id: &'a str,
    pub title: &'a str,
    pub class: &'a str,
    pub score: f32,
    pub index: usize,
    pub because: Vec<Reason<'a>>,
}

/// "Because you viewed ...": a history item and its attention weight.
#[derive(Debug, Serialize)]
pub struct Reason<'a> {
    pub id: &'a str,
    pub title: &'a str,
    pub weight: f32,
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
    /// e_i on the device, where histories are looked up; only for a model that personalizes.
    history_table: Option<Tensor<2>>,
    /// Complete the look, for a bundle with an outfit model.
    outfits: Option<OutfitCompleter>,
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
        let items = bundle.items()?;
        let outfits = OutfitCompleter::from_bundle(&bundle, manifest.text_dim, device)?;
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
            .with_history_heads(manifest.personalization.map_or(0, |p| p.heads))
            .with_max_history(manifest.personalization.map_or(1, |p| p.max_history))
            .with_hidden(manifest.hidden)
            .with_dim(manifest.dim);
        let tower = config.load_query_tower(bundle.take_file(QUERY_TOWER_FILE)?, device)?;
        let table = || {
            Tensor::<2>::from_data(
                TensorData::new(embeddings.values.clone(), [embeddings.rows, embeddings.dim]),
                device,
            )
        };
        let history_table = manifest.personalization.map(|_| table());
        let catalog = match score_on {
            ScoreOn::Cpu => Catalog::Cpu(
                DenseVectors::new(embeddings.dim, embeddings.values)
                    .map_err(|e| ModelError::Unsupported(format!("item embeddings: {e}")))?,
            ),
            ScoreOn::Device => {
                Catalog::Device(Box::new(history_table.clone().unwrap_or_else(table)))
            }
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
            history_table,
            outfits,
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

    /// Results with their items' ids and titles.
    pub fn describe<'a>(&'a self, ranked: &[Ranked]) -> Vec<RecommendedItem<'a>> {
        ranked
            .iter()
            .map(|r| {
                let item = &self.items[r.index];
                RecommendedItem {
                    id: &item.id,
                    title: &item.title,
                    class: &item.class,
                    score: r.score,
                    index: r.index,
                    because: r
                        .because
                        .iter()
                        .map(|b| Reason {
                            id: &self.items[b.index].id,
                            title: &self.items[b.index].title,
                            weight: b.weight,
                        })
                        .collect(),
                }
            })
            .collect()
    }

    /// The catalog index of an item id, `None` for an id the bundle does not have.
    pub fn index_of(&self, id: &str) -> Option<usize> {
        self.index_of.get(id).copied()
    }

    /// Whether recommendations depend on the history: only when the bundle has history layers.
    pub fn is_personalized(&self) -> bool {
        self.history_table.is_some()
    }

    /// How many of the most recent history items the model reads.
    pub fn max_history(&self) -> usize {
        self.manifest.personalization.map_or(0, |p| p.max_history)
    }

    /// z = QueryTower(q, u) for one request, [1, dim] on the device. `history` holds catalog
    /// indices, most recent first (as the browser's history lists them); only the most recent
    /// [`Ranker::max_history`] are read, and none by a model that does not personalize.
    /// An empty request ("for you") is q = 0, as training encodes it: the history alone ranks.
    pub fn request_vector(&self, query: &str, history: &[usize]) -> Result<Tensor<2>, ModelError> {
        let q = if query.trim().is_empty() {
            Tensor::zeros([1, self.manifest.text_dim], &self.device)
        } else {
            self.encode_query(query)?
        };
        Ok(self.tower.forward(q, self.history(history)?))
    }

    /// The query encoder's q [1, text_dim] for a request.
    pub fn encode_query(&self, query: &str) -> Result<Tensor<2>, ModelError> {
        let query = truncate_chars(query, MAX_QUERY_CHARS);
        Ok(match &self.encoder {
            QueryEncoder::Static(encoder) => {
                let q = encoder.encode(&self.tokenizer, query)?;
                let dim = q.len();
                Tensor::from_data(TensorData::new(q, [1, dim]), &self.device)
            }
            QueryEncoder::MiniLm(model) => {
                let encoded = self.tokenizer.encode_batch(&[query], &self.device)?;
                model.embed(encoded.ids, encoded.mask)
            }
        })
    }

    /// The bundle's outfit model, if it has one.
    pub fn outfits(&self) -> Option<&OutfitCompleter> {
        self.outfits.as_ref()
    }

    /// Complete the look: `k` looks with `anchor` (an outfit item id) for this history (ids,
    /// most recent first) and request ("" for none), `diversity` trading score for variety
    /// (0 for the best outfits by score alone; [`tailor_core::LOOK_DIVERSITY`] by default).
    pub async fn complete_outfit<'a>(
        &'a self,
        anchor: &'a str,
        query: &str,
        history: &'a [String],
        k: usize,
        diversity: f32,
    ) -> Result<CompletedLook<'a>, ModelError> {
        let completer = self.outfits.as_ref().ok_or_else(|| {
            ModelError::Unsupported("the bundle has no outfit model (no outfits section)".into())
        })?;
        let request = if query.trim().is_empty() {
            None
        } else {
            Some(self.encode_query(query)?)
        };
        completer
            .complete(anchor, request, history, k, diversity)
            .await
    }

    /// The history as the intention module reads it: oldest first, at most `max_history` long.
    fn history(&self, recent_first: &[usize]) -> Result<Option<History>, ModelError> {
        let Some(table) = &self.history_table else {
            return Ok(None);
        };
        let recent_first = &recent_first[..recent_first.len().min(self.max_history())];
        if let Some(&index) = recent_first.iter().find(|&&i| i >= self.items.len()) {
            return Err(ModelError::BadRequest(format!(
                "history item index {index} is outside the catalog of {}",
                self.items.len()
            )));
        }
        if recent_first.is_empty() {
            return Ok(None);
        }
        let oldest_first: Vec<usize> = recent_first.iter().rev().copied().collect();
        Ok(Some(History::gather(
            table.clone(),
            &[oldest_first.as_slice()],
            oldest_first.len(),
        )))
    }

    /// The `k` best items for a request and a history (catalog indices, most recent first), best
    /// first, each with the history items that explain it. Async because a GPU can only be read
    /// back asynchronously in the browser; natively, block on it.
    pub async fn recommend(
        &self,
        query: &str,
        history: &[usize],
        k: usize,
    ) -> Result<Vec<Ranked>, ModelError> {
        let hits = self.rank(self.request_vector(query, history)?, k).await?;
        self.explain(&hits, history).await
    }

    /// Attaches to each hit the history items that COURIER's attention, queried by the hit's
    /// embedding, weighs the most.
    pub async fn explain(
        &self,
        hits: &[Hit],
        history: &[usize],
    ) -> Result<Vec<Ranked>, ModelError> {
        let unexplained = || {
            hits.iter()
                .map(|hit| Ranked {
                    index: hit.index,
                    score: hit.score,
                    because: Vec::new(),
                })
                .collect()
        };
        let (Some(table), Some(personalization)) =
            (&self.history_table, self.manifest.personalization)
        else {
            return Ok(unexplained());
        };
        let recent_first = &history[..history.len().min(self.max_history())];
        if recent_first.is_empty() || hits.is_empty() {
            return Ok(unexplained());
        }
        let oldest_first: Vec<usize> = recent_first.iter().rev().copied().collect();
        let rows = vec![oldest_first.as_slice(); hits.len()];
        let history = History::gather(table.clone(), &rows, oldest_first.len());
        let indices: Vec<i64> = hits.iter().map(|hit| hit.index as i64).collect();
        let targets = table.clone().select(
            0,
            Tensor::<1, Int>::from_data(TensorData::new(indices, [hits.len()]), &self.device),
        );
        let weights =
            read_back(reconstruct(targets, &history, personalization.explain_temperature).weights)
                .await?;
        let slots = oldest_first.len();
        Ok(hits
            .iter()
            .zip(weights.chunks(slots))
            .map(|(hit, weights)| {
                // Several views of one item add up to one reason.
                let mut reasons: Vec<Because> = Vec::new();
                // A viewed result is not its own reason: the reasons are the other views.
                let others = oldest_first
                    .iter()
                    .zip(weights)
                    .filter(|(i, _)| **i != hit.index);
                for (&index, &weight) in others {
                    match reasons.iter_mut().find(|r| r.index == index) {
                        Some(reason) => reason.weight += weight,
                        None => reasons.push(Because { index, weight }),
                    }
                }
                reasons.sort_by(|a, b| b.weight.total_cmp(&a.weight));
                reasons.truncate(EXPLANATIONS_PER_RESULT);
                Ranked {
                    index: hit.index,
                    score: hit.score,
                    because: reasons,
                }
            })
            .collect())
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
