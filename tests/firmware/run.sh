#!/usr/bin/env bash
# The C library on Cortex-M: builds libglobalpool.a for thumbv7em-none-eabihf (and
# thumbv6m-none-eabi), runs a C test firmware on an emulated Cortex-M4F (qemu-system-arm,
# MPS2-AN386, semihosting), and checks the library's guarantees: no panic path, no allocation,
# code size and worst-case stack of the C API. See tests/firmware/README.md.
#
# Usage: tests/firmware/run.sh        (from any directory; as root it installs what it needs)
# Environment:
#   GP_FW_STRICT=1   a miss of the size (8 KiB) or stack (512 B) target fails the run too
#                    (by default misses are reported and only the hard guarantees fail it)
#   GP_FW_TIMEOUT    seconds allowed to the qemu run (default 120)
#
# Fails (non-zero exit) if: a tool cannot be installed or a build fails; the firmware reports a
# failed check, faults or times out; a panic path or an allocation symbol is found; the stack
# analysis finds recursion or a call it cannot resolve; a measured stack exceeds the static bound.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
OUT=$ROOT/target/firmware
BUILD=$OUT/build
STRICT=${GP_FW_STRICT:-0}
QEMU_TIMEOUT=${GP_FW_TIMEOUT:-120}
SIZE_TARGET=8192
STACK_TARGET=512
START=$(date +%s)
# The library is measured as the README's command builds it: no flags from the caller's
# environment (a host RUSTFLAGS such as -C target-cpu=native would break the Arm builds).
unset RUSTFLAGS CARGO_ENCODED_RUSTFLAGS CARGO_BUILD_RUSTFLAGS CARGO_BUILD_TARGET

log() { printf '\n=== %s\n' "$*"; }
die() { printf 'run.sh: FAILED: %s\n' "$*" >&2; exit 1; }

FUNCS=(gp_global_sum_pool_f32 gp_global_avg_pool_f32 gp_global_max_pool_f32
       gp_global_min_pool_f32 gp_isa_name gp_status_str)
FORCE=()
ENTRIES=()
for f in "${FUNCS[@]}"; do
    FORCE+=("-Wl,-u,$f")
    ENTRIES+=(--entry "$f")
done

# ------------------------------------------------------------------------------------------
log "1. tools"
APT_UPDATED=0
apt_install() { # apt_install [apt-get install options...] packages...
    if [ "$APT_UPDATED" = 0 ]; then
        apt-get update -qq
        APT_UPDATED=1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@"
}

command -v python3 >/dev/null || apt_install python3
command -v timeout >/dev/null || apt_install coreutils
command -v arm-none-eabi-gcc >/dev/null || apt_install gcc-arm-none-eabi

