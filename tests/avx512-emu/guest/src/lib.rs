//! Guest side of the AVX-512 emulation harness.
//!
//! This library runs *inside* the bochscpu emulator (see `../../run.py`), on a bare virtual
//! x86-64 CPU in long mode that has AVX-512: no OS, no allocator, no `std`. It exports a few
//! `extern "C"` functions that the host calls one at a time (the return address the host pushes
//! points at `gp_emu_return`, a `hlt` that stops the emulator).
//!
//! [`gp_emu_selftest`] (or [`gp_emu_check_api`] plus [`gp_emu_run_cases`] in chunks, as run.py
//! does) generates random cases from a seed, runs every op of `globalpool` on both
//! layouts through `Isa::Avx512` and through `Isa::Scalar` (the reference), and compares the
//! outputs bit for bit. The outcome, including the details of the first mismatch, is written to
//! the [`GP_EMU_REPORT`] static, whose address the host finds in the ELF symbol table.
//!
//! Everything is deterministic: a case is fully defined by `(seed, case index)`, so the host can
//! re-run a single failing case ([`gp_emu_run_cases`]) or dump its input ([`gp_emu_case`]).

#![no_std]

use core::cell::UnsafeCell;
use core::fmt::Write;
use core::hint::black_box;

use globalpool::{Error, Isa, Layout, Pooler, Shape};

mod mem;

// ---------------------------------------------------------------------------------------------
// Bare-metal plumbing
// ---------------------------------------------------------------------------------------------

// The return trampoline: the host pushes the address of `gp_emu_return` before jumping to an
// exported function, so the function's final `ret` lands on this `hlt`, which ends the emulation.
// The `ud2` after it is never reached in a correct run (it would be reported as an exception).
// The section name is kept first in the image by flat.ld, and `_start` (the ELF entry point the
// linker wants) is the same address.
core::arch::global_asm!(
    ".pushsection .text.gp_emu_entry,\"ax\",@progbits",
    ".globl _start",
    ".globl gp_emu_return",
    "_start:",
    "gp_emu_return:",
    "    hlt",
    "    ud2",
    ".popsection",
);

/// A panic cannot be reported from here: execute `ud2`, which raises #UD (vector 6) and the
/// host reports it as a guest crash with the faulting address. (`globalpool` promises not to
/// panic; the guest itself avoids panicking paths as far as it can.)
#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    // SAFETY: `ud2` only raises an exception; it touches no memory.
    unsafe { core::arch::asm!("ud2", options(noreturn, nomem, nostack)) }
}

/// A `static` the guest mutates. The guest is single-threaded and the host only touches memory
/// between calls, so no synchronization is needed.
#[repr(transparent)]
pub struct Racy<T>(UnsafeCell<T>);

// SAFETY: the guest runs on one virtual CPU with no interrupts; nothing is ever shared between
// threads.
unsafe impl<T> Sync for Racy<T> {}

impl<T> Racy<T> {
    const fn new(value: T) -> Self {
        Racy(UnsafeCell::new(value))
    }

    /// Mutable access to the contents.
    ///
    /// # Safety
    /// No other reference to the contents may be alive (true for the top-level exported
    /// functions, which take each static once).
    #[allow(clippy::mut_from_ref)]
    unsafe fn get(&self) -> &mut T {
        // SAFETY: the caller guarantees exclusivity.
        unsafe { &mut *self.0.get() }
    }
}

// ---------------------------------------------------------------------------------------------
// Sizes and buffers (statics: there is no allocator)
// ---------------------------------------------------------------------------------------------

/// The largest input of a case, in floats (`batch * channels * spatial`). A case costs about 130
/// emulated instructions per input float (generation plus 16 pooling calls), so this bounds the
/// cost of one case (about 8 million instructions, 0.3 s).
pub const MAX_INPUT: usize = 60_000;
/// Inputs start at a random offset `0..MAX_OFFSET` floats from a 64-byte boundary.
pub const MAX_OFFSET: usize = 16;
/// The largest batch and channel counts of a case.
pub const MAX_BATCH: usize = 3;
pub const MAX_CHANNELS: usize = 300;
/// The channel counts of whole 4 KiB pages per NHWC row that some cases take instead (batch 1),
/// which the AVX-512 tables read differently (`nhwc_pages` in the crate's `Kernels`).
pub const PAGE_CHANNELS: [usize; 2] = [1024, 2048];
/// The largest output of a case, in floats.
pub const MAX_OUTPUT: usize = 2048;
const _: () = assert!(MAX_OUTPUT >= MAX_BATCH * MAX_CHANNELS && MAX_OUTPUT >= PAGE_CHANNELS[1]);
/// Floats around each output slice that must not be written (out-of-bounds store detection).
pub const GUARD: usize = 32;

