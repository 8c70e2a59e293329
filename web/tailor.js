// Tailor's browser API. Plain ES module, no bundler needed:
//
//   import { Tailor } from '/web/tailor.js';
//   const rec = await Tailor.load('/bundle/', { backend: 'auto', onProgress });
//   await rec.history.record({ itemId: '1080', event: 'view' });   // IndexedDB, on this device
//   const result = await rec.recommend({ query: 'linen dress for a summer wedding', k: 20 });
//
// All model work runs in a module Web Worker (worker.js); this module only sends it requests.

import { ERROR_CODES, TailorError, describeError, renderError } from './errors.js';
import { History, historyDatabaseName } from './history.js';

export { ERROR_CODES, TailorError, describeError, historyDatabaseName, renderError };

export const BACKENDS = Object.freeze(['auto', 'cpu', 'webgpu']);
export const DEFAULT_HISTORY_LIMIT = 200;

const CONSTRUCT = Symbol('Tailor.load');

/** The bundle URL made absolute (against the page), always ending in '/'. */
function bundleUrl(url) {
  if (typeof url !== 'string' && !(url instanceof URL)) {
    throw new TailorError('bad_request', 'the bundle URL must be a string or a URL');
  }
  const base = globalThis.document?.baseURI ?? globalThis.location?.href;
  let absolute;
  try {
    absolute = new URL(url, base);
  } catch {
    throw new TailorError('bad_request', `"${url}" is not a valid bundle URL`);
  }
  absolute.hash = '';
  if (!absolute.pathname.endsWith('/')) absolute.pathname += '/';
  return absolute.href;
}

export class Tailor {
  #worker;
  #pending = new Map();
  #nextId = 1;
  #closed = false;

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
    /** The catalog, in bundle order: [{id, title, class, department, division, reviews}]. */
    this.items = [];
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
   * @param {{backend?: 'auto'|'cpu'|'webgpu', onProgress?: (p: {file: string, loaded: number, total: number}) => void, historyLimit?: number}} [options]
   * @returns {Promise<Tailor>}
   */
  static async load(url, { backend = 'auto', onProgress, historyLimit = DEFAULT_HISTORY_LIMIT } = {}) {
    const absolute = bundleUrl(url);
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
      worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module', name: 'tailor' });
    } catch (error) {
      throw new TailorError('worker', `cannot start the recommendation worker: ${error?.message ?? error}`);
    }
    const rec = new Tailor(CONSTRUCT, worker, absolute);
    try {
      const loaded = await rec.#call('load', { url: absolute, backend }, onProgress);
      rec.backend = loaded.backend;
      rec.backendReason = loaded.backendReason;
      rec.device = loaded.device;
      rec.manifest = loaded.manifest;
      rec.items = loaded.items;
    } catch (error) {
      rec.close();
      throw TailorError.from(error);
    }
    rec.history = new History(absolute, {
      knownIds: new Set(rec.items.map((item) => item.id)),
      limit: historyLimit,
    });
    return rec;
  }

  /**
   * Ranks the catalog for a request. Without `history`, the stored on-device history is used
   * (most recent first); `history: []` ranks by the request alone. A personalizing bundle
   * explains each result by the history items it draws on (`because`, heaviest first).
   * @param {{query: string, k?: number, history?: string[]}} request
   * @returns {Promise<{items: {id: string, title: string, class: string, score: number, index: number,
   *   because: {id: string, title: string, weight: number}[]}[], backend: string, personalized: boolean,
   *   historyUsed: number, unknownHistory: string[], timings: {encodeMs: number, scoreMs: number}}>}
   */
  async recommend({ query, k = 10, history } = {}) {
    if (this.#closed) throw new TailorError('closed', 'recommend() was called after close()');
    if (typeof query !== 'string') throw new TailorError('bad_request', 'query must be a string');
    const ids = history === undefined ? await this.history.itemIds() : history;
    return this.#call('recommend', { request: { query, k, history: ids } });
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
