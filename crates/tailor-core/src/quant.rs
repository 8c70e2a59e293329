//! Compact storage for the bundle's float matrices (item embeddings, a static vocabulary), so a
//! shop's catalog downloads in half or a quarter of the f32 size.
//!
//! Layouts, all little-endian, rows stored one after another:
//!
//! - [`EmbeddingEncoding::F16`]: `rows * dim` IEEE 754 half-precision values, 2 bytes each.
//!   Values beyond the f16 range are saturated to +-65504.
//! - [`EmbeddingEncoding::Int8`]: `rows` f32 scales (4 bytes each), then `rows * dim` i8 values.
//!   Each row is quantized symmetrically on its own: `scale = max|x| / 127` (0 for an all-zero
//!   row), `q = round(x / scale)` clamped to [-127, 127], and `x` is read back as `q * scale`,
//!   so every value is off by at most `scale / 2`.
//!
//! Decoding checks the byte length exactly and refuses non-finite results, because the bytes
//! come from a downloaded file and the scorers downstream assume finite numbers.

use half::f16;

use crate::bundle::EmbeddingEncoding;
pub use crate::error::QuantError;

/// A row-major f32 matrix: row `i` is `values[i * dim..(i + 1) * dim]`.
#[derive(Debug, Clone, PartialEq)]
pub struct EmbeddingMatrix {
    pub rows: usize,
    pub dim: usize,
    pub values: Vec<f32>,
}

impl EmbeddingMatrix {
    /// Checks that `values` holds exactly `rows * dim` finite numbers and `dim` is at least 1.
    pub fn new(rows: usize, dim: usize, values: Vec<f32>) -> Result<Self, QuantError> {
        let expected = value_count(rows, dim)?;
        if values.len() != expected {
            return Err(QuantError::ValueCount {
                rows,
                dim,
                expected,
                actual: values.len(),
            });
        }
        check_finite(&values)?;
        Ok(Self { rows, dim, values })
    }

    /// Row `i`.
    ///
    /// # Panics
    ///
    /// If `i >= rows`, like slice indexing.
    pub fn row(&self, i: usize) -> &[f32] {
        &self.values[i * self.dim..(i + 1) * self.dim]
    }
}

fn value_count(rows: usize, dim: usize) -> Result<usize, QuantError> {
    if dim == 0 {
        return Err(QuantError::ZeroDimension);
    }
    rows.checked_mul(dim)
        .ok_or(QuantError::TooLarge { rows, dim })
}

fn check_finite(values: &[f32]) -> Result<(), QuantError> {
    match values.iter().position(|v| !v.is_finite()) {
        Some(index) => Err(QuantError::NonFiniteValue {
            index,
            value: values[index],
        }),
        None => Ok(()),
    }
}

/// The number of bytes `rows x dim` values take in `encoding`.
pub fn encoded_len(
    rows: usize,
    dim: usize,
    encoding: EmbeddingEncoding,
) -> Result<usize, QuantError> {
    let count = value_count(rows, dim)?;
    let bytes = match encoding {
        EmbeddingEncoding::F16 => count.checked_mul(2),
        EmbeddingEncoding::Int8 => rows.checked_mul(4).and_then(|s| s.checked_add(count)),
    };
    bytes.ok_or(QuantError::TooLarge { rows, dim })
}

/// Encodes a matrix as built by [`EmbeddingMatrix::new`] (finite values, `rows * dim` of them)
/// in the layout described in the module documentation.
pub fn encode(matrix: &EmbeddingMatrix, encoding: EmbeddingEncoding) -> Vec<u8> {
    match encoding {
        EmbeddingEncoding::F16 => matrix
            .values
            .iter()
            .flat_map(|&x| {
                f16::from_f32(x.clamp(-f16::MAX.to_f32(), f16::MAX.to_f32())).to_le_bytes()
            })
            .collect(),
        EmbeddingEncoding::Int8 => {
            // `max(1)` only guards a hand-built matrix with dim 0 against a panic.
            let rows = matrix.values.chunks(matrix.dim.max(1));
            let scales: Vec<f32> = rows
                .clone()
                .map(|row| row.iter().fold(0f32, |max, x| max.max(x.abs())) / 127.0)
                .collect();
            let mut out = Vec::with_capacity(scales.len() * 4 + matrix.values.len());
            out.extend(scales.iter().flat_map(|s| s.to_le_bytes()));
            for (row, &scale) in rows.zip(&scales) {
                // A scale that underflowed to 0 (all-zero or subnormal row) stores zeros.
                out.extend(row.iter().map(|&x| {
                    let q = if scale > 0.0 {
                        (x / scale).round().clamp(-127.0, 127.0)
                    } else {
                        0.0
                    };
                    q as i8 as u8
                }));
            }
            out
        }
    }
}

/// `matrix` as a reader of its `encoding` gets it back: what a bundle that stores it holds.
pub fn round_trip(
    matrix: &EmbeddingMatrix,
    encoding: EmbeddingEncoding,
) -> Result<EmbeddingMatrix, QuantError> {
    decode(&encode(matrix, encoding), matrix.rows, matrix.dim, encoding)
}

/// Decodes `rows x dim` values stored in `encoding`; the length must match exactly.
pub fn decode(
    bytes: &[u8],
    rows: usize,
    dim: usize,
    encoding: EmbeddingEncoding,
) -> Result<EmbeddingMatrix, QuantError> {
    let expected = encoded_len(rows, dim, encoding)?;
    if bytes.len() != expected {
        return Err(QuantError::WrongByteLength {
            encoding,
            rows,
            dim,
            expected,
            actual: bytes.len(),
        });
    }
    let values: Vec<f32> = match encoding {
        EmbeddingEncoding::F16 => bytes
            .chunks_exact(2)
            .map(|pair| f16::from_le_bytes([pair[0], pair[1]]).to_f32())
            .collect(),
        EmbeddingEncoding::Int8 => {
            let (scale_bytes, quantized) = bytes.split_at(rows * 4);
            let mut values = Vec::with_capacity(quantized.len());
            for (row, (scale, codes)) in scale_bytes
                .chunks_exact(4)
                .zip(quantized.chunks_exact(dim))
                .enumerate()
            {
                let scale = f32::from_le_bytes([scale[0], scale[1], scale[2], scale[3]]);
                if !(scale.is_finite() && scale >= 0.0) {
                    return Err(QuantError::BadScale { row, value: scale });
                }
                values.extend(codes.iter().map(|&q| f32::from(q as i8) * scale));
            }
            values
        }
    };
    // A damaged f16 can be inf or NaN, and a large int8 scale times 128 can overflow.
    check_finite(&values)?;
    Ok(EmbeddingMatrix { rows, dim, values })
}
