//! The kernels, written once over [`Vector`] and instantiated per path inside `#[target_feature]`
//! functions. Every function here is `#[inline(always)]`, so it is compiled with the features of
//! the entry point it is inlined into.
//!
//! Each follows the canonical order of [`canon`](super::canon) exactly; the comments say how.

use super::canon::{
    CANONICAL_NAN, Compensated, NCHW_BLOCK, NCHW_PARTIALS, NHWC_FLAT_BELOW, NHWC_TILE_BLOCK,
    TERMS_PER_PARTIAL, canonical, maximum, minimum,
};
use super::vector::Vector;
use super::{Dims, Op};

/// The most lanes of any path.
const MAX_LANES: usize = 16;
/// The most NCHW accumulators of any path (`NCHW_PARTIALS / 4`).
const MAX_ACC: usize = NCHW_PARTIALS / 4;
/// The most channel vectors of any path's NHWC tile.
const MAX_TILE: usize = 16;
/// The longest period of the NHWC flat path: `16 * 7` values.
const MAX_PERIOD: usize = 16 * (NHWC_FLAT_BELOW - 1);

/// A reduction: how two values combine.
pub(crate) trait Reduce {
    /// The value that changes nothing (`-0.0` for addition: `x + -0.0 == x` for every `x`).
    const IDENTITY: f32;
    /// Whether this is the (compensated, blocked) sum.
    const SUM: bool;
    /// Lane-wise combination.
    ///
    /// # Safety
    /// As for every [`Vector`] method.
    unsafe fn vec<V: Vector>(a: V, b: V) -> V;
    /// Scalar combination, the same operation as [`Reduce::vec`] on one lane.
    fn scalar(a: f32, b: f32) -> f32;
}

/// Addition (sum and average).
pub(crate) struct Add;
/// IEEE `maximum`.
pub(crate) struct Max;
/// IEEE `minimum`.
pub(crate) struct Min;

impl Reduce for Add {
    const IDENTITY: f32 = -0.0;
    const SUM: bool = true;
    #[inline(always)]
    unsafe fn vec<V: Vector>(a: V, b: V) -> V {
        // SAFETY: the caller's obligation (the path's CPU features) is passed on.
        unsafe { a.add(b) }
    }
    #[inline(always)]
    fn scalar(a: f32, b: f32) -> f32 {
        a + b
    }
}

impl Reduce for Max {
    const IDENTITY: f32 = f32::NEG_INFINITY;
    const SUM: bool = false;
    #[inline(always)]
    unsafe fn vec<V: Vector>(a: V, b: V) -> V {
        // SAFETY: the caller's obligation (the path's CPU features) is passed on.
        unsafe { a.max(b) }
    }
    #[inline(always)]
    fn scalar(a: f32, b: f32) -> f32 {
        maximum(a, b)
    }
}

impl Reduce for Min {
    const IDENTITY: f32 = f32::INFINITY;
    const SUM: bool = false;
    #[inline(always)]
    unsafe fn vec<V: Vector>(a: V, b: V) -> V {
        // SAFETY: the caller's obligation (the path's CPU features) is passed on.
        unsafe { a.min(b) }
    }
    #[inline(always)]
    fn scalar(a: f32, b: f32) -> f32 {
        minimum(a, b)
    }
}

/// NCHW entry: every op.
///
/// # Safety
/// `V`'s instruction set is available; `input.len() == rows * spatial` and
/// `output.len() == rows` where `rows = batch * channels` (as `Task` guarantees).
#[inline(always)]
pub(crate) unsafe fn nchw<V: Vector>(input: &[f32], output: &mut [f32], dims: Dims, op: Op) {
    let rows = dims.batch.get() * dims.channels.get();
    let len = dims.spatial.get();
    let (i, o) = (input.as_ptr(), output.as_mut_ptr());
    // SAFETY: the caller guarantees the features and the lengths that `nchw_op` needs.
    unsafe {
        match op {
            Op::Sum => nchw_op::<V, Add>(i, o, rows, len, false),
            Op::Avg => nchw_op::<V, Add>(i, o, rows, len, true),
            Op::Max => nchw_op::<V, Max>(i, o, rows, len, false),
            Op::Min => nchw_op::<V, Min>(i, o, rows, len, false),
        }
    }
}

