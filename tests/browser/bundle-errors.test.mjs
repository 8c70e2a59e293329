// Damaged, missing and hostile bundles, in the shop and in <tailor-recs>: each problem is named in
// plain words on the page, with no stack trace, and catalog text is only ever text.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { openPage, useBrowser } from './harness.mjs';
import { STACK_TRACE, bundleFile, copyBundle, outfitsBundle, readItems, readJson, rewriteVerified, tempDir } from './bundles.mjs';

const LOAD_TIMEOUT = 90_000;
const dirs = {};

const session = useBrowser('www', () => {
  // (a) one flipped byte in the query tower's weights
  dirs.flip = copyBundle('flip');
  const weights = bundleFile(dirs.flip, 'query_tower.safetensors');
  const bytes = fs.readFileSync(weights);
  bytes[Math.floor(bytes.length / 2)] ^= 0xff;
  fs.writeFileSync(weights, bytes);
  // (b) item embeddings cut in half
  dirs.trunc = copyBundle('trunc');
  const embeddings = bundleFile(dirs.trunc, 'item_embeddings.bin');
  fs.truncateSync(embeddings, Math.floor(fs.statSync(embeddings).size / 2));
  // (c) a format version from the future
  dirs.version = copyBundle('version');
  const manifest = readJson(dirs.version, 'manifest.json');
  manifest.format_version = 99;
  fs.writeFileSync(path.join(dirs.version, 'manifest.json'), JSON.stringify(manifest, null, 2));
  // (d) no bundle at all
  dirs.empty = tempDir('empty');
  // (e) a manifest that is not JSON
  dirs.garbled = copyBundle('garbled');
  fs.writeFileSync(path.join(dirs.garbled, 'manifest.json'), '{"format_version": 1, "files": [');
  // hostile titles (written by the test once it knows which items to change)
  dirs.hostile = copyBundle('hostile');
  // a bundle whose files and manifest are rewritten together (sizes and hashes matching)
  dirs.rewritten = copyBundle('rewritten');
  dirs.pinned = integrity(fs.readFileSync(path.join(dirs.rewritten, 'manifest.json')));
  const catalog = readItems(dirs.rewritten);
  catalog[0].title = 'Rewritten by whoever can write to the host';
  rewriteVerified(dirs.rewritten, 'items.json', Buffer.from(JSON.stringify(catalog)));
  return {
    '/web': 'web',
    '/pages': 'tests/browser/pages',
    '/looks': outfitsBundle(),
    ...Object.fromEntries(Object.entries(dirs).filter(([name]) => name !== 'pinned').map(([name, dir]) => [`/${name}`, dir])),
  };
});

/** Subresource Integrity of a file's bytes, as `tailor export` prints it for the manifest. */
function integrity(bytes) {
  return `sha256-${createHash('sha256').update(bytes).digest('base64')}`;
}

const CASES = [
  { name: 'flipped byte in query_tower.safetensors', dir: 'flip', code: 'damaged', expect: [/damaged/i, /query_tower\.safetensors/] },
  { name: 'truncated item_embeddings.bin', dir: 'trunc', code: 'damaged', expect: [/damaged/i, /item_embeddings\.bin/] },
  { name: 'format_version 99', dir: 'version', code: 'unknown_version', expect: [/format version/i, /\b99\b/] },
  { name: 'no bundle (404)', dir: 'empty', code: 'missing', expect: [/not found/i, /manifest\.json/] },
  { name: 'manifest.json is not JSON', dir: 'garbled', code: 'bad_manifest', expect: [/manifest\.json/, /invalid|not valid/i] },
];

/** Uncaught errors and console errors only: the 404s of the missing bundle are expected. */
const realProblems = (problems) => problems.filter((p) => !p.startsWith('HTTP 404'));

function checkMessage(text, expect, where) {
  for (const pattern of expect) assert.match(text, pattern, `${where}: ${JSON.stringify(text)}`);
  assert.doesNotMatch(text, STACK_TRACE, `${where} shows a stack trace: ${JSON.stringify(text)}`);
}

