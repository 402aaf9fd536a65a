//! The NEON path: 4 lanes, 32 registers.
//!
//! NEON's `FMAX` / `FMIN` already are IEEE 754-2019 `maximum` / `minimum` (NaN-propagating,
//! `-0.0 < +0.0`), so max and min need no extra state here.

use core::arch::aarch64::*;

use crate::Isa;
use crate::kernels::int::IntVector;
use crate::kernels::vector::Vector;

entry_points!(
    Isa::Neon,
    float32x4_t,
    [int8x16_t, uint8x16_t, int16x8_t],
    "NEON is part of the build target"
);

// SAFETY: this module is only compiled when the build target enables NEON, so these intrinsics
// run on every CPU the binary runs on; pointer contracts are those of the trait.
#[allow(unsafe_op_in_unsafe_fn)]
unsafe impl Vector for float32x4_t {
    const LANES: usize = 4;
    const TILE: usize = 32;
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
    // `n` and `fill` for `load_partial`, and for `load_tail_back` the TBL byte indices that move
    // lanes `4 - n..4` of a vector to lanes `0..n` (the others get index 0xFF: zero bytes) and
    // the bits of `fill` in lanes `n..4`, ORed in after the TBL.
    type Tail = (usize, f32, uint8x16_t, uint32x4_t);
    #[inline(always)]
    unsafe fn tail(n: usize, fill: f32) -> Self::Tail {
        let n = n.min(4);
        let mut idx = [0xFFu8; 16];
        let mut bits = [fill.to_bits(); 4];
        for (i, b) in bits.iter_mut().enumerate().take(n) {
            *b = 0;
            for (j, x) in idx.iter_mut().skip(4 * i).take(4).enumerate() {
                *x = (4 * (i + 4 - n) + j) as u8;
            }
        }
        (n, fill, vld1q_u8(idx.as_ptr()), vld1q_u32(bits.as_ptr()))
    }
    #[inline(always)]
    unsafe fn load_tail(p: *const f32, (n, fill, _, _): Self::Tail) -> Self {
        Self::load_partial(p, n, fill)
    }
    #[inline(always)]
    unsafe fn load_tail_back(p: *const f32, (n, _, idx, bits): Self::Tail) -> Self {
        // One full load ending at `p + n`, its last `n` lanes moved down, `fill` ORed in.
        let v = vreinterpretq_u8_f32(vld1q_f32(p.add(n).sub(4)));
        let moved = vreinterpretq_u32_u8(vqtbl1q_u8(v, idx));
        vreinterpretq_f32_u32(vorrq_u32(moved, bits))
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
    unsafe fn add4([a, b, c, d]: [Self; 4], p: &mut *const f32) -> [Self; 4] {
        // `vld1q_f32_x4` would be the load, but LLVM splits it into two `LDP`s plus a pointer
        // update. The loaded registers are fixed (`asm!` has no operand class for a run of
        // consecutive registers) and consumed inside the block, so they cost no moves. The
        // `FADD`s are `vaddq_f32(acc, x)`: same operands in the same order. Sound: the block
        // reads the 64 bytes at `*p` that the contract makes readable, writes only its declared
        // operands (the four scratch registers are clobbers), and touches neither the stack
        // nor the flags.
        let (mut a, mut b, mut c, mut d) = (a, b, c, d);
        core::arch::asm!(
            "ld1 {{v28.4s, v29.4s, v30.4s, v31.4s}}, [{p}], #64",
            "fadd {a:v}.4s, {a:v}.4s, v28.4s",
            "fadd {b:v}.4s, {b:v}.4s, v29.4s",
            "fadd {c:v}.4s, {c:v}.4s, v30.4s",
            "fadd {d:v}.4s, {d:v}.4s, v31.4s",
            p = inout(reg) *p,
            a = inout(vreg) a,
            b = inout(vreg) b,
            c = inout(vreg) c,
            d = inout(vreg) d,
            out("v28") _,
            out("v29") _,
            out("v30") _,
            out("v31") _,
            options(nostack, readonly, preserves_flags),
        );
        [a, b, c, d]
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

// ---------------------------------------------------------------------------------------------
// Integers: sums widen with the pairwise widening adds (`SADDLP` / `SADALP`), per-lane sums with
// the widening adds (`SADDW` / `SADDW2`), and the across-vector `SMAXV`-family reduce rows.
// ---------------------------------------------------------------------------------------------

/// `p[0..4] += a`, `p[4..8] += b`.
///
/// # Safety
/// `p..p + 8` must be readable and writable.
#[inline(always)]
unsafe fn spill(p: *mut i32, a: int32x4_t, b: int32x4_t) {
    // SAFETY: the caller's range; NEON is part of the target.
    unsafe {
        vst1q_s32(p, vaddq_s32(vld1q_s32(p), a));
        vst1q_s32(p.add(4), vaddq_s32(vld1q_s32(p.add(4)), b));
    }
}

// SAFETY: NEON is part of the build target (see the `Vector` impl); pointer contracts are the
// trait's.
#[allow(unsafe_op_in_unsafe_fn)]
unsafe impl IntVector<i8> for int8x16_t {
    crate::kernels::int::nsum_is_hsum!(i8);
    const LANES: usize = 16;
    const LSUM_ROWS: usize = 256;
    #[inline(always)]
    unsafe fn splat(x: i8) -> Self {
        vdupq_n_s8(x)
    }
    #[inline(always)]
    unsafe fn load(p: *const i8) -> Self {
        vld1q_s8(p)
    }
    #[inline(always)]
    unsafe fn store(self, p: *mut i8) {
        vst1q_s8(p, self)
    }
    #[inline(always)]
    unsafe fn and(self, m: Self) -> Self {
        vandq_s8(self, m)
    }
    #[inline(always)]
    unsafe fn select(m: Self, a: Self, b: Self) -> Self {
        vbslq_s8(vreinterpretq_u8_s8(m), a, b)
    }
    #[inline(always)]
    unsafe fn max(self, b: Self) -> Self {
        vmaxq_s8(self, b)
    }
    #[inline(always)]
    unsafe fn min(self, b: Self) -> Self {
        vminq_s8(self, b)
    }
    #[inline(always)]
    unsafe fn hmax(self) -> i32 {
        i32::from(vmaxvq_s8(self))
    }
    #[inline(always)]
    unsafe fn hmin(self) -> i32 {
        i32::from(vminvq_s8(self))
    }
    type Hsum = int32x4_t;
    #[inline(always)]
    unsafe fn hsum_zero() -> int32x4_t {
        vdupq_n_s32(0)
    }
    #[inline(always)]
    unsafe fn hsum_add(acc: int32x4_t, v: Self) -> int32x4_t {
        vpadalq_s16(acc, vpaddlq_s8(v))
    }
    #[inline(always)]
    unsafe fn hsum_merge(a: int32x4_t, b: int32x4_t) -> int32x4_t {
        vaddq_s32(a, b)
    }
    #[inline(always)]
    unsafe fn hsum_total(acc: int32x4_t, _: usize) -> i32 {
        vaddvq_s32(acc)
    }
    type Lsum = (int16x8_t, int16x8_t);
    #[inline(always)]
    unsafe fn lsum_zero() -> Self::Lsum {
        (vdupq_n_s16(0), vdupq_n_s16(0))
    }
    #[inline(always)]
    unsafe fn lsum_add((lo, hi): Self::Lsum, v: Self) -> Self::Lsum {
        (vaddw_s8(lo, vget_low_s8(v)), vaddw_high_s8(hi, v))
    }
    #[inline(always)]
    unsafe fn lsum_spill((lo, hi): Self::Lsum, p: *mut i32) {
        spill(p, vmovl_s16(vget_low_s16(lo)), vmovl_high_s16(lo));
        spill(p.add(8), vmovl_s16(vget_low_s16(hi)), vmovl_high_s16(hi));
    }
}

// SAFETY: as above.
#[allow(unsafe_op_in_unsafe_fn)]
unsafe impl IntVector<u8> for uint8x16_t {
    crate::kernels::int::nsum_is_hsum!(u8);
    const LANES: usize = 16;
    const LSUM_ROWS: usize = 256;
    #[inline(always)]
    unsafe fn splat(x: u8) -> Self {
        vdupq_n_u8(x)
    }
    #[inline(always)]
    unsafe fn load(p: *const u8) -> Self {
        vld1q_u8(p)
    }
    #[inline(always)]
    unsafe fn store(self, p: *mut u8) {
        vst1q_u8(p, self)
    }
    #[inline(always)]
    unsafe fn and(self, m: Self) -> Self {
        vandq_u8(self, m)
    }
    #[inline(always)]
    unsafe fn select(m: Self, a: Self, b: Self) -> Self {
        vbslq_u8(m, a, b)
    }
    #[inline(always)]
    unsafe fn max(self, b: Self) -> Self {
        vmaxq_u8(self, b)
    }
    #[inline(always)]
    unsafe fn min(self, b: Self) -> Self {
        vminq_u8(self, b)
    }
    #[inline(always)]
    unsafe fn hmax(self) -> i32 {
        i32::from(vmaxvq_u8(self))
    }
    #[inline(always)]
    unsafe fn hmin(self) -> i32 {
        i32::from(vminvq_u8(self))
    }
    type Hsum = uint32x4_t;
    #[inline(always)]
    unsafe fn hsum_zero() -> uint32x4_t {
        vdupq_n_u32(0)
    }
    #[inline(always)]
    unsafe fn hsum_add(acc: uint32x4_t, v: Self) -> uint32x4_t {
        vpadalq_u16(acc, vpaddlq_u8(v))
    }
    #[inline(always)]
    unsafe fn hsum_merge(a: uint32x4_t, b: uint32x4_t) -> uint32x4_t {
        vaddq_u32(a, b)
    }
    #[inline(always)]
    unsafe fn hsum_total(acc: uint32x4_t, _: usize) -> i32 {
        vaddvq_u32(acc) as i32
    }
    type Lsum = (uint16x8_t, uint16x8_t);
    #[inline(always)]
    unsafe fn lsum_zero() -> Self::Lsum {
        (vdupq_n_u16(0), vdupq_n_u16(0))
    }
    #[inline(always)]
    unsafe fn lsum_add((lo, hi): Self::Lsum, v: Self) -> Self::Lsum {
        (vaddw_u8(lo, vget_low_u8(v)), vaddw_high_u8(hi, v))
    }
    #[inline(always)]
    unsafe fn lsum_spill((lo, hi): Self::Lsum, p: *mut i32) {
        let w = |x: uint32x4_t| vreinterpretq_s32_u32(x);
        spill(p, w(vmovl_u16(vget_low_u16(lo))), w(vmovl_high_u16(lo)));
        spill(
            p.add(8),
            w(vmovl_u16(vget_low_u16(hi))),
            w(vmovl_high_u16(hi)),
        );
    }
}

// SAFETY: as above.
#[allow(unsafe_op_in_unsafe_fn)]
unsafe impl IntVector<i16> for int16x8_t {
    crate::kernels::int::nsum_is_hsum!(i16);
    const LANES: usize = 8;
    const LSUM_ROWS: usize = usize::MAX;
    #[inline(always)]
    unsafe fn splat(x: i16) -> Self {
        vdupq_n_s16(x)
    }
    #[inline(always)]
    unsafe fn load(p: *const i16) -> Self {
        vld1q_s16(p)
    }
    #[inline(always)]
    unsafe fn store(self, p: *mut i16) {
        vst1q_s16(p, self)
    }
    #[inline(always)]
    unsafe fn and(self, m: Self) -> Self {
        vandq_s16(self, m)
    }
    #[inline(always)]
    unsafe fn select(m: Self, a: Self, b: Self) -> Self {
        vbslq_s16(vreinterpretq_u16_s16(m), a, b)
    }
    #[inline(always)]
    unsafe fn max(self, b: Self) -> Self {
        vmaxq_s16(self, b)
    }
    #[inline(always)]
    unsafe fn min(self, b: Self) -> Self {
        vminq_s16(self, b)
    }
    #[inline(always)]
    unsafe fn hmax(self) -> i32 {
        i32::from(vmaxvq_s16(self))
    }
    #[inline(always)]
    unsafe fn hmin(self) -> i32 {
        i32::from(vminvq_s16(self))
    }
    type Hsum = int32x4_t;
    #[inline(always)]
    unsafe fn hsum_zero() -> int32x4_t {
        vdupq_n_s32(0)
    }
    #[inline(always)]
    unsafe fn hsum_add(acc: int32x4_t, v: Self) -> int32x4_t {
        vpadalq_s16(acc, v)
    }
    #[inline(always)]
    unsafe fn hsum_merge(a: int32x4_t, b: int32x4_t) -> int32x4_t {
        vaddq_s32(a, b)
    }
    #[inline(always)]
    unsafe fn hsum_total(acc: int32x4_t, _: usize) -> i32 {
        vaddvq_s32(acc)
    }
    type Lsum = (int32x4_t, int32x4_t);
    #[inline(always)]
    unsafe fn lsum_zero() -> Self::Lsum {
        (vdupq_n_s32(0), vdupq_n_s32(0))
    }
    #[inline(always)]
    unsafe fn lsum_add((lo, hi): Self::Lsum, v: Self) -> Self::Lsum {
        (vaddw_s16(lo, vget_low_s16(v)), vaddw_high_s16(hi, v))
    }
    #[inline(always)]
    unsafe fn lsum_spill((lo, hi): Self::Lsum, p: *mut i32) {
        spill(p, lo, hi);
    }
}
