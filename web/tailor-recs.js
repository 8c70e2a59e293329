// <tailor-recs bundle="/bundle/" k="12" backend="auto"></tailor-recs>
//
// A search box, a download progress bar and a result grid over Tailor, in a shadow root with its
// own small stylesheet (a constructed CSSStyleSheet, so it works under `style-src 'self'`). Every
// catalog string is set with textContent. With a personalizing bundle, each result says which
// item of the stored history it comes from ("because you viewed ..."). Importing this module
// registers the element.
//
// Events (bubbling, composed): `tailor-ready` (detail: the Tailor), `tailor-results` (detail: the
// recommend() result and the query), `tailor-error` (detail: {code, summary, detail}).

import { Tailor, describeError, renderError } from './tailor.js';

const CSS = `
:host { display: block; font: inherit; color: inherit; }
:host([hidden]) { display: none; }
form { display: flex; gap: 0.5em; margin: 0 0 0.75em; }
input[type=search] { flex: 1; min-width: 0; padding: 0.45em 0.6em; font: inherit;
  border: 1px solid #b8b2a7; border-radius: 6px; }
button { padding: 0.45em 1em; font: inherit; border: 0; border-radius: 6px; background: #2d3a4a;
  color: #fff; cursor: pointer; }
button:disabled { opacity: 0.5; cursor: default; }
.progress { display: flex; align-items: center; gap: 0.6em; font-size: 0.85em; color: #555; }
.progress[hidden] { display: none; }
progress { flex: 1; height: 0.6em; }
.message { margin: 0.5em 0; font-size: 0.9em; color: #555; }
.message.error { padding: 0.6em 0.8em; border-radius: 6px; background: #fdecea; color: #7a1c12; }
.message .detail { display: block; margin-top: 0.25em; font-family: ui-monospace, monospace;
  font-size: 0.85em; overflow-wrap: anywhere; }
ol { list-style: none; margin: 0; padding: 0; display: grid; gap: 0.6em;
  grid-template-columns: repeat(auto-fill, minmax(11em, 1fr)); }
li { padding: 0.6em 0.7em; border: 1px solid #e1ddd5; border-radius: 8px; background: #fff; }
.title { display: block; font-weight: 600; overflow-wrap: anywhere; }
.class, .score { display: inline-block; margin-top: 0.3em; font-size: 0.8em; color: #666; }
.score { float: right; font-variant-numeric: tabular-nums; }
.because { display: block; clear: both; margin-top: 0.3em; font-size: 0.78em; font-style: italic;
  color: #666; overflow-wrap: anywhere; }
`;

let sheet = null;
function styleSheet() {
  if (!sheet && typeof CSSStyleSheet === 'function' && 'replaceSync' in CSSStyleSheet.prototype) {
    sheet = new CSSStyleSheet();
    sheet.replaceSync(CSS);
  }
  return sheet;
}

/** "3.1 of 10.5 MB" */
export function formatBytes(loaded, total) {
  const mb = (n) => (n / 1e6).toFixed(1);
  return total > 0 ? `${mb(loaded)} of ${mb(total)} MB` : `${mb(loaded)} MB`;
}

export class TailorRecs extends HTMLElement {
  static observedAttributes = ['bundle', 'backend'];

  #rec = null;
  #loading = null;
  #root;
  #parts = {};

  constructor() {
    super();
    this.#root = this.attachShadow({ mode: 'open' });
    const css = styleSheet();
    if (css) this.#root.adoptedStyleSheets = [css];
    const form = document.createElement('form');
    form.setAttribute('part', 'form');
    const input = document.createElement('input');
    input.type = 'search';
    input.name = 'query';
    input.placeholder = 'What are you looking for?';
    input.setAttribute('aria-label', 'What are you looking for?');
    input.autocomplete = 'off';
    const button = document.createElement('button');
    button.type = 'submit';
    button.textContent = 'Search';
    button.disabled = true;
    form.append(input, button);

    const progressRow = document.createElement('div');
    progressRow.className = 'progress';
    const progress = document.createElement('progress');
    progress.max = 1;
    progress.value = 0;
    const progressText = document.createElement('span');
    progressRow.append(progress, progressText);
    progressRow.hidden = true;

    const message = document.createElement('p');
    message.className = 'message';
    message.setAttribute('role', 'status');

    const results = document.createElement('ol');
    results.setAttribute('part', 'results');
    results.setAttribute('aria-label', 'Recommendations');

    form.addEventListener('submit', (event) => {
      event.preventDefault();
      this.search(input.value);
    });
    this.#root.append(form, progressRow, message, results);
    this.#parts = { form, input, button, progressRow, progress, progressText, message, results };
  }

