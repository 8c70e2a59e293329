// <tailor-recs bundle="/bundle/" k="12" backend="auto"></tailor-recs>
//
// Product cards over Tailor, in a shadow root with its own small stylesheet (a constructed
// CSSStyleSheet, so it works under `style-src 'self'`). Every catalog string is set with
// textContent, and links and pictures are used only with an http(s) URL. Importing this module
// registers the element.
//
// Modes: `search` (default: a search box), `for-you` (picks from the stored history) and
// `similar` (the items most like `item`). `exclude` (comma-separated ids) and `category` filter
// every mode. Choosing a card records `record-event` ("click"; "none" records nothing) in the
// on-device history and fires `tailor-select`, which a page may cancel to route itself.
//
// Events (bubbling, composed): `tailor-ready` (detail: the Tailor), `tailor-results` (detail:
// the result, with its mode and query), `tailor-select` (cancelable; detail: {item, rank, mode,
// query}), `tailor-error` (detail: {code, summary, detail}).
//
// Theming: a `part` on every element, and the custom properties in CSS below (--tailor-*).

import { Tailor, describeError, renderError } from './tailor.js';

const CSS = `
:host { display: block; font: var(--tailor-font, inherit); color: var(--tailor-text, inherit); }
:host([hidden]) { display: none; }
form { display: flex; gap: var(--tailor-gap, 0.6em); margin: 0 0 0.75em; }
form[hidden] { display: none; }
input[type=search] { flex: 1; min-width: 0; padding: 0.45em 0.6em; font: inherit;
  border: 1px solid var(--tailor-border, #b8b2a7); border-radius: var(--tailor-radius, 6px); }
button { padding: 0.45em 1em; font: inherit; border: 0; border-radius: var(--tailor-radius, 6px);
  background: var(--tailor-accent, #2d3a4a); color: var(--tailor-on-accent, #fff); cursor: pointer; }
button:disabled { opacity: 0.5; cursor: default; }
.progress { display: flex; align-items: center; gap: 0.6em; font-size: 0.85em;
  color: var(--tailor-muted, #555); }
.progress[hidden] { display: none; }
progress { flex: 1; height: 0.6em; }
.message { margin: 0.5em 0; font-size: 0.9em; color: var(--tailor-muted, #555); }
.message.error { padding: 0.6em 0.8em; border-radius: var(--tailor-radius, 6px);
  background: var(--tailor-error-surface, #fdecea); color: var(--tailor-error-text, #7a1c12); }
.message .detail { display: block; margin-top: 0.25em; font-family: ui-monospace, monospace;
  font-size: 0.85em; overflow-wrap: anywhere; }
ol { list-style: none; margin: 0; padding: 0; display: grid; gap: var(--tailor-gap, 0.6em);
  grid-template-columns: repeat(var(--tailor-columns, auto-fill), minmax(var(--tailor-card-min, 11em), 1fr)); }
li { display: flex; min-width: 0; }
.card { display: flex; flex-direction: column; gap: 0.3em; width: 100%; padding: 0.6em 0.7em;
  border: 1px solid var(--tailor-border, #e1ddd5); border-radius: var(--tailor-radius, 8px);
  background: var(--tailor-surface, #fff); color: inherit; font: inherit; text-align: start;
  text-decoration: none; cursor: pointer; }
.card:hover { border-color: var(--tailor-accent, #2d3a4a); }
.card:focus-visible { outline: 2px solid var(--tailor-focus, var(--tailor-accent, #2d3a4a)); outline-offset: 2px; }
.image { display: block; width: 100%; height: auto; object-fit: cover;
  border-radius: calc(var(--tailor-radius, 8px) - 2px); background: var(--tailor-image-surface, #f1eee8); }
.title { display: block; font-weight: 600; overflow-wrap: anywhere; }
.price { font-variant-numeric: tabular-nums; }
.class { font-size: 0.8em; color: var(--tailor-muted, #666); }
.because { font-size: 0.78em; font-style: italic; color: var(--tailor-muted, #666); overflow-wrap: anywhere; }
`;

