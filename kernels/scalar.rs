//! The scalar reference: the definition of every result, written to be read.
//!
//! Every other path is tested bit for bit against this one. It follows the canonical order of
//! [`canon`](super::canon) literally, one value at a time.

use super::canon::{CANONICAL_NAN, Compensated, canonical, maximum, minimum, partials};
use super::{Dims, Op};

/// NCHW: each output is the reduction of one contiguous row of `spatial` values.
pub(crate) fn nchw(input: &[f32], output: &mut [f32], dims: Dims, op: Op) {
    let spatial = dims.spatial.get();
    let order = partials(false, dims.channels.get());
    for (row, out) in input.chunks_exact(spatial).zip(output.iter_mut()) {
        *out = reduce(row.iter().copied(), spatial, order, op);
    }
}

/// NHWC: each output is the reduction of one channel, strided by `channels`.
pub(crate) fn nhwc(input: &[f32], output: &mut [f32], dims: Dims, op: Op) {
    let (channels, spatial) = (dims.channels.get(), dims.spatial.get());
    let order = partials(true, channels);
    // Non-zero by type, so that `chunks_exact` has no panic path left to link.
    let Some(image) = dims.channels.checked_mul(dims.spatial) else {
        return; // unreachable: `Task` checked that the product fits
    };
    for (img, out) in input
        .chunks_exact(image.get())
        .zip(output.chunks_exact_mut(channels))
    {
        for (c, o) in out.iter_mut().enumerate() {
            let column = img.iter().skip(c).step_by(channels).copied();
            *o = reduce(column, spatial, order, op);
        }
    }
}

/// One channel. `order` is `(K, T)` of [`partials`].
fn reduce(values: impl Iterator<Item = f32>, len: usize, order: (usize, usize), op: Op) -> f32 {
    let r = match op {
        Op::Sum => sum(values, order),
        Op::Avg => sum(values, order) / len as f32,
        Op::Max => values.fold(f32::NEG_INFINITY, maximum),
        Op::Min => values.fold(f32::INFINITY, minimum),
    };
    canonical(r)
}

fn sum(values: impl Iterator<Item = f32>, (partials, terms): (usize, usize)) -> f32 {
    match partials {
        1 => blocked_sum::<1>(values, terms),
        4 => blocked_sum::<4>(values, terms),
        8 => blocked_sum::<8>(values, terms),
        16 => blocked_sum::<16>(values, terms),
        64 => blocked_sum::<64>(values, terms),
        _ => CANONICAL_NAN, // unreachable: `partials` returns one of the above
    }
}

/// Blocks of `K * terms` values, `K` interleaved partials per block, compensated block sums.
fn blocked_sum<const K: usize>(values: impl Iterator<Item = f32>, terms: usize) -> f32 {
    let mut total = Compensated::NEW;
    let mut partials = [-0.0f32; K];
    let mut i = 0;
    for x in values {
        if let Some(p) = partials.get_mut(i % K) {
            *p += x;
        }
        i += 1;
        if i == K * terms {
            total.add(fold_halves(&mut partials));
            // A store loop, not a `memcpy` of a constant array (a deeper stack on Cortex-M).
            partials.fill(-0.0);
            i = 0;
        }
    }
    if i > 0 {
        total.add(fold_halves(&mut partials));
    }
    total.finish()
}

/// `p[i] += p[i + n/2]` for `i < n/2`, then the same on the first half, ... down to `p[0]`.
pub(crate) fn fold_halves(p: &mut [f32]) -> f32 {
    let mut len = p.len();
    while len > 1 {
        let half = len / 2;
        if let Some((lo, hi)) = p.split_at_mut_checked(half) {
            for (a, b) in lo.iter_mut().zip(hi.iter()) {
                *a += *b;
            }
        }
        len = half;
    }
    p.first().copied().unwrap_or(-0.0)
}
