//! The integer types (`i8`, `u8`, `i16`): every path bitwise against Scalar (quickcheck and a
//! sweep of small shapes), Scalar against independent models of TFLite's AVERAGE_POOL_2D and
//! MEAN (written here from the TFLite sources' formulas, not from the crate's code), the worked
//! tie case, the limits of exact `i32` sums, and every new error.

mod common;

use common::{LAYOUTS, Rng, paths, qc, scalar};
use globalpool::{Element, Error, Isa, Layout, Pooler, QuantMean, Rounding, Shape};
use quickcheck::{Arbitrary, Gen, TestResult};

/// What one integer call computes.
#[derive(Clone, Copy, Debug)]
enum IntOp {
    Sum,
    Avg,
    Clamped(i32, i32),
    Max,
    Min,
    Mean(QuantMean),
}

/// An integer element type of the crate, with what the tests need.
trait TestInt: Element<Sum = i32> + Copy + PartialEq + std::fmt::Debug + Default {
    const MIN: i32;
    const MAX: i32;
    fn from(v: i32) -> Self;
    fn to(self) -> i32;
}

macro_rules! test_int {
    ($t:ty) => {
        impl TestInt for $t {
            const MIN: i32 = <$t>::MIN as i32;
            const MAX: i32 = <$t>::MAX as i32;
            fn from(v: i32) -> Self {
                v as $t
            }
            fn to(self) -> i32 {
                self as i32
            }
        }
    };
}
test_int!(i8);
test_int!(u8);
test_int!(i16);

/// Runs `op` and returns the outputs as `i32`.
fn run<T: TestInt>(
    p: Pooler,
    op: IntOp,
    input: &[T],
    shape: Shape,
    layout: Layout,
) -> Result<Vec<i32>, Error> {
    let n = shape.output_len().unwrap();
    if let IntOp::Sum = op {
        let mut out = vec![0x5A5A_5A5Ai32; n];
        p.sum(input, shape, layout, &mut out)?;
        return Ok(out);
    }
    let mut out = vec![T::from(0x5A); n];
    match op {
        IntOp::Sum => unreachable!(),
        IntOp::Avg => p.avg(input, shape, layout, &mut out)?,
        IntOp::Clamped(lo, hi) => {
            p.avg_clamped(input, shape, layout, T::from(lo), T::from(hi), &mut out)?
        }
        IntOp::Max => p.max(input, shape, layout, &mut out)?,
        IntOp::Min => p.min(input, shape, layout, &mut out)?,
        IntOp::Mean(q) => p.mean_quantized(input, shape, layout, &q, &mut out)?,
    }
    Ok(out.into_iter().map(T::to).collect())
}

/// Random values of a few kinds: the full range, the extremes only, small values, a constant.
fn values<T: TestInt>(seed: u64, n: usize) -> Vec<T> {
    let mut rng = Rng(seed);
    let kind = rng.below(5);
    let span = (T::MAX - T::MIN + 1) as u64;
    let c = T::MIN + rng.below(span) as i32;
    (0..n)
        .map(|_| {
            T::from(match kind {
                0 | 1 => T::MIN + rng.below(span) as i32,
                2 => {
                    if rng.below(2) == 0 {
                        T::MIN
                    } else {
                        T::MAX
                    }
                }
                3 => (T::MIN.max(-3)) + rng.below(7) as i32,
                _ => c,
            })
        })
        .collect()
}

/// A random op for `T` (mean parameters across scale ratios 2^-10 .. 2^10 and any zero points).
fn random_op<T: TestInt>(rng: &mut Rng) -> IntOp {
    match rng.below(7) {
        0 => IntOp::Sum,
        1 => IntOp::Avg,
        2 => {
            let a = T::MIN + rng.below((T::MAX - T::MIN + 1) as u64) as i32;
            let b = T::MIN + rng.below((T::MAX - T::MIN + 1) as u64) as i32;
            IntOp::Clamped(a.min(b), a.max(b))
        }
        3 => IntOp::Max,
        4 => IntOp::Min,
        _ => {
            let span = (T::MAX - T::MIN + 1) as u64;
            let scale = |rng: &mut Rng| (2f64.powf(rng.unit() * 20.0 - 10.0) * 0.01) as f32;
            let (si, so) = (scale(rng), scale(rng));
            let zi = T::MIN + rng.below(span) as i32;
            let zo = T::MIN + rng.below(span) as i32;
            let r = if rng.below(2) == 0 {
                Rounding::Double
            } else {
                Rounding::Single
            };
            IntOp::Mean(QuantMean::new(si, zi, so, zo, r).unwrap())
        }
    }
}