/// The bits the output buffers are filled with before each call. The two paths get different
/// patterns (both signalling NaNs, which the crate never writes), so an output element that
/// one path forgets to write shows up as a mismatch, and an untouched guard is recognisable.
const FILL_AVX512: u32 = 0x7F80_0A5A;
const FILL_SCALAR: u32 = 0xFF80_05A5;

/// An output buffer: the output slice of a call is `data[GUARD .. GUARD + len]`.
#[repr(C, align(64))]
struct OutBuf {
    data: [f32; GUARD + MAX_OUTPUT + GUARD],
}

/// All the large buffers (zero-initialised, so they land in `.bss`).
#[repr(C, align(64))]
struct Buffers {
    input: [f32; MAX_INPUT + MAX_OFFSET],
    avx512: OutBuf,
    scalar: OutBuf,
}

static BUFFERS: Racy<Buffers> = Racy::new(Buffers {
    input: [0.0; MAX_INPUT + MAX_OFFSET],
    avx512: OutBuf {
        data: [0.0; GUARD + MAX_OUTPUT + GUARD],
    },
    scalar: OutBuf {
        data: [0.0; GUARD + MAX_OUTPUT + GUARD],
    },
});

// ---------------------------------------------------------------------------------------------
// The report read by the host
// ---------------------------------------------------------------------------------------------

/// `Report::magic`: "GPEMU" + format version 1.
pub const REPORT_MAGIC: u64 = u64::from_le_bytes(*b"GPEMU\0v1");

/// `Report::status` bits. Any bit set means the run failed.
pub mod status {
    /// `Pooler::with_isa(Isa::Avx512)` returned `None`: the AVX-512 path did not run at all.
    pub const NO_AVX512: u64 = 1 << 0;
    /// `Pooler::detect()` did not pick `Isa::Avx512` on this AVX-512 CPU.
    pub const DETECT_NOT_AVX512: u64 = 1 << 1;
    /// An invalid call returned a different `Result` on the two paths.
    pub const ERROR_CASE_DIFFERS: u64 = 1 << 2;
    /// An invalid call wrote to its output slice (the crate promises it does not).
    pub const ERROR_CASE_WROTE: u64 = 1 << 3;
    /// Output bits differ between Avx512 and Scalar.
    pub const VALUE_MISMATCH: u64 = 1 << 4;
    /// A valid call returned an error (or the two paths returned different `Result`s).
    pub const RESULT_MISMATCH: u64 = 1 << 5;
    /// A call wrote outside its output slice.
    pub const OUT_OF_BOUNDS_WRITE: u64 = 1 << 6;
}

