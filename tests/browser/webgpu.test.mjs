// The WebGPU build of tailor-wasm runs a Burn forward pass (the FHN hash head) on a real WebGPU
// adapter and must agree with the CPU build. No adapter is a failure, never a skip.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openPage, useBrowser } from './harness.mjs';

const session = useBrowser();

test('WebGPU build: Burn forward pass read back asynchronously matches the CPU build', async () => {
  const { page, problems } = await openPage(session.browser, `${session.server.url}/`);
  const result = await page.evaluate(async () =>
    (await import('/checks.mjs')).webgpuParity({ n: 256, inputDim: 64, bits: 128, beta: 1.5 }));
  if (!result.adapter) {
    const banner = '!'.repeat(78);
    console.error(`\n${banner}\n!! NO WEBGPU ADAPTER in headless Chromium: ${result.reason}.\n` +
      `!! The WebGPU build was NOT tested. Chromium needs --enable-unsafe-webgpu.\n${banner}\n`);
    assert.fail(`no WebGPU adapter: ${result.reason}`);
  }
  console.log(`  adapter: ${JSON.stringify(result.adapter)}`);
  console.log(`  devices: ${result.devices.join(' | ')}`);
  console.log(`  max |webgpu - cpu| = ${result.maxDiffGpuVsCpu.toExponential(2)}, ` +
    `max |cpu - JS reference| = ${result.maxDiffCpuVsReference.toExponential(2)}`);
  assert.deepEqual(result.flavours, ['cpu', 'webgpu']);
  assert.match(result.devices[1], /Wgpu|WebGpu|wgpu/i, 'the WebGPU build must run on a wgpu device');
  assert.deepEqual(result.values, [256 * 128, 256 * 128, 256 * 128]);
  assert.ok(result.maxDiffGpuVsCpu <= 1e-4, `WebGPU and CPU differ by ${result.maxDiffGpuVsCpu}`);
  assert.ok(result.maxDiffCpuVsReference <= 1e-4, `CPU and JS differ by ${result.maxDiffCpuVsReference}`);
  // Guard against a degenerate comparison (e.g. everything saturated at +-1).
  assert.ok(result.saturatedFraction < 0.5, `saturated fraction ${result.saturatedFraction}`);
  assert.deepEqual(result.scorerTop10.webgpu, result.scorerTop10.cpu);
  assert.deepEqual(problems, []);
});