/** Every visible string, in English; set `element.strings = {...}` to change any of them.
 * `{name}` is replaced by a value. */
export const DEFAULT_STRINGS = Object.freeze({
  placeholder: 'What are you looking for?',
  search: 'Search',
  loading: 'Loading recommendations…',
  progress: 'Downloading the recommender',
  ready: '{count} items ready.',
  typeSomething: 'Type what you are looking for.',
  results: '{count} results.',
  noResults: 'Nothing matches.',
  forYouEmpty: 'Look at a few items to get picks for you here.',
  similarNeedsItem: 'No item to show similar items for.',
  resultsLabel: 'Recommendations',
  because: 'because you viewed {title}',
  bytes: '{loaded} of {total} MB',
});

export const MODES = Object.freeze(['search', 'for-you', 'similar']);
/** The size of a card's picture box; a picture keeps its aspect ratio inside it. */
export const DEFAULT_IMAGE_WIDTH = 240;
export const DEFAULT_IMAGE_HEIGHT = 300;
/** How long choosing a link waits for the history write before it navigates anyway. */
const RECORD_BEFORE_NAVIGATING_MS = 500;

let sheet = null;
function styleSheet() {
  if (!sheet && typeof CSSStyleSheet === 'function' && 'replaceSync' in CSSStyleSheet.prototype) {
    sheet = new CSSStyleSheet();
    sheet.replaceSync(CSS);
  }
  return sheet;
}

/** `template` with each `{name}` replaced by `values[name]`. */
function fill(template, values) {
  return String(template).replace(/\{(\w+)\}/g, (whole, name) => (name in values ? String(values[name]) : whole));
}

/** "3.1 of 10.5 MB" */
export function formatBytes(loaded, total, template = DEFAULT_STRINGS.bytes) {
  const mb = (n) => (n / 1e6).toFixed(1);
  return total > 0 ? fill(template, { loaded: mb(loaded), total: mb(total) }) : `${mb(loaded)} MB`;
}

const priceFormats = new Map();
/** The price for `locale` in `currency` (ISO 4217), or the bare number when the code is not one
 * Intl knows; "" without a price. */
