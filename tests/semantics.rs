//! The documented semantics: IEEE maximum / minimum, signed zeros, infinities, the canonical NaN,
//! the average as one division, on every path.

mod common;

use common::{LAYOUTS, OPS, Op, paths, run, run_fresh, values};
use globalpool::{Layout, Shape};
use quickcheck::TestResult;

const CANONICAL_NAN: u32 = 0x7FC0_0000;

/// One channel through every path and layout (as a single NCHW row and a single NHWC column
/// among other channels), checked by `check`.
fn one_channel(x: &[f32], op: Op, check: impl Fn(f32) -> bool) {
    for p in paths() {
        for layout in LAYOUTS {
            // Channel 1 of 3 holds `x`; the others hold junk.
            let s = x.len();
            let mut input = values(99, 3 * s, 100);
            for (i, &v) in x.iter().enumerate() {
                let at = match layout {
                    Layout::Nchw => s + i,
                    Layout::Nhwc => i * 3 + 1,
                };
                input[at] = v;
            }
            let mut out = [0.0f32; 3];
            run(p, op, &input, Shape::new(1, 3, s), layout, &mut out);
            assert!(
                check(out[1]),
                "{:?} {op:?} {layout:?} on {x:?}: got {} ({:#x})",
                p.isa(),
                out[1],
                out[1].to_bits()
            );
        }
    }
}

fn is_pos_zero(x: f32) -> bool {
    x.to_bits() == 0
}
fn is_neg_zero(x: f32) -> bool {
    x.to_bits() == 0x8000_0000
}
fn is_canonical_nan(x: f32) -> bool {
    x.to_bits() == CANONICAL_NAN
}

#[test]
fn signed_zeros() {
    one_channel(&[-0.0, 0.0, -0.0], Op::Max, is_pos_zero);
    one_channel(&[-0.0, -0.0], Op::Max, is_neg_zero);
    one_channel(&[0.0, -0.0, 0.0], Op::Min, is_neg_zero);
    one_channel(&[0.0, 0.0], Op::Min, is_pos_zero);
    one_channel(&[-0.0; 100], Op::Sum, is_neg_zero);
    one_channel(&[-0.0; 5000], Op::Sum, is_neg_zero);
    one_channel(&[-0.0; 5000], Op::Avg, is_neg_zero);
    one_channel(&[-0.0, 0.0, -0.0], Op::Sum, is_pos_zero);
    one_channel(&[1.0, -1.0], Op::Sum, is_pos_zero);
}

/// A single value decides the result wherever it stands: a `+0.0` among `-0.0`s for `max`, a
/// `-0.0` among `+0.0`s for `min`, a NaN among ones for both; at every position of rows of many
/// lengths (every vector of a row, every tail, the first pair of vectors that starts a state),
/// in a channel among twenty (so that NCHW rows go through the groups of many rows).
#[test]
fn one_value_decides_at_every_position() {
    const C: usize = 20;
    const AT: usize = 5;
    let nan = f32::from_bits(0xFFC0_0001);
    type Check = fn(f32) -> bool;
    let cases: [(Op, f32, f32, Check); 4] = [
        (Op::Max, -0.0, 0.0, is_pos_zero),
        (Op::Min, 0.0, -0.0, is_neg_zero),
        (Op::Max, 1.0, nan, is_canonical_nan),
        (Op::Min, 1.0, nan, is_canonical_nan),
    ];
    let lengths = (1..=34).chain([47, 48, 49, 50, 63, 64, 65, 97, 129, 196, 257, 1100]);
    for n in lengths {
        let positions: Vec<usize> = if n <= 65 {
            (0..n).collect()
        } else {
            (0..n).step_by(n / 40).chain([n - 1]).collect()
        };
        for layout in LAYOUTS {
            let at = |i: usize| match layout {
                Layout::Nchw => AT * n + i,
                Layout::Nhwc => i * C + AT,
            };
            let mut input = values(7 + n as u64, C * n, 0);
            for &(op, base, odd, check) in &cases {
                for i in 0..n {
                    input[at(i)] = base;
                }
                for &pos in &positions {
                    input[at(pos)] = odd;
                    for p in paths() {
                        let mut out = [0.0f32; C];
                        run(p, op, &input, Shape::new(1, C, n), layout, &mut out);
                        assert!(
                            check(out[AT]),
                            "{:?} {op:?} {layout:?} n = {n}, {odd:?} at {pos}: got {:#x}",
                            p.isa(),
                            out[AT].to_bits()
                        );
                    }
                    input[at(pos)] = base;
                }
            }
        }
    }
}

