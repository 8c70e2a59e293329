// The hand-made example shop (tests/fixtures/shop) in the demo shop page: its bundle, trained by
// `cargo xtask test` through `tailor train --shop`, ranks requests in the browser as natively,
// shows product cards with the shop's pictures, prices and links, and completes looks from the
// shop's own outfits over its own items (one catalog for both).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { useBrowser } from './harness.mjs';
import { handmadeBundle, readItems, readJson } from './bundles.mjs';
import { ask, nativeRanking, openShop as openShopIn, shopIdle } from './shop.mjs';

const session = useBrowser('www', () => ({ '/web': 'web', '/handmade': handmadeBundle() }));
const openShop = () => openShopIn(session, '?bundle=/handmade/');

test('the hand-made shop: results are product cards with the shop\'s pictures, prices and links, ranked as natively', async () => {
  const items = new Map(readItems(handmadeBundle()).map((item) => [item.id, item]));
  const { page, problems } = await openShop();
  const results = await ask(page, 'breton striped top');
  const native = nativeRanking(handmadeBundle(), 'breton striped top', results.length);
  assert.deepEqual(results.map((r) => r.id), native.map((r) => r.id));
  assert.ok(results.slice(0, 3).some((r) => r.id === 't02'), `t02 in the top 3: ${results.map((r) => r.id)}`);

  // Every card names its picture beside the bundle (fetched here: served, and a PNG), prices
  // show with their currency, links lead to the product pages. Whether Chromium finished
  // drawing each picture is not waited for: under `tailor serve` one picture request in a few
  // runs never completes, a fault of the local server still open.
  const cards = await page.$$eval('#results > li', (lis) => lis.map((li) => {
    const img = li.querySelector('img.picture');
    return {
      id: li.querySelector('button.item').dataset.id,
      picture: img ? { src: img.src } : null,
      price: li.querySelector('.price')?.textContent ?? null,
      link: li.querySelector('a.product-link')?.href ?? null,
    };
  }));
  assert.equal(cards.length, results.length);
  for (const card of cards) {
    const item = items.get(card.id);
    assert.ok(card.picture, `${card.id} shows a picture`);
    assert.ok(card.picture.src.endsWith(`/handmade/${item.image}`), `${card.id}: ${card.picture.src}`);
    const served = await fetch(card.picture.src);
    assert.equal(served.status, 200, card.picture.src);
    const bytes = new Uint8Array(await served.arrayBuffer());
    assert.deepEqual([...bytes.slice(0, 4)], [0x89, 0x50, 0x4e, 0x47], `${card.id}: a PNG`);
    assert.ok(card.price.includes(item.price.toFixed(2)), `${card.id}: price ${card.price} for ${item.price}`);
    assert.ok(/€|EUR/.test(card.price), `${card.id}: the currency shows: ${card.price}`);
    assert.equal(card.link, item.url);
  }
  assert.deepEqual(problems, []);
});

