//! Every scorer checked against a naive float implementation on random codes and weights.

mod common;

use common::naive_signs;
use proptest::prelude::*;
use tailor_core::{
    CodeLength, CoreError, DenseVectors, PackedCodes, Similarity, WeightTable, inner_product,
    top_k, top_k_where,
};

fn naive_weighted(weights: &[f64], a: &[u64], b: &[u64]) -> f64 {
    let (a, b) = (naive_signs(a), naive_signs(b));
    (0..a.len()).map(|j| weights[j] * a[j] * b[j]).sum()
}

/// Best first, ties by lower index: the ranking rule, written the obvious way.
fn naive_ranking(scores: &[f64], k: usize) -> Vec<(usize, f64)> {
    let mut order: Vec<(usize, f64)> = scores.iter().copied().enumerate().collect();
    order.sort_by(|x, y| y.1.total_cmp(&x.1).then(x.0.cmp(&y.0)));
    order.truncate(k);
    order
}

/// Code length in words (1..=4, i.e. 64..=256 bits), then the codes and a query.
fn codes_and_query(max_items: usize) -> impl Strategy<Value = (usize, Vec<u64>, Vec<u64>)> {
    (1usize..=4, 1usize..=max_items).prop_flat_map(|(words, n)| {
        (
            Just(words),
            prop::collection::vec(any::<u64>(), words * n),
            prop::collection::vec(any::<u64>(), words),
        )
    })
}

