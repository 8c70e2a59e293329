// rec.history: IndexedDB on the device, one database per shop (so that it survives bundle
// updates), capped, unknown ids skipped, ids an update dropped removed with a warning, and an
// in-memory fallback (with one warning) whenever storage is unavailable or damaged.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { openPage, useBrowser } from './harness.mjs';
import { copyBundle, readItems, readJson, rewriteVerified, testBundle } from './bundles.mjs';

const session = useBrowser('tests/browser/pages', () => {
  // The same model under another shop's name: a second shop on the same origin.
  const other = copyBundle('other-shop');
  const manifest = readJson(other, 'manifest.json');
  manifest.shop = 'another-shop';
  fs.writeFileSync(path.join(other, 'manifest.json'), JSON.stringify(manifest, null, 2));
  // The same shop's next bundle, under a versioned URL, whose catalog no longer has item 2.
  const update = copyBundle('update');
  const catalog = readItems(update);
  catalog[2].id = `${catalog[2].id}-discontinued-and-replaced`;
  rewriteVerified(update, 'items.json', Buffer.from(JSON.stringify(catalog)));
  return {
    '/web': 'web',
    '/bundle': testBundle(),
    '/other-bundle': other,
    '/v2/bundle': update,
  };
});

const FALLBACK_WARNING = /history storage is unavailable/;

/** A page with `window.rec` = Tailor.load(bundle, options); warnings collected in `warnings`. */
async function openWithTailor({ bundle = '/bundle/', options = {}, setup } = {}) {
  const opened = await openPage(session.browser, `${session.server.url}/`, setup);
  opened.warnings = [];
  opened.page.on('console', (message) => {
    if (message.type() === 'warning') opened.warnings.push(message.text());
  });
  await loadTailor(opened.page, bundle, options);
  return opened;
}

function loadTailor(page, bundle = '/bundle/', options = {}) {
  return page.evaluate(async ({ bundle, options }) => {
    const { Tailor } = await import('/web/tailor.js');
    window.rec = await Tailor.load(bundle, { backend: 'cpu', ...options });
    return window.rec.items.length;
  }, { bundle, options });
}

const list = (page) => page.evaluate(async () => window.rec.history.list());
const ids = async (page) => (await list(page)).map((entry) => entry.itemId);
const record = (page, entries) => page.evaluate(async (entries) => {
  const out = [];
  for (const entry of entries) out.push(await window.rec.history.record(entry));
  return out;
}, entries);

const items = () => readItems(testBundle());

test('history is capped at historyLimit, newest kept, and persists across a reload', async () => {
  const catalog = items();
  const picked = [0, 5, 10, 15, 20].map((i) => catalog[i % catalog.length].id);
  const { page, problems, warnings } = await openWithTailor({ options: { historyLimit: 3 } });
  // Explicit times, out of insertion order for the last one: "oldest" means by time.
  const t0 = 1_700_000_000_000;
  const recorded = await record(page, picked.map((itemId, i) => ({ itemId, event: 'view', time: t0 + i * 1000 })));
  assert.deepEqual(recorded, [true, true, true, true, true]);
  const stored = await list(page);
  assert.deepEqual(stored.map((e) => e.itemId), [picked[4], picked[3], picked[2]]);
  assert.deepEqual(stored[0], { itemId: picked[4], event: 'view', time: t0 + 4000 });

  // An event older than everything kept is itself the one dropped.
  assert.deepEqual(await record(page, [{ itemId: picked[0], event: 'click', time: t0 - 1 }]), [true]);
  assert.deepEqual(await ids(page), [picked[4], picked[3], picked[2]]);

  await page.reload();
  await loadTailor(page, '/bundle/', { historyLimit: 3 });
  assert.deepEqual(await ids(page), [picked[4], picked[3], picked[2]]);
  // recommend() without `history` uses the stored one.
  const result = await page.evaluate(() => window.rec.recommend({ query: 'summer dress', k: 5 }));
  assert.equal(result.items.length, 5);
  assert.deepEqual(result.unknownHistory, []);
  await page.evaluate(() => window.rec.history.clear());
  assert.deepEqual(await ids(page), []);
  assert.deepEqual(warnings, []);
  assert.deepEqual(problems, []);
  await page.close();
});

