//! Fashion-MNIST (Xiao et al. 2017, MIT licence) from Debian's `dataset-fashion-mnist` package:
//! 70,000 grey 28x28 images of clothing in 10 classes, the item images of Tailor's visual
//! experiments. The package ships the original gzipped IDX files; this reader checks each file's
//! magic number, dimensions and length, so that a damaged or half-copied file is refused with
//! its name instead of giving wrong images.

use std::io::Read;
use std::path::{Path, PathBuf};

use flate2::read::GzDecoder;

use crate::error::DataError;

/// Where `apt-get install dataset-fashion-mnist` puts the files.
pub const FASHION_MNIST_DIR: &str = "/usr/share/datasets/fashion-mnist";

/// Side of the square images, in pixels.
pub const FASHION_MNIST_SIDE: usize = 28;

/// The 10 class names, indexed by label.
pub const FASHION_MNIST_CLASSES: [&str; 10] = [
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
];

/// IDX magic numbers: 0x00000803 is unsigned bytes in 3 dimensions, 0x00000801 in 1.
const IMAGES_MAGIC: u32 = 0x0803;
const LABELS_MAGIC: u32 = 0x0801;

/// One split: `pixels` holds `len() * 784` bytes, image after image, row-major, 0 = background.
#[derive(Debug, Clone, PartialEq)]
pub struct FashionImages {
    pub pixels: Vec<u8>,
    pub labels: Vec<u8>,
}

impl FashionImages {
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// The 784 pixels of image `index`.
    ///
    /// # Panics
    /// If `index >= len()`.
    pub fn image(&self, index: usize) -> &[u8] {
        let size = FASHION_MNIST_SIDE * FASHION_MNIST_SIDE;
        &self.pixels[index * size..(index + 1) * size]
    }
}

/// Both splits: 60,000 training and 10,000 test images.
#[derive(Debug, Clone, PartialEq)]
pub struct FashionMnist {
    pub train: FashionImages,
    pub test: FashionImages,
}

impl FashionMnist {
    /// Reads the four files from [`FASHION_MNIST_DIR`].
    pub fn load() -> Result<FashionMnist, DataError> {
        FashionMnist::load_from(Path::new(FASHION_MNIST_DIR))
    }

    /// Reads `train-*-idx?-ubyte.gz` and `t10k-*-idx?-ubyte.gz` from `dir`.
    pub fn load_from(dir: &Path) -> Result<FashionMnist, DataError> {
        let split = |prefix: &str| {
            read_split(
                &dir.join(format!("{prefix}-images-idx3-ubyte.gz")),
                &dir.join(format!("{prefix}-labels-idx1-ubyte.gz")),
            )
        };
        Ok(FashionMnist {
            train: split("train")?,
            test: split("t10k")?,
        })
    }
}

/// One split from its gzipped image and label files; they must hold the same number of items.
pub fn read_split(images: &Path, labels: &Path) -> Result<FashionImages, DataError> {
    let pixels = parse_images(images, &gunzip(images)?)?;
    let label_bytes = parse_labels(labels, &gunzip(labels)?)?;
    let size = FASHION_MNIST_SIDE * FASHION_MNIST_SIDE;
    if pixels.len() / size != label_bytes.len() {
        return Err(damaged(
            labels,
            format!(
                "it has {} labels but {} has {} images",
                label_bytes.len(),
                images.display(),
                pixels.len() / size
            ),
        ));
    }
    Ok(FashionImages {
        pixels,
        labels: label_bytes,
    })
}

fn gunzip(path: &Path) -> Result<Vec<u8>, DataError> {
    let file = std::fs::File::open(path).map_err(|source| DataError::FashionMnist {
        path: path.to_path_buf(),
        message: format!("cannot open it ({source})"),
    })?;
    let mut bytes = Vec::new();
    GzDecoder::new(file)
        .read_to_end(&mut bytes)
        .map_err(|source| damaged(path, format!("it is not a readable gzip file ({source})")))?;
    Ok(bytes)
}

/// The pixels of an unpacked IDX image file.
pub fn parse_images(path: &Path, bytes: &[u8]) -> Result<Vec<u8>, DataError> {
    let header = header(path, bytes, IMAGES_MAGIC, 4)?;
    let (count, rows, cols) = (header[0], header[1], header[2]);
    if rows != FASHION_MNIST_SIDE || cols != FASHION_MNIST_SIDE {
        return Err(damaged(
            path,
            format!("its images are {rows}x{cols}, expected 28x28"),
        ));
    }
    body(path, bytes, 16, count * rows * cols)
}

/// The labels of an unpacked IDX label file; each must be a class index below 10.
pub fn parse_labels(path: &Path, bytes: &[u8]) -> Result<Vec<u8>, DataError> {
    let header = header(path, bytes, LABELS_MAGIC, 2)?;
    let labels = body(path, bytes, 8, header[0])?;
    if let Some((index, label)) = labels
        .iter()
        .enumerate()
        .find(|(_, label)| usize::from(**label) >= FASHION_MNIST_CLASSES.len())
    {
        return Err(damaged(
            path,
            format!("label {index} is {label}, but there are only 10 classes"),
        ));
    }
    Ok(labels)
}

