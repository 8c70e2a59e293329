//! One reader for every table format: CSV, TSV, JSON Lines and Parquet (the row API, no arrow).
//! It streams: one record is held at a time, in buffers reused across rows, so a file of any
//! size reads in constant memory and a row costs no allocation for CSV and TSV. Columns are
//! looked up by name once, then read by index. A JSON Lines file's first object plays the
//! header; keys that first appear later are added as new columns.

use std::collections::HashMap;
use std::fmt;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::record::Field;
use parquet::record::reader::RowIter;
use serde::de::{Deserializer, MapAccess, Visitor};
use serde_json::Value;

use super::error::{At, Place, ShopError};

/// A table's format, from its file name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableFormat {
    Csv,
    Tsv,
    /// One JSON object per line.
    Jsonl,
    Parquet,
}

impl TableFormat {
    /// Every format, in the order a shop folder is searched.
    pub const ALL: [TableFormat; 4] = [
        TableFormat::Csv,
        TableFormat::Tsv,
        TableFormat::Jsonl,
        TableFormat::Parquet,
    ];

    pub fn extension(self) -> &'static str {
        match self {
            TableFormat::Csv => "csv",
            TableFormat::Tsv => "tsv",
            TableFormat::Jsonl => "jsonl",
            TableFormat::Parquet => "parquet",
        }
    }

    /// From the file name's extension (`.csv`, `.tsv`, `.jsonl`, `.parquet`, any case).
    pub fn from_path(path: &Path) -> Result<Self, ShopError> {
        let extension = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        TableFormat::ALL
            .into_iter()
            .find(|format| extension.as_deref() == Some(format.extension()))
            .ok_or_else(|| ShopError::UnknownFormat {
                path: path.to_path_buf(),
            })
    }
}

impl fmt::Display for TableFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.extension())
    }
}

enum Source {
    Delimited {
        reader: csv::Reader<File>,
        record: csv::StringRecord,
    },
    Jsonl {
        reader: BufReader<File>,
        buffer: Vec<u8>,
        line: u64,
        /// The first object was read at open (it is the header) and is not yet handed out.
        pending: bool,
    },
    Parquet {
        rows: RowIter<'static>,
        row: u64,
    },
}

/// A table being read; after [`Table::next`] returns true it is the current row.
pub(crate) struct Table {
    path: PathBuf,
    columns: Vec<String>,
    lookup: HashMap<String, usize>,
    source: Source,
    /// The current row's values (JSON Lines and Parquet; CSV reads from its record).
    values: Vec<Option<String>>,
    place: Place,
    /// JSON Lines: whether each column held a value in some row.
    seen: Vec<bool>,
    /// JSON Lines: columns named in tailor.toml but absent from the first object.
    must_see: Vec<(usize, &'static str)>,
}

impl Table {
    pub(crate) fn open(path: &Path, format: TableFormat) -> Result<Table, ShopError> {
        let file = File::open(path).map_err(ShopError::io(path))?;
        let (source, names) = match format {
            TableFormat::Csv | TableFormat::Tsv => {
                let delimiter = if format == TableFormat::Csv {
                    b','
                } else {
                    b'\t'
                };
                let mut reader = csv::ReaderBuilder::new()
                    .delimiter(delimiter)
                    // Field counts are checked here, to report them as a typed error.
                    .flexible(true)
                    .buffer_capacity(1 << 16)
                    .from_reader(file);
                let names = reader
                    .headers()
                    .map_err(|error| csv_error(path, &[], error, 1))?
                    .iter()
                    .map(|name| name.trim_start_matches('\u{feff}').trim().to_string())
                    .collect();
                let record = csv::StringRecord::new();
                (Source::Delimited { reader, record }, names)
            }
            TableFormat::Jsonl => {
                let source = Source::Jsonl {
                    reader: BufReader::with_capacity(1 << 16, file),
                    buffer: Vec::new(),
                    line: 0,
                    pending: false,
                };
                (source, Vec::new())
            }
            TableFormat::Parquet => {
                let parquet_error = |source| ShopError::Parquet {
                    path: path.to_path_buf(),
                    source,
                };
                let reader = SerializedFileReader::new(file).map_err(parquet_error)?;
                let names = reader
                    .metadata()
                    .file_metadata()
                    .schema_descr()
                    .root_schema()
                    .get_fields()
                    .iter()
                    .map(|field| field.name().to_string())
                    .collect();
                let rows = reader.into_iter();
                (Source::Parquet { rows, row: 0 }, names)
            }
        };
        let mut table = Table {
            path: path.to_path_buf(),
            columns: Vec::new(),
            lookup: HashMap::new(),
            source,
            values: Vec::new(),
            place: Place::Line(1),
            seen: Vec::new(),
            must_see: Vec::new(),
        };
        table.set_columns(names)?;
        if matches!(table.source, Source::Jsonl { .. }) {
            // The first object is the header: read it now, hand it out as the first row.
            let first = table.next_json()?;
            if let Source::Jsonl { pending, .. } = &mut table.source {
                *pending = first;
            }
        }
        Ok(table)
    }

