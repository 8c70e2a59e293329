//! A shop arranged for text-request ranking: requests are the shop's search-log rows and
//! reviews (or, with neither, pseudo-requests made of each item's own text), items are the
//! catalog's, and each item's side is built from its catalog text and its *training* requests
//! only. Held-out requests reach nothing on the item side; `tests/leakage.rs` checks it.
//!
//! The split rule, seeded and documented in the README: requests are grouped by item in
//! catalog order (search-log rows first, then reviews, each in file order); every item with at
//! least `min_requests` requests gives one, drawn by a seeded shuffle, to test and one to
//! validation; everything else trains.

use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use tailor_data::shop::Shop;

use crate::next_item::LeaveLastOut;

/// Where a request comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestSource {
    /// A search-log row: the query, and the item clicked or bought after it.
    Query,
    /// A review's title and text, as the shopper who wrote it would have asked.
    Review,
    /// The item's own text (title, category, attributes), for a shop with neither.
    Pseudo,
}

/// One (request text, item) pair.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    pub text: String,
    /// Catalog position.
    pub item: usize,
    pub source: RequestSource,
    /// The shopper, for a search-log row that names one.
    pub user: Option<u32>,
    pub time_ms: Option<i64>,
    /// A review's title and rating, the candidates for the item's highlight.
    pub review_title: Option<String>,
    pub rating: Option<f32>,
}

/// How the requests are split.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SplitConfig {
    /// Items with at least this many requests give one to test and one to validation.
    pub min_requests: usize,
    pub seed: u64,
}

impl Default for SplitConfig {
    fn default() -> Self {
        Self {
            min_requests: 10,
            seed: 0,
        }
    }
}

/// Indices into the request list.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RequestSplit {
    pub train: Vec<usize>,
    pub valid: Vec<usize>,
    pub test: Vec<usize>,
}

/// What the item side may know about one item.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemText {
    pub id: String,
    /// What the item tower embeds: title, category path, attributes, description.
    pub text: String,
    /// The item's type: the last step of its category path, "" without one.
    pub class: String,
    /// Indices into the request list, all from the training part of the split.
    pub request_indices: Vec<usize>,
    /// The title of the best-rated training review that has one (then the earliest): a quote
    /// the page may show beside the title.
    pub highlight: Option<String>,
}

/// Requests, their split and the catalog's item texts, indexed by catalog position.
pub struct ShopCorpus {
    pub requests: Vec<Request>,
    pub split: RequestSplit,
    pub items: Vec<ItemText>,
}

impl ShopCorpus {
    pub fn new(shop: &Shop, config: &SplitConfig) -> Self {
        let mut requests = Vec::with_capacity(shop.queries.len() + shop.reviews.len());
        for query in &shop.queries {
            requests.push(Request {
                text: query.text.trim().to_string(),
                item: query.item as usize,
                source: RequestSource::Query,
                user: query.user,
                time_ms: query.time_ms,
                review_title: None,
                rating: None,
            });
        }
        for review in &shop.reviews {
            let text = match (review.title.trim(), review.text.trim()) {
                ("", text) => text.to_string(),
                (title, "") => title.to_string(),
                (title, text) => format!("{title}. {text}"),
            };
            requests.push(Request {
                text,
                item: review.item as usize,
                source: RequestSource::Review,
                user: None,
                time_ms: None,
                review_title: Some(review.title.trim().to_string()).filter(|t| !t.is_empty()),
                rating: review.rating,
            });
        }
        requests.retain(|r| !r.text.is_empty());
        let split = if requests.is_empty() {
            // Nothing to learn requests from: each item's own text trains, and nothing is held
            // out (the report says so; zero-shot MiniLM is the floor).
            requests = shop
                .catalog
                .items
                .iter()
                .enumerate()
                .map(|(item, entry)| Request {
                    text: entry.text(),
                    item,
                    source: RequestSource::Pseudo,
                    user: None,
                    time_ms: None,
                    review_title: None,
                    rating: None,
                })
                .filter(|r| !r.text.is_empty())
                .collect();
            RequestSplit {
                train: (0..requests.len()).collect(),
                ..RequestSplit::default()
            }
        } else {
            split_requests(&requests, shop.catalog.len(), config)
        };
        let items = item_texts(shop, &requests, &split.train);
        Self {
            requests,
            split,
            items,
        }
    }

    /// Whether the requests are the items' own texts rather than the shop's logs.
    pub fn pseudo(&self) -> bool {
        self.requests
            .first()
            .is_some_and(|r| r.source == RequestSource::Pseudo)
    }

