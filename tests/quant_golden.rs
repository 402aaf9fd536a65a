//! Golden vectors from the TFLite reference kernels (issue 5): every path, both layouts, bit for
//! bit.
//!
//! The data in `tests/data/` was written by `tests/golden/golden.py` (see
//! `tests/golden/README.md`): one-op MEAN and AVERAGE_POOL_2D models run by LiteRT with its
//! reference op resolver (`BUILTIN_REF`) and / or TFLite-Micro, which agreed bit for bit. CI only
//! reads the files; it needs no Python.
//!
//! * AVERAGE_POOL_2D cases: [`Pooler::avg`] must give `expected`; [`Pooler::avg_clamped`] must give
//!   `expected` clamped (TFLite's fused activation clamp is applied after the rounded average).
//! * MEAN cases: [`Pooler::mean_quantized`] with [`Rounding::Double`] must give `expected` (the
//!   reference runtimes); with [`Rounding::Single`] it must give `expected_single_rounding`, which
//!   is **emulated** by `golden.py`'s integer model: no installable runtime is built with
//!   `TFLITE_SINGLE_ROUNDING`.
//! * Every case: [`Pooler::sum`], [`Pooler::max`] and [`Pooler::min`] must equal the plain exact
//!   sum, maximum and minimum of each channel.
//!
//! The TFLite tensors are NHWC `[N, H, W, C]`: `Shape::new(N, C, H * W)` with [`Layout::Nhwc`].
//! Each case also runs transposed to NCHW, which must give the same bits.

use std::fmt::Debug;

use globalpool::{Element, Isa, Layout, Pooler, QuantMean, Rounding, Shape};

/// The data files, embedded at compile time.
const FILES: &[(&str, &str)] = &[
    ("mean_int8.txt", include_str!("data/mean_int8.txt")),
    ("mean_uint8.txt", include_str!("data/mean_uint8.txt")),
    ("mean_int16.txt", include_str!("data/mean_int16.txt")),
    (
        "mean_int16_nonzero_zp.txt",
        include_str!("data/mean_int16_nonzero_zp.txt"),
    ),
    ("avgpool_int8.txt", include_str!("data/avgpool_int8.txt")),
    ("avgpool_uint8.txt", include_str!("data/avgpool_uint8.txt")),
    ("avgpool_int16.txt", include_str!("data/avgpool_int16.txt")),
];

// ------------------------------------------------------------------------------------------------
// The data format (documented in each file's header)
// ------------------------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Mean,
    AvgPool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Dtype {
    I8,
    U8,
    I16,
}

#[derive(Debug)]
struct Case {
    file: &'static str,
    name: String,
    op: Op,
    dtype: Dtype,
    /// NHWC.
    n: usize,
    h: usize,
    w: usize,
    c: usize,
    /// MEAN: input and output scale / zero point.
    in_scale: f32,
    in_zp: i32,
    out_scale: f32,
    out_zp: i32,
    /// AVERAGE_POOL_2D: the scale / zero point of input and output.
    zp: i32,
    refs: Vec<String>,
    /// NHWC row-major.
    input: Vec<i32>,
    /// `[N][C]`.
    expected: Vec<i32>,
    /// MEAN only (emulated).
    expected_single: Option<Vec<i32>>,
}

impl Case {
    fn spatial(&self) -> usize {
        self.h * self.w
    }
}

fn scale(rest: &str, what: &str) -> f32 {
    let bits = rest.split_whitespace().next().expect(what);
    f32::from_bits(u32::from_str_radix(bits, 16).expect(what))
}

fn ints(rest: &str, what: &str) -> Vec<i32> {
    rest.split_whitespace()
        .map(|v| {
            v.parse()
                .unwrap_or_else(|_| panic!("{what}: bad integer {v:?}"))
        })
        .collect()
}

/// Fixed-width two's-complement hex, 2 digits a value for 8-bit types and 4 for int16.
fn hex_values(rest: &str, dtype: Dtype, what: &str) -> Vec<i32> {
    let digits = if dtype == Dtype::I16 { 4 } else { 2 };
    let rest = rest.trim();
    assert!(rest.len().is_multiple_of(digits), "{what}: odd hex length");
    (0..rest.len() / digits)
        .map(|i| {
            let raw = u32::from_str_radix(&rest[i * digits..(i + 1) * digits], 16)
                .unwrap_or_else(|_| panic!("{what}: bad hex"));
            match dtype {
                Dtype::I8 => i32::from(raw as u8 as i8),
                Dtype::U8 => raw as i32,
                Dtype::I16 => i32::from(raw as u16 as i16),
            }
        })
        .collect()
}

