//! Complete-the-look over 5 slots (top, bottom, shoes required; bag, outerwear optional) of
//! 10k, 100k and 1M random 128-bit codes each, 16 candidates per slot, top 10 outfits, against
//! a naive float baseline at 10k per slot in the same run. The baseline is the same algorithm on
//! the codes stored as +-1.0 f32 vectors: a dot product per item for the candidate scan, a full
//! sort of each slot's scores for its candidates, float dot products for the pair table, and the
//! same exact search. `scan only` keeps 1 candidate per slot, so it times the scans alone.
//! Throughput is items scanned (the 4 slots other than the anchor's) per second.

// A benchmark binary: it prints its summary table.
#![allow(clippy::print_stdout)]

use std::hint::black_box;

mod common;

use common::random_words;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use tailor_core::{CodeLength, OutfitCatalog, OutfitSearch, OutfitSlot, PackedCodes};

const SLOTS: usize = 5;
const BITS: usize = 128;
const CANDIDATES: usize = 16;
const K: usize = 10;

fn weights(seed: u64) -> Vec<f32> {
    random_words(BITS, seed)
        .iter()
        .map(|w| 0.5 + (w >> 40) as f32 / (1u64 << 24) as f32)
        .collect()
}

fn slots() -> Vec<OutfitSlot> {
    ["top", "bottom", "shoes", "bag", "outerwear"]
        .iter()
        .enumerate()
        .map(|(s, name)| OutfitSlot {
            name: (*name).into(),
            required: s < 3,
        })
        .collect()
}

/// `per_slot` items per slot, stored grouped by slot (item i is in slot i / per_slot).
fn catalog(per_slot: usize) -> (OutfitCatalog, Vec<u64>) {
    let length = CodeLength::DEFAULT;
    let n = per_slot * SLOTS;
    let words = random_words(n * length.words(), 1);
    let types = (0..n).map(|i| (i / per_slot) as u8).collect();
    let codes = PackedCodes::new(length, words.clone()).expect("whole codes");
    let catalog = OutfitCatalog::new(codes, types, slots(), &weights(3), &weights(4))
        .expect("a valid catalog");
    (catalog, words)
}

/// The float baseline: the same search on +-1.0 vectors with plain loops.
struct FloatBaseline {
    per_slot: usize,
    signs: Vec<f32>,
    user_weights: Vec<f32>,
    compat_weights: Vec<f32>,
}

impl FloatBaseline {
    fn new(per_slot: usize, words: &[u64]) -> Self {
        let codes = PackedCodes::new(CodeLength::DEFAULT, words.to_vec()).expect("whole codes");
        Self {
            per_slot,
            signs: codes.to_signs(),
            user_weights: weights(3),
            compat_weights: weights(4),
        }
    }

    fn code(&self, item: usize) -> &[f32] {
        &self.signs[item * BITS..(item + 1) * BITS]
    }

    fn weighted(w: &[f32], a: &[f32], b: &[f32]) -> f32 {
        (0..BITS).map(|j| w[j] * a[j] * b[j]).sum()
    }

    fn complete(&self, user: &[f32], anchor: usize) -> (f32, Vec<usize>) {
        let anchor_code = self.code(anchor);
        let v: Vec<f32> = (0..BITS)
            .map(|j| self.user_weights[j] * user[j] + self.compat_weights[j] * anchor_code[j])
            .collect();
        let anchor_slot = anchor / self.per_slot;
        let mut pool = vec![anchor];
        let mut ranges = Vec::new();
        for s in 0..SLOTS {
            if s == anchor_slot {
                ranges.push((0, 1, false));
                continue;
            }
            let mut scored: Vec<(f32, usize)> = (s * self.per_slot..(s + 1) * self.per_slot)
                .map(|i| {
                    let b = self.code(i);
                    ((0..BITS).map(|j| v[j] * b[j]).sum(), i)
                })
                .collect();
            scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
            let start = pool.len();
            pool.extend(scored.iter().take(CANDIDATES).map(|&(_, i)| i));
            ranges.push((start, pool.len(), s >= 3));
        }
        let n = pool.len();
        let preference: Vec<f32> = pool
            .iter()
            .map(|&i| Self::weighted(&self.user_weights, user, self.code(i)))
            .collect();
        let mut pairs = vec![0f32; n * n];
        for p in 0..n {
            for q in 0..n {
                pairs[p * n + q] =
                    Self::weighted(&self.compat_weights, self.code(pool[p]), self.code(pool[q]));
            }
        }
        let mut best = (f32::NEG_INFINITY, Vec::new());
        let mut chosen = Vec::new();
        self.visit(
            &ranges,
            &preference,
            &pairs,
            n,
            &mut chosen,
            0,
            0.0,
            0.0,
            &mut best,
        );
        (best.0, best.1.iter().map(|&p| pool[p]).collect())
    }

