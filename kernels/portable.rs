//! The portable path: the `wide` crate's `f32x8`, which is whatever SIMD the build target
//! enables at compile time (two SSE2 registers on x86-64, two NEON registers on aarch64, two
//! `v128` with wasm `simd128`) and an array of 8 floats elsewhere. No run-time detection: it is
//! available on every target.

use wide::f32x8;

use super::vector::{Vector, partial};
use crate::Isa;

entry_points!(
    Isa::Portable,
    f32x8,
    [wide::i8x16, wide::u8x16, wide::i16x8],
    "`wide` needs nothing beyond the build target"
);

/// The last `N` lanes of `v` first, then `fill`.
#[inline(always)]
fn back<const N: usize>(v: [f32; 8], fill: f32) -> [f32; 8] {
    core::array::from_fn(|i| {
        if i < N {
            v.get(i + 8 - N).copied().unwrap_or(fill)
        } else {
            fill
        }
    })
}

// SAFETY: `wide` only uses what the build target enables, so nothing here depends on the CPU;
// pointer contracts are those of the trait.
unsafe impl Vector for f32x8 {
    const LANES: usize = 8;
    const TILE: usize = 4;
    const EXT_ACCUMULATORS: usize = 4;
    const EXT_TILE: usize = 4;
    const NHWC_GROUP: usize = 32;
    type Mask = f32x8;
    type Chunk = [f32; 64];

