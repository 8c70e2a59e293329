// The same bundle on the CPU and the WebGPU builds (headless Chromium's SwiftShader adapter):
// same top 10, same scores. And backend 'auto' picks the CPU build for this small bundle, and
// says why. No WebGPU adapter is a failure, never a skip.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chromium } from 'playwright-core';
import { CHROMIUM_FLAGS, openPage, useBrowser } from './harness.mjs';
import { outfitsBundle, readJson, testBundle } from './bundles.mjs';

const session = useBrowser('tests/browser/pages', () => ({
  '/web': 'web',
  '/bundle': testBundle(),
  '/looks': outfitsBundle(),
}));

const QUERIES = [
  'red summer dress',
  'warm wool sweater for winter',
  'high waisted skinny jeans',
  'flowy boho blouse',
  'comfortable pajamas',
];

test('CPU and WebGPU backends agree on the real bundle: same top 10, scores within 1e-3', async () => {
  const { page, problems } = await openPage(session.browser, `${session.server.url}/`);
  const run = await page.evaluate(async (queries) => {
    const { Tailor } = await import('/web/tailor.js');
    const out = {};
    for (const backend of ['cpu', 'webgpu']) {
      const started = performance.now();
      let rec;
      try {
        rec = await Tailor.load('/bundle/', { backend });
      } catch (error) {
        return { failed: backend, code: error.code, message: error.message };
      }
      const loadMs = performance.now() - started;
      const results = [];
      for (const query of queries) {
        results.push(await rec.recommend({ query, k: 10, history: [] }));
      }
      out[backend] = { backend: rec.backend, device: rec.device, reason: rec.backendReason, loadMs, results };
      rec.close();
    }
    return out;
  }, QUERIES);
  if (run.failed) {
    const banner = '!'.repeat(78);
    console.error(`\n${banner}\n!! ${run.failed} backend failed to load: ${run.code}: ${run.message}\n${banner}\n`);
    assert.fail(`${run.failed} backend failed to load (${run.code}): ${run.message}`);
  }
  const { cpu, webgpu } = run;
  console.log(`  cpu: ${cpu.device}, load ${cpu.loadMs.toFixed(0)} ms; webgpu: ${webgpu.device}, load ${webgpu.loadMs.toFixed(0)} ms`);
  assert.equal(cpu.backend, 'cpu');
  assert.equal(webgpu.backend, 'webgpu');
  assert.match(webgpu.device, /wgpu|webgpu/i, 'the WebGPU build runs on a wgpu device');
  assert.match(webgpu.reason, /requested/);
  let maxDiff = 0;
  QUERIES.forEach((query, q) => {
    const a = cpu.results[q];
    const b = webgpu.results[q];
    assert.equal(a.backend, 'cpu');
    assert.equal(b.backend, 'webgpu');
    assert.equal(a.items.length, 10);
    assert.deepEqual(b.items.map((i) => i.id), a.items.map((i) => i.id), `top 10 for "${query}"`);
    a.items.forEach((item, i) => {
      const diff = Math.abs(item.score - b.items[i].score);
      maxDiff = Math.max(maxDiff, diff);
      assert.ok(diff <= 1e-3, `"${query}" rank ${i}: cpu ${item.score} vs webgpu ${b.items[i].score}`);
    });
  });
  console.log(`  ${QUERIES.length} queries, max |cpu - webgpu| score = ${maxDiff.toExponential(2)}`);
  assert.deepEqual(problems, []);
  await page.close();
});

test('CPU and WebGPU complete the look identically: the user encoder runs on the device', async () => {
  const { page, problems } = await openPage(session.browser, `${session.server.url}/`);
  const run = await page.evaluate(async () => {
    const { Tailor } = await import('/web/tailor.js');
    const out = {};
    for (const backend of ['cpu', 'webgpu']) {
      let rec;
      try {
        rec = await Tailor.load('/looks/', { backend });
      } catch (error) {
        return { failed: backend, code: error.code, message: error.message };
      }
      const items = rec.outfitItems;
      // One anchor per required slot; a history of three other items; with and without a request.
      const anchors = ['top', 'bottom', 'shoes'].map((slot) => items.find((i) => i.slot === slot).id);
      const history = items.filter((i) => i.slot === 'shoes').slice(1, 4).map((i) => i.id);
      const looks = [];
      for (const anchor of anchors) {
        looks.push(await rec.completeOutfit({ anchor, k: 5, history: [] }));
        looks.push(await rec.completeOutfit({ anchor, k: 5, history, query: 'sandals' }));
      }
      out[backend] = looks;
      rec.close();
    }
    return out;
  });
  if (run.failed) assert.fail(`${run.failed} backend failed to load (${run.code}): ${run.message}`);
  let maxDiff = 0;
  run.cpu.forEach((a, n) => {
    const b = run.webgpu[n];
    assert.equal(a.backend, 'cpu');
    assert.equal(b.backend, 'webgpu');
    assert.equal(a.outfits.length, 5);
    assert.equal(b.historyUsed, a.historyUsed);
    const ids = (look) => look.outfits.map((o) => o.items.map((i) => i.id).join('+'));
    assert.deepEqual(ids(b), ids(a), `look ${n}: the same outfits`);
    a.outfits.forEach((outfit, i) => {
      const diff = Math.abs(outfit.score - b.outfits[i].score);
      maxDiff = Math.max(maxDiff, diff);
      assert.ok(diff <= 1e-5, `look ${n} outfit ${i}: cpu ${outfit.score} vs webgpu ${b.outfits[i].score}`);
    });
  });
  console.log(`  ${run.cpu.length} looks, max |cpu - webgpu| outfit score = ${maxDiff.toExponential(2)}`);
  assert.deepEqual(problems, []);
  await page.close();
});

