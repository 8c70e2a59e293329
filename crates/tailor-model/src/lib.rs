//! Tailor's neural network modules, written once for every backend with Burn: the model is built
//! on whatever `Device` the caller passes (Burn `flex` on the CPU for native training and the
//! small browser build, WebGPU in the browser). Native training and in-browser inference share
//! these definitions, so a bundle's weights mean the same thing on both sides. The crate depends
//! on nothing native-only (no files, no processes) so that it compiles to wasm32.

mod error;
pub mod fhn;
mod hash;
pub mod image;
pub mod intention;
pub mod outfits;
pub mod ranker;
pub mod text;
pub mod text_ranker;
mod weights;

pub use error::{LoadError, ModelError};
pub use fhn::{FashionHashNet, FashionHashNetConfig, UserEncoder};
pub use hash::{HashHead, HashHeadConfig, hash_beta};
pub use image::{ImageTower, ImageTowerConfig};
pub use intention::{History, Intention, IntentionConfig};
pub use weights::check_applied;
