//! The integer kernels (`i8`, `u8`, `i16`): the scalar reference, the generic SIMD algorithms
//! over [`IntVector`], and the per-channel finishing steps (rounding, requantization) that every
//! path shares.
//!
//! Integer sums are exact, so unlike `f32` there is no order to keep: any path that adds every
//! value once gets the same `i32`. The kernels only compute, per channel, the exact sum or the
//! exact maximum / minimum, and hand them in small batches to [`IntOut::emit`], which turns them
//! into the requested output with the same plain code on every path.
//!
//! The algorithms are `#[inline(always)]` (compiled with the features of the entry point) except
//! in unoptimized builds: see [`generic`](super::generic).

use core::marker::PhantomData;
use core::mem::MaybeUninit;
use core::num::NonZeroUsize;

use super::{Dims, Op};
use crate::quant::MeanStep;

/// An integer element type of the kernels.
pub(crate) trait Int: Copy + Default + Ord + 'static {
    /// The smallest value.
    const MIN: Self;
    /// The largest value.
    const MAX: Self;
    /// The largest `spatial` whose sum cannot overflow `i32`, whatever the values.
    const MAX_SPATIAL: usize;
    /// The value as `i32`.
    fn to_i32(self) -> i32;
    /// `v` (in range) as `Self`.
    fn from_i32(v: i32) -> Self;
    /// This type's kernel of a path.
    fn kernel(k: &super::IntKernels) -> super::IntKernel<Self>;
}

macro_rules! int {
    ($t:ident, $max_spatial:expr) => {
        impl Int for $t {
            #[cfg_attr(not(globalpool_unoptimized), inline(always))]
            fn kernel(k: &super::IntKernels) -> super::IntKernel<$t> {
                k.$t
            }
            const MIN: $t = <$t>::MIN;
            const MAX: $t = <$t>::MAX;
            const MAX_SPATIAL: usize = $max_spatial;
            #[cfg_attr(not(globalpool_unoptimized), inline(always))]
            fn to_i32(self) -> i32 {
                i32::from(self)
            }
            #[cfg_attr(not(globalpool_unoptimized), inline(always))]
            fn from_i32(v: i32) -> $t {
                v as $t
            }
        }
    };
}
// |sum| <= 128 * 2^24 = 2^31 (exactly i32::MIN at worst), 255 * 8_421_504 < 2^31,
// 32768 * 65536 = 2^31 (again exactly i32::MIN at worst).
int!(i8, 1 << 24);
int!(u8, (i32::MAX / 255) as usize);
int!(i16, 1 << 16);

/// What an integer call writes, and how a channel's exact sum (or extreme) becomes it.
pub(crate) enum IntOut<'a, T> {
    /// The exact sums.
    Sum(&'a mut [i32]),
    /// TFLite AVERAGE_POOL_2D: the sum divided by `spatial`, rounded half away from zero, then
    /// clamped to `lo..=hi`.
    Avg {
        out: &'a mut [T],
        div: Divider,
        lo: i32,
        hi: i32,
    },
    /// TFLite MEAN: requantized.
    Mean { out: &'a mut [T], step: MeanStep },
    /// The maximum (`max == true`) or minimum of each channel.
    Ext { out: &'a mut [T], max: bool },
}

impl<T: Int> IntOut<'_, T> {
    /// The number of outputs.
    pub(crate) fn len(&self) -> usize {
        match self {
            IntOut::Sum(o) => o.len(),
            IntOut::Avg { out, .. } | IntOut::Mean { out, .. } | IntOut::Ext { out, .. } => {
                out.len()
            }
        }
    }

    /// The output and the 16-bit division of AVERAGE_POOL_2D results over `n` values, where
    /// there is one ([`WordAvg::new`]: `i8`, `2 <= n <= 255`).
    fn word_avg(&mut self, n: usize) -> Option<(WordAvg, &mut [T])> {
        match self {
            IntOut::Avg { out, lo, hi, .. } => Some((WordAvg::new::<T>(n, *lo, *hi)?, &mut **out)),
            _ => None,
        }
    }

    /// The output of exact sums, if this is one.
    fn sums(&mut self) -> Option<&mut [i32]> {
        match self {
            IntOut::Sum(out) => Some(out),
            _ => None,
        }
    }

    /// The reduction the kernels must compute.
    pub(crate) fn op(&self) -> Op {
        match self {
            IntOut::Ext { max: true, .. } => Op::Max,
            IntOut::Ext { max: false, .. } => Op::Min,
            _ => Op::Sum,
        }
    }

    /// Writes the outputs `start..start + vals.len()` from the channels' exact sums (or
    /// extremes, as `i32`). Indices outside the output are ignored (never the case: the kernels
    /// emit exactly `batch * channels` values). Inlined into each kernel, so that the loops are
    /// vectorized with the kernel's instruction set; the arithmetic is exact, so every path
    /// writes the same values.
    #[cfg_attr(not(globalpool_unoptimized), inline(always))]
    pub(crate) fn emit(&mut self, start: usize, vals: &[i32]) {
        match self {
            IntOut::Sum(out) => {
                if let Some(out) = out.get_mut(start..) {
                    for (o, &v) in out.iter_mut().zip(vals) {
                        *o = v;
                    }
                }
            }
            IntOut::Avg { out, div, lo, hi } => {
                let (div, lo, hi) = (*div, *lo, *hi);
                if let Some(out) = out.get_mut(start..) {
                    div.map(out, vals, lo, hi, T::from_i32);
                }
            }
            IntOut::Mean { out, step } => {
                let (lo, hi) = (T::MIN.to_i32(), T::MAX.to_i32());
                if let Some(out) = out.get_mut(start..) {
                    for (o, &v) in out.iter_mut().zip(vals) {
                        *o = T::from_i32(step.apply(v, lo, hi));
                    }
                }
            }
            IntOut::Ext { out, .. } => {
                if let Some(out) = out.get_mut(start..) {
                    for (o, &v) in out.iter_mut().zip(vals) {
                        *o = T::from_i32(v);
                    }
                }
            }
        }
    }
}

/// TFLite's rounded division by a fixed `n` (`1 <= n <= 2^24`) of the exact sums the averages
/// need, without a hardware integer division per channel: `trunc((acc ± (n/2 + 1/2)) * (1/n))`,
/// the sign that of `acc` (`-` for `acc == 0`: either gives 0).
///
/// Why it is exact: `z = |acc| + n/2` is an integer and the wanted quotient is `m = floor(z / n)`.
/// `(z + 1/2) / n` lies in `[m + 1/(2n), m + 1 - 1/(2n)]`, at least `1/(2n)` from either
/// integer, and `z + 1/2` is exact in the float type. Its product with the rounded inverse,
/// itself rounded, is off from the real quotient by at most `(z + 1/2) / n * (2u + u^2)`
/// (`u` the unit roundoff), which is below `1/(2n)` when `z + 1/2 < 1 / (4u + 2u^2)`: for `f32`
/// (`u = 2^-24`) when `z < 2^22`, for `f64` (`u = 2^-53`) always here. The truncation of the
/// product is therefore `m`, with the sign of `acc` restored by the sign of the biased dividend.
///
/// `f32`, with twice as many lanes per vector, is taken when every possible sum fits
/// (`max|acc| + n/2 < 2^22`: `i8` maps of up to 32 640 values, `u8` ones of up to 16 416,
/// `i16` ones of up to 127); `f64` otherwise. On AVX-512 that is eight operations per sixteen
/// channels, conversions and clamp included, where a division with a remainder check took
/// twenty (int8 `avg` on 7x7 maps 1.16-1.18x faster).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Divider {
    inv: f64,
    bias: f64,
    narrow: Option<NarrowDivider>,
}

/// The `f32` constants of a [`Divider`] whose dividends all fit.
#[derive(Clone, Copy, Debug)]
struct NarrowDivider {
    inv: f32,
    bias: f32,
}

impl NarrowDivider {
    /// [`Divider::map`] in `f32` (the sums are exact sums of `n` values of the type the
    /// divider was made for, and `max|acc| + n/2 < 2^22`).
    #[cfg_attr(not(globalpool_unoptimized), inline(always))]
    fn map<O>(self, out: &mut [O], vals: &[i32], lo: i32, hi: i32, f: impl Fn(i32) -> O) {
        // Exact: `|lo|, |hi| <= 2^24`.
        let (lo, hi) = (lo as f32, hi as f32);
        for (o, &acc) in out.iter_mut().zip(vals) {
            // `acc as f32` is exact for the sums the divider was made for, and so is the
            // biased dividend (`|acc| + n/2 + 1/2 < 2^22`).
            let a = acc as f32;
            let q = clamp_f32((a + self.bias.copysign(a)) * self.inv, lo, hi);
            // SAFETY: `q` is finite and within `±2^24`: `to_int_unchecked`'s condition.
            // (An `as` cast would saturate lane by lane and keep the loop scalar.)
            *o = f(unsafe { q.to_int_unchecked::<i32>() });
        }
    }
}

/// AVERAGE_POOL_2D's rounded division for `i8` rows of `2 <= n <= 255` values in 16-bit
/// lanes, for paths that hold such rows' sums as words: with `x = |acc| + n/2` (below `2^15`:
/// `|acc| <= 128 n`), `q = mulhi(x, mul) >> shift` is `floor(x / n)`, the sign of `acc` is put
/// back and the result clamped to `lo..=hi`. The same for `u8` rows of `2 <= n <= 185` values
/// (`x = acc + n/2`, no sign), see [`WordAvg::new`].
///
/// Why it is exact: with `c = ceil(log2 n)`, `mul = ceil(2^(15 + c) / n)` lies in `2^15 ..
/// 2^16` (`2^(c - 1) < n <= 2^c`) and exceeds `2^(15 + c) / n` by less than `1`, so `mul n -
/// 2^(15 + c) < n <= 2^c = 2^((15 + c) - 15)`, which makes `floor(x mul / 2^(15 + c)) =
/// floor(x / n)` for every `x < 2^15` (Granlund and Montgomery, 1994, theorem 4.2); that is
/// the high half of `x mul` shifted right by `c - 1`. (`n = 1` would need a shift of `-1`.) The
/// crate's unit test (`cargo test --lib`) checks it for every `n` and `x`.
#[derive(Clone, Copy, Debug)]
// Read by the AVX-512 VNNI loop only.
#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
pub(crate) struct WordAvg {
    /// `n / 2`.
    pub(crate) half: i16,
    /// The multiplier.
    pub(crate) mul: u16,
    /// The right shift of the product's high half.
    pub(crate) shift: u32,
    /// The clamp's bounds.
    pub(crate) lo: i16,
    /// See `lo`.
    pub(crate) hi: i16,
}

impl WordAvg {
    /// The division of the averages of `T` rows of `n` values, clamped to `lo..=hi`, when `T`
    /// is `i8` and `2 <= n <= 255`, or `u8` and `2 <= n <= 185` (for `u8` the dividend
    /// `x = acc + n/2` reaches `255 n + n/2`, past `2^15`; the division is exact for every
    /// such `x` up to `n = 185`, and fails for some from `n = 186` on: the unit tests try
    /// them all).
    fn new<T: Int>(n: usize, lo: i32, hi: i32) -> Option<WordAvg> {
        let (min, max) = (T::MIN.to_i32(), T::MAX.to_i32());
        let top = match (min, max) {
            (-128, 127) => 255,
            (0, 255) => 185,
            _ => 0,
        };
        let n = u32::try_from(n).ok().filter(|n| (2..=top).contains(n))?;
        let c = u32::BITS - (n - 1).leading_zeros();
        Some(WordAvg {
            half: i16::try_from(n / 2).ok()?,
            mul: u16::try_from((1u32 << (15 + c)).div_ceil(n)).ok()?,
            shift: c - 1,
            lo: i16::try_from(lo).ok()?,
            hi: i16::try_from(hi).ok()?,
        })
    }

    /// The quotient of `x = |acc| + n/2 < 2^15`, as the vector paths compute it.
    #[cfg(test)]
    fn quotient(self, x: u16) -> u16 {
        (((u32::from(x) * u32::from(self.mul)) >> 16) as u16) >> self.shift
    }
}

/// `x` clamped to `lo..=hi`, for an `x` that is never NaN: comparisons and selects, which are
/// one `maxps` / `minps` each, where `f32::max` / `min` add a NaN check and a blend each.
#[cfg_attr(not(globalpool_unoptimized), inline(always))]
fn clamp_f32(x: f32, lo: f32, hi: f32) -> f32 {
    let x = if x > lo { x } else { lo };
    if x < hi { x } else { hi }
}

/// [`clamp_f32`] in `f64`.
#[cfg_attr(not(globalpool_unoptimized), inline(always))]
fn clamp_f64(x: f64, lo: f64, hi: f64) -> f64 {
    let x = if x > lo { x } else { lo };
    if x < hi { x } else { hi }
}

/// `max|acc| + n/2` must stay below this for the `f32` division (see [`Divider`]).
const NARROW_LIMIT: u64 = 1 << 22;

impl Divider {
    /// A divider by `n`, `1 <= n <= 2^24`, of sums of `n` values of `T`.
    pub(crate) fn new<T: Int>(n: u32) -> Divider {
        let n = n.max(1);
        let largest = T::MIN
            .to_i32()
            .unsigned_abs()
            .max(T::MAX.to_i32().unsigned_abs());
        let bound = u64::from(largest) * u64::from(n) + u64::from(n / 2);
        // `n / 2 + 1/2` is exact in both types (`n <= 2^24`).
        let bias = f64::from(n / 2) + 0.5;
        Divider {
            inv: 1.0 / f64::from(n),
            bias,
            // `n < 2^22` here, so the conversions are exact.
            narrow: (bound < NARROW_LIMIT).then(|| NarrowDivider {
                inv: 1.0 / n as f32,
                bias: bias as f32,
            }),
        }
    }

