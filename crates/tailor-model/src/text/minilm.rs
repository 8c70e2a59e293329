//! all-MiniLM-L6-v2 as a Burn module. Field names follow the Hugging Face BERT checkpoint
//! (`embeddings.word_embeddings`, `encoder.layer.N.attention...`), so its safetensors load with
//! two key renames and Burn's PyTorch adapter (which transposes Linear weights).

use burn::nn::{Embedding, EmbeddingConfig, LayerNorm, LayerNormConfig, Linear, LinearConfig};
use burn::prelude::*;
use burn::tensor::activation::{gelu, softmax};

#[derive(Config, Debug)]
pub struct MiniLmConfig {
    #[config(default = 30522)]
    pub vocab_size: usize,
    #[config(default = 384)]
    pub hidden_size: usize,
    #[config(default = 6)]
    pub layers: usize,
    #[config(default = 12)]
    pub heads: usize,
    #[config(default = 1536)]
    pub intermediate_size: usize,
    #[config(default = 512)]
    pub max_positions: usize,
    #[config(default = 2)]
    pub type_vocab_size: usize,
    #[config(default = 1e-12)]
    pub layer_norm_eps: f64,
}

#[derive(Module, Debug)]
pub struct MiniLm {
    embeddings: Embeddings,
    encoder: Encoder,
}

#[derive(Module, Debug)]
struct Embeddings {
    word_embeddings: Embedding,
    position_embeddings: Embedding,
    token_type_embeddings: Embedding,
    layer_norm: LayerNorm,
}

#[derive(Module, Debug)]
struct Encoder {
    layer: Vec<Layer>,
}

#[derive(Module, Debug)]
struct Layer {
    attention: Attention,
    intermediate: Intermediate,
    output: Output,
}

#[derive(Module, Debug)]
struct Attention {
    self_attention: SelfAttention,
    output: Output,
}

#[derive(Module, Debug)]
struct SelfAttention {
    query: Linear,
    key: Linear,
    value: Linear,
    heads: usize,
}

#[derive(Module, Debug)]
struct Intermediate {
    dense: Linear,
}

/// Dense projection, residual connection, LayerNorm (used twice per layer).
#[derive(Module, Debug)]
struct Output {
    dense: Linear,
    layer_norm: LayerNorm,
}

impl MiniLmConfig {
    pub fn init(&self, device: &Device) -> MiniLm {
        let d = self.hidden_size;
        let norm = || {
            LayerNormConfig::new(d)
                .with_epsilon(self.layer_norm_eps)
                .init(device)
        };
        let linear = |i, o| LinearConfig::new(i, o).init(device);
        let layer = || Layer {
            attention: Attention {
                self_attention: SelfAttention {
                    query: linear(d, d),
                    key: linear(d, d),
                    value: linear(d, d),
                    heads: self.heads,
                },
                output: Output {
                    dense: linear(d, d),
                    layer_norm: norm(),
                },
            },
            intermediate: Intermediate {
                dense: linear(d, self.intermediate_size),
            },
            output: Output {
                dense: linear(self.intermediate_size, d),
                layer_norm: norm(),
            },
        };
        MiniLm {
            embeddings: Embeddings {
                word_embeddings: EmbeddingConfig::new(self.vocab_size, d).init(device),
                position_embeddings: EmbeddingConfig::new(self.max_positions, d).init(device),
                token_type_embeddings: EmbeddingConfig::new(self.type_vocab_size, d).init(device),
                layer_norm: norm(),
            },
            encoder: Encoder {
                layer: (0..self.layers).map(|_| layer()).collect(),
            },
        }
    }
}

impl MiniLm {
    /// Sentence embeddings [batch, hidden]: mean of the token states where `mask` is 1, then L2
    /// normalised. `ids` and `mask` are [batch, seq]; padding positions have mask 0.
    pub fn embed(&self, ids: Tensor<2, Int>, mask: Tensor<2, Int>) -> Tensor<2> {
        let states = self.forward(ids, mask.clone());
        let [batch, seq, hidden] = states.dims();
        let weights = mask.float().reshape([batch, seq, 1]);
        let summed = (states * weights.clone())
            .sum_dim(1)
            .reshape([batch, hidden]);
        let counts = weights.sum_dim(1).reshape([batch, 1]).clamp_min(1e-9);
        let mean = summed / counts;
        let norm = mean
            .clone()
            .powf_scalar(2.0)
            .sum_dim(1)
            .sqrt()
            .clamp_min(1e-12);
        mean / norm
    }

    /// Token states [batch, seq, hidden] of the last layer.
    pub fn forward(&self, ids: Tensor<2, Int>, mask: Tensor<2, Int>) -> Tensor<3> {
        let [batch, seq] = ids.dims();
        let device = ids.device();
        let positions = Tensor::<1, Int>::arange(0..seq as i64, &device)
            .reshape([1, seq])
            .expand([batch, seq]);
        let types = Tensor::<2, Int>::zeros([batch, seq], &device);
        let e = &self.embeddings;
        let mut x = e.layer_norm.forward(
            e.word_embeddings.forward(ids)
                + e.position_embeddings.forward(positions)
                + e.token_type_embeddings.forward(types),
        );
        // Additive attention bias: 0 for tokens, a large negative number for padding.
        let bias = (mask.float() - 1.0)
            .mul_scalar(1e4)
            .reshape([batch, 1, 1, seq]);
        for layer in &self.encoder.layer {
            x = layer.forward(x, bias.clone());
        }
        x
    }
}

impl Layer {
    fn forward(&self, x: Tensor<3>, bias: Tensor<4>) -> Tensor<3> {
        let context = self.attention.self_attention.forward(x.clone(), bias);
        let attended = self.attention.output.forward(context, x);
        let expanded = gelu(self.intermediate.dense.forward(attended.clone()));
        self.output.forward(expanded, attended)
    }
}

impl SelfAttention {
    fn forward(&self, x: Tensor<3>, bias: Tensor<4>) -> Tensor<3> {
        let [batch, seq, hidden] = x.dims();
        let head_dim = hidden / self.heads;
        let split = |t: Tensor<3>| {
            t.reshape([batch, seq, self.heads, head_dim])
                .swap_dims(1, 2)
        };
        let q = split(self.query.forward(x.clone()));
        let k = split(self.key.forward(x.clone()));
        let v = split(self.value.forward(x));
        let scores = q
            .matmul(k.swap_dims(2, 3))
            .div_scalar((head_dim as f64).sqrt())
            + bias;
        softmax(scores, 3)
            .matmul(v)
            .swap_dims(1, 2)
            .reshape([batch, seq, hidden])
    }
}

impl Output {
    fn forward(&self, x: Tensor<3>, residual: Tensor<3>) -> Tensor<3> {
        self.layer_norm.forward(self.dense.forward(x) + residual)
    }
}
