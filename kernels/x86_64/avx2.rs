//! The AVX2 path: 8 lanes.

use core::arch::x86_64::*;

use crate::Isa;
use crate::kernels::vector::{FLAGGED_COLUMN, Vector};

entry_points!(
    Isa::Avx2,
    __m256,
    [__m256i, __m256i, __m256i],
    "the CPU has AVX2 (checked by `for_isa`)",
    "avx2"
);

/// `-1` in the first `n` lanes of the 8 read from `MASKS[8 - n..]`.
/// The same kernels for CPUs whose `vmaxps` / `vminps` report NaN operands in the status
/// register ([`flags_report_nans`]): f32 max / min of long NCHW rows and of cached NHWC
/// columns step by those instructions alone and check the invalid-operation flag
/// (`Kernels::ext_masked`; see `x86_64::for_isa`). Only the choices differ, not the code, so
/// not the results.
pub(in crate::kernels) static KERNELS_FLAGGED: crate::kernels::Kernels = crate::kernels::Kernels {
    isa: Isa::Avx2,
    f32_nchw: nchw,
    f32_nhwc: nhwc,
    nhwc_pages: true,
    ext_streams: false,
    ext_masked: true,
    word_pairs: false,
    tuning: "flagged",
};

static MASKS: [i32; 16] = [-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0];

/// Lane mask of the first `n` lanes, `0 < n < 8`.
///
/// # Safety
/// AVX must be available.
#[inline(always)]
unsafe fn first(n: usize) -> __m256i {
    // SAFETY: `8 - n` is in 1..8, so the 8 values read are inside `MASKS`.
    unsafe { _mm256_loadu_si256(MASKS.as_ptr().add(8 - n.clamp(1, 7)).cast()) }
}

/// Lanes where `a` or `b` is NaN: all ones.
///
/// # Safety
/// AVX must be available.
#[inline(always)]
unsafe fn unord(a: __m256, b: __m256) -> __m256 {
    // SAFETY: the caller guarantees AVX.
    unsafe { _mm256_cmp_ps::<_CMP_UNORD_Q>(a, b) }
}

// SAFETY: only used inside the `#[target_feature(enable = "avx2")]` entry points above, which are
// only reachable after the CPU check; pointer contracts are those of the trait.
#[allow(unsafe_op_in_unsafe_fn)]
unsafe impl Vector for __m256 {
    const LANES: usize = 8;
    const TILE: usize = 8;
    // Four states of three registers each (`x86_ext`): each chain steps once per four vectors,
    // so the `vmaxps` / `vcmpunordps` latencies no longer set the pace of long rows. Against
    // two states, on an AMD Zen 5 (two runs, `max`): 1x3x224x224 NCHW 1.14-1.22x, 1x64x112x112
    // 1.05-1.06x, 8x256x56x56 1.04-1.06x, token rows of 768 1.02-1.04x, 14x14 level. (SSE2 keeps
    // two: with four, its two-operand forms ran out of registers and rows longer than a block
    // were 4x slower.)
    const EXT_ACCUMULATORS: usize = 4;
    const EXT_TILE: usize = 4;
    const FLAT_EXT_SHORT: bool = true;
    const FLAT_EXT_STATES: usize = 4;
    const NHWC_GROUP: usize = 8;
    const ALIGN_LOADS: bool = true;
    type Mask = __m256;
    const NHWC_PAGES_SUM: bool = true;
    const NHWC_PAGES_EXT: bool = true;
    type Chunk = [f32; 512];

