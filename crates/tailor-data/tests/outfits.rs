//! The outfits' public API: the synthetic generator's config, seeding and refusals, and the
//! outfit CSV reader (a round trip, and every refused input naming its line). Reads
//! Fashion-MNIST from its system folder.

use std::path::Path;
use std::sync::OnceLock;

use tailor_data::{
    DataError, FASHION_MNIST_DIR, FashionImages, Outfit, OutfitData, OutfitItem,
    SyntheticOutfitConfig, UserOutfit, parse_outfit_csv, read_outfit_csv, read_split,
    synthetic_outfits,
};

/// The training split, read once for all tests of this process.
fn train() -> &'static FashionImages {
    static TRAIN: OnceLock<FashionImages> = OnceLock::new();
    TRAIN.get_or_init(|| {
        let dir = Path::new(FASHION_MNIST_DIR);
        read_split(
            &dir.join("train-images-idx3-ubyte.gz"),
            &dir.join("train-labels-idx1-ubyte.gz"),
        )
        .expect("Fashion-MNIST is installed (apt-get install dataset-fashion-mnist)")
    })
}

/// A small shop: enough users for the statistics, quick to generate in a debug build.
fn small() -> SyntheticOutfitConfig {
    SyntheticOutfitConfig {
        items_per_class: 20,
        users: 12,
        outfits_per_user: 6,
        ..SyntheticOutfitConfig::default()
    }
}

#[test]
fn configs_have_the_documented_defaults() {
    let config = SyntheticOutfitConfig::default();
    assert_eq!(
        (config.seed, config.items_per_class, config.users),
        (0, 120, 400)
    );
    assert_eq!((config.outfits_per_user, config.candidates), (12, 48));
    assert_eq!(config.optional_rate, 0.35);
    assert_eq!(
        (
            config.preference_weight,
            config.compatibility_weight,
            config.noise
        ),
        (1.0, 1.0, 0.15)
    );
    let quick = SyntheticOutfitConfig::quick();
    assert_eq!(
        (quick.items_per_class, quick.users, quick.outfits_per_user),
        (60, 200, 10)
    );
    let json = serde_json::to_string(&quick).unwrap();
    assert_eq!(
        serde_json::from_str::<SyntheticOutfitConfig>(&json).unwrap(),
        quick
    );
}

#[test]
fn same_seed_same_data_other_seed_other_outfits() {
    let config = small();
    let a = synthetic_outfits(train(), &config).unwrap();
    let b = synthetic_outfits(train(), &config).unwrap();
    let ids = |data: &OutfitData| -> Vec<(String, String)> {
        data.items
            .iter()
            .map(|item| (item.id.clone(), item.title.clone()))
            .collect()
    };
    assert_eq!(ids(&a), ids(&b));
    assert_eq!(a.pixels, b.pixels);
    assert_eq!(a.outfits, b.outfits);
    assert!(a.synthetic);

    let other = synthetic_outfits(
        train(),
        &SyntheticOutfitConfig {
            seed: 1,
            ..config.clone()
        },
    )
    .unwrap();
    assert_ne!(ids(&a), ids(&other));
    assert_ne!(a.outfits, other.outfits);

    // Separate streams: more users change neither the items nor the first users' outfits.
    let more = synthetic_outfits(
        train(),
        &SyntheticOutfitConfig {
            users: config.users + 3,
            ..config.clone()
        },
    )
    .unwrap();
    assert_eq!(ids(&a), ids(&more));
    assert_eq!(a.outfits[..], more.outfits[..a.outfits.len()]);
}

#[test]
fn bad_configs_are_refused() {
    let refused = |config: SyntheticOutfitConfig, needle: &str| {
        let error = synthetic_outfits(train(), &config).unwrap_err().to_string();
        assert!(error.contains(needle), "{error}");
        assert!(
            error.starts_with("cannot generate synthetic outfits"),
            "{error}"
        );
    };
    refused(
        SyntheticOutfitConfig {
            items_per_class: 0,
            ..small()
        },
        "items_per_class is 0",
    );
    refused(
        SyntheticOutfitConfig {
            users: 0,
            ..small()
        },
        "users is 0",
    );
    refused(
        SyntheticOutfitConfig {
            outfits_per_user: 0,
            ..small()
        },
        "outfits_per_user is 0",
    );
    refused(
        SyntheticOutfitConfig {
            candidates: 0,
            ..small()
        },
        "candidates is 0",
    );
    for rate in [-0.1, 1.5, f64::NAN] {
        refused(
            SyntheticOutfitConfig {
                optional_rate: rate,
                ..small()
            },
            "optional_rate",
        );
    }
    refused(
        SyntheticOutfitConfig {
            preference_weight: f64::INFINITY,
            ..small()
        },
        "preference_weight is inf",
    );
    refused(
        SyntheticOutfitConfig {
            compatibility_weight: f64::NAN,
            ..small()
        },
        "compatibility_weight is NaN",
    );
    refused(
        SyntheticOutfitConfig {
            noise: -1.0,
            ..small()
        },
        "noise is -1",
    );
    refused(
        SyntheticOutfitConfig {
            items_per_class: 6001,
            ..small()
        },
        "class 0 (T-shirt/top) has only 6000 images",
    );
    // One item per class and no optional slots: 9 possible outfits, 10 wanted.
    refused(
        SyntheticOutfitConfig {
            items_per_class: 1,
            optional_rate: 0.0,
            outfits_per_user: 10,
            ..small()
        },
        "user 0 has only",
    );
    // Images whose pixels do not match their labels.
    let broken = FashionImages {
        pixels: vec![0; 10],
        labels: vec![0; 2],
    };
    let error = synthetic_outfits(&broken, &small())
        .unwrap_err()
        .to_string();
    assert!(error.contains("10 pixel bytes for 2 labels"), "{error}");
}

