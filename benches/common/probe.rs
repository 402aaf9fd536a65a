//! The read-only probe of the benchmarks: an OR over every byte of the input at the widest
//! vectors this CPU has, four independent accumulators, written with explicit intrinsics so that
//! it stays the fastest plain read of those bytes whatever the compiler's auto-vectorizer does
//! (rustc 1.95 turned the old portable `[u32; 16]` loop into scalar code). It is the ceiling for
//! any reduction over the same bytes.

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
        let chunks = x.chunks_exact(256);
        let tail = super::or_portable(chunks.remainder());
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

    /// # Safety
    /// The CPU must have AVX2.
    #[target_feature(enable = "avx2")]
    pub unsafe fn or_avx2(x: &[u8]) -> u64 {
        let chunks = x.chunks_exact(128);
        let tail = super::or_portable(chunks.remainder());
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
