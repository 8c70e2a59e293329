//! The bundle a shop hosts: a folder of static files described by `manifest.json`, which gives
//! the format version, the model's dimensions, the catalog's size and each file's size and
//! sha256. Training writes it natively; the browser fetches the same files and checks each one
//! against the manifest, so a stale, truncated or damaged bundle is refused with an error that
//! names the file instead of producing wrong recommendations.
//!
//! The manifest's format version is read before anything else, so a bundle from a newer Tailor
//! says so rather than failing on some field this build does not know. Every listed path is
//! checked to be a plain relative path inside the folder, so a hostile manifest cannot make a
//! reader open files elsewhere.
//!
//! A bundle may also carry Fashion Hash Net's outfit model (format version 3): the manifest's
//! `outfits` section, the typed item codes, their slots, the two diagonal weight vectors and the
//! item metadata, read back into an [`OutfitCatalog`]. [`BundleWriter::add_outfits`] writes those
//! files from the trained model's values, with the same checks the reader makes.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::codes::{CodeLength, PackedCodes};
use crate::error::CoreError;
use crate::outfit::{OutfitCatalog, OutfitSlot, check_outfit_slots};
use crate::quant::{self, EmbeddingMatrix};

pub use crate::error::BundleError;

/// The manifest layout this build writes and reads.
pub const BUNDLE_FORMAT_VERSION: u32 = 3;

/// The manifest's name inside the bundle folder.
pub const MANIFEST_FILE: &str = "manifest.json";
/// The WordPiece tokenizer of the query encoder (Hugging Face `tokenizer.json`).
pub const TOKENIZER_FILE: &str = "tokenizer.json";
/// The static query encoder's token vectors, int8 (see [`crate::quant`]).
pub const STATIC_ENCODER_FILE: &str = "static_encoder.bin";
/// MiniLM's weights, safetensors in the Hugging Face key layout.
pub const MINILM_FILE: &str = "minilm.safetensors";
/// The query tower's weights, safetensors in Burn's key layout.
pub const QUERY_TOWER_FILE: &str = "query_tower.safetensors";
/// The catalog's e_i, `item_count x dim`, in the manifest's `item_embedding_encoding`.
pub const ITEM_EMBEDDINGS_FILE: &str = "item_embeddings.bin";
/// The catalog's metadata, a JSON array of [`BundleItem`] in embedding order.
pub const ITEMS_FILE: &str = "items.json";
/// The "for you" head's query tower, safetensors in Burn's key layout.
pub const FOR_YOU_TOWER_FILE: &str = "for_you_tower.safetensors";
/// The "for you" head's item embeddings, `item_count x for_you.dim`, in the manifest's
/// `item_embedding_encoding`.
pub const FOR_YOU_ITEMS_FILE: &str = "for_you_items.bin";

/// The most attention heads and history items a "for you" head may declare: far above what
/// training uses, low enough that a hostile manifest cannot make the loader build a huge model.
pub const MAX_FOR_YOU_HEADS: usize = 16;
pub const MAX_FOR_YOU_HISTORY: usize = 1000;

/// How the bundle ranks "for you" (an empty request and a history): a history head of its own,
/// trained on the shop's events with the most recent item standing in for the request.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ForYouSection {
    /// Width of its item embeddings and of z.
    pub dim: usize,
    /// Its query MLP's hidden width.
    pub hidden: usize,
    /// Attention heads over the history.
    pub heads: usize,
    /// The most recent items it reads from a history.
    pub max_history: usize,
    /// tau of the per-result attention that explains a result by the history items it draws on.
    pub explain_temperature: f64,
}

/// The outfit items' metadata, a JSON array of [`OutfitBundleItem`] in code order.
pub const OUTFIT_ITEMS_FILE: &str = "outfit_items.json";
/// The outfit items' codes: `item_count * bits / 64` little-endian `u64` words, code i first
/// (bit j of a code in word j / 64 at bit j % 64, set = +1).
pub const OUTFIT_CODES_FILE: &str = "outfit_codes.bin";
/// One byte per outfit item: the index of its slot in the section's `slots`.
pub const OUTFIT_TYPES_FILE: &str = "outfit_types.bin";
/// `2 * bits` little-endian f32: w_u (user-item) then w_c (item-item).
pub const OUTFIT_WEIGHTS_FILE: &str = "outfit_weights.bin";
/// Optional: each outfit item's 28x28 grayscale image, `item_count * 784` bytes.
pub const OUTFIT_IMAGES_FILE: &str = "outfit_images.bin";
/// The Burn FHN user encoder (safetensors); read by the model crate, not here.
pub const OUTFIT_USER_FILE: &str = "outfit_user.safetensors";
/// Bytes per image in [`OUTFIT_IMAGES_FILE`].
pub const OUTFIT_IMAGE_BYTES: usize = 28 * 28;

