//! The AVX-512 path: 16 lanes. The f32 kernels use AVX-512F and AVX-512DQ (`VRANGEPS` for
//! max / min); the integer kernels (`x86_64/int.rs`) AVX-512BW. The path requires all three.
//! CPUs that also have AVX-512 VNNI get a second integer table, [`vnni::INT_KERNELS`], whose
//! long NCHW row sums use `vpdpbusd` / `vpdpwssd` (same results: integer sums are exact).

use core::arch::x86_64::*;

use crate::Isa;
use crate::kernels::vector::{FLAGGED_COLUMN, Vector};

entry_points!(
    Isa::Avx512,
    __m512,
    [__m512i, __m512i, __m512i],
    "the CPU has AVX-512F, AVX-512BW and AVX-512DQ (checked by `for_isa`)",
    "avx512f,avx512bw,avx512dq"
);

/// The same kernels for CPUs on which f32 NHWC rows of whole pages read faster down columns
/// than by `generic::nhwc_pages` (AMD Zen 4: see `x86_64::for_isa`). Only the choice differs,
/// not the code, so not the results.
pub(in crate::kernels) static KERNELS_COLUMNS: crate::kernels::Kernels = crate::kernels::Kernels {
    isa: Isa::Avx512,
    f32_nchw: nchw,
    f32_nhwc: nhwc,
    nhwc_pages: false,
    ext_streams: false,
    ext_masked: false,
    word_pairs: false,
    tuning: "columns",
};

/// The same kernels for Intel CPUs: NHWC rows of whole pages down columns, as
/// [`KERNELS_COLUMNS`], f32 max / min streaming more short NCHW rows (`Kernels::ext_streams`)
/// and checking long ones' NaNs by masked compares or the invalid-operation flag, as cached
/// NHWC columns (`Kernels::ext_masked`), and the integer NHWC word tiles adding rows in pairs
/// (`Kernels::word_pairs`; see `x86_64::for_isa`). Only the choices differ, not the code, so
/// not the results.
pub(in crate::kernels) static KERNELS_INTEL: crate::kernels::Kernels = crate::kernels::Kernels {
    isa: Isa::Avx512,
    f32_nchw: nchw,
    f32_nhwc: nhwc,
    nhwc_pages: false,
    ext_streams: true,
    ext_masked: true,
    word_pairs: true,
    tuning: "intel",
};

/// The integer kernels for CPUs with AVX-512 VNNI as well (Ice Lake, Sapphire Rapids, Zen 4 and
/// later).
pub(super) mod vnni {
    use core::arch::x86_64::__m512i;

    entry_points!(
        @int INT_KERNELS,
        true,
        [__m512i, __m512i, __m512i],
        "the CPU has AVX-512F, AVX-512BW, AVX-512DQ and AVX-512 VNNI (checked by `int_kernels`)",
        "avx512f,avx512bw,avx512dq,avx512vnni"
    );
}

/// The mask of the first `n` lanes, `0 < n < 16`.
#[inline(always)]
fn first(n: usize) -> __mmask16 {
    ((1u32 << n.min(15)) - 1) as __mmask16
}

/// VRANGEPS: the larger (`MAX`) or smaller of each pair with `-0.0 < +0.0`, the exact IEEE
/// `maximum` / `minimum` of two non-NaN values (imm bits 3:2 = 01, sign from the comparison).
///
/// # Safety
/// AVX-512DQ must be available.
#[inline(always)]
unsafe fn range<const MAX: bool>(a: __m512, b: __m512) -> __m512 {
    // SAFETY: the caller guarantees AVX-512DQ.
    unsafe {
        if MAX {
            _mm512_range_ps::<0b0101>(a, b)
        } else {
            _mm512_range_ps::<0b0100>(a, b)
        }
    }
}

/// IEEE `maximum` (`MAX`) or `minimum` of two vectors: VRANGEPS orders `-0.0 < +0.0` but
/// returns the other operand for a quiet NaN, so unordered lanes get `a + b`, a NaN.
///
/// # Safety
/// AVX-512F and AVX-512DQ must be available.
#[inline(always)]
unsafe fn extreme<const MAX: bool>(a: __m512, b: __m512) -> __m512 {
    // SAFETY: the caller guarantees AVX-512F and AVX-512DQ.
    unsafe {
        _mm512_mask_add_ps(
            range::<MAX>(a, b),
            _mm512_cmp_ps_mask::<_CMP_UNORD_Q>(a, b),
            a,
            b,
        )
    }
}

