#!/usr/bin/env python3
"""Host side of the AVX-512 emulation harness for `globalpool`.

Loads the guest image (a bare-metal x86-64 ELF built from ./guest and linked with ./flat.ld)
into the bochscpu emulator, whose virtual CPU has AVX-512, and calls the guest's exported
functions: `gp_emu_check_api` once, then `gp_emu_run_cases` in chunks for each seed. The guest
compares `Isa::Avx512` with `Isa::Scalar` bit for bit and writes a report that this script reads
and prints. Exit status: 0 if everything matched, 1 on any mismatch, 2 if the guest crashed
(CPU exception, for example a panic's `ud2`) or the harness itself failed.

Usually started by run.sh, which builds the image. Options: `run.py --help`. Environment:
GP_EMU_SEEDS (comma-separated seeds, replaces the default fixed + time-derived pair) and
GP_EMU_CASES (cases per seed).

The emulated machine: identity-mapped 4-level paging, long mode, ring 0, CR4.OSFXSR/OSXMMEXCPT/
OSXSAVE set and XCR0 = x87|SSE|AVX|opmask|ZMM_Hi256|Hi16_ZMM, MXCSR at its default (round to
nearest, no FTZ/DAZ). There are no interrupts and no IDT: any exception stops the run and is
reported.
"""

import argparse
import faulthandler
import os
import re
import struct
import subprocess
import sys
import time
from pathlib import Path

try:
    import bochscpu
    import bochscpu.cpu
    import bochscpu.memory as bmem
except ImportError:  # run.sh installs it; say so clearly when run by hand
    sys.exit("run.py: the bochscpu module is missing; use run.sh, or: "
             "pip install -r tests/avx512-emu/requirements.txt")

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
DEFAULT_OUT = REPO / "target" / "avx512-emu"

# The fixed seed of every run (so a regression shows up on every run), and the default number of
# cases per seed (tuned so that a default run, two seeds, takes about 1-2 minutes; see README).
FIXED_SEED = 0x6770_5EED_A512_0001
DEFAULT_CASES = 800
DEFAULT_CHUNK = 100

# ---------------------------------------------------------------------------------------------
# The report written by the guest: one little-endian u64 per field, in the order of
# `struct Report` in guest/src/lib.rs.
# ---------------------------------------------------------------------------------------------

REPORT_MAGIC = int.from_bytes(b"GPEMU\0v1", "little")
REPORT_FIELDS = """
    magic n_fields status cases_run calls values_compared input_values mismatches detected_isa
    detected_debug0 detected_debug1 detected_debug2 detected_debug3 detected_debug4
    detected_debug5 detected_debug6 detected_debug7
    error_check_failed first_case first_case_seed first_batch first_channels first_spatial
    first_offset first_special_ppm first_value_mode first_layout first_op first_kind
    first_index first_avx512_bits first_scalar_bits first_bad_values first_guard_offset
    first_guard_bits first_guard_path first_avx512_result
    first_scalar_result case_input_addr case_input_len case_batch case_channels case_spatial
    case_offset case_special_ppm case_value_mode
""".split()

STATUS_BITS = {  # status::* in the guest
    1 << 0: "NO_AVX512 (Pooler::with_isa(Isa::Avx512) is None)",
    1 << 1: "DETECT_NOT_AVX512 (Pooler::detect() did not pick Avx512)",
    1 << 2: "ERROR_CASE_DIFFERS (an invalid call returned a different Result on Avx512)",
    1 << 3: "ERROR_CASE_WROTE (an invalid or empty call wrote to its output)",
    1 << 4: "VALUE_MISMATCH (output bits differ from Scalar)",
    1 << 5: "RESULT_MISMATCH (a valid call returned an error, or the Results differ)",
    1 << 6: "OUT_OF_BOUNDS_WRITE (a call wrote outside its output slice)",
}
ISA_NAMES = ["scalar", "sse2", "avx2", "avx512", "neon", "simd128", "portable"]  # Isa::ALL
RESULT_NAMES = ["Ok", "Err(InputLength)", "Err(OutputLength)", "Err(EmptySpatial)",
                "Err(ShapeOverflow)", "Err(other)"]