/// The manifest's description of the outfit model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutfitSection {
    pub bits: usize,
    pub slots: Vec<OutfitSlot>,
    pub item_count: usize,
    /// Width of the FHN user encoder's vectors (for the Burn side; not used by tailor-core).
    pub dim: usize,
    pub max_history: usize,
    pub candidates_per_slot: usize,
    /// True when the outfits the model learnt from were generated, not real.
    pub synthetic: bool,
}

/// One outfit item as `outfit_items.json` describes it to the page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutfitBundleItem {
    pub id: String,
    /// Display text; untrusted, so pages must render it as text.
    pub title: String,
    /// Index into the section's `slots`; the same as the item's byte in `outfit_types.bin`.
    pub slot: usize,
    /// The item's class in its source data (e.g. a Fashion-MNIST class name).
    pub class: String,
}

/// What [`BundleWriter::add_outfits`] writes: the trained FHN's values for every outfit item.
#[derive(Debug, Clone, Copy)]
pub struct OutfitFiles<'a> {
    pub section: &'a OutfitSection,
    /// In code order; each item's `slot` becomes its byte in `outfit_types.bin`.
    pub items: &'a [OutfitBundleItem],
    pub codes: &'a PackedCodes,
    pub user_weights: &'a [f32],
    pub compat_weights: &'a [f32],
    /// `item_count * 784` grayscale bytes, if the page should show the items' images.
    pub images: Option<&'a [u8]>,
    /// The user encoder's safetensors bytes, written as [`OUTFIT_USER_FILE`] when given.
    pub user_encoder: Option<&'a [u8]>,
}

/// Codes as the little-endian `u64` words of `outfit_codes.bin`.
pub fn encode_outfit_codes(codes: &PackedCodes) -> Vec<u8> {
    codes.words().iter().flat_map(|w| w.to_le_bytes()).collect()
}

/// w_u then w_c as the little-endian f32 of `outfit_weights.bin`.
pub fn encode_outfit_weights(user_weights: &[f32], compat_weights: &[f32]) -> Vec<u8> {
    user_weights
        .iter()
        .chain(compat_weights)
        .flat_map(|w| w.to_le_bytes())
        .collect()
}

/// The section's code length, or a manifest error saying why it is not one.
fn outfit_length(section: &OutfitSection) -> Result<CodeLength, BundleError> {
    CodeLength::new(section.bits).map_err(|e| bad_manifest(format!("outfits.bits: {e}")))
}

fn check_outfit_items(
    section: &OutfitSection,
    items: &[OutfitBundleItem],
) -> Result<(), BundleError> {
    if items.len() != section.item_count {
        return Err(bad_file(
            OUTFIT_ITEMS_FILE,
            format!(
                "it has {} items, the manifest says {}",
                items.len(),
                section.item_count
            ),
        ));
    }
    let mut ids = BTreeSet::new();
    if let Some(item) = items.iter().find(|item| !ids.insert(item.id.as_str())) {
        return Err(bad_file(
            OUTFIT_ITEMS_FILE,
            format!("item id {:?} appears twice", item.id),
        ));
    }
    if let Some((index, item)) = items
        .iter()
        .enumerate()
        .find(|(_, item)| item.slot >= section.slots.len())
    {
        return Err(bad_file(
            OUTFIT_ITEMS_FILE,
            format!(
                "item {index} ({:?}) has slot {} but the manifest lists {} slots",
                item.id,
                item.slot,
                section.slots.len()
            ),
        ));
    }
    Ok(())
}

/// Which query encoder the bundle ships.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EncoderKind {
    /// all-MiniLM-L6-v2 with its WordPiece tokenizer.
    Minilm,
    /// A static vocabulary of token embeddings, averaged.
    Static,
}

