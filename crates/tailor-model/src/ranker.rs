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
use tailor_core::bundle::{
    FOR_YOU_TOWER_FILE, ForYouSection, MINILM_FILE, QUERY_TOWER_FILE, TOKENIZER_FILE,
};
use tailor_core::quant::EmbeddingMatrix;
use tailor_core::{Bundle, BundleItem, DenseVectors, EncoderKind, Hit, Manifest, top_k_where};

use crate::error::{LoadError, ModelError};
use crate::intention::{History, reconstruct};
use crate::outfits::{CompletedLook, OutfitCompleter};
use crate::text::{MINILM_MAX_TOKENS, MiniLm, StaticEncoder, TextTokenizer};
use crate::text_ranker::{QueryTower, TextRankerConfig};

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

impl Catalog {
    /// The catalog's embeddings where `score_on` scores them; `table`, the same matrix already
    /// on the device, is reused rather than uploaded twice.
    fn new(
        embeddings: EmbeddingMatrix,
        table: Option<&Tensor<2>>,
        score_on: ScoreOn,
        device: &Device,
    ) -> Result<Catalog, ModelError> {
        Ok(match score_on {
            ScoreOn::Cpu => Catalog::Cpu(
                DenseVectors::new(embeddings.dim, embeddings.values)
                    .map_err(|e| ModelError::Unsupported(format!("item embeddings: {e}")))?,
            ),
            ScoreOn::Device => Catalog::Device(Box::new(
                table
                    .cloned()
                    .unwrap_or_else(|| upload(&embeddings, device)),
            )),
        })
    }
}

fn upload(matrix: &EmbeddingMatrix, device: &Device) -> Tensor<2> {
    Tensor::from_data(
        TensorData::new(matrix.values.clone(), [matrix.rows, matrix.dim]),
        device,
    )
}

/// Which part of the model answers a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Head {
    /// The text model: the request, and the history through its intention heads.
    Text,
    /// The "for you" head: an empty request with a history, ranked from the history alone
    /// with its own item embeddings. Items in the history are not recommended again.
    ForYou,
}

/// z for one request [1, dim], and the head whose item embeddings it is scored against.
pub struct RequestVector {
    pub z: Tensor<2>,
    pub head: Head,
    /// How many history items it read.
    pub history_used: usize,
}

/// The "for you" head of a bundle that has one.
struct ForYouHead {
    section: ForYouSection,
    tower: QueryTower,
    /// Its e_i on the device, where histories are looked up.
    table: Tensor<2>,
    catalog: Catalog,
}

/// The parts of one head that read a history: its e_i, how much history it reads, and the
/// temperature of its explanations.
struct HistoryReader<'a> {
    table: &'a Tensor<2>,
    max_history: usize,
    explain_temperature: f64,
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

/// Which catalog items a ranking may return; the default keeps them all.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ItemFilter {
    /// Catalog indices never returned (indices past the catalog exclude nothing).
    pub exclude: Vec<usize>,
    /// Only items with this step in their category path (the class is its last step), compared
    /// exactly, so that "Dresses" keeps the dresses and "Tops" everything under it.
    pub category: Option<String>,
}

