// Runs www/bench/recommend/ (Tailor's recommend() vs transformers.js) in headless Chromium, prints
// markdown tables with PASS / MISS against issue 4's goals and writes the JSON to
// tests/output/bench-recommend.json.
//
//   node tests/browser/bench-recommend.mjs [--sizes=1000,10000,100000] [--encoders=static,minilm]
//        [--backends=cpu] [--rounds=5] [--queries=20] [--cold-runs=3] [--no-cold] [--ort=plain|asyncify]
//
// Environment: TAILOR_BIN (the `tailor` binary, for `tailor serve`), CHROMIUM (default
// /usr/bin/chromium), TAILOR_BENCH_DIR (default ~/.cache/tailor-target/bench), holding
//   bundles/{static,minilm}-{demo,1000,10000,100000}/  and  models/minilm-int8/
// (`cargo xtask bench` prepares it).
//
// The page must not reach anything but the server's own origin: any other request is aborted
// and fails the run.
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { pathToFileURL } from 'node:url';
import { ROOT, launchChromium, startServer } from './harness.mjs';
import { GOALS, judge } from '../../www/bench/recommend/goals.mjs';

export const BENCH_DIR = path.resolve(
  process.env.TAILOR_BENCH_DIR ?? path.join(os.homedir(), '.cache/tailor-target/bench'),
);

/** The mounts the page needs: the site, the JS package, bundles, the ONNX model, transformers.js. */
export function benchMounts(benchDir = BENCH_DIR) {
  return {
    '/web': 'web',
    '/bundles': path.join(benchDir, 'bundles'),
    '/models': path.join(benchDir, 'models'),
    '/vendor/transformers': 'tests/node_modules/@huggingface/transformers/dist',
    '/vendor/ort': 'tests/node_modules/onnxruntime-web/dist',
  };
}

/** What is missing for a run over `sizes` x `encoders` (empty when all is there). */
export function missingInputs({ sizes, encoders, baseline = true, cold = false, benchDir = BENCH_DIR }) {
  const missing = [];
  const need = (relative) => {
    if (!fs.existsSync(path.join(benchDir, relative))) missing.push(path.join(benchDir, relative));
  };
  for (const size of sizes) {
    for (const encoder of encoders) need(`bundles/${encoder}-${size}/manifest.json`);
    if (baseline) need(`bundles/minilm-${size}/manifest.json`);
  }
  if (cold) {
    need('bundles/static-demo/manifest.json');
    need('bundles/minilm-demo/manifest.json');
  }
  if (baseline || cold) need('models/minilm-int8/onnx/model_quantized.onnx');
  for (const file of ['web/tailor.js', 'web/pkg/cpu/tailor_wasm.js',
    'tests/node_modules/@huggingface/transformers/dist/transformers.min.js']) {
    if (!fs.existsSync(path.join(ROOT, file))) missing.push(path.join(ROOT, file));
  }
  return missing;
}

/**
 * A loopback HTTP proxy in front of `tailor serve` that counts the bytes it sends back (status
 * line + headers, and bodies), per first path segment. The browser's own accounting misses
 * bytes that a Web Worker streams (Chromium reports such requests late, or as aborted), so the
 * wire is counted here. {url, reset(), bytes(), close()}.
 */
