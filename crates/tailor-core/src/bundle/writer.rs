//! Writing a bundle to a folder: each file atomically under its content-addressed name, its
//! size and hash recorded, the manifest last, then the files of older exports removed. The
//! export just before this one keeps its files, so a page that read its manifest a moment
//! before can still fetch them.

use std::collections::BTreeSet;
use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use super::manifest::{
    BUNDLE_FORMAT_VERSION, FileEntry, MANIFEST_FILE, Manifest, OUTFIT_CODES_FILE,
    OUTFIT_IMAGES_FILE, OUTFIT_ITEMS_FILE, OUTFIT_TYPES_FILE, OUTFIT_USER_FILE,
    OUTFIT_WEIGHTS_FILE, content_addressed_path, is_content_addressed, sha256_hex,
};
use super::outfit_files::{
    OutfitFiles, check_outfit_images, check_outfit_items, encode_outfit_codes,
    encode_outfit_weights, outfit_file_of, outfit_length,
};
use super::paths::check_path;
use super::{bad_file, bad_manifest};
use crate::error::BundleError;
use crate::outfit::{OutfitCatalog, check_outfit_slots};

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
    /// The stored paths of the export this one replaces, kept for pages that read its manifest.
    previous: BTreeSet<String>,
}

impl BundleWriter {
    /// Creates `dir` and its parents, and removes a manifest left there by an earlier export
    /// (after noting which files it lists).
    pub fn create(dir: &Path) -> Result<Self, BundleError> {
        fs::create_dir_all(dir).map_err(io_error(dir))?;
        let manifest = dir.join(MANIFEST_FILE);
        let previous = fs::read(&manifest)
            .map(|bytes| listed_paths(&bytes))
            .unwrap_or_default();
        match fs::remove_file(&manifest) {
            Err(error) if error.kind() != ErrorKind::NotFound => {
                return Err(io_error(&manifest)(error));
            }
            _ => {}
        }
        Ok(Self {
            dir: dir.to_owned(),
            files: Vec::new(),
            previous,
        })
    }

    /// Writes one file under its content-addressed path, creating its subfolders. Names follow
    /// the manifest's path rules and may be added once.
    pub fn add(&mut self, name: &str, bytes: &[u8]) -> Result<(), BundleError> {
        check_path(name)?;
        if self.files.iter().any(|entry| entry.name == name) {
            return Err(BundleError::UnsafePath {
                file: name.to_owned(),
                why: "it was already added",
            });
        }
        let sha256 = sha256_hex(bytes);
        let path = content_addressed_path(name, &sha256);
        let target = self.dir.join(&path);
        if let Some(parent) = target.parent() {
            fs::create_dir_all(parent).map_err(io_error(parent))?;
        }
        write_atomically(&target, bytes)?;
        self.files.push(FileEntry {
            name: name.to_owned(),
            path,
            size: bytes.len() as u64,
            sha256,
        });
        Ok(())
    }

    /// Writes the outfit model's files (items, codes, types, weights, and the images and user
    /// encoder when given) after checking that they agree with `files.section` the way
    /// [`Bundle::outfit_catalog`](super::Bundle::outfit_catalog) will; the caller puts the
    /// section into the manifest it passes to [`Self::finish`].
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
    /// added, and `format_version` set to [`BUNDLE_FORMAT_VERSION`]; then removes the
    /// content-addressed files that neither this export nor the one before it lists. Returns
    /// what was written.
    pub fn finish(self, mut manifest: Manifest) -> Result<Manifest, BundleError> {
        manifest.format_version = BUNDLE_FORMAT_VERSION;
        manifest.files = self.files;
        write_atomically(
            &self.dir.join(MANIFEST_FILE),
            manifest.to_json_pretty().as_bytes(),
        )?;
        let mut keep = self.previous;
        keep.extend(manifest.files.iter().map(|entry| entry.path.clone()));
        remove_stale(&self.dir, &manifest.files, &keep)?;
        Ok(manifest)
    }
}

/// The stored paths a manifest lists, read leniently: the previous export may be of another
/// format version, or damaged, and then keeps nothing.
fn listed_paths(manifest: &[u8]) -> BTreeSet<String> {
    let value: serde_json::Value = serde_json::from_slice(manifest).unwrap_or_default();
    value["files"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|entry| entry["path"].as_str().map(str::to_owned))
        .collect()
}

/// Removes, from the folders this export wrote into, every content-addressed file not in `keep`.
/// Only names of that shape go, so nothing else a shop keeps in the folder is ever touched.
fn remove_stale(
    dir: &Path,
    files: &[FileEntry],
    keep: &BTreeSet<String>,
) -> Result<(), BundleError> {
    let folders: BTreeSet<&str> = files
        .iter()
        .map(|entry| entry.path.rsplit_once('/').map_or("", |(folder, _)| folder))
        .collect();
    for folder in folders {
        let full = dir.join(folder);
        for entry in fs::read_dir(&full).map_err(io_error(&full))? {
            let entry = entry.map_err(io_error(&full))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let path = if folder.is_empty() {
                name.clone()
            } else {
                format!("{folder}/{name}")
            };
            let is_file = entry.file_type().is_ok_and(|kind| kind.is_file());
            if is_file && is_content_addressed(&name) && !keep.contains(&path) {
                let stale = entry.path();
                fs::remove_file(&stale).map_err(io_error(&stale))?;
            }
        }
    }
    Ok(())
}