if ! command -v qemu-system-arm >/dev/null; then
    # Debian's own qemu-system-arm conflicts with the backports qemu-utils this machine has:
    # take it from bookworm-backports, adding that suite if no apt source names it (RECIPES.md).
    if ! grep -Eqs '^[^#]*bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
            /etc/apt/sources.list.d/*.sources; then
        src=/etc/apt/sources.list.d/debian.sources
        dst=/etc/apt/sources.list.d/bookworm-backports.sources
        if [ -f "$src" ]; then
            # A copy of the first Debian stanza (not -security) with Suites: bookworm-backports.
            awk 'BEGIN { RS = ""; ORS = "\n" }
                 /URIs:[^\n]*debian/ && !/debian-security/ && !done {
                     n = split($0, lines, "\n")
                     for (i = 1; i <= n; i++) {
                         if (lines[i] ~ /^Suites:/) lines[i] = "Suites: bookworm-backports"
                         print lines[i]
                     }
                     done = 1
                 }' "$src" > "$dst"
        fi
        if [ ! -s "$dst" ]; then
            printf '%s\n' 'Types: deb' 'URIs: http://deb.debian.org/debian' \
                'Suites: bookworm-backports' 'Components: main' \
                'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg' > "$dst"
        fi
        echo "added $dst"
        APT_UPDATED=0
    fi
    apt_install -t bookworm-backports qemu-system-arm
fi

HOST=$(rustc -vV | sed -n 's/^host: //p')
installed_targets=$(rustup target list --installed)
for t in thumbv7em-none-eabihf thumbv6m-none-eabi; do
    grep -qx "$t" <<<"$installed_targets" || rustup target add "$t"
done
LLVM_BIN=$(rustc --print sysroot)/lib/rustlib/$HOST/bin
[ -x "$LLVM_BIN/llvm-nm" ] || rustup component add llvm-tools
[ -x "$LLVM_BIN/llvm-nm" ] || die "llvm-tools did not install $LLVM_BIN/llvm-nm"
NM=$LLVM_BIN/llvm-nm
OBJDUMP=$LLVM_BIN/llvm-objdump
READOBJ=$LLVM_BIN/llvm-readobj
# Nightly: only for -Z emit-stack-sizes (the stack analysis).
rustup run nightly rustc -V >/dev/null 2>&1 || rustup toolchain install nightly --profile minimal
rustup +nightly target list --installed | grep -qx thumbv7em-none-eabihf ||
    rustup +nightly target add thumbv7em-none-eabihf

echo "rustc: $(rustc -V); nightly: $(rustc +nightly -V)"
echo "$(arm-none-eabi-gcc --version | head -1); $(qemu-system-arm --version | head -1)"

# ------------------------------------------------------------------------------------------
log "2. static libraries"
mkdir -p "$BUILD"
cd "$ROOT"
build_lib() { # build_lib <profile> <target> <target-dir>
    local profile=$1 target=$2 dir=$3
    cargo rustc --lib --profile "$profile" --features capi --crate-type staticlib \
        --target "$target" --target-dir "$dir"
}
build_lib capi-size thumbv7em-none-eabihf "$OUT"
build_lib capi-size thumbv6m-none-eabi "$OUT"
build_lib capi thumbv7em-none-eabihf "$OUT"   # opt-level 3: only scanned for panics
# The same library with LLVM's .stack_sizes sections (the flag reaches the LTO code generation
# of the final crate, which is all the library's code).
cargo +nightly rustc --lib --profile capi-size --features capi --crate-type staticlib \
    --target thumbv7em-none-eabihf --target-dir "$OUT/nightly" -- -Z emit-stack-sizes
LIB7=$OUT/thumbv7em-none-eabihf/capi-size/libglobalpool.a
LIB6=$OUT/thumbv6m-none-eabi/capi-size/libglobalpool.a
LIB7_O3=$OUT/thumbv7em-none-eabihf/capi/libglobalpool.a
LIB7_SS=$OUT/nightly/thumbv7em-none-eabihf/capi-size/libglobalpool.a

# ------------------------------------------------------------------------------------------
log "3. expected outputs, computed on the host"
# Same dependency versions as the main package: start from its lock file (cargo prunes it).
cp "$ROOT/Cargo.lock" "$HERE/gen/Cargo.lock"
cargo run -q --manifest-path "$HERE/gen/Cargo.toml" --target-dir "$OUT/gen" -- "$BUILD/cases.h"

# ------------------------------------------------------------------------------------------
log "4. firmware and probes"
M4=(-mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16)
M0=(-mcpu=cortex-m0plus -mthumb -mfloat-abi=soft)
CFLAGS=(-Os -ffreestanding -nostdlib -ffunction-sections -fdata-sections -Wall -Wextra
        -Wl,--gc-sections -Wl,-z,noexecstack -T "$HERE/link.ld")
arm-none-eabi-gcc "${M4[@]}" "${CFLAGS[@]}" -I "$ROOT/include" -I "$BUILD" \
    "$HERE/startup.c" "$HERE/main.c" "$LIB7" -lgcc "${FORCE[@]}" \
    -Wl,-Map="$BUILD/fw.map" -o "$BUILD/fw.elf"
# Size / stack probes: nothing but the C API (probe.c).
probe() { # probe <name> <lib> <cpu flags...>
    local name=$1 lib=$2
    shift 2
    arm-none-eabi-gcc "$@" "${CFLAGS[@]}" "$HERE/probe.c" "$lib" -lgcc "${FORCE[@]}" \
        -Wl,-Map="$BUILD/$name.map" -o "$BUILD/$name.elf"
}
probe probe-v7em "$LIB7" "${M4[@]}"
probe probe-v6m "$LIB6" "${M0[@]}"
probe probe-v7em-o3 "$LIB7_O3" "${M4[@]}"
probe probe-v7em-stacksizes "$LIB7_SS" "${M4[@]}"
arm-none-eabi-size "$BUILD/fw.elf"

# ------------------------------------------------------------------------------------------
log "5. run on qemu-system-arm (mps2-an386, Cortex-M4F)"
set +e
timeout "$QEMU_TIMEOUT" qemu-system-arm -M mps2-an386 -cpu cortex-m4 -nographic \
    -semihosting-config enable=on,target=native -kernel "$BUILD/fw.elf" </dev/null 2>&1 |
    tee "$BUILD/fw.log"   # (qemu prints semihosting output on its stderr)
QEMU_RC=${PIPESTATUS[0]}
set -e
[ "$QEMU_RC" = 124 ] && die "qemu timed out after ${QEMU_TIMEOUT}s"
[ "$QEMU_RC" = 0 ] || die "the firmware failed (qemu exit status $QEMU_RC)"
FW_SUMMARY=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$BUILD/fw.log" | tail -1)
[ -n "$FW_SUMMARY" ] || die "no summary line in the firmware output"
FW_ISA=$(sed -n 's/^gp_isa_name(): //p' "$BUILD/fw.log")
HOST_ISA=$(sed -n 's/.*expected bits from the host.s \([a-z0-9]*\) path.*/\1/p' "$BUILD/fw.log")