export function startCountingProxy(targetUrl) {
  const target = new URL(targetUrl);
  const agent = new http.Agent({ keepAlive: true });
  let counts = new Map();
  const add = (url, body, head) => {
    const prefix = new URL(url, 'http://x').pathname.split('/').slice(0, 2).join('/') || '/';
    const entry = counts.get(prefix) ?? { bodyBytes: 0, headerBytes: 0, requests: 0 };
    entry.bodyBytes += body;
    entry.headerBytes += head;
    entry.requests += 1;
    counts.set(prefix, entry);
  };
  const server = http.createServer((request, response) => {
    const upstream = http.request({
      host: target.hostname, port: target.port, path: request.url, method: request.method,
      headers: { ...request.headers, host: target.host }, agent,
    }, (answer) => {
      response.writeHead(answer.statusCode, answer.statusMessage, answer.rawHeaders);
      let head = `HTTP/1.1 ${answer.statusCode} ${answer.statusMessage}\r\n`.length + 2;
      for (let i = 0; i < answer.rawHeaders.length; i += 2) {
        head += answer.rawHeaders[i].length + answer.rawHeaders[i + 1].length + 4;
      }
      let body = 0;
      answer.on('data', (chunk) => {
        body += chunk.length;
        response.write(chunk);
      });
      answer.on('end', () => {
        add(request.url, body, head);
        response.end();
      });
    });
    upstream.on('error', (error) => {
      response.writeHead(502);
      response.end(String(error));
    });
    request.pipe(upstream);
  });
  return new Promise((resolve, reject) => {
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      resolve({
        url: `http://127.0.0.1:${port}`,
        reset() { counts = new Map(); },
        bytes() {
          const byPrefix = Object.fromEntries([...counts].map(([k, v]) => [k, v.bodyBytes]));
          let bodyBytes = 0, headerBytes = 0, requests = 0;
          for (const v of counts.values()) {
            bodyBytes += v.bodyBytes;
            headerBytes += v.headerBytes;
            requests += v.requests;
          }
          return { bodyBytes, withHeadersBytes: bodyBytes + headerBytes, requests, byPrefix };
        },
        close() {
          server.closeAllConnections?.();
          server.close();
          agent.destroy();
        },
      });
    });
  });
}

/**
 * A fresh browser context (own HTTP cache, nothing shared with earlier runs) whose requests are
 * watched: off-origin ones are aborted and listed, HTTP errors collected.
 */
export async function watchedContext(browser, origin) {
  const context = await browser.newContext();
  const watch = { offOrigin: [], problems: [] };
  const sameOrigin = (url) => {
    if (url.startsWith('data:')) return true;
    if (url.startsWith('blob:')) return url.startsWith(`blob:${origin}/`);
    try {
      return new URL(url).origin === origin;
    } catch {
      return false;
    }
  };
  await context.route((url) => !sameOrigin(url.href), async (route) => {
    watch.offOrigin.push(route.request().url());
    await route.abort('blockedbyclient');
  });
  context.on('request', (request) => {
    if (!sameOrigin(request.url())) watch.offOrigin.push(request.url());
  });
  context.on('response', (response) => {
    if (response.status() >= 400) watch.problems.push(`HTTP ${response.status()} for ${response.url()}`);
  });
  watch.offOriginUnique = () => [...new Set(watch.offOrigin)];
  return { context, watch };
}

/** Opens the benchmark page with `query` in a watched fresh context: {page, context, watch}. */
export async function openWatched(browser, serverUrl, query) {
  const origin = new URL(serverUrl).origin;
  const { context, watch } = await watchedContext(browser, origin);
  try {
    const page = await context.newPage();
    page.on('pageerror', (error) => watch.problems.push(`page error: ${error}`));
    page.on('console', (message) => {
      if (message.type() === 'error') watch.problems.push(`console error: ${message.text()}`);
      if (process.env.TAILOR_VERBOSE) console.log(`  [page ${message.type()}] ${message.text()}`);
    });
    await page.goto(`${serverUrl}/bench/recommend/?${query}`);
    return { page, context, watch };
  } catch (error) {
    await context.close();
    throw error;
  }
}

/** openWatched, then waits for window.benchResult: {result, page, context, watch}. */
export async function runPage(browser, serverUrl, query, { timeoutMs = 3_600_000 } = {}) {
  const { page, context, watch } = await openWatched(browser, serverUrl, query);
  try {
    await page.waitForFunction(() => window.benchResult, null, { timeout: timeoutMs, polling: 250 });
    const result = await page.evaluate(() => window.benchResult);
    // Let the last responses' byte counts settle.
    await new Promise((resolve) => setTimeout(resolve, 200));
    return { result, page, context, watch };
  } catch (error) {
    await context.close();
    throw error;
  }
}