for (const { name, dir, code, expect } of CASES) {
  test(`bundle problem is named without a stack trace: ${name}`, async () => {
    // The shop.
    const shop = await openPage(session.browser, `${session.server.url}/?bundle=/${dir}/`);
    await shop.page.waitForFunction(() => document.body.dataset.state !== 'loading', null, { timeout: LOAD_TIMEOUT });
    assert.equal(await shop.page.evaluate(() => document.body.dataset.state), 'error');
    assert.equal(await shop.page.evaluate(() => window.tailorShop.error.code), code);
    const shopMessage = await shop.page.locator('#error').innerText();
    checkMessage(shopMessage, expect, 'shop message');
    checkMessage(await shop.page.locator('body').innerText(), [], 'shop page');
    console.log(`  shop: ${shopMessage.replace(/\n/g, ' | ')}`);
    assert.deepEqual(realProblems(shop.problems), []);
    await shop.page.close();

    // <tailor-recs>.
    const element = await openPage(session.browser, `${session.server.url}/pages/recs.html?bundle=/${dir}/`);
    await element.page.waitForFunction(() => document.body.dataset.state !== 'loading', null, { timeout: LOAD_TIMEOUT });
    const state = await element.page.evaluate(() => ({
      state: document.body.dataset.state,
      event: window.recsEvents.at(-1)?.detail,
      message: document.querySelector('tailor-recs').shadowRoot.querySelector('.message').textContent,
      text: document.querySelector('tailor-recs').shadowRoot.textContent,
    }));
    assert.equal(state.state, 'tailor-error');
    assert.equal(state.event.code, code);
    checkMessage(state.message, expect, 'element message');
    checkMessage(state.text, [], 'element text');
    assert.deepEqual(realProblems(element.problems), []);
    await element.page.close();
  });
}

const IMG = '<img src=x onerror="window.__pwned=1">';
const SCRIPT = '<script>window.__pwned=2</script>';

/** The shop without its CSP meta, so that an injection would run if the page allowed one. */
const withoutCsp = (page) => page.route((url) => url.pathname === '/', async (route) => {
  const response = await route.fetch();
  const body = (await response.text()).replace(/<meta http-equiv="Content-Security-Policy"[^>]*>/, '');
  await route.fulfill({ response, body });
});

async function shopSearch(page, query) {
  await page.waitForFunction(() => document.body.dataset.state !== 'loading', null, { timeout: LOAD_TIMEOUT });
  assert.equal(await page.evaluate(() => document.body.dataset.state), 'ready');
  await page.fill('#query', query);
  await page.click('#ask-button');
  await page.waitForFunction(() => document.body.dataset.results !== undefined);
  return page.$$eval('#results button.item', (buttons) => buttons.map((b) => b.dataset.id));
}