    /// Writes `f(clamp(q, lo, hi))` for each pair of `out` and `vals`, `q` the rounded quotient
    /// of the sum (`acc > 0 ? (acc + n/2) / n : (acc - n/2) / n` with C's truncating division:
    /// TFLite's AVERAGE_POOL_2D rounding, half away from zero). `lo <= hi`, both within
    /// `±2^24`. In `f32` when the divider allows it (the sums are then exact sums of `n` values
    /// of the type [`Divider::new`] was made for), else in `f64`.
    #[cfg_attr(not(globalpool_unoptimized), inline(always))]
    pub(crate) fn map<O>(
        self,
        out: &mut [O],
        vals: &[i32],
        lo: i32,
        hi: i32,
        f: impl Fn(i32) -> O,
    ) {
        // Clamping the product before the truncation clamps the quotient (the bounds are
        // integers), and keeps the conversion defined for any `acc`.
        if let Some(d) = self.narrow {
            d.map(out, vals, lo, hi, f);
        } else {
            let (lo, hi) = (f64::from(lo), f64::from(hi));
            for (o, &acc) in out.iter_mut().zip(vals) {
                let a = f64::from(acc);
                let q = clamp_f64((a + self.bias.copysign(a)) * self.inv, lo, hi);
                // SAFETY: as in `NarrowDivider::map`: `q` is clamped to `±2^24`.
                *o = f(unsafe { q.to_int_unchecked::<i32>() });
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The scalar reference.
// ---------------------------------------------------------------------------------------------

/// The default narrow sum of an [`IntVector`] impl for `$t`: the `Hsum` itself (with or without
/// `DOT`), in `$chains` chains (default 2).
macro_rules! nsum_is_hsum {
    ($t:ty) => {
        $crate::kernels::int::nsum_is_hsum!($t, 2);
    };
    ($t:ty, $chains:literal) => {
        type Nsum = <Self as $crate::kernels::int::IntVector<$t>>::Hsum;
        const NSUM_VECTORS: usize = usize::MAX;
        const NSUM_CHAINS: usize = $chains;
        #[cfg_attr(not(globalpool_unoptimized), inline(always))]
        unsafe fn nsum_zero<const DOT: bool>() -> Self::Nsum {
            // SAFETY: the trait's contract, passed on.
            unsafe { <Self as $crate::kernels::int::IntVector<$t>>::hsum_zero() }
        }
        #[cfg_attr(not(globalpool_unoptimized), inline(always))]
        unsafe fn nsum_add<const DOT: bool>(acc: Self::Nsum, v: Self) -> Self::Nsum {
            // SAFETY: the trait's contract, passed on.
            unsafe { <Self as $crate::kernels::int::IntVector<$t>>::hsum_add(acc, v) }
        }
        #[cfg_attr(not(globalpool_unoptimized), inline(always))]
        unsafe fn nsum_merge<const DOT: bool>(a: Self::Nsum, b: Self::Nsum) -> Self::Nsum {
            // SAFETY: the trait's contract, passed on.
            unsafe { <Self as $crate::kernels::int::IntVector<$t>>::hsum_merge(a, b) }
        }
        #[cfg_attr(not(globalpool_unoptimized), inline(always))]
        unsafe fn nsum_flush<const DOT: bool>(
            n: Self::Nsum,
            _: usize,
            h: <Self as $crate::kernels::int::IntVector<$t>>::Hsum,
        ) -> <Self as $crate::kernels::int::IntVector<$t>>::Hsum {
            // SAFETY: the trait's contract, passed on.
            unsafe { <Self as $crate::kernels::int::IntVector<$t>>::hsum_merge(h, n) }
        }
    };
}
pub(crate) use nsum_is_hsum;

/// How many outputs the kernels collect before calling [`IntOut::emit`].
const BATCH: usize = 64;

/// Collects a kernel's per-channel results and emits them in batches.
struct Emitter<'o, 'a, T> {
    out: &'o mut IntOut<'a, T>,
    buf: [i32; BATCH],
    len: usize,
    next: usize,
}

impl<'o, 'a, T: Int> Emitter<'o, 'a, T> {
    fn new(out: &'o mut IntOut<'a, T>) -> Self {
        Emitter {
            out,
            buf: [0; BATCH],
            len: 0,
            next: 0,
        }
    }

    #[cfg_attr(not(globalpool_unoptimized), inline(always))]
    fn push(&mut self, v: i32) {
        if let Some(slot) = self.buf.get_mut(self.len) {
            *slot = v;
        }
        self.len += 1;
        if self.len == BATCH {
            self.flush();
        }
    }

    /// Adds `K` results at once (one copy when the batch has room for them, as it always has in
    /// kernels that add results `K` at a time from the start, `K` a divisor of `BATCH`), and
    /// emits a full batch through [`Emitter::emit_held`], inlined: this is the [`Sink`] of the
    /// short-row loops whose outputs have no sink of their own, where a call of `flush` made
    /// AVX2 int8 7x7 `avg` 0.89x as fast.
    #[cfg_attr(not(globalpool_unoptimized), inline(always))]
    fn push_n<const K: usize>(&mut self, vals: &[i32; K]) {
        match self.buf.get_mut(self.len..self.len + K) {
            Some(slots) => {
                slots.copy_from_slice(vals);
                self.len += K;
                if self.len == BATCH {
                    self.emit_held();
                }
            }
            None => vals.iter().for_each(|&v| self.push(v)),
        }
    }

    /// Emits the results collected so far (a call: the loops that push one result at a time
    /// keep the emission out of their code).
    fn flush(&mut self) {
        self.emit_held();
    }

    /// [`Emitter::flush`], inlined.
    #[cfg_attr(not(globalpool_unoptimized), inline(always))]
    fn emit_held(&mut self) {
        let n = self.len.min(BATCH);
        self.out.emit(self.next, self.buf.get(..n).unwrap_or(&[]));
        self.next += n;
        self.len = 0;
    }
}

/// Where the short NCHW rows' loops ([`short_rows`]) put their results, `K` at a time. The
/// output is matched once per call and each loop is instantiated for its sink, so that the loop
/// holds only the code of its own emission: with the match on [`IntOut`] and the batch's
/// emission inside the loop, the compiler kept the loop's row offsets and masks on the stack
/// and reloaded them every sixteen rows, and those reloads set the pace on an AMD Zen 5 (int8
/// 7x7 `avg` and `sum` read at 43-44% of the probe; with the sinks and the fold of
/// `store16_16`, 64%).
pub(crate) trait Sink {
    /// Writes the results of the next `K` channels (the [`Emitter`]: collects them).
    fn put<const K: usize>(&mut self, vals: &[i32; K]);

    /// The division of this sink's averages in 16-bit lanes, for a loop that holds the rows'
    /// sums as words: the averages of `i8` rows of 2 to 255 values and of `u8` rows of 2 to
    /// 185 ([`WordAvg::new`]).
    #[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
    fn word_avg(&self) -> Option<WordAvg> {
        None
    }

    /// Writes the next `K` averages, divided and clamped as [`Sink::word_avg`] says, as bytes
    /// (`u8` ones with `U`, else `i8`; a loop calls it only when that gave a division; other
    /// sinks ignore it).
    #[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
    fn put_bytes<const U: bool, const K: usize>(&mut self, _: &[i8; K]) {}
}

/// Exact sums, straight into the output.
struct SumSink<'s> {
    out: &'s mut [i32],
    next: usize,
}

impl Sink for SumSink<'_> {
    #[cfg_attr(not(globalpool_unoptimized), inline(always))]
    fn put<const K: usize>(&mut self, vals: &[i32; K]) {
        if let Some(o) = self.out.get_mut(self.next..self.next + K) {
            o.copy_from_slice(vals);
        }
        self.next += K;
    }
}

/// AVERAGE_POOL_2D averages whose sums fit the `f32` division of [`Divider`], straight into
/// the output.
struct AvgSink<'s, T> {
    out: &'s mut [T],
    next: usize,
    div: NarrowDivider,
    lo: i32,
    hi: i32,
    #[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
    words: Option<WordAvg>,
}

impl<T: Int> Sink for AvgSink<'_, T> {
    #[cfg_attr(not(globalpool_unoptimized), inline(always))]
    fn put<const K: usize>(&mut self, vals: &[i32; K]) {
        if let Some(o) = self.out.get_mut(self.next..self.next + K) {
            self.div.map(o, vals, self.lo, self.hi, T::from_i32);
        }
        self.next += K;
    }

    #[cfg_attr(not(globalpool_unoptimized), inline(always))]
    fn word_avg(&self) -> Option<WordAvg> {
        self.words
    }

    #[cfg_attr(not(globalpool_unoptimized), inline(always))]
    fn put_bytes<const U: bool, const K: usize>(&mut self, q: &[i8; K]) {
        if let Some(o) = self.out.get_mut(self.next..self.next + K) {
            for (o, &v) in o.iter_mut().zip(q) {
                *o = T::from_i32(if U { i32::from(v as u8) } else { i32::from(v) });
            }
        }
        self.next += K;
    }
}

/// Maxima or minima, straight into the output; sixteen at a time through `V`'s
/// [`IntVector::narrow16`].
struct ExtSink<'s, T, V> {
    out: &'s mut [T],
    next: usize,
    path: PhantomData<V>,
}

impl<'s, T: Int, V: IntVector<T>> ExtSink<'s, T, V> {
    /// A sink into `out`, from its start.
    ///
    /// # Safety
    /// The CPU has `V`'s instruction set: [`Sink::put`] narrows with it.
    #[cfg_attr(not(globalpool_unoptimized), inline(always))]
    unsafe fn new(out: &'s mut [T]) -> Self {
        ExtSink {
            out,
            next: 0,
            path: PhantomData,
        }
    }
}

impl<T: Int, V: IntVector<T>> Sink for ExtSink<'_, T, V> {
    #[cfg_attr(not(globalpool_unoptimized), inline(always))]
    fn put<const K: usize>(&mut self, vals: &[i32; K]) {
        if let Some(o) = self.out.get_mut(self.next..self.next + K) {
            if let Ok(sixteen) = <&[i32; 16]>::try_from(vals.as_slice()) {
                // SAFETY: `o` holds `K == 16` values; the CPU has `V`'s instruction set
                // (`ExtSink::new`'s contract).
                unsafe { V::narrow16(sixteen, o.as_mut_ptr()) };
            } else {
                for (o, &v) in o.iter_mut().zip(vals) {
                    *o = T::from_i32(v);
                }
            }
        }
        self.next += K;
    }
}

impl<T: Int> Sink for Emitter<'_, '_, T> {
    #[cfg_attr(not(globalpool_unoptimized), inline(always))]
    fn put<const K: usize>(&mut self, vals: &[i32; K]) {
        self.push_n(vals);
    }
}

/// The reference: one value at a time.
pub(crate) fn scalar<T: Int>(input: &[T], dims: Dims, nhwc: bool, out: &mut IntOut<'_, T>) {
    let (channels, spatial) = (dims.channels.get(), dims.spatial.get());
    let op = out.op();
    let mut em = Emitter::new(out);
    if nhwc {
        let Some(image) = dims.channels.checked_mul(dims.spatial) else {
            return; // unreachable: `Task` checked that the product fits
        };
        for img in input.chunks_exact(image.get()) {
            for c in 0..channels {
                em.push(reduce(img.iter().skip(c).step_by(channels).copied(), op));
            }
        }
    } else {
        for row in input.chunks_exact(spatial) {
            em.push(reduce(row.iter().copied(), op));
        }
    }
    em.flush();
}

/// One channel of the reference: its exact sum, maximum or minimum.
fn reduce<T: Int>(values: impl Iterator<Item = T>, op: Op) -> i32 {
    let values = values.map(T::to_i32);
    match op {
        Op::Max => values.fold(T::MIN.to_i32(), i32::max),
        Op::Min => values.fold(T::MAX.to_i32(), i32::min),
        _ => values.fold(0i32, i32::wrapping_add),
    }
}

// ---------------------------------------------------------------------------------------------
// The generic SIMD kernels.
// ---------------------------------------------------------------------------------------------

/// A SIMD register of `LANES` values of `T`, with the few operations the integer kernels need.
///
/// # Safety
///
/// As for [`Vector`](super::vector::Vector): only sound to use on a CPU with the instruction set
/// of the implementation (the generic kernels are only inlined into the matching
/// `#[target_feature]` entry points); pointer arguments must satisfy what each method states.
pub(crate) unsafe trait IntVector<T: Int>: Copy {
    /// Values per register (at most 64).
    const LANES: usize;
    /// How many vectors [`IntVector::lsum_add`] can take before its narrow lanes could overflow.
    const LSUM_ROWS: usize;
    /// All lanes `x`.
    unsafe fn splat(x: T) -> Self;
    /// Loads `LANES` values (no alignment needed).
    ///
    /// # Safety
    /// `p..p + LANES` must be readable.
    unsafe fn load(p: *const T) -> Self;
    /// Stores `LANES` values (no alignment needed).
    ///
    /// # Safety
    /// `p..p + LANES` must be writable.
    unsafe fn store(self, p: *mut T);
    /// Bitwise AND.
    unsafe fn and(self, m: Self) -> Self;
    /// `a` where the lanes of `m` are all ones, `b` where they are zero.
    unsafe fn select(m: Self, a: Self, b: Self) -> Self;
    /// Lane-wise maximum.
    unsafe fn max(self, b: Self) -> Self;
    /// Lane-wise minimum.
    unsafe fn min(self, b: Self) -> Self;
    /// The lanes as keys whose [`IntVector::kmax`] / [`IntVector::kmin`] are the lanes' maximum
    /// / minimum, for the long NCHW rows' running extremes ([`ext_row`]), the NHWC columns'
    /// ([`ext_cols`]; SSE2 int8 NHWC `max` 1.46-1.85x, 3 channels 2.4x) (and a path's own
    /// horizontal folds); `ext_key` is its own inverse. By default the values themselves; SSE2 `i8` (no `pmaxsb` before SSE4.1) flips
    /// the sign bits, so that `pmaxub` / `pminub` order the keys as the values: two operations
    /// per vector (the XOR and the extreme) in a chain of one, where a signed maximum takes
    /// four (a compare and a three-operation blend) in a chain of three (SSE2 int8 NCHW `max`
    /// of rows of 196 to 50 176 values 1.5-3.2x faster on an AMD Zen 5).
    #[cfg_attr(not(globalpool_unoptimized), inline(always))]
    unsafe fn ext_key(self) -> Self {
        self
    }
    /// The lane-wise maximum of two vectors of keys ([`IntVector::ext_key`]).
    #[cfg_attr(not(globalpool_unoptimized), inline(always))]
    unsafe fn kmax(self, b: Self) -> Self {
        // SAFETY: the caller runs with `Self`'s instruction set.
        unsafe { self.max(b) }
    }
    /// The lane-wise minimum of two vectors of keys ([`IntVector::ext_key`]).
    #[cfg_attr(not(globalpool_unoptimized), inline(always))]
    unsafe fn kmin(self, b: Self) -> Self {
        // SAFETY: the caller runs with `Self`'s instruction set.
        unsafe { self.min(b) }
    }
    /// The largest lane.
    unsafe fn hmax(self) -> i32;
    /// The smallest lane.
    unsafe fn hmin(self) -> i32;