/// Few distinct bit patterns, so that many scores tie and the tie rule is exercised.
fn tie_heavy_codes() -> impl Strategy<Value = (Vec<u64>, Vec<u64>)> {
    let word = prop_oneof![Just(0u64), Just(u64::MAX), Just(0xFFFF_0000_FFFF_0000)];
    (
        prop::collection::vec(word.clone(), 2..=400),
        prop::collection::vec(word, 2),
    )
        .prop_map(|(mut words, query)| {
            words.truncate(words.len() / 2 * 2);
            (words, query)
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn inner_product_matches_naive((_, codes, query) in codes_and_query(1)) {
        let ones = vec![1.0; query.len() * 64];
        let expected = naive_weighted(&ones, &query, &codes);
        prop_assert_eq!(f64::from(inner_product(&query, &codes).unwrap()), expected);
    }

    #[test]
    fn weighted_product_matches_naive(
        (words, codes, query) in codes_and_query(1),
        weights in prop::collection::vec(-10.0f32..10.0, 256),
    ) {
        let weights = &weights[..words * 64];
        let table = WeightTable::new(weights).unwrap();
        let wide: Vec<f64> = weights.iter().map(|&w| f64::from(w)).collect();
        let expected = naive_weighted(&wide, &query, &codes);
        let got = f64::from(table.weighted_inner_product(&query, &codes).unwrap());
        let scale: f64 = wide.iter().map(|w| w.abs()).sum::<f64>() + 1.0;
        prop_assert!((got - expected).abs() <= 1e-5 * scale, "got {got}, expected {expected}");
    }

    #[test]
    fn batch_scores_match_naive(
        (words, codes, query) in codes_and_query(300),
        weights in prop::collection::vec(-3.0f32..3.0, 256),
    ) {
        let codes = PackedCodes::new(CodeLength::new(words * 64).unwrap(), codes).unwrap();
        let weights = &weights[..words * 64];
        let table = WeightTable::new(weights).unwrap();
        let wide: Vec<f64> = weights.iter().map(|&w| f64::from(w)).collect();
        let ones = vec![1.0; words * 64];
        let plain = codes.scores(&query, Similarity::InnerProduct).unwrap();
        let weighted = codes.scores(&query, Similarity::Weighted(&table)).unwrap();
        prop_assert_eq!(plain.len(), codes.len());
        for i in 0..codes.len() {
            let code = codes.code(i).unwrap();
            prop_assert_eq!(f64::from(plain[i]), naive_weighted(&ones, &query, code));
            let expected = naive_weighted(&wide, &query, code);
            prop_assert!((f64::from(weighted[i]) - expected).abs() <= 1e-4, "item {i}");
        }
    }

    /// Weights that are multiples of 1/64 make every f32 sum exact, so the weighted ranking must
    /// equal the naive one position by position, ties included.
    #[test]
    fn top_k_matches_naive_ranking(
        (words, codes, query) in codes_and_query(500),
        weight_steps in prop::collection::vec(-256i32..256, 256),
        k_fraction in 0.0f64..1.0,
    ) {
        let codes = PackedCodes::new(CodeLength::new(words * 64).unwrap(), codes).unwrap();
        let weights: Vec<f32> = weight_steps[..words * 64].iter().map(|&s| s as f32 / 64.0).collect();
        let wide: Vec<f64> = weights.iter().map(|&w| f64::from(w)).collect();
        let ones = vec![1.0; words * 64];
        let table = WeightTable::new(&weights).unwrap();
        let k = 1 + ((codes.len() - 1) as f64 * k_fraction) as usize;
        for (similarity, w) in [(Similarity::InnerProduct, &ones), (Similarity::Weighted(&table), &wide)] {
            let naive: Vec<f64> = (0..codes.len())
                .map(|i| naive_weighted(w, &query, codes.code(i).unwrap()))
                .collect();
            let got: Vec<(usize, f64)> = codes.top_k(&query, similarity, k).unwrap()
                .into_iter().map(|h| (h.index, f64::from(h.score))).collect();
            prop_assert_eq!(got, naive_ranking(&naive, k));
        }
    }

    #[test]
    fn ties_rank_the_lower_index_first((words, query) in tie_heavy_codes(), k in 1usize..50) {
        let codes = PackedCodes::new(CodeLength::DEFAULT, words).unwrap();
        let k = k.min(codes.len());
        let ones = vec![1.0; 128];
        let naive: Vec<f64> = (0..codes.len())
            .map(|i| naive_weighted(&ones, &query, codes.code(i).unwrap()))
            .collect();
        let got: Vec<(usize, f64)> = codes.top_k(&query, Similarity::InnerProduct, k).unwrap()
            .into_iter().map(|h| (h.index, f64::from(h.score))).collect();
        prop_assert_eq!(got, naive_ranking(&naive, k));
    }

    #[test]
    fn top_k_of_a_score_slice_matches_sorting(
        scores in prop::collection::vec(prop_oneof![-5i32..5, Just(0)].prop_map(|s| s as f32 * 0.5), 1..300),
        k_fraction in 0.0f64..1.0,
    ) {
        let k = 1 + ((scores.len() - 1) as f64 * k_fraction) as usize;
        let wide: Vec<f64> = scores.iter().map(|&s| f64::from(s)).collect();
        let got: Vec<(usize, f64)> = top_k(&scores, k).unwrap()
            .into_iter().map(|h| (h.index, f64::from(h.score))).collect();
        prop_assert_eq!(got, naive_ranking(&wide, k));
    }

    #[test]
    fn filtered_top_k_ranks_only_the_kept_entries(
        scores in prop::collection::vec(prop_oneof![-5i32..5, Just(0)].prop_map(|s| s as f32 * 0.5), 1..300),
        kept in prop::collection::vec(any::<bool>(), 300),
        k in 1usize..400,
    ) {
        // Left-out entries may even be NaN: they are never looked at.
        let scores: Vec<f32> = scores.iter().zip(&kept).map(|(&s, &keep)| if keep { s } else { f32::NAN }).collect();
        let got: Vec<(usize, f64)> = top_k_where(&scores, k, |i| kept[i]).unwrap()
            .into_iter().map(|h| (h.index, f64::from(h.score))).collect();
        let mut expected: Vec<(usize, f64)> = scores.iter().enumerate()
            .filter(|(i, _)| kept[*i]).map(|(i, &s)| (i, f64::from(s))).collect();
        expected.sort_by(|x, y| y.1.total_cmp(&x.1).then(x.0.cmp(&y.0)));
        expected.truncate(k);
        prop_assert_eq!(got, expected);
    }

    #[test]
    fn filtered_dense_top_k_equals_filtering_every_score(
        dim in 1usize..20,
        rows in prop::collection::vec(-1.0f32..1.0, 20 * 80),
        query in prop::collection::vec(-1.0f32..1.0, 20),
        kept in prop::collection::vec(any::<bool>(), 80),
        n in 1usize..80,
        k in 1usize..100,
    ) {
        let dense = DenseVectors::new(dim, rows[..n * dim].to_vec()).unwrap();
        let query = &query[..dim];
        let mut scores = vec![0.0; n];
        dense.score_into(query, &mut scores).unwrap();
        let got = dense.top_k_where(query, k, |i| kept[i]).unwrap();
        prop_assert_eq!(got, top_k_where(&scores, k, |i| kept[i]).unwrap());
        prop_assert_eq!(dense.row(n - 1).unwrap(), &rows[(n - 1) * dim..n * dim]);
        prop_assert!(dense.row(n).is_none());
    }

    #[test]
    fn signs_round_trip((words, codes, _) in codes_and_query(50)) {
        let codes = PackedCodes::new(CodeLength::new(words * 64).unwrap(), codes).unwrap();
        let signs = codes.to_signs();
        for i in 0..codes.len() {
            let naive: Vec<f32> = naive_signs(codes.code(i).unwrap()).iter().map(|&s| s as f32).collect();
            prop_assert_eq!(&signs[i * words * 64..(i + 1) * words * 64], naive.as_slice());
        }
        prop_assert_eq!(PackedCodes::from_signs(codes.length(), &signs).unwrap(), codes);
    }

    #[test]
    fn dense_scores_match_naive(
        dim in 1usize..40,
        rows in prop::collection::vec(-1.0f32..1.0, 40 * 60),
        query in prop::collection::vec(-1.0f32..1.0, 40),
        n in 1usize..60,
    ) {
        let values = rows[..n * dim].to_vec();
        let query = &query[..dim];
        let dense = DenseVectors::new(dim, values.clone()).unwrap();
        let mut out = vec![0.0; n];
        dense.score_into(query, &mut out).unwrap();
        for i in 0..n {
            let expected: f64 = (0..dim).map(|j| f64::from(query[j]) * f64::from(values[i * dim + j])).sum();
            prop_assert!((f64::from(out[i]) - expected).abs() <= 1e-4, "item {i}");
        }
        let best = dense.top_k(query, 1).unwrap()[0];
        prop_assert_eq!(best.score, out.iter().copied().fold(f32::NEG_INFINITY, f32::max));
    }
}

#[test]
fn code_length_must_be_a_positive_multiple_of_64() {
    for bits in [0, 1, 63, 65, 100, 127, 129] {
        assert_eq!(
            CodeLength::new(bits),
            Err(CoreError::InvalidCodeLength { bits })
        );
    }
    assert_eq!(CodeLength::new(192).map(CodeLength::words), Ok(3));
    assert!(matches!(
        WeightTable::new(&[1.0; 100]),
        Err(CoreError::InvalidCodeLength { bits: 100 })
    ));
    assert!(matches!(
        PackedCodes::from_signs(CodeLength::DEFAULT, &[1.0; 100]),
        Err(CoreError::RaggedLength { .. })
    ));
}

#[test]
fn mismatched_lengths_are_errors() {
    assert!(matches!(
        inner_product(&[], &[]),
        Err(CoreError::InvalidCodeLength { bits: 0 })
    ));
    assert!(matches!(
        inner_product(&[1, 2], &[1]),
        Err(CoreError::LengthMismatch {
            expected: 2,
            actual: 1,
            ..
        })
    ));
    let codes = PackedCodes::new(CodeLength::DEFAULT, vec![0; 6]).unwrap();
    assert_eq!(codes.len(), 3);
    assert!(matches!(
        PackedCodes::new(CodeLength::DEFAULT, vec![0; 5]),
        Err(CoreError::RaggedLength {
            actual: 5,
            multiple_of: 2,
            ..
        })
    ));
    assert!(matches!(
        codes.scores(&[0; 3], Similarity::InnerProduct),
        Err(CoreError::LengthMismatch {
            what: "query code",
            expected: 2,
            actual: 3
        })
    ));
    let wide_table = WeightTable::new(&[1.0; 256]).unwrap();
    assert!(matches!(
        codes.top_k(&[0; 2], Similarity::Weighted(&wide_table), 1),
        Err(CoreError::LengthMismatch {
            what: "weight vector",
            expected: 128,
            actual: 256
        })
    ));
    assert!(matches!(
        codes.score_into(&[0; 2], Similarity::InnerProduct, &mut [0.0; 2]),
        Err(CoreError::LengthMismatch {
            what: "score output",
            ..
        })
    ));
    let table = WeightTable::new(&[1.0; 128]).unwrap();
    assert!(matches!(
        table.weighted_inner_product(&[0; 2], &[0; 1]),
        Err(CoreError::LengthMismatch { .. })
    ));
    assert!(matches!(
        DenseVectors::new(0, vec![]),
        Err(CoreError::ZeroDimension)
    ));
    assert!(matches!(
        DenseVectors::new(3, vec![0.0; 4]),
        Err(CoreError::RaggedLength { .. })
    ));
    let dense = DenseVectors::new(2, vec![0.0; 4]).unwrap();
    assert!(matches!(
        dense.top_k(&[0.0; 3], 1),
        Err(CoreError::LengthMismatch { .. })
    ));
}

#[test]
fn k_must_be_between_one_and_the_item_count() {
    let codes = PackedCodes::new(CodeLength::DEFAULT, vec![7; 10]).unwrap();
    assert_eq!(
        codes.top_k(&[0; 2], Similarity::InnerProduct, 0),
        Err(CoreError::ZeroK)
    );
    assert_eq!(
        codes.top_k(&[0; 2], Similarity::InnerProduct, 6),
        Err(CoreError::KExceedsItems { k: 6, n: 5 })
    );
    assert_eq!(top_k(&[], 1), Err(CoreError::KExceedsItems { k: 1, n: 0 }));
    assert_eq!(top_k(&[1.0], 0), Err(CoreError::ZeroK));
    // A filtered ranking returns what the filter keeps, but k = 0 is still a caller's mistake.
    assert_eq!(top_k_where(&[1.0], 0, |_| true), Err(CoreError::ZeroK));
    assert_eq!(
        top_k_where(&[1.0, 2.0], 5, |i| i == 0).map(|h| h.len()),
        Ok(1)
    );
    assert_eq!(
        codes
            .top_k(&[0; 2], Similarity::InnerProduct, 5)
            .map(|h| h.len()),
        Ok(5)
    );
}

#[test]
fn non_finite_input_is_an_error() {
    let mut weights = vec![1.0; 64];
    weights[9] = f32::NAN;
    assert!(matches!(
        WeightTable::new(&weights),
        Err(CoreError::NonFinite { index: 9, .. })
    ));
    weights[9] = f32::INFINITY;
    assert!(matches!(
        WeightTable::new(&weights),
        Err(CoreError::NonFinite { index: 9, .. })
    ));
    assert!(matches!(
        top_k(&[0.0, f32::NAN], 1),
        Err(CoreError::NonFinite { index: 1, .. })
    ));
    assert!(matches!(
        WeightTable::new(&[f32::MAX / 2.0; 64]),
        Err(CoreError::WeightsTooLarge { .. })
    ));
    let mut signs = vec![1.0; 64];
    signs[3] = f32::NAN;
    assert!(matches!(
        PackedCodes::from_signs(CodeLength::new(64).unwrap(), &signs),
        Err(CoreError::NonFinite { index: 3, .. })
    ));
}

/// Pruned weighted top-k must equal the ranking of the full weighted scores, for weights of mixed
/// sign and very different magnitudes (where the popcount bound is loose) and for typical ones.
#[test]
fn pruned_weighted_top_k_equals_ranking_all_scores() {
    let mut state = 0x1234_5678_9abc_def0u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let length = CodeLength::DEFAULT;
    let codes = PackedCodes::new(length, (0..20_000 * 2).map(|_| next()).collect()).unwrap();
    let query = [next(), next()];
    let typical: Vec<f32> = (0..128)
        .map(|_| 0.5 + (next() >> 40) as f32 / (1u64 << 24) as f32)
        .collect();
    let wild: Vec<f32> = (0..128)
        .map(|j| {
            let magnitude = if j % 17 == 0 { 40.0 } else { 0.01 };
            let sign = if next() & 1 == 0 { -1.0 } else { 1.0 };
            sign * magnitude * (next() >> 40) as f32 / (1u64 << 24) as f32
        })
        .collect();
    for weights in [typical, wild] {
        let table = WeightTable::new(&weights).unwrap();
        let all = codes.scores(&query, Similarity::Weighted(&table)).unwrap();
        for k in [1, 10, 100] {
            assert_eq!(
                codes
                    .top_k(&query, Similarity::Weighted(&table), k)
                    .unwrap(),
                top_k(&all, k).unwrap(),
                "k = {k}"
            );
        }
    }
}
