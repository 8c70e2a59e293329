// The module Web Worker behind `Tailor`: it picks the backend, loads the wasm flavour and the
// bundle, and answers recommend requests, so that the page never blocks on model work.
//
// Messages in:  {id, type: 'load', url, backend, wasmUrl, integrity, cache}
//               {id, type: 'recommend', request}   {id, type: 'similar', request}
//               {id, type: 'completeOutfit', request}
// Messages out: {id, type: 'progress', progress}   {id, ok: true, value}
//               {id, ok: false, error, fatal}
// where error is {name: 'TailorError', code, message} (never a stack), and `fatal` says that the
// wasm instance trapped: it cannot be trusted again, so the page replaces this worker.

import { TailorError } from './errors.js';
import { loadWasm } from './wasm.js';

/** Below this many item-embedding values (item_count * dim), the CPU build wins over WebGPU. */
export const WEBGPU_MIN_VALUES = 25_000_000;

let recommender = null;
let busy = Promise.resolve();
/** Set once the wasm instance has trapped: every later call fails fast. */
let trapped = null;

/** A wasm trap (unreachable, out-of-bounds memory, stack overflow): the instance's memory may
 * be half-updated, so it is never called again. */
function isTrap(error) {
  return typeof WebAssembly !== 'undefined' && error instanceof WebAssembly.RuntimeError;
}

self.addEventListener('message', (event) => {
  const id = event.data?.id;
  // One job at a time: the recommender is not re-entrant.
  busy = busy.then(() => handle(event.data)).then(
    (value) => reply(id, value),
    (error) => {
      if (isTrap(error) && !trapped) trapped = error;
      const fatal = trapped !== null;
      const e = fatal
        ? new TailorError('crashed', `the recommender crashed (${error?.message ?? error}) and is being restarted`)
        : TailorError.from(error);
      self.postMessage({ id, ok: false, error: e.toJSON(), fatal });
    },
  );
});

/** A value sent with buffers to move rather than copy (the outfit pictures, once). */
class Transfer {
  constructor(value, buffers) {
    this.value = value;
    this.buffers = buffers;
  }
}

function reply(id, result) {
  const [value, buffers] = result instanceof Transfer ? [result.value, result.buffers] : [result, []];
  try {
    self.postMessage({ id, ok: true, value }, buffers);
  } catch (error) {
    // A value that cannot be cloned is a bug here, not the caller's: say so instead of hanging.
    const e = new TailorError('internal', `cannot send the result to the page: ${error?.message ?? error}`);
    self.postMessage({ id, ok: false, error: e.toJSON() });
  }
}

async function handle(message) {
  switch (message?.type) {
    case 'load':
      return load(message);
    case 'recommend':
    case 'similar':
    case 'completeOutfit':
      if (!recommender) throw new TailorError('internal', 'the recommender is not loaded');
      if (trapped) throw trapped;
      try {
        return await recommender[message.type](message.request);
      } catch (error) {
        if (isTrap(error)) throw error;
        throw TailorError.from(error, 'internal');
      }
    default:
      throw new TailorError('internal', `unknown worker message ${JSON.stringify(message?.type)}`);
  }
}

