//! x86-64: run-time feature detection without `std` (CPUID + XGETBV) and the three SIMD paths.

mod avx2;
mod avx512;
mod int;
mod sse2;

/// The running maximum / minimum state of the x86 paths: three registers, three cheap ops per
/// step instead of the five of an exact IEEE `maximum` (x86's `maxps` / `minps` return their
/// second operand on NaN and on `±0.0` ties).
///
/// * `m`: `maxps(m, x)` (or `minps`): the right value whenever there is no NaN and the result is
///   not zero;
/// * `z`: the AND (max) or OR (min) of all the bits: when the maximum is `±0.0`, every value is
///   `<= 0`, so a clear sign bit in `z` means a `+0.0` was seen (min: a set sign bit means a
///   `-0.0` was seen);
/// * `n`: `cmpunord(n, x)`: all ones (a NaN) from the first NaN on.
///
/// `finish` picks the zero from `z` where `m` is zero, and ORs `n` in (all-ones lanes are NaN).
macro_rules! x86_ext {
    ($v:ty, $max:ident, $min:ident, $and:ident, $or:ident, $unord:ident, $eqzero:expr,
     $blend:expr, $splat:ident) => {
        type Ext = ($v, $v, $v);
        #[inline(always)]
        unsafe fn ext_init<const MAX: bool>() -> Self::Ext {
            let z = if MAX {
                $splat(f32::from_bits(u32::MAX))
            } else {
                $splat(0.0)
            };
            (
                $splat(if MAX {
                    f32::NEG_INFINITY
                } else {
                    f32::INFINITY
                }),
                z,
                $splat(0.0),
            )
        }
        #[inline(always)]
        unsafe fn ext_step<const MAX: bool>((m, z, n): Self::Ext, x: Self) -> Self::Ext {
            if MAX {
                ($max(m, x), $and(z, x), $unord(n, x))
            } else {
                ($min(m, x), $or(z, x), $unord(n, x))
            }
        }
        #[inline(always)]
        unsafe fn ext_start_pair<const MAX: bool>(x: Self, y: Self) -> Self::Ext {
            if MAX {
                ($max(x, y), $and(x, y), $unord(x, y))
            } else {
                ($min(x, y), $or(x, y), $unord(x, y))
            }
        }
        #[inline(always)]
        unsafe fn ext_merge<const MAX: bool>(a: Self::Ext, b: Self::Ext) -> Self::Ext {
            if MAX {
                ($max(a.0, b.0), $and(a.1, b.1), $or(a.2, b.2))
            } else {
                ($min(a.0, b.0), $or(a.1, b.1), $or(a.2, b.2))
            }
        }
        #[inline(always)]
        unsafe fn ext_finish<const MAX: bool>((m, z, n): Self::Ext) -> Self {
            let zero = $and(z, $splat(-0.0));
            let r = $blend($eqzero(m), zero, m);
            $or(r, n)
        }
    };
}
pub(crate) use x86_ext;

use core::sync::atomic::{AtomicU8, Ordering};

use super::{IntKernels, Kernels};
use crate::Isa;

/// The kernels of an x86-64 path, if this CPU (and OS) can run it.
pub(super) fn for_isa(isa: Isa) -> Option<&'static Kernels> {
    let f = features();
    match isa {
        // SSE2 is part of x86-64 itself.
        Isa::Sse2 => Some(&sse2::KERNELS),
        // f32 max / min by `vmaxps` / `vminps` alone where the CPU reports their NaN operands
        // (`AVX2_NAN_FLAGS`, see `avx2::KERNELS_FLAGGED`): on an AMD Zen 3 (2026-12-07)
        // 1x1280x7x7 NHWC `max` 1.4x, 1x512x14x14 1.63x, 1x3x224x224 NHWC 1.13x faster.
        Isa::Avx2 if f & AVX2 != 0 && f & AVX2_NAN_FLAGS != 0 => Some(&avx2::KERNELS_FLAGGED),
        Isa::Avx2 if f & AVX2 != 0 => Some(&avx2::KERNELS),
        // NHWC rows of whole pages (1024, 2048, ... channels): AVX-512 reads them by
        // `generic::nhwc_pages` on the AMD Zen 5 it was made on (1.15-1.25x faster than its
        // column walks there, median over 10 allocations of 1x1024x7x7 and 1x2048x7x7), but
        // down columns like other channel counts on a Zen 4, where the column walks were
        // 1.17-1.28x faster (median over 6-8 allocations, 1024 to 4096 channels, 36 to 196
        // positions, `avg` and `max`), and on an Intel Xeon with AMX (Sapphire Rapids or later,
        // 2026-12-04), where they were 1.13-1.25x faster (1x2048x7x7, four allocations;
        // 1x1024x7x7 and 1x4096x7x7 1.09-1.2x, 1x1024x14x14 1.0-1.04x).
        // There f32 max / min also read more short NCHW rows as aligned vectors
        // (`Kernels::ext_streams`, see `generic::nchw_groups`), check long rows' NaNs by
        // compares masked by the states' masks (`Kernels::ext_masked`, see
        // `Vector::ext_step2_masked`), and the integer NHWC word tiles add rows in pairs
        // (`Kernels::word_pairs`, see `int::word_sums`).
        // (`KERNELS_INTEL` runs `avx512::flagged_column`: only where the CPU reports the NaN
        // operands of `vmaxps` / `vminps` as it should, `NAN_FLAGS`; other Intel CPUs, for
        // example an emulated one, take the columns' table.)
        Isa::Avx512 if f & AVX512 != 0 && f & INTEL != 0 && f & NAN_FLAGS != 0 => {
            Some(&avx512::KERNELS_INTEL)
        }
        Isa::Avx512 if f & AVX512 != 0 && f & COLUMNS != 0 => Some(&avx512::KERNELS_COLUMNS),
        Isa::Avx512 if f & AVX512 != 0 => Some(&avx512::KERNELS),
        _ => None,
    }
}

