//! Ranking metrics against hand-computed values, and the SVG plots on ordinary and degenerate
//! input.

use std::path::Path;

use tailor_train::TrainError;
use tailor_train::metrics::{
    RECALL_CUTOFFS, RankingMetrics, markdown_table, rank_of, recall_curve,
};
use tailor_train::plots::{EpochRecord, plot_recall_at_k, plot_training_curves};

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-12
}

#[test]
fn rank_of_orders_by_descending_score() {
    let scores = [0.1, 0.9, 0.5, -2.0];
    assert_eq!(rank_of(&scores, 1), 1);
    assert_eq!(rank_of(&scores, 2), 2);
    assert_eq!(rank_of(&scores, 0), 3);
    assert_eq!(rank_of(&scores, 3), 4);
}

#[test]
fn rank_of_breaks_ties_toward_lower_index() {
    let constant = [0.5; 5];
    for target in 0..5 {
        assert_eq!(rank_of(&constant, target), target + 1);
    }
    // Index 3 ties with 1 (ranks after it) and beats the lower 0.2 at index 0.
    let scores = [0.2, 0.7, 0.9, 0.7];
    assert_eq!(rank_of(&scores, 1), 2);
    assert_eq!(rank_of(&scores, 3), 3);
    assert_eq!(rank_of(&scores, 0), 4);
}

#[test]
fn rank_of_puts_nan_last() {
    let scores = [f32::NAN, f32::NEG_INFINITY, 0.3, f32::NAN, f32::INFINITY];
    assert_eq!(rank_of(&scores, 4), 1);
    assert_eq!(rank_of(&scores, 2), 2);
    assert_eq!(rank_of(&scores, 1), 3);
    // NaNs tie among themselves, so the lower index goes first.
    assert_eq!(rank_of(&scores, 0), 4);
    assert_eq!(rank_of(&scores, 3), 5);
    assert_eq!(rank_of(&[f32::NAN], 0), 1);
}

#[test]
fn rank_of_matches_core_top_k() {
    // Few distinct values, so there are many ties; -0.0 and 0.0 both appear.
    let scores: Vec<f32> = (0..200u32)
        .map(|i| {
            [0.0, -0.0, 1.5, -3.25, 1.5, 7.0][(i.wrapping_mul(2_654_435_761) >> 7) as usize % 6]
        })
        .collect();
    let ranking = tailor_core::top_k(&scores, scores.len()).expect("no NaN, k = n");
    for (position, hit) in ranking.iter().enumerate() {
        assert_eq!(
            rank_of(&scores, hit.index),
            position + 1,
            "item {}",
            hit.index
        );
    }
}

#[test]
#[should_panic(expected = "out of range")]
fn rank_of_rejects_a_target_outside_the_scores() {
    rank_of(&[1.0, 2.0], 2);
}

#[test]
fn from_ranks_matches_hand_computed_values() {
    let m = RankingMetrics::from_ranks(&[1, 2, 11, 60]);
    assert_eq!(m.queries, 4);
    assert!(close(m.recall_at_1, 0.25));
    assert!(close(m.recall_at_5, 0.5));
    assert!(close(m.recall_at_10, 0.5));
    assert!(close(m.recall_at_20, 0.75));
    assert!(close(m.recall_at_50, 0.75));
    assert!(close(m.mrr, (1.0 + 0.5 + 1.0 / 11.0 + 1.0 / 60.0) / 4.0));
    assert!(close(m.ndcg_at_10, (1.0 + 1.0 / 3f64.log2()) / 4.0));
}

#[test]
fn from_ranks_at_the_cutoffs() {
    // Each cutoff is inclusive.
    let m = RankingMetrics::from_ranks(&RECALL_CUTOFFS);
    assert!(close(m.recall_at_1, 0.25));
    assert!(close(m.recall_at_5, 0.5));
    assert!(close(m.recall_at_10, 0.75));
    assert!(close(m.recall_at_50, 1.0));
    assert!(close(
        m.ndcg_at_10,
        (1.0 + 1.0 / 6f64.log2() + 1.0 / 11f64.log2()) / 4.0
    ));

    let perfect = RankingMetrics::from_ranks(&[1; 7]);
    assert_eq!(perfect.queries, 7);
    for value in [
        perfect.recall_at_1,
        perfect.recall_at_50,
        perfect.mrr,
        perfect.ndcg_at_10,
    ] {
        assert!(close(value, 1.0));
    }
}

