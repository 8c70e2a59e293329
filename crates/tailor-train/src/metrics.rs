//! Ranking metrics for evaluations with one relevant item per query. Every method (trained
//! models and baselines alike) is reduced to the 1-based rank of its relevant item, so all of
//! them are scored by the same few lines and compared in one table.

use std::cmp::Ordering;
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

/// The K of the Recall@K columns in [`RankingMetrics`] and [`markdown_table`].
pub const RECALL_CUTOFFS: [usize; 4] = [1, 5, 10, 50];

/// NDCG is cut at this rank.
const NDCG_CUTOFF: usize = 10;

/// Whether item `a` ranks strictly before item `b`. Finite and infinite scores use
/// `f32::total_cmp` (as `tailor_core::TopK` does, so -0.0 ranks below 0.0); NaN comes after
/// every number; equal keys go to the lower index.
fn ranks_before(a: (usize, f32), b: (usize, f32)) -> bool {
    let by_score = match (a.1.is_nan(), b.1.is_nan()) {
        (false, false) => b.1.total_cmp(&a.1),
        (false, true) => Ordering::Less,
        (true, false) => Ordering::Greater,
        (true, true) => Ordering::Equal,
    };
    by_score.then(a.0.cmp(&b.0)) == Ordering::Less
}

/// 1-based rank of `target` when items are sorted by descending score; ties are broken toward
/// the lower index (the same rule as tailor_core::TopK), so a constant scorer ranks items in
/// index order. NaN scores rank last.
///
/// # Panics
/// If `target` is not an index of `scores`: that is a caller bug, not a property of the data.
pub fn rank_of(scores: &[f32], target: usize) -> usize {
    assert!(
        target < scores.len(),
        "rank_of: target {target} out of range for {} scores",
        scores.len()
    );
    let key = (target, scores[target]);
    // Counting beats sorting: O(n), no allocation.
    1 + scores
        .iter()
        .enumerate()
        .filter(|&(index, &score)| ranks_before((index, score), key))
        .count()
}

/// Aggregate ranking quality over a set of queries, each with exactly one relevant item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RankingMetrics {
    pub queries: usize,
    pub recall_at_1: f64,
    pub recall_at_5: f64,
    pub recall_at_10: f64,
    /// Absent from reports written before it was added.
    #[serde(default)]
    pub recall_at_20: f64,
    pub recall_at_50: f64,
    pub mrr: f64,
    pub ndcg_at_10: f64,
}

impl RankingMetrics {
    /// Metrics from the 1-based rank of each query's relevant item. With one relevant item the
    /// ideal DCG is 1, so NDCG@10 is `1 / log2(rank + 1)` when rank <= 10 and 0 otherwise. No
    /// queries give all zeros rather than NaN, so the result always serializes to valid JSON.
    ///
    /// # Panics
    /// If a rank is 0: ranks are 1-based, and a 0 means the caller computed them wrongly.
    pub fn from_ranks(ranks: &[usize]) -> RankingMetrics {
        assert!(
            !ranks.contains(&0),
            "RankingMetrics::from_ranks: ranks are 1-based, got 0"
        );
        if ranks.is_empty() {
            return RankingMetrics {
                queries: 0,
                recall_at_1: 0.0,
                recall_at_5: 0.0,
                recall_at_10: 0.0,
                recall_at_20: 0.0,
                recall_at_50: 0.0,
                mrr: 0.0,
                ndcg_at_10: 0.0,
            };
        }
        let n = ranks.len() as f64;
        let recall = |k: usize| ranks.iter().filter(|&&rank| rank <= k).count() as f64 / n;
        let mrr = ranks.iter().map(|&rank| 1.0 / rank as f64).sum::<f64>() / n;
        let ndcg = ranks
            .iter()
            .filter(|&&rank| rank <= NDCG_CUTOFF)
            .map(|&rank| 1.0 / (rank as f64 + 1.0).log2())
            .sum::<f64>()
            / n;
        let [k1, k5, k10, k50] = RECALL_CUTOFFS;
        RankingMetrics {
            queries: ranks.len(),
            recall_at_1: recall(k1),
            recall_at_5: recall(k5),
            recall_at_10: recall(k10),
            recall_at_20: recall(20),
            recall_at_50: recall(k50),
            mrr,
            ndcg_at_10: ndcg,
        }
    }
}

