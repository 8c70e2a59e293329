//! Binary codes in {-1,+1}^L packed into `u64` words, and their inner products.
//!
//! Bit `j` of a code lives in word `j / 64` at bit `j % 64`; a set bit is +1, a clear bit -1.
//! For two codes, <a, b> = L - 2 * popcount(a xor b), because every differing bit contributes
//! -1 instead of +1. The diagonally weighted product <w . a, b> = sum_j w_j - 2 * sum over the
//! differing bits of w_j, and the second sum is read byte by byte from 256-entry tables built once
//! per weight vector, so scoring costs L/8 table loads per pair instead of L multiply-adds.

use crate::error::CoreError;
use crate::topk::{Hit, TopK};

/// A validated code length: a positive multiple of 64 bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CodeLength {
    bits: usize,
}

impl CodeLength {
    /// The model's default, L = 128: two words per code, 16 MB for a million items.
    pub const DEFAULT: CodeLength = CodeLength { bits: 128 };

    pub fn new(bits: usize) -> Result<Self, CoreError> {
        if bits == 0 || !bits.is_multiple_of(64) {
            return Err(CoreError::InvalidCodeLength { bits });
        }
        Ok(Self { bits })
    }

    pub fn bits(self) -> usize {
        self.bits
    }

    /// Number of `u64` words per code.
    pub fn words(self) -> usize {
        self.bits / 64
    }

    fn check_code(self, what: &'static str, code: &[u64]) -> Result<(), CoreError> {
        if code.len() != self.words() {
            return Err(CoreError::LengthMismatch {
                what,
                expected: self.words(),
                actual: code.len(),
            });
        }
        Ok(())
    }
}

impl Default for CodeLength {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Reports the first value for which `bad` holds.
fn reject_first(
    what: &'static str,
    values: &[f32],
    bad: impl Fn(f32) -> bool,
) -> Result<(), CoreError> {
    match values.iter().position(|&v| bad(v)) {
        Some(index) => Err(CoreError::NonFinite {
            what,
            index,
            value: values[index],
        }),
        None => Ok(()),
    }
}

/// <a, b> for two packed codes of the same length.
pub fn inner_product(a: &[u64], b: &[u64]) -> Result<i32, CoreError> {
    let length = CodeLength::new(a.len() * 64)?;
    length.check_code("second code", b)?;
    Ok(inner_unchecked(a, b))
}

#[inline(always)]
fn inner_unchecked(a: &[u64], b: &[u64]) -> i32 {
    let differing: u32 = a.iter().zip(b).map(|(x, y)| (x ^ y).count_ones()).sum();
    (a.len() * 64) as i32 - 2 * differing as i32
}

/// Lookup tables for the diagonally weighted inner product <w . a, b>, built once per weight
/// vector: `tables[p][x]` is the sum of the weights of the bits set in byte value `x` at byte
/// position `p` of the code.
#[derive(Debug, Clone)]
pub struct WeightTable {
    length: CodeLength,
    total: f32,
    tables: Vec<[f32; 256]>,
    /// `bounds[d]` >= the weighted product of any two codes that differ in `d` bits: the
    /// differing bits weigh at least the `d` smallest weights. Top-k uses it to skip the table
    /// lookups for items that cannot reach the current k-th best score.
    bounds: Vec<f32>,
}

impl WeightTable {
    pub fn new(weights: &[f32]) -> Result<Self, CoreError> {
        let length = CodeLength::new(weights.len())?;
        reject_first("weight", weights, |w| !w.is_finite())?;
        let tables = weights
            .chunks_exact(8)
            .map(|byte_weights| {
                let mut table = [0f32; 256];
                for value in 1..256usize {
                    // Extend the table entry without the lowest set bit by that bit's weight.
                    let lowest = value.trailing_zeros() as usize;
                    table[value] = table[value & (value - 1)] + byte_weights[lowest];
                }
                table
            })
            .collect();
        let magnitude = weights.iter().map(|w| f64::from(w.abs())).sum::<f64>();
        // Scores are f32; past this, total - 2 * differing could overflow to inf - inf = NaN.
        if magnitude > f64::from(f32::MAX) / 4.0 {
            return Err(CoreError::WeightsTooLarge { sum: magnitude });
        }
        let total = weights.iter().map(|&w| f64::from(w)).sum::<f64>();
        let mut ascending: Vec<f64> = weights.iter().map(|&w| f64::from(w)).collect();
        ascending.sort_by(f64::total_cmp);
        // f32 sums of up to L terms are off by far less than this; the margin keeps the bound
        // a bound after rounding, so pruning never drops an item that belongs in the top k.
        let margin = magnitude * 1e-4 + 1e-6;
        let bounds = std::iter::once(0.0)
            .chain(ascending.iter().scan(0.0, |sum, w| {
                *sum += w;
                Some(*sum)
            }))
            .map(|smallest| (total - 2.0 * smallest + margin) as f32)
            .collect();
        Ok(Self {
            length,
            total: total as f32,
            tables,
            bounds,
        })
    }