/// How the item embeddings are stored; see [`crate::quant`] for the byte layouts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EmbeddingEncoding {
    F16,
    Int8,
}

/// One catalog item as `items.json` describes it to the page: enough for a product card. Every
/// text comes from shop data and is untrusted, so pages must render it as text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BundleItem {
    /// The shop's item id, as the page and the history know it.
    pub id: String,
    pub title: String,
    /// The item's type (the last step of its category path); "" when unknown.
    pub class: String,
    /// The category path, broadest first, e.g. ["Women", "Dresses"].
    #[serde(default)]
    pub category: Vec<String>,
    /// A picture the page can load: an absolute URL, or a path relative to the bundle folder
    /// (export copies the shop's pictures into `images/` beside the bundle); "" without one.
    #[serde(default)]
    pub image: String,
    #[serde(default)]
    pub price: Option<f64>,
    /// ISO 4217 code, e.g. "EUR"; "" when the shop gives none.
    #[serde(default)]
    pub currency: String,
    /// The product page; "" without one.
    #[serde(default)]
    pub url: String,
    /// A short quote about the item from its training reviews, if it has any.
    #[serde(default)]
    pub highlight: Option<String>,
}

/// One file of the bundle as the manifest records it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileEntry {
    /// Relative to the bundle folder, '/'-separated.
    pub path: String,
    pub size: u64,
    /// Lowercase hex.
    pub sha256: String,
}

/// How a personalizing model reads the shopper's history (COURIER's intention attention).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Personalization {
    /// Attention heads over the history; u is `heads * dim` wide.
    pub heads: usize,
    /// The most recent items read from a history; older ones are ignored.
    pub max_history: usize,
    /// tau of the per-result attention that explains a result by the history items it draws on.
    pub explain_temperature: f64,
}

/// The contents of `manifest.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub format_version: u32,
    pub encoder: EncoderKind,
    /// The query encoder's output width.
    pub text_dim: usize,
    /// The width of z and of the item embeddings.
    pub dim: usize,
    /// The query MLP's hidden width.
    pub hidden: usize,
    /// The history layers, for a model that personalizes; `None` ranks by the request alone.
    pub personalization: Option<Personalization>,
    pub item_count: usize,
    pub item_types: Vec<String>,
    pub item_embedding_encoding: EmbeddingEncoding,
    pub files: Vec<FileEntry>,
    /// A free-form evaluation summary, shown to the shop, never interpreted.
    #[serde(default)]
    pub metrics: serde_json::Value,
    /// Fashion Hash Net's outfit model, when the bundle completes looks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outfits: Option<OutfitSection>,
    /// The "for you" head, for a shop trained on its events; without it an empty request ranks
    /// with the text model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub for_you: Option<ForYouSection>,
}

impl Manifest {
    /// Parses and checks a manifest: the format version first, then the fields, then every
    /// listed path and hash.
    pub fn parse(bytes: &[u8]) -> Result<Manifest, BundleError> {
        let value: serde_json::Value = serde_json::from_slice(bytes).map_err(bad_manifest)?;
        // Only the version is read from the raw value: a newer format may have changed any
        // other field, and its reader deserves "unknown version", not "missing field".
        let version = value
            .as_object()
            .ok_or_else(|| bad_manifest("it is not a JSON object"))?
            .get("format_version")
            .ok_or_else(|| bad_manifest("it has no format_version"))?;
        let found = version
            .as_u64()
            .ok_or_else(|| bad_manifest("format_version is not a non-negative integer"))?;
        if found != u64::from(BUNDLE_FORMAT_VERSION) {
            return Err(BundleError::UnknownVersion {
                found,
                supported: BUNDLE_FORMAT_VERSION,
            });
        }
        let manifest: Manifest = serde_json::from_value(value).map_err(bad_manifest)?;
        let mut seen = BTreeSet::new();
        for entry in &manifest.files {
            check_path(&entry.path)?;
            if !seen.insert(entry.path.as_str()) {
                return Err(BundleError::UnsafePath {
                    file: entry.path.clone(),
                    why: "it is listed twice",
                });
            }
            if !is_sha256_hex(&entry.sha256) {
                return Err(bad_manifest(format!(
                    "the sha256 of {} is not 64 lowercase hex digits",
                    entry.path
                )));
            }
        }
        Ok(manifest)
    }

