//! The C ABI (feature `capi`): the functions declared in `include/globalpool.h`.
//!
//! This module is only for building the C library (`staticlib` / `cdylib`, see the README's
//! "Using it from C / firmware"). With the feature on, the crate also defines a panic handler
//! (never reached: the library has no panic path) because a `no_std` static library must bring
//! one; a Rust program uses the Rust API and leaves the feature off, keeping its own handler.
//!
//! Each function validates everything a C caller can get wrong before it forms a slice: NULL
//! pointers, the layout value, the shape, the lengths, the alignment and overlapping buffers.
//! Only then are the pointers turned into slices and handed to the safe API.

use crate::{Error, Layout, Pooler, QuantMean, Rounding, Shape};
use core::ffi::{CStr, c_char};

/// `gp_status` of `include/globalpool.h`: what a C call did. `Ok` is 0; every other value means
/// that nothing was written.
#[repr(i32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GpStatus {
    /// `GP_OK`: done.
    Ok = 0,
    /// `GP_ERR_NULL`: a NULL pointer with a non-zero length.
    Null = 1,
    /// `GP_ERR_INPUT_LENGTH`: `input_len != batch * channels * spatial`.
    InputLength = 2,
    /// `GP_ERR_OUTPUT_LENGTH`: `output_len != batch * channels`.
    OutputLength = 3,
    /// `GP_ERR_EMPTY_SPATIAL`: `spatial == 0` while `batch * channels != 0`.
    EmptySpatial = 4,
    /// `GP_ERR_SHAPE_OVERFLOW`: a product of the shape (or the input's size in bytes) overflows.
    ShapeOverflow = 5,
    /// `GP_ERR_OVERLAP`: the input and output memory overlap.
    Overlap = 6,
    /// `GP_ERR_LAYOUT`: the layout is neither `GP_NCHW` (0) nor `GP_NHWC` (1).
    Layout = 7,
    /// `GP_ERR_ALIGNMENT`: a pointer is not aligned for its element type.
    Alignment = 8,
    /// `GP_ERR_QUANTIZATION`: a scale is not finite and positive, a zero point is outside the
    /// element type's range, or the rounding value is unknown.
    Quantization = 9,
    /// `GP_ERR_SPATIAL_TOO_LARGE`: an integer sum, average or mean over more positions than an
    /// exact `int32_t` sum allows (2^24 for int8, 8421504 for uint8, 2^16 for int16).
    SpatialTooLarge = 10,
    /// `GP_ERR_CLAMP`: the clamp bounds of an `avg_clamped` function are out of order.
    Clamp = 11,
}

/// Messages for `gp_status_str`, indexed by status value.
const MESSAGES: [&CStr; 12] = [
    c"ok",
    c"a pointer is NULL while its length is not 0",
    c"input_len is not batch * channels * spatial",
    c"output_len is not batch * channels",
    c"spatial is 0: nothing to pool over",
    c"batch * channels * spatial overflows",
    c"input and output memory overlap",
    c"layout is neither GP_NCHW nor GP_NHWC",
    c"a pointer is not aligned for its element type",
    c"invalid quantization parameters (scale, zero point or rounding)",
    c"spatial is too large for an exact int32 sum of this element type",
    c"clamp bounds are out of order (min > max)",
];

