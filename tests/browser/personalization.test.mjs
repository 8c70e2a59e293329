// Personalization in the browser, on the real (personalizing) test bundle: the shopper's
// on-device history re-ranks a request (COURIER's intention attention), each result says which
// viewed items it comes from, clearing the history brings back the request-only ranking, and
// the browser ranks and explains exactly as the native `tailor recommend --history` does.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openPage, useBrowser } from './harness.mjs';
import { readItems, readJson, outfitsBundle, testBundle } from './bundles.mjs';
import { check } from './quality.mjs';
import { ask, nativeRanking, openShop, shopIdle, shownResults, storedHistory } from './shop.mjs';

// Served as `cargo xtask demo` serves the shop: complete the look from the outfits bundle.
const session = useBrowser('www', () => ({
  '/web': 'web',
  '/bundle': testBundle(),
  '/looks': outfitsBundle(),
  '/pages': 'tests/browser/pages',
}));

/** A request that names no class, so that whatever moves is the history's doing. */
const NEUTRAL = 'something to wear';
/** How many catalog items of one class the shopper views. */
const VIEWS = 8;
/** A class the request-only top 10 holds at most this many of has room to rise. */
const ROOM_TO_RISE = 2;
/** How much the views must lift the viewed class: its mean rank over the whole catalog must
 * fall by at least this share. The test bundle is small and its shoppers (synthetic) often
 * browse another class than they ask for, so the lift is real but moderate, and whether it
 * carries a class that starts near the bottom into the top 10 depends on the seed (`cargo
 * xtask seeds`): 95.1 -> 69.0 and 0 -> 1 in the top 10 with seed 0, 101.4 -> 82.9 and 0 -> 0
 * with seed 1. So the top-10 count is printed, not asserted. */
const MEAN_RANK_GAIN = 0.1;
/** Native and wasm scores and weights agree this closely (as in shop.test.mjs). */
const TOLERANCE = 1e-3;

/** The bundle's personalization settings; fails, saying so, for a bundle without them, since
 * nothing in this file means anything then. */
function personalization() {
  const settings = readJson(testBundle(), 'manifest.json').personalization;
  assert.ok(settings, `the test bundle ${testBundle()} does not personalize (manifest.json has ` +
    'personalization: null): the browser tests need one trained with history layers');
  return settings;
}

/** The recommendation on screen, as recommend() returned it, with its query (exact scores). */
const shopResult = (page) => page.evaluate(() => window.tailorShop.result);

const countOf = (items, className) => items.filter((item) => item.class === className).length;

function countsByClass(items) {
  const counts = new Map();
  for (const item of items) counts.set(item.class, (counts.get(item.class) ?? 0) + 1);
  return counts;
}

/** One line per result, for assertion messages: rank, class, id, score and reasons. */
function describe(items) {
  return items.map((r, i) => {
    const reasons = r.because?.length
      ? `  because ${r.because.map((b) => `${b.id} (${(b.weight * 100).toFixed(1)}%)`).join(', ')}`
      : '';
    return `  ${String(i + 1).padStart(2)}. ${r.class.padEnd(14)} ${r.id.padStart(6)} ${r.score.toFixed(4)}${reasons}`;
  }).join('\n');
}

/** Same ids in the same order, scores within TOLERANCE, the same reasons with the same weights. */
function assertSameRanking(browser, native, what) {
  const both = `\nbrowser:\n${describe(browser)}\nnative:\n${describe(native)}`;
  assert.deepEqual(browser.map((r) => r.id), native.map((r) => r.id), `${what}: the same ids in the same order${both}`);
  browser.forEach((r, i) => {
    const n = native[i];
    assert.ok(Math.abs(r.score - n.score) <= TOLERANCE, `${what}: score of ${r.id}: browser ${r.score}, native ${n.score}${both}`);
    assert.deepEqual(r.because.map((b) => b.id), n.because.map((b) => b.id), `${what}: the reasons for ${r.id}${both}`);
    r.because.forEach((b, j) => {
      assert.ok(Math.abs(b.weight - n.because[j].weight) <= TOLERANCE,
        `${what}: weight of ${b.id} behind ${r.id}: browser ${b.weight}, native ${n.because[j].weight}${both}`);
    });
  });
}