    #[inline(always)]
    unsafe fn splat(x: f32) -> Self {
        f32x8::splat(x)
    }
    #[inline(always)]
    unsafe fn load(p: *const f32) -> Self {
        // SAFETY: the caller guarantees `p..p + 8` is readable.
        f32x8::new(unsafe { p.cast::<[f32; 8]>().read_unaligned() })
    }
    #[inline(always)]
    unsafe fn load_partial(p: *const f32, n: usize, fill: f32) -> Self {
        // SAFETY: the caller guarantees `p..p + n` is readable.
        f32x8::new(unsafe { partial::<8>(p, n, fill) })
    }
    type Tail = (usize, f32);
    #[inline(always)]
    unsafe fn tail(n: usize, fill: f32) -> Self::Tail {
        (n, fill)
    }
    #[inline(always)]
    unsafe fn load_tail(p: *const f32, (n, fill): Self::Tail) -> Self {
        // SAFETY: the caller guarantees `p..p + n` is readable.
        unsafe { Self::load_partial(p, n, fill) }
    }
    // The whole vector that ends with the tail, its last `n` lanes moved to the front by a
    // constant shuffle per `n`: a partial load of a variable length is a `memcpy` call into
    // the stack and a reload that waits for it (NCHW `avg` 7x7 1.8x, 10x10 1.7x, 3x3 2.9x with
    // this).
    #[inline(always)]
    unsafe fn load_tail_back(p: *const f32, (n, fill): Self::Tail) -> Self {
        // SAFETY: the caller guarantees `p + n - 8..p + n` is readable.
        let v = unsafe { Self::load(p.add(n).sub(8)) }.to_array();
        macro_rules! arms {
            ($($k:literal)*) => {
                match n {
                    $($k => back::<$k>(v, fill),)*
                    _ => v,
                }
            };
        }
        f32x8::new(arms!(1 2 3 4 5 6 7))
    }
    #[inline(always)]
    unsafe fn store(self, p: *mut f32) {
        // SAFETY: the caller guarantees `p..p + 8` is writable.
        unsafe { p.cast::<[f32; 8]>().write_unaligned(self.to_array()) }
    }
    #[inline(always)]
    unsafe fn store_partial(self, p: *mut f32, n: usize) {
        let a = self.to_array();
        // SAFETY: the caller guarantees `p..p + n` is writable, and `n < 8`.
        unsafe { core::ptr::copy_nonoverlapping(a.as_ptr(), p, n.min(8)) };
    }
    #[inline(always)]
    unsafe fn add(self, b: Self) -> Self {
        self + b
    }
    #[inline(always)]
    unsafe fn sub(self, b: Self) -> Self {
        self - b
    }
    #[inline(always)]
    unsafe fn div(self, b: Self) -> Self {
        self / b
    }
    #[inline(always)]
    unsafe fn max(self, b: Self) -> Self {
        // Larger one; on equality the AND of both (+0.0 for {+0.0, -0.0}); NaN forced by OR.
        let r = self
            .simd_gt(b)
            .select(self, b.simd_gt(self).select(b, self & b));
        r | self.is_nan() | b.is_nan()
    }
    #[inline(always)]
    unsafe fn min(self, b: Self) -> Self {
        // Smaller one; on equality the OR of both (-0.0 for {+0.0, -0.0}); NaN forced by OR.
        let r = self
            .simd_lt(b)
            .select(self, b.simd_lt(self).select(b, self | b));
        r | self.is_nan() | b.is_nan()
    }
    #[inline(always)]
    unsafe fn is_nan(self) -> Self::Mask {
        f32x8::is_nan(self)
    }
    #[inline(always)]
    unsafe fn is_finite(self) -> Self::Mask {
        f32x8::is_finite(self)
    }
    #[inline(always)]
    unsafe fn select(m: Self::Mask, a: Self, b: Self) -> Self {
        m.select(a, b)
    }
    // Three registers, as on x86 (`x86_64::x86_ext`): `m` the running `fast_max` / `fast_min`
    // (right wherever no NaN came in and the result is not zero), `z` the AND (max) / OR (min)
    // of all the bits (the sign of a zero result), `n` all ones from the first NaN on. Four
    // operations a step instead of the ten of `Vector::max` / `min`.
    type Ext = (f32x8, f32x8, f32x8);
    #[inline(always)]
    unsafe fn ext_init<const MAX: bool>() -> Self::Ext {
        if MAX {
            (
                f32x8::splat(f32::NEG_INFINITY),
                f32x8::splat(f32::from_bits(u32::MAX)),
                f32x8::splat(0.0),
            )
        } else {
            (
                f32x8::splat(f32::INFINITY),
                f32x8::splat(0.0),
                f32x8::splat(0.0),
            )
        }
    }
    #[inline(always)]
    unsafe fn ext_step<const MAX: bool>((m, z, n): Self::Ext, x: Self) -> Self::Ext {
        if MAX {
            (m.fast_max(x), z & x, n | x.is_nan())
        } else {
            (m.fast_min(x), z | x, n | x.is_nan())
        }
    }
    #[inline(always)]
    unsafe fn ext_start_pair<const MAX: bool>(x: Self, y: Self) -> Self::Ext {
        if MAX {
            (x.fast_max(y), x & y, x.is_nan() | y.is_nan())
        } else {
            (x.fast_min(y), x | y, x.is_nan() | y.is_nan())
        }
    }
    #[inline(always)]
    unsafe fn ext_merge<const MAX: bool>(a: Self::Ext, b: Self::Ext) -> Self::Ext {
        if MAX {
            (a.0.fast_max(b.0), a.1 & b.1, a.2 | b.2)
        } else {
            (a.0.fast_min(b.0), a.1 | b.1, a.2 | b.2)
        }
    }
    #[inline(always)]
    unsafe fn ext_finish<const MAX: bool>((m, z, n): Self::Ext) -> Self {
        // SAFETY: nothing here depends on the CPU.
        unsafe { Self::ext_split::<MAX>((m, z, n)).0 | n }
    }
    // Short NCHW rows keep NaNs out of band (as AVX-512): the value with its zero's sign, and
    // whether any lane saw a NaN; their folds then take `ext_plain`, three operations where
    // the exact `max` / `min` takes about ten.
    #[inline(always)]
    unsafe fn ext_split<const MAX: bool>((m, z, n): Self::Ext) -> (Self, bool) {
        // A zero result takes its sign from `z`.
        let zero = z & f32x8::splat(-0.0);
        (m.simd_eq(f32x8::splat(0.0)).select(zero, m), n.any())
    }
    #[inline(always)]
    unsafe fn ext_plain<const MAX: bool>(a: Self, b: Self) -> Self {
        // Equal lanes (the two zeros included) take the AND (max: `+0.0` for `{+0.0, -0.0}`)
        // or the OR (min) of both.
        if MAX {
            a.simd_eq(b).select(a & b, a.fast_max(b))
        } else {
            a.simd_eq(b).select(a | b, a.fast_min(b))
        }
    }
    #[inline(always)]
    unsafe fn fold_pair(a: Self, b: Self, level: u32) -> (Self, Self) {
        // Groups of `g` lanes: the first halves of a's groups, then of b's, make `lo`; the second
        // halves make `hi`. Vectors then stay in order, so `unscramble` has nothing to do.
        let h = 4usize >> level.min(2);
        let g = 2 * h;
        let ab: [f32; 16] = bytemuck::must_cast([a.to_array(), b.to_array()]);
        let (mut lo, mut hi) = ([0.0f32; 8], [0.0f32; 8]);
        for (i, (l, u)) in lo.iter_mut().zip(hi.iter_mut()).enumerate() {
            let first = i / h * g + i % h;
            *l = ab.get(first).copied().unwrap_or_default();
            *u = ab.get(first + h).copied().unwrap_or_default();
        }
        (f32x8::new(lo), f32x8::new(hi))
    }
    #[inline(always)]
    unsafe fn unscramble(self) -> Self {
        self
    }
}