    // No `unsafe` blocks below: each body only calls intrinsics of the enabled features, and
    // the trait's contract (AVX2 present, pointers valid as stated) is exactly theirs.
    #[inline(always)]
    unsafe fn splat(x: f32) -> Self {
        _mm256_set1_ps(x)
    }
    #[inline(always)]
    unsafe fn load(p: *const f32) -> Self {
        _mm256_loadu_ps(p)
    }
    #[inline(always)]
    unsafe fn load_partial(p: *const f32, n: usize, fill: f32) -> Self {
        let m = first(n);
        let v = _mm256_maskload_ps(p, m);
        _mm256_blendv_ps(_mm256_set1_ps(fill), v, _mm256_castsi256_ps(m))
    }
    type Tail = (__m256i, __m256);
    #[inline(always)]
    unsafe fn tail(n: usize, fill: f32) -> Self::Tail {
        (first(n), _mm256_set1_ps(fill))
    }
    #[inline(always)]
    unsafe fn load_tail(p: *const f32, (m, fill): Self::Tail) -> Self {
        _mm256_blendv_ps(fill, _mm256_maskload_ps(p, m), _mm256_castsi256_ps(m))
    }
    #[inline(always)]
    unsafe fn store(self, p: *mut f32) {
        _mm256_storeu_ps(p, self)
    }
    #[inline(always)]
    unsafe fn store_partial(self, p: *mut f32, n: usize) {
        _mm256_maskstore_ps(p, first(n), self)
    }
    #[inline(always)]
    unsafe fn add(self, b: Self) -> Self {
        _mm256_add_ps(self, b)
    }
    #[inline(always)]
    unsafe fn sub(self, b: Self) -> Self {
        _mm256_sub_ps(self, b)
    }
    #[inline(always)]
    unsafe fn div(self, b: Self) -> Self {
        _mm256_div_ps(self, b)
    }
    #[inline(always)]
    unsafe fn max(self, b: Self) -> Self {
        // As in SSE2: both orders ANDed (+0.0 wins), unordered lanes forced to NaN.
        let both = _mm256_and_ps(_mm256_max_ps(self, b), _mm256_max_ps(b, self));
        _mm256_or_ps(both, _mm256_cmp_ps::<_CMP_UNORD_Q>(self, b))
    }
    #[inline(always)]
    unsafe fn min(self, b: Self) -> Self {
        // As in SSE2: both orders ORed (-0.0 wins, NaN sticks).
        _mm256_or_ps(_mm256_min_ps(self, b), _mm256_min_ps(b, self))
    }
    #[inline(always)]
    unsafe fn is_nan(self) -> Self::Mask {
        _mm256_cmp_ps::<_CMP_UNORD_Q>(self, self)
    }
    #[inline(always)]
    unsafe fn is_finite(self) -> Self::Mask {
        let abs = _mm256_andnot_ps(_mm256_set1_ps(-0.0), self);
        _mm256_cmp_ps::<_CMP_LT_OQ>(abs, _mm256_set1_ps(f32::INFINITY))
    }
    #[inline(always)]
    unsafe fn select(m: Self::Mask, a: Self, b: Self) -> Self {
        _mm256_blendv_ps(b, a, m)
    }
    super::x86_ext!(
        __m256,
        _mm256_max_ps,
        _mm256_min_ps,
        _mm256_and_ps,
        _mm256_or_ps,
        unord,
        |m| _mm256_cmp_ps::<_CMP_EQ_OQ>(m, _mm256_setzero_ps()),
        |mask, a, b| _mm256_blendv_ps(b, a, mask),
        _mm256_set1_ps
    );
    #[inline(always)]
    unsafe fn fold_pair(a: Self, b: Self, level: u32) -> (Self, Self) {
        match level {
            // [a0-3 b0-3], [a4-7 b4-7]
            0 => (
                _mm256_permute2f128_ps::<0x20>(a, b),
                _mm256_permute2f128_ps::<0x31>(a, b),
            ),
            // per 128-bit half: [a0 a1 b0 b1], [a2 a3 b2 b3]
            1 => (
                _mm256_shuffle_ps::<0x44>(a, b),
                _mm256_shuffle_ps::<0xEE>(a, b),
            ),
            // per 128-bit half: [a0 a2 b0 b2], [a1 a3 b1 b3]
            _ => (
                _mm256_shuffle_ps::<0x88>(a, b),
                _mm256_shuffle_ps::<0xDD>(a, b),
            ),
        }
    }
    #[inline(always)]
    unsafe fn unscramble(self) -> Self {
        // After the three levels, lanes hold vectors [0 2 4 6 1 3 5 7].
        _mm256_permutevar8x32_ps(self, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7))
    }
    // Max / min by `vmaxps` / `vminps` alone between two reads of the invalid-operation flag,
    // as on AVX-512 (see `avx512::flagged_column`), on the CPUs of `KERNELS_FLAGGED`: one
    // operation a vector instead of the three of a step (a max, an AND and a compare, two of
    // them on the same two pipes of an AMD Zen 3).
    const EXT_FLAGGED: bool = true;
    #[inline(always)]
    unsafe fn ext_rounds_flagged<const MAX: bool>(
        states: &mut [Self::Ext],
        p: *const f32,
        rounds: usize,
    ) -> bool {
        let [a, b, c, d, ..] = states else {
            return false;
        };
        if rounds == 0 {
            return true;
        }
        // SAFETY: the caller's contract (the rounds readable, AVX2).
        unsafe {
            let mut init = [a.0; FLAGGED_COLUMN];
            (init[1], init[2], init[3]) = (b.0, c.0, d.0);
            let (m, nan) = flagged_column::<MAX>(init, p, 128, rounds, 4);
            if nan || any_zero(&m[..4]) {
                return false;
            }
            let [ma, mb, mc, md, ..] = m;
            (a.0, b.0, c.0, d.0) = (ma, mb, mc, md);
        }
        true
    }
    #[inline(always)]
    unsafe fn invalid_flag() -> bool {
        let mut csr = 0u32;
        // SAFETY: writes only `csr`; reads the status register, never writes it; no stack
        // use. Not `pure`: ordered with `ext_plain_flagged`'s blocks.
        unsafe {
            core::arch::asm!(
                "stmxcsr dword ptr [{csr}]",
                csr = in(reg) &raw mut csr,
                options(nostack, preserves_flags),
            );
        }
        csr & 1 != 0
    }
    #[inline(always)]
    unsafe fn ext_plain_flagged<const MAX: bool>(a: Self, b: Self) -> Self {
        // SAFETY: the caller's contract (AVX2).
        unsafe { plain_flagged::<MAX>(a, b) }
    }
    #[inline(always)]
    unsafe fn any_zero(self) -> bool {
        // SAFETY: the caller's contract (AVX2).
        unsafe { any_zero(&[self]) }
    }
    #[inline(always)]
    unsafe fn ext_column_flagged<const MAX: bool>(
        col: *const f32,
        stride: usize,
        rows: usize,
        width: usize,
    ) -> Option<[Self; FLAGGED_COLUMN]> {
        // SAFETY: the caller's contract (the column readable, `rows > 0`, AVX2).
        unsafe {
            let id = _mm256_set1_ps(if MAX {
                f32::NEG_INFINITY
            } else {
                f32::INFINITY
            });
            let (m, nan) = flagged_column::<MAX>(
                [id; FLAGGED_COLUMN],
                col,
                stride * size_of::<f32>(),
                rows,
                width,
            );
            (!nan && !any_zero(&m)).then_some(m)
        }
    }
}