export function formatPrice(price, currency, locale) {
  if (typeof price !== 'number' || !Number.isFinite(price)) return '';
  const key = `${locale}|${currency}`;
  let format = priceFormats.get(key);
  if (!format) {
    try {
      format = currency
        ? new Intl.NumberFormat(locale, { style: 'currency', currency })
        : new Intl.NumberFormat(locale, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
    } catch {
      const number = new Intl.NumberFormat(locale, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
      format = { format: (value) => `${number.format(value)} ${currency}` };
    }
    priceFormats.set(key, format);
  }
  return format.format(price);
}

/** `url` resolved against `base`, only if it is http(s): shop data never becomes a
 * `javascript:` link or a `file:` picture. */
export function safeUrl(url, base) {
  if (typeof url !== 'string' || url.length === 0) return null;
  try {
    const resolved = new URL(url, base);
    return resolved.protocol === 'https:' || resolved.protocol === 'http:' ? resolved.href : null;
  } catch {
    return null;
  }
}

function positive(value, fallback) {
  const n = Number.parseInt(value ?? '', 10);
  return Number.isInteger(n) && n > 0 ? n : fallback;
}

export class TailorRecs extends HTMLElement {
  /** Changing these loads the bundle again. */
  static #reloading = ['bundle', 'backend', 'worker-url', 'wasm-url', 'integrity', 'shop', 'cache'];
  static observedAttributes = [
    ...TailorRecs.#reloading, 'mode', 'item', 'exclude', 'category', 'k', 'locale',
    'image-width', 'image-height',
  ];

  #rec = null;
  #loading = null;
  #root;
  #parts = {};
  #strings = DEFAULT_STRINGS;
  /** The request on screen, run again when the mode, filters or strings change. */
  #query = '';
  /** Each render supersedes the ones before it. */
  #renderTicket = 0;

  constructor() {
    super();
    this.#root = this.attachShadow({ mode: 'open' });
    const css = styleSheet();
    if (css) this.#root.adoptedStyleSheets = [css];
    const part = (element, name, className = name) => {
      element.setAttribute('part', name);
      if (className) element.className = className;
      return element;
    };
    const form = part(document.createElement('form'), 'form', '');
    const input = part(document.createElement('input'), 'input', '');
    input.type = 'search';
    input.name = 'query';
    input.autocomplete = 'off';
    const button = part(document.createElement('button'), 'button', '');
    button.type = 'submit';
    button.disabled = true;
    form.append(input, button);

    const progressRow = part(document.createElement('div'), 'progress');
    const progress = part(document.createElement('progress'), 'progress-bar', '');
    progress.max = 1;
    progress.value = 0;
    const progressText = part(document.createElement('span'), 'progress-text');
    progressRow.append(progress, progressText);
    progressRow.hidden = true;

    // A live region: screen readers hear "12 results." and errors without moving focus.
    const message = part(document.createElement('p'), 'message');
    message.setAttribute('role', 'status');
    message.setAttribute('aria-live', 'polite');

    const results = part(document.createElement('ol'), 'results', '');

    form.addEventListener('submit', (event) => {
      event.preventDefault();
      this.search(input.value);
    });
    this.#root.append(form, progressRow, message, results);
    this.#parts = { form, input, button, progressRow, progress, progressText, message, results };
    this.#applyStrings();
  }

  /** The loaded Tailor, or null while loading / after an error. */
  get recommender() {
    return this.#rec;
  }

  get k() {
    return positive(this.getAttribute('k'), 10);
  }

  get mode() {
    const mode = this.getAttribute('mode') ?? 'search';
    return MODES.includes(mode) ? mode : 'search';
  }

  /** The visible strings in use (DEFAULT_STRINGS, with what was set over them). */
  get strings() {
    return this.#strings;
  }

  set strings(overrides) {
    this.#strings = Object.freeze({ ...DEFAULT_STRINGS, ...(overrides ?? {}) });
    this.#applyStrings();
    if (this.#rec) this.refresh();
  }

  connectedCallback() {
    this.#applyStrings();
    if (!this.#loading && !this.#rec) this.#load();
  }

  disconnectedCallback() {
    // Keep the model while the element is only being moved; drop it once it is really gone.
    queueMicrotask(() => {
      if (!this.isConnected) this.#reset();
    });
  }

  attributeChangedCallback(name, before, after) {
    if (name === 'mode') this.#applyStrings();
    if (before === after || !this.isConnected || (!this.#rec && !this.#loading)) return;
    if (TailorRecs.#reloading.includes(name)) {
      this.#reset();
      this.#load();
    } else if (this.#rec) {
      this.refresh();
    }
  }

  #applyStrings() {
    const { input, button, progress, results } = this.#parts;
    const strings = this.#strings;
    input.placeholder = strings.placeholder;
    input.setAttribute('aria-label', strings.placeholder);
    button.textContent = strings.search;
    progress.setAttribute('aria-label', strings.progress);
    results.setAttribute('aria-label', strings.resultsLabel);
    this.#parts.form.hidden = this.mode !== 'search';
  }

  #reset() {
    this.#rec?.close();
    this.#rec = null;
    this.#loading = null;
  }

  #say(text) {
    const { message } = this.#parts;
    message.classList.remove('error');
    message.textContent = text;
  }

  #load() {
    const { button, progressRow, progress, progressText, results } = this.#parts;
    const options = { backend: this.getAttribute('backend') ?? 'auto' };
    const workerUrl = this.getAttribute('worker-url');
    const wasmUrl = this.getAttribute('wasm-url');
    if (workerUrl) options.workerUrl = workerUrl;
    if (wasmUrl) options.wasmUrl = wasmUrl;
    const integrity = this.getAttribute('integrity');
    if (integrity) options.integrity = integrity;
    const shop = this.getAttribute('shop');
    if (shop) options.shop = shop;
    if (this.getAttribute('cache') === 'off') options.cache = false;
    button.disabled = true;
    results.replaceChildren();
    this.#say(this.#strings.loading);
    progressRow.hidden = false;
    progress.value = 0;
    progressText.textContent = '';
    const loading = Tailor.load(this.getAttribute('bundle') ?? 'bundle/', {
      ...options,
      onProgress: ({ loaded, total }) => {
        if (this.#loading !== loading) return;
        progress.max = Math.max(1, total);
        progress.value = Math.min(loaded, total);
        progressText.textContent = formatBytes(loaded, total, this.#strings.bytes);
      },
    });
    this.#loading = loading;
    loading.then(
      (rec) => {
        if (this.#loading !== loading) {
          rec.close();
          return;
        }
        this.#rec = rec;
        progressRow.hidden = true;
        this.#say(fill(this.#strings.ready, { count: rec.items.length.toLocaleString(this.#locale()) }));
        button.disabled = false;
        this.dispatchEvent(new CustomEvent('tailor-ready', { detail: rec, bubbles: true, composed: true }));
        if (this.mode !== 'search') this.refresh();
      },
      (error) => {
        if (this.#loading !== loading) return;
        this.#loading = null;
        progressRow.hidden = true;
        this.#showError(error);
      },
    );
  }

  #showError(error) {
    renderError(this.#parts.message, error);
    this.dispatchEvent(new CustomEvent('tailor-error', {
      detail: describeError(error), bubbles: true, composed: true,
    }));
  }

  #locale() {
    return this.getAttribute('locale') || this.closest('[lang]')?.lang || navigator.language || 'en';
  }

  #filter() {
    const exclude = (this.getAttribute('exclude') ?? '').split(',').map((id) => id.trim()).filter(Boolean);
    return { exclude, category: this.getAttribute('category') ?? '' };
  }

  /** Runs a request in search mode and renders its cards; resolves to the result (or null
   * when not loaded, empty, or failed). */
  async search(query) {
    if (!this.#rec) return null;
    const text = String(query ?? '').trim();
    if (!text) {
      this.#say(this.#strings.typeSomething);
      return null;
    }
    this.#query = text;
    return this.#render(() => this.#rec.recommend({ query: text, k: this.k, ...this.#filter() }), text);
  }

  /** Renders the current mode again (after the history changed, say); resolves like search(). */
  async refresh() {
    const rec = this.#rec;
    if (!rec) return null;
    const k = this.k;
    switch (this.mode) {
      case 'for-you': {
        const history = await rec.history.itemIds();
        if (history.length === 0) {
          this.#parts.results.replaceChildren();
          this.#say(this.#strings.forYouEmpty);
          return null;
        }
        return this.#render(() => rec.recommend({ query: '', k, history, ...this.#filter() }), '');
      }
      case 'similar': {
        const item = this.getAttribute('item') ?? '';
        if (!item) {
          this.#parts.results.replaceChildren();
          this.#say(this.#strings.similarNeedsItem);
          return null;
        }
        return this.#render(() => rec.similar({ item, k, ...this.#filter() }), '');
      }
      default:
        return this.#query ? this.search(this.#query) : null;
    }
  }

  async #render(run, query) {
    const { button, results } = this.#parts;
    const ticket = ++this.#renderTicket;
    const mode = this.mode;
    button.disabled = true;
    try {
      const result = await run();
      if (ticket !== this.#renderTicket) return result;
      results.replaceChildren(...result.items.map((item, rank) => this.#card(item, rank, mode, query)));
      this.#say(result.items.length > 0
        ? fill(this.#strings.results, { count: result.items.length })
        : this.#strings.noResults);
      this.dispatchEvent(new CustomEvent('tailor-results', {
        detail: { ...result, mode, query }, bubbles: true, composed: true,
      }));
      return result;
    } catch (error) {
      if (ticket === this.#renderTicket) this.#showError(error);
      return null;
    } finally {
      button.disabled = !this.#rec;
    }
  }

  /** One product card: picture, title, price, class and reason, inside a link to the item's
   * page (a button when it has none), so that every card takes focus and Enter. */
  #card(result, rank, mode, query) {
    const rec = this.#rec;
    const item = rec.items[result.index] ?? { ...result, image: '', price: null, currency: '', url: '' };
    const li = document.createElement('li');
    li.setAttribute('part', 'item');
    li.dataset.id = result.id;
    li.dataset.score = String(result.score);
    const href = safeUrl(item.url, document.baseURI);
    const card = document.createElement(href ? 'a' : 'button');
    if (href) card.href = href;
    else card.type = 'button';
    card.className = 'card';
    card.setAttribute('part', 'card');

    const src = safeUrl(item.image, rec.url);
    if (src) {
      const image = document.createElement('img');
      image.className = 'image';
      image.setAttribute('part', 'image');
      image.loading = 'lazy';
      image.decoding = 'async';
      image.width = positive(this.getAttribute('image-width'), DEFAULT_IMAGE_WIDTH);
      image.height = positive(this.getAttribute('image-height'), DEFAULT_IMAGE_HEIGHT);
      image.alt = item.title;
      image.src = src;
      card.append(image);
    }
    const title = document.createElement('span');
    title.className = 'title';
    title.setAttribute('part', 'title');
    title.textContent = result.title;
    card.append(title);
    const price = formatPrice(item.price, item.currency, this.#locale());
    if (price) {
      const priceText = document.createElement('span');
      priceText.className = 'price';
      priceText.setAttribute('part', 'price');
      priceText.textContent = price;
      card.append(priceText);
    }
    if (result.class) {
      const cls = document.createElement('span');
      cls.className = 'class';
      cls.setAttribute('part', 'class');
      cls.textContent = result.class;
      card.append(cls);
    }
    // The heaviest history item behind this result; its title is shop data, so text only.
    const reason = result.because?.[0];
    if (reason) {
      const because = document.createElement('span');
      because.className = 'because';
      because.setAttribute('part', 'because');
      because.dataset.id = reason.id;
      because.textContent = fill(this.#strings.because, { title: reason.title });
      card.append(because);
    }
    card.addEventListener('click', (event) => this.#choose(event, item, rank, mode, query, href));
    li.append(card);
    return li;
  }

  /** A card was chosen: record it, tell the page, and follow the link unless the page took
   * over (`tailor-select` cancelled) or the browser opens it elsewhere (a modified click). */
  #choose(event, item, rank, mode, query, href) {
    const proceed = this.dispatchEvent(new CustomEvent('tailor-select', {
      detail: { item, rank, mode, query }, bubbles: true, composed: true, cancelable: true,
    }));
    const recorded = this.#record(item.id);
    if (!proceed) {
      event.preventDefault();
      return;
    }
    const elsewhere = event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey;
    if (!href || elsewhere) return;
    // Leaving the page could cut the history write short: let it finish (briefly) first.
    event.preventDefault();
    const wait = new Promise((resolve) => setTimeout(resolve, RECORD_BEFORE_NAVIGATING_MS));
    Promise.race([recorded, wait]).finally(() => window.location.assign(href));
  }

  #record(itemId) {
    const event = this.getAttribute('record-event') ?? 'click';
    if (!this.#rec || event === 'none' || event === '') return Promise.resolve(false);
    return this.#rec.history.record({ itemId, event }).catch(() => false);
  }
}

if (!customElements.get('tailor-recs')) customElements.define('tailor-recs', TailorRecs);