LAYOUT_NAMES = ["NCHW", "NHWC"]
OP_NAMES = ["sum", "avg", "max", "min"]
MODE_NAMES = ["mixed", "small integers", "uniform [-1, 1)", "wide exponents"]
SIGN_NAMES = ["mixed signs", "all positive", "all negative"]
SPECIAL_KIND_NAMES = ["NaN", "inf", "zero", "subnormal", "MAX"]
ERROR_CHECK_NAMES = [  # the table in check_error_cases(), in order
    "input one short", "input one long", "input empty", "output one short",
    "output one long", "input and output wrong", "spatial zero", "spatial zero, minimal",
    "batch zero", "channels zero", "batch zero, output not empty", "everything zero",
    "batch*channels overflows", "channels*spatial overflows", "b*c*s overflows",
    "huge batch, spatial zero",
]


def parse_report(raw: bytes) -> dict:
    values = struct.unpack(f"<{len(REPORT_FIELDS)}Q", raw)
    report = dict(zip(REPORT_FIELDS, values))
    if report["magic"] != REPORT_MAGIC or report["n_fields"] != len(REPORT_FIELDS):
        raise HarnessError(
            f"guest report layout does not match run.py (magic {report['magic']:#x}, "
            f"{report['n_fields']} fields, expected {len(REPORT_FIELDS)}): update REPORT_FIELDS")
    return report


class HarnessError(Exception):
    """The harness itself failed (bad image, guest crash, ...): exit status 2."""


# ---------------------------------------------------------------------------------------------
# Reading the guest ELF: PT_LOAD segments and the symbol table. Just enough of ELF64
# little-endian for the static executable flat.ld produces.
# ---------------------------------------------------------------------------------------------

class Elf:
    def __init__(self, path: Path):
        data = path.read_bytes()
        if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
            raise HarnessError(f"{path}: not a little-endian ELF64 file")
        (e_type, e_machine, _, _entry, e_phoff, e_shoff, _, _, e_phentsize, e_phnum,
         e_shentsize, e_shnum, _) = struct.unpack_from("<HHIQQQIHHHHHH", data, 16)
        if e_type != 2 or e_machine != 62:
            raise HarnessError(f"{path}: not a static x86-64 executable")

        # Loadable segments: (virtual address, file bytes, size in memory); and the code range.
        self.segments, self.code = [], []
        for i in range(e_phnum):
            p_type, p_flags, p_offset, p_vaddr, _, p_filesz, p_memsz, _ = struct.unpack_from(
                "<IIQQQQQQ", data, e_phoff + i * e_phentsize)
            if p_type == 1:  # PT_LOAD
                self.segments.append((p_vaddr, data[p_offset:p_offset + p_filesz], p_memsz))
                if p_flags & 1:  # PF_X
                    self.code.append((p_vaddr, p_vaddr + p_memsz))

        # Symbols: name -> address, plus a sorted list of functions for symbolizing addresses.
        sections = [struct.unpack_from("<IIQQQQIIQQ", data, e_shoff + i * e_shentsize)
                    for i in range(e_shnum)]
        self.symbols, self.functions = {}, []
        for sh in sections:
            if sh[1] != 2:  # SHT_SYMTAB
                continue
            strtab = sections[sh[6]]
            str_off = strtab[4]
            for off in range(sh[4], sh[4] + sh[5], 24):
                st_name, st_info, _, st_shndx, st_value, st_size = struct.unpack_from(
                    "<IBBHQQ", data, off)
                if st_name == 0 or st_shndx == 0:
                    continue
                end = data.index(b"\0", str_off + st_name)
                name = data[str_off + st_name:end].decode()
                self.symbols[name] = st_value
                if st_info & 0xF == 2:  # STT_FUNC
                    self.functions.append((st_value, st_size, name))
        self.functions.sort()

    def symbol(self, name: str) -> int:
        try:
            return self.symbols[name]
        except KeyError:
            raise HarnessError(f"symbol {name!r} not found in the guest image") from None

    def describe(self, addr: int, return_address=False) -> str:
        """`addr <function+offset>` for a code address. A return address is looked up as
        `addr - 1`: after a call to a function that does not return, it is one past the end."""
        key = addr - 1 if return_address else addr
        for start, size, name in self.functions:
            if start <= key < start + max(size, 1):
                return f"{addr:#x} <{demangle(name)}+{addr - start:#x}>"
        return f"{addr:#x}"

    def is_code(self, addr: int) -> bool:
        return any(start <= addr < end for start, end in self.code)


