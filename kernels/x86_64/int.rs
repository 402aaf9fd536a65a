//! The integer registers of the three x86-64 paths: [`IntVector`] for `__m128i` (SSE2),
//! `__m256i` (AVX2) and `__m512i` (AVX-512F + BW), each for `i8`, `u8` and `i16`.
//!
//! Sums widen with the instructions made for it: `psadbw` against zero adds 8 bytes into a
//! 64-bit lane (`i8` is biased by 128 first and the bias removed once per row), `pmaddwd`
//! against ones adds pairs of `i16` into `i32`; per-lane (NHWC) sums sign- or zero-extend to
//! `i16` lanes, which could take 256 rows before they overflow (the kernels spill them to `i32`
//! every 16).
//!
//! No `unsafe` blocks below: each body only calls intrinsics of its path's features, and the
//! trait's contract (the features present, pointers valid as stated) is exactly theirs. These
//! impls are only used inside the `#[target_feature]` entry points of `sse2.rs`, `avx2.rs` and
//! `avx512.rs`, which are only reachable after the CPU check.
#![allow(unsafe_op_in_unsafe_fn)]

use core::arch::x86_64::*;

use crate::kernels::int::{
    Int, IntVector, Sink, WordAvg, ext_short_row, ext16_body, nsum_total4_flushed, short16_body,
};

// ---------------------------------------------------------------------------------------------
// SSE2
// ---------------------------------------------------------------------------------------------

/// `sel` lanes from `a` where `m` is all ones, from `b` elsewhere.
#[inline(always)]
unsafe fn blend128(m: __m128i, a: __m128i, b: __m128i) -> __m128i {
    _mm_or_si128(_mm_and_si128(m, a), _mm_andnot_si128(m, b))
}

/// Lane 0 (as `i32`) of the fold of a 16-byte register by halves with `$f`: `$f` of all 16
/// bytes (`$bytes == 1`) or 8 words (`2`). A macro, not a function taking a closure: closures
/// do not get the target features of the entry point, and their intrinsics would not inline.
macro_rules! fold128 {
    ($x:expr, $bytes:literal, $f:path) => {{
        let mut x = $x;
        x = $f(x, _mm_srli_si128::<8>(x));
        x = $f(x, _mm_srli_si128::<4>(x));
        x = $f(x, _mm_srli_si128::<2>(x));
        if $bytes == 1 {
            x = $f(x, _mm_srli_si128::<1>(x));
        }
        _mm_cvtsi128_si32(x)
    }};
}

/// Sixteen 16-byte registers folded together lane-wise by `$f` (a maximum or minimum),
/// transposed: returns four registers, the 32-bit lane `t` of register `m` holding in its low
/// byte (`$bytes == 1`) or word (`2`) the fold of all of row `4m + t`'s lanes (the rest of
/// the lane is not defined). 24 + 12 + 8 (or 16) operations for the sixteen rows, where a
/// fold per row ([`fold128`]) takes 8 (10) each, and the lane's extraction.
macro_rules! ext16_128 {
    ($rows:expr, $f:path, $bytes:literal) => {{
        let r: [__m128i; 16] = $rows;
        // 128 -> 64: register `k` holds rows `2k` and `2k + 1` in its two halves.
        let mut p = [_mm_setzero_si128(); 8];
        for (v, &[a, b]) in p.iter_mut().zip(r.as_chunks::<2>().0) {
            *v = $f(_mm_unpacklo_epi64(a, b), _mm_unpackhi_epi64(a, b));
        }
        // 64 -> 32: register `m` holds rows `4m .. 4m + 4` in its four lanes.
        let mut q = [_mm_setzero_si128(); 4];
        for (v, &[a, b]) in q.iter_mut().zip(p.as_chunks::<2>().0) {
            let (a, b) = (_mm_castsi128_ps(a), _mm_castsi128_ps(b));
            *v = $f(
                _mm_castps_si128(_mm_shuffle_ps::<0x88>(a, b)),
                _mm_castps_si128(_mm_shuffle_ps::<0xDD>(a, b)),
            );
        }
        for v in q.iter_mut() {
            *v = $f(*v, _mm_srli_epi32::<16>(*v));
            if $bytes == 1 {
                *v = $f(*v, _mm_srli_epi32::<8>(*v));
            }
        }
        q
    }};
}

/// The four registers of [`ext16_128`] to `out[0..16]`, each lane converted by `$conv`.
macro_rules! store16_128 {
    ($q:expr, $out:expr, $conv:expr) => {{
        for (m, v) in $q.into_iter().enumerate() {
            _mm_storeu_si128($out.add(4 * m).cast(), $conv(v));
        }
    }};
}

/// `out[j] = vals[j]` narrowed to bytes (`SIGNED`: `i8`, else `u8`; every value in range).
#[inline(always)]
unsafe fn narrow16_128<const SIGNED: bool>(vals: &[i32; 16], out: *mut u8) {
    let v = vals.as_ptr().cast::<__m128i>();
    let lo = _mm_packs_epi32(_mm_loadu_si128(v), _mm_loadu_si128(v.add(1)));
    let hi = _mm_packs_epi32(_mm_loadu_si128(v.add(2)), _mm_loadu_si128(v.add(3)));
    let b = if SIGNED {
        _mm_packs_epi16(lo, hi)
    } else {
        _mm_packus_epi16(lo, hi)
    };
    _mm_storeu_si128(out.cast(), b);
}

/// `p[0..4] += a`, `p[4..8] += b` (i32 lanes).
#[inline(always)]
unsafe fn spill128(p: *mut i32, a: __m128i, b: __m128i) {
    let (p0, p1) = (p.cast::<__m128i>(), p.add(4).cast::<__m128i>());
    _mm_storeu_si128(p0, _mm_add_epi32(_mm_loadu_si128(p0), a));
    _mm_storeu_si128(p1, _mm_add_epi32(_mm_loadu_si128(p1), b));
}

/// The sum of the two 64-bit lanes.
#[inline(always)]
unsafe fn total64x2(x: __m128i) -> i64 {
    let s = _mm_add_epi64(x, _mm_unpackhi_epi64(x, x));
    _mm_cvtsi128_si64(s)
}

/// The wrapping sum of the four 32-bit lanes.
#[inline(always)]
unsafe fn total32x4(x: __m128i) -> i32 {
    let s = _mm_add_epi32(x, _mm_unpackhi_epi64(x, x));
    let s = _mm_add_epi32(s, _mm_shuffle_epi32::<0b01>(s));
    _mm_cvtsi128_si32(s)
}

macro_rules! common128 {
    ($t:ty) => {
        #[inline(always)]
        unsafe fn load(p: *const $t) -> Self {
            _mm_loadu_si128(p.cast())
        }
        #[inline(always)]
        unsafe fn store(self, p: *mut $t) {
            _mm_storeu_si128(p.cast(), self)
        }
        #[inline(always)]
        unsafe fn and(self, m: Self) -> Self {
            _mm_and_si128(self, m)
        }
    };
}

/// Signed byte maximum without SSE4.1's `pmaxsb`.
#[inline(always)]
unsafe fn max_i8_sse2(a: __m128i, b: __m128i) -> __m128i {
    blend128(_mm_cmpgt_epi8(a, b), a, b)
}

/// Signed byte minimum without SSE4.1's `pminsb`.
#[inline(always)]
unsafe fn min_i8_sse2(a: __m128i, b: __m128i) -> __m128i {
    blend128(_mm_cmpgt_epi8(a, b), b, a)
}

// SAFETY: see the module documentation.
unsafe impl IntVector<i8> for __m128i {
    crate::kernels::int::nsum_is_hsum!(i8);
    const LANES: usize = 16;
    const LSUM_ROWS: usize = 256;
    common128!(i8);
    #[inline(always)]
    unsafe fn splat(x: i8) -> Self {
        _mm_set1_epi8(x)
    }
    #[inline(always)]
    unsafe fn select(m: Self, a: Self, b: Self) -> Self {
        blend128(m, a, b)
    }
    #[inline(always)]
    unsafe fn max(self, b: Self) -> Self {
        max_i8_sse2(self, b)
    }
    #[inline(always)]
    unsafe fn ext_key(self) -> Self {
        _mm_xor_si128(self, _mm_set1_epi8(i8::MIN))
    }
    #[inline(always)]
    unsafe fn kmax(self, b: Self) -> Self {
        _mm_max_epu8(self, b)
    }
    #[inline(always)]
    unsafe fn kmin(self, b: Self) -> Self {
        _mm_min_epu8(self, b)
    }
    #[inline(always)]
    unsafe fn min(self, b: Self) -> Self {
        min_i8_sse2(self, b)
    }
    // Short rows sixteen at a time, folded together in keys (`ext16_128`).
    const HEXT16: bool = true;
    #[inline(always)]
    unsafe fn hext16<const MAX: bool>(rows: [Self; 16], out: *mut i32) {
        let q = if MAX {
            ext16_128!(rows, _mm_max_epu8, 1)
        } else {
            ext16_128!(rows, _mm_min_epu8, 1)
        };
        // A key's low byte `k` is the value `k - 128`.
        store16_128!(q, out, |v| _mm_sub_epi32(
            _mm_and_si128(v, _mm_set1_epi32(0xFF)),
            _mm_set1_epi32(128)
        ));
    }
    #[inline(always)]
    unsafe fn narrow16(vals: &[i32; 16], out: *mut i8) {
        narrow16_128::<true>(vals, out.cast());
    }
    // The horizontal folds in keys too (see `ext_key`): four shifts and four `pmaxub` /
    // `pminub` instead of four compares and blends.
    #[inline(always)]
    unsafe fn hmax(self) -> i32 {
        let k = fold128!(<Self as IntVector<i8>>::ext_key(self), 1, _mm_max_epu8) as u8;
        i32::from((k ^ 0x80) as i8)
    }
    #[inline(always)]
    unsafe fn hmin(self) -> i32 {
        let k = fold128!(<Self as IntVector<i8>>::ext_key(self), 1, _mm_min_epu8) as u8;
        i32::from((k ^ 0x80) as i8)
    }
    type Hsum = __m128i;
    #[inline(always)]
    unsafe fn hsum_zero() -> __m128i {
        _mm_setzero_si128()
    }
    #[inline(always)]
    unsafe fn hsum_add(acc: __m128i, v: Self) -> __m128i {
        let biased = _mm_xor_si128(v, _mm_set1_epi8(i8::MIN));
        _mm_add_epi64(acc, _mm_sad_epu8(biased, _mm_setzero_si128()))
    }
    #[inline(always)]
    unsafe fn hsum_merge(a: __m128i, b: __m128i) -> __m128i {
        _mm_add_epi64(a, b)
    }
    #[inline(always)]
    unsafe fn hsum_total(acc: __m128i, vectors: usize) -> i32 {
        (total64x2(acc) - 128 * 16 * vectors as i64) as i32
    }
    type Lsum = (__m128i, __m128i);
    #[inline(always)]
    unsafe fn lsum_zero() -> Self::Lsum {
        (_mm_setzero_si128(), _mm_setzero_si128())
    }
    #[inline(always)]
    unsafe fn lsum_add((lo, hi): Self::Lsum, v: Self) -> Self::Lsum {
        // Each byte paired with itself, shifted right arithmetically: sign extension.
        let l = _mm_srai_epi16::<8>(_mm_unpacklo_epi8(v, v));
        let h = _mm_srai_epi16::<8>(_mm_unpackhi_epi8(v, v));
        (_mm_add_epi16(lo, l), _mm_add_epi16(hi, h))
    }
    #[inline(always)]
    unsafe fn lsum_spill((lo, hi): Self::Lsum, p: *mut i32) {
        for (k, h) in [lo, hi].into_iter().enumerate() {
            let a = _mm_srai_epi32::<16>(_mm_unpacklo_epi16(h, h));
            let b = _mm_srai_epi32::<16>(_mm_unpackhi_epi16(h, h));
            spill128(p.add(8 * k), a, b);
        }
    }
}

// SAFETY: see the module documentation.
unsafe impl IntVector<u8> for __m128i {
    crate::kernels::int::nsum_is_hsum!(u8, 4);
    const LANES: usize = 16;
    const LSUM_ROWS: usize = 256;
    common128!(u8);
    #[inline(always)]
    unsafe fn splat(x: u8) -> Self {
        _mm_set1_epi8(x as i8)
    }
    #[inline(always)]
    unsafe fn select(m: Self, a: Self, b: Self) -> Self {
        blend128(m, a, b)
    }
    #[inline(always)]
    unsafe fn max(self, b: Self) -> Self {
        _mm_max_epu8(self, b)
    }
    #[inline(always)]
    unsafe fn min(self, b: Self) -> Self {
        _mm_min_epu8(self, b)
    }
    const HEXT16: bool = true;
    #[inline(always)]
    unsafe fn hext16<const MAX: bool>(rows: [Self; 16], out: *mut i32) {
        let q = if MAX {
            ext16_128!(rows, _mm_max_epu8, 1)
        } else {
            ext16_128!(rows, _mm_min_epu8, 1)
        };
        store16_128!(q, out, |v| _mm_and_si128(v, _mm_set1_epi32(0xFF)));
    }
    #[inline(always)]
    unsafe fn narrow16(vals: &[i32; 16], out: *mut u8) {
        narrow16_128::<false>(vals, out);
    }
    #[inline(always)]
    unsafe fn hmax(self) -> i32 {
        fold128!(self, 1, _mm_max_epu8) & 0xFF
    }
    #[inline(always)]
    unsafe fn hmin(self) -> i32 {
        fold128!(self, 1, _mm_min_epu8) & 0xFF
    }
    type Hsum = __m128i;
    #[inline(always)]
    unsafe fn hsum_zero() -> __m128i {
        _mm_setzero_si128()
    }
    #[inline(always)]
    unsafe fn hsum_add(acc: __m128i, v: Self) -> __m128i {
        _mm_add_epi64(acc, _mm_sad_epu8(v, _mm_setzero_si128()))
    }
    #[inline(always)]
    unsafe fn hsum_merge(a: __m128i, b: __m128i) -> __m128i {
        _mm_add_epi64(a, b)
    }
    #[inline(always)]
    unsafe fn hsum_total(acc: __m128i, _: usize) -> i32 {
        total64x2(acc) as i32
    }
    type Lsum = (__m128i, __m128i);
    #[inline(always)]
    unsafe fn lsum_zero() -> Self::Lsum {
        (_mm_setzero_si128(), _mm_setzero_si128())
    }
    #[inline(always)]
    unsafe fn lsum_add((lo, hi): Self::Lsum, v: Self) -> Self::Lsum {
        let z = _mm_setzero_si128();
        (
            _mm_add_epi16(lo, _mm_unpacklo_epi8(v, z)),
            _mm_add_epi16(hi, _mm_unpackhi_epi8(v, z)),
        )
    }
    #[inline(always)]
    unsafe fn lsum_spill((lo, hi): Self::Lsum, p: *mut i32) {
        let z = _mm_setzero_si128();
        for (k, h) in [lo, hi].into_iter().enumerate() {
            spill128(
                p.add(8 * k),
                _mm_unpacklo_epi16(h, z),
                _mm_unpackhi_epi16(h, z),
            );
        }
    }
}

