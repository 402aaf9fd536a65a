//! Writes `cases.h` for the Cortex-M firmware (tests/firmware/main.c): for each case its shape,
//! the input bits, and the expected output bits of sum, avg, max and min in both layouts,
//! computed here on the host with the crate's Rust API. The firmware recomputes them with the C
//! API on the emulated Cortex-M4F and compares bits, which checks the crate's "same bits on every
//! CPU" promise across architectures (and the C ABI on a 32-bit target).
//!
//! Before writing, every path this host supports (`Pooler::with_isa`) must agree with the
//! detected one, and every NaN written must be the canonical 0x7FC00000.
//!
//! Usage: `globalpool-firmware-gen <out/cases.h>`

use std::fmt::Write as _;

use globalpool::{Isa, Layout, Pooler, Shape};

/// Deterministic xorshift64* generator: the data is the same on every run and machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    /// True with probability `per_mille / 1000`.
    fn chance(&mut self, per_mille: u64) -> bool {
        self.below(1000) < per_mille
    }
    fn sign(&mut self) -> u32 {
        (self.next() as u32) & 0x8000_0000
    }
}

/// What the values of a generated case look like.
#[derive(Clone, Copy)]
enum Mix {
    /// Normal numbers of mixed signs and magnitudes (2^-20 .. 2^20); no specials.
    Normal,
    /// Mostly normal, with the given per-mille rate of specials: NaNs of both signs with
    /// payloads (quiet and signalling), +-inf, +-0, subnormals, huge values (sums overflow).
    Specials(u64),
    /// Only subnormals and zeros of both signs (sums of subnormals stay exact or round at the
    /// smallest scale).
    Subnormal,
    /// Large values that nearly cancel, plus small ones: the summation order shows in the bits.
    Cancel,
}

fn normal(rng: &mut Rng, min_exp: i32, max_exp: i32) -> u32 {
    let span = (max_exp - min_exp + 1) as u64;
    let exp = (min_exp + rng.below(span) as i32 + 127) as u32;
    rng.sign() | (exp << 23) | (rng.next() as u32 & 0x7F_FFFF)
}

fn special(rng: &mut Rng) -> u32 {
    let s = rng.sign();
    match rng.below(9) {
        // NaN: quiet or signalling, with a non-zero payload.
        0 => s | 0x7FC0_0000 | (rng.next() as u32 & 0x3F_FFFF),
        1 => s | 0x7F80_0000 | (1 + rng.below(0x3F_FFFF) as u32),
        2 => s | 0x7F80_0000,                           // +-inf
        3 | 4 => s,                                     // +-0
        5 | 6 => s | (1 + rng.below(0x7F_FFFF) as u32), // subnormal
        7 => s | 0x7F7F_FFFF,                           // +-FLT_MAX
        _ => normal(rng, 120, 127),                     // huge
    }
}

fn value(rng: &mut Rng, mix: Mix) -> u32 {
    match mix {
        Mix::Normal => normal(rng, -20, 20),
        Mix::Specials(rate) => {
            if rng.chance(rate) {
                special(rng)
            } else {
                normal(rng, -20, 20)
            }
        }
        Mix::Subnormal => {
            if rng.chance(100) {
                rng.sign()
            } else {
                rng.sign() | (1 + rng.below(0x7F_FFFF) as u32)
            }
        }
        Mix::Cancel => {
            if rng.chance(500) {
                normal(rng, 20, 24)
            } else {
                normal(rng, -10, 0)
            }
        }
    }
}