/** The class the shopper browses: of the classes with at least VIEWS items, the largest that the
 * request-only top 10 holds at most ROOM_TO_RISE of. */
function pickClass(catalog, top10) {
  const sizes = countsByClass(catalog);
  const shown = countsByClass(top10);
  const candidates = [...sizes]
    .filter(([name, size]) => name && size >= VIEWS && (shown.get(name) ?? 0) <= ROOM_TO_RISE)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  assert.ok(candidates.length > 0, `no class has ${VIEWS}+ catalog items and at most ${ROOM_TO_RISE} ` +
    `in the top 10 of "${NEUTRAL}": catalog ${JSON.stringify(Object.fromEntries(sizes))}, ` +
    `top 10 ${JSON.stringify(Object.fromEntries(shown))}`);
  return candidates[0][0];
}

/** Views the first `count` items of `className` in the catalog grid, as a shopper would: filter
 * the grid to the class, then click each card. Returns their ids in click order. */
async function browseClass(page, className, count) {
  await page.selectOption('#class-filter', className);
  const cards = page.locator('#catalog button.item');
  const classes = await cards.locator('.class').allTextContents();
  assert.ok(classes.length >= count, `the catalog grid shows ${classes.length} ${className} items, not ${count}`);
  assert.deepEqual([...new Set(classes)], [className], 'the filtered grid shows that class only');
  const viewed = [];
  for (let i = 0; i < count; i++) {
    const card = cards.nth(i);
    viewed.push(await card.getAttribute('data-id'));
    await card.click();
    // One view at a time: each re-ranks the request on screen, which moves the grid below it.
    await shopIdle(page);
  }
  return viewed;
}

/** Where each item of `className` ranks (1 = best) over the whole catalog, averaged. */
async function meanRank(page, className, history) {
  const ranked = await page.evaluate(async ({ query, history }) => {
    const rec = window.tailorShop.rec;
    const result = await rec.recommend({ query, k: rec.items.length, history });
    return result.items.map((item) => item.class);
  }, { query: NEUTRAL, history });
  const ranks = ranked.flatMap((name, i) => (name === className ? [i + 1] : []));
  return ranks.reduce((sum, rank) => sum + rank, 0) / ranks.length;
}

/** The neutral request in the shop, then VIEWS catalog views of a class it ranks low: the
 * results on screen before and after (the views re-rank it), and what was viewed. */
async function viewOneClass(page) {
  const catalog = readItems(testBundle());
  const before = await ask(page, NEUTRAL);
  const beforeResult = await shopResult(page);
  const className = pickClass(catalog, before.slice(0, 10));
  const viewed = await browseClass(page, className, VIEWS);
  const after = await shownResults(page);
  const afterResult = await shopResult(page);
  return { catalog, className, viewed, before, beforeResult, after, afterResult };
}

test('an empty history ranks by the request alone: no reasons, and the native ranking without --history', async () => {
  personalization();
  const { page, problems } = await openShop(session);
  const shown = await ask(page, NEUTRAL);
  const result = await shopResult(page);
  assert.equal(result.personalized, true, 'a personalizing bundle says so even without a history');
  assert.equal(result.historyUsed, 0);
  assert.deepEqual(result.unknownHistory, []);
  for (const item of result.items) {
    assert.deepEqual(item.because, [], `result ${item.id} is explained by an empty history`);
  }
  assert.equal(await page.locator('#results .because').count(), 0, 'no "because you viewed" line without a history');
  assert.deepEqual(shown.map((r) => r.id), result.items.map((r) => r.id), 'the page shows the result');
  assertSameRanking(result.items, nativeRanking(testBundle(), NEUTRAL, result.items.length),
    `"${NEUTRAL}" with an empty history`);
  assert.deepEqual(problems, []);
  await page.close();
});

