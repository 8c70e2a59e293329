//! `tailor check-data --shop DIR`: opens a shop folder with the shop reader and prints what it
//! holds (items, logs, unknown items, missing optional files). It is the gate in front of
//! training on shop data: the first problem stops it with its file and line, and nothing is
//! trained on a shop that does not open cleanly.

use std::path::Path;

use anyhow::{Context, Result};
use tailor_data::shop::Shop;

pub fn check(dir: &Path) -> Result<()> {
    let shop =
        Shop::open(dir).with_context(|| format!("the shop {} is not usable", dir.display()))?;
    println!("{}", shop.summary);
    Ok(())
}