/// The C arguments of every call, checked in the header's order and turned into slices.
///
/// # Safety
///
/// When `input` is not NULL it must be valid for reads of `input_len` elements, and when
/// `output` is not NULL it must be valid for writes of `output_len` elements, for the whole call
/// (the C caller's promise that its lengths describe its buffers). Everything else is checked.
#[allow(clippy::too_many_arguments, clippy::type_complexity)]
#[inline(always)]
unsafe fn checked<'a, T, O>(
    input: *const T,
    input_len: usize,
    batch: usize,
    channels: usize,
    spatial: usize,
    layout: u32,
    output: *mut O,
    output_len: usize,
) -> Result<(&'a [T], Shape, Layout, &'a mut [O]), GpStatus> {
    if (input.is_null() && input_len != 0) || (output.is_null() && output_len != 0) {
        return Err(GpStatus::Null);
    }
    let layout = match layout {
        0 => Layout::Nchw,
        1 => Layout::Nhwc,
        _ => return Err(GpStatus::Layout),
    };
    let shape = Shape::new(batch, channels, spatial);
    let (Some(in_expected), Some(out_expected)) = (shape.input_len(), shape.output_len()) else {
        return Err(GpStatus::ShapeOverflow);
    };
    // `slice::from_raw_parts` needs the size in bytes to fit in `isize`.
    if in_expected > isize::MAX as usize / size_of::<T>()
        || out_expected > isize::MAX as usize / size_of::<O>()
    {
        return Err(GpStatus::ShapeOverflow);
    }
    if input_len != in_expected {
        return Err(GpStatus::InputLength);
    }
    if output_len != out_expected {
        return Err(GpStatus::OutputLength);
    }
    if (input_len != 0 && !(input as usize).is_multiple_of(align_of::<T>()))
        || (output_len != 0 && !(output as usize).is_multiple_of(align_of::<O>()))
    {
        return Err(GpStatus::Alignment);
    }
    // Both byte sizes fit in `isize` (checked above), so neither end overflows.
    let (in_start, out_start) = (input as usize, output as usize);
    let (in_end, out_end) = (
        in_start.wrapping_add(input_len * size_of::<T>()),
        out_start.wrapping_add(output_len * size_of::<O>()),
    );
    if input_len != 0 && output_len != 0 && in_start < out_end && out_start < in_end {
        return Err(GpStatus::Overlap);
    }
    let input: &[T] = if input_len == 0 {
        &[]
    } else {
        // SAFETY: `input` is non-NULL (checked), aligned (checked), valid for reads of
        // `input_len` elements (the caller's promise), and the size fits in `isize` (checked).
        // The memory does not overlap `output` (checked), so no `&mut` aliases it during the
        // call. The element types (f32, i8, u8, i16) have no invalid bit patterns.
        unsafe { core::slice::from_raw_parts(input, input_len) }
    };
    let output: &mut [O] = if output_len == 0 {
        &mut []
    } else {
        // SAFETY: `output` is non-NULL, aligned, valid for writes of `output_len` elements (the
        // caller's promise; the element types have no invalid bit patterns, so uninitialized C
        // memory is only ever written), its size fits in `isize`, and it overlaps no other live
        // reference (checked against `input`).
        unsafe { core::slice::from_raw_parts_mut(output, output_len) }
    };
    Ok((input, shape, layout, output))
}

/// The status of a Rust API result.
#[inline(always)]
fn status(r: Result<(), Error>) -> GpStatus {
    match r {
        Ok(()) => GpStatus::Ok,
        Err(Error::InputLength { .. }) => GpStatus::InputLength,
        Err(Error::OutputLength { .. }) => GpStatus::OutputLength,
        Err(Error::EmptySpatial) => GpStatus::EmptySpatial,
        Err(Error::ShapeOverflow) => GpStatus::ShapeOverflow,
        Err(Error::InvalidQuantization) => GpStatus::Quantization,
        Err(Error::SpatialTooLarge { .. }) => GpStatus::SpatialTooLarge,
        Err(Error::InvalidClamp) => GpStatus::Clamp,
    }
}

