//! Every path against the scalar reference, bit for bit: quickcheck over arbitrary shapes,
//! values (NaN of any sign and payload, ±inf, ±0, subnormals, ±f32::MAX) and slice alignments,
//! plus an exhaustive sweep of the shapes where tails and tile edges change.

mod common;

use common::{LAYOUTS, OPS, Op, bits, compare_all, fresh, paths, run, scalar, values};
use globalpool::{Isa, Layout, Pooler, Shape};
use quickcheck::{Arbitrary, Gen, TestResult};

const PRIMES: [usize; 12] = [2, 3, 5, 7, 11, 13, 31, 61, 127, 251, 509, 4099];

/// One random call: shape, seed of the values, rate of special values, slice offset.
#[derive(Clone, Debug)]
struct Case {
    batch: usize,
    channels: usize,
    spatial: usize,
    seed: u64,
    special_per_mille: u64,
    offset: usize,
}

/// Cap on `batch * channels * spatial`, so that a hundred cases stay quick.
const MAX_LEN: usize = 200_000;

impl Arbitrary for Case {
    fn arbitrary(g: &mut Gen) -> Case {
        let pick = |g: &mut Gen, n: usize| usize::arbitrary(g) % n;
        let spatial = match pick(g, 4) {
            0 => *g
                .choose(&[1, 2, 3, 4, 7, 49, 196, 255, 256, 257, 4095, 4096, 4097])
                .unwrap(),
            1 => 1 + pick(g, 70),
            2 => *g.choose(&PRIMES).unwrap(),
            _ => 1 + pick(g, 5000),
        };
        let mut channels = match pick(g, 3) {
            0 => pick(g, 9),
            1 => pick(g, 70),
            _ => pick(g, 301),
        };
        let batch = pick(g, 4);
        while batch * channels * spatial > MAX_LEN {
            channels /= 2;
        }
        Case {
            batch,
            channels,
            spatial,
            seed: u64::arbitrary(g),
            special_per_mille: *g.choose(&[0, 0, 1, 20, 300]).unwrap(),
            offset: pick(g, 16),
        }
    }

    fn shrink(&self) -> Box<dyn Iterator<Item = Case>> {
        let c = self.clone();
        let smaller = [
            Case {
                batch: c.batch / 2,
                ..c.clone()
            },
            Case {
                channels: c.channels / 2,
                ..c.clone()
            },
            Case {
                channels: c.channels.saturating_sub(1),
                ..c.clone()
            },
            Case {
                spatial: (c.spatial / 2).max(1),
                ..c.clone()
            },
            Case {
                spatial: (c.spatial - 1).max(1),
                ..c.clone()
            },
            Case {
                offset: 0,
                ..c.clone()
            },
            Case {
                special_per_mille: 0,
                ..c.clone()
            },
        ];
        Box::new(smaller.into_iter().filter(move |s| {
            (
                s.batch,
                s.channels,
                s.spatial,
                s.offset,
                s.special_per_mille,
            ) != (
                c.batch,
                c.channels,
                c.spatial,
                c.offset,
                c.special_per_mille,
            )
        }))
    }
}

fn check(case: Case) -> TestResult {
    let shape = Shape::new(case.batch, case.channels, case.spatial);
    let n = shape.input_len().unwrap();
    // The values sit at a varying offset in a larger buffer: alignment must not matter.
    let buffer = values(case.seed, n + case.offset, case.special_per_mille);
    match compare_all(&buffer[case.offset..], shape) {
        Ok(()) => TestResult::passed(),
        Err(e) => TestResult::error(e),
    }
}

#[test]
fn every_path_matches_scalar_bitwise() {
    common::qc(150).quickcheck(check as fn(Case) -> TestResult);
}

