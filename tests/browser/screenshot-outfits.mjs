// Takes www/screenshot-outfits.png: the demo shop's "Complete the look" section after choosing
// a lookbook item and asking for "sandals". Not a test (xtask runs only *.test.mjs):
//
//   TAILOR_BIN=$CARGO_TARGET_DIR/debug/tailor TAILOR_OUTFITS_BUNDLE=<bundle dir> \
//     node tests/browser/screenshot-outfits.mjs [out.png]
import path from 'node:path';
import { ROOT, launchChromium, openPage, startServer } from './harness.mjs';
import { shopIdle, waitReady } from './shop.mjs';

const out = path.resolve(process.argv[2] ?? path.join(ROOT, 'www/screenshot-outfits.png'));
// (bundles.mjs's testBundle() would register node:test hooks, which a script does not want.)
const bundle = process.env.TAILOR_OUTFITS_BUNDLE;
if (!bundle) throw new Error('TAILOR_OUTFITS_BUNDLE must name a bundle directory with an outfit model');
const server = await startServer('www', { '/web': 'web', '/bundle': bundle });
const browser = await launchChromium();
try {
  const { page, problems } = await openPage(browser, `${server.url}/`);
  await page.setViewportSize({ width: 1280, height: 1000 });
  await waitReady(page);
  // A clean history, so that the picture does not depend on earlier runs.
  await page.evaluate(() => window.tailorShop.rec.history.clear());
  await page.locator('#lookbook button.look-item').nth(0).click();
  await shopIdle(page);
  await page.fill('#look-query', 'sandals');
  await page.click('#look-button');
  await shopIdle(page);
  await page.mouse.move(0, 0); // no hover highlight in the picture
  await page.locator('#look-section').screenshot({ path: out });
  if (problems.length > 0) throw new Error(`the page had problems:\n${problems.join('\n')}`);
  console.log(`wrote ${out}`);
} finally {
  await browser.close();
  server.close();
}
