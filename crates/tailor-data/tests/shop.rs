//! The shop format: small shops written into temp folders in every table format, one test per
//! refused input (each naming its file and line, or Parquet row), and the committed example
//! shop under tests/fixtures/shop.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use parquet::data_type::{ByteArray, ByteArrayType, DoubleType, Int64Type};
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::parser::parse_message_type;
use tailor_data::shop::{Place, Shop, ShopError, UnknownItems, parse_time_ms};

/// A shop folder with these files (name, bytes).
fn shop(files: &[(&str, &[u8])]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, bytes) in files {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }
    dir
}

fn open_error(files: &[(&str, &[u8])]) -> (ShopError, String) {
    let dir = shop(files);
    let error = Shop::open(dir.path()).unwrap_err();
    let shown = error.to_string();
    (error, shown)
}

fn place(error: &ShopError) -> Option<Place> {
    error.at().map(|at| at.place)
}

const CATALOG: &[u8] = b"id,title,slot\na,Linen dress,top\nb,Wool coat,outerwear\nc,Boots,shoes\n";

/// A Parquet column for [`write_parquet`].
enum Column<'a> {
    Text(&'a str, Vec<Option<&'a str>>),
    Bytes(&'a str, Vec<&'a [u8]>),
    Long(&'a str, Vec<i64>),
    Double(&'a str, Vec<f64>),
    TimestampMillis(&'a str, Vec<i64>),
}

/// One row group, written with the parquet crate's own writer.
fn write_parquet(path: &Path, columns: Vec<Column<'_>>) {
    let fields: Vec<String> = columns
        .iter()
        .map(|column| match column {
            Column::Text(name, _) => format!("OPTIONAL BYTE_ARRAY {name} (UTF8);"),
            Column::Bytes(name, _) => format!("REQUIRED BYTE_ARRAY {name};"),
            Column::Long(name, _) => format!("REQUIRED INT64 {name};"),
            Column::Double(name, _) => format!("REQUIRED DOUBLE {name};"),
            Column::TimestampMillis(name, _) => {
                format!("REQUIRED INT64 {name} (TIMESTAMP_MILLIS);")
            }
        })
        .collect();
    let schema = parse_message_type(&format!("message shop {{ {} }}", fields.join(" "))).unwrap();
    let properties = Arc::new(WriterProperties::builder().build());
    let file = File::create(path).unwrap();
    let mut writer = SerializedFileWriter::new(file, Arc::new(schema), properties).unwrap();
    let mut group = writer.next_row_group().unwrap();
    for column in columns {
        let mut writer = group.next_column().unwrap().unwrap();
        match column {
            Column::Text(_, values) => {
                let present: Vec<ByteArray> = values
                    .iter()
                    .flatten()
                    .map(|v| ByteArray::from(*v))
                    .collect();
                let levels: Vec<i16> = values.iter().map(|v| i16::from(v.is_some())).collect();
                writer
                    .typed::<ByteArrayType>()
                    .write_batch(&present, Some(&levels), None)
                    .unwrap();
            }
            Column::Bytes(_, values) => {
                let values: Vec<ByteArray> =
                    values.iter().map(|v| ByteArray::from(v.to_vec())).collect();
                writer
                    .typed::<ByteArrayType>()
                    .write_batch(&values, None, None)
                    .unwrap();
            }
            Column::Long(_, values) | Column::TimestampMillis(_, values) => {
                writer
                    .typed::<Int64Type>()
                    .write_batch(&values, None, None)
                    .unwrap();
            }
            Column::Double(_, values) => {
                writer
                    .typed::<DoubleType>()
                    .write_batch(&values, None, None)
                    .unwrap();
            }
        }
        writer.close().unwrap();
    }
    group.close().unwrap();
    writer.close().unwrap();
}

/// A picture with the image crate's own encoder; the format follows the extension.
fn picture(dir: &Path, name: &str, rgb: [u8; 3]) {
    let path = dir.join("images").join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    image::RgbImage::from_fn(16, 16, |x, y| {
        if (x / 4 + y / 4) % 2 == 0 {
            image::Rgb(rgb)
        } else {
            image::Rgb([255, 255, 255])
        }
    })
    .save(path)
    .unwrap();
}

#[test]
fn every_table_format_reads_the_same_shop() {
    let csv = shop(&[
        (
            "catalog.csv",
            b"id,title,price,colour\na,\"Linen dress, white\",49.5,white\nb,Wool coat,,grey\n",
        ),
        (
            "events.csv",
            b"user,item,event,time\nu1,a,view,1700000000\nu2,b,purchase,2023-11-14T22:13:21Z\n",
        ),
    ]);
    let tsv = shop(&[
        (
            "catalog.tsv",
            b"id\ttitle\tprice\tcolour\na\tLinen dress, white\t49.5\twhite\nb\tWool coat\t\tgrey\n",
        ),
        (
            "events.tsv",
            b"user\titem\tevent\ttime\nu1\ta\tview\t1700000000\nu2\tb\tpurchase\t2023-11-14T22:13:21Z\n",
        ),
    ]);
    let jsonl = shop(&[
        (
            "catalog.jsonl",
            b"{\"id\": \"a\", \"title\": \"Linen dress, white\", \"price\": 49.5, \"colour\": \"white\"}\n\n\
              {\"id\": \"b\", \"title\": \"Wool coat\", \"price\": null, \"colour\": \"grey\"}\n",
        ),
        (
            "events.jsonl",
            b"{\"user\": \"u1\", \"item\": \"a\", \"event\": \"view\", \"time\": 1700000000}\n\
              {\"user\": \"u2\", \"item\": \"b\", \"event\": \"purchase\", \"time\": \"2023-11-14T22:13:21Z\"}\n",
        ),
    ]);
    let parquet = tempfile::tempdir().unwrap();
    write_parquet(
        &parquet.path().join("catalog.parquet"),
        vec![
            Column::Text("id", vec![Some("a"), Some("b")]),
            Column::Text("title", vec![Some("Linen dress, white"), Some("Wool coat")]),
            Column::Text("price", vec![Some("49.5"), None]),
            Column::Text("colour", vec![Some("white"), Some("grey")]),
        ],
    );
    write_parquet(
        &parquet.path().join("events.parquet"),
        vec![
            Column::Text("user", vec![Some("u1"), Some("u2")]),
            Column::Text("item", vec![Some("a"), Some("b")]),
            Column::Text("event", vec![Some("view"), Some("purchase")]),
            // A typed timestamp column reads as the same instants.
            Column::TimestampMillis("time", vec![1_700_000_000_000, 1_700_000_001_000]),
        ],
    );
    for dir in [csv.path(), tsv.path(), jsonl.path(), parquet.path()] {
        let shop = Shop::open(dir).unwrap();
        let items = &shop.catalog.items;
        assert_eq!(items.len(), 2, "{}", dir.display());
        assert_eq!(items[0].title, "Linen dress, white");
        assert_eq!((items[0].price, items[1].price), (Some(49.5), None));
        assert_eq!(shop.catalog.attribute_names, ["colour"]);
        assert_eq!(&*items[1].attributes[0].0, "colour");
        assert_eq!(items[1].attributes[0].1, "grey");
        let times: Vec<i64> = shop.events.rows.iter().map(|e| e.time_ms).collect();
        assert_eq!(times, [1_700_000_000_000, 1_700_000_001_000]);
        assert_eq!(shop.events.weight(&shop.events.rows[1]), 8.0);
        assert_eq!(shop.users, ["u1", "u2"]);
    }
}

#[test]
fn a_full_shop_with_renamed_columns_weights_times_attributes_and_pictures() {
    let dir = shop(&[
        (
            "tailor.toml",
            br#"
unknown_items = "skip"
[catalog.columns]
id = "sku"
title = "name"
category = "path"
image = "picture"
[events.columns]
user = "session"
time = "at"
[events.weights]
wishlist = 3
view = 0.5
[queries.columns]
query = "search"
[reviews.columns]
text = "body"
[outfits.columns]
outfit = "look"
"#,
        ),
        (
            "catalog.csv",
            "sku,name,colour,description,path,slot,picture,price,currency,url,brand,material\n\
             t1,Linen shirt,white,Airy.,Women > Tops > Shirts,top,images/t1.png,49.00,EUR,https://s.example/t1,Fjord,linen\n\
             b1,Wide trousers,beige,,Women > Trousers,bottom,b1.jpg,72,EUR,,Fjord,\n\
             s1,Boots,black,,Shoes,shoes,https://cdn.example/s1.webp,129,EUR,,Atelier,leather\n\
             x1,Gift card,,,,,,,,,,\n"
                .as_bytes(),
        ),
        (
            "events.csv",
            b"session,item,event,at\n\
              a,t1,view,2024-05-01T12:00:00Z\n\
              a,b1,wishlist,1714564800\n\
              b,s1,purchase,1714564800250\n\
              b,gone,view,1714564800\n\
              c,t1,click,2024-05-01T14:00:00.250+02:00\n",
        ),
        (
            "queries.jsonl",
            b"{\"search\": \"linen shirt\", \"item\": \"t1\", \"user\": \"a\", \"time\": 1714564800}\n\
              {\"search\": \"boots\", \"item\": \"s1\"}\n\
              {\"search\": \"\", \"item\": \"s1\"}\n",
        ),
        (
            "reviews.tsv",
            b"item\ttitle\tbody\trating\nt1\tLovely\tBreathes well.\t5\nb1\t\tToo long for me.\t3.5\ns1\t\t\t\n",
        ),
        (
            "outfits.csv",
            b"look,item,user\nl1,t1,a\nl1,b1,a\nl2,t1,\nl1,s1,\nl2,s1,\nl3,t1,\nl3,gone,\n",
        ),
    ]);
    picture(dir.path(), "t1.png", [240, 240, 236]);
    picture(dir.path(), "b1.jpg", [214, 196, 160]);
    let shop = Shop::open(dir.path()).unwrap();

    let items = &shop.catalog.items;
    assert_eq!(items.len(), 4);
    let shirt = &items[0];
    assert_eq!(
        (shirt.id.as_str(), shirt.title.as_str(), shirt.slot.as_str()),
        ("t1", "Linen shirt", "top")
    );
    assert_eq!(shirt.category, ["Women", "Tops", "Shirts"]);
    assert_eq!(
        (shirt.price, shirt.currency.as_str(), shirt.url.as_str()),
        (Some(49.0), "EUR", "https://s.example/t1")
    );
    // Attributes in file column order, blank values left out.
    let attributes: Vec<(&str, &str)> = shirt
        .attributes
        .iter()
        .map(|(name, value)| (&**name, value.as_str()))
        .collect();
    assert_eq!(
        attributes,
        [
            ("colour", "white"),
            ("brand", "Fjord"),
            ("material", "linen")
        ]
    );
    assert_eq!(
        shop.catalog.attribute_names,
        ["colour", "brand", "material"]
    );
    assert_eq!(
        shirt.text(),
        "Linen shirt. Women > Tops > Shirts. colour: white, brand: Fjord, material: linen. Airy."
    );
    assert_eq!(items[3].text(), "Gift card");
    assert_eq!(
        shop.image_path(shirt),
        Some(dir.path().join("images/t1.png"))
    );
    assert!(items[2].image_is_url() && shop.image_path(&items[2]).is_none());
    assert_eq!(shop.item_texts().count(), 4);
    assert_eq!(shop.catalog.position("s1"), Some(2));

    // RFC 3339, Unix seconds and Unix milliseconds all land on the same clock.
    let events = &shop.events;
    let times: Vec<i64> = events.rows.iter().map(|e| e.time_ms).collect();
    assert_eq!(
        times,
        [
            1_714_564_800_000,
            1_714_564_800_000,
            1_714_564_800_250,
            1_714_564_800_250
        ]
    );
    let weights: Vec<f32> = events.rows.iter().map(|e| events.weight(e)).collect();
    assert_eq!(weights, [0.5, 3.0, 8.0, 2.0]);
    assert_eq!(shop.users[events.rows[2].user as usize], "b");

    let summary = &shop.summary;
    let unknown = &summary.events.as_ref().unwrap().unknown_items;
    assert_eq!(
        (unknown.rows, unknown.examples.as_slice()),
        (1, &["gone".to_string()][..])
    );
    assert_eq!(unknown.first, Some(Place::Line(5)));
    assert_eq!(summary.items_with_image, 3);
    assert_eq!(summary.slots.len(), 3);

    assert_eq!(shop.queries.len(), 2);
    assert_eq!(shop.queries[0].time_ms, Some(1_714_564_800_000));
    assert_eq!(shop.queries[1].user, None);
    assert_eq!(summary.queries.as_ref().unwrap().dropped, 1);

    assert_eq!(shop.reviews.len(), 2);
    assert_eq!(shop.reviews[1].rating, Some(3.5));
    assert_eq!(shop.reviews[1].title, "");

    // l1 gathers rows that are not adjacent; l3 loses its unknown item and, left with one, is
    // dropped.
    assert_eq!(shop.outfits.len(), 2);
    assert_eq!(shop.outfits[0].items, [0, 1, 2]);
    assert_eq!(shop.outfits[0].user, Some(0));
    assert_eq!(shop.outfits[1].user, None);
    let outfits = summary.outfits.as_ref().unwrap();
    assert_eq!((outfits.dropped, outfits.unknown_items.rows), (1, 1));

    assert_eq!(summary.users, 3);
    assert_eq!(summary.missing(), Vec::<&str>::new());
    let shown = summary.to_string();
    assert!(
        shown.contains("catalog.csv: 4 items, 3 with a picture"),
        "{shown}"
    );
    assert!(
        shown.contains("1 row names an item not in the catalog, skipped (e.g. \"gone\")"),
        "{shown}"
    );
}

#[test]
fn an_empty_catalog_is_refused() {
    for catalog in [&b"id,title\n"[..], b""] {
        let (error, shown) = open_error(&[("catalog.csv", catalog)]);
        assert!(matches!(error, ShopError::EmptyCatalog { .. }), "{shown}");
        assert!(shown.contains("catalog.csv has no items"), "{shown}");
    }
}

#[test]
fn a_one_item_catalog_is_refused() {
    let (error, shown) = open_error(&[("catalog.csv", b"id,title\nonly,Linen dress\n")]);
    assert!(matches!(error, ShopError::OneItem { ref id, .. } if id == "only"));
    assert!(shown.contains("a model needs at least 2 items"), "{shown}");
}

#[test]
fn a_catalog_without_titles_is_refused() {
    let (error, shown) = open_error(&[("catalog.csv", b"id,name\na,Dress\nb,Coat\n")]);
    assert!(
        matches!(
            error,
            ShopError::MissingColumn {
                role: "title",
                configured: false,
                ..
            }
        ),
        "{shown}"
    );
    assert!(shown.contains("no column \"title\""), "{shown}");

    let (error, shown) = open_error(&[("catalog.csv", b"id,title\na,\nb,  \n")]);
    assert!(matches!(error, ShopError::NoTitles { .. }), "{shown}");
    assert!(shown.contains("every title"), "{shown}");
}

#[test]
fn duplicate_ids_name_both_lines() {
    let (error, shown) = open_error(&[("catalog.csv", b"id,title\na,Dress\nb,Coat\na,Boots\n")]);
    assert!(
        matches!(
            error,
            ShopError::DuplicateId {
                first: Place::Line(2),
                ..
            }
        ),
        "{shown}"
    );
    assert_eq!(place(&error), Some(Place::Line(4)));
    assert!(
        shown.contains("catalog.csv:4: item id \"a\" appears twice, first at "),
        "{shown}"
    );
    assert!(shown.ends_with("catalog.csv:2"), "{shown}");
}

#[test]
fn unknown_items_are_counted_and_skipped_or_fail_as_configured() {
    let events: &[u8] =
        b"user,item,event,time\nu,a,view,1\nu,zz,view,2\nv,yy,click,3\nv,zz,view,4\n";
    let dir = shop(&[("catalog.csv", CATALOG), ("events.csv", events)]);
    let shop = Shop::open(dir.path()).unwrap();
    assert_eq!(shop.config.unknown_items, UnknownItems::Skip);
    assert_eq!(shop.events.rows.len(), 1);
    let unknown = &shop.summary.events.as_ref().unwrap().unknown_items;
    assert_eq!(unknown.rows, 3);
    assert_eq!(unknown.examples, ["zz", "yy"]);

    let (error, shown) = open_error(&[
        ("catalog.csv", CATALOG),
        ("events.csv", events),
        ("tailor.toml", b"unknown_items = \"fail\"\n"),
    ]);
    assert!(
        matches!(error, ShopError::UnknownItems { rows: 3, ref item, .. } if item == "zz"),
        "{shown}"
    );
    assert_eq!(place(&error), Some(Place::Line(3)));
    assert!(
        shown.contains("events.csv:3: item \"zz\" is not in the catalog"),
        "{shown}"
    );
    assert!(shown.contains("e.g. \"zz\", \"yy\""), "{shown}");
}

#[test]
fn a_time_that_does_not_parse_names_its_line() {
    let (error, shown) = open_error(&[
        ("catalog.csv", CATALOG),
        (
            "events.csv",
            b"user,item,event,time\nu,a,view,2024-05-01T12:00:00Z\nu,b,view,yesterday\n",
        ),
    ]);
    assert!(matches!(error, ShopError::BadTime { ref value, .. } if value == "yesterday"));
    assert_eq!(place(&error), Some(Place::Line(3)));
    assert!(
        shown.starts_with(&format!("{}", error.at().unwrap())),
        "{shown}"
    );
    assert!(
        shown.contains("events.csv:3: time \"yesterday\""),
        "{shown}"
    );

    assert_eq!(parse_time_ms("1700000000"), Some(1_700_000_000_000));
    assert_eq!(parse_time_ms("1700000000123"), Some(1_700_000_000_123));
    assert_eq!(parse_time_ms("1700000000.5"), Some(1_700_000_000_500));
    assert_eq!(
        parse_time_ms("2023-11-14T22:13:20Z"),
        Some(1_700_000_000_000)
    );
    assert_eq!(parse_time_ms("2023-11-14"), None);
    assert_eq!(parse_time_ms("1e9"), None);
    assert_eq!(parse_time_ms("99999999999999999999"), None);
}

#[test]
fn a_negative_or_non_numeric_price_names_its_line() {
    for (price, line) in [("-5", 3), ("12,50", 3), ("€12", 3), ("NaN", 3)] {
        let catalog = format!("id,title,price\na,Dress,10\nb,Coat,\"{price}\"\n");
        let (error, shown) = open_error(&[("catalog.csv", catalog.as_bytes())]);
        assert!(matches!(error, ShopError::BadPrice { ref value, .. } if value == price));
        assert_eq!(place(&error), Some(Place::Line(line)), "{shown}");
        assert!(shown.contains("catalog.csv:3: price"), "{shown}");
    }
}

#[test]
fn a_missing_image_or_one_that_is_not_a_picture_names_its_line() {
    let catalog: &[u8] = b"id,title,image\na,Dress,a.png\nb,Coat,images/b.png\n";
    let (error, shown) = open_error(&[("catalog.csv", catalog), ("images/a.png", b"")]);
    assert!(matches!(error, ShopError::NotAPicture { .. }), "{shown}");
    assert_eq!(place(&error), Some(Place::Line(2)));

    let dir = shop(&[("catalog.csv", catalog)]);
    picture(dir.path(), "a.png", [1, 2, 3]);
    let error = Shop::open(dir.path()).unwrap_err();
    assert!(matches!(error, ShopError::MissingImage { .. }), "{error}");
    assert_eq!(place(&error), Some(Place::Line(3)));
    assert!(
        error
            .to_string()
            .contains("catalog.csv:3: image \"images/b.png\" is missing")
    );

    // Text under a picture's name, and a picture outside images/.
    std::fs::write(
        dir.path().join("images/b.png"),
        "<html>not a picture</html>",
    )
    .unwrap();
    let error = Shop::open(dir.path()).unwrap_err();
    assert!(matches!(error, ShopError::NotAPicture { .. }), "{error}");
    let (error, shown) = open_error(&[(
        "catalog.csv",
        b"id,title,image\na,Dress,../../etc/passwd\nb,Coat,\n",
    )]);
    assert!(
        matches!(error, ShopError::ImageOutsideShop { .. }),
        "{shown}"
    );
}

#[test]
fn an_outfit_with_two_items_in_one_slot_names_its_line() {
    let (error, shown) = open_error(&[
        (
            "catalog.csv",
            b"id,title,slot\nt1,Shirt,top\nt2,Tee,top\nb1,Jeans,bottom\n",
        ),
        ("outfits.csv", b"outfit,item\nl1,t1\nl1,b1\nl1,t2\n"),
    ]);
    assert!(
        matches!(error, ShopError::SlotTaken { ref slot, first: Place::Line(2), .. } if slot == "top"),
        "{shown}"
    );
    assert_eq!(place(&error), Some(Place::Line(4)));
    assert!(
        shown.contains("outfits.csv:4: outfit \"l1\" has two items in slot \"top\""),
        "{shown}"
    );
}

#[test]
fn an_outfit_item_without_a_slot_names_its_line() {
    let (error, shown) = open_error(&[
        ("catalog.csv", b"id,title,slot\nt1,Shirt,top\nx1,Scarf,\n"),
        ("outfits.csv", b"outfit,item\nl1,t1\nl1,x1\n"),
    ]);
    assert!(
        matches!(error, ShopError::NoSlot { ref item, .. } if item == "x1"),
        "{shown}"
    );
    assert_eq!(place(&error), Some(Place::Line(3)));
}

#[test]
fn a_config_naming_a_missing_column_is_refused() {
    let config: &[u8] = b"[catalog.columns]\nid = \"sku\"\n";
    let (error, shown) = open_error(&[("catalog.csv", CATALOG), ("tailor.toml", config)]);
    assert!(
        matches!(error, ShopError::MissingColumn { ref column, configured: true, .. } if column == "sku"),
        "{shown}"
    );
    assert!(shown.contains("(named in tailor.toml)"), "{shown}");
    assert!(
        shown.contains("its columns: \"id\", \"title\", \"slot\""),
        "{shown}"
    );

    // An optional column too, in JSON Lines where keys may come late.
    let (error, shown) = open_error(&[
        (
            "catalog.jsonl",
            b"{\"id\": \"a\", \"title\": \"Dress\"}\n{\"id\": \"b\", \"title\": \"Coat\"}\n",
        ),
        ("tailor.toml", b"[catalog.columns]\nprice = \"cost\"\n"),
    ]);
    assert!(
        matches!(
            error,
            ShopError::MissingColumn {
                role: "price",
                configured: true,
                ..
            }
        ),
        "{shown}"
    );
    // While a late key is found.
    let dir = shop(&[
        (
            "catalog.jsonl",
            b"{\"id\": \"a\", \"title\": \"Dress\"}\n{\"id\": \"b\", \"title\": \"Coat\", \"cost\": 3}\n",
        ),
        ("tailor.toml", b"[catalog.columns]\nprice = \"cost\"\n"),
    ]);
    let shop = Shop::open(dir.path()).unwrap();
    assert_eq!(shop.catalog.items[1].price, Some(3.0));
    assert!(shop.catalog.attribute_names.is_empty());
}

#[test]
fn an_unknown_key_in_the_config_is_refused() {
    for config in [
        &b"unknown_item = \"skip\"\n"[..],
        b"[catalog.columns]\ncolour = \"color\"\n",
        b"[events]\nweight = { view = 1 }\n",
    ] {
        let (error, shown) = open_error(&[("catalog.csv", CATALOG), ("tailor.toml", config)]);
        assert!(matches!(error, ShopError::Config { .. }), "{shown}");
        assert!(shown.contains("tailor.toml:"), "{shown}");
        assert!(shown.contains("unknown field"), "{shown}");
    }
    // A hostile key is escaped, and the parser's report (which quotes the raw line) is not
    // chained as the source.
    let (error, shown) = open_error(&[
        ("catalog.csv", CATALOG),
        (
            "tailor.toml",
            b"[catalog.columns]\n\"\\u001b[2J\" = \"x\"\n",
        ),
    ]);
    assert!(
        matches!(error, ShopError::Config { line: Some(2), .. }),
        "{shown}"
    );
    assert!(shown.contains("\\u{1b}[2J"), "{shown}");
    assert!(!shown.chars().any(char::is_control), "{shown:?}");
    assert!(std::error::Error::source(&error).is_none());
    let (error, shown) = open_error(&[
        ("catalog.csv", CATALOG),
        ("tailor.toml", b"unknown_items = \"ignore\"\n"),
    ]);
    assert!(
        matches!(error, ShopError::Config { line: Some(1), .. }),
        "{shown}"
    );
    let (error, shown) = open_error(&[
        ("catalog.csv", CATALOG),
        ("tailor.toml", b"[events.weights]\nview = -1\n"),
    ]);
    assert!(matches!(error, ShopError::BadWeight { .. }), "{shown}");
}

#[test]
fn an_event_name_without_a_weight_is_refused() {
    let (error, shown) = open_error(&[
        ("catalog.csv", CATALOG),
        (
            "events.csv",
            b"user,item,event,time\nu,a,view,1\nu,a,like,2\n",
        ),
    ]);
    assert!(matches!(error, ShopError::UnknownEvent { ref event, .. } if event == "like"));
    assert!(
        shown.contains("events.csv:3: event \"like\" has no weight"),
        "{shown}"
    );
}

#[test]
fn non_utf8_bytes_name_their_line() {
    let catalog: &[u8] = b"id,title\na,Dress\nb,Co\xffat\n";
    let (error, shown) = open_error(&[("catalog.csv", catalog)]);
    assert!(
        matches!(error, ShopError::NotUtf8 { ref column, .. } if column.as_deref() == Some("title")),
        "{shown}"
    );
    assert_eq!(place(&error), Some(Place::Line(3)));
    assert!(
        shown.contains("catalog.csv:3: column \"title\" is not valid UTF-8"),
        "{shown}"
    );

    let (error, shown) = open_error(&[
        ("catalog.csv", CATALOG),
        ("events.jsonl", b"{\"user\": \"u\", \"item\": \"a\", \"event\": \"view\", \"time\": 1}\n{\"user\": \"\xc3\x28\"}\n"),
    ]);
    assert!(
        matches!(error, ShopError::NotUtf8 { column: None, .. }),
        "{shown}"
    );
    assert!(shown.contains("events.jsonl:2"), "{shown}");

    let (error, shown) =
        open_error(&[("catalog.csv", CATALOG), ("tailor.toml", b"# ok\n# \xfe\n")]);
    assert!(
        matches!(error, ShopError::ConfigNotUtf8 { line: 2, .. }),
        "{shown}"
    );

    let dir = tempfile::tempdir().unwrap();
    write_parquet(
        &dir.path().join("catalog.parquet"),
        vec![
            Column::Text("id", vec![Some("a"), Some("b")]),
            Column::Bytes("title", vec![b"Dress", b"C\xffoat"]),
        ],
    );
    let error = Shop::open(dir.path()).unwrap_err();
    assert!(matches!(error, ShopError::NotUtf8 { .. }), "{error}");
    assert_eq!(place(&error), Some(Place::Row(2)));
    assert!(
        error.to_string().contains("catalog.parquet, row 2"),
        "{error}"
    );
}

#[test]
fn a_row_with_the_wrong_number_of_fields_names_its_line() {
    let (error, shown) = open_error(&[("catalog.csv", b"id,title\na,Dress\nb,Coat,extra\n")]);
    assert!(
        matches!(
            error,
            ShopError::FieldCount {
                expected: 2,
                found: 3,
                multiline: false,
                ..
            }
        ),
        "{shown}"
    );
    assert_eq!(place(&error), Some(Place::Line(3)));

    let (error, shown) = open_error(&[(
        "catalog.tsv",
        b"id\ttitle\tslot\na\t\"Dress\ttop\nb\tCoat\tbottom\nc\tBoots\tshoes\n",
    )]);
    assert!(
        matches!(
            error,
            ShopError::FieldCount {
                multiline: true,
                ..
            }
        ),
        "{shown}"
    );
    assert!(shown.contains("closing quote"), "{shown}");
}

#[test]
fn broken_json_lines_name_their_line() {
    for (text, expect) in [
        (
            &b"{\"id\": \"a\", \"title\": \"Dress\"}\n{\"id\": \n"[..],
            "not valid JSON",
        ),
        (
            b"{\"id\": \"a\", \"title\": \"Dress\"}\n[1, 2]\n",
            "found a JSON array",
        ),
        (
            b"{\"id\": \"a\", \"title\": \"Dress\"}\n{\"id\": {\"x\": 1}, \"title\": \"C\"}\n",
            "holds a JSON object",
        ),
    ] {
        let (error, shown) = open_error(&[("catalog.jsonl", text)]);
        assert_eq!(place(&error), Some(Place::Line(2)), "{shown}");
        assert!(
            shown.contains("catalog.jsonl:2: ") && shown.contains(expect),
            "{shown}"
        );
    }
}

#[test]
fn hostile_text_is_kept_verbatim_and_shown_escaped() {
    let title = "<script>alert(\"x\")</script>\u{1b}[31m\u{0}\u{202e}";
    let id = "<img src=x onerror=alert(1)>\u{1b}]0;pwned\u{7}\u{202e}";
    let catalog = format!(
        "id,title,description\n\"{}\",\"{}\",\"line one\nline two\"\nb,Coat,\n\"{}\",dup,\n",
        id.replace('"', "\"\""),
        title.replace('"', "\"\""),
        id.replace('"', "\"\"")
    );
    let (error, shown) = open_error(&[("catalog.csv", catalog.as_bytes())]);
    // The error holds the id verbatim and shows it escaped: no raw control character.
    assert!(matches!(error, ShopError::DuplicateId { id: ref got, .. } if got == id));
    assert!(
        !shown.chars().any(|c| c.is_control() || c == '\u{202e}'),
        "{shown:?}"
    );
    assert!(
        shown.contains(r#""<img src=x onerror=alert(1)>\u{1b}]0;pwned\u{7}\u{202e}""#),
        "{shown}"
    );

    let catalog = format!(
        "id,title,description\n\"{}\",\"{}\",\"line one\nline two\"\nb,Coat,\n",
        id.replace('"', "\"\""),
        title.replace('"', "\"\"")
    );
    let dir = shop(&[
        ("catalog.csv", catalog.as_bytes()),
        (
            "events.csv",
            b"user,item,event,time\n\"<b>\x1b\",\"<i>\",view,1\n",
        ),
    ]);
    let shop = Shop::open(dir.path()).unwrap();
    let item = &shop.catalog.items[0];
    assert_eq!((item.id.as_str(), item.title.as_str()), (id, title));
    assert_eq!(item.description, "line one\nline two");
    let shown = shop.summary.to_string();
    assert!(shown.contains(r#""<i>""#), "{shown}");
    assert!(
        !shown.chars().any(|c| c.is_control() && c != '\n'),
        "{shown:?}"
    );

    // A megabyte value is cut in messages.
    let long = "x".repeat(1 << 20);
    let catalog = format!("id,title,price\na,Dress,1\nb,Coat,{long}\n");
    let (_, shown) = open_error(&[("catalog.csv", catalog.as_bytes())]);
    assert!(
        shown.len() < 400 && shown.contains("more characters"),
        "{}",
        shown.len()
    );
}

#[test]
fn parquet_errors_name_the_row() {
    let dir = tempfile::tempdir().unwrap();
    write_parquet(
        &dir.path().join("catalog.parquet"),
        vec![
            Column::Text("id", vec![Some("a"), Some("b"), Some("c")]),
            Column::Text("title", vec![Some("Dress"), Some("Coat"), Some("Boots")]),
            Column::Double("price", vec![10.0, 20.0, -1.0]),
        ],
    );
    let error = Shop::open(dir.path()).unwrap_err();
    assert!(matches!(error, ShopError::BadPrice { .. }), "{error}");
    assert_eq!(place(&error), Some(Place::Row(3)));
    assert!(
        error
            .to_string()
            .contains("catalog.parquet, row 3: price \"-1\""),
        "{error}"
    );

    std::fs::remove_file(dir.path().join("catalog.parquet")).unwrap();
    write_parquet(
        &dir.path().join("catalog.parquet"),
        vec![
            Column::Text("id", vec![Some("a"), Some("b")]),
            Column::Text("title", vec![Some("Dress"), Some("Coat")]),
        ],
    );
    write_parquet(
        &dir.path().join("events.parquet"),
        vec![
            Column::Text("user", vec![Some("u"), Some("u")]),
            Column::Text("item", vec![Some("a"), Some("b")]),
            Column::Text("event", vec![Some("view"), Some("view")]),
            Column::Text("time", vec![Some("1700000000"), Some("soon")]),
            // Other columns of a log are read (as text) and ignored.
            Column::Long("quantity", vec![1, 2]),
        ],
    );
    let error = Shop::open(dir.path()).unwrap_err();
    assert!(matches!(error, ShopError::BadTime { .. }), "{error}");
    assert_eq!(place(&error), Some(Place::Row(2)));
}

#[test]
fn folder_level_mistakes_are_named() {
    let (error, _) = open_error(&[("events.csv", b"user,item,event,time\n")]);
    assert!(matches!(error, ShopError::NoCatalog { .. }), "{error}");
    let (error, shown) = open_error(&[("catalog.csv", CATALOG), ("catalog.jsonl", b"")]);
    assert!(
        matches!(
            error,
            ShopError::TwoFiles {
                name: "catalog",
                ..
            }
        ),
        "{shown}"
    );
    let error = Shop::open(Path::new("/no/such/shop")).unwrap_err();
    assert!(matches!(error, ShopError::NotAFolder { .. }), "{error}");
    let (error, shown) = open_error(&[("catalog.csv", b"id,title,id\na,b,c\n")]);
    assert!(
        matches!(error, ShopError::DuplicateColumn { .. }),
        "{shown}"
    );
    // An empty log is no error: it has nothing to say.
    let dir = shop(&[("catalog.csv", CATALOG), ("events.csv", b"")]);
    assert_eq!(
        Shop::open(dir.path()).unwrap().summary.events.unwrap().rows,
        0
    );
}

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/shop")
}

#[test]
fn the_example_shop_opens_with_its_counts() {
    let shop = Shop::open(fixture()).unwrap();
    let summary = &shop.summary;
    assert_eq!(shop.catalog.len(), 30);
    assert_eq!(summary.items_with_image, 30);
    let slots: Vec<(&str, usize)> = summary
        .slots
        .iter()
        .map(|(s, n)| (s.as_str(), *n))
        .collect();
    assert_eq!(
        slots,
        [
            ("top", 8),
            ("bottom", 6),
            ("shoes", 6),
            ("bag", 5),
            ("outerwear", 5)
        ]
    );
    assert_eq!(shop.catalog.attribute_names, ["colour", "brand"]);
    assert!(shop.catalog.items.iter().all(|item| item.price.is_some()
        && item.currency == "EUR"
        && !item.url.is_empty()
        && item.category.len() >= 2
        && shop.image_path(item).is_some_and(|path| path.is_file())));

    let events = summary.events.as_ref().unwrap();
    assert_eq!((events.rows, events.kept), (441, 438));
    assert_eq!(events.unknown_items.rows, 3);
    assert_eq!(
        events.unknown_items.examples,
        ["retired-001", "retired-002"]
    );
    let wishlist = shop
        .events
        .kinds
        .iter()
        .position(|k| k.name == "wishlist")
        .unwrap();
    assert_eq!(shop.events.kinds[wishlist].weight, 3.0);
    assert!(
        shop.events
            .rows
            .iter()
            .any(|e| usize::from(e.kind) == wishlist)
    );
    assert!(
        shop.events
            .rows
            .windows(2)
            .all(|w| w[0].time_ms <= w[1].time_ms)
    );
    assert_eq!(summary.users, 10);

    assert_eq!(shop.queries.len(), 50);
    assert_eq!(shop.reviews.len(), 8);
    assert_eq!(shop.outfits.len(), 20);
    assert_eq!(summary.outfits.as_ref().unwrap().rows, 78);
    assert_eq!(shop.outfits.iter().filter(|o| o.user.is_none()).count(), 4);
    assert!(summary.missing().is_empty(), "{:?}", summary.missing());

    let titles: Vec<&str> = shop
        .catalog
        .items
        .iter()
        .map(|i| i.title.as_str())
        .collect();
    assert!(titles.contains(&"Ribbed tank top, \"everyday\""));
}

#[test]
fn other_bad_values_name_their_line() {
    let (error, shown) = open_error(&[
        ("catalog.csv", CATALOG),
        ("reviews.csv", b"item,text,rating\na,Nice,5\nb,Meh,five\n"),
    ]);
    assert!(matches!(error, ShopError::BadRating { .. }), "{shown}");
    assert!(shown.contains("reviews.csv:3: rating \"five\""), "{shown}");

    let (error, shown) = open_error(&[
        ("catalog.csv", CATALOG),
        (
            "events.csv",
            b"user,item,event,time\nu,a,view,1\n,b,view,2\n",
        ),
    ]);
    assert!(
        matches!(error, ShopError::EmptyValue { role: "user", .. }),
        "{shown}"
    );
    assert!(
        shown.contains("events.csv:3: the user (column \"user\") is empty"),
        "{shown}"
    );

    let (error, shown) = open_error(&[
        ("catalog.csv", CATALOG),
        ("outfits.csv", b"outfit,item,user\nl1,a,u1\nl1,b,u2\n"),
    ]);
    assert!(matches!(error, ShopError::OutfitUsers { .. }), "{shown}");
    assert_eq!(place(&error), Some(Place::Line(3)));
}

#[test]
fn the_example_shops_outfits_are_its_own_items_with_thumbnails_of_their_pictures() {
    let shop = Shop::open(fixture()).unwrap();
    let outfits = shop
        .outfit_data()
        .unwrap()
        .expect("the example shop has outfits");
    assert!(!outfits.data.synthetic);
    assert!(outfits.pictures);
    // Every item with a slot, by id, in catalog order.
    let slotted: Vec<&str> = shop
        .catalog
        .items
        .iter()
        .filter(|item| !item.slot.is_empty())
        .map(|item| item.id.as_str())
        .collect();
    let ids: Vec<&str> = outfits.data.items.iter().map(|i| i.id.as_str()).collect();
    assert_eq!(ids, slotted);
    for (item, &position) in outfits.data.items.iter().zip(&outfits.catalog_index) {
        let entry = &shop.catalog.items[position as usize];
        assert_eq!(item.id, entry.id);
        assert_eq!(outfits.slots[item.slot], entry.slot);
        assert_eq!(
            Some(&outfits.classes[item.class]),
            entry.category.last(),
            "{}",
            item.id
        );
    }
    // The shop's five slots, top, bottom and shoes in every look (required) first.
    assert_eq!(
        outfits.slots,
        ["top", "bottom", "shoes", "bag", "outerwear"].map(String::from)
    );
    assert!(outfits.required >= 1);
    // Thumbnails are 28 x 28 grey, one per item, and differ between pictures.
    assert_eq!(outfits.data.pixels.len(), ids.len() * 784);
    let first = &outfits.data.pixels[..784];
    assert!(first.iter().any(|&p| p != first[0]), "a flat thumbnail");
    assert_ne!(first, &outfits.data.pixels[784..2 * 784]);
    // 20 outfits, each with its shopper; every item index inside the outfit catalog.
    assert_eq!(outfits.data.outfits.len(), 20);
    assert!(outfits.data.users >= 2);
    for entry in &outfits.data.outfits {
        assert!(entry.outfit.len() >= 2);
        assert!(entry.outfit.items().all(|i| i < ids.len()));
        assert!((entry.user as usize) < outfits.data.users);
    }
}

#[test]
fn outfits_in_more_slots_than_the_model_has_are_refused() {
    let catalog: &[u8] = b"id,title,slot\na,A,s1\nb,B,s2\nc,C,s3\nd,D,s4\ne,E,s5\nf,F,s6\n";
    let outfits: &[u8] = b"outfit,item\no1,a\no1,b\no1,c\no2,d\no2,e\no2,f\n";
    let dir = shop(&[("catalog.csv", catalog), ("outfits.csv", outfits)]);
    let shop = Shop::open(dir.path()).unwrap();
    let error = shop.outfit_data().unwrap_err();
    assert!(
        matches!(&error, ShopError::TooManySlots { slots, max: 5, .. } if slots.len() == 6),
        "{error}"
    );
    assert!(error.to_string().contains("6 slots"), "{error}");
}

#[test]
fn a_picture_that_does_not_decode_is_named_with_its_item() {
    // A PNG signature followed by garbage: the header check passes, decoding does not.
    let mut broken = b"\x89PNG\r\n\x1a\n".to_vec();
    broken.extend_from_slice(&[7u8; 64]);
    let catalog: &[u8] = b"id,title,slot,image\na,Shirt,top,a.png\nb,Jeans,bottom,b.png\n";
    let dir = shop(&[
        ("catalog.csv", catalog),
        ("outfits.csv", b"outfit,item\no1,a\no1,b\n"),
        ("images/a.png", &broken),
    ]);
    picture(dir.path(), "b.png", [10, 20, 30]);
    match Shop::open(dir.path()) {
        Ok(shop) => {
            let error = shop.outfit_data().unwrap_err();
            assert!(
                matches!(&error, ShopError::UndecodablePicture { item, .. } if item == "a"),
                "{error}"
            );
        }
        // The reader's own header check may already refuse it; either way it is named.
        Err(error) => assert!(matches!(error, ShopError::NotAPicture { .. }), "{error}"),
    }
}

#[test]
fn a_shop_without_outfits_has_no_outfit_data() {
    let dir = shop(&[("catalog.csv", CATALOG)]);
    assert!(
        Shop::open(dir.path())
            .unwrap()
            .outfit_data()
            .unwrap()
            .is_none()
    );
}

#[test]
fn the_shop_is_named_by_its_config_or_else_its_folder() {
    let dir = shop(&[
        ("catalog.csv", CATALOG),
        ("tailor.toml", b"name = \"Maison Lin\"\n"),
    ]);
    assert_eq!(Shop::open(dir.path()).unwrap().name(), "Maison Lin");
    let dir = shop(&[("catalog.csv", CATALOG)]);
    let folder = dir
        .path()
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    assert_eq!(Shop::open(dir.path()).unwrap().name(), folder);
    for name in [
        "\"\"".to_owned(),
        "\"   \"".to_owned(),
        format!("\"{}\"", "x".repeat(201)),
    ] {
        let config = format!("name = {name}\n");
        let (error, shown) =
            open_error(&[("catalog.csv", CATALOG), ("tailor.toml", config.as_bytes())]);
        assert!(
            matches!(error, ShopError::BadShopName { max: 200, .. }),
            "{shown}"
        );
        assert!(shown.contains("tailor.toml"), "{shown}");
    }
}