/// What the host reads after a call: 64-bit fields only, in this order (run.py's `REPORT_FIELDS`
/// lists the same names; `n_fields` lets it check the two agree).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct Report {
    pub magic: u64,
    pub n_fields: u64,
    /// `status::*` bits.
    pub status: u64,
    /// Cases run by the last call.
    pub cases_run: u64,
    /// Pooling calls made (both paths, valid and invalid calls).
    pub calls: u64,
    /// Output values compared.
    pub values_compared: u64,
    /// Input values generated.
    pub input_values: u64,
    /// Failed comparisons: one per (case, layout, op) whose outputs differ in any way, plus one
    /// per failed error-case check, plus one per failed detection check.
    pub mismatches: u64,
    /// `Pooler::detect().isa()` as an index into `Isa::ALL` (`u64::MAX` if not found).
    pub detected_isa: u64,
    /// `Pooler::detect()`'s `Debug` text (path and tuning), UTF-8, zero-padded, cut at 64 bytes.
    pub detected_debug: [u64; 8],
    /// Index (from 1) of the first error-case check that failed, 0 if none.
    pub error_check_failed: u64,
    /// The first failed comparison of a random case (all zero if none):
    /// the case index and the seed it was generated from (`case_seed(seed, index)`),
    pub first_case: u64,
    pub first_case_seed: u64,
    /// its shape, input offset (floats) and generator parameters,
    pub first_batch: u64,
    pub first_channels: u64,
    pub first_spatial: u64,
    pub first_offset: u64,
    pub first_special_ppm: u64,
    pub first_value_mode: u64,
    /// the call: layout (0 NCHW, 1 NHWC) and op (0 sum, 1 avg, 2 max, 3 min),
    pub first_layout: u64,
    pub first_op: u64,
    /// what went wrong (`status::*` bits),
    pub first_kind: u64,
    /// the first differing output index (`b * channels + c`) and the bits there, and how many
    /// output values of that call differ,
    pub first_index: u64,
    pub first_avx512_bits: u64,
    pub first_scalar_bits: u64,
    pub first_bad_values: u64,
    /// for a write outside the output: the first written guard position, as an offset from the
    /// output start (an `i64`, negative before it), the bits found there, and which path wrote
    /// (1 avx512, 2 scalar),
    pub first_guard_offset: u64,
    pub first_guard_bits: u64,
    pub first_guard_path: u64,
    /// and the results of the two calls (`result_code`).
    pub first_avx512_result: u64,
    pub first_scalar_result: u64,
    /// Set by `gp_emu_case`: the case's input, as an address and a length in floats, and its
    /// shape.
    pub case_input_addr: u64,
    pub case_input_len: u64,
    pub case_batch: u64,
    pub case_channels: u64,
    pub case_spatial: u64,
    pub case_offset: u64,
    pub case_special_ppm: u64,
    pub case_value_mode: u64,
}

const REPORT_FIELDS: usize = core::mem::size_of::<Report>() / 8;

impl Report {
    const EMPTY: Report = {
        // SAFETY: `Report` is plain `u64` fields; all-zero is a valid value.
        let mut r: Report = unsafe { core::mem::zeroed() };
        r.magic = REPORT_MAGIC;
        r.n_fields = REPORT_FIELDS as u64;
        r
    };
}

/// The report. `#[no_mangle]` so the host finds it by name in the ELF symbol table.
#[unsafe(no_mangle)]
pub static GP_EMU_REPORT: Racy<Report> = Racy::new(Report::EMPTY);

/// A `Result` as a number for the report: 0 `Ok`, then one code per `Error` variant.
fn result_code(r: Result<(), Error>) -> u64 {
    match r {
        Ok(()) => 0,
        Err(Error::InputLength { .. }) => 1,
        Err(Error::OutputLength { .. }) => 2,
        Err(Error::EmptySpatial) => 3,
        Err(Error::ShapeOverflow) => 4,
        Err(_) => 5,
    }
}

// ---------------------------------------------------------------------------------------------
// Random numbers
// ---------------------------------------------------------------------------------------------

/// SplitMix64 (Steele, Lea, Flood 2014): tiny, fast, and good enough for test data.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        mix64(self.0)
    }

    /// Uniform in `0..n` (`n > 0`), by the multiply-high method (bias below 2^-32 here).
    fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next()) * u128::from(n)) >> 64) as u64
    }

    /// Uniform in `lo..=hi`.
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }

    /// True with probability `num / den`.
    fn chance(&mut self, num: u64, den: u64) -> bool {
        self.below(den) < num
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        // `items` is never empty here; `get` keeps the panic machinery out anyway.
        let i = self.below(items.len() as u64) as usize;
        match items.get(i) {
            Some(&x) => x,
            None => items[0],
        }
    }
}

/// SplitMix64's output function.
fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The seed of case `index` of a run with seed `seed`: every case can be regenerated alone.
fn case_seed(seed: u64, index: u64) -> u64 {
    mix64(seed ^ mix64(index.wrapping_add(0x243F_6A88_85A3_08D3)))
}

// ---------------------------------------------------------------------------------------------
// Case generation
// ---------------------------------------------------------------------------------------------

/// Spatial sizes that sit on the kernels' edges: vector widths (4, 8, 16 lanes), the 64-lane NCHW
/// step, the NCHW block of 4096 values, and typical CNN maps (7x7, 14x14).
const SPATIAL_EDGES: [usize; 21] = [
    1, 2, 3, 7, 15, 16, 17, 31, 33, 49, 63, 64, 65, 196, 255, 256, 257, 4095, 4096, 4097, 5000,
];

