//! `tailor import / train --shop / eval / export` end to end on a small slice of the real data,
//! the path every shop takes: a run killed in the middle and resumed ends exactly where an
//! uninterrupted run ends, the report and the plots are written, and the exported bundle loads,
//! ranks and refuses damage.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::Value;
use tailor_core::bundle::{Bundle, BundleError};

mod common;
use common::{run_ok, tailor};

#[path = "../../../tests/quality.rs"]
mod quality;

const SUBSET: &str = "24,15";
const EPOCHS: &str = "12";

/// The Women's Clothing slice as an example shop.
fn import_shop(dir: &Path) -> PathBuf {
    let shop = dir.join("shop");
    run_ok(
        tailor()
            .args(["import", "womens-clothing", "--subset", SUBSET, "--out"])
            .arg(&shop),
    );
    shop
}

fn train_args(shop: &Path, out: &Path) -> Vec<String> {
    let seed = quality::seed(7).to_string();
    [
        "train", "--quiet", "--quick", "--epochs", EPOCHS, "--seed", &seed,
    ]
    .iter()
    .map(|s| s.to_string())
    .chain([
        "--shop".to_string(),
        shop.display().to_string(),
        "--out".to_string(),
        out.display().to_string(),
    ])
    .collect()
}

const VARIANTS: [&str; 2] = ["whisperlite-minilm", "whisperlite-static"];

/// Epoch records of every variant, without their wall-clock times.
fn records(run: &Path) -> Vec<Value> {
    VARIANTS
        .iter()
        .map(|variant| {
            let path = run.join(variant).join("progress.json");
            let mut progress: Value =
                serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
            for record in progress["records"].as_array_mut().unwrap() {
                record["seconds"] = Value::Null;
            }
            progress
        })
        .collect()
}