/** Bytes on disk of the demo bundle + the CPU wasm + its JS + web/*.js, and what gzip -9 makes of them. */
export function deliverySizes(benchDir = BENCH_DIR) {
  const files = [];
  const walk = (dir) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile()) files.push(full);
    }
  };
  const bundleDir = path.join(benchDir, 'bundles/static-demo');
  walk(bundleDir);
  const cpu = path.join(ROOT, 'web/pkg/cpu');
  for (const name of fs.readdirSync(cpu)) {
    if (name.endsWith('.wasm') || name === 'tailor_wasm.js') files.push(path.join(cpu, name));
  }
  for (const name of fs.readdirSync(path.join(ROOT, 'web'))) {
    if (name.endsWith('.js')) files.push(path.join(ROOT, 'web', name));
  }
  const rows = files.map((file) => {
    const bytes = fs.readFileSync(file);
    return {
      file: file.startsWith(benchDir) ? `$TAILOR_BENCH_DIR/${path.relative(benchDir, file)}` : path.relative(ROOT, file),
      bytes: bytes.length,
      gzipBytes: zlib.gzipSync(bytes, { level: 9 }).length,
    };
  });
  const sum = (key, filter = () => true) => rows.filter(filter).reduce((a, r) => a + r[key], 0);
  const inBundle = (r) => r.file.startsWith('$TAILOR_BENCH_DIR/');
  return {
    files: rows,
    bundleBytes: sum('bytes', inBundle),
    codeBytes: sum('bytes', (r) => !inBundle(r)),
    totalBytes: sum('bytes'),
    gzipBytes: sum('gzipBytes'),
  };
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const ms = (value) => (Number.isFinite(value) ? value.toFixed(value < 10 ? 2 : 1) : '-');
const mb = (bytes) => `${(bytes / 1e6).toFixed(2)} MB`;

function parseArgs(argv) {
  const options = {
    sizes: ['1000', '10000', '100000'], encoders: ['static', 'minilm'], backends: ['cpu'],
    rounds: 5, queries: 20, coldRuns: 3, cold: true, ort: 'plain',
  };
  for (const arg of argv) {
    const [key, value] = arg.replace(/^--/, '').split('=');
    if (key === 'sizes' || key === 'encoders' || key === 'backends') options[key] = value.split(',');
    else if (key === 'rounds' || key === 'queries') options[key] = Number(value);
    else if (key === 'cold-runs') options.coldRuns = Number(value);
    else if (key === 'no-cold') options.cold = false;
    else if (key === 'ort') options.ort = value;
    else throw new Error(`unknown argument ${arg}`);
  }
  return options;
}