test('the hand-made shop completes a look from its own outfits over the same items it ranks', async () => {
  const bundle = handmadeBundle();
  const catalog = new Set(readItems(bundle).map((item) => item.id));
  const manifest = readJson(bundle, 'manifest.json');
  assert.equal(manifest.outfits.synthetic, false);
  const { page, problems } = await openShop();
  const look = await page.evaluate(async () => {
    const rec = window.tailorShop.rec;
    await rec.history.clear();
    return {
      outfitItems: rec.outfitItems.map((item) => item.id),
      ...(await rec.completeOutfit({ anchor: 't01', k: 3, history: [] })),
    };
  });
  assert.ok(look.outfitItems.length > 0);
  for (const id of look.outfitItems) assert.ok(catalog.has(id), `outfit item ${id} is a catalog item`);
  assert.equal(look.synthetic, false);
  assert.equal(look.outfits.length, 3);
  const native = JSON.parse(execFileSync(process.env.TAILOR_BIN,
    ['complete', '--json', '--bundle', bundle, '--anchor', 't01', '--k', '3']));
  assert.deepEqual(look.outfits.map((o) => o.items.map((i) => i.id)),
    native.outfits.map((o) => o.items.map((i) => i.id)));
  for (const outfit of look.outfits) {
    const ids = outfit.items.map((item) => item.id);
    assert.ok(ids.includes('t01'), ids.join(' + '));
    assert.equal(new Set(outfit.items.map((item) => item.slot)).size, ids.length, 'one item per slot');
  }
  // The lookbook shows the shop's own product photos (not grey thumbnails), each one served.
  const cards = new Map(readItems(bundle).map((item) => [item.id, item]));
  const shown = await page.$$eval('#lookbook button.look-item', (buttons) => buttons.map((b) => ({
    id: b.dataset.id,
    src: b.querySelector('img.picture')?.getAttribute('src') ?? null,
    alt: b.querySelector('img.picture')?.alt,
    canvases: b.querySelectorAll('canvas').length,
  })));
  assert.ok(shown.length > 0, 'the lookbook shows items');
  for (const card of shown) {
    const item = cards.get(card.id);
    assert.ok(card.src && card.src.endsWith(item.image), `${card.id}: photo ${card.src}, card image ${item.image}`);
    assert.equal(card.alt, item.title);
    assert.equal(card.canvases, 0);
    const served = await fetch(new URL(card.src, session.server.url + '/handmade/'));
    assert.equal(served.status, 200, `${card.src} is served`);
  }
  assert.deepEqual(problems, []);
});

test('the hand-made shop: "for you" (an empty request) ranks from the history with the bundle\'s own head, as natively, never offering what was viewed', async () => {
  const bundle = handmadeBundle();
  assert.ok(readJson(bundle, 'manifest.json').for_you, 'the bundle has a for-you head');
  const { page, problems } = await openShop();
  const rank = (query, history) => page.evaluate(
    ({ query, history }) => window.tailorShop.rec.recommend({ query, k: 10, history }),
    { query, history });
  const history = ['t02', 't05', 't01'];
  const forYou = await rank('', history);
  assert.equal(forYou.forYou, true);
  assert.equal(forYou.historyUsed, history.length);
  const ids = forYou.items.map((item) => item.id);
  assert.equal(ids.length, 10);
  for (const id of history) assert.ok(!ids.includes(id), `${id} was viewed: ${ids}`);
  const native = nativeRanking(bundle, '', 10, history);
  assert.deepEqual(ids, native.map((item) => item.id));
  forYou.items.forEach((item, i) =>
    assert.ok(Math.abs(item.score - native[i].score) < 1e-4, `${item.id}: ${item.score} vs ${native[i].score}`));
  for (const item of forYou.items) {
    for (const reason of item.because) assert.ok(history.includes(reason.id), `${reason.id} explains ${item.id}`);
  }
  // Another history, another list; a typed request with the same history is the text model's.
  const other = await rank('', ['s01', 's02', 'b03']);
  assert.notDeepEqual(other.items.map((item) => item.id), ids);
  const typed = await rank('breton striped top', history);
  assert.equal(typed.forYou, false);

  // In the page: an empty request box with a history shows the picks for you, as natively.
  await page.evaluate(async (history) => {
    const rec = window.tailorShop.rec;
    await rec.history.clear();
    for (const itemId of [...history].reverse()) await rec.history.record({ itemId, event: 'view' });
  }, history);
  await page.fill('#query', '');
  await page.click('#ask-button');
  await shopIdle(page);
  const shown = await page.$$eval('#results > li > button.item', (buttons) => buttons.map((b) => b.dataset.id));
  assert.deepEqual(shown, nativeRanking(bundle, '', 12, history).map((item) => item.id));
  assert.match(await page.locator('#results-meta').innerText(), /picks for you from your history/);
  assert.deepEqual(problems, []);
});
