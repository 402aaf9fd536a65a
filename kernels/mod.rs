//! The kernels: the scalar reference, the generic SIMD algorithms, and their instantiations per
//! instruction set. This is one of the two places (with the C ABI) where `unsafe` code lives.
//!
//! Layout follows memchr: [`vector`] is the small trait, [`generic`] holds each algorithm once,
//! and each path (`x86_64/{sse2,avx2,avx512}.rs`, `aarch64/neon.rs`, `wasm32/simd128.rs`,
//! `portable.rs`) implements the trait for its register type and declares its two entry points
//! with `entry_points!` (`#[target_feature]` ones where the feature is detected at run time).

/// A path's kernel table, `KERNELS`: the generic NCHW and NHWC kernels instantiated for the
/// register type `$v`, in entry points compiled with the target feature `$feature` when the path
/// is detected at run time (without one, the build target itself provides the instructions).
/// `$why` says why the instruction set is available where the entry points run.
macro_rules! entry_points {
    ($isa:expr, $v:ty, [$vi8:ty, $vu8:ty, $vi16:ty], $why:literal $(, $feature:literal)?) => {
        pub(in crate::kernels) static KERNELS: $crate::kernels::Kernels =
            $crate::kernels::Kernels {
                isa: $isa,
                f32_nchw: nchw,
                f32_nhwc: nhwc,
                nhwc_pages: true,
                ext_streams: false,
                ext_masked: false,
                word_pairs: false,
                tuning: "default",
            };

        entry_points!(@int INT_KERNELS, false, [$vi8, $vu8, $vi16], $why $(, $feature)?);

        #[doc = concat!("# Safety\nSee `F32Kernel`; ", $why, ".")]
        $(#[target_feature(enable = $feature)])?
        unsafe fn nchw(
            input: &[f32],
            output: &mut [f32],
            dims: $crate::kernels::Dims,
            op: $crate::kernels::Op,
        ) {
            // SAFETY: the instruction set is available (the `# Safety` reason above: the target
            // feature is enabled here or by the build); the lengths are the caller's.
            unsafe { $crate::kernels::generic::nchw::<$v>(input, output, dims, op) }
        }

        #[doc = concat!("# Safety\nSee `F32Kernel`; ", $why, ".")]
        $(#[target_feature(enable = $feature)])?
        unsafe fn nhwc(
            input: &[f32],
            output: &mut [f32],
            dims: $crate::kernels::Dims,
            op: $crate::kernels::Op,
        ) {
            // SAFETY: the instruction set is available (the `# Safety` reason above: the target
            // feature is enabled here or by the build); the lengths are the caller's.
            unsafe { $crate::kernels::generic::nhwc::<$v>(input, output, dims, op) }
        }
    };
    // An integer kernel table `$table`: the generic integer kernels for the three register types,
    // `$dot` telling them whether `$feature` includes the path's dot-product extension (see
    // `IntVector::Nsum`). Called once per path by the arm above, and by a path that has a second
    // table for CPUs with that extension (inside a module of its own, for the function names).
    (@int $table:ident, $dot:literal, [$vi8:ty, $vu8:ty, $vi16:ty], $why:literal
     $(, $feature:literal)?) => {
        pub(in crate::kernels) static $table: $crate::kernels::IntKernels =
            $crate::kernels::IntKernels {
                i8: int_i8,
                u8: int_u8,
                i16: int_i16,
            };

        entry_points!(@int_fn int_i8, i8, $vi8, $dot, $why $(, $feature)?);
        entry_points!(@int_fn int_u8, u8, $vu8, $dot, $why $(, $feature)?);
        entry_points!(@int_fn int_i16, i16, $vi16, $dot, $why $(, $feature)?);
    };
    (@int_fn $name:ident, $t:ty, $vi:ty, $dot:literal, $why:literal $(, $feature:literal)?) => {
        #[doc = concat!("# Safety\nSee `IntKernel`; ", $why, ".")]
        $(#[target_feature(enable = $feature)])?
        unsafe fn $name(
            input: &[$t],
            dims: $crate::kernels::Dims,
            nhwc: bool,
            out: &mut $crate::kernels::int::IntOut<'_, $t>,
        ) {
            // SAFETY: the instruction set is available (the `# Safety` reason above); the
            // lengths are the caller's.
            unsafe { $crate::kernels::int::kernel::<$t, $vi, $dot>(input, dims, nhwc, out) }
        }
    };
}

#[cfg(target_arch = "aarch64")]
mod aarch64;
pub(crate) mod canon;
mod generic;
pub(crate) mod int;
mod portable;
pub(crate) mod scalar;
mod vector;
#[cfg(target_arch = "wasm32")]
mod wasm32;
#[cfg(target_arch = "x86_64")]
mod x86_64;

use core::num::NonZeroUsize;

use crate::shape::Task;
use crate::{Isa, Layout};

/// What to compute.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Sum,
    Avg,
    Max,
    Min,
}

/// The sizes of a validated call (see [`Task`]).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Dims {
    pub(crate) batch: NonZeroUsize,
    pub(crate) channels: NonZeroUsize,
    pub(crate) spatial: NonZeroUsize,
    /// Whether f32 NHWC inputs of whole 4 KiB rows may go by `generic::nhwc_pages` on paths
    /// that have it (`Kernels::nhwc_pages`; unused by the integer kernels).
    pub(crate) pages: bool,
    /// Whether f32 max / min read short NCHW rows of 3 whole vectors and a value, and of 12
    /// and more, as aligned vectors, and those one or four values past whole vectors at
    /// constant places, and whether fixed groups, and f32 sums of short NCHW rows of ten
    /// vectors or more by `generic::stream_groups`, start at 4 Ki values instead of 16 Ki
    /// (`Kernels::ext_streams`; unused by the integer kernels).
    pub(crate) ext_streams: bool,
    /// Whether f32 max / min rows of more than 256 values step by `Reduce::step2_masked`, and
    /// cached NHWC columns go by `Vector::ext_column_flagged` (`Kernels::ext_masked`; unused by
    /// the integer kernels).
    pub(crate) ext_masked: bool,
    /// Whether the integer NHWC word tiles sum two rows at a time in the pair layout
    /// (`Kernels::word_pairs`; unused by the f32 kernels).
    pub(crate) word_pairs: bool,
}

/// A kernel entry point.
///
/// # Safety
/// The CPU has the kernel's instruction set; `input.len() == batch * channels * spatial` and
/// `output.len() == batch * channels`.
type F32Kernel = unsafe fn(input: &[f32], output: &mut [f32], dims: Dims, op: Op);

/// An integer kernel entry point: NHWC if `nhwc`, else NCHW; the op is `out`'s.
///
/// # Safety
/// The CPU has the kernel's instruction set; `input.len() == batch * channels * spatial` and
/// `out`'s slice holds `batch * channels` values.
pub(crate) type IntKernel<T> =
    unsafe fn(input: &[T], dims: Dims, nhwc: bool, out: &mut int::IntOut<'_, T>);

/// The kernels of one path. Only [`for_isa`] hands these out, after checking the CPU, so holding
/// a `&'static Kernels` proves its instruction set is usable.
#[derive(Debug)]
pub struct Kernels {
    isa: Isa,
    f32_nchw: F32Kernel,
    f32_nhwc: F32Kernel,
    /// Whether the f32 NHWC kernel may read rows of whole pages by `generic::nhwc_pages` (where
    /// the path has it, `Vector::NHWC_PAGES_SUM` / `_EXT`): the same code either way, chosen
    /// per CPU (see `x86_64::for_isa`).
    nhwc_pages: bool,
    /// Whether f32 max / min read short NCHW rows of 3 whole vectors and a value, and of 12
    /// and more, as the aligned vectors they overlap (`generic::stream_row`, where the path
    /// has it, `Vector::STREAM_ROWS`), not only rows of 4 to 11, and those one or four values
    /// past whole vectors at constant places (`generic::stream_exts`), and whether every op's
    /// rows at constant places (and sums of rows of ten vectors or more) go that way from 4 Ki
    /// values instead of 16 Ki (see `generic::nchw_groups`): the same results, chosen per CPU
    /// (see `x86_64::for_isa`).
    ext_streams: bool,
    /// Whether f32 max / min NCHW rows of more than 256 values step their pairs of vectors by
    /// `Vector::ext_step2_masked` (where the path has it, `Vector::EXT_STEP2_MASKED`), and
    /// rows' runs of at least `generic::FLAGGED_ROUNDS` rounds go through
    /// `Vector::ext_rounds_flagged` first (where the path has it, `Vector::EXT_FLAGGED`), as do
    /// NHWC inputs in the caches, by columns of `Vector::ext_column_flagged`: the same results,
    /// chosen per CPU (see `x86_64::for_isa`).
    ext_masked: bool,
    /// Whether the integer NHWC word tiles of up to four vectors (`int::word_sums`) add two
    /// rows at a time in the pair layout (`IntVector::wsum_pair_add`): the same sums, chosen
    /// per CPU (see `x86_64::for_isa`).
    word_pairs: bool,
    /// The name of these choices (`nhwc_pages` to `word_pairs`), as `Pooler`'s `Debug` shows
    /// them: `"default"`, or the x86-64 AVX-512 path's `"columns"` and `"intel"` (see
    /// `x86_64::for_isa`).
    tuning: &'static str,
}

/// The integer kernels of one path, kept apart from [`Kernels`] so that a program (a firmware)
/// that only pools `f32` does not link them: they are reached by [`int_kernels`] from the
/// path's [`Isa`], only when an integer function is called.
#[derive(Debug)]
pub struct IntKernels {
    i8: IntKernel<i8>,
    u8: IntKernel<u8>,
    i16: IntKernel<i16>,
}

impl Kernels {
    /// The path these kernels belong to.
    pub(crate) fn isa(&self) -> Isa {
        self.isa
    }

    /// The name of this table's CPU-specific choices (its `tuning` field).
    pub(crate) fn tuning(&self) -> &'static str {
        self.tuning
    }

    /// Runs one f32 reduction.
    pub(crate) fn run_f32(&self, mut task: Task<'_, f32, f32>, layout: Layout, op: Op) {
        let (batch, channels, spatial) = task.dims();
        let dims = Dims {
            batch,
            channels,
            spatial,
            pages: self.nhwc_pages,
            ext_streams: self.ext_streams,
            ext_masked: self.ext_masked,
            word_pairs: false,
        };
        let kernel = match layout {
            Layout::Nchw => self.f32_nchw,
            Layout::Nhwc => self.f32_nhwc,
        };
        let input = task.input();
        // SAFETY: `self` came from `for_isa`, which checked that the CPU runs `self.isa`; `Task`
        // guarantees the slice lengths.
        unsafe { kernel(input, task.output(), dims, op) }
    }

    /// Runs one integer reduction.
    ///
    /// `input` and `out` must have the lengths `dims` gives (the callers take both from a
    /// [`Task`]); otherwise nothing is done.
    pub(crate) fn run_int<T: int::Int>(
        &self,
        input: &[T],
        dims: Dims,
        layout: Layout,
        out: &mut int::IntOut<'_, T>,
    ) {
        let outputs = dims.batch.get() * dims.channels.get();
        if input.len() != outputs * dims.spatial.get() || out.len() != outputs {
            return; // unreachable: both come from a `Task`
        }
        let dims = Dims {
            word_pairs: self.word_pairs,
            ..dims
        };
        let kernel = T::kernel(int_kernels(self.isa));
        // SAFETY: `self` came from `for_isa`, so the CPU runs `self.isa`, the instruction set of
        // `int_kernels(self.isa)`; the lengths were just checked.
        unsafe { kernel(input, dims, layout == Layout::Nhwc, out) }
    }
}

/// The reference path.
static SCALAR: Kernels = Kernels {
    isa: Isa::Scalar,
    f32_nchw: scalar::nchw,
    f32_nhwc: scalar::nhwc,
    nhwc_pages: true,
    ext_streams: false,
    ext_masked: false,
    word_pairs: false,
    tuning: "default",
};

/// The reference path's integer kernels.
static SCALAR_INT: IntKernels = IntKernels {
    i8: int::scalar::<i8>,
    u8: int::scalar::<u8>,
    i16: int::scalar::<i16>,
};

/// The integer kernels of a path whose [`Kernels`] exist (`for_isa` gave them, so the CPU runs
/// that path).
fn int_kernels(isa: Isa) -> &'static IntKernels {
    match isa {
        Isa::Portable => &portable::INT_KERNELS,
        #[cfg(target_arch = "x86_64")]
        Isa::Sse2 | Isa::Avx2 | Isa::Avx512 => x86_64::int_kernels(isa),
        #[cfg(all(target_arch = "aarch64", target_feature = "neon"))]
        Isa::Neon => &aarch64::neon::INT_KERNELS,
        #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
        Isa::Simd128 => &wasm32::simd128::INT_KERNELS,
        _ => &SCALAR_INT,
    }
}

