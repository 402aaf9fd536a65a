//! Quantized mean: TFLite's MEAN for `i8`, `u8` and `i16` tensors ([`QuantMean`],
//! [`Pooler::mean_quantized`](crate::Pooler::mean_quantized)).

use crate::Error;

/// How TFLite's `MultiplyByQuantizedMultiplier` rounds: the two builds of TFLite / TFLite-Micro
/// differ here, and a model validated against one expects its bits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Rounding {
    /// The default build: gemmlowp's `SaturatingRoundingDoublingHighMul` (round half away from
    /// zero) followed by `RoundingDivideByPOT` (round half away from zero): two roundings. This
    /// is what the TFLite (LiteRT) reference kernels and TFLite-Micro compute unless built with
    /// `TFLITE_SINGLE_ROUNDING`, and what every build on PyPI does.
    Double,
    /// Builds with `TFLITE_SINGLE_ROUNDING=1`: one rounding, half up (`(x * M + 2^(t-1)) >> t`),
    /// and multipliers with a shift above 30 saturated as that build's `QuantizeMultiplier`
    /// does.
    Single,
}

/// The parameters of a quantized mean (TFLite MEAN): the input's and the output's scale and
/// zero point, turned once into TFLite's fixed-point multiplier and shift.
///
/// ```
/// use globalpool::{Layout, Pooler, QuantMean, Rounding, Shape};
///
/// // int8, zero point -128 in and out, scale 0.5 in and out: TFLite MEAN of {-128, -127}.
/// let q = QuantMean::new(0.5, -128, 0.5, -128, Rounding::Double)?;
/// let mut out = [0i8; 1];
/// Pooler::detect().mean_quantized(&[-128i8, -127], Shape::new(1, 1, 2), Layout::Nhwc, &q, &mut out)?;
/// assert_eq!(out, [-127]); // (0 + 1) / 2 rounds up; AVERAGE_POOL_2D (`avg`) gives -128
/// # Ok::<(), globalpool::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QuantMean {
    multiplier: i32,
    shift: i32,
    input_zero_point: i32,
    output_zero_point: i32,
    rounding: Rounding,
}

impl QuantMean {
    /// The parameters for `output = mean(input)` where `real = scale * (q - zero_point)` on both
    /// sides. `(multiplier, shift) = QuantizeMultiplier(input_scale / output_scale)`, the ratio
    /// computed in `f64` from the two `f32` scales, as TFLite does.
    ///
    /// Returns [`Error::InvalidQuantization`] if a scale is not finite or not positive. The zero
    /// points are checked against the element type by
    /// [`Pooler::mean_quantized`](crate::Pooler::mean_quantized).
    pub fn new(
        input_scale: f32,
        input_zero_point: i32,
        output_scale: f32,
        output_zero_point: i32,
        rounding: Rounding,
    ) -> Result<QuantMean, Error> {
        let valid = |s: f32| s.is_finite() && s > 0.0;
        if !valid(input_scale) || !valid(output_scale) {
            return Err(Error::InvalidQuantization);
        }
        let ratio = f64::from(input_scale) / f64::from(output_scale);
        let (multiplier, shift) = quantize_multiplier(ratio, rounding);
        Ok(QuantMean {
            multiplier,
            shift,
            input_zero_point,
            output_zero_point,
            rounding,
        })
    }

    /// TFLite's fixed-point form of `input_scale / output_scale`: `ratio ≈ multiplier * 2^(shift
    /// - 31)` with `multiplier` in `[2^30, 2^31)` (or 0 when the ratio is below about `2^-32`).
    pub fn multiplier(&self) -> (i32, i32) {
        (self.multiplier, self.shift)
    }

    /// The input zero point.
    pub fn input_zero_point(&self) -> i32 {
        self.input_zero_point
    }

    /// The output zero point.
    pub fn output_zero_point(&self) -> i32 {
        self.output_zero_point
    }

    /// The rounding variant.
    pub fn rounding(&self) -> Rounding {
        self.rounding
    }

    /// Whether both zero points are in `lo..=hi` (the element type's range).
    pub(crate) fn zero_points_in(&self, lo: i32, hi: i32) -> bool {
        (lo..=hi).contains(&self.input_zero_point) && (lo..=hi).contains(&self.output_zero_point)
    }
}

/// `tflite::QuantizeMultiplier` for a positive, finite `d`: `d = q * 2^shift` with
/// `q` in `[0.5, 1)`, `multiplier = round(q * 2^31)` (half away from zero).
fn quantize_multiplier(d: f64, rounding: Rounding) -> (i32, i32) {
    let bits = d.to_bits();
    let exp = ((bits >> 52) & 0x7FF) as i32;
    if exp == 0 {
        return (0, 0); // zero or subnormal: far below 2^-31 (and not reachable from f32 scales)
    }
    // d = 1.m * 2^(exp - 1023) = (1.m / 2) * 2^(exp - 1022).
    let mut shift = exp - 1022;
    let mantissa = (bits & ((1 << 52) - 1)) | (1 << 52); // 1.m * 2^52
    // q * 2^31 = 1.m * 2^30 = mantissa / 2^22, rounded half up (it is positive).
    let mut q = (mantissa + (1 << 21)) >> 22;
    if q == 1 << 31 {
        q /= 2;
        shift += 1;
    }
    if shift < -31 {
        return (0, 0);
    }
    if rounding == Rounding::Single && shift > 30 {
        return (i32::MAX, 30);
    }
    (q as i32, shift)
}

