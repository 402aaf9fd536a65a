//! The small vector trait every SIMD path implements, and that the generic kernels are written
//! against.

/// Channel vectors per column of [`Vector::ext_column_flagged`]: sixteen states in
/// registers, half of AVX-512's 32.
pub(crate) const FLAGGED_COLUMN: usize = 16;

/// A vector of `LANES` `f32` values in one SIMD register (or a few, for `Portable`).
///
/// # Safety
///
/// Implementations are only sound to *use* on a CPU that has the instruction set they are written
/// for. Every method is an `unsafe fn` for that reason: callers (the generic kernels) are only
/// ever inlined into a `#[target_feature]` entry point of the matching path, which itself is only
/// reachable through a kernel table handed out after the CPU check
/// (`kernels::for_isa`). Pointer arguments must in addition satisfy what each method states.
pub(crate) unsafe trait Vector: Copy {
    /// Number of `f32` lanes: 4, 8 or 16.
    const LANES: usize;
    /// Twice the channel vectors per NHWC tile of the sum (which keeps `TILE / 2` independent
    /// column groups in registers, plus the loads).
    const TILE: usize;
    /// Whether the NHWC sum of inputs larger than the L2 cache takes rows of an even number of
    /// channel vectors, at most 16, as one tile (`generic::nhwc_chunk`) instead of tiles of
    /// `TILE / 2`, `TILE / 4`, ... (one pass over each group of rows, not two or three).
    const WIDE_SUM_TILE: bool = false;
    /// Whether NHWC max / min over inputs larger than the L2 cache take rows of an even number
    /// of channel vectors, at most 16, as one tile of plain [`Vector::ext_plain`] states whose
    /// NaN checks ([`Vector::ext_check`]) are shared, instead of tiles of `EXT_TILE`.
    const WIDE_EXT_TILE: bool = false;
    /// Accumulators per NCHW row for max / min (at most 16; their order does not matter, so
    /// this is only a question of registers: see [`Vector::Ext`]).
    const EXT_ACCUMULATORS: usize;
    /// Channel vectors per NHWC tile for max / min.
    const EXT_TILE: usize;
    /// The most states the NHWC "flat" path (fewer than 8 channels) keeps for max / min, laid
    /// over consecutive periods of its values (`generic::flat_copies`): twice `EXT_TILE` by
    /// default. AVX2 takes four: its states are three registers each (16 registers), and with
    /// the short period (`FLAT_EXT_SHORT`) eight were 0.58-0.71x as fast as four for 1, 2, 3
    /// and 6 channels on an AMD Zen 5 (level for 5 and 7). (SSE2, whose steps wait on their
    /// latency more, kept eight: 1.38-1.49x faster than four for 1 or 2 channels.)
    const FLAT_EXT_STATES: usize = 2 * Self::EXT_TILE;
    /// Whether the NHWC "flat" path's max / min take the shortest period that suits both the
    /// vector and the channels (`G` vectors for `channels = G 2^k`) instead of the sum's
    /// canonical `16 G` values (the same on AVX-512): AVX2 and SSE2, where `FLAT_EXT_STATES`
    /// then counts whole periods (1-7 channels `max` on an AMD Zen 5, against the canonical
    /// period's six to fourteen states: AVX2 1.11-1.73x with four states, SSE2 0.97-1.43x). On NEON it left the flat loops' instructions as they
    /// were but cost instructions elsewhere in the NHWC entry (qemu counts: 1x1280x7x7 `max`
    /// 0.446 -> 0.541 per element, `sum` 0.501 -> 0.636): not taken there.
    const FLAT_EXT_SHORT: bool = false;
    /// NHWC rows a tile adds in registers before the next tile of its chunk takes the same
    /// rows (at most, and ideally a divisor of, the canonical 32-row block). Small groups read
    /// memory a few rows at a time left to right, which x86 prefetchers follow; 32 keeps the
    /// partials in registers for a whole block (fewest instructions, no stack scratch). Only
    /// for inputs larger than the L2 cache; smaller ones are read in columns or whole blocks
    /// (see `generic::NHWC_CACHED_BYTES`).
    const NHWC_GROUP: usize;
    /// Whether the NHWC sum of an input that fits the L2 cache goes by columns of channel
    /// vectors down all rows like max / min (the column's partials, totals and compensations,
    /// three vectors each, in registers), or by whole 32-row blocks across all columns (the
    /// totals in memory). Columns need the 32 registers of AVX-512 for a tile of 8 vectors:
    /// there they were 1.1-1.15x faster than blocks on the 7×7 and 14×14 heads; on AVX2 and
    /// SSE2 (16 registers) 1.1-1.2x slower.
    const NHWC_SUM_COLUMNS: bool = false;
    /// Whether the NHWC sum of an input whose rows are a whole number of 4 KiB pages long (a
    /// multiple of 1024 channels) and that fits the L2 cache goes by `generic::nhwc_pages`:
    /// groups of a few rows across 1024 channels at a time, each row read left to right,
    /// instead of columns or 32-row groups. Measured on x86 only (AMD Zen 5, median over 10
    /// allocations of 1×1024×7×7 and 1×2048×7×7 inputs: AVX-512 `avg` 1.15-1.25x, AVX2 and
    /// SSE2 1.7x). A path's `Kernels` may still turn it off for a CPU (`Dims::pages`: AVX-512
    /// on an AMD Zen 4, whose column walks read these rows 1.17-1.28x faster).
    const NHWC_PAGES_SUM: bool = false;
    /// The same for max / min: AVX-512 1.08-1.1x; AVX2 1.16-1.53x and SSE2 1.2-1.34x (AMD Zen
    /// 5, 1024 and 2048 channels, 7x7 and 14x14) with their tiles of four vectors there
    /// (`generic::page_tile`; with eight, 0.89-1.02x).
    const NHWC_PAGES_EXT: bool = false;
    /// Whether the NCHW short-row groups (`LANES` rows, each reduced to one vector) keep their
    /// row loop rolled. Unrolled, the optimizer interleaves the rows' loads, which spills
    /// registers when a group's rows need more than the register file: on AVX-512 (16 rows of
    /// 7×7) the rolled loop was 14% faster, on AVX2 the unrolled one 16%. The rolled loop takes
    /// two rows per turn (7×7 `max` 1.22-1.3x faster than one).
    const NCHW_ROLLED: bool = false;
    /// Whether long NCHW rows and the NHWC "flat" path (fewer than 8 channels) align their
    /// loads: the values before the first vector-size boundary are loaded on their own
    /// ([`Vector::load_end`]), so that all other loads are aligned. Worth it where misaligned
    /// loads often cost two cache-line reads: AVX-512 and AVX2 (`avg` 1.5-1.8x faster on
    /// L2-resident rows 16 to 48 bytes past a 64-byte boundary). Bit-identical either way: see
    /// `generic::block`.
    const ALIGN_LOADS: bool = false;
    /// Whether short NCHW rows are read as the aligned vectors they overlap, each row's lanes
    /// taken by masked loads ([`Vector::load_bits`]), instead of from their unaligned start
    /// (see `generic::stream_row`). Worth it where masked loads are cheap and a misaligned
    /// load reads two cache lines: AVX-512.
    const STREAM_ROWS: bool = false;
    /// Whether the groups of short NCHW rows (`generic::plain_groups`) ask the cache for each
    /// row's lines ahead (`kernels::prefetch_ahead`; x86-64 only): AVX-512, whose 7x7 `max`
    /// was 1.17-1.21x faster with them on an AMD Zen 5. Not AVX2: there the same hints made
    /// 7x7 `avg` 1.51-1.53x slower (`max` 1.01-1.14x) on the same CPU.
    const SHORT_ROW_HINTS: bool = false;
    /// Whether the NHWC max / min loops step two rows at a time into each state (see
    /// [`Vector::ext_step_pair`]): worth it where the state checks a pair of vectors at once
    /// (AVX-512: 1.06-1.17x); elsewhere two rows of single steps were 3-8% slower than rows one
    /// at a time.
    const EXT_PAIRS: bool = false;
    /// The result of a lane-wise comparison.
    type Mask: Copy;
    /// Stack scratch for one NHWC channel chunk: `[f32; N]`, `N` channels per chunk (a few
    /// kilobytes at most, small on the paths that run on microcontrollers).
    type Chunk: bytemuck::Pod;

