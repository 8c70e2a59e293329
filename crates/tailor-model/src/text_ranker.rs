//! WhisperLite's personalization head (Sevegnani et al., arXiv 2207.12033), on top of frozen
//! text embeddings.
//!
//! - Query tower: z = MLP([q ; u]), where q is the request's text embedding and u the history's
//!   intention vector ([`crate::Intention`], queried by the request). A model built without
//!   history heads has no u; one built with them and called without a history sees u = 0, which
//!   is what an empty history means.
//! - Item tower: e_i = MLP(t_i) + v_i, where t_i is the item's text features and v_i a learned
//!   per-item vector (what text alone cannot say about an item).
//! - score(i) = <z, e_i>, so ranking the catalog is one matrix-vector product in the browser.
//!
//! Both towers are residual MLPs, y = A x + W2 gelu(W1 x): the linear path is the strong
//! baseline on a few thousand training pairs, and the hidden layer learns what it cannot.

use burn::module::Param;
use burn::nn::{Embedding, EmbeddingConfig, Initializer, Linear, LinearConfig};
use burn::prelude::*;
use burn::tensor::activation::{gelu, log_sigmoid};

use crate::intention::{History, Intention, IntentionConfig, info_nce};

#[derive(Config, Debug)]
pub struct TextRankerConfig {
    /// Width of the request embedding q (384 for MiniLM, the static encoder's width otherwise).
    pub query_dim: usize,
    /// Width of the item text features t_i.
    pub item_text_dim: usize,
    pub item_count: usize,
    /// Attention heads over the history, each giving `dim` values of u; 0 for a model that does
    /// not personalize.
    #[config(default = 0)]
    pub history_heads: usize,
    /// The longest history the model reads.
    #[config(default = 50)]
    pub max_history: usize,
    /// Hidden width of both towers; 0 makes them linear.
    #[config(default = 512)]
    pub hidden: usize,
    /// Width of z and e_i.
    #[config(default = 256)]
    pub dim: usize,
    /// Start both towers' linear paths as the identity (onto the first `dim` coordinates) and
    /// their hidden paths at zero, so that an untrained model scores <q, t_i>: zero-shot cosine
    /// when t_i starts with the item's mean review embedding. Training then only has to learn
    /// what zero-shot gets wrong. Needs `dim == query_dim`; u then starts out ignored.
    #[config(default = false)]
    pub identity_init: bool,
}

/// y = A x + W2 gelu(W1 x); with no hidden width, just y = A x (the linear baseline).
#[derive(Module, Debug)]
pub struct ResidualMlp {
    skip: Linear,
    hidden: Option<Linear>,
    output: Option<Linear>,
}

impl ResidualMlp {
    fn new(input: usize, hidden: usize, output: usize, identity: bool, device: &Device) -> Self {
        let nonlinear = hidden > 0;
        let (skip_init, output_init) = if identity {
            (Initializer::Zeros, Initializer::Zeros)
        } else {
            let default = LinearConfig::new(1, 1).initializer;
            (default.clone(), default)
        };
        let mut skip = LinearConfig::new(input, output)
            .with_initializer(skip_init)
            .init(device);
        if identity {
            let mut eye = vec![0f32; input * output];
            for i in 0..input.min(output) {
                eye[i * output + i] = 1.0;
            }
            skip.weight = Param::from_data(TensorData::new(eye, [input, output]), device);
        }
        Self {
            skip,
            hidden: nonlinear.then(|| LinearConfig::new(input, hidden).init(device)),
            output: nonlinear.then(|| {
                LinearConfig::new(hidden, output)
                    .with_bias(false)
                    .with_initializer(output_init)
                    .init(device)
            }),
        }
    }

    pub fn input_dim(&self) -> usize {
        self.skip.weight.dims()[0]
    }

    pub fn forward(&self, x: Tensor<2>) -> Tensor<2> {
        match (&self.hidden, &self.output) {
            (Some(hidden), Some(output)) => {
                self.skip.forward(x.clone()) + output.forward(gelu(hidden.forward(x)))
            }
            _ => self.skip.forward(x),
        }
    }
}

#[derive(Module, Debug)]
pub struct QueryTower {
    mlp: ResidualMlp,
    intention: Option<Intention>,
}

impl QueryTower {
    /// z for a batch of requests [batch, query_dim] and their histories (catalog embeddings e_i),
    /// if the model personalizes. A missing history is an empty one: u = 0.
    pub fn forward(&self, query: Tensor<2>, history: Option<History>) -> Tensor<2> {
        let [batch, query_dim] = query.dims();
        let history_dim = self.mlp.input_dim() - query_dim;
        let input = match (&self.intention, history) {
            (Some(intention), Some(history)) => {
                let u = intention.forward(Some(query.clone()), history).vectors;
                Tensor::cat(vec![query, u], 1)
            }
            _ if history_dim > 0 => {
                let zeros = Tensor::zeros([batch, history_dim], &query.device());
                Tensor::cat(vec![query, zeros], 1)
            }
            _ => query,
        };
        self.mlp.forward(input)
    }

