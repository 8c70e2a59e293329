//! Fashion Hash Net's outfit scorer as a JS class, for the outfit benchmark page and the browser
//! parity test: a typed catalog of packed codes is copied into wasm memory once, then `score`
//! and `complete` run there. Outfits come back as plain objects
//! `{items, score, preference, compatibility}`, items as catalog indices in slot order.

use serde::Serialize;
use tailor_core::{CodeLength, OutfitCatalog, OutfitSearch, OutfitSlot, PackedCodes, ScoredOutfit};
use wasm_bindgen::prelude::*;

use crate::js_error;

/// The outfit scorer over `bits`-bit codes (a BigUint64Array, code i = words i*W..(i+1)*W),
/// one slot index per item (a Uint8Array), the slots as JSON `[{"name", "required"}]`, and
/// FHN's weights w_u and w_c (Float32Array, one per bit).
#[wasm_bindgen]
pub struct OutfitIndex(OutfitCatalog);

#[derive(Serialize)]
struct JsOutfit {
    /// Indices fit in u32: a wasm32 catalog cannot hold 2^32 codes.
    items: Vec<u32>,
    score: f32,
    preference: f32,
    compatibility: f32,
}

impl From<ScoredOutfit> for JsOutfit {
    fn from(outfit: ScoredOutfit) -> Self {
        Self {
            items: outfit.items.iter().map(|&i| i as u32).collect(),
            score: outfit.score,
            preference: outfit.preference,
            compatibility: outfit.compatibility,
        }
    }
}

#[derive(Serialize)]
struct Completion {
    outfits: Vec<JsOutfit>,
    /// How many outfits the search scored.
    scored: usize,
}

fn to_js<T: Serialize>(value: &T) -> Result<JsValue, JsError> {
    // Plain objects and arrays, not Maps, so results survive postMessage and JSON.stringify.
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| js_error(format!("cannot convert the outfits to JavaScript: {e}")))
}

fn parse_slots(slots_json: &str) -> Result<Vec<OutfitSlot>, JsError> {
    let shape = r#"a JSON list of {"name": string, "required": boolean}"#;
    let value = js_sys::JSON::parse(slots_json).map_err(|error| {
        let why = error
            .dyn_into::<js_sys::Error>()
            .map(|e| String::from(e.message()))
            .unwrap_or_default();
        js_error(format!("slots_json is not {shape}: {why}"))
    })?;
    serde_wasm_bindgen::from_value(value)
        .map_err(|e| js_error(format!("slots_json is not {shape}: {e}")))
}

#[wasm_bindgen]
impl OutfitIndex {
    #[wasm_bindgen(constructor)]
    pub fn new(
        bits: usize,
        words: Vec<u64>,
        types: Vec<u8>,
        slots_json: String,
        user_weights: &[f32],
        compat_weights: &[f32],
    ) -> Result<OutfitIndex, JsError> {
        let length = CodeLength::new(bits).map_err(js_error)?;
        let codes = PackedCodes::new(length, words).map_err(js_error)?;
        let slots = parse_slots(&slots_json)?;
        OutfitCatalog::new(codes, types, slots, user_weights, compat_weights)
            .map(OutfitIndex)
            .map_err(js_error)
    }

    /// The number of items.
    #[wasm_bindgen(getter)]
    pub fn length(&self) -> usize {
        self.0.len()
    }

    /// Bytes of wasm memory the catalog's codes (and index lists, if any) take.
    #[wasm_bindgen(getter, js_name = codeBytes)]
    pub fn code_bytes(&self) -> usize {
        self.0.code_bytes()
    }

    /// `{items, score, preference, compatibility}` of one outfit, items given in any order.
    pub fn score(&self, user: &[u64], items: Vec<u32>) -> Result<JsValue, JsError> {
        let items: Vec<usize> = items.iter().map(|&i| i as usize).collect();
        let outfit = self.0.score(user, &items).map_err(js_error)?;
        to_js(&JsOutfit::from(outfit))
    }

    /// `{outfits, scored}`: the `k` best outfits containing `anchor`, best first, searched over
    /// `candidates` items per slot, and how many outfits the search scored.
    pub fn complete(
        &self,
        user: &[u64],
        anchor: u32,
        k: usize,
        candidates: usize,
    ) -> Result<JsValue, JsError> {
        let search = OutfitSearch {
            candidates_per_slot: candidates,
        };
        let (outfits, scored) = self
            .0
            .complete_counted(user, anchor as usize, k, search)
            .map_err(js_error)?;
        to_js(&Completion {
            outfits: outfits.into_iter().map(JsOutfit::from).collect(),
            scored,
        })
    }
}