/// Every path and layout against Scalar (NCHW) for one input; NHWC is given the transposed
/// tensor, so both layouts must also agree with each other.
fn compare<T: TestInt>(input: &[T], shape: Shape, op: IntOp) -> Result<(), String> {
    let want = run(scalar(), op, input, shape, Layout::Nchw).map_err(|e| format!("{e}"))?;
    let nhwc = transpose(input, shape);
    for p in paths() {
        for layout in LAYOUTS {
            let x = if layout == Layout::Nchw { input } else { &nhwc };
            let got = run(p, op, x, shape, layout).map_err(|e| format!("{e}"))?;
            if got != want {
                let i = (0..got.len()).find(|&i| got[i] != want[i]).unwrap();
                return Err(format!(
                    "{:?} {op:?} {layout:?} {shape:?} {}: output {i}: {} vs scalar NCHW {}",
                    p.isa(),
                    std::any::type_name::<T>(),
                    got[i],
                    want[i]
                ));
            }
        }
    }
    Ok(())
}

/// NCHW -> NHWC.
fn transpose<T: Copy>(x: &[T], shape: Shape) -> Vec<T> {
    let (b, c, s) = (shape.batch, shape.channels, shape.spatial);
    let mut out = Vec::with_capacity(x.len());
    for bi in 0..b {
        for si in 0..s {
            for ci in 0..c {
                out.push(x[(bi * c + ci) * s + si]);
            }
        }
    }
    out
}

#[derive(Clone, Debug)]
struct Case {
    batch: usize,
    channels: usize,
    spatial: usize,
    seed: u64,
    offset: usize,
}

impl Arbitrary for Case {
    fn arbitrary(g: &mut Gen) -> Case {
        let pick = |g: &mut Gen, n: usize| usize::arbitrary(g) % n;
        let spatial = match pick(g, 3) {
            0 => *g
                .choose(&[
                    1, 2, 3, 15, 16, 17, 31, 32, 33, 49, 63, 64, 65, 196, 257, 3136,
                ])
                .unwrap(),
            1 => 1 + pick(g, 100),
            _ => 1 + pick(g, 5000),
        };
        let mut channels = match pick(g, 3) {
            0 => 1 + pick(g, 8),
            1 => 1 + pick(g, 70),
            _ => 1 + pick(g, 1100),
        };
        let batch = 1 + pick(g, 3);
        while batch * channels * spatial > 150_000 && channels > 1 {
            channels /= 2;
        }
        Case {
            batch,
            channels,
            spatial,
            seed: u64::arbitrary(g),
            offset: pick(g, 64),
        }
    }
}

fn check_case<T: TestInt>(c: &Case) -> Result<(), String> {
    let shape = Shape::new(c.batch, c.channels, c.spatial);
    let n = shape.input_len().unwrap();
    // The input starts `offset` elements into a larger buffer: every alignment, and values
    // before and after it that must not be read into the result.
    let buf = values::<T>(c.seed, n + c.offset + 64);
    let input = &buf[c.offset..c.offset + n];
    let mut rng = Rng(c.seed ^ 0xABCD);
    for _ in 0..3 {
        compare(input, shape, random_op::<T>(&mut rng))?;
    }
    Ok(())
}

fn prop(c: Case) -> TestResult {
    for r in [
        check_case::<i8>(&c),
        check_case::<u8>(&c),
        check_case::<i16>(&c),
    ] {
        if let Err(e) = r {
            return TestResult::error(e);
        }
    }
    TestResult::passed()
}

#[test]
fn every_path_matches_scalar_on_random_shapes() {
    qc(150).quickcheck(prop as fn(Case) -> TestResult);
}