    /// All lanes `x`.
    unsafe fn splat(x: f32) -> Self;
    /// Loads `LANES` values from `p` (no alignment needed).
    ///
    /// # Safety
    /// `p..p + LANES` must be readable.
    unsafe fn load(p: *const f32) -> Self;
    /// Loads `n` values (`0 < n < LANES`) into the first lanes; the others get `fill`. Reads
    /// nothing beyond `p + n`.
    ///
    /// # Safety
    /// `p..p + n` must be readable.
    unsafe fn load_partial(p: *const f32, n: usize, fill: f32) -> Self;
    /// A partial load prepared once (the mask of `n` lanes and the fill), for loops that load
    /// the same number of values many times.
    type Tail: Copy;
    /// Prepares loads of `n` values, `0 < n < LANES`, with the other lanes set to `fill`.
    unsafe fn tail(n: usize, fill: f32) -> Self::Tail;
    /// [`Vector::load_partial`] with a prepared tail.
    ///
    /// # Safety
    /// `p..p + n` must be readable, for the `n` of `tail`.
    unsafe fn load_tail(p: *const f32, tail: Self::Tail) -> Self;
    /// [`Vector::load_tail`] for a tail that follows at least one whole vector of the same
    /// row: paths without masked loads override it with one full load that ends at `p + n` and
    /// a lane shift, instead of a partial load.
    ///
    /// # Safety
    /// `p + n - LANES..p + n` must be readable, for the `n` of `tail`.
    #[inline(always)]
    unsafe fn load_tail_back(p: *const f32, tail: Self::Tail) -> Self {
        // SAFETY: `p..p + n` is part of what the caller guarantees readable.
        unsafe { Self::load_tail(p, tail) }
    }
    /// Loads `n` values (`0 < n < LANES`) into the *last* lanes; the others get `fill`. Reads
    /// nothing outside `p..p + n`.
    ///
    /// # Safety
    /// `p..p + n` must be readable.
    #[inline(always)]
    unsafe fn load_end(p: *const f32, n: usize, fill: f32) -> Self {
        let mut a = [fill; 16];
        let n = n.min(Self::LANES);
        // SAFETY: `p..p + n` is readable and lanes `LANES - n..LANES` are inside `a`.
        unsafe {
            core::ptr::copy_nonoverlapping(p, a.as_mut_ptr().add(Self::LANES - n), n);
            Self::load(a.as_ptr())
        }
    }
    /// Loads the lanes whose bit is set in `bits` (bit `l` for lane `l`) from the vector at
    /// `p`; the others get `fill`. Reads nothing else, so `p` itself may lie outside the
    /// input (a wrapping pointer).
    ///
    /// # Safety
    /// `p + l` must be readable for every lane `l` whose bit is set.
    #[inline(always)]
    unsafe fn load_bits(p: *const f32, bits: u32, fill: f32) -> Self {
        let mut a = [fill; 16];
        for (l, x) in a.iter_mut().enumerate().take(Self::LANES) {
            if bits >> l & 1 == 1 {
                // SAFETY: lane `l`'s bit is set: readable.
                *x = unsafe { p.wrapping_add(l).read() };
            }
        }
        // SAFETY: `a` holds `16 >= LANES` values.
        unsafe { Self::load(a.as_ptr()) }
    }
    /// Lanes `n..LANES` of `a` followed by lanes `0..n` of `b` (`n <= LANES`): the vector that
    /// starts `n` lanes into `a` when `b` follows `a` in memory, without the load that would
    /// straddle them. (Only the paths with [`Vector::STREAM_ROWS`] use it, with `n` a constant
    /// of the code; AVX-512 has it as one `valignd`.)
    #[inline(always)]
    unsafe fn splice(a: Self, b: Self, n: usize) -> Self {
        let mut both = [0.0f32; 32];
        let n = n.min(Self::LANES);
        // SAFETY: `both` holds `2 * LANES <= 32` values, and the load `LANES` from `n <= LANES`.
        unsafe {
            a.store(both.as_mut_ptr());
            b.store(both.as_mut_ptr().add(Self::LANES));
            Self::load(both.as_ptr().add(n))
        }
    }
    /// Stores all lanes to `p` (no alignment needed).
    ///
    /// # Safety
    /// `p..p + LANES` must be writable.
    unsafe fn store(self, p: *mut f32);
    /// Stores the first `n` lanes (`0 < n < LANES`); writes nothing beyond `p + n`.
    ///
    /// # Safety
    /// `p..p + n` must be writable.
    unsafe fn store_partial(self, p: *mut f32, n: usize);