    /// A running sum of all the lanes of many vectors (the NCHW rows).
    type Hsum: Copy;
    /// The empty sum.
    unsafe fn hsum_zero() -> Self::Hsum;
    /// Adds all lanes of `v`.
    unsafe fn hsum_add(acc: Self::Hsum, v: Self) -> Self::Hsum;
    /// `a + b`.
    unsafe fn hsum_merge(a: Self::Hsum, b: Self::Hsum) -> Self::Hsum;
    /// A narrower running sum for the long NCHW rows, cheaper per vector than
    /// [`IntVector::hsum_add`], that holds at most `NSUM_VECTORS` vectors before
    /// [`IntVector::nsum_flush`] must move it into an `Hsum` (by default the `Hsum` itself).
    ///
    /// The `nsum` methods take `DOT`: whether the entry point they are inlined into has the
    /// path's byte dot-product extension (AVX-512 VNNI's `vpdpbusd` / `vpdpwssd`: one operation
    /// per vector into `i32` lanes). Only the kernel tables built for a CPU that has it pass
    /// `true`; the layout of `Nsum` may differ between the two.
    type Nsum: Copy;
    /// How many vectors an `Nsum` takes.
    const NSUM_VECTORS: usize;
    /// Independent narrow sums a long row keeps (2 or 4): four where they measured faster,
    /// mostly where the step's latency was the limit (`vpdpbusd` and `vpmaddwd` take five
    /// cycles).
    const NSUM_CHAINS: usize = 2;
    /// The empty narrow sum.
    unsafe fn nsum_zero<const DOT: bool>() -> Self::Nsum;
    /// Adds all lanes of `v`.
    unsafe fn nsum_add<const DOT: bool>(acc: Self::Nsum, v: Self) -> Self::Nsum;
    /// Adds the lanes of `v` where `mask` (a [`first`] mask) is set: `nsum_add(acc, v & mask)`,
    /// which paths with a weighted dot product override with the mask in the weights.
    #[cfg_attr(not(globalpool_unoptimized), inline(always))]
    unsafe fn nsum_add_masked<const DOT: bool>(acc: Self::Nsum, v: Self, mask: Self) -> Self::Nsum {
        // SAFETY: the caller's contract (the CPU has this path's instruction set).
        unsafe { Self::nsum_add::<DOT>(acc, v.and(mask)) }
    }
    /// `a + b`, for two narrow sums that together hold at most `NSUM_VECTORS` vectors.
    unsafe fn nsum_merge<const DOT: bool>(a: Self::Nsum, b: Self::Nsum) -> Self::Nsum;
    /// `h` plus the `vectors` vectors summed in `n`, as if each had gone through
    /// [`IntVector::hsum_add`].
    unsafe fn nsum_flush<const DOT: bool>(
        n: Self::Nsum,
        vectors: usize,
        h: Self::Hsum,
    ) -> Self::Hsum;
    /// The exact total, given that `vectors` vectors were added (the paths that sum biased values
    /// remove the bias here); the caller guarantees that it fits in `i32`.
    unsafe fn hsum_total(acc: Self::Hsum, vectors: usize) -> i32;
    /// Whether NCHW rows shorter than a vector go sixteen at a time, through
    /// [`IntVector::hsum_total16`] (paths with enough registers and a cheap transposed fold of
    /// sixteen sums); otherwise four at a time.
    const HSUM16: bool = false;
    /// [`IntVector::hsum_total`] of sixteen sums of one vector each (`vectors == 1`: the rows
    /// are shorter than a vector), written to `out[0..16]`.
    ///
    /// # Safety
    /// `out..out + 16` must be writable.
    #[cfg_attr(not(globalpool_unoptimized), inline(always))]
    unsafe fn hsum_total16(acc: [Self::Hsum; 16], vectors: usize, out: *mut i32) {
        for (j, a) in acc.into_iter().enumerate() {
            // SAFETY: `j < 16`, inside the caller's range.
            unsafe { *out.add(j) = Self::hsum_total(a, vectors) };
        }
    }
    /// With `DOT`, NCHW rows of `1..=DOT16_FULL` whole vectors and a part go sixteen at a
    /// time as well, through [`IntVector::short16`] with that `FULL` (paths whose `DOT` loop
    /// takes them).
    const DOT16_FULL: usize = 0;
    /// `groups` groups of sixteen NCHW rows of `n = FULL * LANES + r` values (`r < LANES`;
    /// `FULL == 0` unless `DOT` and `FULL <= DOT16_FULL`) from `p`, their sums through
    /// [`IntVector::hsum_total16`] into `sink` (for [`IntVector::HSUM16`] paths). Paths
    /// override it with a call of a separately compiled [`short16_body`], so that the loop
    /// gets registers of its own (see there), or with VNNI (`DOT`) of a loop of their own.
    ///
    /// # Safety
    /// The CPU has `Self`'s instruction set; every row `p + k n .. + n` and load
    /// `p + k n .. + (FULL + 1) LANES` for `k < 16 groups` is inside one slice.
    #[cfg_attr(not(globalpool_unoptimized), inline(always))]
    unsafe fn short16<const DOT: bool, const FULL: usize, S: Sink>(
        p: *const T,
        n: usize,
        groups: usize,
        sink: &mut S,
    ) {
        // SAFETY: forwarded contract.
        unsafe { short16_body::<T, Self, S>(p, n, groups, sink) }
    }
    /// [`IntVector::hsum_total`] of four sums (each of `vectors` vectors), written to
    /// `out[0..4]`: paths override it with a transposed reduction of the four.
    ///
    /// # Safety
    /// `out..out + 4` must be writable.
    #[cfg_attr(not(globalpool_unoptimized), inline(always))]
    unsafe fn hsum_total4(acc: [Self::Hsum; 4], vectors: usize, out: *mut i32) {
        for (j, a) in acc.into_iter().enumerate() {
            // SAFETY: `j < 4`, inside the caller's range.
            unsafe { *out.add(j) = Self::hsum_total(a, vectors) };
        }
    }

    /// Whether NCHW rows of one to seven whole vectors (and a tail) go four at a time through
    /// the narrow sums and [`IntVector::nsum_total4`] when the entry point has `DOT`, instead
    /// of through [`IntVector::hsum_add`] and [`IntVector::hsum_total4`].
    const NSUM_SHORT: bool = false;
    /// The exact totals of four narrow sums (each of `vectors` vectors, in total less than
    /// `2^31`), written to `out[0..4]`.
    ///
    /// # Safety
    /// `out..out + 4` must be writable.
    #[cfg_attr(not(globalpool_unoptimized), inline(always))]
    unsafe fn nsum_total4<const DOT: bool>(acc: [Self::Nsum; 4], vectors: usize, out: *mut i32) {
        // SAFETY: forwarded contract.
        unsafe { nsum_total4_flushed::<T, Self, DOT>(acc, vectors, out) }
    }

    /// Whether short NCHW rows go sixteen at a time through [`IntVector::hext16`] for `max` /
    /// `min` (paths with enough registers and a cheap transposed fold); otherwise each row
    /// takes its own [`IntVector::hmax`] / [`IntVector::hmin`].
    const HEXT16: bool = false;
    /// The maximum (`MAX`) or minimum of the lanes of each of sixteen vectors of keys
    /// ([`IntVector::ext_key`]), written to `out[0..16]` in order, as values.
    ///
    /// # Safety
    /// `out..out + 16` must be writable.
    #[cfg_attr(not(globalpool_unoptimized), inline(always))]
    unsafe fn hext16<const MAX: bool>(rows: [Self; 16], out: *mut i32) {
        for (j, v) in rows.into_iter().enumerate() {
            // SAFETY: `j < 16`, inside the caller's range.
            unsafe {
                let v = v.ext_key();
                *out.add(j) = if MAX { v.hmax() } else { v.hmin() };
            }
        }
    }

    /// `out[j] = vals[j] as T` for the sixteen values (each in `T`'s range): how the extremes
    /// of [`IntVector::hext16`] reach a `T` output ([`ExtSink`]). Paths override it with their
    /// narrowing instructions: as a loop, the compiler took the extremes out of the register
    /// one by one, some thirty operations per sixteen rows (not measured on its own: the
    /// A/B runs of the loop split alone and of the whole change put it at about 1.3-1.7x for
    /// int8 7x7 `max` on AVX-512, 1.15-1.25x on AVX2, on an AMD Zen 5).
    ///
    /// # Safety
    /// `out..out + 16` must be writable; the CPU has `Self`'s instruction set.
    #[cfg_attr(not(globalpool_unoptimized), inline(always))]
    unsafe fn narrow16(vals: &[i32; 16], out: *mut T) {
        for (j, &v) in vals.iter().enumerate() {
            // SAFETY: `j < 16`, inside the caller's range.
            unsafe { *out.add(j) = T::from_i32(v) };
        }
    }

    /// `groups` groups of sixteen NCHW rows of `n < 8 LANES` values from `p`, their maxima
    /// (`MAX`) or minima through [`IntVector::hext16`] into `sink` (for [`IntVector::HEXT16`]
    /// paths). Paths override it with a call of a separately compiled [`ext16_body`], as for
    /// [`IntVector::short16`].
    ///
    /// # Safety
    /// The CPU has `Self`'s instruction set; every row `p + k n .. + n` and load
    /// `p + k n .. + max(n, LANES)` for `k < 16 groups` is inside one slice.
    #[cfg_attr(not(globalpool_unoptimized), inline(always))]
    unsafe fn ext16<const MAX: bool, S: Sink>(p: *const T, n: usize, groups: usize, sink: &mut S) {
        // SAFETY: forwarded contract.
        unsafe { ext16_body::<T, Self, MAX, S>(p, n, groups, sink) }
    }

    /// Lane-wise running sums (the NHWC rows), in lanes narrow enough to be cheap and wide
    /// enough for [`IntVector::LSUM_ROWS`] vectors.
    type Lsum: Copy;
    /// All lanes zero.
    unsafe fn lsum_zero() -> Self::Lsum;
    /// Adds `v` lane by lane (wrapping).
    unsafe fn lsum_add(acc: Self::Lsum, v: Self) -> Self::Lsum;
    /// `lsum_add(acc, load(p))`, for paths that widen straight from memory.
    ///
    /// # Safety
    /// `p..p + LANES` must be readable.
    #[cfg_attr(not(globalpool_unoptimized), inline(always))]
    unsafe fn lsum_load_add(acc: Self::Lsum, p: *const T) -> Self::Lsum {
        // SAFETY: forwarded contract.
        unsafe { Self::lsum_add(acc, Self::load(p)) }
    }
    /// `lsum_load_add(lsum_load_add(acc, p), q)`: two rows, for paths that combine them
    /// before they widen.
    ///
    /// # Safety
    /// `p..p + LANES` and `q..q + LANES` must be readable.
    #[cfg_attr(not(globalpool_unoptimized), inline(always))]
    unsafe fn lsum_load_add2(acc: Self::Lsum, p: *const T, q: *const T) -> Self::Lsum {
        // SAFETY: forwarded contract.
        unsafe { Self::lsum_load_add(Self::lsum_load_add(acc, p), q) }
    }
    /// `p[i] += lane i` for every `i < LANES` (wrapping).
    ///
    /// # Safety
    /// `p..p + LANES` must be readable and writable.
    unsafe fn lsum_spill(acc: Self::Lsum, p: *mut i32);

    /// Whether the kernels should read NHWC rows whose loads are all aligned through the
    /// `lsum_pair_*` methods (a second layout of the lane sums, cheaper per vector but slower
    /// than the plain one when the loads straddle cache lines). An `Lsum` started by one family
    /// goes only through that family.
    const LSUM_PAIRS_ALIGNED: bool = false;
    /// [`IntVector::lsum_load_add2`] in the pair layout.
    ///
    /// # Safety
    /// `p..p + LANES` and `q..q + LANES` must be readable.
    #[cfg_attr(not(globalpool_unoptimized), inline(always))]
    unsafe fn lsum_pair_load_add2(acc: Self::Lsum, p: *const T, q: *const T) -> Self::Lsum {
        // SAFETY: forwarded contract.
        unsafe { Self::lsum_load_add2(acc, p, q) }
    }
    /// [`IntVector::lsum_load_add`] in the pair layout.
    ///
    /// # Safety
    /// `p..p + LANES` must be readable.
    #[cfg_attr(not(globalpool_unoptimized), inline(always))]
    unsafe fn lsum_pair_load_add(acc: Self::Lsum, p: *const T) -> Self::Lsum {
        // SAFETY: forwarded contract.
        unsafe { Self::lsum_load_add(acc, p) }
    }
    /// [`IntVector::lsum_spill`] from the pair layout.
    ///
    /// # Safety
    /// `p..p + LANES` must be readable and writable.
    #[cfg_attr(not(globalpool_unoptimized), inline(always))]
    unsafe fn lsum_pair_spill(acc: Self::Lsum, p: *mut i32) {
        // SAFETY: forwarded contract.
        unsafe { Self::lsum_spill(acc, p) }
    }

    /// How many vectors across the NHWC rows [`nhwc_words`] sums at most at a time (`0`: the
    /// path does not take it; AVX-512 bytes only). It reads through the `wsum_*` methods, a
    /// third layout of the lane sums: an `Lsum` started by them goes only through them.
    const WSUM_TILE: usize = 0;
    /// Adds the row of `LANES` values at `p` in the word layout: for byte types the low and
    /// the high bytes of each 16-bit word (the even and the odd channels) widened in place
    /// into two sums, with no shuffle; [`IntVector::wsum_store`] puts them in channel order.
    ///
    /// # Safety
    /// `p..p + LANES` must be readable.
    #[cfg_attr(not(globalpool_unoptimized), inline(always))]
    unsafe fn wsum_load_add(acc: Self::Lsum, p: *const T) -> Self::Lsum {
        // SAFETY: forwarded contract.
        unsafe { Self::lsum_load_add(acc, p) }
    }
    /// Adds the rows of `LANES` values at `p` and `q` in the pair layout, which
    /// [`IntVector::wsum_from_pairs`] turns into the word layout (by default two
    /// [`IntVector::wsum_load_add`] and the word layout throughout).
    ///
    /// # Safety
    /// `p..p + LANES` and `q..q + LANES` must be readable.
    #[cfg_attr(not(globalpool_unoptimized), inline(always))]
    unsafe fn wsum_pair_add(acc: Self::Lsum, p: *const T, q: *const T) -> Self::Lsum {
        // SAFETY: forwarded contract.
        unsafe { Self::wsum_load_add(Self::wsum_load_add(acc, p), q) }
    }
    /// The sums of [`IntVector::wsum_pair_add`] in the word layout.
    ///
    /// # Safety
    /// As for every method (the path's CPU features).
    #[cfg_attr(not(globalpool_unoptimized), inline(always))]
    unsafe fn wsum_from_pairs(acc: Self::Lsum) -> Self::Lsum {
        acc
    }
    /// Whether [`IntVector::wsum_avg_store`] divides (`i8` and `u8` on AVX-512).
    const WSUM_AVG: bool = false;
    /// Writes the AVERAGE_POOL_2D results of the `LANES` channels summed in `acc` by
    /// [`IntVector::wsum_load_add`] over the `n` rows `d` ([`WordAvg::new`]) divides by, to
    /// `p[0..LANES]` in channel order. Called only where [`IntVector::WSUM_AVG`] is set.
    ///
    /// # Safety
    /// `p..p + LANES` must be writable.
    #[cfg_attr(not(globalpool_unoptimized), inline(always))]
    unsafe fn wsum_avg_store(acc: Self::Lsum, d: WordAvg, p: *mut T) {
        let _ = (acc, d, p);
    }
    /// Writes the exact sums of the at most `LSUM_ROWS` vectors added to `acc` by
    /// [`IntVector::wsum_load_add`] to `p[0..LANES]`, in channel order (overwriting).
    ///
    /// # Safety
    /// `p..p + LANES` must be writable.
    #[cfg_attr(not(globalpool_unoptimized), inline(always))]
    unsafe fn wsum_store(acc: Self::Lsum, p: *mut i32) {
        // SAFETY: forwarded contract (the lanes are zeroed, then added to).
        unsafe {
            for j in 0..Self::LANES {
                p.add(j).write(0);
            }
            Self::lsum_spill(acc, p);
        }
    }
}