/// Value modes (`Case::value_mode`): how the ordinary (non-special) values are drawn.
const MODE_MIXED: u64 = 0; // each value picks one of the three kinds below
const MODE_SMALL_INT: u64 = 1; // integers in -100..=100: exact sums, order bugs still show in bits
const MODE_UNIFORM: u64 = 2; // uniform in [-1, 1) on a 2^-24 grid
const MODE_WIDE: u64 = 3; // random mantissa, exponent spread (width chosen per case)
const N_MODES: u64 = 4;

/// The parameters of one case; the input itself is in `BUFFERS.input[offset ..][.. len]`.
#[derive(Clone, Copy)]
struct Case {
    batch: usize,
    channels: usize,
    spatial: usize,
    offset: usize,
    /// Special values per million.
    special_ppm: u64,
    /// `MODE_*` in the low byte; bits 8.. hold the sign mode, exponent width and special kinds
    /// (only for the report).
    value_mode: u64,
}

impl Case {
    fn len(&self) -> usize {
        self.batch * self.channels * self.spatial
    }
}

/// Special value kinds; a case enables a random non-empty subset of them.
const SP_NAN: u64 = 1; // NaN of either sign, random payload, quiet or signalling
const SP_INF: u64 = 2; // +inf, -inf
const SP_ZERO: u64 = 4; // +0.0, -0.0
const SP_SUBNORMAL: u64 = 8; // random non-zero subnormal of either sign
const SP_MAX: u64 = 16; // +f32::MAX, -f32::MAX
const SP_ALL: u64 = 31;

/// Generates case `(seed, index)`: its shape and, in `input`, its values.
fn generate(seed: u64, index: u64, input: &mut [f32; MAX_INPUT + MAX_OFFSET]) -> Case {
    let mut rng = Rng(case_seed(seed, index));

    // Shape. Batch mostly 1; channels biased to small counts (the NHWC "flat" path is taken
    // below 8 channels, vectors of 4 / 8 / 16 lanes have edges up to 20), spatial half the time
    // from the edge list.
    let batch = rng.pick(&[1, 1, 2, 3]);
    let mut channels = match rng.below(10) {
        0..=4 => rng.range(1, 20),
        5..=6 => rng.range(1, 70),
        _ => rng.range(1, MAX_CHANNELS as u64),
    } as usize;
    let spatial = match rng.below(4) {
        0 | 1 => rng.pick(&SPATIAL_EDGES),
        2 => rng.range(1, 64) as usize,
        _ => rng.range(1, 5000) as usize,
    };
    // Cap the input length by redrawing the channel count below the largest that fits
    // (spatial <= 5000 and batch <= 3, so at least 4 channels always fit).
    let max_channels = MAX_INPUT / (batch * spatial);
    if channels > max_channels {
        channels = rng.range(1, max_channels as u64) as usize;
    }
    // One case in 32: one image of whole pages per NHWC row, as many positions as fit.
    let (batch, channels, spatial) = if rng.below(32) == 0 {
        let c = rng.pick(&PAGE_CHANNELS);
        (1, c, rng.range(1, (MAX_INPUT / c) as u64) as usize)
    } else {
        (batch, channels, spatial)
    };
    let offset = rng.below(MAX_OFFSET as u64) as usize;

    // Value parameters.
    let special_ppm = rng.pick(&[0u64, 1_000, 50_000]);
    let mode = rng.below(N_MODES);
    let sign_mode = rng.pick(&[0u64, 0, 0, 1, 2]); // 0 mixed, 1 all positive, 2 all negative
    // Exponent spread of MODE_WIDE around 2^0: moderate, large, or the whole finite range
    // (which overflows sums to infinity and reaches subnormal results).
    let wide = rng.pick(&[8u64, 30, 127]);
    let mut kinds = 0;
    while kinds == 0 {
        kinds = rng.below(SP_ALL + 1) | if rng.chance(1, 2) { SP_ALL } else { 0 };
    }
    let value_mode = mode | sign_mode << 8 | wide << 16 | kinds << 24;

    let case = Case {
        batch,
        channels,
        spatial,
        offset,
        special_ppm,
        value_mode,
    };
    let values = &mut input[offset..offset + case.len()];
    for v in values.iter_mut() {
        *v = if special_ppm != 0 && rng.below(1_000_000) < special_ppm {
            special(&mut rng, kinds)
        } else {
            let x = ordinary(&mut rng, mode, wide);
            match sign_mode {
                1 => x.abs(),
                2 => -x.abs(),
                _ => x,
            }
        };
    }
    case
}