/// Whether a lane of `v` is `±0`, whose sign `vmaxps` / `vminps` do not order (any other value
/// has one encoding, so it is the same whichever operand it came from).
#[target_feature(enable = "avx2")]
#[inline]
fn any_zero(v: &[__m256]) -> bool {
    let zero = _mm256_setzero_ps();
    let mut z = 0;
    for &x in v {
        z |= _mm256_movemask_ps(_mm256_cmp_ps::<_CMP_EQ_OQ>(x, zero));
    }
    z != 0
}

/// `vmaxps` (`MAX`) / `vminps` of `a` and `b` in an `asm!` block that is not `pure`, so that it
/// stays between the reads of the status register around it ([`Vector::invalid_flag`]).
///
/// # Safety
/// AVX2.
#[target_feature(enable = "avx2")]
#[inline]
unsafe fn plain_flagged<const MAX: bool>(a: __m256, b: __m256) -> __m256 {
    let m;
    macro_rules! plain {
        ($op:literal) => {
            // SAFETY: an AVX instruction (the caller's contract) on registers: it reads no
            // memory, writes none and leaves the rflags alone; it may set the status register's
            // invalid-operation flag, which is what its callers read.
            unsafe {
                core::arch::asm!(
                    concat!($op, " {m}, {a}, {b}"),
                    m = lateout(ymm_reg) m,
                    a = in(ymm_reg) a,
                    b = in(ymm_reg) b,
                    options(nomem, nostack, preserves_flags),
                )
            }
        };
    }
    if MAX {
        plain!("vmaxps");
    } else {
        plain!("vminps");
    }
    m
}

