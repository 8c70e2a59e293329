//! The Women's Clothing reviews arranged for text-request ranking: queries are reviews, items
//! are `Clothing ID`s, and each item's text is built from its class names and its *training*
//! reviews only. Held-out reviews reach nothing on the item side; `tests/leakage.rs` checks it.

use std::collections::BTreeMap;

use tailor_data::{CatalogItem, Review, ReviewSplit, SplitConfig, catalog, split_reviews};

/// What the item side may know about one item.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemText {
    pub item_id: i64,
    /// "Division / Department / Class", e.g. "General / Dresses / Dresses".
    pub class_text: String,
    pub class: String,
    /// Indices into the review list, all from the training part of the split.
    pub review_indices: Vec<usize>,
    /// Title of the most helpful training review that has one (most positive feedback,
    /// then the earliest row).
    pub best_review_title: Option<String>,
}

impl ItemText {
    /// What a shopper sees: the class and the most helpful review title, both from the data.
    pub fn display_title(&self) -> String {
        match &self.best_review_title {
            Some(title) => format!("{}: \u{201c}{}\u{201d}", self.class_or_item(), title),
            None => self.class_or_item(),
        }
    }

    fn class_or_item(&self) -> String {
        if self.class.is_empty() {
            format!("Item {}", self.item_id)
        } else {
            self.class.clone()
        }
    }
}

/// Reviews, their split and the catalog, with a dense index for every item.
pub struct ReviewCorpus {
    pub reviews: Vec<Review>,
    pub split: ReviewSplit,
    pub catalog: Vec<CatalogItem>,
    pub items: Vec<ItemText>,
    index_of: BTreeMap<i64, usize>,
}

impl ReviewCorpus {
    pub fn new(reviews: Vec<Review>, config: &SplitConfig) -> Self {
        let split = split_reviews(&reviews, config);
        let catalog = catalog(&reviews);
        let items = item_texts(&reviews, &split.train, &catalog);
        let index_of = catalog
            .iter()
            .enumerate()
            .map(|(index, item)| (item.item_id, index))
            .collect();
        Self {
            reviews,
            split,
            catalog,
            items,
            index_of,
        }
    }

    /// Dense index of an item id (its position in `catalog` and `items`).
    pub fn item_index(&self, item_id: i64) -> Option<usize> {
        self.index_of.get(&item_id).copied()
    }

    /// (request text, item index) for the given review indices.
    pub fn queries(&self, indices: &[usize]) -> Vec<(String, usize)> {
        indices
            .iter()
            .filter_map(|&i| {
                let review = &self.reviews[i];
                Some((review.request(), self.item_index(review.item_id)?))
            })
            .collect()
    }

    /// Training reviews per item, the popularity baseline's score.
    pub fn train_counts(&self) -> Vec<usize> {
        self.items.iter().map(|i| i.review_indices.len()).collect()
    }
}

/// Item texts from the catalog and the given (training) review indices only.
pub fn item_texts(reviews: &[Review], train: &[usize], catalog: &[CatalogItem]) -> Vec<ItemText> {
    let mut by_item: BTreeMap<i64, Vec<usize>> = BTreeMap::new();
    for &index in train {
        by_item
            .entry(reviews[index].item_id)
            .or_default()
            .push(index);
    }
    catalog
        .iter()
        .map(|item| {
            let review_indices = by_item.remove(&item.item_id).unwrap_or_default();
            let best_review_title = review_indices
                .iter()
                .map(|&i| &reviews[i])
                .filter(|r| !r.title.trim().is_empty())
                .max_by_key(|r| (r.positive_feedback, std::cmp::Reverse(r.row)))
                .map(|r| r.title.trim().to_string());
            let class_text = [&item.division, &item.department, &item.class]
                .iter()
                .filter(|s| !s.is_empty())
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(" / ");
            ItemText {
                item_id: item.item_id,
                class_text,
                class: item.class.clone(),
                review_indices,
                best_review_title,
            }
        })
        .collect()
}