// SAFETY: see the module documentation.
unsafe impl IntVector<i16> for __m128i {
    crate::kernels::int::nsum_is_hsum!(i16, 4);
    const LANES: usize = 8;
    const LSUM_ROWS: usize = usize::MAX;
    common128!(i16);
    #[inline(always)]
    unsafe fn splat(x: i16) -> Self {
        _mm_set1_epi16(x)
    }
    #[inline(always)]
    unsafe fn select(m: Self, a: Self, b: Self) -> Self {
        blend128(m, a, b)
    }
    #[inline(always)]
    unsafe fn max(self, b: Self) -> Self {
        _mm_max_epi16(self, b)
    }
    #[inline(always)]
    unsafe fn min(self, b: Self) -> Self {
        _mm_min_epi16(self, b)
    }
    const HEXT16: bool = true;
    #[inline(always)]
    unsafe fn hext16<const MAX: bool>(rows: [Self; 16], out: *mut i32) {
        let q = if MAX {
            ext16_128!(rows, _mm_max_epi16, 2)
        } else {
            ext16_128!(rows, _mm_min_epi16, 2)
        };
        store16_128!(q, out, |v| _mm_srai_epi32::<16>(_mm_slli_epi32::<16>(v)));
    }
    #[inline(always)]
    unsafe fn hmax(self) -> i32 {
        i32::from(fold128!(self, 2, _mm_max_epi16) as i16)
    }
    #[inline(always)]
    unsafe fn hmin(self) -> i32 {
        i32::from(fold128!(self, 2, _mm_min_epi16) as i16)
    }
    type Hsum = __m128i;
    #[inline(always)]
    unsafe fn hsum_zero() -> __m128i {
        _mm_setzero_si128()
    }
    #[inline(always)]
    unsafe fn hsum_add(acc: __m128i, v: Self) -> __m128i {
        _mm_add_epi32(acc, _mm_madd_epi16(v, _mm_set1_epi16(1)))
    }
    #[inline(always)]
    unsafe fn hsum_merge(a: __m128i, b: __m128i) -> __m128i {
        _mm_add_epi32(a, b)
    }
    #[inline(always)]
    unsafe fn hsum_total(acc: __m128i, _: usize) -> i32 {
        total32x4(acc)
    }
    type Lsum = (__m128i, __m128i);
    #[inline(always)]
    unsafe fn lsum_zero() -> Self::Lsum {
        (_mm_setzero_si128(), _mm_setzero_si128())
    }
    #[inline(always)]
    unsafe fn lsum_add((lo, hi): Self::Lsum, v: Self) -> Self::Lsum {
        let l = _mm_srai_epi32::<16>(_mm_unpacklo_epi16(v, v));
        let h = _mm_srai_epi32::<16>(_mm_unpackhi_epi16(v, v));
        (_mm_add_epi32(lo, l), _mm_add_epi32(hi, h))
    }
    #[inline(always)]
    unsafe fn lsum_spill((lo, hi): Self::Lsum, p: *mut i32) {
        spill128(p, lo, hi);
    }
}

// ---------------------------------------------------------------------------------------------
// AVX2
// ---------------------------------------------------------------------------------------------

/// Sixteen registers folded together lane-wise by `$f` (a maximum or minimum), transposed:
/// returns two registers, the 32-bit lane `j` of the first holding the fold of row `j`'s lanes
/// down to one 32-bit group, that of the second the fold of row `8 + j` (as `ext16_512!`).
macro_rules! ext16_256 {
    ($rows:expr, $f:path) => {{
        let r: [__m256i; 16] = $rows;
        // The fold below leaves position `8m + b + 2t` in lane `4b + t` of register `m`: feed
        // it row `8m + 4b + t` there.
        let s = [
            r[0], r[4], r[1], r[5], r[2], r[6], r[3], r[7], r[8], r[12], r[9], r[13], r[10], r[14],
            r[11], r[15],
        ];
        // 256 -> 128: one row per block.
        let mut p = [_mm256_setzero_si256(); 8];
        for (v, &[a, b]) in p.iter_mut().zip(s.as_chunks::<2>().0) {
            *v = $f(
                _mm256_permute2x128_si256::<0x20>(a, b),
                _mm256_permute2x128_si256::<0x31>(a, b),
            );
        }
        // 128 -> 64: block `b` of `q[k]` holds positions [4k + b, 4k + 2 + b].
        let mut q = [_mm256_setzero_si256(); 4];
        for (v, &[a, b]) in q.iter_mut().zip(p.as_chunks::<2>().0) {
            *v = $f(_mm256_unpacklo_epi64(a, b), _mm256_unpackhi_epi64(a, b));
        }
        // 64 -> 32: block `b` of `t[m]` holds positions [8m + b + 2t for t in 0..4].
        let mut t = [_mm256_setzero_si256(); 2];
        for (v, &[a, b]) in t.iter_mut().zip(q.as_chunks::<2>().0) {
            let (a, b) = (_mm256_castsi256_ps(a), _mm256_castsi256_ps(b));
            *v = $f(
                _mm256_castps_si256(_mm256_shuffle_ps::<0x88>(a, b)),
                _mm256_castps_si256(_mm256_shuffle_ps::<0xDD>(a, b)),
            );
        }
        (t[0], t[1])
    }};
}

/// The body of `hext16` on 256-bit registers: [`ext16_256!`] with `$max` or `$min` (as `$m`),
/// the last 32-bit groups folded (`$bytes`: lane width 1 or 2), the low lane of each
/// extended to `i32` (`sign` or `zero`) and stored to `$out[0..16]`.
macro_rules! hext16_256 {
    ($rows:expr, $out:expr, $m:expr, $max:path, $min:path, $bytes:literal, $ext:ident) => {{
        let (a, b) = if $m {
            hext16_256!(@fold $rows, $max, $bytes)
        } else {
            hext16_256!(@fold $rows, $min, $bytes)
        };
        _mm256_storeu_si256($out.cast(), hext16_256!(@$ext a, $bytes));
        _mm256_storeu_si256($out.add(8).cast(), hext16_256!(@$ext b, $bytes));
    }};
    (@fold $rows:expr, $f:path, $bytes:literal) => {{
        let (mut a, mut b) = ext16_256!($rows, $f);
        a = $f(a, _mm256_srli_epi32::<16>(a));
        b = $f(b, _mm256_srli_epi32::<16>(b));
        if $bytes == 1 {
            a = $f(a, _mm256_srli_epi32::<8>(a));
            b = $f(b, _mm256_srli_epi32::<8>(b));
        }
        (a, b)
    }};
    (@sign $x:expr, $bytes:literal) => {{
        const S: i32 = 32 - 8 * $bytes;
        _mm256_srai_epi32::<S>(_mm256_slli_epi32::<S>($x))
    }};
    (@zero $x:expr, $bytes:literal) => {
        _mm256_and_si256($x, _mm256_set1_epi32(0xFF))
    };
}

/// The two 128-bit halves of a 256-bit register.
#[inline(always)]
unsafe fn halves(x: __m256i) -> (__m128i, __m128i) {
    (_mm256_castsi256_si128(x), _mm256_extracti128_si256::<1>(x))
}

/// `p[0..8] += a`, `p[8..16] += b` (i32 lanes).
#[inline(always)]
unsafe fn spill256(p: *mut i32, a: __m256i, b: __m256i) {
    let (p0, p1) = (p.cast::<__m256i>(), p.add(8).cast::<__m256i>());
    _mm256_storeu_si256(p0, _mm256_add_epi32(_mm256_loadu_si256(p0), a));
    _mm256_storeu_si256(p1, _mm256_add_epi32(_mm256_loadu_si256(p1), b));
}

macro_rules! common256 {
    ($t:ty) => {
        #[inline(always)]
        unsafe fn load(p: *const $t) -> Self {
            _mm256_loadu_si256(p.cast())
        }
        #[inline(always)]
        unsafe fn store(self, p: *mut $t) {
            _mm256_storeu_si256(p.cast(), self)
        }
        #[inline(always)]
        unsafe fn and(self, m: Self) -> Self {
            _mm256_and_si256(self, m)
        }
        #[inline(always)]
        unsafe fn select(m: Self, a: Self, b: Self) -> Self {
            _mm256_blendv_epi8(b, a, m)
        }
        #[inline(always)]
        unsafe fn ext16<const MAX: bool, S: crate::kernels::int::Sink>(
            p: *const $t,
            n: usize,
            groups: usize,
            sink: &mut S,
        ) {
            // SAFETY: forwarded contract (the CPU has this impl's instruction set).
            unsafe { ext16_256::<$t, MAX, S>(p, n, groups, sink) }
        }
    };
}

/// [`ext16_body`] compiled on its own, with AVX2, as [`ext16_512`] is on AVX-512.
///
/// # Safety
/// As for [`IntVector::ext16`], and the CPU has AVX2.
#[target_feature(enable = "avx2")]
#[inline(never)]
unsafe fn ext16_256<T: Int, const MAX: bool, S: Sink>(
    p: *const T,
    n: usize,
    groups: usize,
    sink: &mut S,
) where
    __m256i: IntVector<T>,
{
    // SAFETY: forwarded contract.
    unsafe { ext16_body::<T, __m256i, MAX, S>(p, n, groups, sink) }
}

/// AVX2 `i8` / `u8` lane sums in two registers of 16 `i16`, two rows at a time: the rows'
/// bytes interleaved (`punpck{l,h}bw`, within 128-bit lanes) and each pair of the same channel
/// added by `pmaddubsw` against ones. Three operations per 32 bytes where sign-extending both
/// halves and adding them takes four, two of them on the shuffle port. The registers hold the
/// channels in interleave order (`lo`: 0-7 and 16-23, `hi`: 8-15 and 24-31); the spill restores
/// channel order. A single row pairs with zeros.
macro_rules! lsum256_bytes {
    ($t:ty, $pairs:ident, $ext32:ident) => {
        type Lsum = (__m256i, __m256i);
        #[inline(always)]
        unsafe fn lsum_zero() -> Self::Lsum {
            (_mm256_setzero_si256(), _mm256_setzero_si256())
        }
        #[inline(always)]
        unsafe fn lsum_add((lo, hi): Self::Lsum, v: Self) -> Self::Lsum {
            let z = _mm256_setzero_si256();
            (
                _mm256_add_epi16(lo, $pairs(_mm256_unpacklo_epi8(v, z))),
                _mm256_add_epi16(hi, $pairs(_mm256_unpackhi_epi8(v, z))),
            )
        }
        #[inline(always)]
        unsafe fn lsum_load_add2((lo, hi): Self::Lsum, p: *const $t, q: *const $t) -> Self::Lsum {
            let (a, b) = (Self::load(p), Self::load(q));
            (
                _mm256_add_epi16(lo, $pairs(_mm256_unpacklo_epi8(a, b))),
                _mm256_add_epi16(hi, $pairs(_mm256_unpackhi_epi8(a, b))),
            )
        }
        #[inline(always)]
        unsafe fn lsum_spill((lo, hi): Self::Lsum, p: *mut i32) {
            let ordered = [
                _mm256_permute2x128_si256::<0x20>(lo, hi),
                _mm256_permute2x128_si256::<0x31>(lo, hi),
            ];
            for (k, x) in ordered.into_iter().enumerate() {
                let (l, h) = halves(x);
                spill256(p.add(16 * k), $ext32(l), $ext32(h));
            }
        }
    };
}

/// Adds the signed byte pairs of `x` into `i16` lanes (`pmaddubsw`: ones unsigned, `x` signed).
#[inline(always)]
unsafe fn pairs256_i8(x: __m256i) -> __m256i {
    _mm256_maddubs_epi16(_mm256_set1_epi8(1), x)
}

/// Adds the unsigned byte pairs of `x` into `i16` lanes (`pmaddubsw`: `x` unsigned, ones
/// signed; at most 510, no saturation).
#[inline(always)]
unsafe fn pairs256_u8(x: __m256i) -> __m256i {
    _mm256_maddubs_epi16(x, _mm256_set1_epi8(1))
}

/// The sum of the four 64-bit lanes.
#[inline(always)]
unsafe fn total64x4(x: __m256i) -> i64 {
    let (l, h) = halves(x);
    total64x2(_mm_add_epi64(l, h))
}

/// The lane sums of four `u64x4` registers, as `[Σa, Σb, Σc, Σd]` (a transposed reduction).
#[inline(always)]
unsafe fn total4_64(a: [__m256i; 4]) -> __m256i {
    let t0 = _mm256_add_epi64(
        _mm256_unpacklo_epi64(a[0], a[1]),
        _mm256_unpackhi_epi64(a[0], a[1]),
    );
    let t1 = _mm256_add_epi64(
        _mm256_unpacklo_epi64(a[2], a[3]),
        _mm256_unpackhi_epi64(a[2], a[3]),
    );
    _mm256_add_epi64(
        _mm256_permute2x128_si256::<0x20>(t0, t1),
        _mm256_permute2x128_si256::<0x31>(t0, t1),
    )
}

/// Stores the low halves of four 64-bit lanes minus `bias` as four `i32`.
#[inline(always)]
unsafe fn store4_64(sums: __m256i, bias: i64, out: *mut i32) {
    let v = _mm256_sub_epi64(sums, _mm256_set1_epi64x(bias));
    let packed = _mm256_permutevar8x32_epi32(v, _mm256_setr_epi32(0, 2, 4, 6, 0, 2, 4, 6));
    _mm_storeu_si128(out.cast(), _mm256_castsi256_si128(packed));
}

