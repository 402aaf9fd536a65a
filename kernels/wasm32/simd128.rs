//! The wasm `simd128` path: 4 lanes.
//!
//! WebAssembly's `f32x4.max` / `f32x4.min` are IEEE 754-2019 `maximum` / `minimum`
//! (NaN-propagating, `-0.0 < +0.0`), so max and min need no extra state here.

use core::arch::wasm32::*;

use crate::Isa;
use crate::kernels::int::IntVector;
use crate::kernels::vector::Vector;

entry_points!(
    Isa::Simd128,
    v128,
    [v128, v128, v128],
    "`simd128` is part of the build"
);

// SAFETY: this module is only compiled when the build enables `simd128`, so the module does not
// validate (and nothing runs) on an engine without it; pointer contracts are those of the trait.
#[allow(unsafe_op_in_unsafe_fn)]
unsafe impl Vector for v128 {
    const LANES: usize = 4;
    const TILE: usize = 8;
    const EXT_ACCUMULATORS: usize = 16;
    const EXT_TILE: usize = 8;
    const NHWC_GROUP: usize = 8;
    type Mask = v128;
    type Chunk = [f32; 256];

    // No `unsafe` blocks below: each body only calls `simd128` intrinsics (part of the build), and
    // the trait's contract (pointers valid as stated) is exactly theirs. wasm loads and stores
    // need no alignment.
    #[inline(always)]
    unsafe fn splat(x: f32) -> Self {
        f32x4_splat(x)
    }
    #[inline(always)]
    unsafe fn load(p: *const f32) -> Self {
        v128_load(p.cast())
    }
    #[inline(always)]
    unsafe fn load_partial(p: *const f32, n: usize, fill: f32) -> Self {
        // Lane loads straight into a vector of `fill`: reads exactly `n` values (1 to 3).
        let f = f32x4_splat(fill);
        match n {
            1 => v128_load32_lane::<0>(f, p.cast()),
            2 => v128_load64_lane::<0>(f, p.cast()),
            _ => v128_load32_lane::<2>(v128_load64_lane::<0>(f, p.cast()), p.add(2).cast()),
        }
    }
    type Tail = (usize, f32);
    #[inline(always)]
    unsafe fn tail(n: usize, fill: f32) -> Self::Tail {
        (n, fill)
    }
    #[inline(always)]
    unsafe fn load_tail(p: *const f32, (n, fill): Self::Tail) -> Self {
        Self::load_partial(p, n, fill)
    }
    #[inline(always)]
    unsafe fn store(self, p: *mut f32) {
        v128_store(p.cast(), self)
    }
    #[inline(always)]
    unsafe fn store_partial(self, p: *mut f32, n: usize) {
        let mut a = [0.0f32; 4];
        v128_store(a.as_mut_ptr().cast(), self);
        core::ptr::copy_nonoverlapping(a.as_ptr(), p, n.min(4));
    }
    #[inline(always)]
    unsafe fn add(self, b: Self) -> Self {
        f32x4_add(self, b)
    }
    #[inline(always)]
    unsafe fn sub(self, b: Self) -> Self {
        f32x4_sub(self, b)
    }
    #[inline(always)]
    unsafe fn div(self, b: Self) -> Self {
        f32x4_div(self, b)
    }
    #[inline(always)]
    unsafe fn max(self, b: Self) -> Self {
        f32x4_max(self, b)
    }
    #[inline(always)]
    unsafe fn min(self, b: Self) -> Self {
        f32x4_min(self, b)
    }
    #[inline(always)]
    unsafe fn is_nan(self) -> Self::Mask {
        v128_not(f32x4_eq(self, self))
    }
    #[inline(always)]
    unsafe fn is_finite(self) -> Self::Mask {
        f32x4_lt(f32x4_abs(self), f32x4_splat(f32::INFINITY))
    }
    #[inline(always)]
    unsafe fn select(m: Self::Mask, a: Self, b: Self) -> Self {
        v128_bitselect(a, b, m)
    }
    type Ext = v128;
    #[inline(always)]
    unsafe fn ext_init<const MAX: bool>() -> Self::Ext {
        f32x4_splat(if MAX {
            f32::NEG_INFINITY
        } else {
            f32::INFINITY
        })
    }
    #[inline(always)]
    unsafe fn ext_step<const MAX: bool>(acc: Self::Ext, x: Self) -> Self::Ext {
        if MAX {
            f32x4_max(acc, x)
        } else {
            f32x4_min(acc, x)
        }
    }
    #[inline(always)]
    unsafe fn ext_merge<const MAX: bool>(a: Self::Ext, b: Self::Ext) -> Self::Ext {
        if MAX {
            f32x4_max(a, b)
        } else {
            f32x4_min(a, b)
        }
    }
    #[inline(always)]
    unsafe fn ext_finish<const MAX: bool>(acc: Self::Ext) -> Self {
        acc
    }
    #[inline(always)]
    unsafe fn fold_pair(a: Self, b: Self, level: u32) -> (Self, Self) {
        if level == 0 {
            // [a0 a1 b0 b1], [a2 a3 b2 b3]
            (
                u32x4_shuffle::<0, 1, 4, 5>(a, b),
                u32x4_shuffle::<2, 3, 6, 7>(a, b),
            )
        } else {
            // [a0 a2 b0 b2], [a1 a3 b1 b3]
            (
                u32x4_shuffle::<0, 2, 4, 6>(a, b),
                u32x4_shuffle::<1, 3, 5, 7>(a, b),
            )
        }
    }
    #[inline(always)]
    unsafe fn unscramble(self) -> Self {
        self
    }
}