fn parse(file: &'static str, text: &str) -> Vec<Case> {
    let mut cases = Vec::new();
    let mut cur: Option<Case> = None;
    for (ln, line) in text.lines().enumerate() {
        let line = line.trim_end();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (key, rest) = line.split_once(' ').unwrap_or((line, ""));
        let at = format!("{file}:{}", ln + 1);
        if key == "case" {
            assert!(cur.is_none(), "{at}: 'case' inside a case");
            cur = Some(Case {
                file,
                name: rest.to_string(),
                op: Op::Mean,
                dtype: Dtype::I8,
                n: 0,
                h: 0,
                w: 0,
                c: 0,
                in_scale: 0.0,
                in_zp: 0,
                out_scale: 0.0,
                out_zp: 0,
                zp: 0,
                refs: Vec::new(),
                input: Vec::new(),
                expected: Vec::new(),
                expected_single: None,
            });
            continue;
        }
        let c = cur
            .as_mut()
            .unwrap_or_else(|| panic!("{at}: '{key}' outside a case"));
        match key {
            "op" => {
                c.op = match rest {
                    "MEAN" => Op::Mean,
                    "AVERAGE_POOL_2D" => Op::AvgPool,
                    _ => panic!("{at}: unknown op {rest}"),
                }
            }
            "dtype" => {
                c.dtype = match rest {
                    "int8" => Dtype::I8,
                    "uint8" => Dtype::U8,
                    "int16" => Dtype::I16,
                    _ => panic!("{at}: unknown dtype {rest}"),
                }
            }
            "shape" => {
                let s = ints(rest, &at);
                assert_eq!(s.len(), 4, "{at}: shape");
                (c.n, c.h, c.w, c.c) = (s[0] as usize, s[1] as usize, s[2] as usize, s[3] as usize);
            }
            "in_scale" => c.in_scale = scale(rest, &at),
            "out_scale" => c.out_scale = scale(rest, &at),
            "scale" => c.in_scale = scale(rest, &at),
            "in_zp" => c.in_zp = rest.parse().expect(&at),
            "out_zp" => c.out_zp = rest.parse().expect(&at),
            "zp" => c.zp = rest.parse().expect(&at),
            "keep_dims" => assert!(rest == "0" || rest == "1", "{at}: keep_dims"),
            "ref" => c.refs = rest.split_whitespace().map(String::from).collect(),
            "input" => c.input.extend(ints(rest, &at)),
            "input_hex" => c.input.extend(hex_values(rest, c.dtype, &at)),
            "expected" => c.expected = ints(rest, &at),
            "expected_single_rounding" => c.expected_single = Some(ints(rest, &at)),
            "litert_optimized" => {} // informational only, not golden
            "end" => {
                let c = cur.take().expect("inside a case");
                let what = format!("{file}:{}", c.name);
                assert!(c.n * c.h * c.w * c.c > 0, "{what}: empty shape");
                assert_eq!(c.input.len(), c.n * c.h * c.w * c.c, "{what}: input length");
                assert_eq!(c.expected.len(), c.n * c.c, "{what}: expected length");
                assert!(!c.refs.is_empty(), "{what}: no reference runtime");
                match c.op {
                    Op::Mean => {
                        assert!(c.in_scale > 0.0 && c.out_scale > 0.0, "{what}: scales");
                        let single = c.expected_single.as_ref().expect(&what);
                        assert_eq!(single.len(), c.expected.len(), "{what}: single length");
                    }
                    Op::AvgPool => assert!(c.in_scale > 0.0, "{what}: scale"),
                }
                cases.push(c);
            }
            _ => panic!("{at}: unknown key {key}"),
        }
    }
    assert!(cur.is_none(), "{file}: last case has no 'end'");
    cases
}

// ------------------------------------------------------------------------------------------------
// Running a case
// ------------------------------------------------------------------------------------------------

trait Q: Element<Sum = i32> + Copy + Default + PartialEq + Debug {
    const LO: i32;
    const HI: i32;
    const DTYPE: Dtype;
    fn of(v: i32) -> Self;
    fn get(self) -> i32;
}

