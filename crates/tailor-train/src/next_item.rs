//! Next-item prediction from a history, leave-last-out: the protocol `tailor eval` reports for a
//! shop with events, and its baselines (popularity, BPR-MF). Per user, the last interaction is
//! the test target and the one before it the validation target; each target is ranked against
//! every item the user has not interacted with before it (full ranking, no sampled negatives).

use std::time::Instant;

use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::metrics::{RankingMetrics, rank_of};

/// Per user: training history, validation target, test target.
#[derive(Debug, Clone)]
pub struct LeaveLastOut {
    pub train: Vec<Vec<usize>>,
    pub valid: Vec<usize>,
    pub test: Vec<usize>,
}

impl LeaveLastOut {
    /// Users with fewer than three interactions have nothing to train on and are left out.
    pub fn split(histories: &[Vec<usize>]) -> LeaveLastOut {
        let mut split = LeaveLastOut {
            train: Vec::new(),
            valid: Vec::new(),
            test: Vec::new(),
        };
        for history in histories.iter().filter(|h| h.len() >= 3) {
            let n = history.len();
            split.train.push(history[..n - 2].to_vec());
            split.valid.push(history[n - 2]);
            split.test.push(history[n - 1]);
        }
        split
    }

    pub fn users(&self) -> usize {
        self.train.len()
    }

    /// Training examples a sequence model gets: every position of every training history after
    /// its first item.
    pub fn train_positions(&self) -> usize {
        self.train.iter().map(|h| h.len().saturating_sub(1)).sum()
    }

    /// What a user has seen before the phase's target, oldest first.
    pub fn history(&self, user: usize, phase: Phase) -> Vec<usize> {
        let mut history = self.train[user].clone();
        if phase == Phase::Test {
            history.push(self.valid[user]);
        }
        history
    }

