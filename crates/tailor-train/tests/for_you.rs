//! The "for you" trainer on shoppers who walk a cycle of items (made-up data, for the trainer
//! alone): it learns that the next item follows the last one, which popularity cannot know, and
//! a run stopped between epochs and resumed ends exactly where an uninterrupted one does.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;

use burn::prelude::Device;
use indicatif::ProgressBar;
use tailor_core::quant::EmbeddingMatrix;
use tailor_train::for_you::{
    ForYouTraining, Request, SequenceConfig, SequenceData, evaluate, load_for_you, train_for_you,
};
use tailor_train::next_item::{EpochLog, LeaveLastOut, Phase, popularity_scores, rank_users};

const ITEMS: usize = 12;

/// 40 shoppers, each 8 steps along the cycle 0, 1, ..., 11, 0, ... from their own start.
fn split() -> LeaveLastOut {
    let histories: Vec<Vec<usize>> = (0..40)
        .map(|user| (0..8).map(|t| (user * 5 + t) % ITEMS).collect())
        .collect();
    LeaveLastOut::split(&histories)
}

fn content() -> EmbeddingMatrix {
    let values = (0..ITEMS * 8)
        .map(|i| ((i * 37) % 17) as f32 / 17.0 - 0.5)
        .collect();
    EmbeddingMatrix::new(ITEMS, 8, values).unwrap()
}

fn config() -> SequenceConfig {
    SequenceConfig::new()
        .with_dim(16)
        .with_hidden(32)
        .with_epochs(6)
        .with_patience(10)
        .with_pretrain_epochs(1)
        .with_batch_size(16)
        .with_learning_rate(1e-2)
}

fn train(dir: &Path, log: &dyn Fn(&str)) -> ForYouTraining {
    let (split, content) = (split(), content());
    let data = SequenceData {
        split: &split,
        content: &content,
        target_requests: None,
    };
    train_for_you(
        &data,
        &config(),
        dir,
        &Device::flex(),
        &ProgressBar::hidden(),
        log,
    )
    .unwrap()
}

/// Epoch, loss and validation NDCG@10 of each record; the loss to 12 significant digits, since
/// the records of the epochs before a stop come back through progress.json, and serde_json's
/// float parsing may land one ulp away.
fn records(epochs: &[EpochLog]) -> Vec<(usize, String, u64)> {
    epochs
        .iter()
        .map(|e| {
            (
                e.epoch,
                format!("{:.12e}", e.train_loss),
                e.valid_ndcg_at_10.to_bits(),
            )
        })
        .collect()
}

#[test]
fn the_head_learns_what_comes_next_and_a_stopped_run_resumes_to_the_same_end() {
    let temp = tempfile::tempdir().unwrap();
    let whole = train(&temp.path().join("whole"), &|_| {});

    let (split, content) = (split(), content());
    let data = SequenceData {
        split: &split,
        content: &content,
        target_requests: None,
    };
    let (model, record) = load_for_you(
        &data,
        &config(),
        &temp.path().join("whole"),
        &Device::flex(),
    )
    .unwrap();
    assert_eq!(record.best_epoch, whole.trained.best_epoch);
    let head = evaluate(&model, &data, &config(), Request::LastItem, Phase::Test).unwrap();
    let popularity = popularity_scores(&split.train, ITEMS);
    let baseline = rank_users(&split, Phase::Test, |_, _| popularity.clone());
    assert!(
        head.ndcg_at_10 > baseline.ndcg_at_10 + 0.2,
        "head {head:?} against popularity {baseline:?}"
    );

    // Stopped while reporting epoch 3, before its checkpoint: epochs 1 and 2 are kept.
    let resumed_dir = temp.path().join("resumed");
    let stopped = catch_unwind(AssertUnwindSafe(|| {
        train(&resumed_dir, &|line| {
            if line.starts_with("epoch 3:") {
                panic!("stopped");
            }
        })
    }));
    assert!(stopped.is_err());
    let partial: serde_json::Value =
        serde_json::from_slice(&std::fs::read(resumed_dir.join("progress.json")).unwrap()).unwrap();
    assert_eq!(partial["epochs_done"], 2);
    assert!(load_for_you(&data, &config(), &resumed_dir, &Device::flex()).is_err());

    let said = std::cell::RefCell::new(Vec::new());
    let resumed = train(&resumed_dir, &|line| {
        said.borrow_mut().push(line.to_string())
    });
    // It picks up after epoch 2: no pretraining again, no epoch trained twice.
    let said = said.into_inner();
    assert!(said[0].starts_with("epoch 3:"), "{said:?}");
    assert_eq!(said.len(), 4, "{said:?}");
    assert_eq!(
        records(&resumed.trained.epochs),
        records(&whole.trained.epochs)
    );
    assert_eq!(resumed.trained.best_epoch, whole.trained.best_epoch);
    assert_eq!(resumed.pretraining_loss, whole.pretraining_loss);
    let again = evaluate(
        &resumed.trained.model,
        &data,
        &config(),
        Request::LastItem,
        Phase::Test,
    )
    .unwrap();
    assert_eq!(again.ndcg_at_10.to_bits(), head.ndcg_at_10.to_bits());
}
