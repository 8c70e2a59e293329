// TypeScript declarations for Tailor's browser API (web/tailor.js, web/tailor-recs.js).

/** Error codes: the wasm module's (bundle and request problems) and the JS package's own. */
export type TailorErrorCode =
  | 'missing'          // manifest.json or a listed file answered 404
  | 'network'          // fetch failed, or an HTTP status other than 2xx / 404
  | 'damaged'          // a file's size or sha256 differs from the manifest
  | 'integrity'        // manifest.json differs from the `integrity` the page pinned
  | 'unknown_version'  // manifest format_version is not the one this build reads
  | 'bad_manifest'     // manifest.json is not valid JSON, misses fields, or lists unsafe paths
  | 'bad_bundle'       // files verify but cannot be used together
  | 'bad_request'      // recommend(), completeOutfit() or load() got malformed arguments
  | 'backend'          // WebGPU requested but no adapter / device
  | 'wasm'             // the wasm module itself could not be fetched or instantiated
  | 'worker'           // the Web Worker could not start or died
  | 'crashed'          // the wasm trapped during this call; a fresh worker takes the next one
  | 'timeout'          // a load or a call took longer than its timeout
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

/** The IndexedDB database name of a shop's history: `tailor-history:<shop>`, where `shop` is
 * the manifest's `shop` (or the bundle URL, for a bundle that names none). */
export declare function historyDatabaseName(shop: string): string;

export type Backend = 'cpu' | 'webgpu';
export type BackendChoice = 'auto' | Backend;

export declare const BACKENDS: readonly BackendChoice[];
export declare const DEFAULT_HISTORY_LIMIT: 200;
/** Tailor.load()'s default `loadTimeoutMs`. */
export declare const DEFAULT_LOAD_TIMEOUT_MS: 300000;
/** Tailor.load()'s default `callTimeoutMs`. */
export declare const DEFAULT_CALL_TIMEOUT_MS: 30000;
/** Width and height of an outfit item's picture. */
export declare const OUTFIT_IMAGE_SIZE: 28;
/** completeOutfit()'s default `diversity`. */
export declare const LOOK_DIVERSITY: 0.1;

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
  /** Pins manifest.json, like Subresource Integrity pins a script: "sha256-BASE64", as
   * `tailor export` prints it. Any other manifest is refused with code 'integrity'. */
  integrity?: string;
  /** worker.js, for a page that serves it apart from tailor.js (default: beside it). */
  workerUrl?: string | URL;
  /** The folder that holds the `cpu/` and `webgpu/` wasm builds (default: `pkg/` beside
   * tailor.js). */
  wasmUrl?: string | URL;
  /** Keep the bundle's files in Cache Storage, so that a later visit downloads only
   * manifest.json (default true). */
  cache?: boolean;
  /** Names the on-device history (default: the manifest's `shop`, else the bundle URL). */
  shop?: string;
  /** A load that takes longer fails with code 'timeout' (default 300000). */
  loadTimeoutMs?: number;
  /** A call that takes longer, waiting included, fails with code 'timeout' and the worker is
   * replaced (default 30000). */
  callTimeoutMs?: number;
}

/** Where a load's files came from. */
export interface LoadStats {
  /** Files the manifest lists. */
  files: number;
  /** Read from Cache Storage, and verified. */
  cached: number;
  /** Downloaded. */
  fetched: number;
  /** Bytes downloaded, manifest.json included. */
  fetchedBytes: number;
  /** Whether Cache Storage was used. */
  cache: boolean;
}

/** Where Tailor.load() finds worker.js and the wasm builds unless told: beside tailor.js. */
export declare const DEFAULT_WORKER_URL: string;
export declare const DEFAULT_WASM_URL: string;

/** One place in an outfit ("top", "shoes", ...); required slots are in every outfit. */
export interface OutfitSlot {
  name: string;
  required: boolean;
}

/** The manifest's `outfits` section: the bundle's Fashion Hash Net outfit model. */
export interface OutfitSection {
  /** Code length L in bits (128 by default); codes are packed in u64 words. */
  bits: number;
  slots: OutfitSlot[];
  item_count: number;
  dim: number;
  /** The most recent outfit items of the history that the user code reads. */
  max_history: number;
  /** Items kept per slot before the exact search over their combinations. */
  candidates_per_slot: number;
  /** True when the model learnt from generated (SYNTHETIC) outfits: pages must say so. */
  synthetic: boolean;
}

