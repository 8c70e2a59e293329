// "Complete the look" in the browser, on the outfit model of the Fashion-MNIST example shop's
// bundle (Fashion Hash Net over its items, trained on its SYNTHETIC outfits through
// `tailor train --shop`): completeOutfit() in the page gives the native `tailor complete` outfits, its compatibility is the formula recomputed naively from the
// bundle's codes, outfits are well formed, errors are clear, the history moves the shopper's
// code, and the demo shop, whose catalog bundle has no outfit model, draws the outfits of the
// looks bundle from pictures with every title as text.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { openPage, useBrowser } from './harness.mjs';
import { bundleFile, copyBundle, outfitsBundle, readItems, readJson, rewriteVerified, testBundle } from './bundles.mjs';
import { openShop, shopIdle } from './shop.mjs';

const dirs = {};
const IMG = '<img src=x onerror="window.__pwned=1">';
const SCRIPT = '<script>window.__pwned=2</script>';

const session = useBrowser('www', () => {
  // A copy whose every outfit and catalog title is markup: nothing of it may become HTML in the
  // shop.
  dirs.hostile = copyBundle('hostile-outfits', outfitsBundle());
  const items = readJson(dirs.hostile, 'outfit_items.json');
  const hostile = new Map(items.map((item, i) => [item.id, `${i % 2 ? SCRIPT : IMG} #${i}`]));
  items.forEach((item) => { item.title = hostile.get(item.id); });
  rewriteVerified(dirs.hostile, 'outfit_items.json', Buffer.from(JSON.stringify(items)));
  const catalog = readJson(dirs.hostile, 'items.json');
  catalog.forEach((item) => { item.title = hostile.get(item.id) ?? item.title; });
  rewriteVerified(dirs.hostile, 'items.json', Buffer.from(JSON.stringify(catalog)));
  return {
    '/web': 'web',
    '/bundle': testBundle(),
    '/looks': outfitsBundle(),
    '/hostile': dirs.hostile,
    '/pages': 'tests/browser/pages',
  };
});

/** Native and wasm scores agree this closely (the same f32 sums in the same order). */
const TOLERANCE = 1e-5;
const K = 5;
const QUERY = 'sandals';

/** The bundle's outfit section and items (slot names resolved), or a failure that says why. */
function outfitModel(dir = outfitsBundle()) {
  const section = readJson(dir, 'manifest.json').outfits;
  assert.ok(section, `the outfits bundle ${dir} has no outfit model (manifest.json has no "outfits"): ` +
    'it must be exported from a shop with outfits (`cargo xtask test` trains the Fashion-MNIST one)');
  const items = readJson(dir, 'outfit_items.json').map((item, index) => ({
    ...item, slot: section.slots[item.slot].name, index,
  }));
  return { section, items };
}

/** `tailor complete --json`: the native twin of completeOutfit(). */
function nativeLook(anchor, { query = '', history = [], k = K, diversity } = {}) {
  const args = ['complete', '--json', '--bundle', outfitsBundle(), '--anchor', anchor, '--k', String(k)];
  if (diversity !== undefined) args.push('--diversity', String(diversity));
  if (query) args.push('--query', query);
  if (history.length > 0) args.push('--history', history.join(','));
  return JSON.parse(execFileSync(process.env.TAILOR_BIN, args));
}

/** One anchor per required slot (its first item), plus one from an optional slot if any. */
function anchors({ section, items }) {
  const picked = section.slots.filter((slot) => slot.required)
    .map((slot) => items.find((item) => item.slot === slot.name));
  const optional = section.slots.find((slot) => !slot.required);
  const extra = optional && items.filter((item) => item.slot === optional.name)[1];
  return [...picked, ...(extra ? [extra] : [])].filter(Boolean).map((item) => item.id);
}

/** Runs completeOutfit() for each request in a fresh page (CPU backend), timing each call. */
async function inPage(requests, before = null) {
  const { page, problems } = await openPage(session.browser, `${session.server.url}/pages/index.html`);
  const out = await page.evaluate(async ({ requests, before }) => {
    const { Tailor } = await import('/web/tailor.js');
    const rec = await Tailor.load('/looks/', { backend: 'cpu' });
    await rec.history.clear();
    for (const id of before ?? []) await rec.history.record({ itemId: id });
    const results = [];
    for (const request of requests) {
      const started = performance.now();
      const look = await rec.completeOutfit(request);
      results.push({ ...look, roundTripMs: performance.now() - started });
    }
    await rec.history.clear();
    rec.close();
    return results;
  }, { requests, before });
  await page.close();
  assert.deepEqual(problems, []);
  return out;
}

