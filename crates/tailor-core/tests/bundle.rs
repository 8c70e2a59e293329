//! A bundle written with `BundleWriter` reads back byte for byte, and each way a bundle on disk
//! can be wrong is refused with its own error that names the file.

use std::fs;
use std::path::Path;

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
    for ((path, bytes), entry) in FILES.iter().zip(&written.files) {
        assert_eq!(entry.path, *path);
        assert_eq!(entry.size, bytes.len() as u64);
        assert_eq!(entry.sha256, sha256_hex(bytes));
    }

    let bundle = open(&dir).unwrap();
    assert_eq!(bundle.manifest, written);
    for (path, bytes) in FILES {
        assert_eq!(bundle.file(path).unwrap(), bytes);
    }
    assert_eq!(bundle.manifest.metrics["recall@20"], 0.5);
    // No temporary files are left behind.
    let mut names: Vec<String> = walk(&bundle_dir(&dir));
    names.sort();
    assert_eq!(
        names,
        [
            "embeddings.f16",
            "items.json",
            "manifest.json",
            "weights/head.bin"
        ]
    );
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
    fs::remove_file(bundle_dir(&dir).join("weights/head.bin")).unwrap();
    let error = open(&dir).unwrap_err();
    assert!(
        matches!(&error, BundleError::Missing { file } if file == "weights/head.bin"),
        "{error:?}"
    );
    assert_names(&error, "weights/head.bin");
}

#[test]
fn truncated_file_has_wrong_size() {
    let (dir, _) = write_bundle();
    let path = bundle_dir(&dir).join("items.json");
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
    let path = bundle_dir(&dir).join("embeddings.f16");
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
    let path = bundle_dir(&dir).join("weights/head.bin");
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
    let (dir, _) = write_bundle();
    edit_manifest(&dir, |m| {
        let first = m["files"][0].clone();
        m["files"].as_array_mut().unwrap().push(first);
    });
    let error = open(&dir).unwrap_err();
    assert!(
        matches!(&error, BundleError::UnsafePath { file, .. } if file == "items.json"),
        "{error:?}"
    );
}

#[test]
fn invalid_json_is_a_bad_manifest() {
    let (dir, _) = write_bundle();
    write_manifest_text(&dir, "{\"format_version\": 2, \"files\": [");
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
    assert_eq!(fs::read(dir.path().join("items.json")).unwrap(), b"x");
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
        .map(|(path, _)| {
            (
                path.to_string(),
                fs::read(bundle_dir(dir).join(path)).unwrap(),
            )
        })
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