test("backend 'auto' picks the CPU build for this small bundle and says why", async () => {
  const manifest = readJson(testBundle(), 'manifest.json');
  assert.ok(manifest.item_count * manifest.dim < 25_000_000 && manifest.encoder !== 'minilm',
    'the test bundle is small enough that auto must pick the CPU build');
  const { page, problems } = await openPage(session.browser, `${session.server.url}/`);
  const requested = [];
  page.context().on('request', (request) => requested.push(new URL(request.url()).pathname));
  const picked = await page.evaluate(async () => {
    const { Tailor } = await import('/web/tailor.js');
    const files = new Set();
    const rec = await Tailor.load('/bundle/', { onProgress: (p) => files.add(p.file) });
    const result = await rec.recommend({ query: 'red summer dress', k: 3 });
    const gpu = await navigator.gpu?.requestAdapter();
    const out = {
      backend: rec.backend,
      reason: rec.backendReason,
      resultBackend: result.backend,
      files: [...files],
      fallbackAdapter: gpu ? Boolean(gpu.isFallbackAdapter ?? gpu.info?.isFallbackAdapter) : null,
    };
    rec.close();
    return out;
  });
  console.log(`  auto: ${picked.backend}: ${picked.reason}`);
  assert.equal(picked.backend, 'cpu');
  assert.equal(picked.resultBackend, 'cpu');
  assert.match(picked.reason, /small/);
  assert.match(picked.reason, new RegExp(manifest.item_count.toLocaleString('en-US')));
  if (picked.fallbackAdapter) assert.match(picked.reason, /software fallback/);
  assert.deepEqual(picked.files.sort(), manifest.files.map((f) => f.name).sort(), 'progress names every file');
  assert.ok(requested.includes('/web/pkg/cpu/tailor_wasm_bg.wasm'), requested.join('\n'));
  assert.deepEqual(requested.filter((p) => p.includes('/pkg/webgpu/')), [], 'the WebGPU build is not downloaded');
  assert.deepEqual(problems, []);
  await page.close();
});

test("without a WebGPU adapter: 'webgpu' fails with code backend, 'auto' runs the CPU build", async () => {
  // The same Chromium without --enable-unsafe-webgpu has no adapter.
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    ignoreDefaultArgs: ['--headless'],
    args: CHROMIUM_FLAGS.filter((flag) => flag !== '--enable-unsafe-webgpu'),
    timeout: 60_000,
  });
  try {
    const { page, problems } = await openPage(browser, `${session.server.url}/`);
    const outcome = await page.evaluate(async () => {
      const { Tailor } = await import('/web/tailor.js');
      const adapter = Boolean(await navigator.gpu?.requestAdapter());
      let webgpu;
      try {
        (await Tailor.load('/bundle/', { backend: 'webgpu' })).close();
        webgpu = { loaded: true };
      } catch (error) {
        webgpu = { name: error.name, code: error.code, message: error.message, isTailorError: error instanceof Error };
      }
      const rec = await Tailor.load('/bundle/', { backend: 'auto' });
      const auto = { backend: rec.backend, reason: rec.backendReason };
      rec.close();
      return { adapter, webgpu, auto };
    });
    assert.equal(outcome.adapter, false, 'this Chromium was expected to have no WebGPU adapter');
    assert.deepEqual(outcome.webgpu.code, 'backend', JSON.stringify(outcome.webgpu));
    assert.equal(outcome.webgpu.name, 'TailorError');
    assert.match(outcome.webgpu.message, /WebGPU/);
    assert.equal(outcome.auto.backend, 'cpu');
    assert.match(outcome.auto.reason, /no WebGPU|WebGPU adapter/);
    console.log(`  webgpu: ${outcome.webgpu.message}\n  auto: ${outcome.auto.reason}`);
    assert.deepEqual(problems, []);
  } finally {
    await browser.close();
  }
});
