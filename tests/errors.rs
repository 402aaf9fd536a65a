//! Every error case, on every path and for every op: the right error, the exact numbers, and an
//! untouched output.

mod common;

use common::{LAYOUTS, paths};
use globalpool::{Error, Layout, Pooler, Shape};

fn all_ops(
    p: Pooler,
    input: &[f32],
    shape: Shape,
    layout: Layout,
    output: &mut [f32],
) -> [Result<(), Error>; 4] {
    [
        p.sum(input, shape, layout, output),
        p.avg(input, shape, layout, output),
        p.max(input, shape, layout, output),
        p.min(input, shape, layout, output),
    ]
}

/// Runs every op on every path and layout; each must return `want` and leave `output` alone.
fn expect(input: &[f32], shape: Shape, output_len: usize, want: Result<(), Error>) {
    for p in paths() {
        for layout in LAYOUTS {
            let mut output = vec![42.0f32; output_len];
            for got in all_ops(p, input, shape, layout, &mut output) {
                assert_eq!(got, want, "{:?} {layout:?} {shape:?}", p.isa());
            }
            if want.is_err() || output_len == 0 {
                assert!(output.iter().all(|&v| v == 42.0), "output written on error");
            }
        }
    }
}

#[test]
fn wrong_lengths() {
    let x = [1.0f32; 24];
    expect(
        &x[..23],
        Shape::new(2, 3, 4),
        6,
        Err(Error::InputLength {
            expected: 24,
            actual: 23,
        }),
    );
    expect(
        &x,
        Shape::new(2, 3, 3),
        6,
        Err(Error::InputLength {
            expected: 18,
            actual: 24,
        }),
    );
    expect(
        &x,
        Shape::new(2, 3, 4),
        5,
        Err(Error::OutputLength {
            expected: 6,
            actual: 5,
        }),
    );
    expect(
        &x,
        Shape::new(2, 3, 4),
        7,
        Err(Error::OutputLength {
            expected: 6,
            actual: 7,
        }),
    );
    expect(
        &[],
        Shape::new(1, 1, 1),
        1,
        Err(Error::InputLength {
            expected: 1,
            actual: 0,
        }),
    );
}

#[test]
fn empty_spatial() {
    expect(&[], Shape::new(2, 3, 0), 6, Err(Error::EmptySpatial));
    expect(&[], Shape::new(1, 1, 0), 1, Err(Error::EmptySpatial));
    // Lengths are checked first.
    expect(
        &[],
        Shape::new(1, 1, 0),
        2,
        Err(Error::OutputLength {
            expected: 1,
            actual: 2,
        }),
    );
}

#[test]
fn nothing_to_do() {
    expect(&[], Shape::new(0, 3, 4), 0, Ok(()));
    expect(&[], Shape::new(3, 0, 4), 0, Ok(()));
    expect(&[], Shape::new(0, 0, 0), 0, Ok(()));
    expect(&[], Shape::new(0, 5, 0), 0, Ok(()));
    expect(
        &[1.0],
        Shape::new(0, 3, 4),
        0,
        Err(Error::InputLength {
            expected: 0,
            actual: 1,
        }),
    );
}

#[test]
fn shape_overflow() {
    let big = usize::MAX / 2 + 1;
    expect(&[], Shape::new(big, 2, 1), 0, Err(Error::ShapeOverflow));
    expect(&[], Shape::new(1, big, 2), 0, Err(Error::ShapeOverflow));
    expect(
        &[],
        Shape::new(usize::MAX, usize::MAX, usize::MAX),
        0,
        Err(Error::ShapeOverflow),
    );
    // batch * channels fits, the input length does not.
    expect(
        &[],
        Shape::new(1 << 20, 1 << 20, 1 << 30),
        0,
        Err(Error::ShapeOverflow),
    );
    // Zero anywhere makes the product 0: not an overflow.
    expect(&[], Shape::new(usize::MAX, 0, usize::MAX), 0, Ok(()));
    assert_eq!(Shape::new(usize::MAX, 2, 1).output_len(), None);
    assert_eq!(Shape::new(3, 4, 5).input_len(), Some(60));
}

#[test]
fn errors_display_their_numbers() {
    let e = Error::InputLength {
        expected: 24,
        actual: 23,
    };
    assert!(e.to_string().contains("23") && e.to_string().contains("24"));
    let e = Error::OutputLength {
        expected: 6,
        actual: 5,
    };
    assert!(e.to_string().contains('6') && e.to_string().contains('5'));
    let _: &dyn core::error::Error = &Error::EmptySpatial;
    assert!(!Error::ShapeOverflow.to_string().is_empty());
}