impl ItemFilter {
    fn keeps_everything(&self) -> bool {
        self.exclude.is_empty() && self.category.is_none()
    }
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
    for_you: Option<ForYouHead>,
    /// |e_i| of every item, for the cosine of similar items.
    norms: Vec<f32>,
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
        let for_you = bundle.for_you_embeddings()?;
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
        let config = TextRankerConfig::new(manifest.text_dim, 0, manifest.item_count)
            .with_history_heads(manifest.personalization.map_or(0, |p| p.heads))
            .with_max_history(manifest.personalization.map_or(1, |p| p.max_history))
            .with_hidden(manifest.hidden)
            .with_dim(manifest.dim);
        let tower = config.load_query_tower(bundle.take_file(QUERY_TOWER_FILE)?, device)?;
        let norms = embeddings
            .values
            .chunks_exact(embeddings.dim)
            .map(|row| row.iter().map(|v| v * v).sum::<f32>().sqrt())
            .collect();
        // e_i on the device only where histories are looked up there.
        let history_table = manifest
            .personalization
            .map(|_| upload(&embeddings, device));
        let catalog = Catalog::new(embeddings, history_table.as_ref(), score_on, device)?;
        let for_you = match for_you {
            Some((section, embeddings)) => {
                let tower = TextRankerConfig::new(section.dim, 0, manifest.item_count)
                    .with_history_heads(section.heads)
                    .with_max_history(section.max_history)
                    .with_hidden(section.hidden)
                    .with_dim(section.dim)
                    .load_query_tower(bundle.take_file(FOR_YOU_TOWER_FILE)?, device)?;
                let table = upload(&embeddings, device);
                Some(ForYouHead {
                    section,
                    tower,
                    catalog: Catalog::new(embeddings, Some(&table), score_on, device)?,
                    table,
                })
            }
            None => None,
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
            for_you,
            norms,
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

    /// Whether recommendations depend on the history: only when the bundle has history layers
    /// or a "for you" head.
    pub fn is_personalized(&self) -> bool {
        self.history_table.is_some() || self.for_you.is_some()
    }

    /// How many of the most recent history items the text model reads.
    pub fn max_history(&self) -> usize {
        self.manifest.personalization.map_or(0, |p| p.max_history)
    }

    /// The head that answers this request: the "for you" head for an empty request with a
    /// history, where the bundle has one; the text model otherwise.
    fn head(&self, query: &str, history: &[usize]) -> Head {
        if query.trim().is_empty() && !history.is_empty() && self.for_you.is_some() {
            Head::ForYou
        } else {
            Head::Text
        }
    }

    /// z for one request. `history` holds catalog indices, most recent first (as the browser's
    /// history lists them); only the most recent ones the head reads are used, and none by a
    /// text model that does not personalize. An empty request with a history goes to the "for
    /// you" head where there is one; otherwise an empty request is q = 0, as the text model's
    /// training encodes it, and the history alone ranks.
    pub fn request_vector(
        &self,
        query: &str,
        history: &[usize],
    ) -> Result<RequestVector, ModelError> {
        let head = self.head(query, history);
        let (history, history_used) = self.history(history, head)?;
        let z = match (&self.for_you, head) {
            (Some(for_you), Head::ForYou) => {
                let history = history
                    .ok_or_else(|| ModelError::BadRequest("for you needs a history".into()))?;
                let [_, slots, dim] = history.items.dims();
                let last = history
                    .items
                    .clone()
                    .slice([0..1, slots - 1..slots, 0..dim])
                    .reshape([1, dim]);
                for_you.tower.forward(last, Some(history))
            }
            _ => {
                let q = if query.trim().is_empty() {
                    Tensor::zeros([1, self.manifest.text_dim], &self.device)
                } else {
                    self.encode_query(query)?
                };
                self.tower.forward(q, history)
            }
        };
        Ok(RequestVector {
            z,
            head,
            history_used,
        })
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

    /// How a head reads histories; `None` for a text model that does not personalize.
    fn reader(&self, head: Head) -> Option<HistoryReader<'_>> {
        match (head, &self.for_you) {
            (Head::ForYou, Some(for_you)) => Some(HistoryReader {
                table: &for_you.table,
                max_history: for_you.section.max_history,
                explain_temperature: for_you.section.explain_temperature,
            }),
            _ => match (&self.history_table, self.manifest.personalization) {
                (Some(table), Some(personalization)) => Some(HistoryReader {
                    table,
                    max_history: personalization.max_history,
                    explain_temperature: personalization.explain_temperature,
                }),
                _ => None,
            },
        }
    }

    /// The history as a head's intention module reads it, oldest first and at most its
    /// `max_history` long, with how many items that is.
    fn history(
        &self,
        recent_first: &[usize],
        head: Head,
    ) -> Result<(Option<History>, usize), ModelError> {
        if let Some(&index) = recent_first.iter().find(|&&i| i >= self.items.len()) {
            return Err(ModelError::BadRequest(format!(
                "history item index {index} is outside the catalog of {}",
                self.items.len()
            )));
        }
        let Some(reader) = self.reader(head) else {
            return Ok((None, 0));
        };
        let recent_first = &recent_first[..recent_first.len().min(reader.max_history)];
        if recent_first.is_empty() {
            return Ok((None, 0));
        }
        let oldest_first: Vec<usize> = recent_first.iter().rev().copied().collect();
        let history = History::gather(
            reader.table.clone(),
            &[oldest_first.as_slice()],
            oldest_first.len(),
        );
        Ok((Some(history), oldest_first.len()))
    }

    /// The `k` best items for a request and a history (catalog indices, most recent first), best
    /// first, each with the history items that explain it. Async because a GPU can only be read
    /// back asynchronously in the browser; natively, block on it.
    pub async fn recommend(
        &self,
        query: &str,
        history: &[usize],
        k: usize,
        filter: &ItemFilter,
    ) -> Result<Vec<Ranked>, ModelError> {
        let request = self.request_vector(query, history)?;
        let hits = self.rank(&request, k, history, filter).await?;
        self.explain(&request, &hits, history).await
    }

    /// The `k` items most like catalog item `index`, best first: the cosine of their item
    /// embeddings e_i (the item tower's output, which the text model scores requests against),
    /// the item itself left out. Cosine rather than <e_i, e_j>, so that an item with a long
    /// vector is not "similar" to everything.
    pub async fn similar(
        &self,
        index: usize,
        k: usize,
        filter: &ItemFilter,
    ) -> Result<Vec<Ranked>, ModelError> {
        if k == 0 {
            return Err(ModelError::BadRequest("k must be at least 1".into()));
        }
        if index >= self.items.len() {
            return Err(ModelError::BadRequest(format!(
                "item index {index} is outside the catalog of {}",
                self.items.len()
            )));
        }
        let mut scores = match &self.catalog {
            Catalog::Cpu(vectors) => {
                let row = vectors.row(index).ok_or_else(|| {
                    ModelError::BadRequest(format!("item index {index} has no embedding"))
                })?;
                let mut scores = vec![0.0; vectors.len()];
                vectors
                    .score_into(row, &mut scores)
                    .map_err(|e| ModelError::BadRequest(e.to_string()))?;
                scores
            }
            Catalog::Device(matrix) => {
                let [_, dim] = matrix.dims();
                let row = matrix.as_ref().clone().slice([index..index + 1, 0..dim]);
                read_back(matrix.as_ref().clone().matmul(row.transpose())).await?
            }
        };
        let own = self.norms[index];
        for (score, &norm) in scores.iter_mut().zip(&self.norms) {
            let scale = own * norm;
            *score = if scale > 0.0 { *score / scale } else { 0.0 };
        }
        let keep = self.keep_mask(filter, &[index]);
        let hits = top_k_where(&scores, k, |i| keep.as_ref().is_none_or(|mask| mask[i]))
            .map_err(|e| ModelError::BadRequest(e.to_string()))?;
        Ok(hits
            .into_iter()
            .map(|hit| Ranked {
                index: hit.index,
                score: hit.score,
                because: Vec::new(),
            })
            .collect())
    }

    /// Which items a ranking may return, as one flag per item; `None` when it may return any.
    fn keep_mask(&self, filter: &ItemFilter, also_excluded: &[usize]) -> Option<Vec<bool>> {
        if filter.keeps_everything() && also_excluded.is_empty() {
            return None;
        }
        let mut mask: Vec<bool> = match &filter.category {
            Some(step) => self
                .items
                .iter()
                .map(|item| item.class == *step || item.category.iter().any(|c| c == step))
                .collect(),
            None => vec![true; self.items.len()],
        };
        for &index in filter.exclude.iter().chain(also_excluded) {
            if let Some(keep) = mask.get_mut(index) {
                *keep = false;
            }
        }
        Some(mask)
    }

    /// Attaches to each hit the history items that COURIER's attention, queried by the hit's
    /// embedding in the head that ranked it, weighs the most.
    pub async fn explain(
        &self,
        request: &RequestVector,
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
        let Some(reader) = self.reader(request.head) else {
            return Ok(unexplained());
        };
        let table = reader.table;
        let recent_first = &history[..history.len().min(reader.max_history)];
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
            read_back(reconstruct(targets, &history, reader.explain_temperature).weights).await?;
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

    /// The `k` best items for a request vector from [`Ranker::request_vector`], scored against
    /// its head's item embeddings, among those `filter` keeps. The "for you" head also leaves
    /// out what `history` (catalog indices) already holds. Fewer than `k` come back when fewer
    /// items are left.
    pub async fn rank(
        &self,
        request: &RequestVector,
        k: usize,
        history: &[usize],
        filter: &ItemFilter,
    ) -> Result<Vec<Hit>, ModelError> {
        if k == 0 {
            return Err(ModelError::BadRequest("k must be at least 1".into()));
        }
        let (catalog, seen): (&Catalog, &[usize]) = match (request.head, &self.for_you) {
            (Head::ForYou, Some(for_you)) => (&for_you.catalog, history),
            _ => (&self.catalog, &[]),
        };
        let keep = self.keep_mask(filter, seen);
        let keeps = |index: usize| keep.as_ref().is_none_or(|mask| mask[index]);
        let hits = match catalog {
            Catalog::Cpu(vectors) => {
                vectors.top_k_where(&read_back(request.z.clone()).await?, k, keeps)
            }
            Catalog::Device(matrix) => {
                let scores = matrix
                    .as_ref()
                    .clone()
                    .matmul(request.z.clone().transpose());
                top_k_where(&read_back(scores).await?, k, keeps)
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
