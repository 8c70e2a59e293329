//! `outfit-ablations` end to end: Fashion Hash Net on SYNTHETIC outfits over real Fashion-MNIST
//! pictures (the generator's quick size), read through the shop path (the shop that `tailor
//! import fashion-mnist-outfits` writes, then `--shop`), against its float-embedding version,
//! its one-term ablations and BPR-MF over outfits, all scored on the same held-out lists. It checks the
//! goals (binary codes as good as relaxed ones within 0.01 AUC, the full model ahead of
//! every comparison, a 16x smaller catalog), that a second run resumes every training with
//! identical figures, and that a malformed outfit CSV is refused with its line number. The
//! user-id variant runs on MovieLens-100k single-item "outfits" against BPR-MF.

use std::process::{Command, Output};

use serde_json::Value;
use tailor_data::import::write_fashion_mnist_outfits;
use tailor_data::{FashionMnist, SyntheticOutfitConfig, synthetic_outfits};

#[path = "../../../../tests/quality.rs"]
mod quality;

fn ablations(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_outfit-ablations"))
        .args(args)
        .output()
        .expect("start outfit-ablations")
}

fn check(output: &Output) -> String {
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "outfit-ablations failed\nstdout: {stdout}\nstderr: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

fn auc(report: &Value, key: &str) -> f64 {
    report["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|row| row["key"] == key)
        .unwrap_or_else(|| panic!("no row {key}"))["metrics"]["auc"]
        .as_f64()
        .unwrap()
}

#[test]
fn synthetic_outfit_comparison_meets_its_goals_and_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("outfits.json");
    let json_arg = json.to_str().unwrap();
    let seed = quality::seed(0).to_string();
    let shop = dir.path().join("shop");
    let shop_arg = shop.to_str().unwrap();
    // The shop `tailor import fashion-mnist-outfits --quick` writes, through the same library.
    let images = FashionMnist::load().expect("Fashion-MNIST is installed by `cargo xtask setup`");
    let generator = SyntheticOutfitConfig {
        seed: quality::seed(0),
        ..SyntheticOutfitConfig::quick()
    };
    let outfits = synthetic_outfits(&images.train, &generator).expect("generate outfits");
    write_fashion_mnist_outfits(&outfits, &shop).expect("write the shop");
    let args = ["--shop", shop_arg, "--seed", &seed, "--json", json_arg];
    let stdout = check(&ablations(&args));
    assert!(stdout.contains("SYNTHETIC"), "{stdout}");
    let report: Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    assert_eq!(report["synthetic"], true);
    assert_eq!(report["items"], 540);
    assert_eq!(report["users"], 200);
    let (relaxed, binary) = (auc(&report, "fhn_relaxed"), auc(&report, "fhn_binary"));
    eprintln!("{stdout}");
    assert!(
        quality::check(
            "outfits (synthetic) |relaxed - binary| AUC",
            (relaxed - binary).abs(),
            "<=",
            0.01
        ),
        "binary {binary} vs relaxed {relaxed}"
    );
    assert!(
        quality::check("outfits (synthetic) binary AUC", binary, ">", 0.75),
        "binary AUC {binary}: the model learnt little"
    );
    for other in ["preference_only", "compatibility_only", "bpr_mf"] {
        let theirs = auc(&report, other);
        assert!(
            quality::check(
                &format!("outfits (synthetic) binary AUC vs {other}"),
                binary,
                ">",
                theirs
            ),
            "FHN {binary} does not beat {other} {theirs}"
        );
    }
    assert!(report["catalog"]["shrink"].as_f64().unwrap() >= 16.0);

    // A second run finds every training finished and reports the same figures.
    let again = check(&ablations(&args));
    assert_eq!(again, stdout);
}

#[test]
fn a_malformed_outfit_csv_is_refused_with_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("outfits.csv");
    std::fs::write(
        &csv,
        "user,top,bottom,shoes,bag,outerwear\nann,fm-0,fm-1,fm-9,,\nbob,fm-0,fm-1,,,\n",
    )
    .unwrap();
    let json = dir.path().join("report.json");
    let output = ablations(&[
        "--quick",
        "--outfits-csv",
        csv.to_str().unwrap(),
        "--json",
        json.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(
        stderr.contains("line 2") || stderr.contains("line 3"),
        "{stderr}"
    );
    assert!(!json.exists());
}

#[test]
fn user_id_codes_learn_movielens_preferences() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("ml100k.json");
    let stdout = check(&ablations(&[
        "--movielens",
        "ml-100k",
        "--epochs",
        "10",
        "--seed",
        &quality::seed(0).to_string(),
        "--json",
        json.to_str().unwrap(),
    ]));
    eprintln!("{stdout}");
    let results: Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    let ndcg = |key: &str| {
        results
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["key"] == key)
            .unwrap_or_else(|| panic!("no {key}"))["test"]["ndcg_at_10"]
            .as_f64()
            .unwrap()
    };
    let (fhn, bpr) = (ndcg("fhn_user_ids"), ndcg("bpr_mf"));
    // Short training: the codes must carry real preference signal, not match BPR-MF (the
    // README has the full MovieLens-1M comparison).
    assert!(
        quality::check(
            "ML-100k FHN codes NDCG@10 vs 0.5 x BPR-MF",
            fhn,
            ">=",
            0.5 * bpr
        ),
        "FHN codes NDCG@10 {fhn} against BPR-MF {bpr}"
    );
}
