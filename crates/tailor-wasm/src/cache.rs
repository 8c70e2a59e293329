//! Bundle files kept in Cache Storage between visits, so that a returning shopper downloads only
//! `manifest.json`. Bundle files are content-addressed (a new version has a new name), and every
//! copy read back is verified against the manifest exactly like a downloaded one, so a cached
//! copy is trusted no further than the network: one that fails the check is deleted and fetched
//! again.
//!
//! The cache is a convenience, never a requirement: without Cache Storage (an insecure context,
//! a private window that refuses it, a full quota) every call quietly does nothing and the
//! bundle comes from the network.

use std::collections::BTreeSet;

use js_sys::{Array, ArrayBuffer, Reflect, Uint8Array};
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Cache, CacheStorage, Request, Response};

/// The Cache Storage cache that holds every bundle file of the origin, keyed by absolute URL.
pub const CACHE_NAME: &str = "tailor-bundle-files";

/// The origin's bundle cache, or nothing when the page turned it off or the browser has none.
pub struct BundleCache {
    cache: Option<Cache>,
}

impl BundleCache {
    /// Opens the cache when `enabled` and the browser offers Cache Storage here.
    pub async fn open(enabled: bool) -> BundleCache {
        let cache = if enabled { open_cache().await } else { None };
        BundleCache { cache }
    }

    pub fn is_available(&self) -> bool {
        self.cache.is_some()
    }

    /// The cached bytes for `url`, if any.
    pub async fn get(&self, url: &str) -> Option<Vec<u8>> {
        let cache = self.cache.as_ref()?;
        let found = JsFuture::from(cache.match_with_str(url)).await.ok()?;
        let response: Response = found.dyn_into().ok()?;
        let buffer = JsFuture::from(response.array_buffer().ok()?).await.ok()?;
        let buffer: ArrayBuffer = buffer.dyn_into().ok()?;
        Some(Uint8Array::new(&buffer).to_vec())
    }

    /// Keeps `bytes` for `url`; a failure (a full quota) only means the next visit downloads it.
    pub async fn put(&self, url: &str, bytes: &[u8]) {
        let Some(cache) = &self.cache else { return };
        let body = Uint8Array::from(bytes);
        let Ok(response) = Response::new_with_opt_buffer_source(Some(&body)) else {
            return;
        };
        let _ = JsFuture::from(cache.put_with_str(url, &response)).await;
    }

    pub async fn delete(&self, url: &str) {
        if let Some(cache) = &self.cache {
            let _ = JsFuture::from(cache.delete_with_str(url)).await;
        }
    }

    /// Deletes the files of the bundle at `base` that `listed` (absolute URLs) no longer holds:
    /// an update's old versions. Files in folders below `base` may belong to another bundle
    /// hosted there, so only `base`'s own files are considered.
    pub async fn keep_only(&self, base: &str, listed: &BTreeSet<String>) {
        let Some(cache) = &self.cache else { return };
        let Ok(keys) = JsFuture::from(cache.keys()).await else {
            return;
        };
        for request in Array::from(&keys).iter() {
            let Ok(request) = request.dyn_into::<Request>() else {
                continue;
            };
            let url = request.url();
            let own = url
                .strip_prefix(base)
                .is_some_and(|rest| !rest.is_empty() && !rest.contains('/'));
            if own && !listed.contains(&url) {
                let _ = JsFuture::from(cache.delete_with_str(&url)).await;
            }
        }
    }
}

async fn open_cache() -> Option<Cache> {
    // `caches` is missing outside secure contexts, and reading it may throw where storage is
    // blocked; either way there is no cache.
    let storage = Reflect::get(&js_sys::global(), &"caches".into()).ok()?;
    let storage: CacheStorage = storage.dyn_into().ok()?;
    let cache = JsFuture::from(storage.open(CACHE_NAME)).await.ok()?;
    cache.dyn_into().ok()
}
