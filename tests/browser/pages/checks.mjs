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

/** What calling `f` throws, as "Error: message", or a note that nothing was thrown. */
function attempt(f) {
  try {
    f();
    return 'no error thrown';
  } catch (error) {
    return `${error instanceof Error ? 'Error' : typeof error}: ${error.message ?? error}`;
  }
}

/** The messages of the errors that bad input raises (or a note that nothing was thrown). */
export async function scorerErrors() {
  const tailor = await loadTailor('cpu');
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

// ---- Fashion Hash Net outfits: the wasm OutfitIndex against a plain-JS float reference ----

const OUTFIT_SLOTS = [
  { name: 'top', required: true },
  { name: 'bottom', required: true },
  { name: 'shoes', required: true },
  { name: 'bag', required: false },
  { name: 'outerwear', required: false },
];

/** A random typed catalog: `n` items with random slots (so slots interleave and differ in
 * size), random codes, random positive weights, a random user code. */
function outfitFixture({ n, bits, seed }) {
  const wordsPerCode = bits / 32;
  const types = Uint8Array.from(randomU32(n, seed), (u) => u % OUTFIT_SLOTS.length);
  const codes = randomU32(n * wordsPerCode, seed + 1);
  const user = randomU32(wordsPerCode, seed + 2);
  const userWeights = randomUniform(bits, seed + 3, 0.5, 1.5);
  const compatWeights = randomUniform(bits, seed + 4, 0.5, 1.5);
  // Every code as +1 / -1 doubles, read one bit at a time.
  const signs = (words, offset) => Float64Array.from({ length: bits },
    (_, j) => ((words[offset + (j >> 5)] >>> (j & 31)) & 1 ? 1 : -1));
  const itemSigns = Array.from({ length: n }, (_, i) => signs(codes, i * wordsPerCode));
  const userSigns = signs(user, 0);
  // <w_u . u, b_i> / L and <w_c . b_i, b_j> / L, the formulas' terms, computed once.
  const weighted = (w, a, b) => { let s = 0; for (let j = 0; j < bits; j++) s += w[j] * a[j] * b[j]; return s; };
  const preference = itemSigns.map((b) => weighted(userWeights, userSigns, b) / bits);
  const pairs = new Map();
  const pair = (i, j) => {
    const key = i * n + j;
    if (!pairs.has(key)) pairs.set(key, weighted(compatWeights, itemSigns[i], itemSigns[j]) / bits);
    return pairs.get(key);
  };
  const members = OUTFIT_SLOTS.map((_, s) => [...types.keys()].filter((i) => types[i] === s));
  return { n, bits, types, codes, user, userWeights, compatWeights, itemSigns, userSigns, preference, pair, members };
}

/** FHN's score of an outfit (items in slot order), naively in doubles. */
function referenceOutfitScore(fx, items) {
  const m = items.length;
  let preference = 0;
  for (const i of items) preference += fx.preference[i];
  preference /= m;
  let compatibility = 0;
  for (let k = 0; k < m; k++) for (let l = k + 1; l < m; l++) compatibility += fx.pair(items[k], items[l]);
  const pairs = (m * (m - 1)) / 2;
  if (pairs > 0) compatibility /= pairs;
  return { items, score: preference + compatibility, preference, compatibility };
}

function compareLists(a, b) {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

/** Every valid outfit containing `anchor` whose other items come from `choices[slot]`, scored by
 * the reference, best first, equal scores by the smaller item list. */
function referenceComplete(fx, anchor, choices, k) {
  const anchorSlot = fx.types[anchor];
  let outfits = [[]];
  OUTFIT_SLOTS.forEach((slot, s) => {
    const options = s === anchorSlot ? [anchor] : [...choices[s]];
    if (s !== anchorSlot && !slot.required) options.push(null);
    outfits = outfits.flatMap((outfit) => options.map((o) => (o === null ? outfit : [...outfit, o])));
  });
  const ranked = outfits.map((items) => referenceOutfitScore(fx, items));
  ranked.sort((a, b) => b.score - a.score || compareLists(a.items, b.items));
  return { count: ranked.length, top: ranked.slice(0, k) };
}

/** The reference's candidates: per slot, the best <v, b_i> (v = w_u u + w_c a), lower index
 * first on ties. */
function referenceCandidates(fx, anchor, perSlot) {
  const a = fx.itemSigns[anchor];
  const v = Float64Array.from({ length: fx.bits }, (_, j) => fx.userWeights[j] * fx.userSigns[j] + fx.compatWeights[j] * a[j]);
  return fx.members.map((items) => {
    const scored = items.map((i) => {
      let s = 0;
      for (let j = 0; j < fx.bits; j++) s += v[j] * fx.itemSigns[i][j];
      return [s, i];
    });
    scored.sort((x, y) => y[0] - x[0] || x[1] - y[1]);
    return scored.slice(0, perSlot).map(([, i]) => i);
  });
}

function plainOutfit(outfit) {
  return { items: Array.from(outfit.items), score: outfit.score, preference: outfit.preference, compatibility: outfit.compatibility };
}

function maxOutfitDiff(wasm, reference) {
  let max = 0;
  wasm.forEach((o, i) => {
    const r = reference[i];
    if (!r) return;
    for (const key of ['score', 'preference', 'compatibility']) max = Math.max(max, Math.abs(o[key] - r[key]));
  });
  return max;
}

/** The wasm outfit scorer against the JS reference: `score` on random outfits given in shuffled
 * order; `complete` with every item a candidate against brute force over all outfits, for every
 * anchor of a small catalog; and `complete` with 16 candidates per slot on a larger catalog
 * against the reference's own candidate scan followed by brute force. */
export async function outfitScorerParity({ flavour = 'cpu', small = 40, large = 10_000, bits = 128, k = 10 } = {}) {
  const tailor = await loadTailor(flavour);
  const make = (fx) => new tailor.OutfitIndex(bits, new BigUint64Array(fx.codes.buffer), fx.types,
    JSON.stringify(OUTFIT_SLOTS), fx.userWeights, fx.compatWeights);
  const user = (fx) => new BigUint64Array(fx.user.buffer);

  const fx = outfitFixture({ n: small, bits, seed: 21 });
  const index = make(fx);
  // score(): random valid outfits, items passed in a scrambled order.
  const picks = randomU32(4000, 22);
  let maxScoreDiff = 0;
  const slotOrderErrors = [];
  for (let t = 0; t < 500; t++) {
    const outfit = [];
    fx.members.forEach((items, s) => {
      const pick = picks[t * 8 + s];
      if (!items.length || (!OUTFIT_SLOTS[s].required && pick % 3 === 0)) return;
      outfit.push(items[pick % items.length]);
    });
    const scrambled = [...outfit].reverse();
    const got = index.score(user(fx), Uint32Array.from(scrambled));
    const expected = referenceOutfitScore(fx, outfit);
    if (compareLists(got.items, outfit) !== 0) slotOrderErrors.push({ got: got.items, expected: outfit });
    maxScoreDiff = Math.max(maxScoreDiff, maxOutfitDiff([got], [expected]));
  }

  // complete() with every item a candidate: brute force, every anchor.
  const largestSlot = Math.max(...fx.members.map((m) => m.length));
  const exact = [];
  for (let anchor = 0; anchor < fx.n; anchor++) {
    const got = index.complete(user(fx), anchor, k, largestSlot);
    const reference = referenceComplete(fx, anchor, fx.members, k);
    exact.push({
      anchor,
      wasm: got.outfits.map(plainOutfit),
      reference: reference.top,
      scored: got.scored,
      referenceCount: reference.count,
      maxScoreDiff: maxOutfitDiff(got.outfits, reference.top),
    });
  }
  index.free();

  // complete() with 16 candidates per slot over a larger catalog.
  const big = outfitFixture({ n: large, bits, seed: 31 });
  const bigIndex = make(big);
  const sampled = [];
  for (const anchor of [0, 1, 2, 3, 4, 1234, large - 1]) {
    const got = bigIndex.complete(user(big), anchor, k, 16);
    const reference = referenceComplete(big, anchor, referenceCandidates(big, anchor, 16), k);
    sampled.push({
      anchor,
      wasm: got.outfits.map(plainOutfit),
      reference: reference.top,
      scored: got.scored,
      referenceCount: reference.count,
      maxScoreDiff: maxOutfitDiff(got.outfits, reference.top),
    });
  }
  bigIndex.free();
  return {
    small: { n: fx.n, slotSizes: fx.members.map((m) => m.length), scoreCases: 500, maxScoreDiff, slotOrderErrors },
    exact,
    large: { n: big.n, slotSizes: big.members.map((m) => m.length), cases: sampled },
  };
}

/** The messages of the errors that bad input to the outfit scorer raises, and proof that the
 * module still works after them. */
export async function outfitScorerErrors() {
  const tailor = await loadTailor('cpu');
  const words = new BigUint64Array(randomU32(40, 41).buffer); // 10 codes of 128 bits
  const types = Uint8Array.from([0, 1, 2, 3, 4, 0, 1, 2, 3, 4]);
  const slots = JSON.stringify(OUTFIT_SLOTS);
  const weights = randomUniform(128, 42, 0.5, 1.5);
  const make = (overrides = {}) => {
    const o = { bits: 128, words, types, slots, userWeights: weights, compatWeights: weights, ...overrides };
    return new tailor.OutfitIndex(o.bits, o.words, o.types, o.slots, o.userWeights, o.compatWeights);
  };
  const index = make();
  const user = new BigUint64Array(randomU32(4, 43).buffer);
  const badType = Uint8Array.from(types);
  badType[3] = 7;
  return {
    shortUserComplete: attempt(() => index.complete(new BigUint64Array(1), 0, 5, 16)),
    shortUserScore: attempt(() => index.score(new BigUint64Array(3), Uint32Array.from([0, 1, 2]))),
    typeOutOfRange: attempt(() => make({ types: badType })),
    typeCount: attempt(() => make({ types: types.subarray(0, 9) })),
    userWeightsLength: attempt(() => make({ userWeights: new Float32Array(64) })),
    compatWeightsLength: attempt(() => make({ compatWeights: new Float32Array(256) })),
    anchorOutOfRange: attempt(() => index.complete(user, 1000, 5, 16)),
    zeroK: attempt(() => index.complete(user, 0, 0, 16)),
    zeroCandidates: attempt(() => index.complete(user, 0, 5, 0)),
    itemOutOfRange: attempt(() => index.score(user, Uint32Array.from([0, 1, 2, 10]))),
    slotTaken: attempt(() => index.score(user, Uint32Array.from([0, 1, 2, 5]))),
    missingSlot: attempt(() => index.score(user, Uint32Array.from([0, 1]))),
    badSlotsJson: attempt(() => make({ slots: '[{"name": "top"' })),
    slotsNotAList: attempt(() => make({ slots: '{"name": "top", "required": true}' })),
    duplicateSlot: attempt(() => make({ slots: JSON.stringify([...OUTFIT_SLOTS, OUTFIT_SLOTS[0]]) })),
    badBits: attempt(() => make({ bits: 100 })),
    stillWorks: (() => {
      const result = index.complete(user, 0, 3, 16);
      return { first: Array.from(result.outfits[0].items), count: result.outfits.length, scored: result.scored };
    })(),
    length: index.length,
  };
}
