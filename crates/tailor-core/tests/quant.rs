//! The f16 and int8 embedding layouts round-trip within their documented error, and any bytes,
//! of any length, decode to a matrix or a typed error, never a panic.

use proptest::prelude::*;
use tailor_core::EmbeddingEncoding::{self, F16, Int8};
use tailor_core::quant::{decode, encode, encoded_len};
use tailor_core::{EmbeddingMatrix, QuantError};

/// A small matrix of values in [-4, 4].
fn matrix() -> impl Strategy<Value = EmbeddingMatrix> {
    (0usize..6, 1usize..20).prop_flat_map(|(rows, dim)| {
        prop::collection::vec(-4f32..=4.0, rows * dim)
            .prop_map(move |values| EmbeddingMatrix::new(rows, dim, values).unwrap())
    })
}

fn encoding() -> impl Strategy<Value = EmbeddingEncoding> {
    prop_oneof![Just(F16), Just(Int8)]
}

proptest! {
    #[test]
    fn f16_round_trip_is_close(m in matrix()) {
        let bytes = encode(&m, F16);
        prop_assert_eq!(bytes.len(), m.rows * m.dim * 2);
        let back = decode(&bytes, m.rows, m.dim, F16).unwrap();
        prop_assert_eq!((back.rows, back.dim), (m.rows, m.dim));
        for (x, y) in m.values.iter().zip(&back.values) {
            // Half of f16's 11-bit significand step, plus its subnormal step near zero.
            prop_assert!((x - y).abs() <= 1e-3 * x.abs() + 1e-7, "{} -> {}", x, y);
        }
    }

    #[test]
    fn int8_round_trip_is_within_half_a_step(m in matrix()) {
        let bytes = encode(&m, Int8);
        prop_assert_eq!(bytes.len(), m.rows * 4 + m.rows * m.dim);
        let back = decode(&bytes, m.rows, m.dim, Int8).unwrap();
        prop_assert_eq!((back.rows, back.dim), (m.rows, m.dim));
        for i in 0..m.rows {
            let max = m.row(i).iter().fold(0f32, |a, x| a.max(x.abs()));
            let scale = max / 127.0;
            let stored = f32::from_le_bytes(bytes[i * 4..i * 4 + 4].try_into().unwrap());
            prop_assert_eq!(stored, scale);
            for (x, y) in m.row(i).iter().zip(back.row(i)) {
                // f32 rounding in x / scale and q * scale adds a few ulps of |x|.
                prop_assert!((x - y).abs() <= scale / 2.0 + 1e-6 * x.abs() + 1e-30,
                    "row {}: {} -> {} (scale {})", i, x, y, scale);
            }
        }
    }

    #[test]
    fn all_zero_rows_round_trip_to_zeros(rows in 0usize..5, dim in 1usize..20, encoding in encoding()) {
        let m = EmbeddingMatrix::new(rows, dim, vec![0.0; rows * dim]).unwrap();
        let back = decode(&encode(&m, encoding), rows, dim, encoding).unwrap();
        prop_assert!(back.values.iter().all(|&v| v == 0.0));
        prop_assert_eq!(back.values.len(), rows * dim);
    }

    #[test]
    fn wrong_byte_length_is_an_error(
        rows in 0usize..8,
        dim in 1usize..16,
        len in 0usize..300,
        encoding in encoding(),
    ) {
        let expected = encoded_len(rows, dim, encoding).unwrap();
        prop_assume!(len != expected);
        let bytes = vec![0u8; len];
        prop_assert_eq!(
            decode(&bytes, rows, dim, encoding),
            Err(QuantError::WrongByteLength { encoding, rows, dim, expected, actual: len })
        );
    }

    #[test]
    fn decode_never_panics(
        bytes in prop::collection::vec(any::<u8>(), 0..256),
        rows in 0usize..20,
        dim in 0usize..20,
        encoding in encoding(),
    ) {
        if let Ok(m) = decode(&bytes, rows, dim, encoding) {
            prop_assert_eq!(m.values.len(), rows * dim);
            prop_assert!(m.values.iter().all(|v| v.is_finite()));
        }
    }

    /// Bytes of the right length but arbitrary content: the path where scales and values are
    /// actually read.
    #[test]
    fn decode_of_right_length_garbage_is_finite_or_an_error(
        rows in 0usize..6,
        dim in 1usize..10,
        seed in prop::collection::vec(any::<u8>(), 200),
        encoding in encoding(),
    ) {
        let len = encoded_len(rows, dim, encoding).unwrap();
        match decode(&seed[..len], rows, dim, encoding) {
            Ok(m) => prop_assert!(m.values.iter().all(|v| v.is_finite())),
            Err(QuantError::BadScale { .. } | QuantError::NonFiniteValue { .. }) => {}
            Err(other) => prop_assert!(false, "unexpected error {:?}", other),
        }
    }
}

#[test]
fn int8_extremes_are_exact() {
    let m = EmbeddingMatrix::new(1, 3, vec![-2.0, 0.0, 2.0]).unwrap();
    let back = decode(&encode(&m, Int8), 1, 3, Int8).unwrap();
    assert_eq!(back.values, vec![-2.0, 0.0, 2.0]);
}

#[test]
fn non_finite_scales_are_refused() {
    for scale in [f32::NAN, f32::INFINITY, -1.0] {
        let mut bytes = scale.to_le_bytes().to_vec();
        bytes.extend([1u8, 2]);
        assert!(
            matches!(
                decode(&bytes, 1, 2, Int8),
                Err(QuantError::BadScale { row: 0, .. })
            ),
            "{scale}"
        );
    }
}

#[test]
fn overflowing_int8_value_is_refused() {
    let mut bytes = f32::MAX.to_le_bytes().to_vec();
    bytes.push(127);
    assert!(matches!(
        decode(&bytes, 1, 1, Int8),
        Err(QuantError::NonFiniteValue { index: 0, .. })
    ));
}

#[test]
fn non_finite_f16_is_refused() {
    // 0x7c00 is +inf in f16.
    let bytes = [0, 0, 0x00, 0x7c];
    assert!(matches!(
        decode(&bytes, 1, 2, F16),
        Err(QuantError::NonFiniteValue { index: 1, .. })
    ));
}

#[test]
fn f16_saturates_instead_of_overflowing() {
    let m = EmbeddingMatrix::new(1, 2, vec![1e6, -1e6]).unwrap();
    let back = decode(&encode(&m, F16), 1, 2, F16).unwrap();
    assert_eq!(back.values, vec![65504.0, -65504.0]);
}

#[test]
fn matrix_checks_its_values() {
    assert_eq!(
        EmbeddingMatrix::new(2, 3, vec![0.0; 5]),
        Err(QuantError::ValueCount {
            rows: 2,
            dim: 3,
            expected: 6,
            actual: 5
        })
    );
    assert_eq!(
        EmbeddingMatrix::new(1, 0, vec![]),
        Err(QuantError::ZeroDimension)
    );
    assert!(matches!(
        EmbeddingMatrix::new(1, 2, vec![0.0, f32::NAN]),
        Err(QuantError::NonFiniteValue { index: 1, .. })
    ));
    assert_eq!(
        EmbeddingMatrix::new(usize::MAX, 2, vec![]),
        Err(QuantError::TooLarge {
            rows: usize::MAX,
            dim: 2
        })
    );
}

#[test]
fn errors_name_expected_and_actual_lengths() {
    let message = decode(&[0; 7], 1, 2, Int8).unwrap_err().to_string();
    assert!(message.contains('6') && message.contains('7'), "{message}");
}