test(`viewing ${VIEWS} items of one class in the catalog moves that class up for "${NEUTRAL}", and results say why`, async () => {
  const settings = personalization();
  const { page, problems } = await openShop(session);
  const { catalog, className, viewed, before, after, afterResult } = await viewOneClass(page);
  const titles = new Map(catalog.map((item) => [item.id, item.title]));

  // Each view re-ranked the request on screen, with the whole history, most recent first.
  assert.deepEqual(await storedHistory(page), [...viewed].reverse(), 'the stored history, most recent first');
  assert.equal(afterResult.query, NEUTRAL, 'the request on screen was re-ranked');
  assert.equal(afterResult.historyUsed, Math.min(VIEWS, settings.max_history));
  assert.deepEqual(after.map((r) => r.id), afterResult.items.map((r) => r.id), 'the page shows the re-ranked result');

  const beforeCount = countOf(before.slice(0, 10), className);
  const afterCount = countOf(after.slice(0, 10), className);
  const meanBefore = await meanRank(page, className, []);
  const meanAfter = await meanRank(page, className, await storedHistory(page));
  const story = `${className} in the top 10 of "${NEUTRAL}": ${beforeCount} before, ${afterCount} after viewing ` +
    `${viewed.join(', ')}; mean rank over the catalog ${meanBefore.toFixed(1)} -> ${meanAfter.toFixed(1)}\n` +
    `before:\n${describe(before)}\nafter:\n${describe(afterResult.items)}`;
  console.log(`  ${story.split('\n')[0]}`);
  const lift = `personalization: ${VIEWS} views of one class`;
  console.log(`  ${lift}: ${afterCount} in the top 10 after, ${beforeCount} before`);
  assert.ok(check(`${lift}: its mean rank vs ${1 - MEAN_RANK_GAIN} x before`, meanAfter, '<=', (1 - MEAN_RANK_GAIN) * meanBefore),
    `${className} does not rank at least ${MEAN_RANK_GAIN * 100}% higher over the whole catalog: ${story}`);

  // The explanation: every result names viewed items, heaviest first, weights in [0, 1] summing
  // to at most 1; the page shows them as "Because you viewed <title> (<weight>%)".
  const viewedIds = new Set(viewed);
  for (const item of afterResult.items) {
    assert.ok(item.because.length >= 1 && item.because.length <= 3, `result ${item.id} has ${item.because.length} reasons: ${story}`);
    for (const reason of item.because) {
      assert.ok(viewedIds.has(reason.id), `result ${item.id} is explained by ${reason.id}, which was not viewed: ${story}`);
      assert.equal(reason.title, titles.get(reason.id));
      assert.ok(reason.weight >= 0 && reason.weight <= 1, `weight ${reason.weight} of ${reason.id} for ${item.id}`);
    }
    const weights = item.because.map((reason) => reason.weight);
    assert.deepEqual(weights, [...weights].sort((a, b) => b - a), `the reasons for ${item.id}, heaviest first`);
    assert.ok(weights.reduce((sum, w) => sum + w, 0) <= 1 + 1e-5, `the weights for ${item.id} sum to more than 1: ${weights}`);
  }
  const lines = await page.$$eval('#results button.item', (buttons) => buttons.map((button) => {
    const line = button.querySelector('.because');
    return {
      id: button.dataset.id,
      text: line?.textContent ?? '',
      reasons: [...(line?.querySelectorAll('.reason') ?? [])].map((r) => ({ id: r.dataset.id, title: r.textContent })),
    };
  }));
  for (const [i, line] of lines.entries()) {
    const reasons = afterResult.items[i].because;
    assert.match(line.text, /^Because you viewed /, `result ${line.id} shows why: ${JSON.stringify(line.text)}`);
    assert.deepEqual(line.reasons, reasons.map(({ id, title }) => ({ id, title })), `the reasons shown for ${line.id}`);
    assert.equal(line.text.match(/\((\d+|<1)%\)/g)?.length, reasons.length, `a weight in % per reason: ${JSON.stringify(line.text)}`);
  }
  assert.match(await page.locator('#results-meta').innerText(), /personalised with \d+ history items?/);
  assert.deepEqual(problems, []);
  await page.close();
});