  /** The loaded Tailor, or null while loading / after an error. */
  get recommender() {
    return this.#rec;
  }

  get k() {
    const k = Number.parseInt(this.getAttribute('k') ?? '', 10);
    return Number.isInteger(k) && k > 0 ? k : 10;
  }

  connectedCallback() {
    if (!this.#loading && !this.#rec) this.#load();
  }

  disconnectedCallback() {
    // Keep the model while the element is only being moved; drop it once it is really gone.
    queueMicrotask(() => {
      if (!this.isConnected) this.#reset();
    });
  }

  attributeChangedCallback(name, before, after) {
    if (before === after || !this.isConnected || (!this.#rec && !this.#loading)) return;
    this.#reset();
    this.#load();
  }

  #reset() {
    this.#rec?.close();
    this.#rec = null;
    this.#loading = null;
  }

  #load() {
    const { button, progressRow, progress, progressText, message, results } = this.#parts;
    const bundle = this.getAttribute('bundle') ?? 'bundle/';
    const backend = this.getAttribute('backend') ?? 'auto';
    button.disabled = true;
    results.replaceChildren();
    message.classList.remove('error');
    message.textContent = 'Loading recommendations…';
    progressRow.hidden = false;
    progress.value = 0;
    progressText.textContent = '';
    const loading = Tailor.load(bundle, {
      backend,
      onProgress: ({ loaded, total }) => {
        if (this.#loading !== loading) return;
        progress.max = Math.max(1, total);
        progress.value = Math.min(loaded, total);
        progressText.textContent = formatBytes(loaded, total);
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
        message.textContent = `Ready: ${rec.items.length.toLocaleString('en-US')} items, ${rec.backend} backend.`;
        button.disabled = false;
        this.dispatchEvent(new CustomEvent('tailor-ready', { detail: rec, bubbles: true, composed: true }));
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

  /** Runs a request and renders the results; resolves to the result (or null on error). */
  async search(query) {
    const { button, message, results } = this.#parts;
    if (!this.#rec) return null;
    const text = String(query ?? '').trim();
    if (!text) {
      message.classList.remove('error');
      message.textContent = 'Type what you are looking for.';
      return null;
    }
    button.disabled = true;
    try {
      const started = performance.now();
      const result = await this.#rec.recommend({ query: text, k: this.k });
      const ms = performance.now() - started;
      results.replaceChildren(...result.items.map((item) => {
        const li = document.createElement('li');
        li.dataset.id = item.id;
        const title = document.createElement('span');
        title.className = 'title';
        title.textContent = item.title;
        const cls = document.createElement('span');
        cls.className = 'class';
        cls.textContent = item.class;
        const score = document.createElement('span');
        score.className = 'score';
        score.textContent = item.score.toFixed(3);
        li.append(title, cls, score);
        // The heaviest history item behind this result; its title is shop data, so text only.
        const reason = item.because?.[0];
        if (reason) {
          const because = document.createElement('span');
          because.className = 'because';
          because.dataset.id = reason.id;
          because.textContent = `because you viewed ${reason.title}`;
          li.append(because);
        }
        return li;
      }));
      message.classList.remove('error');
      message.textContent = `${result.items.length} results in ${ms.toFixed(0)} ms (${result.backend}).`;
      this.dispatchEvent(new CustomEvent('tailor-results', {
        detail: { query: text, ...result }, bubbles: true, composed: true,
      }));
      return result;
    } catch (error) {
      this.#showError(error);
      return null;
    } finally {
      button.disabled = !this.#rec;
    }
  }
}

if (!customElements.get('tailor-recs')) customElements.define('tailor-recs', TailorRecs);
