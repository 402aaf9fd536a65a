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

#[path = "common/cases.rs"]
mod cases;

use cases::{CASES, f32_value, naive_avg_f32, naive_max_f32};

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
        let x: Vec<f32> = (0..n).map(f32_value).collect();
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
                b.iter(|| naive_avg_f32(black_box(&x), shape, layout, &mut out))
            });
            g.bench_function("naive/max", |b| {
                b.iter(|| naive_max_f32(black_box(&x), shape, layout, &mut out))
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