/// Recall@k for k = 1..=max_k, for plotting.
///
/// Empty `ranks` give a curve of zeros; `max_k == 0` gives an empty curve.
pub fn recall_curve(ranks: &[usize], max_k: usize) -> Vec<(usize, f64)> {
    // One pass into a histogram and a running sum, instead of one pass per k.
    let mut hits_at = vec![0usize; max_k + 1];
    for &rank in ranks {
        if (1..=max_k).contains(&rank) {
            hits_at[rank] += 1;
        }
    }
    let n = ranks.len().max(1) as f64;
    let mut hits = 0;
    (1..=max_k)
        .map(|k| {
            hits += hits_at[k];
            (k, hits as f64 / n)
        })
        .collect()
}

/// Markdown table, one row per (name, metrics), columns: method | R@1 | R@5 | R@10 | R@50 |
/// MRR | NDCG@10, values with 3 decimals.
///
/// A `|` in a method name is escaped and line breaks become spaces, so a name cannot break the
/// table.
pub fn markdown_table(rows: &[(String, RankingMetrics)]) -> String {
    let mut out = String::from("| method | R@1 | R@5 | R@10 | R@50 | MRR | NDCG@10 |\n");
    out.push_str("|---|---:|---:|---:|---:|---:|---:|\n");
    for (name, m) in rows {
        let name = name.replace('|', "\\|").replace(['\r', '\n'], " ");
        // Writing into a String cannot fail.
        let _ = writeln!(
            out,
            "| {name} | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} |",
            m.recall_at_1, m.recall_at_5, m.recall_at_10, m.recall_at_50, m.mrr, m.ndcg_at_10
        );
    }
    out
}

/// Area under the ROC curve: the probability that a random positive scores above a random
/// negative, ties counting one half (the Mann-Whitney statistic). None when either side is
/// empty, where it is undefined. NaN scores compare as ties.
pub fn auc(positives: &[f32], negatives: &[f32]) -> Option<f64> {
    if positives.is_empty() || negatives.is_empty() {
        return None;
    }
    // Sort once and count by binary search: O((p + n) log n) instead of O(p * n).
    let mut sorted: Vec<f32> = negatives.iter().copied().filter(|v| !v.is_nan()).collect();
    sorted.sort_unstable_by(f32::total_cmp);
    let nan_negatives = negatives.len() - sorted.len();
    let mut wins = 0.0;
    for &p in positives {
        if p.is_nan() {
            wins += 0.5 * negatives.len() as f64;
            continue;
        }
        let below = sorted.partition_point(|&n| n < p);
        let not_above = sorted.partition_point(|&n| n <= p);
        wins += below as f64 + 0.5 * (not_above - below + nan_negatives) as f64;
    }
    Some(wins / (positives.len() * negatives.len()) as f64)
}

#[cfg(test)]
mod auc_tests {
    use super::auc;

    #[test]
    fn auc_counts_pairs_and_halves_ties() {
        assert_eq!(auc(&[3.0, 4.0], &[1.0, 2.0]), Some(1.0));
        assert_eq!(auc(&[1.0], &[2.0]), Some(0.0));
        assert_eq!(auc(&[1.0], &[1.0]), Some(0.5));
        // 2 > 1 and ties with 2: (1 + 0.5) / 2.
        assert_eq!(auc(&[2.0], &[1.0, 2.0]), Some(0.75));
        assert_eq!(auc(&[], &[1.0]), None);
    }
}
