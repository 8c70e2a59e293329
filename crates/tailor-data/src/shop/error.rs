//! What can be wrong with a shop folder. Every variant names the file and, where there is one,
//! the line (text files) or row (Parquet) as `file:line` / `file, row N`. Values taken from the
//! files are stored verbatim but shown escaped and shortened, so hostile text (HTML, terminal
//! escapes, megabyte fields) cannot garble a terminal or a log.

use std::fmt;
use std::path::{Path, PathBuf};

use thiserror::Error;

/// Where in a file: a line of a text file, or a data row of a Parquet file (both from 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Place {
    Line(u64),
    Row(u64),
}

/// A place in a named file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct At {
    pub path: PathBuf,
    pub place: Place,
}

impl At {
    pub(crate) fn new(path: &Path, place: Place) -> Self {
        Self {
            path: path.to_path_buf(),
            place,
        }
    }
}

impl fmt::Display for At {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path.display())?;
        self.place.fmt(f)
    }
}

impl fmt::Display for Place {
    /// `:12` for a line, `, row 12` for a Parquet row, to follow a file name.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Place::Line(line) => write!(f, ":{line}"),
            Place::Row(row) => write!(f, ", row {row}"),
        }
    }
}

/// The longest value shown in a message, in characters; the rest is counted, not shown.
const SHOWN_CHARS: usize = 60;

/// A file's value as it appears in a message: quoted and escaped as Rust's `{:?}` does (control
/// and invisible characters become `\u{1b}`, `\n` ...), cut after [`SHOWN_CHARS`] characters.
pub fn escaped(value: &str) -> String {
    let mut chars = value.chars();
    let shown: String = chars.by_ref().take(SHOWN_CHARS).collect();
    match chars.count() {
        0 => format!("{shown:?}"),
        rest => format!("{shown:?} (and {rest} more characters)"),
    }
}

/// Text shown unquoted (a TOML parser message, a column name in a summary) with the characters
/// that `{:?}` escapes (control, bidi, zero-width ...) escaped, and quotes left alone.
pub fn printable(text: &str) -> String {
    let mut shown = String::with_capacity(text.len());
    let mut one = String::new();
    for c in text.chars() {
        one.clear();
        one.push(c);
        let debug = format!("{one:?}");
        match &debug[1..debug.len() - 1] {
            escape if escape.starts_with("\\u") || escape.len() == 2 && c.is_control() => {
                shown.push_str(escape)
            }
            _ => shown.push(c),
        }
    }
    shown
}

/// Several values, escaped and comma-separated.
fn escaped_list(values: &[String]) -> String {
    values
        .iter()
        .map(|value| escaped(value))
        .collect::<Vec<_>>()
        .join(", ")
}

/// "1 row" or "3 rows".
pub(crate) fn rows_of(count: u64) -> String {
    match count {
        1 => "1 row".to_string(),
        n => format!("{n} rows"),
    }
}

/// A line number of a tailor.toml error, or nothing when the parser gave no position.
fn line_of(line: &Option<usize>) -> String {
    line.map_or_else(String::new, |line| format!(":{line}"))
}

