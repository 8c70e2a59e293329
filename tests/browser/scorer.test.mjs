// The packed-code scorer compiled to wasm, in headless Chromium, against plain JS on the same
// 100k random codes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openPage, useBrowser } from './harness.mjs';

const session = useBrowser();

test('wasm ranks 100k packed codes exactly like the JS reference', async () => {
  const { page, problems } = await openPage(session.browser, `${session.server.url}/`);
  const result = await page.evaluate(async () => {
    const checks = await import('/checks.mjs');
    return checks.packedScorerParity({ n: 100_000, bits: 128, k: 10 });
  });
  assert.equal(result.n, 100_000);
  for (const c of result.cases) {
    assert.equal(c.scored, 100_000, c.name);
    assert.equal(c.wasm.indices.length, 10, c.name);
    // Integer and dyadic scores are exact in f32: rankings, ties and scores must be identical.
    assert.deepEqual(c.wasm.indices, c.reference.indices, `${c.name}: top-10 items`);
    if (c.name === 'real weights') {
      assert.ok(c.maxScoreDiff < 1e-4, `${c.name}: max score difference ${c.maxScoreDiff}`);
      c.wasm.scores.forEach((s, i) => assert.ok(Math.abs(s - c.reference.scores[i]) < 1e-4));
    } else {
      assert.equal(c.maxScoreDiff, 0, `${c.name}: scores differ`);
      assert.deepEqual(c.wasm.scores, c.reference.scores, `${c.name}: top-10 scores`);
    }
    console.log(`  ${c.name}: top-10 ${c.wasm.indices.join(',')} | max |score diff| ${c.maxScoreDiff}`);
  }
  assert.deepEqual(problems, []);
});

test('bad input to the wasm scorer raises a JS Error with a clear message', async () => {
  const { page, problems } = await openPage(session.browser, `${session.server.url}/`);
  const errors = await page.evaluate(async () => (await import('/checks.mjs')).scorerErrors());
  const expected = {
    badLength: /multiple of 64 bits, got 100/,
    raggedCodes: /not a multiple of 2/,
    zeroK: /k must be at least 1/,
    kTooLarge: /k = 6 is larger than the 5 items/,
    shortQuery: /query code has length 1, expected 2/,
    badWeights: /multiple of 64 bits, got 100/,
    nanWeight: /weight 5 is not a finite number/,
    wrongTable: /weight vector has length 256, expected 128/,
  };
  for (const [name, pattern] of Object.entries(expected)) {
    assert.match(errors[name], /^Error: /, `${name} should throw an Error`);
    assert.match(errors[name], pattern, name);
  }
  // The module survives the errors (no panic, no poisoned state).
  assert.deepEqual(errors.stillWorks, [0, 1, 2, 3, 4]);
  assert.deepEqual(problems, []);
});
