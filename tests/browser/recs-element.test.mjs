// <tailor-recs> as a shop ships it, on the hand-made shop's bundle (its items have pictures,
// prices, currencies and product links): product cards, keyboard focus, `tailor-select` and the
// recorded click, strings in another language, theming through parts and custom properties,
// and the similar-items mode with `exclude` and `category`, each ranked as natively.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { openPage, useBrowser } from './harness.mjs';
import { handmadeBundle, readItems } from './bundles.mjs';
import { LOAD_TIMEOUT, nativeRanking } from './shop.mjs';

const session = useBrowser('tests/browser/pages', () => ({ '/web': 'web', '/handmade': handmadeBundle() }));
const catalog = () => new Map(readItems(handmadeBundle()).map((item) => [item.id, item]));
const QUERY = 'breton striped top';

/** recs.html with these attributes, loaded (and, in search mode, searched for `search`). */
async function openElement(attributes = {}, { search, setup } = {}) {
  const query = new URLSearchParams({ bundle: '/handmade/', k: '6', ...attributes });
  const opened = await openPage(session.browser, `${session.server.url}/recs.html?${query}`, setup);
  const { page } = opened;
  await page.waitForFunction(() => document.body.dataset.state !== 'loading', null, { timeout: LOAD_TIMEOUT });
  if (search) {
    await page.evaluate(() => { window.recsEvents = []; });
    await page.locator('tailor-recs input').fill(search);
    await page.locator('tailor-recs button[part=button]').click();
  }
  // Search mode shows nothing until asked; the other modes render on their own.
  const shows = search || (attributes.mode ?? 'search') !== 'search' ? ['tailor-results', 'tailor-error'] : ['tailor-ready', 'tailor-error'];
  await page.waitForFunction((types) => window.recsEvents.some((e) => types.includes(e.type)), shows);
  const error = await page.evaluate(() => window.recsEvents.find((e) => e.type === 'tailor-error')?.detail);
  assert.equal(error, undefined, JSON.stringify(error));
  return opened;
}

/** Each card as the shopper sees it. */
const cards = (page) => page.evaluate(() => [...document.querySelector('tailor-recs').shadowRoot.querySelectorAll('li')].map((li) => {
  const card = li.querySelector('.card');
  const img = card.querySelector('img');
  return {
    id: li.dataset.id,
    score: Number(li.dataset.score),
    tag: card.tagName.toLowerCase(),
    href: card.getAttribute('href'),
    image: img && { src: img.src, alt: img.alt, loading: img.loading, width: img.getAttribute('width'), height: img.getAttribute('height') },
    title: card.querySelector('.title')?.textContent,
    price: card.querySelector('.price')?.textContent ?? null,
    class: card.querySelector('.class')?.textContent ?? null,
  };
}));

function nativeSimilar(item, k, { exclude = [], category } = {}) {
  const args = ['similar', '--json', '--bundle', handmadeBundle(), '--item', item, '--k', String(k)];
  if (exclude.length > 0) args.push('--exclude', exclude.join(','));
  if (category) args.push('--category', category);
  return JSON.parse(execFileSync(process.env.TAILOR_BIN, args)).items;
}

test('<tailor-recs>: each result is a product card with its picture, title, price and link, ranked as natively', async () => {
  const items = catalog();
  const { page, problems } = await openElement({}, { search: QUERY });
  const shown = await cards(page);
  const native = nativeRanking(handmadeBundle(), QUERY, 6);
  assert.deepEqual(shown.map((c) => c.id), native.map((r) => r.id));
  for (const card of shown) {
    const item = items.get(card.id);
    assert.equal(card.tag, 'a', `${card.id} is a link`);
    assert.equal(card.href, item.url);
    assert.equal(card.title, item.title);
    assert.equal(card.class, item.class);
    // The picture: beside the bundle, lazy, its box sized before it loads (no layout shift),
    // the title as its alt text.
    assert.ok(card.image.src.endsWith(`/handmade/${item.image}`), card.image.src);
    assert.equal((await fetch(card.image.src)).status, 200, card.image.src);
    assert.deepEqual([card.image.alt, card.image.loading, card.image.width, card.image.height],
      [item.title, 'lazy', '240', '300']);
    // The price in the item's currency for the page's locale (<html lang="en">).
    assert.equal(card.price, new Intl.NumberFormat('en', { style: 'currency', currency: item.currency }).format(item.price));
  }
  // Every element inside the element can be styled from the page.
  const unstyled = await page.evaluate(() => [...document.querySelector('tailor-recs').shadowRoot.querySelectorAll('*')]
    .filter((e) => !e.hasAttribute('part')).map((e) => e.outerHTML.slice(0, 60)));
  assert.deepEqual(unstyled, [], 'a part on every element');
  assert.deepEqual(problems, []);
  await page.close();

  // Another locale formats the same price its way.
  const german = await openElement({ locale: 'de-DE' }, { search: QUERY });
  const [first] = await cards(german.page);
  const item = items.get(first.id);
  assert.equal(first.price, new Intl.NumberFormat('de-DE', { style: 'currency', currency: item.currency }).format(item.price));
  assert.match(first.price, /,\d\d\s€$/);
  await german.page.close();
});

