//! The shop format: a folder holding what a shop brings to Tailor, read whole and checked
//! before anything is trained on it.
//!
//! ```text
//! shop/
//!   catalog.*    id, title [description, category, slot, image, price, currency, url, attributes]
//!   events.*     user, item, event, time                  (optional)
//!   queries.*    query, item [user, time]                 (optional)
//!   reviews.*    item, text [title, rating]               (optional)
//!   outfits.*    outfit, item [user], one row per item    (optional)
//!   images/      the pictures that `image` names          (optional)
//!   tailor.toml  column names, event weights, unknown_items = "skip" | "fail"  (optional)
//! ```
//!
//! Each table is `.csv`, `.tsv`, `.jsonl` or `.parquet`. The main design choice: one streaming
//! row reader ([`TableFormat`] over every format) feeds every file, and the first problem
//! stops the open with a typed [`ShopError`] naming the file and line (or Parquet row), so a
//! shop either opens clean or not at all. The one exception is a log row naming an item that
//! is not in the catalog: logs outlive items, so such rows are counted, reported in the
//! [`ShopSummary`] and skipped, unless tailor.toml says `unknown_items = "fail"`. Logs are
//! stored compactly (see [`Event`]) so that a million items and ten million events fit in a
//! few GB.

mod catalog;
mod config;
mod error;
mod key;
mod logs;
mod outfit_data;
mod table;

use std::fmt;
use std::path::{Path, PathBuf};

pub use catalog::{Catalog, Item};
pub use config::{
    CatalogColumns, CatalogConfig, DEFAULT_EVENT_WEIGHTS, EventColumns, EventKind, EventsConfig,
    OutfitColumns, OutfitsConfig, QueriesConfig, QueryColumns, ReviewColumns, ReviewsConfig,
    ShopConfig, UnknownItems,
};
pub use error::{At, Place, ShopError, escaped, printable};
pub use logs::{Event, Events, Outfit, Query, Review, UnknownItemCount, parse_time_ms};
pub use outfit_data::{MAX_SHOP_SLOTS, ShopOutfitData};
pub use table::TableFormat;

pub(crate) use table::Table;

use logs::{LogContext, LogCounts, Users};

/// The config file's name inside a shop folder.
pub const CONFIG_FILE: &str = "tailor.toml";

/// A shop folder, read and checked.
#[derive(Debug, Clone)]
pub struct Shop {
    pub dir: PathBuf,
    pub config: ShopConfig,
    pub catalog: Catalog,
    /// User (or session) ids of every log, indexed by the logs' `user` fields.
    pub users: Vec<String>,
    /// Empty without an events file.
    pub events: Events,
    pub queries: Vec<Query>,
    pub reviews: Vec<Review>,
    pub outfits: Vec<Outfit>,
    pub summary: ShopSummary,
}

