//! The AVX-512 path: 16 lanes. The f32 kernels use AVX-512F only; the integer kernels
//! (`x86_64/int.rs`) also AVX-512BW, which the path requires.

use core::arch::x86_64::*;

use crate::Isa;
use crate::kernels::vector::Vector;

entry_points!(
    Isa::Avx512,
    __m512,
    [__m512i, __m512i, __m512i],
    "the CPU has AVX-512F and AVX-512BW (checked by `for_isa`)",
    "avx512f,avx512bw"
);

/// The mask of the first `n` lanes, `0 < n < 16`.
#[inline(always)]
fn first(n: usize) -> __mmask16 {
    ((1u32 << n.min(15)) - 1) as __mmask16
}

/// Bitwise OR of two float vectors (AVX-512F has it only for integers).
///
/// # Safety
/// AVX-512F must be available.
#[inline(always)]
unsafe fn or(a: __m512, b: __m512) -> __m512 {
    // SAFETY: the caller guarantees AVX-512F.
    unsafe {
        _mm512_castsi512_ps(_mm512_or_si512(
            _mm512_castps_si512(a),
            _mm512_castps_si512(b),
        ))
    }
}

/// Bitwise AND of two float vectors.
///
/// # Safety
/// AVX-512F must be available.
#[inline(always)]
unsafe fn and(a: __m512, b: __m512) -> __m512 {
    // SAFETY: the caller guarantees AVX-512F.
    unsafe {
        _mm512_castsi512_ps(_mm512_and_si512(
            _mm512_castps_si512(a),
            _mm512_castps_si512(b),
        ))
    }
}

// SAFETY: only used inside the `#[target_feature(enable = "avx512f,avx512bw")]` entry points above, which
// are only reachable after the CPU check; pointer contracts are those of the trait.
#[allow(unsafe_op_in_unsafe_fn)]
unsafe impl Vector for __m512 {
    const LANES: usize = 16;
    const TILE: usize = 16;
    const EXT_ACCUMULATORS: usize = 2;
    const EXT_TILE: usize = 8;
    const NHWC_GROUP: usize = 8;
    type Mask = __mmask16;
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
    unsafe fn sub(self, b: Self) -> Self {
        _mm512_sub_ps(self, b)
    }
    #[inline(always)]
    unsafe fn div(self, b: Self) -> Self {
        _mm512_div_ps(self, b)
    }
    #[inline(always)]
    unsafe fn max(self, b: Self) -> Self {
        // VMAXPS returns its second operand on equal values and on NaN: both orders ANDed give
        // +0.0 for {+0.0, -0.0}; unordered lanes get `a + b`, a NaN.
        let m1 = _mm512_castps_si512(_mm512_max_ps(self, b));
        let m2 = _mm512_castps_si512(_mm512_max_ps(b, self));
        let both = _mm512_castsi512_ps(_mm512_and_si512(m1, m2));
        let nan = _mm512_cmp_ps_mask::<_CMP_UNORD_Q>(self, b);
        _mm512_mask_add_ps(both, nan, self, b)
    }
    #[inline(always)]
    unsafe fn min(self, b: Self) -> Self {
        // Both orders ORed: -0.0 for {+0.0, -0.0}, and NaN sticks.
        or(_mm512_min_ps(self, b), _mm512_min_ps(b, self))
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
    // The x86 state of `x86_ext!` (see there), with "no NaN seen yet" kept in a mask register:
    // one masked compare per step keeps it up to date.
    type Ext = (__m512, __m512, __mmask16);
    #[inline(always)]
    unsafe fn ext_init<const MAX: bool>() -> Self::Ext {
        let z = if MAX {
            _mm512_set1_ps(f32::from_bits(u32::MAX))
        } else {
            _mm512_setzero_ps()
        };
        (
            _mm512_set1_ps(if MAX {
                f32::NEG_INFINITY
            } else {
                f32::INFINITY
            }),
            z,
            0xFFFF,
        )
    }
    #[inline(always)]
    unsafe fn ext_step<const MAX: bool>((m, z, ordered): Self::Ext, x: Self) -> Self::Ext {
        let ordered = _mm512_mask_cmp_ps_mask::<_CMP_ORD_Q>(ordered, x, x);
        if MAX {
            (_mm512_max_ps(m, x), and(z, x), ordered)
        } else {
            (_mm512_min_ps(m, x), or(z, x), ordered)
        }
    }
    #[inline(always)]
    unsafe fn ext_merge<const MAX: bool>(a: Self::Ext, b: Self::Ext) -> Self::Ext {
        if MAX {
            (_mm512_max_ps(a.0, b.0), and(a.1, b.1), a.2 & b.2)
        } else {
            (_mm512_min_ps(a.0, b.0), or(a.1, b.1), a.2 & b.2)
        }
    }
    #[inline(always)]
    unsafe fn ext_finish<const MAX: bool>((m, z, ordered): Self::Ext) -> Self {
        let zero = _mm512_cmp_ps_mask::<_CMP_EQ_OQ>(m, _mm512_setzero_ps());
        let r = _mm512_mask_blend_ps(zero, m, and(z, _mm512_set1_ps(-0.0)));
        _mm512_mask_blend_ps(ordered, _mm512_set1_ps(f32::NAN), r)
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
