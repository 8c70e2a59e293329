//! WhisperLite's head and loss, and the static encoder, against hand computations on tiny inputs.

use burn::prelude::*;
use tailor_core::quant::EmbeddingMatrix;
use tailor_model::History;
use tailor_model::text::StaticEncoder;
use tailor_model::text_ranker::{TextRankerConfig, TextRankerLossConfig};

fn tensor(values: Vec<f32>, shape: [usize; 2], device: &Device) -> Tensor<2> {
    Tensor::from_data(TensorData::new(values, shape), device)
}

fn values<const D: usize>(t: Tensor<D>) -> Vec<f32> {
    t.into_data().try_into_vec::<f32>().unwrap()
}

#[test]
fn identity_init_scores_are_zero_shot_inner_products() {
    let device = Device::flex();
    let model = TextRankerConfig::new(3, 5, 2)
        .with_dim(3)
        .with_hidden(4)
        .with_identity_init(true)
        .init(&device);
    let q = tensor(vec![0.5, -1.0, 2.0], [1, 3], &device);
    let t = tensor(
        vec![1.0, 2.0, 3.0, 9.0, 9.0, -1.0, 0.0, 0.5, 9.0, 9.0],
        [2, 5],
        &device,
    );
    let items = Tensor::<1, Int>::from_data(TensorData::new(vec![0i64, 1], [2]), &device);
    let z = model.query.forward(q, None);
    let e = model.items.forward(t, items);
    let scores = values(model.scores(z, e));
    // <q, t[..3]>; the trailing coordinates of t are ignored until training uses them.
    assert_eq!(scores, vec![0.5 - 2.0 + 6.0, -0.5 + 1.0]);
}

#[test]
fn a_missing_history_is_an_empty_history() {
    let device = Device::flex();
    device.seed(3);
    let model = TextRankerConfig::new(4, 4, 3)
        .with_history_heads(2)
        .with_max_history(4)
        .with_dim(6)
        .init(&device);
    let q = tensor(
        vec![0.1, 0.2, 0.3, 0.4, -1.0, 0.0, 1.0, 2.0],
        [2, 4],
        &device,
    );
    let catalog = tensor(
        (0..18).map(|i| (i as f32 - 9.0) / 9.0).collect(),
        [3, 6],
        &device,
    );
    let without = values(model.query.forward(q.clone(), None));
    let empty = History::gather(catalog.clone(), &[&[], &[]], 4);
    assert_eq!(without, values(model.query.forward(q.clone(), Some(empty))));
    let history = History::gather(catalog, &[&[0, 2], &[1]], 4);
    assert_ne!(without, values(model.query.forward(q, Some(history))));
}

#[test]
fn loss_matches_a_hand_computation() {
    let device = Device::flex();
    // Two requests; their positives are different items, one negative each.
    let z = tensor(vec![1.0, 0.0, 0.0, 2.0], [2, 2], &device);
    let positives = tensor(vec![2.0, 0.0, 0.0, 1.0], [2, 2], &device);
    let negatives: Tensor<3> = Tensor::from_data(
        TensorData::new(vec![0.0f32, 1.0, 1.0, -1.0], [2, 1, 2]),
        &device,
    );
    let same = Tensor::<2, Bool>::from_data(
        TensorData::new(vec![true, false, false, true], [2, 2]),
        &device,
    );
    let loss = TextRankerLossConfig::new()
        .with_lambda(0.5)
        .with_temperature(2.0)
        .loss(z, positives, negatives, same);

    let softplus = |x: f64| (1.0 + x.exp()).ln();
    // Positive scores 2 and 2; negative scores 0 and -2.
    let bce = ((softplus(-2.0) + softplus(0.0)) + (softplus(-2.0) + softplus(-2.0))) / 2.0;
    // Logits z . positives^T / 2 = [[1, 0], [0, 1]].
    let nce = -(1f64.exp() / (1f64.exp() + 1.0)).ln();
    let got = |t: Tensor<1>| f64::from(t.into_scalar::<f32>());
    assert!((got(loss.bce) - bce).abs() < 1e-5);
    assert!((got(loss.info_nce) - nce).abs() < 1e-5);
    assert!((got(loss.total) - (bce + 0.5 * nce)).abs() < 1e-5);
}

#[test]
fn the_same_item_twice_in_a_batch_is_not_its_own_negative() {
    let device = Device::flex();
    let z = tensor(vec![1.0, 0.0, 1.0, 0.0], [2, 2], &device);
    let positives = tensor(vec![3.0, 0.0, 3.0, 0.0], [2, 2], &device);
    let negatives: Tensor<3> = Tensor::zeros([2, 1, 2], &device);
    let same = Tensor::<2, Bool>::from_data(TensorData::new(vec![true; 4], [2, 2]), &device);
    let loss = TextRankerLossConfig::new().loss(z, positives, negatives, same);
    // Each row's only candidate is its own positive: InfoNCE is log 1 = 0.
    assert!(f64::from(loss.info_nce.into_scalar::<f32>()).abs() < 1e-6);
}

#[test]
fn static_encoder_averages_known_pieces() {
    let vectors = EmbeddingMatrix::new(3, 2, vec![1.0, 0.0, 0.0, 1.0, 3.0, 4.0]).unwrap();
    let encoder = StaticEncoder::new(vectors);
    let half = std::f32::consts::FRAC_1_SQRT_2;
    assert_eq!(encoder.encode_ids(&[0, 1]), vec![half, half]);
    // Unknown ids are skipped; nothing known gives the zero vector.
    assert_eq!(encoder.encode_ids(&[2, 99]), vec![0.6, 0.8]);
    assert_eq!(encoder.encode_ids(&[]), vec![0.0, 0.0]);
    assert_eq!(encoder.encode_ids(&[7]), vec![0.0, 0.0]);
}
