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
/** How long a load may take before it fails with code 'timeout': MiniLM's 90 MB on a slow line. */
export const DEFAULT_LOAD_TIMEOUT_MS = 300_000;
/** How long one recommend(), similar() or completeOutfit() may take, waiting included. */
export const DEFAULT_CALL_TIMEOUT_MS = 30_000;
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

function checkTimeout(value, what) {
  if (!(Number.isFinite(value) && value > 0)) {
    throw new TailorError('bad_request', `${what} must be a positive number of milliseconds, got ${value}`);
  }
}

function checkFilter(exclude, category) {
  if (!Array.isArray(exclude) || exclude.some((id) => typeof id !== 'string')) {
    throw new TailorError('bad_request', 'exclude must be an array of item ids (strings)');
  }
  if (typeof category !== 'string') {
    throw new TailorError('bad_request', 'category must be a string ("" for every category)');
  }
}

export class Tailor {
  #worker = null;
  /** Which worker is current: events from a replaced one are ignored. */
  #generation = 0;
  #pending = new Map();
  #nextId = 1;
  #closed = false;
  /** What the worker is loaded with, to load it again after a crash or a timeout. */
  #loadRequest;
  #workerScript;
  #callTimeoutMs;
  #loadTimeoutMs;
  #restarting = false;
  /** Settles when the current worker holds the bundle; calls wait for it. */
  #ready = Promise.resolve();
  /** Every outfit item's picture, `outfitItems.length x 784` grey bytes, or null. */
  #outfitImages = null;

  /** @private use Tailor.load */
  constructor(token, { url, workerScript, loadRequest, callTimeoutMs, loadTimeoutMs }) {
    if (token !== CONSTRUCT) throw new TypeError('use `await Tailor.load(url, options)`');
    this.#workerScript = workerScript;
    this.#loadRequest = loadRequest;
    this.#callTimeoutMs = callTimeoutMs;
    this.#loadTimeoutMs = loadTimeoutMs;
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
    /** Where the last load's files came from: {files, cached, fetched, fetchedBytes, cache}. */
    this.loadStats = null;
    /** How many times the worker was started again after a crash or a timeout. */
    this.restarts = 0;
    /** On-device history (IndexedDB). */
    this.history = null;
  }

