//! The C interface, from C: builds the static and the shared library (`--features capi`,
//! profile `capi`), compiles `tests/c/check.c` against `include/globalpool.h` with the system C
//! compiler, runs it, and compares its outputs bit for bit with the Rust API. `check.c` itself
//! checks every status code of every function; `tests/c/check_int.c` (linked with the shared
//! library) checks the integer functions against plain C loops, and their status codes. The
//! header is also compiled as C++ (the `extern "C"` guards).
//!
//! x86-64 Linux only (the host: it needs `cc`; other targets run their suites emulated). Under
//! an emulating runner (CI's qemu CPU-model runs) it is skipped: the C program would run
//! natively anyway.

#![cfg(all(target_os = "linux", target_arch = "x86_64"))]

mod common;

use common::{LAYOUTS, OPS, bits, emulated, run, values};
use globalpool::{Layout, Pooler, Shape};
use std::path::{Path, PathBuf};
use std::process::Command;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn sh(cmd: &mut Command) -> String {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed ({}):\n{}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Builds `libglobalpool.a` and `libglobalpool.so` (one `cargo rustc`, both crate types) and
/// returns the directory that holds them: `<target directory>/capi-example`, which is where
/// `examples/c/Makefile` builds them when the target directory is the default `target/`. The
/// command is the one `make -C examples/c CRATE_TYPES=staticlib,cdylib` runs, so that this make
/// (CI runs it after `cargo test`) finds them up to date instead of building them again.
fn c_libraries() -> PathBuf {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    // CARGO_TARGET_TMPDIR is `<target directory>/tmp`.
    let out = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("the target directory")
        .join("capi-example");
    sh(Command::new(cargo)
        .current_dir(ROOT)
        .args(["rustc", "--manifest-path"])
        .arg(Path::new(ROOT).join("Cargo.toml"))
        .args(["--lib", "--profile", "capi", "--features", "capi"])
        .args(["--crate-type", "staticlib,cdylib", "--target-dir"])
        .arg(&out));
    out.join("capi")
}

/// The cases: shapes across the kernels' regimes, values with NaN, infinities, zeros and
/// subnormals.
fn cases() -> Vec<(Shape, Layout, Vec<f32>)> {
    let shapes = [
        (1, 1, 1),
        (2, 3, 4),
        (1, 1280, 49),
        (1, 8, 196),
        (3, 5, 37),
        (1, 3, 50176 / 16),
        (2, 64, 4099),
        (1, 17, 1),
        (4, 2, 300),
    ];
    let mut out = Vec::new();
    for (i, &(b, c, s)) in shapes.iter().enumerate() {
        for (j, &layout) in LAYOUTS.iter().enumerate() {
            let shape = Shape::new(b, c, s);
            let n = shape.input_len().unwrap();
            out.push((shape, layout, values((i * 2 + j) as u64 + 77, n, 9)));
        }
    }
    out
}

#[test]
fn c_program_matches_rust_api() {
    if emulated() {
        eprintln!("skipped under an emulating runner");
        return;
    }
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("capi");
    std::fs::create_dir_all(&dir).unwrap();
    let libdir = c_libraries();
    let lib = libdir.join("libglobalpool.a");
    let include = Path::new(ROOT).join("include");

    // C99, strict warnings, linked with nothing but the library.
    let exe = dir.join("check");
    sh(Command::new("cc")
        .args([
            "-std=c99",
            "-O2",
            "-Wall",
            "-Wextra",
            "-Werror",
            "-pedantic",
            "-I",
        ])
        .arg(&include)
        .arg(Path::new(ROOT).join("tests/c/check.c"))
        .arg(&lib)
        .arg("-o")
        .arg(&exe));

    // The integer functions, checked by C code against plain C loops; linked with the shared
    // library.
    let int_exe = dir.join("check_int");
    sh(Command::new("cc")
        .args([
            "-std=c99",
            "-O2",
            "-Wall",
            "-Wextra",
            "-Werror",
            "-pedantic",
            "-I",
        ])
        .arg(&include)
        .arg(Path::new(ROOT).join("tests/c/check_int.c"))
        .arg("-L")
        .arg(&libdir)
        .arg(format!("-Wl,-rpath,{}", libdir.display()))
        .arg("-lglobalpool")
        .arg("-o")
        .arg(&int_exe));
    let report = sh(&mut Command::new(&int_exe));
    assert!(report.contains("failures=0"), "{report}");

    // The header from C++ as well.
    if Command::new("c++").arg("--version").output().is_ok() {
        let cc = dir.join("header.cc");
        std::fs::write(
            &cc,
            "#include \"globalpool.h\"\n#include <cstring>\n\
             int main() { float in[2] = {1.0f, 2.0f}; float out[1];\n\
             if (gp_global_avg_pool_f32(in, 2, 1, 1, 2, GP_NHWC, out, 1) != GP_OK) return 1;\n\
             if (out[0] != 1.5f) return 2;\n\
             return std::strlen(gp_isa_name()) > 0 && gp_status_str(GP_ERR_OVERLAP) ? 0 : 3; }\n",
        )
        .unwrap();
        let cxx_exe = dir.join("header_cxx");
        sh(Command::new("c++")
            .args(["-std=c++11", "-Wall", "-Wextra", "-Werror", "-I"])
            .arg(&include)
            .arg(&cc)
            .arg(&lib)
            .arg("-o")
            .arg(&cxx_exe));
        sh(&mut Command::new(&cxx_exe));
    }

    // Cases in, outputs out.
    let cases = cases();
    let mut file = Vec::new();
    for (shape, layout, input) in &cases {
        for d in [shape.batch, shape.channels, shape.spatial] {
            file.extend_from_slice(&(d as u64).to_le_bytes());
        }
        let l: u32 = match layout {
            Layout::Nchw => 0,
            Layout::Nhwc => 1,
        };
        file.extend_from_slice(&l.to_le_bytes());
        for x in input {
            file.extend_from_slice(&x.to_le_bytes());
        }
    }
    let (cases_path, out_path) = (dir.join("cases.bin"), dir.join("out.bin"));
    std::fs::write(&cases_path, file).unwrap();
    let stdout = sh(Command::new(&exe).arg(&cases_path).arg(&out_path));
    let isa = Pooler::detect().isa().name();
    assert!(
        stdout.contains(&format!("isa={isa}\n")),
        "gp_isa_name disagrees with Pooler::detect ({isa}):\n{stdout}"
    );

    let got: Vec<u32> = std::fs::read(&out_path)
        .unwrap()
        .chunks_exact(4)
        .map(|b| u32::from_le_bytes(b.try_into().unwrap()))
        .collect();
    let mut want = Vec::new();
    for (shape, layout, input) in &cases {
        for op in OPS {
            let mut out = vec![0.0f32; shape.output_len().unwrap()];
            run(Pooler::detect(), op, input, *shape, *layout, &mut out);
            want.extend(bits(&out));
        }
    }
    assert_eq!(got.len(), want.len(), "output size");
    let bad = got.iter().zip(&want).position(|(g, w)| g != w);
    assert_eq!(bad, None, "C and Rust outputs differ");
}