/// Hand-made 8 channels of 4 values (read as NCHW; NHWC reads the same bits transposed).
fn crafted() -> Vec<u32> {
    const NZ: u32 = 0x8000_0000; // -0.0
    const PZ: u32 = 0x0000_0000; // +0.0
    const PINF: u32 = 0x7F80_0000;
    const NINF: u32 = 0xFF80_0000;
    const ONE: u32 = 0x3F80_0000;
    const TWO: u32 = 0x4000_0000;
    const MAX: u32 = 0x7F7F_FFFF;
    #[rustfmt::skip]
    let channels = vec![
        NZ, NZ, NZ, NZ,                                     // all -0: sum -0, max -0, min -0
        PZ, NZ, NZ, NZ,                                     // one +0: sum +0, max +0, min -0
        PINF, NINF, ONE, TWO,                               // sum NaN, max +inf, min -inf
        0xFFA1_2345, ONE, TWO, PINF,                        // negative signalling NaN: all NaN
        0x0000_0001, 0x8000_0003, 0x007F_FFFF, 0x0000_0002, // subnormals, exact sum
        MAX, MAX, MAX, MAX,                                 // sum overflows to +inf
        ONE, 0x7FC0_0001, NINF, NZ,                         // positive quiet NaN with payload
        0x3DCC_CCCD, 0x3E4C_CCCD, 0x3E99_999A, 0xBF80_0000, // 0.1 + 0.2 + 0.3 - 1
    ];
    channels
}

struct Case {
    name: String,
    shape: Shape,
    /// Offset of the input in the input pool (in elements).
    input: usize,
    /// Expected outputs: `[layout][op]`, offsets into the output pool.
    expected: [[usize; 4]; 2],
}

const LAYOUTS: [Layout; 2] = [Layout::Nchw, Layout::Nhwc];
const OPS: [&str; 4] = ["sum", "avg", "max", "min"];

fn run(p: Pooler, op: usize, input: &[f32], shape: Shape, layout: Layout) -> Vec<u32> {
    let mut out = vec![f32::from_bits(0xDEAD_BEEF); shape.batch * shape.channels];
    let r = match op {
        0 => p.sum(input, shape, layout, &mut out),
        1 => p.avg(input, shape, layout, &mut out),
        2 => p.max(input, shape, layout, &mut out),
        _ => p.min(input, shape, layout, &mut out),
    };
    r.unwrap_or_else(|e| panic!("host {op} failed: {e}"));
    out.iter().map(|x| x.to_bits()).collect()
}

