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

/// Heap entry ordered so that the heap's maximum is the worst hit kept.
#[derive(Debug, Clone, Copy)]
struct Worst(Hit);

impl Ord for Worst {
    fn cmp(&self, other: &Self) -> Ordering {
        other
            .0
            .score
            .total_cmp(&self.0.score)
            .then(self.0.index.cmp(&other.0.index))
    }
}

impl PartialOrd for Worst {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Worst {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Worst {}

/// Keeps the `k` best of a stream of (index, score) pairs in O(k) memory.
#[derive(Debug, Clone)]
pub struct TopK {
    k: usize,
    heap: BinaryHeap<Worst>,
    /// The worst kept score once k hits are kept: anything strictly below it is rejected with
    /// one float comparison, which is what almost every item of a large scan gets.
    floor: f32,
}

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
        Ok(Self {
            k,
            heap: BinaryHeap::with_capacity(k),
            floor: f32::NEG_INFINITY,
        })
    }

    #[inline]
    pub fn push(&mut self, index: usize, score: f32) {
        let full = self.heap.len() == self.k;
        if full && score < self.floor {
            return;
        }
        let candidate = Worst(Hit { index, score });
        if !full {
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
                .map_or(f32::NEG_INFINITY, |worst| worst.0.score);
        }
    }

    /// The score an item must reach to be kept: -inf until k hits are kept, then the k-th best.
    #[inline]
    pub fn floor(&self) -> f32 {
        self.floor
    }

    /// The kept hits, best first.
    pub fn into_sorted(self) -> Vec<Hit> {
        self.heap
            .into_sorted_vec()
            .into_iter()
            .map(|w| w.0)
            .collect()
    }
}

/// The `k` best entries of `scores`, best first. NaN is refused: it has no place in a ranking.
pub fn top_k(scores: &[f32], k: usize) -> Result<Vec<Hit>, CoreError> {
    let mut top = TopK::new(k, scores.len())?;
    for (index, &score) in scores.iter().enumerate() {
        if score.is_nan() {
            return Err(CoreError::NonFinite {
                what: "score",
                index,
                value: score,
            });
        }
        top.push(index, score);
    }
    Ok(top.into_sorted())
}
