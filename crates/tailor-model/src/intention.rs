//! COURIER's user intention (Yang et al., arXiv 2306.05001): attention over the item embeddings
//! of a click history. The user is never an id; the user is the history on the device.
//!
//! - Reconstruction, for pretraining an item tower from behaviour alone: for a target item j,
//!   r_j = sum_k softmax(<e_j, e_hk> / tau) e_hk, and [`info_nce`] pulls r_j towards e_j against
//!   the batch's other items. The same attention with a result item as its query says which
//!   history items a result comes from ("because you viewed ...").
//! - [`Intention`], for the ranking head: the same attention, queried by the request (or, without
//!   one, by a learned query), gives the history vector u of z = MLP([q ; u]). Each head has a
//!   learned bias per recency slot, because the order of a history matters as much as its
//!   contents.
//!
//! Histories are batched right-aligned: slot n-1 is the most recent item and shorter histories
//! are padded on the left, with a mask that is false on padding. Padding never changes a result,
//! and an empty history gives u = 0, which the head was trained to read as "no history".

use burn::module::Param;
use burn::nn::{Initializer, Linear, LinearConfig};
use burn::prelude::*;
use burn::tensor::activation::{log_softmax, softmax};

/// A batch of histories: `items` [batch, slots, dim], `mask` [batch, slots], true on real items.
/// Right-aligned, most recent last.
#[derive(Debug, Clone)]
pub struct History {
    pub items: Tensor<3>,
    pub mask: Tensor<2, Bool>,
}

impl History {
    /// The batch's histories from per-row lists of catalog indices (oldest first), looked up in
    /// `embeddings` [items, dim]. Rows longer than `slots` keep their most recent `slots` items.
    pub fn gather(embeddings: Tensor<2>, rows: &[&[usize]], slots: usize) -> History {
        let device = embeddings.device();
        let [_, dim] = embeddings.dims();
        let batch = rows.len();
        let slots = slots.max(1);
        let mut indices = vec![0i64; batch * slots];
        let mut mask = vec![false; batch * slots];
        for (row, items) in rows.iter().enumerate() {
            let kept = &items[items.len().saturating_sub(slots)..];
            let start = row * slots + slots - kept.len();
            for (offset, &item) in kept.iter().enumerate() {
                indices[start + offset] = item as i64;
                mask[start + offset] = true;
            }
        }
        let indices =
            Tensor::<1, Int>::from_data(TensorData::new(indices, [batch * slots]), &device);
        History {
            items: embeddings.select(0, indices).reshape([batch, slots, dim]),
            mask: Tensor::from_data(TensorData::new(mask, [batch, slots]), &device),
        }
    }

    pub fn slots(&self) -> usize {
        self.mask.dims()[1]
    }

    /// Only the most recent `slots` slots.
    pub fn most_recent(self, slots: usize) -> History {
        let [batch, have, dim] = self.items.dims();
        if have <= slots {
            return self;
        }
        History {
            items: self.items.slice([0..batch, have - slots..have, 0..dim]),
            mask: self.mask.slice([0..batch, have - slots..have]),
        }
    }
}

/// What one attention pass gives: the attended vectors and the weights on each history slot.
#[derive(Debug, Clone)]
pub struct Attention<const D: usize> {
    pub vectors: Tensor<D>,
    /// Zero on padding; all zero for an empty history.
    pub weights: Tensor<D>,
}

/// softmax(<query, e_hk> / temperature + bias_k) over the real slots, for `heads` queries per
/// row: `queries` [batch, heads, dim], `bias` [heads, slots] or none. Gives vectors
/// [batch, heads, dim] and weights [batch, heads, slots].
pub fn attend(
    queries: Tensor<3>,
    history: &History,
    bias: Option<Tensor<2>>,
    temperature: f64,
) -> Attention<3> {
    let [batch, heads, _] = queries.dims();
    let slots = history.slots();
    let mut logits = queries
        .matmul(history.items.clone().swap_dims(1, 2))
        .div_scalar(temperature);
    if let Some(bias) = bias {
        logits = logits + bias.reshape([1, heads, slots]);
    }
    let mask = history
        .mask
        .clone()
        .reshape([batch, 1, slots])
        .expand([batch, heads, slots]);
    // A large negative rather than -inf: an all-padding row must stay finite, and is then zeroed.
    let weights = softmax(logits.mask_fill(mask.clone().bool_not(), -1e9), 2) * mask.float();
    Attention {
        vectors: weights.clone().matmul(history.items.clone()),
        weights,
    }
}