test('<tailor-recs>: a card chosen with the keyboard fires tailor-select and records a click; a plain click follows the link after recording', async () => {
  const items = catalog();
  const { page, problems } = await openElement({ 'cancel-select': '' }, { search: QUERY });
  const [first] = await cards(page);
  // Tab from the search box reaches the button, then the first card; Enter chooses it.
  await page.locator('tailor-recs input').focus();
  await page.keyboard.press('Tab');
  await page.keyboard.press('Tab');
  const focused = await page.evaluate(() => {
    const active = document.querySelector('tailor-recs').shadowRoot.activeElement;
    return active && { part: active.getAttribute('part'), id: active.closest('li')?.dataset.id };
  });
  assert.deepEqual(focused, { part: 'card', id: first.id });
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => window.recsEvents.some((e) => e.type === 'tailor-select'));
  const select = await page.evaluate(() => window.recsEvents.find((e) => e.type === 'tailor-select').detail);
  assert.equal(select.item.id, first.id);
  assert.equal(select.item.url, items.get(first.id).url);
  assert.deepEqual([select.rank, select.mode, select.query], [0, 'search', QUERY]);
  assert.equal(new URL(page.url()).pathname, '/recs.html', 'a cancelled tailor-select keeps the page');
  const recorded = await page.waitForFunction(async () => {
    const list = await document.querySelector('tailor-recs').recommender.history.list();
    return list.length > 0 && list;
  });
  const history = await recorded.jsonValue();
  assert.deepEqual(history.map(({ itemId, event }) => ({ itemId, event })), [{ itemId: first.id, event: 'click' }]);
  assert.deepEqual(problems, []);
  await page.close();

  // Not cancelled: the click is recorded, then the browser goes to the product page.
  const product = await openElement({ 'record-event': 'select' }, {
    search: QUERY,
    setup: (p) => p.route('https://shop.example/**', (route) => route.fulfill({ contentType: 'text/html', body: '<title>product</title>' })),
  });
  const [top] = await cards(product.page);
  await Promise.all([
    product.page.waitForURL(items.get(top.id).url),
    product.page.locator('tailor-recs li .card').first().click(),
  ]);
  await product.page.goBack();
  await product.page.waitForFunction(() => window.recsEvents?.some((e) => e.type === 'tailor-ready'), null, { timeout: LOAD_TIMEOUT });
  const after = await product.page.evaluate(async () => (await document.querySelector('tailor-recs').recommender.history.list())
    .map(({ itemId, event }) => ({ itemId, event })));
  assert.deepEqual(after, [{ itemId: top.id, event: 'select' }], 'recorded before leaving, with the configured event');
  await product.page.close();
});

test('<tailor-recs>: strings in another language, and the columns from a custom property', async () => {
  const { page, problems } = await openElement({}, {});
  const shown = await page.evaluate(async (query) => {
    const host = document.querySelector('tailor-recs');
    host.strings = { search: 'Suchen', placeholder: 'Was suchen Sie?', results: '{count} Ergebnisse.' };
    host.style.setProperty('--tailor-columns', '2');
    await host.search(query);
    const root = host.shadowRoot;
    const grid = getComputedStyle(root.querySelector('ol')).gridTemplateColumns.split(' ').length;
    return {
      button: root.querySelector('button[part=button]').textContent,
      placeholder: root.querySelector('input').placeholder,
      label: root.querySelector('input').getAttribute('aria-label'),
      message: root.querySelector('[part=message]').textContent,
      live: root.querySelector('[part=message]').getAttribute('aria-live'),
      progressName: root.querySelector('progress').getAttribute('aria-label'),
      grid,
    };
  }, QUERY);
  assert.deepEqual(shown, {
    button: 'Suchen',
    placeholder: 'Was suchen Sie?',
    label: 'Was suchen Sie?',
    message: '6 Ergebnisse.',
    live: 'polite',
    progressName: 'Downloading the recommender',
    grid: 2,
  });
  assert.deepEqual(problems, []);
  await page.close();
});