#[test]
fn from_ranks_of_nothing_is_all_zeros() {
    let m = RankingMetrics::from_ranks(&[]);
    assert_eq!(
        m,
        RankingMetrics {
            queries: 0,
            recall_at_1: 0.0,
            recall_at_5: 0.0,
            recall_at_10: 0.0,
            recall_at_20: 0.0,
            recall_at_50: 0.0,
            mrr: 0.0,
            ndcg_at_10: 0.0,
        }
    );
    // Zeros, not NaN, so it round-trips through JSON.
    let json = serde_json::to_string(&m).expect("serialize");
    let back: RankingMetrics = serde_json::from_str(&json).expect("deserialize");
    assert_eq!(back, m);
}

#[test]
#[should_panic(expected = "1-based")]
fn from_ranks_rejects_rank_zero() {
    RankingMetrics::from_ranks(&[1, 0]);
}

#[test]
fn recall_curve_is_monotone_and_ends_at_recall_at_max_k() {
    let ranks = [1, 2, 11, 60, 3, 3, 50, 1000];
    let curve = recall_curve(&ranks, 50);
    assert_eq!(curve.len(), 50);
    assert_eq!(curve[0], (1, 0.125));
    for (i, pair) in curve.windows(2).enumerate() {
        assert_eq!(pair[0].0, i + 1);
        assert!(pair[0].1 <= pair[1].1);
    }
    let m = RankingMetrics::from_ranks(&ranks);
    assert!(close(curve[49].1, m.recall_at_50));
    assert!(close(curve[9].1, m.recall_at_10));
    assert!(close(curve[4].1, m.recall_at_5));
    assert!(close(curve[0].1, m.recall_at_1));

    assert!(recall_curve(&ranks, 0).is_empty());
    assert_eq!(recall_curve(&[], 3), vec![(1, 0.0), (2, 0.0), (3, 0.0)]);
}

#[test]
fn markdown_table_has_one_row_per_method() {
    let rows = vec![
        (
            "model".to_string(),
            RankingMetrics::from_ranks(&[1, 2, 11, 60]),
        ),
        ("pop|ular".to_string(), RankingMetrics::from_ranks(&[])),
    ];
    let table = markdown_table(&rows);
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 4);
    assert_eq!(
        lines[0],
        "| method | R@1 | R@5 | R@10 | R@50 | MRR | NDCG@10 |"
    );
    assert_eq!(
        lines[2],
        "| model | 0.250 | 0.500 | 0.500 | 0.750 | 0.402 | 0.408 |"
    );
    assert_eq!(
        lines[3],
        "| pop\\|ular | 0.000 | 0.000 | 0.000 | 0.000 | 0.000 | 0.000 |"
    );
    // Seven columns on every line: an escaped pipe does not split a cell.
    assert!(
        lines
            .iter()
            .all(|line| line.replace("\\|", "").matches('|').count() == 8)
    );
}

fn epoch(epoch: usize, loss: f64, recall: f64) -> EpochRecord {
    EpochRecord {
        epoch,
        train_loss: loss,
        train_bce: loss * 0.25,
        train_info_nce: loss * 0.75,
        valid_recall_at_10: recall,
        valid_mrr: recall / 2.0,
        seconds: 12.5,
    }
}

fn read_svg(path: &Path) -> String {
    let svg = std::fs::read_to_string(path).expect("plot written");
    assert!(svg.starts_with("<svg"), "{}", &svg[..svg.len().min(80)]);
    assert!(svg.trim_end().ends_with("</svg>"));
    svg
}