const COLD_CASES = [
  { label: 'Tailor, static demo bundle, CPU', kind: 'tailor', bundle: 'static-demo', backend: 'cpu' },
  { label: 'Tailor, MiniLM demo bundle, CPU', kind: 'tailor', bundle: 'minilm-demo', backend: 'cpu' },
  { label: 'transformers.js int8 MiniLM + cosine over the MiniLM demo items (its default ONNX Runtime build, asyncify)', kind: 'transformers', bundle: 'minilm-demo', backend: 'wasm', ort: 'asyncify' },
  { label: 'the same with ONNX Runtime\'s CPU-only wasm build (plain)', kind: 'transformers', bundle: 'minilm-demo', backend: 'wasm', ort: 'plain' },
];

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const missing = missingInputs({ sizes: options.sizes, encoders: options.encoders, cold: options.cold });
  if (missing.length) {
    throw new Error(`missing benchmark inputs (run \`cargo xtask bench\`, or set TAILOR_BENCH_DIR):\n  ${missing.join('\n  ')}`);
  }
  const server = await startServer('www', benchMounts());
  const proxy = await startCountingProxy(server.url);
  const browser = await launchChromium();
  const output = {
    benchDir: BENCH_DIR, options, offOrigin: [], problems: [],
    machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, loadBefore: os.loadavg() },
  };
  try {
    console.log(`\nserving www/ at ${server.url} (byte-counting proxy ${proxy.url}); bundles and models from ${BENCH_DIR}`);
    const query = new URLSearchParams({
      sizes: options.sizes.join(','), encoders: options.encoders.join(','), backends: options.backends.join(','),
      rounds: String(options.rounds), queries: String(options.queries), ort: options.ort,
    });
    console.log(`latency sweep: ${proxy.url}/bench/recommend/?autorun&${query}`);
    const sweep = await runPage(browser, proxy.url, `autorun&${query}`);
    output.sweep = sweep.result;
    output.offOrigin.push(...sweep.watch.offOriginUnique());
    output.problems.push(...sweep.watch.problems);
    await sweep.context.close();
    if (sweep.result.error) throw new Error(`benchmark page failed: ${sweep.result.error}`);

    output.coldStart = [];
    if (options.cold) {
      for (const c of COLD_CASES) {
        const runs = [];
        for (let i = 0; i < options.coldRuns; i++) {
          const params = new URLSearchParams({ cold: c.kind, bundle: c.bundle, backend: c.backend, ort: c.ort ?? options.ort });
          proxy.reset();
          const run = await runPage(browser, proxy.url, params.toString(), { timeoutMs: 600_000 });
          output.offOrigin.push(...run.watch.offOriginUnique());
          output.problems.push(...run.watch.problems);
          await run.context.close();
          if (run.result.error) throw new Error(`cold start (${c.label}) failed: ${run.result.error}`);
          runs.push({ ...run.result.coldStart, bytes: proxy.bytes() });
        }
        const pick = (key) => median(runs.map((r) => r[key]));
        output.coldStart.push({
          ...c,
          fresh: true,
          runs: runs.length,
          loadToFirstResultMs: pick('loadToFirstResultMs'),
          importToFirstResultMs: pick('importToFirstResultMs'),
          sinceNavigationMs: pick('sinceNavigationMs'),
          bytes: runs[0].bytes,
          all: runs,
        });
      }
    }
    output.machine.loadAfter = os.loadavg();
    output.delivery = deliverySizes();
    output.goals = judge({ rows: output.sweep.rows, coldStart: output.coldStart, delivery: output.delivery });
    output.offOrigin = [...new Set(output.offOrigin)];
    report(output);
    fs.mkdirSync(path.join(ROOT, 'tests/output'), { recursive: true });
    const file = path.join(ROOT, 'tests/output/bench-recommend.json');
    fs.writeFileSync(file, `${JSON.stringify(output, null, 2)}\n`);
    console.log(`\nJSON: ${path.relative(process.cwd(), file)}`);
    if (output.offOrigin.length) {
      throw new Error(`the page tried to reach other origins than ${proxy.url}:\n  ${output.offOrigin.join('\n  ')}`);
    }
    if (output.problems.length) throw new Error(`the page reported errors:\n  ${output.problems.join('\n  ')}`);
  } finally {
    await browser.close();
    proxy.close();
    server.close();
  }
}