  /**
   * Loads a bundle in a new Web Worker.
   * @param {string | URL} url the bundle directory (holding manifest.json)
   * `workerUrl` is worker.js and `wasmUrl` the folder that holds the `cpu/` and `webgpu/` builds,
   * for a page that serves them apart from this module (default: beside it).
   * `integrity` ("sha256-BASE64", as `tailor export` prints it) pins manifest.json: a manifest
   * with any other digest is refused with code 'integrity'.
   * `cache` (default true) keeps the bundle's files in Cache Storage, so that a later visit
   * downloads only manifest.json. `shop` names the on-device history (default: the manifest's
   * `shop`, else the bundle URL), so that it survives bundle updates.
   * `loadTimeoutMs` and `callTimeoutMs` bound a load and each call; either ends in code
   * 'timeout', and a worker that timed out or crashed is replaced by a fresh one.
   * @param {{backend?: 'auto'|'cpu'|'webgpu', onProgress?: (p: {file: string, loaded: number, total: number}) => void,
   *   historyLimit?: number, workerUrl?: string | URL, wasmUrl?: string | URL, integrity?: string,
   *   cache?: boolean, shop?: string, loadTimeoutMs?: number, callTimeoutMs?: number}} [options]
   * @returns {Promise<Tailor>}
   */
  static async load(url, {
    backend = 'auto', onProgress, historyLimit = DEFAULT_HISTORY_LIMIT,
    workerUrl = DEFAULT_WORKER_URL, wasmUrl = DEFAULT_WASM_URL, integrity, cache = true, shop,
    loadTimeoutMs = DEFAULT_LOAD_TIMEOUT_MS, callTimeoutMs = DEFAULT_CALL_TIMEOUT_MS,
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
    if (typeof cache !== 'boolean') throw new TailorError('bad_request', 'cache must be true or false');
    if (shop !== undefined && (typeof shop !== 'string' || shop.trim() === '')) {
      throw new TailorError('bad_request', 'shop must be a non-empty string');
    }
    checkTimeout(loadTimeoutMs, 'loadTimeoutMs');
    checkTimeout(callTimeoutMs, 'callTimeoutMs');
    const loadRequest = { url: absolute, backend, wasmUrl: wasm, integrity: integrity ?? null, cache };
    const rec = new Tailor(CONSTRUCT, { url: absolute, workerScript, loadRequest, callTimeoutMs, loadTimeoutMs });
    try {
      rec.#start();
      const loaded = await rec.#post('load', loadRequest, loadTimeoutMs, onProgress);
      rec.#ready = Promise.resolve();
      rec.backend = loaded.backend;
      rec.backendReason = loaded.backendReason;
      rec.device = loaded.device;
      rec.manifest = loaded.manifest;
      rec.items = loaded.items;
      rec.outfitSection = loaded.outfitSection ?? null;
      rec.outfitItems = loaded.outfitItems;
      rec.loadStats = loaded.loadStats ?? null;
      rec.#outfitImages = loaded.outfitImages ?? null;
    } catch (error) {
      rec.close();
      throw TailorError.from(error);
    }
    // Outfit items live in the same history as catalog items: viewing one personalizes outfits.
    rec.history = new History(shop ?? rec.manifest?.shop ?? absolute, {
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
    this.#worker?.terminate();
    this.#worker = null;
    this.history?.close();
    this.#failAll(new TailorError('closed', 'the recommender was closed'));
  }

  /** Starts a worker and listens to it; a replaced worker's late messages are ignored. */
  #start() {
    const generation = ++this.#generation;
    let worker;
    try {
      worker = new Worker(this.#workerScript, { type: 'module', name: 'tailor' });
    } catch (error) {
      throw new TailorError('worker', `cannot start the recommendation worker: ${error?.message ?? error}`);
    }
    this.#worker = worker;
    const current = () => generation === this.#generation && !this.#closed;
    worker.addEventListener('message', (event) => {
      if (current()) this.#receive(event.data);
    });
    // A worker that fails to start, or dies, fails everything it owed instead of hanging.
    worker.addEventListener('error', (event) => {
      event.preventDefault?.();
      if (current()) this.#replace(new TailorError('worker', 'the recommendation worker failed to start or crashed'));
    });
    worker.addEventListener('messageerror', () => {
      if (current()) this.#failAll(new TailorError('worker', 'a message from the recommendation worker could not be read'));
    });
  }

  /**
   * Replaces a worker that crashed (a wasm trap) or stopped answering: what it owed fails with
   * `error`, and a fresh worker loads the same bundle (from Cache Storage, when it is on), which
   * the next calls wait for. A worker that had not loaded yet is not replaced: the load fails.
   * Without `error`, nothing is owed (the last restart failed and nothing was sent since).
   */
  #replace(error) {
    if (error) this.#failAll(error);
    if (this.#closed || this.manifest === null || this.#restarting) return;
    this.#restarting = true;
    this.#worker?.terminate();
    this.restarts += 1;
    const restart = async () => {
      try {
        this.#start();
        await this.#post('load', this.#loadRequest, this.#loadTimeoutMs);
      } finally {
        this.#restarting = false;
      }
    };
    this.#ready = restart();
    // A restart that fails is reported by the calls that wait for it.
    this.#ready.catch(() => {});
  }

  /** A call on the loaded bundle, after any restart under way, bounded by the call timeout. A
   * restart that failed is tried once more, so one bad moment does not break every later call. */
  async #call(type, fields) {
    if (this.#closed) throw new TailorError('closed', `${type} after close()`);
    const started = performance.now();
    try {
      await this.#ready;
    } catch {
      // Calls that wait together start one restart; failing nothing, so its own load survives.
      if (!this.#restarting) this.#replace(null);
      await this.#ready;
    }
    const left = Math.max(1, this.#callTimeoutMs - (performance.now() - started));
    return this.#post(type, fields, left);
  }

  #post(type, fields, timeoutMs, onProgress) {
    if (this.#closed) return Promise.reject(new TailorError('closed', `${type} after close()`));
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        if (!this.#pending.has(id)) return;
        this.#pending.delete(id);
        reject(new TailorError('timeout', `${type} did not finish within ${Math.round(timeoutMs)} ms`));
        // The worker may be stuck in a long computation: start over rather than queue behind it.
        this.#replace(new TailorError('crashed', `the recommendation worker was restarted after ${type} timed out`));
      }, timeoutMs);
      this.#pending.set(id, { resolve, reject, onProgress, timer });
      try {
        this.#worker.postMessage({ id, type, ...fields });
      } catch (error) {
        clearTimeout(timer);
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
    clearTimeout(entry.timer);
    if (message.ok) {
      entry.resolve(message.value);
      return;
    }
    const error = new TailorError(message.error?.code, message.error?.message);
    entry.reject(error);
    // A trap leaves the wasm instance unusable; only a fresh worker recovers.
    if (message.fatal) this.#replace(new TailorError('crashed', 'the recommendation worker crashed and was restarted'));
  }

  #failAll(error) {
    for (const { reject, timer } of this.#pending.values()) {
      clearTimeout(timer);
      reject(error);
    }
    this.#pending.clear();
  }
}