/// NHWC entry: every op.
///
/// # Safety
/// `V`'s instruction set is available; `input.len() == batch * spatial * channels` and
/// `output.len() == batch * channels` (as `Task` guarantees).
#[inline(always)]
pub(crate) unsafe fn nhwc<V: Vector>(input: &[f32], output: &mut [f32], dims: Dims, op: Op) {
    let (i, o) = (input.as_ptr(), output.as_mut_ptr());
    // SAFETY: the caller guarantees the features and the lengths that `nhwc_op` needs.
    unsafe {
        match op {
            Op::Sum => nhwc_op::<V, Add>(i, o, dims, false),
            Op::Avg => nhwc_op::<V, Add>(i, o, dims, true),
            Op::Max => nhwc_op::<V, Max>(i, o, dims, false),
            Op::Min => nhwc_op::<V, Min>(i, o, dims, false),
        }
    }
}

/// # Safety
/// `input` readable for `rows * len` values, `output` writable for `rows`; `rows, len >= 1`.
#[inline(always)]
unsafe fn nchw_op<V: Vector, R: Reduce>(
    input: *const f32,
    output: *mut f32,
    rows: usize,
    len: usize,
    avg: bool,
) {
    // SAFETY: (for this whole block) every pointer formed stays inside `input` (rows `row < rows`, offsets
    // `< len`) or `output` (`row + group <= rows`).
    unsafe {
        if len <= NCHW_BLOCK {
            // One block per row. LANES rows at a time: each row's accumulators are folded to one
            // vector, then the LANES vectors' lane folds run together, transposed.
            let mut row = 0;
            while row < rows {
                let group = (rows - row).min(V::LANES);
                let mut folded = [V::splat(R::IDENTITY); MAX_LANES];
                for (k, f) in folded.iter_mut().enumerate().take(V::LANES) {
                    if k < group {
                        *f = block::<V, R>(input.add((row + k) * len), len);
                    }
                }
                let v = fold_lanes::<V, R>(&mut folded);
                let v = finish::<V, R>(v, V::splat(0.0), avg, len);
                if group == V::LANES {
                    v.store(output.add(row));
                } else {
                    v.store_partial(output.add(row), group);
                }
                row += group;
            }
        } else {
            for row in 0..rows {
                let p = input.add(row * len);
                let mut total = Compensated::NEW;
                let mut other = R::IDENTITY;
                let mut start = 0;
                while start < len {
                    let n = (len - start).min(NCHW_BLOCK);
                    let b = hfold::<V, R>(block::<V, R>(p.add(start), n));
                    if R::SUM {
                        total.add(b);
                    } else {
                        other = R::scalar(other, b);
                    }
                    start += n;
                }
                output
                    .add(row)
                    .write(finish_scalar::<R>(total, other, avg, len));
            }
        }
    }
}

/// One NCHW block: `n` values (`1 <= n <= NCHW_BLOCK`) from `p` into `NCHW_PARTIALS` partials
/// held as `NCHW_PARTIALS / LANES` vectors (value `i` in lane `i % LANES` of vector
/// `(i / LANES) % U`, so partial `i % 64`), then the vectors folded by halves to one.
///
/// # Safety
/// `p..p + n` readable.
#[inline(always)]
unsafe fn block<V: Vector, R: Reduce>(p: *const f32, n: usize) -> V {
    let u = NCHW_PARTIALS / V::LANES;
    // SAFETY: (for this whole block) loads stay below `p + n`: full rounds cover `n / 64 * 64` values, and
    // in the remainder vector `j` reads `min(LANES, rem - j * LANES)` values.
    unsafe {
        let mut acc = [V::splat(R::IDENTITY); MAX_ACC];
        let mut q = p;
        for _ in 0..n / NCHW_PARTIALS {
            for (j, a) in acc.iter_mut().enumerate().take(u) {
                *a = R::vec(*a, V::load(q.add(j * V::LANES)));
            }
            q = q.add(NCHW_PARTIALS);
        }
        let rem = n % NCHW_PARTIALS;
        for (j, a) in acc.iter_mut().enumerate().take(u) {
            let off = j * V::LANES;
            if rem >= off + V::LANES {
                *a = R::vec(*a, V::load(q.add(off)));
            } else if rem > off {
                *a = R::vec(*a, V::load_partial(q.add(off), rem - off, R::IDENTITY));
            }
        }
        let mut m = u;
        while m > 1 {
            m /= 2;
            let (lo, hi) = acc.split_at_mut(m);
            for (a, b) in lo.iter_mut().zip(hi.iter()) {
                *a = R::vec(*a, *b);
            }
        }
        acc[0]
    }
}