// ---------------------------------------------------------------------------------------------
// Integers: sums widen with the pairwise extending adds (`extadd_pairwise`), per-lane sums with
// the extending conversions (`extend_low` / `extend_high`).
// ---------------------------------------------------------------------------------------------

/// `p[0..4] += a`, `p[4..8] += b`.
///
/// # Safety
/// `p..p + 8` must be readable and writable.
#[inline(always)]
unsafe fn spill(p: *mut i32, a: v128, b: v128) {
    // SAFETY: the caller's range; `simd128` is part of the build; wasm needs no alignment.
    unsafe {
        v128_store(p.cast(), i32x4_add(v128_load(p.cast()), a));
        v128_store(p.add(4).cast(), i32x4_add(v128_load(p.add(4).cast()), b));
    }
}

/// The wrapping sum of the four `i32` lanes.
#[inline(always)]
fn total32(x: v128) -> i32 {
    let s = i32x4_add(x, i64x2_shuffle::<1, 0>(x, x));
    i32x4_extract_lane::<0>(i32x4_add(s, i32x4_shuffle::<1, 0, 3, 2>(s, s)))
}

macro_rules! common {
    ($t:ty, $splat:ident, $max:ident, $min:ident, $n:literal) => {
        #[inline(always)]
        unsafe fn splat(x: $t) -> Self {
            $splat(x)
        }
        #[inline(always)]
        unsafe fn load(p: *const $t) -> Self {
            v128_load(p.cast())
        }
        #[inline(always)]
        unsafe fn store(self, p: *mut $t) {
            v128_store(p.cast(), self)
        }
        #[inline(always)]
        unsafe fn and(self, m: Self) -> Self {
            v128_and(self, m)
        }
        #[inline(always)]
        unsafe fn select(m: Self, a: Self, b: Self) -> Self {
            v128_bitselect(a, b, m)
        }
        #[inline(always)]
        unsafe fn max(self, b: Self) -> Self {
            $max(self, b)
        }
        #[inline(always)]
        unsafe fn min(self, b: Self) -> Self {
            $min(self, b)
        }
        #[inline(always)]
        unsafe fn hmax(self) -> i32 {
            let a: [$t; $n] = bytemuck::must_cast(self);
            a.into_iter().map(i32::from).fold(i32::MIN, i32::max)
        }
        #[inline(always)]
        unsafe fn hmin(self) -> i32 {
            let a: [$t; $n] = bytemuck::must_cast(self);
            a.into_iter().map(i32::from).fold(i32::MAX, i32::min)
        }
    };
}

