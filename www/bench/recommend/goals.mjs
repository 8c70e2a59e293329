// Issue 4's goals for recommend(), judged from a benchmark result. Shared by the page and by the
// headless driver (tests/browser/bench-recommend.mjs), so both say PASS / MISS the same way.

export const GOALS = {
  /** p50 at 10k items: Tailor (static encoder, CPU) at least this many times faster than transformers.js. */
  staticSpeedup: 5,
  /** p50 at 10k items: Tailor (full MiniLM, CPU) at least this many times faster. */
  minilmSpeedup: 1.5,
  /** Cold start to first result on the CPU path (static demo bundle), at most this many ms. */
  coldStartMs: 1000,
  /** Demo bundle + CPU wasm (+ its JS), at most this many bytes. */
  sizeBytes: 4_000_000,
  /** The catalog size the speed goals are judged at. */
  speedItems: 10_000,
};

export const BASELINE = 'transformers.js';

/** Sorted-copy percentile (nearest rank), p in [0, 1]. */
export function percentile(values, p) {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil(p * sorted.length) - 1;
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank))];
}

/** The row of `rows` for this size, method kind, encoder and backend (Tailor) or the baseline. */
export function findRow(rows, { items, kind, encoder, backend }) {
  return rows.find((row) => row.items === items && row.kind === kind &&
    (encoder === undefined || row.encoder === encoder) && (backend === undefined || row.backend === backend));
}

/**
 * [{goal, target, measured, verdict: 'PASS'|'MISS'|'not measured', note}] for a result of the
 * page ({rows, coldStart}) and, from the driver, `delivery` ({totalBytes, gzipBytes}).
 */
export function judge({ rows = [], coldStart = [], delivery = null } = {}) {
  const verdicts = [];
  const items = GOALS.speedItems;
  const baseline = findRow(rows, { items, kind: 'baseline' });
  for (const [encoder, target, label] of [
    ['static', GOALS.staticSpeedup, 'static encoder'],
    ['minilm', GOALS.minilmSpeedup, 'full MiniLM'],
  ]) {
    const tailor = findRow(rows, { items, kind: 'tailor', encoder, backend: 'cpu' });
    const goal = `p50 at ${items.toLocaleString('en-US')} items, Tailor (${label}, CPU) vs transformers.js`;
    if (!baseline || !tailor) {
      verdicts.push({ goal, target: `>= ${target}x`, measured: '-', verdict: 'not measured', note: 'no 10k rows in this run' });
      continue;
    }
    const speedup = baseline.p50 / tailor.p50;
    verdicts.push({
      goal,
      target: `>= ${target}x`,
      measured: `${speedup.toFixed(2)}x (${tailor.p50.toFixed(2)} ms vs ${baseline.p50.toFixed(2)} ms)`,
      verdict: speedup >= target ? 'PASS' : 'MISS',
    });
  }
  const cold = coldStart.find((c) => c.kind === 'tailor' && c.backend === 'cpu' && c.bundle === 'static-demo');
  if (cold) {
    const ms = cold.loadToFirstResultMs;
    verdicts.push({
      goal: 'cold start to first result, Tailor static demo bundle on CPU (Tailor.load start -> first recommend result)',
      target: `<= ${GOALS.coldStartMs} ms`,
      measured: `${ms.toFixed(0)} ms${cold.runs > 1 ? ` (median of ${cold.runs} fresh contexts)` : ''}`,
      verdict: ms <= GOALS.coldStartMs ? 'PASS' : 'MISS',
      note: cold.fresh ? '' : 'not a fresh browser context: run the headless driver for the real figure',
    });
  } else {
    verdicts.push({ goal: 'cold start to first result, CPU', target: `<= ${GOALS.coldStartMs} ms`, measured: '-', verdict: 'not measured' });
  }
  if (delivery) {
    verdicts.push({
      goal: 'demo bundle + CPU wasm + JS, bytes on disk (uncompressed)',
      target: `<= ${GOALS.sizeBytes.toLocaleString('en-US')} B`,
      measured: `${delivery.totalBytes.toLocaleString('en-US')} B`,
      verdict: delivery.totalBytes <= GOALS.sizeBytes ? 'PASS' : 'MISS',
      note: delivery.gzipBytes ? `gzip -9 would send ${delivery.gzipBytes.toLocaleString('en-US')} B` : '',
    });
  } else {
    verdicts.push({ goal: 'demo bundle + CPU wasm + JS', target: `<= ${GOALS.sizeBytes.toLocaleString('en-US')} B`, measured: '-', verdict: 'not measured' });
  }
  return verdicts;
}
