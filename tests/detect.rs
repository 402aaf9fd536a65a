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

/// `Debug` names the path and its kernels' CPU-specific choices (`tuning`): `"default"` on
/// every path but x86-64 AVX-512, whose three tables go by vendor, and AVX2, whose second
/// table goes by what the CPU's `vmaxps` reports (see `x86_64::for_isa`).
#[test]
fn debug_names_the_path_and_its_tuning() {
    for &isa in Isa::ALL {
        let Some(p) = Pooler::with_isa(isa) else {
            continue;
        };
        let text = format!("{p:?}");
        println!("{text}");
        let tuning = text
            .strip_prefix(&format!("Pooler {{ isa: {isa:?}, tuning: \""))
            .and_then(|t| t.strip_suffix("\" }"))
            .unwrap_or_else(|| panic!("unexpected Debug output: {text}"));
        let expected: &[&str] = match isa {
            Isa::Avx512 => avx512_tunings(),
            // `"flagged"` where the CPU's `vmaxps` / `vminps` report NaN operands in the status
            // register, as they should (an emulator may not: `"default"`); the build flag
            // `globalpool_flip_pages` turns it off.
            Isa::Avx2 if cfg!(globalpool_flip_pages) => &["default"],
            Isa::Avx2 => &["flagged", "default"],
            _ => &["default"],
        };
        assert!(
            expected.contains(&tuning),
            "{text}: expected one of {expected:?}"
        );
    }
}

/// The AVX-512 tables this CPU's vendor may get: an Intel CPU `"intel"`, or `"columns"` if it
/// does not report NaN operands in the status register (an emulator); AMD's Zen 4 (family 19h)
/// `"columns"`; any other `"default"`. (With the build flag `globalpool_flip_pages`, which
/// `.ci/run` sets for other tests, Intel CPUs and the Zen 4 get `"default"`, the others
/// `"columns"`.)
#[cfg(target_arch = "x86_64")]
fn avx512_tunings() -> &'static [&'static str] {
    use std::arch::x86_64::__cpuid;
    let (leaf0, leaf1) = (__cpuid(0), __cpuid(1));
    let vendor: Vec<u8> = [leaf0.ebx, leaf0.edx, leaf0.ecx]
        .iter()
        .flat_map(|r| r.to_le_bytes())
        .collect();
    let family = (leaf1.eax >> 8) & 0xF;
    let zen4 = family == 0xF && (leaf1.eax >> 20) & 0xFF == 0x0A;
    match (&vendor[..], cfg!(globalpool_flip_pages)) {
        (b"GenuineIntel", false) => &["intel", "columns"],
        (b"AuthenticAMD", false) if zen4 => &["columns"],
        (b"GenuineIntel", true) => &["default"],
        (b"AuthenticAMD", true) if zen4 => &["default"],
        (_, false) => &["default"],
        (_, true) => &["columns"],
    }
}

#[cfg(not(target_arch = "x86_64"))]
fn avx512_tunings() -> &'static [&'static str] {
    &[]
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
