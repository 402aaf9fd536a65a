//! The NEON path: 4 lanes, 32 registers.
//!
//! NEON's `FMAX` / `FMIN` already are IEEE 754-2019 `maximum` / `minimum` (NaN-propagating,
//! `-0.0 < +0.0`), so max and min need no extra state here.

use core::arch::aarch64::*;

use crate::Isa;
use crate::kernels::vector::Vector;

entry_points!(Isa::Neon, float32x4_t, "NEON is part of the build target");

// SAFETY: this module is only compiled when the build target enables NEON, so these intrinsics
// run on every CPU the binary runs on; pointer contracts are those of the trait.
#[allow(unsafe_op_in_unsafe_fn)]
unsafe impl Vector for float32x4_t {
    const LANES: usize = 4;
    const TILE: usize = 16;
    const EXT_ACCUMULATORS: usize = 16;
    const EXT_TILE: usize = 16;
    const NHWC_GROUP: usize = 32;
    type Mask = uint32x4_t;
    type Chunk = [f32; 256];

    // No `unsafe` blocks below: each body only calls NEON intrinsics (part of the target), and the
    // trait's contract (pointers valid as stated) is exactly theirs.
    #[inline(always)]
    unsafe fn splat(x: f32) -> Self {
        vdupq_n_f32(x)
    }
    #[inline(always)]
    unsafe fn load(p: *const f32) -> Self {
        vld1q_f32(p)
    }
    #[inline(always)]
    unsafe fn load_partial(p: *const f32, n: usize, fill: f32) -> Self {
        // Lane loads straight into a vector of `fill`: reads exactly `n` values (1 to 3).
        let f = vdupq_n_f32(fill);
        match n {
            1 => vld1q_lane_f32::<0>(p, f),
            2 => vcombine_f32(vld1_f32(p), vget_low_f32(f)),
            _ => vld1q_lane_f32::<2>(p.add(2), vcombine_f32(vld1_f32(p), vget_low_f32(f))),
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
        vst1q_f32(p, self)
    }
    #[inline(always)]
    unsafe fn store_partial(self, p: *mut f32, n: usize) {
        let mut a = [0.0f32; 4];
        vst1q_f32(a.as_mut_ptr(), self);
        core::ptr::copy_nonoverlapping(a.as_ptr(), p, n.min(4));
    }
    #[inline(always)]
    unsafe fn add(self, b: Self) -> Self {
        vaddq_f32(self, b)
    }
    #[inline(always)]
    unsafe fn sub(self, b: Self) -> Self {
        vsubq_f32(self, b)
    }
    #[inline(always)]
    unsafe fn div(self, b: Self) -> Self {
        vdivq_f32(self, b)
    }
    #[inline(always)]
    unsafe fn max(self, b: Self) -> Self {
        vmaxq_f32(self, b)
    }
    #[inline(always)]
    unsafe fn min(self, b: Self) -> Self {
        vminq_f32(self, b)
    }
    #[inline(always)]
    unsafe fn is_nan(self) -> Self::Mask {
        vmvnq_u32(vceqq_f32(self, self))
    }
    #[inline(always)]
    unsafe fn is_finite(self) -> Self::Mask {
        // |x| < inf
        vcaltq_f32(self, vdupq_n_f32(f32::INFINITY))
    }
    #[inline(always)]
    unsafe fn select(m: Self::Mask, a: Self, b: Self) -> Self {
        vbslq_f32(m, a, b)
    }
    type Ext = float32x4_t;
    #[inline(always)]
    unsafe fn ext_init<const MAX: bool>() -> Self::Ext {
        vdupq_n_f32(if MAX {
            f32::NEG_INFINITY
        } else {
            f32::INFINITY
        })
    }
    #[inline(always)]
    unsafe fn ext_step<const MAX: bool>(acc: Self::Ext, x: Self) -> Self::Ext {
        if MAX {
            vmaxq_f32(acc, x)
        } else {
            vminq_f32(acc, x)
        }
    }
    #[inline(always)]
    unsafe fn ext_merge<const MAX: bool>(a: Self::Ext, b: Self::Ext) -> Self::Ext {
        if MAX {
            vmaxq_f32(a, b)
        } else {
            vminq_f32(a, b)
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
                vcombine_f32(vget_low_f32(a), vget_low_f32(b)),
                vcombine_f32(vget_high_f32(a), vget_high_f32(b)),
            )
        } else {
            // [a0 a2 b0 b2], [a1 a3 b1 b3]
            (vuzp1q_f32(a, b), vuzp2q_f32(a, b))
        }
    }
    #[inline(always)]
    unsafe fn unscramble(self) -> Self {
        self
    }
}