/// The default [`IntVector::nsum_total4`]: each narrow sum flushed into an `Hsum`, then
/// [`IntVector::hsum_total4`].
///
/// # Safety
/// As for [`IntVector::nsum_total4`].
#[cfg_attr(not(globalpool_unoptimized), inline(always))]
pub(crate) unsafe fn nsum_total4_flushed<T: Int, V: IntVector<T>, const DOT: bool>(
    acc: [V::Nsum; 4],
    vectors: usize,
    out: *mut i32,
) {
    // SAFETY: forwarded contract.
    unsafe {
        let mut h = [V::hsum_zero(); 4];
        for (h, n) in h.iter_mut().zip(acc) {
            *h = V::nsum_flush::<DOT>(n, vectors, *h);
        }
        V::hsum_total4(h, vectors, out);
    }
}

/// Bytes of all-zero, all-one, all-zero: lane masks are read from it (see [`first`], [`last`]).
#[repr(align(64))]
struct MaskBytes([u8; 192]);

static MASK_BYTES: MaskBytes = {
    let mut b = [0u8; 192];
    let mut i = 64;
    while i < 128 {
        // A constant: an out-of-range index would fail the build, not panic.
        #[allow(clippy::indexing_slicing)]
        {
            b[i] = 0xFF;
        }
        i += 1;
    }
    MaskBytes(b)
};

/// All ones in the first `n` lanes, zero in the others (`0 < n < LANES`).
///
/// # Safety
/// As for any [`IntVector`] method.
#[cfg_attr(not(globalpool_unoptimized), inline(always))]
unsafe fn first<T: Int, V: IntVector<T>>(n: usize) -> V {
    let bytes = n.min(V::LANES) * size_of::<T>();
    // SAFETY: `LANES * size_of::<T>() <= 64`, so the read `128 - bytes .. 128 - bytes + 64` at
    // most stays inside the 192 bytes; `V::load` needs no alignment.
    unsafe { V::load(MASK_BYTES.0.as_ptr().add(128 - bytes).cast()) }
}

/// All ones in the last `n` lanes, zero in the others (`0 < n < LANES`).
///
/// # Safety
/// As for any [`IntVector`] method.
#[cfg_attr(not(globalpool_unoptimized), inline(always))]
unsafe fn last<T: Int, V: IntVector<T>>(n: usize) -> V {
    let zero_bytes = (V::LANES - n.min(V::LANES)) * size_of::<T>();
    // SAFETY: the read starts at `64 - zero_bytes >= 0` and spans at most 64 bytes.
    unsafe { V::load(MASK_BYTES.0.as_ptr().add(64 - zero_bytes).cast()) }
}

/// Loads `n < LANES` values at `p` into the first lanes of a vector whose other lanes are
/// `fill`, through a stack copy: for the few loads near the end of the input where a whole
/// vector cannot be read.
///
/// # Safety
/// `p..p + n` must be readable.
#[cfg_attr(not(globalpool_unoptimized), inline(always))]
unsafe fn load_copy<T: Int, V: IntVector<T>>(p: *const T, n: usize, fill: T) -> V {
    let mut buf = [fill; 64];
    // SAFETY: `p..p + n` is readable (caller) and `n < LANES <= 64` values fit in `buf`.
    unsafe {
        core::ptr::copy_nonoverlapping(p, buf.as_mut_ptr(), n.min(64));
        V::load(buf.as_ptr())
    }
}

/// The generic kernel: NCHW or NHWC, any op.
///
/// # Safety
/// The CPU has `V`'s instruction set; `input.len() == batch * channels * spatial`, and `out`
/// holds `batch * channels` values.
#[cfg_attr(not(globalpool_unoptimized), inline(always))]
pub(crate) unsafe fn kernel<T: Int, V: IntVector<T>, const DOT: bool>(
    input: &[T],
    dims: Dims,
    nhwc: bool,
    out: &mut IntOut<'_, T>,
) {
    if dims.spatial.get() == 1 {
        // One value per channel, in both layouts: it is its channel's sum (n = 1) and extreme.
        // The row kernels would take each one-value row alone, most of them with a copied
        // tail load near the end of a small input (1x32x1x1: 400-460 ns a call instead of 12-30).
        let mut vals = [0i32; BATCH];
        for (k, chunk) in input.chunks(BATCH).enumerate() {
            for (v, x) in vals.iter_mut().zip(chunk) {
                *v = x.to_i32();
            }
            out.emit(k * BATCH, vals.get(..chunk.len()).unwrap_or(&[]));
        }
        return;
    }
    // SAFETY: forwarded contract.
    unsafe {
        match (nhwc, out.op()) {
            (false, Op::Max) => nchw_ext::<T, V, true>(input, dims, out),
            (false, Op::Min) => nchw_ext::<T, V, false>(input, dims, out),
            (false, _) => nchw_sum::<T, V, DOT>(input, dims, out),
            (true, Op::Max) => nhwc_ext::<T, V, true>(input, dims, out),
            (true, Op::Min) => nhwc_ext::<T, V, false>(input, dims, out),
            (true, _) => nhwc_sum::<T, V>(input, dims, out),
        }
    }
}

/// NCHW sums: each row with two running sums, its tail through a masked whole-vector load.
#[cfg_attr(not(globalpool_unoptimized), inline(always))]
unsafe fn nchw_sum<T: Int, V: IntVector<T>, const DOT: bool>(
    input: &[T],
    dims: Dims,
    out: &mut IntOut<'_, T>,
) {
    let n = dims.spatial.get();
    let l = V::LANES;
    let len = input.len();
    let base = input.as_ptr();
    let mut em = Emitter::new(out);
    let mut o = 0;
    if n < 8 * l {
        // Short rows: four at a time, their sums reduced together (`hsum_total4`), so that the
        // horizontal folds cost a fraction of a vector operation per row; one loop per number
        // of whole vectors in a row. Rows whose masked tail load would end past the input are
        // left to the general loop below. With VNNI (`DOT`, `IntVector::NSUM_SHORT`), rows of
        // one to seven whole vectors sum in `vpdpbusd`'s `i32` lanes, one operation per vector
        // where the biased `psadbw` and its addition take three (AVX-512 on an AMD Zen 5, int8
        // `avg`: rows of 128 values 1.04-1.05x, 100 values 1.09x, 300 values 1.02x, 196 values
        // (14x14) 0.99-1.0x).
        // SAFETY: forwarded contract; `n < 8 LANES`, so `n / LANES` matches the loop.
        o = unsafe {
            match n / l {
                0 => short_rows::<T, V, 0, DOT>(input, n, &mut em),
                1 => short_rows::<T, V, 1, DOT>(input, n, &mut em),
                2 => short_rows::<T, V, 2, DOT>(input, n, &mut em),
                3 => short_rows::<T, V, 3, DOT>(input, n, &mut em),
                4 => short_rows::<T, V, 4, DOT>(input, n, &mut em),
                5 => short_rows::<T, V, 5, DOT>(input, n, &mut em),
                6 => short_rows::<T, V, 6, DOT>(input, n, &mut em),
                _ => short_rows::<T, V, 7, DOT>(input, n, &mut em),
            }
        };
    }
    while o < len {
        // SAFETY: rows `o..o + n` are inside the input (`len` is a multiple of `n`); every load
        // below reads whole vectors inside `0..len`, as each branch checks.
        unsafe {
            let p = base.add(o);
            let (mut a, mut b) = (V::hsum_zero(), V::hsum_zero());
            // A long row whose start is not on a vector-size boundary begins with the values
            // before the next boundary, as the last lanes of the aligned vector that holds
            // them (masked; the vector starts inside the input), so that all its other loads
            // are aligned: a misaligned AVX-512 load touches two cache lines (1.4x the time on
            // an L2-resident 1x64x112x112 int8 map here).
            let h = super::to_boundary(p, l);
            let (mut i, head) = if h > 0 && n >= 4 * l + h && o + h >= l {
                a = V::hsum_add(a, V::load(p.add(h).sub(l)).and(last::<T, V>(h)));
                (h, 1)
            } else {
                (0, 0)
            };
            // Runs of at most `NSUM_VECTORS` vectors per pair of narrow sums `na` (+ `nc`) and
            // `nb` (+ `nd`): two vectors per step into each pair.
            let run = (V::NSUM_VECTORS / 2).max(1).saturating_mul(4 * l);
            let four = V::NSUM_CHAINS >= 4;
            while i + 4 * l <= n {
                let stop = n.min(i.saturating_add(run));
                let (mut na, mut nb) = (V::nsum_zero::<DOT>(), V::nsum_zero::<DOT>());
                let (mut nc, mut nd) = (V::nsum_zero::<DOT>(), V::nsum_zero::<DOT>());
                let start = i;
                while i + 4 * l <= stop {
                    na = V::nsum_add::<DOT>(na, V::load(p.add(i)));
                    nb = V::nsum_add::<DOT>(nb, V::load(p.add(i + l)));
                    let (x, y) = (V::load(p.add(i + 2 * l)), V::load(p.add(i + 3 * l)));
                    if four {
                        nc = V::nsum_add::<DOT>(nc, x);
                        nd = V::nsum_add::<DOT>(nd, y);
                    } else {
                        na = V::nsum_add::<DOT>(na, x);
                        nb = V::nsum_add::<DOT>(nb, y);
                    }
                    i += 4 * l;
                }
                if four {
                    na = V::nsum_merge::<DOT>(na, nc);
                    nb = V::nsum_merge::<DOT>(nb, nd);
                }
                let each = (i - start) / (2 * l);
                a = V::nsum_flush::<DOT>(na, each, a);
                b = V::nsum_flush::<DOT>(nb, each, b);
            }
            while i + l <= n {
                a = V::hsum_add(a, V::load(p.add(i)));
                i += l;
            }
            let r = n - i;
            let mut vectors = head + i / l;
            if r > 0 {
                let t = if o + i + l <= len {
                    V::load(p.add(i)).and(first::<T, V>(r))
                } else if o + n >= l {
                    V::load(p.add(n).sub(l)).and(last::<T, V>(r))
                } else {
                    load_copy::<T, V>(p.add(i), r, T::default())
                };
                b = V::hsum_add(b, t);
                vectors += 1;
            }
            em.push(V::hsum_total(V::hsum_merge(a, b), vectors));
        }
        o += n;
    }
    em.flush();
}

/// NCHW rows of `n = FULL * LANES + r` values (`r < LANES`), four (or sixteen) at a time, from
/// the start of the input for as long as the masked tail loads stay inside it; returns where it
/// stopped (a multiple of `n`). Sums and the `f32`-divided averages go straight to the output
/// through their own instantiation of the loops (see [`Sink`]), anything else in the
/// emitter's batches.
///
/// # Safety
/// `n / LANES == FULL`, `input.len()` a multiple of `n`; the CPU has `V`'s instruction set;
/// nothing emitted or collected yet (`em` is new).
#[cfg_attr(not(globalpool_unoptimized), inline(always))]
unsafe fn short_rows<T: Int, V: IntVector<T>, const FULL: usize, const DOT: bool>(
    input: &[T],
    n: usize,
    em: &mut Emitter<'_, '_, T>,
) -> usize {
    let (done, o) = match &mut *em.out {
        IntOut::Sum(out) => {
            let mut sink = SumSink { out, next: 0 };
            // SAFETY: forwarded contract.
            let o = unsafe { short_rows_to::<T, V, FULL, DOT, _>(input, n, &mut sink) };
            (sink.next, o)
        }
        // On paths that total sixteen short rows at a time; on the others (the four-row loops
        // of AVX2 and SSE2), batches of 64 divide faster than four at a time
        // (int8 7x7 `avg` on AVX2 0.82x that way).
        IntOut::Avg {
            out,
            div: Divider {
                narrow: Some(div), ..
            },
            lo,
            hi,
        } if V::HSUM16 => {
            let (div, lo, hi) = (*div, *lo, *hi);
            let mut sink = AvgSink {
                out,
                next: 0,
                div,
                lo,
                hi,
                words: WordAvg::new::<T>(n, lo, hi),
            };
            // SAFETY: forwarded contract.
            let o = unsafe { short_rows_to::<T, V, FULL, DOT, _>(input, n, &mut sink) };
            (sink.next, o)
        }
        // SAFETY: forwarded contract.
        _ => return unsafe { short_rows_to::<T, V, FULL, DOT, _>(input, n, em) },
    };
    em.next = done;
    o
}

/// The loops of [`short_rows`], into `sink`.
///
/// # Safety
/// As for [`short_rows`].
#[cfg_attr(not(globalpool_unoptimized), inline(always))]
unsafe fn short_rows_to<T: Int, V: IntVector<T>, const FULL: usize, const DOT: bool, S: Sink>(
    input: &[T],
    n: usize,
    sink: &mut S,
) -> usize {
    let (l, len, base) = (V::LANES, input.len(), input.as_ptr());
    let r = n - FULL * l;
    let vectors = FULL + usize::from(r > 0);
    // SAFETY: `first` only reads the mask table.
    let mask = unsafe { first::<T, V>(r.max(1)) };
    let mut o = 0;
    // Sixteen at a time only for rows shorter than a vector, or with the path's `DOT` loop:
    // with longer ones the sixteen rows' loads, interleaved, cost more than the `psadbw`
    // folds save (17-20% slower at 1-4 vectors).
    if V::HSUM16 && (FULL == 0 || (DOT && FULL <= V::DOT16_FULL)) {
        // Groups of sixteen rows `o .. o + 16n` whose last load, `o + 15n + FULL LANES ..
        // + LANES`, is inside the input as well.
        let groups = groups_from(o, len, 16, n, FULL * l + l);
        // SAFETY: forwarded contract; the rows and loads are inside the input
        // (`groups_from`).
        unsafe { V::short16::<DOT, FULL, _>(base.add(o), n, groups, sink) };
        o += 16 * n * groups;
    }
    // With `DOT`, in the narrow sums where the path says so (`IntVector::NSUM_SHORT`).
    let narrow = DOT && V::NSUM_SHORT && FULL > 0;
    let groups = groups_from(o, len, 4, n, FULL * l + l);
    // SAFETY: `o <= len` (whole rows).
    let mut p = unsafe { base.add(o) };
    for _ in 0..groups {
        let mut vals = [0i32; 4];
        // SAFETY: the four rows and every whole vector read are inside the input
        // (`groups_from`: the last vector of the fourth row ends at `3n + FULL l + l` from
        // the first row's start).
        unsafe {
            let out = vals.as_mut_ptr();
            if narrow {
                let rows = [
                    short_nrow::<T, V, FULL, DOT>(p, r, mask),
                    short_nrow::<T, V, FULL, DOT>(p.add(n), r, mask),
                    short_nrow::<T, V, FULL, DOT>(p.add(2 * n), r, mask),
                    short_nrow::<T, V, FULL, DOT>(p.add(3 * n), r, mask),
                ];
                V::nsum_total4::<DOT>(rows, vectors, out);
            } else {
                let rows = [
                    short_row::<T, V, FULL>(p, r, mask),
                    short_row::<T, V, FULL>(p.add(n), r, mask),
                    short_row::<T, V, FULL>(p.add(2 * n), r, mask),
                    short_row::<T, V, FULL>(p.add(3 * n), r, mask),
                ];
                V::hsum_total4(rows, vectors, out);
            }
            p = p.add(4 * n);
        }
        sink.put(&vals);
    }
    o + 4 * n * groups
}

