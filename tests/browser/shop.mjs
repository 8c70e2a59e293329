// Driving the demo shop (www/) from the browser tests as a shopper would, and the native ranking
// its results are compared with. Shared by shop.test.mjs and personalization.test.mjs.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { openPage } from './harness.mjs';

export const LOAD_TIMEOUT = 90_000;

/**
 * `tailor recommend --json` on a bundle folder: the native ranking, [{id, title, class, score,
 * index, because}]. `history` is item ids, most recent first (left out when empty: the CLI reads
 * `--history ''` as one empty id).
 * @param {string} bundle
 * @param {string} query
 * @param {number} k
 * @param {string[]} [history]
 */
export function nativeRanking(bundle, query, k, history = []) {
  const args = ['recommend', '--json', '--bundle', bundle, '--query', query, '--k', String(k)];
  if (history.length > 0) args.push('--history', history.join(','));
  return JSON.parse(execFileSync(process.env.TAILOR_BIN, args))[0].items;
}

export async function waitReady(page) {
  await page.waitForFunction(() => document.body.dataset.state !== 'loading', null, { timeout: LOAD_TIMEOUT });
  const state = await page.evaluate(() => document.body.dataset.state);
  if (state !== 'ready') {
    const message = await page.locator('#error').innerText().catch(() => '(no message)');
    assert.fail(`the shop did not load: ${message}`);
  }
}

/** The shop (served at the session's root) in a fresh browser context, loaded. */
export async function openShop(session, query = '', setup) {
  const opened = await openPage(session.browser, `${session.server.url}/${query}`, setup);
  await waitReady(opened.page);
  return opened;
}

/** Waits until every click, request and clear made so far in the shop has taken effect
 * (results re-ranked included). */
export const shopIdle = (page) => page.evaluate(() => window.tailorShop.idle());

/** The results on screen: [{id, title, class, score}], best first (scores as shown, 3 decimals). */
export const shownResults = (page) => page.$$eval('#results button.item', (buttons) => buttons.map((b) => ({
  id: b.dataset.id,
  title: b.querySelector('.title').textContent,
  class: b.querySelector('.class').textContent,
  score: Number(b.querySelector('.score').textContent),
})));

/** Submits a request in the shop's box and waits for its results. */
export async function ask(page, query) {
  await page.evaluate(() => { delete document.body.dataset.results; });
  await page.fill('#query', query);
  await page.click('#ask-button');
  await page.waitForFunction(() => document.body.dataset.results !== undefined || !document.querySelector('#error').hidden);
  // Re-ranks queued by earlier clicks also render results: wait for this request's own.
  await shopIdle(page);
  assert.equal(await page.locator('#error').isHidden(), true, await page.locator('#error').innerText());
  return shownResults(page);
}

/** The history panel, most recent first: [{id, title}]. */
export const historyPanel = (page) => page.$$eval('#history li', (lis) => lis.map((li) => ({
  id: li.dataset.id,
  title: li.querySelector('.title').textContent,
})));

/** The stored history's item ids, most recent first (what recommend() reads). */
export const storedHistory = (page) => page.evaluate(async () =>
  (await window.tailorShop.rec.history.list()).map((entry) => entry.itemId));
