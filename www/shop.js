// The demo shop: a catalog, a request box and the on-device history, over the Tailor web API.
// No inline scripts or styles (the page runs under a strict CSP) and every catalog string goes
// into the page with textContent.
//
// Test hooks: `?bundle=/path/` (same-origin path) and `?backend=cpu|webgpu|auto` pick what to
// load; `window.tailorShop` = {ready, rec, error}; <body data-state> is loading | ready | error.

import { Tailor, renderError } from '/web/tailor.js';

const PAGE_SIZE = 60;

const $ = (id) => document.getElementById(id);
const ui = {
  status: $('status'),
  progressRow: $('progress-row'),
  progress: $('progress'),
  progressText: $('progress-text'),
  error: $('error'),
  ask: $('ask'),
  query: $('query'),
  askButton: $('ask-button'),
  resultsMeta: $('results-meta'),
  results: $('results'),
  classFilter: $('class-filter'),
  catalogMeta: $('catalog-meta'),
  catalog: $('catalog'),
  more: $('more'),
  history: $('history'),
  historyEmpty: $('history-empty'),
  historyNote: $('history-note'),
  clearHistory: $('clear-history'),
  backend: $('backend'),
  backendReason: $('backend-reason'),
};

/** A same-origin path from ?name=, or the fallback (never another origin). */
function pathParameter(name, fallback) {
  const value = new URLSearchParams(location.search).get(name);
  return value && value.startsWith('/') && !value.startsWith('//') && !value.includes('\\')
    ? value
    : fallback;
}

const params = new URLSearchParams(location.search);
const bundle = pathParameter('bundle', '/bundle/');
const backend = ['auto', 'cpu', 'webgpu'].includes(params.get('backend')) ? params.get('backend') : 'auto';

const state = { rec: null, byId: new Map(), filtered: [], shown: 0 };

/** Tiny element builder: el('span', 'title', text). Text only, never HTML. */
function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

const mb = (n) => (n / 1e6).toFixed(1);

function showError(error) {
  renderError(ui.error, error);
  ui.error.hidden = false;
}

function clearError() {
  ui.error.hidden = true;
  ui.error.replaceChildren();
}

// ---------------------------------------------------------------------------------------------
// Catalog

function itemCard(item, { score } = {}) {
  const li = el('li');
  const button = el('button', 'item');
  button.type = 'button';
  button.dataset.id = item.id;
  button.append(el('span', 'title', item.title));
  const meta = el('span', 'item-meta');
  meta.append(el('span', 'class', item.class || 'Unclassified'));
  if (score !== undefined) meta.append(el('span', 'score', score.toFixed(3)));
  else if (item.department) meta.append(el('span', 'department', item.department));
  button.append(meta);
  li.append(button);
  return li;
}

function applyFilter() {
  const wanted = ui.classFilter.value;
  state.filtered = wanted ? state.rec.items.filter((item) => item.class === wanted) : state.rec.items;
  state.shown = 0;
  ui.catalog.replaceChildren();
  showMore();
}

function showMore() {
  const next = state.filtered.slice(state.shown, state.shown + PAGE_SIZE);
  ui.catalog.append(...next.map((item) => itemCard(item)));
  state.shown += next.length;
  ui.more.hidden = state.shown >= state.filtered.length;
  ui.catalogMeta.textContent = `Showing ${state.shown} of ${state.filtered.length} items.`;
}

function fillClassFilter(items) {
  const classes = [...new Set(items.map((item) => item.class).filter(Boolean))].sort();
  for (const name of classes) {
    const option = el('option', '', name);
    option.value = name;
    ui.classFilter.append(option);
  }
  ui.classFilter.disabled = false;
}

// ---------------------------------------------------------------------------------------------
// History

