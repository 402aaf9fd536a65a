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

use crate::kernels::Op;
use crate::{Error, Layout, Pooler, Shape};
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
    /// `GP_ERR_ALIGNMENT`: a pointer is not aligned for `float`.
    Alignment = 8,
}

/// Messages for `gp_status_str`, indexed by status value.
const MESSAGES: [&CStr; 9] = [
    c"ok",
    c"a pointer is NULL while its length is not 0",
    c"input_len is not batch * channels * spatial",
    c"output_len is not batch * channels",
    c"spatial is 0: nothing to pool over",
    c"batch * channels * spatial overflows",
    c"input and output memory overlap",
    c"layout is neither GP_NCHW nor GP_NHWC",
    c"a pointer is not aligned for float",
];

/// Everything the C functions share: the checks in the header's order, then the safe API.
///
/// # Safety
///
/// When `input` is not NULL it must be valid for reads of `input_len` floats, and when `output`
/// is not NULL it must be valid for writes of `output_len` floats, for the whole call (the C
/// caller's promise that its lengths describe its buffers). Everything else is checked.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
unsafe fn pool(
    op: Op,
    input: *const f32,
    input_len: usize,
    batch: usize,
    channels: usize,
    spatial: usize,
    layout: u32,
    output: *mut f32,
    output_len: usize,
) -> GpStatus {
    if (input.is_null() && input_len != 0) || (output.is_null() && output_len != 0) {
        return GpStatus::Null;
    }
    let layout = match layout {
        0 => Layout::Nchw,
        1 => Layout::Nhwc,
        _ => return GpStatus::Layout,
    };
    let shape = Shape::new(batch, channels, spatial);
    let (Some(in_expected), Some(out_expected)) = (shape.input_len(), shape.output_len()) else {
        return GpStatus::ShapeOverflow;
    };
    // `slice::from_raw_parts` needs the size in bytes to fit in `isize`.
    let max_elems = isize::MAX as usize / size_of::<f32>();
    if in_expected > max_elems || out_expected > max_elems {
        return GpStatus::ShapeOverflow;
    }
    if input_len != in_expected {
        return GpStatus::InputLength;
    }
    if output_len != out_expected {
        return GpStatus::OutputLength;
    }
    let align = align_of::<f32>();
    if (input_len != 0 && !(input as usize).is_multiple_of(align))
        || (output_len != 0 && !(output as usize).is_multiple_of(align))
    {
        return GpStatus::Alignment;
    }
    // Both byte sizes fit in `isize` (checked above), so neither end overflows.
    let (in_start, out_start) = (input as usize, output as usize);
    let (in_end, out_end) = (
        in_start.wrapping_add(input_len * size_of::<f32>()),
        out_start.wrapping_add(output_len * size_of::<f32>()),
    );
    if input_len != 0 && output_len != 0 && in_start < out_end && out_start < in_end {
        return GpStatus::Overlap;
    }
    let input: &[f32] = if input_len == 0 {
        &[]
    } else {
        // SAFETY: `input` is non-NULL (checked), aligned (checked), valid for reads of
        // `input_len` floats (the caller's promise), and the size fits in `isize` (checked). The
        // memory does not overlap `output` (checked), so no `&mut` aliases it during the call.
        unsafe { core::slice::from_raw_parts(input, input_len) }
    };
    let output: &mut [f32] = if output_len == 0 {
        &mut []
    } else {
        // SAFETY: `output` is non-NULL, aligned, valid for writes of `output_len` floats (the
        // caller's promise; f32 has no invalid bit patterns, so reading uninitialized C memory
        // is not an issue as it is only written), its size fits in `isize`, and it overlaps no
        // other live reference (checked against `input`).
        unsafe { core::slice::from_raw_parts_mut(output, output_len) }
    };
    let pooler = Pooler::detect();
    let result = match op {
        Op::Sum => pooler.sum(input, shape, layout, output),
        Op::Avg => pooler.avg(input, shape, layout, output),
        Op::Max => pooler.max(input, shape, layout, output),
        Op::Min => pooler.min(input, shape, layout, output),
    };
    match result {
        Ok(()) => GpStatus::Ok,
        Err(Error::InputLength { .. }) => GpStatus::InputLength,
        Err(Error::OutputLength { .. }) => GpStatus::OutputLength,
        Err(Error::EmptySpatial) => GpStatus::EmptySpatial,
        Err(Error::ShapeOverflow) => GpStatus::ShapeOverflow,
    }
}

macro_rules! c_pool {
    ($(#[$doc:meta])* $name:ident, $op:expr) => {
        $(#[$doc])*
        ///
        /// # Safety
        ///
        /// A non-NULL `input` must be valid for reads of `input_len` floats and a non-NULL
        /// `output` valid for writes of `output_len` floats. NULL pointers, lengths, the
        /// layout, alignment and overlap are checked and reported as a status.
        #[unsafe(no_mangle)]
        #[allow(clippy::too_many_arguments)]
        pub unsafe extern "C" fn $name(
            input: *const f32,
            input_len: usize,
            batch: usize,
            channels: usize,
            spatial: usize,
            layout: u32,
            output: *mut f32,
            output_len: usize,
        ) -> GpStatus {
            // SAFETY: the caller's promise about the buffers is exactly `pool`'s contract.
            unsafe {
                pool(
                    $op, input, input_len, batch, channels, spatial, layout, output, output_len,
                )
            }
        }
    };
}

c_pool!(
    /// `gp_global_sum_pool_f32`: [`Pooler::sum`] on the detected path.
    gp_global_sum_pool_f32,
    Op::Sum
);
c_pool!(
    /// `gp_global_avg_pool_f32`: [`Pooler::avg`] on the detected path.
    gp_global_avg_pool_f32,
    Op::Avg
);
c_pool!(
    /// `gp_global_max_pool_f32`: [`Pooler::max`] on the detected path.
    gp_global_max_pool_f32,
    Op::Max
);
c_pool!(
    /// `gp_global_min_pool_f32`: [`Pooler::min`] on the detected path.
    gp_global_min_pool_f32,
    Op::Min
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