    #[allow(clippy::too_many_arguments)]
    fn visit(
        &self,
        ranges: &[(usize, usize, bool)],
        preference: &[f32],
        pairs: &[f32],
        n: usize,
        chosen: &mut Vec<usize>,
        depth: usize,
        preference_sum: f32,
        compatibility_sum: f32,
        best: &mut (f32, Vec<usize>),
    ) {
        let Some(&(start, end, optional)) = ranges.get(depth) else {
            let m = chosen.len() as f32;
            let pairs = m * (m - 1.0) / 2.0;
            let compatibility = if pairs > 0.0 {
                compatibility_sum / pairs / BITS as f32
            } else {
                0.0
            };
            let score = preference_sum / m / BITS as f32 + compatibility;
            if score > best.0 {
                *best = (score, chosen.clone());
            }
            return;
        };
        let recurse = |chosen: &mut Vec<usize>, best: &mut (f32, Vec<usize>), p: f32, c: f32| {
            self.visit(ranges, preference, pairs, n, chosen, depth + 1, p, c, best)
        };
        if optional {
            recurse(chosen, best, preference_sum, compatibility_sum);
        }
        for p in start..end {
            let row: f32 = chosen.iter().map(|&q| pairs[q * n + p]).sum();
            chosen.push(p);
            recurse(
                chosen,
                best,
                preference_sum + preference[p],
                compatibility_sum + row,
            );
            chosen.pop();
        }
    }
}

fn outfits(c: &mut Criterion) {
    let user = random_words(2, 2);
    let anchor = 7; // a top
    let search = OutfitSearch {
        candidates_per_slot: CANDIDATES,
    };
    for per_slot in [10_000, 100_000, 1_000_000] {
        let (catalog, words) = catalog(per_slot);
        let mut group = c.benchmark_group(format!("complete_look_5x{per_slot}"));
        group.throughput(Throughput::Elements(4 * per_slot as u64));
        group.sample_size(if per_slot >= 1_000_000 { 10 } else { 20 });
        let (best, scored) = catalog
            .complete_counted(&user, anchor, K, search)
            .expect("a valid search");
        println!(
            "5 x {per_slot}: {scored} outfits scored per call; best {:?} = {}",
            best[0].items, best[0].score
        );
        if per_slot == 10_000 {
            let baseline = FloatBaseline::new(per_slot, &words);
            let user_signs = PackedCodes::new(CodeLength::DEFAULT, user.clone())
                .expect("one code")
                .to_signs();
            let (score, items) = baseline.complete(&user_signs, anchor);
            println!("float baseline agrees: best {items:?} = {score}");
            group.bench_function("float_baseline", |b| {
                b.iter(|| baseline.complete(black_box(&user_signs), anchor))
            });
        }
        group.bench_function("packed", |b| {
            b.iter(|| catalog.complete(black_box(&user), anchor, K, search))
        });
        group.bench_function("packed_scan_only", |b| {
            b.iter(|| {
                catalog.complete(
                    black_box(&user),
                    anchor,
                    K,
                    OutfitSearch {
                        candidates_per_slot: 1,
                    },
                )
            })
        });
        group.finish();
    }
}

criterion_group!(benches, outfits);
criterion_main!(benches);