/// The lane fold of one vector, by halves (lane `i` with lane `i + LANES/2`, ...).
///
/// # Safety
/// As for every [`Vector`] method.
#[inline(always)]
unsafe fn hfold<V: Vector, R: Reduce>(v: V) -> f32 {
    let mut lanes = [0.0f32; MAX_LANES];
    // SAFETY: `lanes` has room for `LANES <= MAX_LANES` values.
    unsafe { v.store(lanes.as_mut_ptr()) };
    let mut len = V::LANES;
    while len > 1 {
        let half = len / 2;
        let (lo, hi) = lanes.split_at_mut(half);
        for (a, b) in lo.iter_mut().zip(hi.iter()) {
            *a = R::scalar(*a, *b);
        }
        len = half;
    }
    lanes[0]
}

/// The lane folds of `LANES` vectors at once: returns the vector whose lane `k` is the lane fold
/// (by halves, as [`hfold`]) of `v[k]`.
///
/// # Safety
/// As for every [`Vector`] method.
#[inline(always)]
unsafe fn fold_lanes<V: Vector, R: Reduce>(v: &mut [V; MAX_LANES]) -> V {
    let mut count = V::LANES;
    let mut level = 0;
    while count > 1 {
        let half = count / 2;
        for j in 0..half {
            // `2 * j + 1 < count <= LANES <= MAX_LANES`: the `get`s always succeed.
            if let (Some(&a), Some(&b)) = (v.get(2 * j), v.get(2 * j + 1)) {
                // SAFETY: the caller's obligation (the path's CPU features) is passed on.
                let folded = unsafe {
                    let (lo, hi) = V::fold_pair(a, b, level);
                    R::vec(lo, hi)
                };
                if let Some(slot) = v.get_mut(j) {
                    *slot = folded;
                }
            }
        }
        count = half;
        level += 1;
    }
    let [first, ..] = *v;
    // SAFETY: as above.
    unsafe { first.unscramble() }
}

/// Final touches on a vector of results: the compensated total (sum), the division (average),
/// the canonical NaN.
///
/// # Safety
/// As for every [`Vector`] method.
#[inline(always)]
unsafe fn finish<V: Vector, R: Reduce>(s: V, neg_err: V, avg: bool, len: usize) -> V {
    // SAFETY: the caller's obligation (the path's CPU features) is passed on.
    unsafe {
        let v = if R::SUM {
            let total = V::select(s.is_finite(), s.sub(neg_err), s);
            if avg {
                total.div(V::splat(len as f32))
            } else {
                total
            }
        } else {
            s
        };
        V::select(v.is_nan(), V::splat(CANONICAL_NAN), v)
    }
}

/// [`finish`] for one value.
#[inline(always)]
fn finish_scalar<R: Reduce>(total: Compensated, other: f32, avg: bool, len: usize) -> f32 {
    canonical(if R::SUM {
        let s = total.finish();
        if avg { s / len as f32 } else { s }
    } else {
        other
    })
}

