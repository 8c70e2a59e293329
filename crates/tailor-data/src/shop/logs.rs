//! The shop's logs: events, search queries, reviews and outfits, all over catalog items. Logs
//! can be far larger than the catalog, so they are stored compactly: users are interned to u32
//! (one table for every log), items are u32 catalog indexes, event names a u8 index into the
//! configured kinds and times i64 milliseconds; one event is 24 bytes.

use std::collections::HashMap;
use std::path::Path;

use super::catalog::Catalog;
use super::config::{
    EventColumns, EventKind, OutfitColumns, QueryColumns, ReviewColumns, UnknownItems,
};
use super::error::{At, Place, ShopError};
use super::key::Key;
use super::table::{Table, TableFormat};

/// One interaction: who, which item, what (an index into [`Events::kinds`]) and when.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Event {
    /// Milliseconds since the Unix epoch.
    pub time_ms: i64,
    /// Index into [`super::Shop::users`].
    pub user: u32,
    /// Index into the catalog's items.
    pub item: u32,
    pub kind: u8,
}

/// The event log, in file order.
#[derive(Debug, Clone, Default)]
pub struct Events {
    pub rows: Vec<Event>,
    /// The event names and weights an event's `kind` indexes (defaults first, then tailor.toml's).
    pub kinds: Vec<EventKind>,
}

impl Events {
    pub fn weight(&self, event: &Event) -> f32 {
        self.kinds
            .get(usize::from(event.kind))
            .map_or(0.0, |kind| kind.weight)
    }
}

/// A search, and the item clicked or bought after it.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    pub text: String,
    pub item: u32,
    pub user: Option<u32>,
    pub time_ms: Option<i64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Review {
    pub item: u32,
    /// Empty where the file has none; a review has a title or a text, or both.
    pub title: String,
    pub text: String,
    pub rating: Option<f32>,
}

/// An outfit: its items in file order, at most one per slot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outfit {
    pub id: String,
    pub user: Option<u32>,
    pub items: Vec<u32>,
}

/// Rows of one log file that named items missing from the catalog.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UnknownItemCount {
    pub rows: u64,
    /// The first few distinct unknown ids, verbatim.
    pub examples: Vec<String>,
    /// The first such row.
    pub first: Option<Place>,
}

/// Distinct unknown ids kept as examples.
const EXAMPLES: usize = 5;

impl UnknownItemCount {
    fn note(&mut self, place: Place, item: &str) {
        self.rows += 1;
        self.first.get_or_insert(place);
        if self.examples.len() < EXAMPLES && !self.examples.iter().any(|e| e == item) {
            self.examples.push(item.to_string());
        }
    }

    /// Under `fail`, any unknown row is an error naming the first one.
    fn check(&self, path: &Path, policy: UnknownItems) -> Result<(), ShopError> {
        match (policy, self.first, self.examples.first()) {
            (UnknownItems::Fail, Some(place), Some(item)) => Err(ShopError::UnknownItems {
                at: At::new(path, place),
                item: item.clone(),
                rows: self.rows,
                examples: self.examples.clone(),
            }),
            _ => Ok(()),
        }
    }
}

/// What a log reader counted: rows read, rows kept, unknown items, other rows dropped.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct LogCounts {
    pub rows: u64,
    pub kept: u64,
    pub unknown: UnknownItemCount,
    pub dropped: u64,
}

/// User ids, interned across every log. The id text is stored once, as the map's key.
#[derive(Debug, Default)]
pub(crate) struct Users {
    index: foldhash::HashMap<Key, u32>,
}

impl Users {
    fn intern(&mut self, path: &Path, name: &str) -> Result<u32, ShopError> {
        if let Some(&index) = self.index.get(name) {
            return Ok(index);
        }
        let index = u32::try_from(self.index.len()).map_err(|_| ShopError::TooMany {
            path: path.to_path_buf(),
            what: "users",
        })?;
        self.index.insert(Key::new(name), index);
        Ok(index)
    }

    /// The ids by index.
    pub(crate) fn into_names(self) -> Vec<String> {
        let mut names = vec![String::new(); self.index.len()];
        for (name, index) in self.index {
            names[index as usize] = match name {
                Key::Heap(text) => text.into_string(),
                inline => inline.as_str().to_string(),
            };
        }
        names
    }
}

/// A value at or past this is milliseconds: as seconds it would be after the year 5000, as
/// milliseconds it is after March 1973.
const MILLIS_FROM: f64 = 1e11;

/// A time as milliseconds since the Unix epoch, from RFC 3339 (`2024-05-01T12:00:00Z`,
/// `2024-05-01T14:00:00.250+02:00`) or a Unix time in seconds or milliseconds (told apart by
/// size: 1e11 and more is milliseconds), with or without a decimal fraction.
pub fn parse_time_ms(text: &str) -> Option<i64> {
    let text = text.trim();
    let unsigned = text.strip_prefix('-').unwrap_or(text);
    let numeric = !unsigned.is_empty()
        && unsigned.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && unsigned.bytes().filter(|&b| b == b'.').count() <= 1
        && unsigned.bytes().any(|b| b.is_ascii_digit());
    if numeric {
        if let Ok(whole) = text.parse::<i64>() {
            return if whole.unsigned_abs() as f64 >= MILLIS_FROM {
                Some(whole)
            } else {
                whole.checked_mul(1000)
            };
        }
        let value = text.parse::<f64>().ok()?;
        let millis = if value.abs() >= MILLIS_FROM {
            value
        } else {
            value * 1000.0
        }
        .round();
        // i64::MAX as f64 rounds up, so the bound is exclusive.
        return (millis.abs() < i64::MAX as f64).then_some(millis as i64);
    }
    chrono::DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|time| time.timestamp_millis())
}