/// The kernels of `isa`, if this build has them and this CPU can run them.
pub(crate) fn for_isa(isa: Isa) -> Option<&'static Kernels> {
    match isa {
        Isa::Scalar => Some(&SCALAR),
        Isa::Portable => Some(&portable::KERNELS),
        #[cfg(target_arch = "x86_64")]
        Isa::Sse2 | Isa::Avx2 | Isa::Avx512 => x86_64::for_isa(isa),
        #[cfg(all(target_arch = "aarch64", target_feature = "neon"))]
        Isa::Neon => Some(&aarch64::neon::KERNELS),
        #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
        Isa::Simd128 => Some(&wasm32::simd128::KERNELS),
        _ => None,
    }
}

/// The fastest path this build and CPU can run: what `Pooler::detect` chooses.
///
/// Written out per target rather than as a search over [`for_isa`], so that a build links only
/// the kernels it can choose: a microcontroller's C library holds the scalar kernels alone.
pub(crate) fn best() -> &'static Kernels {
    #[cfg(target_arch = "x86_64")]
    for isa in [Isa::Avx512, Isa::Avx2, Isa::Sse2] {
        if let Some(k) = x86_64::for_isa(isa) {
            return k;
        }
    }
    best_without_detection()
}

/// The best path known at compile time. `Portable` only where `wide` has vectors and there is
/// no hand-written path (32-bit x86 with SSE2); on targets without SIMD (Cortex-M, RISC-V
/// microcontrollers, ...) its plain arrays would be larger and no faster than `Scalar`.
#[allow(unreachable_code)]
fn best_without_detection() -> &'static Kernels {
    #[cfg(all(target_arch = "aarch64", target_feature = "neon"))]
    return &aarch64::neon::KERNELS;
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    return &wasm32::simd128::KERNELS;
    #[cfg(all(target_arch = "x86", target_feature = "sse2"))]
    return &portable::KERNELS;
    &SCALAR
}

