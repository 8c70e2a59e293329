// Runs www/bench/ in headless Chromium and prints its table (`cargo xtask bench`).
// Usage: node tests/browser/bench.mjs [items] [rounds]
import { launchChromium, openPage, startServer } from './harness.mjs';

const items = Number(process.argv[2] ?? 1_000_000);
const rounds = Number(process.argv[3] ?? 7);
const server = await startServer('www', { '/web': 'web' });
const browser = await launchChromium();
try {
  const { page, problems } = await openPage(browser, `${server.url}/bench/?autorun&items=${items}&rounds=${rounds}`);
  await page.waitForFunction(() => window.benchResult, null, { timeout: 600_000, polling: 500 });
  const result = await page.evaluate(() => window.benchResult);
  if (result.error) throw new Error(`benchmark page failed: ${result.error}`);
  if (problems.length) throw new Error(`benchmark page reported errors:\n${problems.join('\n')}`);
  console.log(`\nwasm (CPU build) in ${result.userAgent}`);
  console.log(`${result.items.toLocaleString('en')} items x ${result.bits} bits, top ${result.k}, median of ${result.rounds} rounds\n`);
  console.log('| method | pairs/s | ms/query | vs float |');
  console.log('|---|---:|---:|---:|');
  for (const row of result.rows) {
    console.log(`| ${row.method} | ${(row.pairsPerSecond / 1e6).toFixed(1)} M | ${row.msPerQuery.toFixed(2)} | ${row.speedupVsFloat.toFixed(1)}x |`);
  }
} finally {
  await browser.close();
  server.close();
}