    /// Lane-wise IEEE addition.
    unsafe fn add(self, b: Self) -> Self;
    /// `self + x` in the lanes whose bit is set in `bits` (bit `l` for lane `l`), `self` in
    /// the others. (Only the paths with [`Vector::STREAM_ROWS`] use it; AVX-512 has it as one
    /// masked addition.)
    #[inline(always)]
    unsafe fn add_bits(self, x: Self, bits: u32) -> Self {
        let (mut a, mut b) = ([0.0f32; 16], [0.0f32; 16]);
        // SAFETY: `a` and `b` hold `16 >= LANES` values.
        unsafe {
            self.store(a.as_mut_ptr());
            x.store(b.as_mut_ptr());
        }
        for (l, (a, b)) in a.iter_mut().zip(b).enumerate().take(Self::LANES) {
            if bits >> l & 1 == 1 {
                *a += b;
            }
        }
        // SAFETY: as above.
        unsafe { Self::load(a.as_ptr()) }
    }
    /// `acc[k].add(v_k)` for the four consecutive vectors `v_0..v_3` at `*p` (`4 * LANES`
    /// values, no alignment needed), advancing `*p` past them: the NHWC sum's inner step. Paths
    /// with a multi-register load override it: NEON's `LD1` of four registers with a
    /// post-increment is one instruction where two `LDP` and a pointer update are three.
    ///
    /// # Safety
    /// `*p..*p + 4 * LANES` must be readable.
    #[inline(always)]
    unsafe fn add4(acc: [Self; 4], p: &mut *const f32) -> [Self; 4] {
        // SAFETY: the caller's obligations are passed on.
        unsafe {
            let [x0, x1, x2, x3] = load4(p);
            let [a0, a1, a2, a3] = acc;
            [a0.add(x0), a1.add(x1), a2.add(x2), a3.add(x3)]
        }
    }
    /// Lane-wise IEEE subtraction.
    unsafe fn sub(self, b: Self) -> Self;
    /// Lane-wise IEEE division.
    unsafe fn div(self, b: Self) -> Self;
    /// Lane-wise IEEE 754-2019 `maximum` (`+0.0 > -0.0`); any NaN operand gives a NaN (of any
    /// payload).
    unsafe fn max(self, b: Self) -> Self;
    /// Lane-wise IEEE 754-2019 `minimum` (`-0.0 < +0.0`); any NaN operand gives a NaN (of any
    /// payload).
    unsafe fn min(self, b: Self) -> Self;

