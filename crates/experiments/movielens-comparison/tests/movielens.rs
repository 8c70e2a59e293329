//! `movielens-comparison --variant ml-100k` end to end on real MovieLens-100k histories (the pinned
//! `recbole` wheel), shortened to a few epochs so that it fits in every test run. It checks the
//! comparison's shape and the orderings that hold with a wide margin even this short: a
//! history model far ahead of BPR-MF and popularity, and a text request plus history ahead of
//! each alone. A second run must resume every finished part and report the same figures. The
//! full figures come from the command in the README.

use std::process::Command;

use movielens_comparison::{HistoryData, LeaveLastOut, genre_request, movie_text};
use serde_json::Value;
use tailor_data::shop::Shop;
use tailor_data::{Movie, MovieLens, MovieLensVariant, PackageCache};
use tailor_train::corpus::next_item_split;

#[path = "../../../../tests/quality.rs"]
mod quality;

fn ndcg(results: &Value, key: &str) -> f64 {
    results
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["key"] == key)
        .unwrap_or_else(|| panic!("no model {key} in {results}"))["test"]["ndcg_at_10"]
        .as_f64()
        .unwrap()
}

fn eval(json: &std::path::Path, epochs: &str) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_movielens-comparison"))
        .args(["--variant", "ml-100k", "--quiet", "--epochs", epochs])
        .args(["--examples-per-epoch", "30000"])
        .args(["--seed", &quality::seed(0).to_string(), "--json"])
        .arg(json)
        .output()
        .expect("start tailor")
}

#[test]
fn movielens_100k_comparison() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("report.json");
    let output = eval(&json, "3");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "tailor eval failed\nstdout: {stdout}\nstderr: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    assert_eq!(report["dataset"], "ml-100k");
    assert_eq!(report["users"], 943);
    assert_eq!(report["items"], 1682);
    let models = &report["models"];
    let keys: Vec<&str> = models
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["key"].as_str().unwrap())
        .collect();
    assert_eq!(
        keys,
        ["popularity", "bpr_mf", "courier", "content", "ids", "tower"]
    );
    for model in models.as_array().unwrap() {
        let test = &model["test"];
        assert_eq!(test["users"], 943, "{model}");
        let (hr, ndcg, r20) = (
            test["hr_at_10"].as_f64().unwrap(),
            test["ndcg_at_10"].as_f64().unwrap(),
            test["recall_at_20"].as_f64().unwrap(),
        );
        assert!(
            0.0 < ndcg && ndcg <= hr && hr <= r20 && r20 <= 1.0,
            "{model}"
        );
    }
    let courier = ndcg(models, "courier");
    let vs = |name: &str, bound: f64| {
        quality::check(
            &format!("ML-100k COURIER NDCG@10 vs {name}"),
            courier,
            ">",
            bound,
        )
    };
    assert!(vs("1.2 x BPR-MF", 1.2 * ndcg(models, "bpr_mf")), "{stdout}");
    assert!(
        vs("1.5 x popularity", 1.5 * ndcg(models, "popularity")),
        "{stdout}"
    );
    assert!(vs("content", ndcg(models, "content")), "{stdout}");

    let text = &report["text_and_history"];
    let both = ndcg(text, "both");
    let alone = ndcg(text, "request").max(ndcg(text, "history"));
    assert!(
        quality::check(
            "ML-100k request + history NDCG@10 vs the better alone",
            both,
            ">",
            alone
        ),
        "{stdout}"
    );
    assert_eq!(ndcg(text, "history"), courier);
    assert!(!report["pretraining_loss"].as_array().unwrap().is_empty());

    for plot in [
        "ml-100k-ndcg.svg",
        "ml-100k-text-history-ndcg.svg",
        "ml-100k-training.svg",
        "ml-100k-pretraining.svg",
    ] {
        let svg = std::fs::read_to_string(dir.path().join("plots").join(plot)).unwrap();
        assert!(svg.contains("NDCG@10") || svg.contains("InfoNCE"), "{plot}");
    }
    assert!(
        stdout.contains("| (a) COURIER-pretrained item tower |"),
        "{stdout}"
    );

    // Started again, the comparison resumes every finished part and reports the same figures.
    let again = eval(&json, "3");
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert!(again.status.success(), "{stderr}");
    assert!(stderr.contains("resuming: 8 finished parts"), "{stderr}");
    let resumed: Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    assert_eq!(resumed["models"], report["models"]);
    assert_eq!(resumed["text_and_history"], report["text_and_history"]);

    // Other settings are refused rather than mixed with the kept parts.
    let other = eval(&json, "4");
    let stderr = String::from_utf8_lossy(&other.stderr);
    assert!(!other.status.success(), "{stderr}");
    assert!(stderr.contains("other options or data"), "{stderr}");
}

/// The comparison reads MovieLens through the shop format; the figures in the docs were measured
/// on the set read directly. The two must give the same inputs: the same item texts and requests
/// in the same order, and the same split, user by user.
#[test]
fn the_shop_path_gives_the_protocol_exactly_the_data_set_s_histories_and_texts() {
    let packages = PackageCache::new(PackageCache::default_root());
    let set = MovieLens::fetch(MovieLensVariant::Ml100k, &packages).unwrap();
    let dir = tempfile::tempdir().unwrap();
    HistoryData::import_movielens(MovieLensVariant::Ml100k, &packages, dir.path()).unwrap();
    let shop = Shop::open(dir.path()).unwrap();

    let texts: Vec<String> = shop.catalog.items.iter().map(movie_text).collect();
    assert_eq!(
        texts,
        set.movies.iter().map(Movie::text).collect::<Vec<_>>()
    );
    let requests: Vec<&str> = shop.catalog.items.iter().map(genre_request).collect();
    let expected: Vec<String> = set.movies.iter().map(Movie::genre_request).collect();
    assert_eq!(requests, expected);
    assert!(texts[0].contains(" — "), "{}", texts[0]);

    let (split, direct) = (next_item_split(&shop), LeaveLastOut::split(&set.histories));
    assert_eq!(split.users(), 943);
    assert_eq!(split.train, direct.train);
    assert_eq!(split.valid, direct.valid);
    assert_eq!(split.test, direct.test);
}