/// Every (channels, spatial) in small ranges, where tails, super-rows and masks change.
#[test]
fn every_path_matches_scalar_on_small_shapes() {
    let ops = |t: u64| -> Vec<IntOp> {
        vec![
            IntOp::Sum,
            IntOp::Avg,
            IntOp::Max,
            IntOp::Min,
            IntOp::Mean(
                QuantMean::new(0.05, if t == 0 { 3 } else { -3 }, 0.02, 7, Rounding::Double)
                    .unwrap(),
            ),
            IntOp::Mean(QuantMean::new(0.07, 5, 0.3, 1 - t as i32, Rounding::Single).unwrap()),
            IntOp::Clamped(if t == 0 { 0 } else { -5 }, 100),
        ]
    };
    for channels in (1..=70).chain([127, 128, 129, 255, 256, 257, 511, 513]) {
        for spatial in [1, 2, 3, 4, 7, 8, 9, 15, 16, 17, 31, 33, 49, 63, 64, 65, 129] {
            let shape = Shape::new(2, channels, spatial);
            let n = shape.input_len().unwrap();
            let seed = (channels * 1000 + spatial) as u64;
            for op in ops(0) {
                compare(&values::<u8>(seed, n), shape, op).unwrap();
            }
            for op in ops(1) {
                compare(&values::<i8>(seed, n), shape, op).unwrap();
                compare(&values::<i16>(seed, n), shape, op).unwrap();
            }
        }
    }
}

/// Every path against Scalar on the NHWC input `x`, for each of `ops` (`what` names the case).
fn nhwc_paths_match<T: TestInt>(x: &[T], shape: Shape, ops: &[IntOp], what: &str) {
    for &op in ops {
        let want = run(scalar(), op, x, shape, Layout::Nhwc).unwrap();
        for p in paths() {
            let got = run(p, op, x, shape, Layout::Nhwc).unwrap();
            let t = std::any::type_name::<T>();
            assert_eq!(got, want, "{:?} {op:?} {shape:?} {t} {what}", p.isa());
        }
    }
}

/// NHWC inputs at every start offset (row strides of whole vectors, so every row has the same
/// alignment; AVX2 sums two rows at a time), every path against Scalar.
#[test]
fn nhwc_every_alignment_matches_scalar() {
    fn check<T: TestInt>(channels: usize, spatial: usize) {
        let shape = Shape::new(2, channels, spatial);
        let n = shape.input_len().unwrap();
        for offset in 0..64 {
            let buf = values::<T>((channels * 131 + spatial * 7 + offset) as u64, n + 64);
            let x = &buf[offset..offset + n];
            let ops = [IntOp::Sum, IntOp::Avg, IntOp::Max, IntOp::Min];
            nhwc_paths_match(x, shape, &ops, &format!("offset {offset}"));
        }
    }
    for (channels, spatial) in [(64, 49), (128, 7), (32, 33), (96, 17), (1280, 3), (3, 100)] {
        check::<i8>(channels, spatial);
        check::<u8>(channels, spatial);
        check::<i16>(channels, spatial);
    }
}

/// NHWC byte rows of whole vectors on a vector boundary (the CNN heads, and narrower tensors
/// whose positions make such rows, which AVX-512 sums in tiles of vectors straight to a small
/// buffer, in groups of 256 rows): tiles of every width and the last ones narrower, 2 to
/// 257 rows and far more, positions that do not fill the last row (the other path), the
/// extreme values at the limit of the narrow lanes, batches of two, every path against
/// Scalar. The input is placed on a 64-byte boundary and 32 bytes past one (the other path).
#[test]
fn nhwc_word_tiles_match_scalar() {
    fn check<T: TestInt>() {
        let heads = [320, 448, 640, 704, 768, 1280, 1344, 2048]
            .into_iter()
            .flat_map(|c| [2, 3, 49, 196, 255, 256, 257].map(|s| (c, s)));
        // Fewer channels: several positions per row of whole vectors (3 channels: 128
        // positions, 64: 8, 96: 4, 256: 2), up to 256 such rows and more (groups of 256).
        let narrow = [
            (3, 50176),
            (3, 4096),
            (3, 4100),
            (64, 12544),
            (64, 2056),
            (64, 2048),
            (96, 1024),
            (256, 3136),
            (256, 514),
        ];
        for (c, s) in heads.chain(narrow) {
            for batch in [1, 2] {
                let shape = Shape::new(batch, c, s);
                let n = shape.input_len().unwrap();
                for kind in 0..3 {
                    let mut buf = values::<T>((c * 1000 + s * 3 + batch) as u64, n + 96);
                    if kind > 0 {
                        let v = T::from(if kind == 1 { T::MIN } else { T::MAX });
                        buf.iter_mut().for_each(|x| *x = v);
                    }
                    let at = buf.as_ptr().align_offset(64);
                    for offset in [at, at + 32] {
                        let x = &buf[offset..offset + n];
                        let what = format!("kind {kind} offset {}", offset - at);
                        let ops = [
                            IntOp::Sum,
                            IntOp::Avg,
                            IntOp::Clamped(T::MIN + 28, T::MAX - 90),
                        ];
                        nhwc_paths_match(x, shape, &ops, &what);
                    }
                }
            }
        }
    }
    check::<i8>();
    check::<u8>();
}

