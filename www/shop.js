// The demo shop: a catalog, a request box and the on-device history, over the Tailor web API.
// No inline scripts or styles (the page runs under a strict CSP) and every catalog string goes
// into the page with textContent.
//
// Clicks, requests and clearing the history run one after another (see `enqueue`); a click or a
// clear re-ranks the request on screen, so the shopper sees what the history does to it.
//
// "Complete the look" shows an outfit catalog as a lookbook of pictures; choosing an item records
// a view and shows, under it, outfits that contain it (completeOutfit). The outfits come from the
// catalog's bundle when it has an outfit model, else from the bundle served at `?looks=`.
//
// Every URL is relative to the page, so the shop works under any path (`/shop/` as well as `/`).
// Test hooks: `?bundle=path/`, `?looks=path/` (same-origin paths) and
// `?backend=cpu|webgpu|auto` pick what to load; `window.tailorShop` = {ready, rec, looks, error,
// result, look, idle}: `result` is the
// recommendation on screen (with its query), `look` the outfits on screen (completeOutfit's
// result with its query), `idle()` resolves once every click, request and clear made so far has
// taken effect; <body data-state> is loading | ready | error.

import { Tailor, renderError } from './web/tailor.js';

const PAGE_SIZE = 60;
/** Lookbook items per page, and outfits shown per chosen item. */
const LOOK_PAGE_SIZE = 24;
const OUTFITS = 3;

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
  lookSection: $('look-section'),
  slotFilter: $('slot-filter'),
  lookSynthetic: $('look-synthetic'),
  lookAsk: $('look-ask'),
  lookQuery: $('look-query'),
  lookButton: $('look-button'),
  lookMeta: $('look-meta'),
  lookbook: $('lookbook'),
  lookMore: $('look-more'),
};

/** A same-origin URL from ?name= (absolute, or relative to the page), or the fallback
 * (never another origin). */
function pathParameter(name, fallback) {
  const value = new URLSearchParams(location.search).get(name);
  if (!value || value.includes('\\')) return fallback;
  try {
    const url = new URL(value, location.href);
    return url.origin === location.origin ? url.pathname : fallback;
  } catch {
    return fallback;
  }
}

const params = new URLSearchParams(location.search);
const bundle = pathParameter('bundle', 'bundle/');
// Where complete the look comes from when the catalog's bundle has no outfit model: another
// shop's bundle (the demo serves the Fashion-MNIST example shop's there).
const looksBundle = pathParameter('looks', 'looks/');
const backend = ['auto', 'cpu', 'webgpu'].includes(params.get('backend')) ? params.get('backend') : 'auto';

const state = {
  rec: null,
  /** The recommender whose outfit model completes the look: `rec` when its bundle has one,
   * else the one loaded from `looksBundle`, else null. */
  looks: null,
  byId: new Map(),
  filtered: [],
  shown: 0,
  /** The request whose results are on screen, re-ranked on history changes: a text, '' for
   * "for you" (an empty request with the history), null before the first. */
  query: null,
  /** The tail of the work queue: see enqueue(). */
  pending: Promise.resolve(),
  /** The lookbook: outfit items with their code index, filtered by slot, and how many shown. */
  lookItems: [],
  lookShown: 0,
  /** The chosen outfit item's id and the request for its outfits (null before the first). */
  look: null,
  /** The <li> under the chosen item's row that holds its outfits. */
  lookPanel: null,
};

/** Runs `task` after every earlier one, so that a re-rank always reads the history as the clicks
 * before it left it, and results never arrive out of order. */
function enqueue(task) {
  const done = state.pending.then(task);
  state.pending = done.catch((error) => console.error('Tailor shop:', error));
  return done;
}

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

/** A picture path from the bundle: an http(s) URL, or a path relative to the bundle folder;
 * anything else (javascript:, data:, a path that climbs out) shows no picture. */
function pictureUrl(image) {
  if (!image) return null;
  try {
    const url = new URL(image, new URL(bundle, location.href));
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.href : null;
  } catch {
    return null;
  }
}