    pub fn length(&self) -> CodeLength {
        self.length
    }

    /// <w . a, b> for two packed codes of this table's length. To score many items against one
    /// query, use [`PackedCodes::scores`] or [`PackedCodes::top_k`], which fold the query into
    /// the tables once.
    pub fn weighted_inner_product(&self, a: &[u64], b: &[u64]) -> Result<f32, CoreError> {
        self.length.check_code("first code", a)?;
        self.length.check_code("second code", b)?;
        Ok(self.for_query(a).score(b))
    }

    /// Folds a query code into the tables: entry `v` at byte `p` becomes the weight of the bits
    /// where an item byte `v` differs from the query's byte `p`, so the scan needs no xor.
    fn for_query(&self, query: &[u64]) -> QueryTables<'_> {
        let query_bytes = query.iter().flat_map(|word| word.to_le_bytes());
        let tables = self
            .tables
            .iter()
            .zip(query_bytes)
            .map(|(table, q)| std::array::from_fn(|v| table[v ^ usize::from(q)]))
            .collect();
        QueryTables {
            total: self.total,
            tables,
            bounds: &self.bounds,
        }
    }
}

/// A [`WeightTable`] specialised to one query code.
struct QueryTables<'a> {
    total: f32,
    tables: Vec<[f32; 256]>,
    bounds: &'a [f32],
}

impl QueryTables<'_> {
    /// An upper bound on the score of any item that differs from the query in `differing` bits.
    #[inline(always)]
    fn bound(&self, differing: u32) -> f32 {
        self.bounds
            .get(differing as usize)
            .copied()
            .unwrap_or(f32::INFINITY)
    }

    #[inline(always)]
    fn score(&self, item: &[u64]) -> f32 {
        let mut differing = 0f32;
        for (word, tables) in item.iter().zip(self.tables.chunks_exact(8)) {
            let b = word.to_le_bytes();
            // A balanced sum keeps the dependency chain short, so pairs overlap in the pipeline.
            let low = (tables[0][usize::from(b[0])] + tables[1][usize::from(b[1])])
                + (tables[2][usize::from(b[2])] + tables[3][usize::from(b[3])]);
            let high = (tables[4][usize::from(b[4])] + tables[5][usize::from(b[5])])
                + (tables[6][usize::from(b[6])] + tables[7][usize::from(b[7])]);
            differing += low + high;
        }
        self.total - 2.0 * differing
    }
}

/// How a query code is compared with item codes.
#[derive(Debug, Clone, Copy)]
pub enum Similarity<'a> {
    /// <a, b>, an integer in [-L, L].
    InnerProduct,
    /// <w . a, b> with the diagonal weights behind the table.
    Weighted(&'a WeightTable),
}

/// N codes of one length, stored contiguously (code `i` is words `i*W .. (i+1)*W`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackedCodes {
    length: CodeLength,
    words: Vec<u64>,
}

impl PackedCodes {
    pub fn new(length: CodeLength, words: Vec<u64>) -> Result<Self, CoreError> {
        if !words.len().is_multiple_of(length.words()) {
            return Err(CoreError::RaggedLength {
                what: "packed code words",
                actual: words.len(),
                multiple_of: length.words(),
            });
        }
        Ok(Self { length, words })
    }

    /// Packs the signs of row-major real vectors of `length.bits()` values each; values >= 0
    /// (including +0 and -0) become +1, so a relaxed code tanh(.) maps to its sign code.
    pub fn from_signs(length: CodeLength, values: &[f32]) -> Result<Self, CoreError> {
        if !values.len().is_multiple_of(length.bits()) {
            return Err(CoreError::RaggedLength {
                what: "sign values",
                actual: values.len(),
                multiple_of: length.bits(),
            });
        }
        reject_first("sign value", values, f32::is_nan)?;
        let words = values
            .chunks_exact(64)
            .map(|chunk| {
                chunk
                    .iter()
                    .enumerate()
                    .filter(|(_, v)| **v >= 0.0)
                    .fold(0u64, |word, (bit, _)| word | (1 << bit))
            })
            .collect();
        Ok(Self { length, words })
    }

    pub fn length(&self) -> CodeLength {
        self.length
    }

    pub fn len(&self) -> usize {
        self.words.len() / self.length.words()
    }

    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    pub fn code(&self, index: usize) -> Option<&[u64]> {
        let w = self.length.words();
        self.words.get(index * w..(index + 1) * w)
    }

    pub fn words(&self) -> &[u64] {
        &self.words
    }

