//! `tailor check-data --shop DIR`: a clean shop is summarised, a shop with a problem stops with
//! the file and line, before anything is trained.

use std::path::Path;
use std::process::Command;

fn check_dir(dir: &Path) -> (bool, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_tailor"))
        .arg("check-data")
        .arg("--shop")
        .arg(dir)
        .output()
        .unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// A shop folder with these files (name, contents).
fn check(files: &[(&str, &str)]) -> (bool, String, String) {
    let temp = tempfile::tempdir().unwrap();
    for (name, contents) in files {
        std::fs::write(temp.path().join(name), contents).unwrap();
    }
    check_dir(temp.path())
}

#[test]
fn a_clean_shop_is_summarised() {
    let (ok, stdout, stderr) = check(&[
        (
            "catalog.csv",
            "id,title,colour\n1,Linen dress,white\n2,\"Wool coat, \"\"long\"\"\",grey\n",
        ),
        (
            "events.jsonl",
            "{\"user\":\"a\",\"item\":\"1\",\"event\":\"view\",\"time\":1700000000}\n\
             {\"user\":\"b\",\"item\":\"2\",\"event\":\"cart\",\"time\":\"2024-05-01T12:00:00Z\"}\n\
             {\"user\":\"b\",\"item\":\"gone\",\"event\":\"view\",\"time\":1700000001}\n",
        ),
    ]);
    assert!(ok, "{stderr}");
    assert!(stdout.contains("catalog.csv: 2 items"), "{stdout}");
    assert!(stdout.contains("attributes: colour"), "{stdout}");
    assert!(
        stdout.contains("events.jsonl: 3 rows, 2 events kept (view 1, cart 1)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("1 row names an item not in the catalog, skipped (e.g. \"gone\")"),
        "{stdout}"
    );
    assert!(stdout.contains("users: 2"), "{stdout}");
    assert!(
        stdout.contains("not there (optional): queries, reviews, outfits"),
        "{stdout}"
    );
}

#[test]
fn the_example_shop_is_summarised() {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/shop");
    let (ok, stdout, stderr) = check_dir(&fixture);
    assert!(ok, "{stderr}");
    assert!(
        stdout.contains("catalog.csv: 30 items, 30 with a picture"),
        "{stdout}"
    );
    assert!(
        stdout.contains("events.csv: 441 rows, 438 events kept"),
        "{stdout}"
    );
    assert!(
        stdout.contains("outfits.csv: 78 rows, 20 outfits"),
        "{stdout}"
    );
    assert!(stdout.contains("users: 10"), "{stdout}");
    assert!(stdout.contains("every optional file is there"), "{stdout}");
}

#[test]
fn a_malformed_row_names_file_and_line() {
    let (ok, _, stderr) = check(&[("catalog.csv", "id,title\n1,Linen dress\n2\n")]);
    assert!(!ok);
    assert!(stderr.contains("catalog.csv:3"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn an_unknown_item_under_fail_names_file_and_line() {
    let (ok, _, stderr) = check(&[
        ("catalog.tsv", "id\ttitle\n1\tLinen dress\n2\tWool coat\n"),
        (
            "events.csv",
            "user,item,event,time\na,1,view,1\nb,99,view,2\n",
        ),
        ("tailor.toml", "unknown_items = \"fail\"\n"),
    ]);
    assert!(!ok);
    assert!(stderr.contains("events.csv:3"), "{stderr}");
    assert!(stderr.contains("\"99\""), "{stderr}");
}

#[test]
fn broken_json_names_file_and_line() {
    let (ok, _, stderr) = check(&[(
        "catalog.jsonl",
        "{\"id\":\"1\",\"title\":\"a\"}\n{\"id\":\n",
    )]);
    assert!(!ok);
    assert!(stderr.contains("catalog.jsonl:2"), "{stderr}");
}