/// The cached choice of `Pooler::detect`, as a pointer to a `static` `Kernels` (null until the
/// first detection). Only `load` and `store` are used, so targets without compare-and-swap
/// (thumbv6m) have it too; two threads racing to detect store the same value.
static DETECTED: core::sync::atomic::AtomicPtr<Kernels> =
    core::sync::atomic::AtomicPtr::new(core::ptr::null_mut());

/// The cached detection result, if any.
#[inline(always)]
pub(crate) fn detected() -> Option<&'static Kernels> {
    let p = DETECTED.load(core::sync::atomic::Ordering::Relaxed);
    // SAFETY: `DETECTED` only ever holds null or a pointer made from a `&'static Kernels` by
    // `set_detected`; it is never written through.
    unsafe { p.cast_const().as_ref() }
}

/// Caches the detection result.
pub(crate) fn set_detected(k: &'static Kernels) {
    DETECTED.store(
        core::ptr::from_ref(k).cast_mut(),
        core::sync::atomic::Ordering::Relaxed,
    );
}

/// The number of `T` values from `p` to the next boundary of a `lanes`-value vector (0 when
/// `p` is on one): what the kernels load on their own before their aligned loads. Only the
/// address is used (`p` is an element of a `[T]`, so it is aligned for `T`).
#[inline(always)]
pub(crate) fn to_boundary<T>(p: *const T, lanes: usize) -> usize {
    let bytes = lanes * size_of::<T>();
    (bytes - p.addr() % bytes) % bytes / size_of::<T>()
}

