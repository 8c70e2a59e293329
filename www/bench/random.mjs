// Reproducible random data for the benchmark pages.

/** `count` random u64 words (mulberry32 fills their 32-bit halves), reproducible from `seed`,
 * written straight into the BigUint64Array's buffer. */
export function randomWords(count, seed) {
  const out = new Uint32Array(2 * count);
  let state = seed >>> 0;
  for (let i = 0; i < out.length; i++) {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = (t ^ (t >>> 14)) >>> 0;
  }
  return new BigUint64Array(out.buffer);
}