fn main() {
    let out_path = std::env::args()
        .nth(1)
        .expect("usage: globalpool-firmware-gen <cases.h>");
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);

    // (batch, channels, spatial, mix): both layouts run on the same input bits.
    let shapes: &[(usize, usize, usize, Mix)] = &[
        (1, 1, 1, Mix::Specials(300)),
        (2, 3, 4, Mix::Specials(150)),
        (1, 16, 49, Mix::Normal), // a 7x7 CNN head
        (1, 5, 37, Mix::Specials(8)),
        (1, 8, 196, Mix::Specials(3)), // 14x14
        (2, 3, 64, Mix::Subnormal),
        (1, 64, 9, Mix::Specials(40)),
        (3, 7, 5, Mix::Specials(60)),
        (1, 9, 300, Mix::Cancel), // NHWC with >= 8 channels: blocks of 256 rows
        (1, 1, 4200, Mix::Cancel), // NCHW: more than one 4096-value block
        (2, 2, 600, Mix::Normal), // NHWC, 2 channels: blocks of 512 rows
        (1, 3, 17, Mix::Specials(500)),
    ];

    let mut in_pool: Vec<u32> = Vec::new();
    let mut out_pool: Vec<u32> = Vec::new();
    let mut cases: Vec<Case> = Vec::new();

    let detected = Pooler::detect();
    let others: Vec<Pooler> = Isa::ALL
        .iter()
        .filter_map(|&i| Pooler::with_isa(i))
        .collect();

    let mut add = |name: String, shape: Shape, bits: Vec<u32>| {
        let input_off = in_pool.len();
        let input: Vec<f32> = bits.iter().map(|&b| f32::from_bits(b)).collect();
        in_pool.extend_from_slice(&bits);
        let mut expected = [[0usize; 4]; 2];
        for (li, &layout) in LAYOUTS.iter().enumerate() {
            for op in 0..4 {
                let want = run(detected, op, &input, shape, layout);
                for p in &others {
                    let got = run(*p, op, &input, shape, layout);
                    assert!(
                        got == want,
                        "{name} {layout:?} {}: path {} differs from {}",
                        OPS[op],
                        p.isa(),
                        detected.isa()
                    );
                }
                for &w in &want {
                    let f = f32::from_bits(w);
                    assert!(
                        !f.is_nan() || w == 0x7FC0_0000,
                        "{name}: non-canonical NaN {w:#x}"
                    );
                }
                expected[li][op] = out_pool.len();
                out_pool.extend_from_slice(&want);
            }
        }
        cases.push(Case {
            name,
            shape,
            input: input_off,
            expected,
        });
    };

    add("crafted 1x8x4".into(), Shape::new(1, 8, 4), crafted());
    for &(b, c, s, mix) in shapes {
        let bits: Vec<u32> = (0..b * c * s).map(|_| value(&mut rng, mix)).collect();
        add(format!("{b}x{c}x{s}"), Shape::new(b, c, s), bits);
    }

    let max_in = cases
        .iter()
        .map(|c| c.shape.batch * c.shape.channels * c.shape.spatial)
        .max();
    let max_out = cases.iter().map(|c| c.shape.batch * c.shape.channels).max();

    let mut h = String::new();
    let _ = writeln!(
        h,
        "/* Generated by tests/firmware/gen (host: {} path, cross-checked against {:?}). Do not edit. */",
        detected.isa(),
        others.iter().map(|p| p.isa().name()).collect::<Vec<_>>()
    );
    h.push_str("#ifndef GP_CASES_H\n#define GP_CASES_H\n#include <stdint.h>\n\n");
    h.push_str(
        "typedef struct {\n    const char *name;\n    uint32_t batch, channels, spatial;\n    \
         uint32_t input;            /* offset in gp_in_bits */\n    \
         uint32_t expected[2][4];   /* [NCHW, NHWC][sum, avg, max, min]: offsets in gp_out_bits */\n\
         } gp_case;\n\n",
    );
    let _ = writeln!(h, "#define GP_NUM_CASES {}", cases.len());
    let _ = writeln!(h, "#define GP_MAX_INPUT {}", max_in.unwrap_or(0));
    let _ = writeln!(h, "#define GP_MAX_OUTPUT {}", max_out.unwrap_or(0));
    let _ = writeln!(h, "#define GP_HOST_ISA \"{}\"\n", detected.isa());
    let pool = |h: &mut String, name: &str, v: &[u32]| {
        let _ = writeln!(h, "static const uint32_t {name}[{}] = {{", v.len());
        for chunk in v.chunks(8) {
            h.push_str("   ");
            for w in chunk {
                let _ = write!(h, " 0x{w:08X}u,");
            }
            h.push('\n');
        }
        h.push_str("};\n\n");
    };
    pool(&mut h, "gp_in_bits", &in_pool);
    pool(&mut h, "gp_out_bits", &out_pool);
    h.push_str("static const gp_case gp_cases[GP_NUM_CASES] = {\n");
    for c in &cases {
        let e = &c.expected;
        let _ = writeln!(
            h,
            "    {{\"{}\", {}u, {}u, {}u, {}u, {{{{{}u, {}u, {}u, {}u}}, {{{}u, {}u, {}u, {}u}}}}}},",
            c.name,
            c.shape.batch,
            c.shape.channels,
            c.shape.spatial,
            c.input,
            e[0][0],
            e[0][1],
            e[0][2],
            e[0][3],
            e[1][0],
            e[1][1],
            e[1][2],
            e[1][3]
        );
    }
    h.push_str("};\n\n#endif /* GP_CASES_H */\n");

    // Write only when the contents change, so that make-like reruns stay quiet.
    if std::fs::read_to_string(&out_path).ok().as_deref() != Some(h.as_str()) {
        std::fs::write(&out_path, &h).unwrap_or_else(|e| panic!("writing {out_path}: {e}"));
    }
    eprintln!(
        "cases.h: {} cases, {} input + {} output words ({} bytes of data)",
        cases.len(),
        in_pool.len(),
        out_pool.len(),
        4 * (in_pool.len() + out_pool.len())
    );
}