/// The loop of [`IntVector::short16`]: sixteen rows at a time, four from each address, which
/// steps through [`super::opaque`] (see there).
///
/// # Safety
/// As for [`IntVector::short16`].
#[cfg_attr(not(globalpool_unoptimized), inline(always))]
pub(crate) unsafe fn short16_body<T: Int, V: IntVector<T>, S: Sink>(
    p: *const T,
    n: usize,
    groups: usize,
    sink: &mut S,
) {
    // SAFETY: `first` only reads the mask table; `0 < n < LANES`.
    let mask = unsafe { first::<T, V>(n) };
    let mut p = p;
    for _ in 0..groups {
        let mut vals = [0i32; 16];
        // SAFETY: the group's rows and loads are inside the slice (the caller's contract);
        // `vectors == 1`.
        unsafe {
            let mut rows = [V::hsum_zero(); 16];
            for quad in rows.as_chunks_mut::<4>().0 {
                quad[0] = short_row::<T, V, 0>(p, n, mask);
                quad[1] = short_row::<T, V, 0>(p.add(n), n, mask);
                quad[2] = short_row::<T, V, 0>(p.add(2 * n), n, mask);
                quad[3] = short_row::<T, V, 0>(p.add(3 * n), n, mask);
                p = super::opaque(p.add(4 * n));
            }
            V::hsum_total16(rows, 1, vals.as_mut_ptr());
        }
        sink.put(&vals);
    }
}

/// The loop of [`IntVector::ext16`]: sixteen rows at a time, four from each address, which
/// steps through [`super::opaque`]; a row shorter than a vector is its values where the mask
/// is set and the identity elsewhere.
///
/// # Safety
/// As for [`IntVector::ext16`].
#[cfg_attr(not(globalpool_unoptimized), inline(always))]
pub(crate) unsafe fn ext16_body<T: Int, V: IntVector<T>, const MAX: bool, S: Sink>(
    p: *const T,
    n: usize,
    groups: usize,
    sink: &mut S,
) {
    // A loop per row length in whole vectors, up to three (a constant of each loop, so a row
    // is straight-line code): with the length's kind chosen inside one loop, the sixteen rows
    // went through the stack every group (an initializing store, a store and a load a row;
    // int8 7x7 `max` on AVX-512 1.32x faster without, on an AMD Zen 5, measured beside a CI
    // run), as they still do in the one loop for rows of four vectors or more. (Straight-line
    // loops for four to seven vectors were slower there: int8 `max` of 16x16 and 20x20 maps
    // 0.72-0.74x on AVX-512, 14x14 0.96-0.98x on AVX2.)
    // SAFETY: forwarded contract.
    unsafe {
        match n / V::LANES {
            0 => ext16_loop::<T, V, MAX, 0, S>(p, n, groups, sink),
            1 => ext16_loop::<T, V, MAX, 1, S>(p, n, groups, sink),
            2 => ext16_loop::<T, V, MAX, 2, S>(p, n, groups, sink),
            3 => ext16_loop::<T, V, MAX, 3, S>(p, n, groups, sink),
            _ => ext16_loop::<T, V, MAX, ANY_FULL, S>(p, n, groups, sink),
        }
    }
}

/// `FULL` for rows of any length in [`ext16_loop`].
const ANY_FULL: usize = usize::MAX;

/// [`ext16_body`] for rows of `FULL == n / LANES` whole vectors (or any, [`ANY_FULL`]).
///
/// # Safety
/// As for [`IntVector::ext16`], and `FULL` is `n / LANES` or [`ANY_FULL`] (with `n >= LANES`).
#[cfg_attr(not(globalpool_unoptimized), inline(always))]
unsafe fn ext16_loop<T: Int, V: IntVector<T>, const MAX: bool, const FULL: usize, S: Sink>(
    p: *const T,
    n: usize,
    groups: usize,
    sink: &mut S,
) {
    let l = V::LANES;
    let ident = if MAX { T::MIN } else { T::MAX };
    // SAFETY: `first` only reads the mask table.
    let (mask, fill) = unsafe { (first::<T, V>(n.clamp(1, l - 1)), V::splat(ident)) };
    let mut p = p;
    for _ in 0..groups {
        let mut vals = [0i32; 16];
        // SAFETY: the group's rows and loads are inside the slice (the caller's contract).
        unsafe {
            let mut rows = [fill; 16];
            for quad in rows.as_chunks_mut::<4>().0 {
                quad[0] = ext_short_row::<T, V, MAX, FULL>(p, n, mask, fill);
                quad[1] = ext_short_row::<T, V, MAX, FULL>(p.add(n), n, mask, fill);
                quad[2] = ext_short_row::<T, V, MAX, FULL>(p.add(2 * n), n, mask, fill);
                quad[3] = ext_short_row::<T, V, MAX, FULL>(p.add(3 * n), n, mask, fill);
                p = super::opaque(p.add(4 * n));
            }
            V::hext16::<MAX>(rows, vals.as_mut_ptr());
        }
        sink.put(&vals);
    }
}

/// One row of [`ext16_body`], as keys ([`IntVector::ext_key`]): for a row shorter than a
/// vector (`FULL == 0`) its values where `mask` is set and `fill` elsewhere; for `FULL` whole
/// vectors and a few values, the extreme of its whole vectors and the one that ends with it
/// (repeats do not change an extreme); for [`ANY_FULL`], [`ext_row`]. (A function, not a
/// closure: see [`short_row`].)
///
/// # Safety
/// `p..p + max(n, LANES)` must be readable, `FULL` as for [`ext16_loop`]; the CPU has `V`'s
/// instruction set.
#[cfg_attr(not(globalpool_unoptimized), inline(always))]
pub(crate) unsafe fn ext_short_row<T: Int, V: IntVector<T>, const MAX: bool, const FULL: usize>(
    p: *const T,
    n: usize,
    mask: V,
    fill: V,
) -> V {
    // SAFETY: the caller's range.
    unsafe {
        if FULL == 0 {
            V::select(mask, V::load(p), fill).ext_key()
        } else if FULL == ANY_FULL {
            ext_row::<T, V, MAX>(p, n).ext_key()
        } else {
            let l = V::LANES;
            let mut a =
                key_step::<T, V, MAX>(V::load(p).ext_key(), V::load(p.add(n - l)).ext_key());
            for k in 1..FULL {
                a = key_step::<T, V, MAX>(a, V::load(p.add(k * l)).ext_key());
            }
            a
        }
    }
}

/// How many groups of `rows` rows of `n` values, from `o` on, lie inside an input of `len`
/// values with the last row's `reach` values from its start (its last load) inside as well.
#[cfg_attr(not(globalpool_unoptimized), inline(always))]
fn groups_from(o: usize, len: usize, rows: usize, n: usize, reach: usize) -> usize {
    // A group at `s` fits when `s + (rows - 1) n + max(n, reach) <= len`.
    let span = (rows - 1) * n + n.max(reach);
    match len.checked_sub(span) {
        Some(last) if last >= o => (last - o) / (rows * n) + 1,
        _ => 0,
    }
}

/// The sum of `FULL` whole vectors at `p` and, if `r > 0`, of the vector after them ANDed with
/// `mask` (the first `r` lanes). (A function, not a closure: closures do not get the target
/// features of the entry point, and their intrinsics would not be inlined.)
///
/// # Safety
/// `p..p + (FULL + 1) * LANES` must be readable (`p..p + FULL * LANES` if `r == 0`).
#[cfg_attr(not(globalpool_unoptimized), inline(always))]
unsafe fn short_row<T: Int, V: IntVector<T>, const FULL: usize>(
    p: *const T,
    r: usize,
    mask: V,
) -> V::Hsum {
    // SAFETY: the caller's range.
    unsafe {
        let mut a = V::hsum_zero();
        for v in 0..FULL {
            a = V::hsum_add(a, V::load(p.add(v * V::LANES)));
        }
        if r > 0 {
            a = V::hsum_add(a, V::load(p.add(FULL * V::LANES)).and(mask));
        }
        a
    }
}

/// [`short_row`] in a narrow sum (`FULL + 1 <= NSUM_VECTORS`).
///
/// # Safety
/// As for [`short_row`].
#[cfg_attr(not(globalpool_unoptimized), inline(always))]
unsafe fn short_nrow<T: Int, V: IntVector<T>, const FULL: usize, const DOT: bool>(
    p: *const T,
    r: usize,
    mask: V,
) -> V::Nsum {
    // SAFETY: the caller's range.
    unsafe {
        let mut a = V::nsum_zero::<DOT>();
        for v in 0..FULL {
            a = V::nsum_add::<DOT>(a, V::load(p.add(v * V::LANES)));
        }
        if r > 0 {
            a = V::nsum_add_masked::<DOT>(a, V::load(p.add(FULL * V::LANES)), mask);
        }
        a
    }
}

/// NCHW maximum / minimum: each row with two running extremes; the tail overlaps the previous
/// vector of the row (repeats do not change an extreme) or, in rows shorter than a vector, is
/// blended with the identity. Rows shorter than eight vectors go sixteen at a time where the
/// path folds sixteen rows' extremes together ([`IntVector::HEXT16`]).
#[cfg_attr(not(globalpool_unoptimized), inline(always))]
unsafe fn nchw_ext<T: Int, V: IntVector<T>, const MAX: bool>(
    input: &[T],
    dims: Dims,
    out: &mut IntOut<'_, T>,
) {
    let n = dims.spatial.get();
    let l = V::LANES;
    let len = input.len();
    let base = input.as_ptr();
    let ident = if MAX { T::MIN } else { T::MAX };
    let mut em = Emitter::new(out);
    let mut o = 0;
    // Rows shorter than a vector: their values where `mask` is set, the identity elsewhere.
    // SAFETY: `first` only reads the mask table.
    let (mask, fill) = unsafe { (first::<T, V>(n.clamp(1, l - 1)), V::splat(ident)) };
    if V::HEXT16 && n < 8 * l {
        // Short rows sixteen at a time, their lanes folded together (`hext16`): a row's own
        // horizontal fold was most of the work on rows of one to a few vectors. Straight into
        // the output where it takes the extremes as they are (see `Sink`).
        let groups = groups_from(0, len, 16, n, l);
        // SAFETY: forwarded contract (the CPU has `V`'s instruction set, which `ExtSink::new`
        // asks for); the rows and loads are inside the input (`groups_from`: a row shorter
        // than a vector reads `l` values from its start).
        unsafe {
            if let IntOut::Ext { out, .. } = &mut *em.out {
                let mut sink = ExtSink::<T, V>::new(out);
                V::ext16::<MAX, _>(base, n, groups, &mut sink);
                em.next = sink.next;
            } else {
                V::ext16::<MAX, _>(base, n, groups, &mut em);
            }
        }
        o = 16 * n * groups;
    }
    while o < len {
        // SAFETY: as in `nchw_sum`: every load reads a whole vector inside `0..len`.
        unsafe {
            let p = base.add(o);
            let acc = if n >= l {
                ext_row::<T, V, MAX>(p, n)
            } else if o + l <= len {
                V::select(mask, V::load(p), fill)
            } else if o + n >= l {
                V::select(last::<T, V>(n), V::load(p.add(n).sub(l)), fill)
            } else {
                load_copy::<T, V>(p, n, ident)
            };
            em.push(if MAX { acc.hmax() } else { acc.hmin() });
        }
        o += n;
    }
    em.flush();
}

/// The lane-wise maximum (or minimum) of the `n >= LANES` values at `p`, in two running
/// extremes; the last vector overlaps the one before it (repeats do not change an extreme).
///
/// # Safety
/// `p..p + n` must be readable, `n >= LANES`; the CPU has `V`'s instruction set.
#[cfg_attr(not(globalpool_unoptimized), inline(always))]
unsafe fn ext_row<T: Int, V: IntVector<T>, const MAX: bool>(p: *const T, n: usize) -> V {
    let l = V::LANES;
    // SAFETY: every load reads a whole vector inside `p..p + n`.
    unsafe {
        // In keys (`IntVector::ext_key`), back to values at the end.
        let (mut a, mut b) = (V::load(p).ext_key(), V::load(p.add(n - l)).ext_key());
        let mut i = l;
        while i + 2 * l <= n {
            a = key_step::<T, V, MAX>(a, V::load(p.add(i)).ext_key());
            b = key_step::<T, V, MAX>(b, V::load(p.add(i + l)).ext_key());
            i += 2 * l;
        }
        if i + l <= n {
            a = key_step::<T, V, MAX>(a, V::load(p.add(i)).ext_key());
        }
        key_step::<T, V, MAX>(a, b).ext_key()
    }
}

/// `max(a, b)` (or `min`) lane by lane of two vectors of keys ([`IntVector::ext_key`]). (A
/// function, not a closure: closures do not get the target features of the entry point.)
///
/// # Safety
/// As for any [`IntVector`] method.
#[cfg_attr(not(globalpool_unoptimized), inline(always))]
unsafe fn key_step<T: Int, V: IntVector<T>, const MAX: bool>(a: V, b: V) -> V {
    // SAFETY: the caller runs with `V`'s instruction set.
    unsafe { if MAX { a.kmax(b) } else { a.kmin(b) } }
}

/// Lanes of the NHWC scratch rows (`i32` sums or `T` extremes on the stack): rows of more
/// channels are read in passes of this many. 1024 (4 kB of `i32`) where stacks are large, so
/// that 768 channels (token pooling) take one pass (int8 `avg` 32x128x768 5-6% faster than in
/// two passes of 512 and 256, memory-bound); 512 on 32-bit targets (microcontroller stacks).
#[cfg(target_pointer_width = "64")]
const CHUNK: usize = 1024;
#[cfg(not(target_pointer_width = "64"))]
const CHUNK: usize = 512;
/// Lanes of the NHWC sums' scratch row: rows of up to this many channels that follow each other
/// but start off a vector boundary are read in one pass, so that their aligned stream wraps
/// from row to row (see [`sum_rows`]; 1x1280x7x7 and 1x2048x7x7 int8 `avg` 1.2-1.5x faster on
/// inputs 16 or 48 bytes past a 64-byte boundary than in passes of `CHUNK`). Aligned rows keep
/// passes of `CHUNK` (one pass of 1280 channels was 4-7% slower there).
#[cfg(target_pointer_width = "64")]
const SUM_SCRATCH: usize = 2 * CHUNK;
#[cfg(not(target_pointer_width = "64"))]
const SUM_SCRATCH: usize = CHUNK;
/// The longest row that [`nhwc_plan`] builds from several positions of few channels (longer
/// ones were slower: 1x3x224x224 int8 `avg` 1.5x with 1024).
const PLAN_ROW: usize = 512;
const _: () = assert!(PLAN_ROW <= CHUNK);
/// NHWC rows summed in registers before they are spilled to the scratch row, in inputs larger
/// than [`CACHED`].
const GROUP: usize = 16;
/// The input size in bytes up to which NHWC sums take as many rows per spill as the narrow
/// lanes allow (`LSUM_ROWS`), and NHWC extremes all rows per pass: inputs this small are
/// usually still in the L2 cache (they are in the benchmarks), where spilling every 16 rows
/// cost 10-20% (1x64x112x112, 1x512x14x14, 1x3x224x224, 1x1280x7x7 int8 `avg` 1.1-1.2x faster
/// without); on a memory-bound 8x256x56x56 the long groups were 6-7% slower (one pass per two
/// vectors over many rows).
const CACHED: usize = 1 << 20;

