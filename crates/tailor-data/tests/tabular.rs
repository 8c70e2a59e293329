//! A shop's own catalog and log: good files parse, every kind of malformed row names its line.

use std::collections::HashSet;
use std::path::PathBuf;

use tailor_data::{
    CatalogColumns, DataError, InteractionColumns, TableFormat, read_catalog, read_interactions,
};

fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn bad_line(error: DataError) -> (u64, String) {
    match error {
        DataError::BadRow { line, message, .. } => (line, message),
        other => panic!("expected a row error, got {other}"),
    }
}

#[test]
fn reads_csv_tsv_and_jsonl_catalogs_with_custom_columns() {
    let dir = tempfile::tempdir().unwrap();
    let columns = CatalogColumns {
        id: "sku".into(),
        title: "name".into(),
        text: Some("blurb".into()),
        category: None,
        image: None,
        url: Some("link".into()),
    };
    let csv = write(
        &dir,
        "c.csv",
        "sku,name,blurb,link\nA1,\"Linen dress, white\",Light,/a1\nB2,Red <img src=x onerror=alert(1)>,,\n",
    );
    let tsv = write(
        &dir,
        "c.tsv",
        "sku\tname\tblurb\tlink\nA1\tLinen dress, white\tLight\t/a1\nB2\tRed <img src=x onerror=alert(1)>\t\t\n",
    );
    let jsonl = write(
        &dir,
        "c.jsonl",
        "{\"sku\": \"A1\", \"name\": \"Linen dress, white\", \"blurb\": \"Light\", \"link\": \"/a1\"}\n\n{\"sku\": \"B2\", \"name\": \"Red <img src=x onerror=alert(1)>\"}\n",
    );
    for path in [csv, tsv, jsonl] {
        let format = TableFormat::from_path(&path).unwrap();
        let items = read_catalog(&path, format, &columns).unwrap();
        assert_eq!(items.len(), 2, "{}", path.display());
        assert_eq!(items[0].title, "Linen dress, white");
        assert_eq!(
            (items[0].text.as_str(), items[0].url.as_str()),
            ("Light", "/a1")
        );
        // Hostile text is kept verbatim as data; rendering it safely is the front end's job.
        assert_eq!(items[1].title, "Red <img src=x onerror=alert(1)>");
        assert_eq!(items[1].text, "");
    }
}

#[test]
fn malformed_catalog_rows_report_their_line() {
    let dir = tempfile::tempdir().unwrap();
    let columns = CatalogColumns::default();
    let cases = [
        (
            "dup.csv",
            "item_id,title\n1,a\n2,b\n1,c\n",
            4,
            "appears twice",
        ),
        (
            "empty.csv",
            "item_id,title\n1,a\n2,\n",
            3,
            "`title` is empty",
        ),
        ("ragged.csv", "item_id,title\n1,a\n2,b,extra\n", 3, "fields"),
        (
            "missing.tsv",
            "item_id\tname\n1\ta\n",
            2,
            "`title` is missing",
        ),
        (
            "broken.jsonl",
            "{\"item_id\": 1, \"title\": \"a\"}\n{\"item_id\": 2, \"title\": \n",
            2,
            "not valid JSON",
        ),
        ("array.jsonl", "[1, 2]\n", 1, "expected a JSON object"),
        (
            "nested.jsonl",
            "{\"item_id\": {\"x\": 1}, \"title\": \"a\"}\n",
            1,
            "expected text or a number",
        ),
    ];
    for (name, text, line, message) in cases {
        let path = write(&dir, name, text);
        let error =
            read_catalog(&path, TableFormat::from_path(&path).unwrap(), &columns).unwrap_err();
        let shown = error.to_string();
        assert!(shown.contains(name), "{shown}");
        let (got_line, got_message) = bad_line(error);
        assert_eq!(got_line, line, "{name}: {got_message}");
        assert!(got_message.contains(message), "{name}: {got_message}");
    }
}

#[test]
fn interactions_check_items_and_times() {
    let dir = tempfile::tempdir().unwrap();
    let known: HashSet<String> = ["A1", "B2"].map(String::from).into();
    let columns = InteractionColumns::default();
    let good = write(
        &dir,
        "log.csv",
        "user_id,item_id,timestamp,event\nu1,A1,100,view\nu1,B2,,click\n",
    );
    let log = read_interactions(&good, TableFormat::Csv, &columns, Some(&known)).unwrap();
    assert_eq!(log.len(), 2);
    assert_eq!((log[0].time, log[1].time), (Some(100), None));
    assert_eq!(log[1].event, "click");

    let unknown = write(
        &dir,
        "unknown.csv",
        "user_id,item_id,timestamp\nu1,A1,1\nu2,ZZ,2\n",
    );
    let (line, message) = bad_line(
        read_interactions(&unknown, TableFormat::Csv, &columns, Some(&known)).unwrap_err(),
    );
    assert_eq!(
        (line, message.contains("`ZZ` is not in the catalog")),
        (3, true),
        "{message}"
    );

    let bad_time = write(
        &dir,
        "time.jsonl",
        "{\"user_id\": \"u\", \"item_id\": \"A1\", \"timestamp\": \"yesterday\"}\n",
    );
    let (line, message) =
        bad_line(read_interactions(&bad_time, TableFormat::Jsonl, &columns, None).unwrap_err());
    assert_eq!(line, 1);
    assert!(message.contains("not a whole number"), "{message}");
}

#[test]
fn unknown_extensions_and_missing_files_are_clear_errors() {
    let path = PathBuf::from("catalog.xlsx");
    assert!(matches!(
        TableFormat::from_path(&path),
        Err(DataError::UnknownFormat { .. })
    ));
    let missing = PathBuf::from("/no/such/catalog.csv");
    let error = read_catalog(&missing, TableFormat::Csv, &CatalogColumns::default()).unwrap_err();
    assert!(
        matches!(error, DataError::Io { .. }) && error.to_string().contains("/no/such/catalog.csv")
    );
}
