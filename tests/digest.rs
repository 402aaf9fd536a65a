//! One number for "the same bits everywhere": an FNV-1a digest of the output bits of every op and
//! layout over a fixed, seeded set of shapes and values (special values included). Every path on
//! every CPU must produce the constant below; on aarch64 (under qemu) as on x86-64.
//!
//! The values come from integer arithmetic and exact float operations only (no `ln`, `cos`, ...,
//! whose last bits may differ between platform math libraries).

mod common;

use common::{LAYOUTS, OPS, paths, run};
use globalpool::Shape;

/// The digest every path must give. If a deliberate change of the canonical order changes it,
/// update it here and say so in the commit message.
const EXPECTED: u64 = 0xb193_b38e_d4c3_a17d;

fn fnv1a(hash: &mut u64, bits: u32) {
    for b in bits.to_le_bytes() {
        *hash ^= b as u64;
        *hash = hash.wrapping_mul(0x0000_0100_0000_01B3);
    }
}

/// Deterministic values from a xorshift generator: small integers, dyadic fractions, wide
/// exponents, and specials.
fn values(seed: u64, n: usize) -> Vec<f32> {
    let mut s = seed | 1;
    let mut next = move || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        s
    };
    (0..n)
        .map(|_| {
            let r = next();
            match r % 64 {
                0 => f32::from_bits(0x7F80_0000 | (r >> 20) as u32 & 0x807F_FFFF | 1), // NaN
                1 => f32::INFINITY,
                2 => f32::NEG_INFINITY,
                3 => -0.0,
                4 => f32::from_bits((r >> 16) as u32 & 0x807F_FFFF), // subnormal
                5 => f32::MAX,
                6..=25 => ((r >> 8) % 201) as f32 - 100.0,
                26..=45 => ((r >> 8) % (1 << 24)) as f32 / (1 << 20) as f32 - 8.0,
                _ => {
                    let m = ((r >> 8) % (1 << 23)) as u32;
                    let e = ((r >> 40) % 60) as u32 + 97; // 2^-30 .. 2^29
                    f32::from_bits(((r >> 63) as u32) << 31 | e << 23 | m)
                }
            }
        })
        .collect()
}

fn digest(p: globalpool::Pooler) -> u64 {
    let mut hash = 0xCBF2_9CE4_8422_2325u64;
    let shapes = [
        (1, 1, 1),
        (2, 3, 49),
        (1, 7, 196),
        (1, 16, 5),
        (3, 33, 17),
        (1, 64, 64),
        (1, 9, 4097),
        (1, 1, 12_544),
        (2, 130, 31),
        (1, 5, 3000),
    ];
    for (i, &(b, c, s)) in shapes.iter().enumerate() {
        let shape = Shape::new(b, c, s);
        let x = values(0x5EED + i as u64, b * c * s);
        // Values without specials too, so that finite sums reach the digest.
        let finite: Vec<f32> = x
            .iter()
            .map(|v| if v.is_finite() { *v } else { 0.5 })
            .collect();
        for input in [&x, &finite] {
            for layout in LAYOUTS {
                for op in OPS {
                    let mut out = vec![0.0f32; b * c];
                    run(p, op, input, shape, layout, &mut out);
                    out.iter().for_each(|v| fnv1a(&mut hash, v.to_bits()));
                }
            }
        }
    }
    hash
}

#[test]
fn every_path_gives_the_expected_digest() {
    for p in paths() {
        let d = digest(p);
        println!("{:9} digest {d:#018x}", p.isa().name());
        assert_eq!(d, EXPECTED, "{:?} gives digest {d:#018x}", p.isa());
    }
}