/// How NHWC rows are read: `k` consecutive positions form one row of `k * channels` values when
/// the channels are few (lane `j` then always holds channel `j mod channels`), so that narrow
/// tensors (3 channels) still fill whole vectors. `k` is a multiple of
/// `lanes / gcd(channels, lanes)` where that fits, so that such a row is whole vectors.
fn nhwc_plan(channels: NonZeroUsize, lanes: usize) -> (NonZeroUsize, usize) {
    let c = channels.get();
    if c > PLAN_ROW / 2 {
        return (NonZeroUsize::MIN, c);
    }
    let (mut a, mut b) = (c, lanes);
    while b != 0 {
        (a, b) = (b, a % b);
    }
    // Divisions by non-zero types or checked ones: no panic path to link.
    let k0 = NonZeroUsize::new(a).map_or(1, |g| lanes / g);
    let k = match NonZeroUsize::new(k0.saturating_mul(c)) {
        Some(row) if row.get() <= PLAN_ROW => (PLAN_ROW / row) * k0,
        _ => PLAN_ROW / channels,
    };
    let k = NonZeroUsize::new(k).unwrap_or(NonZeroUsize::MIN);
    (k, k.get() * c)
}

/// NHWC sums: per chunk of up to `CHUNK` lanes (or a whole row of up to `SUM_SCRATCH` that
/// wraps into the next), groups of `GROUP` rows summed in narrow lanes in registers, then
/// added to an `i32` scratch row.
#[cfg_attr(not(globalpool_unoptimized), inline(always))]
unsafe fn nhwc_sum<T: Int, V: IntVector<T>>(input: &[T], dims: Dims, out: &mut IntOut<'_, T>) {
    let (c, s) = (dims.channels.get(), dims.spatial.get());
    let (k, w) = nhwc_plan(dims.channels, V::LANES);
    // Aligned rows of whole vectors that fill images of at most `CACHED` bytes: see
    // `nhwc_words`.
    if V::WSUM_TILE > 0
        && w.is_multiple_of(V::LANES)
        && s.is_multiple_of(k.get())
        && (c * s).saturating_mul(size_of::<T>()) <= CACHED
        && super::to_boundary(input.as_ptr(), V::LANES) == 0
    {
        // SAFETY: forwarded contract; the conditions just checked.
        unsafe { nhwc_words::<T, V>(input, dims, out) };
        return;
    }
    // Rows of more than `CHUNK` channels that wrap into each other (see `sum_rows`), in every
    // image alike, take one pass with the larger scratch row (its own instance: the larger
    // stack frame cost aligned inputs 3-5%).
    let whole = SUM_SCRATCH > CHUNK
        && w > CHUNK
        && w <= SUM_SCRATCH
        && w.is_multiple_of(V::LANES)
        && (dims.batch.get() == 1 || (c * s).is_multiple_of(V::LANES))
        && super::to_boundary(input.as_ptr(), V::LANES) != 0;
    // SAFETY: forwarded contract.
    unsafe {
        if whole {
            nhwc_sum_in::<T, V, SUM_SCRATCH>(input, dims, out);
        } else {
            nhwc_sum_in::<T, V, CHUNK>(input, dims, out);
        }
    }
}

/// NHWC sums of inputs on a vector boundary in images of at most [`CACHED`] bytes whose rows
/// (of [`nhwc_plan`]: one position, or several of few channels) are whole vectors and fill
/// the image (the CNN heads; token pooling; 64 or 256 channels, several positions per row;
/// 3-channel images, 128 positions per row): tiles of vectors down the rows in groups of
/// `LSUM_ROWS` in the word layout of the lane sums ([`IntVector::wsum_load_add`]), each
/// group's exact sums written (then added) to a small stack buffer and emitted from there,
/// where [`nhwc_sum_in`] zeroes a scratch row, adds each column's sums into it and emits from
/// it (in a throwaway loop that cost 1x1280x7x7 int8 sums about 10 points of the probe).
/// Rows of at most 12 vectors in one tile (the rows then read as one stream: on an AMD Zen 4,
/// 768 channels x 128 rows as one tile of 12 instead of three of 4 were 1.07x faster, 32 such
/// images from memory 1.19x, 640 channels x 196 rows 1.06x); longer rows in tiles of 4, which
/// were 1.07-1.1x faster than tiles of 8 on 1280 and 2048 channels (tiles of at most 12 of
/// about equal width were level with them on the Zen 4: 0.98-1.03x). On
/// AVX-512, against the pair layout through the scratch row (median over 8 allocations of the
/// input): int8 `avg` 1x1280x7x7 1.32x, 1x2048x7x7 1.28x, 1x512x14x14 1.32x, 768 channels x
/// 128 rows 1.44x, 1x1024x14x14 1.19x; `sum` 1.28-1.47x. Larger inputs of such images, from
/// memory: 32x128x768 1.15x, 64x2048x7x7 1.13x, 16x512x14x14 1.14x, 8x1024x14x14 1.26x (there
/// the scratch row took groups of 16 rows). Several positions per row (median over 3-6
/// allocations): 1x64x112x112 1.3x (69% of the probe before, 90% after), 1x3x224x224 1.21x
/// (67%, 81%), 8x256x56x56 1.19x (80%, 95%). On AVX2 the heads in tiles of 4 were level
/// (0.9-1.1x), so AVX2 keeps the pair layout.
///
/// # Safety
/// As for [`kernel`]; besides, the rows of [`nhwc_plan`] are whole vectors and their positions
/// divide `spatial` (the input's start need not be aligned for soundness, only for speed).
#[cfg_attr(not(globalpool_unoptimized), inline(always))]
unsafe fn nhwc_words<T: Int, V: IntVector<T>>(input: &[T], dims: Dims, out: &mut IntOut<'_, T>) {
    let (c, s, l) = (dims.channels.get(), dims.spatial.get(), V::LANES);
    let (k, w) = nhwc_plan(dims.channels, l);
    let k = k.get();
    if V::WSUM_AVG
        && k == 1
        && s <= V::LSUM_ROWS
        && let Some((d, o)) = out.word_avg(s)
    {
        // SAFETY: forwarded contract; one position per row, in one group.
        unsafe { nhwc_word_outs::<T, V, WordAvg>(input, dims, d, o) };
        return;
    }
    if k == 1
        && s <= V::LSUM_ROWS
        && let Some(o) = out.sums()
    {
        // SAFETY: forwarded contract; one position per row, in one group.
        unsafe { nhwc_word_outs::<T, V, ExactSums>(input, dims, ExactSums, o) };
        return;
    }
    let (rows, full) = (s / k, w / l);
    let g = V::LSUM_ROWS.max(1);
    let base = input.as_ptr();
    // Up to 12 vectors of up to 64 lanes (a tile, or with `k > 1` the whole plan row of at most
    // `PLAN_ROW` lanes); only what the tiles write is read.
    let mut tmp = [MaybeUninit::<i32>::uninit(); 768];
    let dst = tmp.as_mut_ptr().cast::<i32>();
    let mut next = 0;
    for b in 0..dims.batch.get() {
        let image = b * c * s;
        let mut v = 0;
        while v < full {
            // The tile's vectors, where they go in `tmp`.
            let n = word_tile_width::<T, V>(full, v, dims.word_pairs);
            let at = if k > 1 { v * l } else { 0 };
            let mut r0 = 0;
            while r0 < rows {
                let gr = (rows - r0).min(g);
                // SAFETY: the tile's `n` vectors of rows `r0..r0 + gr` are inside the image
                // (`v + n <= full`, `rows * w <= c * s`); `tmp` holds `at + n * LANES <= 768`
                // lanes (`w <= PLAN_ROW` with `k > 1`, `n <= 12` and `LANES <= 64` else).
                unsafe {
                    let p = base.add(image + r0 * w + v * l);
                    let d = dst.add(at);
                    let add = r0 > 0;
                    by_width!(n, word_tile::<T, V>(p, w, gr, d, add, dims.word_pairs));
                }
                r0 += gr;
            }
            if k == 1 {
                let width = (n * l).min(tmp.len());
                // SAFETY: the tile wrote the first `n * LANES` lanes; `MaybeUninit<i32>` has
                // the layout of `i32`.
                let vals = unsafe { core::slice::from_raw_parts(dst, width) };
                out.emit(next, vals);
                next += width;
            }
            v += n;
        }
        if k > 1 {
            // SAFETY: the tiles wrote all `w <= 512` lanes.
            let acc = unsafe { core::slice::from_raw_parts_mut(dst, w.min(tmp.len())) };
            fold_blocks(acc, c, k, i32::wrapping_add);
            out.emit(next, acc.get(..c).unwrap_or(&[]));
            next += c;
        }
    }
}

/// [`nhwc_words`] for one position per row (`channels` a multiple of `LANES`), `spatial <=
/// LSUM_ROWS` rows in one group, each tile's results stored straight into `out` as `o` makes
/// them: the exact sums ([`ExactSums`]; before, through a buffer: on an AMD Zen 4, int8 `sum`
/// 1x1280x7x7 1.06-1.13x, 1x2048x7x7 1.06-1.22x, 1x512x14x14 and 32x128x768 1.02-1.13x) or
/// the AVERAGE_POOL_2D results that [`IntVector::wsum_avg_store`] divides ([`WordAvg`], no
/// `i32` sums in between).
///
/// # Safety
/// As for [`nhwc_words`]; a [`WordAvg`] is [`WordAvg::new`]'s for `n = spatial`.
#[cfg_attr(not(globalpool_unoptimized), inline(always))]
unsafe fn nhwc_word_outs<T: Int, V: IntVector<T>, O: WordOut<T, V>>(
    input: &[T],
    dims: Dims,
    o: O,
    out: &mut [O::Item],
) {
    let (c, s) = (dims.channels.get(), dims.spatial.get());
    for (at, n, first) in word_tiles::<T, V>(dims) {
        let Some(dst) = out.get_mut(first..first + n * V::LANES) else {
            return;
        };
        // SAFETY: the tile's `n` vectors of all `s` rows are inside the image (`word_tiles`);
        // `dst` has its `n * LANES` outputs.
        unsafe {
            let (p, dst) = (input.as_ptr().add(at), dst.as_mut_ptr());
            by_width!(n, out_tile::<T, V, O>(o, p, c, s, dims.word_pairs, dst));
        }
    }
}

/// What [`nhwc_word_outs`] makes of a tile's word sums.
trait WordOut<T: Int, V: IntVector<T>>: Copy {
    /// The output's element.
    type Item;

    /// The results of `W` adjacent vectors at `p` down `rows` rows `stride` apart, written to
    /// `dst[0..W * LANES]`.
    ///
    /// # Safety
    /// `p + r * stride .. + W * LANES` readable for every `r < rows`, `1 <= rows <=
    /// LSUM_ROWS`; `dst..dst + W * LANES` writable; a [`WordAvg`] divides by `rows`.
    unsafe fn tile<const W: usize>(
        self,
        p: *const T,
        stride: usize,
        rows: usize,
        pairs: bool,
        dst: *mut Self::Item,
    );
}

/// [`nhwc_word_outs`]' exact sums.
#[derive(Clone, Copy)]
struct ExactSums;

impl<T: Int, V: IntVector<T>> WordOut<T, V> for ExactSums {
    type Item = i32;
    #[cfg_attr(not(globalpool_unoptimized), inline(always))]
    unsafe fn tile<const W: usize>(
        self,
        p: *const T,
        stride: usize,
        rows: usize,
        pairs: bool,
        dst: *mut i32,
    ) {
        // SAFETY: the caller's ranges.
        unsafe { word_tile::<T, V, W>(p, stride, rows, dst, false, pairs) }
    }
}

impl<T: Int, V: IntVector<T>> WordOut<T, V> for WordAvg {
    type Item = T;
    #[cfg_attr(not(globalpool_unoptimized), inline(always))]
    unsafe fn tile<const W: usize>(
        self,
        p: *const T,
        stride: usize,
        rows: usize,
        pairs: bool,
        dst: *mut T,
    ) {
        // SAFETY: the caller's ranges.
        unsafe {
            for (j, x) in word_sums::<T, V, W>(p, stride, rows, pairs)
                .into_iter()
                .enumerate()
            {
                V::wsum_avg_store(x, self, dst.add(j * V::LANES));
            }
        }
    }
}

/// `o.tile::<W>(..)`, as a function for [`by_width!`].
///
/// # Safety
/// As for [`WordOut::tile`].
#[cfg_attr(not(globalpool_unoptimized), inline(always))]
unsafe fn out_tile<T: Int, V: IntVector<T>, O: WordOut<T, V>, const W: usize>(
    o: O,
    p: *const T,
    stride: usize,
    rows: usize,
    pairs: bool,
    dst: *mut O::Item,
) {
    // SAFETY: forwarded contract.
    unsafe { o.tile::<W>(p, stride, rows, pairs, dst) }
}

/// The tiles of [`nhwc_words`] with one position per row (`channels` a multiple of `LANES`),
/// each as `(at, n, o)`: `n` vectors from input value `at` (in the first row), outputs from
/// `o`. Each tile's `n` vectors of all `spatial` rows are inside its image. (An iterator, not
/// a loop taking a closure: a closure does not get its caller's target features, and the
/// tiles' intrinsics were then calls.)
#[cfg_attr(not(globalpool_unoptimized), inline(always))]
fn word_tiles<T: Int, V: IntVector<T>>(dims: Dims) -> impl Iterator<Item = (usize, usize, usize)> {
    let (c, s, l) = (dims.channels.get(), dims.spatial.get(), V::LANES);
    let (full, batch) = (c / l, dims.batch.get());
    let (mut b, mut v) = (0, 0);
    core::iter::from_fn(move || {
        if v == full {
            (b, v) = (b + 1, 0);
        }
        if b >= batch || full == 0 {
            return None;
        }
        let n = word_tile_width::<T, V>(full, v, dims.word_pairs);
        let tile = (b * c * s + v * l, n, b * c + v * l);
        v += n;
        Some(tile)
    })
}

