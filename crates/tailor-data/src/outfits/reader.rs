//! The reader of a shop's outfits in their wide CSV form ([`read_outfit_csv`]): one outfit per
//! row, one column per slot, every item checked against the catalog.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use super::{OUTFIT_SLOTS, Outfit, OutfitItem, REQUIRED_SLOTS, UserOutfit};
use crate::error::DataError;

/// The slot names as they read in "item ... is a top, not shoes".
const SLOT_PHRASES: [&str; 5] = ["a top", "a bottom", "shoes", "a bag", "outerwear"];

/// The header [`read_outfit_csv`] requires, exactly.
const CSV_HEADER: [&str; 6] = ["user", "top", "bottom", "shoes", "bag", "outerwear"];

/// Reads a shop's outfits: CSV with the exact header `user,top,bottom,shoes,bag,outerwear`, one
/// outfit per row, an item id of `items` per slot, an empty cell for an absent optional slot.
/// Cells are trimmed; a leading UTF-8 byte order mark is ignored. User ids are strings, mapped
/// to dense u32 in order of first appearance (returned too). Outfits come back grouped by user,
/// each user's in file order; a repeated row of a user is kept once. If `items` repeats an id,
/// its first item is meant.
pub fn read_outfit_csv(
    path: &Path,
    items: &[OutfitItem],
) -> Result<(Vec<String>, Vec<UserOutfit>), DataError> {
    let bytes = std::fs::read(path).map_err(DataError::io(path))?;
    parse_outfit_bytes(path, &bytes, items)
}

/// The core of [`read_outfit_csv`], over text already read; `path_for_errors` names it in errors.
pub fn parse_outfit_csv(
    path_for_errors: &Path,
    text: &str,
    items: &[OutfitItem],
) -> Result<(Vec<String>, Vec<UserOutfit>), DataError> {
    parse_outfit_bytes(path_for_errors, text.as_bytes(), items)
}

fn parse_outfit_bytes(
    path: &Path,
    bytes: &[u8],
    items: &[OutfitItem],
) -> Result<(Vec<String>, Vec<UserOutfit>), DataError> {
    let bad = |line: u64, message: String| DataError::OutfitCsv {
        path: PathBuf::from(path),
        line: usize::try_from(line).unwrap_or(usize::MAX),
        message,
    };
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    // The header is read as a record so that its line and an empty file are ours to report.
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(bytes);
    let mut record = csv::StringRecord::new();

    let header_line = match next_record(&mut reader, &mut record).map_err(|(l, m)| bad(l, m))? {
        Some(line) => line,
        None => {
            return Err(bad(
                1,
                format!(
                    "the file is empty; expected the header `{}`",
                    CSV_HEADER.join(",")
                ),
            ));
        }
    };
    if !record.iter().eq(CSV_HEADER) {
        let found: Vec<&str> = record.iter().collect();
        return Err(bad(
            header_line,
            format!(
                "the header is {:?}, expected `{}` (exactly these columns, in this order)",
                found.join(","),
                CSV_HEADER.join(",")
            ),
        ));
    }

    let mut by_id: HashMap<&str, usize> = HashMap::with_capacity(items.len());
    for (index, item) in items.iter().enumerate() {
        by_id.entry(item.id.as_str()).or_insert(index);
    }
    let mut users: Vec<String> = Vec::new();
    let mut user_index: HashMap<String, u32> = HashMap::new();
    // Per user: outfits in file order, and the set that drops repeats.
    let mut outfits: Vec<(Vec<Outfit>, HashSet<Outfit>)> = Vec::new();

    while let Some(line) = next_record(&mut reader, &mut record).map_err(|(l, m)| bad(l, m))? {
        let outfit = parse_row(&record, &by_id, items).map_err(|message| bad(line, message))?;
        let user = &record[0];
        let index = match user_index.get(user) {
            Some(&index) => index,
            None => {
                let index = u32::try_from(users.len())
                    .map_err(|_| bad(line, "more users than u32 ids can hold".to_string()))?;
                users.push(user.to_string());
                user_index.insert(user.to_string(), index);
                outfits.push((Vec::new(), HashSet::new()));
                index
            }
        };
        let (list, seen) = &mut outfits[index as usize];
        if seen.insert(outfit) {
            list.push(outfit);
        }
    }
    if users.is_empty() {
        return Err(bad(
            header_line,
            "the file has the header but no outfits below it".to_string(),
        ));
    }
    let outfits = outfits
        .into_iter()
        .zip(0u32..)
        .flat_map(|((list, _), user)| {
            list.into_iter()
                .map(move |outfit| UserOutfit { user, outfit })
        })
        .collect();
    Ok((users, outfits))
}

/// Reads the next record; `Ok(Some(line))` gives the line it starts on, `Ok(None)` the end.
fn next_record(
    reader: &mut csv::Reader<&[u8]>,
    record: &mut csv::StringRecord,
) -> Result<Option<u64>, (u64, String)> {
    let before = reader.position().line();
    match reader.read_record(record) {
        Ok(more) => Ok(more.then(|| record.position().map_or(before, |p| p.line()))),
        Err(error) => Err(csv_error(&error, before)),
    }
}

/// Checks one data row (its user is read by the caller) and returns its outfit.
fn parse_row(
    record: &csv::StringRecord,
    by_id: &HashMap<&str, usize>,
    items: &[OutfitItem],
) -> Result<Outfit, String> {
    if record.len() != CSV_HEADER.len() {
        // An unclosed quote swallows the following lines into one field.
        let hint = if record.iter().any(|field| field.contains(['\n', '\r'])) {
            "; a quoted field runs over several lines, is a closing quote missing?"
        } else {
            ""
        };
        return Err(format!(
            "expected {} fields (`{}`), found {}{hint}",
            CSV_HEADER.len(),
            CSV_HEADER.join(","),
            record.len()
        ));
    }
    if record[0].is_empty() {
        return Err("the user is empty".to_string());
    }
    let mut outfit = [None; 5];
    for (slot, column) in OUTFIT_SLOTS.iter().enumerate() {
        let id = &record[slot + 1];
        if id.is_empty() {
            if slot < REQUIRED_SLOTS {
                return Err(format!(
                    "column {column:?} is empty, but every outfit needs a top, a bottom and shoes"
                ));
            }
            continue;
        }
        let Some(&index) = by_id.get(id) else {
            return Err(format!(
                "item {id:?} in column {column:?} is not in the catalog"
            ));
        };
        let item_slot = items[index].slot;
        if item_slot != slot {
            let is = SLOT_PHRASES
                .get(item_slot)
                .copied()
                .unwrap_or("of an unknown slot");
            return Err(format!(
                "item {id:?} in column {column:?} is {is}, not {}",
                SLOT_PHRASES[slot]
            ));
        }
        outfit[slot] = Some(
            u32::try_from(index)
                .map_err(|_| "more items than u32 item indices can hold".to_string())?,
        );
    }
    Ok(Outfit(outfit))
}

/// The line and message of a CSV reader error.
fn csv_error(error: &csv::Error, fallback_line: u64) -> (u64, String) {
    match error.kind() {
        csv::ErrorKind::Utf8 { pos, err } => (
            pos.as_ref().map_or(fallback_line, |p| p.line()),
            format!("field {} is not valid UTF-8 text", err.field() + 1),
        ),
        _ => (
            error.position().map_or(fallback_line, |p| p.line()),
            error.to_string(),
        ),
    }
}
