// Tailor's recommend() against transformers.js + brute-force cosine, in one page and one run.
//
// Query string (the headless driver and the smoke test use it):
//   ?autorun                       run the sweep on load
//   &sizes=1000,10000,100000       catalog sizes; "demo" means the demo bundles (static-demo, minilm-demo)
//   &encoders=static,minilm        Tailor bundles to load at each size (/bundles/<encoder>-<size>/)
//   &backends=cpu[,webgpu]         Tailor backends (WebGPU rows are labelled "software" on a fallback adapter)
//   &rounds=5  &queries=20  &warmup=5 (calls)  &warmupms=2000 (and at least this long)
//   &baseline=0                    leave transformers.js out
//   &ort=plain|asyncify            ONNX Runtime wasm build for transformers.js (plain, CPU only, is the
//                                  faster; asyncify is what transformers.js picks by itself)
//   ?cold=tailor&bundle=static-demo&backend=cpu   one cold start (the driver opens a fresh context for it)
//   ?cold=transformers&bundle=minilm-demo         the same for transformers.js + cosine scan
// The result is left in `window.benchResult`: {rows, loads, examples, ...} for the sweep,
// {coldStart} for a cold start, or {error}.

import { BASELINE, judge, percentile } from './goals.mjs';
import {
  MINILM_DIM, createExtractor, importTransformers, loadExtractor, loadItemVectors, randomUnitRows, topKDot,
} from './baseline.mjs';

const K = 10;
/** Minimum warm-up time per method and catalog size (`?warmupms=`). */
const WARMUP_MS = Number(new URLSearchParams(location.search).get('warmupms') ?? 2000);

/** Realistic shopper requests, in the catalog's language (women's clothing). */
export const QUERIES = [
  'red summer dress',
  'warm wool sweater for winter',
  'linen dress for a summer wedding',
  'high-waisted wide-leg jeans',
  'cozy cardigan with pockets',
  'flowy maxi skirt for the beach',
  'white button-down blouse for work',
  'petite black cocktail dress',
  'comfortable lounge pants',
  'lightweight rain jacket',
  'one-piece swimsuit with stripes',
  'silk camisole to wear under a blazer',
  'floral midi dress with sleeves',
  'denim shorts for hot days',
  'oversized cream knit sweater',
  'soft cotton pajama set',
  'fitted blazer for the office',
  'boho peasant top',
  'long puffer coat for cold weather',
  'casual t-shirt that does not shrink',
];

const status = document.getElementById('status');
const params = new URLSearchParams(location.search);
const say = (text) => { status.textContent = text; };
const pause = () => new Promise((resolve) => setTimeout(resolve, 0));
const list = (text) => String(text).split(',').map((s) => s.trim()).filter(Boolean);

let tailorModule = null;
async function importTailor() {
  tailorModule ??= await import('/web/tailor.js');
  return tailorModule.Tailor;
}

/** Whether the WebGPU adapter (if any) is a software fallback (SwiftShader in headless Chromium). */
async function webgpuAdapterKind() {
  try {
    const adapter = await navigator.gpu?.requestAdapter();
    if (!adapter) return 'none';
    return adapter.isFallbackAdapter || adapter.info?.isFallbackAdapter ? 'software' : 'hardware';
  } catch {
    return 'none';
  }
}

function bundleName(encoder, size) {
  return size === 'demo' ? `${encoder}-demo` : `${encoder}-${size}`;
}

function describeError(error) {
  const code = error?.code ? ` [${error.code}]` : '';
  return `${error?.name ?? 'Error'}${code}: ${error?.message ?? error}`;
}

/** A Tailor method: load the bundle in its worker and time recommend() through the public API. */
async function tailorMethod(Tailor, encoder, backend, size, gpuKind) {
  const bundle = bundleName(encoder, size);
  const loadStart = performance.now();
  const rec = await Tailor.load(`/bundles/${bundle}/`, { backend });
  const loadMs = performance.now() - loadStart;
  const software = rec.backend === 'webgpu' && gpuKind !== 'hardware';
  const label = `Tailor ${encoder} (${rec.backend}${software ? ', software' : ''})`;
  return {
    name: label,
    kind: 'tailor',
    encoder,
    backend: rec.backend,
    software,
    bundle,
    items: Number(rec.manifest.item_count),
    dim: Number(rec.manifest.dim),
    device: rec.device,
    loadMs,
    async call(query) {
      const start = performance.now();
      const result = await rec.recommend({ query, k: K, history: [] });
      const ms = performance.now() - start;
      const encodeMs = Number(result.timings?.encodeMs);
      const scoreMs = Number(result.timings?.scoreMs);
      return {
        ms,
        encodeMs,
        scoreMs,
        ids: result.items.map((item) => item.id),
        scores: result.items.map((item) => item.score),
      };
    },
    close: () => rec.close(),
  };
}

