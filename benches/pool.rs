//! Throughput of global pooling: every available path beside the naive loop a user would write
//! and a read-only probe (the fastest plain read of the same bytes; for NCHW also the row probe,
//! the same bytes read row by row as a per-channel kernel must), in one criterion group per
//! case, so that results read as ratios. `benches/report.py` turns the results into the README
//! table (GB/s and % of the probe).
//!
//! Run: `cargo bench --bench pool` (all cases), or `cargo bench --bench pool -- 7x7` to filter.

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use globalpool::{Isa, Layout, Pooler, Shape};

/// (name, batch, channels, spatial): the CNN heads of the issue and token pooling.
const CASES: [(&str, usize, usize, usize); 7] = [
    ("1x1280x7x7", 1, 1280, 49),
    ("1x2048x7x7", 1, 2048, 49),
    ("1x512x14x14", 1, 512, 196),
    ("1x64x112x112", 1, 64, 112 * 112),
    ("8x256x56x56", 8, 256, 56 * 56),
    ("1x3x224x224", 1, 3, 224 * 224),
    ("tokens32x128x768", 32, 768, 128),
];

/// The naive average a user would write.
fn naive_avg(x: &[f32], shape: Shape, layout: Layout, out: &mut [f32]) {
    let (c, s) = (shape.channels, shape.spatial);
    match layout {
        Layout::Nchw => {
            for (row, o) in x.chunks_exact(s).zip(out.iter_mut()) {
                *o = row.iter().sum::<f32>() / s as f32;
            }
        }
        Layout::Nhwc => {
            for (img, out) in x.chunks_exact(c * s).zip(out.chunks_exact_mut(c)) {
                out.fill(0.0);
                for row in img.chunks_exact(c) {
                    for (o, v) in out.iter_mut().zip(row) {
                        *o += v;
                    }
                }
                for o in out.iter_mut() {
                    *o /= s as f32;
                }
            }
        }
    }
}

/// The naive max a user would write (`f32::max`, which ignores NaN).
fn naive_max(x: &[f32], shape: Shape, layout: Layout, out: &mut [f32]) {
    let (c, s) = (shape.channels, shape.spatial);
    match layout {
        Layout::Nchw => {
            for (row, o) in x.chunks_exact(s).zip(out.iter_mut()) {
                *o = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
            }
        }
        Layout::Nhwc => {
            for (img, out) in x.chunks_exact(c * s).zip(out.chunks_exact_mut(c)) {
                out.fill(f32::NEG_INFINITY);
                for row in img.chunks_exact(c) {
                    for (o, v) in out.iter_mut().zip(row) {
                        *o = o.max(*v);
                    }
                }
            }
        }
    }
}

#[path = "common/probe.rs"]
mod probe;

use probe::{has_row_probe, probe, probe_rows};

fn bench(c: &mut Criterion) {
    let paths: Vec<Pooler> = Isa::ALL
        .iter()
        .filter_map(|&i| Pooler::with_isa(i))
        .collect();
    let detected = Pooler::detect().isa();
    for (name, batch, channels, spatial) in CASES {
        let shape = Shape::new(batch, channels, spatial);
        let n = shape.input_len().unwrap();
        let x: Vec<f32> = (0..n)
            .map(|i| ((i * 7919) % 1000) as f32 * 0.001 - 0.5)
            .collect();
        let mut out = vec![0.0f32; shape.output_len().unwrap()];
        for layout in [Layout::Nchw, Layout::Nhwc] {
            let mut g = c.benchmark_group(format!("{name}/{layout:?}"));
            g.throughput(Throughput::Bytes((n * 4) as u64));
            g.bench_function("probe", |b| {
                b.iter(|| probe(black_box(bytemuck::cast_slice::<f32, u8>(&x))))
            });
            if layout == Layout::Nchw && has_row_probe(spatial * 4) {
                g.bench_function("probe/rows", |b| {
                    b.iter(|| {
                        probe_rows(black_box(bytemuck::cast_slice::<f32, u8>(&x)), spatial * 4)
                    })
                });
            }
            g.bench_function("naive/avg", |b| {
                b.iter(|| naive_avg(black_box(&x), shape, layout, &mut out))
            });
            g.bench_function("naive/max", |b| {
                b.iter(|| naive_max(black_box(&x), shape, layout, &mut out))
            });
            for p in &paths {
                let tag = if p.isa() == detected { "*" } else { "" };
                let id = |op: &str| BenchmarkId::new(op, format!("{}{tag}", p.isa().name()));
                g.bench_function(id("avg"), |b| {
                    b.iter(|| p.avg(black_box(&x), shape, layout, &mut out).unwrap())
                });
                g.bench_function(id("max"), |b| {
                    b.iter(|| p.max(black_box(&x), shape, layout, &mut out).unwrap())
                });
            }
            g.finish();
        }
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_millis(1200))
        .sample_size(30);
    targets = bench
}
criterion_main!(benches);
