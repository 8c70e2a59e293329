//! A shop's own catalog and interaction log, as CSV, TSV or JSON Lines, with the column names
//! given by the caller. Every malformed row is reported with its file and line and stops the
//! read, so that training never starts on silently skipped data.

use std::collections::HashSet;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::error::DataError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableFormat {
    Csv,
    Tsv,
    /// One JSON object per line.
    Jsonl,
}

impl TableFormat {
    /// From the file name: `.csv`, `.tsv` / `.tab`, `.jsonl` / `.ndjson`.
    pub fn from_path(path: &Path) -> Result<Self, DataError> {
        match path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("csv") => Ok(Self::Csv),
            Some("tsv" | "tab") => Ok(Self::Tsv),
            Some("jsonl" | "ndjson") => Ok(Self::Jsonl),
            _ => Err(DataError::UnknownFormat {
                path: path.to_path_buf(),
            }),
        }
    }
}

/// Column names of a catalog file; optional columns may be absent from the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogColumns {
    pub id: String,
    pub title: String,
    pub text: Option<String>,
    pub category: Option<String>,
    pub image: Option<String>,
    pub url: Option<String>,
}

impl Default for CatalogColumns {
    fn default() -> Self {
        Self {
            id: "item_id".into(),
            title: "title".into(),
            text: Some("description".into()),
            category: Some("category".into()),
            image: Some("image".into()),
            url: Some("url".into()),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogRecord {
    pub id: String,
    pub title: String,
    pub text: String,
    pub category: String,
    pub image: String,
    pub url: String,
}

/// Column names of an interaction log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InteractionColumns {
    pub user: String,
    pub item: String,
    /// Unix seconds, used to order each user's history.
    pub time: Option<String>,
    /// E.g. view, click, purchase.
    pub event: Option<String>,
}

impl Default for InteractionColumns {
    fn default() -> Self {
        Self {
            user: "user_id".into(),
            item: "item_id".into(),
            time: Some("timestamp".into()),
            event: Some("event".into()),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interaction {
    pub user: String,
    pub item: String,
    pub time: Option<i64>,
    pub event: String,
}

/// Reads a catalog. Ids must be non-empty and unique, titles non-empty.
pub fn read_catalog(
    path: &Path,
    format: TableFormat,
    columns: &CatalogColumns,
) -> Result<Vec<CatalogRecord>, DataError> {
    let mut seen = HashSet::new();
    let mut records = Vec::new();
    for_each_row(path, format, |row| {
        let id = row.required(&columns.id)?;
        if !seen.insert(id.clone()) {
            return Err(format!("item id `{id}` appears twice"));
        }
        records.push(CatalogRecord {
            id,
            title: row.required(&columns.title)?,
            text: row.optional(columns.text.as_deref())?,
            category: row.optional(columns.category.as_deref())?,
            image: row.optional(columns.image.as_deref())?,
            url: row.optional(columns.url.as_deref())?,
        });
        Ok(())
    })?;
    Ok(records)
}

/// Reads an interaction log. With `known_items`, an item missing from the catalog is an error.
pub fn read_interactions(
    path: &Path,
    format: TableFormat,
    columns: &InteractionColumns,
    known_items: Option<&HashSet<String>>,
) -> Result<Vec<Interaction>, DataError> {
    let mut interactions = Vec::new();
    for_each_row(path, format, |row| {
        let item = row.required(&columns.item)?;
        if known_items.is_some_and(|known| !known.contains(&item)) {
            return Err(format!("item `{item}` is not in the catalog"));
        }
        let time = match row.optional(columns.time.as_deref())?.as_str() {
            "" => None,
            text => Some(text.parse::<i64>().map_err(|_| {
                format!(
                    "column `{}` is `{text}`, not a whole number of seconds",
                    columns.time.as_deref().unwrap_or_default()
                )
            })?),
        };
        interactions.push(Interaction {
            user: row.required(&columns.user)?,
            item,
            time,
            event: row.optional(columns.event.as_deref())?,
        });
        Ok(())
    })?;
    Ok(interactions)
}

/// One row: named string values, from a delimited record or a JSON object.
pub(crate) enum Row<'a> {
    Delimited {
        headers: &'a csv::StringRecord,
        record: &'a csv::StringRecord,
    },
    Json(&'a serde_json::Map<String, Value>),
}

impl Row<'_> {
    /// `Ok(None)` if the column is absent; values are trimmed.
    pub(crate) fn get(&self, column: &str) -> Result<Option<String>, String> {
        match self {
            Row::Delimited { headers, record } => Ok(headers
                .iter()
                .position(|h| h == column)
                .and_then(|i| record.get(i))
                .map(|v| v.trim().to_string())),
            Row::Json(object) => match object.get(column) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.trim().to_string())),
                Some(Value::Number(n)) => Ok(Some(n.to_string())),
                Some(Value::Bool(b)) => Ok(Some(b.to_string())),
                Some(other) => Err(format!(
                    "column `{column}` holds {other}, expected text or a number"
                )),
            },
        }
    }

    pub(crate) fn required(&self, column: &str) -> Result<String, String> {
        match self.get(column)? {
            Some(value) if !value.is_empty() => Ok(value),
            Some(_) => Err(format!("column `{column}` is empty")),
            None => Err(format!("column `{column}` is missing")),
        }
    }

    fn optional(&self, column: Option<&str>) -> Result<String, String> {
        Ok(match column {
            Some(column) => self.get(column)?.unwrap_or_default(),
            None => String::new(),
        })
    }
}

/// Calls `visit` for every data row; the first error, the reader's or `visit`'s, is returned
/// with the file and line.
pub(crate) fn for_each_row(
    path: &Path,
    format: TableFormat,
    mut visit: impl FnMut(&Row<'_>) -> Result<(), String>,
) -> Result<(), DataError> {
    let bad_row = |line: u64, message: String| DataError::BadRow {
        path: PathBuf::from(path),
        line,
        message,
    };
    let file = File::open(path).map_err(DataError::io(path))?;
    match format {
        TableFormat::Csv | TableFormat::Tsv => {
            let delimiter = if format == TableFormat::Csv {
                b','
            } else {
                b'\t'
            };
            let mut reader = csv::ReaderBuilder::new()
                .delimiter(delimiter)
                .from_reader(file);
            let headers = reader
                .headers()
                .map_err(|e| bad_row(1, e.to_string()))?
                .clone();
            let mut record = csv::StringRecord::new();
            loop {
                let line = reader.position().line();
                match reader.read_record(&mut record) {
                    Ok(false) => break,
                    Ok(true) => {
                        let line = record.position().map_or(line, |p| p.line());
                        visit(&Row::Delimited {
                            headers: &headers,
                            record: &record,
                        })
                        .map_err(|message| bad_row(line, message))?;
                    }
                    Err(error) => {
                        let line = error.position().map_or(line, |p| p.line());
                        return Err(bad_row(line, error.to_string()));
                    }
                }
            }
        }
        TableFormat::Jsonl => {
            for (index, line) in BufReader::new(file).lines().enumerate() {
                let number = index as u64 + 1;
                let line = line.map_err(DataError::io(path))?;
                if line.trim().is_empty() {
                    continue;
                }
                let value: Value = serde_json::from_str(&line)
                    .map_err(|e| bad_row(number, format!("not valid JSON: {e}")))?;
                let Value::Object(object) = value else {
                    return Err(bad_row(number, "expected a JSON object".to_string()));
                };
                visit(&Row::Json(&object)).map_err(|message| bad_row(number, message))?;
            }
        }
    }
    Ok(())
}
