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
        }
    }
}

impl core::error::Error for Error {}