def demangle(name: str) -> str:
    """Readable form of a mangled Rust symbol, via binutils' c++filt (which knows both Rust
    manglings) when it is installed; the hashes are dropped. Other names are unchanged."""
    if not name.startswith(("_ZN", "_R")):
        return name
    try:
        text = subprocess.run(["c++filt"], input=name, capture_output=True, text=True,
                              timeout=10).stdout.strip() or name
    except (OSError, subprocess.SubprocessError):
        return name
    text = re.sub(r"::h[0-9a-f]{16}$", "", text)   # legacy mangling: trailing hash
    return re.sub(r"\[[0-9a-f]+\]", "", text)        # v0 mangling: crate disambiguators


# ---------------------------------------------------------------------------------------------
# The emulated machine
# ---------------------------------------------------------------------------------------------

PAGE = bmem.page_size()
PML4 = 0x0010_0000          # page tables are placed from here by PageMapLevel4Table.commit
STACK_BASE = 0x7FF0_0000    # stack: [STACK_BASE, STACK_BASE + STACK_SIZE), unmapped below
STACK_SIZE = 1 << 20
EXCEPTION_NAMES = {0: "#DE divide error", 6: "#UD invalid opcode (a panic is ud2)",
                   13: "#GP general protection", 14: "#PF page fault",
                   17: "#AC alignment check", 19: "#XM SIMD floating-point exception"}


def flat_segment(selector: int, attr: int) -> "bochscpu.Segment":
    segment = bochscpu.Segment()
    segment.present, segment.selector, segment.attr = True, selector, attr
    segment.base, segment.limit = 0, 0xFFFFFFFF
    return segment