    /// How many requests of each source there are.
    pub fn count(&self, source: RequestSource) -> usize {
        self.requests.iter().filter(|r| r.source == source).count()
    }

    /// Training requests per item, the popularity baseline's score.
    pub fn train_counts(&self) -> Vec<usize> {
        self.items.iter().map(|i| i.request_indices.len()).collect()
    }
}

/// The seeded split (see the module doc). Items are visited in catalog order, so the same seed
/// gives the same split on every machine.
pub fn split_requests(requests: &[Request], items: usize, config: &SplitConfig) -> RequestSplit {
    let mut by_item: Vec<Vec<usize>> = vec![Vec::new(); items];
    for (index, request) in requests.iter().enumerate() {
        if let Some(list) = by_item.get_mut(request.item) {
            list.push(index);
        }
    }
    let mut rng = ChaCha8Rng::seed_from_u64(config.seed);
    let mut split = RequestSplit::default();
    for mut indices in by_item.into_iter().filter(|l| !l.is_empty()) {
        if indices.len() >= config.min_requests.max(2) {
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

/// Item texts from the catalog and the given (training) request indices only.
fn item_texts(shop: &Shop, requests: &[Request], train: &[usize]) -> Vec<ItemText> {
    let mut by_item: Vec<Vec<usize>> = vec![Vec::new(); shop.catalog.len()];
    for &index in train {
        if let Some(list) = by_item.get_mut(requests[index].item) {
            list.push(index);
        }
    }
    shop.catalog
        .items
        .iter()
        .zip(by_item)
        .map(|(item, request_indices)| {
            let highlight = request_indices
                .iter()
                .filter_map(|&i| {
                    let r = &requests[i];
                    Some((r.review_title.as_deref()?, r.rating.unwrap_or(0.0), i))
                })
                .max_by(|a, b| a.1.total_cmp(&b.1).then(b.2.cmp(&a.2)))
                .map(|(title, _, _)| title.to_string());
            ItemText {
                id: item.id.clone(),
                text: item.text(),
                class: item.category.last().cloned().unwrap_or_default(),
                request_indices,
                highlight,
            }
        })
        .collect()
}

/// Real shopper histories for the given requests, one list per request (oldest first): for a
/// search-log row that names its shopper and time, the items of that shopper's events before
/// it with a positive weight, the most recent `max_history`; empty for any other request.
/// `None` when not one request has a history, so that the caller can say what it trains on
/// instead.
pub fn shopper_histories(
    shop: &Shop,
    requests: &[Request],
    indices: &[usize],
    max_history: usize,
) -> Option<Vec<Vec<usize>>> {
    if shop.events.rows.is_empty() || max_history == 0 {
        return None;
    }
    let by_user = timed_sequences(shop);
    let histories: Vec<Vec<usize>> = indices
        .iter()
        .map(|&index| {
            let request = &requests[index];
            let (Some(user), Some(time)) = (request.user, request.time_ms) else {
                return Vec::new();
            };
            let Some(events) = by_user.get(user as usize) else {
                return Vec::new();
            };
            let before = events.partition_point(|&(t, _)| t < time);
            events[before.saturating_sub(max_history)..before]
                .iter()
                .map(|&(_, item)| item)
                .collect()
        })
        .collect();
    histories.iter().any(|h| !h.is_empty()).then_some(histories)
}

/// Every shopper's events with a positive weight (tailor.toml), as (time in ms, item), oldest
/// first; events at the same instant keep their file order. Indexed like `shop.users`.
fn timed_sequences(shop: &Shop) -> Vec<Vec<(i64, usize)>> {
    let mut by_user: Vec<Vec<(i64, usize)>> = vec![Vec::new(); shop.users.len()];
    for event in &shop.events.rows {
        if shop.events.weight(event) > 0.0
            && let Some(list) = by_user.get_mut(event.user as usize)
        {
            list.push((event.time_ms, event.item as usize));
        }
    }
    for list in &mut by_user {
        list.sort_by_key(|&(time, _)| time);
    }
    by_user
}

/// The next-item protocol on the shop's events: every shopper's positive-weight items in time
/// order, split leave-last-out (the last for test, the one before for validation; shoppers
/// with fewer than three are left out). Empty without events.
pub fn next_item_split(shop: &Shop) -> LeaveLastOut {
    let sequences: Vec<Vec<usize>> = timed_sequences(shop)
        .into_iter()
        .map(|events| events.into_iter().map(|(_, item)| item).collect())
        .collect();
    LeaveLastOut::split(&sequences)
}