/** The baseline: transformers.js on this page's main thread + a JS cosine scan. */
async function baselineMethod(extractor, size) {
  const loadStart = performance.now();
  const bundle = bundleName('minilm', size);
  let vectors;
  let itemSource;
  try {
    vectors = await loadItemVectors(`/bundles/${bundle}/`);
    itemSource = `${bundle}/item_embeddings.bin`;
  } catch (error) {
    if (size === 'demo') throw error;
    // Without the MiniLM bundle of this size, scan as many random 384-wide rows: the scan's cost
    // is the same, its ranking meaningless (the row says so).
    const rows = Number(size);
    vectors = { matrix: randomUnitRows(rows, MINILM_DIM, 7), rows, dim: MINILM_DIM };
    itemSource = `random unit vectors (${bundle} unavailable: ${error.message})`;
  }
  const loadMs = performance.now() - loadStart;
  const { matrix, rows, dim } = vectors;
  return {
    name: `${BASELINE} MiniLM int8 + JS cosine`,
    kind: 'baseline',
    bundle,
    itemSource,
    items: rows,
    dim,
    loadMs,
    async call(query) {
      const start = performance.now();
      const q = await extractor.embed(query);
      const embedded = performance.now();
      const top = topKDot(matrix, dim, q, K);
      const end = performance.now();
      return { ms: end - start, encodeMs: embedded - start, scoreMs: end - embedded, ids: top.indices, scores: top.scores };
    },
    close() {},
  };
}

function summarise(method, samples, size) {
  const ms = samples.map((s) => s.ms);
  const row = {
    method: method.name,
    kind: method.kind,
    encoder: method.encoder ?? 'minilm-int8',
    backend: method.backend ?? 'wasm (onnxruntime-web, 1 thread)',
    software: method.software ?? false,
    size: String(size),
    items: method.items,
    dim: method.dim,
    bundle: method.bundle,
    samples: ms.length,
    p50: percentile(ms, 0.5),
    p95: percentile(ms, 0.95),
    mean: ms.reduce((a, b) => a + b, 0) / ms.length,
    encodeP50: percentile(samples.map((s) => s.encodeMs), 0.5),
    scoreP50: percentile(samples.map((s) => s.scoreMs), 0.5),
  };
  if (method.kind === 'tailor') {
    row.inWorkerP50 = percentile(samples.map((s) => s.encodeMs + s.scoreMs), 0.5);
    row.overheadP50 = percentile(samples.map((s) => s.ms - s.encodeMs - s.scoreMs), 0.5);
    row.device = method.device;
  } else {
    row.itemSource = method.itemSource;
  }
  return row;
}

