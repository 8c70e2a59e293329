//! A bundle written with `BundleWriter` reads back byte for byte, and each way a bundle on disk
//! can be wrong is refused with its own error that names the file.

use std::fs;
use std::path::Path;

use tailor_core::bundle::{
    MAX_SHOP_NAME, check_integrity, content_addressed_path, integrity, is_content_addressed,
};
use tailor_core::{
    BUNDLE_FORMAT_VERSION, Bundle, BundleError, BundleWriter, EmbeddingEncoding, EncoderKind,
    MANIFEST_FILE, Manifest, sha256_hex,
};
use tempfile::TempDir;

const FILES: [(&str, &[u8]); 3] = [
    ("items.json", br#"[{"id":"1080","title":"Linen dress"}]"#),
    ("embeddings.f16", &[1, 2, 3, 4, 5, 6, 7, 8]),
    ("weights/head.bin", b"head weights \x00\xff"),
];

fn manifest() -> Manifest {
    Manifest {
        // Deliberately wrong: `finish` sets the version and the file list itself.
        format_version: 0,
        encoder: EncoderKind::Minilm,
        text_dim: 384,
        dim: 64,
        hidden: 256,
        personalization: None,
        item_count: 1,
        item_types: vec!["Dresses".into(), "Tops".into()],
        item_embedding_encoding: EmbeddingEncoding::F16,
        files: Vec::new(),
        metrics: serde_json::json!({ "recall@20": 0.5 }),
        outfits: None,
        for_you: None,
        shop: Some("Example shop".into()),
    }
}

fn write_bundle() -> (TempDir, Manifest) {
    let dir = TempDir::new().unwrap();
    let mut writer = BundleWriter::create(&dir.path().join("bundle")).unwrap();
    for (path, bytes) in FILES {
        writer.add(path, bytes).unwrap();
    }
    let manifest = writer.finish(manifest()).unwrap();
    (dir, manifest)
}

fn bundle_dir(dir: &TempDir) -> std::path::PathBuf {
    dir.path().join("bundle")
}

/// Where the file `name` is stored in the written bundle, as its manifest says.
fn stored(dir: &TempDir, name: &str) -> std::path::PathBuf {
    let manifest =
        Manifest::parse(&fs::read(bundle_dir(dir).join(MANIFEST_FILE)).unwrap()).unwrap();
    bundle_dir(dir).join(&manifest.entry(name).unwrap().path)
}

fn open(dir: &TempDir) -> Result<Bundle, BundleError> {
    Bundle::open_dir(&bundle_dir(dir))
}

fn write_manifest_text(dir: &TempDir, text: &str) {
    fs::write(bundle_dir(dir).join(MANIFEST_FILE), text).unwrap();
}

/// The written manifest as JSON, edited by `edit`, written back.
fn edit_manifest(dir: &TempDir, edit: impl FnOnce(&mut serde_json::Value)) {
    let path = bundle_dir(dir).join(MANIFEST_FILE);
    let mut value: serde_json::Value = serde_json::from_slice(&fs::read(&path).unwrap()).unwrap();
    edit(&mut value);
    fs::write(&path, serde_json::to_vec_pretty(&value).unwrap()).unwrap();
}

fn assert_names(error: &BundleError, file: &str) {
    let message = error.to_string();
    assert!(message.contains(file), "{message:?} does not name {file}");
}

#[test]
fn round_trip() {
    let (dir, written) = write_bundle();
    assert_eq!(written.format_version, BUNDLE_FORMAT_VERSION);
    assert_eq!(written.files.len(), FILES.len());
    for ((name, bytes), entry) in FILES.iter().zip(&written.files) {
        assert_eq!(entry.name, *name);
        assert_eq!(entry.path, content_addressed_path(name, &sha256_hex(bytes)));
        assert_ne!(entry.path, *name);
        assert_eq!(entry.size, bytes.len() as u64);
        assert_eq!(entry.sha256, sha256_hex(bytes));
    }

    let bundle = open(&dir).unwrap();
    assert_eq!(bundle.manifest, written);
    for (path, bytes) in FILES {
        assert_eq!(bundle.file(path).unwrap(), bytes);
    }
    assert_eq!(bundle.manifest.metrics["recall@20"], 0.5);
    // No temporary files are left behind: the manifest and the files it lists, by their
    // content-addressed names.
    let mut names: Vec<String> = walk(&bundle_dir(&dir));
    names.sort();
    let mut expected: Vec<String> = written.files.iter().map(|f| f.path.clone()).collect();
    expected.push(MANIFEST_FILE.into());
    expected.sort();
    assert_eq!(names, expected);
}

#[test]
fn content_addressed_paths_carry_a_hash_prefix_before_the_extension() {
    let hash = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    assert_eq!(
        content_addressed_path("items.json", hash),
        "items.0123456789abcdef.json"
    );
    assert_eq!(
        content_addressed_path("weights/head.bin", hash),
        "weights/head.0123456789abcdef.bin"
    );
    assert_eq!(
        content_addressed_path("model.tar.gz", hash),
        "model.0123456789abcdef.tar.gz"
    );
    assert_eq!(
        content_addressed_path("LICENSE", hash),
        "LICENSE.0123456789abcdef"
    );
    assert!(is_content_addressed("items.0123456789abcdef.json"));
    assert!(!is_content_addressed("items.json"));
    assert!(!is_content_addressed("logo.0123456789ABCDEF.png"));
    assert!(!is_content_addressed(
        ".items.0123456789abcdef.json.partial"
    ));
}

#[test]
fn a_re_export_keeps_the_previous_files_and_removes_older_ones() {
    let (dir, first) = write_bundle();
    // A file of the shop's own in the folder is never touched.
    fs::write(bundle_dir(&dir).join("robots.txt"), b"keep").unwrap();
    let export = |files: &[(&str, &[u8])]| {
        let mut writer = BundleWriter::create(&bundle_dir(&dir)).unwrap();
        for (name, bytes) in files {
            writer.add(name, bytes).unwrap();
        }
        writer.finish(manifest()).unwrap()
    };
    let at = |manifest: &Manifest, name: &str| {
        bundle_dir(&dir).join(&manifest.entry(name).unwrap().path)
    };
    let second = export(&[("items.json", b"[2]"), ("embeddings.f16", FILES[1].1)]);
    assert_ne!(
        at(&first, "items.json"),
        at(&second, "items.json"),
        "new bytes get a new name"
    );
    assert_eq!(
        at(&first, "embeddings.f16"),
        at(&second, "embeddings.f16"),
        "unchanged bytes keep their name, so caches keep them"
    );
    // A page that read the first manifest a moment ago can still fetch its files.
    assert!(at(&first, "items.json").is_file());

    let third = export(&[("items.json", b"[3]")]);
    assert!(
        !at(&first, "items.json").exists(),
        "two exports back is removed"
    );
    assert!(
        at(&second, "items.json").is_file(),
        "the previous export is kept"
    );
    assert!(
        at(&second, "embeddings.f16").is_file(),
        "also what only it lists"
    );

    let fourth = export(&[("items.json", b"[4]")]);
    assert!(
        !at(&second, "embeddings.f16").exists(),
        "a file two exports dropped is removed"
    );
    assert!(at(&third, "items.json").is_file());
    assert!(bundle_dir(&dir).join("robots.txt").is_file());
    assert_eq!(open(&dir).unwrap().manifest, fourth);
}

#[test]
fn a_shop_name_that_is_empty_or_too_long_is_a_bad_manifest() {
    for name in [String::new(), "  ".into(), "x".repeat(MAX_SHOP_NAME + 1)] {
        let (dir, _) = write_bundle();
        edit_manifest(&dir, |m| m["shop"] = name.clone().into());
        let error = open(&dir).unwrap_err();
        assert!(
            matches!(&error, BundleError::BadManifest { message } if message.contains("shop")),
            "{name:?}: {error:?}"
        );
    }
}

fn walk(dir: &Path) -> Vec<String> {
    let mut names = Vec::new();
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if path.is_dir() {
            names.extend(walk(&path).into_iter().map(|n| format!("{name}/{n}")));
        } else {
            names.push(name);
        }
    }
    names
}

