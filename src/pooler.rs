//! The entry points: [`Pooler`], [`Element`] and the free functions.

use crate::kernels::int::{Divider, Int, IntOut};
use crate::kernels::{self, Dims, Kernels, Op};
use crate::quant::{MeanStep, QuantMean};
use crate::shape::Task;
use crate::{Error, Isa, Layout, Shape};

/// A resolved set of kernels for one [`Isa`]: the handle every call goes through.
///
/// A `Pooler` only exists for a path the running CPU supports, so it can be copied around and
/// used from any thread without further checks. Every path gives bit-identical results.
///
/// Its `Debug` output names the path and the CPU-specific choices its kernels make on this
/// CPU (`tuning`: `"default"`, or on x86-64 AVX-512 `"intel"` or `"columns"`, see "How it is
/// built" in the README), for example `Pooler { isa: Avx512, tuning: "intel" }`: the same
/// results either way, only the speed differs.
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
        f.debug_struct("Pooler")
            .field("isa", &self.isa())
            .field("tuning", &self.kernels.tuning())
            .finish()
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

    /// Global sum pooling: `output[b][c] = Σ_s input[b, c, s]`. For `f32`, in the canonical
    /// order (see the crate documentation for the order and its error bound); for `i8`, `u8`
    /// and `i16`, the exact `i32` sum ([`Error::SpatialTooLarge`] where it could overflow).
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

    /// Global average pooling: the [`sum`](Pooler::sum) divided by `spatial`.
    ///
    /// For `f32`: one correctly rounded division by `spatial as f32` (exact for
    /// `spatial <= 2^24`). For `i8`, `u8` and `i16`: TFLite's AVERAGE_POOL_2D (also CMSIS-NN's
    /// `arm_avgpool_s8` / `_s16`), where input and output share scale and zero point and the
    /// zero point is not subtracted: with `acc` the exact sum and `n = spatial`,
    /// `acc > 0 ? (acc + n/2) / n : (acc - n/2) / n` with C's truncating division, that is the
    /// quotient rounded half away from zero.
    ///
    /// ```
    /// use globalpool::{Layout, Pooler, Shape};
    ///
    /// let mut out = [0i8; 2];
    /// // Channel 0: {-128, -127} -> -127.5 -> -128; channel 1: {1, 2} -> 1.5 -> 2.
    /// Pooler::detect().avg(&[-128i8, -127, 1, 2], Shape::new(1, 2, 2), Layout::Nchw, &mut out)?;
    /// assert_eq!(out, [-128, 2]);
    /// # Ok::<(), globalpool::Error>(())
    /// ```
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

    /// Global max pooling. For `f32`, IEEE 754-2019 `maximum` (any NaN in a channel gives NaN;
    /// `+0.0 > -0.0`); integers are exact.
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

    /// Global min pooling. For `f32`, IEEE 754-2019 `minimum` (any NaN in a channel gives NaN;
    /// `-0.0 < +0.0`); integers are exact.
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

    /// [`avg`](Pooler::avg) followed by TFLite's fused activation clamp: every output is
    /// clamped to `min..=max` (for example `0..=127` for an int8 ReLU with zero point 0).
    ///
    /// [`Error::InvalidClamp`] if `min > max` (or, for `f32`, either bound is NaN). For `f32`
    /// a NaN average stays the canonical NaN.
    ///
    /// ```
    /// use globalpool::{Layout, Pooler, Shape};
    ///
    /// let mut out = [0i8; 2];
    /// let input = [-100i8, -50, 100, 50]; // NCHW: averages -75 and 75
    /// Pooler::detect().avg_clamped(&input, Shape::new(1, 2, 2), Layout::Nchw, -10, 60, &mut out)?;
    /// assert_eq!(out, [-10, 60]);
    /// # Ok::<(), globalpool::Error>(())
    /// ```
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    pub fn avg_clamped<T: Element>(
        self,
        input: &[T],
        shape: Shape,
        layout: Layout,
        min: T,
        max: T,
        output: &mut [T],
    ) -> Result<(), Error> {
        T::avg_clamped(self.kernels, input, shape, layout, min, max, output)
    }

    /// TFLite's MEAN over the spatial positions of a quantized tensor (`i8`, `u8`, `i16`), with
    /// its own output scale and zero point: bit-exact with the TFLite reference kernels
    /// (`reference_ops::QuantizedMeanOrSum`, LiteRT's `BUILTIN_REF` op resolver) and
    /// TFLite-Micro (`reduce_common.cc`).
    ///
    /// With `(M0, s0)` the multiplier of `params` ([`QuantMean::multiplier`]),
    /// `k = min(floor(log2 n), 32, 31 + s0)`, `M = (M0 << k) / n`, `s = s0 - k`,
    /// `x = Σ q - zp_in * n`: `out = clamp(MultiplyByQuantizedMultiplier(x, M, s) + zp_out)`
    /// in the [`Rounding`](crate::Rounding) of `params`. Both layouts give the same bits.
    ///
    /// LiteRT's default *optimized* int8 / uint8 MEAN and its XNNPACK delegate round
    /// differently and differ from the reference (and from this) by ±1 in a sizeable share of
    /// cases; int16 with non-zero zero points is computed as TFLite-Micro does (LiteRT refuses
    /// it).
    ///
    /// Errors: [`Error::InvalidQuantization`] if a zero point is outside `T`'s range or `T` is
    /// `f32`; [`Error::SpatialTooLarge`]; and the shape errors of every call.
    #[inline(always)]
    pub fn mean_quantized<T: Element>(
        self,
        input: &[T],
        shape: Shape,
        layout: Layout,
        params: &QuantMean,
        output: &mut [T],
    ) -> Result<(), Error> {
        T::mean_quantized(self.kernels, input, shape, layout, params, output)
    }
}

