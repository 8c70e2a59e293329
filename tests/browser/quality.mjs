// What a ranking must show for a request that names a class, shared by the shop's browser test
// and the seed audit (audit-seeds.mjs), so that both assert the same thing. A small model cannot
// promise a fixed share of the class in its top 10, but it is trained to rank the class it is
// asked for above the others: that class is the most frequent one at the top, and its items sit
// higher in the whole ranking than any other class's.

/** Classes with fewer items than this have too few ranks for a median that means anything. */
export const MIN_CLASS_SIZE = 3;

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

/**
 * How `ranking` (the whole catalog, best first, each with a `class`) treats `wanted`: its count
 * in the top `top` against the most frequent other class, and its median rank (1 = best)
 * against the best median of any other class of at least MIN_CLASS_SIZE items.
 * @param {{class: string}[]} ranking
 * @param {string} wanted
 */
export function classFocus(ranking, wanted, top = 10) {
  const counts = {};
  for (const r of ranking.slice(0, top)) counts[r.class] = (counts[r.class] ?? 0) + 1;
  const ranks = {};
  ranking.forEach((r, i) => (ranks[r.class] ??= []).push(i + 1));
  const medians = Object.fromEntries(Object.entries(ranks)
    .filter(([, list]) => list.length >= MIN_CLASS_SIZE)
    .map(([name, list]) => [name, median(list)]));
  const others = Object.entries(counts).filter(([name]) => name !== wanted);
  const [rivalCount, rivalByCount] = others.reduce((best, [name, n]) => (n > best[0] ? [n, name] : best), [0, null]);
  const otherMedians = Object.entries(medians).filter(([name]) => name !== wanted);
  const [rivalMedian, rivalByMedian] = otherMedians.reduce((best, [name, m]) => (m < best[0] ? [m, name] : best), [Infinity, null]);
  return {
    count: counts[wanted] ?? 0,
    rivalCount,
    rivalByCount,
    median: medians[wanted] ?? Infinity,
    rivalMedian,
    rivalByMedian,
    counts,
    medians,
    /** Both hold: the most frequent class at the top (strictly), the best median rank. */
    holds: (counts[wanted] ?? 0) > rivalCount && (medians[wanted] ?? Infinity) < rivalMedian,
  };
}

/** One line for assertion messages and the audit table. */
export const describeFocus = (wanted, f) =>
  `${wanted}: ${f.count} of the top 10 (next ${f.rivalByCount} ${f.rivalCount}), median rank ` +
  `${f.median} (next ${f.rivalByMedian} ${f.rivalMedian}); top 10 ${JSON.stringify(f.counts)}`;
