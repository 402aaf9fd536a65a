//! Stack use: every path, op, element type and layout, on shapes that reach every kernel arm, run
//! on a thread with a small stack ([`STACK`]). Firmware tasks and worker threads have small
//! stacks, and a dependency is compiled without optimization in a dev profile, where every
//! inlined copy of a function keeps its own stack slots: that is what this guards against
//! (`build.rs`'s `globalpool_unoptimized`). `.ci/run` runs it at opt-level 0 as well:
//! `cargo test --test stack --config profile.test.opt-level=0`.

mod common;

use common::{LAYOUTS, paths, values};
use globalpool::{Element, Layout, Pooler, QuantMean, Rounding, Shape};

/// The stack the calls run on. Measured on x86-64 for the whole test thread (its own frames
/// included): 32 KiB is enough at opt-level 3 (24 KiB is not), 96 KiB at opt-level 0 (64 KiB is
/// not).
const STACK: usize = 128 * 1024;

/// `(channels, spatial)` pairs: every short-row arm (1 to 70 values, then up to 300), the flat
/// NHWC path (few channels, long maps), the cache-size thresholds (the common CNN heads) and long
/// integer rows.
fn shapes() -> Vec<(usize, usize)> {
    let mut s: Vec<(usize, usize)> = (1..=70).map(|n| (19, n)).collect();
    for n in [81, 100, 144, 196, 256, 257, 300, 1000, 4097] {
        s.push((19, n));
    }
    for c in [1, 2, 3, 4, 5, 7, 8, 16, 33, 64] {
        s.push((c, 1000));
    }
    s.extend([
        (1280, 49),
        (2048, 49),
        (512, 196),
        (64, 3136),
        (3, 50176),
        (1, 70_000),
    ]);
    s
}

fn run_all(p: Pooler) {
    let quant = QuantMean::new(0.5, -3, 0.25, 7, Rounding::Double).unwrap();
    let quant_u8 = QuantMean::new(0.5, 128, 0.25, 100, Rounding::Single).unwrap();
    for (c, n) in shapes() {
        let shape = Shape::new(1, c, n);
        let x = values(5, c * n, 20);
        let x8: Vec<i8> = x.iter().map(|&v| v as i8).collect();
        let xu: Vec<u8> = x.iter().map(|&v| v as u8).collect();
        let x16: Vec<i16> = x.iter().map(|&v| (v * 300.0) as i16).collect();
        for layout in LAYOUTS {
            let mut of = vec![0.0f32; c];
            p.sum(&x, shape, layout, &mut of).unwrap();
            p.avg(&x, shape, layout, &mut of).unwrap();
            p.max(&x, shape, layout, &mut of).unwrap();
            p.min(&x, shape, layout, &mut of).unwrap();
            int_ops(p, &x8, shape, layout, &quant);
            int_ops(p, &xu, shape, layout, &quant_u8);
            // i16 sums are limited to 65536 values (`Error::SpatialTooLarge`).
            if n <= 65536 {
                int_ops(p, &x16, shape, layout, &quant);
            }
        }
    }
}

/// Every integer op of one element type.
fn int_ops<T: Element<Sum = i32> + Default>(
    p: Pooler,
    x: &[T],
    shape: Shape,
    layout: Layout,
    quant: &QuantMean,
) {
    let c = shape.channels;
    let mut s = vec![0i32; c];
    let mut o = vec![T::default(); c];
    p.sum(x, shape, layout, &mut s).unwrap();
    p.avg(x, shape, layout, &mut o).unwrap();
    p.max(x, shape, layout, &mut o).unwrap();
    p.min(x, shape, layout, &mut o).unwrap();
    p.avg_clamped(x, shape, layout, T::default(), T::default(), &mut o)
        .unwrap();
    p.mean_quantized(x, shape, layout, quant, &mut o).unwrap();
}

#[test]
fn every_call_fits_a_small_stack() {
    for p in paths() {
        let thread = std::thread::Builder::new()
            .name(format!("stack-{}", p.isa().name()))
            .stack_size(STACK)
            .spawn(move || run_all(p));
        match thread {
            Ok(t) => t.join().unwrap(),
            // wasm32-wasip1 has no threads: the calls run on the main stack (1 MiB there).
            Err(e) if e.kind() == std::io::ErrorKind::Unsupported => run_all(p),
            Err(e) => panic!("{e}"),
        }
    }
}
