// TypeScript declarations for Tailor's browser API (web/tailor.js, web/tailor-recs.js).

/** Error codes: the wasm module's (bundle and request problems) and the JS package's own. */
export type TailorErrorCode =
  | 'missing'          // manifest.json or a listed file answered 404
  | 'network'          // fetch failed, or an HTTP status other than 2xx / 404
  | 'damaged'          // a file's size or sha256 differs from the manifest
  | 'unknown_version'  // manifest format_version is not the one this build reads
  | 'bad_manifest'     // manifest.json is not valid JSON, misses fields, or lists unsafe paths
  | 'bad_bundle'       // files verify but cannot be used together
  | 'bad_request'      // recommend() or load() got malformed arguments
  | 'backend'          // WebGPU requested but no adapter / device
  | 'wasm'             // the wasm module itself could not be fetched or instantiated
  | 'worker'           // the Web Worker could not start or died
  | 'closed'           // the Tailor was closed
  | 'internal';        // anything else (a bug)

export declare const ERROR_CODES: readonly TailorErrorCode[];

export declare class TailorError extends Error {
  constructor(code: TailorErrorCode, message: string);
  readonly name: 'TailorError';
  /** Machine-readable; branch on this, show `message` (one line, never a stack trace). */
  readonly code: TailorErrorCode;
  static from(error: unknown, fallbackCode?: TailorErrorCode): TailorError;
  toJSON(): { name: 'TailorError'; code: TailorErrorCode; message: string };
}

/** Words for a page: a plain sentence for the code and the error's own first line. */
export declare function describeError(error: unknown): {
  code: TailorErrorCode;
  summary: string;
  detail: string;
};

/** Fills `element` with describeError's text (textContent only) and adds class "error". */
export declare function renderError(element: Element, error: unknown): void;

/** The IndexedDB database name for an absolute bundle URL: `tailor-history:<url>`. */
export declare function historyDatabaseName(bundleUrl: string): string;

export type Backend = 'cpu' | 'webgpu';
export type BackendChoice = 'auto' | Backend;

export declare const BACKENDS: readonly BackendChoice[];
export declare const DEFAULT_HISTORY_LIMIT: 200;

export interface LoadProgress {
  /** The file being downloaded. */
  file: string;
  /** Bytes done, over all files of the bundle. */
  loaded: number;
  /** Bytes of all files the manifest lists. */
  total: number;
}

export interface LoadOptions {
  /** 'auto' (default) uses WebGPU only on a hardware adapter for a large model. */
  backend?: BackendChoice;
  onProgress?: (progress: LoadProgress) => void;
  /** Most history entries kept on the device (default 200, oldest dropped). */
  historyLimit?: number;
}

export interface ManifestFile {
  path: string;
  size: number;
  sha256: string;
}

/** How a personalizing bundle reads the shopper's history (COURIER's intention attention). */
export interface Personalization {
  /** Attention heads over the history. */
  heads: number;
  /** The most recent history items the model reads; older ones are ignored. */
  max_history: number;
  /** Temperature of the per-result attention that picks `because`. */
  explain_temperature: number;
}

export interface Manifest {
  format_version: number;
  encoder: 'static' | 'minilm';
  text_dim: number;
  dim: number;
  hidden: number;
  /** The history layers; null for a bundle that ranks by the request alone. */
  personalization: Personalization | null;
  item_count: number;
  item_types: string[];
  item_embedding_encoding: string;
  files: ManifestFile[];
  metrics?: Record<string, unknown>;
  [key: string]: unknown;
}

export interface CatalogItem {
  id: string;
  title: string;
  class: string;
  department: string;
  division: string;
  reviews: number;
}

export interface RecommendRequest {
  query: string;
  /** Default 10. */
  k?: number;
  /** Item ids, most recent first (as `history.itemIds()` lists them). Default: the stored
   * on-device history; `[]` ranks without it. */
  history?: string[];
}