/// Lane-wise [`Compensated::add`]: the same operations in the same order.
///
/// # Safety
/// As for every [`Vector`] method.
#[inline(always)]
unsafe fn two_sum<V: Vector>(sum: &mut V, neg_err: &mut V, b: V) {
    // SAFETY: the caller's obligation (the path's CPU features) is passed on.
    unsafe {
        let a = *sum;
        let t = a.add(b);
        let bp = t.sub(a);
        let ap = t.sub(bp);
        let e = a.sub(ap).add(b.sub(bp));
        *neg_err = neg_err.sub(e);
        *sum = t;
    }
}

/// # Safety
/// `input` readable for `batch * spatial * channels` values, `output` writable for
/// `batch * channels`.
#[inline(always)]
unsafe fn nhwc_op<V: Vector, R: Reduce>(
    input: *const f32,
    output: *mut f32,
    dims: Dims,
    avg: bool,
) {
    let (batch, channels, rows) = (dims.batch.get(), dims.channels.get(), dims.spatial.get());
    let lanes = V::LANES;
    // SAFETY: (for this whole block) image `b` is `input[b * rows * channels..][..rows * channels]`, its
    // outputs `output[b * channels..][..channels]`; the callees stay inside those.
    unsafe {
        for b in 0..batch {
            let img = input.add(b * rows * channels);
            let out = output.add(b * channels);
            if channels < NHWC_FLAT_BELOW {
                // Odd part of `channels`: the period is 16 * g values.
                match channels >> channels.trailing_zeros() {
                    1 => nhwc_flat::<V, R, 1>(img, channels, rows, out, avg),
                    3 => nhwc_flat::<V, R, 3>(img, channels, rows, out, avg),
                    5 => nhwc_flat::<V, R, 5>(img, channels, rows, out, avg),
                    _ => nhwc_flat::<V, R, 7>(img, channels, rows, out, avg),
                }
                continue;
            }
            // Tiles of TILE vectors, then of TILE/2, TILE/4, ... (each count a constant once
            // inlined, so the accumulators stay in registers), then a partial vector.
            let mut c = 0;
            let mut count = V::TILE;
            while count > 0 {
                while channels - c >= count * lanes {
                    nhwc_tile::<V, R>(img.add(c), channels, rows, out.add(c), count, 0, avg);
                    c += count * lanes;
                }
                count /= 2;
            }
            if channels > c {
                nhwc_tile::<V, R>(img.add(c), channels, rows, out.add(c), 1, channels - c, avg);
            }
        }
    }
}

/// NHWC, 8 or more channels: `count` channel vectors side by side (`partial == 0`), or one
/// vector of `partial < LANES` channels, over all `rows`: one running sum per lane, added to the
/// compensated total every `NHWC_TILE_BLOCK` rows.
///
/// # Safety
/// `col + s * stride + [0, count * LANES)` (or `[0, partial)`) readable for every row `s`, and
/// `out + [0, count * LANES)` (or `[0, partial)`) writable; `count <= MAX_TILE`.
#[inline(always)]
unsafe fn nhwc_tile<V: Vector, R: Reduce>(
    col: *const f32,
    stride: usize,
    rows: usize,
    out: *mut f32,
    count: usize,
    partial: usize,
    avg: bool,
) {
    let lanes = V::LANES;
    // SAFETY: (for this whole block) every load is at `col + s * stride + t * LANES` with
    // `s < rows`, `t < count`, and reads `LANES` values (`partial` when non-zero); stores likewise
    // to `out`.
    unsafe {
        let load = |p: *const f32| {
            if partial == 0 {
                V::load(p)
            } else {
                V::load_partial(p, partial, R::IDENTITY)
            }
        };
        let mut sum = [V::splat(R::IDENTITY); MAX_TILE];
        let mut neg_err = [V::splat(0.0); MAX_TILE];
        let mut start = 0;
        while start < rows {
            let n = (rows - start).min(NHWC_TILE_BLOCK);
            let mut acc = [V::splat(R::IDENTITY); MAX_TILE];
            let mut q = col.add(start * stride);
            for _ in 0..n {
                for (t, a) in acc.iter_mut().enumerate().take(count) {
                    *a = R::vec(*a, load(q.add(t * lanes)));
                }
                // After the last row this points past the input (`col` is inside a row), so it
                // must not be an in-bounds `add`; it is never dereferenced then.
                q = q.wrapping_add(stride);
            }
            let state = sum.iter_mut().zip(neg_err.iter_mut());
            for ((s, e), &b) in state.zip(acc.iter()).take(count) {
                if R::SUM {
                    two_sum(s, e, b);
                } else {
                    *s = R::vec(*s, b);
                }
            }
            start += n;
        }
        for (t, (&s, &e)) in sum.iter().zip(neg_err.iter()).enumerate().take(count) {
            let v = finish::<V, R>(s, e, avg, rows);
            if partial == 0 {
                v.store(out.add(t * lanes));
            } else {
                v.store_partial(out, partial);
            }
        }
    }
}

