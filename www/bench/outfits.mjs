// Complete-the-look throughput in the CPU wasm build against a plain-JS float baseline.
// `?autorun&items=10000,100000,1000000&rounds=R&ms=M` runs on load (M: minimum milliseconds per
// round); the result is also left in `window.benchResult` for the headless runner.
import { loadWasm } from '/web/wasm.js';
import { randomWords } from './random.mjs';

const BITS = 128;
const WORDS = BITS / 64;
const K = 10;
const CANDIDATES = 16;
const BASELINE_PER_SLOT = 10_000;
const SLOTS = [
  { name: 'top', required: true },
  { name: 'bottom', required: true },
  { name: 'shoes', required: true },
  { name: 'bag', required: false },
  { name: 'outerwear', required: false },
];

const status = document.getElementById('status');
const table = document.getElementById('results');
const params = new URLSearchParams(location.search);
const minRoundMs = Number(params.get('ms') ?? 300);

function randomWeights(seed) {
  // Learned FHN weights start at 1; spread them so that the tables are not trivial.
  return Float32Array.from(new Uint32Array(randomWords(BITS / 2, seed).buffer), (u) => 0.5 + u / 2 ** 32);
}

/** 5 slots of `perSlot` items, stored grouped by slot (item i is in slot floor(i / perSlot)). */
function makeCatalog(perSlot) {
  const n = perSlot * SLOTS.length;
  const words = randomWords(n * WORDS, 1);
  const types = new Uint8Array(n);
  for (let s = 0; s < SLOTS.length; s++) types.fill(s, s * perSlot, (s + 1) * perSlot);
  return { perSlot, n, words, types };
}

const USER_WEIGHTS = randomWeights(3);
const COMPAT_WEIGHTS = randomWeights(4);
const USER = randomWords(WORDS, 2);

/** Two anchors per slot, so that every slot is the anchor's slot in turn. */
function anchors(perSlot) {
  return SLOTS.flatMap((_, s) => [s * perSlot + 7, s * perSlot + Math.floor(perSlot / 2)]);
}

const pause = () => new Promise((resolve) => setTimeout(resolve, 0));

/** Calls `call` until a round lasts `minRoundMs`; returns milliseconds per call. */
function timeRound(call) {
  let calls = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < minRoundMs || calls < 3) {
    call(calls);
    calls++;
    elapsed = performance.now() - start;
  }
  return elapsed / calls;
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

