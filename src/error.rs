//! The error type.

use core::fmt;

/// Why a pooling call was refused.
///
/// Every function of the crate checks its arguments once, before it reads the input, and returns
/// one of these instead of panicking. When an error is returned, the output slice has not been
/// written.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Error {
    /// `input.len()` is not `batch * channels * spatial`.
    InputLength {
        /// The length the shape asks for.
        expected: usize,
        /// The length of the slice that was passed.
        actual: usize,
    },
    /// `output.len()` is not `batch * channels`.
    OutputLength {
        /// The length the shape asks for.
        expected: usize,
        /// The length of the slice that was passed.
        actual: usize,
    },
    /// `spatial` is zero while `batch * channels` is not: there is nothing to reduce, and no
    /// value (not even for `sum`) is written in that case.
    EmptySpatial,
    /// `batch * channels * spatial` does not fit in `usize`.
    ShapeOverflow,
    /// [`Pooler::avg_clamped`](crate::Pooler::avg_clamped): the lower bound is above the upper
    /// one (or, for `f32`, a bound is NaN).
    InvalidClamp,
    /// [`QuantMean::new`](crate::QuantMean::new): a scale is not finite or not positive; or
    /// [`Pooler::mean_quantized`](crate::Pooler::mean_quantized): a zero point is outside the
    /// element type's range, or the elements are `f32` (which are not quantized: use
    /// [`Pooler::avg`](crate::Pooler::avg)).
    InvalidQuantization,
    /// An integer `sum`, `avg` or `mean_quantized` over more than `max` positions, where the
    /// exact `i32` sum could overflow (`max` is 2^24 for `i8`, 8 421 504 for `u8`, 2^16 for
    /// `i16`). `max` and `min` have no such limit.
    SpatialTooLarge {
        /// The largest `spatial` the element type allows.
        max: usize,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Error::InputLength { expected, actual } => write!(
                f,
                "input has {actual} elements, but the shape needs batch * channels * spatial = {expected}"
            ),
            Error::OutputLength { expected, actual } => write!(
                f,
                "output has {actual} elements, but the shape needs batch * channels = {expected}"
            ),
            Error::EmptySpatial => f.write_str("spatial size is zero: nothing to pool over"),
            Error::ShapeOverflow => f.write_str("batch * channels * spatial overflows usize"),
            Error::InvalidClamp => f.write_str("clamp bounds are out of order (min > max)"),
            Error::InvalidQuantization => f.write_str(
                "invalid quantization: scales must be finite and positive, zero points in the \
                 element type's range, and the elements integers",
            ),
            Error::SpatialTooLarge { max } => write!(
                f,
                "spatial size is above {max}, where an exact i32 sum of this element type could overflow"
            ),
        }
    }
}

impl core::error::Error for Error {}
