//! Dense float vectors scored by dot product: the exact counterpart of the packed codes, and the
//! baseline their speed is measured against.

use crate::error::CoreError;
use crate::topk::{BestK, Hit, TopK};

/// N row-major vectors of `dim` floats.
#[derive(Debug, Clone, PartialEq)]
pub struct DenseVectors {
    dim: usize,
    values: Vec<f32>,
}

impl DenseVectors {
    pub fn new(dim: usize, values: Vec<f32>) -> Result<Self, CoreError> {
        if dim == 0 {
            return Err(CoreError::ZeroDimension);
        }
        if !values.len().is_multiple_of(dim) {
            return Err(CoreError::RaggedLength {
                what: "vector values",
                actual: values.len(),
                multiple_of: dim,
            });
        }
        Ok(Self { dim, values })
    }

    pub fn dim(&self) -> usize {
        self.dim
    }

    pub fn len(&self) -> usize {
        self.values.len() / self.dim
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    pub fn score_into(&self, query: &[f32], out: &mut [f32]) -> Result<(), CoreError> {
        self.check_query(query)?;
        if out.len() != self.len() {
            return Err(CoreError::LengthMismatch {
                what: "score output",
                expected: self.len(),
                actual: out.len(),
            });
        }
        for (slot, row) in out.iter_mut().zip(self.values.chunks_exact(self.dim)) {
            *slot = dot(query, row);
        }
        Ok(())
    }

    pub fn top_k(&self, query: &[f32], k: usize) -> Result<Vec<Hit>, CoreError> {
        self.check_query(query)?;
        let mut top = TopK::new(k, self.len())?;
        for (index, row) in self.values.chunks_exact(self.dim).enumerate() {
            top.push(index, dot(query, row));
        }
        Ok(top.into_sorted())
    }

    /// The `k` best rows whose index `keep` accepts (fewer when fewer are accepted); rows left
    /// out are never scored.
    pub fn top_k_where(
        &self,
        query: &[f32],
        k: usize,
        keep: impl Fn(usize) -> bool,
    ) -> Result<Vec<Hit>, CoreError> {
        self.check_query(query)?;
        if k == 0 {
            return Err(CoreError::ZeroK);
        }
        let mut top = BestK::new(k.min(self.len()));
        for (index, row) in self.values.chunks_exact(self.dim).enumerate() {
            if keep(index) {
                top.push(Hit {
                    index,
                    score: dot(query, row),
                });
            }
        }
        Ok(top.into_sorted())
    }

    /// Row `index`, or `None` past the end.
    pub fn row(&self, index: usize) -> Option<&[f32]> {
        self.values.chunks_exact(self.dim).nth(index)
    }

    fn check_query(&self, query: &[f32]) -> Result<(), CoreError> {
        if query.len() != self.dim {
            return Err(CoreError::LengthMismatch {
                what: "query vector",
                expected: self.dim,
                actual: query.len(),
            });
        }
        Ok(())
    }
}

/// Eight independent accumulators let the compiler vectorise the sum, so the baseline is a fair
/// one rather than a strawman serial loop.
#[inline]
fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut lanes = [0f32; 8];
    let (a_body, a_tail) = a.split_at(a.len() - a.len() % 8);
    let (b_body, b_tail) = b.split_at(a_body.len());
    for (x, y) in a_body.chunks_exact(8).zip(b_body.chunks_exact(8)) {
        for lane in 0..8 {
            lanes[lane] += x[lane] * y[lane];
        }
    }
    let tail: f32 = a_tail.iter().zip(b_tail).map(|(x, y)| x * y).sum();
    lanes.iter().sum::<f32>() + tail
}
