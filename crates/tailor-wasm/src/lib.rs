//! Tailor's browser API: wasm-bindgen glue over tailor-core and tailor-model, and nothing else.
//! Model and scoring code live in those crates so that native and browser results come from the
//! same source; this crate only converts typed arrays, errors and promises. It is built twice:
//! the small `cpu` flavour (Burn `flex`) that every page loads, and the `webgpu` flavour that a
//! page fetches only when it asks for the GPU. Bulk data crosses the boundary as typed arrays,
//! never as JSON.

mod backend;
mod cache;
mod hashing;
mod outfits;
mod recommender;
mod scoring;

pub use backend::{backend_flavour, init_backend};
pub use hashing::hash_forward;
pub use recommender::Recommender;
pub use scoring::{CodeIndex, DenseIndex, Ranking, WeightTable};

use wasm_bindgen::prelude::*;

/// Panics (which would be bugs) reach the console with a message instead of "unreachable".
#[wasm_bindgen(start)]
pub fn start() {
    console_error_panic_hook::set_once();
}

/// A JS `Error` carrying the Rust error's message.
fn js_error(error: impl std::fmt::Display) -> JsError {
    JsError::new(&error.to_string())
}