// SAFETY: only used inside the `#[target_feature(enable = "avx512f,avx512bw,avx512dq")]` entry points above, which
// are only reachable after the CPU check; pointer contracts are those of the trait.
#[allow(unsafe_op_in_unsafe_fn)]
unsafe impl Vector for __m512 {
    const LANES: usize = 16;
    const TILE: usize = 16;
    const WIDE_SUM_TILE: bool = true;
    // AMD Zen 4, A/B median over 4 allocations: `max` 8x256x56x56 1.46-1.94x (57% -> 83-88%
    // of the probe), 32x256x56x56 (103 MB) 1.96x, 56x56 maps of 32-224 channels 1.05-1.2x,
    // 1x64x112x112 1.11x. Rows of 512 channels as two such tiles were 0.91x, of 768-1536
    // 0.99-1.04x: not taken.
    const WIDE_EXT_TILE: bool = true;
    const EXT_ACCUMULATORS: usize = 4;
    // Seven: each state's NaN mask is the write mask of its compare, and only k1-k7 can be
    // one (with eight states the masks went through the stack; 8-vector tiles of pairs gained
    // 1-3%, 7-vector ones 7-10%).
    const EXT_TILE: usize = 7;
    // Whole 32-row blocks. On the AMD Zen 5 of the later benchmarks they were 1.03-1.16x
    // faster than groups of 8 rows on L3-resident inputs (8x256x56x56, 1x64x112x112,
    // 32x128x768) and 1.1-1.9x faster than the one-row stream on 100 MB ones; on the Intel
    // Xeon before it, groups of 8 had been 5% faster on 8x256x56x56 and the same elsewhere.
    const NHWC_GROUP: usize = 32;
    const NHWC_SUM_COLUMNS: bool = true;
    const NCHW_ROLLED: bool = true;
    const EXT_PAIRS: bool = true;
    const ALIGN_LOADS: bool = true;
    const STREAM_ROWS: bool = true;
    const SHORT_ROW_HINTS: bool = true;
    type Mask = __mmask16;
    const NHWC_PAGES_SUM: bool = true;
    const NHWC_PAGES_EXT: bool = true;
    type Chunk = [f32; 1024];

