//! Build script: declares the crate's own `cfg`s (for `check-cfg`) and sets one; nothing to
//! generate.
fn main() {
    // `--cfg globalpool_no_vnni` (in RUSTFLAGS): run-time detection ignores AVX-512 VNNI, so the
    // tests reach the AVX-512 integer kernels without it on a CPU that has it (see `.ci/run`).
    println!("cargo::rustc-check-cfg=cfg(globalpool_no_vnni)");
    // `--cfg globalpool_flip_pages`: run-time detection inverts its choice between the two
    // AVX-512 tables (f32 NHWC rows of whole pages by pages or down columns) and gives AVX2 its
    // default table, so that the tests reach the ones this CPU would not get (see `.ci/run`).
    println!("cargo::rustc-check-cfg=cfg(globalpool_flip_pages)");
    // `globalpool_unoptimized`: this build is at opt-level 0 (a dev profile). The kernels'
    // algorithm functions are then ordinary calls instead of `#[inline(always)]`: unoptimized
    // code gives every inlined copy its own stack slots, and one entry point inlines hundreds of
    // instances (a 6.6 MB frame for the AVX-512 NCHW entry, past a spawned thread's 2 MiB).
    println!("cargo::rustc-check-cfg=cfg(globalpool_unoptimized)");
    if opt_level() == "0" {
        println!("cargo::rustc-cfg=globalpool_unoptimized");
    }
    // `globalpool_no_simd`: the target has none of the SIMD extensions `wide` uses (SSE2, NEON,
    // simd128), so the portable path's vectors are arrays of eight floats (Cortex-M, RISC-V
    // microcontrollers, wasm32 without simd128). Its NCHW kernel for each short row length is
    // then a function of its own: inlined into one, thumbv6m's release build took 3.5 min in
    // CI, most of it LLVM on that one function (half of that in the Arm constant-island pass).
    println!("cargo::rustc-check-cfg=cfg(globalpool_no_simd)");
    let features = std::env::var("CARGO_CFG_TARGET_FEATURE").unwrap_or_default();
    if !features
        .split(',')
        .any(|f| matches!(f, "sse2" | "neon" | "simd128"))
    {
        println!("cargo::rustc-cfg=globalpool_no_simd");
    }
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-env-changed=CARGO_ENCODED_RUSTFLAGS");
}

/// The opt-level rustc will use: the profile's (`OPT_LEVEL`) unless the flags set one (the last
/// `-C opt-level=` or `-O` wins, as in rustc).
fn opt_level() -> String {
    let mut level = std::env::var("OPT_LEVEL").unwrap_or_default();
    let flags = std::env::var("CARGO_ENCODED_RUSTFLAGS").unwrap_or_default();
    let mut codegen = false;
    for flag in flags.split('\x1f') {
        let option = if codegen {
            codegen = false;
            Some(flag)
        } else {
            flag.strip_prefix("-C")
        };
        match option {
            Some("") => codegen = true,
            Some(o) => {
                if let Some(l) = o.strip_prefix("opt-level=") {
                    level = l.to_string();
                }
            }
            None if flag == "-O" => level = "2".to_string(),
            None => {}
        }
    }
    level
}