/// The integer kernels of an x86-64 path (only asked for paths `for_isa` gave out).
pub(super) fn int_kernels(isa: Isa) -> &'static IntKernels {
    match isa {
        Isa::Avx512 if features() & VNNI != 0 => &avx512::vnni::INT_KERNELS,
        Isa::Avx512 => &avx512::INT_KERNELS,
        Isa::Avx2 => &avx2::INT_KERNELS,
        _ => &sse2::INT_KERNELS,
    }
}

const PROBED: u8 = 1;
const AVX2: u8 = 2;
const AVX512: u8 = 4;
/// AVX-512 VNNI, on top of the AVX-512 path's features (for its integer kernels only).
const VNNI: u8 = 8;
/// A CPU whose AVX-512 path reads f32 NHWC rows of whole pages down columns
/// ([`avx512::KERNELS_COLUMNS`]): AMD family 19h (Zen 4; Zen 3, the same family, has no
/// AVX-512), and Intel CPUs (with [`INTEL`]). The build flag `globalpool_flip_pages` inverts
/// the choice, so that the tests can run the other one on any AVX-512 CPU.
const COLUMNS: u8 = 16;
/// An Intel CPU, whose AVX-512 path takes [`avx512::KERNELS_INTEL`]. The build flag
/// `globalpool_flip_pages` clears it, so that the tests run the other choices there.
const INTEL: u8 = 32;
/// `vmaxps` / `vminps` report quiet NaN operands in the invalid-operation flag
/// ([`avx512::flags_report_nans`], checked on Intel CPUs with the AVX-512 path only).
const NAN_FLAGS: u8 = 64;
/// The AVX2 path's `vmaxps` / `vminps` report quiet NaN operands in the invalid-operation
/// flag ([`avx2::flags_report_nans`], checked on every CPU with the AVX2 path). The build flag
/// `globalpool_flip_pages` clears it, so that the tests run the AVX2 path's default table on
/// such a CPU.
const AVX2_NAN_FLAGS: u8 = 128;

/// Probe result, cached (0 = not probed yet). Load / store only; a race probes twice, harmlessly.
static FEATURES: AtomicU8 = AtomicU8::new(0);

fn features() -> u8 {
    let mut f = FEATURES.load(Ordering::Relaxed);
    if f == 0 {
        f = probe() | PROBED;
        FEATURES.store(f, Ordering::Relaxed);
    }
    f
}