/// A column's index, by tailor.toml's name or the default one.
fn column(
    table: &mut Table,
    given: &Option<String>,
    default: &str,
    role: &'static str,
    required: bool,
) -> Result<(Option<usize>, String), ShopError> {
    let (name, configured) = match given {
        Some(name) => (name.as_str(), true),
        None => (default, false),
    };
    Ok((
        table.column(name, role, required, configured)?,
        name.to_string(),
    ))
}

/// A required value of the current row.
fn required<'t>(
    table: &'t Table,
    column: &(Option<usize>, String),
    role: &'static str,
) -> Result<&'t str, ShopError> {
    match table.get(column.0) {
        "" => Err(ShopError::EmptyValue {
            at: table.at(),
            role,
            column: column.1.clone(),
        }),
        value => Ok(value),
    }
}

fn time(table: &Table, column: &(Option<usize>, String)) -> Result<Option<i64>, ShopError> {
    match table.get(column.0) {
        "" => Ok(None),
        text => parse_time_ms(text)
            .map(Some)
            .ok_or_else(|| ShopError::BadTime {
                at: table.at(),
                column: column.1.clone(),
                value: text.to_string(),
            }),
    }
}

/// The context every log reader shares.
pub(crate) struct LogContext<'a> {
    pub catalog: &'a Catalog,
    pub users: &'a mut Users,
    pub policy: UnknownItems,
}

pub(crate) fn read_events(
    path: &Path,
    format: TableFormat,
    names: &EventColumns,
    kinds: Vec<EventKind>,
    context: &mut LogContext<'_>,
) -> Result<(Events, LogCounts), ShopError> {
    let mut table = Table::open(path, format)?;
    let user = column(&mut table, &names.user, "user", "user", true)?;
    let item = column(&mut table, &names.item, "item", "item", true)?;
    let event = column(&mut table, &names.event, "event", "event", true)?;
    let time_column = column(&mut table, &names.time, "time", "time", true)?;
    let mut rows = Vec::new();
    let mut counts = LogCounts::default();
    while table.next()? {
        counts.rows += 1;
        let user_id = required(&table, &user, "user")?;
        let item_id = required(&table, &item, "item")?;
        let name = required(&table, &event, "event")?;
        let kind = kinds
            .iter()
            .position(|kind| kind.name == name)
            .ok_or_else(|| ShopError::UnknownEvent {
                at: table.at(),
                event: name.to_string(),
            })?;
        required(&table, &time_column, "time")?;
        let time_ms = time(&table, &time_column)?.unwrap_or_default();
        let Some(item) = context.catalog.position(item_id) else {
            counts.unknown.note(table.place(), item_id);
            continue;
        };
        rows.push(Event {
            time_ms,
            user: context.users.intern(path, user_id)?,
            item,
            // At most 256 kinds (checked with the config).
            kind: u8::try_from(kind).unwrap_or(u8::MAX),
        });
    }
    table.finish()?;
    counts.unknown.check(path, context.policy)?;
    rows.shrink_to_fit();
    counts.kept = rows.len() as u64;
    Ok((Events { rows, kinds }, counts))
}

pub(crate) fn read_queries(
    path: &Path,
    format: TableFormat,
    names: &QueryColumns,
    context: &mut LogContext<'_>,
) -> Result<(Vec<Query>, LogCounts), ShopError> {
    let mut table = Table::open(path, format)?;
    let query = column(&mut table, &names.query, "query", "query", true)?;
    let item = column(&mut table, &names.item, "item", "item", true)?;
    let user = column(&mut table, &names.user, "user", "user", false)?;
    let time_column = column(&mut table, &names.time, "time", "time", false)?;
    let mut queries = Vec::new();
    let mut counts = LogCounts::default();
    while table.next()? {
        counts.rows += 1;
        let item_id = required(&table, &item, "item")?;
        let time_ms = time(&table, &time_column)?;
        let text = table.get(query.0);
        // An empty search says nothing about the item; it is counted, not kept.
        if text.is_empty() {
            counts.dropped += 1;
            continue;
        }
        let Some(item) = context.catalog.position(item_id) else {
            counts.unknown.note(table.place(), item_id);
            continue;
        };
        let user = match table.get(user.0) {
            "" => None,
            name => Some(context.users.intern(path, name)?),
        };
        queries.push(Query {
            text: text.to_string(),
            item,
            user,
            time_ms,
        });
    }
    table.finish()?;
    counts.unknown.check(path, context.policy)?;
    counts.kept = queries.len() as u64;
    Ok((queries, counts))
}