/// The big-endian u32 fields after the magic number: the count, then any further dimensions.
fn header(path: &Path, bytes: &[u8], magic: u32, words: usize) -> Result<Vec<usize>, DataError> {
    if bytes.len() < 4 * words {
        return Err(damaged(
            path,
            format!("its header is cut short ({} bytes)", bytes.len()),
        ));
    }
    let word = |i: usize| {
        u32::from_be_bytes([
            bytes[4 * i],
            bytes[4 * i + 1],
            bytes[4 * i + 2],
            bytes[4 * i + 3],
        ])
    };
    if word(0) != magic {
        return Err(damaged(
            path,
            format!(
                "its magic number is {:#010x}, expected {magic:#010x}",
                word(0)
            ),
        ));
    }
    Ok((1..words).map(|i| word(i) as usize).collect())
}

fn body(path: &Path, bytes: &[u8], offset: usize, expected: usize) -> Result<Vec<u8>, DataError> {
    let found = bytes.len() - offset;
    if found != expected {
        return Err(damaged(
            path,
            format!("its header promises {expected} bytes of data, the file has {found}"),
        ));
    }
    Ok(bytes[offset..].to_vec())
}

fn damaged(path: &Path, message: String) -> DataError {
    DataError::FashionMnist {
        path: PathBuf::from(path),
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn idx(magic: u32, dims: &[u32], data: &[u8]) -> Vec<u8> {
        let mut bytes = magic.to_be_bytes().to_vec();
        for dim in dims {
            bytes.extend(dim.to_be_bytes());
        }
        bytes.extend(data);
        bytes
    }

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        encoder.write_all(bytes).unwrap();
        encoder.finish().unwrap()
    }

    fn two_images() -> Vec<u8> {
        let pixels: Vec<u8> = (0..2 * 784).map(|i| (i % 251) as u8).collect();
        idx(IMAGES_MAGIC, &[2, 28, 28], &pixels)
    }

    fn write_split(dir: &Path, prefix: &str, images: &[u8], labels: &[u8]) {
        std::fs::write(
            dir.join(format!("{prefix}-images-idx3-ubyte.gz")),
            gzip(images),
        )
        .unwrap();
        std::fs::write(
            dir.join(format!("{prefix}-labels-idx1-ubyte.gz")),
            gzip(labels),
        )
        .unwrap();
    }

    #[test]
    fn good_files_read_back() {
        let dir = tempfile::tempdir().unwrap();
        write_split(
            dir.path(),
            "train",
            &two_images(),
            &idx(LABELS_MAGIC, &[2], &[3, 9]),
        );
        write_split(
            dir.path(),
            "t10k",
            &two_images(),
            &idx(LABELS_MAGIC, &[2], &[0, 1]),
        );
        let data = FashionMnist::load_from(dir.path()).unwrap();
        assert_eq!(data.train.len(), 2);
        assert_eq!(data.train.labels, vec![3, 9]);
        assert_eq!(data.test.labels, vec![0, 1]);
        assert_eq!(data.train.image(1)[0], (784 % 251) as u8);
        assert_eq!(FASHION_MNIST_CLASSES[9], "Ankle boot");
    }

    #[test]
    fn a_bad_magic_number_is_refused() {
        let path = Path::new("x-images-idx3-ubyte");
        let error = parse_images(path, &idx(LABELS_MAGIC, &[2, 28, 28], &[0; 2 * 784]))
            .unwrap_err()
            .to_string();
        assert!(error.contains("magic number"), "{error}");
        assert!(error.contains("x-images-idx3-ubyte"), "{error}");
        assert!(
            error.contains("apt-get install dataset-fashion-mnist"),
            "{error}"
        );
    }

    #[test]
    fn truncated_files_are_refused() {
        let path = Path::new("labels");
        let error = parse_labels(path, &idx(LABELS_MAGIC, &[3], &[1, 2]))
            .unwrap_err()
            .to_string();
        assert!(error.contains("promises 3 bytes"), "{error}");
        let error = parse_images(path, &[0, 0, 8]).unwrap_err().to_string();
        assert!(error.contains("header is cut short"), "{error}");
        let images = two_images();
        assert!(parse_images(path, &images[..images.len() - 1]).is_err());
        // A gzip stream cut in the middle.
        let dir = tempfile::tempdir().unwrap();
        let packed = gzip(&images);
        let file = dir.path().join("train-images-idx3-ubyte.gz");
        std::fs::write(&file, &packed[..packed.len() / 2]).unwrap();
        assert!(gunzip(&file).is_err());
    }

    #[test]
    fn wrong_sizes_labels_and_missing_files_are_refused() {
        let path = Path::new("f");
        assert!(parse_images(path, &idx(IMAGES_MAGIC, &[1, 27, 28], &[0; 27 * 28])).is_err());
        assert!(parse_labels(path, &idx(LABELS_MAGIC, &[1], &[10])).is_err());
        let dir = tempfile::tempdir().unwrap();
        write_split(
            dir.path(),
            "train",
            &two_images(),
            &idx(LABELS_MAGIC, &[1], &[3]),
        );
        let error = FashionMnist::load_from(dir.path()).unwrap_err().to_string();
        assert!(error.contains("1 labels but"), "{error}");
        let error = FashionMnist::load_from(&dir.path().join("nowhere"))
            .unwrap_err()
            .to_string();
        assert!(error.contains("cannot open"), "{error}");
        assert!(
            error.contains("apt-get install dataset-fashion-mnist"),
            "{error}"
        );
    }
}