class Guest:
    """The guest image mapped into bochscpu memory, with a way to call its functions."""

    def __init__(self, elf: Elf):
        self.elf = elf
        self.trampoline = elf.symbol("gp_emu_return")  # a `hlt`: where calls return to
        tables = bmem.PageMapLevel4Table()
        self.mapped = set()

        def map_pages(start: int, end: int):
            for va in range(start & ~(PAGE - 1), end, PAGE):
                if va not in self.mapped:
                    bmem.page_insert(va, bmem.allocate_host_page())  # physical == virtual
                    tables.insert(va, va, 1)
                    self.mapped.add(va)

        for vaddr, _, memsz in elf.segments:
            map_pages(vaddr, vaddr + memsz)
        map_pages(STACK_BASE, STACK_BASE + STACK_SIZE)
        for hva, gpa in tables.commit(PML4):  # the page-table pages themselves
            bmem.page_insert(gpa, hva)
        # The table object owns the host pages of the page tables: keep it alive as long as
        # the guest (dropping it frees them, and the next guest access crashes the process).
        self.page_tables = tables

        # One emulator session for all calls (bochscpu has one global CPU: two live sessions
        # corrupt each other). Each call installs a fresh register state.
        self.session = bochscpu.Session()
        self.missing_pages = []

        def on_missing_page(gpa):
            # Only reachable if a page-table entry points at unbacked memory: record it, back
            # it with a fresh page so the emulator stays consistent, and stop.
            self.missing_pages.append(gpa)
            bmem.page_insert(gpa & ~(PAGE - 1), bmem.allocate_host_page())
            self.session.stop()

        self.session.missing_page_handler = on_missing_page
        # Copy the image in; the part of a segment past its file bytes (.bss) is zeroed.
        for vaddr, filebytes, memsz in elf.segments:
            self.write(vaddr, filebytes + bytes(memsz - len(filebytes)))

    def write(self, addr: int, data: bytes):
        if not bmem.virt_write(PML4, addr, list(data)):
            raise HarnessError(f"cannot write guest memory at {addr:#x}")

    def read(self, addr: int, size: int) -> bytes:
        return bytes(bmem.virt_read(PML4, addr, size))

    def call(self, name: str, *args: int, count_instructions=False, timeout=600.0):
        """Runs `name(*args)` (System V ABI, integer arguments) to completion.

        Returns (rax, seconds, instructions or None). Raises HarnessError if the guest stops on
        a CPU exception instead of returning. `count_instructions` installs a per-instruction
        hook, which makes the run about 10x slower.
        """
        session = self.session
        self.missing_pages.clear()
        state = bochscpu.State()
        bochscpu.cpu.set_long_mode(state)  # CR0.PE|PG, CR4.PAE, EFER.LME|LMA
        state.cr4 = state.cr4 | (1 << 9) | (1 << 10) | (1 << 18)  # OSFXSR OSXMMEXCPT OSXSAVE
        state.xcr0 = 0xE7   # x87, SSE, AVX, opmask, ZMM_Hi256, Hi16_ZMM state enabled
        state.mxcsr = 0x1F80
        state.cr3 = PML4
        state.rflags = 0x2
        # Flat ring-0 segments (ring 0 so that `hlt` is allowed). `attr` packs the descriptor's
        # access byte (low 8 bits) and flags (bits 12-15): code 0x209B = present, DPL 0,
        # execute/read, L (64-bit); data 0xC093 = present, DPL 0, read/write, G, D/B.
        state.cs = flat_segment(0x08, 0x209B)
        state.ds = state.es = state.fs = state.gs = state.ss = flat_segment(0x10, 0xC093)
        # Arguments in rdi, rsi, rdx, rcx, r8, r9; the return address (the `hlt` trampoline) on
        # top of the stack, which leaves rsp + 8 16-byte aligned as the ABI wants at entry.
        for reg, value in zip(["rdi", "rsi", "rdx", "rcx", "r8", "r9"], args):
            setattr(state, reg, value & (2**64 - 1))
        rsp = STACK_BASE + STACK_SIZE - 64 - 8
        self.write(rsp, struct.pack("<Q", self.trampoline))
        state.rsp = rsp
        state.rip = self.elf.symbol(name)
        session.cpu.state = state

        outcome = {"hlt": False, "exception": None, "count": 0}
        hook = bochscpu.Hook()

        def on_hlt(sess, _cpu):
            outcome["hlt"] = True
            sess.stop()

        def on_exception(sess, _cpu, vector, error_code):
            outcome["exception"] = (vector, error_code, sess.cpu.rip, sess.cpu.cr2,
                                    sess.cpu.rsp)
            sess.stop()

        hook.hlt = on_hlt
        hook.exception = on_exception
        if count_instructions:
            def on_instruction(_sess, _cpu, _insn):
                outcome["count"] += 1
            hook.after_execution = on_instruction

        # Watchdog: bochscpu's run loop does not return to Python without hooks, so a hung
        # guest is caught by faulthandler's own thread, which prints where we were and exits.
        faulthandler.dump_traceback_later(timeout, exit=True)
        start = time.perf_counter()
        try:
            session.run([hook])
        finally:
            faulthandler.cancel_dump_traceback_later()
        seconds = time.perf_counter() - start

        final = session.cpu.state
        if outcome["exception"] is not None:
            vector, error_code, rip, cr2, rsp = outcome["exception"]
            what = EXCEPTION_NAMES.get(vector, f"vector {vector}")
            extra = f", cr2 {cr2:#x}" if vector == 14 else ""
            raise HarnessError(f"guest exception in {name}{args}: {what}, error code "
                               f"{error_code:#x}{extra}, at {self.elf.describe(rip)}"
                               + self.stack_hints(rsp))
        if self.missing_pages:
            raise HarnessError(f"guest touched unbacked physical memory "
                               f"{self.missing_pages[0]:#x}")
        if not outcome["hlt"] or final.rip != self.trampoline + 1:
            raise HarnessError(f"{name} did not return (stopped at {self.elf.describe(final.rip)})")
        return final.rax, seconds, (outcome["count"] if count_instructions else None)

    def stack_hints(self, rsp: int) -> str:
        """The code addresses among the top stack words: likely return addresses (there are no
        frame pointers to walk, so this is a hint, not a backtrace)."""
        try:
            words = struct.unpack("<64Q", self.read(rsp, 8 * 64))
        except Exception:  # rsp itself may be bad
            return ""
        hits = [self.elf.describe(w, return_address=True) for w in words if self.elf.is_code(w)][:6]
        return "".join(f"\n    called from? {h}" for h in hits)

    def report(self) -> dict:
        return parse_report(self.read(self.elf.symbol("GP_EMU_REPORT"), 8 * len(REPORT_FIELDS)))


