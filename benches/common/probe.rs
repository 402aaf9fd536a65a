//! The read-only probe of the benchmarks: an OR over every byte of the input at the widest
//! vectors this CPU has, four independent accumulators, written with explicit intrinsics so that
//! it stays the fastest plain read of those bytes whatever the compiler's auto-vectorizer does
//! (rustc 1.95 turned the old portable `[u32; 16]` loop into scalar code), from the first 64-byte
//! boundary on (the bytes before it apart), so that no load straddles two cache lines whatever the
//! input's alignment. It is the ceiling for any reduction over the same bytes.
//!
//! The row probe ([`probe_rows`]) reads the same bytes the way a kernel that works row by row
//! must (NCHW: each channel's row on its own): every row with whole-vector loads from its start
//! and its last bytes through one vector that ends with it. Rows that do not start on a vector
//! boundary make most of these loads straddle two cache lines; on small cache-resident maps that
//! is a lower ceiling than the probe's (here about half of it for 7x7 maps).

/// OR of all bytes, widened to `u64`, portable fallback.
fn or_portable(x: &[u8]) -> u64 {
    let mut acc = [0u64; 4];
    let chunks = x.chunks_exact(32);
    let tail = chunks
        .remainder()
        .iter()
        .fold(0u64, |a, &v| a | u64::from(v));
    for c in chunks {
        for (a, w) in acc.iter_mut().zip(c.chunks_exact(8)) {
            *a |= u64::from_le_bytes(w.try_into().unwrap());
        }
    }
    acc.iter().fold(tail, |a, b| a | b)
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use core::arch::x86_64::*;

    /// # Safety
    /// The CPU must have AVX-512F.
    #[target_feature(enable = "avx512f")]
    pub unsafe fn or_avx512(x: &[u8]) -> u64 {
        let (head, x) = x.split_at(x.as_ptr().align_offset(64).min(x.len()));
        let chunks = x.chunks_exact(256);
        let tail = super::or_portable(head) | super::or_portable(chunks.remainder());
        let mut a = [_mm512_setzero_si512(); 4];
        for c in chunks {
            let p = c.as_ptr();
            for (k, acc) in a.iter_mut().enumerate() {
                // SAFETY: `c` holds 256 bytes: `p + 64 k .. + 64` is inside it.
                *acc = _mm512_or_si512(*acc, unsafe { _mm512_loadu_si512(p.add(64 * k).cast()) });
            }
        }
        let v = _mm512_or_si512(_mm512_or_si512(a[0], a[1]), _mm512_or_si512(a[2], a[3]));
        tail | _mm512_reduce_or_epi64(v) as u64
    }

    /// The OR of one row's loads (see `row_loads`): `W` whole vectors from `p` (the row start)
    /// and, if `tail`, the vector ending at `p + row`; with `W == 0` the vector at `p`.
    ///
    /// # Safety
    /// AVX-512F; the loads are inside the input.
    #[inline(always)]
    unsafe fn row512<const W: usize>(p: *const u8, row: usize, tail: bool) -> __m512i {
        // SAFETY: the caller's range.
        unsafe {
            let mut v = _mm512_loadu_si512(p.cast());
            for j in 1..W {
                v = _mm512_or_si512(v, _mm512_loadu_si512(p.add(64 * j).cast()));
            }
            if W > 0 && tail {
                v = _mm512_or_si512(v, _mm512_loadu_si512(p.add(row - 64).cast()));
            }
            v
        }
    }

    /// Rows of `W` whole vectors (see `row512`), four at a time into four accumulators, then
    /// the rest of the input through `row_loads`.
    ///
    /// # Safety
    /// AVX-512F; `x.len() >= 64`, `row / 64 == W`.
    #[inline(always)]
    unsafe fn rows512<const W: usize>(x: &[u8], row: usize) -> u64 {
        let (p, len) = (x.as_ptr(), x.len());
        let tail = !row.is_multiple_of(64);
        let mut start = 0;
        // SAFETY: every load is inside `x`: four whole rows (with `W == 0`, a vector from each
        // start, which the loop condition keeps inside), the rest through `row_loads`.
        unsafe {
            let mut a = [_mm512_setzero_si512(); 4];
            while start + 3 * row + row.max(64) <= len {
                for (k, acc) in a.iter_mut().enumerate() {
                    let q = p.add(start + k * row);
                    *acc = _mm512_or_si512(*acc, row512::<W>(q, row, tail));
                }
                start += 4 * row;
            }
            while start < len {
                for o in super::row_loads(start, row, len, 64) {
                    a[0] = _mm512_or_si512(a[0], _mm512_loadu_si512(p.add(o).cast()));
                }
                start += row;
            }
            let v = _mm512_or_si512(_mm512_or_si512(a[0], a[1]), _mm512_or_si512(a[2], a[3]));
            _mm512_reduce_or_epi64(v) as u64
        }
    }

    /// # Safety
    /// The CPU must have AVX-512F.
    #[target_feature(enable = "avx512f")]
    pub unsafe fn or_rows_avx512(x: &[u8], row: usize) -> u64 {
        if x.len() < 64 || row == 0 {
            return super::or_portable(x);
        }
        macro_rules! arms {
            ($($w:literal)*) => {
                match row / 64 {
                    // SAFETY: AVX-512F (this function's feature), `x.len() >= 64`, `W` matches
                    // the row.
                    $($w => unsafe { rows512::<$w>(x, row) },)*
                    _ => super::or_portable(x),
                }
            };
        }
        arms!(0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16)
    }

    /// # Safety
    /// The CPU must have AVX2.
    #[target_feature(enable = "avx2")]
    pub unsafe fn or_avx2(x: &[u8]) -> u64 {
        let (head, x) = x.split_at(x.as_ptr().align_offset(64).min(x.len()));
        let chunks = x.chunks_exact(128);
        let tail = super::or_portable(head) | super::or_portable(chunks.remainder());
        let mut a = [_mm256_setzero_si256(); 4];
        for c in chunks {
            let p = c.as_ptr();
            for (k, acc) in a.iter_mut().enumerate() {
                // SAFETY: `c` holds 128 bytes: `p + 32 k .. + 32` is inside it.
                *acc = _mm256_or_si256(*acc, unsafe { _mm256_loadu_si256(p.add(32 * k).cast()) });
            }
        }
        let v = _mm256_or_si256(_mm256_or_si256(a[0], a[1]), _mm256_or_si256(a[2], a[3]));
        let w: [u64; 4] = bytemuck::must_cast(v);
        tail | w[0] | w[1] | w[2] | w[3]
    }
}