function compareLists(a, b) {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

/** The same complete-the-look in plain JS on +-1 floats: a dot product per item for the scan,
 * float dot products for the pair table, the same exact search and the same tie rule. */
class FloatBaseline {
  constructor({ perSlot, n, words }) {
    this.perSlot = perSlot;
    this.signs = new Float32Array(n * BITS);
    const halves = new Uint32Array(words.buffer, words.byteOffset, words.length * 2);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < BITS; j++) {
        this.signs[i * BITS + j] = (halves[i * (BITS / 32) + (j >> 5)] >>> (j & 31)) & 1 ? 1 : -1;
      }
    }
    const user = new Uint32Array(USER.buffer);
    this.user = Float32Array.from({ length: BITS }, (_, j) => ((user[j >> 5] >>> (j & 31)) & 1 ? 1 : -1));
  }

  dot(w, a, aOffset, b, bOffset) {
    let s = 0;
    for (let j = 0; j < BITS; j++) s += w[j] * a[aOffset + j] * b[bOffset + j];
    return s;
  }

  complete(anchor) {
    const { signs, perSlot, user } = this;
    const v = new Float32Array(BITS);
    for (let j = 0; j < BITS; j++) v[j] = USER_WEIGHTS[j] * user[j] + COMPAT_WEIGHTS[j] * signs[anchor * BITS + j];
    const anchorSlot = Math.floor(anchor / perSlot);
    const pool = [anchor];
    const ranges = [];
    SLOTS.forEach((slot, s) => {
      if (s === anchorSlot) { ranges.push([0, 1, false]); return; }
      const best = []; // [score, item], best first; ties keep the lower (earlier) item
      for (let i = s * perSlot; i < (s + 1) * perSlot; i++) {
        let score = 0;
        for (let j = 0; j < BITS; j++) score += v[j] * signs[i * BITS + j];
        if (best.length === CANDIDATES && score <= best[CANDIDATES - 1][0]) continue;
        let at = best.length;
        while (at > 0 && best[at - 1][0] < score) at--;
        best.splice(at, 0, [score, i]);
        if (best.length > CANDIDATES) best.pop();
      }
      const start = pool.length;
      pool.push(...best.map(([, i]) => i));
      ranges.push([start, pool.length, !slot.required]);
    });
    const n = pool.length;
    const preference = pool.map((i) => this.dot(USER_WEIGHTS, user, 0, signs, i * BITS) / BITS);
    const pairs = new Float64Array(n * n);
    for (let p = 0; p < n; p++) {
      for (let q = 0; q < n; q++) pairs[p * n + q] = this.dot(COMPAT_WEIGHTS, signs, pool[p] * BITS, signs, pool[q] * BITS) / BITS;
    }
    const top = [];
    let scored = 0;
    const chosen = [];
    const visit = (depth, preferenceSum, compatibilitySum) => {
      if (depth === ranges.length) {
        scored++;
        const m = chosen.length;
        const pairCount = (m * (m - 1)) / 2;
        const score = preferenceSum / m + (pairCount ? compatibilitySum / pairCount : 0);
        if (top.length === K && score < top[K - 1].score) return;
        const items = chosen.map((p) => pool[p]);
        let at = top.length;
        while (at > 0 && (top[at - 1].score < score
          || (top[at - 1].score === score && compareLists(top[at - 1].items, items) > 0))) at--;
        top.splice(at, 0, { items, score });
        if (top.length > K) top.pop();
        return;
      }
      const [start, end, optional] = ranges[depth];
      if (optional) visit(depth + 1, preferenceSum, compatibilitySum);
      for (let p = start; p < end; p++) {
        let row = 0;
        for (const q of chosen) row += pairs[q * n + p];
        chosen.push(p);
        visit(depth + 1, preferenceSum + preference[p], compatibilitySum + row);
        chosen.pop();
      }
    };
    visit(0, 0, 0);
    return { outfits: top, scored };
  }
}

function newIndex(tailor, catalog) {
  return new tailor.OutfitIndex(BITS, catalog.words, catalog.types, JSON.stringify(SLOTS), USER_WEIGHTS, COMPAT_WEIGHTS);
}

/** Rounds of `complete` over `anchors`, cycling; returns the median ms per call and the mean
 * number of outfits scored per call. */
async function timeComplete(label, rounds, list, complete) {
  const scoredPerAnchor = list.map((anchor) => complete(anchor).scored); // warm-up
  const samples = [];
  for (let round = 0; round < rounds; round++) {
    status.textContent = `${label}: round ${round + 1} of ${rounds}…`;
    await pause();
    samples.push(timeRound((call) => complete(list[call % list.length])));
  }
  const outfitsPerCall = scoredPerAnchor.reduce((a, b) => a + b, 0) / list.length;
  return { ms: median(samples), outfitsPerCall };
}

