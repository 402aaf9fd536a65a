//! Tensor shapes, layouts, and the one-time validation of a call's arguments.

use core::num::NonZeroUsize;

use crate::Error;

/// How the input tensor is laid out in memory. The output is `[batch][channels]` for both.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Layout {
    /// `[batch][channels][spatial]`: each channel's values are contiguous (PyTorch's default,
    /// ONNX). Also covers NCL, NCDHW, ...: `spatial` is the product of all spatial dimensions.
    Nchw,
    /// `[batch][spatial][channels]`: each spatial position holds all its channels
    /// (TensorFlow / TFLite, channels-last). Token pooling in NLP is this layout with
    /// `spatial` = tokens and `channels` = embedding width.
    Nhwc,
}

/// The logical shape of the input tensor.
///
/// `spatial` is the number of positions pooled over (`H * W` for images, the sequence length for
/// token embeddings).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Shape {
    /// Number of independent tensors (images, sequences).
    pub batch: usize,
    /// Number of channels (feature maps, embedding dimensions).
    pub channels: usize,
    /// Number of spatial positions per channel (`H * W`).
    pub spatial: usize,
}

impl Shape {
    /// A shape from its three sizes.
    ///
    /// ```
    /// let shape = globalpool::Shape::new(1, 1280, 7 * 7);
    /// assert_eq!(shape.input_len(), Some(62_720));
    /// assert_eq!(shape.output_len(), Some(1280));
    /// ```
    pub const fn new(batch: usize, channels: usize, spatial: usize) -> Shape {
        Shape {
            batch,
            channels,
            spatial,
        }
    }

    /// `batch * channels`, the required output length, or `None` if it overflows `usize`.
    pub const fn output_len(self) -> Option<usize> {
        self.batch.checked_mul(self.channels)
    }

    /// `batch * channels * spatial`, the required input length, or `None` if it overflows `usize`.
    pub const fn input_len(self) -> Option<usize> {
        match self.output_len() {
            Some(n) => n.checked_mul(self.spatial),
            None => None,
        }
    }
}

/// A call whose arguments have been checked: the only way for the kernels to receive work.
///
/// Invariants (established by [`Task::new`], relied on by the `unsafe` kernels):
/// `input.len() == batch * channels * spatial` and `output.len() == batch * channels`, with all
/// three sizes non-zero (so no product overflows).
pub(crate) struct Task<'a, I, O> {
    input: &'a [I],
    output: &'a mut [O],
    batch: NonZeroUsize,
    channels: NonZeroUsize,
    spatial: NonZeroUsize,
}

impl<'a, I, O> Task<'a, I, O> {
    /// Checks the arguments of one call. `Ok(None)` means there is nothing to do (`batch` or
    /// `channels` is zero, with matching empty slices).
    ///
    /// Order of the checks: [`Error::ShapeOverflow`], [`Error::InputLength`],
    /// [`Error::OutputLength`], [`Error::EmptySpatial`].
    pub(crate) fn new(
        input: &'a [I],
        shape: Shape,
        output: &'a mut [O],
    ) -> Result<Option<Self>, Error> {
        let (Some(out_len), Some(in_len)) = (shape.output_len(), shape.input_len()) else {
            return Err(Error::ShapeOverflow);
        };
        if input.len() != in_len {
            return Err(Error::InputLength {
                expected: in_len,
                actual: input.len(),
            });
        }
        if output.len() != out_len {
            return Err(Error::OutputLength {
                expected: out_len,
                actual: output.len(),
            });
        }
        let (Some(batch), Some(channels)) = (
            NonZeroUsize::new(shape.batch),
            NonZeroUsize::new(shape.channels),
        ) else {
            return Ok(None);
        };
        let Some(spatial) = NonZeroUsize::new(shape.spatial) else {
            return Err(Error::EmptySpatial);
        };
        Ok(Some(Task {
            input,
            output,
            batch,
            channels,
            spatial,
        }))
    }

    /// The input, `batch * channels * spatial` elements.
    pub(crate) fn input(&self) -> &'a [I] {
        self.input
    }

    /// The output, `batch * channels` elements.
    pub(crate) fn output(&mut self) -> &mut [O] {
        self.output
    }

    /// The output, for as long as the input is borrowed.
    pub(crate) fn into_output(self) -> &'a mut [O] {
        self.output
    }

    /// `(batch, channels, spatial)`, all non-zero.
    pub(crate) fn dims(&self) -> (NonZeroUsize, NonZeroUsize, NonZeroUsize) {
        (self.batch, self.channels, self.spatial)
    }
}