    /// The intention module, if the model personalizes.
    pub fn intention(&self) -> Option<&Intention> {
        self.intention.as_ref()
    }
}

#[derive(Module, Debug)]
pub struct ItemTower {
    text: ResidualMlp,
    id_embedding: Embedding,
}

impl ItemTower {
    /// Width of e_i.
    pub fn dim(&self) -> usize {
        self.id_embedding.weight.dims()[1]
    }

    /// e_i for item text features [batch, item_text_dim] and the items' indices [batch].
    pub fn forward(&self, text: Tensor<2>, items: Tensor<1, Int>) -> Tensor<2> {
        let [batch] = items.dims();
        let dim = self.id_embedding.weight.dims()[1];
        let learned = self
            .id_embedding
            .forward(items.reshape([1, batch]))
            .reshape([batch, dim]);
        self.text.forward(text) + learned
    }
}

#[derive(Module, Debug)]
pub struct TextRanker {
    pub query: QueryTower,
    pub items: ItemTower,
}

impl TextRankerConfig {
    /// The query tower alone: what the browser needs, since the catalog's e_i are precomputed.
    pub fn init_query_tower(&self, device: &Device) -> QueryTower {
        QueryTower {
            intention: (self.history_heads > 0).then(|| self.intention().init(device)),
            mlp: ResidualMlp::new(
                self.query_dim + self.history_dim(),
                self.hidden,
                self.dim,
                self.identity_init,
                device,
            ),
        }
    }

    /// The history attention: queried by the request, over item embeddings `dim` wide.
    pub fn intention(&self) -> IntentionConfig {
        IntentionConfig::new(self.dim)
            .with_query_dim(self.query_dim)
            .with_heads(self.history_heads)
            .with_max_history(self.max_history)
    }

    /// Width of u: 0 without history heads.
    pub fn history_dim(&self) -> usize {
        self.history_heads * self.dim
    }

    pub fn init(&self, device: &Device) -> TextRanker {
        TextRanker {
            query: self.init_query_tower(device),
            items: ItemTower {
                text: ResidualMlp::new(
                    self.item_text_dim,
                    self.hidden,
                    self.dim,
                    self.identity_init,
                    device,
                ),
                // Starts at zero: an item begins as what its text says and learns the rest.
                id_embedding: EmbeddingConfig::new(self.item_count, self.dim)
                    .with_initializer(Initializer::Zeros)
                    .init(device),
            },
        }
    }
}

impl TextRanker {
    /// Scores [batch, items] of every item for every request: z e^T.
    pub fn scores(&self, z: Tensor<2>, item_embeddings: Tensor<2>) -> Tensor<2> {
        z.matmul(item_embeddings.transpose())
    }
}

/// The two parts of the training loss, each averaged over the batch.
pub struct TextRankerLoss {
    pub total: Tensor<1>,
    pub bce: Tensor<1>,
    pub info_nce: Tensor<1>,
}

#[derive(Config, Debug)]
pub struct TextRankerLossConfig {
    /// Weight of InfoNCE against BCE.
    #[config(default = 1.0)]
    pub lambda: f64,
    /// InfoNCE logits are scores divided by this.
    #[config(default = 1.0)]
    pub temperature: f64,
}

impl TextRankerLossConfig {
    /// BCE(sigmoid(score), clicked) over each request's positive and its sampled negatives, plus
    /// lambda x InfoNCE of z against the batch's positives.
    ///
    /// - `z`: [batch, dim]; `positives`: [batch, dim]; `negatives`: [batch, k, dim].
    /// - `same_item`: [batch, batch], true where two rows have the same positive item. Those
    ///   off-diagonal pairs are not negatives of each other (popular items repeat in a batch).
    pub fn loss(
        &self,
        z: Tensor<2>,
        positives: Tensor<2>,
        negatives: Tensor<3>,
        same_item: Tensor<2, Bool>,
    ) -> TextRankerLoss {
        let [batch, dim] = z.dims();
        let [_, sampled, _] = negatives.dims();
        let positive_scores = (z.clone() * positives.clone()).sum_dim(1); // [batch, 1]
        let negative_scores = negatives
            .matmul(z.clone().reshape([batch, dim, 1]))
            .reshape([batch, sampled]);
        // -log sigmoid(s) for clicks, -log(1 - sigmoid(s)) = -log sigmoid(-s) for the rest.
        let bce = (log_sigmoid(positive_scores).neg().reshape([batch])
            + log_sigmoid(negative_scores.neg())
                .neg()
                .mean_dim(1)
                .reshape([batch]))
        .mean();

        let info_nce = info_nce(z, positives, same_item, self.temperature);
        let total = bce.clone() + info_nce.clone().mul_scalar(self.lambda);
        TextRankerLoss {
            total,
            bce,
            info_nce,
        }
    }
}