// SAFETY: this module is only compiled when the build enables `simd128`; pointer contracts are
// the trait's.
#[allow(unsafe_op_in_unsafe_fn)]
unsafe impl IntVector<i8> for v128 {
    crate::kernels::int::nsum_is_hsum!(i8);
    const LANES: usize = 16;
    const LSUM_ROWS: usize = 256;
    common!(i8, i8x16_splat, i8x16_max, i8x16_min, 16);
    type Hsum = v128;
    #[inline(always)]
    unsafe fn hsum_zero() -> v128 {
        i32x4_splat(0)
    }
    #[inline(always)]
    unsafe fn hsum_add(acc: v128, v: Self) -> v128 {
        i32x4_add(
            acc,
            i32x4_extadd_pairwise_i16x8(i16x8_extadd_pairwise_i8x16(v)),
        )
    }
    #[inline(always)]
    unsafe fn hsum_merge(a: v128, b: v128) -> v128 {
        i32x4_add(a, b)
    }
    #[inline(always)]
    unsafe fn hsum_total(acc: v128, _: usize) -> i32 {
        total32(acc)
    }
    type Lsum = (v128, v128);
    #[inline(always)]
    unsafe fn lsum_zero() -> Self::Lsum {
        (i16x8_splat(0), i16x8_splat(0))
    }
    #[inline(always)]
    unsafe fn lsum_add((lo, hi): Self::Lsum, v: Self) -> Self::Lsum {
        (
            i16x8_add(lo, i16x8_extend_low_i8x16(v)),
            i16x8_add(hi, i16x8_extend_high_i8x16(v)),
        )
    }
    #[inline(always)]
    unsafe fn lsum_spill((lo, hi): Self::Lsum, p: *mut i32) {
        spill(p, i32x4_extend_low_i16x8(lo), i32x4_extend_high_i16x8(lo));
        spill(
            p.add(8),
            i32x4_extend_low_i16x8(hi),
            i32x4_extend_high_i16x8(hi),
        );
    }
}

// SAFETY: as above.
#[allow(unsafe_op_in_unsafe_fn)]
unsafe impl IntVector<u8> for v128 {
    crate::kernels::int::nsum_is_hsum!(u8);
    const LANES: usize = 16;
    const LSUM_ROWS: usize = 256;
    common!(u8, u8x16_splat, u8x16_max, u8x16_min, 16);
    type Hsum = v128;
    #[inline(always)]
    unsafe fn hsum_zero() -> v128 {
        i32x4_splat(0)
    }
    #[inline(always)]
    unsafe fn hsum_add(acc: v128, v: Self) -> v128 {
        i32x4_add(
            acc,
            i32x4_extadd_pairwise_u16x8(u16x8_extadd_pairwise_u8x16(v)),
        )
    }
    #[inline(always)]
    unsafe fn hsum_merge(a: v128, b: v128) -> v128 {
        i32x4_add(a, b)
    }
    #[inline(always)]
    unsafe fn hsum_total(acc: v128, _: usize) -> i32 {
        total32(acc)
    }
    type Lsum = (v128, v128);
    #[inline(always)]
    unsafe fn lsum_zero() -> Self::Lsum {
        (i16x8_splat(0), i16x8_splat(0))
    }
    #[inline(always)]
    unsafe fn lsum_add((lo, hi): Self::Lsum, v: Self) -> Self::Lsum {
        (
            i16x8_add(lo, u16x8_extend_low_u8x16(v)),
            i16x8_add(hi, u16x8_extend_high_u8x16(v)),
        )
    }
    #[inline(always)]
    unsafe fn lsum_spill((lo, hi): Self::Lsum, p: *mut i32) {
        spill(p, u32x4_extend_low_u16x8(lo), u32x4_extend_high_u16x8(lo));
        spill(
            p.add(8),
            u32x4_extend_low_u16x8(hi),
            u32x4_extend_high_u16x8(hi),
        );
    }
}

// SAFETY: as above.
#[allow(unsafe_op_in_unsafe_fn)]
unsafe impl IntVector<i16> for v128 {
    crate::kernels::int::nsum_is_hsum!(i16);
    const LANES: usize = 8;
    const LSUM_ROWS: usize = usize::MAX;
    common!(i16, i16x8_splat, i16x8_max, i16x8_min, 8);
    type Hsum = v128;
    #[inline(always)]
    unsafe fn hsum_zero() -> v128 {
        i32x4_splat(0)
    }
    #[inline(always)]
    unsafe fn hsum_add(acc: v128, v: Self) -> v128 {
        i32x4_add(acc, i32x4_extadd_pairwise_i16x8(v))
    }
    #[inline(always)]
    unsafe fn hsum_merge(a: v128, b: v128) -> v128 {
        i32x4_add(a, b)
    }
    #[inline(always)]
    unsafe fn hsum_total(acc: v128, _: usize) -> i32 {
        total32(acc)
    }
    type Lsum = (v128, v128);
    #[inline(always)]
    unsafe fn lsum_zero() -> Self::Lsum {
        (i32x4_splat(0), i32x4_splat(0))
    }
    #[inline(always)]
    unsafe fn lsum_add((lo, hi): Self::Lsum, v: Self) -> Self::Lsum {
        (
            i32x4_add(lo, i32x4_extend_low_i16x8(v)),
            i32x4_add(hi, i32x4_extend_high_i16x8(v)),
        )
    }
    #[inline(always)]
    unsafe fn lsum_spill((lo, hi): Self::Lsum, p: *mut i32) {
        spill(p, lo, hi);
    }
}