test('hostile item titles render as text in the shop and in <tailor-recs>', async () => {
  const query = 'red summer dress';
  const url = `${session.server.url}/?bundle=/hostile/`;
  // Which items this bundle ranks first: their titles become the payloads.
  const first = await openPage(session.browser, url, withoutCsp);
  const top = await shopSearch(first.page, query);
  await first.page.close();

  const items = readItems(dirs.hostile);
  const at = (id) => items.findIndex((item) => item.id === id);
  items[at(top[0])].title = IMG;
  items[at(top[1])].title = SCRIPT;
  items[0].title = IMG; // first in the catalog grid
  rewriteVerified(dirs.hostile, 'items.json', Buffer.from(JSON.stringify(items)));

  const { page, problems } = await openPage(session.browser, url, withoutCsp);
  assert.equal(await page.locator('meta[http-equiv="Content-Security-Policy"]').count(), 0);
  const again = await shopSearch(page, query);
  assert.deepEqual(again.slice(0, 2), top.slice(0, 2));
  const results = await page.$$eval('#results .title', (nodes) => nodes.map((n) => n.textContent));
  assert.equal(results[0], IMG);
  assert.equal(results[1], SCRIPT);
  // Viewing the item titled with the <img> payload re-ranks the request; with a personalizing
  // bundle every result now says "because you viewed <img ...>", as text too.
  await page.locator('#catalog button.item').first().click();
  await page.waitForFunction(() => document.querySelectorAll('#history li').length === 1);
  await page.evaluate(() => window.tailorShop.idle());
  const shown = await page.evaluate(() => ({
    pwned: window.__pwned,
    images: document.querySelectorAll('img').length,
    scripts: document.querySelectorAll('#results script, #catalog script, #history script').length,
    results: document.querySelectorAll('#results button.item').length,
    reasons: [...document.querySelectorAll('#results .because .reason')].map((n) => n.textContent),
    catalog: document.querySelector('#catalog .title').textContent,
    history: document.querySelector('#history .title').textContent,
  }));
  assert.equal(shown.pwned, undefined);
  assert.equal(shown.images, 0, 'no <img> element in the page');
  assert.equal(shown.scripts, 0);
  const personalizes = readJson(dirs.hostile, 'manifest.json').personalization != null;
  assert.equal(shown.reasons.length, personalizes ? shown.results : 0, 'one reason per result');
  for (const reason of shown.reasons) assert.equal(reason, IMG);
  assert.equal(shown.catalog, IMG);
  assert.equal(shown.history, IMG);
  assert.ok((await page.locator('#results').innerText()).includes(IMG), 'the title shows literally');
  assert.deepEqual(problems, []);
  await page.close();

  const element = await openPage(session.browser, `${session.server.url}/pages/recs.html?bundle=/hostile/`);
  await element.page.waitForFunction(() => document.body.dataset.state === 'tailor-ready', null, { timeout: LOAD_TIMEOUT });
  const host = element.page.locator('tailor-recs');
  await host.locator('input').fill(query);
  await host.locator('button').click();
  await element.page.waitForFunction(() => document.body.dataset.state === 'tailor-results');
  const inElement = await element.page.evaluate(() => {
    const root = document.querySelector('tailor-recs').shadowRoot;
    return {
      pwned: window.__pwned,
      images: root.querySelectorAll('img').length + document.querySelectorAll('img').length,
      titles: [...root.querySelectorAll('.title')].map((n) => n.textContent),
    };
  });
  assert.equal(inElement.pwned, undefined);
  assert.equal(inElement.images, 0);
  assert.deepEqual(inElement.titles.slice(0, 2), [IMG, SCRIPT]);
  // With that item in the history, each result's "because you viewed" line is text as well.
  const explained = await element.page.evaluate(async ({ id, query }) => {
    const host = document.querySelector('tailor-recs');
    await host.recommender.history.record({ itemId: id });
    const result = await host.search(query);
    const root = host.shadowRoot;
    return {
      pwned: window.__pwned,
      images: root.querySelectorAll('img').length + document.querySelectorAll('img').length,
      personalized: result.personalized,
      results: result.items.length,
      because: [...root.querySelectorAll('.because')].map((n) => n.textContent),
    };
  }, { id: items[0].id, query });
  assert.equal(explained.pwned, undefined);
  assert.equal(explained.images, 0);
  assert.equal(explained.because.length, explained.personalized ? explained.results : 0);
  for (const line of explained.because) assert.equal(line, `because you viewed ${IMG}`);
  assert.deepEqual(element.problems, []);
  await element.page.close();
});

test('a manifest pinned with `integrity` refuses one rewritten together with its files', async () => {
  const { page, problems } = await openPage(session.browser, `${session.server.url}/pages/index.html`);
  const outcome = await page.evaluate(async ({ pinned, now }) => {
    const { Tailor } = await import('/web/tailor.js');
    const attempt = async (integrity) => {
      try {
        const rec = await Tailor.load('/rewritten/', { backend: 'cpu', integrity });
        const title = rec.items[0].title;
        rec.close();
        return { ok: true, title };
      } catch (error) {
        return { ok: false, code: error.code, message: error.message };
      }
    };
    return { pinned: await attempt(pinned), current: await attempt(now), malformed: await attempt('md5-abc') };
  }, { pinned: dirs.pinned, now: integrity(fs.readFileSync(path.join(dirs.rewritten, 'manifest.json'))) });
  // Sizes and hashes match, so only the pin tells: the old manifest's digest is refused by name.
  assert.equal(outcome.pinned.ok, false);
  assert.equal(outcome.pinned.code, 'integrity');
  assert.ok(outcome.pinned.message.includes(dirs.pinned), outcome.pinned.message);
  assert.doesNotMatch(outcome.pinned.message, STACK_TRACE);
  // The shop's own, current pin loads it, and a malformed pin is the page's mistake.
  assert.deepEqual(outcome.current, { ok: true, title: 'Rewritten by whoever can write to the host' });
  assert.equal(outcome.malformed.code, 'bad_request');
  assert.deepEqual(realProblems(problems), []);
  await page.close();
});