export interface ManifestFile {
  /** What the file holds ("items.json"). */
  name: string;
  /** Where it is stored, relative to the bundle: the name with a prefix of its hash
   * ("items.1a2b3c4d5e6f7a8b.json"). */
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
  /** The outfit model ("complete the look"); null or absent when the bundle has none. */
  outfits?: OutfitSection | null;
  item_count: number;
  item_types: string[];
  item_embedding_encoding: string;
  files: ManifestFile[];
  /** The shop the bundle belongs to: names the on-device history. */
  shop?: string;
  metrics?: Record<string, unknown>;
  [key: string]: unknown;
}

/** One product card's data. Every string is shop data: render it as text, and check `url`
 * and `image` schemes before using them as links or sources. */
export interface CatalogItem {
  id: string;
  title: string;
  /** The last step of the category path; "" when unknown. */
  class: string;
  /** The category path, broadest first. */
  category: string[];
  /** An absolute URL, or a path relative to the bundle folder; "" without a picture. */
  image: string;
  price: number | null;
  /** ISO 4217 code; "" when the shop gives none. */
  currency: string;
  /** The product page; "" without one. */
  url: string;
  /** A short quote from the item's training reviews, if any. */
  highlight: string | null;
}

export interface RecommendRequest {
  /** What the shopper typed; "" (or blank) ranks "for you" from the history alone. */
  query: string;
  /** Default 10. */
  k?: number;
  /** Item ids, most recent first (as `history.itemIds()` lists them). Default: the stored
   * on-device history; `[]` ranks without it. */
  history?: string[];
  /** Item ids never returned (ids the catalog lacks exclude nothing). */
  exclude?: string[];
  /** Only items with this step in their category path ("Dresses"); "" (default) for all. */
  category?: string;
}

export interface SimilarRequest {
  /** The catalog item id the results are like; an unknown id rejects with 'bad_request'. */
  item: string;
  /** Default 10. */
  k?: number;
  exclude?: string[];
  category?: string;
}

export interface SimilarItems {
  item: string;
  /** Best first (cosine of the item embeddings); never the item itself; `because` is empty. */
  items: RecommendedItem[];
  backend: Backend;
  timings: { scoreMs: number };
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
  /** True when the bundle's "for you" head ranked it (`manifest.for_you`: an empty request
   * with a history). It ranks from the history alone and leaves out the items already in it. */
  forYou: boolean;
  /** How many history items the ranking read: the known ids, at most the `max_history` of the
   * head that ranked (0 for a bundle that does not personalize). */
  historyUsed: number;
  /** History ids not in the catalog (skipped), each once. */
  unknownHistory: string[];
  timings: { encodeMs: number; scoreMs: number };
}

/** An item of the outfit catalog (Fashion-MNIST items in the demo bundle, ids "fm-<n>"),
 * separate from the shop's main catalog. */
export interface OutfitItem {
  id: string;
  /** Bundle data: put it on a page as text only. */
  title: string;
  /** Its slot's name (one of `outfitSection.slots`). */
  slot: string;
  class: string;
  /** Position in `outfitItems` (and in the codes and pictures). */
  index: number;
}

export interface CompleteOutfitRequest {
  /** The outfit item every outfit must contain. */
  anchor: string;
  /** Optional words that steer the shopper's code ("sandals", "something warm"). */
  query?: string;
  /** Default 5; 1 to 100. */
  k?: number;
  /** Item ids, most recent first. Default: the stored on-device history; `[]` leaves it out.
   * Ids that are not outfit items are skipped (and listed in `unknownHistory`). */
  history?: string[];
  /** 0 to 1, default 0.1: how much the looks after the best one trade score for variety
   * (maximal marginal relevance over their items); 0 returns the best outfits by score. */
  diversity?: number;
}

export interface CompletedOutfit {
  /** In slot order: at most one item per slot, every required slot, the anchor among them. */
  items: OutfitItem[];
  /** preference + compatibility. */
  score: number;
  /** mean over items of <w_u . b_u, b_i> / bits: how well the items suit the shopper. */
  preference: number;
  /** mean over item pairs of <w_c . b_i, b_j> / bits: how well the items go together. */
  compatibility: number;
}

