//! The kernels, written once over [`Vector`] and instantiated per path inside `#[target_feature]`
//! functions. Every function here is `#[inline(always)]`, so it is compiled with the features of
//! the entry point it is inlined into; except in unoptimized builds (cfg `globalpool_unoptimized`,
//! set by `build.rs` at opt-level 0), where they are ordinary calls: unoptimized code gives every
//! inlined copy its own stack slots, and the entry points would need megabytes of stack.
//!
//! Each follows the canonical order of [`canon`](super::canon) exactly; the comments say how.

use super::canon::{
    CANONICAL_NAN, Compensated, NCHW_BLOCK, NCHW_PARTIALS, NHWC_FLAT_BELOW, NHWC_TILE_BLOCK,
    TERMS_PER_PARTIAL, canonical, maximum, minimum,
};
use super::vector::{FLAGGED_COLUMN, Vector, load4};
use super::{Dims, Op, to_boundary};

/// The most lanes of any path.
const MAX_LANES: usize = 16;
/// The most NCHW accumulators of any path (`NCHW_PARTIALS / 4`).
const MAX_ACC: usize = NCHW_PARTIALS / 4;
/// Full rounds from which the long NCHW rows' max / min take [`Vector::ext_rounds_flagged`]
/// where the path has it (rows of 1024 values or more): it reads the floating-point status
/// register before and after its loop. (From 16 rounds, against 64, NCHW `max` / `min` of rows
/// of 1024 to 3136 values 1.08-1.1x faster; from 4, rows of 300 to 1000 0.99-1.05x.)
const FLAGGED_ROUNDS: usize = 16;
/// Runs of [`Vector::ext_column_flagged`] from which the flat NHWC max / min take it (see
/// `flat_block`).
const FLAGGED_RUNS: usize = 8;
/// The most channel vectors of any path's NHWC tile.
const MAX_TILE: usize = 32;
/// NHWC inputs larger than this (bytes) are read one row per group on the paths that group rows
/// (`Vector::NHWC_GROUP < 32`). From DRAM, one row at a time was faster on an AMD Zen 3 (32 MiB
/// L3) and the same speed on the Intel Xeon of later benchmarks; from its L3, groups were 20%
/// faster there (8×256×56×56, 26 MB: 97% of the probe instead of 80%). 64 MiB keeps every
/// benchmark case grouped and leaves inputs larger than common L3 caches to the stream order.
/// (AVX-512 takes whole blocks of 32 rows at every size instead: on an AMD Zen 5 1.1-1.9x
/// faster than one row at a time on 100 MB inputs; see its `NHWC_GROUP`.)
const NHWC_STREAM_BYTES: usize = 64 << 20;
/// NHWC inputs up to this size (bytes), usually still in the L2 cache, are read one column of
/// channel vectors at a time over all rows, everything in registers ([`nhwc_columns`]); larger
/// ones a group of rows at a time over all columns ([`nhwc_chunk`]), which the prefetchers
/// follow from memory. (AVX-512, against groups of 8 rows: 1x1280x7x7 and 1x2048x7x7 `avg`
/// 1.33x faster, `max` 1.25-1.3x, 1x512x14x14 1.2x / 1.3x, 16 channels 2-2.4x; whole blocks of
/// 32 rows, the other way to keep partials in registers, gained about half as much. A memory-
/// bound 8x256x56x56 (26 MB) was 5% slower in groups of 32 rows, 1x64x112x112 (3.2 MB) the same;
/// on an AMD Zen 5 columns were 1.07-1.4x faster than blocks of 32 rows on the heads, and the
/// blocks 1.03-1.16x faster than groups of 8 on inputs above this size.)
const NHWC_CACHED_BYTES: usize = 1 << 20;
/// The most states per vector of a max / min [`column()`].
const MAX_SIDE: usize = 4;
/// The longest period of the NHWC flat path: `16 * 7` values.
const MAX_PERIOD: usize = 16 * (NHWC_FLAT_BELOW - 1);

/// A reduction: how values combine, in the hot loops and in the folds.
pub(crate) trait Reduce {
    /// The value that changes nothing (`-0.0` for addition: `x + -0.0 == x` for every `x`);
    /// partial loads fill the missing lanes with it.
    const IDENTITY: f32;
    /// Whether this is the (compensated, blocked, canonically ordered) sum.
    const SUM: bool;
    /// The running state of the hot loops.
    type Acc<V: Vector>: Copy;
    /// Accumulators per NCHW row: `NCHW_PARTIALS / LANES` for the sum (the canonical order);
    /// the path's `EXT_ACCUMULATORS` for max / min, whose order does not matter.
    fn accumulators<V: Vector>() -> usize;
    /// Channel vectors per NHWC tile (fewer when the state takes more registers).
    fn tile<V: Vector>() -> usize;
    /// The state before any value.
    ///
    /// # Safety
    /// As for every [`Vector`] method (the path's CPU features).
    unsafe fn init<V: Vector>() -> Self::Acc<V>;
    /// Adds one vector of values to a state.
    ///
    /// # Safety
    /// As for every [`Vector`] method.
    unsafe fn step<V: Vector>(acc: Self::Acc<V>, x: V) -> Self::Acc<V>;
    /// [`Reduce::step`] of the four consecutive vectors at `*p` into four states, advancing
    /// `*p` past them.
    ///
    /// # Safety
    /// `*p..*p + 4 * LANES` readable; the path's CPU features, as for every [`Vector`] method.
    #[cfg_attr(not(globalpool_unoptimized), inline(always))]
    unsafe fn step4<V: Vector>(acc: [Self::Acc<V>; 4], p: &mut *const f32) -> [Self::Acc<V>; 4] {
        // SAFETY: the caller's obligations are passed on.
        unsafe {
            let [x0, x1, x2, x3] = load4::<V>(p);
            let [a0, a1, a2, a3] = acc;
            [
                Self::step(a0, x0),
                Self::step(a1, x1),
                Self::step(a2, x2),
                Self::step(a3, x3),
            ]
        }
    }
    /// `x` into `a` and `y` into `b`, two states of the same lanes that are merged in the end
    /// (for the sum two plain steps; for max / min see [`Vector::ext_step2`]).
    ///
    /// # Safety
    /// As for every [`Vector`] method.
    #[cfg_attr(not(globalpool_unoptimized), inline(always))]
    unsafe fn step2<V: Vector>(
        a: Self::Acc<V>,
        b: Self::Acc<V>,
        x: V,
        y: V,
    ) -> (Self::Acc<V>, Self::Acc<V>) {
        // SAFETY: the caller's obligations are passed on.
        unsafe { (Self::step(a, x), Self::step(b, y)) }
    }
    /// [`Reduce::step2`] as the CPUs of `Kernels::ext_masked` run it faster: for the sum the
    /// same, for max / min see [`Vector::ext_step2_masked`].
    ///
    /// # Safety
    /// As for every [`Vector`] method.
    #[cfg_attr(not(globalpool_unoptimized), inline(always))]
    unsafe fn step2_masked<V: Vector>(
        a: Self::Acc<V>,
        b: Self::Acc<V>,
        x: V,
        y: V,
    ) -> (Self::Acc<V>, Self::Acc<V>) {
        // SAFETY: the caller's obligations are passed on.
        unsafe { Self::step2(a, b, x, y) }
    }
    /// [`Vector::ext_rounds_flagged`] for max / min (`false`, doing nothing, for the sum).
    ///
    /// # Safety
    /// As for [`Vector::ext_rounds_flagged`].
    #[cfg_attr(not(globalpool_unoptimized), inline(always))]
    unsafe fn rounds_flagged<V: Vector>(
        acc: &mut [Self::Acc<V>],
        p: *const f32,
        rounds: usize,
    ) -> bool {
        let _ = (acc, p, rounds);
        false
    }
    /// [`Vector::ext_column_flagged`] for max / min (`None`, reading nothing, for the sum).
    ///
    /// # Safety
    /// As for [`Vector::ext_column_flagged`].
    #[cfg_attr(not(globalpool_unoptimized), inline(always))]
    unsafe fn column_flagged<V: Vector>(
        col: *const f32,
        stride: usize,
        rows: usize,
        width: usize,
    ) -> Option<[V; FLAGGED_COLUMN]> {
        let _ = (col, stride, rows, width);
        None
    }
    /// [`Vector::ext_plain_flagged`] for max / min (`a`, untouched, for the sum: never called).
    ///
    /// # Safety
    /// As for every [`Vector`] method.
    #[cfg_attr(not(globalpool_unoptimized), inline(always))]
    unsafe fn plain_flagged<V: Vector>(a: V, b: V) -> V {
        let _ = b;
        a
    }
    /// `x`, then `y` into `a`.
    ///
    /// # Safety
    /// As for every [`Vector`] method.
    #[cfg_attr(not(globalpool_unoptimized), inline(always))]
    unsafe fn step_pair<V: Vector>(a: Self::Acc<V>, x: V, y: V) -> Self::Acc<V> {
        // SAFETY: the caller's obligations are passed on.
        unsafe { Self::step(Self::step(a, x), y) }
    }
    /// The state of `x` and `y` alone: [`Reduce::step_pair`] from [`Reduce::init`], in fewer
    /// operations where the path can (see [`Vector::ext_start_pair`]).
    ///
    /// # Safety
    /// As for every [`Vector`] method.
    #[cfg_attr(not(globalpool_unoptimized), inline(always))]
    unsafe fn start_pair<V: Vector>(x: V, y: V) -> Self::Acc<V> {
        // SAFETY: the caller's obligations are passed on.
        unsafe { Self::step_pair(Self::init(), x, y) }
    }
    /// Combines two states (the vertical fold).
    ///
    /// # Safety
    /// As for every [`Vector`] method.
    unsafe fn merge<V: Vector>(a: Self::Acc<V>, b: Self::Acc<V>) -> Self::Acc<V>;
    /// The lane values of a state.
    ///
    /// # Safety
    /// As for every [`Vector`] method.
    unsafe fn value<V: Vector>(acc: Self::Acc<V>) -> V;
    /// A state equivalent to one that [`Reduce::value`] gave `v`: what continues a state that
    /// went through memory.
    ///
    /// # Safety
    /// As for every [`Vector`] method.
    unsafe fn resume<V: Vector>(v: V) -> Self::Acc<V>;
    /// Lane-wise combination of two values (the lane folds).
    ///
    /// # Safety
    /// As for every [`Vector`] method.
    unsafe fn vec<V: Vector>(a: V, b: V) -> V;
    /// The state as `(value, nan)` (see [`Vector::ext_split`]): for the sum, and on paths
    /// that keep NaNs in band, [`Reduce::value`] and `false`.
    ///
    /// # Safety
    /// As for every [`Vector`] method.
    #[cfg_attr(not(globalpool_unoptimized), inline(always))]
    unsafe fn value_split<V: Vector>(acc: Self::Acc<V>) -> (V, bool) {
        // SAFETY: the caller's obligations are passed on.
        (unsafe { Self::value(acc) }, false)
    }
    /// [`Reduce::vec`] for the folds of [`Reduce::value_split`] values (see
    /// [`Vector::ext_plain`]).
    ///
    /// # Safety
    /// As for every [`Vector`] method.
    #[cfg_attr(not(globalpool_unoptimized), inline(always))]
    unsafe fn vec_plain<V: Vector>(a: V, b: V) -> V {
        // SAFETY: the caller's obligations are passed on.
        unsafe { Self::vec(a, b) }
    }
    /// `acc` after checking `x` and `y` (see [`Vector::ext_check`]); for the sum, where it is
    /// not used, [`Reduce::step_pair`].
    ///
    /// # Safety
    /// As for every [`Vector`] method.
    #[cfg_attr(not(globalpool_unoptimized), inline(always))]
    unsafe fn check<V: Vector>(acc: Self::Acc<V>, x: V, y: V) -> Self::Acc<V> {
        // SAFETY: the caller's obligations are passed on.
        unsafe { Self::step_pair(acc, x, y) }
    }
    /// Scalar combination, the same operation as [`Reduce::vec`] on one lane.
    fn scalar(a: f32, b: f32) -> f32;
}

/// Addition (sum and average).
pub(crate) struct Add;
/// IEEE `maximum` (`MAX`) or `minimum`.
pub(crate) struct Ext<const MAX: bool>;
/// IEEE `maximum`.
pub(crate) type Max = Ext<true>;
/// IEEE `minimum`.
pub(crate) type Min = Ext<false>;

// SAFETY (every `unsafe` block of the two impls below): the caller's obligation, the path's
// CPU features, is passed on to the `Vector` methods.
impl Reduce for Add {
    const IDENTITY: f32 = -0.0;
    const SUM: bool = true;
    type Acc<V: Vector> = V;
    #[cfg_attr(not(globalpool_unoptimized), inline(always))]
    fn accumulators<V: Vector>() -> usize {
        NCHW_PARTIALS / V::LANES
    }
    #[cfg_attr(not(globalpool_unoptimized), inline(always))]
    fn tile<V: Vector>() -> usize {
        (V::TILE / 2).max(1)
    }
    #[cfg_attr(not(globalpool_unoptimized), inline(always))]
    unsafe fn init<V: Vector>() -> V {
        // SAFETY: see above the impl.
        unsafe { V::splat(-0.0) }
    }
    #[cfg_attr(not(globalpool_unoptimized), inline(always))]
    unsafe fn step<V: Vector>(acc: V, x: V) -> V {
        // SAFETY: see above the impl.
        unsafe { acc.add(x) }
    }
    #[cfg_attr(not(globalpool_unoptimized), inline(always))]
    unsafe fn step4<V: Vector>(acc: [V; 4], p: &mut *const f32) -> [V; 4] {
        // SAFETY: see above the impl; the caller guarantees the four vectors readable.
        unsafe { V::add4(acc, p) }
    }
    #[cfg_attr(not(globalpool_unoptimized), inline(always))]
    unsafe fn merge<V: Vector>(a: V, b: V) -> V {
        // SAFETY: see above the impl.
        unsafe { a.add(b) }
    }
    #[cfg_attr(not(globalpool_unoptimized), inline(always))]
    unsafe fn value<V: Vector>(acc: V) -> V {
        acc
    }
    #[cfg_attr(not(globalpool_unoptimized), inline(always))]
    unsafe fn resume<V: Vector>(v: V) -> V {
        v
    }
    #[cfg_attr(not(globalpool_unoptimized), inline(always))]
    unsafe fn vec<V: Vector>(a: V, b: V) -> V {
        // SAFETY: see above the impl.
        unsafe { a.add(b) }
    }
    #[cfg_attr(not(globalpool_unoptimized), inline(always))]
    fn scalar(a: f32, b: f32) -> f32 {
        a + b
    }
}

impl<const MAX: bool> Reduce for Ext<MAX> {
    const IDENTITY: f32 = if MAX {
        f32::NEG_INFINITY
    } else {
        f32::INFINITY
    };
    const SUM: bool = false;
    type Acc<V: Vector> = V::Ext;
    #[cfg_attr(not(globalpool_unoptimized), inline(always))]
    fn accumulators<V: Vector>() -> usize {
        V::EXT_ACCUMULATORS
    }
    #[cfg_attr(not(globalpool_unoptimized), inline(always))]
    fn tile<V: Vector>() -> usize {
        V::EXT_TILE
    }
    #[cfg_attr(not(globalpool_unoptimized), inline(always))]
    unsafe fn init<V: Vector>() -> V::Ext {
        // SAFETY: see above the `Add` impl.
        unsafe { V::ext_init::<MAX>() }
    }
    #[cfg_attr(not(globalpool_unoptimized), inline(always))]
    unsafe fn step<V: Vector>(acc: V::Ext, x: V) -> V::Ext {
        // SAFETY: see above the `Add` impl.
        unsafe { V::ext_step::<MAX>(acc, x) }
    }
    #[cfg_attr(not(globalpool_unoptimized), inline(always))]
    unsafe fn step2<V: Vector>(a: V::Ext, b: V::Ext, x: V, y: V) -> (V::Ext, V::Ext) {
        // SAFETY: see above the `Add` impl.
        unsafe { V::ext_step2::<MAX>(a, b, x, y) }
    }
    #[cfg_attr(not(globalpool_unoptimized), inline(always))]
    unsafe fn step2_masked<V: Vector>(a: V::Ext, b: V::Ext, x: V, y: V) -> (V::Ext, V::Ext) {
        // SAFETY: see above the `Add` impl.
        unsafe { V::ext_step2_masked::<MAX>(a, b, x, y) }
    }
    #[cfg_attr(not(globalpool_unoptimized), inline(always))]
    unsafe fn rounds_flagged<V: Vector>(acc: &mut [V::Ext], p: *const f32, rounds: usize) -> bool {
        // SAFETY: see above the `Add` impl.
        unsafe { V::ext_rounds_flagged::<MAX>(acc, p, rounds) }
    }
    #[cfg_attr(not(globalpool_unoptimized), inline(always))]
    unsafe fn column_flagged<V: Vector>(
        col: *const f32,
        stride: usize,
        rows: usize,
        width: usize,
    ) -> Option<[V; FLAGGED_COLUMN]> {
        // SAFETY: see above the `Add` impl.
        unsafe { V::ext_column_flagged::<MAX>(col, stride, rows, width) }
    }
    #[cfg_attr(not(globalpool_unoptimized), inline(always))]
    unsafe fn plain_flagged<V: Vector>(a: V, b: V) -> V {
        // SAFETY: see above the `Add` impl.
        unsafe { V::ext_plain_flagged::<MAX>(a, b) }
    }
    #[cfg_attr(not(globalpool_unoptimized), inline(always))]
    unsafe fn step_pair<V: Vector>(a: V::Ext, x: V, y: V) -> V::Ext {
        // SAFETY: see above the `Add` impl.
        unsafe { V::ext_step_pair::<MAX>(a, x, y) }
    }
    #[cfg_attr(not(globalpool_unoptimized), inline(always))]
    unsafe fn start_pair<V: Vector>(x: V, y: V) -> V::Ext {
        // SAFETY: see above the `Add` impl.
        unsafe { V::ext_start_pair::<MAX>(x, y) }
    }
    #[cfg_attr(not(globalpool_unoptimized), inline(always))]
    unsafe fn merge<V: Vector>(a: V::Ext, b: V::Ext) -> V::Ext {
        // SAFETY: see above the `Add` impl.
        unsafe { V::ext_merge::<MAX>(a, b) }
    }
    #[cfg_attr(not(globalpool_unoptimized), inline(always))]
    unsafe fn value<V: Vector>(acc: V::Ext) -> V {
        // SAFETY: see above the `Add` impl.
        unsafe { V::ext_finish::<MAX>(acc) }
    }
    #[cfg_attr(not(globalpool_unoptimized), inline(always))]
    unsafe fn resume<V: Vector>(v: V) -> V::Ext {
        // SAFETY: see above the `Add` impl.
        unsafe { V::ext_step::<MAX>(V::ext_init::<MAX>(), v) }
    }
    #[cfg_attr(not(globalpool_unoptimized), inline(always))]
    unsafe fn vec<V: Vector>(a: V, b: V) -> V {
        // SAFETY: see above the `Add` impl.
        unsafe { if MAX { a.max(b) } else { a.min(b) } }
    }
    #[cfg_attr(not(globalpool_unoptimized), inline(always))]
    fn scalar(a: f32, b: f32) -> f32 {
        if MAX { maximum(a, b) } else { minimum(a, b) }
    }
    #[cfg_attr(not(globalpool_unoptimized), inline(always))]
    unsafe fn value_split<V: Vector>(acc: V::Ext) -> (V, bool) {
        // SAFETY: see above the `Add` impl.
        unsafe { V::ext_split::<MAX>(acc) }
    }
    #[cfg_attr(not(globalpool_unoptimized), inline(always))]
    unsafe fn vec_plain<V: Vector>(a: V, b: V) -> V {
        // SAFETY: see above the `Add` impl.
        unsafe { V::ext_plain::<MAX>(a, b) }
    }
    #[cfg_attr(not(globalpool_unoptimized), inline(always))]
    unsafe fn check<V: Vector>(acc: V::Ext, x: V, y: V) -> V::Ext {
        // SAFETY: see above the `Add` impl.
        unsafe { V::ext_check::<MAX>(acc, x, y) }
    }
}