/// A [`QuantMean`] prepared for one call: `1 / n` folded into the multiplier as TFLite's
/// `QuantizedMeanOrSum` does.
#[derive(Clone, Copy, Debug)]
pub(crate) struct MeanStep {
    /// `n * input_zero_point`, subtracted from each sum.
    offset: i64,
    multiplier: i64,
    shift: i32,
    output_zero_point: i32,
    rounding: Rounding,
}

impl MeanStep {
    /// `k = min(floor(log2 n), 32, 31 + shift)`, `M = (multiplier << k) / n`, `shift - k`.
    pub(crate) fn new(q: &QuantMean, n: usize) -> MeanStep {
        let n = n.max(1) as u64;
        let log2 = 63 - n.leading_zeros() as i32;
        let k = log2.min(32).min(31 + q.shift).max(0);
        let multiplier = ((i64::from(q.multiplier) << k) as u64 / n) as i64;
        MeanStep {
            offset: i64::from(q.input_zero_point) * n as i64,
            multiplier,
            shift: q.shift - k,
            output_zero_point: q.output_zero_point,
            rounding: q.rounding,
        }
    }

    /// The output for a channel whose exact sum is `sum`, clamped to `lo..=hi`.
    ///
    /// Computed in `i128`, so the result is the exact value of TFLite's formula even where
    /// TFLite's own `int32` arithmetic would overflow (huge sums or scale ratios: undefined
    /// behaviour in C); everywhere else they agree bit for bit.
    #[inline(always)]
    pub(crate) fn apply(&self, sum: i32, lo: i32, hi: i32) -> i32 {
        let x = i64::from(sum) - self.offset;
        // The common case (an `i32` sum, no left shift, shifts below 63) in `i64`: the same
        // values, at a fraction of the cost of `i128`.
        let small = i32::try_from(x).is_ok() && self.shift <= 0 && self.shift >= -62;
        if small {
            let m = self.multiplier;
            let v = match self.rounding {
                Rounding::Double => {
                    // |x m| < 2^62.
                    let ab = x * m;
                    let nudge = if ab >= 0 { 1 << 30 } else { 1 - (1 << 30) };
                    let high = (ab + nudge) / (1 << 31);
                    let right = (-self.shift) as u32;
                    let mask = 1i64.wrapping_shl(right) - 1;
                    let threshold = (mask >> 1) + i64::from(high < 0);
                    high.wrapping_shr(right) + i64::from((high & mask) > threshold)
                }
                Rounding::Single => {
                    // `total` = 31 - shift is 31..=93 here: use `i64` only up to 62.
                    let total = (31 - self.shift) as u32;
                    if total <= 62 {
                        (x * m + 1i64.wrapping_shl(total - 1)).wrapping_shr(total)
                    } else {
                        return self.apply_wide(x, lo, hi);
                    }
                }
            };
            let out = v + i64::from(self.output_zero_point);
            return out.max(i64::from(lo)).min(i64::from(hi)) as i32;
        }
        self.apply_wide(x, lo, hi)
    }

    /// [`MeanStep::apply`] for any `x = Σq - n zp_in`, in `i128`.
    #[inline(never)]
    fn apply_wide(&self, x: i64, lo: i32, hi: i32) -> i32 {
        let x = i128::from(x);
        let m = i128::from(self.multiplier);
        let v = match self.rounding {
            Rounding::Double => {
                let left = self.shift.max(0);
                let right = (-self.shift).max(0);
                if left > 40 {
                    // |x * 2^left * M / 2^31| >= 2^38 when x != 0 (M >= 2^29 here).
                    x.signum() * (1 << 40)
                } else {
                    // SaturatingRoundingDoublingHighMul (M >= 0, so it never saturates).
                    let ab = (x << left) * m;
                    let nudge = if ab >= 0 { 1 << 30 } else { 1 - (1 << 30) };
                    let high = (ab + nudge) / (1 << 31);
                    // RoundingDivideByPOT.
                    let mask = (1i128 << right) - 1;
                    let threshold = (mask >> 1) + i128::from(high < 0);
                    (high >> right) + i128::from((high & mask) > threshold)
                }
            }
            Rounding::Single => {
                // 1..=94: `shift <= 30` in this variant and `shift >= -63` (the multiplier's
                // shift is at least -31, and at most 32 is folded in). Wrapping shifts: no
                // overflow check to link.
                let total = (31 - self.shift) as u32;
                (x * m + 1i128.wrapping_shl(total.wrapping_sub(1))).wrapping_shr(total)
            }
        };
        let out = v + i128::from(self.output_zero_point);
        // `max` / `min` rather than `clamp`, which has a panic path (for `lo > hi`).
        out.max(i128::from(lo)).min(i128::from(hi)) as i32
    }
}
