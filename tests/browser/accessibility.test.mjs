// Accessible by default: axe-core (npm `axe-core`) checks the demo shop and <tailor-recs>, each
// with results on screen, and finds no serious or critical violation of WCAG 2.x A/AA or of
// axe's best practices. axe reads open shadow roots, so the element's cards are checked too.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import { openPage, useBrowser } from './harness.mjs';
import { handmadeBundle, outfitsBundle, testBundle } from './bundles.mjs';
import { LOAD_TIMEOUT, ask, openShop, shopIdle } from './shop.mjs';

const AXE_SOURCE = fs.readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

const session = useBrowser('www', () => ({
  '/web': 'web',
  '/bundle': testBundle(),
  '/looks': outfitsBundle(),
  '/handmade': handmadeBundle(),
  '/pages': 'tests/browser/pages',
}));

/** axe's serious and critical violations on the page as it is now, one line each. */
async function seriousViolations(page) {
  // Evaluated by the test driver, not loaded by the page: the shop's CSP stays as it is.
  await page.evaluate(AXE_SOURCE);
  const violations = await page.evaluate(async () => {
    const result = await window.axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] },
    });
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n) => n.target.join(' ')).slice(0, 5),
    }));
  });
  for (const v of violations) console.log(`  axe ${v.impact}: ${v.id} (${v.help}) at ${v.nodes.join(', ')}`);
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

test('axe-core: the demo shop, with results and a completed look, has no serious or critical violation', async () => {
  const { page, problems } = await openShop(session);
  await ask(page, 'summer dress');
  await page.locator('#lookbook button.look-item').first().waitFor({ timeout: LOAD_TIMEOUT });
  await page.locator('#lookbook button.look-item').nth(2).click();
  await shopIdle(page);
  assert.equal(await page.locator('#lookbook > li.look').count(), 1, 'a completed look is on screen');
  assert.deepEqual(await seriousViolations(page), []);
  assert.deepEqual(problems, []);
  await page.close();
});

test('axe-core: <tailor-recs> with product cards has no serious or critical violation', async () => {
  const query = new URLSearchParams({ bundle: '/handmade/', k: '6' });
  const { page, problems } = await openPage(session.browser, `${session.server.url}/pages/recs.html?${query}`);
  await page.waitForFunction(() => document.body.dataset.state !== 'loading', null, { timeout: LOAD_TIMEOUT });
  await page.evaluate(() => { window.recsEvents = []; });
  await page.locator('tailor-recs input').fill('breton striped top');
  await page.locator('tailor-recs button[part=button]').click();
  await page.waitForFunction(() => window.recsEvents.some((e) => e.type === 'tailor-results'));
  assert.ok(await page.evaluate(() => document.querySelector('tailor-recs').shadowRoot.querySelectorAll('li').length) > 0);
  assert.deepEqual(await seriousViolations(page), []);
  assert.deepEqual(problems, []);
  await page.close();
});