/// An ordinary finite value of the given mode.
fn ordinary(rng: &mut Rng, mode: u64, wide: u64) -> f32 {
    let kind = if mode == MODE_MIXED {
        rng.range(1, 3)
    } else {
        mode
    };
    match kind {
        MODE_SMALL_INT => rng.range(0, 200) as f32 - 100.0,
        MODE_UNIFORM => {
            // k * 2^-24 for k in -2^24 .. 2^24: exact in f32.
            let k = rng.below(1 << 25) as i64 - (1 << 24);
            k as f32 * (1.0 / 16_777_216.0)
        }
        _ => {
            debug_assert!(kind == MODE_WIDE);
            // Exponent field 127 +- wide, clamped to the normal range 1..=254.
            let e = (127 + rng.range(0, 2 * wide) as i64 - wide as i64).clamp(1, 254) as u32;
            let bits = rng.next() as u32;
            f32::from_bits((bits & 0x8000_0000) | e << 23 | (bits & 0x007F_FFFF))
        }
    }
}

/// A special value of one of the enabled kinds.
fn special(rng: &mut Rng, kinds: u64) -> f32 {
    loop {
        let kind = 1u64 << rng.below(5);
        if kinds & kind == 0 {
            continue;
        }
        let bits = rng.next() as u32;
        let sign = bits & 0x8000_0000;
        return match kind {
            SP_NAN => {
                // Exponent all ones, non-zero mantissa: quiet or signalling, any payload.
                let mantissa = (bits & 0x007F_FFFF).max(1);
                f32::from_bits(sign | 0x7F80_0000 | mantissa)
            }
            SP_INF => f32::from_bits(sign | 0x7F80_0000),
            SP_ZERO => f32::from_bits(sign),
            SP_SUBNORMAL => f32::from_bits(sign | (bits & 0x007F_FFFF).max(1)),
            SP_MAX => f32::from_bits(sign | f32::MAX.to_bits()),
            _ => continue,
        };
    }
}

// ---------------------------------------------------------------------------------------------
// Running and comparing
// ---------------------------------------------------------------------------------------------

const LAYOUTS: [Layout; 2] = [Layout::Nchw, Layout::Nhwc];
const OPS: [Op; 4] = [Op::Sum, Op::Avg, Op::Max, Op::Min];

#[derive(Clone, Copy)]
enum Op {
    Sum,
    Avg,
    Max,
    Min,
}

/// One pooling call. `black_box` on the pooler and the slices keeps LTO from specialising or
/// folding anything across calls: each call goes through the crate's real dispatch.
#[inline(never)]
fn call(
    pooler: Pooler,
    op: Op,
    input: &[f32],
    shape: Shape,
    layout: Layout,
    out: &mut [f32],
) -> Result<(), Error> {
    let pooler = black_box(pooler);
    let input = black_box(input);
    let shape = black_box(shape);
    let out = black_box(out);
    let r = match op {
        Op::Sum => pooler.sum(input, shape, layout, out),
        Op::Avg => pooler.avg(input, shape, layout, out),
        Op::Max => pooler.max(input, shape, layout, out),
        Op::Min => pooler.min(input, shape, layout, out),
    };
    black_box(r)
}

/// Fills the output slice of length `len` and the guards around it with `bits`.
fn fill(buf: &mut OutBuf, len: usize, bits: u32) {
    for v in buf.data[..GUARD + len + GUARD].iter_mut() {
        *v = f32::from_bits(bits);
    }
}

/// The first position in the guards around an output slice of length `len` whose bits are not
/// `bits`, as an offset from the output start (negative before it).
fn guard_violation(buf: &OutBuf, len: usize, bits: u32) -> Option<i64> {
    let data = &buf.data;
    let guards = (0..GUARD).chain(GUARD + len..GUARD + len + GUARD);
    for i in guards {
        if data[i].to_bits() != bits {
            return Some(i as i64 - GUARD as i64);
        }
    }
    None
}

