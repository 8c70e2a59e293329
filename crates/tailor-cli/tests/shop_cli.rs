//! The hand-made example shop (tests/fixtures/shop: 30 items with pictures, prices, links and
//! slots, events of ten shoppers, a search log, reviews and 20 outfits) through the product
//! path: `tailor train --shop`, `eval`, `export`, then ranking and complete the look on the
//! bundle, natively. What trains from what is stated in run.json and the manifest; the bundle
//! carries product cards, the shop's pictures beside it, and outfits over the shop's own items.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use serde_json::Value;
use tailor_core::bundle::Bundle;

mod common;
use common::{run_ok, tailor};

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/shop")
}

fn json(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

#[test]
fn the_example_shop_trains_exports_ranks_and_completes_looks_from_its_own_data() {
    let temp = tempfile::tempdir().unwrap();
    let run = temp.path().join("run");
    let trained = run_ok(
        tailor()
            .args(["train", "--quiet", "--quick", "--epochs", "4"])
            .args(["--min-requests", "3", "--shop"])
            .arg(fixture())
            .arg("--out")
            .arg(&run),
    );
    let said = String::from_utf8_lossy(&trained.stdout);
    assert!(said.contains("real sessions"), "{said}");
    assert!(said.contains("the shop's own 20 outfits"), "{said}");

    let sources = json(&run.join("run.json"))["sources"].clone();
    assert_eq!(sources["requests"]["queries"], 50, "{sources}");
    assert_eq!(sources["requests"]["reviews"], 8);
    assert_eq!(sources["requests"]["pseudo"], 0);
    assert!(sources["requests"]["test"].as_u64().unwrap() > 0);
    assert_eq!(sources["real_sessions"], true);
    assert_eq!(sources["outfits"], true);
    assert_eq!(sources["synthetic_outfits"], false);

    let report = run.join("report.json");
    run_ok(
        tailor()
            .args(["eval", "--run"])
            .arg(&run)
            .arg("--json")
            .arg(&report),
    );
    assert_eq!(json(&report)["sources"], sources);
    // "For you" on the shop's sessions, next to its baselines in the same run.
    let next = json(&report)["next_item"].clone();
    assert!(next["users"].as_u64().unwrap() >= 5, "{next}");
    let names: Vec<String> = next["methods"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap().to_string())
        .collect();
    for wanted in ["for you", "popularity", "random", "BPR-MF"] {
        assert!(
            names.iter().any(|n| n.contains(wanted)),
            "{wanted} in {names:?}"
        );
    }
    for method in next["methods"].as_array().unwrap() {
        let ndcg = method["test"]["ndcg_at_10"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&ndcg), "{method}");
    }
    // The bundle's "for you" head learnt the shoppers' sequences: it beats popularity on the
    // held-out next events, and it kept its best validation epoch.
    let test_ndcg = |wanted: &str| {
        next["methods"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["name"].as_str().unwrap().contains(wanted))
            .map(|m| m["test"]["ndcg_at_10"].as_f64().unwrap())
            .unwrap_or_else(|| panic!("{wanted} in {names:?}"))
    };
    assert!(
        test_ndcg("COURIER head") > test_ndcg("popularity"),
        "{next}"
    );
    let training = &next["for_you_training"];
    let best = training["best_epoch"].as_u64().unwrap();
    assert!(best >= 1 && best as usize <= training["epochs"].as_array().unwrap().len());
    assert!(!training["pretraining_loss"].as_array().unwrap().is_empty());

    let bundle = temp.path().join("bundle");
    run_ok(
        tailor()
            .args(["export", "--run"])
            .arg(&run)
            .arg("--out")
            .arg(&bundle)
            .arg("--report")
            .arg(&report),
    );
    let loaded = Bundle::open_dir(&bundle).expect("the bundle loads");
    assert_eq!(loaded.manifest.item_count, 30);
    assert_eq!(loaded.manifest.metrics["trained_from"], sources);

    // Product cards: every field of the catalog, and the pictures copied beside the bundle.
    let items = loaded.items().unwrap();
    let shirt = items.iter().find(|i| i.id == "t01").expect("t01 is there");
    assert_eq!(shirt.title, "Linen shirt");
    assert_eq!(shirt.category, ["Women", "Tops", "Shirts"]);
    assert_eq!(shirt.class, "Shirts");
    assert_eq!(shirt.price, Some(49.0));
    assert_eq!(shirt.currency, "EUR");
    assert_eq!(shirt.url, "https://shop.example/p/t01");
    assert_eq!(shirt.image, "images/t01.png");
    for item in &items {
        let copied = bundle.join(&item.image);
        assert_eq!(
            std::fs::read(&copied).unwrap(),
            std::fs::read(fixture().join(&item.image)).unwrap(),
            "{}",
            item.id
        );
    }
    // Pictures are not bundle files: the page loads each when it shows it.
    assert!(
        loaded
            .manifest
            .files
            .iter()
            .all(|f| !f.path.starts_with("images/"))
    );
    // The shop's name (the fixture's folder, as its tailor.toml gives none) names the history
    // every bundle of the shop shares.
    assert_eq!(loaded.manifest.shop.as_deref(), Some("shop"));
    // Stored under content-addressed names, found by their plain names.
    for entry in &loaded.manifest.files {
        assert_eq!(
            entry.path,
            tailor_core::bundle::content_addressed_path(&entry.name, &entry.sha256)
        );
        assert!(bundle.join(&entry.path).is_file(), "{}", entry.path);
        assert!(!bundle.join(&entry.name).exists(), "{}", entry.name);
    }

    // The outfit section is the shop's own: its slots, its items, not synthetic.
    let section = loaded.manifest.outfits.clone().expect("an outfit section");
    assert!(!section.synthetic);
    let slot_names: Vec<&str> = section.slots.iter().map(|s| s.name.as_str()).collect();
    let mut sorted = slot_names.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, ["bag", "bottom", "outerwear", "shoes", "top"]);
    let catalog_ids: HashSet<&str> = items.iter().map(|i| i.id.as_str()).collect();

    // A request names its item: the exact title ranks it first, natively as in the browser.
    let ranked: Value = serde_json::from_slice(
        &run_ok(
            tailor()
                .args(["recommend", "--json", "--k", "3", "--bundle"])
                .arg(&bundle)
                .args(["--query", "breton striped top"]),
        )
        .stdout,
    )
    .unwrap();
    let top: Vec<&str> = ranked[0]["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    assert!(top.contains(&"t02"), "breton striped top: {top:?}");

    // "For you": an empty request with a history goes to the bundle's own head, which never
    // offers what the history holds and explains each result by history items.
    let section = loaded.manifest.for_you.expect("a for-you head");
    assert_eq!((section.dim, section.heads), (64, 2));
    let for_you = |history: &str| -> Vec<Value> {
        let ranked: Value = serde_json::from_slice(
            &run_ok(
                tailor()
                    .args(["recommend", "--json", "--k", "10", "--query", ""])
                    .args(["--history", history, "--bundle"])
                    .arg(&bundle),
            )
            .stdout,
        )
        .unwrap();
        ranked[0]["items"].as_array().unwrap().clone()
    };
    let tops = for_you("t02,t05,t01");
    assert_eq!(tops.len(), 10);
    for item in &tops {
        let id = item["id"].as_str().unwrap();
        assert!(!["t02", "t05", "t01"].contains(&id), "{id} was viewed");
        for reason in item["because"].as_array().unwrap() {
            let from = reason["id"].as_str().unwrap();
            assert!(
                ["t02", "t05", "t01"].contains(&from),
                "{from} explains {id}"
            );
        }
    }
    let ids = |items: &[Value]| -> Vec<String> {
        items
            .iter()
            .map(|i| i["id"].as_str().unwrap().to_string())
            .collect()
    };
    assert_ne!(
        ids(&tops),
        ids(&for_you("s01,s02,b03")),
        "the history ranks"
    );

    // Similar items: the cosine of the item embeddings, best first, never the item itself; the
    // filters leave out what they name, and return fewer than k when fewer items are left.
    let similar = |extra: &[&str]| -> Vec<Value> {
        let found: Value = serde_json::from_slice(
            &run_ok(
                tailor()
                    .args(["similar", "--json", "--item", "t02", "--k", "6"])
                    .args(extra)
                    .arg("--bundle")
                    .arg(&bundle),
            )
            .stdout,
        )
        .unwrap();
        assert_eq!(found["item"], "t02");
        found["items"].as_array().unwrap().clone()
    };
    let like = similar(&[]);
    assert_eq!(like.len(), 6);
    assert!(!ids(&like).contains(&"t02".to_string()), "{:?}", ids(&like));
    let scores: Vec<f64> = like.iter().map(|i| i["score"].as_f64().unwrap()).collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");
    assert!(
        scores.iter().all(|s| (-1.0..=1.0 + 1e-6).contains(s)),
        "cosines: {scores:?}"
    );
    let shoes = similar(&["--category", "Shoes", "--exclude", "s01,s02"]);
    let mut shoe_ids = ids(&shoes);
    shoe_ids.sort();
    assert_eq!(shoe_ids, ["s03", "s04", "s05", "s06"]);
    let tops_only: Value = serde_json::from_slice(
        &run_ok(
            tailor()
                .args(["recommend", "--json", "--k", "5", "--query", "striped"])
                .args(["--category", "Tops", "--exclude", "t02", "--bundle"])
                .arg(&bundle),
        )
        .stdout,
    )
    .unwrap();
    for item in tops_only[0]["items"].as_array().unwrap() {
        let id = item["id"].as_str().unwrap();
        let catalog_item = items.iter().find(|i| i.id == id).unwrap();
        assert!(
            id != "t02" && catalog_item.category.iter().any(|c| c == "Tops"),
            "{id}"
        );
    }
    let unknown = tailor()
        .args(["similar", "--item", "no-such-item", "--bundle"])
        .arg(&bundle)
        .output()
        .unwrap();
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("no-such-item"));

    // Complete the look from a shirt: outfits of the shop's items, the shirt in each, one item
    // per slot.
    let looks: Value = serde_json::from_slice(
        &run_ok(
            tailor()
                .args([
                    "complete", "--json", "--anchor", "t01", "--k", "3", "--bundle",
                ])
                .arg(&bundle),
        )
        .stdout,
    )
    .unwrap();
    let outfits = looks["outfits"].as_array().expect("outfits");
    assert_eq!(outfits.len(), 3, "{looks}");
    for outfit in outfits {
        let ids: Vec<&str> = outfit["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["id"].as_str().unwrap())
            .collect();
        assert!(ids.contains(&"t01"), "{ids:?}");
        assert!(ids.iter().all(|id| catalog_ids.contains(id)), "{ids:?}");
        let slots: HashSet<&str> = outfit["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["slot"].as_str().unwrap())
            .collect();
        assert_eq!(slots.len(), ids.len(), "one item per slot: {ids:?}");
    }
}

#[test]
fn a_shop_that_does_not_open_trains_nothing() {
    let temp = tempfile::tempdir().unwrap();
    let shop = temp.path().join("shop");
    std::fs::create_dir_all(&shop).unwrap();
    std::fs::write(
        shop.join("catalog.csv"),
        "id,title,price\na,Dress,10\nb,Coat,-5\n",
    )
    .unwrap();
    let run = temp.path().join("run");
    let output = tailor()
        .args(["train", "--quiet", "--shop"])
        .arg(&shop)
        .arg("--out")
        .arg(&run)
        .output()
        .unwrap();
    assert!(!output.status.success());
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(said.contains("catalog.csv:3"), "{said}");
    assert!(
        !run.join("run.json").exists(),
        "nothing is written for a shop that fails"
    );
}
