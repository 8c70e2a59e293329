// Packed vs float scoring throughput in the CPU wasm build. `?autorun&items=N&rounds=R` runs on
// load; the result is also left in `window.benchResult` for the headless runner.
import { loadWasm } from '/web/wasm.js';
import { randomWords } from './random.mjs';

const BITS = 128;
const K = 10;
const MIN_ROUND_MS = 300;

const status = document.getElementById('status');
const table = document.getElementById('results');

const pause = () => new Promise((resolve) => setTimeout(resolve, 0));

/** Calls `query` until a round lasts MIN_ROUND_MS; returns milliseconds per call. */
function timeRound(query) {
  let calls = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < MIN_ROUND_MS || calls < 3) {
    query();
    calls++;
    elapsed = performance.now() - start;
  }
  return elapsed / calls;
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function run(items, rounds) {
  status.textContent = `Building ${items.toLocaleString()} random codes…`;
  await pause();
  const index = new CodeIndex(BITS, randomWords((items * BITS) / 64, 1));
  const dense = index.toDense();
  const query = randomWords(BITS / 64, 2);
  // Learned FHN weights start at 1; spread them so that the tables are not trivial.
  const weights = Float32Array.from(new Uint32Array(randomWords(BITS / 2, 3).buffer), (u) => 0.5 + u / 2 ** 32);
  const weightTable = new WeightTable(weights);
  const denseQuery = Float32Array.from({ length: BITS }, (_, j) => Number((query[j >> 6] >> BigInt(j & 63)) & 1n) * 2 - 1);
  const methods = {
    'float (baseline)': () => dense.topK(denseQuery, K),
    packed: () => index.topK(query, K),
    'packed weighted': () => index.topKWeighted(query, weightTable, K),
    // Every pair through the byte tables, no popcount pruning, all scores copied out to JS.
    'packed weighted, all scores': () => index.scoresWeighted(query, weightTable),
  };
  const samples = Object.fromEntries(Object.keys(methods).map((name) => [name, []]));
  for (const query of Object.values(methods)) query(); // warm-up
  for (let round = 0; round < rounds; round++) {
    for (const [name, query] of Object.entries(methods)) {
      status.textContent = `Round ${round + 1} of ${rounds}: ${name}…`;
      await pause();
      samples[name].push(timeRound(query));
    }
  }
  const baselineMs = median(samples['float (baseline)']);
  const rows = Object.entries(samples).map(([name, times]) => {
    const ms = median(times);
    return { method: name, pairsPerSecond: items / (ms / 1000), msPerQuery: ms, speedupVsFloat: baselineMs / ms };
  });
  dense.free();
  index.free();
  return { items, bits: BITS, k: K, rounds, userAgent: navigator.userAgent, rows };
}

function show(result) {
  const body = table.querySelector('tbody');
  body.replaceChildren(...result.rows.map((row) => {
    const tr = document.createElement('tr');
    for (const text of [row.method, `${(row.pairsPerSecond / 1e6).toFixed(1)} M`,
      row.msPerQuery.toFixed(2), `${row.speedupVsFloat.toFixed(1)}×`]) {
      const td = document.createElement('td');
      td.textContent = text;
      tr.append(td);
    }
    return tr;
  }));
  table.hidden = false;
  status.textContent = `${result.items.toLocaleString()} items × ${result.bits} bits, median of ${result.rounds} rounds.`;
}

async function start(event) {
  event?.preventDefault();
  const items = Number(document.getElementById('items').value);
  const rounds = Number(document.getElementById('rounds').value);
  try {
    const result = await run(items, rounds);
    show(result);
    window.benchResult = result;
  } catch (error) {
    status.textContent = `Benchmark failed: ${error.message ?? error}`;
    window.benchResult = { error: String(error.message ?? error) };
  }
}

const { CodeIndex, WeightTable } = await loadWasm('cpu');
const params = new URLSearchParams(location.search);
if (params.has('items')) document.getElementById('items').value = params.get('items');
if (params.has('rounds')) document.getElementById('rounds').value = params.get('rounds');
document.getElementById('controls').addEventListener('submit', start);
status.textContent = 'Ready.';
if (params.has('autorun')) start();