# ---------------------------------------------------------------------------------------------
# Printing
# ---------------------------------------------------------------------------------------------

def f32_text(bits: int) -> str:
    value = struct.unpack("<f", struct.pack("<I", bits & 0xFFFFFFFF))[0]
    return f"{bits & 0xFFFFFFFF:#010x} ({value!r})"


def status_text(status: int) -> str:
    return "; ".join(text for bit, text in STATUS_BITS.items() if status & bit) or "ok"


def value_mode_text(mode: int) -> str:
    kinds = [SPECIAL_KIND_NAMES[i] for i in range(5) if (mode >> 24) & (1 << i)]
    text = f"{MODE_NAMES[mode & 0xFF]}, {SIGN_NAMES[(mode >> 8) & 0xFF]}"
    if mode & 0xFF in (0, 3):
        text += f", exponents 2^0 +-{(mode >> 16) & 0xFF}"
    return text + f", special kinds enabled: {'/'.join(kinds)}"


def describe_failure(guest: Guest, seed: int, r: dict, out_dir: Path) -> list:
    """Lines describing the first failed comparison in report `r`, after dumping its input."""
    b, c, s = r["first_batch"], r["first_channels"], r["first_spatial"]
    layout, op, index = r["first_layout"], r["first_op"], r["first_index"]
    lines = [
        f"FIRST MISMATCH: seed {seed:#x}, case {r['first_case']} "
        f"(case seed {r['first_case_seed']:#018x}): {status_text(r['first_kind'])}",
        f"  shape: batch {b}, channels {c}, spatial {s} ({b * c * s} floats, input offset "
        f"{r['first_offset']} floats from a 64-byte boundary)",
        f"  values: {value_mode_text(r['first_value_mode'])}; special values "
        f"{r['first_special_ppm'] / 1e4:g}% of all",
        f"  call: {OP_NAMES[op]} on {LAYOUT_NAMES[layout]} -> avx512 "
        f"{RESULT_NAMES[min(r['first_avx512_result'], 5)]}, scalar "
        f"{RESULT_NAMES[min(r['first_scalar_result'], 5)]}",
    ]
    if r["first_kind"] & (1 << 4):
        lines.append(f"  output[{index}] = (batch {index // c}, channel {index % c}): avx512 "
                     f"{f32_text(r['first_avx512_bits'])}, "
                     f"scalar {f32_text(r['first_scalar_bits'])}")
        lines.append(f"  {r['first_bad_values']} of {b * c} outputs differ")
    if r["first_kind"] & (1 << 6):
        offset = r["first_guard_offset"]
        offset = offset - 2**64 if offset >= 2**63 else offset
        path = {1: "avx512", 2: "scalar"}.get(r["first_guard_path"], "?")
        lines.append(f"  the {path} call wrote output[{offset}], outside output[0..{b * c}] "
                     f"(found {f32_text(r['first_guard_bits'])} there)")

    # Regenerate the case inside the guest and save its input, for offline reproduction.
    guest.call("gp_emu_case", seed, r["first_case"])
    case = guest.report()
    raw = guest.read(case["case_input_addr"], 4 * case["case_input_len"])
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = out_dir / f"mismatch-seed-{seed:x}-case-{r['first_case']}"
    stem.with_suffix(".f32").write_bytes(raw)
    stem.with_suffix(".txt").write_text(
        f"globalpool AVX-512 emulation mismatch\nseed {seed:#x} case {r['first_case']}\n"
        f"shape batch={b} channels={c} spatial={s} layout={LAYOUT_NAMES[layout]} "
        f"op={OP_NAMES[op]}\ninput: {stem.with_suffix('.f32').name}, {b * c * s} little-endian "
        f"f32 values\n" + "\n".join(lines) + "\n")
    lines.append(f"  input saved to {stem.with_suffix('.f32')} (+ .txt)")

    # The values of the channel that differs, or a summary when there are many.
    if r["first_kind"] & (1 << 4):
        floats = struct.unpack(f"<{len(raw) // 4}f", raw)
        words = struct.unpack(f"<{len(raw) // 4}I", raw)
        bi, ci = divmod(index, c)
        if layout == 0:
            picks = range((bi * c + ci) * s, (bi * c + ci + 1) * s)
        else:
            picks = range(bi * s * c + ci, (bi + 1) * s * c, c)
        chan = [floats[i] for i in picks]
        chan_bits = [words[i] for i in picks]
        if len(chan) <= 24:
            lines.append("  that channel's input: " + ", ".join(
                f"{x!r}" if x == x else f"NaN({w:#x})" for x, w in zip(chan, chan_bits)))
        else:
            finite = [x for x in chan if x == x and abs(x) != float("inf")]
            nans = sum(1 for x in chan if x != x)
            infs = sum(1 for x in chan if abs(x) == float("inf"))
            zeros = sum(1 for x in chan if x == 0)
            subn = sum(1 for w in chan_bits if (w & 0x7F800000) == 0 and (w & 0x7FFFFF))
            lines.append(f"  that channel's input: {len(chan)} values, {nans} NaN, {infs} inf, "
                         f"{zeros} zeros, {subn} subnormal"
                         + (f", finite range [{min(finite)!r}, {max(finite)!r}]" if finite else ""))
    lines.append(f"  reproduce: tests/avx512-emu/run.sh --seed {seed:#x} --first {r['first_case']} "
                 f"--cases 1")
    return lines


