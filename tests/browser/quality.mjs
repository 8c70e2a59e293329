// What a ranking must show for a request that names a class, and the `quality:` lines that the
// seed audit (`cargo xtask seeds`) tabulates, as tests/quality.rs prints them for the Rust
// tests. A small model cannot promise a fixed share of the class in its top 10, nor that the
// class is always the most frequent one there (a summer skirt is a fair answer to "red summer
// dress", and one seed of the test bundle puts 5 skirts above 3 dresses), but it is trained to
// rank the class it is asked for above the others: its items rank above the other items of the
// catalog far more often than not (the AUC of the class against the rest), and the top 10 holds
// more of them than a random 10 would.

/**
 * How `ranking` (the whole catalog, best first, each with a `class`) treats `wanted`: its count
 * in the top `top` against the most frequent other class, and the share of (item of `wanted`,
 * other item) pairs that the ranking orders with the `wanted` item first.
 * @param {{class: string}[]} ranking
 * @param {string} wanted
 */
export function classFocus(ranking, wanted, top = 10) {
  const counts = {};
  for (const r of ranking.slice(0, top)) counts[r.class] = (counts[r.class] ?? 0) + 1;
  const [rivalCount, rivalByCount] = Object.entries(counts)
    .filter(([name]) => name !== wanted)
    .reduce((best, [name, n]) => (n > best[0] ? [n, name] : best), [0, null]);
  // Pairs ordered right: each other item counts the wanted items ranked above it.
  let above = 0;
  let pairsRight = 0;
  for (const r of ranking) {
    if (r.class === wanted) above += 1;
    else pairsRight += above;
  }
  const others = ranking.length - above;
  return {
    count: counts[wanted] ?? 0,
    /** How many a random `top` of the catalog would hold on average. */
    chance: ranking.length > 0 ? (top * above) / ranking.length : 0,
    rivalCount,
    rivalByCount,
    auc: above > 0 && others > 0 ? pairsRight / (above * others) : 0,
    counts,
  };
}

/** One line for assertion messages. */
export const describeFocus = (wanted, f) =>
  `${wanted}: ${f.count} of the top 10 (chance ${f.chance.toFixed(2)}; next ${f.rivalByCount} ` +
  `${f.rivalCount}), AUC against ` +
  `the rest of the catalog ${f.auc.toFixed(3)}; top 10 ${JSON.stringify(f.counts)}`;

const HOLDS = { '>': (a, b) => a > b, '>=': (a, b) => a >= b, '<': (a, b) => a < b, '<=': (a, b) => a <= b };

/** Prints `quality: NAME: VALUE OP BOUND` for the seed audit and returns whether it holds. */
export function check(name, value, op, bound) {
  console.log(`quality: ${name}: ${value.toFixed(4)} ${op} ${bound.toFixed(4)}`);
  return HOLDS[op](value, bound);
}
