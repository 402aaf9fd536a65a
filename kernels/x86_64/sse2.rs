//! The SSE2 path: 4 lanes, the x86-64 baseline.

use core::arch::x86_64::*;

use crate::Isa;
use crate::kernels::vector::{Vector, partial};

entry_points!(
    Isa::Sse2,
    __m128,
    [__m128i, __m128i, __m128i],
    "SSE2 is part of x86-64"
);

// SAFETY: SSE2 is part of the x86-64 baseline, so these intrinsics run on every x86-64 CPU;
// pointer contracts are those of the trait.
#[allow(unsafe_op_in_unsafe_fn)]
unsafe impl Vector for __m128 {
    const LANES: usize = 4;
    const TILE: usize = 8;
    const EXT_ACCUMULATORS: usize = 2;
    const EXT_TILE: usize = 4;
    const FLAT_EXT_SHORT: bool = true;
    const NHWC_GROUP: usize = 8;
    type Mask = __m128;
    const NHWC_PAGES_SUM: bool = true;
    const NHWC_PAGES_EXT: bool = true;
    type Chunk = [f32; 256];

    // Bodies call SSE/SSE2 intrinsics without `unsafe` blocks: the trait's contract (pointers
    // valid as stated; SSE2 is always present) is exactly theirs.

    #[inline(always)]
    unsafe fn splat(x: f32) -> Self {
        _mm_set1_ps(x)
    }
    #[inline(always)]
    unsafe fn load(p: *const f32) -> Self {
        _mm_loadu_ps(p)
    }
    #[inline(always)]
    unsafe fn load_partial(p: *const f32, n: usize, fill: f32) -> Self {
        bytemuck::must_cast(partial::<4>(p, n, fill))
    }
    // `n`, `fill`, and for `load_tail_back` the bits of `fill` in lanes `n..4` (zero below).
    type Tail = (usize, f32, __m128);
    #[inline(always)]
    unsafe fn tail(n: usize, fill: f32) -> Self::Tail {
        let mut bits = [fill; 4];
        for b in bits.iter_mut().take(n) {
            *b = 0.0;
        }
        (n, fill, bytemuck::must_cast(bits))
    }
    #[inline(always)]
    unsafe fn load_tail(p: *const f32, (n, fill, _): Self::Tail) -> Self {
        // SAFETY: the caller guarantees `p..p + n` is readable.
        unsafe { Self::load_partial(p, n, fill) }
    }
    #[inline(always)]
    unsafe fn load_tail_back(p: *const f32, (n, _, fill): Self::Tail) -> Self {
        // One full load ending at `p + n`, shifted down by `4 - n` lanes (zeros shifted in),
        // `fill` ORed in: no copy through the stack. SSE2 has no variable shift: `n` is the
        // same for every row of a call, so the branch is predicted.
        // SAFETY: the caller guarantees `p + n - 4..p + n` is readable.
        let v = _mm_castps_si128(unsafe { _mm_loadu_ps(p.add(n).sub(4)) });
        let moved = match n {
            1 => _mm_srli_si128::<12>(v),
            2 => _mm_srli_si128::<8>(v),
            _ => _mm_srli_si128::<4>(v),
        };
        _mm_or_ps(_mm_castsi128_ps(moved), fill)
    }
    #[inline(always)]
    unsafe fn store(self, p: *mut f32) {
        _mm_storeu_ps(p, self)
    }
    #[inline(always)]
    unsafe fn store_partial(self, p: *mut f32, n: usize) {
        let a: [f32; 4] = bytemuck::must_cast(self);
        core::ptr::copy_nonoverlapping(a.as_ptr(), p, n.min(4));
    }
    #[inline(always)]
    unsafe fn add(self, b: Self) -> Self {
        _mm_add_ps(self, b)
    }
    #[inline(always)]
    unsafe fn sub(self, b: Self) -> Self {
        _mm_sub_ps(self, b)
    }
    #[inline(always)]
    unsafe fn div(self, b: Self) -> Self {
        _mm_div_ps(self, b)
    }
    #[inline(always)]
    unsafe fn max(self, b: Self) -> Self {
        // MAXPS returns its second operand on equal values and on NaN. Both orders ANDed give
        // +0.0 for {+0.0, -0.0}; the unordered mask (all ones, a NaN) ORed in makes NaNs stick.
        let both = _mm_and_ps(_mm_max_ps(self, b), _mm_max_ps(b, self));
        _mm_or_ps(both, _mm_cmpunord_ps(self, b))
    }
    #[inline(always)]
    unsafe fn min(self, b: Self) -> Self {
        // Both orders ORed: -0.0 for {+0.0, -0.0}, and a NaN whenever either operand is NaN
        // (one of the two results is that NaN, and OR keeps its all-ones exponent and non-zero
        // mantissa).
        _mm_or_ps(_mm_min_ps(self, b), _mm_min_ps(b, self))
    }
    #[inline(always)]
    unsafe fn is_nan(self) -> Self::Mask {
        _mm_cmpunord_ps(self, self)
    }
    #[inline(always)]
    unsafe fn is_finite(self) -> Self::Mask {
        let abs = _mm_andnot_ps(_mm_set1_ps(-0.0), self);
        _mm_cmplt_ps(abs, _mm_set1_ps(f32::INFINITY))
    }
    #[inline(always)]
    unsafe fn select(m: Self::Mask, a: Self, b: Self) -> Self {
        _mm_or_ps(_mm_and_ps(m, a), _mm_andnot_ps(m, b))
    }
    super::x86_ext!(
        __m128,
        _mm_max_ps,
        _mm_min_ps,
        _mm_and_ps,
        _mm_or_ps,
        _mm_cmpunord_ps,
        |m| _mm_cmpeq_ps(m, _mm_setzero_ps()),
        |mask, a, b| _mm_or_ps(_mm_and_ps(mask, a), _mm_andnot_ps(mask, b)),
        _mm_set1_ps
    );
    // Two vectors of the same lanes at a time (NCHW rows of more than 64 values, NHWC rows read
    // two at a time): one unordered compare checks both, ORed into the first state's NaN register.
    // Against a compare per vector, on an AMD Zen 5 (NCHW `max`, three runs): 8x256x56x56
    // 1.2-1.6x, token rows of 768 1.16-1.31x, 1x3x224x224 1.12-1.14x, 1x64x112x112 1.09-1.13x,
    // 14x14 1.01-1.08x; 7x7 (short rows, `ext_step_pair`) and NHWC level. (The same for AVX2,
    // with `ext_step_pair` too: 7x7 0.95-0.99x, long rows 0.97-1.03x: not taken.)
    #[inline(always)]
    unsafe fn ext_step2<const MAX: bool>(
        (m, z, n): Self::Ext,
        (mb, zb, nb): Self::Ext,
        x: Self,
        y: Self,
    ) -> (Self::Ext, Self::Ext) {
        // The values and signed zeros as `ext_step` steps them (its per-vector compares are
        // not used, and the compiler drops them).
        let (m, z, _) = Self::ext_step::<MAX>((m, z, n), x);
        let (mb, zb, _) = Self::ext_step::<MAX>((mb, zb, nb), y);
        ((m, z, _mm_or_ps(n, _mm_cmpunord_ps(x, y))), (mb, zb, nb))
    }
    #[inline(always)]
    unsafe fn fold_pair(a: Self, b: Self, level: u32) -> (Self, Self) {
        if level == 0 {
            // [a0 a1 b0 b1], [a2 a3 b2 b3]
            (_mm_shuffle_ps::<0x44>(a, b), _mm_shuffle_ps::<0xEE>(a, b))
        } else {
            // [a0 a2 b0 b2], [a1 a3 b1 b3]
            (_mm_shuffle_ps::<0x88>(a, b), _mm_shuffle_ps::<0xDD>(a, b))
        }
    }
    #[inline(always)]
    unsafe fn unscramble(self) -> Self {
        self
    }
}
