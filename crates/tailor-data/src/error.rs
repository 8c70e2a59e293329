use std::path::PathBuf;

use thiserror::Error;

use crate::shop::ShopError;

/// Errors of the data sets and fetches; a shop folder's own problems are [`ShopError`].
#[derive(Debug, Error)]
pub enum DataError {
    #[error(
        "cannot run pip to download {package}: {source}; install it with `apt-get install python3-pip`"
    )]
    PipMissing {
        package: String,
        source: std::io::Error,
    },
    #[error("`pip download {package}` failed ({status}): {stderr}")]
    PipFailed {
        package: String,
        status: String,
        stderr: String,
    },
    #[error("pip downloaded {found} wheels for {package} into {dir}, expected exactly one")]
    WheelCount {
        package: String,
        found: usize,
        dir: PathBuf,
    },
    #[error(
        "sha256 mismatch for {package} ({path}): expected {expected}, got {actual}; the file was \
         deleted, nothing was unpacked"
    )]
    ChecksumMismatch {
        package: String,
        path: PathBuf,
        expected: String,
        actual: String,
    },
    #[error("cannot unpack {path}: {source}")]
    Unpack {
        path: PathBuf,
        source: zip::result::ZipError,
    },
    #[error("cannot read parquet file {path}: {source}")]
    Parquet {
        path: PathBuf,
        source: parquet::errors::ParquetError,
    },
    #[error("{path} has no column `{column}`")]
    MissingColumn { path: PathBuf, column: String },
    #[error("{path}, row {row}: column `{column}` holds {found}, expected {expected}")]
    BadValue {
        path: PathBuf,
        row: usize,
        column: String,
        found: String,
        expected: &'static str,
    },
    /// A table of a shop or a data set that does not read cleanly.
    #[error(transparent)]
    Shop(#[from] ShopError),
    #[error(
        "Fashion-MNIST file {path}: {message}; install it with \
         `apt-get install dataset-fashion-mnist` (add `--reinstall` to repair it)"
    )]
    FashionMnist { path: PathBuf, message: String },
    #[error("{} line {line}: {message}", path.display())]
    OutfitCsv {
        path: PathBuf,
        line: usize,
        message: String,
    },
    #[error("cannot generate synthetic outfits: {message}")]
    SyntheticOutfits { message: String },
    #[error("cannot write {path}: {source}")]
    Write { path: PathBuf, source: csv::Error },
    #[error("cannot write the picture {path}: {source}")]
    WritePicture {
        path: PathBuf,
        source: image::ImageError,
    },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

impl DataError {
    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.into();
        move |source| Self::Io { path, source }
    }

    pub(crate) fn write(path: impl Into<PathBuf>) -> impl FnOnce(csv::Error) -> Self {
        let path = path.into();
        move |source| Self::Write { path, source }
    }
}