test('clearing the history with the shop\'s button brings back exactly the request-only ranking', async () => {
  personalization();
  const { page, problems } = await openShop(session);
  const { className, before, beforeResult, afterResult } = await viewOneClass(page);
  const rankings = `before:\n${describe(beforeResult.items)}\nafter viewing ${className}:\n${describe(afterResult.items)}`;
  // Clearing proves something only if the views changed the ranking.
  assert.notDeepEqual(afterResult.items.map((r) => [r.id, r.score]), beforeResult.items.map((r) => [r.id, r.score]),
    `viewing ${className} changed nothing:\n${rankings}`);

  await page.click('#clear-history');
  await shopIdle(page);
  assert.deepEqual(await storedHistory(page), []);
  const cleared = await shownResults(page);
  const clearedResult = await shopResult(page);
  const story = `${rankings}\nafter clearing:\n${describe(clearedResult.items)}`;
  assert.equal(clearedResult.query, NEUTRAL, 'clearing re-ranked the request on screen');
  assert.equal(clearedResult.historyUsed, 0);
  assert.deepEqual(cleared.map((r) => r.id), before.map((r) => r.id), `the same ids in the same order as before the views:\n${story}`);
  clearedResult.items.forEach((r, i) => {
    // The same computation on the same input: equal, bar float noise.
    assert.ok(Math.abs(r.score - beforeResult.items[i].score) <= 1e-6,
      `score of ${r.id}: ${r.score} after clearing, ${beforeResult.items[i].score} before the views`);
    assert.deepEqual(r.because, []);
  });
  assert.equal(await page.locator('#results .because').count(), 0, 'no "because you viewed" line once cleared');
  assert.deepEqual(problems, []);
  await page.close();
});

test('with the history the shop recorded, the browser ranks and explains as native `tailor recommend --history`', async () => {
  personalization();
  const { page, problems } = await openShop(session);
  const { viewed, afterResult } = await viewOneClass(page);
  const history = await storedHistory(page);
  assert.deepEqual(history, [...viewed].reverse(), 'the stored history, most recent first');
  assertSameRanking(afterResult.items, nativeRanking(testBundle(), NEUTRAL, afterResult.items.length, history),
    `"${NEUTRAL}" with history ${history.join(',')}`);
  // A request that names a class, with the same history.
  const query = 'red summer dress';
  await ask(page, query);
  const result = await shopResult(page);
  assert.equal(result.historyUsed, afterResult.historyUsed);
  assertSameRanking(result.items, nativeRanking(testBundle(), query, result.items.length, history),
    `"${query}" with history ${history.join(',')}`);
  assert.deepEqual(problems, []);
  await page.close();
});