    /// The column names in file order (for JSON Lines: in order of first appearance so far).
    pub(crate) fn columns(&self) -> &[String] {
        &self.columns
    }

    /// No header and no rows: an empty file.
    pub(crate) fn is_blank(&self) -> bool {
        self.columns.is_empty()
    }

    /// The index of a column. A missing required column is an error, and so is a missing
    /// optional one that tailor.toml named (`configured`), except in a blank file, which has no
    /// rows to read anyway. In JSON Lines an optional key may first appear on a later line, so
    /// it gets an index anyway, and [`Table::finish`] checks that a configured one appeared.
    pub(crate) fn column(
        &mut self,
        name: &str,
        role: &'static str,
        required: bool,
        configured: bool,
    ) -> Result<Option<usize>, ShopError> {
        if let Some(&index) = self.lookup.get(name) {
            return Ok(Some(index));
        }
        if self.is_blank() {
            return Ok(None);
        }
        let json = matches!(self.source, Source::Jsonl { .. });
        if required || (configured && !json) {
            return Err(ShopError::MissingColumn {
                path: self.path.clone(),
                role,
                column: name.to_string(),
                configured,
                found: self.columns.clone(),
            });
        }
        if !json {
            return Ok(None);
        }
        let index = self.add_column(name.to_string());
        if configured {
            self.must_see.push((index, role));
        }
        Ok(Some(index))
    }

    /// Moves to the next row; false at the end of the file.
    pub(crate) fn next(&mut self) -> Result<bool, ShopError> {
        match &mut self.source {
            Source::Delimited { reader, record } => {
                let before = reader.position().line();
                match reader.read_record(record) {
                    Ok(false) => Ok(false),
                    Ok(true) => {
                        let line = record.position().map_or(before, |p| p.line());
                        self.place = Place::Line(line);
                        if record.len() != self.columns.len() {
                            return Err(ShopError::FieldCount {
                                at: At::new(&self.path, self.place),
                                expected: self.columns.len(),
                                found: record.len(),
                                multiline: record.iter().any(|f| f.contains(['\n', '\r'])),
                            });
                        }
                        Ok(true)
                    }
                    Err(error) => Err(csv_error(&self.path, &self.columns, error, before)),
                }
            }
            Source::Jsonl { pending, .. } => {
                if std::mem::take(pending) {
                    return Ok(true);
                }
                self.next_json()
            }
            Source::Parquet { rows, row } => {
                let Some(next) = rows.next() else {
                    return Ok(false);
                };
                *row += 1;
                self.place = Place::Row(*row);
                let next = next.map_err(|source| ShopError::ParquetRow {
                    at: At::new(&self.path, self.place),
                    source,
                })?;
                for (index, (name, field)) in next.into_columns().into_iter().enumerate() {
                    let value = parquet_text(field).map_err(|found| match found {
                        None => ShopError::NotUtf8 {
                            at: At::new(&self.path, self.place),
                            column: Some(name.clone()),
                        },
                        Some(found) => ShopError::NestedValue {
                            at: At::new(&self.path, self.place),
                            column: name.clone(),
                            found,
                        },
                    })?;
                    if let Some(slot) = self.values.get_mut(index) {
                        *slot = value;
                    }
                }
                Ok(true)
            }
        }
    }