/// NHWC averages at the rounding boundaries (`acc = k n ± n/2`, ±1, every channel its own `k`
/// and offset, the even and the odd channels of each 16-bit word alike) in rows of whole
/// vectors on a 64-byte boundary, which AVX-512 divides in 16-bit lanes straight from the
/// rows' word sums (`i8`, 2 to 255 positions), clamped and not; every path against Scalar.
#[test]
fn nhwc_word_averages_at_rounding_boundaries() {
    fn check<T: TestInt>() {
        let (lo, hi) = (T::MIN as i64, T::MAX as i64);
        let mut rng = Rng(7);
        for n in [2usize, 3, 7, 49, 128, 196, 254, 255, 256] {
            let c = 320;
            let shape = Shape::new(2, c, n);
            let len = shape.input_len().unwrap();
            let mut buf = vec![T::default(); len + 64];
            let at = buf.as_ptr().align_offset(64);
            let x = &mut buf[at..at + len];
            let ni = n as i64;
            for b in 0..2 {
                for ch in 0..c {
                    let offs = [-ni / 2 - 1, -ni / 2, 0, ni / 2, ni / 2 + 1];
                    let k = match ch % 7 {
                        0 => lo,
                        1 => hi,
                        2 => 0,
                        3 => -1,
                        _ => lo + rng.below((hi - lo + 1) as u64) as i64,
                    };
                    let target = (k * ni + offs[(ch / 7 + b) % 5]).clamp(lo * ni, hi * ni);
                    let (base, extra) = (target.div_euclid(ni), target.rem_euclid(ni));
                    for i in 0..n {
                        x[(b * n + i) * c + ch] =
                            T::from((base + i64::from((i as i64) < extra)) as i32);
                    }
                }
            }
            let ops = [
                IntOp::Avg,
                IntOp::Clamped(T::MIN + 28, T::MAX - 90),
                IntOp::Clamped(T::MIN, T::MIN),
            ];
            nhwc_paths_match(x, shape, &ops, "boundaries");
        }
    }
    check::<i8>();
    check::<u8>();
}

// ---------------------------------------------------------------------------------------------
// Scalar against independent models.
// ---------------------------------------------------------------------------------------------

/// C's truncating division.
fn tdiv(a: i128, b: i128) -> i128 {
    a / b
}

/// TFLite AVERAGE_POOL_2D on one channel (reference `AveragePool`, integer version).
fn model_avg(values: &[i32]) -> i32 {
    let acc: i128 = values.iter().map(|&v| v as i128).sum();
    let n = values.len() as i128;
    (if acc > 0 {
        tdiv(acc + n / 2, n)
    } else {
        tdiv(acc - n / 2, n)
    }) as i32
}

/// `tflite::QuantizeMultiplier`, via repeated halving / doubling instead of `frexp`.
fn model_quantize_multiplier(d: f64, single: bool) -> (i64, i32) {
    let (mut q, mut shift) = (d, 0);
    while q >= 1.0 {
        q /= 2.0;
        shift += 1;
    }
    while q < 0.5 {
        q *= 2.0;
        shift -= 1;
    }
    let mut fixed = (q * 2f64.powi(31)).round() as i64;
    if fixed == 1 << 31 {
        fixed /= 2;
        shift += 1;
    }
    if shift < -31 {
        return (0, 0);
    }
    if single && shift > 30 {
        return ((1 << 31) - 1, 30);
    }
    (fixed, shift)
}

/// TFLite MEAN on one channel: `reference_ops::QuantizedMeanOrSum` as TFLite-Micro and LiteRT's
/// reference kernels compute it.
#[allow(clippy::too_many_arguments)]
fn model_mean(
    values: &[i32],
    si: f32,
    zi: i32,
    so: f32,
    zo: i32,
    single: bool,
    lo: i32,
    hi: i32,
) -> i32 {
    let n = values.len() as i128;
    let (m0, s0) = model_quantize_multiplier(si as f64 / so as f64, single);
    let log2 = 127 - n.leading_zeros() as i32;
    let k = log2.min(32).min(31 + s0);
    let m = ((m0 as i128) << k) / n;
    let sh = s0 - k;
    let x: i128 = values.iter().map(|&v| (v - zi) as i128).sum();
    let r = if single {
        let total = 31 - sh;
        (x * m + (1i128 << (total - 1))) >> total
    } else {
        let x = if sh > 0 { x << sh } else { x };
        let ab = x * m;
        let nudge = if ab >= 0 {
            1i128 << 30
        } else {
            1 - (1i128 << 30)
        };
        let high = tdiv(ab + nudge, 1i128 << 31);
        let e = if sh < 0 { -sh } else { 0 };
        let mask = (1i128 << e) - 1;
        let threshold = (mask >> 1) + if high < 0 { 1 } else { 0 };
        (high >> e) + if (high & mask) > threshold { 1 } else { 0 }
    };
    (r + zo as i128).clamp(lo as i128, hi as i128) as i32
}

