//! Shop data with a malformed row stops with the file and line, before anything is trained.

use std::process::Command;

fn check(files: &[(&str, &str)]) -> (bool, String, String) {
    let temp = tempfile::tempdir().unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_tailor"));
    command.arg("check-data");
    for (flag, (name, contents)) in ["--catalog", "--interactions"].iter().zip(files) {
        let path = temp.path().join(name);
        std::fs::write(&path, contents).unwrap();
        command.arg(flag).arg(path);
    }
    let output = command.output().unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn clean_files_are_summarised() {
    let (ok, stdout, _) = check(&[
        (
            "shop.csv",
            "item_id,title\n1,Linen dress\n2,\"Wool coat, \"\"long\"\"\"\n",
        ),
        (
            "log.jsonl",
            "{\"user_id\":\"a\",\"item_id\":\"1\"}\n{\"user_id\":\"b\",\"item_id\":\"2\"}\n",
        ),
    ]);
    assert!(ok);
    assert!(stdout.contains("2 items"), "{stdout}");
    assert!(stdout.contains("2 interactions by 2 users"), "{stdout}");
}

#[test]
fn a_malformed_row_names_file_and_line() {
    let (ok, _, stderr) = check(&[("shop.csv", "item_id,title\n1,Linen dress\n2\n")]);
    assert!(!ok);
    assert!(stderr.contains("shop.csv:3"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn an_unknown_item_in_the_log_names_file_and_line() {
    let (ok, _, stderr) = check(&[
        ("shop.tsv", "item_id\ttitle\n1\tLinen dress\n"),
        ("log.csv", "user_id,item_id\na,1\nb,99\n"),
    ]);
    assert!(!ok);
    assert!(stderr.contains("log.csv:3"), "{stderr}");
    assert!(stderr.contains("99"), "{stderr}");
}

#[test]
fn broken_json_names_file_and_line() {
    let (ok, _, stderr) = check(&[(
        "shop.jsonl",
        "{\"item_id\":\"1\",\"title\":\"a\"}\n{\"item_id\":\n",
    )]);
    assert!(!ok);
    assert!(stderr.contains("shop.jsonl:2"), "{stderr}");
}