    /// Lanes that hold a NaN.
    unsafe fn is_nan(self) -> Self::Mask;
    /// Lanes that hold a finite value.
    unsafe fn is_finite(self) -> Self::Mask;
    /// `a` in the lanes set in `m`, `b` in the others.
    unsafe fn select(m: Self::Mask, a: Self, b: Self) -> Self;

    /// One level of the transposed lane fold (see `generic::fold_lanes`).
    ///
    /// `a` and `b` each hold groups of `LANES >> level` lanes that belong together (at `level`
    /// 0, one group: the whole vector). Returns `(lo, hi)` such that `lo + hi` (or max / min)
    /// holds groups of half that size, each being the fold of one input group: lane `i` of a
    /// group plus lane `i + size/2` of the same group, for `i < size/2`. The placement of the
    /// new groups is the implementation's choice; [`Vector::unscramble`] undoes it at the end.
    unsafe fn fold_pair(a: Self, b: Self, level: u32) -> (Self, Self);
    /// Running state of a maximum (`MAX`) or minimum (`!MAX`) over many vectors, for the hot
    /// loops: it may carry more than one register when that makes a step cheaper than
    /// [`Vector::max`] / [`Vector::min`]. `ext_finish` must return, per lane, exactly the IEEE
    /// `maximum` / `minimum` of every value stepped or merged in (any NaN payload for a NaN).
    type Ext: Copy;
    /// The state before any value.
    unsafe fn ext_init<const MAX: bool>() -> Self::Ext;
    /// Adds one vector of values.
    unsafe fn ext_step<const MAX: bool>(acc: Self::Ext, x: Self) -> Self::Ext;
    /// Two vectors of the same lanes into two states that are merged in the end: `x` into `a`,
    /// `y` into `b` (rows of one channel column, vectors of one NCHW row). The two states are
    /// only exact together: a path may check both vectors at once and record it in `a` alone
    /// (AVX-512 records their NaNs so), so the caller must merge `b` into `a` (or `a` into `b`)
    /// before [`Vector::ext_finish`].
    #[inline(always)]
    unsafe fn ext_step2<const MAX: bool>(
        a: Self::Ext,
        b: Self::Ext,
        x: Self,
        y: Self,
    ) -> (Self::Ext, Self::Ext) {
        // SAFETY: the trait's contract, passed on.
        unsafe { (Self::ext_step::<MAX>(a, x), Self::ext_step::<MAX>(b, y)) }
    }
    /// Whether [`Vector::ext_step2_masked`] differs from [`Vector::ext_step2`] on this path
    /// (without, the long NCHW rows' loop is built once).
    const EXT_STEP2_MASKED: bool = false;
    /// [`Vector::ext_step2`] as the CPUs of `Kernels::ext_masked` run it faster, the same
    /// states (AVX-512: the NaN check a compare masked by `a`'s mask, not a compare and a
    /// `kandw`).
    #[inline(always)]
    unsafe fn ext_step2_masked<const MAX: bool>(
        a: Self::Ext,
        b: Self::Ext,
        x: Self,
        y: Self,
    ) -> (Self::Ext, Self::Ext) {
        // SAFETY: the trait's contract, passed on.
        unsafe { Self::ext_step2::<MAX>(a, b, x, y) }
    }
    /// Whether [`Vector::ext_rounds_flagged`] is implemented on this path (`EXT_ACCUMULATORS`
    /// is then 4).
    const EXT_FLAGGED: bool = false;
    /// `rounds` rounds of four vectors from `p` (vector `k` of a round into `states[k]`, as
    /// the long NCHW rows' loop steps them), stepped by the CPU's plain max / min, which
    /// reports a NaN operand in the floating-point status (an invalid operation) instead of
    /// carrying it in the state: one operation a vector instead of a step. Returns `true` when
    /// the states are then exactly what the steps would have made of them: no NaN reported
    /// and no lane at `±0` (whose sign a plain max / min does not order; any other value has
    /// one encoding, so it is the same whichever operand it came from). On `false` the states
    /// are unspecified and the caller steps the rounds again from its copy of them. The
    /// default does nothing and returns `false`.
    ///
    /// # Safety
    /// `p..p + 4 * rounds * LANES` readable; the path's CPU features.
    #[inline(always)]
    unsafe fn ext_rounds_flagged<const MAX: bool>(
        states: &mut [Self::Ext],
        p: *const f32,
        rounds: usize,
    ) -> bool {
        let _ = (states, p, rounds);
        false
    }
    /// Whether the floating-point status register's invalid-operation flag is set, read by an
    /// `asm!` block: ordered with [`Vector::ext_plain_flagged`]'s blocks (neither is `pure`),
    /// so a read before and a read after them bracket their NaN reports. The default says it is
    /// set (paths without [`Vector::EXT_FLAGGED`] never step by the flag).
    ///
    /// # Safety
    /// The path's CPU features.
    #[inline(always)]
    unsafe fn invalid_flag() -> bool {
        true
    }
    /// `a` stepped by `b` with the CPU's plain max (`MAX`) / min in an `asm!` block that is not
    /// `pure` (see [`Vector::invalid_flag`]): a NaN in either operand is reported in the
    /// status register instead of ordered; `+0` and `-0` in either order give either. Only
    /// for callers that read [`Vector::invalid_flag`] before and after, and check the result
    /// for zeros. The default is [`Vector::ext_plain`] (never called: `EXT_FLAGGED` is false).
    ///
    /// # Safety
    /// The path's CPU features.
    #[inline(always)]
    unsafe fn ext_plain_flagged<const MAX: bool>(a: Self, b: Self) -> Self {
        // SAFETY: the trait's contract, passed on.
        unsafe { Self::ext_plain::<MAX>(a, b) }
    }
    /// Whether a lane of `self` is `+0` or `-0` (the default: none; only paths with
    /// [`Vector::EXT_FLAGGED`] are asked).
    ///
    /// # Safety
    /// The path's CPU features.
    #[inline(always)]
    unsafe fn any_zero(self) -> bool {
        false
    }
    /// The max / min of a column of `width` channel vectors (14, 15 or 16, [`FLAGGED_COLUMN`]
    /// for any other value; the states after them are the identity) over `rows` rows of an
    /// NHWC image (vector `k` of row `r` at `col + r * stride + k * LANES`), stepped as
    /// [`Vector::ext_rounds_flagged`] steps its rounds: by the CPU's plain max / min, NaN
    /// operands reported in the floating-point status. `Some` only when the values are then
    /// exactly the IEEE maximum / minimum (no NaN reported, no lane at `±0`); on `None` the
    /// caller reduces the column again by the checked steps. Implemented where
    /// [`Vector::EXT_FLAGGED`] is; the default returns `None`.
    ///
    /// # Safety
    /// `col + r * stride + [0, width * LANES)` readable for every `r < rows`, `rows > 0`; the
    /// path's CPU features.
    #[inline(always)]
    unsafe fn ext_column_flagged<const MAX: bool>(
        col: *const f32,
        stride: usize,
        rows: usize,
        width: usize,
    ) -> Option<[Self; FLAGGED_COLUMN]> {
        let _ = (col, stride, rows, width);
        None
    }
    /// Two vectors of the same lanes into one state.
    #[inline(always)]
    unsafe fn ext_step_pair<const MAX: bool>(a: Self::Ext, x: Self, y: Self) -> Self::Ext {
        // SAFETY: the trait's contract, passed on.
        unsafe { Self::ext_step::<MAX>(Self::ext_step::<MAX>(a, x), y) }
    }
    /// The state of two vectors of the same lanes and nothing else: [`Vector::ext_step_pair`]
    /// from [`Vector::ext_init`], which the x86 paths do in fewer operations (no step against
    /// the initial infinities; where the state is one IEEE `max` / `min` register, as on NEON,
    /// the compiler already drops that step).
    #[inline(always)]
    unsafe fn ext_start_pair<const MAX: bool>(x: Self, y: Self) -> Self::Ext {
        // SAFETY: the trait's contract, passed on.
        unsafe { Self::ext_step_pair::<MAX>(Self::ext_init::<MAX>(), x, y) }
    }
    /// `acc` after checking `x` and `y` for NaNs, its value aside: a state used only for
    /// [`Vector::ext_split`]'s `nan`, shared by plain ([`Vector::ext_plain`]) states of several
    /// lanes. The default steps both in.
    #[inline(always)]
    unsafe fn ext_check<const MAX: bool>(acc: Self::Ext, x: Self, y: Self) -> Self::Ext {
        // SAFETY: the trait's contract, passed on.
        unsafe { Self::ext_step_pair::<MAX>(acc, x, y) }
    }
    /// Combines two states.
    unsafe fn ext_merge<const MAX: bool>(a: Self::Ext, b: Self::Ext) -> Self::Ext;
    /// The result per lane.
    unsafe fn ext_finish<const MAX: bool>(acc: Self::Ext) -> Self;
    /// The state as `(value, nan)`, for the folds of short NCHW rows. A path whose NaN check
    /// is an operation of its own (AVX-512) keeps NaNs out of band: `value` is the result per
    /// lane where the lane saw no NaN (anything elsewhere), `nan` whether any lane saw one, and
    /// the fold goes by [`Vector::ext_plain`]; the others keep the default, [`Vector::ext_finish`]
    /// and `false`.
    #[inline(always)]
    unsafe fn ext_split<const MAX: bool>(acc: Self::Ext) -> (Self, bool) {
        // SAFETY: the trait's contract, passed on.
        (unsafe { Self::ext_finish::<MAX>(acc) }, false)
    }
    /// Lane-wise maximum / minimum for the folds of [`Vector::ext_split`] values: exact where
    /// neither lane is a NaN; a path that overrides `ext_split` may give anything elsewhere,
    /// the default is IEEE `maximum` / `minimum`.
    #[inline(always)]
    unsafe fn ext_plain<const MAX: bool>(a: Self, b: Self) -> Self {
        // SAFETY: the trait's contract, passed on.
        unsafe { if MAX { a.max(b) } else { a.min(b) } }
    }