#[test]
fn training_curves_svg_has_title_labels_and_legend() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("training.svg");
    // Out of order on purpose, with a NaN gap in the middle.
    let epochs = vec![
        epoch(2, 3.0, 0.3),
        epoch(1, 4.0, 0.2),
        epoch(3, f64::NAN, f64::NAN),
        epoch(4, 2.0, 0.5),
        epoch(5, 1.5, 0.55),
    ];
    plot_training_curves(&path, "WhisperLite run 7", &epochs).expect("plot");
    let svg = read_svg(&path);
    for text in [
        "WhisperLite run 7",
        "training loss",
        "validation",
        "epoch",
        "loss",
        "Recall@10 / MRR",
        "total",
        "BCE",
        "InfoNCE",
        "MRR",
        "<text",
    ] {
        assert!(svg.contains(text), "missing {text:?}");
    }
    assert!(!svg.contains("NaN"));
}

#[test]
fn training_curves_of_zero_one_or_many_epochs_are_valid_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    let empty = dir.path().join("empty.svg");
    plot_training_curves(&empty, "no epochs yet", &[]).expect("zero epochs plot");
    let svg = read_svg(&empty);
    assert!(svg.contains("no epochs yet"));
    assert!(svg.contains("epoch"));

    let one = dir.path().join("one.svg");
    plot_training_curves(&one, "one epoch", &[epoch(0, 0.7, 0.1)]).expect("one epoch plot");
    let svg = read_svg(&one);
    // A single epoch is still drawn, as markers.
    assert!(svg.contains("<circle"));

    let many = dir.path().join("many.svg");
    let epochs: Vec<EpochRecord> = (1..=40)
        .map(|e| epoch(e, 5.0 / e as f64, 1.0 - 1.0 / e as f64))
        .collect();
    plot_training_curves(&many, "forty epochs", &epochs).expect("many epochs plot");
    read_svg(&many);

    let nan = dir.path().join("nan.svg");
    let all_nan = epoch(1, f64::NAN, f64::INFINITY);
    let huge = epoch(2, f64::MAX, -f64::MAX);
    plot_training_curves(&nan, "nan", &[all_nan.clone(), huge]).expect("nan plot");
    plot_training_curves(&nan, "nan", &[all_nan]).expect("nan plot");
    read_svg(&nan);
}

#[test]
fn recall_at_k_svg_has_title_labels_and_methods() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("recall.svg");
    let series = vec![
        (
            "WhisperLite".to_string(),
            recall_curve(&[1, 2, 3, 8, 20, 70], 50),
        ),
        (
            "popularity".to_string(),
            recall_curve(&[5, 30, 90, 400], 50),
        ),
        (
            "gappy".to_string(),
            vec![(0, 0.1), (1, 0.2), (2, f64::NAN), (3, 0.4), (4, 0.5)],
        ),
    ];
    plot_recall_at_k(&path, "Recall@K, valid split", &series).expect("plot");
    let svg = read_svg(&path);
    for text in [
        "Recall@K, valid split",
        "K (log scale)",
        "Recall@K",
        "WhisperLite",
        "popularity",
        "gappy",
    ] {
        assert!(svg.contains(text), "missing {text:?}");
    }
}

#[test]
fn recall_at_k_of_empty_series_is_a_valid_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("empty.svg");
    plot_recall_at_k(&path, "nothing", &[]).expect("empty plot");
    assert!(read_svg(&path).contains("nothing"));

    let degenerate = vec![
        ("empty".to_string(), vec![]),
        ("one point".to_string(), vec![(1, 0.5)]),
        ("all nan".to_string(), vec![(1, f64::NAN), (2, f64::NAN)]),
    ];
    plot_recall_at_k(&path, "degenerate", &degenerate).expect("degenerate plot");
    let svg = read_svg(&path);
    for name in ["empty", "one point", "all nan"] {
        assert!(svg.contains(name), "missing {name:?}");
    }
}

#[test]
fn unwritable_path_is_an_io_error_naming_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("missing-dir").join("plot.svg");
    let error = plot_recall_at_k(&path, "t", &[]).expect_err("parent does not exist");
    assert!(matches!(&error, TrainError::Io { path: p, .. } if p == &path));
    let error = plot_training_curves(&path, "t", &[]).expect_err("parent does not exist");
    assert!(error.to_string().contains("plot.svg"));
}