fn model_check<T: TestInt>(seed: u64) {
    let mut rng = Rng(seed);
    for _ in 0..200 {
        let channels = 1 + rng.below(5) as usize;
        let spatial = *[1usize, 2, 3, 5, 49, 196, 1000, 3136]
            .get(rng.below(8) as usize)
            .unwrap();
        let shape = Shape::new(1, channels, spatial);
        let input = values::<T>(rng.next_u64(), channels * spatial);
        let rows: Vec<Vec<i32>> = input
            .chunks(spatial)
            .map(|r| r.iter().map(|v| v.to()).collect())
            .collect();
        let avg = run(scalar(), IntOp::Avg, &input, shape, Layout::Nchw).unwrap();
        let sum = run(scalar(), IntOp::Sum, &input, shape, Layout::Nchw).unwrap();
        for (c, row) in rows.iter().enumerate() {
            assert_eq!(avg[c], model_avg(row), "avg {row:?}");
            assert_eq!(sum[c], row.iter().sum::<i32>());
        }
        let span = (T::MAX - T::MIN + 1) as u64;
        let si = (2f64.powf(rng.unit() * 16.0 - 8.0) * 0.02) as f32;
        let so = if rng.below(4) == 0 { si } else { 0.02f32 };
        let zi = T::MIN + rng.below(span) as i32;
        let zo = if rng.below(4) == 0 {
            T::MIN
        } else {
            T::MIN + rng.below(span) as i32
        };
        for single in [false, true] {
            let r = if single {
                Rounding::Single
            } else {
                Rounding::Double
            };
            let q = QuantMean::new(si, zi, so, zo, r).unwrap();
            let got = run(scalar(), IntOp::Mean(q), &input, shape, Layout::Nchw).unwrap();
            for (c, row) in rows.iter().enumerate() {
                let want = model_mean(row, si, zi, so, zo, single, T::MIN, T::MAX);
                assert_eq!(
                    got[c], want,
                    "mean {si} {zi} {so} {zo} single={single} {row:?}"
                );
            }
        }
    }
}

#[test]
fn scalar_matches_models_of_the_tflite_reference() {
    model_check::<i8>(1);
    model_check::<u8>(2);
    model_check::<i16>(3);
}