# ------------------------------------------------------------------------------------------
log "6a/6b. panic and allocation symbols"
# Symbol names, mangled and demangled, defined and undefined. Debian's nm cannot read rustc's
# objects: llvm-tools' llvm-nm.
PANIC_RE='panic|begin_unwind|unwrap_failed|expect_failed|(slice|str|index)_[a-z_]*fail|len_mismatch_fail|assert_failed'
ALLOC_RE='(__rust_(alloc|dealloc|realloc|alloc_zeroed|alloc_error_handler)|__rg_[a-z_]*|__rdl_[a-z_]*|malloc|free|calloc|realloc|aligned_alloc|posix_memalign|memalign|_malloc_r|_free_r|_calloc_r|_realloc_r)'
symbols() { { "$NM" -j "$1"; "$NM" -j -C "$1"; } 2>/dev/null | grep -v -e '^$' -e ':$' | sort -u; }
PANIC_HITS=""
ALLOC_HITS=""
for f in "$LIB7" "$LIB7_O3" "$LIB6" "$BUILD/fw.elf" "$BUILD/probe-v7em.elf" \
         "$BUILD/probe-v6m.elf" "$BUILD/probe-v7em-o3.elf"; do
    syms=$(symbols "$f")
    [ -n "$syms" ] || die "llvm-nm printed no symbols for $f"
    hits=$(grep -Ei "$PANIC_RE" <<<"$syms" || true)
    [ -z "$hits" ] || PANIC_HITS+="$f:"$'\n'"$hits"$'\n'
    hits=$(grep -Ex "$ALLOC_RE" <<<"$syms" || true)
    [ -z "$hits" ] || ALLOC_HITS+="$f:"$'\n'"$hits"$'\n'
done
# The crate's object must still be there and export the API (guards against scanning nothing).
defined=$("$NM" -j --defined-only "$LIB7" 2>/dev/null)
for f in "${FUNCS[@]}"; do
    grep -qx "$f" <<<"$defined" || die "$f not defined in $LIB7"