/// The lane sums of sixteen `psadbw` results of one vector each (a row's eight 64-bit lanes
/// below `2^11`, their total below `2^16`), minus `bias`, as sixteen `i32` at `out`. Four rows
/// share a register in 16-bit fields (row `4g + j` in bits `16j..` of each 64-bit lane: two
/// shifts, a `pshufd` and two ORs per four rows), which no sum can carry out of; then the two
/// 64-bit lanes of each 128-bit block are added (`punpck*qdq`), the blocks in two transposed
/// levels, and the sixteen 16-bit totals, now in row order, widened. Five cross-block
/// operations for the sixteen rows, where a fold of 32-bit lanes took thirteen (and the
/// compiler turned its in-block pair shuffles into eight more): on an AMD Zen 5 these share
/// their two pipes with `psadbw`, the shifts, ORs and in-block shuffles do not (int8 7x7 `avg`
/// 1.15-1.17x faster with the emission out of the loop, level without it).
///
/// # Safety
/// AVX-512F and AVX-512BW; `out..out + 16` writable.
#[inline(always)]
unsafe fn store16_16(s: [__m512i; 16], bias: i32, out: *mut i32) {
    // SAFETY: the caller guarantees AVX-512F/BW and the output range.
    unsafe {
        let mut p = [_mm512_setzero_si512(); 4];
        for (v, &[a, b, c, d]) in p.iter_mut().zip(s.as_chunks::<4>().0) {
            let ab = _mm512_or_si512(a, _mm512_slli_epi64::<16>(b));
            let cd = _mm512_or_si512(c, _mm512_slli_epi64::<16>(d));
            // `cd`'s high 32 bits are zero: the swap moves its fields up by 32.
            *v = _mm512_or_si512(ab, _mm512_shuffle_epi32::<0xB1>(cd));
        }
        let [p0, p1, p2, p3] = p;
        // Block `b` of `q01`: [the two lanes of `p0`'s block `b` added, those of `p1`'s].
        let q01 = _mm512_add_epi16(_mm512_unpacklo_epi64(p0, p1), _mm512_unpackhi_epi64(p0, p1));
        let q23 = _mm512_add_epi16(_mm512_unpacklo_epi64(p2, p3), _mm512_unpackhi_epi64(p2, p3));
        // Blocks [q01 0+1, q01 2+3, q23 0+1, q23 2+3], then [q01 all, q23 all, ..]: rows 0-7
        // in block 0, rows 8-15 in block 1.
        let x = _mm512_add_epi16(
            _mm512_shuffle_i32x4::<0x88>(q01, q23),
            _mm512_shuffle_i32x4::<0xDD>(q01, q23),
        );
        let y = _mm512_add_epi16(
            _mm512_shuffle_i32x4::<0x88>(x, x),
            _mm512_shuffle_i32x4::<0xDD>(x, x),
        );
        let v = _mm512_cvtepu16_epi32(_mm512_castsi512_si256(y));
        _mm512_storeu_si512(out.cast(), _mm512_sub_epi32(v, _mm512_set1_epi32(bias)));
    }
}

/// [`short16_body`] compiled on its own (not inlined), so that its loop gets registers of its
/// own: inlined into the integer entry point, which holds every other loop and their live
/// values, the compiler kept the loop's row step on the stack and reloaded it every sixteen
/// rows (int8 7x7 `sum` / `avg` at 52% / 58% of the probe on an AMD Zen 5 instead of 72% /
/// 63%).
///
/// # Safety
/// As for [`IntVector::short16`], and the CPU has AVX-512F, AVX-512BW and AVX-512DQ.
#[target_feature(enable = "avx512f,avx512bw,avx512dq")]
#[inline(never)]
unsafe fn short16_512<T: Int, S: Sink>(p: *const T, n: usize, groups: usize, sink: &mut S)
where
    __m512i: IntVector<T>,
{
    // SAFETY: forwarded contract.
    unsafe { short16_body::<T, __m512i, S>(p, n, groups, sink) }
}

/// `vpdpbusd` of the row bytes `x` against the weights `w` (ones, or ones and zeros): `x` its
/// signed operand for `i8`, its unsigned one with `U` (`u8`; then `w` is the signed one, whose
/// ones are ones all the same). (Only the signed operand can be a memory one: `u8` rows cost
/// their loads.)
///
/// # Safety
/// AVX-512F, AVX-512BW and AVX-512 VNNI.
#[inline(always)]
unsafe fn dot<const U: bool>(acc: __m512i, w: __m512i, x: __m512i) -> __m512i {
    // SAFETY: the caller's contract.
    unsafe {
        if U {
            _mm512_dpbusd_epi32(acc, x, w)
        } else {
            _mm512_dpbusd_epi32(acc, w, x)
        }
    }
}

/// As [`dot`], adding only into the four-byte lanes of `k`.
///
/// # Safety
/// As for [`dot`].
#[inline(always)]
unsafe fn dot_masked<const U: bool>(acc: __m512i, k: __mmask16, w: __m512i, x: __m512i) -> __m512i {
    // SAFETY: the caller's contract.
    unsafe {
        if U {
            _mm512_mask_dpbusd_epi32(acc, k, x, w)
        } else {
            _mm512_mask_dpbusd_epi32(acc, k, w, x)
        }
    }
}

/// `acc` plus the four-byte sums of one row of `FULL` whole vectors at `p` (`vpdpbusd`
/// against ones, [`dot`]) and, if `tail`, of the vector after them against `w` (ones in the row's last
/// lanes, zeros past it).
///
/// # Safety
/// AVX-512F, AVX-512BW and AVX-512 VNNI; `p..p + FULL * 64` readable, and `.. + 64` more if
/// `tail`.
#[inline(always)]
unsafe fn dot_row<const FULL: usize, const U: bool>(
    acc: __m512i,
    p: *const i8,
    w: __m512i,
    tail: bool,
) -> __m512i {
    // SAFETY: the caller's contract.
    unsafe {
        let mut acc = acc;
        for v in 0..FULL {
            let x = _mm512_loadu_si512(p.add(64 * v).cast());
            acc = dot::<U>(acc, _mm512_set1_epi8(1), x);
        }
        if tail {
            let x = _mm512_loadu_si512(p.add(64 * FULL).cast());
            acc = dot::<U>(acc, w, x);
        }
        acc
    }
}

/// The sums of two `i8` rows ([`dot_row`]) in one register of `i32` lanes: row `a`'s shifted
/// into the high 16 bits, then row `b`'s added: each lane is `A * 2^16 + B`, `A` and `B` the
/// two rows' sums over the lane's bytes (at most `4 (FULL + 1)` bytes each).
///
/// # Safety
/// As for [`dot_row`], for both rows.
#[inline(always)]
unsafe fn dot_pair<const FULL: usize, const U: bool>(
    a: *const i8,
    b: *const i8,
    w: __m512i,
    tail: bool,
) -> __m512i {
    // SAFETY: the caller's contract.
    unsafe {
        let x = dot_row::<FULL, U>(_mm512_setzero_si512(), a, w, tail);
        dot_row::<FULL, U>(_mm512_slli_epi32::<16>(x), b, w, tail)
    }
}

/// Adds the lanes `2j` and `2j + 1` of each 128-bit block, `a`'s and `b`'s interleaved by
/// `unpck` (`QUADS`: 64-bit halves, else 32-bit lanes).
///
/// # Safety
/// AVX-512F.
#[inline(always)]
unsafe fn fold_unpack<const QUADS: bool>(a: __m512i, b: __m512i) -> __m512i {
    // SAFETY: the caller's contract.
    unsafe {
        if QUADS {
            _mm512_add_epi32(_mm512_unpacklo_epi64(a, b), _mm512_unpackhi_epi64(a, b))
        } else {
            _mm512_add_epi32(_mm512_unpacklo_epi32(a, b), _mm512_unpackhi_epi32(a, b))
        }
    }
}

/// Adds blocks `0 + 1` and `2 + 3` of `a`, then of `b`: `[a01, a23, b01, b23]`.
///
/// # Safety
/// AVX-512F.
#[inline(always)]
unsafe fn fold_blocks(a: __m512i, b: __m512i) -> __m512i {
    // SAFETY: the caller's contract.
    unsafe {
        _mm512_add_epi32(
            _mm512_shuffle_i32x4::<0x88>(a, b),
            _mm512_shuffle_i32x4::<0xDD>(a, b),
        )
    }
}

/// Row `k` of a group of sixteen rows `n` apart from `p`; with `MIXED`, the rows from `skip`
/// on are `jump` bytes further (one group of a call's first and last rows).
#[inline(always)]
fn row_at<const MIXED: bool>(
    p: *const i8,
    k: usize,
    n: usize,
    skip: usize,
    jump: usize,
) -> *const i8 {
    let far = if MIXED && k >= skip { jump } else { 0 };
    p.wrapping_add(k * n + far)
}

/// Sixteen rows of `n` values from `p` (with `MIXED`, as [`row_at`] places them), as eight
/// [`dot_pair`] registers folded to one: 128-bit block `k` holds the halves (blocks `0 + 1`
/// in `k = 0, 2`, `2 + 3` in `k = 1, 3`) of the lane totals of pairs `0-3` (`k < 2`) or
/// `4-7`; returns it and the address after the rows (without `MIXED`; then it steps through
/// [`super::super::opaque`] every four rows, as [`short16_body`]).
///
/// # Safety
/// As for [`dot_pair`], for every row.
#[cfg_attr(not(globalpool_unoptimized), inline(always))]
unsafe fn dot16<const FULL: usize, const MIXED: bool, const U: bool>(
    p: *const i8,
    n: usize,
    w: __m512i,
    tail: bool,
    skip: usize,
    jump: usize,
) -> (__m512i, *const i8) {
    // SAFETY: the caller's contract.
    unsafe {
        let base = p;
        let mut p = p;
        let mut z = [_mm512_setzero_si512(); 8];
        for (c, two) in z.as_chunks_mut::<2>().0.iter_mut().enumerate() {
            // The second row of a pair in the high bits: each lane's 16-bit words are then the
            // pair's rows in memory order.
            if MIXED {
                let k = 4 * c;
                let (r0, r1) = (
                    row_at::<true>(base, k, n, skip, jump),
                    row_at::<true>(base, k + 1, n, skip, jump),
                );
                let (r2, r3) = (
                    row_at::<true>(base, k + 2, n, skip, jump),
                    row_at::<true>(base, k + 3, n, skip, jump),
                );
                two[0] = dot_pair::<FULL, U>(r1, r0, w, tail);
                two[1] = dot_pair::<FULL, U>(r3, r2, w, tail);
            } else {
                two[0] = dot_pair::<FULL, U>(p.add(n), p, w, tail);
                two[1] = dot_pair::<FULL, U>(p.add(3 * n), p.add(2 * n), w, tail);
                p = super::super::opaque(p.add(4 * n));
            }
        }
        (fold_group(z), p)
    }
}

/// The eight pair registers of a group folded to one, as [`dot16`] returns it.
///
/// # Safety
/// AVX-512F.
#[inline(always)]
unsafe fn fold_group(z: [__m512i; 8]) -> __m512i {
    // SAFETY: the caller's contract.
    unsafe {
        let [z0, z1, z2, z3, z4, z5, z6, z7] = z;
        let u0 = fold_unpack::<true>(fold_unpack::<false>(z0, z1), fold_unpack::<false>(z2, z3));
        let u1 = fold_unpack::<true>(fold_unpack::<false>(z4, z5), fold_unpack::<false>(z6, z7));
        fold_blocks(u0, u1)
    }
}

/// `acc` plus the four-byte sums of row `i < 16` of a [`dot16_lines`] group, whose first line
/// is `q`: the row's bytes in lanes `i..16` of that line, all of the `FULL - 1` lines after
/// it, lanes `0..=i` of the last (`vpdpbusd` with a write mask: a lane is four bytes, and the
/// rows start and end on four-byte boundaries).
///
/// # Safety
/// AVX-512F, AVX-512BW and AVX-512 VNNI; `q` on a 64-byte boundary, `q .. q + 64 (FULL + 1)`
/// readable.
#[inline(always)]
unsafe fn line_row<const FULL: usize, const U: bool>(
    acc: __m512i,
    q: *const i8,
    i: usize,
    ones: __m512i,
) -> __m512i {
    // SAFETY: the caller's contract.
    unsafe {
        let first = (u32::MAX << i) as __mmask16;
        let last = ((2u32 << i) - 1) as __mmask16;
        let mut acc = dot_masked::<U>(acc, first, ones, _mm512_load_si512(q.cast()));
        for v in 1..FULL {
            acc = dot::<U>(acc, ones, _mm512_load_si512(q.add(64 * v).cast()));
        }
        let x = _mm512_load_si512(q.add(64 * FULL).cast());
        dot_masked::<U>(acc, last, ones, x)
    }
}

/// Sixteen rows of `n = 64 FULL + 4` values from `p`, on a 64-byte boundary, as [`dot16`]
/// gives them, read as the `16 FULL + 1` aligned lines they cover: row `i` starts at byte
/// `4 i` of line `FULL i` and ends at byte `4 i + 3` of line `FULL (i + 1)`, so each row
/// takes `FULL + 1` aligned loads and `vpdpbusd` (those that split a line masked, see
/// [`line_row`]) where [`dot16`] takes as many loads across line boundaries. On the Zen 4 a
/// 64-byte load that does not start on a 32-byte boundary costs about 1.6 cycles of the load
/// pipes, an aligned one 1.0.
///
/// # Safety
/// As for [`line_row`], for the `16 FULL + 1` lines from `p`.
#[cfg_attr(not(globalpool_unoptimized), inline(always))]
unsafe fn dot16_lines<const FULL: usize, const U: bool>(p: *const i8) -> (__m512i, *const i8) {
    // SAFETY: the caller's contract.
    unsafe {
        let ones = _mm512_set1_epi8(1);
        let mut p = p;
        let mut z = [_mm512_setzero_si512(); 8];
        for (c, two) in z.as_chunks_mut::<2>().0.iter_mut().enumerate() {
            let i = 4 * c;
            // Rows `i + 1` and `i + 3` in the high words, as in `dot16`.
            let b = line_row::<FULL, U>(_mm512_setzero_si512(), p.add(64 * FULL), i + 1, ones);
            two[0] = line_row::<FULL, U>(_mm512_slli_epi32::<16>(b), p, i, ones);
            let b = line_row::<FULL, U>(_mm512_setzero_si512(), p.add(192 * FULL), i + 3, ones);
            two[1] =
                line_row::<FULL, U>(_mm512_slli_epi32::<16>(b), p.add(128 * FULL), i + 2, ones);
            p = super::super::opaque(p.add(256 * FULL));
        }
        // Sixteen rows are `1024 FULL + 64` bytes.
        (fold_group(z), p.add(64))
    }
}