/// The read-only probe over `x`'s bytes.
pub fn probe(x: &[u8]) -> u64 {
    #[cfg(target_arch = "x86_64")]
    {
        if std::is_x86_feature_detected!("avx512f") {
            // SAFETY: the CPU has AVX-512F (checked just above).
            return unsafe { x86::or_avx512(x) };
        }
        if std::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU has AVX2 (checked just above).
            return unsafe { x86::or_avx2(x) };
        }
    }
    or_portable(x)
}

/// The offsets of the `w`-byte loads of the row of `row` bytes at `start` in an input of `len >=
/// w` bytes: whole vectors from the start, then one vector that ends with the row; a row shorter
/// than a vector takes one load from its start, or ending at the end of the input.
#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
fn row_loads(start: usize, row: usize, len: usize, w: usize) -> impl Iterator<Item = usize> {
    let end = start + row;
    let whole = if row >= w { row / w } else { 0 };
    let last = if row < w {
        Some(start.min(len - w))
    } else if !row.is_multiple_of(w) {
        Some(end - w)
    } else {
        None
    };
    (0..whole).map(move |j| start + j * w).chain(last)
}

/// Whether the row probe runs on this CPU for rows of `row` bytes: AVX-512F, and rows of at
/// most 1 KiB, the short rows of the benchmarks (7x7, 14x14, token pooling), which the kernels
/// read with unaligned loads as the row probe does. (Long rows are left out: the kernels align
/// their loads there, f32 rows of 1024 values or more and integer rows of four vectors or more,
/// so the row probe would not be their ceiling.)
pub fn has_row_probe(row: usize) -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        row <= 1024 && std::is_x86_feature_detected!("avx512f")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let _ = row;
        false
    }
}

/// The row probe over `x`'s bytes in rows of `row` bytes (see the module documentation), where
/// [`has_row_probe`]; elsewhere the plain probe.
pub fn probe_rows(x: &[u8], row: usize) -> u64 {
    #[cfg(target_arch = "x86_64")]
    {
        if has_row_probe(row) {
            // SAFETY: the CPU has AVX-512F (checked just above).
            return unsafe { x86::or_rows_avx512(x, row) };
        }
    }
    let _ = row;
    probe(x)
}