macro_rules! q {
    ($t:ty, $d:expr) => {
        impl Q for $t {
            const LO: i32 = <$t>::MIN as i32;
            const HI: i32 = <$t>::MAX as i32;
            const DTYPE: Dtype = $d;
            fn of(v: i32) -> $t {
                <$t>::try_from(v).expect("value in range")
            }
            fn get(self) -> i32 {
                i32::from(self)
            }
        }
    };
}
q!(i8, Dtype::I8);
q!(u8, Dtype::U8);
q!(i16, Dtype::I16);

/// Every path this build and CPU can run.
fn paths() -> Vec<Pooler> {
    let p: Vec<Pooler> = Isa::ALL
        .iter()
        .filter_map(|&isa| Pooler::with_isa(isa))
        .collect();
    assert!(p.iter().any(|p| p.isa() == Isa::Scalar));
    p
}

/// NHWC `[n][s][c]` to NCHW `[n][c][s]`.
fn to_nchw<T: Copy>(x: &[T], n: usize, s: usize, c: usize) -> Vec<T> {
    let mut out = Vec::with_capacity(x.len());
    for b in 0..n {
        for ch in 0..c {
            for i in 0..s {
                out.push(x[(b * s + i) * c + ch]);
            }
        }
    }
    out
}

/// A short description of the first difference.
fn diff(got: &[i32], want: &[i32]) -> Option<String> {
    if got == want {
        return None;
    }
    let bad: Vec<usize> = (0..want.len())
        .filter(|&i| got.get(i) != want.get(i))
        .collect();
    let i = bad[0];
    let got_i = got.get(i).map_or("nothing".to_string(), i32::to_string);
    Some(format!(
        "{} of {} outputs differ; first at [{i}]: got {got_i}, want {}",
        bad.len(),
        want.len(),
        want[i]
    ))
}

/// Runs one case on every path and layout; returns the failures.
fn check<T: Q>(case: &Case, paths: &[Pooler]) -> Vec<String> {
    assert_eq!(case.dtype, T::DTYPE, "{}:{}", case.file, case.name);
    let (n, s, c) = (case.n, case.spatial(), case.c);
    let shape = Shape::new(n, c, s);
    let nhwc: Vec<T> = case.input.iter().map(|&v| T::of(v)).collect();
    let nchw = to_nchw(&nhwc, n, s, c);

    // Plain per-channel sum / max / min.
    let mut sums = vec![0i64; n * c];
    let mut maxs = vec![i32::MIN; n * c];
    let mut mins = vec![i32::MAX; n * c];
    for b in 0..n {
        for i in 0..s {
            for ch in 0..c {
                let v = case.input[(b * s + i) * c + ch];
                sums[b * c + ch] += i64::from(v);
                maxs[b * c + ch] = maxs[b * c + ch].max(v);
                mins[b * c + ch] = mins[b * c + ch].min(v);
            }
        }
    }
    let sums: Vec<i32> = sums
        .iter()
        .map(|&v| i32::try_from(v).expect("sum fits"))
        .collect();

    let mean = |rounding| {
        QuantMean::new(
            case.in_scale,
            case.in_zp,
            case.out_scale,
            case.out_zp,
            rounding,
        )
        .unwrap_or_else(|e| panic!("{}:{}: QuantMean::new: {e:?}", case.file, case.name))
    };
    let (double, single) = match case.op {
        Op::Mean => (Some(mean(Rounding::Double)), Some(mean(Rounding::Single))),
        Op::AvgPool => (None, None),
    };

    let mut failures = Vec::new();
    for &p in paths {
        for (layout, input) in [(Layout::Nhwc, &nhwc), (Layout::Nchw, &nchw)] {
            let mut fail = |what: &str, got: Result<Vec<i32>, globalpool::Error>, want: &[i32]| {
                let msg = match got {
                    Ok(got) => diff(&got, want),
                    Err(e) => Some(format!("error {e:?}")),
                };
                if let Some(msg) = msg {
                    failures.push(format!(
                        "{}:{} [{:?} N={n} H={} W={} C={c}] {} {layout:?} {what}: {msg}",
                        case.file,
                        case.name,
                        case.op,
                        case.h,
                        case.w,
                        p.isa()
                    ));
                }
            };
            let out_t = |f: &dyn Fn(&mut [T]) -> Result<(), globalpool::Error>| {
                let mut out = vec![T::default(); n * c];
                f(&mut out).map(|()| out.iter().map(|v| v.get()).collect::<Vec<i32>>())
            };

            match case.op {
                Op::AvgPool => {
                    let got = out_t(&|o| p.avg(input, shape, layout, o));
                    fail("avg", got, &case.expected);
                    // TFLite's fused activation clamp: ReLU-like (zero point .. max) and a
                    // narrow band in the middle of the range.
                    let quarter = (T::HI - T::LO) / 4;
                    for (lo, hi) in [(case.zp, T::HI), (T::LO + quarter, T::HI - quarter)] {
                        let got = out_t(&|o| {
                            p.avg_clamped(input, shape, layout, T::of(lo), T::of(hi), o)
                        });
                        let want: Vec<i32> = case
                            .expected
                            .iter()
                            .map(|v| v.clamp(&lo, &hi))
                            .copied()
                            .collect();
                        fail(&format!("avg_clamped({lo}, {hi})"), got, &want);
                    }
                }
                Op::Mean => {
                    let (double, single) = (double.as_ref().unwrap(), single.as_ref().unwrap());
                    let got = out_t(&|o| p.mean_quantized(input, shape, layout, double, o));
                    fail("mean_quantized(Double) vs expected", got, &case.expected);
                    let got = out_t(&|o| p.mean_quantized(input, shape, layout, single, o));
                    let want = case.expected_single.as_deref().expect("MEAN case");
                    fail(
                        "mean_quantized(Single) vs expected_single_rounding (emulated)",
                        got,
                        want,
                    );
                }
            }

            let mut out = vec![0i32; n * c];
            let got = p.sum(input, shape, layout, &mut out).map(|()| out);
            fail("sum vs plain sum", got, &sums);
            let got = out_t(&|o| p.max(input, shape, layout, o));
            fail("max vs plain max", got, &maxs);
            let got = out_t(&|o| p.min(input, shape, layout, o));
            fail("min vs plain min", got, &mins);
        }
    }
    failures
}