/// The bits at `offset` from the output start of `buf` (a guard position).
fn guard_bits(buf: &OutBuf, offset: i64) -> u32 {
    let i = (GUARD as i64 + offset) as usize;
    buf.data.get(i).map_or(0, |v| v.to_bits())
}

/// Runs random cases `first .. first + count` of `seed`; returns the number of failed
/// comparisons.
fn run_cases(report: &mut Report, bufs: &mut Buffers, seed: u64, first: u64, count: u64) -> u64 {
    let (Some(avx512), Some(scalar)) =
        (Pooler::with_isa(Isa::Avx512), Pooler::with_isa(Isa::Scalar))
    else {
        return 0; // reported by the caller
    };
    for index in first..first + count {
        let case = generate(seed, index, &mut bufs.input);
        let len = case.len();
        let input = &bufs.input[case.offset..case.offset + len];
        let shape = Shape::new(case.batch, case.channels, case.spatial);
        let out_len = case.batch * case.channels;
        report.input_values += len as u64;

        for (li, &layout) in LAYOUTS.iter().enumerate() {
            for (oi, &op) in OPS.iter().enumerate() {
                fill(&mut bufs.avx512, out_len, FILL_AVX512);
                fill(&mut bufs.scalar, out_len, FILL_SCALAR);
                let out_a = &mut bufs.avx512.data[GUARD..GUARD + out_len];
                let ra = call(avx512, op, input, shape, layout, out_a);
                let out_s = &mut bufs.scalar.data[GUARD..GUARD + out_len];
                let rs = call(scalar, op, input, shape, layout, out_s);
                report.calls += 2;
                report.values_compared += out_len as u64;

                // Compare every output value, the results, and the guards. `kind` collects
                // the `status::*` bits of everything that went wrong in this call.
                let mut kind = 0;
                let mut first_bad = 0;
                let mut bad = 0u64;
                let (a, s) = (&bufs.avx512.data[GUARD..], &bufs.scalar.data[GUARD..]);
                for i in 0..out_len {
                    if a[i].to_bits() != s[i].to_bits() {
                        if bad == 0 {
                            first_bad = i;
                        }
                        bad += 1;
                    }
                }
                if bad != 0 {
                    kind |= status::VALUE_MISMATCH;
                }
                if ra != rs || ra.is_err() {
                    kind |= status::RESULT_MISMATCH;
                }
                // (offset from the output start, bits found there, 1 = avx512 / 2 = scalar)
                let guard = match (
                    guard_violation(&bufs.avx512, out_len, FILL_AVX512),
                    guard_violation(&bufs.scalar, out_len, FILL_SCALAR),
                ) {
                    (Some(g), _) => Some((g, guard_bits(&bufs.avx512, g), 1)),
                    (None, Some(g)) => Some((g, guard_bits(&bufs.scalar, g), 2)),
                    (None, None) => None,
                };
                if guard.is_some() {
                    kind |= status::OUT_OF_BOUNDS_WRITE;
                }
                if kind == 0 {
                    continue;
                }

                report.status |= kind;
                report.mismatches += 1;
                if report.first_kind == 0 {
                    let (guard_offset, guard_bits, guard_path) = guard.unwrap_or((0, 0, 0));
                    *report = Report {
                        first_case: index,
                        first_case_seed: case_seed(seed, index),
                        first_batch: case.batch as u64,
                        first_channels: case.channels as u64,
                        first_spatial: case.spatial as u64,
                        first_offset: case.offset as u64,
                        first_special_ppm: case.special_ppm,
                        first_value_mode: case.value_mode,
                        first_layout: li as u64,
                        first_op: oi as u64,
                        first_kind: kind,
                        first_index: first_bad as u64,
                        first_avx512_bits: u64::from(a[first_bad].to_bits()),
                        first_scalar_bits: u64::from(s[first_bad].to_bits()),
                        first_bad_values: bad,
                        first_guard_offset: guard_offset as u64,
                        first_guard_bits: u64::from(guard_bits),
                        first_guard_path: guard_path,
                        first_avx512_result: result_code(ra),
                        first_scalar_result: result_code(rs),
                        ..*report
                    };
                }
            }
        }
        report.cases_run += 1;
    }
    report.mismatches
}