    pub fn target(&self, user: usize, phase: Phase) -> usize {
        match phase {
            Phase::Valid => self.valid[user],
            Phase::Test => self.test[user],
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Valid,
    Test,
}

/// Metrics at the paper's cut-offs, over users.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LeaveOneOutMetrics {
    pub users: usize,
    pub hr_at_10: f64,
    pub ndcg_at_10: f64,
    pub recall_at_20: f64,
}

impl LeaveOneOutMetrics {
    pub fn from_ranks(ranks: &[usize]) -> Self {
        let m = RankingMetrics::from_ranks(ranks);
        // One target per user: HR@10 is Recall@10.
        LeaveOneOutMetrics {
            users: m.queries,
            hr_at_10: m.recall_at_10,
            ndcg_at_10: m.ndcg_at_10,
            recall_at_20: m.recall_at_20,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EpochLog {
    pub epoch: usize,
    pub train_loss: f64,
    pub valid_ndcg_at_10: f64,
    pub seconds: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ModelResult {
    pub key: String,
    pub label: String,
    pub valid: LeaveOneOutMetrics,
    pub test: LeaveOneOutMetrics,
    pub best_epoch: usize,
    pub epochs: Vec<EpochLog>,
    pub seconds: f64,
}

/// HR@10, NDCG@10 and Recall@20 over users of `split` for `phase`: `scores_for(user, history)`
/// scores every item, and the items of the history (other than the target) are not ranked.
pub fn rank_users(
    split: &LeaveLastOut,
    phase: Phase,
    scores_for: impl Fn(usize, &[usize]) -> Vec<f32>,
) -> LeaveOneOutMetrics {
    let ranks: Vec<usize> = (0..split.users())
        .map(|user| {
            let history = split.history(user, phase);
            let scores = scores_for(user, &history);
            masked_rank(scores, &history, split.target(user, phase))
        })
        .collect();
    LeaveOneOutMetrics::from_ranks(&ranks)
}

/// The target's rank among the items not in `seen`.
pub(crate) fn masked_rank(mut scores: Vec<f32>, seen: &[usize], target: usize) -> usize {
    for &item in seen {
        if item != target {
            scores[item] = f32::NEG_INFINITY;
        }
    }
    rank_of(&scores, target)
}

/// How often each item appears in the training histories.
pub fn popularity_scores(train: &[Vec<usize>], items: usize) -> Vec<f32> {
    let mut counts = vec![0f32; items];
    for &item in train.iter().flatten() {
        counts[item] += 1.0;
    }
    counts
}

/// BPR-MF's settings.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct BprMfConfig {
    pub dim: usize,
    pub epochs: usize,
    /// Epochs without a better validation NDCG@10 before it stops (at least 5).
    pub patience: usize,
    pub seed: u64,
}

/// BPR-MF (Rendle et al. 2009), plain SGD over every training interaction with one sampled
/// unseen item; the epoch with the best validation NDCG@10 is kept. It is the paper's sparse
/// update rather than a model on `learner::fit`: each step changes three rows, where an autodiff
/// step would produce gradients for the whole user and item tables.
pub fn bpr_mf(
    split: &LeaveLastOut,
    items: usize,
    config: &BprMfConfig,
    log: &dyn Fn(&str),
) -> ModelResult {
    use rand::Rng;
    use rand_distr::{Distribution, Normal};
    let started = Instant::now();
    let (users, dim) = (split.users(), config.dim);
    let (learning_rate, regularisation) = (0.05f32, 0.0025f32);
    let mut rng = ChaCha8Rng::seed_from_u64(config.seed ^ 0xB9B);
    let normal = Normal::new(0.0f32, 0.1).unwrap_or_else(|_| unreachable!("constant parameters"));
    let mut init =
        |n: usize| -> Vec<f32> { (0..n * dim).map(|_| normal.sample(&mut rng)).collect() };
    let (mut p, mut q) = (init(users), init(items));
    let seen: Vec<std::collections::HashSet<usize>> = split
        .train
        .iter()
        .map(|h| h.iter().copied().collect())
        .collect();
    let mut pairs: Vec<(usize, usize)> = split
        .train
        .iter()
        .enumerate()
        .flat_map(|(u, h)| h.iter().map(move |&i| (u, i)))
        .collect();
    let score = |p: &[f32], q: &[f32], user: usize| -> Vec<f32> {
        let pu = &p[user * dim..(user + 1) * dim];
        (0..items)
            .map(|i| {
                pu.iter()
                    .zip(&q[i * dim..(i + 1) * dim])
                    .map(|(a, b)| a * b)
                    .sum()
            })
            .collect()
    };
    let mut best = (f64::NEG_INFINITY, 0, p.clone(), q.clone());
    let mut epochs = Vec::new();
    let mut stale = 0;
    for epoch in 1..=config.epochs {
        let epoch_started = Instant::now();
        pairs.shuffle(&mut rng);
        let mut loss = 0.0f64;
        for &(u, i) in &pairs {
            let j = loop {
                let j = rng.random_range(0..items);
                if !seen[u].contains(&j) {
                    break j;
                }
            };
            let (pu, qi, qj) = (u * dim, i * dim, j * dim);
            let x: f32 = (0..dim).map(|k| p[pu + k] * (q[qi + k] - q[qj + k])).sum();
            let sigmoid = 1.0 / (1.0 + x.exp());
            loss += f64::from((1.0 + (-x).exp()).ln());
            for k in 0..dim {
                let (pk, ik, jk) = (p[pu + k], q[qi + k], q[qj + k]);
                p[pu + k] += learning_rate * (sigmoid * (ik - jk) - regularisation * pk);
                q[qi + k] += learning_rate * (sigmoid * pk - regularisation * ik);
                q[qj + k] += learning_rate * (-sigmoid * pk - regularisation * jk);
            }
        }
        let valid = rank_users(split, Phase::Valid, |user, _| score(&p, &q, user));
        epochs.push(EpochLog {
            epoch,
            train_loss: loss / pairs.len().max(1) as f64,
            valid_ndcg_at_10: valid.ndcg_at_10,
            seconds: epoch_started.elapsed().as_secs_f64(),
        });
        log(&format!(
            "BPR-MF epoch {epoch}: loss {:.4}  valid NDCG@10 {:.4}",
            loss / pairs.len().max(1) as f64,
            valid.ndcg_at_10
        ));
        if valid.ndcg_at_10 > best.0 {
            best = (valid.ndcg_at_10, epoch, p.clone(), q.clone());
            stale = 0;
        } else {
            stale += 1;
            if stale >= config.patience.max(5) {
                break;
            }
        }
    }
    let (_, best_epoch, p, q) = best;
    ModelResult {
        key: "bpr_mf".into(),
        label: format!("BPR-MF, dim {dim}"),
        valid: rank_users(split, Phase::Valid, |user, _| score(&p, &q, user)),
        test: rank_users(split, Phase::Test, |user, _| score(&p, &q, user)),
        best_epoch,
        epochs,
        seconds: started.elapsed().as_secs_f64(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leave_last_out_keeps_the_order_and_drops_short_histories() {
        let split = LeaveLastOut::split(&[vec![4, 2, 7, 1], vec![3, 5], vec![0, 1, 2]]);
        assert_eq!(split.train, vec![vec![4, 2], vec![0]]);
        assert_eq!(split.valid, vec![7, 1]);
        assert_eq!(split.test, vec![1, 2]);
        assert_eq!(split.history(0, Phase::Test), vec![4, 2, 7]);
        assert_eq!(split.history(0, Phase::Valid), vec![4, 2]);
    }

    #[test]
    fn seen_items_are_not_ranked_but_the_target_is() {
        // Item 0 scores highest but was seen; the target (item 0 again, a re-watch) still counts.
        assert_eq!(masked_rank(vec![3.0, 2.0, 1.0, 0.5], &[0, 2], 3), 2);
        assert_eq!(masked_rank(vec![3.0, 2.0, 1.0], &[0], 0), 1);
    }
}