done
PANIC_STATUS=PASS
ALLOC_STATUS=PASS
[ -z "$PANIC_HITS" ] || { PANIC_STATUS=FAIL; printf 'panic symbols:\n%s' "$PANIC_HITS"; }
[ -z "$ALLOC_HITS" ] || { ALLOC_STATUS=FAIL; printf 'allocation symbols:\n%s' "$ALLOC_HITS"; }
echo "panic-free: $PANIC_STATUS; allocation-free: $ALLOC_STATUS"

# ------------------------------------------------------------------------------------------
log "6c. code size of the C API (size probe, opt-level s)"
set +e
python3 "$HERE/size.py" --map "$BUILD/probe-v7em.map" --label thumbv7em-none-eabihf \
    --limit "$SIZE_TARGET" --json "$BUILD/size-v7em.json"
rc7=$?
python3 "$HERE/size.py" --map "$BUILD/probe-v6m.map" --label thumbv6m-none-eabi \
    --json "$BUILD/size-v6m.json"
rc6=$?
set -e
[ "$rc7" -le 1 ] && [ "$rc6" = 0 ] || die "size.py failed"

# ------------------------------------------------------------------------------------------
log "6d. worst-case stack of each entry point (thumbv7em-none-eabihf)"
set +e
echo "-- nightly build, frames from -Z emit-stack-sizes (.stack_sizes), checked against the code:"
python3 "$HERE/stack.py" --elf "$BUILD/probe-v7em-stacksizes.elf" --objdump "$OBJDUMP" \
    --nm "$NM" --readobj "$READOBJ" --stack-sizes "$LIB7_SS" --exclude Reset_Handler \
    "${ENTRIES[@]}" --limit "$STACK_TARGET" --json "$BUILD/stack-nightly.json"
rcs1=$?
echo "-- the stable build that the firmware runs, frames from the code:"
python3 "$HERE/stack.py" --elf "$BUILD/probe-v7em.elf" --objdump "$OBJDUMP" --nm "$NM" \
    --exclude Reset_Handler "${ENTRIES[@]}" --limit "$STACK_TARGET" \
    --json "$BUILD/stack-stable.json"
rcs2=$?
set -e
[ "$rcs1" -le 1 ] && [ "$rcs2" -le 1 ] || die "the static stack analysis failed"

# ------------------------------------------------------------------------------------------
# Summary (Markdown) and the final verdict.
export BUILD FW_SUMMARY FW_ISA HOST_ISA PANIC_STATUS ALLOC_STATUS SIZE_TARGET STACK_TARGET START
export RUSTC_V="$(rustc -V)" NIGHTLY_V="$(rustc +nightly -V)"
set +e
python3 - <<'EOF'
import json, os, re, sys, time
b = os.environ["BUILD"]
load = lambda n: json.load(open(os.path.join(b, n)))
s7, s6 = load("size-v7em.json"), load("size-v6m.json")
st_n, st_s = load("stack-nightly.json"), load("stack-stable.json")
measured = {}
for line in open(os.path.join(b, "fw.log")):
    m = re.match(r"^STACK (\S+) (\d+)$", line.strip())
    if m:
        measured[m.group(1)] = int(m.group(2))
size_t, stack_t = int(os.environ["SIZE_TARGET"]), int(os.environ["STACK_TARGET"])
problems, misses = [], []
kib = lambda n: f"{n} B ({n / 1024:.1f} KiB)"
out = []
p = out.append
p("### Cortex-M figures (tests/firmware/run.sh)")
p("")
p(f"{os.environ['RUSTC_V']}; stack frames also from {os.environ['NIGHTLY_V']}; "
  f"profile `capi-size` (opt-level \"s\", LTO, codegen-units 1, panic abort).")
p("")
p(f"- C API on an emulated Cortex-M4F (qemu-system-arm mps2-an386): **{os.environ['FW_SUMMARY']}** "
  f"(path `{os.environ['FW_ISA']}`; expected bits computed on the host's `{os.environ['HOST_ISA']}` path)")