/// Long NCHW rows (1024 values or more), where the max / min of Intel CPUs with AVX-512 run a
/// loop that learns of NaNs from the CPU's sticky invalid-operation flag: a NaN, or a `+0.0`
/// among `-0.0`s (`-0.0` among `+0.0`s for `min`), at positions across the row, each call in a
/// thread of its own so that it starts with the flag clear (the test's thread never sets it;
/// not on wasm32, which has no threads and no such flag), and again after an invalid
/// operation has set it.
#[test]
fn one_value_decides_in_long_rows() {
    const C: usize = 3;
    for n in [1024, 2000, 4096, 4160, 8300, 70_000] {
        let positions: Vec<usize> = (0..n).step_by(n / 12).chain([n - 1]).collect();
        let mut input = values(3 + n as u64, C * n, 0);
        for &(op, base, odd, check) in &FLAGGED_CASES {
            input[n..2 * n].fill(base);
            for &pos in &positions {
                input[n + pos] = odd;
                for p in paths() {
                    for flag_set in [false, true] {
                        let shape = Shape::new(1, C, n);
                        let out = run_fresh(p, op, &input, shape, Layout::Nchw, flag_set);
                        assert!(
                            check(out[1]),
                            "{:?} {op:?} n = {n}, {odd:?} at {pos} (flag set: {flag_set}): \
                             got {:#x}",
                            p.isa(),
                            out[1].to_bits()
                        );
                    }
                }
                input[n + pos] = base;
            }
        }
    }
}

/// Short NCHW rows (7x7 and 14x14 maps) in inputs in the caches, whose max / min on Intel CPUs
/// with AVX-512 step each group of sixteen rows by the plain max / min between two reads of
/// the invalid-operation flag (as in `one_value_decides_in_long_rows`): one value decides in
/// a row of the first group, a middle one or the last, at positions across the row, with the
/// input on a vector boundary and off it, each call in a thread of its own, with the flag
/// clear and set.
#[test]
fn one_value_decides_in_short_rows() {
    for (c, n) in [(400, 49), (100, 196)] {
        for offset in [0, 4] {
            let mut buf = values(5 + n as u64, offset + c * n, 0);
            let input = &mut buf[offset..];
            for ch in [0, 37, c - 1] {
                for &(op, base, odd, check) in &FLAGGED_CASES {
                    input[ch * n..(ch + 1) * n].fill(base);
                    for pos in (0..n).step_by(n / 8).chain([n - 1]) {
                        input[ch * n + pos] = odd;
                        for p in paths() {
                            for flag_set in [false, true] {
                                let shape = Shape::new(1, c, n);
                                let out = run_fresh(p, op, input, shape, Layout::Nchw, flag_set);
                                assert!(
                                    check(out[ch]),
                                    "{:?} {op:?} {c}x{n}, offset {offset}, row {ch}, {odd:?} \
                                     at {pos} (flag set: {flag_set}): got {:#x}",
                                    p.isa(),
                                    out[ch].to_bits()
                                );
                            }
                        }
                        input[ch * n + pos] = base;
                    }
                }
            }
        }
    }
}

/// NHWC inputs of whole columns of 256 channels in the caches, where the max / min of Intel
/// CPUs with AVX-512 reduce each column by a loop that learns of NaNs from the sticky
/// invalid-operation flag (as in `one_value_decides_in_long_rows`): one value decides in a
/// channel inside such a column or after the last, at rows across the map, with the input on
/// a vector boundary and off it, each call in a thread of its own, with the flag clear and set.
#[test]
fn one_value_decides_in_nhwc_columns() {
    // Columns of 256 channels; then images of fewer than eight channels, read as one flat
    // run (`n` rows of them) by the same loop.
    let shapes: [(usize, &[usize], &[usize]); 5] = [
        (512, &[1, 2, 7, 49], &[3, 200, 300, 511]),
        (1, &[4000, 5000], &[0]),
        (3, &[2000, 3001], &[0, 2]),
        (5, &[1000], &[1, 4]),
        (7, &[1000], &[3, 6]),
    ];
    for (c, ns, channels) in shapes {
        for &n in ns {
            for offset in [0, 5] {
                one_value_nhwc(c, n, offset, channels);
            }
        }
    }
}

