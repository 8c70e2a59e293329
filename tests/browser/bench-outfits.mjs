// Runs www/bench/outfits.html in headless Chromium and prints its table (`cargo xtask bench`).
// Usage: node tests/browser/bench-outfits.mjs [items per slot, comma-separated] [rounds]
import { launchChromium, openPage, startServer } from './harness.mjs';

const items = process.argv[2] ?? '10000,100000,1000000';
const rounds = Number(process.argv[3] ?? 5);
const server = await startServer('www', { '/web': 'web' });
const browser = await launchChromium();
try {
  const { page, problems } = await openPage(browser, `${server.url}/bench/outfits.html?autorun&items=${items}&rounds=${rounds}`);
  await page.waitForFunction(() => window.benchResult, null, { timeout: 600_000, polling: 500 });
  const result = await page.evaluate(() => window.benchResult);
  if (result.error) throw new Error(`benchmark page failed: ${result.error}`);
  if (problems.length) throw new Error(`benchmark page reported errors:\n${problems.join('\n')}`);
  const m = (x) => `${(x / 1e6).toFixed(1)} M`;
  const b = result.baseline;
  console.log(`\nwasm (CPU build) in ${result.userAgent}`);
  console.log(`complete the look: ${result.slots} slots x ${result.bits} bits, ${result.candidatesPerSlot} candidates per slot, top ${result.k}, median of ${result.rounds} rounds`);
  console.log(`the JS float baseline ${b.agrees ? 'finds the same outfits as wasm' : 'DISAGREES with wasm'} at 10k per slot\n`);
  console.log('| items/slot | ms/complete | outfits scored/call | outfits scored/s | items scanned/s | vs JS float (10k) | code bytes in wasm | build ms |');
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
  console.log(`| ${b.itemsPerSlot.toLocaleString('en')} (JS float baseline) | ${b.msPerComplete.toFixed(2)} | ${Math.round(b.outfitsPerCall).toLocaleString('en')} | ${m(b.outfitsPerSecond)} | ${m(b.itemsScannedPerSecond)} | 1.0x | (${(b.floatBytes / 1e6).toFixed(1)} MB of JS floats) | |`);
  for (const row of result.rows) {
    console.log(`| ${row.itemsPerSlot.toLocaleString('en')} | ${row.msPerComplete.toFixed(2)} | ${Math.round(row.outfitsPerCall).toLocaleString('en')} | ${m(row.outfitsPerSecond)} | ${m(row.itemsScannedPerSecond)} | ${row.speedupVsBaseline.toFixed(1)}x | ${(row.codeBytes / 1e6).toFixed(1)} MB | ${row.constructMs.toFixed(0)} |`);
  }
} finally {
  await browser.close();
  server.close();
}
