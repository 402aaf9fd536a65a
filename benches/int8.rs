//! Throughput of int8 global pooling (TFLite AVERAGE_POOL_2D `avg`, and `max`): every available
//! path beside the naive loop a user would write and the read-only probes over the same bytes,
//! in one criterion group per case (`<case>-i8/<layout>`), so that results read as ratios.
//!
//! Run: `cargo bench --bench int8`, then `python3 benches/report.py --filter i8`.

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use globalpool::{Isa, Layout, Pooler, Shape};

#[path = "common/cases.rs"]
mod cases;

use cases::{CASES, i8_word, naive_avg_i8};

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
        // Every case's byte count is a multiple of 4: the probe reads the same bytes as words.
        let words: Vec<u32> = (0..n / 4).map(i8_word).collect();
        let x: &[i8] = bytemuck::cast_slice(&words);
        let mut out = vec![0i8; shape.output_len().unwrap()];
        let mut acc = vec![0i32; channels];
        for layout in [Layout::Nchw, Layout::Nhwc] {
            let mut g = c.benchmark_group(format!("{name}-i8/{layout:?}"));
            g.throughput(Throughput::Bytes(n as u64));
            g.bench_function("probe", |b| {
                b.iter(|| probe(black_box(bytemuck::cast_slice::<u32, u8>(&words))))
            });
            if layout == Layout::Nchw && has_row_probe(spatial) {
                g.bench_function("probe/rows", |b| {
                    let bytes = bytemuck::cast_slice::<u32, u8>(&words);
                    b.iter(|| probe_rows(black_box(bytes), spatial))
                });
            }
            g.bench_function("naive/avg", |b| {
                b.iter(|| naive_avg_i8(black_box(x), shape, layout, &mut out, &mut acc))
            });
            for p in &paths {
                let tag = if p.isa() == detected { "*" } else { "" };
                let id = |op: &str| BenchmarkId::new(op, format!("{}{tag}", p.isa().name()));
                g.bench_function(id("avg"), |b| {
                    b.iter(|| p.avg(black_box(x), shape, layout, &mut out).unwrap())
                });
                g.bench_function(id("max"), |b| {
                    b.iter(|| p.max(black_box(x), shape, layout, &mut out).unwrap())
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
        .measurement_time(Duration::from_millis(1000))
        .sample_size(20);
    targets = bench
}
criterion_main!(benches);
