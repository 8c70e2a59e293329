//! The manifest's schema: the names of the files a bundle holds, the serde structs of
//! `manifest.json` and of the item metadata, and the parsing and per-file checks a reader runs.

use std::collections::BTreeSet;

use base64::Engine;
use base64::prelude::BASE64_STANDARD;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::bad_manifest;
use super::paths::check_path;
use crate::error::BundleError;
use crate::outfit::OutfitSlot;

/// The manifest layout this build writes and reads.
pub const BUNDLE_FORMAT_VERSION: u32 = 4;

/// How many hex digits of a file's sha256 its stored name carries: 64 bits, so two versions of
/// one file never share a name in practice, while names stay short.
pub const CONTENT_HASH_DIGITS: usize = 16;
/// The longest `shop` name a manifest may give.
pub const MAX_SHOP_NAME: usize = 200;

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
    /// What the file holds, one of the `*_FILE` names: readers look files up by it.
    pub name: String,
    /// Where the file is, relative to the bundle folder, '/'-separated. The writer puts a prefix
    /// of the file's hash in it ([`content_addressed_path`]), so that a re-export never meets a
    /// stale cached copy under the same URL.
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
    /// The shop the bundle belongs to. It names the shopper's on-device history, so that every
    /// bundle of one shop, and every update of it, reads the same history.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shop: Option<String>,
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
        if let Some(shop) = &manifest.shop
            && (shop.trim().is_empty() || shop.len() > MAX_SHOP_NAME)
        {
            return Err(bad_manifest(format!(
                "shop must be a name of 1 to {MAX_SHOP_NAME} bytes"
            )));
        }
        let (mut names, mut paths) = (BTreeSet::new(), BTreeSet::new());
        for entry in &manifest.files {
            check_path(&entry.name)?;
            check_path(&entry.path)?;
            if !names.insert(entry.name.as_str()) || !paths.insert(entry.path.as_str()) {
                return Err(BundleError::UnsafePath {
                    file: entry.path.clone(),
                    why: "it is listed twice",
                });
            }
            if !is_sha256_hex(&entry.sha256) {
                return Err(bad_manifest(format!(
                    "the sha256 of {} is not 64 lowercase hex digits",
                    entry.name
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

    /// The entry of the file named `name` (one of the `*_FILE` names).
    pub fn entry(&self, name: &str) -> Option<&FileEntry> {
        self.files.iter().find(|entry| entry.name == name)
    }

    /// Checks one file's bytes against its entry: listed, the right size, the right hash.
    pub fn verify_file(&self, name: &str, bytes: &[u8]) -> Result<(), BundleError> {
        let entry = self.entry(name).ok_or_else(|| BundleError::NotInManifest {
            file: name.to_owned(),
        })?;
        let actual = bytes.len() as u64;
        if actual != entry.size {
            return Err(BundleError::WrongSize {
                file: name.to_owned(),
                expected: entry.size,
                actual,
            });
        }
        let actual = sha256_hex(bytes);
        if actual != entry.sha256 {
            return Err(BundleError::WrongHash {
                file: name.to_owned(),
                expected: entry.sha256.clone(),
                actual,
            });
        }
        Ok(())
    }
}

/// The Subresource Integrity string of `bytes`: `sha256-` and the base64 of their digest, the
/// form an HTML `integrity` attribute and `Tailor.load(url, {integrity})` take.
pub fn integrity(bytes: &[u8]) -> String {
    format!("sha256-{}", BASE64_STANDARD.encode(Sha256::digest(bytes)))
}

/// Checks `bytes` (a manifest) against a pinned integrity string. Only sha256 is taken: a
/// weaker digest would not pin anything, and one algorithm keeps the check exact.
pub fn check_integrity(bytes: &[u8], pinned: &str) -> Result<(), BundleError> {
    let bad = |why| BundleError::BadIntegrity {
        value: pinned.to_owned(),
        why,
    };
    let digest = pinned
        .trim()
        .strip_prefix("sha256-")
        .ok_or_else(|| bad("it must start with \"sha256-\""))?;
    let expected = BASE64_STANDARD
        .decode(digest)
        .map_err(|_| bad("the digest after \"sha256-\" is not base64"))?;
    if expected.len() != 32 {
        return Err(bad("a sha256 digest has 32 bytes"));
    }
    if Sha256::digest(bytes).as_slice() != expected.as_slice() {
        return Err(BundleError::IntegrityMismatch {
            expected: pinned.trim().to_owned(),
            actual: integrity(bytes),
        });
    }
    Ok(())
}

/// Where the writer stores the file `name` whose sha256 is `sha256` (hex): the name with the
/// hash's first [`CONTENT_HASH_DIGITS`] digits before its first extension, so
/// `items.json` becomes `items.1a2b3c4d5e6f7a8b.json`. A folder in `name` stays as it is.
pub fn content_addressed_path(name: &str, sha256: &str) -> String {
    let digest = &sha256[..CONTENT_HASH_DIGITS.min(sha256.len())];
    let (folder, file) = name.rsplit_once('/').map_or(("", name), |(f, n)| (f, n));
    let stored = match file.split_once('.') {
        Some((stem, extension)) => format!("{stem}.{digest}.{extension}"),
        None => format!("{file}.{digest}"),
    };
    if folder.is_empty() {
        stored
    } else {
        format!("{folder}/{stored}")
    }
}

/// Whether a file name has the shape [`content_addressed_path`] gives: its second dot-separated
/// part is [`CONTENT_HASH_DIGITS`] lowercase hex digits.
pub fn is_content_addressed(file_name: &str) -> bool {
    file_name.split('.').nth(1).is_some_and(|part| {
        part.len() == CONTENT_HASH_DIGITS
            && part.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    })
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
