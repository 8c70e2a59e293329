// Tailor's browser API. Plain ES module, no bundler needed:
//
//   import { Tailor } from 'tailor-recommender';        // or '/web/tailor.js', copied as files
//   const rec = await Tailor.load('/bundle/', { backend: 'auto', onProgress });
//   await rec.history.record({ itemId: '1080', event: 'view' });   // IndexedDB, on this device
//   const result = await rec.recommend({ query: 'linen dress for a summer wedding', k: 20 });
//   const like = await rec.similar({ item: '1080', k: 8, category: 'Dresses' });
//   const look = await rec.completeOutfit({ anchor: rec.outfitItems[0].id, k: 3 });
//
// All model work runs in a module Web Worker (worker.js); this module only sends it requests.

import { ERROR_CODES, TailorError, describeError, renderError } from './errors.js';
import { History, historyDatabaseName } from './history.js';

export { ERROR_CODES, TailorError, describeError, historyDatabaseName, renderError };

export const BACKENDS = Object.freeze(['auto', 'cpu', 'webgpu']);
export const DEFAULT_HISTORY_LIMIT = 200;
/** Outfit item pictures are Fashion-MNIST's: 28 x 28 grey bytes each. */
export const OUTFIT_IMAGE_SIZE = 28;
const OUTFIT_IMAGE_BYTES = OUTFIT_IMAGE_SIZE * OUTFIT_IMAGE_SIZE;
/** completeOutfit()'s default `diversity` (tailor_core::LOOK_DIVERSITY). */
export const LOOK_DIVERSITY = 0.1;

const CONSTRUCT = Symbol('Tailor.load');

/** `url` (a string or a URL) made absolute against the page; `what` names it in errors. */
function absoluteUrl(url, what) {
  if (typeof url !== 'string' && !(url instanceof URL)) {
    throw new TailorError('bad_request', `the ${what} must be a string or a URL`);
  }
  const base = globalThis.document?.baseURI ?? globalThis.location?.href;
  try {
    const absolute = new URL(url, base);
    absolute.hash = '';
    return absolute;
  } catch {
    throw new TailorError('bad_request', `"${url}" is not a valid ${what}`);
  }
}

/** A folder URL made absolute (against the page), always ending in '/'. */
function folderUrl(url, what) {
  const absolute = absoluteUrl(url, what);
  if (!absolute.pathname.endsWith('/')) absolute.pathname += '/';
  return absolute.href;
}

/** Where the worker and the wasm builds are when the page does not say: beside this module, so
 * that the package works from whatever path it is served under. */
export const DEFAULT_WORKER_URL = new URL('./worker.js', import.meta.url).href;
export const DEFAULT_WASM_URL = new URL('./pkg/', import.meta.url).href;

function checkFilter(exclude, category) {
  if (!Array.isArray(exclude) || exclude.some((id) => typeof id !== 'string')) {
    throw new TailorError('bad_request', 'exclude must be an array of item ids (strings)');
  }
  if (typeof category !== 'string') {
    throw new TailorError('bad_request', 'category must be a string ("" for every category)');
  }
}

export class Tailor {
  #worker;
  #pending = new Map();
  #nextId = 1;
  #closed = false;
  /** Every outfit item's picture, `outfitItems.length x 784` grey bytes, or null. */
  #outfitImages = null;