/// Two folded groups' pair totals ([`dot16`]) as 32 words, the rows' sums in order. Each
/// total is `ΣB * 2^16 + ΣA` over sixteen lanes, the two rows' sums (`A` the first row):
/// `|ΣA|, |ΣB| <= 128 n <= 32640`, so the total fits in `i32`. Adding `2^15` makes the low
/// word `ΣA + 2^15`, in `0 .. 2^16`, so nothing carries into the high word, which is then
/// `ΣB`; flipping the low word's top bit takes `2^15` off it again.
///
/// # Safety
/// AVX-512F.
#[inline(always)]
unsafe fn pair_words<const U: bool>(a: __m512i, b: __m512i) -> __m512i {
    // SAFETY: the caller's contract.
    unsafe {
        if U {
            // `u8`: both sums in `0 ..= 255 n < 2^16`, nothing borrows.
            return fold_blocks(a, b);
        }
        let low_bias = _mm512_set1_epi32(1 << 15);
        _mm512_xor_si512(_mm512_add_epi32(fold_blocks(a, b), low_bias), low_bias)
    }
}

/// [`WordAvg`] in registers.
#[derive(Clone, Copy)]
struct WordDiv {
    half: __m512i,
    mul: __m512i,
    shift: __m128i,
    lo: __m512i,
    hi: __m512i,
}

impl WordDiv {
    /// The division `sink` takes, if it takes one ([`Sink::word_avg`]).
    ///
    /// # Safety
    /// AVX-512F and AVX-512BW.
    #[inline(always)]
    unsafe fn of<S: Sink>(sink: &S) -> Option<WordDiv> {
        // SAFETY: the caller's contract.
        unsafe { Some(WordDiv::new(sink.word_avg()?)) }
    }

    /// The division `d` in vectors.
    ///
    /// # Safety
    /// AVX-512F and AVX-512BW.
    #[inline(always)]
    unsafe fn new(d: WordAvg) -> WordDiv {
        // SAFETY: the caller's contract.
        unsafe {
            WordDiv {
                half: _mm512_set1_epi16(d.half),
                mul: _mm512_set1_epi16(d.mul as i16),
                shift: _mm_cvtsi32_si128(d.shift as i32),
                lo: _mm512_set1_epi16(d.lo),
                hi: _mm512_set1_epi16(d.hi),
            }
        }
    }

    /// The averages of 32 sums held as words: `x = |acc| + n/2`, `q = mulhi(x, mul) >> shift`,
    /// the sign of `acc` put back (a masked `0 - q`), clamped; as words.
    ///
    /// # Safety
    /// AVX-512F and AVX-512BW.
    #[inline(always)]
    unsafe fn words(self, words: __m512i) -> __m512i {
        // SAFETY: the caller's contract.
        unsafe {
            let x = _mm512_add_epi16(_mm512_abs_epi16(words), self.half);
            let q = _mm512_srl_epi16(mulhi_epu16(x, self.mul), self.shift);
            let neg = _mm512_movepi16_mask(words);
            let q = _mm512_mask_sub_epi16(q, neg, _mm512_setzero_si512(), q);
            _mm512_min_epi16(_mm512_max_epi16(q, self.lo), self.hi)
        }
    }

    /// The averages of 32 `u8` rows' sums held as words (`u16`): `x = acc + n/2`, `q =
    /// mulhi(x, mul) >> shift`, clamped; as words.
    ///
    /// # Safety
    /// AVX-512F and AVX-512BW.
    #[inline(always)]
    unsafe fn unsigned_words(self, words: __m512i) -> __m512i {
        // SAFETY: the caller's contract.
        unsafe {
            let x = _mm512_add_epi16(words, self.half);
            let q = _mm512_srl_epi16(mulhi_epu16(x, self.mul), self.shift);
            _mm512_min_epi16(_mm512_max_epi16(q, self.lo), self.hi)
        }
    }

    /// [`WordDiv::words`] narrowed to bytes.
    ///
    /// # Safety
    /// AVX-512F and AVX-512BW.
    #[inline(always)]
    unsafe fn bytes<const U: bool>(self, words: __m512i) -> [i8; 32] {
        // SAFETY: the caller's contract; `bytes` has room for the 32 bytes stored.
        unsafe {
            let q = if U {
                self.unsigned_words(words)
            } else {
                self.words(words)
            };
            let mut bytes = [0i8; 32];
            _mm256_storeu_si256(bytes.as_mut_ptr().cast(), _mm512_cvtepi16_epi8(q));
            bytes
        }
    }
}

/// The 32 words of [`pair_words`] widened to `i32`.
///
/// # Safety
/// AVX-512F and AVX-512BW.
#[inline(always)]
unsafe fn widen_words<const U: bool>(words: __m512i) -> [i32; 32] {
    // SAFETY: the caller's contract; `vals` has room for the two vectors stored.
    unsafe {
        let mut vals = [0i32; 32];
        let out = vals.as_mut_ptr().cast::<__m512i>();
        let (low, high) = (
            _mm512_castsi512_si256(words),
            _mm512_extracti64x4_epi64::<1>(words),
        );
        let (low, high) = if U {
            (_mm512_cvtepu16_epi32(low), _mm512_cvtepu16_epi32(high))
        } else {
            (_mm512_cvtepi16_epi32(low), _mm512_cvtepi16_epi32(high))
        };
        _mm512_storeu_si512(out, low);
        _mm512_storeu_si512(out.add(1), high);
        vals
    }
}

/// Puts the results of rows `from..to` (of 32) of `words` ([`pair_words`]) into `sink`, one
/// at a time: averages through `div` if there is one, else the sums.
///
/// # Safety
/// AVX-512F and AVX-512BW.
#[cfg_attr(not(globalpool_unoptimized), inline(always))]
unsafe fn put_rows<const U: bool, S: Sink>(
    words: __m512i,
    from: usize,
    to: usize,
    div: Option<WordDiv>,
    sink: &mut S,
) {
    // SAFETY: the caller's contract.
    unsafe {
        if let Some(d) = div {
            for &v in d.bytes::<U>(words).get(from..to).unwrap_or_default() {
                sink.put_bytes::<U, _>(&[v]);
            }
        } else {
            for &v in widen_words::<U>(words).get(from..to).unwrap_or_default() {
                sink.put(&[v]);
            }
        }
    }
}

/// One group of sixteen rows from `p`: [`dot16_lines`] with `LINES`, else [`dot16`].
///
/// # Safety
/// As for the one called.
#[cfg_attr(not(globalpool_unoptimized), inline(always))]
unsafe fn group<const FULL: usize, const LINES: bool, const U: bool>(
    p: *const i8,
    n: usize,
    w: __m512i,
    tail: bool,
) -> (__m512i, *const i8) {
    // SAFETY: the caller's contract.
    unsafe {
        if LINES {
            dot16_lines::<FULL, U>(p)
        } else {
            dot16::<FULL, false, U>(p, n, w, tail, 16, 0)
        }
    }
}

/// `groups` groups of sixteen rows from `p`, two at a time ([`dot16_lines`] with `LINES`,
/// else [`dot16`]), their results put into `sink` (see [`short16_dot`]).
///
/// # Safety
/// As for [`short16_dot`]; with `LINES`, `n = 64 FULL + 4` and `p` on a 64-byte boundary.
#[cfg_attr(not(globalpool_unoptimized), inline(always))]
#[allow(clippy::too_many_arguments)]
unsafe fn dot_groups<const FULL: usize, const LINES: bool, const U: bool, S: Sink>(
    p: *const i8,
    n: usize,
    groups: usize,
    w: __m512i,
    tail: bool,
    div: Option<WordDiv>,
    sink: &mut S,
) {
    // SAFETY: the caller's contract.
    unsafe {
        let mut p = p;
        let mut left = groups;
        while left > 0 {
            let (a, q) = group::<FULL, LINES, U>(p, n, w, tail);
            // A last single group is folded with itself; only its half is put.
            let (b, q) = if left >= 2 {
                group::<FULL, LINES, U>(q, n, w, tail)
            } else {
                (a, q)
            };
            p = q;
            let words = pair_words::<U>(a, b);
            let whole = left >= 2;
            if let Some(d) = div {
                let bytes = d.bytes::<U>(words);
                if whole {
                    sink.put_bytes::<U, _>(&bytes);
                } else if let Some(half) = bytes.first_chunk::<16>() {
                    sink.put_bytes::<U, _>(half);
                }
            } else {
                let vals = widen_words::<U>(words);
                if whole {
                    sink.put(&vals);
                } else if let Some(half) = vals.first_chunk::<16>() {
                    sink.put(half);
                }
            }
            left -= if whole { 2 } else { 1 };
        }
    }
}

/// [`IntVector::short16`] for `i8` (and with `U` for `u8`, whose bytes are then `vpdpbusd`'s
/// unsigned register operand, loaded first, and whose sums need no bias) with AVX-512 VNNI
/// (rows of `FULL <= 3` whole vectors and a part, `n < 256`), two groups of sixteen rows at a
/// time: the rows' sums in [`dot_pair`]
/// registers (one `vpdpbusd` a vector, its memory operand the row; the part against a weight
/// vector that is also its mask; one shift a pair), eight registers a group folded together,
/// the two groups' pair totals made 32 words, the rows' sums in order: widened for the sums,
/// divided in 16-bit lanes for averages that have such a division ([`Sink::word_avg`]: `i8`
/// rows of 2 to 255 values). The averages take 11 operations for 32 rows there, where
/// splitting the fields into `i32` lanes took 8 and the sink's `f32` division 16 more (on the
/// Zen 4 int8 7x7 `avg` 1.12-1.14x, 5x5 1.15x, 10x10 1.05x, 14x14 and `sum` level; `vpmulhuw`
/// written out, see [`mulhi_epu16`]). For rows shorter than a vector
/// that is one operation a row where the masked, biased `psadbw` takes two; the fold
/// (`unpck`, `vshufi32x4` and adds, about one shuffle a row) is shared by thirty-two rows. On
/// an AMD Zen 4 (EPYC 9004) int8 7x7 `avg` 1.2x, `sum` 1.2x, 5x5 `avg` 1.17x, all against
/// [`short16_512`] (not measured on the Zen 5).
///
/// Rows of `64 FULL + 4` values (14x14 maps: 196) that start on four-byte boundaries are read
/// as aligned lines ([`dot16_lines`]) from the first row that starts a line on; the rows
/// before it and as many at the end go through [`dot16`] as one group of their own. (Its
/// larger helpers are inlined only in optimized builds: at opt-level 0 every inlined copy
/// keeps its own stack slots, and with both loops and that group inlined this function's
/// frame overflowed the 128 KiB thread of `tests/stack.rs`.)
///
/// # Safety
/// As for [`IntVector::short16`], and the CPU has AVX-512F, AVX-512BW, AVX-512DQ and AVX-512
/// VNNI.
#[target_feature(enable = "avx512f,avx512bw,avx512dq,avx512vnni")]
#[inline(never)]
unsafe fn short16_dot<const FULL: usize, const U: bool, S: Sink>(
    p: *const i8,
    n: usize,
    groups: usize,
    sink: &mut S,
) {
    // SAFETY: the caller's contract: `n = FULL * 64 + r` with `r < 64` (`r > 0` if
    // `FULL == 0`), the rows and loads inside the input. With `r == 4` and `p` on a four-byte
    // boundary, row `skip` starts on a 64-byte one, and `dot16_lines` reads only the bytes of
    // the rows from there on (sixteen rows are exactly `16 FULL + 1` lines); the group of the
    // first `skip` rows and the last `16 - skip` makes the loads the plain loop would make for
    // them.
    unsafe {
        let r = n - 64 * FULL;
        let (w, tail) = (_mm512_maskz_set1_epi8(!(!0u64 << r), 1), r > 0);
        let div = WordDiv::of(sink);
        if FULL == 0 || r != 4 || !p.addr().is_multiple_of(4) || groups < 2 {
            dot_groups::<FULL, false, U, S>(p, n, groups, w, tail, div, sink);
            return;
        }
        // Row `skip` is the first that starts on a 64-byte boundary (`n = 4 (mod 64)`).
        let skip = (64 - p.addr() % 64) / 4 % 16;
        if skip == 0 {
            dot_groups::<FULL, true, U, S>(p, n, groups, w, tail, div, sink);
            return;
        }
        // Rows `0 .. skip` and the last `16 - skip` (rows of the first and the last group):
        // one group of their own.
        let jump = 16 * (groups - 1) * n;
        let (m, _) = dot16::<FULL, true, U>(p, n, w, tail, skip, jump);
        let words = pair_words::<U>(m, m);
        put_rows::<U, S>(words, 0, skip, div, sink);
        dot_groups::<FULL, true, U, S>(p.add(skip * n), n, groups - 1, w, tail, div, sink);
        put_rows::<U, S>(words, skip, 16, div, sink);
    }
}

/// `_mm512_mulhi_epu16` as the one `vpmulhuw` it names: the intrinsic is defined portably (a
/// multiply of zero-extended 32-bit lanes, shifted and narrowed), which the LLVM of rustc 1.95
/// compiles, in [`short16_dot`], into two widenings, two `vpmulhuw` of widened halves, two
/// narrowings and an insert: six shuffles where none is needed.
///
/// # Safety
/// AVX-512BW.
#[target_feature(enable = "avx512f,avx512bw")]
#[inline]
unsafe fn mulhi_epu16(a: __m512i, b: __m512i) -> __m512i {
    let high;
    // SAFETY: an instruction of AVX-512BW (the caller's contract) on registers only: it reads
    // no memory, writes none and leaves the flags alone.
    unsafe {
        core::arch::asm!(
            "vpmulhuw {high}, {a}, {b}",
            high = lateout(zmm_reg) high,
            a = in(zmm_reg) a,
            b = in(zmm_reg) b,
            options(pure, nomem, nostack, preserves_flags),
        );
    }
    high
}

/// [`ext16_body`] compiled on its own, as [`short16_512`] is.
///
/// # Safety
/// As for [`IntVector::ext16`], and the CPU has AVX-512F, AVX-512BW and AVX-512DQ.
#[target_feature(enable = "avx512f,avx512bw,avx512dq")]
#[inline(never)]
unsafe fn ext16_512<T: Int, const MAX: bool, S: Sink>(
    p: *const T,
    n: usize,
    groups: usize,
    sink: &mut S,
) where
    __m512i: IntVector<T>,
{
    // SAFETY: forwarded contract.
    unsafe { ext16_body::<T, __m512i, MAX, S>(p, n, groups, sink) }
}