/// What the CPU supports *and* the OS has enabled, for the features the paths are compiled with.
///
/// `avx2` needs CPUID.7.0:EBX.AVX2 plus AVX and OSXSAVE, and XCR0 bits 1-2 (XMM and YMM state
/// saved by the OS). The AVX-512 path needs CPUID.7.0:EBX.AVX512F, AVX512DQ (`VRANGEPS`) and
/// AVX512BW (the integer kernels' byte and word instructions; every AVX-512 CPU but Xeon Phi
/// has all three) plus
/// everything rustc's `avx512f` implies (AVX2, FMA, F16C) and XCR0 bits 5-7 (opmask,
/// ZMM_Hi256, Hi16_ZMM) as well.
#[cfg(not(miri))]
fn probe() -> u8 {
    use core::arch::x86_64::{__cpuid, __cpuid_count};

    let max_leaf = __cpuid(0).eax;
    let leaf1 = __cpuid(1);
    let has = |reg: u32, bit: u32| reg & (1 << bit) != 0;
    let (osxsave, avx, fma, f16c) = (
        has(leaf1.ecx, 27),
        has(leaf1.ecx, 28),
        has(leaf1.ecx, 12),
        has(leaf1.ecx, 29),
    );
    if max_leaf < 7 || !osxsave || !avx {
        return 0;
    }
    // SAFETY: CPUID.1:ECX.OSXSAVE (checked above) means XGETBV is available and enabled.
    let xcr0 = unsafe { xgetbv0() };
    let leaf7 = __cpuid_count(7, 0);
    let ymm_state = xcr0 & 0b110 == 0b110;
    let zmm_state = xcr0 & 0b1110_0110 == 0b1110_0110;
    let avx2 = ymm_state && has(leaf7.ebx, 5);
    let avx512 = avx2
        && fma
        && f16c
        && zmm_state
        && has(leaf7.ebx, 16)
        && has(leaf7.ebx, 17)
        && has(leaf7.ebx, 30);
    // CPUID.7.0:ECX.AVX512_VNNI[bit 11]; the build flag `globalpool_no_vnni` hides it, so that
    // the tests can run the AVX-512 integer kernels without VNNI on a CPU that has it.
    let vnni = avx512 && has(leaf7.ecx, 11) && !cfg!(globalpool_no_vnni);
    // Vendor "AuthenticAMD" (EBX, EDX, ECX of leaf 0) and family 0Fh + extended family 0Ah.
    let leaf0 = __cpuid(0);
    let amd = (leaf0.ebx, leaf0.edx, leaf0.ecx) == (0x6874_7541, 0x6974_6e65, 0x444d_4163);
    let family = (leaf1.eax >> 8) & 0xF;
    let zen4 = amd && family == 0xF && (leaf1.eax >> 20) & 0xFF == 0x0A;
    // Vendor "GenuineIntel".
    let intel = (leaf0.ebx, leaf0.edx, leaf0.ecx) == (0x756E_6547, 0x4965_6E69, 0x6C65_746E);
    let columns = avx512 && ((zen4 || intel) != cfg!(globalpool_flip_pages));
    let intel = avx512 && intel && !cfg!(globalpool_flip_pages);
    // SAFETY: the AVX-512 path's features, AVX-512F among them, were checked above.
    let nan_flags = intel && unsafe { avx512::flags_report_nans() };
    // SAFETY: the AVX2 path's features, AVX2 among them, were checked above.
    let avx2_nan_flags =
        avx2 && !cfg!(globalpool_flip_pages) && unsafe { avx2::flags_report_nans() };
    (if avx2 { AVX2 } else { 0 })
        | (if avx512 { AVX512 } else { 0 })
        | (if vnni { VNNI } else { 0 })
        | (if columns { COLUMNS } else { 0 })
        | (if intel { INTEL } else { 0 })
        | (if nan_flags { NAN_FLAGS } else { 0 })
        | (if avx2_nan_flags { AVX2_NAN_FLAGS } else { 0 })
}

/// XCR0, the OS-enabled state components.
///
/// # Safety
/// The CPU must support XGETBV (CPUID.1:ECX.OSXSAVE).
#[cfg(not(miri))]
#[target_feature(enable = "xsave")]
unsafe fn xgetbv0() -> u64 {
    // SAFETY: the caller guarantees XGETBV is available (the `xsave` feature enabled here).
    unsafe { core::arch::x86_64::_xgetbv(0) }
}

/// Miri cannot run CPUID: it reports the features the build enables (for example with
/// `RUSTFLAGS="-C target-feature=+avx2"`).
#[cfg(miri)]
fn probe() -> u8 {
    (if cfg!(target_feature = "avx2") {
        AVX2
    } else {
        0
    }) | (if cfg!(all(
        target_feature = "avx512f",
        target_feature = "avx512bw",
        target_feature = "avx512dq"
    )) {
        AVX512
    } else {
        0
    }) | (if cfg!(all(
        target_feature = "avx512f",
        target_feature = "avx512bw",
        target_feature = "avx512dq",
        target_feature = "avx512vnni",
        not(globalpool_no_vnni)
    )) {
        VNNI
    } else {
        0
    }) | (if cfg!(globalpool_flip_pages) {
        COLUMNS
    } else {
        0
    })
}