    /// The current row's value of a column, trimmed; empty when absent or null.
    pub(crate) fn get(&self, column: Option<usize>) -> &str {
        let Some(index) = column else {
            return "";
        };
        let value = match &self.source {
            Source::Delimited { record, .. } => record.get(index),
            _ => self.values.get(index).and_then(|v| v.as_deref()),
        };
        value.unwrap_or_default().trim()
    }

    /// Where the current row is.
    pub(crate) fn place(&self) -> Place {
        self.place
    }

    pub(crate) fn at(&self) -> At {
        At::new(&self.path, self.place)
    }

    /// After the last row: a column named in tailor.toml must have appeared somewhere.
    pub(crate) fn finish(&self) -> Result<(), ShopError> {
        match self
            .must_see
            .iter()
            .find(|(index, _)| !self.seen.get(*index).copied().unwrap_or(false))
        {
            Some(&(index, role)) => Err(ShopError::MissingColumn {
                path: self.path.clone(),
                role,
                column: self.columns[index].clone(),
                configured: true,
                found: self
                    .columns
                    .iter()
                    .zip(&self.seen)
                    .filter(|(_, seen)| **seen)
                    .map(|(name, _)| name.clone())
                    .collect(),
            }),
            None => Ok(()),
        }
    }

    fn set_columns(&mut self, names: Vec<String>) -> Result<(), ShopError> {
        for name in names {
            if !name.is_empty() && self.lookup.contains_key(&name) {
                return Err(ShopError::DuplicateColumn {
                    path: self.path.clone(),
                    column: name,
                });
            }
            self.add_column(name);
        }
        Ok(())
    }

    fn add_column(&mut self, name: String) -> usize {
        let index = self.columns.len();
        // A nameless column (a spreadsheet's index column) is kept in place but cannot be named.
        if !name.is_empty() {
            self.lookup.insert(name.clone(), index);
        }
        self.columns.push(name);
        self.seen.push(false);
        if !matches!(self.source, Source::Delimited { .. }) {
            self.values.push(None);
        }
        index
    }