/// One case of the tests of the loops that learn of NaNs from the invalid-operation flag: the
/// op, the value of every row, the value that decides, and the check of the result.
type OneValue = (Op, f32, f32, fn(f32) -> bool);

/// The cases of those tests: a `+0.0` among `-0.0`s and the reverse, `-0.0` alone, a
/// signalling and a quiet NaN, and a value that is simply the largest.
const FLAGGED_CASES: [OneValue; 6] = [
    (Op::Max, -0.0, 0.0, is_pos_zero),
    (Op::Min, 0.0, -0.0, is_neg_zero),
    (Op::Max, -0.0, -0.0, is_neg_zero),
    (Op::Max, 1.0, f32::from_bits(0x7F80_0001), is_canonical_nan),
    (Op::Min, 1.0, f32::NAN, is_canonical_nan),
    (Op::Max, -5.0, 3.0, is_three),
];

fn is_three(x: f32) -> bool {
    x == 3.0
}

/// One shape of `one_value_decides_in_nhwc_columns`.
fn one_value_nhwc(c: usize, n: usize, offset: usize, channels: &[usize]) {
    let mut buf = values(11 + n as u64, offset + c * n, 0);
    let input = &mut buf[offset..];
    for &channel in channels {
        for &(op, base, odd, check) in &FLAGGED_CASES {
            for r in 0..n {
                input[r * c + channel] = base;
            }
            for pos in (0..n).step_by(n.div_ceil(8)).chain([n - 1]) {
                input[pos * c + channel] = odd;
                for p in paths() {
                    for flag_set in [false, true] {
                        let shape = Shape::new(1, c, n);
                        let out = run_fresh(p, op, input, shape, Layout::Nhwc, flag_set);
                        assert!(
                            check(out[channel]),
                            "{:?} {op:?} n = {n}, offset {offset}, channel {channel}, \
                             {odd:?} at row {pos} (flag set: {flag_set}): got {:#x}",
                            p.isa(),
                            out[channel].to_bits()
                        );
                    }
                }
                input[pos * c + channel] = base;
            }
        }
    }
}

#[test]
fn nans_are_canonical() {
    let nans = [
        f32::from_bits(0xFFC0_0001),
        f32::from_bits(0x7F80_0001), // signalling
        f32::from_bits(0xFF81_2345),
        f32::NAN,
    ];
    for nan in nans {
        for op in OPS {
            let mut x = vec![1.0f32; 77];
            x[40] = nan;
            one_channel(&x, op, is_canonical_nan);
            x[40] = 2.0;
            x[0] = nan;
            one_channel(&x, op, is_canonical_nan);
        }
    }
    // inf - inf: x86 makes a negative NaN, Arm a positive one; we write the canonical one.
    for n in [2, 64, 5000] {
        let mut x = vec![0.0f32; n];
        x[0] = f32::INFINITY;
        x[n - 1] = f32::NEG_INFINITY;
        one_channel(&x, Op::Sum, is_canonical_nan);
        one_channel(&x, Op::Avg, is_canonical_nan);
        one_channel(&x, Op::Max, |v| v == f32::INFINITY);
        one_channel(&x, Op::Min, |v| v == f32::NEG_INFINITY);
    }
}

#[test]
fn infinities_and_overflow() {
    one_channel(&[1.0, f32::INFINITY, 3.0], Op::Sum, |v| v == f32::INFINITY);
    one_channel(&[1.0, f32::NEG_INFINITY], Op::Avg, |v| {
        v == f32::NEG_INFINITY
    });
    // Overflow of finite values: the canonical order overflows to +inf (no NaN).
    one_channel(&[f32::MAX; 3], Op::Sum, |v| v == f32::INFINITY);
    one_channel(&vec![f32::MAX; 9000], Op::Sum, |v| v == f32::INFINITY);
    one_channel(&[f32::MAX, f32::MAX, f32::MIN], Op::Max, |v| v == f32::MAX);
    one_channel(&[f32::INFINITY, f32::INFINITY], Op::Min, |v| {
        v == f32::INFINITY
    });
}