/// Spatial sizes and channel counts around every vector width, tile width and block size
/// (under emulation every fourth pair: each size still with six channel counts and each channel
/// count with eight sizes).
#[test]
fn edge_shapes_match_scalar_bitwise() {
    let spatials = [
        1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 49, 63, 64, 65, 127, 128, 129, 196, 255,
        256, 257, 1023, 1025, 4095, 4096, 4097, 8191, 8193,
    ];
    let channels = [
        1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 15, 16, 17, 23, 24, 31, 32, 33, 47, 48, 63, 64, 65, 80,
    ];
    let mut failures = Vec::new();
    let step = if common::emulated() { 4 } else { 1 };
    for (i, &s) in spatials.iter().enumerate() {
        for (j, &c) in channels.iter().enumerate() {
            if (i + j) % step != 0 {
                continue;
            }
            for special in [0, 30] {
                let shape = Shape::new(2, c, s);
                let x = values((s * 131 + c) as u64 ^ special, 2 * c * s, special);
                if let Err(e) = compare_all(&x, shape) {
                    failures.push(e);
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} mismatches, first: {}",
        failures.len(),
        failures[0]
    );
}

/// NHWC rows long enough for several blocks on the flat path (channels < 8) and the tile path.
#[test]
fn multi_block_nhwc_matches_scalar_bitwise() {
    for c in [1, 2, 3, 5, 6, 7, 8, 9, 20] {
        let s = 1024 * 3 + 17;
        let x = values(c as u64, c * s, 5);
        compare_all(&x, Shape::new(1, c, s)).unwrap();
    }
}

/// A channel's result does not depend on where it sits in the tensor: the same channel data
/// placed at every channel position of a batch gives the same bits.
#[test]
fn result_independent_of_position() {
    for (channels, spatial) in [(19, 49), (37, 5), (5, 300), (33, 4100)] {
        let column = values(7, spatial, 20);
        for layout in LAYOUTS {
            let shape = Shape::new(2, channels, spatial);
            let mut input = vec![0.0f32; 2 * channels * spatial];
            for b in 0..2 {
                for c in 0..channels {
                    for (s, &v) in column.iter().enumerate() {
                        let i = match layout {
                            globalpool::Layout::Nchw => (b * channels + c) * spatial + s,
                            globalpool::Layout::Nhwc => (b * spatial + s) * channels + c,
                        };
                        input[i] = v;
                    }
                }
            }
            for p in paths() {
                for op in OPS {
                    let mut out = vec![0.0f32; 2 * channels];
                    run(p, op, &input, shape, layout, &mut out);
                    let first = out[0].to_bits();
                    assert!(
                        bits(&out).iter().all(|&b| b == first),
                        "{:?} {op:?} {layout:?}: {out:?}",
                        p.isa()
                    );
                }
            }
        }
    }
}

#[test]
fn scalar_and_portable_always_available() {
    assert_eq!(scalar().isa(), Isa::Scalar);
    assert!(globalpool::Pooler::with_isa(Isa::Portable).is_some());
    assert!(paths().len() >= 2);
}

/// NHWC channel counts past every path's chunk width (64 to 1024 channels), so that chunk
/// boundaries and the partial last chunk are crossed on every path.
#[test]
fn wide_nhwc_chunks_match_scalar_bitwise() {
    for c in [65, 257, 513, 1025, 1100, 2049] {
        for s in [1, 3, 33, 70] {
            let x = values((c * 7 + s) as u64, c * s, 10);
            compare_all(&x, Shape::new(1, c, s)).unwrap();
        }
    }
}

/// NHWC inputs of at most 1 MiB whose rows are a whole number of 4 KiB pages (1024, 2048 or
/// 3072 channels), which the x86 paths read in groups of rows across 1024 channels at a time:
/// one row, whole and partial groups and blocks, batches of two, rows of zeros of either sign,
/// at several alignments.
#[test]
fn page_stride_nhwc_rows_match_scalar_bitwise() {
    for (c, rows) in [
        (1024, 1),
        (1024, 7),
        (1024, 8),
        (1024, 9),
        (1024, 33),
        (1024, 49),
        (1024, 65),
        (1024, 100),
        (2048, 2),
        (2048, 31),
        (2048, 32),
        (2048, 49),
        (3072, 17),
        (3072, 41),
    ] {
        for batch in [1, 2] {
            let n = batch * c * rows;
            let mut x = values((c * 1000 + rows + batch) as u64, n + 16, 30);
            for (k, v) in x.iter_mut().enumerate() {
                match (k / c) % 5 {
                    2 if k % 3 == 0 => *v = -0.0,
                    4 => *v = if k % c == 7 { 0.0 } else { -0.0 },
                    _ => {}
                }
            }
            for offset in [0, 1, 4, 15] {
                compare_all(&x[offset..offset + n], Shape::new(batch, c, rows)).unwrap();
            }
        }
    }
}

/// NCHW inputs of short rows between 16 KiB and 1 MiB, which the AVX-512 path reads as the
/// aligned vectors the rows overlap (rows of 49, 65, 81, 97 or 196 values a whole group of rows
/// at once; rows of whole vectors from an aligned start from their starts), at every alignment,
/// with whole and partial groups of rows, special values, and rows of zeros of either sign (a
/// sum of only `-0.0` is `-0.0`). (From 16 KiB on Intel CPUs, `Kernels::ext_streams`: rows one
/// or four values past whole vectors, and sums of rows of ten vectors or more; the rest from
/// 64 KiB.)
#[test]
fn cached_short_nchw_rows_match_scalar_bitwise() {
    for len in [48, 49, 50, 52, 64, 65, 81, 97, 113, 128, 161, 180, 196, 255] {
        for rows in [
            32,
            4 * 1024 / len / 16 * 16 + 32,
            4 * 1024 / len + 37,
            16 * 1024 / len / 16 * 16 + 16,
            16 * 1024 / len + 37,
        ] {
            let n = rows * len;
            let mut x = values((len * 1000 + rows) as u64, n + 16, 30);
            // Rows of `-0.0`, and of `-0.0` with one `+0.0`.
            for (k, v) in x.iter_mut().enumerate() {
                match (k / len) % 7 {
                    3 => *v = -0.0,
                    5 => *v = if k % len == len / 2 { 0.0 } else { -0.0 },
                    _ => {}
                }
            }
            for offset in 0..16 {
                compare_all(&x[offset..offset + n], Shape::new(1, rows, len)).unwrap();
            }
        }
    }
}

/// NHWC inputs between 1 MiB and 64 MiB, which the tile paths read a group of rows at a time
/// over all channels (smaller ones: one column of channels at a time over all rows), on and off
/// a vector boundary.
#[test]
fn mid_size_nhwc_inputs_match_scalar_bitwise() {
    for (c, s) in [
        (72, 3700),
        (1040, 300),
        (256, 1100),
        (96, 2800),
        (224, 1200),
    ] {
        assert!(c * s * 4 > 1 << 20);
        let x = values((c * s) as u64, c * s + 16, 40);
        compare_all(&x[..c * s], Shape::new(1, c, s)).unwrap();
        compare_all(&x[1..=c * s], Shape::new(1, c, s)).unwrap();
        // On a 64-byte boundary: AVX-512 sums rows of 96, 224 and 256 channels as one tile.
        let a = x.as_ptr().align_offset(64);
        compare_all(&x[a..a + c * s], Shape::new(1, c, s)).unwrap();
    }
}

/// Special values without NaNs for the max / min tests, in rows of `c` values: the first
/// `zeros` values of a row only signed zeros, the others at 3 per mille infinities, subnormals,
/// ±f32::MAX or `-0.0`.
fn extreme_specials(x: &mut [f32], c: usize, zeros: usize, seed: u64) {
    let mut rng = common::Rng(seed);
    for (i, v) in x.iter_mut().enumerate() {
        if i % c < zeros {
            *v = if rng.below(2) == 0 { 0.0 } else { -0.0 };
        } else if rng.below(1000) < 3 {
            *v = match rng.below(6) {
                0 => f32::INFINITY,
                1 => f32::NEG_INFINITY,
                2 => f32::from_bits(rng.next_u64() as u32 & 0x807F_FFFF),
                3 => f32::MAX,
                4 => f32::MIN,
                _ => -0.0,
            };
        }
    }
}

/// AVX-512 max / min over rows of an even number of channel vectors up to 16 (here 32 to 256
/// channels) past the L2 cache, on a 64-byte boundary: plain states with shared NaN checks, and
/// a 32-row group that holds a NaN redone with the exact states. Without NaNs (signed zeros,
/// infinities, subnormals, ±f32::MAX: the plain states must order them exactly), then with a
/// quiet or signalling NaN in the first, a middle or the last row of a group, one at a time
/// and all together.
#[test]
fn wide_nhwc_extremes_match_scalar_bitwise() {
    for c in [256, 224, 96, 32] {
        let s = ((1 << 20) / (4 * c) + 100).max(1100);
        let shape = Shape::new(1, c, s);
        let mut x = values(99, c * s + 16, 0);
        let a = x.as_ptr().align_offset(64);
        let img = &mut x[a..a + c * s];
        extreme_specials(img, c, 16, 5);
        // Channel 3 all -0.0 but one +0.0, channel 4 all +0.0 but one -0.0.
        for r in 0..s {
            img[r * c + 3] = -0.0;
            img[r * c + 4] = 0.0;
        }
        img[517 * c + 3] = 0.0;
        img[30 * c + 4] = -0.0;
        compare_all(img, shape).unwrap();
        let nans = [
            (64, 5, f32::NAN),
            (500, c - 1, f32::from_bits(0xFF80_0001)),
            (s - 1, c / 2, -f32::NAN),
        ];
        for &(r, ch, nan) in &nans {
            let keep = img[r * c + ch];
            img[r * c + ch] = nan;
            compare_all(img, shape).unwrap();
            img[r * c + ch] = keep;
        }
        for &(r, ch, nan) in &nans {
            img[r * c + ch] = nan;
        }
        compare_all(img, shape).unwrap();
    }
}

/// NHWC `max` and `min` of every path against the scalar reference, bit for bit, every call in
/// a thread of its own (`fresh`), so that it starts with the CPU's sticky invalid-operation flag
/// clear: the sums of `compare_all` set it on an input with both infinities, and the loops that
/// learn of NaNs from it are then skipped. The caller's thread must not set the flag itself.
fn compare_extremes_fresh(input: &[f32], shape: Shape) {
    let n = shape.output_len().unwrap();
    let call = |p: Pooler, op: Op| {
        fresh(|| {
            let mut out = vec![1234.5f32; n];
            run(p, op, input, shape, Layout::Nhwc, &mut out);
            bits(&out)
        })
    };
    for op in [Op::Max, Op::Min] {
        let want = call(scalar(), op);
        for p in paths() {
            let got = call(p, op);
            if let Some(i) = (0..n).find(|&i| got[i] != want[i]) {
                panic!(
                    "{:?} {op:?} {shape:?}: output {i}: {:#010x} vs scalar {:#010x}",
                    p.isa(),
                    got[i],
                    want[i]
                );
            }
        }
    }
}

/// AVX-512 max / min over NHWC inputs in the caches of whole columns of 256 channels, which
/// Intel CPUs reduce by the plain `vmaxps` / `vminps` and redo by the exact steps when a NaN or
/// a zero comes out: signed zeros (channels 0-15 only zeros, so that column is redone),
/// infinities, subnormals and ±f32::MAX, then a quiet or a signalling NaN, on and off a vector
/// boundary, with channels after the last whole column (see `compare_extremes_fresh`); then
/// images of fewer than eight channels, which take the same loop over one flat run of values.
#[test]
fn cached_nhwc_extremes_match_scalar_bitwise() {
    for (c, s) in [
        (256, 49),
        (512, 196),
        (300, 49),
        (1280, 49),
        (560, 7),
        (1, 50_176),
        (3, 3136),
        (4, 12_544),
        (7, 2000),
    ] {
        let mut x = values((c + s) as u64, c * s + 16, 0);
        // Flat images get no column of zeros (their whole run would be redone).
        let zeros = if c >= 16 { 16 } else { 0 };
        extreme_specials(&mut x, c, zeros, 7);
        let a = x.as_ptr().align_offset(64);
        for offset in [a, a + 1, a + 4] {
            let shape = Shape::new(1, c, s);
            fresh(|| compare_all(&x[offset..offset + c * s], shape)).unwrap();
            compare_extremes_fresh(&x[offset..offset + c * s], shape);
            for (r, ch, nan) in [
                (s / 2, 40 % c, f32::NAN),
                (s - 1, c - 1, f32::from_bits(0xFF80_0001)),
            ] {
                let i = offset + r * c + ch;
                let keep = x[i];
                x[i] = nan;
                fresh(|| compare_all(&x[offset..offset + c * s], shape)).unwrap();
                compare_extremes_fresh(&x[offset..offset + c * s], shape);
                x[i] = keep;
            }
        }
    }
}

/// NHWC inputs over 64 MiB, which the grouping paths read one row per group (the order stays
/// the canonical one), with the last block and chunk partial.
#[test]
fn large_nhwc_inputs_match_scalar_bitwise() {
    let (c, s) = (520, 32_275);
    let shape = Shape::new(1, c, s);
    assert!(shape.input_len().unwrap() * 4 > 64 << 20);
    let x = values((c + s) as u64, c * s, 40);
    compare_all(&x, shape).unwrap();
}