/// NCHW entry: every op.
///
/// # Safety
/// `V`'s instruction set is available; `input.len() == rows * spatial` and
/// `output.len() == rows` where `rows = batch * channels` (as `Task` guarantees).
#[cfg_attr(not(globalpool_unoptimized), inline(always))]
pub(crate) unsafe fn nchw<V: Vector>(input: &[f32], output: &mut [f32], dims: Dims, op: Op) {
    let rows = dims.batch.get() * dims.channels.get();
    let len = dims.spatial.get();
    let (i, o) = (input.as_ptr(), output.as_mut_ptr());
    // SAFETY: the caller guarantees the features and the lengths that `nchw_op` needs.
    unsafe {
        if len == 1 {
            return single::<V>(i, o, rows);
        }
        match op {
            Op::Sum => nchw_op::<V, Add>(i, o, rows, len, false, dims.ext_streams, false),
            Op::Avg => nchw_op::<V, Add>(i, o, rows, len, true, dims.ext_streams, false),
            Op::Max => nchw_op::<V, Max>(i, o, rows, len, false, dims.ext_streams, dims.ext_masked),
            Op::Min => nchw_op::<V, Min>(i, o, rows, len, false, dims.ext_streams, dims.ext_masked),
        }
    }
}

/// NHWC entry: every op.
///
/// # Safety
/// `V`'s instruction set is available; `input.len() == batch * spatial * channels` and
/// `output.len() == batch * channels` (as `Task` guarantees).
#[cfg_attr(not(globalpool_unoptimized), inline(always))]
pub(crate) unsafe fn nhwc<V: Vector>(input: &[f32], output: &mut [f32], dims: Dims, op: Op) {
    let (i, o) = (input.as_ptr(), output.as_mut_ptr());
    // SAFETY: the caller guarantees the features and the lengths that `nhwc_op` needs.
    unsafe {
        if dims.spatial.get() == 1 {
            return single::<V>(i, o, output.len());
        }
        match op {
            Op::Sum => nhwc_op::<V, Add>(i, o, dims, false),
            Op::Avg => nhwc_op::<V, Add>(i, o, dims, true),
            Op::Max => nhwc_op::<V, Max>(i, o, dims, false),
            Op::Min => nhwc_op::<V, Min>(i, o, dims, false),
        }
    }
}

/// One value per channel (`spatial == 1`, the same in both layouts): each result is the value
/// itself for every op (the canonical sum `-0.0 + x` and `x / 1` are `x`), only NaNs made
/// canonical. (The row kernels took 50-100 ns for 32 such channels: each a row of its own.)
///
/// # Safety
/// `input` readable and `output` writable for `n` values.
#[cfg_attr(not(globalpool_unoptimized), inline(always))]
unsafe fn single<V: Vector>(input: *const f32, output: *mut f32, n: usize) {
    let lanes = V::LANES;
    // SAFETY: every access is inside `0..n` of both.
    unsafe {
        let nan = V::splat(CANONICAL_NAN);
        let mut i = 0;
        while i + lanes <= n {
            let v = V::load(input.add(i));
            V::select(v.is_nan(), nan, v).store(output.add(i));
            i += lanes;
        }
        if i < n {
            let v = V::load_partial(input.add(i), n - i, 0.0);
            V::select(v.is_nan(), nan, v).store_partial(output.add(i), n - i);
        }
    }
}

