//! Which paths a manifest may list and a writer may add: plain relative paths inside the
//! bundle folder, so a hostile manifest cannot make a reader open files elsewhere.

use super::manifest::MANIFEST_FILE;
use crate::error::BundleError;

/// Accepts only plain relative paths that stay inside the bundle folder and can be appended to
/// the bundle's URL as they are: ASCII letters, digits, '-', '_', '.' and '/' between
/// non-empty components that do not start with '.'.
pub(super) fn check_path(path: &str) -> Result<(), BundleError> {
    let components = || path.split('/');
    let why = if path.is_empty() {
        "it is empty"
    } else if path.starts_with('/') {
        "it is absolute"
    } else if path.contains('\\') {
        "it contains a backslash; separate folders with '/'"
    } else if components().any(|c| c == "..") {
        "it contains '..'"
    } else if components().any(str::is_empty) {
        "it has an empty component"
    } else if path == MANIFEST_FILE {
        "manifest.json describes the bundle and cannot be listed in it"
    } else if components().any(|c| c.starts_with('.')) {
        // Also keeps listed files apart from the writer's hidden temporary files.
        "a component starts with '.'"
    } else if !path
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'/'))
    {
        "only ASCII letters, digits, '-', '_', '.' and '/' are allowed"
    } else {
        return Ok(());
    };
    Err(BundleError::UnsafePath {
        file: path.to_owned(),
        why,
    })
}