/** "€49.00" where the currency code is one the browser knows, else "49.00 XYZ". */
function formatPrice(price, currency) {
  if (typeof price !== 'number' || !Number.isFinite(price)) return null;
  if (currency) {
    try {
      return new Intl.NumberFormat(undefined, { style: 'currency', currency }).format(price);
    } catch {
      return `${price.toFixed(2)} ${currency}`;
    }
  }
  return price.toFixed(2);
}

function itemCard(item, { score, because = [] } = {}) {
  const li = el('li');
  const button = el('button', 'item');
  button.type = 'button';
  button.dataset.id = item.id;
  const picture = pictureUrl(item.image);
  if (picture) {
    const img = el('img', 'picture');
    // Not lazy: the grid is paged already, and Chromium lets an <img> of a URL that a deferred
    // lazy one (an off-screen catalog card) is waiting for wait too, so a result's picture
    // could stay blank.
    img.alt = '';
    img.src = picture;
    button.append(img);
  }
  button.append(el('span', 'title', item.title));
  if (item.highlight) button.append(el('span', 'highlight', `\u201c${item.highlight}\u201d`));
  const meta = el('span', 'item-meta');
  meta.append(el('span', 'class', item.class || 'Unclassified'));
  const price = formatPrice(item.price, item.currency);
  if (price) meta.append(el('span', 'price', price));
  if (score !== undefined) meta.append(el('span', 'score', score.toFixed(3)));
  button.append(meta);
  if (because.length > 0) button.append(becauseLine(because));
  li.append(button);
  if (/^https?:\/\//i.test(item.url ?? '')) {
    const link = el('a', 'product-link', 'View product');
    link.href = item.url;
    link.rel = 'noopener noreferrer';
    li.append(link);
  }
  return li;
}

/** "62%"; a weight that rounds to nothing still says it is there. */
function percent(weight) {
  const value = Math.round(weight * 100);
  return value === 0 && weight > 0 ? '<1%' : `${value}%`;
}

/** "Because you viewed A (62%), B (21%) and C (9%)": the history items a result draws on,
 * heaviest first, with their attention weights. Titles are shop data: text nodes only. */
