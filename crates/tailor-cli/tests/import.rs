//! `tailor import` writes each public data set as a shop folder that the shop reader opens:
//! MovieLens as movies and timestamped rating events, Fashion-MNIST outfits as items with PNG
//! pictures, slots and outfits labelled synthetic. (Women's Clothing is imported by
//! train_cli.rs, which trains on it.)

use std::path::Path;

use tailor_data::shop::Shop;

mod common;
use common::{run_ok, tailor};

fn import(args: &[&str], out: &Path) -> String {
    let output = run_ok(tailor().arg("import").args(args).arg("--out").arg(out));
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn movielens_imports_as_movies_and_timestamped_rating_events() {
    let temp = tempfile::tempdir().unwrap();
    let out = temp.path().join("ml");
    let said = import(&["movielens-100k", "--users", "40"], &out);
    assert!(said.contains("MovieLens (ml-100k) as a shop"), "{said}");

    let shop = Shop::open(&out).expect("the imported shop opens");
    assert_eq!(shop.name(), "movielens-ml-100k");
    assert_eq!(shop.users.len(), 40);
    assert!(shop.catalog.len() > 100, "{} movies", shop.catalog.len());
    assert!(
        shop.events.rows.len() >= 40 * 20,
        "MovieLens users have at least 20 ratings each"
    );
    assert!(shop.queries.is_empty() && shop.reviews.is_empty() && shop.outfits.is_empty());
    // Every rating is an interaction: whatever its stars, its event weighs 1.
    assert!(
        shop.events
            .rows
            .iter()
            .all(|event| shop.events.weight(event) == 1.0)
    );
    // Times are Unix seconds of 1997-98, and each user's are in order in the file.
    assert!(
        shop.events
            .rows
            .iter()
            .all(|e| e.time_ms > 8.7e11 as i64 && e.time_ms < 9.0e11 as i64)
    );
    let item = &shop.catalog.items[0];
    assert!(
        !item.title.is_empty() && !item.category.is_empty(),
        "{item:?}"
    );
    assert!(item.text().contains(&item.title));

    let rejected = tailor()
        .args(["import", "movielens-100k", "--quick", "--out"])
        .arg(temp.path().join("never"))
        .output()
        .unwrap();
    assert!(!rejected.status.success());
    assert!(
        String::from_utf8_lossy(&rejected.stderr).contains("applies only to"),
        "{}",
        String::from_utf8_lossy(&rejected.stderr)
    );
    assert!(
        !temp.path().join("never").exists(),
        "a refused import writes nothing"
    );
}

#[test]
fn fashion_mnist_outfits_import_as_pictures_slots_and_outfits_labelled_synthetic() {
    let temp = tempfile::tempdir().unwrap();
    let out = temp.path().join("fm");
    let said = import(&["fashion-mnist-outfits", "--quick"], &out);
    assert!(said.contains("SYNTHETIC"), "{said}");

    let shop = Shop::open(&out).expect("the imported shop opens");
    // Named apart from the other example shops, so that their on-device histories stay apart.
    assert_eq!(shop.name(), "fashion-mnist-outfits");
    assert_eq!(
        shop.catalog.len(),
        540,
        "60 items of each of the 9 classes in outfits"
    );
    assert!(
        shop.config
            .outfits
            .synthetic
            .as_deref()
            .is_some_and(|how| how.starts_with("SYNTHETIC")),
        "tailor.toml labels the outfits synthetic"
    );
    assert!(shop.outfit_pictures(), "every outfit item has its picture");
    let data = shop.outfit_data().unwrap().expect("the shop has outfits");
    assert!(data.data.synthetic);
    assert_eq!(data.slots, ["top", "bottom", "shoes", "bag", "outerwear"]);
    assert_eq!(data.required, 3);
    assert_eq!(data.data.outfits.len(), 200 * 10);
    // The pictures read back, through PNG and the thumbnailer, as the generator's pixels.
    let images = tailor_data::FashionMnist::load().unwrap();
    let generated =
        tailor_data::synthetic_outfits(&images.train, &tailor_data::SyntheticOutfitConfig::quick())
            .unwrap();
    assert_eq!(data.data.pixels, generated.pixels);
    assert_eq!(data.data.outfits, generated.outfits);
}