    pub fn to_json_pretty(&self) -> String {
        // Serializing cannot fail: every map key is a string and no field has a fallible
        // `Serialize` (a JSON value cannot hold NaN).
        serde_json::to_string_pretty(self).expect("a Manifest always serializes to JSON")
    }

    pub fn entry(&self, path: &str) -> Option<&FileEntry> {
        self.files.iter().find(|entry| entry.path == path)
    }

    /// Checks one file's bytes against its entry: listed, the right size, the right hash.
    pub fn verify_file(&self, path: &str, bytes: &[u8]) -> Result<(), BundleError> {
        let entry = self.entry(path).ok_or_else(|| BundleError::NotInManifest {
            file: path.to_owned(),
        })?;
        let actual = bytes.len() as u64;
        if actual != entry.size {
            return Err(BundleError::WrongSize {
                file: path.to_owned(),
                expected: entry.size,
                actual,
            });
        }
        let actual = sha256_hex(bytes);
        if actual != entry.sha256 {
            return Err(BundleError::WrongHash {
                file: path.to_owned(),
                expected: entry.sha256.clone(),
                actual,
            });
        }
        Ok(())
    }
}

/// The sha256 of `bytes` as 64 lowercase hex digits.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

fn is_sha256_hex(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

fn bad_file(file: &str, message: impl ToString) -> BundleError {
    BundleError::BadFile {
        file: file.to_owned(),
        message: message.to_string(),
    }
}

fn bad_manifest(message: impl ToString) -> BundleError {
    BundleError::BadManifest {
        message: message.to_string(),
    }
}

/// Accepts only plain relative paths that stay inside the bundle folder and can be appended to
/// the bundle's URL as they are: ASCII letters, digits, '-', '_', '.' and '/' between
/// non-empty components that do not start with '.'.
fn check_path(path: &str) -> Result<(), BundleError> {
    let components = || path.split('/');
    let why = if path.is_empty() {
        "it is empty"
    } else if path.starts_with('/') {
        "it is absolute"
    } else if path.contains('\\') {
        "it contains a backslash; separate folders with '/'"
    } else if components().any(|c| c == "..") {
        "it contains '..'"
    } else if components().any(str::is_empty) {
        "it has an empty component"
    } else if path == MANIFEST_FILE {
        "manifest.json describes the bundle and cannot be listed in it"
    } else if components().any(|c| c.starts_with('.')) {
        // Also keeps listed files apart from the writer's hidden temporary files.
        "a component starts with '.'"
    } else if !path
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'/'))
    {
        "only ASCII letters, digits, '-', '_', '.' and '/' are allowed"
    } else {
        return Ok(());
    };
    Err(BundleError::UnsafePath {
        file: path.to_owned(),
        why,
    })
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> BundleError + '_ {
    move |source| BundleError::Io {
        path: path.to_owned(),
        source,
    }
}

/// Writes `bytes` to a hidden temporary name next to `target` (creating the folder), syncs it,
/// then renames it into place, so a reader, or a run resumed after a kill, never sees a
/// half-written file under the real name.
pub fn write_atomically(target: &Path, bytes: &[u8]) -> Result<(), BundleError> {
    if let Some(parent) = target.parent() {
        fs::create_dir_all(parent).map_err(io_error(parent))?;
    }
    let name = target
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temp = target.with_file_name(format!(".{name}.partial"));
    let mut file = fs::File::create(&temp).map_err(io_error(&temp))?;
    std::io::Write::write_all(&mut file, bytes).map_err(io_error(&temp))?;
    file.sync_all().map_err(io_error(&temp))?;
    drop(file);
    fs::rename(&temp, target).map_err(io_error(target))
}

/// Writes a bundle's files into a folder, recording each one's size and hash; `finish` writes
/// `manifest.json` last, so a bundle whose export stopped half-way has no manifest and is
/// refused rather than read with a mix of old and new files.
#[derive(Debug)]
pub struct BundleWriter {
    dir: PathBuf,
    files: Vec<FileEntry>,
}

