//! The entry points: [`Pooler`], [`Element`] and the free functions.

use crate::kernels::{self, Kernels, Op};
use crate::shape::Task;
use crate::{Error, Isa, Layout, Shape};

/// A resolved set of kernels for one [`Isa`]: the handle every call goes through.
///
/// A `Pooler` only exists for a path the running CPU supports, so it can be copied around and
/// used from any thread without further checks. Every path gives bit-identical results.
///
/// ```
/// use globalpool::{Layout, Pooler, Shape};
///
/// let pooler = Pooler::detect();
/// // Two images, three channels, 2x2 maps, NCHW.
/// let input: Vec<f32> = (0..24).map(|i| i as f32).collect();
/// let mut avg = [0.0f32; 6];
/// pooler.avg(&input, Shape::new(2, 3, 4), Layout::Nchw, &mut avg)?;
/// assert_eq!(avg, [1.5, 5.5, 9.5, 13.5, 17.5, 21.5]);
/// # Ok::<(), globalpool::Error>(())
/// ```
#[derive(Clone, Copy)]
pub struct Pooler {
    kernels: &'static Kernels,
}

impl core::fmt::Debug for Pooler {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Pooler").field("isa", &self.isa()).finish()
    }
}

impl PartialEq for Pooler {
    fn eq(&self, other: &Pooler) -> bool {
        self.isa() == other.isa()
    }
}

impl Eq for Pooler {}

impl Pooler {
    /// The fastest path this CPU supports.
    ///
    /// The CPU is examined once (CPUID and XGETBV on x86-64, so a path whose registers the OS
    /// does not save is never chosen); later calls cost one relaxed atomic load.
    #[inline]
    pub fn detect() -> Pooler {
        match kernels::detected() {
            Some(kernels) => Pooler { kernels },
            None => Pooler::detect_slow(),
        }
    }

    #[cold]
    #[inline(never)]
    fn detect_slow() -> Pooler {
        let kernels = kernels::best();
        kernels::set_detected(kernels);
        Pooler { kernels }
    }

    /// The given path, or `None` when this build does not include it or this CPU cannot run it.
    /// [`Isa::Scalar`] and [`Isa::Portable`] are always available.
    ///
    /// ```
    /// use globalpool::{Isa, Pooler};
    ///
    /// for &isa in Isa::ALL {
    ///     if let Some(p) = Pooler::with_isa(isa) {
    ///         assert_eq!(p.isa(), isa);
    ///     }
    /// }
    /// assert!(Pooler::with_isa(Isa::Scalar).is_some());
    /// ```
    pub fn with_isa(isa: Isa) -> Option<Pooler> {
        kernels::for_isa(isa).map(|kernels| Pooler { kernels })
    }

    /// The path this `Pooler` runs.
    pub fn isa(self) -> Isa {
        self.kernels.isa()
    }

    /// Global sum pooling: `output[b][c] = Σ_s input[b, c, s]`, in the canonical order (see the
    /// crate documentation for the order and its error bound).
    ///
    /// `output.len()` must be `batch * channels`; `input.len()` must be
    /// `batch * channels * spatial`.
    #[inline(always)]
    pub fn sum<T: Element>(
        self,
        input: &[T],
        shape: Shape,
        layout: Layout,
        output: &mut [T::Sum],
    ) -> Result<(), Error> {
        T::sum(self.kernels, input, shape, layout, output)
    }

    /// Global average pooling: the [`sum`](Pooler::sum) divided by `spatial` (one correctly
    /// rounded division by `spatial as f32`, exact for `spatial <= 2^24`).
    #[inline(always)]
    pub fn avg<T: Element>(
        self,
        input: &[T],
        shape: Shape,
        layout: Layout,
        output: &mut [T],
    ) -> Result<(), Error> {
        T::pool(self.kernels, input, shape, layout, output, Op::Avg)
    }

    /// Global max pooling: IEEE 754-2019 `maximum` (any NaN in a channel gives NaN;
    /// `+0.0 > -0.0`).
    #[inline(always)]
    pub fn max<T: Element>(
        self,
        input: &[T],
        shape: Shape,
        layout: Layout,
        output: &mut [T],
    ) -> Result<(), Error> {
        T::pool(self.kernels, input, shape, layout, output, Op::Max)
    }

    /// Global min pooling: IEEE 754-2019 `minimum` (any NaN in a channel gives NaN;
    /// `-0.0 < +0.0`).
    #[inline(always)]
    pub fn min<T: Element>(
        self,
        input: &[T],
        shape: Shape,
        layout: Layout,
        output: &mut [T],
    ) -> Result<(), Error> {
        T::pool(self.kernels, input, shape, layout, output, Op::Min)
    }
}

mod sealed {
    use crate::kernels::{Kernels, Op};
    use crate::{Error, Layout, Shape};

