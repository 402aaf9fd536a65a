//! aarch64: the NEON path. NEON (Advanced SIMD) is part of the aarch64 baseline on the targets
//! this crate supports, so there is no run-time detection: the path exists when the build target
//! enables the `neon` feature (every aarch64 target except the `-softfloat` ones).

#[cfg(target_feature = "neon")]
pub(super) mod neon;