impl BundleWriter {
    /// Creates `dir` and its parents, and removes a manifest left there by an earlier export.
    pub fn create(dir: &Path) -> Result<Self, BundleError> {
        fs::create_dir_all(dir).map_err(io_error(dir))?;
        let manifest = dir.join(MANIFEST_FILE);
        match fs::remove_file(&manifest) {
            Err(error) if error.kind() != ErrorKind::NotFound => {
                return Err(io_error(&manifest)(error));
            }
            _ => {}
        }
        Ok(Self {
            dir: dir.to_owned(),
            files: Vec::new(),
        })
    }

    /// Writes one file, creating its subfolders. Paths follow the manifest's rules and may be
    /// added once.
    pub fn add(&mut self, path: &str, bytes: &[u8]) -> Result<(), BundleError> {
        check_path(path)?;
        if self.files.iter().any(|entry| entry.path == path) {
            return Err(BundleError::UnsafePath {
                file: path.to_owned(),
                why: "it was already added",
            });
        }
        let target = self.dir.join(path);
        if let Some(parent) = target.parent() {
            fs::create_dir_all(parent).map_err(io_error(parent))?;
        }
        write_atomically(&target, bytes)?;
        self.files.push(FileEntry {
            path: path.to_owned(),
            size: bytes.len() as u64,
            sha256: sha256_hex(bytes),
        });
        Ok(())
    }

    /// Writes the outfit model's files (items, codes, types, weights, and the images and user
    /// encoder when given) after checking that they agree with `files.section` the way
    /// [`Bundle::outfit_catalog`] will; the caller puts the section into the manifest it passes
    /// to [`Self::finish`].
    pub fn add_outfits(&mut self, files: &OutfitFiles<'_>) -> Result<(), BundleError> {
        let section = files.section;
        let length = outfit_length(section)?;
        check_outfit_slots(&section.slots)
            .map_err(|e| bad_manifest(format!("outfits.slots: {e}")))?;
        check_outfit_items(section, files.items)?;
        if files.codes.length() != length || files.codes.len() != section.item_count {
            return Err(bad_file(
                OUTFIT_CODES_FILE,
                format!(
                    "{} codes of {} bits were given, the section says {} of {}",
                    files.codes.len(),
                    files.codes.length().bits(),
                    section.item_count,
                    section.bits
                ),
            ));
        }
        let types = files
            .items
            .iter()
            .map(|item| u8::try_from(item.slot).unwrap_or(u8::MAX))
            .collect::<Vec<u8>>();
        // Building the catalog runs every check the reader runs on weights and types.
        OutfitCatalog::new(
            files.codes.clone(),
            types.clone(),
            section.slots.clone(),
            files.user_weights,
            files.compat_weights,
        )
        .map_err(|e| bad_file(outfit_file_of(&e), e))?;
        if let Some(images) = files.images {
            check_outfit_images(section, images)?;
        }
        let items_json =
            serde_json::to_vec(files.items).map_err(|e| bad_file(OUTFIT_ITEMS_FILE, e))?;
        self.add(OUTFIT_ITEMS_FILE, &items_json)?;
        self.add(OUTFIT_CODES_FILE, &encode_outfit_codes(files.codes))?;
        self.add(OUTFIT_TYPES_FILE, &types)?;
        self.add(
            OUTFIT_WEIGHTS_FILE,
            &encode_outfit_weights(files.user_weights, files.compat_weights),
        )?;
        if let Some(images) = files.images {
            self.add(OUTFIT_IMAGES_FILE, images)?;
        }
        if let Some(encoder) = files.user_encoder {
            self.add(OUTFIT_USER_FILE, encoder)?;
        }
        Ok(())
    }

    /// Writes `manifest.json` with `manifest.files` replaced by the files added, in the order
    /// added, and `format_version` set to [`BUNDLE_FORMAT_VERSION`]; returns what was written.
    pub fn finish(self, mut manifest: Manifest) -> Result<Manifest, BundleError> {
        manifest.format_version = BUNDLE_FORMAT_VERSION;
        manifest.files = self.files;
        write_atomically(
            &self.dir.join(MANIFEST_FILE),
            manifest.to_json_pretty().as_bytes(),
        )?;
        Ok(manifest)
    }
}