#[test]
fn avg_is_one_division_of_the_sum() {
    for p in paths() {
        for layout in LAYOUTS {
            for (channels, spatial) in [(3, 49), (17, 1), (8, 5000), (2, 12544)] {
                let shape = Shape::new(1, channels, spatial);
                let x = values(spatial as u64, channels * spatial, 0);
                let mut sum = vec![0.0; channels];
                let mut avg = vec![0.0; channels];
                run(p, Op::Sum, &x, shape, layout, &mut sum);
                run(p, Op::Avg, &x, shape, layout, &mut avg);
                for (s, a) in sum.iter().zip(&avg) {
                    assert_eq!(a.to_bits(), (s / spatial as f32).to_bits());
                }
            }
        }
    }
}

/// An IEEE 754-2019 maximum / minimum that is obviously right: NaN if any NaN, else the extreme
/// under `total_cmp` (which orders -0.0 below +0.0).
fn reference_extreme(x: &[f32], max: bool) -> f32 {
    if x.iter().any(|v| v.is_nan()) {
        return f32::from_bits(CANONICAL_NAN);
    }
    let it = x.iter().copied();
    if max {
        it.max_by(f32::total_cmp).unwrap()
    } else {
        it.min_by(f32::total_cmp).unwrap()
    }
}

#[test]
fn max_min_match_obvious_reference() {
    fn prop(seed: u64, len: u16, special: u8, channels: u8) -> TestResult {
        let spatial = 1 + len as usize % 3000;
        let channels = 1 + channels as usize % 40;
        let x = values(seed, channels * spatial, special as u64 % 200);
        for p in paths() {
            for layout in LAYOUTS {
                for (op, is_max) in [(Op::Max, true), (Op::Min, false)] {
                    let mut out = vec![0.0; channels];
                    run(
                        p,
                        op,
                        &x,
                        Shape::new(1, channels, spatial),
                        layout,
                        &mut out,
                    );
                    for (c, got) in out.iter().enumerate() {
                        let column: Vec<f32> = match layout {
                            Layout::Nchw => x[c * spatial..][..spatial].to_vec(),
                            Layout::Nhwc => x.iter().skip(c).step_by(channels).copied().collect(),
                        };
                        let want = reference_extreme(&column, is_max);
                        if got.to_bits() != want.to_bits() {
                            return TestResult::error(format!(
                                "{:?} {op:?} {layout:?} channel {c}: {got} vs {want}",
                                p.isa()
                            ));
                        }
                    }
                }
            }
        }
        TestResult::passed()
    }
    common::qc(60).quickcheck(prop as fn(u64, u16, u8, u8) -> TestResult);
}

#[test]
fn free_functions_use_the_detected_path() {
    let shape = Shape::new(2, 37, 61);
    let x = values(5, shape.input_len().unwrap(), 10);
    let detected = globalpool::Pooler::detect();
    for layout in LAYOUTS {
        let (mut a, mut b) = (vec![0.0; 74], vec![0.0; 74]);
        globalpool::global_sum_pool(&x, shape, layout, &mut a).unwrap();
        detected.sum(&x, shape, layout, &mut b).unwrap();
        assert_eq!(common::bits(&a), common::bits(&b));
        globalpool::global_avg_pool(&x, shape, layout, &mut a).unwrap();
        detected.avg(&x, shape, layout, &mut b).unwrap();
        assert_eq!(common::bits(&a), common::bits(&b));
        globalpool::global_max_pool(&x, shape, layout, &mut a).unwrap();
        detected.max(&x, shape, layout, &mut b).unwrap();
        assert_eq!(common::bits(&a), common::bits(&b));
        globalpool::global_min_pool(&x, shape, layout, &mut a).unwrap();
        detected.min(&x, shape, layout, &mut b).unwrap();
        assert_eq!(common::bits(&a), common::bits(&b));
    }
}
