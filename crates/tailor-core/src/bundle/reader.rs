//! Reading a bundle, from a folder or file by file from the browser: every listed file checked
//! against the manifest, then decoded into the catalog, embeddings and outfit model on request.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io::ErrorKind;
use std::path::Path;

use super::manifest::{
    BundleItem, EmbeddingEncoding, FOR_YOU_ITEMS_FILE, FOR_YOU_TOWER_FILE, ForYouSection,
    ITEM_EMBEDDINGS_FILE, ITEMS_FILE, MANIFEST_FILE, MAX_FOR_YOU_HEADS, MAX_FOR_YOU_HISTORY,
    Manifest, OUTFIT_CODES_FILE, OUTFIT_IMAGES_FILE, OUTFIT_ITEMS_FILE, OUTFIT_TYPES_FILE,
    OUTFIT_WEIGHTS_FILE, OutfitBundleItem, STATIC_ENCODER_FILE,
};
use super::outfit_files::{check_outfit_images, check_outfit_items, outfit_file_of, outfit_length};
use super::{bad_file, bad_manifest};
use crate::error::BundleError;
use crate::outfit::{OutfitCatalog, check_outfit_slots};
use crate::quant::{self, EmbeddingMatrix};

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

    /// Verifies one listed file, by its name (not its stored path), and keeps it.
    pub fn add(&mut self, name: &str, bytes: Vec<u8>) -> Result<(), BundleError> {
        self.manifest.verify_file(name, &bytes)?;
        self.files.insert(name.to_owned(), bytes);
        Ok(())
    }

    /// The bundle, once every listed file has been added.
    pub fn finish(self) -> Result<Bundle, BundleError> {
        if let Some(entry) = self
            .manifest
            .files
            .iter()
            .find(|entry| !self.files.contains_key(&entry.name))
        {
            return Err(BundleError::Missing {
                file: entry.name.clone(),
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
            builder.add(&entry.name, read(dir, &entry.path)?)?;
        }
        builder.finish()
    }

    /// A bundle from bytes already in memory, keyed by file name (`items.json`, not its stored
    /// path): the manifest, then every file it lists, each verified; files the manifest does
    /// not list are ignored.
    pub fn from_files(
        manifest: &[u8],
        mut files: BTreeMap<String, Vec<u8>>,
    ) -> Result<Bundle, BundleError> {
        let mut builder = BundleBuilder::new(manifest)?;
        for entry in builder.manifest.files.clone() {
            let bytes = files
                .remove(&entry.name)
                .ok_or_else(|| BundleError::Missing {
                    file: entry.name.clone(),
                })?;
            builder.add(&entry.name, bytes)?;
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
    pub fn take_file(&mut self, name: &str) -> Result<Vec<u8>, BundleError> {
        self.files
            .remove(name)
            .ok_or_else(|| BundleError::NotInManifest {
                file: name.to_owned(),
            })
    }

    /// The verified bytes of a listed file, by name (`items.json`).
    pub fn file(&self, name: &str) -> Result<&[u8], BundleError> {
        self.files
            .get(name)
            .map(Vec::as_slice)
            .ok_or_else(|| BundleError::NotInManifest {
                file: name.to_owned(),
            })
    }
}

/// Reads a bundle file by its stored path; a file that is not there is `Missing`, named by that
/// path, which is what the host lacks.
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