/// How far ahead of a row (bytes) [`prefetch_ahead`] asks for the input (4 KiB: level).
const PREFETCH_AHEAD: usize = 2048;

/// Asks the cache for `lines` lines of 64 bytes from `p + PREFETCH_AHEAD` (one `prefetcht0`
/// each; x86-64 only, nothing elsewhere): for the loops over short NCHW rows, which the
/// hardware prefetchers of an AMD Zen 5 do not keep fed from the L2 cache. `lines` should be a
/// constant of the caller's code, so that the loop unrolls; a row's lines from its start, the
/// rows one after the other, ask for every line of the input. (Only the address is used: it
/// may lie past the input, where the hint is simply wasted.)
#[inline(always)]
pub(crate) fn prefetch_ahead<T>(p: *const T, lines: usize) {
    prefetch_lines(p.cast::<u8>().wrapping_add(PREFETCH_AHEAD), lines);
}

/// Asks the cache for the `lines` lines of 64 bytes from `p` (one `prefetcht0` each; x86-64
/// only, nothing elsewhere). Only the address is used: it may lie anywhere, even past the
/// input, where the hint is simply wasted.
#[inline(always)]
pub(crate) fn prefetch_lines<T>(p: *const T, lines: usize) {
    #[cfg(target_arch = "x86_64")]
    {
        use core::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        let b = p.cast::<i8>();
        for k in 0..lines {
            // SAFETY: `prefetcht0` (SSE, part of every x86-64 CPU) is a hint: it never faults,
            // whatever the address, and changes nothing the program can observe.
            unsafe { _mm_prefetch::<_MM_HINT_T0>(b.wrapping_add(64 * k)) };
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (p, lines);
}

/// The lines [`prefetch_ahead`] asks for per row of `full` whole vectors of `lanes` values of
/// `T` (and maybe a few values more, which the next row's lines cover): at least one.
#[inline(always)]
pub(crate) const fn row_lines<T>(full: usize, lanes: usize) -> usize {
    let lines = full * lanes * size_of::<T>() / 64;
    if lines == 0 { 1 } else { lines }
}

/// `p`, unchanged, but hidden from the optimizer (an empty assembly block on x86-64 and
/// AArch64; plain `p` elsewhere, and under Miri, which runs no assembly). The short-row loops
/// step their row address with it, four rows at a time, so that the compiler cannot turn the
/// steps back into one offset per row from a common base: it did, kept the sixteen offsets on
/// the stack for want of registers and reloaded them every sixteen rows (with the steps
/// hidden, before those loops were compiled on their own: int8 7x7 `sum` 1.13x, `avg` 1.23x
/// faster on an AMD Zen 5).
#[cfg_attr(not(globalpool_unoptimized), inline(always))]
pub(crate) fn opaque<T>(p: *const T) -> *const T {
    #[cfg(all(any(target_arch = "x86_64", target_arch = "aarch64"), not(miri)))]
    {
        let mut p = p;
        #[allow(
            clippy::pointers_in_nomem_asm_block,
            reason = "the block does not read through `p`: it only hides its value"
        )]
        // SAFETY: the block is empty: it reads and writes no memory, touches no flags and
        // leaves the register holding `p` as it was.
        unsafe {
            core::arch::asm!(
                "/* {0} */",
                inout(reg) p,
                options(pure, nomem, nostack, preserves_flags)
            );
        }
        p
    }
    #[cfg(not(all(any(target_arch = "x86_64", target_arch = "aarch64"), not(miri))))]
    {
        p
    }
}