#[test]
fn sha256_of_known_input() {
    assert_eq!(
        sha256_hex(b"abc"),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
}

#[test]
fn deleted_file_is_missing() {
    let (dir, _) = write_bundle();
    let path = stored(&dir, "weights/head.bin");
    fs::remove_file(&path).unwrap();
    let error = open(&dir).unwrap_err();
    // Named by the path the host lacks.
    let lacking = path
        .strip_prefix(bundle_dir(&dir))
        .unwrap()
        .to_string_lossy()
        .into_owned();
    assert!(
        matches!(&error, BundleError::Missing { file } if *file == lacking),
        "{error:?}"
    );
    assert_names(&error, &lacking);
}

#[test]
fn truncated_file_has_wrong_size() {
    let (dir, _) = write_bundle();
    let path = stored(&dir, "items.json");
    let bytes = fs::read(&path).unwrap();
    fs::write(&path, &bytes[..bytes.len() - 1]).unwrap();
    let error = open(&dir).unwrap_err();
    let expected = bytes.len() as u64;
    assert!(
        matches!(&error, BundleError::WrongSize { file, expected: e, actual: a }
            if file == "items.json" && *e == expected && *a == expected - 1),
        "{error:?}"
    );
    assert_names(&error, "items.json");
}

#[test]
fn extended_file_has_wrong_size() {
    let (dir, _) = write_bundle();
    let path = stored(&dir, "embeddings.f16");
    let mut bytes = fs::read(&path).unwrap();
    bytes.push(0);
    fs::write(&path, &bytes).unwrap();
    let error = open(&dir).unwrap_err();
    assert!(
        matches!(&error, BundleError::WrongSize { file, expected: 8, actual: 9 }
            if file == "embeddings.f16"),
        "{error:?}"
    );
    assert_names(&error, "embeddings.f16");
}

#[test]
fn flipped_byte_has_wrong_hash() {
    let (dir, written) = write_bundle();
    let path = stored(&dir, "weights/head.bin");
    let mut bytes = fs::read(&path).unwrap();
    bytes[3] ^= 0x01;
    fs::write(&path, &bytes).unwrap();
    let error = open(&dir).unwrap_err();
    let listed = &written.entry("weights/head.bin").unwrap().sha256;
    assert!(
        matches!(&error, BundleError::WrongHash { file, expected, actual }
            if file == "weights/head.bin" && expected == listed && *actual == sha256_hex(&bytes)),
        "{error:?}"
    );
    assert_names(&error, "weights/head.bin");
}

#[test]
fn newer_format_version_is_unknown() {
    let (dir, _) = write_bundle();
    edit_manifest(&dir, |m| m["format_version"] = 99.into());
    let error = open(&dir).unwrap_err();
    assert!(
        matches!(error, BundleError::UnknownVersion { found: 99, supported } if supported == BUNDLE_FORMAT_VERSION),
        "{error:?}"
    );
    assert!(error.to_string().contains("99"), "{error}");
}

#[test]
fn newer_format_version_is_read_before_the_other_fields() {
    let (dir, _) = write_bundle();
    edit_manifest(&dir, |m| {
        m["format_version"] = 99.into();
        m["encoder"] = 12.into();
        m["files"] = "not a list".into();
        m["dim"] = serde_json::json!({ "rows": -1 });
        m.as_object_mut().unwrap().remove("item_count");
    });
    let error = open(&dir).unwrap_err();
    assert!(
        matches!(error, BundleError::UnknownVersion { found: 99, .. }),
        "{error:?}"
    );
}

#[test]
fn missing_manifest_is_missing() {
    let (dir, _) = write_bundle();
    fs::remove_file(bundle_dir(&dir).join(MANIFEST_FILE)).unwrap();
    let error = open(&dir).unwrap_err();
    assert!(
        matches!(&error, BundleError::Missing { file } if file == MANIFEST_FILE),
        "{error:?}"
    );
    assert_names(&error, MANIFEST_FILE);
}

#[test]
fn manifest_listing_a_parent_path_is_unsafe() {
    let (dir, _) = write_bundle();
    // A file that the hostile path would reach, so only the check can stop it.
    fs::write(dir.path().join("secret"), b"secret").unwrap();
    edit_manifest(&dir, |m| m["files"][0]["path"] = "../secret".into());
    let error = open(&dir).unwrap_err();
    assert!(
        matches!(&error, BundleError::UnsafePath { file, .. } if file == "../secret"),
        "{error:?}"
    );
    assert_names(&error, "../secret");
}

#[test]
fn manifest_listing_an_absolute_path_is_unsafe() {
    let (dir, _) = write_bundle();
    edit_manifest(&dir, |m| m["files"][1]["path"] = "/etc/passwd".into());
    let error = open(&dir).unwrap_err();
    assert!(
        matches!(&error, BundleError::UnsafePath { file, .. } if file == "/etc/passwd"),
        "{error:?}"
    );
    assert_names(&error, "/etc/passwd");
}

#[test]
fn manifest_listing_a_path_twice_is_refused() {
    let (dir, written) = write_bundle();
    edit_manifest(&dir, |m| {
        let first = m["files"][0].clone();
        m["files"].as_array_mut().unwrap().push(first);
    });
    let error = open(&dir).unwrap_err();
    let path = &written.files[0].path;
    assert!(
        matches!(&error, BundleError::UnsafePath { file, .. } if file == path),
        "{error:?}"
    );
}

#[test]
fn manifest_listing_a_name_twice_is_refused() {
    let (dir, written) = write_bundle();
    // Two entries for items.json, at different paths: which one a reader took would depend on
    // the order it looked.
    edit_manifest(&dir, |m| m["files"][1]["name"] = "items.json".into());
    let error = open(&dir).unwrap_err();
    let path = &written.files[1].path;
    assert!(
        matches!(&error, BundleError::UnsafePath { file, .. } if file == path),
        "{error:?}"
    );
}

#[test]
fn invalid_json_is_a_bad_manifest() {
    let (dir, _) = write_bundle();
    write_manifest_text(&dir, "{\"format_version\": 3, \"files\": [");
    let error = open(&dir).unwrap_err();
    assert!(
        matches!(error, BundleError::BadManifest { .. }),
        "{error:?}"
    );
    assert_names(&error, MANIFEST_FILE);
}

#[test]
fn current_version_with_a_missing_field_is_a_bad_manifest() {
    let (dir, _) = write_bundle();
    edit_manifest(&dir, |m| {
        m.as_object_mut().unwrap().remove("item_count");
    });
    let error = open(&dir).unwrap_err();
    assert!(
        matches!(&error, BundleError::BadManifest { message } if message.contains("item_count")),
        "{error:?}"
    );
}

#[test]
fn malformed_hash_is_a_bad_manifest() {
    let (dir, _) = write_bundle();
    edit_manifest(&dir, |m| {
        let upper = m["files"][0]["sha256"].as_str().unwrap().to_uppercase();
        m["files"][0]["sha256"] = upper.into();
    });
    let error = open(&dir).unwrap_err();
    assert!(
        matches!(&error, BundleError::BadManifest { message } if message.contains("items.json")),
        "{error:?}"
    );
}

#[test]
fn unlisted_file_is_not_in_manifest() {
    let (dir, _) = write_bundle();
    let bundle = open(&dir).unwrap();
    let error = bundle.file("tokenizer.json").unwrap_err();
    assert!(
        matches!(&error, BundleError::NotInManifest { file } if file == "tokenizer.json"),
        "{error:?}"
    );
    assert_names(&error, "tokenizer.json");
}

#[test]
fn verify_file_checks_a_single_file() {
    let (_dir, manifest) = write_bundle();
    assert!(manifest.verify_file("items.json", FILES[0].1).is_ok());
    assert!(matches!(
        manifest.verify_file("items.json", b"[]"),
        Err(BundleError::WrongSize { .. })
    ));
    assert!(matches!(
        manifest.verify_file("other.bin", b""),
        Err(BundleError::NotInManifest { .. })
    ));
}

#[test]
fn manifest_text_round_trips() {
    let (_dir, manifest) = write_bundle();
    let parsed = Manifest::parse(manifest.to_json_pretty().as_bytes()).unwrap();
    assert_eq!(parsed, manifest);
}

#[test]
fn writer_refuses_unsafe_paths_and_duplicates() {
    let dir = TempDir::new().unwrap();
    let mut writer = BundleWriter::create(dir.path()).unwrap();
    for path in [
        "",
        "../secret",
        "/etc/passwd",
        "a/../b",
        "weights\\head.bin",
        "weights//head.bin",
        "weights/",
        "./items.json",
        ".hidden",
        MANIFEST_FILE,
        "C:items.json",
        "items?.json",
    ] {
        let error = writer.add(path, b"x").unwrap_err();
        assert!(
            matches!(&error, BundleError::UnsafePath { file, .. } if file == path),
            "{path:?}: {error:?}"
        );
    }
    writer.add("items.json", b"x").unwrap();
    let error = writer.add("items.json", b"y").unwrap_err();
    assert!(
        matches!(&error, BundleError::UnsafePath { file, .. } if file == "items.json"),
        "{error:?}"
    );
    // Nothing was written outside the folder, nor under a refused name.
    assert!(!dir.path().join(MANIFEST_FILE).exists());
    let written = content_addressed_path("items.json", &sha256_hex(b"x"));
    assert_eq!(fs::read(dir.path().join(written)).unwrap(), b"x");
}

#[test]
fn rewriting_a_bundle_drops_the_old_manifest_until_finished() {
    let (dir, _) = write_bundle();
    let mut writer = BundleWriter::create(&bundle_dir(&dir)).unwrap();
    writer.add("items.json", b"[]").unwrap();
    // An export that stops here leaves no manifest, so the half-new bundle is refused.
    let error = open(&dir).unwrap_err();
    assert!(
        matches!(&error, BundleError::Missing { file } if file == MANIFEST_FILE),
        "{error:?}"
    );
    writer.finish(manifest()).unwrap();
    let bundle = open(&dir).unwrap();
    assert_eq!(bundle.manifest.files.len(), 1);
    assert_eq!(bundle.file("items.json").unwrap(), b"[]");
}

/// The files of a written bundle as the browser holds them after fetching: manifest bytes and a
/// map of the rest.
fn fetched(dir: &TempDir) -> (Vec<u8>, std::collections::BTreeMap<String, Vec<u8>>) {
    let manifest = fs::read(bundle_dir(dir).join(MANIFEST_FILE)).unwrap();
    let files = FILES
        .iter()
        .map(|(name, _)| (name.to_string(), fs::read(stored(dir, name)).unwrap()))
        .collect();
    (manifest, files)
}

#[test]
fn fetched_files_make_the_same_bundle_as_the_folder() {
    let (dir, manifest) = write_bundle();
    let (manifest_bytes, files) = fetched(&dir);
    let bundle = Bundle::from_files(&manifest_bytes, files).unwrap();
    assert_eq!(bundle.manifest, manifest);
    for (path, bytes) in FILES {
        assert_eq!(bundle.file(path).unwrap(), bytes);
    }
}

#[test]
fn fetched_files_are_verified() {
    let (dir, _) = write_bundle();
    let (manifest_bytes, mut files) = fetched(&dir);
    files.get_mut("embeddings.f16").unwrap()[3] ^= 1;
    let error = Bundle::from_files(&manifest_bytes, files.clone()).unwrap_err();
    assert!(matches!(error, BundleError::WrongHash { ref file, .. } if file == "embeddings.f16"));

    files.remove("embeddings.f16");
    let error = Bundle::from_files(&manifest_bytes, files).unwrap_err();
    assert!(matches!(error, BundleError::Missing { ref file } if file == "embeddings.f16"));
}

/// A bundle of real typed files: two items, their f16 embeddings, a 3-token int8 static encoder.
fn typed_bundle(items_json: &[u8]) -> Result<Bundle, BundleError> {
    use tailor_core::bundle::{ITEM_EMBEDDINGS_FILE, ITEMS_FILE, STATIC_ENCODER_FILE};
    use tailor_core::{EmbeddingMatrix, quant};
    let dir = TempDir::new().unwrap();
    let mut writer = BundleWriter::create(&dir.path().join("b")).unwrap();
    let embeddings = EmbeddingMatrix::new(2, 2, vec![1.0, 0.0, 0.0, 1.0]).unwrap();
    writer
        .add(
            ITEM_EMBEDDINGS_FILE,
            &quant::encode(&embeddings, EmbeddingEncoding::F16),
        )
        .unwrap();
    let tokens = EmbeddingMatrix::new(3, 4, (0..12).map(|v| v as f32).collect()).unwrap();
    writer
        .add(
            STATIC_ENCODER_FILE,
            &quant::encode(&tokens, EmbeddingEncoding::Int8),
        )
        .unwrap();
    writer.add(ITEMS_FILE, items_json).unwrap();
    let mut manifest = manifest();
    manifest.item_count = 2;
    manifest.dim = 2;
    manifest.text_dim = 4;
    writer.finish(manifest).unwrap();
    Bundle::open_dir(&dir.path().join("b"))
}

#[test]
fn typed_files_decode_with_the_manifest_dimensions() {
    let bundle = typed_bundle(
        br#"[{"id":"a","title":"A","class":"Dresses"},{"id":"b","title":"B","class":""}]"#,
    )
    .unwrap();
    let items = bundle.items().unwrap();
    assert_eq!(items[0].id, "a");
    assert_eq!(items[1].class, "");
    let embeddings = bundle.item_embeddings().unwrap();
    assert_eq!((embeddings.rows, embeddings.dim), (2, 2));
    assert_eq!(embeddings.row(1), &[0.0, 1.0]);
    let tokens = bundle.static_encoder().unwrap();
    assert_eq!((tokens.rows, tokens.dim), (3, 4));
    assert!((tokens.row(2)[3] - 11.0).abs() < 0.05);
}

#[test]
fn items_json_that_disagrees_with_the_manifest_is_a_bad_file() {
    for (items, why) in [
        (&br#"[{"id":"a","title":"A","class":""}]"#[..], "count"),
        (
            br#"[{"id":"a","title":"A","class":""},{"id":"a","title":"B","class":""}]"#,
            "twice",
        ),
        (br#"{"not":"a list"}"#, "shape"),
    ] {
        let error = typed_bundle(items).unwrap().items().unwrap_err();
        assert!(
            matches!(error, BundleError::BadFile { ref file, .. } if file == "items.json"),
            "{why}: {error}"
        );
    }
}

mod outfits {
    //! The outfit section: written by `add_outfits`, read back into the same scorer, and each
    //! damaged outfit file refused with a `BadFile` that says what is wrong.

    use std::collections::BTreeMap;

    use super::*;
    use tailor_core::bundle::{
        OUTFIT_CODES_FILE, OUTFIT_IMAGES_FILE, OUTFIT_ITEMS_FILE, OUTFIT_TYPES_FILE,
        OUTFIT_USER_FILE, OUTFIT_WEIGHTS_FILE, encode_outfit_codes, encode_outfit_weights,
    };
    use tailor_core::{
        CodeLength, OutfitBundleItem, OutfitCatalog, OutfitFiles, OutfitSearch, OutfitSection,
        OutfitSlot, PackedCodes,
    };

    const N: usize = 10;

    fn section() -> OutfitSection {
        let slot = |name: &str, required| OutfitSlot {
            name: name.into(),
            required,
        };
        OutfitSection {
            bits: 128,
            slots: vec![
                slot("top", true),
                slot("bottom", true),
                slot("shoes", true),
                slot("bag", false),
                slot("outerwear", false),
            ],
            item_count: N,
            dim: 32,
            max_history: 20,
            candidates_per_slot: 16,
            synthetic: true,
        }
    }

    fn items() -> Vec<OutfitBundleItem> {
        (0..N)
            .map(|i| OutfitBundleItem {
                id: format!("fm-{i}"),
                title: format!("Item {i}"),
                slot: i % 5,
                class: "T-shirt/top".into(),
            })
            .collect()
    }

    fn codes() -> PackedCodes {
        let words = (0..N as u64 * 2)
            .map(|i| i.wrapping_mul(0x9E37_79B9_7F4A_7C15))
            .collect();
        PackedCodes::new(CodeLength::DEFAULT, words).unwrap()
    }

    fn weights() -> (Vec<f32>, Vec<f32>) {
        let user = (0..128).map(|j| 0.5 + j as f32 / 128.0).collect();
        let compat = (0..128).map(|j| 1.5 - j as f32 / 256.0).collect();
        (user, compat)
    }

    fn images() -> Vec<u8> {
        (0..N * 784).map(|i| (i % 251) as u8).collect()
    }

    /// The outfit files exactly as `add_outfits` writes them.
    fn good_files() -> BTreeMap<&'static str, Vec<u8>> {
        let (user, compat) = weights();
        BTreeMap::from([
            (OUTFIT_ITEMS_FILE, serde_json::to_vec(&items()).unwrap()),
            (OUTFIT_CODES_FILE, encode_outfit_codes(&codes())),
            (
                OUTFIT_TYPES_FILE,
                items().iter().map(|i| i.slot as u8).collect(),
            ),
            (OUTFIT_WEIGHTS_FILE, encode_outfit_weights(&user, &compat)),
            (OUTFIT_IMAGES_FILE, images()),
        ])
    }

    /// A bundle holding `files` (written raw, so damage passes the checksum) and `section`.
    fn raw_bundle(
        files: BTreeMap<&'static str, Vec<u8>>,
        section: Option<OutfitSection>,
    ) -> Bundle {
        let dir = TempDir::new().unwrap();
        let mut writer = BundleWriter::create(dir.path()).unwrap();
        for (path, bytes) in &files {
            writer.add(path, bytes).unwrap();
        }
        let mut manifest = manifest();
        manifest.outfits = section;
        writer.finish(manifest).unwrap();
        Bundle::open_dir(dir.path()).unwrap()
    }

    fn bad_file(bundle: &Bundle) -> (String, String) {
        match bundle.outfit_catalog().unwrap_err() {
            BundleError::BadFile { file, message } => (file, message),
            other => panic!("expected BadFile, got {other:?}"),
        }
    }

    #[test]
    fn outfit_section_round_trips() {
        let dir = TempDir::new().unwrap();
        let mut writer = BundleWriter::create(dir.path()).unwrap();
        let (user_weights, compat_weights) = weights();
        let (items, codes, images) = (items(), codes(), images());
        writer
            .add_outfits(&OutfitFiles {
                section: &section(),
                items: &items,
                codes: &codes,
                user_weights: &user_weights,
                compat_weights: &compat_weights,
                images: Some(&images),
                user_encoder: Some(b"safetensors bytes"),
            })
            .unwrap();
        let mut manifest = manifest();
        manifest.outfits = Some(section());
        let written = writer.finish(manifest).unwrap();
        assert_eq!(written.format_version, BUNDLE_FORMAT_VERSION);

        let bundle = Bundle::open_dir(dir.path()).unwrap();
        assert_eq!(bundle.manifest, written);
        assert_eq!(bundle.manifest.outfits, Some(section()));
        assert_eq!(bundle.outfit_items().unwrap(), items);
        assert_eq!(bundle.outfit_images().unwrap(), Some(&images[..]));
        assert_eq!(bundle.file(OUTFIT_USER_FILE).unwrap(), b"safetensors bytes");
        assert_eq!(
            bundle.file(OUTFIT_TYPES_FILE).unwrap(),
            &[0, 1, 2, 3, 4, 0, 1, 2, 3, 4]
        );

        let read = bundle.outfit_catalog().unwrap().unwrap();
        let direct = OutfitCatalog::new(
            codes.clone(),
            items.iter().map(|i| i.slot as u8).collect(),
            section().slots,
            &user_weights,
            &compat_weights,
        )
        .unwrap();
        assert_eq!(read.len(), N);
        assert_eq!(read.slots(), direct.slots());
        for item in 0..N {
            assert_eq!(read.code(item), codes.code(item));
            assert_eq!(read.slot_of(item), Some(item % 5));
        }
        let user = [0x1234_5678_9abc_def0, 42];
        for anchor in 0..N {
            assert_eq!(
                read.complete(&user, anchor, 5, OutfitSearch::default())
                    .unwrap(),
                direct
                    .complete(&user, anchor, 5, OutfitSearch::default())
                    .unwrap()
            );
        }
    }

    #[test]
    fn bundle_without_outfits_still_reads() {
        let (dir, _) = write_bundle();
        let text = fs::read_to_string(bundle_dir(&dir).join(MANIFEST_FILE)).unwrap();
        assert!(!text.contains("outfits"), "{text}");
        let bundle = open(&dir).unwrap();
        assert_eq!(bundle.manifest.outfits, None);
        assert!(bundle.outfit_catalog().unwrap().is_none());
        assert!(bundle.outfit_items().unwrap().is_empty());
        assert_eq!(bundle.outfit_images().unwrap(), None);
    }

    #[test]
    fn good_raw_files_read() {
        let bundle = raw_bundle(good_files(), Some(section()));
        assert_eq!(bundle.outfit_catalog().unwrap().unwrap().len(), N);
    }

    #[test]
    fn damaged_outfit_files_are_bad_files_that_say_why() {
        type Damage = fn(&mut BTreeMap<&'static str, Vec<u8>>);
        let cases: [(Damage, &str, &str); 6] = [
            (
                |f| f.get_mut(OUTFIT_CODES_FILE).unwrap().truncate(100),
                OUTFIT_CODES_FILE,
                "100 bytes is not 10 codes of 128 bits (160 bytes)",
            ),
            (
                |f| f.get_mut(OUTFIT_CODES_FILE).unwrap().push(0),
                OUTFIT_CODES_FILE,
                "161 bytes is not 10 codes of 128 bits (160 bytes)",
            ),
            (
                |f| f.get_mut(OUTFIT_TYPES_FILE).unwrap().truncate(9),
                OUTFIT_TYPES_FILE,
                "9 bytes is not one slot index per item for 10 items",
            ),
            (
                |f| f.get_mut(OUTFIT_TYPES_FILE).unwrap()[7] = 9,
                OUTFIT_TYPES_FILE,
                "item 7 has type 9 but the manifest lists 5 slots",
            ),
            (
                |f| f.get_mut(OUTFIT_WEIGHTS_FILE).unwrap().truncate(512),
                OUTFIT_WEIGHTS_FILE,
                "512 bytes is not 2 x 128 f32 weights (1024 bytes: user, then compatibility)",
            ),
            (
                |f| {
                    let weights = f.get_mut(OUTFIT_WEIGHTS_FILE).unwrap();
                    // w_c, bit 2: NaN.
                    weights[(128 + 2) * 4..(128 + 3) * 4].copy_from_slice(&f32::NAN.to_le_bytes());
                },
                OUTFIT_WEIGHTS_FILE,
                "compatibility weight 2 is not a finite number (NaN)",
            ),
        ];
        for (damage, file, message) in cases {
            let mut files = good_files();
            damage(&mut files);
            let bundle = raw_bundle(files, Some(section()));
            assert_eq!(bad_file(&bundle), (file.to_string(), message.to_string()));
            // The full message names the file too.
            let text = bundle.outfit_catalog().unwrap_err().to_string();
            assert!(text.contains(file) && text.contains(message), "{text}");
        }
        // A 1000-byte file against a 10-item section of 128 bits, the example the format
        // documentation gives.
        let mut files = good_files();
        files.insert(OUTFIT_CODES_FILE, vec![0; 1000]);
        assert_eq!(
            bad_file(&raw_bundle(files, Some(section()))).1,
            "1000 bytes is not 10 codes of 128 bits (160 bytes)"
        );
    }

    #[test]
    fn outfit_items_that_disagree_with_the_section_are_bad_files() {
        let cases: [(Vec<OutfitBundleItem>, &str); 3] = [
            (
                items()[..9].to_vec(),
                "it has 9 items, the manifest says 10",
            ),
            (
                {
                    let mut items = items();
                    items[4].id = "fm-1".into();
                    items
                },
                "item id \"fm-1\" appears twice",
            ),
            (
                {
                    let mut items = items();
                    items[6].slot = 5;
                    items
                },
                "item 6 (\"fm-6\") has slot 5 but the manifest lists 5 slots",
            ),
        ];
        for (items, message) in cases {
            let mut files = good_files();
            files.insert(OUTFIT_ITEMS_FILE, serde_json::to_vec(&items).unwrap());
            let error = raw_bundle(files, Some(section()))
                .outfit_items()
                .unwrap_err();
            assert!(
                matches!(&error, BundleError::BadFile { file, message: m }
                    if file == OUTFIT_ITEMS_FILE && m == message),
                "{error}"
            );
        }
        let mut files = good_files();
        files.insert(OUTFIT_ITEMS_FILE, b"{}".to_vec());
        let error = raw_bundle(files, Some(section()))
            .outfit_items()
            .unwrap_err();
        assert!(matches!(&error, BundleError::BadFile { file, .. } if file == OUTFIT_ITEMS_FILE));
    }

    #[test]
    fn wrongly_sized_images_are_a_bad_file() {
        let mut files = good_files();
        files.get_mut(OUTFIT_IMAGES_FILE).unwrap().truncate(784 * 9);
        let error = raw_bundle(files, Some(section()))
            .outfit_images()
            .unwrap_err();
        assert_eq!(
            error.to_string(),
            "bundle file outfit_images.bin passed its checksum but cannot be used: \
             7056 bytes is not 10 images of 28 x 28 bytes (7840 bytes)"
        );
        // Images are optional.
        let mut files = good_files();
        files.remove(OUTFIT_IMAGES_FILE);
        assert_eq!(
            raw_bundle(files, Some(section())).outfit_images().unwrap(),
            None
        );
    }

    #[test]
    fn bad_outfit_sections_are_bad_manifests() {
        let mut bits = section();
        bits.bits = 100;
        let mut duplicate = section();
        duplicate.slots[4].name = "bag".into();
        for (section, message) in [
            (
                bits,
                "outfits.bits: code length must be a positive multiple of 64 bits, got 100",
            ),
            (
                duplicate,
                "outfits.slots: outfit slot name \"bag\" appears more than once",
            ),
        ] {
            let error = raw_bundle(good_files(), Some(section))
                .outfit_catalog()
                .unwrap_err();
            assert!(
                matches!(&error, BundleError::BadManifest { message: m } if m == message),
                "{error}"
            );
        }
        // A section whose files are not listed names the missing one.
        let mut files = good_files();
        files.remove(OUTFIT_CODES_FILE);
        let error = raw_bundle(files, Some(section()))
            .outfit_catalog()
            .unwrap_err();
        assert!(
            matches!(&error, BundleError::NotInManifest { file } if file == OUTFIT_CODES_FILE),
            "{error}"
        );
    }

    #[test]
    fn add_outfits_refuses_files_the_reader_would_refuse() {
        let (user_weights, compat_weights) = weights();
        let (items, codes) = (items(), codes());
        let files = OutfitFiles {
            section: &section(),
            items: &items,
            codes: &codes,
            user_weights: &user_weights,
            compat_weights: &compat_weights,
            images: None,
            user_encoder: None,
        };
        let dir = TempDir::new().unwrap();
        let mut writer = BundleWriter::create(dir.path()).unwrap();
        let short = &user_weights[..64];
        let error = writer
            .add_outfits(&OutfitFiles {
                user_weights: short,
                ..files
            })
            .unwrap_err();
        assert_eq!(
            error.to_string(),
            "bundle file outfit_weights.bin passed its checksum but cannot be used: \
             user weights has length 64, expected 128"
        );
        let few = &items[..3];
        let error = writer
            .add_outfits(&OutfitFiles {
                items: few,
                ..files
            })
            .unwrap_err();
        assert!(
            matches!(&error, BundleError::BadFile { file, .. } if file == OUTFIT_ITEMS_FILE),
            "{error}"
        );
        let images = vec![0; 10];
        let error = writer
            .add_outfits(&OutfitFiles {
                images: Some(&images),
                ..files
            })
            .unwrap_err();
        assert!(
            matches!(&error, BundleError::BadFile { file, .. } if file == OUTFIT_IMAGES_FILE),
            "{error}"
        );
        // Nothing was written by the refused calls, so a good call still works.
        writer.add_outfits(&files).unwrap();
    }
}

/// A bundle with a "for you" head: 2 items' 2-wide embeddings, a tower file of `tower_bytes`
/// bytes, and the section `edit` leaves.
fn for_you_bundle(
    item_bytes: Vec<u8>,
    tower_bytes: usize,
    edit: impl FnOnce(&mut tailor_core::bundle::ForYouSection),
) -> Bundle {
    use tailor_core::bundle::{FOR_YOU_ITEMS_FILE, FOR_YOU_TOWER_FILE, ForYouSection};
    let dir = TempDir::new().unwrap();
    let mut writer = BundleWriter::create(&dir.path().join("b")).unwrap();
    writer.add(FOR_YOU_ITEMS_FILE, &item_bytes).unwrap();
    writer
        .add(FOR_YOU_TOWER_FILE, &vec![0u8; tower_bytes])
        .unwrap();
    let mut section = ForYouSection {
        dim: 2,
        hidden: 4,
        heads: 2,
        max_history: 50,
        explain_temperature: 0.1,
    };
    edit(&mut section);
    let mut manifest = manifest();
    manifest.item_count = 2;
    manifest.for_you = Some(section);
    writer.finish(manifest).unwrap();
    Bundle::open_dir(&dir.path().join("b")).unwrap()
}

#[test]
fn a_for_you_head_decodes_with_its_section_and_every_bad_size_is_named() {
    use tailor_core::{EmbeddingMatrix, quant};
    let embeddings = EmbeddingMatrix::new(2, 2, vec![1.0, 0.0, 0.0, 1.0]).unwrap();
    let stored = quant::encode(&embeddings, EmbeddingEncoding::F16);
    // (1 + heads) * dim inputs x hidden f32 weights: 96 bytes at least.
    let (section, items) = for_you_bundle(stored.clone(), 96, |_| {})
        .for_you_embeddings()
        .unwrap()
        .expect("a for-you head");
    assert_eq!(section.heads, 2);
    assert_eq!(items.row(1), &[0.0, 1.0]);
    assert!(
        typed_bundle(br#"[{"id":"a","title":"A","class":""},{"id":"b","title":"B","class":""}]"#)
            .unwrap()
            .for_you_embeddings()
            .unwrap()
            .is_none()
    );

    let bad_manifest = |edit: fn(&mut tailor_core::bundle::ForYouSection), wanted: &str| {
        let error = for_you_bundle(stored.clone(), 96, edit)
            .for_you_embeddings()
            .unwrap_err();
        assert!(
            matches!(&error, BundleError::BadManifest { message } if message.contains(wanted)),
            "{error}"
        );
    };
    bad_manifest(|s| s.heads = 0, "at least 1");
    bad_manifest(|s| s.dim = 0, "at least 1");
    bad_manifest(|s| s.heads = 17, "at most 16 heads");
    bad_manifest(|s| s.max_history = 100_000, "1000 history items");
    bad_manifest(|s| s.explain_temperature = -1.0, "explain_temperature");

    // A hidden width the tower file cannot hold, even one that overflows, is refused before
    // any model is built; so are item embeddings of the wrong size.
    for hidden in [5, usize::MAX / 2] {
        let error = for_you_bundle(stored.clone(), 96, |s| s.hidden = hidden)
            .for_you_embeddings()
            .unwrap_err();
        assert_names(&error, "for_you_tower.safetensors");
    }
    let error = for_you_bundle(stored[..6].to_vec(), 96, |_| {})
        .for_you_embeddings()
        .unwrap_err();
    assert!(
        matches!(&error, BundleError::BadFile { file, .. } if file == "for_you_items.bin"),
        "{error}"
    );
}

#[test]
fn a_pinned_integrity_accepts_its_manifest_and_names_any_other() {
    let bytes = br#"{"format_version": 1}"#;
    let pinned = integrity(bytes);
    // The SRI form of sha256: "sha256-" and 44 characters of standard base64.
    assert!(
        pinned.starts_with("sha256-") && pinned.len() == 7 + 44,
        "{pinned}"
    );
    assert!(check_integrity(bytes, &pinned).is_ok());
    assert!(check_integrity(bytes, &format!("  {pinned} ")).is_ok());
    // A manifest rewritten together with its files still has another digest.
    let rewritten = br#"{"format_version": 1} "#;
    match check_integrity(rewritten, &pinned) {
        Err(BundleError::IntegrityMismatch { expected, actual }) => {
            assert_eq!(expected, pinned);
            assert_eq!(actual, integrity(rewritten));
        }
        other => panic!("expected a mismatch, got {other:?}"),
    }
    for (bad, reason) in [
        ("sha384-abc", "it must start with \"sha256-\""),
        (
            "sha256-not base64!",
            "the digest after \"sha256-\" is not base64",
        ),
        ("sha256-AAAA", "a sha256 digest has 32 bytes"),
    ] {
        match check_integrity(bytes, bad) {
            Err(BundleError::BadIntegrity { value, why }) => {
                assert_eq!((value.as_str(), why), (bad, reason));
            }
            other => panic!("{bad}: expected BadIntegrity, got {other:?}"),
        }
    }
}