// ---------------------------------------------------------------------------------------------
// Integers: `wide`'s 16-byte vectors.
// ---------------------------------------------------------------------------------------------

mod int {
    use wide::{i8x16, i16x8, i16x16, i32x4, i32x8, u8x16, u16x16};

    use crate::kernels::int::IntVector;

    /// `p[i] += a[i]` (wrapping) for the lanes of `a`.
    ///
    /// # Safety
    /// `p..p + N` must be readable and writable.
    #[inline(always)]
    unsafe fn spill<const N: usize>(p: *mut i32, a: [i32; N]) {
        for (i, v) in a.into_iter().enumerate() {
            // SAFETY: `i < N`, inside the caller's range.
            unsafe { *p.add(i) = (*p.add(i)).wrapping_add(v) };
        }
    }

    macro_rules! common {
        ($t:ty, $v:ty, $n:literal) => {
            #[inline(always)]
            unsafe fn splat(x: $t) -> Self {
                <$v>::splat(x)
            }
            #[inline(always)]
            unsafe fn load(p: *const $t) -> Self {
                // SAFETY: the caller guarantees `p..p + LANES` is readable.
                <$v>::new(unsafe { p.cast::<[$t; $n]>().read_unaligned() })
            }
            #[inline(always)]
            unsafe fn store(self, p: *mut $t) {
                // SAFETY: the caller guarantees `p..p + LANES` is writable.
                unsafe { p.cast::<[$t; $n]>().write_unaligned(self.to_array()) }
            }
            #[inline(always)]
            unsafe fn and(self, m: Self) -> Self {
                self & m
            }
            #[inline(always)]
            unsafe fn select(m: Self, a: Self, b: Self) -> Self {
                (m & a) | (!m & b)
            }
            #[inline(always)]
            unsafe fn max(self, b: Self) -> Self {
                <$v>::max(self, b)
            }
            #[inline(always)]
            unsafe fn min(self, b: Self) -> Self {
                <$v>::min(self, b)
            }
            #[inline(always)]
            unsafe fn hmax(self) -> i32 {
                i32::from(self.reduce_max())
            }
            #[inline(always)]
            unsafe fn hmin(self) -> i32 {
                i32::from(self.reduce_min())
            }
        };
    }

    /// The wrapping sum of all lanes.
    fn total<const N: usize>(a: [i32; N]) -> i32 {
        a.into_iter().fold(0, i32::wrapping_add)
    }