function describe(look) {
  return look.outfits.map((o, i) => `  ${i + 1}. ${o.score.toFixed(6)} (pref ${o.preference.toFixed(6)}, ` +
    `compat ${o.compatibility.toFixed(6)})  ${o.items.map((item) => item.id).join(' + ')}`).join('\n');
}

function assertSameLook(browser, native, what) {
  const both = `\nbrowser:\n${describe(browser)}\nnative:\n${describe(native)}`;
  assert.equal(browser.outfits.length, native.outfits.length, `${what}: outfit count${both}`);
  browser.outfits.forEach((o, i) => {
    const n = native.outfits[i];
    assert.deepEqual(o.items, n.items, `${what}: outfit ${i + 1}, the same items in the same order${both}`);
    for (const field of ['score', 'preference', 'compatibility']) {
      assert.ok(Math.abs(o[field] - n[field]) <= TOLERANCE,
        `${what}: outfit ${i + 1} ${field}: browser ${o[field]}, native ${n[field]}${both}`);
    }
  });
  for (const field of ['anchor', 'personalized', 'historyUsed', 'unknownHistory', 'scored', 'synthetic']) {
    assert.deepEqual(browser[field], native[field], `${what}: ${field}`);
  }
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

test('completeOutfit() in the page gives the native `tailor complete` outfits (no history, a history, a request)', async () => {
  const model = outfitModel();
  const ids = anchors(model);
  assert.ok(ids.length >= 3, `fewer than 3 anchors: ${ids}`);
  const catalogId = readItems(testBundle())[0].id;
  const cases = ids.flatMap((anchor) => {
    // Three outfit items other than the anchor, most recent first, and an item of another
    // shop's catalog, which the outfit model does not know (it must be in unknownHistory).
    const history = model.items.filter((item) => item.id !== anchor && item.index % 7 === 3).slice(0, 3).map((i) => i.id);
    return [
      { what: `${anchor}, no history`, request: { anchor, k: K, history: [] } },
      { what: `${anchor}, history ${history}`, request: { anchor, k: K, history: [...history, catalogId] } },
      { what: `${anchor}, "${QUERY}"`, request: { anchor, k: K, history: [], query: QUERY } },
    ];
  });
  const looks = await inPage(cases.map((c) => c.request));
  cases.forEach(({ what, request }, i) => {
    const native = nativeLook(request.anchor, request);
    assertSameLook(looks[i], native, what);
    assert.equal(looks[i].backend, 'cpu');
  });
  const withHistory = looks.filter((_, i) => i % 3 === 1);
  for (const look of withHistory) {
    assert.equal(look.historyUsed, 3);
    assert.deepEqual(look.unknownHistory, [catalogId]);
    assert.equal(look.personalized, true);
  }
  for (const look of looks.filter((_, i) => i % 3 === 0)) assert.equal(look.personalized, false);
  for (const look of looks.filter((_, i) => i % 3 === 2)) assert.equal(look.personalized, true);
  const times = ['no history', 'history', 'request'].map((name, kind) => {
    const some = looks.filter((_, i) => i % 3 === kind);
    return `${name} ${median(some.map((l) => l.timings.totalMs)).toFixed(1)} ms in the worker / ` +
      `${median(some.map((l) => l.roundTripMs)).toFixed(1)} ms round trip`;
  });
  console.log(`  ${cases.length} looks (${ids.length} anchors x 3), k=${K}: same as native; ${looks[0].scored} ` +
    `outfits scored for ${ids[0]}; medians: ${times.join(', ')}`);
});

test('compatibility equals the formula recomputed in plain JS from outfit_codes.bin and outfit_weights.bin', async () => {
  const model = outfitModel();
  const { page, problems } = await openPage(session.browser, `${session.server.url}/pages/index.html`);
  const checked = await page.evaluate(async ({ anchors, k }) => {
    const { Tailor } = await import('/web/tailor.js');
    const rec = await Tailor.load('/looks/', { backend: 'cpu' });
    const { bits } = rec.outfitSection;
    // Stored under content-addressed names, which the manifest gives.
    const stored = (name) => `/looks/${rec.manifest.files.find((f) => f.name === name).path}`;
    const codes = new DataView(await (await fetch(stored('outfit_codes.bin'))).arrayBuffer());
    const weights = new DataView(await (await fetch(stored('outfit_weights.bin'))).arrayBuffer());
    // outfit_weights.bin is w_u then w_c, little-endian f32; only w_c enters compatibility.
    const wc = Array.from({ length: bits }, (_, j) => weights.getFloat32(4 * (bits + j), true));
    // Item i's code: bits/64 little-endian u64 words; bit j is bit j % 64 of word j / 64.
    const signs = (i) => Array.from({ length: bits }, (_, j) => {
      const word = codes.getUint32(i * (bits / 8) + 4 * (j >> 5), true);
      return (word >>> (j & 31)) & 1 ? 1 : -1;
    });
    const rows = [];
    for (const anchor of anchors) {
      const look = await rec.completeOutfit({ anchor, k, history: [] });
      for (const outfit of look.outfits) {
        const b = outfit.items.map((item) => signs(item.index));
        let sum = 0;
        let pairs = 0;
        for (let x = 0; x < b.length; x++) {
          for (let y = x + 1; y < b.length; y++) {
            let dot = 0;
            for (let j = 0; j < bits; j++) dot += wc[j] * b[x][j] * b[y][j];
            sum += dot / bits;
            pairs += 1;
          }
        }
        rows.push({ anchor, ids: outfit.items.map((i) => i.id), compatibility: outfit.compatibility, naive: pairs ? sum / pairs : 0 });
      }
    }
    rec.close();
    return rows;
  }, { anchors: anchors(model), k: K });
  assert.ok(checked.length >= 3 * K, `only ${checked.length} outfits checked`);
  let worst = 0;
  for (const row of checked) {
    const diff = Math.abs(row.compatibility - row.naive);
    worst = Math.max(worst, diff);
    assert.ok(diff <= TOLERANCE, `outfit ${row.ids.join(' + ')}: compatibility ${row.compatibility}, naive ${row.naive}`);
  }
  console.log(`  ${checked.length} outfits: max |compatibility - naive float| ${worst.toExponential(2)}`);
  assert.deepEqual(problems, []);
  await page.close();
});

test('every outfit holds the anchor, at most one item per slot and every required slot, the best first', async () => {
  const model = outfitModel();
  assert.equal(model.section.synthetic, true, 'the test bundle\'s outfits are synthetic');
  const ids = anchors(model);
  const looks = await inPage(ids.map((anchor) => ({ anchor, k: K, history: [] })));
  const byId = new Map(model.items.map((item) => [item.id, item]));
  const slotOrder = model.section.slots.map((slot) => slot.name);
  const required = model.section.slots.filter((slot) => slot.required).map((slot) => slot.name);
  looks.forEach((look, n) => {
    assert.equal(look.anchor, ids[n]);
    assert.equal(look.synthetic, true, 'the result says the model learnt from synthetic outfits');
    assert.equal(look.outfits.length, K, `${K} outfits for ${ids[n]}`);
    assert.ok(look.scored >= K, `scored ${look.scored}`);
    for (const outfit of look.outfits) {
      const what = `outfit ${outfit.items.map((i) => i.id).join(' + ')} for ${ids[n]}`;
      assert.ok(outfit.items.some((item) => item.id === ids[n]), `${what} lacks the anchor`);
      const slots = outfit.items.map((item) => item.slot);
      assert.equal(new Set(slots).size, slots.length, `${what}: a slot twice (${slots})`);
      for (const slot of required) assert.ok(slots.includes(slot), `${what}: no ${slot}`);
      assert.deepEqual(slots, [...slots].sort((a, b) => slotOrder.indexOf(a) - slotOrder.indexOf(b)), `${what}: slot order`);
      for (const item of outfit.items) {
        const known = byId.get(item.id);
        assert.deepEqual({ id: item.id, title: item.title, slot: item.slot, class: item.class, index: item.index },
          { id: known.id, title: known.title, slot: known.slot, class: known.class, index: known.index }, `${what}: ${item.id}`);
      }
      assert.ok(Math.abs(outfit.score - (outfit.preference + outfit.compatibility)) <= TOLERANCE, `${what}: score = preference + compatibility`);
    }
    // The best outfit first; the others are chosen for variety too (MMR), not by score alone.
    const scores = look.outfits.map((o) => o.score);
    assert.equal(scores[0], Math.max(...scores), `outfits for ${ids[n]}: the best comes first`);
    const keys = look.outfits.map((o) => o.items.map((i) => i.id).join('+'));
    assert.equal(new Set(keys).size, keys.length, `outfits for ${ids[n]} are distinct`);
  });
});

/** Mean over pairs of looks of the share of their items (other than the anchor) they share. */
function meanOverlap(look) {
  const sets = look.outfits.map((o) => new Set(o.items.map((i) => i.id).filter((id) => id !== look.anchor)));
  let sum = 0;
  let pairs = 0;
  for (let a = 0; a < sets.length; a++) {
    for (let b = a + 1; b < sets.length; b++) {
      const shared = [...sets[a]].filter((id) => sets[b].has(id)).length;
      sum += shared / new Set([...sets[a], ...sets[b]]).size;
      pairs += 1;
    }
  }
  return pairs ? sum / pairs : 0;
}

test('looks differ: diversity (MMR) keeps the best outfit first and shares fewer items between looks than the score order, as natively', async () => {
  const model = outfitModel();
  const ids = model.items.filter((_, i) => i % 37 === 0).map((item) => item.id);
  const requests = ids.flatMap((anchor) => [
    { anchor, k: 3, history: [], diversity: 0 },
    { anchor, k: 3, history: [] },
  ]);
  const looks = await inPage(requests);
  let plainOverlap = 0;
  let variedOverlap = 0;
  let plainScore = 0;
  let variedScore = 0;
  ids.forEach((anchor, n) => {
    const [plain, varied] = [looks[2 * n], looks[2 * n + 1]];
    assertSameLook(plain, nativeLook(anchor, { k: 3, diversity: 0 }), `${anchor}, diversity 0`);
    assertSameLook(varied, nativeLook(anchor, { k: 3 }), `${anchor}, default diversity`);
    assert.deepEqual(varied.outfits[0], plain.outfits[0], `${anchor}: the best outfit comes first either way`);
    const scores = plain.outfits.map((o) => o.score);
    assert.deepEqual(scores, [...scores].sort((a, b) => b - a), `${anchor}: diversity 0 is the score order`);
    plainOverlap += meanOverlap(plain) / ids.length;
    variedOverlap += meanOverlap(varied) / ids.length;
    plainScore += plain.outfits.reduce((sum, o) => sum + o.score, 0) / 3 / ids.length;
    variedScore += varied.outfits.reduce((sum, o) => sum + o.score, 0) / 3 / ids.length;
  });
  console.log(`  ${ids.length} anchors, 3 looks each: mean item overlap between looks ${plainOverlap.toFixed(3)} by score ` +
    `-> ${variedOverlap.toFixed(3)} with diversity; mean score ${plainScore.toFixed(4)} -> ${variedScore.toFixed(4)}`);
  assert.ok(variedOverlap < plainOverlap, `diversity leaves looks as alike as the score order (${variedOverlap} vs ${plainOverlap})`);
  assert.ok(variedScore <= plainScore + 1e-6, 'variety is bought with score, never the other way round');
});

test('an unknown anchor and k = 0 reject with bad_request and a clear message; the recommender keeps working', async () => {
  const model = outfitModel();
  const anchor = anchors(model)[0];
  const { page, problems } = await openPage(session.browser, `${session.server.url}/pages/index.html`);
  const run = await page.evaluate(async ({ anchor, otherShopItem }) => {
    const { Tailor, TailorError } = await import('/web/tailor.js');
    const rec = await Tailor.load('/looks/', { backend: 'cpu' });
    const attempt = async (request) => {
      try {
        await rec.completeOutfit(request);
        return null;
      } catch (error) {
        return { isTailorError: error instanceof TailorError, name: error.name, code: error.code, message: error.message };
      }
    };
    const out = {
      unknown: await attempt({ anchor: 'no-such-outfit-item', history: [] }),
      zero: await attempt({ anchor, k: 0, history: [] }),
      tooMany: await attempt({ anchor, k: 101, history: [] }),
      notString: await attempt({ anchor: 7, history: [] }),
      otherShopItem: await attempt({ anchor: otherShopItem, history: [] }),
      diversityTooLarge: await attempt({ anchor, history: [], diversity: 2 }),
      diversityNotNumber: await attempt({ anchor, history: [], diversity: 'a lot' }),
    };
    out.after = (await rec.completeOutfit({ anchor, k: 2, history: [] })).outfits.length;
    out.recommend = (await rec.recommend({ query: 'sandals', k: 3, history: [] })).items.length;
    rec.close();
    return out;
  }, { anchor, otherShopItem: readItems(testBundle())[0].id });
  const expected = {
    unknown: /unknown anchor item "no-such-outfit-item": it is not one of the bundle's \d+ outfit items/,
    zero: /k must be between 1 and 100, got 0/,
    tooMany: /k must be between 1 and 100, got 101/,
    notString: /anchor must be an outfit item id/,
    otherShopItem: /unknown anchor item/,
    diversityTooLarge: /diversity of complete the look must be between 0 and 1, got 2/,
    diversityNotNumber: /diversity must be a number from 0 to 1/,
  };
  for (const [name, pattern] of Object.entries(expected)) {
    const error = run[name];
    assert.ok(error, `${name}: completeOutfit() resolved`);
    assert.equal(error.isTailorError, true, `${name}: ${JSON.stringify(error)}`);
    assert.equal(error.name, 'TailorError');
    assert.equal(error.code, 'bad_request', `${name}: ${JSON.stringify(error)}`);
    assert.match(error.message, pattern, name);
    assert.doesNotMatch(error.message, /\n|\.rs:\d|wasm-function/, `${name}: one line, no stack`);
  }
  console.log(`  unknown anchor: ${run.unknown.message}\n  k = 0: ${run.zero.message}`);
  assert.equal(run.after, 2, 'a valid request after the errors');
  assert.equal(run.recommend, 3, 'recommend() after the errors');
  assert.deepEqual(problems, []);
  await page.close();
});

test('viewing several outfit items of one class changes the shopper\'s code: preferences move, personalized and historyUsed say so', async () => {
  const model = outfitModel();
  const counts = new Map();
  for (const item of model.items) counts.set(item.class, (counts.get(item.class) ?? 0) + 1);
  const [className] = [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0];
  const anchor = anchors(model).find((id) => model.items.find((i) => i.id === id).class !== className) ?? anchors(model)[0];
  const viewed = model.items.filter((item) => item.class === className && item.id !== anchor).slice(0, 6).map((i) => i.id);
  const recentFirst = [...viewed].reverse();
  // Explicit histories, then the stored history (recorded in viewing order, no `history` given).
  const [plain, explicit, stored] = await inPage([
    { anchor, k: K, history: [] },
    { anchor, k: K, history: recentFirst },
    { anchor, k: K },
  ], viewed);
  const used = Math.min(viewed.length, model.section.max_history);
  assert.equal(plain.personalized, false);
  assert.equal(plain.historyUsed, 0);
  for (const [name, look] of [['explicit', explicit], ['stored', stored]]) {
    assert.equal(look.personalized, true, `${name}: personalized`);
    assert.equal(look.historyUsed, used, `${name}: historyUsed`);
    assert.deepEqual(look.unknownHistory, []);
  }
  assert.deepEqual(stored.outfits, explicit.outfits, 'the stored history, most recent first, is what completeOutfit() reads by default');
  const before = plain.outfits.map((o) => o.preference);
  const after = explicit.outfits.map((o) => o.preference);
  console.log(`  ${used} viewed ${className} items, anchor ${anchor}: preferences ${before.map((p) => p.toFixed(4))} -> ${after.map((p) => p.toFixed(4))}`);
  assert.notDeepEqual(after, before, `viewing ${viewed.length} ${className} items left the preferences unchanged:\n` +
    `without:\n${describe(plain)}\nwith:\n${describe(explicit)}`);
  assertSameLook(explicit, nativeLook(anchor, { history: recentFirst }), `history of ${className}`);
});

/** The lookbook's and the outfits' pictures as drawn: [{id, index, pixels (grey)}]. */
const drawnPictures = (page, selector) => page.$$eval(selector, (canvases) => canvases.map((canvas) => {
  const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  return {
    id: canvas.closest('[data-id]').dataset.id,
    index: Number(canvas.dataset.index),
    size: [canvas.width, canvas.height],
    grey: Array.from({ length: data.length / 4 }, (_, i) => data[4 * i]),
  };
}));

test('the demo shop: choosing a lookbook item shows, under it, outfits that contain it, drawn from the bundle\'s pictures', async () => {
  const model = outfitModel();
  const images = fs.readFileSync(bundleFile(outfitsBundle(), 'outfit_images.bin'));
  // The shop draws Fashion-MNIST's negatives inverted (the garment dark on white).
  const pixelsOf = (index) => Array.from(images.subarray(index * 784, (index + 1) * 784), (v) => 255 - v);
  // Any Content-Security-Policy violation (canvases, workers) is recorded in window.__csp.
  const { page, problems } = await openShop(session, '', (p) => p.addInitScript(() => {
    window.__csp = [];
    document.addEventListener('securitypolicyviolation', (event) => window.__csp.push(`${event.violatedDirective} ${event.blockedURI}`));
  }));
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.evaluate(() => window.tailorShop.rec.history.clear());
  await page.evaluate(() => window.tailorShop.looks.history.clear());
  assert.equal(await page.evaluate(() => window.tailorShop.rec.outfitSection), null,
    'the catalog\'s bundle has no outfit model: a shop without outfits gets none');
  assert.equal(await page.locator('#look-section').isVisible(), true, 'the section shows');
  assert.match(await page.locator('#look-synthetic').innerText(), /Outfits learnt from synthetic data/);
  assert.match(await page.locator('#look-synthetic').innerText(), /another example shop's bundle/);

  const lookbook = await drawnPictures(page, '#lookbook canvas');
  assert.ok(lookbook.length >= 12, `the lookbook shows ${lookbook.length} items`);
  for (const shown of lookbook) {
    assert.deepEqual(shown.size, [28, 28]);
    assert.deepEqual(shown.grey, pixelsOf(shown.index), `the picture of ${shown.id}`);
    assert.equal(model.items[shown.index].id, shown.id);
  }

  const card = page.locator('#lookbook button.look-item').nth(5);
  const anchor = await card.getAttribute('data-id');
  await card.click();
  await shopIdle(page);
  const look = await page.evaluate(() => window.tailorShop.look);
  assert.equal(look.anchor, anchor);
  assert.equal(look.historyUsed, 1, 'the choice was recorded as a view and read');
  assert.deepEqual(await page.evaluate(async () => (await window.tailorShop.looks.history.list()).map((e) => e.itemId)), [anchor],
    'the view is in the history of the bundle whose outfit model reads it');
  assert.equal(await page.locator('#history li .title').first().innerText(), model.items.find((i) => i.id === anchor).title);

  // The panel sits right after the chosen item's row, and holds the 3 outfits, each with it.
  const placement = await page.evaluate((anchor) => {
    const panel = document.querySelector('#lookbook > li.look');
    const chosen = document.querySelector(`#lookbook button.look-item[data-id="${anchor}"]`).parentElement;
    const cards = [...document.querySelectorAll('#lookbook > li:not(.look)')];
    return {
      after: Boolean(chosen.compareDocumentPosition(panel) & Node.DOCUMENT_POSITION_FOLLOWING),
      below: panel.getBoundingClientRect().top >= chosen.getBoundingClientRect().bottom,
      between: cards.filter((li) => (chosen.compareDocumentPosition(li) & Node.DOCUMENT_POSITION_FOLLOWING)
        && (li.compareDocumentPosition(panel) & Node.DOCUMENT_POSITION_FOLLOWING))
        .every((li) => li.offsetTop === chosen.offsetTop),
      pressed: document.querySelector(`#lookbook button.look-item[data-id="${anchor}"]`).getAttribute('aria-pressed'),
    };
  }, anchor);
  assert.deepEqual(placement, { after: true, below: true, between: true, pressed: 'true' });
  const outfits = await page.$$eval('#lookbook .look .outfit', (lis) => lis.map((li) => ({
    ids: [...li.querySelectorAll('.piece')].map((p) => p.dataset.id),
    titles: [...li.querySelectorAll('.piece .title')].map((t) => t.textContent),
    score: li.querySelector('.outfit-score').textContent,
  })));
  assert.equal(outfits.length, 3);
  assert.deepEqual(outfits.map((o) => o.ids), look.outfits.map((o) => o.items.map((i) => i.id)));
  assert.deepEqual(outfits.map((o) => o.titles), look.outfits.map((o) => o.items.map((i) => i.title)));
  for (const [i, outfit] of outfits.entries()) {
    assert.ok(outfit.ids.includes(anchor), `outfit ${i + 1} holds the chosen item`);
    assert.match(outfit.score, new RegExp(`^score ${look.outfits[i].score.toFixed(3)}`));
  }
  const pieces = await drawnPictures(page, '#lookbook .look canvas');
  assert.equal(pieces.length, outfits.flatMap((o) => o.ids).length, 'one picture per outfit item');
  for (const piece of pieces) assert.deepEqual(piece.grey, pixelsOf(piece.index), `the picture of ${piece.id} in an outfit`);
  assertSameLook(look, nativeLook(anchor, { k: 3, history: [anchor] }), 'the shop\'s look');

  // The request box re-runs the look around the same item.
  await page.fill('#look-query', QUERY);
  await page.click('#look-button');
  await shopIdle(page);
  const restyled = await page.evaluate(() => window.tailorShop.look);
  assert.equal(restyled.query, QUERY);
  assert.equal(restyled.anchor, anchor);
  assert.match(await page.locator('#lookbook .look h3').innerText(), new RegExp(`for “${QUERY}”`));
  assertSameLook(restyled, nativeLook(anchor, { k: 3, history: [anchor], query: QUERY }), `the shop's look for "${QUERY}"`);
  console.log(`  shop: ${await page.locator('#lookbook .look .meta').innerText()}`);

  // Clearing the history re-runs it without the view.
  await page.click('#clear-history');
  await shopIdle(page);
  assert.equal((await page.evaluate(() => window.tailorShop.look)).historyUsed, 0);
  assert.deepEqual(await page.evaluate(() => window.__csp), [], 'no CSP violations under the shop\'s policy');
  assert.deepEqual(problems, []);
  await page.close();
});

test('hostile outfit titles render as text in the lookbook, the outfits and the history', async () => {
  const { page, problems } = await openPage(session.browser, `${session.server.url}/?bundle=/hostile/`, (p) =>
    // Without the CSP meta, so that an injection would run if the page allowed one.
    p.route((url) => url.pathname === '/', async (route) => {
      const response = await route.fetch();
      const body = (await response.text()).replace(/<meta http-equiv="Content-Security-Policy"[^>]*>/, '');
      await route.fulfill({ response, body });
    }));
  await page.waitForFunction(() => document.body.dataset.state !== 'loading', null, { timeout: 90_000 });
  assert.equal(await page.evaluate(() => document.body.dataset.state), 'ready');
  assert.equal(await page.locator('meta[http-equiv="Content-Security-Policy"]').count(), 0);
  await page.locator('#lookbook button.look-item').first().click();
  await shopIdle(page);
  const shown = await page.evaluate(() => ({
    pwned: window.__pwned,
    images: document.querySelectorAll('img[onerror], img[src="x"]').length,
    scripts: document.querySelectorAll('main script').length,
    lookbook: [...document.querySelectorAll('#lookbook .look-item .title')].map((n) => n.textContent),
    heading: document.querySelector('#lookbook .look h3 .title').textContent,
    pieces: [...document.querySelectorAll('#lookbook .look .piece .title')].map((n) => n.textContent),
    labels: [...document.querySelectorAll('#lookbook .look canvas')].map((c) => c.getAttribute('aria-label')),
    history: document.querySelector('#history .title').textContent,
  }));
  assert.equal(shown.pwned, undefined);
  assert.equal(shown.images, 0, 'no <img> element of a title in the page');
  assert.equal(shown.scripts, 0, 'no <script> element in the shop\'s content');
  assert.equal(shown.lookbook[0], `${IMG} #0`);
  assert.ok(shown.lookbook.includes(`${SCRIPT} #1`), 'both payloads are on screen');
  assert.equal(shown.heading, `${IMG} #0`);
  assert.equal(shown.history, `${IMG} #0`);
  assert.ok(shown.pieces.length >= 3);
  for (const title of [...shown.lookbook, ...shown.pieces, ...shown.labels]) {
    assert.match(title, /^(<img src=x onerror="window.__pwned=1">|<script>window.__pwned=2<\/script>) #\d+$/);
  }
  assert.ok((await page.locator('#lookbook .look').innerText()).includes(IMG), 'the title shows literally');
  assert.deepEqual(problems, []);
  await page.close();
});
