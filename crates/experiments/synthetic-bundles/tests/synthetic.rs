//! A synthetic copy keeps every model file of its source byte for byte, has exactly the asked
//! number of items, each labelled synthetic, and opens as a valid bundle.

use synthetic_bundles::{SyntheticError, write_synthetic_bundle};
use tailor_core::bundle::{ITEM_EMBEDDINGS_FILE, ITEMS_FILE};
use tailor_core::{
    Bundle, BundleWriter, EmbeddingEncoding, EmbeddingMatrix, EncoderKind, Manifest, quant,
};
use tempfile::TempDir;

const HEAD: &[u8] = b"query tower weights \x00\xff";

fn source(dir: &TempDir) -> Bundle {
    let path = dir.path().join("source");
    let mut writer = BundleWriter::create(&path).unwrap();
    let embeddings =
        EmbeddingMatrix::new(3, 4, (0..12).map(|v| (v as f32 - 6.0) / 6.0).collect()).unwrap();
    writer
        .add(
            ITEM_EMBEDDINGS_FILE,
            &quant::encode(&embeddings, EmbeddingEncoding::F16),
        )
        .unwrap();
    writer
        .add(
            ITEMS_FILE,
            br#"[{"id":"a","title":"Linen dress","class":"Dresses"},{"id":"b","title":"Wool coat","class":"Jackets"},{"id":"c","title":"Sandals","class":"Shoes"}]"#,
        )
        .unwrap();
    writer.add("query_tower.safetensors", HEAD).unwrap();
    writer
        .finish(Manifest {
            format_version: 0,
            encoder: EncoderKind::Minilm,
            text_dim: 384,
            dim: 4,
            hidden: 16,
            personalization: None,
            item_count: 3,
            item_types: Vec::new(),
            item_embedding_encoding: EmbeddingEncoding::F16,
            files: Vec::new(),
            metrics: serde_json::json!({ "recall@10": 0.5 }),
            outfits: None,
            for_you: None,
            shop: None,
        })
        .unwrap();
    Bundle::open_dir(&path).unwrap()
}

#[test]
fn a_synthetic_copy_has_the_asked_items_and_the_same_model() {
    let dir = TempDir::new().unwrap();
    let source = source(&dir);
    let out = dir.path().join("synthetic");
    let manifest = write_synthetic_bundle(&source, 300, 7, &out).unwrap();
    assert_eq!(manifest.item_count, 300);
    let copy = Bundle::open_dir(&out).unwrap();
    assert_eq!(copy.item_embeddings().unwrap().rows, 300);
    let items = copy.items().unwrap();
    assert_eq!(items.len(), 300);
    assert!(
        items
            .iter()
            .all(|item| item.title.starts_with("Synthetic item"))
    );
    assert_eq!(copy.file("query_tower.safetensors").unwrap(), HEAD);
    let note = copy.manifest.metrics["synthetic"].as_str().unwrap();
    assert!(note.contains("300 synthetic items"), "{note}");
    // The source's figures describe its own catalog, not this one.
    assert!(copy.manifest.metrics.get("recall@10").is_none());

    let again = dir.path().join("again");
    let repeated = write_synthetic_bundle(&source, 300, 7, &again).unwrap();
    assert_eq!(
        Bundle::open_dir(&again)
            .unwrap()
            .file(ITEM_EMBEDDINGS_FILE)
            .unwrap(),
        copy.file(ITEM_EMBEDDINGS_FILE).unwrap(),
        "the same seed makes the same catalog"
    );
    assert_eq!(repeated.files, copy.manifest.files, "under the same names");
}

#[test]
fn an_empty_catalog_is_refused() {
    let dir = TempDir::new().unwrap();
    let source = source(&dir);
    let out = dir.path().join("empty");
    let error = write_synthetic_bundle(&source, 0, 0, &out).unwrap_err();
    assert!(matches!(error, SyntheticError::Empty), "{error}");
}
