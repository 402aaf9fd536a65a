//! Shared test helpers: a seeded generator, value mixes with special values, and the paths.
#![allow(dead_code)]

use globalpool::{Isa, Layout, Pooler, Shape};

/// SplitMix64: small, seedable, good enough for test data.
pub struct Rng(pub u64);

impl Rng {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }
    /// Standard normal (Box-Muller).
    pub fn normal(&mut self) -> f64 {
        let u1 = self.unit().max(1e-300);
        let u2 = self.unit();
        (-2.0 * u1.ln()).sqrt() * (core::f64::consts::TAU * u2).cos()
    }
}

/// One value: mostly ordinary floats of varied magnitude, and with probability `special` (per
/// mille) a special one: NaN (either sign, any payload), ±inf, ±0, a subnormal, ±f32::MAX.
pub fn value(rng: &mut Rng, special: u64) -> f32 {
    if rng.below(1000) < special {
        match rng.below(8) {
            0 => {
                let payload = (rng.next_u64() as u32) & 0x003F_FFFF;
                let sign = (rng.next_u64() as u32) & 0x8000_0000;
                let quiet = if rng.below(2) == 0 { 0x0040_0000 } else { 0 };
                f32::from_bits(sign | 0x7F80_0000 | quiet | payload | 1)
            }
            1 => f32::INFINITY,
            2 => f32::NEG_INFINITY,
            3 => 0.0,
            4 => -0.0,
            5 => f32::from_bits((rng.next_u64() as u32) & 0x807F_FFFF), // subnormal or zero
            6 => f32::MAX,
            _ => f32::MIN,
        }
    } else {
        match rng.below(4) {
            // Small integers: sums are exact, so order bugs show up only as bit differences.
            0 => (rng.below(201) as f32) - 100.0,
            1 => (rng.unit() * 2.0 - 1.0) as f32,
            2 => (rng.normal() * 1e3) as f32,
            _ => {
                let e = rng.below(60) as i32 - 30;
                ((rng.unit() * 2.0 - 1.0) * 2f64.powi(e)) as f32
            }
        }
    }
}

pub fn values(seed: u64, n: usize, special: u64) -> Vec<f32> {
    let mut rng = Rng(seed);
    (0..n).map(|_| value(&mut rng, special)).collect()
}

/// Every path this build and CPU can run.
pub fn paths() -> Vec<Pooler> {
    Isa::ALL
        .iter()
        .filter_map(|&isa| Pooler::with_isa(isa))
        .collect()
}

pub fn scalar() -> Pooler {
    Pooler::with_isa(Isa::Scalar).unwrap()
}

pub const LAYOUTS: [Layout; 2] = [Layout::Nchw, Layout::Nhwc];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Sum,
    Avg,
    Max,
    Min,
}

pub const OPS: [Op; 4] = [Op::Sum, Op::Avg, Op::Max, Op::Min];

pub fn run(p: Pooler, op: Op, input: &[f32], shape: Shape, layout: Layout, out: &mut [f32]) {
    let r = match op {
        Op::Sum => p.sum(input, shape, layout, out),
        Op::Avg => p.avg(input, shape, layout, out),
        Op::Max => p.max(input, shape, layout, out),
        Op::Min => p.min(input, shape, layout, out),
    };
    r.unwrap();
}

pub fn bits(v: &[f32]) -> Vec<u32> {
    v.iter().map(|x| x.to_bits()).collect()
}

/// Runs every op, layout and path on `input` and returns the first mismatch with Scalar.
pub fn compare_all(input: &[f32], shape: Shape) -> Result<(), String> {
    let n = shape.output_len().unwrap();
    let mut want = vec![0.0f32; n];
    let mut got = vec![0.0f32; n];
    for layout in LAYOUTS {
        for op in OPS {
            run(scalar(), op, input, shape, layout, &mut want);
            for p in paths() {
                got.fill(1234.5);
                run(p, op, input, shape, layout, &mut got);
                if bits(&got) != bits(&want) {
                    let i = (0..n)
                        .find(|&i| got[i].to_bits() != want[i].to_bits())
                        .unwrap();
                    return Err(format!(
                        "{:?} {op:?} {layout:?} {shape:?}: output {i}: {} ({:#010x}) vs scalar {} ({:#010x})",
                        p.isa(),
                        got[i],
                        got[i].to_bits(),
                        want[i],
                        want[i].to_bits()
                    ));
                }
            }
        }
    }
    Ok(())
}

/// Whether the tests run under an emulating runner set in the environment
/// (`CARGO_TARGET_<TRIPLE>_RUNNER`: CI's qemu-x86_64 runs on older CPU models), where the
/// exhaustive sweeps take a sample instead: every path was already swept natively.
pub fn emulated() -> bool {
    std::env::vars().any(|(k, _)| k.starts_with("CARGO_TARGET_") && k.ends_with("_RUNNER"))
}

/// A `QuickCheck` running `default` cases, or `$QUICKCHECK_TESTS` when set (CI lowers it under
/// emulation).
pub fn qc(default: u64) -> quickcheck::QuickCheck {
    let n = std::env::var("QUICKCHECK_TESTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default);
    quickcheck::QuickCheck::new().tests(n).max_tests(n * 10)
}

/// `f` in a thread of its own (on wasm32, which has no threads and no such flag, in this one).
/// A new thread starts with its parent's floating-point status, so a thread that never does
/// arithmetic itself hands each of them a clear invalid-operation flag (the flag the max / min
/// of Intel CPUs with AVX-512 learn of NaNs from; set, it makes them skip those loops).
pub fn fresh<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    if cfg!(target_family = "wasm") {
        f()
    } else {
        std::thread::scope(|s| s.spawn(f).join().unwrap())
    }
}

/// `op` of `input` on `p` in a thread of its own (`fresh`), after an invalid operation
/// (`inf - inf`, which sets the flag) when `flag_set`.
pub fn run_fresh(
    p: Pooler,
    op: Op,
    input: &[f32],
    shape: Shape,
    layout: Layout,
    flag_set: bool,
) -> Vec<f32> {
    fresh(|| {
        if flag_set {
            let (a, b) = std::hint::black_box((f32::INFINITY, f32::INFINITY));
            assert!(std::hint::black_box(a - b).is_nan());
        }
        let mut out = vec![0.0f32; shape.output_len().unwrap()];
        run(p, op, input, shape, layout, &mut out);
        out
    })
}