    /// Reads JSON Lines up to the next object and makes it the current row.
    fn next_json(&mut self) -> Result<bool, ShopError> {
        let Source::Jsonl {
            reader,
            buffer,
            line,
            ..
        } = &mut self.source
        else {
            return Ok(false);
        };
        loop {
            buffer.clear();
            let read = reader
                .read_until(b'\n', buffer)
                .map_err(ShopError::io(&self.path))?;
            if read == 0 {
                return Ok(false);
            }
            *line += 1;
            self.place = Place::Line(*line);
            let at = || At::new(&self.path, Place::Line(*line));
            let text = std::str::from_utf8(buffer)
                .map_err(|_| ShopError::NotUtf8 {
                    at: at(),
                    column: None,
                })?
                .trim_start_matches('\u{feff}')
                .trim();
            if text.is_empty() {
                continue;
            }
            if !text.starts_with('{') {
                return Err(match serde_json::from_str::<Value>(text) {
                    Ok(value) => ShopError::NotAnObject {
                        at: at(),
                        found: json_kind(&value),
                    },
                    Err(source) => ShopError::Json { at: at(), source },
                });
            }
            let Object(entries) = serde_json::from_str(text)
                .map_err(|source| ShopError::Json { at: at(), source })?;
            let at = at();
            for value in &mut self.values {
                *value = None;
            }
            for (key, value) in entries {
                let text = match value {
                    Value::Null => None,
                    Value::String(text) => Some(text),
                    Value::Number(number) => Some(number.to_string()),
                    Value::Bool(flag) => Some(flag.to_string()),
                    other => {
                        return Err(ShopError::NestedValue {
                            at,
                            column: key,
                            found: json_kind(&other),
                        });
                    }
                };
                let index = match self.lookup.get(&key) {
                    Some(&index) => index,
                    None => self.add_column(key),
                };
                if text.is_some() {
                    self.seen[index] = true;
                }
                self.values[index] = text;
            }
            return Ok(true);
        }
    }
}

/// A CSV reader error as a shop error: bad UTF-8 names its column.
fn csv_error(path: &Path, columns: &[String], error: csv::Error, fallback_line: u64) -> ShopError {
    match error.kind() {
        csv::ErrorKind::Utf8 { pos, err } => ShopError::NotUtf8 {
            at: At::new(
                path,
                Place::Line(pos.as_ref().map_or(fallback_line, |p| p.line())),
            ),
            column: Some(
                columns
                    .get(err.field())
                    .cloned()
                    .unwrap_or_else(|| format!("field {}", err.field() + 1)),
            ),
        },
        _ => ShopError::Csv {
            at: At::new(
                path,
                Place::Line(error.position().map_or(fallback_line, |p| p.line())),
            ),
            source: error,
        },
    }
}

/// A JSON object's entries in file order (serde_json's map would sort them).
struct Object(Vec<(String, Value)>);

impl<'de> serde::Deserialize<'de> for Object {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Entries;
        impl<'de> Visitor<'de> for Entries {
            type Value = Object;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Object, A::Error> {
                let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(8));
                while let Some(entry) = map.next_entry::<String, Value>()? {
                    entries.push(entry);
                }
                Ok(Object(entries))
            }
        }
        deserializer.deserialize_map(Entries)
    }
}

fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "true or false",
        Value::Number(_) => "a number",
        Value::String(_) => "text",
        Value::Array(_) => "a JSON array",
        Value::Object(_) => "a JSON object",
    }
}

/// A Parquet value as text. `Err(None)`: bytes that are not UTF-8; `Err(Some(kind))`: a nested
/// value. Timestamps and dates become RFC 3339 so that the time reader takes them as they are.
fn parquet_text(field: Field) -> Result<Option<String>, Option<&'static str>> {
    let millis_text = |millis: i64| {
        chrono::DateTime::from_timestamp_millis(millis)
            .map(|time| time.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
            .unwrap_or_else(|| millis.to_string())
    };
    Ok(Some(match field {
        Field::Null => return Ok(None),
        Field::Str(text) => text,
        Field::Bytes(bytes) => String::from_utf8(bytes.data().to_vec()).map_err(|_| None)?,
        Field::Bool(v) => v.to_string(),
        Field::Byte(v) => v.to_string(),
        Field::Short(v) => v.to_string(),
        Field::Int(v) => v.to_string(),
        Field::Long(v) => v.to_string(),
        Field::UByte(v) => v.to_string(),
        Field::UShort(v) => v.to_string(),
        Field::UInt(v) => v.to_string(),
        Field::ULong(v) => v.to_string(),
        Field::Float16(v) => v.to_f32().to_string(),
        Field::Float(v) => v.to_string(),
        Field::Double(v) => v.to_string(),
        field @ Field::Decimal(_) => field.to_string(),
        Field::Date(days) => millis_text(i64::from(days) * 86_400_000),
        Field::TimestampMillis(millis) => millis_text(millis),
        Field::TimestampMicros(micros) => millis_text(micros.div_euclid(1000)),
        Field::TimeMillis(v) => v.to_string(),
        Field::TimeMicros(v) => v.to_string(),
        Field::Group(_) => return Err(Some("a group")),
        Field::ListInternal(_) => return Err(Some("a list")),
        Field::MapInternal(_) => return Err(Some("a map")),
    }))
}