/// The tile width (in vectors) of [`nhwc_words`] at vector `v` of rows of `full` vectors: the
/// whole row if it has at most 12 (and at most `WSUM_TILE`), else 4 at a time, or with
/// `pairs` (`Dims::word_pairs`) in tiles of about equal width of at most 12 (1280 channels:
/// two of 10; 2048: 11, 11 and 10). On an Intel Xeon with AMX, against tiles of 4, int8
/// `avg` 1x1280x7x7 1.08x, 1x2048x7x7 1.02x, 1x1024x14x14 1.04-1.06x (`sum` 1.01-1.04x;
/// tiles of at most 8: 1.0x, 1.03-1.05x, 1.06x).
#[cfg_attr(not(globalpool_unoptimized), inline(always))]
fn word_tile_width<T: Int, V: IntVector<T>>(full: usize, v: usize, pairs: bool) -> usize {
    let most = V::WSUM_TILE.clamp(1, 12);
    if full <= most {
        full
    } else if pairs {
        let tiles = full.div_ceil(most);
        let each = full.div_ceil(tiles);
        (full - v).min(each)
    } else {
        (full - v).min(4)
    }
}

/// `f::<T, V, n>(args)` for the tile width `n` (1 to 12) of [`word_tile_width`], so that each
/// width's states are registers.
macro_rules! by_width {
    ($n:expr, $f:ident::<$($g:ty),+>($($a:expr),*)) => {
        match $n {
            12 => $f::<$($g),+, 12>($($a),*),
            11 => $f::<$($g),+, 11>($($a),*),
            10 => $f::<$($g),+, 10>($($a),*),
            9 => $f::<$($g),+, 9>($($a),*),
            8 => $f::<$($g),+, 8>($($a),*),
            7 => $f::<$($g),+, 7>($($a),*),
            6 => $f::<$($g),+, 6>($($a),*),
            5 => $f::<$($g),+, 5>($($a),*),
            4 => $f::<$($g),+, 4>($($a),*),
            3 => $f::<$($g),+, 3>($($a),*),
            2 => $f::<$($g),+, 2>($($a),*),
            _ => $f::<$($g),+, 1>($($a),*),
        }
    };
}
use by_width;

/// `$body` twelve times, with `$j` the constant `0` to `11`: straight-line code per vector of
/// a tile of up to 12, whose `if $j < W` (or `get(j)`) the compiler drops where it fails.
macro_rules! unroll12 {
    ($j:ident, $body:block) => {
        unroll12!(@ $j, $body, 0 1 2 3 4 5 6 7 8 9 10 11)
    };
    (@ $j:ident, $body:block, $($k:literal)*) => {
        $({
            let $j: usize = $k;
            $body
        })*
    };
}

/// The word-layout sums ([`IntVector::wsum_load_add`]) of `W` adjacent vectors at `p` down
/// `rows` rows `stride` apart; with `pairs` (`Dims::word_pairs`) two rows at a time in the
/// pair layout ([`IntVector::wsum_pair_add`]), turned into the word layout at the end: the
/// same sums (each is exact).
///
/// # Safety
/// `p + r * stride .. + W * LANES` readable for every `r < rows`, `rows <= LSUM_ROWS`.
#[cfg_attr(not(globalpool_unoptimized), inline(always))]
unsafe fn word_sums<T: Int, V: IntVector<T>, const W: usize>(
    p: *const T,
    stride: usize,
    rows: usize,
    pairs: bool,
) -> [V::Lsum; W] {
    // SAFETY: the caller's ranges (`lsum_zero` reads nothing).
    unsafe {
        let mut a = [V::lsum_zero(); W];
        let mut first = 0;
        if pairs {
            for r in (0..rows / 2).map(|r| 2 * r) {
                let q = p.add(r * stride);
                // Written out per vector (`j` a constant): as a loop over `a`, tiles of 8 and
                // 12 vectors kept `a` on the stack (an add from and a store to it per vector;
                // 0.74-0.84x against the word layout, where the loop kept it in registers).
                // Written out, against the word layout, on an Intel Xeon with AMX: int8 `avg`
                // 1x512x14x14 and 1x64x112x112 1.25-1.27x (50-52% -> 64% of the probe),
                // 1x256x56x56 1.26x, 1x3x224x224 1.19x, 1x768x128 1.18x (`sum` and uint8
                // alike), inputs from memory level.
                unroll12!(j, {
                    if let Some(x) = a.get_mut(j) {
                        let o = j * V::LANES;
                        *x = V::wsum_pair_add(*x, q.add(o), q.add(stride + o));
                    }
                });
            }
            for x in a.iter_mut() {
                *x = V::wsum_from_pairs(*x);
            }
            // An odd last row in the word layout, below.
            first = rows - rows % 2;
        }
        for r in first..rows {
            let q = p.add(r * stride);
            for (j, x) in a.iter_mut().enumerate() {
                *x = V::wsum_load_add(*x, q.add(j * V::LANES));
            }
        }
        a
    }
}

/// The exact sums of `W` adjacent vectors at `p` down `rows` rows `stride` apart, in the word
/// layout, written to `dst[0..W * LANES]` (added to it, wrapping, with `add`).
///
/// # Safety
/// `p + r * stride .. + W * LANES` readable for every `r < rows`, `1 <= rows <= LSUM_ROWS`;
/// `dst..dst + W * LANES` writable.
#[cfg_attr(not(globalpool_unoptimized), inline(always))]
unsafe fn word_tile<T: Int, V: IntVector<T>, const W: usize>(
    p: *const T,
    stride: usize,
    rows: usize,
    dst: *mut i32,
    add: bool,
    pairs: bool,
) {
    // SAFETY: the caller's ranges.
    unsafe {
        for (j, x) in word_sums::<T, V, W>(p, stride, rows, pairs)
            .into_iter()
            .enumerate()
        {
            let d = dst.add(j * V::LANES);
            if add {
                let mut part = [0i32; 64];
                V::wsum_store(x, part.as_mut_ptr());
                for (i, y) in part.iter().take(V::LANES).enumerate() {
                    *d.add(i) = (*d.add(i)).wrapping_add(*y);
                }
            } else {
                V::wsum_store(x, d);
            }
        }
    }
}

/// [`nhwc_sum`] with a scratch row of `N` lanes, read in passes of `N`.
///
/// # Safety
/// As for [`kernel`].
#[cfg_attr(not(globalpool_unoptimized), inline(always))]
unsafe fn nhwc_sum_in<T: Int, V: IntVector<T>, const N: usize>(
    input: &[T],
    dims: Dims,
    out: &mut IntOut<'_, T>,
) {
    let (c, s) = (dims.channels.get(), dims.spatial.get());
    let (k, w) = nhwc_plan(dims.channels, V::LANES);
    let (rows, rem) = (s / k, s % k);
    let k = k.get();
    // Only the `cw` lanes a pass uses are zeroed, when it starts (zeroing all `N` on every call
    // as well cost 1x1280x7x7 int8 `avg` 4-5%).
    let mut scratch = [MaybeUninit::<i32>::uninit(); N];
    let mut next = 0;
    for b in 0..dims.batch.get() {
        let image = b * c * s;
        let mut c0 = 0;
        while c0 < w {
            let cw = (w - c0).min(N);
            let part = scratch.get_mut(..cw).unwrap_or(&mut []);
            for x in part.iter_mut() {
                x.write(0);
            }
            // SAFETY: every element of `part` was just written; `MaybeUninit<i32>` has the
            // layout of `i32`.
            let acc: &mut [i32] = unsafe { &mut *(part as *mut [MaybeUninit<i32>] as *mut [i32]) };
            // SAFETY: the rows `image + c0 + r * w .. + cw` for `r < rows` and, with `k > 1`
            // (so `w <= CHUNK` and `c0 == 0`), the `rem` rows of `c` values after them are
            // inside the image; `acc` has `cw` lanes.
            unsafe {
                sum_rows::<T, V>(input, image + c0, w, rows, cw, acc);
                if rem > 0 {
                    sum_rows::<T, V>(input, image + rows * w, c, rem, c, acc);
                }
            }
            let width = if k > 1 {
                fold_blocks(acc, c, k, i32::wrapping_add);
                c
            } else {
                cw
            };
            out.emit(next, acc.get(..width).unwrap_or(&[]));
            next += width;
            c0 += cw;
        }
    }
}

/// `acc[j] += Σ_r input[o + r * stride + j]` for `r < rows`, `j < width` (`width <= acc.len()`).
///
/// Rows that follow each other (`stride == width`, a whole number of vectors) but start `h`
/// values before a vector-size boundary are read as one stream of aligned vectors from the
/// first row's channel `h`: every vector but one per row lies inside a row (channels `h..`),
/// the last one of each row wraps around (its first `LANES - h` lanes are the row's last
/// channels, the others the next row's first `h`), and only the first row's first `h` values
/// and the last row's last `LANES - h` are read on their own. A misaligned AVX-512 load
/// touches two cache lines: int8 `avg` on inputs 16 or 48 bytes past a 64-byte boundary was
/// 1.3-1.5x slower than on aligned ones (32 bytes past one cost nothing here; peeling the first
/// `h` channels of every row as a column of their own cost more than it saved at any offset).
///
/// # Safety
/// Every `o + r * stride + j` (`r < rows`, `j < width`) is inside `input`; `width <= acc.len()`.
#[cfg_attr(not(globalpool_unoptimized), inline(always))]
unsafe fn sum_rows<T: Int, V: IntVector<T>>(
    input: &[T],
    o: usize,
    stride: usize,
    rows: usize,
    width: usize,
    acc: &mut [i32],
) {
    let l = V::LANES;
    let base = input.as_ptr();
    let g = if input.len().saturating_mul(size_of::<T>()) <= CACHED {
        V::LSUM_ROWS.max(1)
    } else {
        V::LSUM_ROWS.min(GROUP)
    };
    let dst = acc.as_mut_ptr();
    let h = if stride == width && width.is_multiple_of(l) && width >= l && rows > 0 {
        // SAFETY: `o` is inside the input (the caller's range is not empty).
        super::to_boundary(unsafe { base.add(o) }, l)
    } else {
        0
    };
    // SAFETY: (for this whole block) the caller's range: with `h > 0`, the columns read
    // channels `h..width - LANES + h` of every row, the wrap vectors `width - LANES + h ..
    // width + h` of every row but the last (so inside the next row), the two partial columns
    // the first row's `0..h` and the last row's `width - LANES + h..width`; `dst` has room for
    // `width <= acc.len()` lanes.
    unsafe {
        if h == 0 {
            sum_columns::<T, V>(input, o, stride, rows, width, g, dst, None);
            return;
        }
        // Group by group (one pass over the rows, as the prefetchers like it): every column
        // of the stream, the wrapping one last, its sums kept apart (`tmp`) and then
        // distributed to the channels they belong to; the last row without its wrapping vector.
        let mut r0 = 0;
        while r0 < rows {
            let gr = (rows - r0).min(g);
            let o0 = o + h + r0 * stride;
            let wr = if r0 + gr == rows { gr - 1 } else { gr };
            let mut tmp = [0i32; 64];
            if wr > 0 {
                sum_columns::<T, V>(
                    input,
                    o0,
                    stride,
                    wr,
                    width,
                    g,
                    dst.add(h),
                    Some(tmp.as_mut_ptr()),
                );
            }
            if wr < gr {
                let ol = o0 + wr * stride;
                sum_columns::<T, V>(input, ol, stride, 1, width - l, g, dst.add(h), None);
            }
            for (j, t) in tmp.iter().take(l).enumerate() {
                let c = if j < l - h {
                    width - l + h + j
                } else {
                    j - (l - h)
                };
                *dst.add(c) = (*dst.add(c)).wrapping_add(*t);
            }
            r0 += gr;
        }
        let last = o + (rows - 1) * stride + width - l + h;
        partial_column::<T, V>(input, last, stride, 1, l - h, dst.add(width - l + h));
        partial_column::<T, V>(input, o, stride, 1, h, dst);
    }
}

/// The body of [`sum_rows`]: `dst[j] += Σ_r input[o + r * stride + j]` for `r < rows`,
/// `j < width`, in groups of `g` rows: pairs of whole vectors, a last whole vector, a partial
/// column; the sums of the last whole vector go to `wrap` instead when it is given (the
/// wrapping column of [`sum_rows`], `width` then a whole number of vectors). The whole vectors
/// go through the pair layout of the lane sums when the path prefers it and every one of those
/// loads is aligned.
///
/// # Safety
/// Every `o + r * stride + j` (`r < rows`, `j < width`) is inside `input`; `dst..dst + width`
/// readable and writable, and `wrap..wrap + LANES` if given; `1 <= g <= LSUM_ROWS`.
#[cfg_attr(not(globalpool_unoptimized), inline(always))]
#[allow(clippy::too_many_arguments)]
unsafe fn sum_columns<T: Int, V: IntVector<T>>(
    input: &[T],
    o: usize,
    stride: usize,
    rows: usize,
    width: usize,
    g: usize,
    dst: *mut i32,
    wrap: Option<*mut i32>,
) {
    let l = V::LANES;
    // Only the address is used.
    let start = input.as_ptr().wrapping_add(o);
    let aligned = stride.is_multiple_of(l) && super::to_boundary(start, l) == 0;
    // SAFETY: forwarded contract.
    unsafe {
        if V::LSUM_PAIRS_ALIGNED && aligned {
            sum_columns_in::<T, V, true>(input, o, stride, rows, width, g, dst, wrap);
        } else {
            sum_columns_in::<T, V, false>(input, o, stride, rows, width, g, dst, wrap);
        }
    }
}

/// [`sum_columns`] in the pair layout (`P`) or the plain one.
///
/// # Safety
/// As for [`sum_columns`].
#[cfg_attr(not(globalpool_unoptimized), inline(always))]
#[allow(clippy::too_many_arguments)]
unsafe fn sum_columns_in<T: Int, V: IntVector<T>, const P: bool>(
    input: &[T],
    o: usize,
    stride: usize,
    rows: usize,
    width: usize,
    g: usize,
    dst: *mut i32,
    wrap: Option<*mut i32>,
) {
    let l = V::LANES;
    let base = input.as_ptr();
    let full = width / l;
    let part = width % l;
    // Where column `v`'s sums go.
    let to = |v: usize| match wrap {
        Some(w) if v + 1 == full => w,
        _ => dst.wrapping_add(v * l),
    };
    // Four vectors at a time down inputs that are likely cached (long groups, see `CACHED`):
    // int8 NHWC `avg` 1.09-1.11x on AVX2 (7x7, 14x14), 1.02x on AVX-512; on memory-bound ones
    // (groups of `GROUP` rows) two at a time were faster (token pooling 5-9% on AVX2).
    let wide = g > GROUP;
    let mut r0 = 0;
    while r0 < rows {
        let gr = (rows - r0).min(g);
        // SAFETY: the caller's range; the partial column stays inside it (see
        // `partial_column`).
        unsafe {
            let p0 = base.add(o + r0 * stride);
            // Four or two vectors of the row group at a time: one loop step per four or two. A
            // whole group has a constant trip count, which the compiler unrolls.
            let mut v = 0;
            while wide && v + 4 <= full {
                let p = p0.add(v * l);
                let q = if gr == GROUP {
                    group_cols::<T, V, P, 4>(p, stride, GROUP)
                } else {
                    group_cols::<T, V, P, 4>(p, stride, gr)
                };
                for (j, a) in q.into_iter().enumerate() {
                    spill::<T, V, P>(a, to(v + j));
                }
                v += 4;
            }
            while v + 2 <= full {
                let p = p0.add(v * l);
                let q = if gr == GROUP {
                    group_cols::<T, V, P, 2>(p, stride, GROUP)
                } else {
                    group_cols::<T, V, P, 2>(p, stride, gr)
                };
                for (j, a) in q.into_iter().enumerate() {
                    spill::<T, V, P>(a, to(v + j));
                }
                v += 2;
            }
            if v < full {
                let p = p0.add(v * l);
                let mut a = V::lsum_zero();
                for r in 0..gr / 2 {
                    a = add2::<T, V, P>(a, p.add(2 * r * stride), p.add((2 * r + 1) * stride));
                }
                if gr % 2 == 1 {
                    a = add1::<T, V, P>(a, p.add((gr - 1) * stride));
                }
                spill::<T, V, P>(a, to(v));
            }
            if part > 0 {
                let at = o + r0 * stride + full * l;
                partial_column::<T, V>(input, at, stride, gr, part, dst.add(full * l));
            }
        }
        r0 += gr;
    }
}