    /// The per-type dispatch behind [`Element`](super::Element); not nameable outside the crate,
    /// which keeps `Element` closed to other implementations.
    pub trait Sealed: Sized {
        fn sum(
            k: &Kernels,
            input: &[Self],
            shape: Shape,
            layout: Layout,
            output: &mut [<Self as super::Element>::Sum],
        ) -> Result<(), Error>
        where
            Self: super::Element;

        fn pool(
            k: &Kernels,
            input: &[Self],
            shape: Shape,
            layout: Layout,
            output: &mut [Self],
            op: Op,
        ) -> Result<(), Error>;
    }
}

/// An element type the kernels support: `f32` (integer types will follow).
///
/// This trait is sealed: it cannot be implemented outside this crate.
pub trait Element: sealed::Sealed + Copy + 'static {
    /// What [`Pooler::sum`] writes: `f32` for `f32`.
    type Sum: Copy;
}

impl Element for f32 {
    type Sum = f32;
}

impl sealed::Sealed for f32 {
    #[inline(always)]
    fn sum(
        k: &Kernels,
        input: &[f32],
        shape: Shape,
        layout: Layout,
        output: &mut [f32],
    ) -> Result<(), Error> {
        Self::pool(k, input, shape, layout, output, Op::Sum)
    }

    #[inline(always)]
    fn pool(
        k: &Kernels,
        input: &[f32],
        shape: Shape,
        layout: Layout,
        output: &mut [f32],
        op: Op,
    ) -> Result<(), Error> {
        if let Some(task) = Task::new(input, shape, output)? {
            k.run_f32(task, layout, op);
        }
        Ok(())
    }
}

/// [`Pooler::sum`] on [`Pooler::detect`]'s path.
///
/// ```
/// use globalpool::{Layout, Shape, global_sum_pool};
///
/// // One image, 2 channels, 3 positions, NHWC: [[1, 10], [2, 20], [3, 30]].
/// let input = [1.0f32, 10.0, 2.0, 20.0, 3.0, 30.0];
/// let mut sums = [0.0f32; 2];
/// global_sum_pool(&input, Shape::new(1, 2, 3), Layout::Nhwc, &mut sums)?;
/// assert_eq!(sums, [6.0, 60.0]);
/// # Ok::<(), globalpool::Error>(())
/// ```
#[inline]
pub fn global_sum_pool<T: Element>(
    input: &[T],
    shape: Shape,
    layout: Layout,
    output: &mut [T::Sum],
) -> Result<(), Error> {
    Pooler::detect().sum(input, shape, layout, output)
}

/// [`Pooler::avg`] on [`Pooler::detect`]'s path.
///
/// ```
/// use globalpool::{Layout, Shape, global_avg_pool};
///
/// let input = [1.0f32, 2.0, 3.0, 6.0]; // 1 image, 1 channel, 2x2
/// let mut avg = [0.0f32; 1];
/// global_avg_pool(&input, Shape::new(1, 1, 4), Layout::Nchw, &mut avg)?;
/// assert_eq!(avg, [3.0]);
/// # Ok::<(), globalpool::Error>(())
/// ```
#[inline]
pub fn global_avg_pool<T: Element>(
    input: &[T],
    shape: Shape,
    layout: Layout,
    output: &mut [T],
) -> Result<(), Error> {
    Pooler::detect().avg(input, shape, layout, output)
}

/// [`Pooler::max`] on [`Pooler::detect`]'s path.
///
/// ```
/// use globalpool::{Layout, Shape, global_max_pool};
///
/// let input = [-0.0f32, 0.0, -1.0];
/// let mut max = [1.0f32];
/// global_max_pool(&input, Shape::new(1, 1, 3), Layout::Nchw, &mut max)?;
/// assert!(max[0] == 0.0 && max[0].is_sign_positive()); // +0.0 > -0.0
/// # Ok::<(), globalpool::Error>(())
/// ```
#[inline]
pub fn global_max_pool<T: Element>(
    input: &[T],
    shape: Shape,
    layout: Layout,
    output: &mut [T],
) -> Result<(), Error> {
    Pooler::detect().max(input, shape, layout, output)
}

/// [`Pooler::min`] on [`Pooler::detect`]'s path.
///
/// ```
/// use globalpool::{Layout, Shape, global_min_pool};
///
/// let input = [3.0f32, f32::NAN, 1.0];
/// let mut min = [0.0f32];
/// global_min_pool(&input, Shape::new(1, 1, 3), Layout::Nchw, &mut min)?;
/// assert_eq!(min[0].to_bits(), 0x7FC0_0000); // any NaN gives the canonical NaN
/// # Ok::<(), globalpool::Error>(())
/// ```
#[inline]
pub fn global_min_pool<T: Element>(
    input: &[T],
    shape: Shape,
    layout: Layout,
    output: &mut [T],
) -> Result<(), Error> {
    Pooler::detect().min(input, shape, layout, output)
}
