use std::path::PathBuf;

use thiserror::Error;

use crate::bundle::EmbeddingEncoding;

/// Everything that can be wrong with the input to the scorers. Bad input is reported, never a
/// panic: codes and weights come from downloaded bundles and from JavaScript callers.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum CoreError {
    #[error("code length must be a positive multiple of 64 bits, got {bits}")]
    InvalidCodeLength { bits: usize },
    #[error("{what} has length {actual}, expected {expected}")]
    LengthMismatch {
        what: &'static str,
        expected: usize,
        actual: usize,
    },
    #[error("{what} has length {actual}, which is not a multiple of {multiple_of}")]
    RaggedLength {
        what: &'static str,
        actual: usize,
        multiple_of: usize,
    },
    #[error("vector dimension must be at least 1")]
    ZeroDimension,
    #[error("{what} {index} is not a finite number ({value})")]
    NonFinite {
        what: &'static str,
        index: usize,
        value: f32,
    },
    #[error("the weights' absolute values sum to {sum:e}, too large for f32 scores")]
    WeightsTooLarge { sum: f64 },
    #[error("k must be at least 1")]
    ZeroK,
    #[error("k = {k} is larger than the {n} items to rank")]
    KExceedsItems { k: usize, n: usize },
    #[error(
        "{types} item types were given for {items} item codes; every item needs exactly one type"
    )]
    OutfitTypeCount { types: usize, items: usize },
    #[error(
        "item {item} has type {type_id}, but the valid types are 0 to {} (one per outfit slot)",
        slots.saturating_sub(1)
    )]
    OutfitTypeOutOfRange {
        item: usize,
        type_id: u8,
        slots: usize,
    },
    #[error("an outfit catalog needs at least one slot")]
    NoOutfitSlots,
    #[error("{count} outfit slots were given; at most {max} are supported")]
    TooManyOutfitSlots { count: usize, max: usize },
    #[error("outfit slot name {name:?} appears more than once")]
    DuplicateOutfitSlot { name: String },
    #[error("no outfit slot is required; at least one must be, so that every outfit has a core")]
    NoRequiredOutfitSlot,
    #[error("{what} {item} is out of range: the catalog has {len} items")]
    OutfitItemOutOfRange {
        what: &'static str,
        item: usize,
        len: usize,
    },
    #[error("items {first} and {second} both fill slot {slot:?}; an outfit has one item per slot")]
    OutfitSlotTaken {
        slot: String,
        first: usize,
        second: usize,
    },
    #[error("the outfit has no item for the required slot {slot:?}")]
    MissingRequiredSlot { slot: String },
    #[error("no outfit is possible: the required slot {slot:?} has no items in the catalog")]
    EmptyRequiredSlot { slot: String },
    #[error("candidates_per_slot must be at least 1")]
    ZeroCandidates,
    #[error("the diversity of complete the look must be between 0 and 1, got {lambda}")]
    BadDiversity { lambda: f32 },
    #[error(
        "the outfit search would need {count} {what}, more than the limit of {limit}; \
         lower candidates_per_slot"
    )]
    OutfitSearchTooLarge {
        what: &'static str,
        count: u128,
        limit: u128,
    },
}

/// Everything that can be wrong with a bundle on disk or its manifest. A bundle is downloaded
/// or copied by hand, so each problem names the file it concerns and what was expected.
#[derive(Debug, Error)]
pub enum BundleError {
    #[error("bundle file {file} is missing")]
    Missing { file: String },
    #[error("bundle file {file} has {actual} bytes, the manifest says {expected}")]
    WrongSize {
        file: String,
        expected: u64,
        actual: u64,
    },
    #[error("bundle file {file} is damaged: sha256 {actual}, the manifest says {expected}")]
    WrongHash {
        file: String,
        expected: String,
        actual: String,
    },
    #[error(
        "bundle format version {found} is not supported (this build reads version {supported})"
    )]
    UnknownVersion { found: u64, supported: u32 },
    #[error("manifest.json is not valid: {message}")]
    BadManifest { message: String },
    #[error("bundle file {file} passed its checksum but cannot be used: {message}")]
    BadFile { file: String, message: String },
    #[error("bundle file {file} is not listed in manifest.json")]
    NotInManifest { file: String },
    #[error(
        "manifest.json does not match the integrity the page pinned: it is {actual}, the page expects {expected}"
    )]
    IntegrityMismatch { expected: String, actual: String },
    #[error("integrity {value:?} is not valid: {why}")]
    BadIntegrity { value: String, why: &'static str },
    #[error("bundle path {file:?} is not allowed: {why}")]
    UnsafePath { file: String, why: &'static str },
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// What can be wrong with a stored embedding matrix or the values it is built from.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum QuantError {
    #[error("embedding dimension must be at least 1")]
    ZeroDimension,
    #[error("an embedding matrix of {rows} x {dim} is too large to address")]
    TooLarge { rows: usize, dim: usize },
    #[error("an embedding matrix of {rows} x {dim} needs {expected} values, got {actual}")]
    ValueCount {
        rows: usize,
        dim: usize,
        expected: usize,
        actual: usize,
    },
    #[error("embedding value {index} is not a finite number ({value})")]
    NonFiniteValue { index: usize, value: f32 },
    #[error(
        "{encoding:?} embeddings of {rows} x {dim} take {expected} bytes, the data has {actual}"
    )]
    WrongByteLength {
        encoding: EmbeddingEncoding,
        rows: usize,
        dim: usize,
        expected: usize,
        actual: usize,
    },
    #[error("int8 scale of embedding row {row} is {value}, not a finite non-negative number")]
    BadScale { row: usize, value: f32 },
}
