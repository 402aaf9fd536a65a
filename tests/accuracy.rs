//! The accuracy of the canonical sum against an f64 sum: the targets, and the documented
//! worst-case bound as a property.

mod common;

use common::{LAYOUTS, Op, Rng, paths, run, values};
use globalpool::{Layout, Pooler, Shape};
use quickcheck::TestResult;

/// Puts `columns[c]` as channel `c` of a one-image tensor in `layout`.
fn tensor(columns: &[Vec<f32>], layout: Layout) -> Vec<f32> {
    let (channels, spatial) = (columns.len(), columns[0].len());
    let mut x = vec![0.0f32; channels * spatial];
    for (c, col) in columns.iter().enumerate() {
        for (s, &v) in col.iter().enumerate() {
            match layout {
                Layout::Nchw => x[c * spatial + s] = v,
                Layout::Nhwc => x[s * channels + c] = v,
            }
        }
    }
    x
}

/// The largest relative error of `p`'s sums over the given channels, against f64 sums.
fn worst_relative_error(p: Pooler, columns: &[Vec<f32>], layout: Layout) -> f64 {
    let x = tensor(columns, layout);
    let mut out = vec![0.0f32; columns.len()];
    run(
        p,
        Op::Sum,
        &x,
        Shape::new(1, columns.len(), columns[0].len()),
        layout,
        &mut out,
    );
    columns
        .iter()
        .zip(&out)
        .map(|(col, &got)| {
            let exact: f64 = col.iter().map(|&v| v as f64).sum();
            ((got as f64 - exact) / exact).abs()
        })
        .fold(0.0, f64::max)
}

const TARGET: f64 = 3e-7;

/// The targets, on every path and layout. NHWC is measured with 1, 3 and 64 channels (the flat
/// path with 16 row partials, and the tile path with 4).
#[test]
fn accuracy_targets() {
    let mut rng = Rng(2024);
    let normal: Vec<Vec<f32>> = (0..64)
        .map(|_| {
            (0..112 * 112)
                .map(|_| (1.0 + rng.normal()) as f32)
                .collect()
        })
        .collect();
    let ascending: Vec<f32> = (1..=1_000_000).map(|i| i as f32).collect();
    let descending: Vec<f32> = ascending.iter().rev().copied().collect();
    let cases: [(&str, Vec<Vec<f32>>); 3] = [
        ("N(1,1), 112x112", normal),
        ("1..=1e6 ascending", vec![ascending.clone(); 3]),
        ("1e6..=1 descending", vec![descending.clone(); 3]),
    ];
    for (name, columns) in &cases {
        for layout in LAYOUTS {
            for channels in [1, 3, columns.len()] {
                for p in paths() {
                    let e = worst_relative_error(p, &columns[..channels], layout);
                    println!(
                        "{name:20} {layout:?} C={channels:2} {:9}: {e:.2e}",
                        p.isa().name()
                    );
                    assert!(
                        e <= TARGET,
                        "{name} {layout:?} {:?}: {e:e} > {TARGET:e}",
                        p.isa()
                    );
                }
            }
        }
    }
    // For scale: a plain sequential f32 loop.
    let naive: f32 = ascending.iter().sum();
    let exact = 500_000_500_000.0f64;
    let e = ((naive as f64 - exact) / exact).abs();
    println!("sequential f32 loop, 1..=1e6: {e:.2e}");
    assert!(e > 100.0 * TARGET);
}

/// `u = 2^-24`, `γ_m = m u / (1 - m u)`.
fn gamma(m: f64) -> f64 {
    let u = 2f64.powi(-24);
    m * u / (1.0 - m * u)
}

/// The documented bound: `|ŝ - s| <= u |s| + (γ_(63 + log2 K) + γ_nb²) Σ|x|`, with `K <= 64`.
#[test]
fn error_bound_holds() {
    fn prop(seed: u64, len: u32, channels: u8, spread: u8) -> TestResult {
        let spatial = 1 + len as usize % 40_000;
        let channels = 1 + channels as usize % 12;
        let mut rng = Rng(seed);
        let scale = 2f64.powi(spread as i32 % 40 - 20);
        let columns: Vec<Vec<f32>> = (0..channels)
            .map(|_| {
                (0..spatial)
                    .map(|_| (rng.normal() * scale + scale * 0.1) as f32)
                    .collect()
            })
            .collect();
        for layout in LAYOUTS {
            let x = tensor(&columns, layout);
            for p in paths() {
                let mut out = vec![0.0f32; channels];
                run(
                    p,
                    Op::Sum,
                    &x,
                    Shape::new(1, channels, spatial),
                    layout,
                    &mut out,
                );
                for (col, &got) in columns.iter().zip(&out) {
                    let exact: f64 = col.iter().map(|&v| v as f64).sum();
                    let abs_sum: f64 = col.iter().map(|&v| (v as f64).abs()).sum();
                    let blocks = spatial.div_ceil(256) as f64;
                    let bound = 2f64.powi(-24) * exact.abs()
                        + (gamma(69.0) + gamma(blocks).powi(2)) * abs_sum;
                    if (got as f64 - exact).abs() > bound {
                        return TestResult::error(format!(
                            "{:?} {layout:?}: {got} vs {exact}, bound {bound:e}",
                            p.isa()
                        ));
                    }
                }
            }
        }
        TestResult::passed()
    }
    common::qc(40).quickcheck(prop as fn(u64, u32, u8, u8) -> TestResult);
}

/// Small-integer data sums exactly in any order: every path gives the exact value.
#[test]
fn exact_when_exact() {
    for p in paths() {
        for layout in LAYOUTS {
            let x: Vec<f32> = values(3, 5 * 9999, 0)
                .iter()
                .map(|v| v.round() % 50.0)
                .collect();
            let mut out = vec![0.0; 5];
            run(p, Op::Sum, &x, Shape::new(1, 5, 9999), layout, &mut out);
            let cols = (0..5).map(|c| match layout {
                Layout::Nchw => x[c * 9999..][..9999].iter().map(|&v| v as f64).sum::<f64>(),
                Layout::Nhwc => x.iter().skip(c).step_by(5).map(|&v| v as f64).sum::<f64>(),
            });
            for (got, want) in out.iter().zip(cols) {
                assert_eq!(*got as f64, want);
            }
        }
    }
}
