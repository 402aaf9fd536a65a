//! What the benchmarks measure besides the kernels (shared by `pool.rs`, `int8.rs` and
//! `ratios.rs`; each uses some of it): the cases, and the naive loops a user would write.
#![allow(dead_code)]

use globalpool::{Layout, Shape};

/// (name, batch, channels, spatial): the CNN heads of issue 2 and token pooling.
pub const CASES: [(&str, usize, usize, usize); 7] = [
    ("1x1280x7x7", 1, 1280, 49),
    ("1x2048x7x7", 1, 2048, 49),
    ("1x512x14x14", 1, 512, 196),
    ("1x64x112x112", 1, 64, 112 * 112),
    ("8x256x56x56", 8, 256, 56 * 56),
    ("1x3x224x224", 1, 3, 224 * 224),
    ("tokens32x128x768", 32, 768, 128),
];

/// Value `i` of every f32 input: a thousand values in `-0.5..0.5`, in a scattered order.
pub fn f32_value(i: usize) -> f32 {
    ((i * 7919) % 1000) as f32 * 0.001 - 0.5
}

/// Word `i` of every int8 input (four values per word): every byte value, in a scattered order.
pub fn i8_word(i: usize) -> u32 {
    (i as u32).wrapping_mul(0x9E37_79B9) ^ 0x5A5A_5A5A
}

/// The naive f32 average a user would write.
pub fn naive_avg_f32(x: &[f32], shape: Shape, layout: Layout, out: &mut [f32]) {
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

/// The naive f32 max a user would write (`f32::max`, which ignores NaN).
pub fn naive_max_f32(x: &[f32], shape: Shape, layout: Layout, out: &mut [f32]) {
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

/// TFLite's AVERAGE_POOL_2D rounding, as a user would write it.
fn round_avg(acc: i32, n: i32) -> i8 {
    (if acc > 0 {
        (acc + n / 2) / n
    } else {
        (acc - n / 2) / n
    }) as i8
}

/// The naive int8 average a user would write (an `i32` sum per channel).
pub fn naive_avg_i8(x: &[i8], shape: Shape, layout: Layout, out: &mut [i8], acc: &mut [i32]) {
    let (c, s) = (shape.channels, shape.spatial);
    match layout {
        Layout::Nchw => {
            for (row, o) in x.chunks_exact(s).zip(out.iter_mut()) {
                *o = round_avg(row.iter().map(|&v| i32::from(v)).sum(), s as i32);
            }
        }
        Layout::Nhwc => {
            for (img, out) in x.chunks_exact(c * s).zip(out.chunks_exact_mut(c)) {
                acc.fill(0);
                for row in img.chunks_exact(c) {
                    for (a, &v) in acc.iter_mut().zip(row) {
                        *a += i32::from(v);
                    }
                }
                for (o, &a) in out.iter_mut().zip(acc.iter()) {
                    *o = round_avg(a, s as i32);
                }
            }
        }
    }
}
