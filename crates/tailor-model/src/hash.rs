//! Fashion Hash Net's hash head: h = tanh(beta * W e) relaxes the binary code b = sign(h). As
//! beta grows during training, tanh approaches sign, so the codes the browser scores with xor and
//! popcount are the ones the model was trained on.

use burn::module::Param;
use burn::nn::{Linear, LinearConfig};
use burn::prelude::*;

use crate::error::ModelError;

#[derive(Config, Debug)]
pub struct HashHeadConfig {
    /// Width of the item embedding e.
    pub input_dim: usize,
    /// Code length L; a multiple of 64 so that codes pack into whole `u64` words.
    #[config(default = 128)]
    pub bits: usize,
}

#[derive(Module, Debug)]
pub struct HashHead {
    /// W, stored [input_dim, bits]; no bias, so a zero embedding has no preferred code.
    projection: Linear,
}

impl HashHeadConfig {
    /// A randomly initialised head (for training).
    pub fn init(&self, device: &Device) -> Result<HashHead, ModelError> {
        self.check()?;
        let projection = LinearConfig::new(self.input_dim, self.bits)
            .with_bias(false)
            .init(device);
        Ok(HashHead { projection })
    }

    /// A head with the given row-major [input_dim, bits] weights, e.g. from a bundle.
    pub fn init_with_weights(
        &self,
        weights: Vec<f32>,
        device: &Device,
    ) -> Result<HashHead, ModelError> {
        self.check()?;
        let expected = self.input_dim * self.bits;
        if weights.len() != expected {
            return Err(ModelError::ShapeMismatch {
                what: "hash head weights",
                expected,
                actual: weights.len(),
            });
        }
        let mut head = self.init(device)?;
        head.projection.weight = Param::from_data(
            TensorData::new(weights, [self.input_dim, self.bits]),
            device,
        );
        Ok(head)
    }

    fn check(&self) -> Result<(), ModelError> {
        if self.input_dim == 0 {
            return Err(ModelError::InvalidSize {
                what: "hash head input width",
                multiple_of: 1,
                actual: 0,
            });
        }
        if self.bits == 0 || !self.bits.is_multiple_of(64) {
            return Err(ModelError::InvalidSize {
                what: "code length",
                multiple_of: 64,
                actual: self.bits,
            });
        }
        Ok(())
    }
}

impl HashHead {
    /// Relaxed codes tanh(beta * W e) for embeddings [n, input_dim] -> [n, bits].
    pub fn forward(&self, embeddings: Tensor<2>, beta: f32) -> Tensor<2> {
        self.project(embeddings).mul_scalar(beta).tanh()
    }

    /// W e alone: the real-valued code before tanh, whose signs are the binary code.
    pub fn project(&self, embeddings: Tensor<2>) -> Tensor<2> {
        self.projection.forward(embeddings)
    }

    pub fn input_dim(&self) -> usize {
        self.projection.weight.dims()[0]
    }

    pub fn bits(&self) -> usize {
        self.projection.weight.dims()[1]
    }

    pub fn device(&self) -> Device {
        self.projection.weight.device()
    }
}

/// FHN's annealing schedule beta = sqrt(epoch * gamma + 1) (gamma = 1 in the paper).
pub fn hash_beta(epoch: usize, gamma: f32) -> f32 {
    (epoch as f32 * gamma + 1.0).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forward_is_tanh_of_scaled_projection() {
        let device = Device::flex();
        let (input_dim, bits, n) = (3, 64, 2);
        let weights: Vec<f32> = (0..input_dim * bits)
            .map(|i| ((i * 37 % 23) as f32 - 11.0) / 10.0)
            .collect();
        let embeddings = vec![0.5, -1.0, 2.0, 0.0, 0.25, -0.75];
        let head = HashHeadConfig::new(input_dim)
            .with_bits(bits)
            .init_with_weights(weights.clone(), &device)
            .unwrap();
        let x =
            Tensor::<2>::from_data(TensorData::new(embeddings.clone(), [n, input_dim]), &device);
        let beta = 1.7;
        let got = head
            .forward(x, beta)
            .into_data()
            .try_to_vec::<f32>()
            .unwrap();
        for row in 0..n {
            for bit in 0..bits {
                let dot: f32 = (0..input_dim)
                    .map(|k| embeddings[row * input_dim + k] * weights[k * bits + bit])
                    .sum();
                let expected = (beta * dot).tanh();
                assert!(
                    (got[row * bits + bit] - expected).abs() < 1e-6,
                    "row {row} bit {bit}"
                );
            }
        }
    }

    #[test]
    fn bad_sizes_are_errors() {
        let device = Device::flex();
        for bits in [0, 63, 100] {
            assert!(matches!(
                HashHeadConfig::new(4).with_bits(bits).init(&device),
                Err(ModelError::InvalidSize { actual, .. }) if actual == bits
            ));
        }
        assert!(HashHeadConfig::new(0).init(&device).is_err());
        assert_eq!(
            HashHeadConfig::new(4)
                .init_with_weights(vec![0.0; 5], &device)
                .err(),
            Some(ModelError::ShapeMismatch {
                what: "hash head weights",
                expected: 512,
                actual: 5
            })
        );
    }

    #[test]
    fn beta_anneals_as_in_the_paper() {
        assert_eq!(hash_beta(0, 1.0), 1.0);
        assert_eq!(hash_beta(3, 1.0), 2.0);
        assert!(hash_beta(99, 1.0) > 9.9);
    }
}