pub(crate) fn read_reviews(
    path: &Path,
    format: TableFormat,
    names: &ReviewColumns,
    context: &mut LogContext<'_>,
) -> Result<(Vec<Review>, LogCounts), ShopError> {
    let mut table = Table::open(path, format)?;
    let item = column(&mut table, &names.item, "item", "item", true)?;
    let text = column(&mut table, &names.text, "text", "review text", true)?;
    let title = column(&mut table, &names.title, "title", "review title", false)?;
    let rating = column(&mut table, &names.rating, "rating", "rating", false)?;
    let mut reviews = Vec::new();
    let mut counts = LogCounts::default();
    while table.next()? {
        counts.rows += 1;
        let item_id = required(&table, &item, "item")?;
        let rating = match table.get(rating.0) {
            "" => None,
            value => Some(
                value
                    .parse::<f32>()
                    .ok()
                    .filter(|r| r.is_finite())
                    .ok_or_else(|| ShopError::BadRating {
                        at: table.at(),
                        value: value.to_string(),
                    })?,
            ),
        };
        let (title, body) = (table.get(title.0), table.get(text.0));
        if title.is_empty() && body.is_empty() {
            counts.dropped += 1;
            continue;
        }
        let Some(item) = context.catalog.position(item_id) else {
            counts.unknown.note(table.place(), item_id);
            continue;
        };
        reviews.push(Review {
            item,
            title: title.to_string(),
            text: body.to_string(),
            rating,
        });
    }
    table.finish()?;
    counts.unknown.check(path, context.policy)?;
    counts.kept = reviews.len() as u64;
    Ok((reviews, counts))
}

/// An outfit while it is read: where each item came from, and its user's id text.
struct Building {
    id: String,
    user: Option<(String, u32)>,
    items: Vec<(u32, Place)>,
}

/// Outfits with one row per item. Rows of an outfit need not be adjacent. An outfit left with
/// fewer than two items (after unknown ones are skipped) is dropped and counted.
pub(crate) fn read_outfits(
    path: &Path,
    format: TableFormat,
    names: &OutfitColumns,
    context: &mut LogContext<'_>,
) -> Result<(Vec<Outfit>, LogCounts), ShopError> {
    let mut table = Table::open(path, format)?;
    let outfit = column(&mut table, &names.outfit, "outfit", "outfit", true)?;
    let item = column(&mut table, &names.item, "item", "item", true)?;
    let user = column(&mut table, &names.user, "user", "user", false)?;
    let mut building: Vec<Building> = Vec::new();
    let mut by_id: HashMap<String, usize> = HashMap::new();
    let mut counts = LogCounts::default();
    let catalog = context.catalog;
    let items = &catalog.items;
    while table.next()? {
        counts.rows += 1;
        let outfit_id = required(&table, &outfit, "outfit")?;
        let item_id = required(&table, &item, "item")?;
        let user_id = table.get(user.0);
        let Some(item) = catalog.position(item_id) else {
            counts.unknown.note(table.place(), item_id);
            continue;
        };
        let index = match by_id.get(outfit_id) {
            Some(&index) => index,
            None => {
                by_id.insert(outfit_id.to_string(), building.len());
                building.push(Building {
                    id: outfit_id.to_string(),
                    user: None,
                    items: Vec::new(),
                });
                building.len() - 1
            }
        };
        let current = &mut building[index];
        let slot = &items[item as usize].slot;
        if slot.is_empty() {
            return Err(ShopError::NoSlot {
                at: table.at(),
                outfit: outfit_id.to_string(),
                item: item_id.to_string(),
            });
        }
        if let Some(&(first, place)) = current
            .items
            .iter()
            .find(|(other, _)| items[*other as usize].slot == *slot)
        {
            return Err(ShopError::SlotTaken {
                at: table.at(),
                outfit: outfit_id.to_string(),
                slot: slot.clone(),
                items: Box::new([items[first as usize].id.clone(), item_id.to_string()]),
                first: place,
            });
        }
        if !user_id.is_empty() {
            match &current.user {
                Some((first_user, _)) if first_user != user_id => {
                    return Err(ShopError::OutfitUsers {
                        at: table.at(),
                        outfit: outfit_id.to_string(),
                        first_user: first_user.clone(),
                        user: user_id.to_string(),
                    });
                }
                Some(_) => {}
                None => {
                    let interned = context.users.intern(path, user_id)?;
                    current.user = Some((user_id.to_string(), interned));
                }
            }
        }
        current.items.push((item, table.place()));
    }
    table.finish()?;
    counts.unknown.check(path, context.policy)?;
    let mut outfits = Vec::with_capacity(building.len());
    for outfit in building {
        if outfit.items.len() < 2 {
            counts.dropped += 1;
            continue;
        }
        counts.kept += outfit.items.len() as u64;
        outfits.push(Outfit {
            id: outfit.id,
            user: outfit.user.map(|(_, index)| index),
            items: outfit.items.into_iter().map(|(item, _)| item).collect(),
        });
    }
    Ok((outfits, counts))
}