  /** @private use Tailor.load */
  constructor(token, worker, url) {
    if (token !== CONSTRUCT) throw new TypeError('use `await Tailor.load(url, options)`');
    this.#worker = worker;
    /** Absolute bundle URL. */
    this.url = url;
    /** 'cpu' | 'webgpu': the backend that runs. */
    this.backend = null;
    /** One sentence: why that backend. */
    this.backendReason = '';
    /** The Burn device, in words. */
    this.device = '';
    /** The bundle's manifest.json. */
    this.manifest = null;
    /** The catalog, in bundle order: [{id, title, class, category, image, price, currency, url, highlight}]. */
    this.items = [];
    /** The outfit catalog, in code order: [{id, title, slot, class, index}]; [] without an outfit model. */
    this.outfitItems = [];
    /** The manifest's outfit section ({bits, slots, item_count, synthetic, ...}), or null. */
    this.outfitSection = null;
    /** On-device history (IndexedDB). */
    this.history = null;
    worker.addEventListener('message', (event) => this.#receive(event.data));
    // A worker that fails to start (or dies) fails everything it owed, instead of hanging.
    worker.addEventListener('error', (event) => {
      event.preventDefault?.();
      this.#failAll(new TailorError('worker', 'the recommendation worker failed to start or crashed'));
    });
    worker.addEventListener('messageerror', () => {
      this.#failAll(new TailorError('worker', 'a message from the recommendation worker could not be read'));
    });
  }

  /**
   * Loads a bundle in a new Web Worker.
   * @param {string | URL} url the bundle directory (holding manifest.json)
   * `workerUrl` is worker.js and `wasmUrl` the folder that holds the `cpu/` and `webgpu/` builds,
   * for a page that serves them apart from this module (default: beside it).
   * `integrity` ("sha256-BASE64", as `tailor export` prints it) pins manifest.json: a manifest
   * with any other digest is refused with code 'integrity'.
   * @param {{backend?: 'auto'|'cpu'|'webgpu', onProgress?: (p: {file: string, loaded: number, total: number}) => void,
   *   historyLimit?: number, workerUrl?: string | URL, wasmUrl?: string | URL, integrity?: string}} [options]
   * @returns {Promise<Tailor>}
   */
  static async load(url, {
    backend = 'auto', onProgress, historyLimit = DEFAULT_HISTORY_LIMIT,
    workerUrl = DEFAULT_WORKER_URL, wasmUrl = DEFAULT_WASM_URL, integrity,
  } = {}) {
    if (integrity !== undefined && typeof integrity !== 'string') {
      throw new TailorError('bad_request', 'integrity must be a string such as "sha256-..."');
    }
    const absolute = folderUrl(url, 'bundle URL');
    const workerScript = absoluteUrl(workerUrl, 'worker URL').href;
    const wasm = folderUrl(wasmUrl, 'wasm URL');
    if (!BACKENDS.includes(backend)) {
      throw new TailorError('bad_request', `unknown backend "${backend}"; expected ${BACKENDS.join(', ')}`);
    }
    if (!Number.isInteger(historyLimit) || historyLimit < 1) {
      throw new TailorError('bad_request', `historyLimit must be a positive integer, got ${historyLimit}`);
    }
    if (onProgress !== undefined && typeof onProgress !== 'function') {
      throw new TailorError('bad_request', 'onProgress must be a function');
    }
    let worker;
    try {
      worker = new Worker(workerScript, { type: 'module', name: 'tailor' });
    } catch (error) {
      throw new TailorError('worker', `cannot start the recommendation worker: ${error?.message ?? error}`);
    }
    const rec = new Tailor(CONSTRUCT, worker, absolute);
    try {
      const loaded = await rec.#call('load', { url: absolute, backend, wasmUrl: wasm, integrity: integrity ?? null }, onProgress);
      rec.backend = loaded.backend;
      rec.backendReason = loaded.backendReason;
      rec.device = loaded.device;
      rec.manifest = loaded.manifest;
      rec.items = loaded.items;
      rec.outfitSection = loaded.outfitSection ?? null;
      rec.outfitItems = loaded.outfitItems;
      rec.#outfitImages = loaded.outfitImages ?? null;
    } catch (error) {
      rec.close();
      throw TailorError.from(error);
    }
    // Outfit items live in the same history as catalog items: viewing one personalizes outfits.
    rec.history = new History(absolute, {
      knownIds: new Set([...rec.items, ...rec.outfitItems].map((item) => item.id)),
      limit: historyLimit,
    });
    return rec;
  }

  /**
   * Ranks the catalog for a request. Without `history`, the stored on-device history is used
   * (most recent first); `history: []` ranks by the request alone. A personalizing bundle
   * explains each result by the history items it draws on (`because`, heaviest first).
   * `exclude` (item ids) and `category` (a step of the category path, e.g. "Dresses") leave
   * items out; fewer than `k` come back when fewer are left.
   * @param {{query: string, k?: number, history?: string[], exclude?: string[], category?: string}} request
   * @returns {Promise<{items: {id: string, title: string, class: string, score: number, index: number,
   *   because: {id: string, title: string, weight: number}[]}[], backend: string, personalized: boolean,
   *   forYou: boolean, historyUsed: number, unknownHistory: string[],
   *   timings: {encodeMs: number, scoreMs: number}}>}
   */
  async recommend({ query, k = 10, history, exclude = [], category = '' } = {}) {
    if (this.#closed) throw new TailorError('closed', 'recommend() was called after close()');
    if (typeof query !== 'string') throw new TailorError('bad_request', 'query must be a string');
    checkFilter(exclude, category);
    const ids = history === undefined ? await this.history.itemIds() : history;
    return this.#call('recommend', { request: { query, k, history: ids, exclude, category } });
  }

  /**
   * The `k` catalog items most like `item` (the cosine of their item embeddings), the item
   * itself left out; `exclude` and `category` as in recommend().
   * @param {{item: string, k?: number, exclude?: string[], category?: string}} request
   * @returns {Promise<{item: string, items: {id: string, title: string, class: string, score: number,
   *   index: number, because: []}[], backend: string, timings: {scoreMs: number}}>}
   */
  async similar({ item, k = 10, exclude = [], category = '' } = {}) {
    if (this.#closed) throw new TailorError('closed', 'similar() was called after close()');
    if (typeof item !== 'string' || item.length === 0) {
      throw new TailorError('bad_request', 'item must be a catalog item id (a non-empty string)');
    }
    if (!Number.isInteger(k)) throw new TailorError('bad_request', `k must be an integer, got ${k}`);
    checkFilter(exclude, category);
    return this.#call('similar', { request: { item, k, exclude, category } });
  }

  /**
   * `k` looks that contain `anchor` (an outfit item id), scored from the bundle's packed binary
   * codes (Fashion Hash Net): the best outfit first, the next ones chosen for variety too
   * (`diversity`, 0 to 1, default 0.1; 0 ranks by score alone). Without `history`, the stored on-device history is
   * used (most recent first); ids that are not outfit items are skipped and listed in
   * `unknownHistory`. `query` ("sandals") steers the shopper's code.
   * @param {{anchor: string, query?: string, k?: number, history?: string[], diversity?: number}} request
   * @returns {Promise<{anchor: string, outfits: {items: {id: string, title: string, slot: string,
   *   class: string, index: number}[], score: number, preference: number, compatibility: number}[],
   *   personalized: boolean, historyUsed: number, unknownHistory: string[], scored: number,
   *   synthetic: boolean, backend: string, timings: {totalMs: number}}>}
   */
  async completeOutfit({ anchor, query = '', k = 5, history, diversity = LOOK_DIVERSITY } = {}) {
    if (this.#closed) throw new TailorError('closed', 'completeOutfit() was called after close()');
    if (typeof anchor !== 'string' || anchor.length === 0) {
      throw new TailorError('bad_request', 'anchor must be an outfit item id (a non-empty string)');
    }
    if (typeof query !== 'string') throw new TailorError('bad_request', 'query must be a string');
    if (!Number.isInteger(k)) throw new TailorError('bad_request', `k must be an integer, got ${k}`);
    if (history !== undefined && (!Array.isArray(history) || history.some((id) => typeof id !== 'string'))) {
      throw new TailorError('bad_request', 'history must be an array of item ids (strings)');
    }
    if (typeof diversity !== 'number') {
      throw new TailorError('bad_request', `diversity must be a number from 0 to 1, got ${diversity}`);
    }
    const ids = history === undefined ? await this.history.itemIds() : history;
    // Every field has a value (never `undefined`): the wasm side checks each one's type.
    return this.#call('completeOutfit', { request: { anchor, query, k, history: ids, diversity } });
  }

  /**
   * Outfit item `index`'s 28 x 28 picture as ImageData (grey, opaque), ready for
   * `canvas.getContext('2d').putImageData(...)`; null when the bundle has no pictures or the
   * index is out of range. The pictures arrive once, with the bundle.
   * @param {number} index position in `outfitItems` (an outfit item's `index`)
   * @returns {ImageData | null}
   */
  outfitImage(index) {
    const images = this.#outfitImages;
    if (!images || !Number.isInteger(index) || index < 0 || (index + 1) * OUTFIT_IMAGE_BYTES > images.length) {
      return null;
    }
    const image = new ImageData(OUTFIT_IMAGE_SIZE, OUTFIT_IMAGE_SIZE);
    const grey = images.subarray(index * OUTFIT_IMAGE_BYTES, (index + 1) * OUTFIT_IMAGE_BYTES);
    for (let i = 0; i < grey.length; i++) {
      image.data.fill(grey[i], 4 * i, 4 * i + 3);
      image.data[4 * i + 3] = 255;
    }
    return image;
  }

  /** Stops the worker; pending requests reject with code 'closed'. */
  close() {
    if (this.#closed) return;
    this.#closed = true;
    this.#worker.terminate();
    this.history?.close();
    this.#failAll(new TailorError('closed', 'the recommender was closed'));
  }

  #call(type, fields, onProgress) {
    if (this.#closed) return Promise.reject(new TailorError('closed', `${type} after close()`));
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject, onProgress });
      try {
        this.#worker.postMessage({ id, type, ...fields });
      } catch (error) {
        this.#pending.delete(id);
        reject(new TailorError('bad_request', `the request cannot be sent to the worker: ${error?.message ?? error}`));
      }
    });
  }

  #receive(message) {
    const entry = this.#pending.get(message?.id);
    if (!entry) return;
    if (message.type === 'progress') {
      try {
        entry.onProgress?.(message.progress);
      } catch (error) {
        console.error('Tailor: the onProgress callback threw', error);
      }
      return;
    }
    this.#pending.delete(message.id);
    if (message.ok) entry.resolve(message.value);
    else entry.reject(new TailorError(message.error?.code, message.error?.message));
  }

  #failAll(error) {
    for (const { reject } of this.#pending.values()) reject(error);
    this.#pending.clear();
  }
}
