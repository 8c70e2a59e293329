// The demo shop (www/) over the real test bundle: requests find the right class, the on-device
// history survives a reload and clears, nothing goes over the network once the bundle is loaded,
// and everything works under the page's strict Content-Security-Policy.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { ROOT, openPage, useBrowser } from './harness.mjs';
import { readItems, outfitsBundle, testBundle } from './bundles.mjs';
import { check, classFocus, describeFocus } from './quality.mjs';
import { LOAD_TIMEOUT, ask, historyPanel, nativeRanking, openShop as openShopIn, storedHistory, waitReady } from './shop.mjs';

// Served as `cargo xtask demo` serves the shop: complete the look from the outfits bundle.
const session = useBrowser('www', () => ({
  '/web': 'web',
  '/bundle': testBundle(),
  '/looks': outfitsBundle(),
  '/pages': 'tests/browser/pages',
}));

const openShop = (query, setup) => openShopIn(session, query, setup);

/** How often a dress must outrank a non-dress for "red summer dress": 0.5 is chance. The test
 * bundle trained with seeds 0 and 1 reaches 0.878 and 0.679 (`cargo xtask seeds`). */
const MIN_CLASS_AUC = 0.6;

const CSP = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data:";

/** Records securitypolicyviolation events (page and its frames) in window.__csp. */
function watchCsp(page) {
  return page.addInitScript(() => {
    window.__csp = [];
    document.addEventListener('securitypolicyviolation', (event) => {
      window.__csp.push(`${event.violatedDirective} blocked ${event.blockedURI} (${event.sourceFile}:${event.lineNumber})`);
    });
  });
}

test('shop: "red summer dress" returns dresses, best first, with their catalog titles', async () => {
  const items = new Map(readItems(testBundle()).map((item) => [item.id, item]));
  const { page, problems } = await openShop();
  const results = await ask(page, 'red summer dress');
  console.log(`  top 5: ${results.slice(0, 5).map((r) => `${r.class} ${r.score}`).join(' | ')}`);
  assert.equal(results.length, 12);
  for (const r of results) {
    assert.equal(r.title, items.get(r.id).title, `result ${r.id} shows its catalog title`);
    assert.ok(Number.isFinite(r.score));
  }
  assert.deepEqual(results.map((r) => r.score), [...results.map((r) => r.score)].sort((a, b) => b - a));
  const meta = await page.locator('#results-meta').innerText();
  assert.match(meta, /cpu backend/);
  assert.match(meta, /\d+(\.\d)? ms/);
  // What the request means: dresses rank above the rest of the catalog far more often than not,
  // and the top 10 holds more of them than a random 10 would (quality.mjs).
  const whole = await page.evaluate(async (query) => {
    const rec = window.tailorShop.rec;
    return (await rec.recommend({ query, k: rec.items.length })).items.map((item) => ({ class: item.class }));
  }, 'red summer dress');
  const focus = classFocus(whole, 'Dresses');
  const request = 'shop "red summer dress"';
  assert.ok(check(`${request}: Dresses in the top 10 vs a random 10`, focus.count, '>', focus.chance),
    describeFocus('Dresses', focus));
  assert.ok(check(`${request}: AUC of Dresses against the rest of the catalog`, focus.auc, '>=', MIN_CLASS_AUC),
    describeFocus('Dresses', focus));
  // And the order is the model's own: the browser ranks exactly as the native `tailor recommend`
  // does on the same bundle (same ids in the same order, scores within 1e-3).
  const native = nativeRanking(testBundle(), 'red summer dress', results.length);
  assert.deepEqual(results.map((r) => r.id), native.map((r) => r.id));
  for (const [i, r] of results.entries()) {
    assert.ok(Math.abs(r.score - native[i].score) <= 1e-3, `score of ${r.id}: wasm ${r.score}, native ${native[i].score}`);
  }
  assert.deepEqual(problems, []);
  await page.close();
});

test('shop: history from catalog clicks survives a reload and clears (and the screenshot)', async () => {
  const items = new Map(readItems(testBundle()).map((item) => [item.id, item]));
  const { page, problems } = await openShop();
  await page.setViewportSize({ width: 1280, height: 900 });

  // Browse: three catalog items, clicked in this order.
  const cards = page.locator('#catalog button.item');
  assert.ok(await cards.count() >= 10, 'the catalog shows items');
  const clicked = [];
  for (const i of [0, 3, 7]) {
    clicked.push(await cards.nth(i).getAttribute('data-id'));
    await cards.nth(i).click();
  }
  await page.waitForFunction(() => document.querySelectorAll('#history li').length === 3);
  const newestFirst = [...clicked].reverse();

  await ask(page, 'red summer dress');
  fs.mkdirSync(path.join(ROOT, 'tests/output'), { recursive: true });
  await page.screenshot({ path: path.join(ROOT, 'tests/output/shop.png'), fullPage: false });

  const expectHistory = async (ids) => {
    assert.deepEqual(await storedHistory(page), ids, 'rec.history.list()');
    const panel = await historyPanel(page);
    assert.deepEqual(panel.map((p) => p.id), ids, 'history panel');
    assert.deepEqual(panel.map((p) => p.title), ids.map((id) => items.get(id).title));
  };
  await expectHistory(newestFirst);

  await page.reload();
  await waitReady(page);
  await expectHistory(newestFirst);

  await page.click('#clear-history');
  await page.waitForFunction(() => document.querySelectorAll('#history li').length === 0);
  await expectHistory([]);
  await page.reload();
  await waitReady(page);
  await expectHistory([]);
  assert.equal(await page.locator('#clear-history').isDisabled(), true);
  assert.deepEqual(problems, []);
  await page.close();
});

