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
//! Each file is stored under its name with a prefix of its hash (`items.1a2b3c4d5e6f7a8b.json`)
//! and looked up by its plain name (`items.json`), so hosts may cache every file but the
//! manifest forever: an update changes the names, never the bytes behind a name.
//!
//! A bundle may also carry Fashion Hash Net's outfit model (format version 3): the manifest's
//! `outfits` section, the typed item codes, their slots, the two diagonal weight vectors and the
//! item metadata, read back into an [`OutfitCatalog`](crate::outfit::OutfitCatalog).
//! [`BundleWriter::add_outfits`] writes those files from the trained model's values, with the same
//! checks the reader makes.

// One file per job: the schema and its checks, which paths a bundle may list, the writer, the
// reader, and the outfit files' byte layouts with the checks writer and reader share. The parts
// stay private and their public items are re-exported here, so each has one path: `bundle::X`.
mod manifest;
mod outfit_files;
mod paths;
mod reader;
mod writer;

pub use crate::error::BundleError;
pub use manifest::{
    BUNDLE_FORMAT_VERSION, BundleItem, CONTENT_HASH_DIGITS, EmbeddingEncoding, EncoderKind,
    FOR_YOU_ITEMS_FILE, FOR_YOU_TOWER_FILE, FileEntry, ForYouSection, ITEM_EMBEDDINGS_FILE,
    ITEMS_FILE, MANIFEST_FILE, MAX_FOR_YOU_HEADS, MAX_FOR_YOU_HISTORY, MAX_SHOP_NAME, MINILM_FILE,
    Manifest, OUTFIT_CODES_FILE, OUTFIT_IMAGE_BYTES, OUTFIT_IMAGES_FILE, OUTFIT_ITEMS_FILE,
    OUTFIT_TYPES_FILE, OUTFIT_USER_FILE, OUTFIT_WEIGHTS_FILE, OutfitBundleItem, OutfitSection,
    Personalization, QUERY_TOWER_FILE, STATIC_ENCODER_FILE, TOKENIZER_FILE, check_integrity,
    content_addressed_path, integrity, is_content_addressed, sha256_hex,
};
pub use outfit_files::{OutfitFiles, encode_outfit_codes, encode_outfit_weights};
pub use reader::{Bundle, BundleBuilder};
pub use writer::{BundleWriter, write_atomically};

// The two error shapes every part reports; private, so only this module and its parts build them.

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