test('an unknown item id is skipped with a warning; each shop has its own history, which survives an update', async () => {
  const catalog = items();
  const { page, problems, warnings } = await openWithTailor();
  assert.deepEqual(await record(page, [{ itemId: 'no-such-item-xyz' }]), [false]);
  assert.equal(warnings.filter((w) => /no-such-item-xyz/.test(w)).length, 1, warnings.join('\n'));
  assert.deepEqual(await ids(page), []);
  assert.deepEqual(await record(page, [{ itemId: catalog[1].id }]), [true]);
  const stored = await list(page);
  assert.equal(stored.length, 1);
  assert.equal(stored[0].event, 'view', 'event defaults to "view"');
  assert.ok(Math.abs(stored[0].time - Date.now()) < 60_000, 'time defaults to now');
  // An explicit history with an unknown id: the wasm side skips and reports it.
  const result = await page.evaluate((id) =>
    window.rec.recommend({ query: 'jeans', k: 3, history: ['no-such-item-xyz', id] }), catalog[2].id);
  assert.deepEqual(result.unknownHistory, ['no-such-item-xyz']);
  const shop = readJson(testBundle(), 'manifest.json').shop;
  assert.ok(shop, 'the test bundle names its shop');
  assert.equal(await page.evaluate(() => window.rec.history.databaseName), `tailor-history:${shop}`);

  const other = await page.evaluate(async () => {
    const { Tailor } = await import('/web/tailor.js');
    const second = await Tailor.load('/other-bundle', { backend: 'cpu' });
    const before = await second.history.list();
    const names = [window.rec.history.databaseName, second.history.databaseName];
    second.close();
    const named = await Tailor.load('/bundle/', { backend: 'cpu', shop: 'chosen by the page' });
    names.push(named.history.databaseName);
    named.close();
    return { before, names };
  });
  assert.deepEqual(other.before, [], 'another shop starts with an empty history');
  assert.deepEqual(other.names.slice(1), ['tailor-history:another-shop', 'tailor-history:chosen by the page']);
  assert.deepEqual(await ids(page), [catalog[1].id], 'the first shop keeps its own');

  // The shop's update, at a new URL: the history carries over, less what the catalog dropped.
  assert.deepEqual(await record(page, [{ itemId: catalog[2].id }]), [true]);
  await page.evaluate(() => window.rec.close());
  await loadTailor(page, '/v2/bundle/');
  assert.equal(await page.evaluate(() => window.rec.history.databaseName), `tailor-history:${shop}`);
  assert.deepEqual(await ids(page), [catalog[1].id], 'the update keeps the history, less the dropped item');
  const dropped = warnings.filter((w) => /dropped 1 history entry/.test(w));
  assert.equal(dropped.length, 1, warnings.join('\n'));
  assert.match(dropped[0], new RegExp(catalog[2].id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
  await page.evaluate(() => window.rec.history.clear());
  assert.equal(warnings.filter((w) => FALLBACK_WARNING.test(w)).length, 0);
  assert.deepEqual(problems, []);
  await page.close();
});

// Ways storage can fail; each must fall back to memory with exactly one warning.
const BROKEN_STORAGE = {
  'indexedDB deleted': () => { delete window.indexedDB; },
  'indexedDB undefined': () => { Object.defineProperty(window, 'indexedDB', { value: undefined }); },
  'open() throws': () => {
    IDBFactory.prototype.open = () => { throw new DOMException('storage disabled', 'SecurityError'); };
  },
  'open() fails': () => {
    IDBFactory.prototype.open = function open() {
      const request = {};
      setTimeout(() => {
        request.error = new DOMException('quota', 'UnknownError');
        request.onerror?.({ target: request });
      }, 0);
      return request;
    };
  },
  'transactions throw': () => {
    IDBDatabase.prototype.transaction = () => { throw new DOMException('gone', 'InvalidStateError'); };
  },
};

for (const [name, breakIt] of Object.entries(BROKEN_STORAGE)) {
  test(`history falls back to memory when storage is broken: ${name}`, async () => {
    const catalog = items();
    const { page, problems, warnings } = await openWithTailor({
      setup: (p) => p.addInitScript(breakIt),
    });
    assert.deepEqual(await record(page, [{ itemId: catalog[3].id }, { itemId: catalog[4].id }]), [true, true]);
    assert.deepEqual(await ids(page), [catalog[4].id, catalog[3].id]);
    assert.equal(await page.evaluate(() => window.rec.history.persistent), false);
    const result = await page.evaluate(() => window.rec.recommend({ query: 'cardigan', k: 4 }));
    assert.equal(result.items.length, 4);
    await page.evaluate(() => window.rec.history.clear());
    assert.deepEqual(await ids(page), []);
    assert.equal(warnings.filter((w) => FALLBACK_WARNING.test(w)).length, 1, warnings.join('\n'));
    assert.deepEqual(problems, []);
    await page.close();
  });
}

test('history falls back to memory when stored records have the wrong shape', async () => {
  const catalog = items();
  const { page, problems, warnings } = await openWithTailor();
  // Damage the store behind the library's back, then load a second recommender over it.
  await page.evaluate(async () => {
    window.rec.close();
    const name = window.rec.history.databaseName;
    await new Promise((resolve, reject) => {
      const open = indexedDB.open(name, 1);
      open.onerror = () => reject(open.error);
      open.onsuccess = () => {
        const db = open.result;
        const tx = db.transaction('events', 'readwrite');
        tx.objectStore('events').add({ itemId: 42, when: 'yesterday' });
        tx.objectStore('events').add('not even an object');
        tx.oncomplete = () => { db.close(); resolve(); };
        tx.onerror = () => reject(tx.error);
      };
    });
  });
  await loadTailor(page);
  assert.deepEqual(await ids(page), []);
  assert.equal(await page.evaluate(() => window.rec.history.persistent), false);
  assert.deepEqual(await record(page, [{ itemId: catalog[5].id }]), [true]);
  assert.deepEqual(await ids(page), [catalog[5].id]);
  assert.equal(warnings.filter((w) => FALLBACK_WARNING.test(w)).length, 1, warnings.join('\n'));
  assert.deepEqual(problems, []);
  await page.close();
});
