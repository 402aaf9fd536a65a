//! The AVX2 path: 8 lanes.

use core::arch::x86_64::*;

use crate::Isa;
use crate::kernels::vector::Vector;

entry_points!(
    Isa::Avx2,
    __m256,
    [__m256i, __m256i, __m256i],
    "the CPU has AVX2 (checked by `for_isa`)",
    "avx2"
);

/// `-1` in the first `n` lanes of the 8 read from `MASKS[8 - n..]`.
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
}