impl Shop {
    /// The shop's name: tailor.toml's `name`, else the shop folder's name.
    pub fn name(&self) -> String {
        if let Some(name) = self
            .config
            .name
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty())
        {
            return name.to_owned();
        }
        let dir = std::fs::canonicalize(&self.dir).unwrap_or_else(|_| self.dir.clone());
        dir.file_name().map_or_else(
            || "shop".to_owned(),
            |name| name.to_string_lossy().into_owned(),
        )
    }

    /// Reads and checks every file of the shop in `dir`.
    pub fn open(dir: impl AsRef<Path>) -> Result<Shop, ShopError> {
        let dir = dir.as_ref();
        if !dir.is_dir() {
            return Err(ShopError::NotAFolder {
                path: dir.to_path_buf(),
            });
        }
        let config_path = dir.join(CONFIG_FILE);
        let config = if config_path.is_file() {
            ShopConfig::read(&config_path)?
        } else {
            ShopConfig::default()
        };
        let kinds = config.event_kinds(&config_path)?;

        let (catalog_path, format) =
            find_table(dir, "catalog")?.ok_or_else(|| ShopError::NoCatalog {
                dir: dir.to_path_buf(),
            })?;
        let (catalog, counts) =
            catalog::read_catalog(&catalog_path, format, &config.catalog.columns, dir)?;
        let catalog_summary = FileSummary {
            path: catalog_path,
            format,
            rows: counts.rows,
            kept: catalog.len() as u64,
            unknown_items: UnknownItemCount::default(),
            dropped: 0,
        };

        let mut users = Users::default();
        let mut context = LogContext {
            catalog: &catalog,
            users: &mut users,
            policy: config.unknown_items,
        };
        let mut events = Events {
            rows: Vec::new(),
            kinds: kinds.clone(),
        };
        let events_summary = match find_table(dir, "events")? {
            Some((path, format)) => {
                let (read, counts) =
                    logs::read_events(&path, format, &config.events.columns, kinds, &mut context)?;
                events = read;
                Some(FileSummary::new(path, format, counts))
            }
            None => None,
        };
        let (queries, queries_summary) = match find_table(dir, "queries")? {
            Some((path, format)) => {
                let (read, counts) =
                    logs::read_queries(&path, format, &config.queries.columns, &mut context)?;
                (read, Some(FileSummary::new(path, format, counts)))
            }
            None => (Vec::new(), None),
        };
        let (reviews, reviews_summary) = match find_table(dir, "reviews")? {
            Some((path, format)) => {
                let (read, counts) =
                    logs::read_reviews(&path, format, &config.reviews.columns, &mut context)?;
                (read, Some(FileSummary::new(path, format, counts)))
            }
            None => (Vec::new(), None),
        };
        let (outfits, outfits_summary) = match find_table(dir, "outfits")? {
            Some((path, format)) => {
                let (read, counts) =
                    logs::read_outfits(&path, format, &config.outfits.columns, &mut context)?;
                (read, Some(FileSummary::new(path, format, counts)))
            }
            None => (Vec::new(), None),
        };
        let users = users.into_names();

        let mut slots: Vec<(String, usize)> = Vec::new();
        for item in catalog.items.iter().filter(|item| !item.slot.is_empty()) {
            match slots.iter_mut().find(|(slot, _)| *slot == item.slot) {
                Some((_, count)) => *count += 1,
                None => slots.push((item.slot.clone(), 1)),
            }
        }
        let mut event_counts: Vec<(String, u64)> = events
            .kinds
            .iter()
            .map(|kind| (kind.name.clone(), 0))
            .collect();
        for event in &events.rows {
            event_counts[usize::from(event.kind)].1 += 1;
        }
        event_counts.retain(|(_, count)| *count > 0);
        let summary = ShopSummary {
            dir: dir.to_path_buf(),
            config: config_path.is_file().then_some(config_path),
            items: catalog.len(),
            untitled_items: counts.untitled,
            items_with_image: counts.with_image,
            slots,
            attributes: catalog.attribute_names.clone(),
            catalog: catalog_summary,
            events: events_summary,
            event_counts,
            queries: queries_summary,
            reviews: reviews_summary,
            outfits: outfits_summary,
            outfit_count: outfits.len(),
            users: users.len(),
            images_dir: dir.join("images").is_dir(),
        };
        Ok(Shop {
            dir: dir.to_path_buf(),
            config,
            catalog,
            users,
            events,
            queries,
            reviews,
            outfits,
            summary,
        })
    }

    /// The picture file of an item, if its `image` names one in the shop (not a URL).
    pub fn image_path(&self, item: &Item) -> Option<PathBuf> {
        catalog::image_file(&self.dir, &item.image).and_then(Result::ok)
    }

    /// Every item's text for embedding ([`Item::text`]), in catalog order.
    pub fn item_texts(&self) -> impl Iterator<Item = String> + '_ {
        self.catalog.items.iter().map(Item::text)
    }
}

/// `<stem>.csv`, `.tsv`, `.jsonl` or `.parquet` in `dir`, if there is one; two are an error.
fn find_table(dir: &Path, stem: &'static str) -> Result<Option<(PathBuf, TableFormat)>, ShopError> {
    let mut found: Option<(PathBuf, TableFormat)> = None;
    for format in TableFormat::ALL {
        let path = dir.join(format!("{stem}.{}", format.extension()));
        if !path.is_file() {
            continue;
        }
        if let Some((first, _)) = found {
            return Err(ShopError::TwoFiles {
                name: stem,
                first,
                second: path,
            });
        }
        found = Some((path, format));
    }
    Ok(found)
}

/// What one file held.
#[derive(Debug, Clone, PartialEq)]
pub struct FileSummary {
    pub path: PathBuf,
    pub format: TableFormat,
    /// Data rows read.
    pub rows: u64,
    /// Rows kept (for outfits: item rows of the outfits kept).
    pub kept: u64,
    pub unknown_items: UnknownItemCount,
    /// Dropped for another reason: empty queries, reviews with neither title nor text, outfits
    /// left with fewer than two items.
    pub dropped: u64,
}