/// The JSON report and the printed table.
fn eval(run: &Path) -> (Value, String) {
    let report = run.join("report.json");
    let output = run_ok(
        tailor()
            .args(["eval", "--run"])
            .arg(run)
            .arg("--json")
            .arg(&report),
    );
    (
        serde_json::from_slice(&std::fs::read(report).unwrap()).unwrap(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
    )
}

fn epochs_done(run: &Path, variant: &str) -> u64 {
    std::fs::read(run.join(variant).join("progress.json"))
        .ok()
        .and_then(|bytes| serde_json::from_slice::<Value>(&bytes).ok())
        .and_then(|v| v["epochs_done"].as_u64())
        .unwrap_or(0)
}

/// `tailor recommend --json` on a bundle: the ranked items of each query.
fn recommend(bundle: &Path, queries: &[String], k: usize) -> Vec<Vec<Value>> {
    let mut command = tailor();
    command.args(["recommend", "--json", "--k", &k.to_string(), "--bundle"]);
    command.arg(bundle);
    for query in queries {
        command.args(["--query", query]);
    }
    let output: Value = serde_json::from_slice(&run_ok(&mut command).stdout).unwrap();
    output
        .as_array()
        .unwrap()
        .iter()
        .map(|result| result["items"].as_array().unwrap().clone())
        .collect()
}

#[test]
fn train_kill_resume_eval_export() {
    let temp = tempfile::tempdir().unwrap();
    let shop = import_shop(temp.path());
    let straight = temp.path().join("straight");
    run_ok(tailor().args(train_args(&shop, &straight)));
    let run: Value =
        serde_json::from_slice(&std::fs::read(straight.join("run.json")).unwrap()).unwrap();
    assert_eq!(run["sources"]["requests"]["reviews"], 347, "{run}");
    assert_eq!(run["sources"]["requests"]["test"], 24);
    assert_eq!(run["sources"]["real_sessions"], false);

    // Same run, killed once the first variant has finished two epochs.
    let interrupted = temp.path().join("interrupted");
    let mut child = tailor()
        .args(train_args(&shop, &interrupted))
        .spawn()
        .unwrap();
    let started = Instant::now();
    while epochs_done(&interrupted, VARIANTS[0]) < 2 {
        assert!(
            started.elapsed() < Duration::from_secs(600),
            "training never got to epoch 2"
        );
        assert!(
            child.try_wait().unwrap().is_none(),
            "training ended before it was killed"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(
        epochs_done(&interrupted, VARIANTS[1]),
        0,
        "the kill came too late to test anything"
    );

    // Without --resume the folder is refused.
    let refused = tailor()
        .args(train_args(&shop, &interrupted))
        .output()
        .unwrap();
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--resume"));

    let mut resume = tailor();
    resume.args(train_args(&shop, &interrupted)).arg("--resume");
    run_ok(&mut resume);
    assert_eq!(records(&straight), records(&interrupted));
    // The weights themselves, through what they compute: every test metric of every method.
    let (report, table) = eval(&straight);
    assert_eq!(report["protocols"], eval(&interrupted).0["protocols"]);

    // Evaluation: report, table and plots.
    let report_path = straight.join("report.json");
    for name in [
        "zero-shot MiniLM cosine",
        "popularity",
        "random",
        "WhisperLite",
    ] {
        assert!(table.contains(name), "{name} missing from\n{table}");
    }
    let protocols = report["protocols"].as_array().unwrap();
    assert_eq!(protocols.len(), 2);
    for protocol in protocols {
        let methods = protocol["methods"].as_array().unwrap();
        assert_eq!(methods.len(), 6);
        for method in methods {
            let recall = method["metrics"]["recall_at_10"].as_f64().unwrap();
            assert!((0.0..=1.0).contains(&recall));
        }
    }
    for plot in [
        "recall-at-k-held-out-items.svg",
        "recall-at-k-full-catalog.svg",
        "training-whisperlite-minilm.svg",
    ] {
        let svg = std::fs::read_to_string(straight.join("plots").join(plot)).unwrap();
        assert!(svg.starts_with("<svg"), "{plot}");
    }

    // Export, load, damage.
    let bundle = temp.path().join("bundle");
    run_ok(
        tailor()
            .args(["export", "--run"])
            .arg(&straight)
            .arg("--out")
            .arg(&bundle)
            .arg("--report")
            .arg(&report_path),
    );
    let loaded = Bundle::open_dir(&bundle).expect("the exported bundle loads");
    let items: Value = serde_json::from_slice(loaded.file("items.json").unwrap()).unwrap();
    assert_eq!(items.as_array().unwrap().len(), loaded.manifest.item_count);
    assert!(!loaded.manifest.item_types.is_empty());
    assert!(loaded.manifest.item_types.iter().all(|t| !t.is_empty()));
    assert!(
        loaded
            .manifest
            .files
            .iter()
            .any(|f| f.name == "static_encoder.bin")
    );

    // Every item carries what a product card needs; the imported reviews have no pictures,
    // prices or links, so those stay empty rather than made up.
    for item in items.as_array().unwrap() {
        assert!(!item["title"].as_str().unwrap().is_empty(), "{item}");
        assert!(
            item["category"].as_array().is_some_and(|c| !c.is_empty()),
            "{item}"
        );
        assert_eq!(item["image"], "");
        assert_eq!(item["price"], Value::Null);
    }
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(bundle.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["metrics"]["trained_from"], run["sources"]);
    // The eval report goes beside the bundle, not into the manifest every page load fetches.
    assert_eq!(manifest["metrics"]["report"], "report.json");
    let copied: Value =
        serde_json::from_slice(&std::fs::read(bundle.join("report.json")).unwrap()).unwrap();
    assert_eq!(copied["protocols"], report["protocols"]);
    assert!(
        std::fs::metadata(bundle.join("manifest.json"))
            .unwrap()
            .len()
            < 8_000,
        "the manifest stays a few KB"
    );

    // Native ranking of the whole catalog, as the browser ranks it: asked for a class by name,
    // the model ranks that class's items above the rest. Per class, the share of (class item,
    // other item) pairs in the right order (AUC, 0.5 by chance); its mean over the classes.
    let classes = &loaded.manifest.item_types;
    let queries: Vec<String> = classes.iter().map(|c| c.to_lowercase()).collect();
    let item_count = loaded.manifest.item_count;
    let rankings = recommend(&bundle, &queries, item_count);
    let mut aucs = Vec::new();
    for (class, ranked) in classes.iter().zip(&rankings) {
        assert_eq!(ranked.len(), item_count);
        let scores: Vec<f64> = ranked
            .iter()
            .map(|i| i["score"].as_f64().unwrap())
            .collect();
        assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");
        let (mut others_seen, mut ordered, mut pairs) = (0usize, 0usize, 0usize);
        let members = ranked
            .iter()
            .filter(|i| i["class"] == class.as_str())
            .count();
        for item in ranked {
            if item["class"] == class.as_str() {
                ordered += item_count - members - others_seen;
                pairs += item_count - members;
            } else {
                others_seen += 1;
            }
        }
        if pairs > 0 {
            aucs.push(ordered as f64 / pairs as f64);
        }
    }
    let mean_auc = aucs.iter().sum::<f64>() / aucs.len().max(1) as f64;
    assert!(
        quality::check(
            "class names: mean AUC of the class against the rest",
            mean_auc,
            ">=",
            0.75
        ),
        "asked for a class by name, the ranking puts its items above the rest in only {:.1} % \
         of pairs (per class: {aucs:.3?})",
        mean_auc * 100.0
    );

    let damaged = bundle.join(&loaded.manifest.entry("item_embeddings.bin").unwrap().path);
    let mut bytes = std::fs::read(&damaged).unwrap();
    bytes[7] ^= 0x40;
    std::fs::write(&damaged, &bytes).unwrap();
    match Bundle::open_dir(&bundle) {
        Err(BundleError::WrongHash { file, .. }) => assert_eq!(file, "item_embeddings.bin"),
        other => panic!("expected WrongHash, got {:?}", other.map(|b| b.manifest)),
    }
}

#[test]
fn a_bad_subset_is_refused_before_any_work() {
    let temp = tempfile::tempdir().unwrap();
    let out: PathBuf = temp.path().join("shop");
    let output = tailor()
        .args(["import", "womens-clothing", "--subset", "0,5", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("not a positive number"));
    assert!(!out.exists());
}