mod sealed {
    use crate::kernels::{Kernels, Op};
    use crate::quant::QuantMean;
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

        #[allow(clippy::too_many_arguments)]
        fn avg_clamped(
            k: &Kernels,
            input: &[Self],
            shape: Shape,
            layout: Layout,
            min: Self,
            max: Self,
            output: &mut [Self],
        ) -> Result<(), Error>;

        fn mean_quantized(
            k: &Kernels,
            input: &[Self],
            shape: Shape,
            layout: Layout,
            params: &QuantMean,
            output: &mut [Self],
        ) -> Result<(), Error>;
    }
}

/// An element type the kernels support: `f32`, and the quantized `i8`, `u8` and `i16`.
///
/// This trait is sealed: it cannot be implemented outside this crate.
pub trait Element: sealed::Sealed + Copy + 'static {
    /// What [`Pooler::sum`] writes: `f32` for `f32`, `i32` (exact) for the integer types.
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

    #[inline(always)]
    fn avg_clamped(
        k: &Kernels,
        input: &[f32],
        shape: Shape,
        layout: Layout,
        min: f32,
        max: f32,
        output: &mut [f32],
    ) -> Result<(), Error> {
        // Also refused when either bound is NaN.
        if min.partial_cmp(&max).is_none_or(|o| o.is_gt()) {
            return Err(Error::InvalidClamp);
        }
        Self::pool(k, input, shape, layout, output, Op::Avg)?;
        // Comparisons rather than `f32::clamp` (which has a panic path); NaN stays NaN.
        for o in output.iter_mut() {
            if *o < min {
                *o = min;
            } else if *o > max {
                *o = max;
            }
        }
        Ok(())
    }

    fn mean_quantized(
        _: &Kernels,
        _: &[f32],
        _: Shape,
        _: Layout,
        _: &QuantMean,
        _: &mut [f32],
    ) -> Result<(), Error> {
        Err(Error::InvalidQuantization)
    }
}

/// One integer call: validation, then the kernel with the output `make` builds.
#[inline(always)]
fn int_call<'o, T: Int + Element, O>(
    k: &Kernels,
    input: &'o [T],
    shape: Shape,
    layout: Layout,
    output: &'o mut [O],
    sums: bool,
    make: impl FnOnce(&'o mut [O], usize) -> IntOut<'o, T>,
) -> Result<(), Error> {
    let Some(task) = Task::new(input, shape, output)? else {
        return Ok(());
    };
    let (batch, channels, spatial) = task.dims();
    if sums && spatial.get() > T::MAX_SPATIAL {
        return Err(Error::SpatialTooLarge {
            max: T::MAX_SPATIAL,
        });
    }
    let dims = Dims {
        batch,
        channels,
        spatial,
        pages: true,
        ext_streams: false,
        ext_masked: false,
        word_pairs: false,
    };
    let input = task.input();
    let mut out = make(task.into_output(), spatial.get());
    k.run_int(input, dims, layout, &mut out);
    Ok(())
}

macro_rules! int_element {
    ($t:ty) => {
        impl Element for $t {
            type Sum = i32;
        }

        impl sealed::Sealed for $t {
            #[inline(always)]
            fn sum(
                k: &Kernels,
                input: &[$t],
                shape: Shape,
                layout: Layout,
                output: &mut [i32],
            ) -> Result<(), Error> {
                int_call(k, input, shape, layout, output, true, |o, _| IntOut::Sum(o))
            }

            #[inline(always)]
            fn pool(
                k: &Kernels,
                input: &[$t],
                shape: Shape,
                layout: Layout,
                output: &mut [$t],
                op: Op,
            ) -> Result<(), Error> {
                match op {
                    Op::Max | Op::Min => {
                        int_call(k, input, shape, layout, output, false, |out, _| {
                            IntOut::Ext {
                                out,
                                max: op == Op::Max,
                            }
                        })
                    }
                    _ => Self::avg_clamped(k, input, shape, layout, <$t>::MIN, <$t>::MAX, output),
                }
            }

            #[inline(always)]
            fn avg_clamped(
                k: &Kernels,
                input: &[$t],
                shape: Shape,
                layout: Layout,
                min: $t,
                max: $t,
                output: &mut [$t],
            ) -> Result<(), Error> {
                if min > max {
                    return Err(Error::InvalidClamp);
                }
                int_call(k, input, shape, layout, output, true, |out, n| {
                    IntOut::Avg {
                        out,
                        // `n <= MAX_SPATIAL < 2^32`.
                        div: Divider::new::<$t>(n as u32),
                        lo: i32::from(min),
                        hi: i32::from(max),
                    }
                })
            }

            #[inline(always)]
            fn mean_quantized(
                k: &Kernels,
                input: &[$t],
                shape: Shape,
                layout: Layout,
                params: &QuantMean,
                output: &mut [$t],
            ) -> Result<(), Error> {
                if !params.zero_points_in(i32::from(<$t>::MIN), i32::from(<$t>::MAX)) {
                    return Err(Error::InvalidQuantization);
                }
                int_call(k, input, shape, layout, output, true, |out, n| {
                    IntOut::Mean {
                        out,
                        step: MeanStep::new(params, n),
                    }
                })
            }
        }
    };
}

int_element!(i8);
int_element!(u8);
int_element!(i16);

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