/// `max` (`MAX`) or `min` of the bytes of `a` and `b`, unsigned with `U`, in the lanes of `k`
/// (`src` elsewhere).
///
/// # Safety
/// AVX-512BW.
#[inline(always)]
unsafe fn ext_bytes<const U: bool, const MAX: bool>(
    src: __m512i,
    k: __mmask64,
    a: __m512i,
    b: __m512i,
) -> __m512i {
    // SAFETY: the caller's contract.
    unsafe {
        match (U, MAX) {
            (false, true) => _mm512_mask_max_epi8(src, k, a, b),
            (false, false) => _mm512_mask_min_epi8(src, k, a, b),
            (true, true) => _mm512_mask_max_epu8(src, k, a, b),
            (true, false) => _mm512_mask_min_epu8(src, k, a, b),
        }
    }
}

/// Row `i < 16` of an [`ext16_lines`] group whose first line is `q`: the extreme of its bytes
/// in lanes `4 i..64` of that line, all of the `FULL - 1` lines after it and lanes
/// `0..4 i + 4` of the last, `fill` (the identity) where a lane saw none.
///
/// # Safety
/// AVX-512F and AVX-512BW; `q` on a 64-byte boundary, `q .. q + 64 (FULL + 1)` readable.
#[inline(always)]
unsafe fn ext_line_row<const FULL: usize, const U: bool, const MAX: bool>(
    q: *const u8,
    i: usize,
    fill: __m512i,
) -> __m512i {
    // SAFETY: the caller's contract.
    unsafe {
        let first = u64::MAX << (4 * i).min(60);
        let last = u64::MAX >> (60 - (4 * i).min(60));
        let mut acc = _mm512_mask_mov_epi8(fill, first, _mm512_load_si512(q.cast()));
        for v in 1..FULL {
            let x = _mm512_load_si512(q.add(64 * v).cast());
            acc = ext_bytes::<U, MAX>(acc, u64::MAX, acc, x);
        }
        ext_bytes::<U, MAX>(acc, last, acc, _mm512_load_si512(q.add(64 * FULL).cast()))
    }
}

/// The extremes of sixteen rows of `i8` (or `u8`, `U`) bytes (`IntVector::hext16`).
///
/// # Safety
/// AVX-512F, AVX-512BW and AVX-512DQ.
#[inline(always)]
unsafe fn hext16_bytes<const U: bool, const MAX: bool>(rows: [__m512i; 16]) -> [i32; 16]
where
    __m512i: IntVector<u8> + IntVector<i8>,
{
    let mut vals = [0i32; 16];
    // SAFETY: the caller's contract; `vals` has the sixteen lanes `hext16` writes.
    unsafe {
        if U {
            <__m512i as IntVector<u8>>::hext16::<MAX>(rows, vals.as_mut_ptr());
        } else {
            <__m512i as IntVector<i8>>::hext16::<MAX>(rows, vals.as_mut_ptr());
        }
    }
    vals
}

/// `max` / `min` of `groups` groups of sixteen `i8` (or `u8`, `U`) rows of `n = 64 FULL + 4`
/// values from `p`, on a 64-byte boundary, read as the `16 FULL + 1` aligned lines each group
/// covers (as [`dot16_lines`] reads them for sums): row `i` of a group starts at byte `4 i` of
/// line `FULL i` and ends at byte `4 i + 3` of line `FULL (i + 1)`, so each row takes
/// `FULL + 1` aligned loads (the line two rows share loaded once) and as many operations,
/// where [`ext16_body`] takes as many loads across line boundaries and one operation more.
///
/// # Safety
/// AVX-512F and AVX-512BW; `p` on a 64-byte boundary, the `groups * (16 FULL + 1)` lines from
/// `p` readable.
#[inline(always)]
unsafe fn ext16_lines<const FULL: usize, const U: bool, const MAX: bool, S: Sink>(
    p: *const u8,
    groups: usize,
    fill: __m512i,
    sink: &mut S,
) where
    __m512i: IntVector<u8> + IntVector<i8>,
{
    // SAFETY: the caller's contract; sixteen rows are `1024 FULL + 64` bytes.
    unsafe {
        let mut p = p;
        for _ in 0..groups {
            // Written out row by row (`i` a constant of each: the masks, the addresses), the
            // rows in registers; as a loop the compiler kept it rolled, the masks computed and
            // the rows stored to the stack, each shared line loaded twice.
            macro_rules! line_rows {
                ($($i:literal)*) => {
                    [$(ext_line_row::<FULL, U, MAX>(p.add(64 * FULL * $i), $i, fill)),*]
                };
            }
            let rows = line_rows!(0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15);
            sink.put(&hext16_bytes::<U, MAX>(rows));
            p = super::super::opaque(p.add(1024 * FULL + 64));
        }
    }
}

/// [`ext16_512`] for `i8` (or `u8`, `U`) rows of `n = 64 FULL + 4` values (14x14 maps: 196)
/// from `p` on a four-byte boundary, at least two groups: the groups from the first row that
/// starts on a 64-byte boundary go through [`ext16_lines`], the rows before it and as many at
/// the end through [`ext16_512`]'s row loads as one group of their own (as in
/// [`short16_dot`]). On the Intel Xeon with AMX, where a load across a line boundary costs
/// about as much as two, A/B against [`ext16_512`] alone: int8 `max` / `min` and uint8 `max`
/// of 14x14 maps 1.44-1.61x (1x512x14x14: 49% -> 75-78% of the probe; 8x512x14x14 1.44-1.51x),
/// rows of 132 values 1.25-1.42x.
///
/// # Safety
/// As for [`IntVector::ext16`], with `n` and `p` as above and `groups >= 2`; the CPU has
/// AVX-512F, AVX-512BW and AVX-512DQ.
#[target_feature(enable = "avx512f,avx512bw,avx512dq")]
#[inline(never)]
unsafe fn ext16_lines_512<T: Int, const FULL: usize, const U: bool, const MAX: bool, S: Sink>(
    p: *const T,
    n: usize,
    groups: usize,
    sink: &mut S,
) where
    __m512i: IntVector<T> + IntVector<u8> + IntVector<i8>,
{
    // SAFETY: the caller's contract: with `n = 4 (mod 64)` and `p` on a four-byte boundary,
    // row `skip` starts on a 64-byte one, and the groups from it cover whole lines of the
    // input's rows; the rows of the group of the first `skip` rows and the last `16 - skip`
    // are read as `ext16_body` reads them, each inside the input.
    unsafe {
        let fill = _mm512_set1_epi8(match (U, MAX) {
            (false, true) => i8::MIN,
            (false, false) => i8::MAX,
            (true, true) => 0,
            (true, false) => -1,
        });
        let skip = (64 - p.addr() % 64) / 4 % 16;
        if skip == 0 {
            ext16_lines::<FULL, U, MAX, S>(p.cast(), groups, fill, sink);
            return;
        }
        // Rows `0 .. skip` and the last `16 - skip`: one group, each row its `FULL` whole
        // vectors and the vector that ends it (as `ext16_body` reads them; a byte's key is
        // the byte itself on AVX-512, as `ext16_lines` and `hext16_bytes` take them).
        let jump = 16 * (groups - 1) * n;
        let mut rows = [fill; 16];
        for (j, row) in rows.iter_mut().enumerate() {
            let r = if j < skip {
                p.add(j * n)
            } else {
                p.add(jump + j * n)
            };
            *row = ext_short_row::<T, __m512i, MAX, FULL>(r, n, fill, fill);
        }
        let vals = hext16_bytes::<U, MAX>(rows);
        for v in vals.get(..skip).unwrap_or_default() {
            sink.put(&[*v]);
        }
        ext16_lines::<FULL, U, MAX, S>(p.add(skip * n).cast(), groups - 1, fill, sink);
        for v in vals.get(skip..).unwrap_or_default() {
            sink.put(&[*v]);
        }
    }
}

/// `IntVector::ext16` for `i8` (or `u8`, `U`) on AVX-512: [`ext16_lines_512`] for the rows
/// it takes, else [`ext16_512`]. (Not rows of 68 values: 0.79-0.94x for `i8` on the Intel
/// Xeon with AMX.)
///
/// # Safety
/// As for [`IntVector::ext16`]; `T` is `u8` with `U`, else `i8`; the CPU has AVX-512F,
/// AVX-512BW and AVX-512DQ.
#[inline(always)]
unsafe fn ext16_bytes<T: Int, const U: bool, const MAX: bool, S: Sink>(
    p: *const T,
    n: usize,
    groups: usize,
    sink: &mut S,
) where
    __m512i: IntVector<T> + IntVector<u8> + IntVector<i8>,
{
    // SAFETY: the caller's contract; the rows of `64 FULL + 4` bytes on a four-byte
    // boundary, two groups or more, as `ext16_lines_512` asks.
    unsafe {
        if n % 64 == 4 && p.addr().is_multiple_of(4) && groups >= 2 {
            match n / 64 {
                2 => return ext16_lines_512::<T, 2, U, MAX, S>(p, n, groups, sink),
                3 => return ext16_lines_512::<T, 3, U, MAX, S>(p, n, groups, sink),
                _ => {}
            }
        }
        ext16_512::<T, MAX, S>(p, n, groups, sink)
    }
}

/// The lane sums of four `i32x8` registers, as `[Σa, Σb, Σc, Σd]`.
#[inline(always)]
unsafe fn total4_32(a: [__m256i; 4]) -> __m128i {
    let h = _mm256_hadd_epi32(_mm256_hadd_epi32(a[0], a[1]), _mm256_hadd_epi32(a[2], a[3]));
    let (l, h) = halves(h);
    _mm_add_epi32(l, h)
}

/// The sixteen values of `vals` (each in `i16` range) as `i16`, in the order of
/// `_mm256_packs_epi32` (within 128-bit lanes): `[0-3, 8-11, 4-7, 12-15]`.
#[inline(always)]
unsafe fn pack16_i16(vals: &[i32; 16]) -> __m256i {
    let p = vals.as_ptr().cast::<__m256i>();
    _mm256_packs_epi32(_mm256_loadu_si256(p), _mm256_loadu_si256(p.add(1)))
}

