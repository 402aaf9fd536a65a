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
    "`wide` needs nothing beyond the build target"
);

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
    type Ext = f32x8;
    #[inline(always)]
    unsafe fn ext_init<const MAX: bool>() -> Self::Ext {
        f32x8::splat(if MAX {
            f32::NEG_INFINITY
        } else {
            f32::INFINITY
        })
    }
    #[inline(always)]
    unsafe fn ext_step<const MAX: bool>(acc: Self::Ext, x: Self) -> Self::Ext {
        // SAFETY: nothing here depends on the CPU.
        unsafe {
            if MAX {
                Vector::max(acc, x)
            } else {
                Vector::min(acc, x)
            }
        }
    }
    #[inline(always)]
    unsafe fn ext_merge<const MAX: bool>(a: Self::Ext, b: Self::Ext) -> Self::Ext {
        // SAFETY: nothing here depends on the CPU.
        unsafe {
            if MAX {
                Vector::max(a, b)
            } else {
                Vector::min(a, b)
            }
        }
    }
    #[inline(always)]
    unsafe fn ext_finish<const MAX: bool>(acc: Self::Ext) -> Self {
        acc
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