test('worker API: unknown history ids are reported and change nothing; historyUsed counts known ids, at most max_history', async () => {
  const settings = personalization();
  const catalog = readItems(testBundle());
  const unknown = ['no-such-item-a', 'no-such-item-b'];
  const known = catalog[3].id;
  // Longer than the model reads, most recent first: only the first max_history count.
  const long = Array.from({ length: settings.max_history + 5 }, (_, i) => catalog[i % catalog.length].id);
  const { page, problems } = await openPage(session.browser, `${session.server.url}/pages/index.html`);
  const run = await page.evaluate(async ({ query, unknown, known, long }) => {
    const { Tailor } = await import('/web/tailor.js');
    const rec = await Tailor.load('/bundle/', { backend: 'cpu' });
    const out = {
      plain: await rec.recommend({ query, k: 10, history: [] }),
      unknownOnly: await rec.recommend({ query, k: 10, history: unknown }),
      mixed: await rec.recommend({ query, k: 10, history: [unknown[0], known, unknown[1], unknown[0]] }),
      long: await rec.recommend({ query, k: 10, history: long }),
    };
    rec.close();
    return out;
  }, { query: NEUTRAL, unknown, known, long });
  const { plain, unknownOnly, mixed } = run;

  assert.equal(plain.personalized, true);
  assert.equal(plain.historyUsed, 0);
  assert.deepEqual(unknownOnly.unknownHistory, unknown);
  assert.equal(unknownOnly.historyUsed, 0);
  // Unknown ids are skipped before the model sees the history: exactly the request-only ranking.
  assert.deepEqual(unknownOnly.items, plain.items,
    `unknown ids changed the ranking:\nwithout:\n${describe(plain.items)}\nwith unknown ids:\n${describe(unknownOnly.items)}`);

  assert.deepEqual(mixed.unknownHistory, unknown, 'each unknown id reported once, in order');
  assert.equal(mixed.historyUsed, 1, 'only the known id is read');
  for (const item of mixed.items) {
    // A viewed item is not its own reason, so the known item itself has none.
    const expected = item.id === known ? [] : [known];
    assert.deepEqual(item.because.map((b) => b.id), expected, `result ${item.id} is explained by the one known item`);
  }

  assert.equal(run.long.historyUsed, settings.max_history, 'historyUsed stops at max_history');
  const readable = new Set(long.slice(0, settings.max_history));
  for (const item of run.long.items) {
    for (const reason of item.because) {
      assert.ok(readable.has(reason.id),
        `result ${item.id} is explained by ${reason.id}, older than the ${settings.max_history} most recent`);
    }
  }
  assert.deepEqual(problems, []);
  await page.close();
});

test('"for you": an empty request with a history ranks from the history alone, in the page as natively', async () => {
  personalization();
  const items = readItems(testBundle());
  const [className] = [...countsByClass(items)].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0];
  const recentFirst = items.filter((item) => item.class === className).slice(0, VIEWS).map((item) => item.id).reverse();
  const { page, problems } = await openPage(session.browser, `${session.server.url}/pages/index.html`);
  const run = await page.evaluate(async (history) => {
    const { Tailor } = await import('/web/tailor.js');
    const rec = await Tailor.load('/bundle/', { backend: 'cpu' });
    const out = {
      forYou: await rec.recommend({ query: '', k: 10, history }),
      blank: await rec.recommend({ query: '   ', k: 10, history }),
      nothing: await rec.recommend({ query: '', k: 10, history: [] }),
    };
    rec.close();
    return out;
  }, recentFirst);
  await page.close();
  assert.deepEqual(problems, []);
  assert.equal(run.forYou.personalized, true);
  assert.equal(run.forYou.historyUsed, VIEWS);
  assert.equal(run.forYou.items.length, 10);
  assertSameRanking(run.forYou.items, nativeRanking(testBundle(), '', 10, recentFirst), 'for you');
  assertSameRanking(run.blank.items, run.forYou.items, 'a blank request is an empty one');
  assertSameRanking(run.nothing.items, nativeRanking(testBundle(), '', 10), 'no request, no history');
  assert.notDeepEqual(run.forYou.items.map((r) => r.id), run.nothing.items.map((r) => r.id),
    'the history moves the "for you" ranking');
  assert.ok(run.forYou.items.some((r) => r.because.length > 0), 'for-you results say which viewed items they come from');
  console.log(`  for you after ${VIEWS} ${className} views: ${countOf(run.forYou.items, className)} of the top 10 are ` +
    `${className} (without a history: ${countOf(run.nothing.items, className)})`);
});
