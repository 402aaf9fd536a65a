//! Build script: declares the crate's own `cfg` (for `check-cfg`); nothing to generate.
fn main() {
    // `--cfg globalpool_no_vnni` (in RUSTFLAGS): run-time detection ignores AVX-512 VNNI, so the
    // tests reach the AVX-512 integer kernels without it on a CPU that has it (see `.ci/run`).
    println!("cargo::rustc-check-cfg=cfg(globalpool_no_vnni)");
    println!("cargo::rerun-if-changed=build.rs");
}