/// `lsum_load_add2` in the pair layout (`P`) or the plain one. (Functions, not closures:
/// closures do not get the target features of the entry point.)
///
/// # Safety
/// As for [`IntVector::lsum_load_add2`].
#[cfg_attr(not(globalpool_unoptimized), inline(always))]
unsafe fn add2<T: Int, V: IntVector<T>, const P: bool>(
    acc: V::Lsum,
    p: *const T,
    q: *const T,
) -> V::Lsum {
    // SAFETY: forwarded contract.
    unsafe {
        if P {
            V::lsum_pair_load_add2(acc, p, q)
        } else {
            V::lsum_load_add2(acc, p, q)
        }
    }
}

/// `lsum_load_add` in the pair layout (`P`) or the plain one.
///
/// # Safety
/// As for [`IntVector::lsum_load_add`].
#[cfg_attr(not(globalpool_unoptimized), inline(always))]
unsafe fn add1<T: Int, V: IntVector<T>, const P: bool>(acc: V::Lsum, p: *const T) -> V::Lsum {
    // SAFETY: forwarded contract.
    unsafe {
        if P {
            V::lsum_pair_load_add(acc, p)
        } else {
            V::lsum_load_add(acc, p)
        }
    }
}

/// `lsum_spill` from the pair layout (`P`) or the plain one.
///
/// # Safety
/// As for [`IntVector::lsum_spill`].
#[cfg_attr(not(globalpool_unoptimized), inline(always))]
unsafe fn spill<T: Int, V: IntVector<T>, const P: bool>(acc: V::Lsum, p: *mut i32) {
    // SAFETY: forwarded contract.
    unsafe {
        if P {
            V::lsum_pair_spill(acc, p)
        } else {
            V::lsum_spill(acc, p)
        }
    }
}

/// `dst[j] += Σ_r input[o + r * stride + j]` for `r < rows`, `j < n < LANES`: one vector per
/// row, a whole-vector load where it ends inside the input, else a stack copy of the `n`
/// values; only the first `n` lanes are added.
///
/// # Safety
/// Every `o + r * stride + j` (`r < rows`, `j < n`) is inside `input`; `dst..dst + n` is
/// readable and writable; `rows <= LSUM_ROWS`.
#[cfg_attr(not(globalpool_unoptimized), inline(always))]
unsafe fn partial_column<T: Int, V: IntVector<T>>(
    input: &[T],
    o: usize,
    stride: usize,
    rows: usize,
    n: usize,
    dst: *mut i32,
) {
    let (l, len, base) = (V::LANES, input.len(), input.as_ptr());
    // SAFETY: each whole-vector load ends inside the input, each copy reads `n` values of it;
    // `dst` as the caller states.
    unsafe {
        let mut a = V::lsum_zero();
        for r in 0..rows {
            let i = o + r * stride;
            let x = if i + l <= len {
                V::load(base.add(i))
            } else {
                load_copy::<T, V>(base.add(i), n, T::default())
            };
            a = V::lsum_add(a, x);
        }
        let mut tmp = [0i32; 64];
        V::lsum_spill(a, tmp.as_mut_ptr());
        for (j, t) in tmp.iter().take(n.min(l)).enumerate() {
            *dst.add(j) = (*dst.add(j)).wrapping_add(*t);
        }
    }
}

/// The lane sums of `W` adjacent vectors over `rows` rows `stride` apart, in the pair layout
/// (`P`) or the plain one.
///
/// # Safety
/// `p + r * stride .. + W * LANES` readable for every `r < rows`; `rows <= LSUM_ROWS`.
#[cfg_attr(not(globalpool_unoptimized), inline(always))]
unsafe fn group_cols<T: Int, V: IntVector<T>, const P: bool, const W: usize>(
    p: *const T,
    stride: usize,
    rows: usize,
) -> [V::Lsum; W] {
    // SAFETY: the caller's range; the CPU has `V`'s instruction set.
    unsafe {
        let mut a = [V::lsum_zero(); W];
        for r in 0..rows / 2 {
            let (p0, p1) = (p.add(2 * r * stride), p.add((2 * r + 1) * stride));
            for (j, x) in a.iter_mut().enumerate() {
                *x = add2::<T, V, P>(*x, p0.add(j * V::LANES), p1.add(j * V::LANES));
            }
        }
        if rows % 2 == 1 {
            let q = p.add((rows - 1) * stride);
            for (j, x) in a.iter_mut().enumerate() {
                *x = add1::<T, V, P>(*x, q.add(j * V::LANES));
            }
        }
        a
    }
}

/// NHWC maximum / minimum: like [`nhwc_sum`], with a `T` scratch row.
#[cfg_attr(not(globalpool_unoptimized), inline(always))]
unsafe fn nhwc_ext<T: Int, V: IntVector<T>, const MAX: bool>(
    input: &[T],
    dims: Dims,
    out: &mut IntOut<'_, T>,
) {
    let (c, s) = (dims.channels.get(), dims.spatial.get());
    let (k, w) = nhwc_plan(dims.channels, V::LANES);
    let (rows, rem) = (s / k, s % k);
    let k = k.get();
    let ident = if MAX { T::MIN } else { T::MAX };
    let mut acc = [ident; CHUNK];
    // Converted and emitted a batch at a time (a `CHUNK` of them would be zeroed on every call).
    let mut vals = [0i32; BATCH];
    let mut next = 0;
    for b in 0..dims.batch.get() {
        let image = b * c * s;
        let mut c0 = 0;
        while c0 < w {
            let cw = (w - c0).min(CHUNK);
            if let Some(a) = acc.get_mut(..cw) {
                a.fill(ident);
            }
            // SAFETY: as in `nhwc_sum`.
            unsafe {
                ext_rows::<T, V, MAX>(input, image + c0, w, rows, cw, &mut acc);
                if rem > 0 {
                    ext_rows::<T, V, MAX>(input, image + rows * w, c, rem, c, &mut acc);
                }
            }
            let width = if k > 1 {
                fold_blocks(&mut acc, c, k, |a, b| if MAX { a.max(b) } else { a.min(b) });
                c
            } else {
                cw
            };
            let mut ch0 = 0;
            while ch0 < width {
                let n = (width - ch0).min(BATCH);
                let src = acc.get(ch0..ch0 + n).unwrap_or(&[]);
                for (v, &e) in vals.iter_mut().zip(src) {
                    *v = e.to_i32();
                }
                out.emit(next, vals.get(..n).unwrap_or(&[]));
                next += n;
                ch0 += n;
            }
            c0 += cw;
        }
    }
}

/// Folds the `k` blocks of `c` lanes at the start of `acc` (the positions of one NHWC row of
/// [`nhwc_plan`]) into the first with `f`, halving the number of blocks in each step, so that
/// every step is one vectorizable loop over contiguous lanes.
#[cfg_attr(not(globalpool_unoptimized), inline(always))]
fn fold_blocks<X: Copy>(acc: &mut [X], c: usize, mut k: usize, f: impl Fn(X, X) -> X) {
    while k > 1 {
        let half = k / 2;
        // Blocks `k - half..k` fold into blocks `0..half`; `0..k - half` remain.
        let Some((keep, rest)) = acc.split_at_mut_checked((k - half) * c) else {
            return;
        };
        for (a, &b) in keep.iter_mut().zip(rest.get(..half * c).unwrap_or(&[])) {
            *a = f(*a, b);
        }
        k -= half;
    }
}

/// `acc[j] = max(acc[j], input[o + r * stride + j])` (or min) for `r < rows`, `j < width`.
///
/// # Safety
/// As for [`sum_rows`].
#[cfg_attr(not(globalpool_unoptimized), inline(always))]
unsafe fn ext_rows<T: Int, V: IntVector<T>, const MAX: bool>(
    input: &[T],
    o: usize,
    stride: usize,
    rows: usize,
    width: usize,
    acc: &mut [T; CHUNK],
) {
    let l = V::LANES;
    let len = input.len();
    let base = input.as_ptr();
    let full = width / l;
    let part = width % l;
    let ident = if MAX { T::MIN } else { T::MAX };
    // Inputs likely cached take all rows at once (see `CACHED`), larger ones groups of
    // `GROUP` rows.
    let g = if len.saturating_mul(size_of::<T>()) <= CACHED {
        rows
    } else {
        GROUP
    };
    let mut r0 = 0;
    while r0 < rows {
        let gr = (rows - r0).min(g);
        // SAFETY: as in `sum_rows`; the scratch row has `CHUNK >= full * l` lanes.
        unsafe {
            let p0 = base.add(o + r0 * stride);
            let d = acc.as_mut_ptr();
            let mut v = 0;
            while v + 4 <= full {
                ext_cols::<T, V, MAX, 4>(p0.add(v * l), stride, gr, d.add(v * l));
                v += 4;
            }
            if v + 2 <= full {
                ext_cols::<T, V, MAX, 2>(p0.add(v * l), stride, gr, d.add(v * l));
                v += 2;
            }
            if v < full {
                ext_cols::<T, V, MAX, 1>(p0.add(v * l), stride, gr, d.add(v * l));
            }
            if part > 0 {
                // In keys, as `ext_cols`.
                let mut a = V::splat(ident).ext_key();
                for r in 0..gr {
                    let i = o + (r0 + r) * stride + full * l;
                    let x = if i + l <= len {
                        V::load(base.add(i))
                    } else {
                        load_copy::<T, V>(base.add(i), part, ident)
                    };
                    a = key_step::<T, V, MAX>(a, x.ext_key());
                }
                let mut tmp = [ident; 64];
                a.ext_key().store(tmp.as_mut_ptr());
                for (d, t) in acc.iter_mut().skip(full * l).zip(tmp.iter().take(part)) {
                    let (x, y) = (d.to_i32(), t.to_i32());
                    *d = T::from_i32(if MAX { x.max(y) } else { x.min(y) });
                }
            }
        }
        r0 += gr;
    }
}

/// `d[j] = max(d[j], p[r * stride + j])` (or min) for `r < rows`, `j < W * LANES`: `W` adjacent
/// vectors in two states each, which take the rows in turn: at least two independent chains of
/// steps, four or eight in wide rows, where one vector at a time waited on one. With the cached
/// inputs' single group, int8 NHWC `max` (7x7, 14x14, 112x112, 224x224x3) 1.07-1.11x on
/// AVX-512, 1.11-1.2x on AVX2, 1.33-1.4x on SSE2, `i16` 1.28-1.38x on AVX2; memory-bound inputs
/// unchanged on AVX2 and AVX-512, 1.14-1.17x on SSE2 (A/B runs in one process). The states
/// are keys ([`IntVector::ext_key`]; the scratch row holds values).
///
/// # Safety
/// `p + r * stride .. + W * LANES` readable for every `r < rows`, `d .. d + W * LANES` readable
/// and writable.
#[cfg_attr(not(globalpool_unoptimized), inline(always))]
unsafe fn ext_cols<T: Int, V: IntVector<T>, const MAX: bool, const W: usize>(
    p: *const T,
    stride: usize,
    rows: usize,
    d: *mut T,
) {
    let l = V::LANES;
    // SAFETY: the caller's ranges; the CPU has `V`'s instruction set.
    unsafe {
        // In keys (`IntVector::ext_key`), back to values in the scratch row.
        let mut b = [V::splat(if MAX { T::MIN } else { T::MAX }).ext_key(); W];
        let mut a = b;
        for (j, x) in a.iter_mut().enumerate() {
            *x = V::load(d.add(j * l)).ext_key();
        }
        for r in 0..rows / 2 {
            let (q0, q1) = (p.add(2 * r * stride), p.add((2 * r + 1) * stride));
            for (j, (x, y)) in a.iter_mut().zip(b.iter_mut()).enumerate() {
                *x = key_step::<T, V, MAX>(*x, V::load(q0.add(j * l)).ext_key());
                *y = key_step::<T, V, MAX>(*y, V::load(q1.add(j * l)).ext_key());
            }
        }
        if rows % 2 == 1 {
            let q = p.add((rows - 1) * stride);
            for (j, x) in a.iter_mut().enumerate() {
                *x = key_step::<T, V, MAX>(*x, V::load(q.add(j * l)).ext_key());
            }
        }
        for (j, (x, y)) in a.into_iter().zip(b).enumerate() {
            key_step::<T, V, MAX>(x, y).ext_key().store(d.add(j * l));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::WordAvg;

    /// [`WordAvg`]'s division is exact for every row length and every dividend it can meet.
    #[test]
    fn word_avg_divides_exactly() {
        for n in 2..=255usize {
            let w = WordAvg::new::<i8>(n, -128, 127).unwrap();
            assert_eq!(usize::from(w.half.unsigned_abs()), n / 2);
            for x in 0..=(128 * n + n / 2) {
                let x = u16::try_from(x).unwrap();
                assert_eq!(
                    usize::from(w.quotient(x)),
                    usize::from(x) / n,
                    "n {n} x {x}"
                );
            }
        }
        // `u8`: `x = acc + n/2` up to `255 n + n/2`; `i8`'s multiplier and shift, where they
        // are exact for every such `x`.
        for n in 2..=255usize {
            let d = WordAvg::new::<i8>(n, -128, 127).unwrap();
            let xs = || (0..=(255 * n + n / 2)).map(|x| u16::try_from(x).unwrap());
            let exact = xs().all(|x| usize::from(d.quotient(x)) == usize::from(x) / n);
            let w = WordAvg::new::<u8>(n, 0, 255);
            // Exact for every `n` it is given for (`n <= 185`); not for `n = 186`.
            assert_eq!(w.is_some(), n <= 185, "n {n}");
            assert!(exact || w.is_none(), "n {n}");
            if n <= 186 {
                assert_eq!(exact, n != 186, "n {n}");
            }
            if let Some(w) = w {
                assert!(xs().all(|x| usize::from(w.quotient(x)) == usize::from(x) / n));
            }
        }
        assert!(WordAvg::new::<i8>(1, -128, 127).is_none());
        assert!(WordAvg::new::<i8>(256, -128, 127).is_none());
        assert!(WordAvg::new::<u8>(186, 0, 255).is_none());
        assert!(WordAvg::new::<i16>(49, -128, 127).is_none());
    }
}
