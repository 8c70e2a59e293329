//! The image half of the item tower: a small CNN from a 28x28 grey image to an embedding. It is
//! deliberately tiny (two conv blocks and a linear layer) so that it trains on a laptop CPU in
//! minutes and runs in the browser; what it learns depends entirely on the loss it is pretrained
//! with (image classes, or COURIER's reconstruction of clicks from behaviour).

use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::pool::{MaxPool2d, MaxPool2dConfig};
use burn::nn::{Linear, LinearConfig, PaddingConfig2d};
use burn::prelude::*;
use burn::tensor::activation::relu;

/// Side of the square input images, in pixels.
pub const IMAGE_SIDE: usize = 28;

#[derive(Config, Debug)]
pub struct ImageTowerConfig {
    /// Width of the output embedding.
    #[config(default = 32)]
    pub dim: usize,
    /// Channels of the first conv block; the second has twice as many.
    #[config(default = 16)]
    pub channels: usize,
}

/// conv 3x3 (1 -> c), relu, maxpool 2, conv 3x3 (c -> 2c), relu, maxpool 2, linear -> dim.
#[derive(Module, Debug)]
pub struct ImageTower {
    first: Conv2d,
    second: Conv2d,
    pool: MaxPool2d,
    projection: Linear,
}

impl ImageTowerConfig {
    pub fn init(&self, device: &Device) -> ImageTower {
        let channels = self.channels.max(1);
        // `Same` padding keeps 28 -> 14 -> 7 after the two pools.
        let conv = |from: usize, to: usize| {
            Conv2dConfig::new([from, to], [3, 3])
                .with_padding(PaddingConfig2d::Same)
                .init(device)
        };
        let side = IMAGE_SIDE / 4;
        ImageTower {
            first: conv(1, channels),
            second: conv(channels, 2 * channels),
            pool: MaxPool2dConfig::new([2, 2]).init(),
            projection: LinearConfig::new(2 * channels * side * side, self.dim.max(1)).init(device),
        }
    }
}

impl ImageTower {
    /// Embeddings [batch, dim] of images [batch, 1, 28, 28] with pixels in [0, 1].
    pub fn forward(&self, images: Tensor<4>) -> Tensor<2> {
        let x = self.pool.forward(relu(self.first.forward(images)));
        let x = self.pool.forward(relu(self.second.forward(x)));
        let [batch, channels, height, width] = x.dims();
        self.projection
            .forward(x.reshape([batch, channels * height * width]))
    }

    /// Width of the embeddings.
    pub fn dim(&self) -> usize {
        self.projection.weight.dims()[1]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_of_images_gives_one_embedding_each() {
        let device = Device::flex();
        let tower = ImageTowerConfig::new().with_dim(24).init(&device);
        let images = Tensor::<4>::ones([3, 1, IMAGE_SIDE, IMAGE_SIDE], &device).mul_scalar(0.5);
        let embeddings = tower.forward(images);
        assert_eq!(embeddings.dims(), [3, 24]);
        assert_eq!(tower.dim(), 24);
        let values = embeddings
            .into_data()
            .convert::<f32>()
            .try_to_vec::<f32>()
            .unwrap();
        assert!(values.iter().all(|v| v.is_finite()));
    }
}
