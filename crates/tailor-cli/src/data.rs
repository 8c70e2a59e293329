//! `tailor check-data`: reads a shop's own catalog and interaction log with the column names it
//! uses, and reports the first malformed row by file and line. It is the gate in front of
//! training on shop data: nothing is trained on a file that does not read cleanly.

use std::collections::HashSet;
use std::path::PathBuf;

use anyhow::{Context, Result};
use tailor_data::{
    CatalogColumns, InteractionColumns, TableFormat, read_catalog, read_interactions,
};

pub struct CheckArgs {
    pub catalog: PathBuf,
    pub interactions: Option<PathBuf>,
    pub catalog_columns: CatalogColumns,
    pub interaction_columns: InteractionColumns,
}

pub fn check(args: &CheckArgs) -> Result<()> {
    let format = TableFormat::from_path(&args.catalog)?;
    let catalog = read_catalog(&args.catalog, format, &args.catalog_columns)
        .with_context(|| format!("the catalog {} is not usable", args.catalog.display()))?;
    println!("{}: {} items", args.catalog.display(), catalog.len());
    if let Some(path) = &args.interactions {
        let known: HashSet<String> = catalog.iter().map(|item| item.id.clone()).collect();
        let format = TableFormat::from_path(path)?;
        let interactions = read_interactions(path, format, &args.interaction_columns, Some(&known))
            .with_context(|| format!("the interaction log {} is not usable", path.display()))?;
        let users: HashSet<&str> = interactions.iter().map(|i| i.user.as_str()).collect();
        println!(
            "{}: {} interactions by {} users",
            path.display(),
            interactions.len(),
            users.len()
        );
    }
    Ok(())
}
