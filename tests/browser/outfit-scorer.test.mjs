// Fashion Hash Net's outfit scorer compiled to wasm, in headless Chromium, against a plain-JS
// float reference on the same random catalogs; its errors; and a quick run of the outfit
// benchmark page (www/bench/outfits.html) at 10k items per slot.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openPage, useBrowser } from './harness.mjs';

const session = useBrowser('tests/browser/pages', { '/web': 'web', '/bench': 'www/bench' });

function assertSameOutfits(c, label) {
  assert.ok(c.wasm.length > 0, `${label}: no outfits`);
  assert.deepEqual(c.wasm.map((o) => o.items), c.reference.map((o) => o.items), `${label}: outfits`);
  assert.ok(c.maxScoreDiff < 1e-4, `${label}: max score difference ${c.maxScoreDiff}`);
  assert.equal(c.scored, c.referenceCount, `${label}: outfits scored`);
}

test('wasm scores and completes outfits exactly like the JS reference', async () => {
  const { page, problems } = await openPage(session.browser, `${session.server.url}/`);
  const result = await page.evaluate(async () => (await import('/checks.mjs')).outfitScorerParity({}));
  const { small, exact, large } = result;
  console.log(`  score(): ${small.scoreCases} outfits on ${small.n} items (slots ${small.slotSizes.join('/')}), max |diff| ${small.maxScoreDiff}`);
  assert.deepEqual(small.slotOrderErrors, [], 'score() returns items in slot order');
  assert.ok(small.maxScoreDiff < 1e-4, `score(): max difference ${small.maxScoreDiff}`);

  assert.equal(exact.length, small.n);
  let worst = 0;
  for (const c of exact) {
    assertSameOutfits(c, `anchor ${c.anchor}, every item a candidate`);
    // The anchor is in every outfit, and outfits come best first.
    for (const o of c.wasm) assert.ok(o.items.includes(c.anchor));
    for (let i = 1; i < c.wasm.length; i++) assert.ok(c.wasm[i - 1].score >= c.wasm[i].score);
    worst = Math.max(worst, c.maxScoreDiff);
  }
  console.log(`  complete(), brute force: ${exact.length} anchors, ${exact[0].scored} outfits for anchor 0, max |diff| ${worst}`);

  for (const c of large.cases) {
    assertSameOutfits(c, `anchor ${c.anchor} of ${large.n}, 16 candidates`);
    console.log(`  complete(), ${large.n} items (slots ${large.slotSizes.join('/')}), anchor ${c.anchor}: best ${c.wasm[0].items.join(',')} = ${c.wasm[0].score.toFixed(6)}, ${c.scored} outfits scored`);
  }
  assert.deepEqual(problems, []);
});

test('bad input to the wasm outfit scorer raises a JS Error with a clear message', async () => {
  const { page, problems } = await openPage(session.browser, `${session.server.url}/`);
  const errors = await page.evaluate(async () => (await import('/checks.mjs')).outfitScorerErrors());
  const expected = {
    shortUserComplete: /user code \(in u64 words\) has length 1, expected 2/,
    shortUserScore: /user code \(in u64 words\) has length 3, expected 2/,
    typeOutOfRange: /item 3 has type 7, but the valid types are 0 to 4 \(one per outfit slot\)/,
    typeCount: /9 item types were given for 10 item codes/,
    userWeightsLength: /user weights has length 64, expected 128/,
    compatWeightsLength: /compatibility weights has length 256, expected 128/,
    anchorOutOfRange: /anchor 1000 is out of range: the catalog has 10 items/,
    zeroK: /k must be at least 1/,
    zeroCandidates: /candidates_per_slot must be at least 1/,
    itemOutOfRange: /outfit item 10 is out of range: the catalog has 10 items/,
    slotTaken: /items 0 and 5 both fill slot "top"/,
    missingSlot: /no item for the required slot "shoes"/,
    badSlotsJson: /slots_json is not a JSON list of \{"name": string, "required": boolean\}/,
    slotsNotAList: /slots_json is not a JSON list/,
    duplicateSlot: /outfit slot name "top" appears more than once/,
    badBits: /multiple of 64 bits, got 100/,
  };
  for (const [name, pattern] of Object.entries(expected)) {
    assert.match(errors[name], /^Error: /, `${name} should throw an Error`);
    assert.match(errors[name], pattern, name);
  }
  // The module survives the errors (no panic, no poisoned state).
  assert.equal(errors.length, 10);
  assert.equal(errors.stillWorks.count, 3);
  assert.equal(errors.stillWorks.first[0], 0);
  assert.ok(errors.stillWorks.scored > 0);
  assert.deepEqual(problems, []);
});

test('the outfit benchmark page runs at 10k items per slot', async () => {
  const { page, problems } = await openPage(
    session.browser, `${session.server.url}/bench/outfits.html?autorun&items=10000&rounds=1&ms=50`);
  await page.waitForFunction(() => window.benchResult, null, { timeout: 120_000, polling: 200 });
  const result = await page.evaluate(() => window.benchResult);
  assert.equal(result.error, undefined, `benchmark failed: ${result.error}`);
  assert.equal(result.rows.length, 1);
  const [row] = result.rows;
  assert.equal(row.itemsPerSlot, 10_000);
  assert.ok(row.msPerComplete > 0 && Number.isFinite(row.msPerComplete));
  assert.ok(row.outfitsPerSecond > 0, `outfits scored per second: ${row.outfitsPerSecond}`);
  assert.ok(row.itemsScannedPerSecond > 0);
  assert.ok(row.outfitsPerCall > 0);
  assert.ok(row.codeBytes >= 50_000 * 16);
  assert.ok(result.baseline.msPerComplete > 0);
  assert.equal(result.baseline.agrees, true, 'the JS float baseline finds the same best outfit');
  console.log(`  10k/slot: ${row.msPerComplete.toFixed(2)} ms per complete, ${row.speedupVsBaseline.toFixed(1)}x the JS float baseline`);
  assert.deepEqual(problems, []);
});