# ---------------------------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------------------------

def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--elf", type=Path, default=DEFAULT_OUT / "guest.elf",
                    help="guest image (default: %(default)s)")
    ap.add_argument("--seed", action="append", type=lambda x: int(x, 0),
                    help="seed to run (repeatable; default: a fixed seed plus a time-derived "
                         "one; env GP_EMU_SEEDS, comma-separated)")
    ap.add_argument("--cases", type=int,
                    help=f"cases per seed (default {DEFAULT_CASES}; env GP_EMU_CASES)")
    ap.add_argument("--first", type=int, default=0, help="first case index (default 0)")
    ap.add_argument("--chunk", type=int, default=DEFAULT_CHUNK,
                    help="cases per emulator call (default %(default)s)")
    ap.add_argument("--timeout", type=float, default=600.0,
                    help="watchdog per emulator call, seconds (default %(default)s)")
    ap.add_argument("--count-instructions", action="store_true",
                    help="also count executed instructions (each chunk is run a second time "
                         "with a per-instruction hook: about 10x slower)")
    ap.add_argument("--out-dir", type=Path, default=DEFAULT_OUT,
                    help="where failing inputs are saved (default: %(default)s)")
    args = ap.parse_args()

    if args.seed:
        seeds = args.seed
    elif os.environ.get("GP_EMU_SEEDS"):
        seeds = [int(x, 0) for x in os.environ["GP_EMU_SEEDS"].split(",") if x.strip()]
    else:
        seeds = [FIXED_SEED, time.time_ns() & 0xFFFF_FFFF_FFFF]
    cases = args.cases if args.cases is not None else int(os.environ.get("GP_EMU_CASES",
                                                                         DEFAULT_CASES))

    wall = time.perf_counter()
    guest = Guest(Elf(args.elf))
    print(f"avx512-emu: guest {args.elf}, seeds {', '.join(f'{s:#x}' for s in seeds)}, "
          f"{cases} cases each (cases {args.first}..{args.first + cases - 1})", flush=True)

    totals = {"cases": 0, "calls": 0, "values": 0, "inputs": 0, "mismatches": 0,
              "emulated": 0.0, "instructions": 0, "counted_seconds": 0.0}
    failures = []

    def run(name, *call_args):
        rax, seconds, _ = guest.call(name, *call_args, timeout=args.timeout)
        totals["emulated"] += seconds
        if args.count_instructions:
            # Same call again with the counting hook (deterministic: same instruction count).
            _, _, count = guest.call(name, *call_args, count_instructions=True,
                                     timeout=20 * args.timeout)
            totals["instructions"] += count
            totals["counted_seconds"] += seconds
        return rax, guest.report()

    # 1. Detection and the error cases.
    rax, r = run("gp_emu_check_api")
    detected = ISA_NAMES[r["detected_isa"]] if r["detected_isa"] < len(ISA_NAMES) else "?"
    totals["calls"] += r["calls"]
    totals["mismatches"] += r["mismatches"]
    debug = b"".join(r[f"detected_debug{i}"].to_bytes(8, "little") for i in range(8))
    debug = debug.rstrip(b"\0").decode("utf-8", "replace")
    print(f"  api checks: detect() -> {detected} ({debug}); {r['calls']} calls on invalid/empty "
          f"input: {status_text(r['status'])}", flush=True)
    if r["status"] & 1:
        print("FAIL: the AVX-512 path is not available inside the emulator", file=sys.stderr)
        return 1
    if r["error_check_failed"]:
        i = r["error_check_failed"] - 1
        failures.append([f"ERROR CASE {i + 1} ({ERROR_CHECK_NAMES[i]}): "
                         f"{status_text(r['status'])}; "
                         f"avx512 {RESULT_NAMES[min(r['first_avx512_result'], 5)]}, scalar "
                         f"{RESULT_NAMES[min(r['first_scalar_result'], 5)]}"])
    elif r["status"]:
        failures.append([f"API CHECK FAILED: {status_text(r['status'])}"])

    # 2. Random cases, in chunks (progress, and a watchdog per chunk).
    for seed in seeds:
        done, seed_mismatches, seed_start = 0, 0, time.perf_counter()
        described = False  # the first mismatch of each seed is described (up to 3 seeds)
        while done < cases:
            n = min(args.chunk, cases - done)
            try:
                rax, r = run("gp_emu_run_cases", seed, args.first + done, n)
            except HarnessError as e:
                # The report counts the cases completed so far: name the one that crashed.
                crashed = args.first + done + guest.report()["cases_run"]
                raise HarnessError(f"{e}\n  while running case {crashed} of seed {seed:#x}; "
                                   f"reproduce: tests/avx512-emu/run.sh --seed {seed:#x} "
                                   f"--first {crashed} --cases 1") from None
            if r["cases_run"] != n:
                raise HarnessError(f"guest ran {r['cases_run']} cases instead of {n}")
            done += n
            for key, field in [("cases", "cases_run"), ("calls", "calls"),
                               ("values", "values_compared"), ("inputs", "input_values"),
                               ("mismatches", "mismatches")]:
                totals[key] += r[field]
            seed_mismatches += r["mismatches"]
            if r["first_kind"] and not described and len(failures) < 3:
                failures.append(describe_failure(guest, seed, r, args.out_dir))
                described = True
            print(f"  seed {seed:#x}: {done}/{cases} cases, {seed_mismatches} mismatches, "
                  f"{time.perf_counter() - seed_start:.1f} s", flush=True)

    # 3. Summary.
    wall = time.perf_counter() - wall
    print(f"avx512-emu: {totals['cases']} random cases over {len(seeds)} seed(s), "
          f"{totals['calls']} pooling calls, {totals['inputs'] / 1e6:.1f} M input values, "
          f"{totals['values']} outputs compared bit for bit; "
          f"{totals['emulated']:.1f} s in the emulator, {wall:.1f} s in all")
    if args.count_instructions and totals["counted_seconds"]:
        n = totals["instructions"]
        print(f"avx512-emu: {n / 1e6:.1f} M guest instructions, "
              f"{n / totals['counted_seconds'] / 1e6:.1f} M instructions/s without hooks")
    for lines in failures:
        print("\n".join(lines), file=sys.stderr)
    if totals["mismatches"]:
        print(f"FAIL: {totals['mismatches']} mismatch(es) between Isa::Avx512 and Isa::Scalar",
              file=sys.stderr)
        return 1
    print("PASS: Isa::Avx512 matches Isa::Scalar bit for bit")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except HarnessError as e:
        print(f"ERROR: {e}", file=sys.stderr)
        sys.exit(2)
