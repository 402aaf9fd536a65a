//! A small subset for Miri (`cargo +nightly miri test --test miri`): every path this build can
//! run, every op and layout, on shapes that reach every tail, tile and fold of the kernels, with
//! special values. Miri checks the kernels' pointer arithmetic and masked loads for undefined
//! behaviour; the results are compared with the scalar reference bit for bit.
//!
//! Under Miri the x86 paths are those the build enables: SSE2 by default, AVX2 with
//! `RUSTFLAGS="-C target-feature=+avx2"`. (Miri cannot run some AVX-512 intrinsics, such as
//! `vmaxps zmm`; the AVX-512 path is run by `tests/avx512-emu/` instead.)

mod common;

use common::{compare_all, values};
use globalpool::Shape;

#[test]
fn small_shapes_every_path() {
    let shapes = [
        (1, 1, 1),
        (2, 3, 5),
        (1, 5, 17),
        (1, 7, 33),
        (1, 9, 3),
        (1, 17, 2),
        (2, 2, 49),
        (1, 20, 9),
        (1, 1, 70),
        (1, 33, 1),
    ];
    for (i, &(b, c, s)) in shapes.iter().enumerate() {
        let x = values(i as u64, b * c * s, 100);
        compare_all(&x, Shape::new(b, c, s)).unwrap();
    }
}

/// One row longer than an NCHW block, and NHWC columns longer than a tile block and than a
/// superblock.
#[test]
fn multi_block() {
    let x = values(11, 4100, 5);
    compare_all(&x, Shape::new(1, 1, 4100)).unwrap();
    let x = values(12, 8 * 40, 5);
    compare_all(&x, Shape::new(1, 8, 40)).unwrap();
    // Two NHWC superblocks (256 rows each): the running totals go through memory once.
    let x = values(13, 9 * 300, 5);
    compare_all(&x, Shape::new(1, 9, 300)).unwrap();
    let run: Vec<_> = common::paths().iter().map(|p| p.isa().name()).collect();
    println!("paths checked: {run:?}");
}

#[test]
fn errors_do_not_touch_memory() {
    let p = globalpool::Pooler::detect();
    let mut out = [0.0f32; 2];
    assert!(
        p.avg(
            &[1.0; 3],
            Shape::new(1, 2, 2),
            globalpool::Layout::Nchw,
            &mut out
        )
        .is_err()
    );
    assert!(
        p.max(&[], Shape::new(1, 2, 0), globalpool::Layout::Nhwc, &mut out)
            .is_err()
    );
}

/// The integer kernels (`i8`, `u8`, `i16`), every op and layout, on shapes that reach the masked
/// row tails, the super-rows of narrow NHWC tensors and the stack-copied last vectors.
#[test]
fn integer_shapes_every_path() {
    use globalpool::{Layout, Pooler, QuantMean, Rounding};

    fn check<T: globalpool::Element<Sum = i32> + Copy + PartialEq + std::fmt::Debug>(
        x: &[T],
        shape: Shape,
        q: &QuantMean,
    ) {
        let scalar = Pooler::with_isa(globalpool::Isa::Scalar).unwrap();
        let n = shape.output_len().unwrap();
        for layout in [Layout::Nchw, Layout::Nhwc] {
            let mut want_s = vec![0i32; n];
            scalar.sum(x, shape, layout, &mut want_s).unwrap();
            let mut want = vec![vec![x[0]; n]; 4];
            scalar.avg(x, shape, layout, &mut want[0]).unwrap();
            scalar.max(x, shape, layout, &mut want[1]).unwrap();
            scalar.min(x, shape, layout, &mut want[2]).unwrap();
            scalar
                .mean_quantized(x, shape, layout, q, &mut want[3])
                .unwrap();
            for p in common::paths() {
                let mut s = vec![0i32; n];
                p.sum(x, shape, layout, &mut s).unwrap();
                assert_eq!(s, want_s, "{:?} sum {layout:?} {shape:?}", p.isa());
                let mut got = vec![vec![x[0]; n]; 4];
                p.avg(x, shape, layout, &mut got[0]).unwrap();
                p.max(x, shape, layout, &mut got[1]).unwrap();
                p.min(x, shape, layout, &mut got[2]).unwrap();
                p.mean_quantized(x, shape, layout, q, &mut got[3]).unwrap();
                assert_eq!(got, want, "{:?} {layout:?} {shape:?}", p.isa());
            }
        }
    }
    let q = QuantMean::new(0.1, 3, 0.05, 4, Rounding::Double).unwrap();
    for (i, &(b, c, s)) in [
        (1, 1, 1),
        (2, 3, 5),
        (1, 5, 17),
        (1, 2, 49),
        (1, 70, 2),
        (1, 1, 70),
    ]
    .iter()
    .enumerate()
    {
        let shape = Shape::new(b, c, s);
        let v = values(100 + i as u64, b * c * s, 0);
        let bytes: Vec<u8> = v.iter().map(|f| f.to_bits() as u8).collect();
        let i8s: Vec<i8> = bytes.iter().map(|&u| u as i8).collect();
        let i16s: Vec<i16> = v.iter().map(|f| f.to_bits() as i16).collect();
        check(&bytes, shape, &q);
        check(&i8s, shape, &q);
        check(&i16s, shape, &q);
    }
}
