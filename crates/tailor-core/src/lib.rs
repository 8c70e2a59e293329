//! Plain-Rust core of Tailor, shared by native training and the browser runtime. It holds what
//! must behave identically on both sides and needs no tensor library: binary item codes packed
//! into `u64` words, their (diagonally weighted) inner products via xor and popcount, dense
//! float scoring, and top-k selection. Keeping it free of Burn keeps the wasm CPU build small and
//! lets the browser score a million-item catalog without touching a tensor backend. It also
//! defines the bundle a shop hosts (`manifest.json` listing each file's size and sha256, checked on
//! load) and the f16/int8 layouts its embedding matrices are stored in, and Fashion Hash Net's
//! outfit scoring and complete-the-look search over the packed codes.

pub mod bundle;
mod codes;
mod dense;
mod error;
pub mod outfit;
pub mod quant;
mod topk;

pub use bundle::{
    BUNDLE_FORMAT_VERSION, Bundle, BundleBuilder, BundleItem, BundleWriter, EmbeddingEncoding,
    EncoderKind, FileEntry, MANIFEST_FILE, Manifest, OutfitBundleItem, OutfitFiles, OutfitSection,
    Personalization, sha256_hex,
};
pub use codes::{CodeLength, PackedCodes, Similarity, WeightTable, inner_product};
pub use dense::DenseVectors;
pub use error::{BundleError, CoreError, QuantError};
pub use outfit::{
    DIVERSITY_POOL_PER_LOOK, LOOK_DIVERSITY, OutfitCatalog, OutfitSearch, OutfitSlot, ScoredOutfit,
    diversify,
};
pub use quant::EmbeddingMatrix;
pub use topk::{BestK, Hit, Ranked, TopK, top_k, top_k_where};