/// Two tops, and one item of every other slot.
fn catalog() -> Vec<OutfitItem> {
    [
        (1, 0, 0),
        (2, 1, 1),
        (3, 2, 7),
        (4, 3, 8),
        (5, 4, 4),
        (6, 0, 2),
    ]
    .into_iter()
    .map(|(n, slot, class)| OutfitItem {
        id: format!("fm-{n}"),
        slot,
        class,
        title: format!("item {n}"),
    })
    .collect()
}

fn parse(text: &str) -> Result<(Vec<String>, Vec<UserOutfit>), DataError> {
    parse_outfit_csv(Path::new("outfits.csv"), text, &catalog())
}

/// The line and message of a row error.
fn row_error(text: &str) -> (usize, String) {
    match parse(text) {
        Err(DataError::OutfitCsv {
            path,
            line,
            message,
        }) => {
            assert_eq!(path, Path::new("outfits.csv"));
            (line, message)
        }
        other => panic!("expected an outfit CSV error, got {other:?}"),
    }
}

const HEADER: &str = "user,top,bottom,shoes,bag,outerwear\n";

#[test]
fn csv_round_trips_generated_outfits() {
    let data = synthetic_outfits(train(), &small()).unwrap();
    let kept: Vec<UserOutfit> = data
        .outfits
        .iter()
        .copied()
        .filter(|o| o.user < 4)
        .collect();
    let cell =
        |item: Option<u32>| item.map_or(String::new(), |i| data.items[i as usize].id.clone());
    let mut text = String::from(HEADER);
    let mut rows: Vec<String> = kept
        .iter()
        .map(|o| {
            let cells: Vec<String> = o.outfit.0.iter().map(|&item| cell(item)).collect();
            format!("shopper-{},{}", o.user, cells.join(","))
        })
        .collect();
    // A repeated row is kept once.
    rows.push(rows[1].clone());
    text.push_str(&rows.join("\n"));
    let (users, outfits) = parse_outfit_csv(Path::new("outfits.csv"), &text, &data.items).unwrap();
    assert_eq!(users, ["shopper-0", "shopper-1", "shopper-2", "shopper-3"]);
    assert_eq!(outfits, kept);

    // Interleaved users come back grouped, in order of first appearance; spaces, CRLF and a
    // byte order mark are tolerated.
    let text = "\u{feff}user,top,bottom,shoes,bag,outerwear\r\n\
                b, fm-1 ,fm-2,fm-3,,\r\n\
                a,fm-6,fm-2,fm-3,fm-4,fm-5\r\n\
                \r\n\
                b,fm-6,fm-2,fm-3,,fm-5\r\n";
    let (users, outfits) = parse(text).unwrap();
    assert_eq!(users, ["b", "a"]);
    let outfit = |items: [Option<u32>; 5]| Outfit(items);
    assert_eq!(
        outfits,
        [
            UserOutfit {
                user: 0,
                outfit: outfit([Some(0), Some(1), Some(2), None, None])
            },
            UserOutfit {
                user: 0,
                outfit: outfit([Some(5), Some(1), Some(2), None, Some(4)])
            },
            UserOutfit {
                user: 1,
                outfit: outfit([Some(5), Some(1), Some(2), Some(3), Some(4)])
            },
        ]
    );

    // The file reader gives the same.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("outfits.csv");
    std::fs::write(&path, text).unwrap();
    assert_eq!(
        read_outfit_csv(&path, &catalog()).unwrap(),
        (users, outfits)
    );
}