/// Parses one file and checks all its cases; panics with every failure.
fn run_file(file: &str, min_cases: usize) {
    let (file, text) = FILES
        .iter()
        .copied()
        .find(|(f, _)| *f == file)
        .expect("known file");
    let cases = parse(file, text);
    assert!(
        cases.len() >= min_cases,
        "{file}: only {} cases",
        cases.len()
    );
    let paths = paths();
    let mut failures = Vec::new();
    for case in &cases {
        failures.extend(match case.dtype {
            Dtype::I8 => check::<i8>(case, &paths),
            Dtype::U8 => check::<u8>(case, &paths),
            Dtype::I16 => check::<i16>(case, &paths),
        });
    }
    let names: Vec<&str> = paths.iter().map(|p| p.isa().name()).collect();
    eprintln!(
        "{file}: {} cases on paths {names:?}, both layouts",
        cases.len()
    );
    assert!(
        failures.is_empty(),
        "{file}: {} failures (of {} cases x {} paths x 2 layouts):\n{}",
        failures.len(),
        cases.len(),
        paths.len(),
        failures.join("\n")
    );
}

#[test]
fn golden_mean_int8() {
    run_file("mean_int8.txt", 100);
}

#[test]
fn golden_mean_uint8() {
    run_file("mean_uint8.txt", 100);
}

#[test]
fn golden_mean_int16() {
    run_file("mean_int16.txt", 90);
}

#[test]
fn golden_mean_int16_nonzero_zp() {
    run_file("mean_int16_nonzero_zp.txt", 100);
}

#[test]
fn golden_avgpool_int8() {
    run_file("avgpool_int8.txt", 50);
}

#[test]
fn golden_avgpool_uint8() {
    run_file("avgpool_uint8.txt", 50);
}

#[test]
fn golden_avgpool_int16() {
    run_file("avgpool_int16.txt", 50);
}

