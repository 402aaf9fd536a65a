//! The canonical reduction order and the scalar building blocks shared by every path.
//!
//! **Sum.** Each channel's values `x_0, x_1, ...` (in memory order for NCHW, in spatial order for
//! NHWC) are cut into *blocks* of `K * T` values. Inside a block, value `i` goes to *partial*
//! `i mod K`; each partial starts at `-0.0` and adds its (at most `T`) values one after another.
//! The `K` partials are then folded by halves: `p[i] += p[i + K/2]` for `i < K/2`, then the same
//! on the first half, down to `p[0]`, the block sum. Block sums are combined by compensated
//! (Knuth TwoSum) summation in `f32`: `sum` keeps the running total and `neg_err` the negated sum
//! of the rounding errors; the result is `sum - neg_err` when `sum` is finite and `sum` itself
//! otherwise (an infinity or NaN).
//!
//! NCHW: `K` = [`NCHW_PARTIALS`] (64), `T` = 64. NHWC with 8 or more channels: `K` = 1, `T` = 32
//! (each channel is a vector lane, so one running sum per lane, compensated every 32 rows).
//! NHWC with fewer channels: `K` = `16 / gcd(channels, 16)` (16, 8 or 4), `T` = 64, so that a
//! vector of any width up to 16 lanes laid over consecutive rows always meets the same
//! (row mod K, channel) slots. See [`partials`].
//!
//! **Max / min** are IEEE 754-2019 `maximum` / `minimum`, which are exact, associative and
//! commutative, so their order does not matter.
//!
//! Every NaN written is [`CANONICAL_NAN`].

/// Partials per block for NCHW (values per vector step on every path).
pub(crate) const NCHW_PARTIALS: usize = 64;

/// Values each partial adds per block (NCHW, and NHWC with few channels).
pub(crate) const TERMS_PER_PARTIAL: usize = 64;

/// Values per NCHW block.
pub(crate) const NCHW_BLOCK: usize = NCHW_PARTIALS * TERMS_PER_PARTIAL;

/// NHWC inputs with fewer channels than this take the "flat" path (several row partials).
pub(crate) const NHWC_FLAT_BELOW: usize = 8;

/// Rows per block for NHWC with `NHWC_FLAT_BELOW` channels or more (one partial per channel).
pub(crate) const NHWC_TILE_BLOCK: usize = 32;

/// `(K, T)`: partials per block and values per partial per block, for one layout and channel
/// count (`channels >= 1`).
pub(crate) const fn partials(layout_nhwc: bool, channels: usize) -> (usize, usize) {
    if !layout_nhwc {
        (NCHW_PARTIALS, TERMS_PER_PARTIAL)
    } else if channels >= NHWC_FLAT_BELOW {
        (1, NHWC_TILE_BLOCK)
    } else {
        // 16 / gcd(channels, 16): channels * K is then a multiple of 16.
        let tz = channels.trailing_zeros();
        (16 >> if tz < 4 { tz } else { 4 }, TERMS_PER_PARTIAL)
    }
}

/// The only NaN the crate writes: the positive quiet NaN with an empty payload.
pub(crate) const CANONICAL_NAN: f32 = f32::from_bits(0x7FC0_0000);

/// Replaces any NaN by [`CANONICAL_NAN`].
#[inline(always)]
pub(crate) fn canonical(x: f32) -> f32 {
    if x.is_nan() { CANONICAL_NAN } else { x }
}

/// IEEE 754-2019 `maximum`: NaN if either is NaN, `+0.0 > -0.0`.
#[inline(always)]
pub(crate) fn maximum(a: f32, b: f32) -> f32 {
    if a > b {
        a
    } else if b > a {
        b
    } else if a == b {
        // Equal: the same bits, or +0.0 and -0.0, whose AND is +0.0.
        f32::from_bits(a.to_bits() & b.to_bits())
    } else {
        CANONICAL_NAN
    }
}

/// IEEE 754-2019 `minimum`: NaN if either is NaN, `-0.0 < +0.0`.
#[inline(always)]
pub(crate) fn minimum(a: f32, b: f32) -> f32 {
    if a < b {
        a
    } else if b < a {
        b
    } else if a == b {
        // Equal: the same bits, or +0.0 and -0.0, whose OR is -0.0.
        f32::from_bits(a.to_bits() | b.to_bits())
    } else {
        CANONICAL_NAN
    }
}

/// Compensated sum of block sums (see the module documentation).
#[derive(Clone, Copy)]
pub(crate) struct Compensated {
    sum: f32,
    neg_err: f32,
}

impl Compensated {
    /// The empty sum.
    pub(crate) const NEW: Compensated = Compensated {
        sum: -0.0,
        neg_err: 0.0,
    };

    /// Adds one block sum (TwoSum: `sum + b == t + e` exactly).
    #[inline(always)]
    pub(crate) fn add(&mut self, b: f32) {
        let a = self.sum;
        let t = a + b;
        let bp = t - a;
        let ap = t - bp;
        let e = (a - ap) + (b - bp);
        self.neg_err -= e;
        self.sum = t;
    }

    /// The compensated total.
    #[inline(always)]
    pub(crate) fn finish(self) -> f32 {
        if self.sum.is_finite() {
            self.sum - self.neg_err
        } else {
            self.sum
        }
    }
}
