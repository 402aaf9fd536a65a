//! Run-time detection: `Pooler::detect` picks the best path the CPU has, `with_isa` offers exactly
//! the paths the CPU can run. `.ci/run` also runs this under `qemu-x86_64 -cpu Haswell-noTSX` (no
//! AVX-512) and `-cpu Nehalem` (no AVX), where std's own detection is the independent witness.

use globalpool::{Isa, Pooler};

#[test]
fn every_isa_has_a_name_and_with_isa_is_consistent() {
    let names: Vec<&str> = Isa::ALL.iter().map(|i| i.name()).collect();
    assert_eq!(
        names,
        [
            "scalar", "sse2", "avx2", "avx512", "neon", "simd128", "portable"
        ]
    );
    for &isa in Isa::ALL {
        if let Some(p) = Pooler::with_isa(isa) {
            assert_eq!(p.isa(), isa);
        }
    }
    assert_eq!(Pooler::detect(), Pooler::detect());
}

#[cfg(target_arch = "x86_64")]
#[test]
fn detect_picks_the_best_x86_path() {
    let avx2 = std::is_x86_feature_detected!("avx2");
    let avx512 = std::is_x86_feature_detected!("avx512f")
        && std::is_x86_feature_detected!("avx512bw")
        && std::is_x86_feature_detected!("avx512dq")
        && std::is_x86_feature_detected!("fma")
        && std::is_x86_feature_detected!("f16c")
        && avx2;
    let expected = if avx512 {
        Isa::Avx512
    } else if avx2 {
        Isa::Avx2
    } else {
        Isa::Sse2
    };
    println!(
        "detected: {}, expected: {}",
        Pooler::detect().isa(),
        expected
    );
    assert_eq!(Pooler::detect().isa(), expected);
    assert!(Pooler::with_isa(Isa::Sse2).is_some());
    assert_eq!(Pooler::with_isa(Isa::Avx2).is_some(), avx2);
    assert_eq!(Pooler::with_isa(Isa::Avx512).is_some(), avx512);
    assert!(Pooler::with_isa(Isa::Neon).is_none());
    assert!(Pooler::with_isa(Isa::Simd128).is_none());
}

#[cfg(target_arch = "aarch64")]
#[test]
fn detect_picks_neon_on_aarch64() {
    assert_eq!(Pooler::detect().isa(), Isa::Neon);
    assert!(Pooler::with_isa(Isa::Sse2).is_none());
}

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
#[test]
fn detect_picks_simd128_on_wasm_with_simd() {
    assert_eq!(Pooler::detect().isa(), Isa::Simd128);
}
