#!/usr/bin/env bash
# Runs globalpool's AVX-512 path inside the bochscpu emulator and checks it bit for bit against
# the Scalar path (see README.md in this directory). One command, from a fresh clone:
#
#     tests/avx512-emu/run.sh [run.py options, e.g. --seed 0x1234 --cases 2000]
#
# Needs from the system (nothing is installed system-wide by this script):
#   * Python 3.11 with the venv module (Debian/Ubuntu: python3.11 python3.11-venv), because
#     bochscpu-python 0.3.1 only has a CPython 3.11 wheel (x86-64 Linux, glibc >= 2.35).
#     Another interpreter can be given with PYTHON=/path/to/python3.11.
#   * network access to PyPI on the first run (pip install of requirements.txt into a venv),
#   * a Rust toolchain (cargo, stable >= the crate's rust-version) for x86_64-unknown-linux-gnu,
#     with crates.io reachable on the first build,
#   * GNU ld (binutils).
#
# Everything it creates goes to <repo>/target/avx512-emu/ (override with GP_EMU_OUT): the venv,
# the guest's cargo target directory and the linked image guest.elf. A second run only
# rebuilds what changed (a few seconds) before the emulation itself.
#
# Environment: PYTHON (interpreter for the venv), GP_EMU_OUT (output directory),
# GP_EMU_RUSTFLAGS (RUSTFLAGS for the guest build; RUSTFLAGS itself is ignored so that flags
# meant for the host, such as -C target-cpu=native, do not leak into the guest), and
# GP_EMU_SEEDS / GP_EMU_CASES (see run.py --help).

set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
out="${GP_EMU_OUT:-$repo/target/avx512-emu}"
venv="$out/venv"

die() {
    echo "avx512-emu: error: $*" >&2
    exit 2
}

# --- 1. Tools -------------------------------------------------------------------------------
[ "$(uname -m)" = x86_64 ] || die "needs an x86-64 Linux host (bochscpu wheel and rustc target)"
command -v cargo >/dev/null || die "cargo not found: install a Rust toolchain (https://rustup.rs)"
command -v ld >/dev/null || die "ld not found: install binutils (e.g. apt-get install binutils)"

python="${PYTHON:-}"
if [ -z "$python" ]; then
    if command -v python3.11 >/dev/null; then
        python=python3.11
    else
        python=python3
    fi
fi
command -v "$python" >/dev/null ||
    die "$python not found: install Python 3.11 (python3.11 and python3.11-venv)"
pyver="$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
[ "$pyver" = 3.11 ] ||
    die "$python is Python $pyver; bochscpu-python 0.3.1 needs Python 3.11 (set PYTHON=...)"

# --- 2. The venv with the pinned bochscpu (re-created only when requirements.txt changes) ----
stamp="$venv/.requirements.txt"
if ! [ -x "$venv/bin/python" ] || ! cmp -s "$here/requirements.txt" "$stamp"; then
    echo "avx512-emu: creating the Python venv in $venv" >&2
    rm -rf "$venv"
    mkdir -p "$out"
    "$python" -m venv "$venv" ||
        die "could not create a venv with $python (Debian/Ubuntu: apt-get install python3.11-venv)"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
        -r "$here/requirements.txt" || die "pip install -r requirements.txt failed"
    cp "$here/requirements.txt" "$stamp"
fi

# --- 3. The guest: build the static library, link it into a bare-metal ELF image ------------
echo "avx512-emu: building the guest (cargo build --release)" >&2
RUSTFLAGS="${GP_EMU_RUSTFLAGS:-}" CARGO_ENCODED_RUSTFLAGS="" CARGO_TARGET_DIR="$out/guest-target" \
    cargo build --quiet --release --manifest-path "$here/guest/Cargo.toml" \
    --target x86_64-unknown-linux-gnu
lib="$out/guest-target/x86_64-unknown-linux-gnu/release/libglobalpool_avx512_emu_guest.a"

# The exported functions are the roots of --gc-sections; everything else unused is dropped.
# run.py reads the ELF directly (segments and symbols), so no objcopy step is needed.
ld -T "$here/flat.ld" --gc-sections -static -nostdlib -z noexecstack \
    -u gp_emu_check_api -u gp_emu_run_cases -u gp_emu_selftest -u gp_emu_case \
    -u GP_EMU_REPORT -o "$out/guest.elf.tmp" "$lib"
mv "$out/guest.elf.tmp" "$out/guest.elf"

# --- 4. Run it --------------------------------------------------------------------------------
exec "$venv/bin/python" "$here/run.py" --elf "$out/guest.elf" --out-dir "$out" "$@"
