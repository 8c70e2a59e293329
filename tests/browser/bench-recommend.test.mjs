// Smoke test of the side-by-side benchmark page (www/bench/recommend/): a small run where both
// Tailor and transformers.js answer, nothing leaves the server's origin, and transformers.js on the
// int8 ONNX MiniLM agrees with the fp32 MiniLM of tests/fixtures/minilm_parity.json.
//
// It needs the inputs that `cargo xtask bench` prepares in $TAILOR_BENCH_DIR (the synthetic
// 1000-item bundles, or else the demo bundles, and models/minilm-int8/); without them it skips,
// saying what is missing.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { ROOT, launchChromium, startServer } from './harness.mjs';
import { benchMounts, missingInputs, openWatched, runPage } from './bench-recommend.mjs';

const ENCODERS = ['static', 'minilm'];
const QUERIES = 5;
const ROUNDS = 2;

// The 1000-item synthetic bundles when they exist, else the demo bundles (1206 items).
const size = missingInputs({ sizes: ['1000'], encoders: ENCODERS }).length === 0 ? '1000' : 'demo';
const why = (missing) => (missing.length ? `benchmark inputs missing (\`cargo xtask bench\` prepares them): ${missing.join(', ')}` : false);
// Under `cargo xtask test`, which prepares the inputs and names their folder, a missing input is a
// failure, never a skip.
const required = Boolean(process.env.TAILOR_BENCH_DIR);
if (required) {
  const missing = missingInputs({ sizes: [size], encoders: ENCODERS });
  if (missing.length) throw new Error(`TAILOR_BENCH_DIR is set but lacks: ${missing.join(', ')}`);
}
const skipSweep = required ? false : why(missingInputs({ sizes: [size], encoders: ENCODERS }));
const skipParity = required ? false : why(missingInputs({ sizes: [], encoders: [] }));

const session = {};
before(async () => {
  if (skipSweep && skipParity) return;
  session.server = await startServer('www', benchMounts());
  session.browser = await launchChromium();
});
after(async () => {
  await session.browser?.close();
  session.server?.close();
});

const cosine = (a, b) => {
  let dot = 0, na = 0, nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  return dot / Math.sqrt(na * nb);
};

function assertRanked(example, items) {
  const expected = Math.min(10, items);
  assert.equal(example.ids.length, expected, `${example.method}: top-10 length`);
  assert.equal(new Set(example.ids.map(String)).size, expected, `${example.method}: top-10 has repeats`);
  for (const score of example.scores) assert.ok(Number.isFinite(score), `${example.method}: score ${score}`);
  for (let i = 1; i < example.scores.length; i++) {
    assert.ok(example.scores[i] <= example.scores[i - 1], `${example.method}: scores not sorted: ${example.scores}`);
  }
}