async function sweep({ sizes, encoders, backends, rounds, queryCount, warmup, baseline, ortBuild }) {
  const queries = QUERIES.slice(0, Math.max(1, Math.min(queryCount, QUERIES.length)));
  const rows = [];
  const loads = [];
  const examples = [];
  const skipped = [];
  const gpuKind = backends.includes('webgpu') ? await webgpuAdapterKind() : 'not asked';
  const Tailor = await importTailor();
  let extractor = null;
  let transformersVersion = null;
  if (baseline) {
    say('Loading transformers.js and the int8 MiniLM…');
    const start = performance.now();
    extractor = await loadExtractor({ ortBuild });
    transformersVersion = extractor.version;
    loads.push({ method: `${BASELINE} pipeline (import + model)`, size: '-', items: null, loadMs: performance.now() - start, firstMs: null });
  }
  for (const size of sizes) {
    const methods = [];
    try {
      for (const encoder of encoders) {
        for (const backend of backends) {
          say(`${size} items: loading Tailor ${encoder} (${backend})…`);
          await pause();
          try {
            methods.push(await tailorMethod(Tailor, encoder, backend, size, gpuKind));
          } catch (error) {
            // A missing WebGPU adapter is a skip; anything else on the CPU path is a failure.
            if (backend === 'webgpu') skipped.push({ size, method: `Tailor ${encoder} (webgpu)`, why: describeError(error) });
            else throw new Error(`Tailor ${encoder} on /bundles/${bundleName(encoder, size)}/: ${describeError(error)}`);
          }
        }
      }
      if (extractor) {
        say(`${size} items: loading the item embeddings for the baseline…`);
        await pause();
        methods.push(await baselineMethod(extractor, size));
      }
      const samples = methods.map(() => []);
      // First call of each method: its time to first result after load (not counted below).
      for (const method of methods) {
        const first = await method.call(queries[0]);
        loads.push({ method: method.name, size: String(size), items: method.items, loadMs: method.loadMs, firstMs: first.ms });
        examples.push({ method: method.name, kind: method.kind, encoder: method.encoder, size: String(size), query: queries[0], ids: first.ids, scores: first.scores });
      }
      say(`${size} items: warming up…`);
      await pause();
      // Until the wasm engines have tiered up (Liftoff -> TurboFan): at least `warmup` calls and
      // WARMUP_MS of calls per method.
      for (const method of methods) {
        const warmStart = performance.now();
        for (let i = 0; i < warmup || performance.now() - warmStart < WARMUP_MS; i++) {
          await method.call(queries[(i + 1) % queries.length]);
        }
      }
      for (let round = 0; round < rounds; round++) {
        say(`${size} items: round ${round + 1} of ${rounds}…`);
        await pause();
        for (const [q, query] of queries.entries()) {
          // Rotate who goes first, so no method always runs right after another's garbage.
          for (let j = 0; j < methods.length; j++) {
            const m = (j + q + round) % methods.length;
            samples[m].push(await methods[m].call(query));
          }
        }
      }
      const sizeRows = methods.map((method, m) => summarise(method, samples[m], size));
      const base = sizeRows.find((row) => row.kind === 'baseline');
      for (const row of sizeRows) {
        row.speedupP50 = base ? base.p50 / row.p50 : null;
        row.speedupP95 = base ? base.p95 / row.p95 : null;
      }
      rows.push(...sizeRows);
    } finally {
      for (const method of methods) method.close();
    }
  }
  return {
    kind: 'sweep',
    k: K,
    rounds,
    queries,
    warmup,
    catalogSizes: sizes.map(String),
    encoders,
    backends,
    webgpuAdapter: gpuKind,
    ortBuild,
    transformersVersion,
    userAgent: navigator.userAgent,
    hardwareConcurrency: navigator.hardwareConcurrency,
    crossOriginIsolated: globalThis.crossOriginIsolated === true,
    rows,
    loads,
    examples,
    skipped,
  };
}

/** One cold start: module import, load, first result. The driver runs this in a fresh context. */
async function coldStart({ kind, bundle, backend, ortBuild }) {
  const query = QUERIES[0];
  const t0 = performance.now();
  if (kind === 'tailor') {
    const { Tailor } = await import('/web/tailor.js');
    const t1 = performance.now();
    const rec = await Tailor.load(`/bundles/${bundle}/`, { backend });
    const t2 = performance.now();
    const result = await rec.recommend({ query, k: K, history: [] });
    const t3 = performance.now();
    const out = {
      kind, bundle, backend: rec.backend, query,
      importMs: t1 - t0, loadMs: t2 - t1, firstResultMs: t3 - t2,
      loadToFirstResultMs: t3 - t1, importToFirstResultMs: t3 - t0, sinceNavigationMs: t3,
      timings: result.timings, items: Number(rec.manifest.item_count),
      top: result.items.map((item) => item.id),
    };
    rec.close();
    return out;
  }
  if (kind === 'transformers') {
    const transformers = await importTransformers({ ortBuild });
    const t1 = performance.now();
    const extractor = await createExtractor(transformers);
    const t2 = performance.now();
    const vectors = await loadItemVectors(`/bundles/${bundle}/`);
    const t3 = performance.now();
    const q = await extractor.embed(query);
    const top = topKDot(vectors.matrix, vectors.dim, q, K);
    const t4 = performance.now();
    return {
      kind, bundle, backend: 'wasm', query, ortBuild,
      importMs: t1 - t0, pipelineMs: t2 - t1, itemVectorsMs: t3 - t2, firstResultMs: t4 - t3,
      loadToFirstResultMs: t4 - t1, importToFirstResultMs: t4 - t0, sinceNavigationMs: t4,
      items: vectors.rows, top: top.indices,
    };
  }
  throw new Error(`unknown cold start kind "${kind}" (tailor or transformers)`);
}

// ---- display ----

function cells(tr, values) {
  for (const value of values) {
    const td = document.createElement('td');
    if (value && typeof value === 'object') {
      td.textContent = value.text;
      if (value.className) td.className = value.className;
    } else {
      td.textContent = value ?? '';
    }
    tr.append(td);
  }
}