    // SAFETY: `wide` only uses what the build target enables; pointer contracts are the trait's.
    unsafe impl IntVector<i8> for i8x16 {
        crate::kernels::int::nsum_is_hsum!(i8);
        const LANES: usize = 16;
        const LSUM_ROWS: usize = 256;
        common!(i8, i8x16, 16);
        type Hsum = i32x8;
        #[inline(always)]
        unsafe fn hsum_zero() -> i32x8 {
            i32x8::ZERO
        }
        #[inline(always)]
        unsafe fn hsum_add(acc: i32x8, v: Self) -> i32x8 {
            acc + i16x16::from_i8x16(v).dot(i16x16::splat(1))
        }
        #[inline(always)]
        unsafe fn hsum_merge(a: i32x8, b: i32x8) -> i32x8 {
            a + b
        }
        #[inline(always)]
        unsafe fn hsum_total(acc: i32x8, _: usize) -> i32 {
            total(acc.to_array())
        }
        type Lsum = i16x16;
        #[inline(always)]
        unsafe fn lsum_zero() -> i16x16 {
            i16x16::ZERO
        }
        #[inline(always)]
        unsafe fn lsum_add(acc: i16x16, v: Self) -> i16x16 {
            acc + i16x16::from_i8x16(v)
        }
        #[inline(always)]
        unsafe fn lsum_spill(acc: i16x16, p: *mut i32) {
            // SAFETY: forwarded contract (16 lanes).
            unsafe { spill(p, acc.to_array().map(i32::from)) }
        }
    }

    // SAFETY: as above.
    unsafe impl IntVector<u8> for u8x16 {
        crate::kernels::int::nsum_is_hsum!(u8);
        const LANES: usize = 16;
        const LSUM_ROWS: usize = 256;
        common!(u8, u8x16, 16);
        type Hsum = i32x8;
        #[inline(always)]
        unsafe fn hsum_zero() -> i32x8 {
            i32x8::ZERO
        }
        #[inline(always)]
        unsafe fn hsum_add(acc: i32x8, v: Self) -> i32x8 {
            acc + i16x16::from(v).dot(i16x16::splat(1))
        }
        #[inline(always)]
        unsafe fn hsum_merge(a: i32x8, b: i32x8) -> i32x8 {
            a + b
        }
        #[inline(always)]
        unsafe fn hsum_total(acc: i32x8, _: usize) -> i32 {
            total(acc.to_array())
        }
        type Lsum = u16x16;
        #[inline(always)]
        unsafe fn lsum_zero() -> u16x16 {
            u16x16::ZERO
        }
        #[inline(always)]
        unsafe fn lsum_add(acc: u16x16, v: Self) -> u16x16 {
            acc + u16x16::from(v)
        }
        #[inline(always)]
        unsafe fn lsum_spill(acc: u16x16, p: *mut i32) {
            // SAFETY: forwarded contract (16 lanes).
            unsafe { spill(p, acc.to_array().map(i32::from)) }
        }
    }

    // SAFETY: as above.
    unsafe impl IntVector<i16> for i16x8 {
        crate::kernels::int::nsum_is_hsum!(i16);
        const LANES: usize = 8;
        const LSUM_ROWS: usize = usize::MAX;
        common!(i16, i16x8, 8);
        type Hsum = i32x4;
        #[inline(always)]
        unsafe fn hsum_zero() -> i32x4 {
            i32x4::ZERO
        }
        #[inline(always)]
        unsafe fn hsum_add(acc: i32x4, v: Self) -> i32x4 {
            acc + v.dot(i16x8::splat(1))
        }
        #[inline(always)]
        unsafe fn hsum_merge(a: i32x4, b: i32x4) -> i32x4 {
            a + b
        }
        #[inline(always)]
        unsafe fn hsum_total(acc: i32x4, _: usize) -> i32 {
            total(acc.to_array())
        }
        type Lsum = i32x8;
        #[inline(always)]
        unsafe fn lsum_zero() -> i32x8 {
            i32x8::ZERO
        }
        #[inline(always)]
        unsafe fn lsum_add(acc: i32x8, v: Self) -> i32x8 {
            acc + i32x8::from_i16x8(v)
        }
        #[inline(always)]
        unsafe fn lsum_spill(acc: i32x8, p: *mut i32) {
            // SAFETY: forwarded contract (8 lanes).
            unsafe { spill(p, acc.to_array()) }
        }
    }
}