    /// Puts the `LANES` single-lane groups left by `log2(LANES)` levels of
    /// [`Vector::fold_pair`] over vectors `v_0, v_1, ...` (paired as `(v_0, v_1)`, `(v_2, v_3)`,
    /// ... at each level) into lane order: lane `k` then holds the fold of `v_k`.
    unsafe fn unscramble(self) -> Self;
}

/// `[fill; N]` with its first `n` values (`n < N`) copied from `p`: the partial load of the
/// paths that have no masked load.
///
/// # Safety
/// `p..p + n` must be readable.
#[inline(always)]
pub(crate) unsafe fn partial<const N: usize>(p: *const f32, n: usize, fill: f32) -> [f32; N] {
    let mut a = [fill; N];
    // SAFETY: the caller guarantees `p..p + n` is readable; at most `N` values are written.
    unsafe { core::ptr::copy_nonoverlapping(p, a.as_mut_ptr(), n.min(N)) };
    a
}

/// Loads the four consecutive vectors at `*p` and advances `*p` past them.
///
/// # Safety
/// `*p..*p + 4 * V::LANES` must be readable; the path's CPU features, as for every [`Vector`]
/// method.
#[inline(always)]
pub(crate) unsafe fn load4<V: Vector>(p: &mut *const f32) -> [V; 4] {
    let q = *p;
    // One past the four vectors at most: a wrapping add, since it may be one past the input.
    *p = q.wrapping_add(4 * V::LANES);
    // SAFETY: the four vectors are inside what the caller guarantees readable.
    unsafe {
        [
            V::load(q),
            V::load(q.add(V::LANES)),
            V::load(q.add(2 * V::LANES)),
            V::load(q.add(3 * V::LANES)),
        ]
    }
}