const fmt = (ms) => (Number.isFinite(ms) ? ms.toFixed(ms < 10 ? 2 : 1) : '-');

function show(result) {
  const latency = document.querySelector('#latency tbody');
  latency.replaceChildren(...result.rows.map((row) => {
    const tr = document.createElement('tr');
    cells(tr, [
      row.method, row.items.toLocaleString('en-US'), fmt(row.p50), fmt(row.p95),
      row.kind === 'tailor' ? `${fmt(row.inWorkerP50)} (${fmt(row.encodeP50)} + ${fmt(row.scoreP50)})`
        : `(${fmt(row.encodeP50)} embed + ${fmt(row.scoreP50)} scan)`,
      row.kind === 'tailor' ? fmt(row.overheadP50) : '-',
      row.kind === 'tailor' && row.speedupP50 ? `${row.speedupP50.toFixed(2)}×` : '',
    ]);
    return tr;
  }));
  document.getElementById('latency-section').hidden = false;
  const loads = document.querySelector('#loads tbody');
  loads.replaceChildren(...result.loads.map((row) => {
    const tr = document.createElement('tr');
    cells(tr, [row.method, row.items?.toLocaleString('en-US') ?? '-', fmt(row.loadMs), fmt(row.firstMs),
      fmt(row.loadMs + (row.firstMs ?? 0))]);
    return tr;
  }));
  document.getElementById('loads-section').hidden = false;
  const goals = document.querySelector('#goals tbody');
  goals.replaceChildren(...judge(result).map((v) => {
    const tr = document.createElement('tr');
    cells(tr, [v.note ? `${v.goal} (${v.note})` : v.goal, v.target, v.measured,
      { text: v.verdict, className: v.verdict === 'PASS' ? 'pass' : v.verdict === 'MISS' ? 'miss' : '' }]);
    return tr;
  }));
  document.getElementById('goals-section').hidden = false;
}

function readForm() {
  const sizes = list(document.getElementById('sizes').value).map((s) => (s === 'demo' ? s : Number(s)));
  const bad = sizes.find((s) => s !== 'demo' && !(Number.isInteger(s) && s > 0));
  if (bad !== undefined) throw new Error(`bad catalog size "${bad}"`);
  return {
    sizes,
    encoders: list(document.getElementById('encoders').value),
    backends: list(document.getElementById('backends').value),
    rounds: Math.max(1, Number(document.getElementById('rounds').value) || 1),
    queryCount: Number(params.get('queries') ?? QUERIES.length),
    warmup: Number(params.get('warmup') ?? 5),
    baseline: params.get('baseline') !== '0',
    ortBuild: params.get('ort') ?? 'plain',
  };
}

async function start(event) {
  event?.preventDefault();
  const button = document.getElementById('run');
  button.disabled = true;
  try {
    const result = await sweep(readForm());
    // In-page figures only: cold starts come from the driver's fresh contexts.
    result.coldStart = [];
    show(result);
    const baselineText = result.transformersVersion
      ? ` transformers.js ${result.transformersVersion} on ONNX Runtime's ${result.ortBuild} wasm build, 1 thread.` : '';
    say(`Done: ${result.rounds} rounds × ${result.queries.length} requests per method and size.${baselineText}`);
    window.benchResult = result;
  } catch (error) {
    console.error(error);
    say(`Benchmark failed: ${describeError(error)}`);
    window.benchResult = { error: describeError(error) };
  } finally {
    button.disabled = false;
  }
}

async function startCold() {
  const kind = params.get('cold');
  try {
    say(`Cold start: ${kind}…`);
    const coldStartResult = await coldStart({
      kind,
      bundle: params.get('bundle') ?? (kind === 'tailor' ? 'static-demo' : 'minilm-demo'),
      backend: params.get('backend') ?? 'cpu',
      ortBuild: params.get('ort') ?? 'plain',
    });
    say(`Cold start: first result after ${fmt(coldStartResult.loadToFirstResultMs)} ms.`);
    window.benchResult = { kind: 'cold', coldStart: coldStartResult };
  } catch (error) {
    console.error(error);
    say(`Cold start failed: ${describeError(error)}`);
    window.benchResult = { error: describeError(error) };
  }
}

for (const name of ['sizes', 'encoders', 'backends', 'rounds']) {
  if (params.has(name)) document.getElementById(name).value = params.get(name);
}
document.getElementById('controls').addEventListener('submit', start);
if (params.has('cold')) {
  startCold();
} else {
  say('Ready. The 100k-item catalogs need a few hundred MB of memory.');
  if (params.has('autorun')) start();
}