/// A reason a shop cannot be read. Nothing is trained on a shop that fails to open.
#[derive(Debug, Error)]
pub enum ShopError {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{} is not a folder: a shop is a folder with a catalog file", path.display())]
    NotAFolder { path: PathBuf },
    #[error(
        "{} has no catalog: expected catalog.csv, catalog.tsv, catalog.jsonl or catalog.parquet",
        dir.display()
    )]
    NoCatalog { dir: PathBuf },
    #[error("{} and {} are both there: keep one {name} file", first.display(), second.display())]
    TwoFiles {
        name: &'static str,
        first: PathBuf,
        second: PathBuf,
    },
    #[error(
        "cannot tell the format of {}: use a .csv, .tsv, .jsonl or .parquet name",
        path.display()
    )]
    UnknownFormat { path: PathBuf },

    /// The parser's error is kept, but not as the source: its report quotes the raw line.
    #[error("{}{}: {}", path.display(), line_of(line), printable(toml.message()))]
    Config {
        path: PathBuf,
        line: Option<usize>,
        toml: Box<toml::de::Error>,
    },
    #[error("{}:{line}: tailor.toml is not valid UTF-8 text", path.display())]
    ConfigNotUtf8 { path: PathBuf, line: u64 },
    #[error(
        "{}: the weight of event {} is {weight}; a weight must be a number of at least 0",
        path.display(), escaped(event)
    )]
    BadWeight {
        path: PathBuf,
        event: String,
        weight: f64,
    },
    #[error("{}: the shop's name must be 1 to {max} bytes long", path.display())]
    BadShopName { path: PathBuf, max: usize },
    #[error("{}: {count} event names, at most 256 are supported", path.display())]
    TooManyEventNames { path: PathBuf, count: usize },
    #[error(
        "{}: the outfits use {} slots ({}), at most {max} are supported",
        path.display(), slots.len(), escaped_list(slots)
    )]
    TooManySlots {
        path: PathBuf,
        slots: Vec<String>,
        max: usize,
    },
    #[error("{}: cannot decode the picture of item {}: {source}", path.display(), escaped(item))]
    UndecodablePicture {
        path: PathBuf,
        item: String,
        source: Box<image::ImageError>,
    },

    #[error(
        "{} has no column {} for the {role}{}; its columns: {}",
        path.display(), escaped(column),
        if *configured { " (named in tailor.toml)" } else { "" },
        escaped_list(found)
    )]
    MissingColumn {
        path: PathBuf,
        /// What the column is for, e.g. "item id".
        role: &'static str,
        column: String,
        /// True when tailor.toml gave the name, false for a default name.
        configured: bool,
        found: Vec<String>,
    },
    #[error("{} names the column {} twice", path.display(), escaped(column))]
    DuplicateColumn { path: PathBuf, column: String },
    #[error(
        "{at}: {found} fields, but the header has {expected}{}",
        if *multiline { "; a quoted field runs over several lines, is a closing quote missing?" }
        else { "" }
    )]
    FieldCount {
        at: At,
        expected: usize,
        found: usize,
        /// A field spans lines, the usual sign of an unclosed quote.
        multiline: bool,
    },
    #[error("{at}: {} is not valid UTF-8 text", column.as_deref().map_or("the line".to_string(), |c| format!("column {}", escaped(c))))]
    NotUtf8 { at: At, column: Option<String> },
    #[error("{at}: {source}")]
    Csv { at: At, source: csv::Error },
    #[error("{at}: not valid JSON: {source}")]
    Json { at: At, source: serde_json::Error },
    #[error("{at}: expected one JSON object per line, found {found}")]
    NotAnObject { at: At, found: &'static str },
    #[error(
        "{at}: column {} holds {found}, expected text, a number or null",
        escaped(column)
    )]
    NestedValue {
        at: At,
        column: String,
        found: &'static str,
    },
    #[error("{}: cannot read this Parquet file: {source}", path.display())]
    Parquet {
        path: PathBuf,
        source: parquet::errors::ParquetError,
    },
    #[error("{at}: {source}")]
    ParquetRow {
        at: At,
        source: parquet::errors::ParquetError,
    },

    #[error("{at}: the {role} (column {}) is empty", escaped(column))]
    EmptyValue {
        at: At,
        role: &'static str,
        column: String,
    },
    #[error("{} has no items: a model needs at least 2", path.display())]
    EmptyCatalog { path: PathBuf },
    #[error(
        "{} has a single item ({}): a model needs at least 2 items to rank",
        path.display(), escaped(id)
    )]
    OneItem { path: PathBuf, id: String },
    #[error(
        "{}: every title (column {}) is empty; items need titles to be found by text",
        path.display(), escaped(column)
    )]
    NoTitles { path: PathBuf, column: String },
    #[error(
        "{at}: item id {} appears twice, first at {}{first}",
        escaped(id), at.path.display()
    )]
    DuplicateId { at: At, id: String, first: Place },
    #[error("{at}: price {} is not a number of at least 0", escaped(value))]
    BadPrice { at: At, value: String },
    #[error("{at}: rating {} is not a number", escaped(value))]
    BadRating { at: At, value: String },
    #[error(
        "{at}: image {} is outside the shop folder; name a file under images/ or a URL",
        escaped(image)
    )]
    ImageOutsideShop { at: At, image: String },
    #[error("{at}: image {} is missing: no file {}", escaped(image), path.display())]
    MissingImage {
        at: At,
        image: String,
        path: PathBuf,
    },
    #[error(
        "{at}: image {} is not a PNG, JPEG or WebP picture: {source}",
        escaped(image)
    )]
    NotAPicture {
        at: At,
        image: String,
        source: Box<image::ImageError>,
    },

    #[error(
        "{at}: time {} (column {}) is neither RFC 3339 (2024-05-01T12:00:00Z) nor Unix seconds \
         or milliseconds",
        escaped(value),
        escaped(column)
    )]
    BadTime {
        at: At,
        column: String,
        value: String,
    },
    #[error(
        "{at}: event {} has no weight; add it under [events.weights] in tailor.toml",
        escaped(event)
    )]
    UnknownEvent { at: At, event: String },
    #[error("{at}: item {} is not in the catalog", escaped(item))]
    UnknownItem { at: At, item: String },
    #[error(
        "{at}: item {} is not in the catalog; {rows} rows of this file name unknown items \
         (e.g. {}) and tailor.toml says unknown_items = \"fail\"",
        escaped(item),
        escaped_list(examples)
    )]
    UnknownItems {
        at: At,
        item: String,
        rows: u64,
        examples: Vec<String>,
    },
    #[error(
        "{at}: outfit {} has two items in slot {}: {} (at {}{first}) and {}",
        escaped(outfit), escaped(slot), escaped(&items[0]), at.path.display(), escaped(&items[1])
    )]
    SlotTaken {
        at: At,
        outfit: String,
        slot: String,
        /// The item already in the slot, and this row's item (boxed to keep errors small).
        items: Box<[String; 2]>,
        /// Where the first one was.
        first: Place,
    },
    #[error(
        "{at}: item {} of outfit {} has no slot in the catalog; give it one (top, bottom, \
         shoes, bag, outerwear or the shop's own)",
        escaped(item),
        escaped(outfit)
    )]
    NoSlot {
        at: At,
        outfit: String,
        item: String,
    },
    #[error(
        "{at}: outfit {} belongs to user {} here but to {} on an earlier row",
        escaped(outfit),
        escaped(user),
        escaped(first_user)
    )]
    OutfitUsers {
        at: At,
        outfit: String,
        first_user: String,
        user: String,
    },
    #[error("{}: the file has no rows", path.display())]
    NoRows { path: PathBuf },
    #[error("{}: more than {} distinct {what}", path.display(), u32::MAX)]
    TooMany { path: PathBuf, what: &'static str },
}

impl ShopError {
    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.into();
        move |source| Self::Io { path, source }
    }

    /// The place in a file that the error is about, where it has one.
    pub fn at(&self) -> Option<&At> {
        match self {
            ShopError::FieldCount { at, .. }
            | ShopError::NotUtf8 { at, .. }
            | ShopError::Csv { at, .. }
            | ShopError::Json { at, .. }
            | ShopError::NotAnObject { at, .. }
            | ShopError::NestedValue { at, .. }
            | ShopError::ParquetRow { at, .. }
            | ShopError::EmptyValue { at, .. }
            | ShopError::DuplicateId { at, .. }
            | ShopError::BadPrice { at, .. }
            | ShopError::BadRating { at, .. }
            | ShopError::ImageOutsideShop { at, .. }
            | ShopError::MissingImage { at, .. }
            | ShopError::NotAPicture { at, .. }
            | ShopError::BadTime { at, .. }
            | ShopError::UnknownEvent { at, .. }
            | ShopError::UnknownItem { at, .. }
            | ShopError::UnknownItems { at, .. }
            | ShopError::SlotTaken { at, .. }
            | ShopError::NoSlot { at, .. }
            | ShopError::OutfitUsers { at, .. } => Some(at),
            _ => None,
        }
    }
}