impl FileSummary {
    fn new(path: PathBuf, format: TableFormat, counts: LogCounts) -> Self {
        Self {
            path,
            format,
            rows: counts.rows,
            kept: counts.kept,
            unknown_items: counts.unknown,
            dropped: counts.dropped,
        }
    }

    fn name(&self) -> String {
        self.path.file_name().map_or_else(
            || self.path.display().to_string(),
            |name| name.to_string_lossy().into_owned(),
        )
    }
}

/// What a shop holds, for `tailor check-data` and logs: counts per file, unknown items, which
/// optional files exist. Its `Display` is the report, one file per line.
#[derive(Debug, Clone, PartialEq)]
pub struct ShopSummary {
    pub dir: PathBuf,
    /// The tailor.toml read, if there was one.
    pub config: Option<PathBuf>,
    pub catalog: FileSummary,
    pub items: usize,
    pub untitled_items: usize,
    pub items_with_image: usize,
    /// Outfit slots and their item counts, in order of first appearance.
    pub slots: Vec<(String, usize)>,
    pub attributes: Vec<String>,
    pub events: Option<FileSummary>,
    /// Kept events per event name, for the names that occur.
    pub event_counts: Vec<(String, u64)>,
    pub queries: Option<FileSummary>,
    pub reviews: Option<FileSummary>,
    pub outfits: Option<FileSummary>,
    pub outfit_count: usize,
    /// Distinct users across events, queries and outfits.
    pub users: usize,
    pub images_dir: bool,
}

impl ShopSummary {
    /// The optional files that are not there, e.g. `["queries", "images/"]`.
    pub fn missing(&self) -> Vec<&'static str> {
        [
            ("events", self.events.is_some()),
            ("queries", self.queries.is_some()),
            ("reviews", self.reviews.is_some()),
            ("outfits", self.outfits.is_some()),
            ("images/", self.images_dir),
            (CONFIG_FILE, self.config.is_some()),
        ]
        .into_iter()
        .filter(|(_, present)| !present)
        .map(|(name, _)| name)
        .collect()
    }
}

/// `name 3, other 2`.
fn counted<T: fmt::Display>(pairs: &[(String, T)]) -> String {
    pairs
        .iter()
        .map(|(name, count)| format!("{} {count}", printable(name)))
        .collect::<Vec<_>>()
        .join(", ")
}

impl fmt::Display for ShopSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "shop {}", self.dir.display())?;
        write!(
            f,
            "  {}: {} items, {} with a picture",
            self.catalog.name(),
            self.items,
            self.items_with_image
        )?;
        if self.untitled_items > 0 {
            write!(f, ", {} without a title", self.untitled_items)?;
        }
        if !self.slots.is_empty() {
            write!(f, "; slots: {}", counted(&self.slots))?;
        }
        if !self.attributes.is_empty() {
            let names: Vec<String> = self.attributes.iter().map(|name| printable(name)).collect();
            write!(f, "; attributes: {}", names.join(", "))?;
        }
        writeln!(f)?;
        let logs = [
            (&self.events, "events"),
            (&self.queries, "queries"),
            (&self.reviews, "reviews"),
            (&self.outfits, "outfits"),
        ];
        for (file, what) in logs {
            let Some(file) = file else { continue };
            write!(f, "  {}: {} rows", file.name(), file.rows)?;
            match what {
                "events" => write!(
                    f,
                    ", {} events kept ({})",
                    file.kept,
                    counted(&self.event_counts)
                )?,
                "outfits" => write!(f, ", {} outfits", self.outfit_count)?,
                _ => write!(f, ", {} kept", file.kept)?,
            }
            if file.dropped > 0 {
                let reason = match what {
                    "outfits" => "outfits with fewer than 2 items dropped",
                    "reviews" => "empty reviews dropped",
                    _ => "empty queries dropped",
                };
                write!(f, ", {} {reason}", file.dropped)?;
            }
            let unknown = &file.unknown_items;
            if unknown.rows > 0 {
                let examples: Vec<String> = unknown.examples.iter().map(|e| escaped(e)).collect();
                let verb = if unknown.rows == 1 {
                    "names an item"
                } else {
                    "name items"
                };
                write!(
                    f,
                    "; {} {verb} not in the catalog, skipped (e.g. {})",
                    error::rows_of(unknown.rows),
                    examples.join(", ")
                )?;
            }
            writeln!(f)?;
        }
        writeln!(f, "  users: {}", self.users)?;
        let missing = self.missing();
        if missing.is_empty() {
            write!(f, "  every optional file is there")
        } else {
            write!(f, "  not there (optional): {}", missing.join(", "))
        }
    }
}
