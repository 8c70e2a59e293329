//! Bounded top-k selection: best score first, equal scores broken by the lower item index, so a
//! ranking is the same on every platform and in every language that implements the same rule.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use crate::error::CoreError;

/// One ranked item.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hit {
    pub index: usize,
    pub score: f32,
}

/// What a bounded top-k keeps: a score, and the order that ranks equal scores (the entry that
/// compares lower comes first).
pub trait Ranked {
    fn score(&self) -> f32;
    fn tie_break(&self, other: &Self) -> Ordering;
}

impl Ranked for Hit {
    fn score(&self) -> f32 {
        self.score
    }

    /// The lower item index first.
    fn tie_break(&self, other: &Self) -> Ordering {
        self.index.cmp(&other.index)
    }
}

/// Heap entry ordered so that the heap's maximum is the worst entry kept.
#[derive(Debug, Clone)]
struct Worst<T>(T);

impl<T: Ranked> Ord for Worst<T> {
    fn cmp(&self, other: &Self) -> Ordering {
        other
            .0
            .score()
            .total_cmp(&self.0.score())
            .then_with(|| self.0.tie_break(&other.0))
    }
}

impl<T: Ranked> PartialOrd for Worst<T> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl<T: Ranked> PartialEq for Worst<T> {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl<T: Ranked> Eq for Worst<T> {}

/// Keeps the `k` best of a stream of entries in O(k) memory.
#[derive(Debug, Clone)]
pub struct BestK<T> {
    k: usize,
    heap: BinaryHeap<Worst<T>>,
    /// The worst kept score once k entries are kept: anything strictly below it is rejected
    /// with one float comparison, which is what almost every entry of a large scan gets.
    floor: f32,
}

impl<T: Ranked> BestK<T> {
    /// Keeps nothing for `k = 0`.
    pub fn new(k: usize) -> Self {
        Self {
            k,
            heap: BinaryHeap::with_capacity(k),
            floor: f32::NEG_INFINITY,
        }
    }

    /// True when an entry with this score cannot enter, whatever its tie-break: decided before
    /// the entry is built.
    #[inline]
    pub fn rejects(&self, score: f32) -> bool {
        self.heap.len() == self.k && score < self.floor
    }

    #[inline]
    pub fn push(&mut self, entry: T) {
        if self.k == 0 || self.rejects(entry.score()) {
            return;
        }
        let candidate = Worst(entry);
        if self.heap.len() < self.k {
            self.heap.push(candidate);
        } else if let Some(mut worst) = self.heap.peek_mut()
            && candidate < *worst
        {
            *worst = candidate;
        } else {
            return;
        }
        if self.heap.len() == self.k {
            self.floor = self
                .heap
                .peek()
                .map_or(f32::NEG_INFINITY, |worst| worst.0.score());
        }
    }

    /// The score an entry must reach to be kept: -inf until k are kept, then the k-th best.
    #[inline]
    pub fn floor(&self) -> f32 {
        self.floor
    }

    /// The kept entries, best first.
    pub fn into_sorted(self) -> Vec<T> {
        self.heap
            .into_sorted_vec()
            .into_iter()
            .map(|w| w.0)
            .collect()
    }
}

/// Keeps the `k` best of a stream of (index, score) pairs: [`BestK`] of [`Hit`]s, equal scores
/// broken by the lower index.
#[derive(Debug, Clone)]
pub struct TopK(BestK<Hit>);

impl TopK {
    /// `n` is the number of items that will be pushed; asking for more than that is an error
    /// rather than a silently shorter ranking.
    pub fn new(k: usize, n: usize) -> Result<Self, CoreError> {
        if k == 0 {
            return Err(CoreError::ZeroK);
        }
        if k > n {
            return Err(CoreError::KExceedsItems { k, n });
        }
        Ok(Self(BestK::new(k)))
    }

    #[inline]
    pub fn push(&mut self, index: usize, score: f32) {
        self.0.push(Hit { index, score });
    }

    /// The score an item must reach to be kept: -inf until k hits are kept, then the k-th best.
    #[inline]
    pub fn floor(&self) -> f32 {
        self.0.floor()
    }

    /// The kept hits, best first.
    pub fn into_sorted(self) -> Vec<Hit> {
        self.0.into_sorted()
    }
}

/// The `k` best entries of `scores`, best first. NaN is refused: it has no place in a ranking.
pub fn top_k(scores: &[f32], k: usize) -> Result<Vec<Hit>, CoreError> {
    TopK::new(k, scores.len())?;
    top_k_where(scores, k, |_| true)
}

/// The `k` best entries of `scores` whose index `keep` accepts, best first: fewer than `k` when
/// fewer are accepted. NaN is refused, among the accepted entries, as in [`top_k`].
pub fn top_k_where(
    scores: &[f32],
    k: usize,
    keep: impl Fn(usize) -> bool,
) -> Result<Vec<Hit>, CoreError> {
    if k == 0 {
        return Err(CoreError::ZeroK);
    }
    let mut top = BestK::new(k.min(scores.len()));
    for (index, &score) in scores.iter().enumerate() {
        if !keep(index) {
            continue;
        }
        if score.is_nan() {
            return Err(CoreError::NonFinite {
                what: "score",
                index,
                value: score,
            });
        }
        top.push(Hit { index, score });
    }
    Ok(top.into_sorted())
}