/// Invalid (and trivially valid) calls: every one must give the same `Result` on both paths and
/// leave the output untouched. Returns the number of failed checks.
fn check_error_cases(report: &mut Report, bufs: &mut Buffers) -> u64 {
    let (Some(avx512), Some(scalar)) =
        (Pooler::with_isa(Isa::Avx512), Pooler::with_isa(Isa::Scalar))
    else {
        return 0;
    };
    // (batch, channels, spatial, input length, output length)
    let big = usize::MAX;
    let cases: [(usize, usize, usize, usize, usize); 16] = [
        (2, 3, 5, 29, 6),          // input one short
        (2, 3, 5, 31, 6),          // input one long
        (2, 3, 5, 0, 6),           // input empty
        (2, 3, 5, 30, 5),          // output one short
        (2, 3, 5, 30, 7),          // output one long
        (2, 3, 5, 29, 7),          // both wrong: the input is reported
        (2, 3, 0, 0, 6),           // spatial zero
        (1, 1, 0, 0, 1),           // spatial zero, minimal
        (0, 5, 7, 0, 0),           // batch zero: Ok, nothing written
        (4, 0, 7, 0, 0),           // channels zero: Ok, nothing written
        (0, 5, 7, 0, 3),           // batch zero, output not empty
        (0, 0, 0, 0, 0),           // everything zero: Ok
        (big, 2, 1, 0, 0),         // batch * channels overflows
        (1, big, 2, 0, 0),         // channels * spatial overflows
        (2, 1, big / 2 + 1, 0, 2), // batch * channels * spatial overflows
        (big, 1, 0, 0, 0),         // huge batch, spatial zero: the output length is wrong
    ];
    let mut failed = 0;
    for (ci, &(b, c, s, in_len, out_len)) in cases.iter().enumerate() {
        let shape = Shape::new(b, c, s);
        for &layout in &LAYOUTS {
            for &op in &OPS {
                fill(&mut bufs.avx512, out_len, FILL_AVX512);
                fill(&mut bufs.scalar, out_len, FILL_SCALAR);
                let input = &bufs.input[..in_len];
                let ra = call(
                    avx512,
                    op,
                    input,
                    shape,
                    layout,
                    &mut bufs.avx512.data[GUARD..GUARD + out_len],
                );
                let rs = call(
                    scalar,
                    op,
                    input,
                    shape,
                    layout,
                    &mut bufs.scalar.data[GUARD..GUARD + out_len],
                );
                report.calls += 2;
                let mut kind = 0;
                if ra != rs {
                    kind |= status::ERROR_CASE_DIFFERS;
                }
                // Nothing may be written: on error by the crate's contract, and on `Ok` here
                // because every `Ok` case above has an empty output. (With `len = 0`, the
                // "guards" cover the whole output slice, which is shorter than a guard.)
                if guard_violation(&bufs.avx512, 0, FILL_AVX512).is_some()
                    || guard_violation(&bufs.scalar, 0, FILL_SCALAR).is_some()
                {
                    kind |= status::ERROR_CASE_WROTE;
                }
                if kind != 0 {
                    report.status |= kind;
                    report.mismatches += 1;
                    failed += 1;
                    if report.error_check_failed == 0 {
                        report.error_check_failed = ci as u64 + 1;
                        report.first_avx512_result = result_code(ra);
                        report.first_scalar_result = result_code(rs);
                    }
                }
            }
        }
    }
    failed
}

// ---------------------------------------------------------------------------------------------
// Exported entry points
// ---------------------------------------------------------------------------------------------

/// A `core::fmt::Write` sink into 64 bytes, cutting off what does not fit.
struct Text {
    bytes: [u8; 64],
    len: usize,
}

impl core::fmt::Write for Text {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        for &b in s.as_bytes() {
            if let Some(slot) = self.bytes.get_mut(self.len) {
                *slot = b;
                self.len += 1;
            }
        }
        Ok(())
    }
}