/** "Because you viewed ...": a history item a result draws on. */
export interface RecommendationReason {
  /** The history item's id. */
  id: string;
  /** Its catalog title: shop data, so put it on a page as text only. */
  title: string;
  /** Its attention weight, in [0, 1]; the weights of one result sum to at most 1. */
  weight: number;
}

export interface RecommendedItem {
  id: string;
  title: string;
  class: string;
  score: number;
  /** Position in `items` (bundle order). */
  index: number;
  /** Up to 3 history items that explain this result, heaviest first; empty when the history
   * is empty or the bundle does not personalize. */
  because: RecommendationReason[];
}

export interface Recommendation {
  /** Best first; min(k, item_count) of them. */
  items: RecommendedItem[];
  backend: Backend;
  /** True when the bundle has personalization layers (`manifest.personalization`), whether or
   * not this request had a history. */
  personalized: boolean;
  /** How many history items the ranking read: the known ids, at most
   * `manifest.personalization.max_history` (0 for a bundle that does not personalize). */
  historyUsed: number;
  /** History ids not in the catalog (skipped), each once. */
  unknownHistory: string[];
  timings: { encodeMs: number; scoreMs: number };
}

export type HistoryEvent = 'view' | 'click' | 'cart' | 'purchase' | (string & {});

export interface HistoryEntry {
  itemId: string;
  event: HistoryEvent;
  /** Milliseconds since the epoch. */
  time: number;
}

/** The shopper's history, in IndexedDB on this device only (one database per bundle URL). */
export interface History {
  readonly databaseName: string;
  /** False once it fell back to memory (storage unavailable or damaged; one console.warn). */
  readonly persistent: boolean;
  readonly limit: number;
  /** Resolves to false (with a console.warn) for an item id not in the catalog. */
  record(entry: { itemId: string; event?: HistoryEvent; time?: number | Date }): Promise<boolean>;
  /** Most recent first. */
  list(): Promise<HistoryEntry[]>;
  /** Item ids, most recent first. */
  itemIds(): Promise<string[]>;
  clear(): Promise<void>;
  close(): Promise<void>;
}

export declare class Tailor {
  private constructor();
  /** Loads a bundle (the directory holding manifest.json) in a new module Web Worker. */
  static load(url: string | URL, options?: LoadOptions): Promise<Tailor>;
  /** Absolute bundle URL, ending in '/'. */
  readonly url: string;
  readonly backend: Backend;
  /** One sentence: why this backend. */
  readonly backendReason: string;
  /** The Burn device, in words. */
  readonly device: string;
  readonly manifest: Manifest;
  readonly items: CatalogItem[];
  readonly history: History;
  recommend(request: RecommendRequest): Promise<Recommendation>;
  /** Terminates the worker; pending calls reject with code 'closed'. */
  close(): void;
}

/** `<tailor-recs bundle="/bundle/" k="12" backend="auto">`, registered by importing
 * web/tailor-recs.js (whose declarations are in tailor-recs.d.ts). Attributes: `bundle` (default
 * "bundle/"), `k` (default 10), `backend` (default "auto"). Requests use the stored history;
 * a result with a reason shows "because you viewed <title>" (its first `because`). */
export interface TailorRecsElement extends HTMLElement {
  /** The loaded Tailor, or null while loading or after an error. */
  readonly recommender: Tailor | null;
  /** The `k` attribute (default 10). */
  readonly k: number;
  /** Runs a request and renders it; null when not loaded, empty, or failed. */
  search(query: string): Promise<Recommendation | null>;
}

export interface TailorResultsDetail extends Recommendation {
  query: string;
}

declare global {
  interface HTMLElementTagNameMap {
    'tailor-recs': TailorRecsElement;
  }
  interface HTMLElementEventMap {
    'tailor-ready': CustomEvent<Tailor>;
    'tailor-results': CustomEvent<TailorResultsDetail>;
    'tailor-error': CustomEvent<ReturnType<typeof describeError>>;
  }
}