test('<tailor-recs mode="similar">: the items most like one item, never itself, with exclude and category, as natively', async () => {
  const items = catalog();
  const { page, problems } = await openElement({ mode: 'similar', item: 't02' });
  const shown = await cards(page);
  const native = nativeSimilar('t02', 6);
  assert.deepEqual(shown.map((c) => c.id), native.map((r) => r.id));
  for (const [i, card] of shown.entries()) {
    assert.ok(Math.abs(card.score - native[i].score) <= 1e-4, `${card.id}: ${card.score} vs ${native[i].score}`);
  }
  assert.ok(!shown.some((c) => c.id === 't02'), 'not the item itself');
  assert.equal(await page.locator('tailor-recs input').isVisible(), false, 'no search box in this mode');

  // Filters change it in place, and match the native filters.
  await page.evaluate(() => {
    window.recsEvents = [];
    const host = document.querySelector('tailor-recs');
    host.setAttribute('category', 'Shoes');
    host.setAttribute('exclude', 's01, s02');
  });
  await page.waitForFunction(() => window.recsEvents.some((e) => e.type === 'tailor-results'));
  const filtered = await cards(page);
  const nativeFiltered = nativeSimilar('t02', 6, { exclude: ['s01', 's02'], category: 'Shoes' });
  assert.deepEqual(filtered.map((c) => c.id), nativeFiltered.map((r) => r.id));
  assert.deepEqual(filtered.map((c) => c.id).sort(), ['s03', 's04', 's05', 's06'], 'the four shoes left, fewer than k');

  // The API: the same filters on recommend(), and similar() refusing an unknown item.
  const api = await page.evaluate(async (query) => {
    const rec = document.querySelector('tailor-recs').recommender;
    const filteredRecommend = await rec.recommend({ query, k: 5, history: [], exclude: ['t02'], category: 'Tops' });
    let unknown;
    try {
      await rec.similar({ item: 'no-such-item' });
    } catch (error) {
      unknown = { code: error.code, message: error.message };
    }
    return { ids: filteredRecommend.items.map((item) => item.id), unknown };
  }, QUERY);
  const nativeRecommend = JSON.parse(execFileSync(process.env.TAILOR_BIN, ['recommend', '--json', '--bundle', handmadeBundle(),
    '--query', QUERY, '--k', '5', '--exclude', 't02', '--category', 'Tops']))[0].items;
  assert.deepEqual(api.ids, nativeRecommend.map((r) => r.id));
  for (const id of api.ids) assert.ok(items.get(id).category.includes('Tops') && id !== 't02', id);
  assert.equal(api.unknown.code, 'bad_request');
  assert.match(api.unknown.message, /no-such-item/);
  assert.deepEqual(problems, []);
  await page.close();
});

test('<tailor-recs mode="for-you">: picks from the stored history, none before there is one', async () => {
  const { page, problems } = await openPage(session.browser, `${session.server.url}/recs.html?bundle=/handmade/&mode=for-you`);
  await page.waitForFunction(() => document.body.dataset.state === 'tailor-ready', null, { timeout: LOAD_TIMEOUT });
  // With an empty history there is nothing to rank from: a message, and no results.
  const empty = await page.evaluate(async () => {
    const host = document.querySelector('tailor-recs');
    const result = await host.refresh();
    return { result, message: host.shadowRoot.querySelector('[part=message]').textContent };
  });
  assert.deepEqual(empty, { result: null, message: 'Look at a few items to get picks for you here.' });
  const picks = await page.evaluate(async () => {
    const host = document.querySelector('tailor-recs');
    await host.recommender.history.record({ itemId: 's03', event: 'view' });
    await host.recommender.history.record({ itemId: 't03', event: 'view' });
    const result = await host.refresh();
    return { ids: result.items.map((item) => item.id), forYou: result.forYou, cards: host.shadowRoot.querySelectorAll('li').length };
  });
  const native = nativeRanking(handmadeBundle(), '', 8, ['t03', 's03']);
  assert.deepEqual(picks.ids, native.map((r) => r.id));
  assert.equal(picks.cards, picks.ids.length);
  assert.ok(!picks.ids.includes('s03') && !picks.ids.includes('t03'), 'nothing already viewed');
  assert.deepEqual(problems, []);
  await page.close();
});

test('<tailor-recs shop cache="off">: names the history and keeps the bundle out of Cache Storage', async () => {
  const { page, problems } = await openElement({ shop: 'maison lin', cache: 'off' });
  const state = await page.evaluate(() => {
    const rec = document.querySelector('tailor-recs').recommender;
    return { database: rec.history.databaseName, stats: rec.loadStats };
  });
  assert.equal(state.database, 'tailor-history:maison lin');
  assert.equal(state.stats.cache, false);
  assert.equal(state.stats.fetched, state.stats.files);
  const plain = await openElement();
  const defaults = await plain.page.evaluate(() => {
    const rec = document.querySelector('tailor-recs').recommender;
    return { database: rec.history.databaseName, shop: rec.manifest.shop, cache: rec.loadStats.cache };
  });
  assert.equal(defaults.database, `tailor-history:${defaults.shop}`);
  assert.equal(defaults.cache, true);
  assert.deepEqual(problems, []);
  assert.deepEqual(plain.problems, []);
  await plain.page.close();
  await page.close();
});