function becauseLine(reasons) {
  const line = el('span', 'because');
  line.append('Because you viewed ');
  reasons.forEach((reason, i) => {
    if (i > 0) line.append(i === reasons.length - 1 ? ' and ' : ', ');
    const name = el('span', 'reason', reason.title);
    name.dataset.id = reason.id;
    line.append(name, ` (${percent(reason.weight)})`);
  });
  return line;
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
// Complete the look

/** Outfit item `index`'s picture: the product photo of a shop's own outfit item, else a canvas
 * with its 28x28 thumbnail (CSS scales it up, pixels kept sharp).
 * Fashion-MNIST stores negatives (the garment bright on black), so it is drawn inverted: a
 * "Dark sneaker" then looks dark, on white, as photographed. */
function picture(index, title, className = 'picture') {
  // A shop's own outfits are its catalog items: show the product's photo, not its thumbnail.
  const item = state.looks === state.rec ? state.looks.outfitItems[index] : null;
  const photo = item ? pictureUrl(state.byId.get(item.id)?.image) : null;
  if (photo) {
    const img = el('img', className);
    img.src = photo;
    img.alt = title;
    img.width = 84;
    img.height = 84;
    img.dataset.index = String(index);
    return img;
  }
  const canvas = el('canvas', className);
  canvas.width = 28;
  canvas.height = 28;
  canvas.dataset.index = String(index);
  canvas.setAttribute('role', 'img');
  canvas.setAttribute('aria-label', title);
  const image = state.looks.outfitImage(index);
  if (image) {
    for (let i = 0; i < image.data.length; i += 4) image.data.fill(255 - image.data[i], i, i + 3);
    canvas.getContext('2d').putImageData(image, 0, 0);
  } else {
    canvas.classList.add('missing');
  }
  return canvas;
}

function lookCard(item) {
  const li = el('li');
  const button = el('button', 'look-item');
  button.type = 'button';
  button.dataset.id = item.id;
  button.setAttribute('aria-pressed', String(item.id === state.look?.anchor));
  button.append(picture(item.index, item.title), el('span', 'title', item.title), el('span', 'slot', item.slot));
  li.append(button);
  return li;
}

function fillSlotFilter(section) {
  for (const slot of section.slots) {
    const option = el('option', '', slot.required ? slot.name : `${slot.name} (optional)`);
    option.value = slot.name;
    ui.slotFilter.append(option);
  }
}

/** The items one slot at a time in turn (top, bottom, shoes, top, ...), so that the first page
 * of the lookbook shows every slot; the bundle stores them grouped by slot. */
function interleaved(items) {
  const bySlot = new Map();
  for (const item of items) {
    if (!bySlot.has(item.slot)) bySlot.set(item.slot, []);
    bySlot.get(item.slot).push(item);
  }
  const lists = [...bySlot.values()];
  const out = [];
  for (let i = 0; out.length < items.length; i++) {
    for (const list of lists) if (i < list.length) out.push(list[i]);
  }
  return out;
}

function applySlotFilter() {
  const wanted = ui.slotFilter.value;
  const all = state.looks.outfitItems;
  state.lookItems = wanted ? all.filter((item) => item.slot === wanted) : interleaved(all);
  state.lookShown = 0;
  ui.lookbook.replaceChildren();
  showMoreLooks();
}

function showMoreLooks() {
  const next = state.lookItems.slice(state.lookShown, state.lookShown + LOOK_PAGE_SIZE);
  ui.lookbook.append(...next.map(lookCard));
  state.lookShown += next.length;
  ui.lookMore.hidden = state.lookShown >= state.lookItems.length;
  placeLookPanel();
}

/** Puts the outfits panel right under the row of the chosen item's card (first row when the
 * chosen item is not on screen). */
function placeLookPanel() {
  const panel = state.lookPanel;
  if (!panel) return;
  panel.remove();
  const chosen = [...ui.lookbook.querySelectorAll('button.look-item')]
    .find((button) => button.dataset.id === state.look?.anchor)?.parentElement;
  if (!chosen) {
    ui.lookbook.prepend(panel);
    return;
  }
  let end = chosen;
  while (end.nextElementSibling && end.nextElementSibling.offsetTop === chosen.offsetTop) end = end.nextElementSibling;
  end.after(panel);
}

/** One outfit: its pictures in slot order (the chosen item marked) and its score. */
function outfitRow(outfit, anchor) {
  const li = el('li', 'outfit');
  li.dataset.score = String(outfit.score);
  const pieces = el('div', 'pieces');
  for (const item of outfit.items) {
    const figure = el('figure', item.id === anchor ? 'piece anchor' : 'piece');
    figure.dataset.id = item.id;
    figure.dataset.slot = item.slot;
    const caption = el('figcaption');
    caption.append(el('span', 'title', item.title), el('span', 'slot', item.slot));
    figure.append(picture(item.index, item.title), caption);
    pieces.append(figure);
  }
  const score = el('p', 'outfit-score');
  score.append(el('strong', '', `score ${outfit.score.toFixed(3)}`),
    ` · preference ${outfit.preference.toFixed(3)} · compatibility ${outfit.compatibility.toFixed(3)}`);
  li.append(pieces, score);
  return li;
}

/** Completes the look around `anchor` with the stored history (and `query`), and shows the
 * outfits under the item. */
async function showLook(anchor, query = '') {
  const text = query.trim();
  clearError();
  ui.lookButton.disabled = true;
  try {
    const started = performance.now();
    // No `history` given: completeOutfit() reads the stored on-device history itself.
    const look = await state.looks.completeOutfit({ anchor, query: text, k: OUTFITS });
    const roundTrip = performance.now() - started;
    state.look = { anchor, query: text };
    window.tailorShop.look = { query: text, ...look };
    const item = state.byId.get(anchor);
    const panel = el('li', 'look');
    panel.dataset.anchor = anchor;
    const heading = el('h3');
    heading.append('Outfits with ', el('span', 'title', item?.title ?? anchor), text ? ` for “${text}”` : '');
    const history = look.historyUsed > 0
      ? `personalised with ${look.historyUsed} viewed item${look.historyUsed === 1 ? '' : 's'}`
      : 'no viewed items yet';
    const meta = el('p', 'meta', `Best ${look.outfits.length} of ${look.scored.toLocaleString('en-US')} outfits scored · ` +
      `${look.backend} backend · ${roundTrip.toFixed(1)} ms (${look.timings.totalMs.toFixed(1)} ms in the worker) · ${history}` +
      `${look.synthetic ? ' · learnt from synthetic outfits' : ''}.`);
    const list = el('ol', 'outfits');
    list.append(...look.outfits.map((outfit) => outfitRow(outfit, anchor)));
    panel.append(heading, meta, list);
    state.lookPanel?.remove();
    state.lookPanel = panel;
    for (const button of ui.lookbook.querySelectorAll('button.look-item')) {
      button.setAttribute('aria-pressed', String(button.dataset.id === anchor));
    }
    placeLookPanel();
    ui.lookMeta.textContent = 'Pick another item, or type a request and press Restyle.';
    document.body.dataset.look = String(look.outfits.length);
  } catch (error) {
    showError(error);
  } finally {
    ui.lookButton.disabled = false;
  }
}

async function chooseLookItem(button) {
  // Into the history of the bundle whose outfit model reads it (another shop's bundle keeps
  // its own; the panel shows both).
  const recorded = await state.looks.history.record({ itemId: button.dataset.id, event: 'view' });
  if (recorded) button.classList.add('seen');
  await renderHistory();
  // The catalog ranking does not read outfit items, so only the outfits follow this view.
  await showLook(button.dataset.id, ui.lookQuery.value);
}

/** The catalog's own bundle when it has an outfit model; otherwise the bundle at `looksBundle`
 * if one is served there; otherwise null (no complete the look). */
async function loadLooks(rec) {
  if (rec.outfitSection) return rec;
  const probe = await fetch(new URL('manifest.json', new URL(looksBundle, location.href)), { method: 'HEAD' })
    .catch(() => null);
  if (!probe?.ok) return null;
  return Tailor.load(looksBundle, { backend });
}

function startLookbook(rec) {
  const section = rec?.outfitSection;
  if (!section || rec.outfitItems.length === 0) return;
  ui.lookSynthetic.replaceChildren();
  if (section.synthetic) {
    ui.lookSynthetic.append(el('strong', '', 'Outfits learnt from synthetic data.'),
      ' This outfit model was trained on generated outfits over Fashion-MNIST pictures, not on ' +
      'real shoppers\' outfits; its scores show the method, not real taste.');
  } else {
    ui.lookSynthetic.append('Outfits learnt from this shop\'s own outfits.');
  }
  if (rec !== state.rec) {
    ui.lookSynthetic.append(' The outfits come from another example shop\'s bundle, over its own items.');
  }
  fillSlotFilter(section);
  applySlotFilter();
  ui.lookButton.disabled = false;
  ui.lookSection.hidden = false;
}

// ---------------------------------------------------------------------------------------------
// History

/** The shopper's history, most recent first: the catalog's, and the looks bundle's where that
 * is another bundle. */
async function historyEntries() {
  const entries = await state.rec.history.list();
  if (!state.looks || state.looks === state.rec) return entries;
  const looks = await state.looks.history.list();
  return [...entries, ...looks].sort((a, b) => b.time - a.time);
}

async function renderHistory() {
  const entries = await historyEntries();
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
  if (recorded) await rerank();
}

async function clearHistory() {
  await state.rec.history.clear();
  if (state.looks && state.looks !== state.rec) await state.looks.history.clear();
  document.querySelectorAll('.seen').forEach((node) => node.classList.remove('seen'));
  await renderHistory();
  await rerank();
  if (state.look) await showLook(state.look.anchor, state.look.query);
}

/** The request on screen again, with the history as it is now. */
async function rerank() {
  if (state.query !== null) await ask(state.query);
}

// ---------------------------------------------------------------------------------------------
// Requests

async function ask(query) {
  const text = query.trim();
  // An empty request with a history asks for picks from the history alone ("for you").
  if (!text && (await state.rec.history.itemIds()).length === 0) {
    state.query = null;
    ui.results.replaceChildren();
    ui.resultsMeta.textContent = 'Type what you are looking for, or view a few items to get picks for you.';
    document.body.dataset.results = '0';
    return;
  }
  ui.askButton.disabled = true;
  clearError();
  try {
    const started = performance.now();
    // No `history` given: recommend() reads the stored on-device history itself.
    const result = await state.rec.recommend({ query: text, k: 12 });
    const roundTrip = performance.now() - started;
    state.query = text;
    window.tailorShop.result = { query: text, ...result };
    // A result names its item; the card shows the catalog's product data for it.
    ui.results.replaceChildren(...result.items.map((item) =>
      itemCard({ ...state.byId.get(item.id), ...item }, { score: item.score, because: item.because })));
    const { encodeMs, scoreMs } = result.timings ?? {};
    const inside = Number.isFinite(encodeMs) && Number.isFinite(scoreMs)
      ? ` (encode ${encodeMs.toFixed(1)} ms, score ${scoreMs.toFixed(1)} ms)`
      : '';
    let history = 'not personalised (this bundle has no history model)';
    if (result.personalized) {
      history = result.historyUsed > 0
        ? `personalised with ${result.historyUsed} history item${result.historyUsed === 1 ? '' : 's'}`
        : 'not personalised yet (no history)';
    }
    const what = text
      ? `${result.items.length} results for “${text}”`
      : `${result.items.length} picks for you from your history` +
        (result.forYou ? ' (the shop\'s for-you model; nothing you viewed)' : '');
    ui.resultsMeta.textContent = `${what} · ${result.backend} backend · ` +
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
    state.looks = await loadLooks(rec);
    // Outfit items share the history panel with catalog items. One id may name both (a shop's
    // own outfits): the catalog's product card wins.
    state.byId = new Map([...(state.looks?.outfitItems ?? []), ...rec.items].map((item) => [item.id, item]));
    window.tailorShop.rec = rec;
    window.tailorShop.looks = state.looks;
    ui.progressRow.hidden = true;
    ui.status.textContent = `Ready: ${rec.items.length.toLocaleString('en-US')} items, recommendations run on this device.`;
    ui.backend.textContent = `${rec.backend} (${rec.device})`;
    ui.backendReason.textContent = rec.backendReason;
    fillClassFilter(rec.items);
    applyFilter();
    startLookbook(state.looks);
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
  const query = ui.query.value;
  if (state.rec) enqueue(() => ask(query));
});
ui.classFilter.addEventListener('change', applyFilter);
ui.more.addEventListener('click', showMore);
ui.catalog.addEventListener('click', (event) => {
  const button = event.target.closest('button.item');
  if (button && state.rec) enqueue(() => recordView(button, 'view'));
});
ui.results.addEventListener('click', (event) => {
  const button = event.target.closest('button.item');
  if (button && state.rec) enqueue(() => recordView(button, 'click'));
});
ui.clearHistory.addEventListener('click', () => {
  if (state.rec) enqueue(clearHistory);
});
ui.slotFilter.addEventListener('change', applySlotFilter);
ui.lookMore.addEventListener('click', showMoreLooks);
ui.lookbook.addEventListener('click', (event) => {
  const button = event.target.closest('button.look-item');
  if (button && state.rec) enqueue(() => chooseLookItem(button));
});
ui.lookAsk.addEventListener('submit', (event) => {
  event.preventDefault();
  const query = ui.lookQuery.value;
  if (!state.rec) return;
  if (!state.look) {
    ui.lookMeta.textContent = 'Pick an item first: the outfits are built around it.';
    return;
  }
  enqueue(() => showLook(state.look.anchor, query));
});
// The panel sits under the chosen item's row, and rows change with the width.
addEventListener('resize', placeLookPanel);

window.tailorShop = {
  rec: null,
  error: null,
  ready: null,
  result: null,
  look: null,
  idle: () => state.pending,
};
window.tailorShop.ready = start();
