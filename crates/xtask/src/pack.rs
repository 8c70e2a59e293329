//! `cargo xtask pack`: the npm package of web/, with both wasm builds inside, as a tarball a shop
//! installs with `npm install ./tailor-recommender-VERSION.tgz`. The package is staged in the
//! target directory (web/'s files, its built `pkg/`, the licence), so that whatever else lies in
//! web/ never ships, then `npm pack` writes the tarball that `files` in package.json describes.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::{copy_dir, run, step, target_dir};

/// The tarball's name; the package's version must be the workspace's: one release, one number.
fn tarball_name(root: &Path, package_json: &str) -> Result<String> {
    let manifest = fs::read_to_string(root.join("Cargo.toml")).context("cannot read Cargo.toml")?;
    let manifest: toml::Table = toml::from_str(&manifest).context("Cargo.toml is not TOML")?;
    let workspace = manifest
        .get("workspace")
        .and_then(|w| w.get("package"))
        .and_then(|p| p.get("version"))
        .and_then(toml::Value::as_str)
        .context("Cargo.toml has no [workspace.package] version")?;
    let package: serde_json::Value =
        serde_json::from_str(package_json).context("web/package.json is not JSON")?;
    let field = |name: &str| {
        package[name]
            .as_str()
            .with_context(|| format!("web/package.json has no {name}"))
    };
    let (name, version) = (field("name")?, field("version")?);
    if version != workspace {
        bail!("web/package.json has version {version}, the workspace {workspace}: make them equal");
    }
    Ok(format!("{name}-{version}.tgz"))
}

/// Stages and packs web/ (whose `pkg/` the wasm builds have filled); returns the tarball.
pub fn pack(root: &Path) -> Result<PathBuf> {
    step("npm pack of web/ with both wasm builds");
    let web = root.join("web");
    let package_json =
        fs::read_to_string(web.join("package.json")).context("cannot read web/package.json")?;
    let tarball_name = tarball_name(root, &package_json)?;
    for flavour in ["cpu", "webgpu"] {
        let wasm = web.join("pkg").join(flavour).join("tailor_wasm_bg.wasm");
        if !wasm.is_file() {
            bail!(
                "{} is missing: build it with `cargo xtask wasm`",
                wasm.display()
            );
        }
    }
    let out = target_dir().join("pack");
    let stage = out.join("stage");
    copy_dir(&web, &stage, &["node_modules"])?;
    fs::copy(root.join("LICENSE"), stage.join("LICENSE")).context("cannot copy LICENSE")?;
    let tarball = out.join(&tarball_name);
    let _ = fs::remove_file(&tarball);
    run(Command::new("npm")
        .args(["pack", "--silent", "--pack-destination"])
        .arg(&out)
        .current_dir(&stage))
    .context("npm pack failed")?;
    if !tarball.is_file() {
        bail!("npm pack did not write {}", tarball.display());
    }
    let bytes = fs::metadata(&tarball)?.len();
    println!(
        "{}: {:.2} MB ({bytes} bytes)",
        tarball.display(),
        bytes as f64 / 1e6
    );
    Ok(tarball)
}