/// A bundle received file by file (the browser streams them): each file is checked against the
/// manifest once, when it is added, so a damaged file fails before the rest arrives.
#[derive(Debug)]
pub struct BundleBuilder {
    manifest: Manifest,
    files: BTreeMap<String, Vec<u8>>,
}

impl BundleBuilder {
    pub fn new(manifest: &[u8]) -> Result<Self, BundleError> {
        Ok(Self {
            manifest: Manifest::parse(manifest)?,
            files: BTreeMap::new(),
        })
    }

    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// Verifies one listed file and keeps it.
    pub fn add(&mut self, path: &str, bytes: Vec<u8>) -> Result<(), BundleError> {
        self.manifest.verify_file(path, &bytes)?;
        self.files.insert(path.to_owned(), bytes);
        Ok(())
    }

    /// The bundle, once every listed file has been added.
    pub fn finish(self) -> Result<Bundle, BundleError> {
        if let Some(entry) = self
            .manifest
            .files
            .iter()
            .find(|entry| !self.files.contains_key(&entry.path))
        {
            return Err(BundleError::Missing {
                file: entry.path.clone(),
            });
        }
        Ok(Bundle {
            manifest: self.manifest,
            files: self.files,
        })
    }
}

/// A bundle whose every listed file was checked against the manifest, read from disk or
/// fetched by the browser.
#[derive(Debug, Clone)]
pub struct Bundle {
    pub manifest: Manifest,
    files: BTreeMap<String, Vec<u8>>,
}

impl Bundle {
    /// Reads `manifest.json`, then every file it lists, verifying each.
    pub fn open_dir(dir: &Path) -> Result<Bundle, BundleError> {
        let mut builder = BundleBuilder::new(&read(dir, MANIFEST_FILE)?)?;
        for entry in builder.manifest.files.clone() {
            builder.add(&entry.path, read(dir, &entry.path)?)?;
        }
        builder.finish()
    }

    /// A bundle from bytes already in memory: the manifest, then every file it lists, each
    /// verified; files the manifest does not list are ignored.
    pub fn from_files(
        manifest: &[u8],
        mut files: BTreeMap<String, Vec<u8>>,
    ) -> Result<Bundle, BundleError> {
        let mut builder = BundleBuilder::new(manifest)?;
        for entry in builder.manifest.files.clone() {
            let bytes = files
                .remove(&entry.path)
                .ok_or_else(|| BundleError::Missing {
                    file: entry.path.clone(),
                })?;
            builder.add(&entry.path, bytes)?;
        }
        builder.finish()
    }

    /// The catalog metadata: exactly `item_count` items with distinct ids.
    pub fn items(&self) -> Result<Vec<BundleItem>, BundleError> {
        let items: Vec<BundleItem> =
            serde_json::from_slice(self.file(ITEMS_FILE)?).map_err(|e| bad_file(ITEMS_FILE, e))?;
        if items.len() != self.manifest.item_count {
            return Err(bad_file(
                ITEMS_FILE,
                format!(
                    "it has {} items, the manifest says {}",
                    items.len(),
                    self.manifest.item_count
                ),
            ));
        }
        let mut ids = BTreeSet::new();
        if let Some(item) = items.iter().find(|item| !ids.insert(item.id.as_str())) {
            return Err(bad_file(
                ITEMS_FILE,
                format!("item id {:?} appears twice", item.id),
            ));
        }
        Ok(items)
    }

    /// The item embeddings e_i, `item_count x dim`.
    pub fn item_embeddings(&self) -> Result<EmbeddingMatrix, BundleError> {
        let manifest = &self.manifest;
        quant::decode(
            self.file(ITEM_EMBEDDINGS_FILE)?,
            manifest.item_count,
            manifest.dim,
            manifest.item_embedding_encoding,
        )
        .map_err(|e| bad_file(ITEM_EMBEDDINGS_FILE, e))
    }