/// Defines C functions over the checked slices: `$name(input, ..., layout, $($extra,)* output,
/// output_len)`, running `$body` with `input`, `shape`, `layout` and `output` bound.
macro_rules! c_fn {
    ($(#[$doc:meta])* $name:ident, $t:ty => $o:ty, ($($arg:ident: $aty:ty),*),
     |$p:ident, $input:ident, $shape:ident, $layout:ident, $output:ident| $body:expr) => {
        $(#[$doc])*
        ///
        /// # Safety
        ///
        /// A non-NULL `input` must be valid for reads of `input_len` elements and a non-NULL
        /// `output` valid for writes of `output_len` elements. NULL pointers, lengths, the
        /// layout, alignment and overlap are checked and reported as a status.
        #[unsafe(no_mangle)]
        #[allow(clippy::too_many_arguments)]
        pub unsafe extern "C" fn $name(
            input: *const $t,
            input_len: usize,
            batch: usize,
            channels: usize,
            spatial: usize,
            layout: u32,
            $($arg: $aty,)*
            output: *mut $o,
            output_len: usize,
        ) -> GpStatus {
            // SAFETY: the caller's promise about the buffers is exactly `checked`'s contract.
            let checked = unsafe {
                checked(input, input_len, batch, channels, spatial, layout, output, output_len)
            };
            match checked {
                Ok(($input, $shape, $layout, $output)) => {
                    let $p = Pooler::detect();
                    status($body)
                }
                Err(s) => s,
            }
        }
    };
}

/// The four pooling functions of one element type.
macro_rules! c_pools {
    ($t:ty, $sum:ty, $s:ident, $a:ident, $mx:ident, $mn:ident, $what:literal) => {
        c_fn!(
            #[doc = concat!("`", stringify!($s), "`: [`Pooler::sum`] of ", $what, " on the detected path.")]
            $s, $t => $sum, (), |p, i, s, l, o| p.sum(i, s, l, o)
        );
        c_fn!(
            #[doc = concat!("`", stringify!($a), "`: [`Pooler::avg`] of ", $what, " on the detected path.")]
            $a, $t => $t, (), |p, i, s, l, o| p.avg(i, s, l, o)
        );
        c_fn!(
            #[doc = concat!("`", stringify!($mx), "`: [`Pooler::max`] of ", $what, " on the detected path.")]
            $mx, $t => $t, (), |p, i, s, l, o| p.max(i, s, l, o)
        );
        c_fn!(
            #[doc = concat!("`", stringify!($mn), "`: [`Pooler::min`] of ", $what, " on the detected path.")]
            $mn, $t => $t, (), |p, i, s, l, o| p.min(i, s, l, o)
        );
    };
}

c_pools!(
    f32,
    f32,
    gp_global_sum_pool_f32,
    gp_global_avg_pool_f32,
    gp_global_max_pool_f32,
    gp_global_min_pool_f32,
    "`float`"
);
c_pools!(
    i8,
    i32,
    gp_global_sum_pool_i8,
    gp_global_avg_pool_i8,
    gp_global_max_pool_i8,
    gp_global_min_pool_i8,
    "`int8_t`"
);
c_pools!(
    u8,
    i32,
    gp_global_sum_pool_u8,
    gp_global_avg_pool_u8,
    gp_global_max_pool_u8,
    gp_global_min_pool_u8,
    "`uint8_t`"
);
c_pools!(
    i16,
    i32,
    gp_global_sum_pool_i16,
    gp_global_avg_pool_i16,
    gp_global_max_pool_i16,
    gp_global_min_pool_i16,
    "`int16_t`"
);

/// The clamped average and the quantized mean of one integer type.
macro_rules! c_quant {
    ($t:ty, $clamped:ident, $mean:ident, $what:literal) => {
        c_fn!(
            #[doc = concat!("`", stringify!($clamped), "`: [`Pooler::avg_clamped`] of ", $what, " on the detected path.")]
            $clamped, $t => $t, (min: $t, max: $t),
            |p, i, s, l, o| p.avg_clamped(i, s, l, min, max, o)
        );
        c_fn!(
            #[doc = concat!("`", stringify!($mean), "`: [`Pooler::mean_quantized`] of ", $what,
                            " on the detected path; `rounding` is `GP_ROUNDING_DOUBLE` (0) or `GP_ROUNDING_SINGLE` (1).")]
            $mean, $t => $t,
            (input_scale: f32, input_zero_point: i32, output_scale: f32, output_zero_point: i32,
             rounding: u32),
            |p, i, s, l, o| {
                let rounding = match rounding {
                    0 => Ok(Rounding::Double),
                    1 => Ok(Rounding::Single),
                    _ => Err(Error::InvalidQuantization),
                };
                rounding
                    .and_then(|r| {
                        QuantMean::new(input_scale, input_zero_point, output_scale, output_zero_point, r)
                    })
                    .and_then(|q| p.mean_quantized(i, s, l, &q, o))
            }
        );
    };
}

c_quant!(
    i8,
    gp_global_avg_pool_clamped_i8,
    gp_global_mean_quantized_i8,
    "`int8_t`"
);
c_quant!(
    u8,
    gp_global_avg_pool_clamped_u8,
    gp_global_mean_quantized_u8,
    "`uint8_t`"
);
c_quant!(
    i16,
    gp_global_avg_pool_clamped_i16,
    gp_global_mean_quantized_i16,
    "`int16_t`"
);

/// `gp_isa_name`: the name of the path chosen on this CPU ([`crate::Isa::name`]), as a static
/// NUL-terminated string.
#[unsafe(no_mangle)]
pub extern "C" fn gp_isa_name() -> *const c_char {
    let name: &'static CStr = match Pooler::detect().isa() {
        crate::Isa::Scalar => c"scalar",
        crate::Isa::Sse2 => c"sse2",
        crate::Isa::Avx2 => c"avx2",
        crate::Isa::Avx512 => c"avx512",
        crate::Isa::Neon => c"neon",
        crate::Isa::Simd128 => c"simd128",
        crate::Isa::Portable => c"portable",
    };
    name.as_ptr()
}

/// `gp_status_str`: a static, NUL-terminated message for a status value (`"unknown status"`
/// for values that are not a `gp_status`). Takes the raw integer: C may pass any value.
#[unsafe(no_mangle)]
pub extern "C" fn gp_status_str(status: i32) -> *const c_char {
    let message = usize::try_from(status)
        .ok()
        .and_then(|i| MESSAGES.get(i).copied())
        .unwrap_or(c"unknown status");
    message.as_ptr()
}

/// The panic handler a `no_std` static library must bring. Never reached: the library has no
/// panic path (the README's "Using it from C / firmware" shows how that is checked).
#[cfg(not(test))]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    loop {
        core::hint::spin_loop();
    }
}