/// `streams`: max / min stream more short rows, and fixed groups start at smaller inputs (see
/// [`nchw_groups`]); `masked`: max / min
/// rows of more than 256 values step by [`Reduce::step2_masked`] (`Kernels::ext_masked`).
///
/// # Safety
/// `input` readable for `rows * len` values, `output` writable for `rows`; `rows, len >= 1`.
#[cfg_attr(not(globalpool_unoptimized), inline(always))]
unsafe fn nchw_op<V: Vector, R: Reduce>(
    input: *const f32,
    output: *mut f32,
    rows: usize,
    len: usize,
    avg: bool,
    streams: bool,
    masked: bool,
) {
    // SAFETY: (for this whole block) every pointer formed stays inside `input` (rows `row < rows`, offsets
    // `< len`) or `output` (`row + group <= rows`).
    unsafe {
        // Every row's remainder has the same length: prepare its partial load once.
        let tail = V::tail((len % V::LANES).max(1), R::IDENTITY);
        // On paths of eight lanes or more, up to three rows go one at a time, as long rows do
        // (below): a group's fold of `LANES` vectors costs more than their own lane folds
        // (2026-12-06, A/B on AVX-512: one row of 16 to 1000 values 2.1-3.1x, of 4096
        // 1.3-1.45x; two rows of 196 to 2048 values 1.04-1.73x; three rows of 7 to 4096 values
        // 1.0-1.57x, but 1x3x2048 `avg` / `sum` 0.92-0.96x and 1x3x100 `max` 0.93x; four rows
        // and more: 0.7-1.1x, mostly slower. AVX2: 0.95-2.6x. SSE2, whose group is four rows:
        // 0.84-1.85x, 1x3x49 `avg` / `sum` 0.84-0.89x, in one run 0.6x, so not on paths of
        // four lanes).
        if len <= NCHW_BLOCK && (rows > 3 || V::LANES < 8) {
            // One block per row. LANES rows at a time: each row's states are folded to one
            // vector, then the LANES vectors' lane folds run together, transposed (vector `k`
            // with vector `k + 1` at level 0, those results pairwise at level 1, ...), written
            // out as a fixed tree so that every level is a constant.
            // Short rows: at most 256 values and 16 vectors, each row straight-line code
            // (`steps`: vector `j` into the sum's state `j % U` as in `block`, or every vector
            // into one state for max / min). (Rows of 65-256 values on AVX-512 went through
            // `block`'s loop of rounds before: straight-line is 1.1x faster on 14x14 maps,
            // 1.15-1.3x on 9x9 to 12x12; AVX2 rows of 65-128 values: `avg` 1.3x, max 1.02-1.08x.)
            let u = R::accumulators::<V>();
            let short = u.max(256 / V::LANES).min(16);
            if len <= short * V::LANES {
                // The vector count is a constant of the group loop (one jump per call, not per
                // row). `min(short)` bounds it for the optimizer: the arms above are dropped.
                macro_rules! arms {
                    ($($k:literal)*) => {
                        match (len / V::LANES).min(short) {
                            $($k => nchw_groups::<V, R, true, $k>(input, output, rows, len, avg, tail, streams, masked),)*
                            _ => nchw_groups::<V, R, true, 16>(input, output, rows, len, avg, tail, streams, masked),
                        }
                    };
                }
                arms!(0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15)
            } else {
                nchw_groups::<V, R, false, 0>(input, output, rows, len, avg, tail, false, masked);
            }
        } else {
            for row in 0..rows {
                let p = input.add(row * len);
                let mut total = Compensated::NEW;
                let mut other = R::IDENTITY;
                let mut start = 0;
                while start < len {
                    // Max / min need no blocks (their order does not matter): one per row,
                    // so one lane fold per row instead of one per `NCHW_BLOCK` values.
                    let n = if R::SUM {
                        (len - start).min(NCHW_BLOCK)
                    } else {
                        len - start
                    };
                    let b = hfold::<V, R>(block::<V, R>(p.add(start), n, tail, masked));
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

/// [`ext_row`] by [`Vector::ext_plain_flagged`]: the row's vectors stepped by the CPU's plain
/// max / min, NaNs reported in the status register (the caller reads it before and after).
///
/// # Safety
/// As for [`ext_row`]; the path has [`Vector::EXT_FLAGGED`].
#[cfg_attr(not(globalpool_unoptimized), inline(always))]
unsafe fn ext_row_flagged<V: Vector, R: Reduce, const FULL: usize>(
    a: *const f32,
    s: usize,
    part: usize,
) -> V {
    let lanes = V::LANES;
    // SAFETY: vectors `0..=FULL` from `a` are the caller's.
    unsafe {
        let (head, last) = row_ends::<V, FULL>(a, s, part);
        let mut acc = R::plain_flagged::<V>(head, last);
        for t in 1..FULL {
            acc = R::plain_flagged::<V>(acc, V::load(a.add(t * lanes)));
        }
        acc
    }
}

/// NCHW rows of one block each (`len <= NCHW_BLOCK`; short rows, see `nchw_op`, iff `SHORT`,
/// and then `FULL == len / LANES`), `LANES` rows at a time: [`stream_groups`] where it pays,
/// else [`plain_groups`]. `streams`: max / min stream rows of 3 whole vectors and at most one
/// value, and of 12 or more, too (`Kernels::ext_streams`); `masked`: as for `plain_groups`.
///
/// # Safety
/// As for `nchw_op`; `tail` prepared for `len % LANES`.
// (On targets without SIMD, where only the portable path's arrays reach here, a function of
// its own per row length: see `globalpool_no_simd` in build.rs.)
#[cfg_attr(not(any(globalpool_unoptimized, globalpool_no_simd)), inline(always))]
#[cfg_attr(all(globalpool_no_simd, not(globalpool_unoptimized)), inline(never))]
#[allow(clippy::too_many_arguments)]
unsafe fn nchw_groups<V: Vector, R: Reduce, const SHORT: bool, const FULL: usize>(
    input: *const f32,
    output: *mut f32,
    rows: usize,
    len: usize,
    avg: bool,
    tail: V::Tail,
    streams: bool,
    masked: bool,
) {
    let lanes = V::LANES;
    // Short rows of three vectors or more are read from aligned vectors (see `stream_row`) in
    // inputs of 64 KiB to 1 MiB (`NHWC_CACHED_BYTES`, usually the L2 cache), whole groups of
    // `LANES` rows; the rows after the last whole group go through `plain_groups` as one short
    // group. On AVX-512: 7x7 `avg` 1.2-1.39x, 9x9 to 16x16 `avg` 1.2-1.4x, `max` 1.1-1.34x. From
    // memory they were 2-9% slower (more loads); in smaller inputs, which the L1 cache may hold,
    // loads that straddle two cache lines cost less than the masked loads, the plans and the one
    // more vector a row (1x128x64 0.8x, 1x128x49 0.96x). Max / min from four vectors a row: with
    // three (7x7) they gained only 1.01-1.1x on 1280 rows, lost 10% on 64-100 rows, and rows of
    // 50-63 values, one more vector each, 0.7-0.9x. Shorter rows: 0.6-0.8x. On the AMD Zen 5 of the
    // later benchmarks 7x7 `max` lost 9-11% this way (1280 and 2048 rows), and so did rows of 12 to
    // 15 vectors: 14x14 `max` from the row starts is 1.13-1.19x faster (128 to 1024 rows), rows of
    // 208 and 225 values 1.12-1.21x, 16x16 the same either way; so max / min stream rows of 4 to 11
    // vectors (not measured without it on the Zen 5). Rows that all start on a vector boundary
    // (whole vectors, the input aligned) have no misaligned load to save, and go from their starts:
    // on an AMD Zen 4 (EPYC 9004), 1024 rows of 48 to 176 values, `max` 1.03-1.61x (8x8 maps
    // 1.54-1.61x), `avg` 1.0-1.12x. On an Intel Xeon with AMX (Sapphire Rapids or later,
    // 2026-12-04) max / min stream rows of 3 whole vectors and at most one value (7x7 `max`
    // 1.09-1.18x, 1280 and 2048 rows) and of 12 or more (14x14 1.15x, 15x15 1.36x, rows of 250
    // 1.29x, of 200 0.99x) as well (`streams`); not rows of 3 vectors and 2-15 values (0.8-0.93x).
    // Where the input starts, in values past a vector boundary.
    let s0 = (input as usize / size_of::<f32>()) % lanes;
    let stream_ext = if streams {
        FULL >= 4 || (FULL == 3 && len % lanes <= 1)
    } else {
        (4..12).contains(&FULL)
    };
    let kind = V::STREAM_ROWS
        && SHORT
        && (if R::SUM { FULL >= 3 } else { stream_ext })
        && !(len.is_multiple_of(lanes) && s0 == 0);
    let size = rows * len;
    let cached = kind && (16 * 1024..=NHWC_CACHED_BYTES / 4).contains(&size);
    // On the paths with `streams` (the Intel Xeon with AMX), fixed groups (`fixed_groups`: no
    // plan per row) pay from 4 Ki values (16 KiB, in the L1 cache) with two groups of rows or
    // more, and so do sums of rows of ten vectors or more by `stream_groups` (2026-12-06, A/B
    // on AVX-512: 1x100x49 to 1x256x49 `avg` / `sum` 1.28-1.57x, `max` 1.29-1.46x, 1x64x65
    // 1.3-1.49x, 1x32x196 and 1x40x196 1.12-1.28x, 1x48x100 and 1x64x100 `max` 1.34x, sums of
    // 1x64x169 to 1x40x250 1.01-1.28x, 1x60x169 only 1.01-1.07x). Other rows by `stream_groups` lost from 16 KiB: sums of
    // rows of 100 values 7-10% (48 and 64 rows), rows of 90 to 121 values 2-15%, 1x96x50 sums
    // 8-17%.
    let small =
        kind && streams && (4 * 1024..=NHWC_CACHED_BYTES / 4).contains(&size) && rows >= 2 * lanes;
    let fixed = cached || small;
    let stream = cached || (small && R::SUM && FULL >= 10);
    // SAFETY: the rows and outputs passed on are inside the caller's (`rows >= 16 * 1024 / 256
    // >= LANES` when `cached`, `rows >= 2 * LANES` when `small`).
    unsafe {
        // The rows done (the rest, fewer than `LANES`, go through `plain_groups` as one short
        // group). Sums of rows one value past whole vectors, and of 14x14 rows (four values past)
        // when every fourth row starts where the input does modulo the vector size, go in groups at
        // constant places (`stream_sums`), and so do max / min of rows one or four values past on
        // the paths with `streams` (`stream_exts`).
        // Which fixed groups each path and row length can take, as `const` blocks: the
        // compiler then builds no others. (`stream_exts` for every length and path made a
        // release build of the crate 65 s -> 101 s; with these and its NaN scan, 78 s.)
        // (Not as `let` bindings: a condition the compiler cannot see as a constant where it
        // branches builds the kernel anyway.)
        let done = if (const { V::STREAM_ROWS && SHORT && R::SUM && FULL <= STREAM_SUMS_FULL }
            || const { V::STREAM_ROWS && SHORT && !R::SUM && FULL >= 3 } && streams)
            && fixed
            && len % lanes == 1
        {
            fixed_groups::<V, R, SHORT, FULL, 1>(
                input, output, rows, len, avg, tail, s0, masked, !streams,
            )
        } else if (const { V::STREAM_ROWS && SHORT && R::SUM && FULL == 12 }
            || const { V::STREAM_ROWS && SHORT && !R::SUM && FULL >= 3 } && streams)
            && fixed
            && len % lanes == 4
            && s0.is_multiple_of(4)
        {
            fixed_groups::<V, R, SHORT, FULL, 4>(
                input, output, rows, len, avg, tail, s0, masked, !streams,
            )
        } else if stream {
            let whole = rows / lanes * lanes;
            stream_groups::<V, R, FULL>(input, output, whole, len, avg);
            whole
        } else {
            plain_groups::<V, R, SHORT, FULL>(input, output, rows, len, avg, tail, masked);
            rows
        };
        if done < rows {
            plain_groups::<V, R, SHORT, FULL>(
                input.add(done * len),
                output.add(done),
                rows - done,
                len,
                avg,
                tail,
                masked,
            );
        }
    }
}

/// [`stream_sums`] (max / min: [`stream_exts`]) of rows of `FULL` whole vectors and `PART`
/// values from the first row that starts on a vector boundary (the input starts `s0` values
/// past one, `s0` a multiple of `PART`, so row `(LANES - s0) % LANES / PART` does); the rows
/// before it, fewer than a group, go through `plain_groups`. `hints`: the sums ask for their
/// lines ahead (`stream_sums`' `HINTS`).
/// Returns the rows done (the rest, fewer than `LANES`, are the caller's).
///
/// # Safety
/// As for `nchw_groups`, with `rows >= 2 * LANES`.
#[cfg_attr(not(globalpool_unoptimized), inline(always))]
#[allow(clippy::too_many_arguments)]
unsafe fn fixed_groups<
    V: Vector,
    R: Reduce,
    const SHORT: bool,
    const FULL: usize,
    const PART: usize,
>(
    input: *const f32,
    output: *mut f32,
    rows: usize,
    len: usize,
    avg: bool,
    tail: V::Tail,
    s0: usize,
    flagged: bool,
    hints: bool,
) -> usize {
    let lanes = V::LANES;
    let skip = (lanes - s0) % lanes / PART;
    let groups = (rows - skip) / lanes;
    // SAFETY: `skip < LANES <= rows`, so the first `skip` rows and the groups after them are
    // inside the caller's rows; row `skip` starts on a vector boundary.
    unsafe {
        if skip > 0 {
            plain_groups::<V, R, SHORT, FULL>(input, output, skip, len, avg, tail, false);
        }
        let (i, o) = (input.add(skip * len), output.add(skip));
        if R::SUM && hints {
            stream_sums::<V, FULL, PART, true>(i, o, groups, len, avg);
        } else if R::SUM {
            stream_sums::<V, FULL, PART, false>(i, o, groups, len, avg);
        } else {
            stream_exts::<V, R, FULL, PART>(i, o, groups, len, flagged);
        }
    }
    skip + groups * lanes
}

/// Short NCHW rows (`FULL` whole vectors and `len % LANES` values), `LANES` rows at a time
/// (`rows` a multiple of `LANES`), each read as the aligned vectors it overlaps
/// ([`stream_row`]), two rows per turn of the rolled row loop.
///
/// # Safety
/// As for `nchw_op`; `rows` a multiple of `LANES`.
#[cfg_attr(not(globalpool_unoptimized), inline(always))]
unsafe fn stream_groups<V: Vector, R: Reduce, const FULL: usize>(
    input: *const f32,
    output: *mut f32,
    rows: usize,
    len: usize,
    avg: bool,
) {
    let lanes = V::LANES;
    let part = len % lanes;
    // Every group starts `LANES * len` values (whole vectors) after the one before: the same
    // plans for all.
    let plan = plan_rows(input, len, lanes, FULL, part);
    // SAFETY: (for this whole block) a group's rows `start..start + LANES` are inside `input`,
    // its outputs inside `output`; the plans' lanes are those of the rows.
    unsafe {
        let mut folded = [V::splat(R::IDENTITY); MAX_LANES];
        // An opaque count keeps the loop rolled (see `Vector::NCHW_ROLLED`), and the plans are
        // read through an opaque pointer: with them in view, the optimizer unrolled the loop
        // and spilled.
        let turns = core::hint::black_box(lanes / 2);
        let plans = core::hint::black_box(&raw const plan);
        for start in (0..rows).step_by(lanes) {
            let p = input.add(start * len);
            for (k, two) in folded.chunks_exact_mut(2).enumerate().take(turns) {
                for (i, f) in two.iter_mut().enumerate() {
                    // `j < LANES <= MAX_LANES`: inside every array of `plan`.
                    let j = 2 * k + i;
                    let r = RowPlan {
                        at: (&raw const (*plans).at).cast::<isize>().add(j).read(),
                        first: (&raw const (*plans).first).cast::<u32>().add(j).read(),
                        last: (&raw const (*plans).last).cast::<u32>().add(j).read(),
                        past: (&raw const (*plans).past).cast::<u32>().add(j).read(),
                    };
                    let a = p.wrapping_offset(r.at);
                    *f = if part >= 2 {
                        stream_row::<V, R, FULL, true>(a, r)
                    } else {
                        stream_row::<V, R, FULL, false>(a, r)
                    };
                }
            }
            let v = fold_group::<V, R, false>(&folded);
            finish::<V, R>(v, V::splat(0.0), avg, len).store(output.add(start));
        }
    }
}

/// The longest short NCHW rows (in whole vectors) that [`plain_groups`] asks the cache for
/// ahead of ([`prefetch_ahead`](super::prefetch_ahead)), on paths that do
/// (`Vector::SHORT_ROW_HINTS`). On AVX-512 on an AMD Zen 5, against
/// the same build without the hints: 7x7 `max` 1.17-1.21x (1280 and 2048 rows), 8x64x7x7
/// 1.08x, rows of 100 values level; 14x14 `max` (twelve vectors) 0.87x with them. Longer
/// rows' max / min are asked for in inputs of more than 1 MiB (`NHWC_CACHED_BYTES`): on the
/// Intel Xeon with AMX (2 MiB of L2), rows of 128 and 144 values from memory 1.02-1.06x
/// (92-95% -> 95-100% of the probe; their sums read at 99-107% without), rows of 196 and 256
/// values of 1.3-1.6 MB inputs (L2-resident there) 1.03-1.3x; not measured on an AMD CPU.
const PREFETCH_FULL: usize = 6;

/// The longest rows (in whole vectors) whose sums take [`stream_sums`].
const STREAM_SUMS_FULL: usize = 6;

/// Sums of short NCHW rows of `FULL` whole vectors and `PART` values, `PART` a divisor of
/// `LANES` (one: 7x7, 9x9, ...; four: 14x14), in groups of `LANES` rows of which the first
/// starts on a vector boundary (`input` aligned to the vector size): row `j` of a group then
/// starts at lane `j * PART % LANES` of the group's vector `j * FULL + j * PART / LANES` and
/// ends `FULL` vectors further on (with `PART == 1`: from lane `j` of vector `FULL * j` to lane
/// `j` of vector `FULL * j + FULL`), the same for every group, and the group is exactly `PART *
/// len` aligned vectors. Each is loaded once (a vector shared by two rows serves both), and
/// every address and lane mask is a constant of the code: [`stream_sum`] for every row, written
/// out, then the fixed tree. On AVX-512 against [`stream_groups`], whose rows read their
/// places and lanes from a plan (four scalar loads a row, and the vector two rows share loaded
/// by both): 1x1280x7x7 and 1x2048x7x7 `avg` 1.19-1.25x faster, rows of 65, 81 and 97 values
/// 1.2-1.29x, inputs 0 or 16 bytes past a 64-byte boundary alike. (Only rows of one value past
/// whole vectors: with a constant `len % LANES` of 1, every group can start on a vector
/// boundary whatever the input's alignment. Longer rows keep to `stream_groups`, for the
/// build's size: each `FULL` is its own copy of sixteen rows.)
///
/// With `HINTS`, each row's lines are asked for ahead
/// ([`prefetch_ahead`](super::prefetch_ahead)): on AVX-512 on an AMD Zen 5, 7x7 `avg`
/// 1.02-1.05x, 14x14 1.09x. Not on the paths with `Kernels::ext_streams` (the Intel Xeon with
/// AMX), where the hints, one load a line, cost more than they gave (A/B without them, three
/// runs, 2026-12-06: 7x7 `sum` 1.03-1.06x, `avg` 0.96-1.04x, 1280 and 2048 rows; 14x14
/// 1.05-1.1x; 1x64x14x14 1.25-1.4x; in one run 8x1280x7x7 `avg`, from the L3 cache, 1.09x).
///
/// # Safety
/// As for `nchw_op`, for `groups * LANES` rows; `input` aligned to `LANES` values.
#[cfg_attr(not(globalpool_unoptimized), inline(always))]
unsafe fn stream_sums<V: Vector, const FULL: usize, const PART: usize, const HINTS: bool>(
    input: *const f32,
    output: *mut f32,
    groups: usize,
    len: usize,
    avg: bool,
) {
    let lanes = V::LANES;
    let u = Add::accumulators::<V>();
    let all = (1u32 << lanes) - 1;
    // Row `j` of a group starts at value `j * len` = `j * (FULL * LANES + PART)`: in vector
    // `j * FULL + j * PART / LANES`, at lane `j * PART % LANES`; it ends in lane
    // `(j * PART + PART - 1) % LANES` of the vector `FULL` further on (`PART` divides `LANES`,
    // so no row's end spills into one vector more).
    let start = |j: usize| (j * PART % lanes) as u32;
    // SAFETY: (for this whole block) group `g`'s rows are `g * LANES..(g + 1) * LANES`, inside
    // the caller's; its outputs likewise.
    unsafe {
        for g in 0..groups {
            let p = input.add(g * lanes * len);
            let mut folded = [V::splat(-0.0); MAX_LANES];
            macro_rules! rows {
                ($($j:literal)*) => {$(
                    if $j < lanes {
                        if let Some(f) = folded.get_mut($j) {
                            let a = p.add(($j * FULL + $j * PART / lanes) * lanes);
                            if HINTS {
                                super::prefetch_ahead(a, super::row_lines::<f32>(FULL, lanes));
                            }
                            *f = stream_sum::<V, FULL>(
                                a,
                                all & !((1 << start($j)) - 1),
                                (1 << (start($j) + PART as u32)) - 1,
                                u,
                            );
                        }
                    }
                )*};
            }
            rows!(0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15);
            let v = fold_group::<V, Add, false>(&folded);
            finish::<V, Add>(v, V::splat(0.0), avg, len).store(output.add(g * lanes));
        }
    }
}

/// Max / min of short NCHW rows of `FULL` whole vectors and `PART` values, `PART` a divisor
/// of `LANES` (one: 7x7, 9x9, 15x15; four: 10x10, 14x14), as [`stream_sums`] takes their
/// sums: in groups of `LANES` rows of which the first starts on a vector boundary, so that
/// row `j` runs from lane `j * PART % LANES` of the group's vector `j * FULL + j * PART /
/// LANES` to the lane `PART - 1` further of the vector `FULL` after it, the same in every
/// group. Each row is its whole vectors, loaded where they lie, and its first and last
/// `LANES` values, each spliced from the two aligned vectors that hold them
/// ([`Vector::splice`], the lane counts constants of the code): only the row's values, some
/// twice, which does not change an extreme. No masks, no plans, no load that straddles two
/// cache lines. The rows' values and NaN checks as in [`plain_groups`]
/// ([`Reduce::value_split`]), the fold by the plain tree; in a group in which a row saw a
/// NaN, the rows that hold one are found by a plain scan ([`nan_rows`]) and get a NaN. On
/// the Intel Xeon with AMX (A/B against [`stream_groups`], the plans and masked loads, on the
/// paths that stream, `Kernels::ext_streams`): 7x7 `max` / `min` 1.25-1.39x (44-48% -> 59-60%
/// of the probe, 1280 and 2048 rows), 14x14 1.17-1.28x (61-69% -> 74-81%), rows of 65 1.28x,
/// 81 1.33x, 100 1.44-1.48x, 145 1.15x, 180 1.25x, 225 and 241 1.05-1.07x. (The first and
/// last values by unaligned loads instead of splices: 0.87-0.88x. The NaN checks on sums of
/// pairs, half the compares: 0.72-0.94x.) Not measured on the AMD CPUs: there it is not used.
///
/// # Safety
/// As for `nchw_op`, for `groups * LANES` rows; `input` aligned to `LANES` values; `len ==
/// FULL * LANES + PART`.
#[cfg_attr(not(globalpool_unoptimized), inline(always))]
unsafe fn stream_exts<V: Vector, R: Reduce, const FULL: usize, const PART: usize>(
    input: *const f32,
    output: *mut f32,
    groups: usize,
    len: usize,
    flagged: bool,
) {
    let lanes = V::LANES;
    // SAFETY: (for this whole block) group `g`'s rows are `g * LANES..(g + 1) * LANES`, inside
    // the caller's: `FULL * LANES + PART` aligned vectors from `p`, of which row `j` reads
    // the `FULL + 1` from vector `j * FULL + j * PART / LANES` (the last, for `j = LANES - 1`,
    // is vector `FULL * LANES + PART - 1`: inside). Its outputs likewise.
    unsafe {
        for g in 0..groups {
            let p = input.add(g * lanes * len);
            // `$body` for each row `j < LANES` of the group, written out (so that the row's
            // lanes are constants of the code), with `$f` its place in `$folded`, `$a` its
            // first aligned vector and `$s` its first lane there.
            macro_rules! each_row {
                ($folded:ident, |$f:ident, $a:ident, $s:ident| $body:expr) => {
                    each_row!(@rows $folded, $f, $a, $s, $body;
                        0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15)
                };
                (@rows $folded:ident, $f:ident, $a:ident, $s:ident, $body:expr; $($j:literal)*) => {$(
                    if $j < lanes
                        && let Some($f) = $folded.get_mut($j)
                    {
                        let $a = p.add(($j * FULL + $j * PART / lanes) * lanes);
                        let $s = $j * PART % lanes;
                        $body
                    }
                )*};
            }
            // On the paths of `Kernels::ext_masked` with a flagged max / min: the rows by the
            // plain max / min between two reads of the invalid-operation flag, folded by the
            // plain tree (exact without NaNs); kept unless the flag was or got set or a row's
            // result is +-0 (whose sign the plain steps do not order).
            if flagged && const { V::EXT_FLAGGED } && !V::invalid_flag() {
                let mut folded = [V::splat(R::IDENTITY); MAX_LANES];
                each_row!(folded, |f, a, s| *f =
                    ext_row_flagged::<V, R, FULL>(a, s, PART));
                if !V::invalid_flag() {
                    let v = fold_group::<V, R, true>(&folded);
                    if !v.any_zero() {
                        finish::<V, R>(v, V::splat(0.0), false, len).store(output.add(g * lanes));
                        continue;
                    }
                }
            }
            let mut folded = [V::splat(R::IDENTITY); MAX_LANES];
            let mut nan = false;
            each_row!(folded, |f, a, s| {
                let (v, n) = ext_row::<V, R, FULL>(a, s, PART);
                *f = v;
                nan |= n;
            });
            let v = fold_group::<V, R, true>(&folded);
            // In a group where a row saw a NaN, the rows that hold one (found by a plain scan)
            // get a NaN (`finish` makes it the canonical one). (A flag per row instead, as in
            // `plain_groups`, was assembled by the compiler in vector registers: 7x7 `max` 1.0x
            // against the plans instead of 1.26x, 9x9 1.17x instead of 1.33x.)
            let v = if nan {
                v.add_bits(V::splat(f32::NAN), nan_rows(p, len, lanes))
            } else {
                v
            };
            finish::<V, R>(v, V::splat(0.0), false, len).store(output.add(g * lanes));
        }
    }
}

/// Bit `j` for each of the `rows` rows of `len` values from `p` that holds a NaN (`rows <=
/// 32`). Scalar: only for the rare groups that hold one.
///
/// # Safety
/// `p..p + rows * len` readable.
#[inline(never)]
unsafe fn nan_rows(p: *const f32, len: usize, rows: usize) -> u32 {
    // SAFETY: the caller's range.
    let values = unsafe { core::slice::from_raw_parts(p, rows * len) };
    let mut bits = 0;
    for (j, row) in values.chunks_exact(len.max(1)).take(32).enumerate() {
        if row.iter().any(|x| x.is_nan()) {
            bits |= 1 << j;
        }
    }
    bits
}

/// One row of [`stream_exts`], from lane `s` of the aligned vector at `a` to lane
/// `s + part - 1` of the vector `FULL` after it (`s + part <= LANES`), as
/// [`Reduce::value_split`] gives it. (A function of its own, not in `stream_exts`' written-out
/// rows: without optimization each copy kept its own stack slots, which overflowed the stack
/// test.)
///
/// # Safety
/// The `FULL + 1` aligned vectors from `a` readable; `s` and `part` constants once inlined
/// (for one instruction per splice).
#[cfg_attr(not(globalpool_unoptimized), inline(always))]
unsafe fn ext_row<V: Vector, R: Reduce, const FULL: usize>(
    a: *const f32,
    s: usize,
    part: usize,
) -> (V, bool) {
    let lanes = V::LANES;
    // SAFETY: vectors `0..=FULL` from `a` are the caller's.
    unsafe {
        let (head, last) = row_ends::<V, FULL>(a, s, part);
        // The row's vectors: `head`, the whole ones, `last`, in pairs.
        let mut acc = if FULL >= 2 {
            R::start_pair(head, V::load(a.add(lanes)))
        } else {
            R::start_pair(head, last)
        };
        let mut t = 2;
        while t + 1 < FULL {
            acc = R::step_pair(
                acc,
                V::load(a.add(t * lanes)),
                V::load(a.add((t + 1) * lanes)),
            );
            t += 2;
        }
        if FULL >= 2 {
            acc = if t < FULL {
                R::step_pair(acc, V::load(a.add(t * lanes)), last)
            } else {
                R::step(acc, last)
            };
        }
        R::value_split(acc)
    }
}

/// The first and the last `LANES` values of a row of [`stream_exts`] ([`ext_row`]), each
/// spliced from the two aligned vectors that hold them: from lane `s` of the vector at `a`, and
/// up to lane `s + part - 1` of the vector `FULL` after it.
///
/// # Safety
/// As for [`ext_row`].
#[cfg_attr(not(globalpool_unoptimized), inline(always))]
unsafe fn row_ends<V: Vector, const FULL: usize>(a: *const f32, s: usize, part: usize) -> (V, V) {
    let lanes = V::LANES;
    // SAFETY: vectors `0..=FULL` from `a` are the caller's.
    unsafe {
        let end = a.add(FULL * lanes);
        (
            V::splice(V::load(a), V::load(a.add(lanes)), s),
            V::splice(V::load(end.sub(lanes)), V::load(end), s + part),
        )
    }
}

/// NCHW rows of one block each (`len <= NCHW_BLOCK`; short rows, see `nchw_op`, iff `SHORT`,
/// and then `FULL == len / LANES`), `LANES` rows at a time, each row read from its start.
/// `masked`: rows that are not short step by [`Reduce::step2_masked`] (see [`block`]).
///
/// # Safety
/// As for `nchw_op`; `tail` prepared for `len % LANES`.
#[cfg_attr(not(globalpool_unoptimized), inline(always))]
unsafe fn plain_groups<V: Vector, R: Reduce, const SHORT: bool, const FULL: usize>(
    input: *const f32,
    output: *mut f32,
    rows: usize,
    len: usize,
    avg: bool,
    tail: V::Tail,
    masked: bool,
) {
    // SAFETY: (for this whole block) a group's rows `row..row + n` (`n <= LANES`) are inside
    // `input`, its outputs `row..row + n` inside `output`.
    unsafe {
        // Each row of a group is reduced to one vector by the same (inlined once) code; the
        // fixed tree then folds the group's vectors with constant indices.
        let lanes = V::LANES;
        // Groups of `LANES` rows; the rows after the last whole group, fewer than `LANES`, are
        // one more group, each of its rows reduced once (a rolled loop) and its other slots
        // filled with its first row's vector: a lane's fold reads its own slot alone, so the
        // same bits, and only its rows' lanes are stored. (They were one more whole group
        // overlapping the one before, its first rows computed again: 1x17x1024 `avg` read at
        // 46% of the probe where 1x16x1024 read at 84%.)
        let mut folded = [V::splat(R::IDENTITY); MAX_LANES];
        // A rolled loop (see `Vector::NCHW_ROLLED`; an opaque count keeps it so) takes two rows
        // per turn. On AVX-512: 7x7 `max` / `min` 1.22-1.3x faster, 8x8 and 9x9 `avg` / `max`
        // 1.05-1.15x, 14x14 1.05x, other lengths 0.95-1.09x (sums of 32-63 values 0.95-0.98x,
        // as with one row per turn for those alone: the placement of the code); four rows per
        // turn: no better.
        let pairs = V::NCHW_ROLLED && SHORT;
        // Rows asked for ahead (`prefetch_ahead`): short ones of inputs larger than an L1 data
        // cache (a 6 KB input, 32 rows of 49 values: 0.9x with it), and max / min of longer
        // ones in inputs of more than 1 MiB (see `PREFETCH_FULL`).
        let bytes = rows * len * size_of::<f32>();
        let ahead = V::SHORT_ROW_HINTS
            && ((FULL <= PREFETCH_FULL && bytes > 32 * 1024)
                || (!R::SUM && bytes > NHWC_CACHED_BYTES));
        let group_rows = if pairs {
            core::hint::black_box(lanes / 2)
        } else {
            lanes
        };
        // Short rows give their value and whether they saw a NaN ([`short_row`]): on
        // paths that keep NaNs out of band (`Vector::ext_split`, for max / min), the fold then
        // ignores NaNs (`PLAIN` trees) and the rows that saw one get a NaN at the end (AVX-512
        // on the Zen 5: 7x7 `max` / `min` 1.02-1.1x, 100 to 2048 rows; 14x14 and 16x16
        // 0.98-1.03x); elsewhere the flag is always `false` and the trees are the usual ones.
        let whole = rows - rows % lanes;
        let mut row = 0;
        while row < whole {
            let p = input.add(row * len);
            let mut nans = 0u32;
            if pairs {
                for (k, two) in folded.chunks_exact_mut(2).enumerate().take(group_rows) {
                    for (i, f) in two.iter_mut().enumerate() {
                        let q = p.add((2 * k + i) * len);
                        if ahead {
                            super::prefetch_ahead(q, super::row_lines::<f32>(FULL, lanes));
                        }
                        let (v, nan) = short_row::<V, R, FULL>(q, len % lanes, tail);
                        *f = v;
                        nans |= u32::from(nan) << (2 * k + i);
                    }
                }
            } else {
                for (k, f) in folded.iter_mut().enumerate().take(group_rows) {
                    let q = p.add(k * len);
                    *f = if SHORT {
                        if ahead {
                            super::prefetch_ahead(q, super::row_lines::<f32>(FULL, lanes));
                        }
                        let (v, nan) = short_row::<V, R, FULL>(q, len % lanes, tail);
                        nans |= u32::from(nan) << k;
                        v
                    } else {
                        block::<V, R>(q, len, tail, masked)
                    };
                }
            }
            fold_store::<V, R, SHORT>(&folded, nans, avg, len, output.add(row), lanes);
            row += lanes;
        }
        if whole < rows {
            // (1x3x4096 `avg` read each row 16 times before the rows of a short group were
            // reduced once: 1.5 us a call where 1x3x4100, one block a row, took 0.24 us.)
            let p = input.add(whole * len);
            let n = rows - whole;
            let mut nans = 0u32;
            for (k, f) in folded.iter_mut().enumerate().take(n) {
                let q = p.add(k * len);
                let (v, nan) = if SHORT {
                    short_row::<V, R, FULL>(q, len % lanes, tail)
                } else {
                    (block::<V, R>(q, len, tail, masked), false)
                };
                *f = v;
                nans |= u32::from(nan) << k;
            }
            let first = folded[0];
            for f in folded.iter_mut().take(lanes).skip(n) {
                *f = first;
            }
            fold_store::<V, R, SHORT>(&folded, nans, avg, len, output.add(whole), n);
        }
    }
}

/// The results of a group of rows (see [`plain_groups`]): the lane folds of its vectors, a NaN
/// in the lanes of `nans`, the final touches, stored for the first `n` rows (`n <= LANES`).
///
/// # Safety
/// `output` writable for `n` values; the path's CPU features.
#[cfg_attr(not(globalpool_unoptimized), inline(always))]
unsafe fn fold_store<V: Vector, R: Reduce, const PLAIN: bool>(
    folded: &[V; MAX_LANES],
    nans: u32,
    avg: bool,
    len: usize,
    output: *mut f32,
    n: usize,
) {
    // SAFETY: passed on from the caller.
    unsafe {
        let v = fold_group::<V, R, PLAIN>(folded);
        // (`finish` makes these NaNs the canonical one.)
        let v = if nans == 0 {
            v
        } else {
            v.add_bits(V::splat(f32::NAN), nans)
        };
        let v = finish::<V, R>(v, V::splat(0.0), avg, len);
        if n == V::LANES {
            v.store(output);
        } else {
            v.store_partial(output, n);
        }
    }
}

/// One NCHW block: `n` values (`1 <= n`, at most `NCHW_BLOCK` for the sum) from `p` into
/// `U = R::accumulators()` states, value `i` in lane `i % LANES` of state `(i / LANES) % U` (for
/// the sum: partial `i % 64`), then the states folded by halves (`s[j]` with `s[j + U/2]`, ...)
/// to one. `tail` must be prepared for `n % LANES` values (when that is not zero). (Short rows
/// go straight to [`steps`] instead.)
///
/// On paths with `Vector::ALIGN_LOADS`, a block of at least `ALIGN_FROM` values that starts `h`
/// values before a vector-size boundary (`0 < h < LANES`) loads those `h` on their own, into
/// the last lanes of state `U - 1` (as if a vector started `LANES - h` values before `p`), and
/// every other load aligned: value `i` then goes to lane `(i - h) % LANES` of state
/// `((i - h) / LANES) % U`. For the sum, state lane `(j, t)` holds canonical partial
/// `(LANES * j + t + h) % 64`, its values added in the canonical order: the 64 partials sit
/// rotated by `h` on their ring. The fold by halves adds partial `k` to partial `k + 32 (mod
/// 64)`, then `k` to `k + 16 (mod 32)`, ..., antipodal pairs at every level, which a rotation
/// maps to the same pairs: it gives the canonical block sum bit for bit with no rotation back.
/// (Max / min do not depend on the order at all.) With `masked`, max / min step their pairs of
/// states by [`Reduce::step2_masked`] (the same states).
///
/// # Safety
/// `p..p + n` readable.
#[cfg_attr(not(globalpool_unoptimized), inline(always))]
unsafe fn block<V: Vector, R: Reduce>(p: *const f32, n: usize, tail: V::Tail, masked: bool) -> V {
    let lanes = V::LANES;
    // (A second loop only where the masked step differs.)
    let masked = masked && const { !R::SUM && V::EXT_STEP2_MASKED };
    // SAFETY: the caller's obligation (the path's CPU features) is passed on.
    let mut acc = [unsafe { R::init::<V>() }; MAX_ACC];
    if V::ALIGN_LOADS && n >= ALIGN_FROM {
        let h = to_boundary(p, lanes);
        // (Its own return, not a shifted start in the code below: the short rows of
        // `nchw_groups` run that code, and a run-time `h` there made 14x14 maps 4-16% slower.)
        if h > 0 {
            let u = R::accumulators::<V>();
            // SAFETY: `p..p + h` and `p + h..p + n` are inside the caller's range.
            unsafe {
                if let Some(a) = acc.get_mut(u - 1) {
                    *a = R::step(*a, V::load_end(p, h, R::IDENTITY));
                }
                let m = n - h;
                let tail = V::tail((m % lanes).max(1), R::IDENTITY);
                return if masked {
                    rounds::<V, R, true>(acc, p.add(h), m, tail)
                } else {
                    rounds::<V, R, false>(acc, p.add(h), m, tail)
                };
            }
        }
    }
    // SAFETY: the caller's range.
    unsafe {
        if masked {
            rounds::<V, R, true>(acc, p, n, tail)
        } else {
            rounds::<V, R, false>(acc, p, n, tail)
        }
    }
}

/// The rest of [`block`]: `n` values from `p` into the states `acc` by whole rounds of
/// `U` vectors (vector `k` into state `k % U`; pairs of states by [`Reduce::step2_masked`]
/// with `MASKED`), then the remainder, then the fold.
///
/// # Safety
/// `p..p + n` readable; `tail` prepared for `n % LANES`.
#[cfg_attr(not(globalpool_unoptimized), inline(always))]
unsafe fn rounds<V: Vector, R: Reduce, const MASKED: bool>(
    mut acc: [R::Acc<V>; MAX_ACC],
    p: *const f32,
    n: usize,
    tail: V::Tail,
) -> V {
    let lanes = V::LANES;
    let u = R::accumulators::<V>();
    let round = u * lanes;
    // SAFETY: (for this whole block) loads stay below `p + n`: full rounds cover
    // `n / round * round` values, the remainder the rest (see `remainder`).
    unsafe {
        let mut q = p;
        let mut full = n / round;
        // Long rows on the CPUs of `Kernels::ext_masked` with a flagged loop: the full rounds
        // by it, stepped again from the states' copy if it reports a NaN or a zero.
        if MASKED && const { V::EXT_FLAGGED } && u == 4 && full >= FLAGGED_ROUNDS {
            let copy = acc;
            if R::rounds_flagged::<V>(&mut acc, q, full) {
                q = q.add(full * round);
                full = 0;
            } else {
                acc = copy;
            }
        }
        for _ in 0..full {
            // In pairs of states (`Reduce::step2`; for the sum the same as two steps); `u` is
            // even on every path (a lone last state would take a plain step).
            let (pairs, rest) = acc.split_at_mut(u - u % 2);
            let (pairs, _) = pairs.as_chunks_mut::<2>();
            for (j, [a, b]) in pairs.iter_mut().enumerate() {
                let x = q.add(2 * j * lanes);
                let (x, y) = (V::load(x), V::load(x.add(lanes)));
                (*a, *b) = if MASKED {
                    R::step2_masked(*a, *b, x, y)
                } else {
                    R::step2(*a, *b, x, y)
                };
            }
            if u % 2 == 1
                && let Some(a) = rest.first_mut()
            {
                *a = R::step(*a, V::load(q.add((u - 1) * lanes)));
            }
            q = q.add(round);
        }
        remainder::<V, R>(acc, q, n % round, tail)
    }
}

/// One short NCHW row (`FULL` whole vectors and `part` values) reduced to one vector, and
/// whether that vector stands for a NaN it does not hold: the sum's states by [`steps`] (never),
/// or max / min by one [`chain`] as [`Reduce::value_split`] gives it (only on paths that keep
/// NaNs out of band).
///
/// # Safety
/// `q..q + FULL * LANES + part` readable; `tail` prepared for `part`.
#[cfg_attr(not(globalpool_unoptimized), inline(always))]
unsafe fn short_row<V: Vector, R: Reduce, const FULL: usize>(
    q: *const f32,
    part: usize,
    tail: V::Tail,
) -> (V, bool) {
    // SAFETY: the caller's obligations are those of `steps` and `chain`.
    unsafe {
        if R::SUM {
            (
                steps::<V, R, FULL>([R::init::<V>(); MAX_ACC], q, part, tail),
                false,
            )
        } else {
            R::value_split(chain::<V, R, FULL>(q, part, tail))
        }
    }
}

/// Where the short NCHW rows of a group lie among the aligned vectors (paths with
/// `Vector::STREAM_ROWS`, see [`stream_row`]), row `j` at index `j`: one array per field, so
/// that [`plan_rows`] vectorizes.
struct RowPlans {
    /// The row's first aligned vector, in values from the group's first row.
    at: [isize; MAX_LANES],
    /// The row's lanes (bit `l` for lane `l`) in its vector 0, in vector `K` (when `K > 0`) and
    /// in vector `K + 1`, for rows of `K` whole vectors and some values.
    first: [u32; MAX_LANES],
    last: [u32; MAX_LANES],
    past: [u32; MAX_LANES],
}

/// One row's [`RowPlans`].
#[derive(Clone, Copy)]
struct RowPlan {
    at: isize,
    first: u32,
    last: u32,
    past: u32,
}

/// The [`RowPlans`] of a group's rows (row `j` at `p + j * stride`), rows of `k` whole vectors
/// and `part` values. Every group whose first row is as far into its aligned vector as `p`
/// has the same plans (a group moves on by `LANES * len` values, whole vectors).
#[cfg_attr(not(globalpool_unoptimized), inline(always))]
fn plan_rows(p: *const f32, stride: usize, lanes: usize, k: usize, part: usize) -> RowPlans {
    let bits = |lo: usize, hi: usize| ((1u32 << hi) - 1) & !((1u32 << lo) - 1);
    // `p` is `f32`-aligned; `lanes` is a power of two.
    let s0 = p as usize / core::mem::size_of::<f32>();
    let mut plans = RowPlans {
        at: [0; MAX_LANES],
        first: [0; MAX_LANES],
        last: [0; MAX_LANES],
        past: [0; MAX_LANES],
    };
    let rows = plans
        .at
        .iter_mut()
        .zip(plans.first.iter_mut())
        .zip(plans.last.iter_mut().zip(plans.past.iter_mut()));
    for (j, ((at, first), (last, past))) in rows.enumerate().take(lanes) {
        let s = s0.wrapping_add(j * stride) & (lanes - 1);
        // The row ends at lane `e` of vector `k` (`e <= lanes`) or `e - lanes` of `k + 1`.
        let e = s + part;
        *at = (j * stride) as isize - s as isize;
        *first = bits(s, if k == 0 { e.min(lanes) } else { lanes });
        *last = bits(0, e.min(lanes));
        *past = bits(0, e.saturating_sub(lanes));
    }
    plans
}

/// One short NCHW row (`K` whole vectors and `part < LANES` values) read as the aligned
/// vectors it overlaps from `a` (paths with `Vector::STREAM_ROWS`; `plan` says which lanes
/// are the row's): a row of 49 values that starts `s` lanes into a vector is lanes `s..16` of
/// one aligned vector, two whole ones and lanes `0..s + 1` of a fourth, each read by a masked
/// load, the other lanes the identity. No load straddles two cache lines. `TWO` iff
/// `part >= 2`: then a row may reach into one more vector (`s + part > LANES`), which is
/// loaded for every row (masked to nothing where the row ends before).
///
/// For the sum this is the canonical order rotated by `s`: value `i` is in lane
/// `(i + s) % LANES` of vector `(i + s) / LANES`, vector `t` goes to state `t % U`, so state
/// lane `(j, l)` holds canonical partial `(LANES * j + l - s) mod 64`, its values in their
/// order; the fold by halves pairs antipodal partials, which a rotation maps to the same
/// pairs (as in [`block`]): the canonical sum bit for bit.
///
/// # Safety
/// The row's values, lanes `plan` of vectors `a + LANES * t`, readable; `K <= MAX_ACC`.
#[cfg_attr(not(globalpool_unoptimized), inline(always))]
unsafe fn stream_row<V: Vector, R: Reduce, const K: usize, const TWO: bool>(
    a: *const f32,
    plan: RowPlan,
) -> V {
    let n = K + 1 + usize::from(TWO);
    // SAFETY: the caller's obligation (the path's CPU features) is passed on.
    let mut v = [unsafe { V::splat(R::IDENTITY) }; MAX_ACC + 2];
    for (t, x) in v.iter_mut().enumerate().take(n) {
        let p = a.wrapping_add(t * V::LANES);
        // SAFETY: the lanes read are the row's (vectors `1..K` whole); masked ones are not read.
        *x = unsafe {
            if t == 0 {
                V::load_bits(p, plan.first, R::IDENTITY)
            } else if t < K {
                V::load(p)
            } else if t == K {
                V::load_bits(p, plan.last, R::IDENTITY)
            } else {
                V::load_bits(p, plan.past, R::IDENTITY)
            }
        };
    }
    // SAFETY: the caller's obligation (the path's CPU features) is passed on.
    unsafe {
        if R::SUM {
            let mut acc = [R::init::<V>(); MAX_ACC];
            let u = R::accumulators::<V>();
            for (t, x) in v.iter().enumerate().take(n) {
                if let Some(a) = acc.get_mut(t % u) {
                    *a = R::step(*a, *x);
                }
            }
            fold_states::<V, R>(acc, false)
        } else {
            // One chain, two vectors at a time (`Reduce::step_pair`), the first pair starting it.
            let mut chain = v.chunks_exact(2).take(n / 2);
            let mut acc = match chain.next() {
                Some(&[x, y]) => R::start_pair(x, y),
                _ => R::init::<V>(),
            };
            for pair in chain {
                if let &[x, y] = pair {
                    acc = R::step_pair(acc, x, y);
                }
            }
            if n % 2 == 1
                && let Some(x) = v.get(n - 1)
            {
                acc = R::step(acc, *x);
            }
            R::value(acc)
        }
    }
}

/// The sum of one short NCHW row of `K` whole vectors and one value, which starts at lane `j`
/// of an aligned vector and ends at lane `j` of the `K`-th after it, read as the `K + 1`
/// aligned vectors it overlaps, as [`stream_row`] reads it, but with plain loads and the row's
/// lanes picked by the additions ([`Vector::add_bits`]; `first` and `last` are the row's lanes
/// in vectors 0 and `K`): a masked load merges its lanes into a vector of the identity, one
/// operation more per masked vector. Vector 0 is added (masked) to the next vector of its
/// state, or at the fold to the state it pairs with; vector `K` likewise ([`Part`]). The
/// order is [`stream_row`]'s, so the canonical one.
///
/// # Safety
/// The `K + 1` whole vectors at `a` readable; `u` is the sum's state count
/// (`NCHW_PARTIALS / LANES`, at most `MAX_ACC`); `K + 1 <= 18`.
#[cfg_attr(not(globalpool_unoptimized), inline(always))]
unsafe fn stream_sum<V: Vector, const K: usize>(
    a: *const f32,
    first: u32,
    last: u32,
    u: usize,
) -> V {
    let mut acc = [Part::<V>::Empty; MAX_ACC];
    // Written out for every `t`: with a constant `t` each step's kind of state is known and
    // the states stay in registers; as a loop it was not unrolled, and the states went through
    // memory (8x slower).
    macro_rules! steps {
        ($($t:literal)*) => {$(
            if $t < K + 1 {
                // SAFETY: the caller's.
                let x = unsafe { V::load(a.wrapping_add($t * V::LANES)) };
                let x = if $t == 0 {
                    Part::Masked(x, first)
                } else if $t < K {
                    Part::Full(x)
                } else {
                    Part::Masked(x, last)
                };
                if let Some(s) = acc.get_mut($t % u) {
                    // SAFETY: the path's CPU features are passed on.
                    *s = unsafe { s.then(x) };
                }
            }
        )*};
    }
    steps!(0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17);
    // SAFETY: the path's CPU features are passed on.
    unsafe {
        let mut m = u;
        while m > 1 {
            m /= 2;
            let (lo, hi) = acc.split_at_mut(m);
            for (a, b) in lo.iter_mut().zip(hi.iter()) {
                *a = a.then(*b);
            }
        }
        acc[0].value()
    }
}

/// A state of [`stream_sum`]: no value yet, one vector of which only the lanes in the bits are
/// the row's (the others count as the identity, `-0.0`), or a sum.
#[derive(Clone, Copy)]
enum Part<V> {
    Empty,
    Masked(V, u32),
    Full(V),
}

impl<V: Vector> Part<V> {
    /// `self` and then `next` (IEEE addition is commutative, so which operand comes first
    /// does not matter; `-0.0 + x == x` for every `x`).
    ///
    /// # Safety
    /// As for every [`Vector`] method.
    #[cfg_attr(not(globalpool_unoptimized), inline(always))]
    unsafe fn then(self, next: Part<V>) -> Part<V> {
        // SAFETY: the caller's obligation (the path's CPU features) is passed on.
        unsafe {
            match (self, next) {
                (Part::Empty, x) | (x, Part::Empty) => x,
                (Part::Full(a), Part::Full(b)) => Part::Full(a.add(b)),
                (Part::Full(a), Part::Masked(b, k)) | (Part::Masked(b, k), Part::Full(a)) => {
                    Part::Full(a.add_bits(b, k))
                }
                (Part::Masked(a, j), Part::Masked(b, k)) => {
                    Part::Full(V::splat(-0.0).add_bits(a, j).add_bits(b, k))
                }
            }
        }
    }

    /// The state as a vector.
    ///
    /// # Safety
    /// As for every [`Vector`] method.
    #[cfg_attr(not(globalpool_unoptimized), inline(always))]
    unsafe fn value(self) -> V {
        // SAFETY: the caller's obligation (the path's CPU features) is passed on.
        unsafe {
            match self {
                Part::Empty => V::splat(-0.0),
                Part::Masked(v, k) => V::splat(-0.0).add_bits(v, k),
                Part::Full(v) => v,
            }
        }
    }
}

/// Rows of at least this many values align their loads (see `Vector::ALIGN_LOADS`).
const ALIGN_FROM: usize = 1024;

/// Steps `rem` values from `q` (`rem <= U * LANES`, `tail` prepared for `rem % LANES`) into the
/// states `acc` (`rem / LANES` full vectors into states `0, 1, ...`, the last `rem % LANES`
/// values into the next), then folds the states by halves and returns their value.
///
/// One computed jump on the vector count, then straight-line code with fixed state indices
/// ([`steps`]): a chain of per-vector branches would cost more than the loads on small maps.
///
/// # Safety
/// `q..q + rem` readable.
#[cfg_attr(not(globalpool_unoptimized), inline(always))]
unsafe fn remainder<V: Vector, R: Reduce>(
    acc: [R::Acc<V>; MAX_ACC],
    q: *const f32,
    rem: usize,
    tail: V::Tail,
) -> V {
    let part = rem % V::LANES;
    macro_rules! arms {
        ($($k:literal)*) => {
            match rem / V::LANES {
                // SAFETY: `q..q + rem` holds the `k` vectors and `part` values.
                $($k => unsafe { steps::<V, R, $k>(acc, q, part, tail) },)*
                // SAFETY: as above (at most `MAX_ACC` vectors: `rem <= U * LANES`).
                _ => unsafe { steps::<V, R, 16>(acc, q, part, tail) },
            }
        };
    }
    arms!(0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15)
}

/// `K` full vectors from `q`, vector `j` into state `j % U` (`U = R::accumulators()`, as in
/// [`block`]), and then `part` values (`part < LANES`, `tail` prepared for it; none if 0) into
/// state `K % U`; then the states folded by halves (a short row's maximum / minimum, whose
/// order does not matter, goes through [`chain`] instead). States past the last one stepped stay constants that the fold
/// skips.
///
/// # Safety
/// `q..q + K * LANES + part` readable.
#[cfg_attr(not(globalpool_unoptimized), inline(always))]
unsafe fn steps<V: Vector, R: Reduce, const K: usize>(
    mut acc: [R::Acc<V>; MAX_ACC],
    q: *const f32,
    part: usize,
    tail: V::Tail,
) -> V {
    for j in (0..MAX_ACC).take(K) {
        if let Some(a) = acc.get_mut(j % R::accumulators::<V>()) {
            // SAFETY: vector `j < K` is inside `q..q + K * LANES`.
            *a = unsafe { R::step(*a, V::load(q.add(j * V::LANES))) };
        }
    }
    if part > 0
        && let Some(a) = acc.get_mut(K % R::accumulators::<V>())
    {
        let p = q.wrapping_add(K * V::LANES);
        // SAFETY: the `part` values after the full vectors are readable, and with `K > 0` so
        // are the `LANES` values before their end.
        let x = unsafe {
            if K > 0 {
                V::load_tail_back(p, tail)
            } else {
                V::load_tail(p, tail)
            }
        };
        // SAFETY: the caller's obligation (the path's CPU features) is passed on.
        *a = unsafe { R::step(*a, x) };
    }
    // SAFETY: the caller's obligation (the path's CPU features) is passed on.
    unsafe { fold_states::<V, R>(acc, false) }
}

/// One short NCHW row (`K` whole vectors and `part` values) as one max / min state: pairs of
/// vectors into it ([`Reduce::step_pair`]), the last full vector with the partial one when `K`
/// is odd.
///
/// # Safety
/// `q..q + K * LANES + part` readable; `tail` prepared for `part`.
#[cfg_attr(not(globalpool_unoptimized), inline(always))]
unsafe fn chain<V: Vector, R: Reduce, const K: usize>(
    q: *const f32,
    part: usize,
    tail: V::Tail,
) -> R::Acc<V> {
    // SAFETY: the caller's obligation (the path's CPU features) is passed on.
    let mut a = unsafe { R::init::<V>() };
    // SAFETY: vectors `j < K` are inside `q..q + K * LANES`, and the `part` values after
    // them are readable, and with `K > 0` so are the `LANES` values before their end.
    unsafe {
        // The first pair starts the state (`Reduce::start_pair`: no step against the
        // initial infinities; NCHW 7x7 `max` 1.13-1.15x on AVX2, 1.02x on AVX-512).
        for j in (0..K / 2).map(|j| 2 * j) {
            let x = q.add(j * V::LANES);
            let (x, y) = (V::load(x), V::load(x.add(V::LANES)));
            a = if j == 0 {
                R::start_pair(x, y)
            } else {
                R::step_pair(a, x, y)
            };
        }
        // The last `part` values as the whole vector that ends with the row: it
        // repeats values of the vector before, which does not change an extreme.
        let end = q.wrapping_add(K * V::LANES + part);
        if K % 2 == 1 {
            let x = V::load(q.add((K - 1) * V::LANES));
            a = if part > 0 {
                let t = V::load(end.wrapping_sub(V::LANES));
                if K == 1 {
                    R::start_pair(x, t)
                } else {
                    R::step_pair(a, x, t)
                }
            } else {
                R::step(a, x)
            };
        } else if part > 0 {
            let t = if K > 0 {
                V::load(end.wrapping_sub(V::LANES))
            } else {
                V::load_tail(q, tail)
            };
            a = R::step(a, t);
        }
        a
    }
}

/// The `U = R::accumulators()` states folded by halves (`s[j]` with `s[j + U/2]`, ...), as a
/// vector; with `first_only`, just the first state (the others were not used).
///
/// # Safety
/// As for every [`Vector`] method.
#[cfg_attr(not(globalpool_unoptimized), inline(always))]
unsafe fn fold_states<V: Vector, R: Reduce>(mut acc: [R::Acc<V>; MAX_ACC], first_only: bool) -> V {
    let mut m = if first_only {
        1
    } else {
        R::accumulators::<V>()
    };
    // SAFETY: the caller's obligation (the path's CPU features) is passed on.
    unsafe {
        while m > 1 {
            m /= 2;
            let (lo, hi) = acc.split_at_mut(m);
            for (a, b) in lo.iter_mut().zip(hi.iter()) {
                *a = R::merge(*a, *b);
            }
        }
        R::value(acc[0])
    }
}

/// The lane fold of one vector, by halves (lane `i` with lane `i + LANES/2`, ...).
///
/// # Safety
/// As for every [`Vector`] method.
#[cfg_attr(not(globalpool_unoptimized), inline(always))]
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

/// The transposed lane folds of vectors `v[k]` and `v[k + 1]`: one level (indices are
/// constants once inlined: `k + 1 < MAX_LANES`).
///
/// # Safety
/// As for every [`Vector`] method.
#[cfg_attr(not(globalpool_unoptimized), inline(always))]
unsafe fn tree2<V: Vector, R: Reduce, const PLAIN: bool>(v: &[V; MAX_LANES], k: usize) -> V {
    // SAFETY: passed on from the caller.
    unsafe {
        let (a, b) = match v.get(k..k + 2) {
            Some(&[a, b]) => (a, b),
            _ => (V::splat(R::IDENTITY), V::splat(R::IDENTITY)), // not reached: k + 1 < 16
        };
        let (lo, hi) = V::fold_pair(a, b, 0);
        combine::<V, R, PLAIN>(lo, hi)
    }
}

/// One fold step of the trees: [`Reduce::vec_plain`] if `PLAIN`, else [`Reduce::vec`].
///
/// # Safety
/// As for every [`Vector`] method.
#[cfg_attr(not(globalpool_unoptimized), inline(always))]
unsafe fn combine<V: Vector, R: Reduce, const PLAIN: bool>(lo: V, hi: V) -> V {
    // SAFETY: passed on from the caller.
    unsafe {
        if PLAIN {
            R::vec_plain(lo, hi)
        } else {
            R::vec(lo, hi)
        }
    }
}

/// Four vectors from `k`: two levels.
///
/// # Safety
/// As for [`tree2`].
#[cfg_attr(not(globalpool_unoptimized), inline(always))]
unsafe fn tree4<V: Vector, R: Reduce, const PLAIN: bool>(v: &[V; MAX_LANES], k: usize) -> V {
    // SAFETY: passed on from the caller.
    unsafe {
        let (lo, hi) = V::fold_pair(
            tree2::<V, R, PLAIN>(v, k),
            tree2::<V, R, PLAIN>(v, k + 2),
            1,
        );
        combine::<V, R, PLAIN>(lo, hi)
    }
}

/// Eight vectors from `k`: three levels.
///
/// # Safety
/// As for [`tree2`].
#[cfg_attr(not(globalpool_unoptimized), inline(always))]
unsafe fn tree8<V: Vector, R: Reduce, const PLAIN: bool>(v: &[V; MAX_LANES], k: usize) -> V {
    // SAFETY: passed on from the caller.
    unsafe {
        let (lo, hi) = V::fold_pair(
            tree4::<V, R, PLAIN>(v, k),
            tree4::<V, R, PLAIN>(v, k + 4),
            2,
        );
        combine::<V, R, PLAIN>(lo, hi)
    }
}

/// The lane folds of a group's `LANES` vectors (vector `j` holds row `j`), by the fixed tree
/// of the path's width, with row `j`'s result in lane `j`.
///
/// # Safety
/// As for [`tree2`].
#[cfg_attr(not(globalpool_unoptimized), inline(always))]
unsafe fn fold_group<V: Vector, R: Reduce, const PLAIN: bool>(v: &[V; MAX_LANES]) -> V {
    // SAFETY: passed on from the caller.
    unsafe {
        match V::LANES {
            4 => tree4::<V, R, PLAIN>(v, 0),
            8 => tree8::<V, R, PLAIN>(v, 0),
            _ => tree16::<V, R, PLAIN>(v, 0),
        }
        .unscramble()
    }
}

/// Sixteen vectors from `k`: four levels.
///
/// # Safety
/// As for [`tree2`].
#[cfg_attr(not(globalpool_unoptimized), inline(always))]
unsafe fn tree16<V: Vector, R: Reduce, const PLAIN: bool>(v: &[V; MAX_LANES], k: usize) -> V {
    // SAFETY: passed on from the caller.
    unsafe {
        let (lo, hi) = V::fold_pair(
            tree8::<V, R, PLAIN>(v, k),
            tree8::<V, R, PLAIN>(v, k + 8),
            3,
        );
        combine::<V, R, PLAIN>(lo, hi)
    }
}

/// Final touches on a vector of results: the compensated total (sum), the division (average),
/// the canonical NaN.
///
/// # Safety
/// As for every [`Vector`] method.
#[cfg_attr(not(globalpool_unoptimized), inline(always))]
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
#[cfg_attr(not(globalpool_unoptimized), inline(always))]
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
#[cfg_attr(not(globalpool_unoptimized), inline(always))]
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
#[cfg_attr(not(globalpool_unoptimized), inline(always))]
unsafe fn nhwc_op<V: Vector, R: Reduce>(
    input: *const f32,
    output: *mut f32,
    dims: Dims,
    avg: bool,
) {
    let (batch, channels, rows) = (dims.batch.get(), dims.channels.get(), dims.spatial.get());
    // An input likely still in the L2 cache is read in columns (`nhwc_columns`), except for the
    // sum on paths that keep it in whole blocks (`Vector::NHWC_SUM_COLUMNS`; in groups of 8
    // rows it was 10-15% slower there). Larger inputs go by groups of rows
    // (`nhwc_chunk`): the path's choice, or one row at a time for an input too large for the
    // caches, which comes from DRAM and is read fastest strictly in order.
    let bytes = batch * rows * channels * size_of::<f32>();
    let cached = bytes <= NHWC_CACHED_BYTES;
    let columns = cached && (!R::SUM || V::NHWC_SUM_COLUMNS);
    let group = if cached {
        NHWC_TILE_BLOCK
    } else if V::NHWC_GROUP < NHWC_TILE_BLOCK && bytes > NHWC_STREAM_BYTES {
        1
    } else {
        V::NHWC_GROUP
    };
    // SAFETY: (for this whole block) image `b` is `input[b * rows * channels..][..rows * channels]`, its
    // outputs `output[b * channels..][..channels]`; the callees stay inside those.
    unsafe {
        for b in 0..batch {
            let img = input.add(b * rows * channels);
            let out = output.add(b * channels);
            if channels < NHWC_FLAT_BELOW {
                // Odd part of `channels`: the period is 16 * g values.
                match channels >> channels.trailing_zeros() {
                    1 => nhwc_flat::<V, R, 1>(img, channels, rows, out, avg, dims.ext_masked),
                    3 => nhwc_flat::<V, R, 3>(img, channels, rows, out, avg, dims.ext_masked),
                    5 => nhwc_flat::<V, R, 5>(img, channels, rows, out, avg, dims.ext_masked),
                    _ => nhwc_flat::<V, R, 7>(img, channels, rows, out, avg, dims.ext_masked),
                }
                continue;
            }
            // When every row starts at the same offset from a vector-size boundary (the row is
            // a whole number of vectors) but not on one, the few channels before the next
            // boundary go first as one partial vector (`lead`: of the image, or of each
            // chunk), so that all other loads are aligned: a misaligned AVX-512 load touches
            // two cache lines. (Neither columns nor chunks change the results: each channel
            // is reduced on its own.)
            // (Max / min of the paths with flagged columns, `Kernels::ext_masked`, go down
            // them instead: AVX2 on an AMD Zen 3, 1x1024x7x7 and 1x2048x7x7 NHWC `max`
            // 1.66-1.7x, 1x1024x14x14 1.26x faster than by pages; the sums down columns
            // were 0.5x.)
            let pages = dims.pages
                && if R::SUM {
                    V::NHWC_PAGES_SUM
                } else {
                    V::NHWC_PAGES_EXT && !(dims.ext_masked && V::EXT_FLAGGED)
                };
            let align = channels.is_multiple_of(V::LANES);
            let lead = if align { to_boundary(img, V::LANES) } else { 0 };
            if pages
                && cached
                && channels.is_multiple_of(PAGE_CHANNELS)
                && (lead == 0 || channels >= 2 * PAGE_CHANNELS)
            {
                nhwc_pages::<V, R>(img, channels, rows, out, lead, avg);
                continue;
            }
            if columns {
                nhwc_columns::<V, R>(img, channels, rows, out, lead, avg, dims.ext_masked);
                continue;
            }
            // Chunks of at most `V::Chunk` channels, each reduced over all rows.
            let width = core::mem::size_of::<V::Chunk>() / core::mem::size_of::<f32>();
            let mut c = 0;
            while c < channels {
                let w = (channels - c).min(width);
                let lead = if align {
                    to_boundary(img.add(c), V::LANES)
                } else {
                    0
                };
                nhwc_chunk::<V, R>(img.add(c), channels, rows, out.add(c), w, lead, avg, group);
                c += w;
            }
        }
    }
}

/// NHWC, 8 or more channels, an input of at most [`NHWC_CACHED_BYTES`]: the `channels` channels
/// (the first `lead < LANES` of them as a partial vector of their own, when `lead > 0`) in
/// columns of channel vectors, each reduced over all `rows` in registers (see [`column()`]): the
/// rows are read top to bottom once per column, which costs nothing in the caches and keeps
/// every partial and total in registers, with no scratch memory. `flagged` (the paths of
/// `Kernels::ext_masked`): max / min take columns of `FLAGGED_COLUMN` vectors by
/// [`Vector::ext_column_flagged`] first where the path has it (A/B on the Xeon with AMX: NHWC
/// 7x7 heads of 512 to 2048 channels 1.06-1.11x, 1x512x14x14 1.07-1.1x, 1x256x14x14 1.13x).
///
/// # Safety
/// `img..img + rows * channels` readable, `out..out + channels` writable.
#[cfg_attr(not(globalpool_unoptimized), inline(always))]
unsafe fn nhwc_columns<V: Vector, R: Reduce>(
    img: *const f32,
    channels: usize,
    rows: usize,
    out: *mut f32,
    lead: usize,
    avg: bool,
    flagged: bool,
) {
    let t = R::tile::<V>();
    // SAFETY: (for this whole block) every column lies inside the channels `0..channels`.
    unsafe {
        let mut c = 0;
        if lead > 0 && lead < channels {
            column::<V, R>(img, channels, rows, out, 1, lead, avg);
            c = lead;
        }
        // Columns of `t` vectors, then of the powers of two below `t`, then a partial vector:
        // each count is a constant once inlined, so the states stay in registers.
        let (t2, t4) = (below(t), below(below(t)));
        let (t8, t16) = (below(t4), below(below(t4)));
        // (Five calls, not a loop over the counts: the loop was not unrolled, so its counts were
        // not constants and the states went to the stack, 2x slower.)
        macro_rules! tiles {
            ($from:expr, $end:expr) => {{
                let mut d = $from;
                d = column_tiles::<V, R>(img, channels, $end, rows, out, d, t, avg);
                d = column_tiles::<V, R>(img, channels, $end, rows, out, d, t2, avg);
                d = column_tiles::<V, R>(img, channels, $end, rows, out, d, t4, avg);
                d = column_tiles::<V, R>(img, channels, $end, rows, out, d, t8, avg);
                column_tiles::<V, R>(img, channels, $end, rows, out, d, t16, avg)
            }};
        }
        if flagged && const { V::EXT_FLAGGED } && !R::SUM {
            // Columns of `FLAGGED_COLUMN` vectors by the plain max / min
            // (`Vector::ext_column_flagged`), or again by the checked steps below when that
            // reports a NaN or a zero.
            let w = FLAGGED_COLUMN * V::LANES;
            while channels - c >= w {
                if let Some(m) = R::column_flagged::<V>(img.add(c), channels, rows, FLAGGED_COLUMN)
                {
                    for (t, v) in m.iter().enumerate() {
                        v.store(out.add(c + t * V::LANES));
                    }
                } else {
                    tiles!(c, c + w);
                }
                c += w;
            }
        }
        c = tiles!(c, channels);
        if channels > c {
            column::<V, R>(img.add(c), channels, rows, out.add(c), 1, channels - c, avg);
        }
    }
}

/// The largest power of two below `t` (0 for `t <= 1`).
#[cfg_attr(not(globalpool_unoptimized), inline(always))]
const fn below(t: usize) -> usize {
    if t <= 1 { 0 } else { 1 << (t - 1).ilog2() }
}

/// [`column()`]s of `count` vectors from channel `c` while they fit before channel `end`;
/// returns the next channel.
///
/// # Safety
/// As for [`nhwc_columns`], with `c <= end <= channels`.
#[cfg_attr(not(globalpool_unoptimized), inline(always))]
#[allow(clippy::too_many_arguments)]
unsafe fn column_tiles<V: Vector, R: Reduce>(
    img: *const f32,
    channels: usize,
    end: usize,
    rows: usize,
    out: *mut f32,
    mut c: usize,
    count: usize,
    avg: bool,
) -> usize {
    if count == 0 {
        return c;
    }
    while end - c >= count * V::LANES {
        // SAFETY: channels `c..c + count * LANES` are inside the image (`end <= channels`).
        unsafe { column::<V, R>(img.add(c), channels, rows, out.add(c), count, 0, avg) };
        c += count * V::LANES;
    }
    c
}

/// `count` channel vectors side by side (`partial == 0`), or one vector of `partial < LANES`
/// channels, from `col` over all `rows`, everything in registers. The sum takes the rows block
/// by block (`NHWC_TILE_BLOCK` rows, the canonical row partials), each block's partials going
/// into the totals in block order (the blocks' own chains of additions are independent, so the
/// CPU overlaps them). Max / min, whose order does not matter, keep `side` states per vector
/// that take the rows in turn, so that a narrow column does not wait on one chain of
/// operations.
///
/// # Safety
/// `col + s * stride + [0, count * LANES)` (or `[0, partial)`) readable for every `s < rows`;
/// `out` writable over the same width.
#[cfg_attr(not(globalpool_unoptimized), inline(always))]
unsafe fn column<V: Vector, R: Reduce>(
    col: *const f32,
    stride: usize,
    rows: usize,
    out: *mut f32,
    count: usize,
    partial: usize,
    avg: bool,
) {
    let lanes = V::LANES;
    // SAFETY: (for this whole block) every load is at `t * LANES` (`t < count`) of a row
    // `< rows`, reading `LANES` values (`partial` when non-zero); stores go to `out` likewise.
    unsafe {
        let tail = V::tail(partial.max(1), R::IDENTITY);
        let mut s = [V::splat(R::IDENTITY); MAX_TILE];
        let mut ne = [V::splat(0.0); MAX_TILE];
        if R::SUM {
            let mut start = 0;
            while start < rows {
                let m = (rows - start).min(NHWC_TILE_BLOCK);
                let mut acc = [R::init::<V>(); MAX_TILE];
                let q = col.add(start * stride);
                for (t, a) in acc.iter_mut().enumerate().take(count) {
                    *a = R::resume(load_n(q.add(t * lanes), partial, tail));
                }
                for i in 1..m {
                    group_row::<V, R>(&mut acc, q.add(i * stride), count, partial, tail);
                }
                for ((a, s), ne) in acc.iter().zip(s.iter_mut()).zip(ne.iter_mut()).take(count) {
                    two_sum(s, ne, R::value(*a));
                }
                start += m;
            }
        } else {
            // As many states as a full-width column has (a constant once inlined).
            let side = (R::tile::<V>() / count).clamp(1, MAX_SIDE);
            let mut acc = [[R::init::<V>(); MAX_TILE]; MAX_SIDE];
            // Rows in pairs where the path checks pairs (`Vector::EXT_PAIRS`): into one state
            // (`side == 1`), or into two side by side (`side / 2` pairs of states). Elsewhere
            // one row per state in turn.
            let period = if !V::EXT_PAIRS {
                side
            } else if side == 1 {
                2
            } else {
                side - side % 2
            };
            let whole = rows - rows % period;
            let mut r = 0;
            while r < whole {
                if !V::EXT_PAIRS {
                    for (j, a) in acc.iter_mut().enumerate().take(side) {
                        group_row::<V, R>(a, col.add((r + j) * stride), count, partial, tail);
                    }
                } else if side == 1 {
                    if let Some(a) = acc.first_mut() {
                        let q = col.add(r * stride);
                        group_row_pair::<V, R>(a, q, q.add(stride), count, partial, tail);
                    }
                } else {
                    let (pairs, _) = acc.as_chunks_mut::<2>();
                    for (j, [a, b]) in pairs.iter_mut().enumerate().take(side / 2) {
                        let q = col.add((r + 2 * j) * stride);
                        group_row2::<V, R>(a, b, q, q.add(stride), count, partial, tail);
                    }
                }
                r += period;
            }
            if let Some(a) = acc.first_mut() {
                for i in whole..rows {
                    group_row::<V, R>(a, col.add(i * stride), count, partial, tail);
                }
            }
            let (first, rest) = acc.split_at_mut(1);
            if let Some(a) = first.first_mut() {
                for b in rest.iter().take(side - 1) {
                    for (x, y) in a.iter_mut().zip(b.iter()).take(count) {
                        *x = R::merge(*x, *y);
                    }
                }
                for (x, s) in a.iter().zip(s.iter_mut()).take(count) {
                    *s = R::value(*x);
                }
            }
        }
        for (t, (&s, &ne)) in s.iter().zip(ne.iter()).enumerate().take(count) {
            store_n(
                finish::<V, R>(s, ne, avg, rows),
                out.add(t * lanes),
                partial,
            );
        }
    }
}

/// NHWC, 8 or more channels: `width` channels (at most `V::Chunk`) from `col`, over all `rows`
/// (the first `lead < LANES` of them as a partial vector of their own, when `lead > 0`),
/// block by block (`NHWC_TILE_BLOCK` rows: one running sum per lane, the canonical row
/// partial). Inside a block the rows go in groups of `group` (`V::NHWC_GROUP`, or 1 for inputs
/// larger than the caches): each group runs over the chunk's channel tiles in turn, each tile
/// adding the group's rows in registers to the block's partials, kept between groups in `part`
/// on the stack. The memory is thus read a few rows at a time left to right, which the
/// prefetchers follow, instead of as one column walk per tile. At the end of a block its partials go into the running totals: `out` itself (sums or
/// extremes) and `err` on the stack (negated compensations).
///
/// # Safety
/// `col + s * stride + [0, width)` readable for every row `s < rows`; `out..out + width`
/// writable.
#[cfg_attr(not(globalpool_unoptimized), inline(always))]
#[allow(clippy::too_many_arguments)]
unsafe fn nhwc_chunk<V: Vector, R: Reduce>(
    col: *const f32,
    stride: usize,
    rows: usize,
    out: *mut f32,
    width: usize,
    lead: usize,
    avg: bool,
    group: usize,
) {
    // Not initialized: the first group of a block writes `part` before later groups read it,
    // and the first block writes `out` and `err` before later blocks read them.
    let mut err_buf = core::mem::MaybeUninit::<V::Chunk>::uninit();
    let mut part_buf = core::mem::MaybeUninit::<V::Chunk>::uninit();
    let err = err_buf.as_mut_ptr().cast::<f32>();
    let part = part_buf.as_mut_ptr().cast::<f32>();
    // SAFETY: (for this whole block) channels `< width` of rows `< rows` are readable, `out`,
    // `err` and `part` have room for `width <= size_of::<V::Chunk>() / 4` values; the callees
    // stay inside those and read what earlier groups or blocks wrote (see `Phase`).
    unsafe {
        let t = R::tile::<V>();
        // A row of an even number of vectors, at most 16 (32-256 channels on AVX-512), goes as
        // one tile of the whole row where the path says so (`Vector::WIDE_SUM_TILE`,
        // `WIDE_EXT_TILE`), so that each group reads its rows strictly left to right (AMD
        // Zen 4: sums of 256 channels 1.57-1.79x, of 96-224 1.13-1.25x; max of 32-256
        // 1.05-1.94x; 512 channels as two tiles of 16 were slower). Max / min keep plain
        // states with shared NaN checks there: a group that saw a NaN is redone by the tiles
        // below (see `nhwc_group_plain`).
        let whole = lead == 0
            && (if R::SUM {
                V::WIDE_SUM_TILE
            } else {
                V::WIDE_EXT_TILE
            })
            && width.is_multiple_of(V::LANES)
            && matches!(width / V::LANES, 2 | 4 | 6 | 8 | 10 | 12 | 14 | 16);
        // Groups smaller than a block (AVX2 and SSE2 take 8 rows) ask for the lines of the next
        // group's rows tile by tile, as they read their own: the prefetchers of an AMD Zen 5 do
        // not follow the group's rows, each read a tile (128 bytes on AVX2) at a time.
        let ahead = group > 1 && group < NHWC_TILE_BLOCK;
        let mut start = 0;
        while start < rows {
            let m = (rows - start).min(NHWC_TILE_BLOCK);
            let mut g0 = 0;
            while g0 < m {
                let g = (m - g0).min(group);
                let phase = Phase {
                    fresh: g0 == 0,
                    close: g0 + g == m,
                    first_block: start == 0,
                    ahead,
                };
                let base = col.add((start + g0) * stride);
                let bufs = (out, err, part);
                // The `lead` channels as one partial vector, then tiles of `t` vectors, then of
                // t/2, t/4, ..., then a partial vector. Each count is a constant once inlined,
                // so the accumulators stay in registers.
                let mut c = 0;
                if lead > 0 && lead < width {
                    nhwc_group::<V, R>(base, stride, g, bufs, 1, lead, phase);
                    c = lead;
                }
                if whole && row_tile::<V, R>(base, stride, g, bufs, phase, width / V::LANES) {
                    c = width;
                }
                c = nhwc_tiles::<V, R>(base, stride, g, bufs, width, c, t, phase);
                c = nhwc_tiles::<V, R>(base, stride, g, bufs, width, c, t / 2, phase);
                c = nhwc_tiles::<V, R>(base, stride, g, bufs, width, c, t / 4, phase);
                c = nhwc_tiles::<V, R>(base, stride, g, bufs, width, c, t / 8, phase);
                c = nhwc_tiles::<V, R>(base, stride, g, bufs, width, c, t / 16, phase);
                if width > c {
                    let bufs = (out.add(c), err.add(c), part.add(c));
                    nhwc_group::<V, R>(base.add(c), stride, g, bufs, 1, width - c, phase);
                }
                g0 += g;
            }
            start += m;
        }
        finish_totals::<V, R>(out, err, width, avg, rows);
    }
}

/// The running totals of `width` channels (`out`, with the negated compensations in `err`)
/// made results in place ([`finish`]), a vector at a time and the rest as a partial one.
///
/// # Safety
/// `out..out + width` readable and writable, `err..err + width` readable.
#[cfg_attr(not(globalpool_unoptimized), inline(always))]
unsafe fn finish_totals<V: Vector, R: Reduce>(
    out: *mut f32,
    err: *const f32,
    width: usize,
    avg: bool,
    rows: usize,
) {
    let lanes = V::LANES;
    // SAFETY: every access is inside `0..width` of `out` and `err`.
    unsafe {
        let mut c = 0;
        while c + lanes <= width {
            let v = finish::<V, R>(V::load(out.add(c)), V::load(err.add(c)), avg, rows);
            v.store(out.add(c));
            c += lanes;
        }
        if width > c {
            let tail = V::tail(width - c, 0.0);
            let s = V::load_tail(out.add(c), tail);
            let e = V::load_tail(err.add(c), tail);
            finish::<V, R>(s, e, avg, rows).store_partial(out.add(c), width - c);
        }
    }
}

/// Channels per chunk of [`nhwc_pages`]: 4 KiB of each row.
const PAGE_CHANNELS: usize = 1024;

/// Rows per group of [`nhwc_pages`] (a divisor of `NHWC_TILE_BLOCK`).
const PAGE_GROUP: usize = 8;

/// Channel vectors per tile of [`nhwc_pages`]: the most (see [`page_tile`]).
const PAGE_TILE: usize = 8;

/// Channel vectors per tile of [`nhwc_pages`] for `R` on `V`: [`PAGE_TILE`], but half of it for
/// max / min on paths whose tiles of their states are that narrow (`Vector::EXT_TILE`: AVX2 and
/// SSE2, three registers a state in sixteen registers). Eight such states spilled: on an AMD
/// Zen 5 AVX2 `max` of 1024 and 2048 channels read at 30-35% of the probe with tiles of 8 (as
/// in its column walks, where these rows go otherwise) and at 44-51% with tiles of 4 (SSE2:
/// 15-18% and 22-28%); AVX-512 `max` was level with 4, its sums 0.75-0.85x.
#[cfg_attr(not(globalpool_unoptimized), inline(always))]
fn page_tile<V: Vector, R: Reduce>() -> usize {
    if !R::SUM && V::EXT_TILE <= PAGE_TILE / 2 {
        PAGE_TILE / 2
    } else {
        PAGE_TILE
    }
}

/// NHWC, rows of a multiple of [`PAGE_CHANNELS`] channels (a whole number of 4 KiB pages), an
/// input of at most [`NHWC_CACHED_BYTES`] (`Vector::NHWC_PAGES_SUM`, `NHWC_PAGES_EXT`). Such
/// rows start at the same place of a page, so the same channels of successive rows fall on the
/// same L1 sets and on different pages: on an AMD Zen 5, walked down as columns (AVX-512's
/// `nhwc_columns`) they read at 46-74% of the probe, depending on the allocation, and in
/// AVX2's and SSE2's 32-row groups at 16-40%. Here each chunk of 1024 channels goes block by
/// block (the canonical `NHWC_TILE_BLOCK` rows for sums, all rows for max / min) in groups of
/// [`PAGE_GROUP`] rows, each group over the chunk's tiles of [`PAGE_TILE`] vectors left to
/// right, so every row is read in runs of 4 KiB: the block's states start from its first row,
/// go to `part` between groups, and at the block's end into the running totals (`out` and the
/// negated compensations in `err`). The group's rows are unrolled (straight-line code: the
/// groups of `nhwc_chunk`, with a loop over the rows, were 1.1-1.3x slower here). Same order
/// as every other NHWC path: each channel on its own, rows in order.
///
/// When the rows start `lead > 0` channels before a vector boundary, those channels and the
/// `LANES - lead` at the end of the rows go as partial columns ([`column()`]), and the chunks
/// start at `lead`, the last one `LANES - lead` channels before the end, so that every load of
/// the chunks is aligned. That last chunk overlaps the one before it by `LANES` channels,
/// which it computes again, to the same bits: chunks share nothing but the scratch, which each
/// starts afresh.
///
/// # Safety
/// `img..img + rows * channels` readable, `out..out + channels` writable, `channels` a
/// multiple of `PAGE_CHANNELS` (at least twice that when `lead > 0`), `lead < LANES`,
/// `rows >= 1`.
#[cfg_attr(not(globalpool_unoptimized), inline(always))]
unsafe fn nhwc_pages<V: Vector, R: Reduce>(
    img: *const f32,
    channels: usize,
    rows: usize,
    out: *mut f32,
    lead: usize,
    avg: bool,
) {
    let lanes = V::LANES;
    let block = if R::SUM { NHWC_TILE_BLOCK } else { rows };
    // (Whole vectors only: `close_block` and `finish_totals` get no partial one.)
    // SAFETY: the path's CPU features, the caller's obligation.
    let tail = unsafe { V::tail(1, R::IDENTITY) };
    // Not initialized: a block's first group writes `part` before later groups read it, the
    // first block writes `out` and `err` before later blocks read them.
    let mut part_buf = core::mem::MaybeUninit::<[f32; PAGE_CHANNELS]>::uninit();
    let mut err_buf = core::mem::MaybeUninit::<[f32; PAGE_CHANNELS]>::uninit();
    let part = part_buf.as_mut_ptr().cast::<f32>();
    let err = err_buf.as_mut_ptr().cast::<f32>();
    // SAFETY: (for this whole block) chunk `c0` covers channels `c0..c0 + PAGE_CHANNELS <=
    // channels` of rows `< rows` (for the last chunk with `lead > 0`, `c0 >= lead` as
    // `channels >= 2 * PAGE_CHANNELS`), the partial columns `0..lead` and `channels - (LANES -
    // lead)..channels`, and `out`, `part`, `err` at `t + u * LANES < PAGE_CHANNELS`
    // (`page_tile * LANES` divides `PAGE_CHANNELS` on every path); `part` and `err` are read
    // only where this chunk wrote them (see above).
    unsafe {
        let chunks = channels / PAGE_CHANNELS;
        if lead > 0 {
            let tail = lanes - lead;
            column::<V, R>(img, channels, rows, out, 1, lead, avg);
            let end = channels - tail;
            column::<V, R>(img.add(end), channels, rows, out.add(end), 1, tail, avg);
        }
        for k in 0..chunks {
            let c0 = if lead == 0 {
                k * PAGE_CHANNELS
            } else if k + 1 < chunks {
                lead + k * PAGE_CHANNELS
            } else {
                channels - (lanes - lead) - PAGE_CHANNELS
            };
            let (col, o) = (img.add(c0), out.add(c0));
            let mut start = 0;
            while start < rows {
                let m = (rows - start).min(block);
                let mut g0 = 0;
                while g0 < m {
                    let g = (m - g0).min(PAGE_GROUP);
                    let (fresh, close, first) = (g0 == 0, g0 + g == m, start == 0);
                    let row = col.add((start + g0) * channels);
                    // A fresh block starts from its first row (`resume`), later groups from
                    // the block's states so far.
                    let (n, q) = if fresh {
                        (g - 1, row.wrapping_add(channels))
                    } else {
                        (g, row)
                    };
                    let mut t = 0;
                    while t < PAGE_CHANNELS {
                        let tile = page_tile::<V, R>();
                        let src = if fresh {
                            row.add(t)
                        } else {
                            part.add(t).cast_const()
                        };
                        let mut acc = [R::init::<V>(); PAGE_TILE];
                        for (u, a) in acc.iter_mut().enumerate().take(tile) {
                            *a = R::resume(V::load(src.add(u * lanes)));
                        }
                        page_rows::<V, R>(&mut acc, q.wrapping_add(t), channels, n);
                        for (u, a) in acc.iter().enumerate().take(tile) {
                            let i = t + u * lanes;
                            if close {
                                close_block::<V, R>(
                                    R::value(*a),
                                    o.add(i),
                                    err.add(i),
                                    first,
                                    0,
                                    tail,
                                );
                            } else {
                                R::value(*a).store(part.add(i));
                            }
                        }
                        t += tile * lanes;
                    }
                    g0 += g;
                }
                start += m;
            }
            finish_totals::<V, R>(o, err, PAGE_CHANNELS, avg, rows);
        }
    }
}

/// The `n <= PAGE_GROUP` rows from `q` (stride `stride`) into a tile's states of
/// [`nhwc_pages`] (the first [`page_tile`] of `acc`), unrolled: pairs where the path checks
/// pairs (`Vector::EXT_PAIRS`, max / min), else one row at a time. (`q` may point past the input when `n == 0`: never
/// dereferenced then.)
///
/// # Safety
/// `q + i * stride + [0, page_tile * LANES)` readable for every `i < n`.
#[cfg_attr(not(globalpool_unoptimized), inline(always))]
unsafe fn page_rows<V: Vector, R: Reduce>(
    acc: &mut [R::Acc<V>; PAGE_TILE],
    q: *const f32,
    stride: usize,
    n: usize,
) {
    let (lanes, tile) = (V::LANES, page_tile::<V, R>());
    // SAFETY: (for this whole block) only rows `i < n` are read, each over the tile's vectors.
    unsafe {
        if R::SUM || !V::EXT_PAIRS {
            for i in 0..PAGE_GROUP {
                if i < n {
                    let r = q.add(i * stride);
                    for (u, a) in acc.iter_mut().enumerate().take(tile) {
                        *a = R::step(*a, V::load(r.add(u * lanes)));
                    }
                }
            }
        } else {
            for i in (0..PAGE_GROUP).step_by(2) {
                if i + 1 < n {
                    let (r, r2) = (q.add(i * stride), q.add((i + 1) * stride));
                    for (u, a) in acc.iter_mut().enumerate().take(tile) {
                        let o = u * lanes;
                        *a = R::step_pair(*a, V::load(r.add(o)), V::load(r2.add(o)));
                    }
                } else if i < n {
                    let r = q.add(i * stride);
                    for (u, a) in acc.iter_mut().enumerate().take(tile) {
                        *a = R::step(*a, V::load(r.add(u * lanes)));
                    }
                }
            }
        }
    }
}

/// Where a group of rows stands in its block.
#[derive(Clone, Copy)]
struct Phase {
    /// The block's first group: its partials start empty (otherwise they are read from `part`).
    fresh: bool,
    /// The block's last group: its partials go into the running totals (otherwise they are
    /// written to `part`).
    close: bool,
    /// The first block: the running totals start empty (otherwise they are read from `out` and
    /// `err`).
    first_block: bool,
    /// Ask the cache for the group's columns of the next group's rows, row by row as it reads
    /// its own ([`super::prefetch_lines`]; see [`nhwc_chunk`]).
    ahead: bool,
}

/// `(out, err, part)`: running totals, negated compensations, block partials.
type Bufs = (*mut f32, *mut f32, *mut f32);

/// [`nhwc_group`] on tiles of `count` vectors from channel `c` while they fit in `width`;
/// returns the next channel. (Called with constant counts, so each inlined copy keeps its
/// accumulators in registers.)
///
/// # Safety
/// As for [`nhwc_group`] over channels `c..width`.
#[allow(clippy::too_many_arguments)]
#[cfg_attr(not(globalpool_unoptimized), inline(always))]
unsafe fn nhwc_tiles<V: Vector, R: Reduce>(
    base: *const f32,
    stride: usize,
    g: usize,
    (out, err, part): Bufs,
    width: usize,
    mut c: usize,
    count: usize,
    phase: Phase,
) -> usize {
    if count == 0 {
        return c;
    }
    while width - c >= count * V::LANES {
        // SAFETY: channels `c..c + count * LANES` are inside the chunk.
        unsafe {
            let bufs = (out.add(c), err.add(c), part.add(c));
            nhwc_group::<V, R>(base.add(c), stride, g, bufs, count, 0, phase);
        }
        c += count * V::LANES;
    }
    c
}

/// `g` rows of a block for `count` channel vectors side by side (`partial == 0`), or for one
/// vector of `partial < LANES` channels: the block's partials start empty or come from `part`
/// (`phase.fresh`), take the rows in order in registers, and go back to `part` or, at the end
/// of the block (`phase.close`), into the running totals in `out` and `err`.
///
/// # Safety
/// `col + s * stride + [0, count * LANES)` (or `[0, partial)`) readable for `s < g`; `out`,
/// `err` and `part` writable over the same width, and readable where `phase` says they are.
#[cfg_attr(not(globalpool_unoptimized), inline(always))]
unsafe fn nhwc_group<V: Vector, R: Reduce>(
    col: *const f32,
    stride: usize,
    g: usize,
    (out, err, part): Bufs,
    count: usize,
    partial: usize,
    phase: Phase,
) {
    let lanes = V::LANES;
    // SAFETY: (for this whole block) every access is at `t * LANES` (`t < count`) of a row
    // `s < g` or of `out` / `err` / `part`, reading or writing `LANES` values (`partial` when
    // non-zero), and reads only what `phase` says was written.
    unsafe {
        let tail = V::tail(partial.max(1), R::IDENTITY);
        let mut acc = [R::init::<V>(); MAX_TILE];
        // The states start from the block's partials so far, or (a fresh block) from its first
        // row: `resume(x)` is the state after stepping `x` into an empty one, without the step.
        // (With a one-row group, `col + stride` may point past the input: a wrapping add,
        // never dereferenced then.)
        let (first, mut q) = if phase.fresh {
            (col, col.wrapping_add(stride))
        } else {
            (part.cast_const(), col)
        };
        let rows = if phase.fresh { g - 1 } else { g };
        // The group's columns of the next group's rows, `g` rows down, asked for row by row
        // as the loop reads its own (see `Phase::ahead`).
        let (ahead, lines) = if phase.ahead {
            let width = if partial > 0 { partial } else { count * lanes };
            (g * stride, (width * size_of::<f32>()).div_ceil(64))
        } else {
            (0, 0)
        };
        if phase.fresh {
            super::prefetch_lines(col.wrapping_add(ahead), lines);
        }
        if g > 0 {
            for (t, a) in acc.iter_mut().enumerate().take(count) {
                *a = R::resume(load_n(first.add(t * lanes), partial, tail));
            }
        }
        // Two rows per iteration: half the loop's own instructions. (The pointer is the loop
        // counter. After the last rows it may point past the input, since `col` is inside a
        // row, so it is never an in-bounds `add` and never dereferenced then.)
        let end = q.wrapping_add(rows / 2 * 2 * stride);
        while q != end {
            super::prefetch_lines(q.wrapping_add(ahead), lines);
            super::prefetch_lines(q.wrapping_add(ahead + stride), lines);
            if R::SUM || !V::EXT_PAIRS {
                group_row::<V, R>(&mut acc, q, count, partial, tail);
                group_row::<V, R>(&mut acc, q.add(stride), count, partial, tail);
            } else {
                // Max / min: the two rows' vectors in pairs (see `Reduce::step_pair`).
                group_row_pair::<V, R>(&mut acc, q, q.add(stride), count, partial, tail);
            }
            q = q.wrapping_add(2 * stride);
        }
        if rows % 2 == 1 {
            super::prefetch_lines(q.wrapping_add(ahead), lines);
            group_row::<V, R>(&mut acc, q, count, partial, tail);
        }
        for (t, &a) in acc.iter().enumerate().take(count) {
            let (o, e, p) = (out.add(t * lanes), err.add(t * lanes), part.add(t * lanes));
            if phase.close {
                close_block::<V, R>(R::value(a), o, e, phase.first_block, partial, tail);
            } else {
                store_n(R::value(a), p, partial);
            }
        }
    }
}

/// One group of a chunk whose row is `n` channel vectors (`n` even, at most 16) as one tile:
/// the sum's states ([`nhwc_group`]) or max / min's plain ones ([`nhwc_group_plain`]), the
/// count a constant in each arm. Returns whether the group was written (not when max / min
/// saw a NaN, nor for another `n`).
///
/// # Safety
/// As for [`nhwc_group`] with `count == n`, `partial == 0`.
#[cfg_attr(not(globalpool_unoptimized), inline(always))]
unsafe fn row_tile<V: Vector, R: Reduce>(
    col: *const f32,
    stride: usize,
    g: usize,
    bufs: Bufs,
    phase: Phase,
    n: usize,
) -> bool {
    macro_rules! arms {
        ($($k:literal)*) => {
            match n {
                $($k => if R::SUM {
                    nhwc_group::<V, R>(col, stride, g, bufs, $k, 0, phase);
                    true
                } else {
                    nhwc_group_plain::<V, R, $k>(col, stride, g, bufs, phase)
                },)*
                _ => false,
            }
        };
    }
    // SAFETY: the caller's obligations, for `count == n`.
    unsafe { arms!(2 4 6 8 10 12 14 16) }
}

/// [`nhwc_group`] for max / min over `N` channel vectors (`Vector::WIDE_EXT_TILE`; `N` even,
/// at most 16):
/// each vector's state is a plain [`Reduce::vec_plain`] value, and four shared states only
/// check the rows for NaNs ([`Reduce::check`]), so the whole row fits the registers. Returns
/// `false`, having written nothing, when the group (or the block's partials it resumes) holds
/// a NaN: the caller then redoes the group with the exact states. Otherwise the results are
/// those of [`nhwc_group`]: without NaNs the plain values are exact.
///
/// # Safety
/// As for [`nhwc_group`] with `count == N`, `partial == 0`.
#[cfg_attr(not(globalpool_unoptimized), inline(always))]
unsafe fn nhwc_group_plain<V: Vector, R: Reduce, const N: usize>(
    col: *const f32,
    stride: usize,
    g: usize,
    (out, err, part): Bufs,
    phase: Phase,
) -> bool {
    let lanes = V::LANES;
    if g == 0 {
        return true;
    }
    // SAFETY: (for this whole block) every access is at `t * LANES` (`t < N`) of a row
    // `s < g` or of `out` / `err` / `part`, reading or writing `LANES` values, and reads only
    // what `phase` says was written.
    unsafe {
        let mut s = [V::splat(R::IDENTITY); N];
        let mut chk = [R::init::<V>(); 4];
        // As in `nhwc_group` (`col + stride` may point past the input: never dereferenced
        // then).
        let (first, q) = if phase.fresh {
            (col, col.wrapping_add(stride))
        } else {
            (part.cast_const(), col)
        };
        let rows = if phase.fresh { g - 1 } else { g };
        // Each row read left to right on its own, its vectors checked in pairs (a check needs
        // no particular lanes). Two rows whose vectors went in pairs were 1.36x slower from the
        // L3 cache on an AMD Zen 4 (8x256x56x56: 61% of the probe against 83%); its
        // prefetchers seem to want each row in order.
        plain_row::<V, R, N>(&mut s, &mut chk, first);
        for r in 0..rows {
            plain_row::<V, R, N>(&mut s, &mut chk, q.add(r * stride));
        }
        let [c0, c1, c2, c3] = chk;
        let all = R::merge::<V>(R::merge::<V>(c0, c1), R::merge::<V>(c2, c3));
        if R::value_split::<V>(all).1 {
            return false;
        }
        let tail = V::tail(1, R::IDENTITY);
        for (t, &v) in s.iter().enumerate() {
            let (o, e, p) = (out.add(t * lanes), err.add(t * lanes), part.add(t * lanes));
            if phase.close {
                close_block::<V, R>(v, o, e, phase.first_block, 0, tail);
            } else {
                v.store(p);
            }
        }
        true
    }
}

/// One row of [`nhwc_group_plain`]: `N` vectors from `q` into the plain states `s`,
/// checked in pairs into `chk`.
///
/// # Safety
/// `q..q + N * LANES` readable.
#[cfg_attr(not(globalpool_unoptimized), inline(always))]
unsafe fn plain_row<V: Vector, R: Reduce, const N: usize>(
    s: &mut [V; N],
    chk: &mut [R::Acc<V>; 4],
    q: *const f32,
) {
    let lanes = V::LANES;
    let mut o = 0;
    let (pairs, _) = s.as_chunks_mut::<2>();
    for quad in pairs.chunks_mut(4) {
        for ([a, b], c) in quad.iter_mut().zip(chk.iter_mut()) {
            // SAFETY: vectors `o / LANES` and the next (`< N`) are inside the caller's
            // range.
            unsafe {
                let x = V::load(q.add(o));
                let y = V::load(q.add(o + lanes));
                *a = R::vec_plain(*a, x);
                *b = R::vec_plain(*b, y);
                *c = R::check(*c, x, y);
            }
            o += 2 * lanes;
        }
    }
}

/// A block's value `v` (a whole vector, or `partial` values with `tail` prepared for them)
/// into the running totals at `o`, with the negated compensations at `e` (sums; zeros for max /
/// min): started by it in the first block, added to them (compensated) or folded with them
/// after that.
///
/// # Safety
/// `o` and `e` writable for the vector (or `partial` values), and readable unless `first`.
#[cfg_attr(not(globalpool_unoptimized), inline(always))]
unsafe fn close_block<V: Vector, R: Reduce>(
    v: V,
    o: *mut f32,
    e: *mut f32,
    first: bool,
    partial: usize,
    tail: V::Tail,
) {
    // SAFETY: the caller's obligations, for the accesses at `o` and `e`.
    unsafe {
        let (mut s, mut ne) = if first {
            (V::splat(R::IDENTITY), V::splat(0.0))
        } else {
            (load_n(o, partial, tail), load_n(e, partial, tail))
        };
        if R::SUM {
            two_sum(&mut s, &mut ne, v);
        } else {
            s = R::vec(s, v);
        }
        store_n(s, o, partial);
        store_n(ne, e, partial);
    }
}

/// One row of [`nhwc_group`]: `count` vectors (or `partial` values) from `q` into the states.
///
/// # Safety
/// `q..q + count * LANES` (or `q..q + partial`) readable.
#[cfg_attr(not(globalpool_unoptimized), inline(always))]
unsafe fn group_row<V: Vector, R: Reduce>(
    acc: &mut [R::Acc<V>; MAX_TILE],
    q: *const f32,
    count: usize,
    partial: usize,
    tail: V::Tail,
) {
    if partial == 0 && count.is_multiple_of(4) {
        // Four vectors at a time (see `Vector::add4`).
        let (quads, _) = acc.as_chunks_mut::<4>();
        let mut p = q;
        for quad in quads.iter_mut().take(count / 4) {
            // SAFETY: `p` walks vectors `0..count` of the row, inside the caller's range.
            *quad = unsafe { R::step4(*quad, &mut p) };
        }
        return;
    }
    for (t, a) in acc.iter_mut().enumerate().take(count) {
        // SAFETY: vector `t < count` (or the partial one) is inside the caller's range.
        *a = unsafe { R::step(*a, load_n(q.add(t * V::LANES), partial, tail)) };
    }
}

/// Two rows of a column (`count` vectors or `partial` values each, from `q` and `r`) into the
/// states `a`, one pair at a time (see [`Reduce::step_pair`]).
///
/// # Safety
/// As for [`group_row`], for both rows.
#[cfg_attr(not(globalpool_unoptimized), inline(always))]
unsafe fn group_row_pair<V: Vector, R: Reduce>(
    acc: &mut [R::Acc<V>; MAX_TILE],
    q: *const f32,
    r: *const f32,
    count: usize,
    partial: usize,
    tail: V::Tail,
) {
    for (t, a) in acc.iter_mut().enumerate().take(count) {
        // SAFETY: vector `t < count` (or the partial one) of both rows is inside the caller's
        // range.
        unsafe {
            let o = t * V::LANES;
            *a = R::step_pair(
                *a,
                load_n(q.add(o), partial, tail),
                load_n(r.add(o), partial, tail),
            );
        }
    }
}

/// Two rows of a column into two sets of states side by side: row `q` into `a`, row `r` into
/// `b` (see [`Reduce::step2`]).
///
/// # Safety
/// As for [`group_row`], for both rows.
#[cfg_attr(not(globalpool_unoptimized), inline(always))]
unsafe fn group_row2<V: Vector, R: Reduce>(
    a: &mut [R::Acc<V>; MAX_TILE],
    b: &mut [R::Acc<V>; MAX_TILE],
    q: *const f32,
    r: *const f32,
    count: usize,
    partial: usize,
    tail: V::Tail,
) {
    for (t, (x, y)) in a.iter_mut().zip(b.iter_mut()).enumerate().take(count) {
        // SAFETY: vector `t < count` (or the partial one) of both rows is inside the caller's
        // range.
        unsafe {
            let o = t * V::LANES;
            (*x, *y) = R::step2(
                *x,
                *y,
                load_n(q.add(o), partial, tail),
                load_n(r.add(o), partial, tail),
            );
        }
    }
}

/// A whole vector (`partial == 0`) or `partial` values with a prepared `tail`. (A function, not
/// a closure: closures do not inherit the caller's `#[target_feature]`s.)
///
/// # Safety
/// `p..p + LANES` (or `p..p + partial`) readable.
#[cfg_attr(not(globalpool_unoptimized), inline(always))]
unsafe fn load_n<V: Vector>(p: *const f32, partial: usize, tail: V::Tail) -> V {
    // SAFETY: the caller's obligations are passed on.
    unsafe {
        if partial == 0 {
            V::load(p)
        } else {
            V::load_tail(p, tail)
        }
    }
}

/// Stores a whole vector (`partial == 0`) or its first `partial` values.
///
/// # Safety
/// `p..p + LANES` (or `p..p + partial`) writable.
#[cfg_attr(not(globalpool_unoptimized), inline(always))]
unsafe fn store_n<V: Vector>(v: V, p: *mut f32, partial: usize) {
    // SAFETY: the caller's obligations are passed on.
    unsafe {
        if partial == 0 {
            v.store(p)
        } else {
            v.store_partial(p, partial)
        }
    }
}

/// How many periods of [`nhwc_flat`] (`nv` vectors each) a max / min steps at once: enough for
/// eight independent chains (with one chain per vector of a period, one to seven on AVX-512,
/// the latency of each step bounded the loop: 1x3x224x224 `max` 1.7x faster with twelve, one
/// channel 3.5x with eight), a power of two, and at most `states` states
/// (`Vector::FLAT_EXT_STATES`).
#[cfg_attr(not(globalpool_unoptimized), inline(always))]
const fn flat_copies(nv: usize, states: usize) -> usize {
    let mut copies = 8usize.div_ceil(nv).next_power_of_two();
    while copies > 1 && nv * copies > states {
        copies /= 2;
    }
    copies
}

/// NHWC, fewer than 8 channels: the image read as one flat run of values, in periods of
/// `P = 16 * G = K * channels` values (`K` of `canon::partials`, `G` = odd part of `channels`).
/// Slot `f` of a period is row partial `f / channels` of channel `f % channels`, so vectors laid
/// over the periods accumulate exactly the canonical row partials.
///
/// # Safety
/// `img..img + rows * channels` readable, `out..out + channels` writable,
/// `channels < NHWC_FLAT_BELOW`, `16 * G == K * channels`.
#[cfg_attr(not(globalpool_unoptimized), inline(always))]
unsafe fn nhwc_flat<V: Vector, R: Reduce, const G: usize>(
    img: *const f32,
    channels: usize,
    rows: usize,
    out: *mut f32,
    avg: bool,
    flagged: bool,
) {
    let lanes = V::LANES;
    // Max / min, whose order is free, need only a period that is a multiple of both the
    // vector and `channels` (`channels = G 2^k` with `2^k <= 4 <= LANES`): `G` vectors where
    // the path says so (`Vector::FLAT_EXT_SHORT`), so that the states can be laid over several
    // periods (see `flat_copies`).
    let period = if R::SUM || !V::FLAT_EXT_SHORT {
        16 * G
    } else {
        G * lanes
    };
    let nv = period / lanes;
    // The sum goes by blocks of `TERMS_PER_PARTIAL` periods (the canonical row partials), one
    // period at a time, each block added to the totals in order. Max / min, whose order is
    // free, take the image as one block, their states laid over `copies` periods at once.
    // (Blocks side by side for the sum, which would overlap its chains of additions the same
    // way, were 6-22% slower with two or four blocks, AVX-512 and AVX2, 3 and 5 channels.)
    let copies = if R::SUM {
        1
    } else {
        flat_copies(nv, V::FLAT_EXT_STATES)
    };
    let total = rows * channels;
    let block = if R::SUM {
        TERMS_PER_PARTIAL * period
    } else {
        total
    };
    let mut totals = [Compensated::NEW; NHWC_FLAT_BELOW];
    let mut others = [R::IDENTITY; NHWC_FLAT_BELOW];
    let mut buf = [0.0f32; MAX_PERIOD];
    // SAFETY: (for this whole block) `flat_block` reads `n` values from `img + pos` with
    // `pos + n <= total` and writes `period <= MAX_PERIOD` values to `buf`; `out` gets
    // `channels` values.
    unsafe {
        let mut pos = 0;
        while pos < total {
            let n = (total - pos).min(block);
            let q = img.add(pos);
            // A start `h` values before a vector-size boundary: those values go to the last
            // lanes of the last vector (as if a vector started `LANES - h` values before), all
            // other loads are aligned, and slot `f` of the period sits at `(f - h) % period` in
            // the states (see the fold below).
            let h = if V::ALIGN_LOADS && n >= ALIGN_FROM {
                to_boundary(q, lanes)
            } else {
                0
            };
            flat_block::<V, R>(q, n, h, period, nv, copies, buf.as_mut_ptr(), flagged);
            // Fold the row partials by halves: slot f with slot f + period / 2, ... Slot `f`
            // sits at `(f - h) % period`; the pairs of every level are antipodal on their ring
            // (`k` and `k + len / 2`), which the rotation maps to the same pairs (as in
            // `block`), so the fold needs no rotation back: channel `c` ends at
            // `(c - h) % channels`. (Addition and the extremes are commutative.)
            let mut len = period;
            while len > channels {
                let half = len / 2;
                let (lo, hi) = buf.split_at_mut(half);
                for (a, b) in lo.iter_mut().zip(hi.iter()) {
                    *a = R::scalar(*a, *b);
                }
                len = half;
            }
            // Channel `c` at `(c + channels - h % channels) % channels`, without a division per
            // channel.
            let shift = channels - h % channels;
            for (c, (t, o)) in totals
                .iter_mut()
                .zip(others.iter_mut())
                .enumerate()
                .take(channels)
            {
                let at = c + shift;
                let at = if at >= channels { at - channels } else { at };
                let b = buf.get(at).copied().unwrap_or(0.0);
                if R::SUM {
                    t.add(b);
                } else {
                    *o = R::scalar(*o, b);
                }
            }
            pos += n;
        }
        for (c, (t, o)) in totals.iter().zip(others.iter()).enumerate().take(channels) {
            out.add(c).write(finish_scalar::<R>(*t, *o, avg, rows));
        }
    }
}

/// One block of [`nhwc_flat`]: `n` values from `q` (the first `h` of them before a vector-size
/// boundary) into the states of one period, vector `j` of a period into state `j`, whose
/// values go to `vals[j * LANES..]`. With `copies > 1` (max / min) the states of `copies`
/// periods at once, merged into the first period's at the end.
///
/// # Safety
/// `q..q + n` readable; `h < LANES`, `h <= n`; `vals..vals + nv * LANES` writable;
/// `nv * copies <= MAX_PERIOD / 4`.
#[cfg_attr(not(globalpool_unoptimized), inline(always))]
#[allow(clippy::too_many_arguments)]
unsafe fn flat_block<V: Vector, R: Reduce>(
    q: *const f32,
    n: usize,
    h: usize,
    period: usize,
    nv: usize,
    copies: usize,
    vals: *mut f32,
    flagged: bool,
) {
    let lanes = V::LANES;
    let (span, states) = (period * copies, nv * copies);
    // SAFETY: the caller's obligation, the path's CPU features.
    let mut acc = [unsafe { R::init::<V>() }; MAX_PERIOD / 4];
    // SAFETY: (for this whole block) the `h` values, whole spans, whole periods, then the
    // `rem` values in at most `nv` vectors: every load inside `q..q + n`.
    unsafe {
        let mut q = q;
        if h > 0
            && let Some(a) = acc.get_mut(nv - 1)
        {
            *a = R::step(*a, V::load_end(q, h, R::IDENTITY));
            q = q.add(h);
        }
        let mut m = n - h;
        // Max / min on the paths of `Kernels::ext_masked` with a flagged loop: whole runs of
        // `width` vectors (whole periods: 16, 15 or 14 vectors) by it, its states into the
        // period's (state `j` holds the slots of vector `j % nv`); when it reports a NaN or a
        // zero, the values go through the loops below instead.
        if flagged && const { V::EXT_FLAGGED } && !R::SUM && nv <= FLAGGED_COLUMN {
            let width = FLAGGED_COLUMN / nv * nv;
            let runs = m / (width * lanes);
            if runs >= FLAGGED_RUNS
                && let Some(v) = R::column_flagged::<V>(q, width * lanes, runs, width)
            {
                for (j, &x) in v.iter().enumerate().take(width) {
                    if let Some(a) = acc.get_mut(j % nv) {
                        *a = R::step(*a, x);
                    }
                }
                q = q.add(runs * width * lanes);
                m -= runs * width * lanes;
            }
        }
        for _ in 0..m / span {
            if copies > 1 && V::EXT_PAIRS {
                // Vectors `j` and `j + states / 2`, half a span apart, hold the same
                // channels: a pair step (one NaN check for both on AVX-512).
                let half = states / 2;
                let (lo, hi) = acc.split_at_mut(half);
                for (j, (a, b)) in lo.iter_mut().zip(hi.iter_mut()).enumerate().take(half) {
                    let x = V::load(q.add(j * lanes));
                    let y = V::load(q.add((j + half) * lanes));
                    (*a, *b) = R::step2(*a, *b, x, y);
                }
            } else {
                for (j, a) in acc.iter_mut().enumerate().take(states) {
                    *a = R::step(*a, V::load(q.add(j * lanes)));
                }
            }
            q = q.add(span);
        }
        // Then whole periods into the first copy, and the rest of a period.
        for _ in 0..(m % span) / period {
            for (j, a) in acc.iter_mut().enumerate().take(nv) {
                *a = R::step(*a, V::load(q.add(j * lanes)));
            }
            q = q.add(period);
        }
        // The rest of a period: whole vectors, then one partial vector.
        let rem = m % period;
        for (j, a) in acc.iter_mut().enumerate().take(nv) {
            let off = j * lanes;
            if rem >= off + lanes {
                *a = R::step(*a, V::load(q.add(off)));
            } else if rem > off {
                *a = R::step(*a, V::load_partial(q.add(off), rem - off, R::IDENTITY));
            }
        }
        // Every copy into the first (vector `j` of each copy holds the same slots).
        if copies > 1 {
            let (first, rest) = acc.split_at_mut(nv);
            for (j, b) in rest.iter().enumerate().take(states - nv) {
                if let Some(a) = first.get_mut(j % nv) {
                    *a = R::merge(*a, *b);
                }
            }
        }
        for (j, &a) in acc.iter().enumerate().take(nv) {
            R::value(a).store(vals.add(j * lanes));
        }
    }
}