test(`benchmark page runs Tailor and transformers.js side by side (${size} items), same origin only`, { skip: skipSweep }, async () => {
  const query = `autorun&sizes=${size}&encoders=${ENCODERS.join(',')}&backends=cpu&rounds=${ROUNDS}` +
    `&queries=${QUERIES}&warmup=2&warmupms=0`;
  const { result, watch, context } = await runPage(session.browser, session.server.url, query, { timeoutMs: 300_000 });
  await context.close();
  assert.equal(result.error, undefined, `page error: ${result.error}`);

  const methods = [
    ...ENCODERS.map((encoder) => ({ kind: 'tailor', encoder, backend: 'cpu' })),
    { kind: 'baseline' },
  ];
  for (const want of methods) {
    const row = result.rows.find((r) => r.kind === want.kind &&
      (want.kind === 'baseline' || (r.encoder === want.encoder && r.backend === want.backend)));
    assert.ok(row, `no row for ${JSON.stringify(want)} in ${JSON.stringify(result.rows.map((r) => r.method))}`);
    assert.equal(row.samples, ROUNDS * QUERIES, `${row.method}: samples`);
    assert.ok(row.p50 > 0 && Number.isFinite(row.p50), `${row.method}: p50 ${row.p50}`);
    assert.ok(row.p95 >= row.p50, `${row.method}: p95 ${row.p95} < p50 ${row.p50}`);
    if (row.kind === 'tailor') {
      // The wasm's own timings come back through the worker, and fit inside the round trip.
      assert.ok(Number.isFinite(row.encodeP50) && row.encodeP50 >= 0, `${row.method}: encodeMs ${row.encodeP50}`);
      assert.ok(Number.isFinite(row.scoreP50) && row.scoreP50 >= 0, `${row.method}: scoreMs ${row.scoreP50}`);
      assert.ok(row.inWorkerP50 <= row.p50 + 0.5, `${row.method}: in-worker ${row.inWorkerP50} > total ${row.p50}`);
      assert.ok(row.speedupP50 > 0, `${row.method}: no ratio against the baseline`);
    } else {
      // The baseline scanned the MiniLM bundle's own item embeddings, not random stand-ins.
      assert.match(row.itemSource, /^minilm-.*\/item_embeddings\.bin$/);
      assert.equal(row.dim, 384);
    }
    const example = result.examples.find((e) => e.method === row.method);
    assertRanked(example, row.items);
    if (row.kind === 'baseline') {
      for (const index of example.ids) assert.ok(Number.isInteger(index) && index >= 0 && index < row.items);
    }
    console.log(`  ${row.method}: p50 ${row.p50.toFixed(2)} ms, p95 ${row.p95.toFixed(2)} ms`);
  }
  assert.deepEqual(watch.offOriginUnique(), [], 'requests left the server origin');
  assert.deepEqual(watch.problems, []);
});

test('transformers.js on the int8 ONNX MiniLM agrees with the fp32 MiniLM fixture', { skip: skipParity }, async () => {
  const fixture = JSON.parse(fs.readFileSync(path.join(ROOT, 'tests/fixtures/minilm_parity.json'), 'utf8'));
  // Sentences the fixture truncated (max_seq_length) are embedded differently by design.
  const cases = fixture.sentences
    .map((sentence, i) => ({ sentence, ids: fixture.token_ids[i], embedding: fixture.embeddings[i] }))
    .filter((c) => c.ids.length < fixture.max_seq_length);
  // The page without autorun: only its modules load; the test drives baseline.mjs itself.
  const { page, watch, context } = await openWatched(session.browser, session.server.url, '');
  const got = await page.evaluate(async (sentences) => {
    const { loadExtractor } = await import('/bench/recommend/baseline.mjs');
    const { embed, extractor } = await loadExtractor();
    const out = [];
    for (const sentence of sentences) {
      const tokens = extractor.tokenizer(sentence);
      out.push({ embedding: Array.from(await embed(sentence)), ids: Array.from(tokens.input_ids.data, Number) });
    }
    return out;
  }, cases.map((c) => c.sentence));
  await context.close();
  let worst = 1;
  for (const [i, c] of cases.entries()) {
    assert.deepEqual(got[i].ids, c.ids, `token ids of ${JSON.stringify(c.sentence)}`);
    assert.equal(got[i].embedding.length, 384);
    const similarity = cosine(got[i].embedding, c.embedding);
    worst = Math.min(worst, similarity);
    assert.ok(similarity > 0.95, `${JSON.stringify(c.sentence)}: cosine ${similarity} with the fp32 embedding`);
    if (c.sentence === 'red summer dress') console.log(`  "red summer dress": cosine ${similarity.toFixed(4)} int8 vs fp32`);
  }
  console.log(`  ${cases.length} sentences: worst cosine ${worst.toFixed(4)}, same token ids`);
  assert.ok(cases.some((c) => c.sentence === 'red summer dress'));
  assert.deepEqual(watch.offOriginUnique(), [], 'requests left the server origin');
  assert.deepEqual(watch.problems, []);
});