export interface CompletedLook {
  anchor: string;
  /** Best first (by score); up to k of them. */
  outfits: CompletedOutfit[];
  /** True when a history or a request shaped the shopper's code. */
  personalized: boolean;
  /** How many outfit items of the history the user code read (at most `max_history`). */
  historyUsed: number;
  /** History ids that are not outfit items (skipped), each once. */
  unknownHistory: string[];
  /** How many outfits the exact search scored. */
  scored: number;
  /** True when the model learnt from generated outfits: say so wherever outfits appear. */
  synthetic: boolean;
  backend: Backend;
  timings: { totalMs: number };
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
  /** The outfit catalog in code order; empty when the bundle has no outfit model. */
  readonly outfitItems: OutfitItem[];
  /** The manifest's outfit section, or null when the bundle has no outfit model. */
  readonly outfitSection: OutfitSection | null;
  /** Records catalog and outfit item ids alike. */
  readonly history: History;
  /** Where the load's files came from. */
  readonly loadStats: LoadStats | null;
  /** How many times a crashed or stuck worker was replaced. */
  readonly restarts: number;
  recommend(request: RecommendRequest): Promise<Recommendation>;
  /** The k catalog items most like one item, by the cosine of their item embeddings. */
  similar(request: SimilarRequest): Promise<SimilarItems>;
  /** The k best outfits that contain `anchor`; rejects with code 'bad_request' for an unknown
   * anchor, k outside 1..100, or a bundle without an outfit model. */
  completeOutfit(request: CompleteOutfitRequest): Promise<CompletedLook>;
  /** Outfit item `index`'s 28 x 28 grey picture as opaque ImageData (the bytes as stored:
   * Fashion-MNIST's negatives, garment bright on black); null when the bundle has no pictures
   * or the index is out of range. */
  outfitImage(index: number): ImageData | null;
  /** Terminates the worker; pending calls reject with code 'closed'. */
  close(): void;
}

export type TailorRecsMode = 'search' | 'for-you' | 'similar';

/** Every visible string of `<tailor-recs>`; `{name}` is replaced by a value. */
export interface TailorRecsStrings {
  placeholder: string;
  search: string;
  loading: string;
  /** The progress bar's accessible name. */
  progress: string;
  /** `{count}` */
  ready: string;
  typeSomething: string;
  /** `{count}`: announced through the live region. */
  results: string;
  noResults: string;
  forYouEmpty: string;
  similarNeedsItem: string;
  /** The result list's accessible name. */
  resultsLabel: string;
  /** `{title}` */
  because: string;
  /** `{loaded}`, `{total}` (MB) */
  bytes: string;
}

/** `<tailor-recs bundle="/bundle/" k="12" backend="auto">`, registered by importing
 * `tailor-recommender/element` (web/tailor-recs.js). Attributes: `bundle` (default "bundle/"),
 * `k` (default 10), `backend` (default "auto"), `worker-url`, `wasm-url`, `integrity`, `mode` (search,
 * for-you, similar), `item` (for similar), `exclude` (comma-separated ids), `category`,
 * `record-event` (default "click"; "none" records nothing), `locale` (prices; default the
 * page's `lang`), `image-width` and `image-height` (the picture box, default 240 x 300).
 * Each result is a product card (picture, title, price, class, "because you viewed <title>")
 * linking to the item's page. */
export interface TailorRecsElement extends HTMLElement {
  /** The loaded Tailor, or null while loading or after an error. */
  readonly recommender: Tailor | null;
  /** The `k` attribute (default 10). */
  readonly k: number;
  readonly mode: TailorRecsMode;
  /** The strings in use; assigning an object overrides any of them (the rest stay English). */
  get strings(): Readonly<TailorRecsStrings>;
  set strings(overrides: Partial<TailorRecsStrings>);
  /** Runs a request in search mode and renders it; null when not loaded, empty, or failed. */
  search(query: string): Promise<Recommendation | null>;
  /** Renders the current mode again (after the history changed, say). */
  refresh(): Promise<Recommendation | SimilarItems | null>;
}

export interface TailorResultsDetail extends Partial<Recommendation> {
  items: RecommendedItem[];
  backend: Backend;
  mode: TailorRecsMode;
  /** The request ("" outside search mode). */
  query: string;
}

export interface TailorSelectDetail {
  /** The chosen item's catalog entry. */
  item: CatalogItem;
  /** Its place among the results, from 0. */
  rank: number;
  mode: TailorRecsMode;
  query: string;
}

declare global {
  interface HTMLElementTagNameMap {
    'tailor-recs': TailorRecsElement;
  }
  interface HTMLElementEventMap {
    'tailor-ready': CustomEvent<Tailor>;
    'tailor-results': CustomEvent<TailorResultsDetail>;
    /** Cancelable: preventDefault() keeps the page (no navigation), the click is still recorded. */
    'tailor-select': CustomEvent<TailorSelectDetail>;
    'tailor-error': CustomEvent<ReturnType<typeof describeError>>;
  }
}