test('privacy: once loaded, requests and clicks make zero network requests', async () => {
  const { page, problems } = await openShop();
  const requests = [];
  page.context().on('request', (request) => requests.push(`${request.method()} ${request.url()}`));
  await ask(page, 'red summer dress');
  await page.locator('#catalog button.item').nth(1).click();
  await page.locator('#catalog button.item').nth(2).click();
  await page.locator('#results button.item').first().click();
  await page.waitForFunction(() => document.querySelectorAll('#history li').length === 3);
  await page.selectOption('#class-filter', { index: 1 });
  await ask(page, 'warm wool sweater for winter');
  await page.locator('#query').pressSequentially('soft cotton pyjamas');
  await page.keyboard.press('Enter');
  await page.waitForTimeout(500);
  assert.deepEqual(requests, [], 'network requests after the bundle had loaded');
  assert.deepEqual(problems, []);
  await page.close();
});

test('CSP: the shop runs under its meta policy and under a header policy, with no violations', async () => {
  // The page's own <meta> policy.
  const meta = await openShop('', watchCsp);
  assert.equal(await meta.page.getAttribute('meta[http-equiv="Content-Security-Policy"]', 'content'), CSP);
  await ask(meta.page, 'black jeans');
  await meta.page.locator('#catalog button.item').first().click();
  await meta.page.waitForFunction(() => document.querySelectorAll('#history li').length === 1);
  assert.deepEqual(await meta.page.evaluate(() => window.__csp), []);
  assert.deepEqual(meta.problems, []);
  await meta.page.close();

  // The same policy sent as a header too (the stricter script-src alone, as a shop might).
  const withHeader = (policy) => async (page) => {
    await watchCsp(page);
    await page.route((url) => url.pathname === '/' || url.pathname.endsWith('.html'), async (route) => {
      const response = await route.fetch();
      await route.fulfill({
        response,
        headers: { ...response.headers(), 'content-security-policy': policy },
      });
    });
  };
  const header = await openShop('', withHeader("script-src 'self' 'wasm-unsafe-eval'"));
  const results = await ask(header.page, 'red summer dress');
  assert.equal(results.length, 12);
  assert.deepEqual(await header.page.evaluate(() => window.__csp), []);
  assert.deepEqual(header.problems, []);
  await header.page.close();

  // <tailor-recs> on a plain page served with the full policy as a header: its constructed
  // stylesheet and its worker must not need anything the policy forbids.
  const element = await openPage(session.browser, `${session.server.url}/pages/recs.html`, withHeader(CSP));
  await element.page.waitForFunction(() => document.body.dataset.state !== 'loading', null, { timeout: LOAD_TIMEOUT });
  assert.equal(await element.page.evaluate(() => document.body.dataset.state), 'tailor-ready');
  const host = element.page.locator('tailor-recs');
  await host.locator('input').fill('red summer dress');
  await host.locator('button').click();
  await element.page.waitForFunction(() => document.body.dataset.state === 'tailor-results');
  const shown = await host.locator('li').count();
  assert.equal(shown, 8, 'k="8" results');
  const styled = await element.page.evaluate(() => {
    const root = document.querySelector('tailor-recs').shadowRoot;
    return root.adoptedStyleSheets.length > 0 && getComputedStyle(root.querySelector('ol')).display === 'grid';
  });
  assert.equal(styled, true, 'the element\'s stylesheet applies under style-src \'self\'');
  assert.deepEqual(await element.page.evaluate(() => window.__csp), []);
  assert.deepEqual(element.problems, []);
  await element.page.close();
});

test('similar(): on the test bundle, the items most like an item are mostly of its class', async () => {
  // 120 items of the reviews in 16 or so classes: a random 5 share an item's class about 14 %
  // of the time. The item tower puts items of one class together; the bound leaves room for
  // other seeds (`cargo xtask seeds`).
  const { page, problems } = await openPage(session.browser, `${session.server.url}/pages/index.html`);
  const shares = await page.evaluate(async () => {
    const { Tailor } = await import('/web/tailor.js');
    const rec = await Tailor.load('/bundle/', { backend: 'cpu' });
    const counts = new Map();
    for (const item of rec.items) counts.set(item.class, (counts.get(item.class) ?? 0) + 1);
    let same = 0;
    let chance = 0;
    for (const item of rec.items) {
      const { items } = await rec.similar({ item: item.id, k: 5 });
      same += items.filter((other) => other.class === item.class).length / items.length;
      chance += (counts.get(item.class) - 1) / (rec.items.length - 1);
    }
    rec.close();
    return { same: same / rec.items.length, chance: chance / rec.items.length };
  });
  assert.ok(check('similar(): share of the 5 most similar items in the item\'s class', shares.same, '>=', 0.5),
    `${shares.same} (chance ${shares.chance})`);
  assert.ok(shares.same > 2 * shares.chance, `${shares.same} against chance ${shares.chance}`);
  assert.deepEqual(problems, []);
  await page.close();
});
