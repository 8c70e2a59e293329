//! `tailor.toml`: a shop's column names, event weights and unknown-item policy. Every table and
//! key is checked (`deny_unknown_fields`), so a misspelt key is an error rather than a setting
//! silently ignored. Every key is optional; an absent file means all defaults.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use super::error::ShopError;
use tailor_core::bundle::MAX_SHOP_NAME;

/// The weights of the event names every shop gets; `[events.weights]` adds to or overrides them.
pub const DEFAULT_EVENT_WEIGHTS: [(&str, f32); 4] = [
    ("view", 1.0),
    ("click", 2.0),
    ("cart", 4.0),
    ("purchase", 8.0),
];

/// What to do with a log row (event, query, review, outfit item) whose item is not in the
/// catalog. Either way the rows are counted and reported.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UnknownItems {
    /// Drop the row.
    #[default]
    Skip,
    /// Stop with an error naming the first such row.
    Fail,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShopConfig {
    /// The shop's name, written into its bundles: it names the shopper's on-device history, so
    /// that every bundle of the shop and every update of one reads the same history. Default:
    /// the shop folder's name.
    pub name: Option<String>,
    #[serde(default)]
    pub unknown_items: UnknownItems,
    #[serde(default)]
    pub catalog: CatalogConfig,
    #[serde(default)]
    pub events: EventsConfig,
    #[serde(default)]
    pub queries: QueriesConfig,
    #[serde(default)]
    pub reviews: ReviewsConfig,
    #[serde(default)]
    pub outfits: OutfitsConfig,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CatalogConfig {
    #[serde(default)]
    pub columns: CatalogColumns,
}

/// The file's column name for each field, where it is not the field's own name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CatalogColumns {
    pub id: Option<String>,
    pub title: Option<String>,
    pub description: Option<String>,
    pub category: Option<String>,
    pub slot: Option<String>,
    pub image: Option<String>,
    pub price: Option<String>,
    pub currency: Option<String>,
    pub url: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventsConfig {
    #[serde(default)]
    pub columns: EventColumns,
    /// Event name -> weight, on top of [`DEFAULT_EVENT_WEIGHTS`].
    #[serde(default)]
    pub weights: BTreeMap<String, f64>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventColumns {
    pub user: Option<String>,
    pub item: Option<String>,
    pub event: Option<String>,
    pub time: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueriesConfig {
    #[serde(default)]
    pub columns: QueryColumns,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueryColumns {
    pub query: Option<String>,
    pub item: Option<String>,
    pub user: Option<String>,
    pub time: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReviewsConfig {
    #[serde(default)]
    pub columns: ReviewColumns,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReviewColumns {
    pub item: Option<String>,
    pub text: Option<String>,
    pub title: Option<String>,
    pub rating: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutfitsConfig {
    #[serde(default)]
    pub columns: OutfitColumns,
    /// Set for outfits that were generated rather than put together by people: a sentence
    /// saying how. The run's report and the bundle's manifest then label them SYNTHETIC.
    pub synthetic: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutfitColumns {
    pub outfit: Option<String>,
    pub item: Option<String>,
    pub user: Option<String>,
}

/// An event name and its weight; an event's `kind` indexes a list of these.
#[derive(Debug, Clone, PartialEq)]
pub struct EventKind {
    pub name: String,
    pub weight: f32,
}

impl ShopConfig {
    /// Reads `tailor.toml`. The file is small, so it is read whole (the data files never are).
    pub fn read(path: &Path) -> Result<ShopConfig, ShopError> {
        let bytes = std::fs::read(path).map_err(ShopError::io(path))?;
        let text = std::str::from_utf8(&bytes).map_err(|error| ShopError::ConfigNotUtf8 {
            path: path.to_path_buf(),
            line: line_at(&bytes, error.valid_up_to()) as u64,
        })?;
        let config: ShopConfig = toml::from_str(text).map_err(|error| ShopError::Config {
            path: path.to_path_buf(),
            line: error
                .span()
                .map(|span| line_at(text.as_bytes(), span.start)),
            toml: Box::new(error),
        })?;
        config.event_kinds(path)?;
        if let Some(name) = &config.name
            && (name.trim().is_empty() || name.len() > MAX_SHOP_NAME)
        {
            return Err(ShopError::BadShopName {
                path: path.to_path_buf(),
                max: MAX_SHOP_NAME,
            });
        }
        Ok(config)
    }

    /// The default event names in their order, then the other configured ones by name.
    /// `path` names tailor.toml in errors.
    pub fn event_kinds(&self, path: &Path) -> Result<Vec<EventKind>, ShopError> {
        let mut kinds: Vec<EventKind> = DEFAULT_EVENT_WEIGHTS
            .iter()
            .map(|&(name, weight)| EventKind {
                name: name.to_string(),
                weight,
            })
            .collect();
        for (name, &weight) in &self.events.weights {
            if !(weight.is_finite() && weight >= 0.0) {
                return Err(ShopError::BadWeight {
                    path: path.to_path_buf(),
                    event: name.clone(),
                    weight,
                });
            }
            let weight = weight as f32;
            match kinds.iter_mut().find(|kind| kind.name == *name) {
                Some(kind) => kind.weight = weight,
                None => kinds.push(EventKind {
                    name: name.clone(),
                    weight,
                }),
            }
        }
        // An event's kind is a u8.
        if kinds.len() > 256 {
            return Err(ShopError::TooManyEventNames {
                path: path.to_path_buf(),
                count: kinds.len(),
            });
        }
        Ok(kinds)
    }
}

/// The 1-based line of a byte offset.
fn line_at(bytes: &[u8], offset: usize) -> usize {
    1 + bytes[..offset.min(bytes.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
}