async function renderHistory() {
  const entries = await state.rec.history.list();
  ui.history.replaceChildren(...entries.map((entry) => {
    const item = state.byId.get(entry.itemId);
    const li = el('li');
    li.dataset.id = entry.itemId;
    li.append(el('span', 'title', item ? item.title : `Item ${entry.itemId} (no longer in the catalog)`));
    li.append(el('span', 'when', `${entry.event} · ${new Date(entry.time).toLocaleTimeString()}`));
    return li;
  }));
  ui.historyEmpty.hidden = entries.length > 0;
  ui.clearHistory.disabled = entries.length === 0;
  if (!state.rec.history.persistent) {
    ui.historyNote.textContent = 'This browser does not let the page store history, so it is kept until you leave the page.';
    ui.historyNote.hidden = false;
  }
}

async function recordView(button, event) {
  const recorded = await state.rec.history.record({ itemId: button.dataset.id, event });
  if (recorded) button.classList.add('seen');
  await renderHistory();
}

// ---------------------------------------------------------------------------------------------
// Requests

async function ask(query) {
  const text = query.trim();
  if (!text) {
    ui.resultsMeta.textContent = 'Type what you are looking for.';
    return;
  }
  ui.askButton.disabled = true;
  clearError();
  try {
    const started = performance.now();
    const result = await state.rec.recommend({ query: text, k: 12 });
    const roundTrip = performance.now() - started;
    ui.results.replaceChildren(...result.items.map((item) => itemCard(item, { score: item.score })));
    const { encodeMs, scoreMs } = result.timings ?? {};
    const inside = Number.isFinite(encodeMs) && Number.isFinite(scoreMs)
      ? ` (encode ${encodeMs.toFixed(1)} ms, score ${scoreMs.toFixed(1)} ms)`
      : '';
    const history = result.personalized
      ? `personalised with ${result.historyUsed} history items`
      : 'not personalised (this bundle has no history model)';
    ui.resultsMeta.textContent = `${result.items.length} results for “${text}” · ${result.backend} backend · ` +
      `${roundTrip.toFixed(1)} ms${inside} · ${history}.`;
    document.body.dataset.results = String(result.items.length);
  } catch (error) {
    showError(error);
  } finally {
    ui.askButton.disabled = false;
  }
}

// ---------------------------------------------------------------------------------------------
// Start

async function start() {
  ui.status.textContent = `Loading the recommender from ${bundle}…`;
  try {
    const rec = await Tailor.load(bundle, {
      backend,
      onProgress: ({ loaded, total }) => {
        ui.progress.max = Math.max(1, total);
        ui.progress.value = Math.min(loaded, total);
        ui.progressText.textContent = `${mb(loaded)} of ${mb(total)} MB`;
      },
    });
    state.rec = rec;
    state.byId = new Map(rec.items.map((item) => [item.id, item]));
    window.tailorShop.rec = rec;
    ui.progressRow.hidden = true;
    ui.status.textContent = `Ready: ${rec.items.length.toLocaleString('en-US')} items, recommendations run on this device.`;
    ui.backend.textContent = `${rec.backend} (${rec.device})`;
    ui.backendReason.textContent = rec.backendReason;
    fillClassFilter(rec.items);
    applyFilter();
    await renderHistory();
    ui.askButton.disabled = false;
    document.body.dataset.state = 'ready';
    return rec;
  } catch (error) {
    ui.progressRow.hidden = true;
    ui.status.textContent = 'The recommender could not be loaded.';
    showError(error);
    window.tailorShop.error = error;
    document.body.dataset.state = 'error';
    return null;
  }
}

ui.ask.addEventListener('submit', (event) => {
  event.preventDefault();
  if (state.rec) ask(ui.query.value);
});
ui.classFilter.addEventListener('change', applyFilter);
ui.more.addEventListener('click', showMore);
ui.catalog.addEventListener('click', (event) => {
  const button = event.target.closest('button.item');
  if (button && state.rec) recordView(button, 'view');
});
ui.results.addEventListener('click', (event) => {
  const button = event.target.closest('button.item');
  if (button && state.rec) recordView(button, 'click');
});
ui.clearHistory.addEventListener('click', async () => {
  await state.rec.history.clear();
  ui.catalog.querySelectorAll('.seen').forEach((node) => node.classList.remove('seen'));
  await renderHistory();
});

window.tailorShop = { rec: null, error: null, ready: null };
window.tailorShop.ready = start();