    /// The "for you" head's section and item embeddings (`item_count x dim`), or `None` when
    /// the bundle has no such head. The section's sizes are checked against its files first.
    pub fn for_you_embeddings(
        &self,
    ) -> Result<Option<(ForYouSection, EmbeddingMatrix)>, BundleError> {
        let Some(section) = self.manifest.for_you else {
            return Ok(None);
        };
        let bad = |message: String| Err(bad_manifest(format!("for_you: {message}")));
        if section.dim == 0 || section.heads == 0 || section.max_history == 0 {
            return bad("dim, heads and max_history must be at least 1".into());
        }
        if section.heads > MAX_FOR_YOU_HEADS || section.max_history > MAX_FOR_YOU_HISTORY {
            return bad(format!(
                "at most {MAX_FOR_YOU_HEADS} heads and {MAX_FOR_YOU_HISTORY} history items"
            ));
        }
        if !(section.explain_temperature.is_finite() && section.explain_temperature > 0.0) {
            return bad("explain_temperature must be a positive number".into());
        }
        // The query MLP's first layer alone holds (dim + heads * dim) x hidden f32 weights, so a
        // hidden width the tower file cannot hold is refused before anything is built.
        let tower_bytes = self.file(FOR_YOU_TOWER_FILE)?.len();
        let first_layer = (section.heads + 1)
            .checked_mul(section.dim)
            .and_then(|inputs| inputs.checked_mul(section.hidden))
            .and_then(|weights| weights.checked_mul(4));
        if first_layer.is_none_or(|bytes| bytes > tower_bytes) {
            return Err(bad_file(
                FOR_YOU_TOWER_FILE,
                format!(
                    "{tower_bytes} bytes cannot hold a query tower {} wide with {} hidden units",
                    section.dim, section.hidden
                ),
            ));
        }
        let items = quant::decode(
            self.file(FOR_YOU_ITEMS_FILE)?,
            self.manifest.item_count,
            section.dim,
            self.manifest.item_embedding_encoding,
        )
        .map_err(|e| bad_file(FOR_YOU_ITEMS_FILE, e))?;
        Ok(Some((section, items)))
    }

    /// The static encoder's token vectors, `vocabulary x text_dim`, stored int8.
    pub fn static_encoder(&self) -> Result<EmbeddingMatrix, BundleError> {
        let bytes = self.file(STATIC_ENCODER_FILE)?;
        let dim = self.manifest.text_dim;
        // int8 rows take a 4-byte scale plus `dim` codes.
        let row_bytes = dim + 4;
        if dim == 0 || !bytes.len().is_multiple_of(row_bytes) {
            return Err(bad_file(
                STATIC_ENCODER_FILE,
                format!(
                    "{} bytes is not a whole number of {dim}-wide int8 rows",
                    bytes.len()
                ),
            ));
        }
        quant::decode(bytes, bytes.len() / row_bytes, dim, EmbeddingEncoding::Int8)
            .map_err(|e| bad_file(STATIC_ENCODER_FILE, e))
    }

    /// The outfit items' metadata: exactly the section's `item_count` items, distinct ids, each
    /// in one of its slots. Empty when the bundle has no outfit model.
    pub fn outfit_items(&self) -> Result<Vec<OutfitBundleItem>, BundleError> {
        let Some(section) = &self.manifest.outfits else {
            return Ok(Vec::new());
        };
        let items: Vec<OutfitBundleItem> = serde_json::from_slice(self.file(OUTFIT_ITEMS_FILE)?)
            .map_err(|e| bad_file(OUTFIT_ITEMS_FILE, e))?;
        check_outfit_items(section, &items)?;
        Ok(items)
    }

