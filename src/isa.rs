//! The instruction-set paths.

use core::fmt;

/// One implementation path of the kernels.
///
/// Every path computes the same bits for the same input (see the crate documentation), so the
/// choice only affects speed. [`Pooler::detect`](crate::Pooler::detect) picks the fastest path
/// the running CPU supports; [`Pooler::with_isa`](crate::Pooler::with_isa) forces one.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Isa {
    /// Plain Rust, one element at a time: the reference that defines every result. Available
    /// everywhere.
    Scalar,
    /// x86-64 SSE2 (the x86-64 baseline), 4 lanes.
    Sse2,
    /// x86-64 AVX2, 8 lanes.
    Avx2,
    /// x86-64 AVX-512F, AVX-512DQ and AVX-512BW, 16 lanes (64 for `i8` / `u8`); the integer
    /// sums also use AVX-512 VNNI where the CPU has it (same results).
    Avx512,
    /// aarch64 NEON, 4 lanes (part of the aarch64 baseline).
    Neon,
    /// wasm32 `simd128`, 4 lanes: builds with `-C target-feature=+simd128`.
    Simd128,
    /// The `wide` crate's 8-lane vectors: whatever SIMD the build target enables at compile time
    /// (SSE2 on x86-64, NEON on aarch64, `simd128` on wasm32) and plain arrays elsewhere.
    /// Available everywhere.
    Portable,
}

impl Isa {
    /// Every path, in the same order on every target (whether or not this build can run it).
    pub const ALL: &'static [Isa] = &[
        Isa::Scalar,
        Isa::Sse2,
        Isa::Avx2,
        Isa::Avx512,
        Isa::Neon,
        Isa::Simd128,
        Isa::Portable,
    ];

    /// The path's lower-case name: `"scalar"`, `"sse2"`, `"avx2"`, `"avx512"`, `"neon"`,
    /// `"simd128"` or `"portable"`.
    ///
    /// ```
    /// assert_eq!(globalpool::Isa::Avx512.name(), "avx512");
    /// ```
    pub const fn name(self) -> &'static str {
        match self {
            Isa::Scalar => "scalar",
            Isa::Sse2 => "sse2",
            Isa::Avx2 => "avx2",
            Isa::Avx512 => "avx512",
            Isa::Neon => "neon",
            Isa::Simd128 => "simd128",
            Isa::Portable => "portable",
        }
    }
}

impl fmt::Display for Isa {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