    /// The codes as row-major vectors of +1.0 / -1.0.
    pub fn to_signs(&self) -> Vec<f32> {
        self.words
            .iter()
            .flat_map(|word| (0..64).map(move |bit| if word >> bit & 1 == 1 { 1.0 } else { -1.0 }))
            .collect()
    }

    /// Scores `query` against every code, writing one score per item into `out`.
    pub fn score_into(
        &self,
        query: &[u64],
        similarity: Similarity<'_>,
        out: &mut [f32],
    ) -> Result<(), CoreError> {
        self.check_query(query, similarity)?;
        if out.len() != self.len() {
            return Err(CoreError::LengthMismatch {
                what: "score output",
                expected: self.len(),
                actual: out.len(),
            });
        }
        let mut slots = out.iter_mut();
        self.for_each_score(query, similarity, |_, score| {
            if let Some(slot) = slots.next() {
                *slot = score;
            }
        });
        Ok(())
    }

    pub fn scores(&self, query: &[u64], similarity: Similarity<'_>) -> Result<Vec<f32>, CoreError> {
        let mut out = vec![0f32; self.len()];
        self.score_into(query, similarity, &mut out)?;
        Ok(out)
    }

    /// The `k` best items, best first; equal scores rank the lower index first. Scores are
    /// computed on the fly, so a million-item scan allocates only the k-entry heap. With weights,
    /// an item whose popcount bound cannot beat the current k-th score skips the table lookups;
    /// the result is exactly that of ranking every score.
    pub fn top_k(
        &self,
        query: &[u64],
        similarity: Similarity<'_>,
        k: usize,
    ) -> Result<Vec<Hit>, CoreError> {
        self.check_query(query, similarity)?;
        let mut top = TopK::new(k, self.len())?;
        match (similarity, self.length.words()) {
            (Similarity::InnerProduct, _) => {
                self.for_each_score(query, similarity, |index, score| top.push(index, score))
            }
            (Similarity::Weighted(table), 2) => self.pruned_scan::<2>(query, table, &mut top),
            (Similarity::Weighted(table), _) => self.pruned_scan::<0>(query, table, &mut top),
        }
        Ok(top.into_sorted())
    }

    #[inline(always)]
    fn pruned_scan<const WORDS: usize>(&self, query: &[u64], table: &WeightTable, top: &mut TopK) {
        let tables = table.for_query(query);
        let words = if WORDS == 0 {
            self.length.words()
        } else {
            WORDS
        };
        for (index, item) in self.words.chunks_exact(words).enumerate() {
            let differing: u32 = query
                .iter()
                .zip(item)
                .map(|(q, x)| (q ^ x).count_ones())
                .sum();
            // The floor is -inf until k items are kept, so nothing is skipped before then.
            if tables.bound(differing) >= top.floor() {
                top.push(index, tables.score(item));
            }
        }
    }

    fn check_query(&self, query: &[u64], similarity: Similarity<'_>) -> Result<(), CoreError> {
        self.length.check_code("query code", query)?;
        if let Similarity::Weighted(table) = similarity
            && table.length() != self.length
        {
            return Err(CoreError::LengthMismatch {
                what: "weight vector",
                expected: self.length.bits(),
                actual: table.length().bits(),
            });
        }
        Ok(())
    }

    /// Calls `sink(index, score)` for every item in order. Lengths are checked by the caller.
    #[inline(always)]
    fn for_each_score(
        &self,
        query: &[u64],
        similarity: Similarity<'_>,
        sink: impl FnMut(usize, f32),
    ) {
        // The default length gets a loop with the word count known at compile time.
        match (similarity, self.length.words()) {
            (Similarity::InnerProduct, 2) => {
                self.scan::<2>(query, sink, |a, b| inner_unchecked(a, b) as f32)
            }
            (Similarity::Weighted(table), 2) => {
                let tables = table.for_query(query);
                self.scan::<2>(query, sink, |_, item| tables.score(item))
            }
            (Similarity::InnerProduct, _) => {
                self.scan::<0>(query, sink, |a, b| inner_unchecked(a, b) as f32)
            }
            (Similarity::Weighted(table), _) => {
                let tables = table.for_query(query);
                self.scan::<0>(query, sink, |_, item| tables.score(item))
            }
        }
    }

    /// `WORDS` = 0 means "not known at compile time".
    #[inline(always)]
    fn scan<const WORDS: usize>(
        &self,
        query: &[u64],
        mut sink: impl FnMut(usize, f32),
        score: impl Fn(&[u64], &[u64]) -> f32,
    ) {
        let words = if WORDS == 0 {
            self.length.words()
        } else {
            WORDS
        };
        for (index, code) in self.words.chunks_exact(words).enumerate() {
            sink(index, score(query, code));
        }
    }
}