/// `IntVector::narrow16` for bytes on AVX2: `out[j] = vals[j]` as `i8` (`SIGNED`) or `u8`.
/// Every value is in range, so the saturating packs narrow exactly; they work within 128-bit
/// lanes, which the permutation puts back in order.
#[inline(always)]
unsafe fn narrow16_bytes<const SIGNED: bool>(vals: &[i32; 16], out: *mut u8) {
    let w = pack16_i16(vals);
    let b = if SIGNED {
        _mm256_packs_epi16(w, w)
    } else {
        _mm256_packus_epi16(w, w)
    };
    // Bytes `[0-3, 8-11, 0-3, 8-11 | 4-7, 12-15, 4-7, 12-15]`, in order by 32-bit lanes.
    let x = _mm256_permutevar8x32_epi32(b, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
    _mm_storeu_si128(out.cast(), _mm256_castsi256_si128(x));
}

// SAFETY: see the module documentation.
unsafe impl IntVector<i8> for __m256i {
    // The long rows' narrow sum: `pmaddubsw` against ones adds byte pairs into `i16` lanes
    // (one operation per vector where the biased `psadbw` takes two); 127 vectors keep every
    // lane within `±127 * 256`.
    type Nsum = __m256i;
    const NSUM_VECTORS: usize = 127;
    #[inline(always)]
    unsafe fn nsum_zero<const DOT: bool>() -> __m256i {
        _mm256_setzero_si256()
    }
    #[inline(always)]
    unsafe fn nsum_add<const DOT: bool>(acc: __m256i, v: Self) -> __m256i {
        _mm256_add_epi16(acc, _mm256_maddubs_epi16(_mm256_set1_epi8(1), v))
    }
    #[inline(always)]
    unsafe fn nsum_merge<const DOT: bool>(a: __m256i, b: __m256i) -> __m256i {
        _mm256_add_epi16(a, b)
    }
    #[inline(always)]
    unsafe fn nsum_flush<const DOT: bool>(n: __m256i, vectors: usize, h: __m256i) -> __m256i {
        // Pairs of `i16` into `i32`, those widened into `i64` lanes (only the total of the
        // lanes matters), plus the bias that `hsum_add` would have added (128 per byte:
        // 1024 per 64-bit lane per vector).
        let (l, hi) = halves(_mm256_madd_epi16(n, _mm256_set1_epi16(1)));
        let q = _mm256_add_epi64(_mm256_cvtepi32_epi64(l), _mm256_cvtepi32_epi64(hi));
        let bias = _mm256_set1_epi64x(1024 * vectors as i64);
        _mm256_add_epi64(h, _mm256_add_epi64(q, bias))
    }
    const LANES: usize = 32;
    const LSUM_ROWS: usize = 256;
    common256!(i8);
    #[inline(always)]
    unsafe fn splat(x: i8) -> Self {
        _mm256_set1_epi8(x)
    }
    #[inline(always)]
    unsafe fn max(self, b: Self) -> Self {
        _mm256_max_epi8(self, b)
    }
    #[inline(always)]
    unsafe fn min(self, b: Self) -> Self {
        _mm256_min_epi8(self, b)
    }
    #[inline(always)]
    unsafe fn hmax(self) -> i32 {
        let (l, h) = halves(self);
        i32::from(fold128!(_mm_max_epi8(l, h), 1, _mm_max_epi8) as i8)
    }
    #[inline(always)]
    unsafe fn hmin(self) -> i32 {
        let (l, h) = halves(self);
        i32::from(fold128!(_mm_min_epi8(l, h), 1, _mm_min_epi8) as i8)
    }
    type Hsum = __m256i;
    #[inline(always)]
    unsafe fn hsum_zero() -> __m256i {
        _mm256_setzero_si256()
    }
    #[inline(always)]
    unsafe fn hsum_add(acc: __m256i, v: Self) -> __m256i {
        let biased = _mm256_xor_si256(v, _mm256_set1_epi8(i8::MIN));
        _mm256_add_epi64(acc, _mm256_sad_epu8(biased, _mm256_setzero_si256()))
    }
    #[inline(always)]
    unsafe fn hsum_merge(a: __m256i, b: __m256i) -> __m256i {
        _mm256_add_epi64(a, b)
    }
    #[inline(always)]
    unsafe fn hsum_total(acc: __m256i, vectors: usize) -> i32 {
        (total64x4(acc) - 128 * 32 * vectors as i64) as i32
    }
    #[inline(always)]
    unsafe fn hsum_total4(acc: [__m256i; 4], vectors: usize, out: *mut i32) {
        store4_64(total4_64(acc), 128 * 32 * vectors as i64, out);
    }
    const HEXT16: bool = true;
    #[inline(always)]
    unsafe fn narrow16(vals: &[i32; 16], out: *mut i8) {
        narrow16_bytes::<true>(vals, out.cast());
    }
    #[inline(always)]
    unsafe fn hext16<const MAX: bool>(rows: [Self; 16], out: *mut i32) {
        hext16_256!(rows, out, MAX, _mm256_max_epi8, _mm256_min_epi8, 1, sign);
    }
    lsum256_bytes!(i8, pairs256_i8, _mm256_cvtepi16_epi32);
}

// SAFETY: see the module documentation.
unsafe impl IntVector<u8> for __m256i {
    crate::kernels::int::nsum_is_hsum!(u8);
    const LANES: usize = 32;
    const LSUM_ROWS: usize = 256;
    common256!(u8);
    #[inline(always)]
    unsafe fn splat(x: u8) -> Self {
        _mm256_set1_epi8(x as i8)
    }
    #[inline(always)]
    unsafe fn max(self, b: Self) -> Self {
        _mm256_max_epu8(self, b)
    }
    #[inline(always)]
    unsafe fn min(self, b: Self) -> Self {
        _mm256_min_epu8(self, b)
    }
    #[inline(always)]
    unsafe fn hmax(self) -> i32 {
        let (l, h) = halves(self);
        fold128!(_mm_max_epu8(l, h), 1, _mm_max_epu8) & 0xFF
    }
    #[inline(always)]
    unsafe fn hmin(self) -> i32 {
        let (l, h) = halves(self);
        fold128!(_mm_min_epu8(l, h), 1, _mm_min_epu8) & 0xFF
    }
    type Hsum = __m256i;
    #[inline(always)]
    unsafe fn hsum_zero() -> __m256i {
        _mm256_setzero_si256()
    }
    #[inline(always)]
    unsafe fn hsum_add(acc: __m256i, v: Self) -> __m256i {
        _mm256_add_epi64(acc, _mm256_sad_epu8(v, _mm256_setzero_si256()))
    }
    #[inline(always)]
    unsafe fn hsum_merge(a: __m256i, b: __m256i) -> __m256i {
        _mm256_add_epi64(a, b)
    }
    #[inline(always)]
    unsafe fn hsum_total(acc: __m256i, _: usize) -> i32 {
        total64x4(acc) as i32
    }
    #[inline(always)]
    unsafe fn hsum_total4(acc: [__m256i; 4], _: usize, out: *mut i32) {
        store4_64(total4_64(acc), 0, out);
    }
    const HEXT16: bool = true;
    #[inline(always)]
    unsafe fn narrow16(vals: &[i32; 16], out: *mut u8) {
        narrow16_bytes::<false>(vals, out.cast());
    }
    #[inline(always)]
    unsafe fn hext16<const MAX: bool>(rows: [Self; 16], out: *mut i32) {
        hext16_256!(rows, out, MAX, _mm256_max_epu8, _mm256_min_epu8, 1, zero);
    }
    lsum256_bytes!(u8, pairs256_u8, _mm256_cvtepu16_epi32);
}

// SAFETY: see the module documentation.
unsafe impl IntVector<i16> for __m256i {
    crate::kernels::int::nsum_is_hsum!(i16);
    const LANES: usize = 16;
    const LSUM_ROWS: usize = usize::MAX;
    common256!(i16);
    #[inline(always)]
    unsafe fn splat(x: i16) -> Self {
        _mm256_set1_epi16(x)
    }
    #[inline(always)]
    unsafe fn max(self, b: Self) -> Self {
        _mm256_max_epi16(self, b)
    }
    #[inline(always)]
    unsafe fn min(self, b: Self) -> Self {
        _mm256_min_epi16(self, b)
    }
    #[inline(always)]
    unsafe fn hmax(self) -> i32 {
        let (l, h) = halves(self);
        i32::from(fold128!(_mm_max_epi16(l, h), 2, _mm_max_epi16) as i16)
    }
    #[inline(always)]
    unsafe fn hmin(self) -> i32 {
        let (l, h) = halves(self);
        i32::from(fold128!(_mm_min_epi16(l, h), 2, _mm_min_epi16) as i16)
    }
    type Hsum = __m256i;
    #[inline(always)]
    unsafe fn hsum_zero() -> __m256i {
        _mm256_setzero_si256()
    }
    #[inline(always)]
    unsafe fn hsum_add(acc: __m256i, v: Self) -> __m256i {
        _mm256_add_epi32(acc, _mm256_madd_epi16(v, _mm256_set1_epi16(1)))
    }
    #[inline(always)]
    unsafe fn hsum_merge(a: __m256i, b: __m256i) -> __m256i {
        _mm256_add_epi32(a, b)
    }
    #[inline(always)]
    unsafe fn hsum_total(acc: __m256i, _: usize) -> i32 {
        let (l, h) = halves(acc);
        total32x4(_mm_add_epi32(l, h))
    }
    #[inline(always)]
    unsafe fn hsum_total4(acc: [__m256i; 4], _: usize, out: *mut i32) {
        _mm_storeu_si128(out.cast(), total4_32(acc));
    }
    const HEXT16: bool = true;
    #[inline(always)]
    unsafe fn narrow16(vals: &[i32; 16], out: *mut i16) {
        let w = pack16_i16(vals);
        _mm256_storeu_si256(out.cast(), _mm256_permute4x64_epi64::<0xD8>(w));
    }
    #[inline(always)]
    unsafe fn hext16<const MAX: bool>(rows: [Self; 16], out: *mut i32) {
        hext16_256!(rows, out, MAX, _mm256_max_epi16, _mm256_min_epi16, 2, sign);
    }
    type Lsum = (__m256i, __m256i);
    #[inline(always)]
    unsafe fn lsum_zero() -> Self::Lsum {
        (_mm256_setzero_si256(), _mm256_setzero_si256())
    }
    #[inline(always)]
    unsafe fn lsum_add((lo, hi): Self::Lsum, v: Self) -> Self::Lsum {
        let (l, h) = halves(v);
        (
            _mm256_add_epi32(lo, _mm256_cvtepi16_epi32(l)),
            _mm256_add_epi32(hi, _mm256_cvtepi16_epi32(h)),
        )
    }
    #[inline(always)]
    unsafe fn lsum_load_add((lo, hi): Self::Lsum, p: *const i16) -> Self::Lsum {
        let l = _mm_loadu_si128(p.cast());
        let h = _mm_loadu_si128(p.add(8).cast());
        (
            _mm256_add_epi32(lo, _mm256_cvtepi16_epi32(l)),
            _mm256_add_epi32(hi, _mm256_cvtepi16_epi32(h)),
        )
    }
    #[inline(always)]
    unsafe fn lsum_spill((lo, hi): Self::Lsum, p: *mut i32) {
        spill256(p, lo, hi);
    }
}

// ---------------------------------------------------------------------------------------------
// AVX-512 (F + BW)
// ---------------------------------------------------------------------------------------------

/// The two 256-bit halves of a 512-bit register.
#[inline(always)]
unsafe fn halves512(x: __m512i) -> (__m256i, __m256i) {
    (_mm512_castsi512_si256(x), _mm512_extracti64x4_epi64::<1>(x))
}

/// The two 256-bit halves of 64-bit lanes added.
#[inline(always)]
unsafe fn fold512_64(x: __m512i) -> __m256i {
    let (l, h) = halves512(x);
    _mm256_add_epi64(l, h)
}

/// [`fold512_64`] of four registers. (Written out: a closure passed to `map` would not get the
/// entry point's target features, and its intrinsics would become calls.)
#[inline(always)]
unsafe fn fold4_512_64(a: [__m512i; 4]) -> [__m256i; 4] {
    [
        fold512_64(a[0]),
        fold512_64(a[1]),
        fold512_64(a[2]),
        fold512_64(a[3]),
    ]
}

/// The lane sums of four `i32x16` registers (wrapping), as `[Σa, Σb, Σc, Σd]`: two levels of
/// transposed folds within 128-bit blocks, then the four blocks added.
#[inline(always)]
unsafe fn total4_512_32(a: [__m512i; 4]) -> __m128i {
    let u = fold_unpack::<true>(
        fold_unpack::<false>(a[0], a[1]),
        fold_unpack::<false>(a[2], a[3]),
    );
    let (l, h) = halves512(u);
    let v = _mm256_add_epi32(l, h);
    let (l, h) = halves(v);
    _mm_add_epi32(l, h)
}

/// `IntVector::nsum_total4` of the AVX-512 `i8` and `u8` impls: with `DOT` their narrow sums
/// are exact `i32` lanes (no bias), folded by [`total4_512_32`]; without, the default.
///
/// # Safety
/// AVX-512F (and BW for the default); `out..out + 4` writable.
#[inline(always)]
unsafe fn nsum_total4_512_bytes<T: Int, const DOT: bool>(
    acc: [__m512i; 4],
    vectors: usize,
    out: *mut i32,
) where
    __m512i: IntVector<T, Nsum = __m512i>,
{
    // SAFETY: the caller's contract.
    unsafe {
        if DOT {
            _mm_storeu_si128(out.cast(), total4_512_32(acc));
        } else {
            nsum_total4_flushed::<T, __m512i, DOT>(acc, vectors, out);
        }
    }
}

/// The two 256-bit halves of 32-bit lanes added, for four registers.
#[inline(always)]
unsafe fn fold4_512_32(a: [__m512i; 4]) -> [__m256i; 4] {
    let h = [
        halves512(a[0]),
        halves512(a[1]),
        halves512(a[2]),
        halves512(a[3]),
    ];
    [
        _mm256_add_epi32(h[0].0, h[0].1),
        _mm256_add_epi32(h[1].0, h[1].1),
        _mm256_add_epi32(h[2].0, h[2].1),
        _mm256_add_epi32(h[3].0, h[3].1),
    ]
}

/// `p[0..16] += a`, `p[16..32] += b` (i32 lanes).
#[inline(always)]
unsafe fn spill512(p: *mut i32, a: __m512i, b: __m512i) {
    let (p0, p1) = (p.cast::<__m512i>(), p.add(16).cast::<__m512i>());
    _mm512_storeu_si512(p0, _mm512_add_epi32(_mm512_loadu_si512(p0), a));
    _mm512_storeu_si512(p1, _mm512_add_epi32(_mm512_loadu_si512(p1), b));
}

/// Sixteen registers folded together lane-wise by `$f` (a maximum or minimum), transposed:
/// returns the register whose 32-bit lane `j` holds the fold of row `j`'s lanes down to one
/// 32-bit group (four bytes or two words, left for the caller to fold). A macro, not a function
/// taking a closure: closures do not get the target features of the entry point.
///
/// The first two levels fold within 128-bit blocks (`punpck{l,h}qdq`, then `shufps`), only the
/// last two across them: 6 cross-block shuffles instead of 24 when the blocks went first (on
/// the AMD Zen 5 the in-block shuffles run on four pipes, the cross-block ones on two; int8
/// 7x7 `max` 1.02-1.03x).
macro_rules! ext16_512 {
    ($rows:expr, $f:path) => {{
        let r: [__m512i; 16] = $rows;
        // Per block: [row 2i folded to 8 bytes, row 2i + 1 likewise].
        let mut p = [_mm512_setzero_si512(); 8];
        for (v, &[a, b]) in p.iter_mut().zip(r.as_chunks::<2>().0) {
            *v = $f(_mm512_unpacklo_epi64(a, b), _mm512_unpackhi_epi64(a, b));
        }
        // Per block: rows 4k .. 4k + 4, four bytes each.
        let mut q = [_mm512_setzero_si512(); 4];
        for (v, &[a, b]) in q.iter_mut().zip(p.as_chunks::<2>().0) {
            let (a, b) = (_mm512_castsi512_ps(a), _mm512_castsi512_ps(b));
            *v = $f(
                _mm512_castps_si512(_mm512_shuffle_ps::<0x88>(a, b)),
                _mm512_castps_si512(_mm512_shuffle_ps::<0xDD>(a, b)),
            );
        }
        // Blocks [q[2m] 0+2, q[2m] 1+3, q[2m + 1] 0+2, q[2m + 1] 1+3].
        let mut t = [_mm512_setzero_si512(); 2];
        for (v, &[a, b]) in t.iter_mut().zip(q.as_chunks::<2>().0) {
            *v = $f(
                _mm512_shuffle_i32x4::<0x44>(a, b),
                _mm512_shuffle_i32x4::<0xEE>(a, b),
            );
        }
        // Block `k`: rows 4k .. 4k + 4, all blocks folded.
        $f(
            _mm512_shuffle_i32x4::<0x88>(t[0], t[1]),
            _mm512_shuffle_i32x4::<0xDD>(t[0], t[1]),
        )
    }};
}

/// The body of `hext16` on 512-bit registers, as [`hext16_256`].
macro_rules! hext16_512 {
    ($rows:expr, $out:expr, $m:expr, $max:path, $min:path, $bytes:literal, $ext:ident) => {{
        let v = if $m {
            hext16_512!(@fold $rows, $max, $bytes)
        } else {
            hext16_512!(@fold $rows, $min, $bytes)
        };
        _mm512_storeu_si512($out.cast(), hext16_512!(@$ext v, $bytes));
    }};
    (@fold $rows:expr, $f:path, $bytes:literal) => {{
        let mut v = ext16_512!($rows, $f);
        v = $f(v, _mm512_srli_epi32::<16>(v));
        if $bytes == 1 {
            v = $f(v, _mm512_srli_epi32::<8>(v));
        }
        v
    }};
    (@sign $x:expr, $bytes:literal) => {{
        const S: u32 = 32 - 8 * $bytes;
        _mm512_srai_epi32::<S>(_mm512_slli_epi32::<S>($x))
    }};
    (@zero $x:expr, $bytes:literal) => {
        _mm512_and_si512($x, _mm512_set1_epi32(0xFF))
    };
}

macro_rules! common512 {
    ($t:ty, $tomask:ident, $blend:ident) => {
        #[inline(always)]
        unsafe fn load(p: *const $t) -> Self {
            _mm512_loadu_si512(p.cast())
        }
        #[inline(always)]
        unsafe fn store(self, p: *mut $t) {
            _mm512_storeu_si512(p.cast(), self)
        }
        #[inline(always)]
        unsafe fn and(self, m: Self) -> Self {
            _mm512_and_si512(self, m)
        }
        #[inline(always)]
        unsafe fn select(m: Self, a: Self, b: Self) -> Self {
            $blend($tomask(m), b, a)
        }
    };
}

/// AVX-512 `i8` / `u8` lane sums: 64 bytes extended to two registers of 32 `i16`.
macro_rules! lsum512_bytes {
    ($t:ty, $ext16:ident, $ext32:ident, $pairs:ident, $even:ident, $odd:ident) => {
        type Lsum = (__m512i, __m512i);
        #[inline(always)]
        unsafe fn lsum_zero() -> Self::Lsum {
            (_mm512_setzero_si512(), _mm512_setzero_si512())
        }
        #[inline(always)]
        unsafe fn lsum_add((lo, hi): Self::Lsum, v: Self) -> Self::Lsum {
            let (l, h) = halves512(v);
            (
                _mm512_add_epi16(lo, $ext16(l)),
                _mm512_add_epi16(hi, $ext16(h)),
            )
        }
        #[inline(always)]
        unsafe fn lsum_load_add((lo, hi): Self::Lsum, p: *const $t) -> Self::Lsum {
            let l = _mm256_loadu_si256(p.cast());
            let h = _mm256_loadu_si256(p.add(32).cast());
            (
                _mm512_add_epi16(lo, $ext16(l)),
                _mm512_add_epi16(hi, $ext16(h)),
            )
        }
        #[inline(always)]
        unsafe fn lsum_spill((lo, hi): Self::Lsum, p: *mut i32) {
            for (k, x) in [lo, hi].into_iter().enumerate() {
                let (l, h) = halves512(x);
                spill512(p.add(32 * k), $ext32(l), $ext32(h));
            }
        }
        // Aligned rows go two at a time, as on AVX2 (`lsum256_bytes`): bytes of the two rows
        // interleaved within 128-bit lanes, each channel's pair added by `pmaddubsw`, three
        // operations per 64 bytes instead of four (one on the shuffle port instead of two).
        // On loads that straddle cache lines it was slower than the plain layout (whose
        // 32-byte loads straddle half as often), hence only for aligned ones. `lo` holds
        // channels 0-7, 16-23, 32-39, 48-55, `hi` the others; a single row pairs with zeros.
        const LSUM_PAIRS_ALIGNED: bool = true;
        #[inline(always)]
        unsafe fn lsum_pair_load_add2(
            (lo, hi): Self::Lsum,
            p: *const $t,
            q: *const $t,
        ) -> Self::Lsum {
            let (a, b) = (Self::load(p), Self::load(q));
            (
                _mm512_add_epi16(lo, $pairs(_mm512_unpacklo_epi8(a, b))),
                _mm512_add_epi16(hi, $pairs(_mm512_unpackhi_epi8(a, b))),
            )
        }
        #[inline(always)]
        unsafe fn lsum_pair_load_add((lo, hi): Self::Lsum, p: *const $t) -> Self::Lsum {
            let (a, z) = (Self::load(p), _mm512_setzero_si512());
            (
                _mm512_add_epi16(lo, $pairs(_mm512_unpacklo_epi8(a, z))),
                _mm512_add_epi16(hi, $pairs(_mm512_unpackhi_epi8(a, z))),
            )
        }
        #[inline(always)]
        unsafe fn lsum_pair_spill((lo, hi): Self::Lsum, p: *mut i32) {
            // Channel order: the 128-bit blocks of `lo` and `hi` alternately.
            let ordered = [
                _mm512_permutex2var_epi64(lo, _mm512_setr_epi64(0, 1, 8, 9, 2, 3, 10, 11), hi),
                _mm512_permutex2var_epi64(lo, _mm512_setr_epi64(4, 5, 12, 13, 6, 7, 14, 15), hi),
            ];
            for (k, x) in ordered.into_iter().enumerate() {
                let (l, h) = halves512(x);
                spill512(p.add(32 * k), $ext32(l), $ext32(h));
            }
        }
        // The word layout (see `IntVector::wsum_load_add`): the even channels of each 16-bit
        // word by `pmaddubsw` against (1, 0), the odd ones by a shift, each into its own `i16`
        // sums, exact for up to 256 rows (as `u16` for `u8`). Two adds per 64 bytes, no
        // shuffle and no bias (1.07-1.3x faster than summing the words and the odd bytes with
        // a bias for `i8`, in a throwaway loop).
        const WSUM_TILE: usize = 12;
        #[inline(always)]
        unsafe fn wsum_load_add((e, o): Self::Lsum, p: *const $t) -> Self::Lsum {
            let v = Self::load(p);
            (_mm512_add_epi16(e, $even(v)), _mm512_add_epi16(o, $odd(v)))
        }
        // Two rows at a time in the pair layout (`lsum_pair_load_add2`): three operations per
        // 64 bytes, two of them unpacks, where the word layout takes four, a `pmaddubsw` and a
        // shift among them. On an Intel Xeon with AMX (A/B, `Kernels::word_pairs`): int8 / uint8
        // NHWC 7x7 heads 1.12-1.2x, tiles of 8 and 12 vectors 1.18-1.27x (see `word_sums`).
        #[inline(always)]
        unsafe fn wsum_pair_add(acc: Self::Lsum, p: *const $t, q: *const $t) -> Self::Lsum {
            Self::lsum_pair_load_add2(acc, p, q)
        }
        #[inline(always)]
        unsafe fn wsum_from_pairs((lo, hi): Self::Lsum) -> Self::Lsum {
            // Pair layout: word `k` of block `b` of `lo` is channel `16 b + k`, of `hi`
            // `16 b + 8 + k`; the word layout's even sums take words 0, 2, 4, 6 of each block
            // of `lo` then of `hi`, its odd sums words 1, 3, 5, 7.
            let even = _mm512_set_epi16(
                62, 60, 58, 56, 30, 28, 26, 24, 54, 52, 50, 48, 22, 20, 18, 16, 46, 44, 42, 40, 14,
                12, 10, 8, 38, 36, 34, 32, 6, 4, 2, 0,
            );
            let odd = _mm512_add_epi16(even, _mm512_set1_epi16(1));
            (
                _mm512_permutex2var_epi16(lo, even, hi),
                _mm512_permutex2var_epi16(lo, odd, hi),
            )
        }
        #[inline(always)]
        unsafe fn wsum_store((e, o): Self::Lsum, p: *mut i32) {
            // Channels 0-7, 16-23, 32-39, 48-55 and the others, as in the pair layout.
            let (lo, hi) = (_mm512_unpacklo_epi16(e, o), _mm512_unpackhi_epi16(e, o));
            let ordered = [
                _mm512_permutex2var_epi64(lo, _mm512_setr_epi64(0, 1, 8, 9, 2, 3, 10, 11), hi),
                _mm512_permutex2var_epi64(lo, _mm512_setr_epi64(4, 5, 12, 13, 6, 7, 14, 15), hi),
            ];
            for (k, x) in ordered.into_iter().enumerate() {
                let (l, h) = halves512(x);
                _mm512_storeu_si512(p.add(32 * k).cast(), $ext32(l));
                _mm512_storeu_si512(p.add(32 * k + 16).cast(), $ext32(h));
            }
        }
    };
}

/// Adds the signed byte pairs of `x` into `i16` lanes (`pmaddubsw`: ones unsigned, `x` signed).
#[inline(always)]
unsafe fn pairs512_i8(x: __m512i) -> __m512i {
    _mm512_maddubs_epi16(_mm512_set1_epi8(1), x)
}

/// Adds the unsigned byte pairs of `x` into `i16` lanes (`pmaddubsw`: `x` unsigned, ones
/// signed; at most 510, no saturation; the sums of 256 rows wrap as `u16` and widen as such).
#[inline(always)]
unsafe fn pairs512_u8(x: __m512i) -> __m512i {
    _mm512_maddubs_epi16(x, _mm512_set1_epi8(1))
}

/// The even bytes of `x` as `i16` (`pmaddubsw`: (1, 0) unsigned, `x` signed).
#[inline(always)]
unsafe fn evens512_i8(x: __m512i) -> __m512i {
    _mm512_maddubs_epi16(_mm512_set1_epi16(1), x)
}

/// The odd bytes of `x` as `i16` (the high byte of each word, sign-extended).
#[inline(always)]
unsafe fn odds512_i8(x: __m512i) -> __m512i {
    _mm512_srai_epi16::<8>(x)
}

/// The even bytes of `x` as `u16` (`pmaddubsw`: `x` unsigned, (1, 0) signed).
#[inline(always)]
unsafe fn evens512_u8(x: __m512i) -> __m512i {
    _mm512_maddubs_epi16(x, _mm512_set1_epi16(1))
}

/// The odd bytes of `x` as `u16`.
#[inline(always)]
unsafe fn odds512_u8(x: __m512i) -> __m512i {
    _mm512_srli_epi16::<8>(x)
}

// SAFETY: see the module documentation.
unsafe impl IntVector<i8> for __m512i {
    // The long rows' narrow sum: `pmaddubsw` against ones adds byte pairs into `i16` lanes
    // (one operation per vector where the biased `psadbw` takes two); 127 vectors keep every
    // lane within `±127 * 256`. With VNNI (`DOT`), `vpdpbusd` against ones adds byte quads
    // into `i32` lanes in one operation instead of two (long rows 1.2-1.25x).
    type Nsum = __m512i;
    const NSUM_VECTORS: usize = 127;
    const NSUM_CHAINS: usize = 4;
    #[inline(always)]
    unsafe fn nsum_zero<const DOT: bool>() -> __m512i {
        _mm512_setzero_si512()
    }
    #[inline(always)]
    unsafe fn nsum_add<const DOT: bool>(acc: __m512i, v: Self) -> __m512i {
        if DOT {
            _mm512_dpbusd_epi32(acc, _mm512_set1_epi8(1), v)
        } else {
            _mm512_add_epi16(acc, pairs512_i8(v))
        }
    }
    #[inline(always)]
    unsafe fn nsum_add_masked<const DOT: bool>(acc: __m512i, v: Self, mask: Self) -> __m512i {
        if DOT {
            // The mask in the weights: ones in its lanes, zeros elsewhere.
            _mm512_dpbusd_epi32(acc, _mm512_and_si512(mask, _mm512_set1_epi8(1)), v)
        } else {
            <Self as IntVector<i8>>::nsum_add::<DOT>(acc, _mm512_and_si512(v, mask))
        }
    }
    #[inline(always)]
    unsafe fn nsum_merge<const DOT: bool>(a: __m512i, b: __m512i) -> __m512i {
        if DOT {
            _mm512_add_epi32(a, b)
        } else {
            _mm512_add_epi16(a, b)
        }
    }
    #[inline(always)]
    unsafe fn nsum_flush<const DOT: bool>(n: __m512i, vectors: usize, h: __m512i) -> __m512i {
        // Pairs of `i16` into `i32` (without `DOT`), pairs of `i32` into `i64` lanes, plus the
        // bias that `hsum_add` would have added (128 per byte: 1024 per 64-bit lane per vector).
        let d = if DOT {
            n
        } else {
            _mm512_madd_epi16(n, _mm512_set1_epi16(1))
        };
        let q = _mm512_add_epi64(
            _mm512_srai_epi64::<32>(_mm512_slli_epi64::<32>(d)),
            _mm512_srai_epi64::<32>(d),
        );
        let bias = _mm512_set1_epi64(1024 * vectors as i64);
        _mm512_add_epi64(h, _mm512_add_epi64(q, bias))
    }
    const LANES: usize = 64;
    const LSUM_ROWS: usize = 256;
    common512!(i8, _mm512_movepi8_mask, _mm512_mask_blend_epi8);
    #[inline(always)]
    unsafe fn splat(x: i8) -> Self {
        _mm512_set1_epi8(x)
    }
    #[inline(always)]
    unsafe fn max(self, b: Self) -> Self {
        _mm512_max_epi8(self, b)
    }
    #[inline(always)]
    unsafe fn min(self, b: Self) -> Self {
        _mm512_min_epi8(self, b)
    }
    #[inline(always)]
    unsafe fn hmax(self) -> i32 {
        let (l, h) = halves512(self);
        <__m256i as IntVector<i8>>::hmax(_mm256_max_epi8(l, h))
    }
    #[inline(always)]
    unsafe fn hmin(self) -> i32 {
        let (l, h) = halves512(self);
        <__m256i as IntVector<i8>>::hmin(_mm256_min_epi8(l, h))
    }
    type Hsum = __m512i;
    #[inline(always)]
    unsafe fn hsum_zero() -> __m512i {
        _mm512_setzero_si512()
    }
    #[inline(always)]
    unsafe fn hsum_add(acc: __m512i, v: Self) -> __m512i {
        let biased = _mm512_xor_si512(v, _mm512_set1_epi8(i8::MIN));
        _mm512_add_epi64(acc, _mm512_sad_epu8(biased, _mm512_setzero_si512()))
    }
    #[inline(always)]
    unsafe fn hsum_merge(a: __m512i, b: __m512i) -> __m512i {
        _mm512_add_epi64(a, b)
    }
    #[inline(always)]
    unsafe fn hsum_total(acc: __m512i, vectors: usize) -> i32 {
        (_mm512_reduce_add_epi64(acc) - 128 * 64 * vectors as i64) as i32
    }
    #[inline(always)]
    unsafe fn hsum_total4(acc: [__m512i; 4], vectors: usize, out: *mut i32) {
        store4_64(total4_64(fold4_512_64(acc)), 128 * 64 * vectors as i64, out);
    }
    const NSUM_SHORT: bool = true;
    #[inline(always)]
    unsafe fn nsum_total4<const DOT: bool>(acc: [__m512i; 4], vectors: usize, out: *mut i32) {
        nsum_total4_512_bytes::<i8, DOT>(acc, vectors, out);
    }
    const HSUM16: bool = true;
    #[inline(always)]
    unsafe fn hsum_total16(acc: [__m512i; 16], vectors: usize, out: *mut i32) {
        // One vector per row (the trait's contract): the biased totals are below 64 * 255.
        store16_16(acc, (128 * 64 * vectors) as i32, out);
    }
    // With VNNI, rows of up to three whole vectors go sixteen at a time too: see
    // `short16_dot` (its 16-bit fields hold the sums of rows of up to 255 values).
    const DOT16_FULL: usize = 3;
    #[inline(always)]
    unsafe fn short16<const DOT: bool, const FULL: usize, S: Sink>(
        p: *const i8,
        n: usize,
        groups: usize,
        sink: &mut S,
    ) {
        // SAFETY: forwarded contract (the CPU has this impl's instruction set, and VNNI with
        // `DOT`).
        unsafe {
            if DOT {
                short16_dot::<FULL, false, S>(p, n, groups, sink)
            } else {
                short16_512::<i8, S>(p, n, groups, sink)
            }
        }
    }
    const HEXT16: bool = true;
    #[inline(always)]
    unsafe fn narrow16(vals: &[i32; 16], out: *mut i8) {
        let v = _mm512_loadu_si512(vals.as_ptr().cast());
        _mm_storeu_si128(out.cast(), _mm512_cvtepi32_epi8(v));
    }
    #[inline(always)]
    unsafe fn hext16<const MAX: bool>(rows: [Self; 16], out: *mut i32) {
        hext16_512!(rows, out, MAX, _mm512_max_epi8, _mm512_min_epi8, 1, sign);
    }
    #[inline(always)]
    unsafe fn ext16<const MAX: bool, S: Sink>(p: *const i8, n: usize, groups: usize, sink: &mut S) {
        // SAFETY: forwarded contract (the CPU has this impl's instruction set).
        unsafe { ext16_bytes::<i8, false, MAX, S>(p, n, groups, sink) }
    }
    // The averages straight from the word layout: each half divided in its words
    // (`WordDiv`), the odd channels' quotients shifted into the high bytes and blended with
    // the even ones', so the 64 bytes are in channel order with no shuffle.
    const WSUM_AVG: bool = true;
    #[inline(always)]
    unsafe fn wsum_avg_store((e, o): Self::Lsum, d: WordAvg, p: *mut i8) {
        // SAFETY: the caller's contract (`p..p + 64` writable; the CPU has AVX-512BW).
        unsafe {
            let div = WordDiv::new(d);
            let (e, o) = (div.words(e), _mm512_slli_epi16::<8>(div.words(o)));
            let v = _mm512_mask_blend_epi8(0xAAAA_AAAA_AAAA_AAAA, e, o);
            _mm512_storeu_si512(p.cast(), v);
        }
    }
    lsum512_bytes!(
        i8,
        _mm512_cvtepi8_epi16,
        _mm512_cvtepi16_epi32,
        pairs512_i8,
        evens512_i8,
        odds512_i8
    );
}

// SAFETY: see the module documentation.
unsafe impl IntVector<u8> for __m512i {
    // The long rows' narrow sum: the `psadbw` `Hsum` itself, or with VNNI (`DOT`) `vpdpbusd`
    // against ones into `i32` lanes, one operation per vector instead of two (long rows
    // 1.3x); 127 vectors keep every lane below `4 * 255 * 127`.
    type Nsum = __m512i;
    const NSUM_VECTORS: usize = 127;
    const NSUM_CHAINS: usize = 4;
    #[inline(always)]
    unsafe fn nsum_zero<const DOT: bool>() -> __m512i {
        _mm512_setzero_si512()
    }
    #[inline(always)]
    unsafe fn nsum_add<const DOT: bool>(acc: __m512i, v: Self) -> __m512i {
        if DOT {
            _mm512_dpbusd_epi32(acc, v, _mm512_set1_epi8(1))
        } else {
            <Self as IntVector<u8>>::hsum_add(acc, v)
        }
    }
    #[inline(always)]
    unsafe fn nsum_add_masked<const DOT: bool>(acc: __m512i, v: Self, mask: Self) -> __m512i {
        if DOT {
            // The mask in the weights: ones in its lanes, zeros elsewhere.
            _mm512_dpbusd_epi32(acc, v, _mm512_and_si512(mask, _mm512_set1_epi8(1)))
        } else {
            <Self as IntVector<u8>>::nsum_add::<DOT>(acc, _mm512_and_si512(v, mask))
        }
    }
    #[inline(always)]
    unsafe fn nsum_merge<const DOT: bool>(a: __m512i, b: __m512i) -> __m512i {
        if DOT {
            _mm512_add_epi32(a, b)
        } else {
            _mm512_add_epi64(a, b)
        }
    }
    #[inline(always)]
    unsafe fn nsum_flush<const DOT: bool>(n: __m512i, _: usize, h: __m512i) -> __m512i {
        // With `DOT`, pairs of (non-negative) `i32` lanes into `i64` ones.
        let q = if DOT {
            _mm512_add_epi64(
                _mm512_srli_epi64::<32>(_mm512_slli_epi64::<32>(n)),
                _mm512_srli_epi64::<32>(n),
            )
        } else {
            n
        };
        _mm512_add_epi64(h, q)
    }
    const LANES: usize = 64;
    const LSUM_ROWS: usize = 256;
    common512!(u8, _mm512_movepi8_mask, _mm512_mask_blend_epi8);
    #[inline(always)]
    unsafe fn splat(x: u8) -> Self {
        _mm512_set1_epi8(x as i8)
    }
    #[inline(always)]
    unsafe fn max(self, b: Self) -> Self {
        _mm512_max_epu8(self, b)
    }
    #[inline(always)]
    unsafe fn min(self, b: Self) -> Self {
        _mm512_min_epu8(self, b)
    }
    #[inline(always)]
    unsafe fn hmax(self) -> i32 {
        let (l, h) = halves512(self);
        <__m256i as IntVector<u8>>::hmax(_mm256_max_epu8(l, h))
    }
    #[inline(always)]
    unsafe fn hmin(self) -> i32 {
        let (l, h) = halves512(self);
        <__m256i as IntVector<u8>>::hmin(_mm256_min_epu8(l, h))
    }
    type Hsum = __m512i;
    #[inline(always)]
    unsafe fn hsum_zero() -> __m512i {
        _mm512_setzero_si512()
    }
    #[inline(always)]
    unsafe fn hsum_add(acc: __m512i, v: Self) -> __m512i {
        _mm512_add_epi64(acc, _mm512_sad_epu8(v, _mm512_setzero_si512()))
    }
    #[inline(always)]
    unsafe fn hsum_merge(a: __m512i, b: __m512i) -> __m512i {
        _mm512_add_epi64(a, b)
    }
    #[inline(always)]
    unsafe fn hsum_total(acc: __m512i, _: usize) -> i32 {
        _mm512_reduce_add_epi64(acc) as i32
    }
    #[inline(always)]
    unsafe fn hsum_total4(acc: [__m512i; 4], _: usize, out: *mut i32) {
        store4_64(total4_64(fold4_512_64(acc)), 0, out);
    }
    const NSUM_SHORT: bool = true;
    #[inline(always)]
    unsafe fn nsum_total4<const DOT: bool>(acc: [__m512i; 4], vectors: usize, out: *mut i32) {
        nsum_total4_512_bytes::<u8, DOT>(acc, vectors, out);
    }
    // With VNNI, rows of up to three whole vectors go sixteen at a time too, as for `i8`
    // (`short16_dot` with `U`; on an AMD Zen 4, uint8 `avg` against the `psadbw` loops:
    // 7x7 1.2x, 5x5 1.26-1.3x, 10x10 1.32x, 14x14 1.1x; `sum` 0.99-1.15x).
    const DOT16_FULL: usize = 3;
    const HSUM16: bool = true;
    #[inline(always)]
    unsafe fn hsum_total16(acc: [__m512i; 16], _: usize, out: *mut i32) {
        // One vector per row: the totals are below 64 * 255.
        store16_16(acc, 0, out);
    }
    #[inline(always)]
    unsafe fn short16<const DOT: bool, const FULL: usize, S: Sink>(
        p: *const u8,
        n: usize,
        groups: usize,
        sink: &mut S,
    ) {
        // SAFETY: forwarded contract (the CPU has this impl's instruction set, and VNNI with
        // `DOT`); `u8` and `i8` have the same size and alignment.
        unsafe {
            if DOT {
                short16_dot::<FULL, true, S>(p.cast(), n, groups, sink)
            } else {
                short16_512::<u8, S>(p, n, groups, sink)
            }
        }
    }
    const HEXT16: bool = true;
    #[inline(always)]
    unsafe fn narrow16(vals: &[i32; 16], out: *mut u8) {
        let v = _mm512_loadu_si512(vals.as_ptr().cast());
        _mm_storeu_si128(out.cast(), _mm512_cvtepi32_epi8(v));
    }
    #[inline(always)]
    unsafe fn hext16<const MAX: bool>(rows: [Self; 16], out: *mut i32) {
        hext16_512!(rows, out, MAX, _mm512_max_epu8, _mm512_min_epu8, 1, zero);
    }
    #[inline(always)]
    unsafe fn ext16<const MAX: bool, S: Sink>(p: *const u8, n: usize, groups: usize, sink: &mut S) {
        // SAFETY: forwarded contract (the CPU has this impl's instruction set).
        unsafe { ext16_bytes::<u8, true, MAX, S>(p, n, groups, sink) }
    }
    // As for `i8`, with the division of `u16` sums (`WordDiv::unsigned_words`).
    const WSUM_AVG: bool = true;
    #[inline(always)]
    unsafe fn wsum_avg_store((e, o): Self::Lsum, d: WordAvg, p: *mut u8) {
        // SAFETY: the caller's contract (`p..p + 64` writable; the CPU has AVX-512BW).
        unsafe {
            let div = WordDiv::new(d);
            let e = div.unsigned_words(e);
            let o = _mm512_slli_epi16::<8>(div.unsigned_words(o));
            let v = _mm512_mask_blend_epi8(0xAAAA_AAAA_AAAA_AAAA, e, o);
            _mm512_storeu_si512(p.cast(), v);
        }
    }
    lsum512_bytes!(
        u8,
        _mm512_cvtepu8_epi16,
        _mm512_cvtepu16_epi32,
        pairs512_u8,
        evens512_u8,
        odds512_u8
    );
}

// SAFETY: see the module documentation.
unsafe impl IntVector<i16> for __m512i {
    // The long rows' narrow sum: the `pmaddwd` `Hsum` itself, or with VNNI (`DOT`) `vpdpwssd`
    // against ones, one operation per vector instead of two; four chains either way (long
    // rows 1.1-1.3x over two, where the five-cycle `pmaddwd` was the limit).
    type Nsum = __m512i;
    const NSUM_VECTORS: usize = usize::MAX;
    const NSUM_CHAINS: usize = 4;
    #[inline(always)]
    unsafe fn nsum_zero<const DOT: bool>() -> __m512i {
        _mm512_setzero_si512()
    }
    #[inline(always)]
    unsafe fn nsum_add<const DOT: bool>(acc: __m512i, v: Self) -> __m512i {
        if DOT {
            _mm512_dpwssd_epi32(acc, v, _mm512_set1_epi16(1))
        } else {
            <Self as IntVector<i16>>::hsum_add(acc, v)
        }
    }
    #[inline(always)]
    unsafe fn nsum_merge<const DOT: bool>(a: __m512i, b: __m512i) -> __m512i {
        _mm512_add_epi32(a, b)
    }
    #[inline(always)]
    unsafe fn nsum_flush<const DOT: bool>(n: __m512i, _: usize, h: __m512i) -> __m512i {
        _mm512_add_epi32(h, n)
    }
    const LANES: usize = 32;
    const LSUM_ROWS: usize = usize::MAX;
    common512!(i16, _mm512_movepi16_mask, _mm512_mask_blend_epi16);
    #[inline(always)]
    unsafe fn splat(x: i16) -> Self {
        _mm512_set1_epi16(x)
    }
    #[inline(always)]
    unsafe fn max(self, b: Self) -> Self {
        _mm512_max_epi16(self, b)
    }
    #[inline(always)]
    unsafe fn min(self, b: Self) -> Self {
        _mm512_min_epi16(self, b)
    }
    #[inline(always)]
    unsafe fn hmax(self) -> i32 {
        let (l, h) = halves512(self);
        <__m256i as IntVector<i16>>::hmax(_mm256_max_epi16(l, h))
    }
    #[inline(always)]
    unsafe fn hmin(self) -> i32 {
        let (l, h) = halves512(self);
        <__m256i as IntVector<i16>>::hmin(_mm256_min_epi16(l, h))
    }
    type Hsum = __m512i;
    #[inline(always)]
    unsafe fn hsum_zero() -> __m512i {
        _mm512_setzero_si512()
    }
    #[inline(always)]
    unsafe fn hsum_add(acc: __m512i, v: Self) -> __m512i {
        _mm512_add_epi32(acc, _mm512_madd_epi16(v, _mm512_set1_epi16(1)))
    }
    #[inline(always)]
    unsafe fn hsum_merge(a: __m512i, b: __m512i) -> __m512i {
        _mm512_add_epi32(a, b)
    }
    #[inline(always)]
    unsafe fn hsum_total(acc: __m512i, _: usize) -> i32 {
        _mm512_reduce_add_epi32(acc)
    }
    #[inline(always)]
    unsafe fn hsum_total4(acc: [__m512i; 4], _: usize, out: *mut i32) {
        let folded = fold4_512_32(acc);
        _mm_storeu_si128(out.cast(), total4_32(folded));
    }
    const HEXT16: bool = true;
    #[inline(always)]
    unsafe fn narrow16(vals: &[i32; 16], out: *mut i16) {
        let v = _mm512_loadu_si512(vals.as_ptr().cast());
        _mm256_storeu_si256(out.cast(), _mm512_cvtepi32_epi16(v));
    }
    #[inline(always)]
    unsafe fn hext16<const MAX: bool>(rows: [Self; 16], out: *mut i32) {
        hext16_512!(rows, out, MAX, _mm512_max_epi16, _mm512_min_epi16, 2, sign);
    }
    #[inline(always)]
    unsafe fn ext16<const MAX: bool, S: Sink>(
        p: *const i16,
        n: usize,
        groups: usize,
        sink: &mut S,
    ) {
        // SAFETY: forwarded contract (the CPU has this impl's instruction set).
        unsafe { ext16_512::<i16, MAX, S>(p, n, groups, sink) }
    }
    type Lsum = (__m512i, __m512i);
    #[inline(always)]
    unsafe fn lsum_zero() -> Self::Lsum {
        (_mm512_setzero_si512(), _mm512_setzero_si512())
    }
    #[inline(always)]
    unsafe fn lsum_add((lo, hi): Self::Lsum, v: Self) -> Self::Lsum {
        let (l, h) = halves512(v);
        (
            _mm512_add_epi32(lo, _mm512_cvtepi16_epi32(l)),
            _mm512_add_epi32(hi, _mm512_cvtepi16_epi32(h)),
        )
    }
    #[inline(always)]
    unsafe fn lsum_load_add((lo, hi): Self::Lsum, p: *const i16) -> Self::Lsum {
        let l = _mm256_loadu_si256(p.cast());
        let h = _mm256_loadu_si256(p.add(16).cast());
        (
            _mm512_add_epi32(lo, _mm512_cvtepi16_epi32(l)),
            _mm512_add_epi32(hi, _mm512_cvtepi16_epi32(h)),
        )
    }
    #[inline(always)]
    unsafe fn lsum_spill((lo, hi): Self::Lsum, p: *mut i32) {
        spill512(p, lo, hi);
    }
}