/// COURIER's reconstruction of each target from its row's history: `targets` [batch, dim] gives
/// r [batch, dim] and weights [batch, slots].
pub fn reconstruct(targets: Tensor<2>, history: &History, temperature: f64) -> Attention<2> {
    let [batch, dim] = targets.dims();
    let slots = history.slots();
    let attention = attend(targets.reshape([batch, 1, dim]), history, None, temperature);
    Attention {
        vectors: attention.vectors.reshape([batch, dim]),
        weights: attention.weights.reshape([batch, slots]),
    }
}

/// InfoNCE of each row of `queries` [batch, dim] against its own row of `keys` [batch, dim], with
/// the other rows' keys as negatives; mean over the batch. `same_item` [batch, batch] marks pairs
/// of rows whose keys are the same item: those are not negatives of each other.
pub fn info_nce(
    queries: Tensor<2>,
    keys: Tensor<2>,
    same_item: Tensor<2, Bool>,
    temperature: f64,
) -> Tensor<1> {
    let [batch, _] = queries.dims();
    let device = queries.device();
    let logits = queries.matmul(keys.transpose()).div_scalar(temperature);
    // diag_mask is true off the diagonal; keep the diagonal, drop same-item pairs.
    let off_diagonal = Tensor::<2, Bool>::diag_mask([batch, batch], 0, &device);
    let logits = logits.mask_fill(same_item.bool_and(off_diagonal), -1e9);
    let eye = Tensor::<2>::eye(batch, &device);
    (log_softmax(logits, 1) * eye).sum_dim(1).neg().mean()
}

/// `same_item` for [`info_nce`] from the rows' item indices.
pub fn same_item_mask(items: &[usize], device: &Device) -> Tensor<2, Bool> {
    let batch = items.len();
    let values: Vec<bool> = items
        .iter()
        .flat_map(|a| items.iter().map(move |b| a == b))
        .collect();
    Tensor::from_data(TensorData::new(values, [batch, batch]), device)
}

#[derive(Config, Debug)]
pub struct IntentionConfig {
    /// Width of the item embeddings e_h, and of each head's output.
    pub dim: usize,
    /// Width of the request q that queries the history; 0 for a model without requests.
    #[config(default = 0)]
    pub query_dim: usize,
    /// Attention heads; u is their outputs side by side, `heads * dim` wide.
    #[config(default = 1)]
    pub heads: usize,
    /// The longest history read; older items are dropped. Each head learns one bias per slot.
    #[config(default = 50)]
    pub max_history: usize,
}

/// The history vector u for the ranking head.
#[derive(Module, Debug)]
pub struct Intention {
    /// W_q: the request to one attention query per head, [query_dim, heads * dim].
    request_projection: Option<Linear>,
    /// Each head's query without a request; added to the projected request when there is one.
    base_query: Param<Tensor<2>>,
    /// Per head, a logit bias for each recency slot, the most recent last: [heads, max_history].
    recency: Param<Tensor<2>>,
}

impl IntentionConfig {
    pub fn init(&self, device: &Device) -> Intention {
        let heads = self.heads.max(1);
        Intention {
            request_projection: (self.query_dim > 0).then(|| {
                LinearConfig::new(self.query_dim, heads * self.dim)
                    .with_bias(false)
                    .init(device)
            }),
            // Small random queries so that heads start apart; zero recency bias, so attention
            // starts as plain similarity.
            base_query: Initializer::Normal {
                mean: 0.0,
                std: 0.1,
            }
            .init([heads, self.dim], device),
            recency: Initializer::Zeros.init([heads, self.max_history.max(1)], device),
        }
    }

    /// Width of u.
    pub fn output_dim(&self) -> usize {
        self.heads.max(1) * self.dim
    }
}