/// What the data must cover (issue 5): the spatial sizes, the SIMD-width channel counts, the
/// scale ratios 2^-8 .. 2^8, the extreme zero points, and where each file's values come from.
#[test]
fn golden_data_coverage() {
    for &(file, text) in FILES {
        let cases = parse(file, text);
        let spatial: Vec<usize> = cases.iter().map(Case::spatial).collect();
        for s in [1, 2, 49, 196, 3136] {
            assert!(spatial.contains(&s), "{file}: no case with spatial {s}");
        }
        for c in [1, 3, 8, 17, 64, 100] {
            assert!(
                cases.iter().any(|k| k.c == c),
                "{file}: no case with {c} channels"
            );
        }
        let expected_refs: &[&str] = match file {
            "mean_uint8.txt" | "avgpool_uint8.txt" => &["litert-ref"], // TFLM has no uint8
            "mean_int16_nonzero_zp.txt" => &["tflm"],                  // LiteRT refuses it
            _ => &["litert-ref", "tflm"],
        };
        for k in &cases {
            assert_eq!(
                k.refs, expected_refs,
                "{file}:{}: reference runtimes",
                k.name
            );
        }
        if file.starts_with("mean_") {
            for e in -8..=8 {
                let want = 2f64.powi(e);
                assert!(
                    cases
                        .iter()
                        .any(|k| f64::from(k.in_scale) / f64::from(k.out_scale) == want),
                    "{file}: no case with scale ratio 2^{e}"
                );
            }
            assert!(
                cases.iter().any(|k| {
                    let r = (f64::from(k.in_scale) / f64::from(k.out_scale)).log2();
                    r.fract().abs() > 0.05 && r.abs() > 7.0
                }),
                "{file}: no large non-power-of-two ratio"
            );
            let (lo, hi) = match cases[0].dtype {
                Dtype::I8 => (-128, 127),
                Dtype::U8 => (0, 255),
                Dtype::I16 => (-32768, 32767),
            };
            if file != "mean_int16.txt" {
                for (a, b) in [(lo, lo), (lo, hi), (hi, lo), (hi, hi)] {
                    assert!(
                        cases.iter().any(|k| k.in_zp == a && k.out_zp == b),
                        "{file}: no case with zero points ({a}, {b})"
                    );
                }
            }
            assert!(
                cases
                    .iter()
                    .any(|k| k.expected_single.as_ref() != Some(&k.expected)),
                "{file}: single and double rounding never differ"
            );
        }
    }
}

/// The worked tie case of issue 5, spelled out: int8, zero point -128 (and scale 0.5) in and
/// out, inputs {-128, -127}. AVERAGE_POOL_2D rounds the raw sum -255 / 2 = -127.5 half away from
/// zero: -128. MEAN rounds Σ(q - zp) / 2 = 1 / 2 up to 1, plus -128: -127. (LiteRT's optimized
/// MEAN gives -128 here; the reference kernels and TFLite-Micro give -127.)
#[test]
fn worked_tie_case() {
    for p in paths() {
        // Alone, and in every channel of a 17-channel tensor (SIMD lanes and the remainder).
        for c in [1usize, 17] {
            let nhwc: Vec<i8> = [-128i8, -127].iter().flat_map(|&v| vec![v; c]).collect();
            let nchw = to_nchw(&nhwc, 1, 2, c);
            for (layout, input) in [(Layout::Nhwc, &nhwc), (Layout::Nchw, &nchw)] {
                let shape = Shape::new(1, c, 2);
                let at = format!("{} {layout:?} C={c}", p.isa());
                let mut out = vec![0i8; c];
                p.avg(input, shape, layout, &mut out).unwrap();
                assert_eq!(out, vec![-128i8; c], "AVERAGE_POOL_2D, {at}");
                for rounding in [Rounding::Double, Rounding::Single] {
                    let q = QuantMean::new(0.5, -128, 0.5, -128, rounding).unwrap();
                    let mut out = vec![0i8; c];
                    p.mean_quantized(input, shape, layout, &q, &mut out)
                        .unwrap();
                    assert_eq!(out, vec![-127i8; c], "MEAN {rounding:?}, {at}");
                }
            }
        }
    }
    // The same case as the reference runtimes computed it.
    let golden = |file: &str, name: &str| {
        let (file, text) = FILES.iter().copied().find(|(f, _)| *f == file).unwrap();
        let cases = parse(file, text);
        let k = cases.into_iter().find(|k| k.name == name).expect(name);
        assert_eq!(k.input, [-128, -127], "{file}:{name}");
        (k.expected, k.in_scale, k.in_zp, k.out_zp, k.zp)
    };
    assert_eq!(
        golden("avgpool_int8.txt", "tie_zp_m128"),
        (vec![-128], 0.5, 0, 0, -128)
    );
    assert_eq!(
        golden("mean_int8.txt", "tie_zp_m128"),
        (vec![-127], 0.5, -128, -128, 0)
    );
    assert_eq!(
        golden("mean_int8.txt", "tie_zp_m128_nokeep"),
        (vec![-127], 0.5, -128, -128, 0)
    );
}
