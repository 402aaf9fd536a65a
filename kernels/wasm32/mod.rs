//! wasm32: the `simd128` path, chosen at compile time (WebAssembly has no run-time feature
//! detection: a module either uses SIMD instructions or does not validate on an engine without
//! them). Build with `-C target-feature=+simd128` to get it.

#[cfg(target_feature = "simd128")]
pub(super) mod simd128;