async function run(tailor, sizes, rounds) {
  // The baseline, on the 10k-per-slot catalog, and the wasm search on the same catalog once,
  // to check that both find the same best outfits.
  status.textContent = 'Building the JS float baseline at 10k items per slot…';
  await pause();
  const baseCatalog = makeCatalog(BASELINE_PER_SLOT);
  const baseline = new FloatBaseline(baseCatalog);
  const user = USER;
  const check = newIndex(tailor, baseCatalog);
  const baseAnchors = anchors(BASELINE_PER_SLOT);
  const agrees = baseAnchors.every((anchor) => {
    const wasm = check.complete(user, anchor, K, CANDIDATES);
    const js = baseline.complete(anchor);
    return wasm.scored === js.scored
      && wasm.outfits.every((o, i) => compareLists(Array.from(o.items), js.outfits[i].items) === 0);
  });
  check.free();
  const base = await timeComplete('JS float baseline, 10k per slot', rounds, baseAnchors, (a) => baseline.complete(a));
  const baselineScanned = 4 * BASELINE_PER_SLOT / (base.ms / 1000);
  const baselineResult = {
    itemsPerSlot: BASELINE_PER_SLOT,
    msPerComplete: base.ms,
    outfitsPerCall: base.outfitsPerCall,
    outfitsPerSecond: base.outfitsPerCall / (base.ms / 1000),
    itemsScannedPerSecond: baselineScanned,
    floatBytes: baseline.signs.byteLength,
    agrees,
  };

  const rows = [];
  for (const perSlot of sizes) {
    status.textContent = `Generating ${(perSlot * SLOTS.length).toLocaleString()} random codes…`;
    await pause();
    let start = performance.now();
    const catalog = makeCatalog(perSlot);
    const generateMs = performance.now() - start;
    start = performance.now();
    const index = newIndex(tailor, catalog);
    const constructMs = performance.now() - start;
    const list = anchors(perSlot);
    const timed = await timeComplete(`${perSlot.toLocaleString()} per slot`, rounds, list,
      (anchor) => index.complete(user, anchor, K, CANDIDATES));
    const itemsScannedPerSecond = 4 * perSlot / (timed.ms / 1000);
    rows.push({
      itemsPerSlot: perSlot,
      totalItems: catalog.n,
      msPerComplete: timed.ms,
      outfitsPerCall: timed.outfitsPerCall,
      outfitsPerSecond: timed.outfitsPerCall / (timed.ms / 1000),
      itemsScannedPerSecond,
      speedupVsBaseline: itemsScannedPerSecond / baselineScanned,
      codeBytes: index.codeBytes,
      generateMs,
      constructMs,
    });
    index.free();
  }
  return {
    bits: BITS, slots: SLOTS.length, k: K, candidatesPerSlot: CANDIDATES, rounds, minRoundMs,
    userAgent: navigator.userAgent, baseline: baselineResult, rows,
  };
}

function cells(values) {
  const tr = document.createElement('tr');
  for (const text of values) {
    const td = document.createElement('td');
    td.textContent = text;
    tr.append(td);
  }
  return tr;
}

const millions = (x) => `${(x / 1e6).toFixed(1)} M`;

function show(result) {
  const b = result.baseline;
  const body = table.querySelector('tbody');
  body.replaceChildren(
    cells([`${b.itemsPerSlot.toLocaleString()} (JS float baseline)`, b.msPerComplete.toFixed(2),
      Math.round(b.outfitsPerCall).toLocaleString(), millions(b.outfitsPerSecond), millions(b.itemsScannedPerSecond),
      '1.0×', `${(b.floatBytes / 1e6).toFixed(1)} MB of floats (JS)`]),
    ...result.rows.map((row) => cells([row.itemsPerSlot.toLocaleString(), row.msPerComplete.toFixed(2),
      Math.round(row.outfitsPerCall).toLocaleString(), millions(row.outfitsPerSecond), millions(row.itemsScannedPerSecond),
      `${row.speedupVsBaseline.toFixed(1)}×`, `${(row.codeBytes / 1e6).toFixed(1)} MB`])),
  );
  table.hidden = false;
  status.textContent = `5 slots × 128 bits, ${result.candidatesPerSlot} candidates per slot, top ${result.k}, `
    + `median of ${result.rounds} rounds. The baseline ${b.agrees ? 'finds the same outfits' : 'DISAGREES with wasm'}.`;
}

async function start(tailor, event) {
  event?.preventDefault();
  const sizes = document.getElementById('items').value.split(',').map((s) => Number(s.trim())).filter((s) => s > 0);
  const rounds = Number(document.getElementById('rounds').value);
  try {
    const result = await run(tailor, sizes, rounds);
    show(result);
    window.benchResult = result;
  } catch (error) {
    status.textContent = `Benchmark failed: ${error.message ?? error}`;
    window.benchResult = { error: String(error.message ?? error) };
  }
}

const tailor = await loadWasm('cpu');
if (params.has('items')) document.getElementById('items').value = params.get('items');
if (params.has('rounds')) document.getElementById('rounds').value = params.get('rounds');
document.getElementById('controls').addEventListener('submit', (event) => start(tailor, event));
status.textContent = 'Ready.';
if (params.has('autorun')) start(tailor);