p(f"- Panic-free: **{os.environ['PANIC_STATUS']}** (no panic symbol in libglobalpool.a for thumbv7em "
  f"`capi-size` and `capi`, thumbv6m `capi-size`; no panic handler in the linked firmware and probes)")
p(f"- Allocation-free: **{os.environ['ALLOC_STATUS']}** (no `__rust_alloc`/`__rust_dealloc`/"
  f"`__rust_realloc`/`malloc`/`free`/`calloc`/`realloc`, defined or undefined)")
p("")
p("| Code size of the whole C API (6 functions) | .text | .rodata | .bss | target |")
p("|---|---:|---:|---:|---|")
st7 = "PASS" if s7[".text"]["library"] <= size_t else "MISS"
if st7 == "MISS":
    misses.append("size")
p(f"| thumbv7em-none-eabihf (Cortex-M4F) | {kib(s7['.text']['library'])} | {s7['.rodata']['library']} B "
  f"| {s7['.bss']['library']} B | ≤ {size_t // 1024} KiB: **{st7}** |")
p(f"| thumbv6m-none-eabi (Cortex-M0+) | {kib(s6['.text']['library'])} | {s6['.rodata']['library']} B "
  f"| {s6['.bss']['library']} B | - |")
p("")
for s, name in ((s7, "thumbv7em"), (s6, "thumbv6m")):
    big = ", ".join(f"`{x['function']}` {x['bytes']} B" for x in s["largest"][:2])
    p(f"- {name} .text: the crate {s['.text']['globalpool']} B (largest: {big}), compiler_builtins "
      f"{s['.text']['compiler_builtins']} B, libgcc {s['.text']['libgcc']} B")
p("")
p("| Worst-case stack, thumbv7em-none-eabihf | static (nightly, .stack_sizes) | static (stable build) | measured in qemu | target |")
p("|---|---:|---:|---:|---|")
for f in st_s:
    n, s, m = st_n[f]["bytes"], st_s[f]["bytes"], measured.get(f)
    worst = max(n, s)
    v = "PASS" if worst <= stack_t else "MISS"
    if v == "MISS" and "stack" not in misses:
        misses.append("stack")
    if m is None:
        problems.append(f"no measured stack for {f}")
    elif m > s:
        problems.append(f"{f}: measured {m} B > static bound {s} B: the static analysis is wrong")
    p(f"| {f} | {n} B | {s} B | {m} B | ≤ {stack_t} B: **{v}** |")
deepest = max(st_s.values(), key=lambda r: r["bytes"])
p("")
p("Deepest path (stable build): " + " → ".join(f"`{x['function']}` {x['frame']}" for x in deepest["path"]))
p("")
secs = int(time.time()) - int(os.environ["START"])
p(f"run.sh took {secs} s.")
print("\n" + "=" * 100)
print("\n".join(out))
print("=" * 100)
with open(os.path.join(b, "summary.md"), "w") as f:
    f.write("\n".join(out) + "\n")
for x in problems:
    print("PROBLEM: " + x, file=sys.stderr)
if misses:
    print("targets missed: " + ", ".join(misses), file=sys.stderr)
sys.exit(2 if problems else (1 if misses else 0))
EOF
SUMMARY_RC=$?
set -e
[ "$SUMMARY_RC" -le 1 ] || die "stack cross-check failed (see PROBLEM lines)"
[ "$PANIC_STATUS" = PASS ] || die "panic symbols found"
[ "$ALLOC_STATUS" = PASS ] || die "allocation symbols found"
if [ "$SUMMARY_RC" = 1 ]; then
    [ "$STRICT" = 1 ] && die "size or stack target missed (GP_FW_STRICT=1)"
    echo "run.sh: all guarantees hold; size / stack targets missed (reported above, not fatal)"
else
    echo "run.sh: all checks passed"
fi