/// NHWC, fewer than 8 channels: the image read as one flat run of values, in periods of
/// `P = 16 * G = K * channels` values (`K` of `canon::partials`, `G` = odd part of `channels`).
/// Slot `f` of a period is row partial `f / channels` of channel `f % channels`, so vectors laid
/// over the periods accumulate exactly the canonical row partials.
///
/// # Safety
/// `img..img + rows * channels` readable, `out..out + channels` writable,
/// `channels < NHWC_FLAT_BELOW`, `16 * G == K * channels`.
#[inline(always)]
unsafe fn nhwc_flat<V: Vector, R: Reduce, const G: usize>(
    img: *const f32,
    channels: usize,
    rows: usize,
    out: *mut f32,
    avg: bool,
) {
    let lanes = V::LANES;
    let period = 16 * G;
    let nv = period / lanes;
    let total = rows * channels;
    let block = TERMS_PER_PARTIAL * period;
    let mut totals = [Compensated::NEW; NHWC_FLAT_BELOW];
    let mut others = [R::IDENTITY; NHWC_FLAT_BELOW];
    let mut buf = [0.0f32; MAX_PERIOD];
    // SAFETY: (for this whole block) loads stay below `img + total` (full periods, then `rem` values in
    // at most `nv` vectors); stores to `buf` stay below `period <= MAX_PERIOD`; `out` gets
    // `channels` values.
    unsafe {
        let mut pos = 0;
        while pos < total {
            let n = (total - pos).min(block);
            let mut acc = [V::splat(R::IDENTITY); MAX_PERIOD / 4];
            let mut q = img.add(pos);
            for _ in 0..n / period {
                for (j, a) in acc.iter_mut().enumerate().take(nv) {
                    *a = R::vec(*a, V::load(q.add(j * lanes)));
                }
                q = q.add(period);
            }
            let rem = n % period;
            for (j, a) in acc.iter_mut().enumerate().take(nv) {
                let off = j * lanes;
                if rem >= off + lanes {
                    *a = R::vec(*a, V::load(q.add(off)));
                } else if rem > off {
                    *a = R::vec(*a, V::load_partial(q.add(off), rem - off, R::IDENTITY));
                }
            }
            for (j, a) in acc.iter().enumerate().take(nv) {
                a.store(buf.as_mut_ptr().add(j * lanes));
            }
            // Fold the row partials by halves: slot f with slot f + period / 2, ...
            let mut len = period;
            while len > channels {
                let half = len / 2;
                let (lo, hi) = buf.split_at_mut(half);
                for (a, b) in lo.iter_mut().zip(hi.iter()) {
                    *a = R::scalar(*a, *b);
                }
                len = half;
            }
            for ((t, o), b) in totals
                .iter_mut()
                .zip(others.iter_mut())
                .zip(buf.iter())
                .take(channels)
            {
                if R::SUM {
                    t.add(*b);
                } else {
                    *o = R::scalar(*o, *b);
                }
            }
            pos += n;
        }
        for (c, (t, o)) in totals.iter().zip(others.iter()).enumerate().take(channels) {
            out.add(c).write(finish_scalar::<R>(*t, *o, avg, rows));
        }
    }
}