impl Intention {
    pub fn heads(&self) -> usize {
        self.base_query.dims()[0]
    }

    pub fn max_history(&self) -> usize {
        self.recency.dims()[1]
    }

    /// u [batch, heads * dim] and the weights [batch, heads, slots] of each head, for requests
    /// [batch, query_dim] (none for a model without requests) and their histories. Histories
    /// longer than `max_history` keep their most recent items.
    pub fn forward(&self, request: Option<Tensor<2>>, history: History) -> Attention<2> {
        let history = history.most_recent(self.max_history());
        let [batch, slots, dim] = history.items.dims();
        let heads = self.heads();
        let base = self.base_query.val().reshape([1, heads, dim]);
        let queries = match (&self.request_projection, request) {
            (Some(projection), Some(request)) => {
                projection.forward(request).reshape([batch, heads, dim]) + base
            }
            _ => base.expand([batch, heads, dim]),
        };
        let max = self.max_history();
        let bias = self.recency.val().slice([0..heads, max - slots..max]);
        let attention = attend(queries, &history, Some(bias), 1.0);
        Attention {
            vectors: attention.vectors.reshape([batch, heads * dim]),
            weights: attention.weights.reshape([batch, heads * slots]),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::optim::{AdamConfig, GradientsParams};

    fn device() -> Device {
        Device::flex()
    }

    fn values<const D: usize>(tensor: Tensor<D>) -> Vec<f32> {
        tensor
            .into_data()
            .convert::<f32>()
            .try_to_vec::<f32>()
            .expect("f32 tensor")
    }

    fn catalog(device: &Device) -> Tensor<2> {
        let data: Vec<f32> = (0..6 * 4)
            .map(|i| ((i * 7 % 11) as f32 - 5.0) / 5.0)
            .collect();
        Tensor::from_data(TensorData::new(data, [6, 4]), device)
    }

    fn close(a: &[f32], b: &[f32]) {
        assert_eq!(a.len(), b.len());
        for (x, y) in a.iter().zip(b) {
            assert!((x - y).abs() < 1e-5, "{a:?} != {b:?}");
        }
    }

    #[test]
    fn padding_never_changes_the_result() {
        let device = device();
        let items = catalog(&device);
        let rows: [&[usize]; 3] = [&[1, 2, 3], &[4], &[0, 5]];
        let intention = IntentionConfig::new(4)
            .with_query_dim(3)
            .with_heads(2)
            .with_max_history(8)
            .init(&device);
        let request = Tensor::<2>::from_data(
            TensorData::new((0..9).map(|i| i as f32 / 9.0).collect::<Vec<_>>(), [3, 3]),
            &device,
        );
        let tight = History::gather(items.clone(), &rows, 3);
        let padded = History::gather(items.clone(), &rows, 7);
        // Garbage in the padding slots must not leak through either.
        let noisy = History {
            items: padded.items.clone()
                + padded
                    .mask
                    .clone()
                    .bool_not()
                    .float()
                    .unsqueeze_dim(2)
                    .mul_scalar(100.0),
            mask: padded.mask.clone(),
        };
        let targets = items.clone().slice([0..3, 0..4]);
        let expected = values(reconstruct(targets.clone(), &tight, 0.5).vectors);
        close(
            &values(reconstruct(targets.clone(), &padded, 0.5).vectors),
            &expected,
        );
        close(
            &values(reconstruct(targets, &noisy, 0.5).vectors),
            &expected,
        );

        let expected = values(intention.forward(Some(request.clone()), tight).vectors);
        close(
            &values(intention.forward(Some(request.clone()), padded).vectors),
            &expected,
        );
        close(
            &values(intention.forward(Some(request), noisy).vectors),
            &expected,
        );
    }

    #[test]
    fn a_one_item_history_gives_that_item() {
        let device = device();
        let items = catalog(&device);
        let history = History::gather(items.clone(), &[&[4], &[2]], 5);
        let targets = items.clone().slice([0..2, 0..4]);
        let expected = values(
            items
                .clone()
                .select(0, Tensor::from_data([4i64, 2], &device)),
        );
        close(
            &values(reconstruct(targets, &history, 0.1).vectors),
            &expected,
        );
        let intention = IntentionConfig::new(4).with_max_history(5).init(&device);
        close(&values(intention.forward(None, history).vectors), &expected);
    }

    #[test]
    fn an_empty_history_gives_zero_and_no_weights() {
        let device = device();
        let items = catalog(&device);
        let history = History::gather(items.clone(), &[&[], &[3]], 4);
        let attention = reconstruct(items.slice([0..2, 0..4]), &history, 0.1);
        let vectors = values(attention.vectors);
        assert!(vectors[..4].iter().all(|&v| v == 0.0), "{vectors:?}");
        assert!(vectors.iter().all(|v| v.is_finite()));
        let weights = values(attention.weights);
        assert_eq!(&weights[..4], &[0.0; 4]);
        close(&weights[4..], &[0.0, 0.0, 0.0, 1.0]);
    }

    #[test]
    fn long_histories_keep_the_most_recent_items() {
        let device = device();
        let items = catalog(&device);
        let intention = IntentionConfig::new(4).with_max_history(2).init(&device);
        let long = History::gather(items.clone(), &[&[0, 1, 2, 3, 4]], 5);
        let recent = History::gather(items, &[&[3, 4]], 2);
        close(
            &values(intention.forward(None, long).vectors),
            &values(intention.forward(None, recent).vectors),
        );
    }

    /// A learnable toy case: each "user" clicks within one of three clusters, so an item is
    /// predictable from its history once the embeddings put the clusters apart. Each batch has
    /// one target per cluster, so the other clusters are its negatives; training the embeddings
    /// with the reconstruction loss must bring the loss close to zero.
    #[test]
    fn the_reconstruction_loss_falls_when_there_is_something_to_learn() {
        let device = Device::flex().autodiff();
        // The seed audit (`cargo xtask seeds`, tests/quality.rs) retrains it with other seeds.
        device.seed(std::env::var("TAILOR_TEST_SEED").map_or(11, |s| s.parse().expect("a seed")));
        let (items, dim, clusters) = (12usize, 8usize, 3usize);
        let mut embeddings = burn::nn::EmbeddingConfig::new(items, dim).init(&device);
        let mut optimizer = AdamConfig::new().init();
        let history_of = |target: usize| -> Vec<usize> {
            (0..items)
                .filter(|&i| i % clusters == target % clusters && i != target)
                .collect()
        };
        let mut losses = Vec::new();
        for _ in 0..60 {
            let mut epoch = 0.0;
            for batch in 0..items / clusters {
                let targets: Vec<usize> = (batch * clusters..(batch + 1) * clusters).collect();
                let histories: Vec<Vec<usize>> = targets.iter().map(|&t| history_of(t)).collect();
                let rows: Vec<&[usize]> = histories.iter().map(Vec::as_slice).collect();
                let table = embeddings.weight.val();
                let history = History::gather(table.clone(), &rows, 4);
                let indices = targets.iter().map(|&t| t as i64).collect::<Vec<_>>();
                let indices =
                    Tensor::<1, Int>::from_data(TensorData::new(indices, [clusters]), &device);
                let target_vectors = table.select(0, indices);
                let r = reconstruct(target_vectors.clone(), &history, 0.5).vectors;
                let loss = info_nce(r, target_vectors, same_item_mask(&targets, &device), 0.5);
                epoch += values(loss.clone())[0] / (items / clusters) as f32;
                let grads = GradientsParams::from_grads(loss.backward(), &embeddings);
                embeddings = optimizer.step(0.05, embeddings, grads);
            }
            losses.push(epoch);
        }
        let (first, last) = (losses[0], losses[losses.len() - 1]);
        eprintln!("quality: COURIER toy reconstruction loss, last: {last:.4} < 0.1000");
        eprintln!(
            "quality: COURIER toy reconstruction loss, last vs 0.2 x first: {last:.4} < {:.4}",
            0.2 * first
        );
        assert!(
            last < 0.2 * first && last < 0.1,
            "loss went from {first} to {last}"
        );
    }
}