function report(output) {
  const { sweep } = output;
  console.log(`\n## recommend() latency, top ${sweep.k}, ${sweep.rounds} rounds x ${sweep.queries.length} requests per method and size`);
  console.log(`\n${sweep.userAgent}; ${sweep.hardwareConcurrency} logical cores; transformers.js ${sweep.transformersVersion}, ONNX Runtime wasm (${sweep.ortBuild}), 1 thread${sweep.crossOriginIsolated ? '' : ' (page not cross-origin isolated)'}.`);
  const load = (l) => l.map((x) => x.toFixed(2)).join(' / ');
  console.log(`Machine: ${output.machine.cpus} x ${output.machine.model}; load average (1 / 5 / 15 min) ${load(output.machine.loadBefore)} before, ${load(output.machine.loadAfter)} after: figures taken beside other work are noisier, the methods take turns so they share it.`);
  console.log('Tailor: public API (Web Worker); in-worker = wasm encode + score from result.timings; round trip = the rest.\n');
  console.log('| items | method | p50 ms | p95 ms | in-worker p50 (encode + score) | round trip p50 | p50 vs transformers.js | p95 vs transformers.js |');
  console.log('|---:|---|---:|---:|---:|---:|---:|---:|');
  for (const row of sweep.rows) {
    const inWorker = row.kind === 'tailor'
      ? `${ms(row.inWorkerP50)} (${ms(row.encodeP50)} + ${ms(row.scoreP50)})`
      : `embed ${ms(row.encodeP50)} + scan ${ms(row.scoreP50)}`;
    const ratio = (value) => (row.kind === 'tailor' && value ? `${value.toFixed(2)}x` : '-');
    console.log(`| ${row.items.toLocaleString('en-US')} | ${row.method} | ${ms(row.p50)} | ${ms(row.p95)} | ${inWorker} | ${row.kind === 'tailor' ? ms(row.overheadP50) : '-'} | ${ratio(row.speedupP50)} | ${ratio(row.speedupP95)} |`);
  }
  const synthetic = sweep.rows.filter((r) => r.kind === 'baseline' && r.itemSource?.startsWith('random'));
  for (const r of synthetic) console.log(`\nNote: baseline at ${r.items} items scanned ${r.itemSource}.`);
  for (const s of sweep.skipped ?? []) console.log(`\nSkipped: ${s.method} at ${s.size}: ${s.why}`);

  if (output.coldStart.length) {
    console.log('\n## Cold start to first result (fresh browser context each run, no HTTP cache)\n');
    console.log('load = Tailor.load() start, or transformers.js pipeline() start (after the module import), to the first top-10; import = from the module import.\n');
    console.log('| case | load -> first result (median) | all runs | import -> first result | bytes received | library code | model + catalog data | requests |');
    console.log('|---|---:|---|---:|---:|---:|---:|---:|');
    for (const c of output.coldStart) {
      const by = c.bytes.byPrefix;
      const code = (by['/web'] ?? 0) + (by['/vendor'] ?? 0);
      const data = (by['/bundles'] ?? 0) + (by['/models'] ?? 0);
      console.log(`| ${c.label} | ${ms(c.loadToFirstResultMs)} ms | ${c.all.map((r) => ms(r.loadToFirstResultMs)).join(', ')} | ${ms(c.importToFirstResultMs)} ms | ${mb(c.bytes.withHeadersBytes)} | ${mb(code)} | ${mb(data)} | ${c.bytes.requests} |`);
    }
    console.log('\nBytes received: every response of the fresh context (page, scripts, wasm, bundle or model, with HTTP headers), counted on the wire by a loopback proxy; no compression (tailor serve sends none).');
  }

  const sizes = output.delivery;
  console.log('\n## Delivery size: demo bundle + CPU wasm + JS (bytes on disk)\n');
  console.log('| file | bytes | gzip -9 |');
  console.log('|---|---:|---:|');
  for (const f of sizes.files) console.log(`| ${f.file} | ${f.bytes.toLocaleString('en-US')} | ${f.gzipBytes.toLocaleString('en-US')} |`);
  console.log(`| **total** | **${sizes.totalBytes.toLocaleString('en-US')}** | ${sizes.gzipBytes.toLocaleString('en-US')} |`);
  console.log(`\n(bundle ${sizes.bundleBytes.toLocaleString('en-US')} B, code ${sizes.codeBytes.toLocaleString('en-US')} B; goal <= ${GOALS.sizeBytes.toLocaleString('en-US')} B)`);

  console.log('\n## Goals\n');
  console.log('| goal | target | measured | verdict |');
  console.log('|---|---|---|---|');
  for (const g of output.goals) {
    console.log(`| ${g.goal}${g.note ? ` (${g.note})` : ''} | ${g.target} | ${g.measured} | **${g.verdict}** |`);
  }
  console.log(`\nRequests off the server's origin: ${output.offOrigin.length ? output.offOrigin.join(', ') : 'none'}`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  main().catch((error) => {
    console.error(error.stack ?? error);
    process.exitCode = 1;
  });
}