/// `avx512::flagged_column` on 256-bit registers: the states `init` stepped by `vmaxps`
/// (`MAX`) or `vminps` with the first `width` vectors (4, 14, 15 or 16; [`FLAGGED_COLUMN`] for
/// any other value) at `col + r * stride_bytes` for the rows `r < rows` (`rows > 0`; the other
/// states are returned as given), and whether the status register's invalid-operation flag is
/// set after them (the loop skipped, and `true` returned, if it already is: see there).
///
/// # Safety
/// AVX2; `col + r * stride_bytes + [0, 32 * width)` bytes readable for every `r < rows`,
/// `rows > 0`.
#[target_feature(enable = "avx2")]
#[inline]
unsafe fn flagged_column<const MAX: bool>(
    init: [__m256; FLAGGED_COLUMN],
    col: *const f32,
    stride_bytes: usize,
    rows: usize,
    width: usize,
) -> ([__m256; FLAGGED_COLUMN], bool) {
    let mut s = init;
    let mut csr = 0u32;
    // The loop for the states named, each with its vector's byte offset in a row.
    macro_rules! flagged {
        ($op:literal, $($s:ident $off:literal)*) => {{
            let [$($s,)* ..] = &mut s;
            // SAFETY: reads `rows` rows of `32 * width` bytes, `stride_bytes` apart, from `col`
            // (the caller's contract) and writes only `csr`; reads the status register, never
            // writes it; changes the rflags (not preserved); no stack use.
            unsafe {
                core::arch::asm!(
                    "stmxcsr dword ptr [{csr}]",
                    "test byte ptr [{csr}], 1",
                    "jnz 4f",
                    "3:",
                    $(concat!(
                        $op, " {", stringify!($s), "}, {", stringify!($s),
                        "}, ymmword ptr [{p} + ", stringify!($off), "]"
                    ),)*
                    "add {p}, {stride}",
                    "dec {n}",
                    "jnz 3b",
                    "stmxcsr dword ptr [{csr}]",
                    "4:",
                    csr = in(reg) &raw mut csr,
                    p = inout(reg) col => _,
                    n = inout(reg) rows => _,
                    stride = in(reg) stride_bytes,
                    $($s = inout(ymm_reg) *$s,)*
                    options(nostack),
                );
            }
        }};
    }
    macro_rules! widths {
        ($op:literal) => {
            match width {
                4 => flagged!($op, s0 0 s1 32 s2 64 s3 96),
                14 => flagged!($op, s0 0 s1 32 s2 64 s3 96 s4 128 s5 160 s6 192 s7 224 s8 256 s9 288 s10 320 s11 352 s12 384 s13 416),
                15 => flagged!($op, s0 0 s1 32 s2 64 s3 96 s4 128 s5 160 s6 192 s7 224 s8 256 s9 288 s10 320 s11 352 s12 384 s13 416 s14 448),
                _ => flagged!($op, s0 0 s1 32 s2 64 s3 96 s4 128 s5 160 s6 192 s7 224 s8 256 s9 288 s10 320 s11 352 s12 384 s13 416 s14 448 s15 480),
            }
        };
    }
    if MAX {
        widths!("vmaxps");
    } else {
        widths!("vminps");
    }
    (s, csr & 1 != 0)
}

/// Whether this CPU's `vmaxps` and `vminps` (VEX, 256 bits, a memory operand: the form
/// [`flagged_column`] runs) report a quiet NaN operand in the status register's
/// invalid-operation flag, as `avx512::flags_report_nans` checks for the AVX-512 form (the
/// register left as found; `false`, nothing written, unless it has invalid operations masked).
///
/// # Safety
/// AVX2.
#[cfg(not(miri))]
#[target_feature(enable = "avx2")]
pub(super) unsafe fn flags_report_nans() -> bool {
    let nans = [f32::NAN; 8];
    let one = _mm256_set1_ps(1.0);
    // Found, with the flag cleared, after `vmaxps`, after `vminps`.
    let mut csr = [0u32; 4];
    // SAFETY: reads the 32 bytes of `nans` and writes only `csr`; writes the status register
    // with its own value but the invalid-operation flag, and at the end with its value as
    // found (status flags only, control bits unchanged); changes the rflags (not preserved);
    // no stack use.
    unsafe {
        core::arch::asm!(
            "stmxcsr dword ptr [{csr}]",
            "mov {t:e}, dword ptr [{csr}]",
            "test {t:e}, 0x80",
            "jz 2f",
            "and {t:e}, -2",
            "mov dword ptr [{csr} + 4], {t:e}",
            "ldmxcsr dword ptr [{csr} + 4]",
            "vmaxps {x}, {one}, ymmword ptr [{nans}]",
            "stmxcsr dword ptr [{csr} + 8]",
            "ldmxcsr dword ptr [{csr} + 4]",
            "vminps {x}, {one}, ymmword ptr [{nans}]",
            "stmxcsr dword ptr [{csr} + 12]",
            "ldmxcsr dword ptr [{csr}]",
            "2:",
            csr = in(reg) csr.as_mut_ptr(),
            nans = in(reg) nans.as_ptr(),
            t = out(reg) _,
            x = out(ymm_reg) _,
            one = in(ymm_reg) one,
            options(nostack),
        );
    }
    let [_, _, max, min] = csr;
    max & min & 1 != 0
}