async function load({ id, url, backend, wasmUrl, integrity, cache = true }) {
  if (recommender) throw new TailorError('internal', 'this worker already holds a recommender');
  const onProgress = (progress) => {
    const { file, loaded, total } = progress ?? {};
    self.postMessage({ id, type: 'progress', progress: { file, loaded, total } });
  };
  let choice;
  if (backend === 'cpu') {
    choice = { backend: 'cpu', reason: 'The CPU (wasm) backend was requested.' };
  } else if (backend === 'webgpu') {
    const adapter = await requestAdapter();
    if (!adapter.adapter) {
      throw new TailorError('backend', `WebGPU was requested but ${adapter.why}`);
    }
    choice = { backend: 'webgpu', reason: 'The WebGPU backend was requested.' };
  } else if (backend === 'auto' || backend === undefined) {
    choice = await chooseAuto(url);
  } else {
    throw new TailorError('bad_request', `unknown backend "${backend}"; expected auto, cpu or webgpu`);
  }

  let loaded;
  try {
    loaded = await loadOn(choice.backend, url, wasmUrl, integrity, cache, onProgress);
  } catch (error) {
    const e = TailorError.from(error);
    // 'auto' never fails just because the GPU did: the CPU build always works.
    if (backend !== 'auto' && backend !== undefined) throw e;
    if (choice.backend !== 'webgpu' || e.code !== 'backend') throw e;
    loaded = await loadOn('cpu', url, wasmUrl, integrity, cache, onProgress);
    choice = { backend: 'cpu', reason: `WebGPU failed to start (${e.message}), so the CPU (wasm) backend runs.` };
  }
  recommender = loaded;
  // A wasm build from before the outfit model has none of these; the page then has no outfits.
  let outfitImages = recommender.outfitImages ?? null;
  // Moved, not copied, to the page; never a view of the wasm memory, which must stay here.
  if (outfitImages && outfitImages.byteLength !== outfitImages.buffer.byteLength) {
    outfitImages = outfitImages.slice();
  }
  return new Transfer({
    backend: recommender.backend,
    backendReason: choice.reason,
    device: recommender.device,
    manifest: recommender.manifest,
    items: recommender.items,
    outfitItems: recommender.outfitItems ?? [],
    loadStats: recommender.loadStats ?? null,
    outfitSection: recommender.outfitSection ?? null,
    outfitImages,
  }, outfitImages ? [outfitImages.buffer] : []);
}

async function loadOn(flavour, url, wasmUrl, integrity, cache, onProgress) {
  let wasm;
  try {
    wasm = await loadWasm(flavour, wasmUrl);
  } catch (error) {
    throw new TailorError('wasm', `cannot load the ${flavour} wasm module: ${error?.message ?? error}`);
  }
  if (typeof wasm.Recommender?.load !== 'function') {
    throw new TailorError('wasm', `the ${flavour} wasm module at ${wasmUrl ?? 'pkg/'} is out of date (it has no Recommender): rebuild it with \`cargo xtask wasm\``);
  }
  try {
    return await wasm.Recommender.load(url, onProgress, integrity ?? undefined, cache);
  } catch (error) {
    throw TailorError.from(error, 'internal');
  }
}

/** {adapter, why}: `why` says, in a few words, why there is none. */
async function requestAdapter() {
  const gpu = self.navigator?.gpu;
  if (!gpu) return { adapter: null, why: 'this browser has no WebGPU (navigator.gpu is missing)' };
  try {
    const adapter = await gpu.requestAdapter();
    if (!adapter) return { adapter: null, why: 'the browser offers no WebGPU adapter' };
    return { adapter, why: '' };
  } catch (error) {
    return { adapter: null, why: `requesting a WebGPU adapter failed (${error?.message ?? error})` };
  }
}

/** backend 'auto': WebGPU only on a real (not software) adapter, for a model large enough to
 * gain from it; otherwise the CPU build. Says why in one sentence. */
async function chooseAuto(url) {
  let manifest = null;
  try {
    const response = await fetch(new URL('manifest.json', url.endsWith('/') ? url : `${url}/`), { cache: 'no-cache' });
    if (response.ok) manifest = await response.json();
  } catch {
    // Recommender.load fetches the manifest again, checks it (and its integrity, when pinned),
    // and reports the problem precisely; this copy only picks the backend.
  }
  if (!manifest || typeof manifest !== 'object') {
    return { backend: 'cpu', reason: 'The bundle manifest could not be read, so the CPU (wasm) backend runs.' };
  }
  const values = Number(manifest.item_count) * Number(manifest.dim);
  const large = values >= WEBGPU_MIN_VALUES || manifest.encoder === 'minilm';
  const size = `${Number(manifest.item_count).toLocaleString('en-US')} items × ${manifest.dim} dimensions` +
    `${manifest.encoder ? `, ${manifest.encoder} encoder` : ''}`;
  const { adapter, why } = await requestAdapter();
  const fallback = Boolean(adapter && (adapter.isFallbackAdapter || adapter.info?.isFallbackAdapter));
  const against = [];
  if (!large) against.push(`the model is small (${size}), where the CPU build is faster`);
  if (!adapter) against.push(why);
  else if (fallback) against.push('the only WebGPU adapter is a software fallback');
  if (against.length === 0) {
    return { backend: 'webgpu', reason: `WebGPU runs: a hardware adapter is available and the model is large (${size}).` };
  }
  return { backend: 'cpu', reason: `The CPU (wasm) backend runs: ${against.join('; also, ')}.` };
}
