//! The Fashion Hash Net trainer on a small synthetic outfit set (real Fashion-MNIST pictures):
//! a run stopped after two epochs and resumed ends exactly where an uninterrupted run ends, a
//! folder from another config is refused, and the exported bundle's outfit part reads back
//! into the same catalog.

use burn::prelude::*;
use tailor_core::quant::EmbeddingMatrix;
use tailor_data::{FashionMnist, SyntheticOutfitConfig, synthetic_outfits};
use tailor_model::fhn::FashionHashNetConfig;
use tailor_train::outfits::{
    CodeReading, ItemContent, OutfitNames, OutfitSet, OutfitTrainConfig, export_outfits,
    model_codes, read_records, train_outfits,
};

/// Burn seeds its random initialisation per process, so two trainings running at once in one
/// test binary would draw each other's initial weights: the tests here take turns.
static ONE_TRAINING_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn small_set() -> (tailor_data::OutfitData, OutfitSet) {
    let images = FashionMnist::load().expect("Fashion-MNIST is installed by `cargo xtask setup`");
    let config = SyntheticOutfitConfig {
        items_per_class: 12,
        users: 30,
        outfits_per_user: 5,
        ..SyntheticOutfitConfig::quick()
    };
    let data = synthetic_outfits(&images.train, &config).unwrap();
    // Stand-in class texts: the trainer only needs one vector per class.
    let texts: Vec<f32> = (0..10 * 8)
        .map(|i| ((i * 7 % 13) as f32 - 6.0) / 6.0)
        .collect();
    let class_text = EmbeddingMatrix::new(10, 8, texts).unwrap();
    let content = ItemContent {
        pixels: data.pixels.clone(),
        class: data.items.iter().map(|item| item.class).collect(),
        class_text,
    };
    let set = OutfitSet::split(&data, tailor_data::OUTFIT_SLOTS.len(), Some(content), 1);
    (data, set)
}

fn config(set: &OutfitSet) -> OutfitTrainConfig {
    OutfitTrainConfig::new(
        FashionHashNetConfig::new(set.slots)
            .with_bits(64)
            .with_dim(16)
            .with_text_dim(8),
    )
    .with_epochs(4)
    .with_batch_size(32)
}

fn cpu() -> Device {
    Device::flex()
}

fn values(tensor: Tensor<2>) -> Vec<f32> {
    tensor
        .into_data()
        .convert::<f32>()
        .try_to_vec::<f32>()
        .unwrap()
}

#[test]
fn a_stopped_run_resumes_to_the_same_model() {
    let _turn = ONE_TRAINING_AT_A_TIME
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let (_, set) = small_set();
    let config = config(&set);
    let temp = tempfile::tempdir().unwrap();
    let bar = indicatif::ProgressBar::hidden();

    let straight = train_outfits(
        &set,
        &config,
        &temp.path().join("straight"),
        &cpu(),
        &bar,
        &|_| {},
    )
    .unwrap();

    // The same run stopped after epoch 2: train 2 epochs, then resume with the full config.
    let stopped_dir = temp.path().join("stopped");
    let short = config.clone().with_epochs(2);
    train_outfits(&set, &short, &stopped_dir, &cpu(), &bar, &|_| {}).unwrap();
    let refused = train_outfits(&set, &config, &stopped_dir, &cpu(), &bar, &|_| {});
    assert!(
        refused.is_err(),
        "a folder made with another config must be refused"
    );
    // A kill after epoch 2 leaves that epoch's checkpoint under the full config: make it so by
    // rewriting the record's config, as the full run would have written it.
    let progress = stopped_dir.join("progress.json");
    let mut record: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&progress).unwrap()).unwrap();
    record["config"] = serde_json::to_value(&config).unwrap();
    std::fs::write(&progress, serde_json::to_vec(&record).unwrap()).unwrap();
    let resumed = train_outfits(&set, &config, &stopped_dir, &cpu(), &bar, &|_| {}).unwrap();

    let epochs = |records: &[tailor_train::outfits::OutfitEpoch]| -> Vec<(usize, f64)> {
        records.iter().map(|e| (e.epoch, e.loss)).collect()
    };
    assert_eq!(epochs(&resumed.epochs), epochs(&straight.epochs));
    assert_eq!(
        read_records(&stopped_dir).unwrap().len(),
        config.epochs,
        "every epoch is recorded"
    );
    for reading in [CodeReading::Relaxed, CodeReading::Binary] {
        let a = model_codes(&straight.model, &set, &config, reading);
        let b = model_codes(&resumed.model, &set, &config, reading);
        assert_eq!(values(a.items), values(b.items), "{reading:?} item codes");
        assert_eq!(values(a.users), values(b.users), "{reading:?} user codes");
    }
}

#[test]
fn the_exported_outfit_part_reads_back() {
    let _turn = ONE_TRAINING_AT_A_TIME
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let (data, set) = small_set();
    let config = config(&set).with_epochs(1);
    let temp = tempfile::tempdir().unwrap();
    let trained = train_outfits(
        &set,
        &config,
        &temp.path().join("run"),
        &cpu(),
        &indicatif::ProgressBar::hidden(),
        &|_| {},
    )
    .unwrap();
    let dir = temp.path().join("bundle");
    let mut writer = tailor_core::BundleWriter::create(&dir).unwrap();
    let section = export_outfits(
        &mut writer,
        &trained.model,
        &set,
        &data,
        &OutfitNames::fashion_mnist(),
        &config,
    )
    .unwrap();
    assert!(section.synthetic);
    assert_eq!(section.item_count, data.items.len());
    assert_eq!(section.slots.iter().filter(|s| s.required).count(), 3);
    // Only the outfit part: enough for tailor-core to read it back.
    let mut manifest: serde_json::Value = serde_json::json!({
        "format_version": tailor_core::BUNDLE_FORMAT_VERSION,
        "encoder": "static", "text_dim": 8, "dim": 16, "hidden": 0, "personalization": null,
        "item_count": 0, "item_types": [], "item_embedding_encoding": "f16", "files": [],
    });
    manifest["outfits"] = serde_json::to_value(&section).unwrap();
    let written = writer
        .finish(serde_json::from_value(manifest).unwrap())
        .unwrap();
    assert!(written.entry("outfit_codes.bin").is_some());
    let bundle = tailor_core::Bundle::open_dir(&dir).unwrap();
    let catalog = bundle.outfit_catalog().unwrap().expect("an outfit section");
    assert_eq!(catalog.len(), data.items.len());
    let binary = values(model_codes(&trained.model, &set, &config, CodeReading::Binary).items);
    for (item, signs) in binary.chunks(64).enumerate() {
        let code = catalog.code(item).unwrap();
        for (bit, &sign) in signs.iter().enumerate() {
            let set_bit = code[bit / 64] >> (bit % 64) & 1 == 1;
            assert_eq!(set_bit, sign > 0.0, "item {item} bit {bit}");
        }
    }
}
