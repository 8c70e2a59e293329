//! Names for kept training runs. A run folder outlives the code that trained it, so its name
//! carries a hash of everything that shapes the model: the training options and the sources of
//! the crates behind `tailor train`, together with the lock file and the compiler version. A
//! change to any of them trains a new run instead of resuming one made by other code.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use sha2::{Digest, Sha256};

/// The crates whose code decides what `tailor train`, `eval` and `export` write.
const TRAINING_CRATES: [&str; 5] = [
    "crates/tailor-core",
    "crates/tailor-data",
    "crates/tailor-model",
    "crates/tailor-train",
    "crates/tailor-cli",
];

/// `{prefix}-{first 12 hex digits of the hash}` for a run trained with `options`.
pub fn run_name(
    root: &Path,
    prefix: &str,
    options: &[&str],
    rustc_version: &str,
) -> Result<String> {
    let mut hasher = Sha256::new();
    let mut feed = |label: &str, bytes: &[u8]| {
        // Length-prefixed, so that no two different inputs feed the same byte stream.
        for part in [label.as_bytes(), bytes] {
            hasher.update((part.len() as u64).to_le_bytes());
            hasher.update(part);
        }
    };
    for option in options {
        feed("option", option.as_bytes());
    }
    feed("rustc", rustc_version.as_bytes());
    for relative in ["Cargo.lock", "Cargo.toml"] {
        let path = root.join(relative);
        let bytes = fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
        feed(relative, &bytes);
    }
    for krate in TRAINING_CRATES {
        for path in source_files(&root.join(krate))? {
            let bytes =
                fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
            let relative = path.strip_prefix(root).unwrap_or(&path);
            feed(&relative.to_string_lossy(), &bytes);
        }
    }
    let digest = hasher.finalize();
    let hex: String = digest.iter().take(6).map(|b| format!("{b:02x}")).collect();
    Ok(format!("{prefix}-{hex}"))
}

/// Every file under `dir/src` and `dir/Cargo.toml`, sorted, so the hash does not depend on the
/// order the file system lists them in. Tests and benches do not shape a trained model.
fn source_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut files = vec![dir.join("Cargo.toml")];
    let mut pending = vec![dir.join("src")];
    while let Some(folder) = pending.pop() {
        let entries =
            fs::read_dir(&folder).with_context(|| format!("cannot list {}", folder.display()))?;
        for entry in entries {
            let path = entry
                .with_context(|| format!("cannot list {}", folder.display()))?
                .path();
            if path.is_dir() {
                pending.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files.sort();
    Ok(files)
}

/// Removes the other runs named `{prefix}-*` in `parent`: each is a whole trained model, and
/// they pile up as the code changes.
pub fn remove_stale_runs(parent: &Path, prefix: &str, keep: &str) -> Result<()> {
    let Ok(entries) = fs::read_dir(parent) else {
        return Ok(());
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name != keep && name.starts_with(&format!("{prefix}-")) && entry.path().is_dir() {
            fs::remove_dir_all(entry.path()).with_context(|| {
                format!("cannot remove the stale run {}", entry.path().display())
            })?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn crate_tree(root: &Path) {
        fs::write(root.join("Cargo.lock"), "lock").unwrap();
        fs::write(root.join("Cargo.toml"), "[workspace]").unwrap();
        for krate in TRAINING_CRATES {
            fs::create_dir_all(root.join(krate).join("src/inner")).unwrap();
            fs::write(root.join(krate).join("Cargo.toml"), krate).unwrap();
            fs::write(root.join(krate).join("src/lib.rs"), "fn a() {}").unwrap();
            fs::write(root.join(krate).join("src/inner/mod.rs"), "fn b() {}").unwrap();
        }
    }

    #[test]
    fn the_name_changes_with_options_sources_lock_and_compiler() {
        let temp = tempfile::tempdir().unwrap();
        let root = temp.path();
        crate_tree(root);
        let name =
            |options: &[&str], rustc: &str| run_name(root, "test-run", options, rustc).unwrap();
        let base = name(&["--epochs", "20"], "rustc 1");
        assert!(base.starts_with("test-run-") && base.len() == "test-run-".len() + 12);
        assert_eq!(base, name(&["--epochs", "20"], "rustc 1"), "deterministic");
        assert_ne!(base, name(&["--epochs", "21"], "rustc 1"));
        assert_ne!(
            base,
            name(&["--epochs2", "0"], "rustc 1"),
            "options are delimited"
        );
        assert_ne!(base, name(&["--epochs", "20"], "rustc 2"));

        fs::write(
            root.join("crates/tailor-train/src/inner/mod.rs"),
            "fn c() {}",
        )
        .unwrap();
        let edited = name(&["--epochs", "20"], "rustc 1");
        assert_ne!(base, edited, "a nested source file");
        fs::write(root.join("crates/tailor-train/src/new.rs"), "").unwrap();
        assert_ne!(
            edited,
            name(&["--epochs", "20"], "rustc 1"),
            "a new source file"
        );
        let added = name(&["--epochs", "20"], "rustc 1");
        fs::write(root.join("Cargo.lock"), "lock 2").unwrap();
        assert_ne!(added, name(&["--epochs", "20"], "rustc 1"), "the lock file");
    }

    #[test]
    fn only_other_runs_of_the_prefix_are_removed() {
        let temp = tempfile::tempdir().unwrap();
        for name in ["test-run-aaa", "test-run-bbb", "demo-run-aaa", "test-bench"] {
            fs::create_dir(temp.path().join(name)).unwrap();
        }
        remove_stale_runs(temp.path(), "test-run", "test-run-bbb").unwrap();
        let mut left: Vec<String> = fs::read_dir(temp.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(left, ["demo-run-aaa", "test-bench", "test-run-bbb"]);
    }
}
