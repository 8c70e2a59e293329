//! One query against 1M items with 128-bit codes: packed inner product, packed weighted inner
//! product, and the float dot product on the same codes as +-1.0 vectors (the baseline).
//! Throughput is reported in items (= query-item pairs) per second.

mod common;

use common::random_words;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use tailor_core::{CodeLength, DenseVectors, PackedCodes, Similarity, WeightTable};

const ITEMS: usize = 1_000_000;

fn scorer(c: &mut Criterion) {
    let length = CodeLength::DEFAULT;
    let codes = PackedCodes::new(length, random_words(ITEMS * length.words(), 1)).unwrap();
    let query = random_words(length.words(), 2);
    let weights: Vec<f32> = random_words(length.bits(), 3)
        .iter()
        .map(|w| 0.5 + (w >> 40) as f32 / (1u64 << 24) as f32)
        .collect();
    let table = WeightTable::new(&weights).unwrap();
    let dense = DenseVectors::new(length.bits(), codes.to_signs()).unwrap();
    let dense_query = PackedCodes::new(length, query.clone()).unwrap().to_signs();
    let mut out = vec![0f32; ITEMS];

    let mut group = c.benchmark_group("score_1M_x_128bit");
    group.throughput(Throughput::Elements(ITEMS as u64));
    group.sample_size(20);
    group.bench_function("float_dot_baseline", |b| {
        b.iter(|| dense.score_into(black_box(&dense_query), &mut out).unwrap())
    });
    group.bench_function("packed", |b| {
        b.iter(|| {
            codes
                .score_into(black_box(&query), Similarity::InnerProduct, &mut out)
                .unwrap()
        })
    });
    group.bench_function("packed_weighted", |b| {
        b.iter(|| {
            codes
                .score_into(black_box(&query), Similarity::Weighted(&table), &mut out)
                .unwrap()
        })
    });
    group.finish();

    let mut group = c.benchmark_group("top10_1M_x_128bit");
    group.throughput(Throughput::Elements(ITEMS as u64));
    group.sample_size(20);
    group.bench_function("float_dot_baseline", |b| {
        b.iter(|| dense.top_k(black_box(&dense_query), 10).unwrap())
    });
    group.bench_function("packed", |b| {
        b.iter(|| {
            codes
                .top_k(black_box(&query), Similarity::InnerProduct, 10)
                .unwrap()
        })
    });
    group.bench_function("packed_weighted", |b| {
        b.iter(|| {
            codes
                .top_k(black_box(&query), Similarity::Weighted(&table), 10)
                .unwrap()
        })
    });
    group.finish();
}

criterion_group!(benches, scorer);
criterion_main!(benches);
