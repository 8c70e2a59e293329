//! The visual-interest experiment on its quick setup: COURIER's claim must hold on held-out
//! synthetic shoppers, and the synthetic world must be a function of its seed. Needs Debian's
//! `dataset-fashion-mnist`.

use std::time::Instant;

use tailor_data::FashionMnist;
use visual_interest::{
    CLASS_ONLY, CLASSIFICATION, COURIER, VisualConfig, generate_world, run_visual_experiment,
};

#[path = "../../../../tests/quality.rs"]
mod quality;

#[test]
fn the_world_is_a_function_of_its_seed() {
    let images = FashionMnist::load().unwrap();
    let config = VisualConfig::quick();
    let first = generate_world(&config, &images.train).unwrap();
    assert_eq!(first, generate_world(&config, &images.train).unwrap());
    let other = generate_world(&config.clone().with_seed(1), &images.train).unwrap();
    assert_ne!(first, other);
    // Every class has all three traits in equal shares.
    for class in 0..10 {
        for item_trait in 0..3 {
            let count = (0..first.classes.len())
                .filter(|&i| first.classes[i] == class && first.traits[i] == item_trait)
                .count();
            assert!(
                (33..=34).contains(&count),
                "class {class} trait {item_trait}: {count}"
            );
        }
    }
}

#[test]
fn behaviour_pretrained_features_beat_class_pretrained_ones() {
    let images = FashionMnist::load().unwrap();
    let started = Instant::now();
    let config = VisualConfig::quick().with_seed(quality::seed(0));
    let checkpoints = tempfile::tempdir().unwrap();
    let report = run_visual_experiment(
        &config,
        &images,
        checkpoints.path(),
        &indicatif::ProgressBar::hidden(),
    )
    .unwrap();
    eprintln!(
        "{}\nquick run: {:.1} s",
        serde_json::to_string_pretty(&report).unwrap(),
        started.elapsed().as_secs_f64()
    );
    assert!(report.synthetic);
    let auc = |name: &str| {
        report
            .click
            .iter()
            .find(|row| row.features == name)
            .unwrap()
            .mean_shopper_auc
    };
    let (class_only, classification, courier) =
        (auc(CLASS_ONLY), auc(CLASSIFICATION), auc(COURIER));
    let vs = |name: &str, theirs: f64| {
        quality::check(
            &format!("Fashion-MNIST (synthetic shoppers) COURIER click AUC vs {name} + 0.015"),
            courier,
            ">",
            theirs + 0.015,
        )
    };
    assert!(
        vs("classification", classification),
        "COURIER {courier:.3} vs classification {classification:.3}"
    );
    assert!(
        vs("class only", class_only),
        "COURIER {courier:.3} vs class only {class_only:.3}"
    );
    assert!(quality::check(
        "Fashion-MNIST classifier test accuracy",
        report.classification.test_accuracy,
        ">",
        0.7
    ));
    let losses = &report.courier.epoch_losses;
    assert!(losses.last().unwrap() < losses.first().unwrap());
}