    // No `unsafe` blocks below: each body only calls intrinsics of the enabled features, and
    // the trait's contract (AVX-512F present, pointers valid as stated) is exactly theirs.
    #[inline(always)]
    unsafe fn splat(x: f32) -> Self {
        _mm512_set1_ps(x)
    }
    #[inline(always)]
    unsafe fn load(p: *const f32) -> Self {
        _mm512_loadu_ps(p)
    }
    #[inline(always)]
    unsafe fn load_partial(p: *const f32, n: usize, fill: f32) -> Self {
        _mm512_mask_loadu_ps(_mm512_set1_ps(fill), first(n), p)
    }
    #[inline(always)]
    unsafe fn load_end(p: *const f32, n: usize, fill: f32) -> Self {
        // The vector that ends at `p + n`, only its last `n` lanes read (masked lanes are not
        // accessed, so its start may lie before the input: a wrapping pointer).
        let n = n.clamp(1, 15);
        _mm512_mask_loadu_ps(_mm512_set1_ps(fill), !first(16 - n), p.wrapping_sub(16 - n))
    }
    #[inline(always)]
    unsafe fn load_bits(p: *const f32, bits: u32, fill: f32) -> Self {
        // Masked lanes are not accessed (nor can they fault).
        _mm512_mask_loadu_ps(_mm512_set1_ps(fill), bits as __mmask16, p)
    }
    type Tail = (__mmask16, __m512);
    #[inline(always)]
    unsafe fn tail(n: usize, fill: f32) -> Self::Tail {
        (first(n), _mm512_set1_ps(fill))
    }
    #[inline(always)]
    unsafe fn load_tail(p: *const f32, (m, fill): Self::Tail) -> Self {
        _mm512_mask_loadu_ps(fill, m, p)
    }
    #[inline(always)]
    unsafe fn store(self, p: *mut f32) {
        _mm512_storeu_ps(p, self)
    }
    #[inline(always)]
    unsafe fn store_partial(self, p: *mut f32, n: usize) {
        _mm512_mask_storeu_ps(p, first(n), self)
    }
    #[inline(always)]
    unsafe fn add(self, b: Self) -> Self {
        _mm512_add_ps(self, b)
    }
    #[inline(always)]
    unsafe fn splice(a: Self, b: Self, n: usize) -> Self {
        let (a, b) = (_mm512_castps_si512(a), _mm512_castps_si512(b));
        // `valignd` shifts `b:a` right by its immediate: one arm per lane count (a constant
        // where the callers inline it, so one instruction).
        macro_rules! by_lanes {
            ($($k:literal)*) => {
                match n {
                    0 => a,
                    $($k => _mm512_alignr_epi32::<$k>(b, a),)*
                    _ => b,
                }
            };
        }
        _mm512_castsi512_ps(by_lanes!(1 2 3 4 5 6 7 8 9 10 11 12 13 14 15))
    }
    #[inline(always)]
    unsafe fn add_bits(self, x: Self, bits: u32) -> Self {
        _mm512_mask_add_ps(self, bits as __mmask16, self, x)
    }
    #[inline(always)]
    unsafe fn sub(self, b: Self) -> Self {
        _mm512_sub_ps(self, b)
    }
    #[inline(always)]
    unsafe fn div(self, b: Self) -> Self {
        _mm512_div_ps(self, b)
    }
    #[inline(always)]
    unsafe fn max(self, b: Self) -> Self {
        extreme::<true>(self, b)
    }
    #[inline(always)]
    unsafe fn min(self, b: Self) -> Self {
        extreme::<false>(self, b)
    }
    #[inline(always)]
    unsafe fn is_nan(self) -> Self::Mask {
        _mm512_cmp_ps_mask::<_CMP_UNORD_Q>(self, self)
    }
    #[inline(always)]
    unsafe fn is_finite(self) -> Self::Mask {
        _mm512_cmp_ps_mask::<_CMP_LT_OQ>(_mm512_abs_ps(self), _mm512_set1_ps(f32::INFINITY))
    }
    #[inline(always)]
    unsafe fn select(m: Self::Mask, a: Self, b: Self) -> Self {
        _mm512_mask_blend_ps(m, b, a)
    }
    // VRANGEPS orders the signed zeros itself, so the state is the running VRANGEPS result
    // `m` plus a mask `k` of the lanes that have seen no NaN. VRANGEPS skips quiet NaNs (and
    // may turn `m` into garbage after a signalling one); `k` is ANDed with an ordered compare
    // of the values (a masked `vcmpps`; in `ext_step2` a compare and a `kandw`), and the
    // result is a NaN wherever `k` is clear. The hot loops step two vectors of the same lanes
    // at a time (`ext_step2`, `ext_step_pair`): one compare checks both, so a pair costs three
    // operations (four in `ext_step2`, with its `kandw`) instead of the four of a `vfixupimmps`
    // NaN tracker per vector, as before (1.06-1.17x, on the Intel Xeon).
    type Ext = (__m512, __mmask16);
    #[inline(always)]
    unsafe fn ext_init<const MAX: bool>() -> Self::Ext {
        (
            _mm512_set1_ps(if MAX {
                f32::NEG_INFINITY
            } else {
                f32::INFINITY
            }),
            0xFFFF,
        )
    }
    #[inline(always)]
    unsafe fn ext_step<const MAX: bool>((m, k): Self::Ext, x: Self) -> Self::Ext {
        (
            range::<MAX>(m, x),
            _mm512_mask_cmp_ps_mask::<_CMP_ORD_Q>(k, x, x),
        )
    }
    #[inline(always)]
    unsafe fn ext_step2<const MAX: bool>(
        (m, k): Self::Ext,
        (mb, kb): Self::Ext,
        x: Self,
        y: Self,
    ) -> (Self::Ext, Self::Ext) {
        (
            (
                range::<MAX>(m, x),
                // Not a compare masked by `k` (one operation less): on the AMD Zen 5 of the
                // later benchmarks a masked compare waits about 6 cycles for its mask, and the
                // long NCHW rows step each state once per pair, so that chain set their pace
                // (1x3x224x224 `max` 1.3-1.47x with a plain compare and `kandw`, 1 cycle).
                // Intel CPUs take the masked one (`ext_step2_masked`).
                k & _mm512_cmp_ps_mask::<_CMP_ORD_Q>(x, y),
            ),
            (range::<MAX>(mb, y), kb),
        )
    }
    const EXT_STEP2_MASKED: bool = true;
    // The Intel Xeon with AMX (2026-12-05) runs the masked compare without the Zen 5's wait
    // (`ext_step2`), so the pair costs three operations, not four: `max` / `min` of NCHW
    // 8x256x56x56 1.21-1.27x (83-88% -> 104-106% of the probe), 32x128x768 1.13-1.2x (78-89%
    // -> 100-101%), 1x3x224x224 1.03-1.05x. (Where `ext_step2`'s compare and `kandw` became a
    // `kmovd` and an `and` in general registers: still two operations on the vector ports.)
    // Eight states instead of four, or `vmaxps` in place of `VRANGEPS` (which would need a
    // fix for signed zeros): no faster there (0.99-1.03x). NHWC with this step: 0.95-1.02x,
    // not taken. (`vmaxps` with no NaN check at all is faster: `ext_rounds_flagged`.)
    #[inline(always)]
    unsafe fn ext_step2_masked<const MAX: bool>(
        a: Self::Ext,
        b: Self::Ext,
        x: Self,
        y: Self,
    ) -> (Self::Ext, Self::Ext) {
        // `ext_step2`'s states with `a`'s mask from the masked compare (the compiler drops the
        // unused compare and `kandw`).
        let ((m, _), b) = Self::ext_step2::<MAX>(a, b, x, y);
        ((m, _mm512_mask_cmp_ps_mask::<_CMP_ORD_Q>(a.1, x, y)), b)
    }
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
        // SAFETY: the caller's contract (the rounds readable, AVX-512F).
        unsafe {
            let mut init = [a.0; FLAGGED_COLUMN];
            (init[1], init[2], init[3]) = (b.0, c.0, d.0);
            let (m, nan) = flagged_column::<MAX>(init, p, 256, rounds, 4);
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
        // SAFETY: the caller's contract (AVX-512F).
        unsafe { plain_flagged::<MAX>(a, b) }
    }
    #[inline(always)]
    unsafe fn any_zero(self) -> bool {
        // SAFETY: the caller's contract (AVX-512F).
        unsafe { any_zero(&[self]) }
    }
    #[inline(always)]
    unsafe fn ext_column_flagged<const MAX: bool>(
        col: *const f32,
        stride: usize,
        rows: usize,
        width: usize,
    ) -> Option<[Self; FLAGGED_COLUMN]> {
        // SAFETY: the caller's contract (the column readable, `rows > 0`, AVX-512F).
        unsafe {
            let id = _mm512_set1_ps(if MAX {
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
    #[inline(always)]
    unsafe fn ext_step_pair<const MAX: bool>((m, k): Self::Ext, x: Self, y: Self) -> Self::Ext {
        (
            range::<MAX>(range::<MAX>(m, x), y),
            _mm512_mask_cmp_ps_mask::<_CMP_ORD_Q>(k, x, y),
        )
    }
    #[inline(always)]
    unsafe fn ext_start_pair<const MAX: bool>(x: Self, y: Self) -> Self::Ext {
        (range::<MAX>(x, y), _mm512_cmp_ps_mask::<_CMP_ORD_Q>(x, y))
    }
    #[inline(always)]
    unsafe fn ext_check<const MAX: bool>((m, k): Self::Ext, x: Self, y: Self) -> Self::Ext {
        (m, _mm512_mask_cmp_ps_mask::<_CMP_ORD_Q>(k, x, y))
    }
    #[inline(always)]
    unsafe fn ext_merge<const MAX: bool>(a: Self::Ext, b: Self::Ext) -> Self::Ext {
        (range::<MAX>(a.0, b.0), a.1 & b.1)
    }
    #[inline(always)]
    unsafe fn ext_finish<const MAX: bool>((m, k): Self::Ext) -> Self {
        _mm512_mask_mov_ps(_mm512_set1_ps(f32::NAN), k, m)
    }
    // A group of short NCHW rows: each row's NaN check becomes one bit (a scalar test of its
    // mask), and the rows' vectors fold by `VRANGEPS` alone, instead of a masked move per row
    // and a compare and a masked add per fold step (compares and additions share the two
    // pipes that `VRANGEPS` takes).
    #[inline(always)]
    unsafe fn ext_split<const MAX: bool>((m, k): Self::Ext) -> (Self, bool) {
        (m, k != 0xFFFF)
    }
    #[inline(always)]
    unsafe fn ext_plain<const MAX: bool>(a: Self, b: Self) -> Self {
        range::<MAX>(a, b)
    }
    #[inline(always)]
    unsafe fn fold_pair(a: Self, b: Self, level: u32) -> (Self, Self) {
        match level {
            // 128-bit blocks: [a0 a1 b0 b1], [a2 a3 b2 b3]
            0 => (
                _mm512_shuffle_f32x4::<0x44>(a, b),
                _mm512_shuffle_f32x4::<0xEE>(a, b),
            ),
            // 128-bit blocks: [a0 a2 b0 b2], [a1 a3 b1 b3]
            1 => (
                _mm512_shuffle_f32x4::<0x88>(a, b),
                _mm512_shuffle_f32x4::<0xDD>(a, b),
            ),
            // per 128-bit block: [a0 a1 b0 b1], [a2 a3 b2 b3]
            2 => (
                _mm512_shuffle_ps::<0x44>(a, b),
                _mm512_shuffle_ps::<0xEE>(a, b),
            ),
            // per 128-bit block: [a0 a2 b0 b2], [a1 a3 b1 b3]
            _ => (
                _mm512_shuffle_ps::<0x88>(a, b),
                _mm512_shuffle_ps::<0xDD>(a, b),
            ),
        }
    }
    #[inline(always)]
    unsafe fn unscramble(self) -> Self {
        // After the four levels, lane 4r + q holds vector 4q + r.
        let idx = _mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
        _mm512_permutexvar_ps(idx, self)
    }
}

/// Whether a lane of `v` is `±0`, whose sign `vmaxps` / `vminps` do not order (any other value
/// has one encoding, so it is the same whichever operand it came from).
#[target_feature(enable = "avx512f")]
#[inline]
fn any_zero(v: &[__m512]) -> bool {
    let zero = _mm512_setzero_ps();
    let mut z = 0;
    for &x in v {
        z |= _mm512_cmp_ps_mask::<_CMP_EQ_OQ>(x, zero);
    }
    z != 0
}

/// `vmaxps` (`MAX`) / `vminps` of `a` and `b` in an `asm!` block that is not `pure`, so that it
/// stays between the reads of the status register around it ([`Vector::invalid_flag`]).
///
/// # Safety
/// AVX-512F.
#[target_feature(enable = "avx512f")]
#[inline]
unsafe fn plain_flagged<const MAX: bool>(a: __m512, b: __m512) -> __m512 {
    let m;
    macro_rules! plain {
        ($op:literal) => {
            // SAFETY: an AVX-512F instruction (the caller's contract) on registers: it reads no
            // memory, writes none and leaves the rflags alone; it may set the status register's
            // invalid-operation flag, which is what its callers read.
            unsafe {
                core::arch::asm!(
                    concat!($op, " {m}, {a}, {b}"),
                    m = lateout(zmm_reg) m,
                    a = in(zmm_reg) a,
                    b = in(zmm_reg) b,
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

/// The states `init` stepped by `vmaxps` (`MAX`) or `vminps` with the first `width` vectors (4,
/// 14, 15 or 16; [`FLAGGED_COLUMN`] for any other value) at `col + r * stride_bytes` for the
/// rows `r < rows` (`rows > 0`; the other states are returned as given), and whether the
/// status register's invalid-operation flag is set after them: `vmaxps` / `vminps` report an
/// invalid operation for any NaN operand, quiet or signalling (Intel SDM vol. 1, 11.5.2.1 and
/// table 11-1; `VRANGEPS`, the steps' instruction, reports none for a quiet NaN, nor does the
/// ordered compare). The flag is sticky: if it is already set (by earlier code of the program)
/// the loop is skipped and `true` returned, as this code never writes the register (clearing
/// the program's flag would hide its earlier invalid operation; clearing and restoring it cost
/// about 25 ns a row of 32 KiB here, a tenth of the row). One `asm!` block holds the reads and
/// the loop, as Rust requires of code that checks what floating-point operations report (its
/// compiler may otherwise move them).
///
/// # Safety
/// AVX-512F; `col + r * stride_bytes + [0, 64 * width)` bytes readable for every `r < rows`,
/// `rows > 0`.
#[target_feature(enable = "avx512f")]
#[inline]
unsafe fn flagged_column<const MAX: bool>(
    init: [__m512; FLAGGED_COLUMN],
    col: *const f32,
    stride_bytes: usize,
    rows: usize,
    width: usize,
) -> ([__m512; FLAGGED_COLUMN], bool) {
    let mut s = init;
    let mut csr = 0u32;
    // The loop for the states named, each with its vector's byte offset in a row.
    macro_rules! flagged {
        ($op:literal, $($s:ident $off:literal)*) => {{
            let [$($s,)* ..] = &mut s;
            // SAFETY: reads `rows` rows of `64 * width` bytes, `stride_bytes` apart, from `col`
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
                        "}, zmmword ptr [{p} + ", stringify!($off), "]"
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
                    $($s = inout(zmm_reg) *$s,)*
                    options(nostack),
                );
            }
        }};
    }
    macro_rules! widths {
        ($op:literal) => {
            match width {
                4 => flagged!($op, s0 0 s1 64 s2 128 s3 192),
                14 => flagged!($op, s0 0 s1 64 s2 128 s3 192 s4 256 s5 320 s6 384 s7 448 s8 512 s9 576 s10 640 s11 704 s12 768 s13 832),
                15 => flagged!($op, s0 0 s1 64 s2 128 s3 192 s4 256 s5 320 s6 384 s7 448 s8 512 s9 576 s10 640 s11 704 s12 768 s13 832 s14 896),
                _ => flagged!($op, s0 0 s1 64 s2 128 s3 192 s4 256 s5 320 s6 384 s7 448 s8 512 s9 576 s10 640 s11 704 s12 768 s13 832 s14 896 s15 960),
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

/// Whether this CPU's `vmaxps` and `vminps` (EVEX, 512 bits, a memory operand: the form
/// [`flagged_column`] runs) report a quiet NaN operand in the status register's
/// invalid-operation flag, as the Intel SDM says they do: checked once when the CPU is probed,
/// so that a CPU (or an emulator) that does not never runs [`flagged_column`]. (Under the Bochs
/// emulator of the emulated AVX-512 test no NaN showed in the flag, and without this check its
/// max / min of long rows missed NaNs.) The register is left as found: the flag is cleared
/// before each instruction and the register as read first is written back at the end (status
/// flags only; the control bits are never changed). Nothing is written, and `false` returned,
/// unless the register as read has invalid operations masked, as Rust requires: the Bochs
/// emulator's `stmxcsr` seems to store a zero (its `ldmxcsr` of that value then unmasked them
/// and the `vmaxps` here trapped), which is also why [`flagged_column`] saw no NaN there.
///
/// # Safety
/// AVX-512F.
#[cfg(not(miri))]
#[target_feature(enable = "avx512f")]
pub(super) unsafe fn flags_report_nans() -> bool {
    let nans = [f32::NAN; 16];
    let one = _mm512_set1_ps(1.0);
    // Found, with the flag cleared, after `vmaxps`, after `vminps`.
    let mut csr = [0u32; 4];
    // SAFETY: reads the 64 bytes of `nans` and writes only `csr`; writes the status register
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
            "vmaxps {x}, {one}, zmmword ptr [{nans}]",
            "stmxcsr dword ptr [{csr} + 8]",
            "ldmxcsr dword ptr [{csr} + 4]",
            "vminps {x}, {one}, zmmword ptr [{nans}]",
            "stmxcsr dword ptr [{csr} + 12]",
            "ldmxcsr dword ptr [{csr}]",
            "2:",
            csr = in(reg) csr.as_mut_ptr(),
            nans = in(reg) nans.as_ptr(),
            t = out(reg) _,
            x = out(zmm_reg) _,
            one = in(zmm_reg) one,
            options(nostack),
        );
    }
    let [_, _, max, min] = csr;
    max & min & 1 != 0
}