#[test]
fn worked_tie_case() {
    let input = [-128i8, -127];
    let shape = Shape::new(1, 1, 2);
    let q = QuantMean::new(0.5, -128, 0.5, -128, Rounding::Double).unwrap();
    for p in paths() {
        for layout in LAYOUTS {
            let mut out = [0i8];
            p.avg(&input, shape, layout, &mut out).unwrap();
            assert_eq!(out, [-128], "AVERAGE_POOL_2D on {:?}", p.isa());
            p.mean_quantized(&input, shape, layout, &q, &mut out)
                .unwrap();
            assert_eq!(out, [-127], "MEAN on {:?}", p.isa());
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Limits and errors.
// ---------------------------------------------------------------------------------------------

/// Long NCHW rows, several of the narrow sums' runs long (a run is at most 252 vectors, 16 KiB
/// of `i8` on AVX-512), random and extreme values, rows starting off a vector boundary: the
/// narrow sums, their chains, merges and flushes (with and without VNNI, see `.ci/run`) against
/// Scalar on every path.
#[test]
fn long_nchw_rows_match_scalar() {
    fn check<T: TestInt>() {
        for (k, (channels, spatial)) in [(1, 65_535), (3, 40_037), (2, 16_200), (4, 8_191)]
            .into_iter()
            .enumerate()
        {
            let shape = Shape::new(1, channels, spatial);
            let n = channels * spatial;
            for offset in [0, 1, 3] {
                let seed = (k * 10 + offset) as u64;
                let buf = values::<T>(seed, n + offset);
                let input = &buf[offset..];
                let want = run(scalar(), IntOp::Sum, input, shape, Layout::Nchw).unwrap();
                for p in paths() {
                    let got = run(p, IntOp::Sum, input, shape, Layout::Nchw).unwrap();
                    assert_eq!(
                        got,
                        want,
                        "{:?} {} {shape:?} offset {offset} seed {seed}",
                        p.isa(),
                        std::any::type_name::<T>()
                    );
                }
            }
        }
    }
    check::<i8>();
    check::<u8>();
    check::<i16>();
}

/// The largest spatial sizes, filled with the extreme value: the sums reach `i32::MIN` (or the
/// largest multiple of 255 below `i32::MAX`) exactly, on every path and layout.
#[test]
fn sums_are_exact_up_to_the_limit() {
    fn check<T: TestInt>(v: T, spatial: usize, want: i32) {
        let input = vec![v; spatial];
        for p in paths() {
            for layout in LAYOUTS {
                let mut out = [0i32];
                p.sum(&input, Shape::new(1, 1, spatial), layout, &mut out)
                    .unwrap();
                assert_eq!(out[0], want, "{:?} {layout:?}", p.isa());
                let mut avg = [T::from(0)];
                p.avg(&input, Shape::new(1, 1, spatial), layout, &mut avg)
                    .unwrap();
                assert_eq!(avg[0], v, "{:?} {layout:?}", p.isa());
            }
        }
        drop(input);
        let over = vec![v; spatial + 1];
        let mut out = [0i32];
        let err = scalar().sum(&over, Shape::new(1, 1, spatial + 1), Layout::Nchw, &mut out);
        assert_eq!(err, Err(Error::SpatialTooLarge { max: spatial }));
        let mut m = [T::from(0)];
        scalar()
            .max(&over, Shape::new(1, 1, spatial + 1), Layout::Nchw, &mut m)
            .unwrap();
        assert_eq!(m[0], v);
    }
    check::<i8>(-128, 1 << 24, i32::MIN);
    check::<i16>(-32768, 1 << 16, i32::MIN);
    check::<u8>(255, 8_421_504, 255 * 8_421_504);
}

/// NHWC inputs small enough for the kernels' long row groups (up to 256 rows in narrow lanes
/// before a spill), with more rows than that, all at an extreme: the narrow sums reach their
/// limit and must not wrap, on every path.
#[test]
fn nhwc_long_row_groups_do_not_overflow() {
    fn check<T: TestInt>() {
        // (channels, spatial): at least 257 rows of whatever width each plan reads.
        for (c, s) in [
            (1, 150_000),
            (3, 50_000),
            (64, 2_100),
            (100, 600),
            (300, 600),
            (1100, 300),
            (1280, 300),
        ] {
            if T::MAX == 32767 && s > 1 << 16 {
                continue; // over i16's spatial limit (and its narrow sums are i32 anyway)
            }
            for v in [T::MIN, T::MAX] {
                let input = vec![T::from(v); c * s];
                let shape = Shape::new(1, c, s);
                for p in paths() {
                    let sums = run(p, IntOp::Sum, &input, shape, Layout::Nhwc).unwrap();
                    let avg = run(p, IntOp::Avg, &input, shape, Layout::Nhwc).unwrap();
                    for ch in 0..c {
                        let what =
                            format!("{:?} {} c={c} s={s}", p.isa(), std::any::type_name::<T>());
                        assert_eq!(i64::from(sums[ch]), i64::from(v) * s as i64, "{what}");
                        assert_eq!(avg[ch], v, "{what}");
                    }
                }
            }
        }
    }
    check::<i8>();
    check::<u8>();
    check::<i16>();
}

#[test]
fn errors() {
    let p = Pooler::detect();
    let input = [1i8, 2, 3, 4];
    let shape = Shape::new(1, 2, 2);
    let mut out = [7i8; 2];
    assert_eq!(
        p.avg_clamped(&input, shape, Layout::Nchw, 5, 4, &mut out),
        Err(Error::InvalidClamp)
    );
    assert_eq!(out, [7, 7]);
    let mut f = [7.0f32; 1];
    assert_eq!(
        p.avg_clamped(
            &[1.0f32],
            Shape::new(1, 1, 1),
            Layout::Nchw,
            f32::NAN,
            1.0,
            &mut f
        ),
        Err(Error::InvalidClamp)
    );
    for (si, so) in [
        (0.0, 1.0),
        (1.0, -1.0),
        (f32::NAN, 1.0),
        (1.0, f32::INFINITY),
    ] {
        assert_eq!(
            QuantMean::new(si, 0, so, 0, Rounding::Double),
            Err(Error::InvalidQuantization)
        );
    }
    let q = QuantMean::new(1.0, 128, 1.0, 0, Rounding::Double).unwrap();
    assert_eq!(
        p.mean_quantized(&input, shape, Layout::Nchw, &q, &mut out),
        Err(Error::InvalidQuantization)
    );
    let mut u = [0u8; 2];
    p.mean_quantized(&[1u8, 2, 3, 4], shape, Layout::Nchw, &q, &mut u)
        .unwrap();
    assert_eq!(u, [0, 0]); // means of about -126 with an output zero point 0: clamped to 0
    let q0 = QuantMean::new(1.0, 0, 1.0, 0, Rounding::Double).unwrap();
    assert_eq!(
        p.mean_quantized(&[1.0f32], Shape::new(1, 1, 1), Layout::Nchw, &q0, &mut f),
        Err(Error::InvalidQuantization)
    );
    // Shape errors come first and write nothing.
    assert_eq!(
        p.avg(&input[..3], shape, Layout::Nchw, &mut out),
        Err(Error::InputLength {
            expected: 4,
            actual: 3
        })
    );
    assert_eq!(out, [7, 7]);
    let mut s = [0i32; 3];
    assert_eq!(
        p.sum(&input, shape, Layout::Nhwc, &mut s),
        Err(Error::OutputLength {
            expected: 2,
            actual: 3
        })
    );
    let mut e: [i16; 2] = [0; 2];
    assert_eq!(
        p.max(&[] as &[i16], Shape::new(1, 2, 0), Layout::Nhwc, &mut e),
        Err(Error::EmptySpatial)
    );
    assert_eq!(
        p.sum(&[] as &[u8], Shape::new(0, 2, 3), Layout::Nhwc, &mut []),
        Ok(())
    );
    for isa in Isa::ALL {
        if let Some(p) = Pooler::with_isa(*isa) {
            assert_eq!(p.isa(), *isa);
        }
    }
}

/// `avg` at the rounding boundaries (`acc = k n ± n/2`, ±1) for many `n` and every type: the
/// division by `n` without an integer divide (in `f32` or `f64`, depending on the type and `n`)
/// must be exact everywhere, in particular at the largest `n` of each precision.
#[test]
fn avg_rounding_boundaries() {
    fn check<T: TestInt>(sizes: &[usize]) {
        let mut rng = Rng(99);
        let (lo, hi) = (T::MIN as i64, T::MAX as i64);
        for &n in sizes {
            let ni = n as i64;
            // The quotients of the extreme sums, and random ones.
            let mut ks = vec![lo, lo + 1, hi - 1, hi, 0, -1, 1];
            ks.extend((0..30).map(|_| lo + rng.below((hi - lo + 1) as u64) as i64));
            for k in ks {
                for off in [-ni / 2 - 1, -ni / 2, 0, ni / 2, ni / 2 + 1] {
                    let target = k * ni + off;
                    if target < lo * ni || target > hi * ni {
                        continue;
                    }
                    // n values summing to `target`: spread evenly, the remainder one by one.
                    let base = target.div_euclid(ni);
                    let extra = target.rem_euclid(ni) as usize;
                    let input: Vec<T> = (0..n)
                        .map(|i| T::from((base + i64::from(i < extra)) as i32))
                        .collect();
                    let row: Vec<i32> = input.iter().map(|&v| v.to()).collect();
                    for p in paths() {
                        let mut out = [T::default()];
                        p.avg(&input, Shape::new(1, 1, n), Layout::Nchw, &mut out)
                            .unwrap();
                        assert_eq!(
                            out[0].to(),
                            model_avg(&row),
                            "{:?} {} n={n} sum={target}",
                            p.isa(),
                            std::any::type_name::<T>()
                        );
                    }
                }
            }
        }
    }
    let common = [
        1usize, 2, 3, 5, 7, 49, 127, 128, 196, 254, 255, 256, 257, 3136, 12544,
    ];
    check::<i16>(&common);
    // The last `n` of the `f32` division and the first of the `f64` one (127 and 128 for
    // `i16`, in `common`), and larger ones.
    check::<i16>(&[65535, 65536]);
    check::<i8>(&common);
    check::<i8>(&[32639, 32640, 32641, 64776, 65536, 262_144]);
    check::<u8>(&common);
    check::<u8>(&[16415, 16416, 16417, 32704, 131_072]);
}

/// Short rows (up to 256 values: shorter than a vector, and up to three whole vectors and a
/// part), every one at an extreme, in groups of sixteen and thirty-two and the rows after
/// them: the kernels that total such rows in 16-bit fields (AVX-512; with VNNI `i8` rows of up
/// to 255 values) reach their largest totals here, and every path must give the scalar
/// results (extremes as well).
#[test]
fn short_rows_at_the_extremes_match_scalar() {
    fn check<T: TestInt>(v: T) {
        for spatial in 1..=256 {
            for channels in [35, 70] {
                let shape = Shape::new(1, channels, spatial);
                let input = vec![v; channels * spatial];
                for op in [IntOp::Sum, IntOp::Avg, IntOp::Max, IntOp::Min] {
                    compare(&input, shape, op).unwrap();
                }
            }
        }
    }
    check::<i8>(127);
    check::<i8>(-128);
    check::<u8>(255);
    check::<u8>(0);
}

/// `avg` and `avg_clamped` of short NCHW rows at the rounding boundaries (`acc = k n ± n/2`,
/// ±1), seventy rows of each length up to 256, the values of each row shuffled around its
/// sum: the loops that take such rows sixteen and thirty-two at a time (with AVX-512 VNNI,
/// `i8` averages of rows of up to 255 values and `u8` ones of up to 185 divided in 16-bit
/// lanes) must round as the TFLite model does.
#[test]
fn short_row_averages_at_rounding_boundaries() {
    fn check<T: TestInt>(seed: u64) {
        let (lo, hi) = (i64::from(T::MIN), i64::from(T::MAX));
        let mut rng = Rng(seed);
        for n in 1..=256usize {
            let ni = n as i64;
            let channels = 70;
            let mut input: Vec<T> = Vec::with_capacity(channels * n);
            let mut want = Vec::with_capacity(channels);
            for c in 0..channels {
                let k = match c {
                    0 => lo,
                    1 => hi,
                    2 => 0,
                    3 => (lo + hi) / 2,
                    _ => lo + rng.below((hi - lo + 1) as u64) as i64,
                };
                let off = [-ni / 2 - 1, -ni / 2, 0, ni / 2, ni / 2 + 1][c % 5];
                let target = (k * ni + off).clamp(lo * ni, hi * ni);
                let base = target.div_euclid(ni);
                let extra = target.rem_euclid(ni) as usize;
                let mut row: Vec<i64> = (0..n).map(|i| base + i64::from(i < extra)).collect();
                // Move value between random pairs of the row, its sum unchanged.
                for _ in 0..n {
                    let (i, j) = (rng.below(ni as u64) as usize, rng.below(ni as u64) as usize);
                    let room = (hi - row[i]).min(row[j] - lo);
                    let d = rng.below(room as u64 + 1) as i64;
                    row[i] += d;
                    row[j] -= d;
                }
                let row: Vec<i32> = row.into_iter().map(|v| v as i32).collect();
                want.push(model_avg(&row));
                input.extend(row.iter().map(|&v| T::from(v)));
            }
            let shape = Shape::new(1, channels, n);
            for p in paths() {
                let got = run(p, IntOp::Avg, &input, shape, Layout::Nchw).unwrap();
                assert_eq!(got, want, "{:?} n={n}", p.isa());
            }
            let clamp = IntOp::Clamped(T::MIN + 28, T::MAX - 37);
            compare(&input, shape, clamp).unwrap();
        }
    }
    check::<i8>(2026);
    check::<u8>(2027);
}

/// Short `i8` and `u8` NCHW rows of one to three vectors and a part (the rows the AVX-512 VNNI loop takes
/// sixteen at a time; those of `64 k + 4` values as aligned lines from the first row that
/// starts one) at every alignment of the input: every path gives the scalar results.
#[test]
fn short_rows_at_every_alignment_match_scalar() {
    fn check<T: TestInt>() {
        for (n, channels) in [64usize, 65, 68, 100, 127, 128, 130, 132, 196, 200, 255]
            .into_iter()
            .flat_map(|n| [(n, 37), (n, 83)])
        {
            let all: Vec<T> = values(n as u64, channels * n + 64);
            let clamp = IntOp::Clamped(T::MIN + 108, T::MAX - 97);
            for off in 0..64 {
                let input = &all[off..off + channels * n];
                let shape = Shape::new(1, channels, n);
                for op in [IntOp::Sum, IntOp::Avg, clamp, IntOp::Max, IntOp::Min] {
                    compare(input, shape, op).unwrap();
                }
            }
        }
    }
    check::<i8>();
    check::<u8>();
}
