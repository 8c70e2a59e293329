//! `Recommender`: a bundle fetched from a URL, verified, and ranked in wasm. Fetching streams
//! each file so the page can show progress and so a server that sends more bytes than the
//! manifest lists is cut off at once instead of filling memory.

use std::rc::Rc;

use gloo_net::http::Request;
use js_sys::{Function, Object, Promise, Reflect, Uint8Array};
use serde::{Deserialize, Serialize};
use tailor_core::{BundleBuilder, BundleError, MANIFEST_FILE};
use tailor_model::outfits::CompletedLook;
use tailor_model::ranker::{Head, ItemFilter, Ranker, RecommendedItem, ScoreOn};
use tailor_model::{LoadError, ModelError};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::{JsFuture, future_to_promise};

use web_sys::RequestCache;

use crate::backend::device;
use crate::cache::BundleCache;

/// How many history entries a request may use; longer histories keep their most recent ones.
pub const MAX_HISTORY: usize = 1000;

/// A bundle loaded into this module's backend.
#[wasm_bindgen]
pub struct Recommender {
    ranker: Rc<Ranker>,
    device: String,
    load_stats: LoadStats,
}

/// Where the bundle's files came from on this load.
#[derive(Debug, Default, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
struct LoadStats {
    /// The files the manifest lists.
    files: usize,
    /// Of those, read from Cache Storage (and verified).
    cached: usize,
    /// Of those, downloaded.
    fetched: usize,
    /// Bytes of the downloaded files, the manifest included.
    fetched_bytes: u64,
    /// Whether Cache Storage was available and used.
    cache: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RecommendRequest {
    #[serde(default)]
    query: String,
    /// Item ids, most recent first.
    #[serde(default)]
    history: Vec<String>,
    #[serde(default = "default_k")]
    k: usize,
    #[serde(default)]
    exclude: Vec<String>,
    /// A step of the category path ("Dresses"); null or "" for every category.
    #[serde(default)]
    category: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SimilarRequest {
    /// The catalog item the results are like.
    item: String,
    #[serde(default = "default_k")]
    k: usize,
    #[serde(default)]
    exclude: Vec<String>,
    /// A step of the category path ("Dresses"); null or "" for every category.
    #[serde(default)]
    category: Option<String>,
}

/// What a ranking may leave out: ids the catalog lacks exclude nothing, and an empty category
/// is every category.
fn item_filter(ranker: &Ranker, exclude: &[String], category: Option<String>) -> ItemFilter {
    ItemFilter {
        exclude: exclude
            .iter()
            .filter_map(|id| ranker.index_of(id))
            .collect(),
        category: category.filter(|c| !c.is_empty()),
    }
}

fn default_k() -> usize {
    10
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CompleteRequest {
    /// An outfit item id.
    anchor: String,
    #[serde(default)]
    query: String,
    /// Item ids, most recent first; ids that are not outfit items are ignored.
    #[serde(default)]
    history: Vec<String>,
    #[serde(default = "default_outfits")]
    k: usize,
    /// 0 to 1: how much the looks trade score for variety.
    #[serde(default = "default_diversity")]
    diversity: f32,
}

fn default_diversity() -> f32 {
    tailor_core::LOOK_DIVERSITY
}

fn default_outfits() -> usize {
    5
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Timings {
    encode_ms: f64,
    score_ms: f64,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Recommendation<'a> {
    items: Vec<RecommendedItem<'a>>,
    backend: &'static str,
    personalized: bool,
    /// Whether the bundle's "for you" head ranked it (an empty request with a history).
    for_you: bool,
    history_used: usize,
    unknown_history: Vec<&'a str>,
    timings: Timings,
}

#[wasm_bindgen]
impl Recommender {
    /// Fetches `<url>/manifest.json` and every file it lists, verifies each against the
    /// manifest, and builds the model. `on_progress` gets `{file, loaded, total}` in bytes.
    /// `integrity` ("sha256-BASE64"), when given, pins the manifest itself: whoever can rewrite
    /// the manifest with its files still cannot make this page load them. With `use_cache`
    /// (the default), files are kept in Cache Storage and read from it on the next visit; the
    /// manifest always comes from the host.
    pub async fn load(
        url: String,
        on_progress: Option<Function>,
        integrity: Option<String>,
        use_cache: Option<bool>,
    ) -> Result<Recommender, JsValue> {
        let base = if url.ends_with('/') {
            url
        } else {
            format!("{url}/")
        };
        // Revalidated with the host on every load: the manifest is what says an update happened.
        let manifest_bytes = fetch_file(
            &format!("{base}{MANIFEST_FILE}"),
            MANIFEST_FILE,
            None,
            RequestCache::NoCache,
            &mut |_| {},
        )
        .await?;
        if let Some(pinned) = integrity.as_deref().filter(|p| !p.trim().is_empty()) {
            tailor_core::bundle::check_integrity(&manifest_bytes, pinned).map_err(bundle_error)?;
        }
        let mut builder = BundleBuilder::new(&manifest_bytes).map_err(bundle_error)?;
        let entries = builder.manifest().files.clone();
        let total: u64 = entries.iter().map(|f| f.size).sum();
        let cache = BundleCache::open(use_cache.unwrap_or(true)).await;
        let mut stats = LoadStats {
            files: entries.len(),
            fetched_bytes: manifest_bytes.len() as u64,
            cache: cache.is_available(),
            ..LoadStats::default()
        };
        let mut loaded = 0u64;
        for entry in &entries {
            let file_url = format!("{base}{}", entry.path);
            let before = loaded;
            let mut report = |done: u64| {
                loaded = before + done;
                if let Some(callback) = &on_progress {
                    let event = progress_event(&entry.name, loaded, total);
                    // A throwing progress callback is the page's bug, not a failed load.
                    let _ = callback.call1(&JsValue::NULL, &event);
                }
            };
            if let Some(bytes) = cache.get(&file_url).await {
                let size = bytes.len() as u64;
                match builder.add(&entry.name, bytes) {
                    Ok(()) => {
                        report(size);
                        stats.cached += 1;
                        continue;
                    }
                    // A damaged or stale copy: forget it and download the file.
                    Err(_) => cache.delete(&file_url).await,
                }
            }
            let bytes = fetch_file(
                &file_url,
                &entry.name,
                Some(entry.size),
                RequestCache::Default,
                &mut report,
            )
            .await?;
            stats.fetched += 1;
            stats.fetched_bytes += bytes.len() as u64;
            // Kept before the check (which takes the bytes), and dropped again if it fails, so
            // the cache never outlives a load with an unverified file.
            cache.put(&file_url, &bytes).await;
            if let Err(error) = builder.add(&entry.name, bytes) {
                cache.delete(&file_url).await;
                return Err(bundle_error(error));
            }
        }
        let listed = entries
            .iter()
            .map(|e| format!("{base}{}", e.path))
            .collect();
        cache.keep_only(&base, &listed).await;
        let bundle = builder.finish().map_err(bundle_error)?;
        let device = device().await.map_err(|e| tailor_error("backend", e))?;
        let score_on = if cfg!(feature = "webgpu") {
            ScoreOn::Device
        } else {
            ScoreOn::Cpu
        };
        let ranker = Ranker::from_bundle(bundle, &device, score_on).map_err(load_error)?;
        Ok(Recommender {
            ranker: Rc::new(ranker),
            device: format!("{device:?}"),
            load_stats: stats,
        })
    }

    /// `{files, cached, fetched, fetchedBytes, cache}`: where this load's files came from.
    #[wasm_bindgen(getter, js_name = loadStats)]
    pub fn load_stats(&self) -> Result<JsValue, JsValue> {
        to_js(&self.load_stats)
    }

    /// "cpu" or "webgpu".
    #[wasm_bindgen(getter)]
    pub fn backend(&self) -> String {
        crate::backend_flavour()
    }

    /// The Burn device the model runs on.
    #[wasm_bindgen(getter)]
    pub fn device(&self) -> String {
        self.device.clone()
    }

    #[wasm_bindgen(getter)]
    pub fn manifest(&self) -> Result<JsValue, JsValue> {
        to_js(self.ranker.manifest())
    }

    /// The catalog: `{id, title, class, category, image, price, currency, url, highlight}` in bundle order.
    #[wasm_bindgen(getter)]
    pub fn items(&self) -> Result<JsValue, JsValue> {
        to_js(self.ranker.items())
    }

    /// The outfit catalog `{id, title, slot, class, index}` in code order, items as
    /// `completeOutfit()` lists them; null for a bundle without an outfit model.
    #[wasm_bindgen(getter, js_name = outfitItems)]
    pub fn outfit_items(&self) -> Result<JsValue, JsValue> {
        match self.ranker.outfits() {
            Some(outfits) => to_js(&outfits.catalog_items()),
            None => Ok(JsValue::NULL),
        }
    }

    /// The outfit model's manifest section (slots, bits, `synthetic`), or null.
    #[wasm_bindgen(getter, js_name = outfitSection)]
    pub fn outfit_section(&self) -> Result<JsValue, JsValue> {
        match self.ranker.outfits() {
            Some(outfits) => to_js(outfits.section()),
            None => Ok(JsValue::NULL),
        }
    }

    /// The outfit items' 28x28 grey pictures, `items x 784` bytes, or null.
    #[wasm_bindgen(getter, js_name = outfitImages)]
    pub fn outfit_images(&self) -> JsValue {
        self.ranker
            .outfits()
            .and_then(|outfits| outfits.images())
            .map_or(JsValue::NULL, |images| Uint8Array::from(images).into())
    }

    /// `completeOutfit({anchor, query, history, k})`: resolves to the `k` best outfits that
    /// contain the anchor item, from the bundle's packed codes.
    #[wasm_bindgen(js_name = completeOutfit)]
    pub fn complete_outfit(&self, request: JsValue) -> Promise {
        let ranker = Rc::clone(&self.ranker);
        future_to_promise(async move {
            let request: CompleteRequest =
                serde_wasm_bindgen::from_value(request).map_err(|e| {
                    tailor_error("bad_request", format!("bad completeOutfit request: {e}"))
                })?;
            if ranker.outfits().is_none() {
                return Err(tailor_error(
                    "bad_request",
                    "this bundle has no outfit model, so it cannot complete a look",
                ));
            }
            let history = &request.history[..request.history.len().min(MAX_HISTORY)];
            let started = now_ms();
            let look = ranker
                .complete_outfit(
                    &request.anchor,
                    &request.query,
                    history,
                    request.k,
                    request.diversity,
                )
                .await
                .map_err(model_error)?;
            to_js(&Look {
                look,
                backend: crate::backend_flavour(),
                timings: CompleteTimings {
                    total_ms: now_ms() - started,
                },
            })
        })
    }

    /// `similar({item, k, exclude, category})`: resolves to the `k` items most like `item`
    /// (cosine of the item embeddings), the item itself left out.
    pub fn similar(&self, request: JsValue) -> Promise {
        let ranker = Rc::clone(&self.ranker);
        future_to_promise(async move {
            let request: SimilarRequest = serde_wasm_bindgen::from_value(request)
                .map_err(|e| tailor_error("bad_request", format!("bad similar request: {e}")))?;
            let ranker = ranker.as_ref();
            let index = ranker.index_of(&request.item).ok_or_else(|| {
                tailor_error(
                    "bad_request",
                    format!("similar(): the catalog has no item {:?}", request.item),
                )
            })?;
            let filter = item_filter(ranker, &request.exclude, request.category.clone());
            let started = now_ms();
            let ranked = ranker
                .similar(index, request.k, &filter)
                .await
                .map_err(model_error)?;
            to_js(&SimilarItems {
                item: &ranker.items()[index].id,
                items: ranker.describe(&ranked),
                backend: if cfg!(feature = "webgpu") {
                    "webgpu"
                } else {
                    "cpu"
                },
                timings: SimilarTimings {
                    score_ms: now_ms() - started,
                },
            })
        })
    }

    /// `recommend({query, history, k, exclude, category})`: resolves to the `k` best items with
    /// their scores.
    pub fn recommend(&self, request: JsValue) -> Promise {
        let ranker = Rc::clone(&self.ranker);
        future_to_promise(async move {
            let request: RecommendRequest = serde_wasm_bindgen::from_value(request)
                .map_err(|e| tailor_error("bad_request", format!("bad recommend request: {e}")))?;
            let ranker = ranker.as_ref();
            let recent = &request.history[..request.history.len().min(MAX_HISTORY)];
            let mut unknown_history: Vec<&str> = Vec::new();
            let mut known = Vec::with_capacity(recent.len());
            for id in recent {
                match ranker.index_of(id) {
                    Some(index) => known.push(index),
                    None if !unknown_history.contains(&id.as_str()) => unknown_history.push(id),
                    None => {}
                }
            }
            let started = now_ms();
            let vector = ranker
                .request_vector(&request.query, &known)
                .map_err(model_error)?;
            let history_used = vector.history_used;
            let encoded = now_ms();
            let filter = item_filter(ranker, &request.exclude, request.category.clone());
            let hits = ranker
                .rank(&vector, request.k, &known, &filter)
                .await
                .map_err(model_error)?;
            let ranked = ranker
                .explain(&vector, &hits, &known)
                .await
                .map_err(model_error)?;
            let scored = now_ms();
            let result = Recommendation {
                items: ranker.describe(&ranked),
                backend: if cfg!(feature = "webgpu") {
                    "webgpu"
                } else {
                    "cpu"
                },
                personalized: ranker.is_personalized(),
                for_you: vector.head == Head::ForYou,
                history_used,
                unknown_history,
                timings: Timings {
                    encode_ms: encoded - started,
                    score_ms: scored - encoded,
                },
            };
            to_js(&result)
        })
    }
}

/// What `similar()` resolves to.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SimilarItems<'a> {
    item: &'a str,
    items: Vec<RecommendedItem<'a>>,
    backend: &'static str,
    timings: SimilarTimings,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SimilarTimings {
    score_ms: f64,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CompleteTimings {
    total_ms: f64,
}

/// What `completeOutfit()` resolves to: the look, and where and how fast it was computed.
#[derive(Serialize)]
struct Look<'a> {
    #[serde(flatten)]
    look: CompletedLook<'a>,
    backend: String,
    timings: CompleteTimings,
}

/// GETs `url` (the bundle file `name`) as a stream. With `expected` set, more bytes than that
/// stop the download as a damaged file.
async fn fetch_file(
    url: &str,
    name: &str,
    expected: Option<u64>,
    mode: RequestCache,
    progress: &mut dyn FnMut(u64),
) -> Result<Vec<u8>, JsValue> {
    let response = Request::get(url)
        .cache(mode)
        .send()
        .await
        .map_err(|e| tailor_error("network", format!("cannot fetch {url}: {e}")))?;
    if response.status() == 404 {
        return Err(bundle_error(BundleError::Missing {
            file: name.to_owned(),
        }));
    }
    if !response.ok() {
        return Err(tailor_error(
            "network",
            format!(
                "fetching {url} failed: HTTP {} {}",
                response.status(),
                response.status_text()
            ),
        ));
    }
    let Some(body) = response.body() else {
        return Ok(Vec::new());
    };
    let reader: web_sys::ReadableStreamDefaultReader = body.get_reader().unchecked_into();
    let capacity = expected.unwrap_or(0).min(1 << 30) as usize;
    let mut bytes = Vec::with_capacity(capacity);
    loop {
        let chunk = JsFuture::from(reader.read())
            .await
            .map_err(|e| tailor_error("network", format!("reading {url} failed: {e:?}")))?;
        if Reflect::get(&chunk, &"done".into())?
            .as_bool()
            .unwrap_or(true)
        {
            break;
        }
        let value: Uint8Array = Reflect::get(&chunk, &"value".into())?.unchecked_into();
        let start = bytes.len();
        bytes.resize(start + value.length() as usize, 0);
        value.copy_to(&mut bytes[start..]);
        if let Some(expected) = expected.filter(|&e| bytes.len() as u64 > e) {
            let _ = reader.cancel();
            return Err(bundle_error(BundleError::WrongSize {
                file: name.to_owned(),
                expected,
                actual: bytes.len() as u64,
            }));
        }
        progress(bytes.len() as u64);
    }
    Ok(bytes)
}

fn progress_event(file: &str, loaded: u64, total: u64) -> JsValue {
    let event = Object::new();
    let _ = Reflect::set(&event, &"file".into(), &file.into());
    let _ = Reflect::set(&event, &"loaded".into(), &(loaded as f64).into());
    let _ = Reflect::set(&event, &"total".into(), &(total as f64).into());
    event.into()
}

fn to_js<T: Serialize + ?Sized>(value: &T) -> Result<JsValue, JsValue> {
    // Plain objects and arrays, not Maps, so results survive postMessage and JSON.stringify.
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| tailor_error("bad_bundle", format!("cannot convert to JavaScript: {e}")))
}

/// `performance.now()` in a window or a worker.
fn now_ms() -> f64 {
    Reflect::get(&js_sys::global(), &"performance".into())
        .ok()
        .and_then(|p| p.dyn_into::<web_sys::Performance>().ok())
        .map_or_else(js_sys::Date::now, |p| p.now())
}

/// A JS `Error` named "TailorError" with a machine-readable `code`; pages branch on the code
/// and show the message, which is one line with no Rust backtrace.
pub(crate) fn tailor_error(code: &str, message: impl std::fmt::Display) -> JsValue {
    let error = js_sys::Error::new(&message.to_string());
    error.set_name("TailorError");
    let _ = Reflect::set(&error, &"code".into(), &code.into());
    error.into()
}

fn bundle_error(error: BundleError) -> JsValue {
    let code = match &error {
        BundleError::Missing { .. } => "missing",
        BundleError::WrongSize { .. } | BundleError::WrongHash { .. } => "damaged",
        BundleError::UnknownVersion { .. } => "unknown_version",
        BundleError::BadManifest { .. }
        | BundleError::UnsafePath { .. }
        | BundleError::NotInManifest { .. } => "bad_manifest",
        BundleError::BadFile { .. } => "bad_bundle",
        BundleError::Io { .. } => "network",
        BundleError::IntegrityMismatch { .. } => "integrity",
        BundleError::BadIntegrity { .. } => "bad_request",
    };
    tailor_error(code, error)
}

fn load_error(error: LoadError) -> JsValue {
    match error {
        LoadError::Bundle(error) => bundle_error(error),
        LoadError::Model(error) => tailor_error("bad_bundle", error),
    }
}

fn model_error(error: ModelError) -> JsValue {
    let code = match error {
        ModelError::BadRequest(_) => "bad_request",
        ModelError::Readback(_) => "backend",
        _ => "bad_bundle",
    };
    tailor_error(code, error)
}