    /// The outfit scorer over the bundle's codes, or `None` when the manifest has no outfits
    /// section. Each file is checked against the section, and a mismatch names the file.
    pub fn outfit_catalog(&self) -> Result<Option<OutfitCatalog>, BundleError> {
        let Some(section) = &self.manifest.outfits else {
            return Ok(None);
        };
        let length = outfit_length(section)?;
        check_outfit_slots(&section.slots)
            .map_err(|e| bad_manifest(format!("outfits.slots: {e}")))?;
        let count = section.item_count;
        let bits = length.bits();

        let codes = self.file(OUTFIT_CODES_FILE)?;
        let code_bytes = length.words() * 8;
        if count.checked_mul(code_bytes) != Some(codes.len()) {
            return Err(bad_file(
                OUTFIT_CODES_FILE,
                format!(
                    "{} bytes is not {count} codes of {bits} bits ({} bytes)",
                    codes.len(),
                    count.saturating_mul(code_bytes)
                ),
            ));
        }

        let types = self.file(OUTFIT_TYPES_FILE)?;
        if types.len() != count {
            return Err(bad_file(
                OUTFIT_TYPES_FILE,
                format!(
                    "{} bytes is not one slot index per item for {count} items",
                    types.len()
                ),
            ));
        }
        let slots = section.slots.len();
        if let Some(item) = types.iter().position(|&t| usize::from(t) >= slots) {
            return Err(bad_file(
                OUTFIT_TYPES_FILE,
                format!(
                    "item {item} has type {} but the manifest lists {slots} slots",
                    types[item]
                ),
            ));
        }

        let weights = self.file(OUTFIT_WEIGHTS_FILE)?;
        if weights.len() != 2 * bits * 4 {
            return Err(bad_file(
                OUTFIT_WEIGHTS_FILE,
                format!(
                    "{} bytes is not 2 x {bits} f32 weights ({} bytes: user, then compatibility)",
                    weights.len(),
                    2 * bits * 4
                ),
            ));
        }
        let weights: Vec<f32> = weights
            .chunks_exact(4)
            .map(|w| f32::from_le_bytes(std::array::from_fn(|b| w[b])))
            .collect();
        let (user_weights, compat_weights) = weights.split_at(bits);

        OutfitCatalog::from_le_bytes(
            length,
            codes,
            types.to_vec(),
            section.slots.clone(),
            user_weights,
            compat_weights,
        )
        .map(Some)
        .map_err(|e| bad_file(outfit_file_of(&e), e))
    }

    /// The outfit items' 28x28 grayscale images (`item_count * 784` bytes), when the bundle has
    /// them.
    pub fn outfit_images(&self) -> Result<Option<&[u8]>, BundleError> {
        let Some(section) = &self.manifest.outfits else {
            return Ok(None);
        };
        if self.manifest.entry(OUTFIT_IMAGES_FILE).is_none() {
            return Ok(None);
        }
        let images = self.file(OUTFIT_IMAGES_FILE)?;
        check_outfit_images(section, images)?;
        Ok(Some(images))
    }

    /// Takes a listed file's bytes out of the bundle (e.g. 90 MB of MiniLM weights, which
    /// should not stay in memory twice once a model holds them).
    pub fn take_file(&mut self, path: &str) -> Result<Vec<u8>, BundleError> {
        self.files
            .remove(path)
            .ok_or_else(|| BundleError::NotInManifest {
                file: path.to_owned(),
            })
    }

    /// The verified bytes of a listed file.
    pub fn file(&self, path: &str) -> Result<&[u8], BundleError> {
        self.files
            .get(path)
            .map(Vec::as_slice)
            .ok_or_else(|| BundleError::NotInManifest {
                file: path.to_owned(),
            })
    }
}

fn check_outfit_images(section: &OutfitSection, images: &[u8]) -> Result<(), BundleError> {
    let expected = section.item_count.checked_mul(OUTFIT_IMAGE_BYTES);
    if expected != Some(images.len()) {
        return Err(bad_file(
            OUTFIT_IMAGES_FILE,
            format!(
                "{} bytes is not {} images of 28 x 28 bytes ({} bytes)",
                images.len(),
                section.item_count,
                section.item_count.saturating_mul(OUTFIT_IMAGE_BYTES)
            ),
        ));
    }
    Ok(())
}

/// The outfit file a catalog error that survived the size checks is about: the weights'
/// values, or else the codes and their types.
fn outfit_file_of(error: &CoreError) -> &'static str {
    match error {
        CoreError::NonFinite { .. }
        | CoreError::WeightsTooLarge { .. }
        | CoreError::LengthMismatch { .. } => OUTFIT_WEIGHTS_FILE,
        CoreError::OutfitTypeCount { .. } | CoreError::OutfitTypeOutOfRange { .. } => {
            OUTFIT_TYPES_FILE
        }
        _ => OUTFIT_CODES_FILE,
    }
}

/// Reads a bundle file; a file that is not there is `Missing`, named as the manifest names it.
fn read(dir: &Path, path: &str) -> Result<Vec<u8>, BundleError> {
    let full = dir.join(path);
    fs::read(&full).map_err(|source| {
        if source.kind() == ErrorKind::NotFound {
            BundleError::Missing {
                file: path.to_owned(),
            }
        } else {
            BundleError::Io { path: full, source }
        }
    })
}