/// Resets the report, then checks that the AVX-512 path is there and is what
/// `Pooler::detect()` picks. Returns false if the AVX-512 path is missing (nothing else can run).
fn begin(report: &mut Report) -> bool {
    *report = Report::EMPTY;
    // The detected pooler's `Debug` text (its path and kernel table), for run.py to print.
    let mut text = Text {
        bytes: [0; 64],
        len: 0,
    };
    // (A write past the buffer is cut off, not an error: see `Text`.)
    let _ = write!(text, "{:?}", Pooler::detect());
    for (field, bytes) in report
        .detected_debug
        .iter_mut()
        .zip(text.bytes.chunks_exact(8))
    {
        *field = u64::from_le_bytes(bytes.try_into().unwrap_or_default());
    }
    // The emulated CPU reports AVX-512F and the host enables its state in XCR0, so the crate's
    // own detection must find it.
    let detected = Pooler::detect().isa();
    report.detected_isa = Isa::ALL
        .iter()
        .position(|&i| i == detected)
        .map_or(u64::MAX, |i| i as u64);
    if detected != Isa::Avx512 {
        report.status |= status::DETECT_NOT_AVX512;
        report.mismatches += 1;
    }
    if Pooler::with_isa(Isa::Avx512).is_none() {
        report.status |= status::NO_AVX512;
        return false;
    }
    true
}

/// The detection checks and the error-case checks. Returns the number of failures (0 = pass),
/// or `u64::MAX` if the AVX-512 path is not available at all. Details are in [`GP_EMU_REPORT`].
#[unsafe(no_mangle)]
pub extern "C" fn gp_emu_check_api() -> u64 {
    // SAFETY: top-level entry point: the only live references to these statics.
    let (report, bufs) = unsafe { (GP_EMU_REPORT.get(), BUFFERS.get()) };
    if !begin(report) {
        return u64::MAX;
    }
    check_error_cases(report, bufs);
    report.mismatches
}

/// The detection checks and random cases `first .. first + count` of `seed`. Returns the number
/// of failures (0 = pass), or `u64::MAX` if the AVX-512 path is not available at all. Details
/// are in [`GP_EMU_REPORT`].
#[unsafe(no_mangle)]
pub extern "C" fn gp_emu_run_cases(seed: u64, first: u64, count: u64) -> u64 {
    // SAFETY: top-level entry point: the only live references to these statics.
    let (report, bufs) = unsafe { (GP_EMU_REPORT.get(), BUFFERS.get()) };
    if !begin(report) {
        return u64::MAX;
    }
    run_cases(
        report,
        bufs,
        black_box(seed),
        black_box(first),
        black_box(count),
    )
}

/// Everything in one call: the detection checks, the error-case checks and random cases
/// `0 .. cases` of `seed`. Returns the number of failures (0 = pass), or `u64::MAX` if the
/// AVX-512 path is not available at all. Details (of the first failure) are in
/// [`GP_EMU_REPORT`]. (run.py uses the two calls above instead, to show progress.)
#[unsafe(no_mangle)]
pub extern "C" fn gp_emu_selftest(seed: u64, cases: u32) -> u64 {
    // SAFETY: top-level entry point: the only live references to these statics.
    let (report, bufs) = unsafe { (GP_EMU_REPORT.get(), BUFFERS.get()) };
    if !begin(report) {
        return u64::MAX;
    }
    check_error_cases(report, bufs);
    run_cases(
        report,
        bufs,
        black_box(seed),
        0,
        u64::from(black_box(cases)),
    )
}

/// Regenerates case `index` of `seed` without running it, and records in the report where its
/// input is (`case_input_addr`, `case_input_len`) and its parameters, so the host can dump it.
/// Returns the input length.
#[unsafe(no_mangle)]
pub extern "C" fn gp_emu_case(seed: u64, index: u64) -> u64 {
    // SAFETY: top-level entry point: the only live references to these statics.
    let (report, bufs) = unsafe { (GP_EMU_REPORT.get(), BUFFERS.get()) };
    let case = generate(seed, index, &mut bufs.input);
    report.case_input_addr = bufs.input[case.offset..].as_ptr() as u64;
    report.case_input_len = case.len() as u64;
    report.case_batch = case.batch as u64;
    report.case_channels = case.channels as u64;
    report.case_spatial = case.spatial as u64;
    report.case_offset = case.offset as u64;
    report.case_special_ppm = case.special_ppm;
    report.case_value_mode = case.value_mode;
    case.len() as u64
}