#[test]
fn malformed_csv_rows_report_their_line() {
    let good = "u1,fm-1,fm-2,fm-3,,\n";
    let cases: [(String, usize, &str); 9] = [
        (
            format!("{HEADER}{good}{good}u2,fm-1,fm-2,fm-3\n"),
            4,
            "expected 6 fields (`user,top,bottom,shoes,bag,outerwear`), found 4",
        ),
        (
            format!("{HEADER}{good}u2,fm-1,fm-2,fm-3,,,\n"),
            3,
            "expected 6 fields (`user,top,bottom,shoes,bag,outerwear`), found 7",
        ),
        (
            format!("{HEADER}{good} ,fm-1,fm-2,fm-3,,\n"),
            3,
            "the user is empty",
        ),
        (
            format!("{HEADER}u1,fm-1,,fm-3,fm-4,\n"),
            2,
            "column \"bottom\" is empty, but every outfit needs a top, a bottom and shoes",
        ),
        (
            format!("{HEADER}{good}{good}{good}{good}{good}u1,fm-1,fm-2,fm-99,,\n"),
            7,
            "item \"fm-99\" in column \"shoes\" is not in the catalog",
        ),
        (
            format!("{HEADER}{good}{good}{good}{good}{good}u1,fm-1,fm-2,fm-6,,\n"),
            7,
            "item \"fm-6\" in column \"shoes\" is a top, not shoes",
        ),
        (
            format!("{HEADER}u1,fm-1,fm-2,fm-3,fm-5,\n"),
            2,
            "item \"fm-5\" in column \"bag\" is outerwear, not a bag",
        ),
        // An unclosed quote swallows the rest of the file into one field.
        (
            format!("{HEADER}{good}u1,\"fm-1,fm-2,fm-3,,\n{good}"),
            3,
            "expected 6 fields (`user,top,bottom,shoes,bag,outerwear`), found 2; a quoted \
             field runs over several lines, is a closing quote missing?",
        ),
        // Text after a closing quote is kept as part of the id, then not found.
        (
            format!("{HEADER}u1,\"fm-1\"x,fm-2,fm-3,,\n"),
            2,
            "item \"fm-1x\" in column \"top\" is not in the catalog",
        ),
    ];
    for (text, line, message) in cases {
        let (found_line, found) = row_error(&text);
        assert_eq!((found_line, found.as_str()), (line, message), "{text}");
    }
    // The Display names the file and the line.
    let error = parse(&format!(
        "{HEADER}{good}{good}{good}{good}{good}u1,fm-1,fm-2,fm-6,,\n"
    ))
    .unwrap_err()
    .to_string();
    assert_eq!(
        error,
        "outfits.csv line 7: item \"fm-6\" in column \"shoes\" is a top, not shoes"
    );
}

#[test]
fn wrong_headers_and_empty_files_are_refused() {
    let expected = "expected `user,top,bottom,shoes,bag,outerwear`";
    for header in [
        "user,top,bottom,shoes,bag\n",
        "user,bottom,top,shoes,bag,outerwear\n",
        "User,top,bottom,shoes,bag,outerwear\n",
        "user,top,bottom,shoes,bag,outerwear,extra\n",
        "u1,fm-1,fm-2,fm-3,,\n",
    ] {
        let (line, message) = row_error(&format!("{header}u1,fm-1,fm-2,fm-3,,\n"));
        assert_eq!(line, 1, "{header}");
        assert!(message.contains(expected), "{message}");
        assert!(
            message.contains(&format!("{:?}", header.trim_end())),
            "{message}"
        );
    }
    let (line, message) = row_error("");
    assert_eq!(line, 1);
    assert_eq!(
        message,
        "the file is empty; expected the header `user,top,bottom,shoes,bag,outerwear`"
    );
    let (line, message) = row_error(HEADER);
    assert_eq!(line, 1);
    assert_eq!(message, "the file has the header but no outfits below it");
    assert!(row_error("\n\n").1.starts_with("the file is empty"));
}

#[test]
fn hostile_ids_are_data_and_appear_escaped() {
    let hostile = "<script>alert(\"x\")</script>";
    let text = format!(
        "{HEADER}u1,fm-1,\"{}\",fm-3,,\n",
        hostile.replace('"', "\"\"")
    );
    let (line, message) = row_error(&text);
    assert_eq!(line, 2);
    assert_eq!(
        message,
        format!("item {hostile:?} in column \"bottom\" is not in the catalog")
    );
    assert!(
        message.contains(r#""<script>alert(\"x\")</script>""#),
        "{message}"
    );

    // Hostile user ids are kept verbatim as ids.
    let user = "\"'; DROP TABLE users; --<b>";
    let text = format!(
        "{HEADER}\"{}\",fm-1,fm-2,fm-3,,\n",
        user.replace('"', "\"\"")
    );
    let (users, outfits) = parse(&text).unwrap();
    assert_eq!(users, [user]);
    assert_eq!(outfits.len(), 1);

    // A hostile header is quoted too, not interpreted.
    let (_, message) = row_error("user,<img src=x onerror=alert(1)>\n");
    assert!(
        message.contains("\"user,<img src=x onerror=alert(1)>\""),
        "{message}"
    );
}

#[test]
fn non_utf8_rows_report_their_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("outfits.csv");
    let mut bytes = format!("{HEADER}u1,fm-1,fm-2,fm-3,,\n").into_bytes();
    bytes.extend_from_slice(b"u2,fm-1,fm-\xff\xfe,fm-3,,\n");
    std::fs::write(&path, &bytes).unwrap();
    match read_outfit_csv(&path, &catalog()) {
        Err(DataError::OutfitCsv { line, message, .. }) => {
            assert_eq!(line, 3);
            assert_eq!(message, "field 3 is not valid UTF-8 text");
        }
        other => panic!("expected an outfit CSV error, got {other:?}"),
    }
    let error = read_outfit_csv(&dir.path().join("missing.csv"), &catalog())
        .unwrap_err()
        .to_string();
    assert!(error.contains("missing.csv"), "{error}");
}
