// Cache Storage and updates: a second visit downloads only manifest.json, an update downloads
// only the files it changed (under new content-addressed names), and a damaged cached copy is
// fetched again instead of failing the load.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { useBrowser } from './harness.mjs';
import { copyBundle, readItems, readJson } from './bundles.mjs';

const dirs = {};
const session = useBrowser('tests/browser/pages', () => {
  dirs.cached = copyBundle('cached');
  return { '/web': 'web', '/cached': dirs.cached };
});

/** One visit in `context`: loads /cached/, ranks a request, and reports which files under
 * /cached/ were requested from the network (`transfers`). The bytes are the wasm's own count of
 * what it downloaded (`stats.fetchedBytes`): Chromium reports some of the worker's finished
 * reads as aborted, without sizes. */
async function visit(context, options = {}) {
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error}`));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console error: ${message.text()}`);
  });
  // Requests of the worker are reported on their own channel, so they may arrive after the
  // page's answer: wait until every request seen has finished and none has started for a while.
  const started = new Set();
  const transfers = [];
  const under = (request) => new URL(request.url()).pathname.startsWith('/cached/');
  const onRequest = (request) => { if (under(request)) started.add(request); };
  const onFinished = async (request) => {
    if (!under(request)) return;
    const sizes = await request.sizes();
    transfers.push({ path: new URL(request.url()).pathname, bytes: sizes.responseBodySize + sizes.responseHeadersSize });
  };
  const onFailed = (request) => {
    if (under(request)) transfers.push({ path: new URL(request.url()).pathname, bytes: 0, failed: request.failure()?.errorText ?? true });
  };
  context.on('request', onRequest);
  context.on('requestfinished', onFinished);
  context.on('requestfailed', onFailed);
  await page.goto(`${session.server.url}/`);
  const result = await page.evaluate(async (options) => {
    const { Tailor } = await import('/web/tailor.js');
    const rec = await Tailor.load('/cached/', { backend: 'cpu', ...options });
    const ranked = await rec.recommend({ query: 'summer dress', k: 5, history: [] });
    const out = {
      stats: rec.loadStats,
      ids: ranked.items.map((item) => item.id),
      titles: Object.fromEntries(rec.items.map((item) => [item.id, item.title])),
    };
    rec.close();
    return out;
  }, options);
  for (let quiet = 0, seen = -1; quiet < 3;) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    const now = started.size + transfers.length;
    quiet = now === seen && transfers.length === started.size ? quiet + 1 : 0;
    seen = now;
  }
  context.off('request', onRequest);
  context.off('requestfinished', onFinished);
  context.off('requestfailed', onFailed);
  const cacheKeys = await page.evaluate(async () =>
    (await (await caches.open('tailor-bundle-files')).keys()).map((request) => new URL(request.url).pathname));
  await page.close();
  return { ...result, transfers: [...started].map((request) => ({ path: new URL(request.url()).pathname })), cacheKeys, problems };
}

const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');

test('a second visit downloads only manifest.json; an update only what it changed', async () => {
  const manifest = readJson(dirs.cached, 'manifest.json');
  const listed = manifest.files.map((f) => `/cached/${f.path}`).sort();
  const context = await session.browser.newContext();

  const first = await visit(context);
  assert.deepEqual(first.problems, []);
  assert.equal(first.stats.cache, true, 'Cache Storage is available on localhost');
  assert.equal(first.stats.fetched, manifest.files.length);
  assert.equal(first.stats.cached, 0);
  assert.deepEqual(first.transfers.map((t) => t.path).sort(), ['/cached/manifest.json', ...listed].sort());
  assert.deepEqual(first.cacheKeys.sort(), listed, 'every listed file is kept, the manifest is not');

  const second = await visit(context);
  const manifestBytes = fs.statSync(path.join(dirs.cached, 'manifest.json')).size;
  console.log(`  first visit: ${first.stats.fetchedBytes.toLocaleString('en-US')} B of bundle over the network; ` +
    `second: ${second.stats.fetchedBytes.toLocaleString('en-US')} B (manifest.json is ${manifestBytes.toLocaleString('en-US')} B)`);
  assert.deepEqual(second.problems, []);
  assert.deepEqual(second.transfers.map((t) => t.path), ['/cached/manifest.json'], 'only the manifest comes over the network');
  assert.equal(second.stats.fetchedBytes, manifestBytes, 'the manifest is all that is downloaded');
  assert.ok(manifestBytes < 8_000, `manifest.json is ${manifestBytes} B, more than a few KB`);
  const bundleBytes = manifest.files.reduce((sum, f) => sum + f.size, 0) + manifestBytes;
  assert.equal(first.stats.fetchedBytes, bundleBytes, 'the first visit downloads every file once');
  assert.equal(second.stats.cached, manifest.files.length);
  assert.equal(second.stats.fetched, 0);
  assert.deepEqual(second.ids, first.ids, 'the cached bundle ranks exactly as the downloaded one');

  // An update that changes one title: a new items.json under a new name, as an export writes it.
  const catalog = readItems(dirs.cached);
  const changed = first.ids[0];
  catalog.find((item) => item.id === changed).title = 'A new title after the update';
  const bytes = Buffer.from(JSON.stringify(catalog));
  const entry = manifest.files.find((f) => f.name === 'items.json');
  const oldPath = entry.path;
  entry.sha256 = sha256(bytes);
  entry.size = bytes.length;
  entry.path = `items.${entry.sha256.slice(0, 16)}.json`;
  fs.writeFileSync(path.join(dirs.cached, entry.path), bytes);
  fs.writeFileSync(path.join(dirs.cached, 'manifest.json'), JSON.stringify(manifest, null, 2));

  const third = await visit(context);
  assert.deepEqual(third.problems, []);
  assert.deepEqual(third.transfers.map((t) => t.path).sort(), ['/cached/manifest.json', `/cached/${entry.path}`].sort());
  assert.equal(third.stats.fetched, 1);
  assert.equal(third.stats.cached, manifest.files.length - 1);
  assert.equal(third.titles[changed], 'A new title after the update', 'the update shows, never a stale copy');
  assert.ok(third.cacheKeys.includes(`/cached/${entry.path}`));
  assert.ok(!third.cacheKeys.includes(`/cached/${oldPath}`), 'the replaced file leaves the cache');

  // A cached copy that no longer matches the manifest is fetched again, not trusted.
  const page = await context.newPage();
  await page.goto(`${session.server.url}/`);
  await page.evaluate(async (url) => {
    const cache = await caches.open('tailor-bundle-files');
    await cache.put(new URL(url, location.href).href, new Response('not the file'));
  }, `/cached/${entry.path}`);
  await page.close();
  const fourth = await visit(context);
  assert.deepEqual(fourth.problems, []);
  assert.equal(fourth.stats.fetched, 1, 'the damaged copy is downloaded again');
  assert.equal(fourth.titles[changed], 'A new title after the update');

  // `cache: false` leaves Cache Storage alone and downloads everything.
  const uncached = await visit(context, { cache: false });
  assert.equal(uncached.stats.cache, false);
  assert.equal(uncached.stats.fetched, manifest.files.length);
  assert.deepEqual(uncached.ids, first.ids);
  await context.close();
});
