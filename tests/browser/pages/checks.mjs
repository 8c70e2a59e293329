// In-page halves of the browser tests. Each function runs the wasm build and an independent
// plain-JS reference on the same data, and returns what the Node side asserts on.

import { loadWasm as loadTailor } from '/web/wasm.js';

/** Deterministic 32-bit words (mulberry32), so every run scores the same codes. */
export function randomU32(count, seed) {
  const out = new Uint32Array(count);
  let state = seed >>> 0;
  for (let i = 0; i < count; i++) {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = (t ^ (t >>> 14)) >>> 0;
  }
  return out;
}

export function randomUniform(count, seed, low, high) {
  return Float32Array.from(randomU32(count, seed), (u) => low + (high - low) * (u / 2 ** 32));
}

/** sum_j w_j * a_j * b_j over +-1 bits, one bit at a time (bit j of a code: 32-bit word j >> 5,
 * bit j & 31, which is where little-endian u64 words put it). */
export function referenceScores(codes, query, bits, weights) {
  const wordsPerCode = bits / 32;
  const n = codes.length / wordsPerCode;
  const scores = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let sum = 0;
    for (let j = 0; j < bits; j++) {
      const a = (codes[i * wordsPerCode + (j >> 5)] >>> (j & 31)) & 1;
      const b = (query[j >> 5] >>> (j & 31)) & 1;
      const w = weights ? weights[j] : 1;
      sum += a === b ? w : -w;
    }
    scores[i] = sum;
  }
  return scores;
}

/** Best first, equal scores by lower index. */
export function referenceTopK(scores, k) {
  const order = Array.from(scores.keys());
  order.sort((x, y) => scores[y] - scores[x] || x - y);
  const indices = order.slice(0, k);
  return { indices, scores: indices.map((i) => scores[i]) };
}

function maxAbsDiff(a, b) {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

function ranking(result) {
  return { indices: Array.from(result.indices), scores: Array.from(result.scores) };
}

/** Packed-code scoring of `n` random codes in wasm against the JS reference. */
export async function packedScorerParity({ flavour = 'cpu', n = 100_000, bits = 128, k = 10 }) {
  const tailor = await loadTailor(flavour);
  const codes = randomU32((n * bits) / 32, 1);
  const query = randomU32(bits / 32, 2);
  const index = new tailor.CodeIndex(bits, new BigUint64Array(codes.buffer));
  const wasmQuery = new BigUint64Array(query.buffer);
  // Multiples of 1/64 keep every f32 partial sum exact, so ties must break identically.
  const dyadic = Float32Array.from(randomU32(bits, 3), (u) => ((u % 512) - 256) / 64);
  const real = randomUniform(bits, 4, 0.5, 1.5);
  const cases = [];
  for (const [name, weights] of [['inner product', null], ['dyadic weights', dyadic], ['real weights', real]]) {
    const reference = referenceScores(codes, query, bits, weights);
    const table = weights && new tailor.WeightTable(weights);
    const top = weights ? index.topKWeighted(wasmQuery, table, k) : index.topK(wasmQuery, k);
    const all = weights ? index.scoresWeighted(wasmQuery, table) : index.scores(wasmQuery);
    cases.push({
      name,
      wasm: ranking(top),
      reference: referenceTopK(reference, k),
      maxScoreDiff: maxAbsDiff(all, reference),
      scored: all.length,
    });
  }
  return { n: index.length, cases };
}

/** The messages of the errors that bad input raises (or a note that nothing was thrown). */
export async function scorerErrors() {
  const tailor = await loadTailor('cpu');
  const attempt = (f) => {
    try {
      f();
      return 'no error thrown';
    } catch (error) {
      return `${error instanceof Error ? 'Error' : typeof error}: ${error.message ?? error}`;
    }
  };
  const words = new BigUint64Array(10);
  const index = new tailor.CodeIndex(128, words);
  const query = new BigUint64Array(2);
  const nan = new Float32Array(128);
  nan[5] = NaN;
  return {
    badLength: attempt(() => new tailor.CodeIndex(100, words)),
    raggedCodes: attempt(() => new tailor.CodeIndex(128, new BigUint64Array(5))),
    zeroK: attempt(() => index.topK(query, 0)),
    kTooLarge: attempt(() => index.topK(query, 6)),
    shortQuery: attempt(() => index.topK(new BigUint64Array(1), 3)),
    badWeights: attempt(() => new tailor.WeightTable(new Float32Array(100))),
    nanWeight: attempt(() => new tailor.WeightTable(nan)),
    wrongTable: attempt(() => index.topKWeighted(query, new tailor.WeightTable(new Float32Array(256)), 1)),
    stillWorks: Array.from(index.topK(query, 5).indices),
  };
}

/** A Burn forward pass (FHN hash head) on the WebGPU build and on the CPU build, same weights. */
export async function webgpuParity({ n = 256, inputDim = 64, bits = 128, beta = 1.5 }) {
  if (!navigator.gpu) return { adapter: null, reason: 'navigator.gpu is undefined' };
  const adapter = await navigator.gpu.requestAdapter();
  if (!adapter) return { adapter: null, reason: 'navigator.gpu.requestAdapter() returned null' };
  const info = adapter.info ?? {};
  const cpu = await loadTailor('cpu');
  const gpu = await loadTailor('webgpu');
  const flavours = [cpu.backend_flavour(), gpu.backend_flavour()];
  const devices = [await cpu.init_backend(), await gpu.init_backend()];
  const weights = randomUniform(inputDim * bits, 5, -0.25, 0.25);
  const embeddings = randomUniform(n * inputDim, 6, -1, 1);
  const onCpu = await cpu.hash_forward(weights, embeddings, inputDim, bits, beta);
  const onGpu = await gpu.hash_forward(weights, embeddings, inputDim, bits, beta);
  const reference = new Float64Array(n * bits);
  for (let r = 0; r < n; r++) {
    for (let b = 0; b < bits; b++) {
      let dot = 0;
      for (let k = 0; k < inputDim; k++) dot += embeddings[r * inputDim + k] * weights[k * bits + b];
      reference[r * bits + b] = Math.tanh(beta * dot);
    }
  }
  let saturated = 0;
  for (const v of onCpu) if (Math.abs(v) > 0.999) saturated++;
  // The packed scorer must also work in the WebGPU build: same top 10 on 10k codes.
  const codes = new BigUint64Array(randomU32(10_000 * 4, 7).buffer);
  const query = new BigUint64Array(randomU32(4, 8).buffer);
  const cpuTop = Array.from(new cpu.CodeIndex(128, codes).topK(query, 10).indices);
  const gpuTop = Array.from(new gpu.CodeIndex(128, codes).topK(query, 10).indices);
  return {
    adapter: {
      vendor: info.vendor, architecture: info.architecture, description: info.description,
      isFallbackAdapter: info.isFallbackAdapter ?? adapter.isFallbackAdapter,
    },
    flavours,
    devices,
    values: [onCpu.length, onGpu.length, reference.length],
    maxDiffGpuVsCpu: maxAbsDiff(onGpu, onCpu),
    maxDiffCpuVsReference: maxAbsDiff(onCpu, reference),
    saturatedFraction: saturated / onCpu.length,
    scorerTop10: { cpu: cpuTop, webgpu: gpuTop },
  };
}
