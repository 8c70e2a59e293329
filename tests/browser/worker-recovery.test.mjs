// The worker never stays broken: a real trap inside the wasm makes the page start a fresh worker,
// a call that never finishes times out with a named error and gets the same treatment, and a
// load that never finishes times out too. The trap and the hang come from a copy of the CPU
// build's glue that this test alone serves: the shipped module has no way to trap on request.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { ROOT, openPage, useBrowser } from './harness.mjs';
import { tempDir, testBundle } from './bundles.mjs';

/** Appended to the glue: a call with one of these queries traps for real (an exported function
 * given a pointer far outside the wasm memory) or spins forever. */
const FAULTS = `
const __tailorRecommend = Recommender.prototype.recommend;
Recommender.prototype.recommend = function (request) {
  if (request?.query === 'force a trap') return wasm.recommender_recommend(0xfffffff0, request);
  if (request?.query === 'hang the worker') for (;;) { /* never returns */ }
  return __tailorRecommend.call(this, request);
};
`;

const session = useBrowser('tests/browser/pages', () => {
  const faulty = tempDir('faulty-pkg');
  fs.mkdirSync(path.join(faulty, 'cpu'));
  const cpu = path.join(ROOT, 'web/pkg/cpu');
  fs.copyFileSync(path.join(cpu, 'tailor_wasm_bg.wasm'), path.join(faulty, 'cpu/tailor_wasm_bg.wasm'));
  fs.writeFileSync(path.join(faulty, 'cpu/tailor_wasm.js'), fs.readFileSync(path.join(cpu, 'tailor_wasm.js'), 'utf8') + FAULTS);
  // A worker script that never gets to answer anything.
  const stalled = tempDir('stalled-worker');
  fs.writeFileSync(path.join(stalled, 'worker.js'), 'await new Promise(() => {});\n');
  return { '/web': 'web', '/bundle': testBundle(), '/faulty-pkg': faulty, '/stalled': stalled };
});

/** A page whose `window.rec` loads the faulty glue with `options`. */
async function openFaulty(options = {}) {
  const opened = await openPage(session.browser, `${session.server.url}/`);
  await opened.page.evaluate(async (options) => {
    const { Tailor } = await import('/web/tailor.js');
    window.rec = await Tailor.load('/bundle/', { backend: 'cpu', wasmUrl: '/faulty-pkg/', ...options });
  }, options);
  return opened;
}

/** `rec.recommend({query})`'s item ids, or the error it rejected with. */
const recommend = (page, query) => page.evaluate(async (query) => {
  try {
    const result = await window.rec.recommend({ query, k: 5, history: [] });
    return { ids: result.items.map((item) => item.id) };
  } catch (error) {
    return { error: { name: error.name, code: error.code, message: error.message } };
  }
}, query);

test('a trap inside the wasm restarts the worker, and the next call succeeds', async () => {
  const { page, problems } = await openFaulty();
  const before = await recommend(page, 'summer dress');
  assert.equal(before.ids?.length, 5, JSON.stringify(before));
  const trapped = await recommend(page, 'force a trap');
  assert.equal(trapped.error?.name, 'TailorError', JSON.stringify(trapped));
  assert.equal(trapped.error.code, 'crashed', JSON.stringify(trapped));
  assert.doesNotMatch(trapped.error.message, /\n\s*at /, 'no stack trace');
  const after = await recommend(page, 'summer dress');
  assert.deepEqual(after.ids, before.ids, 'the fresh worker ranks as before');
  const similar = await page.evaluate(async (item) => (await window.rec.similar({ item, k: 3 })).items.length, before.ids[0]);
  assert.equal(similar, 3);
  assert.equal(await page.evaluate(() => window.rec.restarts), 1);
  await page.evaluate(() => window.rec.close());
  assert.deepEqual(problems, []);
  await page.close();
});

test('a call that never finishes times out with a named error; the next call succeeds', async () => {
  const { page, problems } = await openFaulty({ callTimeoutMs: 2_000 });
  const started = Date.now();
  const hung = await recommend(page, 'hang the worker');
  const waited = Date.now() - started;
  assert.equal(hung.error?.code, 'timeout', JSON.stringify(hung));
  assert.match(hung.error.message, /recommend did not finish within 2000 ms/);
  assert.ok(waited >= 1_900, `gave up after ${waited} ms`);
  const after = await recommend(page, 'summer dress');
  assert.equal(after.ids?.length, 5, JSON.stringify(after));
  assert.equal(await page.evaluate(() => window.rec.restarts), 1);
  await page.evaluate(() => window.rec.close());
  assert.deepEqual(problems, []);
  await page.close();
});

test('a load that never finishes times out with a named error', async () => {
  const { page, problems } = await openPage(session.browser, `${session.server.url}/`);
  const error = await page.evaluate(async () => {
    const { Tailor } = await import('/web/tailor.js');
    try {
      await Tailor.load('/bundle/', { workerUrl: '/stalled/worker.js', loadTimeoutMs: 1_500 });
      return null;
    } catch (error) {
      return { name: error.name, code: error.code, message: error.message };
    }
  });
  assert.equal(error?.code, 'timeout', JSON.stringify(error));
  assert.match(error.message, /load did not finish within 1500 ms/);
  assert.deepEqual(problems, []);
  await page.close();
});

test('timeouts and the cache option are checked', async () => {
  const { page } = await openPage(session.browser, `${session.server.url}/`);
  const codes = await page.evaluate(async () => {
    const { Tailor } = await import('/web/tailor.js');
    const out = [];
    for (const options of [{ callTimeoutMs: 0 }, { loadTimeoutMs: -1 }, { callTimeoutMs: NaN }, { cache: 'yes' }, { shop: '' }]) {
      try {
        await Tailor.load('/bundle/', options);
        out.push('loaded');
      } catch (error) {
        out.push(error.code);
      }
    }
    return out;
  });
  assert.deepEqual(codes, ['bad_request', 'bad_request', 'bad_request', 'bad_request', 'bad_request']);
  await page.close();
});
