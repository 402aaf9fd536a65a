//! Global pooling (sum, average, max, min over the spatial positions of each channel) for f32
//! and quantized `i8` / `u8` / `i16` tensors in NCHW and NHWC layouts: `#![no_std]`, no
//! allocation, no panics, and the same bits on every CPU.
//!
//! ```
//! use globalpool::{Layout, Shape, global_avg_pool};
//!
//! // A CNN head: 1 image, 1280 channels, 7x7 maps, channels-last.
//! let shape = Shape::new(1, 1280, 7 * 7);
//! let features = vec![0.5f32; 1280 * 49];
//! let mut pooled = vec![0.0f32; 1280];
//! global_avg_pool(&features, shape, Layout::Nhwc, &mut pooled)?;
//! assert!(pooled.iter().all(|&x| x == 0.5));
//! # Ok::<(), globalpool::Error>(())
//! ```
//!
//! # Paths
//!
//! [`Pooler::detect`] picks the fastest path the CPU supports at run time ([`Isa::Avx512`],
//! [`Isa::Avx2`], [`Isa::Sse2`] on x86-64, [`Isa::Neon`] on aarch64, [`Isa::Simd128`] on wasm32
//! built with `simd128`, [`Isa::Scalar`] on targets without SIMD such as microcontrollers);
//! [`Pooler::with_isa`] forces one. The free functions ([`global_avg_pool`], ...) use the detected
//! path. All paths run the same algorithm (written once, generic over a small vector trait), so
//! they give **bit-identical** results, whatever the CPU, the path, the alignment of the slices
//! or the position of a channel in the tensor.
//!
//! # Semantics
//!
//! * **sum** adds each channel's values in one fixed, documented order (below), the same for
//!   every path.
//! * **avg** is that sum divided by `spatial` (one IEEE division by `spatial as f32`, exact for
//!   `spatial <= 2^24`).
//! * **max** / **min** are IEEE 754-2019 `maximum` / `minimum`: a NaN anywhere in a channel gives
//!   NaN, `+0.0 > -0.0`, infinities as usual.
//! * Every NaN written is the canonical quiet NaN `0x7FC0_0000` (CPUs disagree on NaN bits, for
//!   example for `inf - inf`, so results would otherwise differ between x86 and Arm).
//! * A sum of nothing but `-0.0` is `-0.0`; a sum that overflows is `±inf`; `+inf` and `-inf` in
//!   one channel give NaN.
//! * Results assume the default floating-point environment (round to nearest, subnormals not
//!   flushed), which is what Rust programs run with.
//!
//! # The summation order and its error bound
//!
//! A channel's values `x_0, x_1, ...` (memory order for NCHW, spatial order for NHWC) are cut
//! into blocks of `64 K` values. In a block, value `i` is added to partial `i mod K` (each
//! partial starts at `-0.0` and adds its at most 64 values in order); the `K` partials are folded
//! by halves (`p[i] + p[i + K/2]`, then again on the first half, down to one); the block sums are
//! combined by compensated summation (Knuth's TwoSum, in f32) and the result rounded once.
//! `K = 64` for NCHW. For NHWC, `K = 4` when there are 8 or more channels and
//! `16 / gcd(channels, 16)` (16, 8 or 4) otherwise, so that the vectors of every path, laid over
//! consecutive rows, meet the same partials.
//!
//! With `u = 2^-24` and `γ_m = m u / (1 - m u)`, the computed sum `ŝ` of values `x_i` with exact
//! sum `s` satisfies
//!
//! `|ŝ - s| <= u |s| + (γ_(63 + log2 K) + γ_(nb)² ) Σ|x_i|` (to first order),
//!
//! where `nb` is the number of blocks: at most `γ_69 ≈ 4.1e-6` times `Σ|x_i|` for NCHW and
//! `γ_67` for NHWC, independent of the length. That is the worst case; typical errors are far
//! smaller (each partial adds at most 64 values and the blocks are combined almost exactly):
//! relative to an f64 sum, the crate's tests measure below `1e-7` for 112×112 maps of N(1, 1)
//! values and for a million values 1, 2, 3, ... ascending or descending (the targets are 3e-7),
//! where a plain sequential f32 loop is off by 1.2e-4 on the second.
//!
//! # Quantized tensors
//!
//! For `i8`, `u8` and `i16`, `sum` is the exact `i32` sum, `max` / `min` are exact, and `avg` is
//! TFLite's AVERAGE_POOL_2D (the zero point is not subtracted; the quotient is rounded half away
//! from zero). [`Pooler::avg_clamped`] adds TFLite's fused activation clamp, and
//! [`Pooler::mean_quantized`] is TFLite's MEAN with its own output scale and zero point
//! ([`QuantMean`], [`Rounding`]). Both are bit-exact with the TFLite reference kernels and
//! TFLite-Micro, on every path: the crate's tests compare them with golden vectors produced by
//! those runtimes (`tests/data/`, written by `tests/golden/golden.py`).
//!
//! ```
//! use globalpool::{Layout, Pooler, QuantMean, Rounding, Shape};
//!
//! // int8 NHWC head: 2 channels, 2x2 map; input scale 0.02 / zero point -10, output 0.01 / 5.
//! let input: [i8; 8] = [10, -20, 12, -22, 14, -24, 16, -26];
//! let q = QuantMean::new(0.02, -10, 0.01, 5, Rounding::Double)?;
//! let mut out = [0i8; 2];
//! Pooler::detect().mean_quantized(&input, Shape::new(1, 2, 4), Layout::Nhwc, &q, &mut out)?;
//! // Channel 0: real mean 0.02 * (13 + 10) = 0.46 -> 0.46 / 0.01 + 5 = 51.
//! assert_eq!(out[0], 51);
//! # Ok::<(), globalpool::Error>(())
//! ```
//!
//! # C and firmware
//!
//! With the `capi` feature the crate exports the C functions declared in
//! `include/globalpool.h` (module `capi`), to be built as a static or shared library with the
//! `capi` / `capi-size` profiles; the README's "Using it from C / firmware" has the commands,
//! and the code size and stack figures on Cortex-M.
//!
//! # Errors
//!
//! Every call checks, once, that the slices match the [`Shape`]; see [`Error`]. `batch == 0` or
//! `channels == 0` is a no-op. Nothing panics and nothing allocates.

#![no_std]
#![cfg_attr(
    not(test),
    deny(
        clippy::indexing_slicing,
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic
    )
)]

#[cfg(feature = "capi")]
pub mod capi;
mod error;
mod isa;
#[path = "../kernels/mod.rs"]
mod kernels;
mod pooler;
mod quant;
mod shape;

pub use error::Error;
pub use isa::Isa;
pub use pooler::{
    Element, Pooler, global_avg_pool, global_max_pool, global_min_pool, global_sum_pool,
};
pub use quant::{QuantMean, Rounding};
pub use shape::{Layout, Shape};

/// The README's examples, compiled and run as doctests so that it stays true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
