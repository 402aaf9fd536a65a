#!/usr/bin/env python3
"""Executed-instruction counts of the aarch64 kernels under qemu-aarch64 (no Arm hardware needed).

Builds `examples/icount.rs` for aarch64-unknown-linux-gnu (release), runs it under qemu-aarch64
with execution logging restricted to the kernel code, and prints a Markdown table of executed
instructions per input element for the NEON and the scalar path, per case, layout and op, with
the NEON targets of issue 3 (sum and max: <= 0.5 on 1x64x112x112, <= 0.8 on 1x1280x7x7).

How it counts. Debian's qemu-aarch64 has no TCG plugins, so the count comes from its logging:
`-d in_asm,exec,nochain -dfilter RANGES`. `in_asm` prints every translated block (TB) with its
instructions, `exec` + `nochain` one "Trace" line per executed TB; instructions executed = sum
over Trace lines of the size of the TB at that PC. RANGES are the kernel functions (every
function symbol `globalpool::kernels::*`), everything they call directly (found by disassembling
them, transitively), and the libc string functions they call through the static binary's IFUNC
PLT (every implementation of them, e.g. all `__memcpy_*` and `__memset_*`, whichever qemu's CPU
gets): those libc instructions are counted, and also shown apart. Cold panic paths are not
followed (they never run); indirect branches are the kernels' own jump tables, the PLT stubs
and `Kernels::run_f32`'s call of the kernel (`--ranges` lists it all). Each count is
differential: the op is run `A` and `B` times (default 1 and 3) and the figure per call is
`(count_B - count_A) / (B - A)`; the "setup" left (`count_A` minus `A` per-call figures) is the
example's own use of memset / memcpy, none in kernel code. qemu runs with host address
randomization off (`setarch -R`): the scalar sum's vectorized loop has an address-dependent
alias check (one instruction per row), the only run-to-run variation seen. The log (GBs for the
scalar path) is streamed from qemu through a pipe and parsed on the fly: nothing is written to
disk.

The unfiltered check (on by default, `--no-verify` skips it; seconds) re-runs small shapes with
nothing filtered and lists every function outside the ranges that still executes per call (it
should only be the public API's argument checks and the example's loop), so no kernel code is
missed. `--disasm` prints the hottest TBs of one case (executions per call, size, qemu's
disassembly). The scalar path dominates the run time (3-5 minutes on 2 cores); `--isas neon`
alone takes seconds.

Usage (from anywhere in the repository; needs qemu-aarch64, an aarch64 binutils or LLVM
nm/objdump/readelf, and the cross linker of .cargo/config.toml):

    python3 benches/arm_icount.py                      # the table (a few minutes)
    python3 benches/arm_icount.py --ops avg,max,sum    # sum on every case (default: avg, max,
                                                       # and sum where a target applies)
    python3 benches/arm_icount.py --cases 1x64x12544,1x1280x49 --isas neon,scalar,portable
    python3 benches/arm_icount.py --disasm neon,nchw,sum,1x64x12544 --disasm neon,nhwc,max,1x1280x49
                                                       # hottest TBs of one case (repeatable)
    python3 benches/arm_icount.py --no-build --no-verify --calls 1,2 --jobs 2 --progress --ranges
"""
import argparse
import bisect
import collections
import fcntl
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed

TARGET = "aarch64-unknown-linux-gnu"
# (batch, channels, spatial) and a label.
CASES = [
    ((1, 64, 112 * 112), "1x64x112x112"),
    ((1, 1280, 7 * 7), "1x1280x7x7"),
    ((1, 2048, 49), "1x2048x7x7"),
    ((1, 512, 196), "1x512x14x14"),
    ((1, 3, 224 * 224), "1x3x224x224"),
    ((32, 768, 128), "32x768x128 tok"),
]
# NEON instructions per element that must not be exceeded (issue 3), per shape and op.
TARGETS = {
    ((1, 64, 112 * 112), "sum"): 0.5,
    ((1, 64, 112 * 112), "max"): 0.5,
    ((1, 1280, 49), "sum"): 0.8,
    ((1, 1280, 49), "max"): 0.8,
}
# Callees not followed: failure paths that never run in a successful call.
COLD = re.compile(r"panic|_failed|slice_(start_|end_)?index|index_order_fail|core::fmt|"
                  r"core::result::unwrap|core::option::(unwrap|expect)")
# Small shapes for --verify: partial vectors, the NHWC flat path, several images.
VERIFY_SHAPES = [(2, 13, 37), (1, 3, 37), (1, 9, 50)]

# Host address randomization off: qemu-user places the guest's heap and stack where the host's
# mmap puts them, and the scalar sum's (LLVM-vectorized) loop compares the input's address with
# a stack array's (an alias check), one instruction per row either way.
NO_ASLR = ["setarch", platform.machine(), "-R"] if shutil.which("setarch") else []

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def tool(*names):
    for n in names:
        if shutil.which(n):
            return n
    sys.exit("none of %s found" % ", ".join(names))


def build():
    cmd = ["cargo", "build", "--release", "--example", "icount", "--target", TARGET,
           "--message-format=json-render-diagnostics"]
    out = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.PIPE, check=True, text=True).stdout
    for line in out.splitlines():
        msg = json.loads(line)
        if msg.get("reason") == "compiler-artifact" and msg["target"]["name"] == "icount" \
                and msg.get("executable"):
            return msg["executable"]
    sys.exit("cargo did not report the icount executable")


class Binary:
    """Function symbols of the static binary and the code reachable from the kernels."""

    def __init__(self, path):
        self.path = path
        nm = tool("aarch64-linux-gnu-nm", "llvm-nm")
        objdump = tool("aarch64-linux-gnu-objdump", "llvm-objdump")
        readelf = tool("aarch64-linux-gnu-readelf", "llvm-readelf")
        funcs, ifuncs = {}, collections.defaultdict(list)
        out = subprocess.run([nm, "-S", "--defined-only", "--demangle", path],
                             stdout=subprocess.PIPE, check=True, text=True).stdout
        for line in out.splitlines():
            parts = line.split(None, 3)
            if len(parts) != 4:
                continue
            addr, size, kind, name = int(parts[0], 16), int(parts[1], 16), parts[2], parts[3]
            if kind in "iI":
                ifuncs[addr].append(name)
            elif kind in "tTwW" and size > 0:
                # Keep one name per address (aliases), preferring the shortest.
                if addr not in funcs or len(name) < len(funcs[addr][1]):
                    funcs[addr] = (size, name)
        self.starts = sorted(funcs)
        self.funcs = funcs
        self.ifuncs = ifuncs
        # Sections (for the PLT) and the IFUNC relocations of .rela.plt (GOT slot -> resolver).
        out = subprocess.run([readelf, "-SW", path], stdout=subprocess.PIPE, check=True,
                             text=True).stdout
        self.plt = None
        for m in re.finditer(r"\]\s+\.plt\s+\S+\s+([0-9a-f]+)\s+[0-9a-f]+\s+([0-9a-f]+)", out):
            self.plt = (int(m.group(1), 16), int(m.group(2), 16))
        out = subprocess.run([readelf, "-rW", path], stdout=subprocess.PIPE, check=True,
                             text=True).stdout
        irel = {}
        for m in re.finditer(r"^([0-9a-f]+)\s+[0-9a-f]+\s+R_AARCH64_IRELATIVE\s+([0-9a-f]+)",
                             out, re.M):
            irel[int(m.group(1), 16)] = int(m.group(2), 16)
        # Whole-binary disassembly, one (address, text) per instruction.
        out = subprocess.run([objdump, "-d", "--no-show-raw-insn", path],
                             stdout=subprocess.PIPE, check=True, text=True).stdout
        self.insns = {}
        for m in re.finditer(r"^\s*([0-9a-f]+):\s+(\S[^\n]*)$", out, re.M):
            self.insns[int(m.group(1), 16)] = m.group(2)
        # PLT slots: adrp x16, PAGE ; ldr x17, [x16, #OFF] -> GOT slot -> IFUNC resolver.
        self.plt_targets = {}
        if self.plt:
            for slot in range(self.plt[0], self.plt[0] + self.plt[1], 16):
                a, b = self.insns.get(slot, ""), self.insns.get(slot + 4, "")
                ma = re.search(r"adrp\s+x16,\s*(?:0x)?([0-9a-f]+)", a)
                mb = re.search(r"ldr\s+x17,\s*\[x16(?:,\s*#(0x[0-9a-f]+|\d+))?\]", b)
                if ma and mb:
                    got = int(ma.group(1), 16) + int(mb.group(1) or "0", 0)
                    names = self.ifuncs.get(irel.get(got, -1), [])
                    base = min((n.replace("__libc_", "").lstrip("_") for n in names),
                               key=len, default=None)
                    self.plt_targets[slot] = base
        self.closure()
        del self.insns  # only needed above; keeps the object small for the worker processes

    def func_at(self, addr):
        i = bisect.bisect_right(self.starts, addr) - 1
        if i >= 0:
            start = self.starts[i]
            size, name = self.funcs[start]
            if addr < start + size:
                return start, name
        return None, None

    def closure(self):
        """The kernel functions and everything they branch to, transitively."""
        todo = [a for a in self.starts if self.funcs[a][1].startswith("globalpool::kernels::")]
        self.included, self.cold, self.indirect, self.libc = set(todo), set(), set(), set()
        self.plt_used = set()
        branch = re.compile(r"^(?:bl?|b\.\w+|cbn?z|tbn?z)\s+(?:[wx]\d+,\s*)?(?:#\w+,\s*)?"
                            r"(?:0x)?([0-9a-f]+)\s*(?:<|$)")
        while todo:
            start = todo.pop()
            size, name = self.funcs[start]
            for addr in range(start, start + size, 4):
                text = self.insns.get(addr)
                if text is None:
                    continue
                if re.match(r"^(br|blr|braa|blraa)\b", text):
                    self.indirect.add(name)
                m = branch.match(text)
                if not m:
                    continue
                target = int(m.group(1), 16)
                if start <= target < start + size:
                    continue
                callees = []
                if self.plt and self.plt[0] <= target < self.plt[0] + self.plt[1]:
                    slot = target - (target - self.plt[0]) % 16
                    base = self.plt_targets.get(slot)
                    self.plt_used.add(base)
                    if base is None:
                        sys.exit("unresolved PLT slot %x called from %s" % (slot, name))
                    callees = [a for a in self.starts
                               if self.funcs[a][1].startswith("__%s_" % base)
                               and not self.funcs[a][1].endswith("_ifunc")]
                else:
                    callee, cname = self.func_at(target)
                    if callee is None:
                        sys.exit("branch from %s to %x outside any function" % (name, target))
                    if COLD.search(cname):
                        self.cold.add(cname)
                        continue
                    callees = [callee]
                for c in callees:
                    if c not in self.included:
                        self.included.add(c)
                        todo.append(c)
        for a in self.included:
            if not self.funcs[a][1].startswith("globalpool::"):
                self.libc.add(a)
        ranges = sorted((a, a + self.funcs[a][0]) for a in self.included)
        if self.plt_used:
            ranges.append((self.plt[0], self.plt[0] + self.plt[1]))
            ranges.sort()
        merged = []
        for s, e in ranges:
            if merged and s <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], e)
            else:
                merged.append([s, e])
        self.ranges = merged
        self.dfilter = ",".join("0x%x+0x%x" % (s, e - s) for s, e in merged)

    def counted(self, pc):
        i = bisect.bisect_right(self.ranges, [pc, float("inf")]) - 1
        return i >= 0 and self.ranges[i][0] <= pc < self.ranges[i][1]

    def is_libc(self, pc):
        if self.plt and self.plt[0] <= pc < self.plt[0] + self.plt[1]:
            return True
        start, _ = self.func_at(pc)
        return start in self.libc


TRACE = re.compile(rb"Trace \d+: \S+ \[[0-9a-f]+/([0-9a-f]+)/")
TB_LISTING = re.compile(rb"^IN:[^\n]*\n((?:0x[0-9a-f]+:[^\n]*\n)+)", re.M)


def run_qemu(binary, args, dfilter, keep_text):
    """Runs the example under qemu with TB logging streamed through a pipe. Returns
    ({pc: executions}, {pc: instructions}, {pc: disassembly or None})."""
    rfd, wfd = os.pipe()
    try:
        # qemu's log is line-buffered (one write per line): a big pipe, read in big gulps with
        # naps in between, lets it write without waking the reader every line.
        fcntl.fcntl(wfd, getattr(fcntl, "F_SETPIPE_SZ", 1031), 1 << 20)
    except OSError:
        pass
    cmd = NO_ASLR + ["qemu-aarch64", "-d", "in_asm,exec,nochain", "-D", "/dev/fd/%d" % wfd]
    if dfilter:
        cmd += ["-dfilter", dfilter]
    cmd += [binary] + [str(a) for a in args]
    proc = subprocess.Popen(cmd, pass_fds=(wfd,), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    os.close(wfd)
    lines, sizes, texts = collections.Counter(), {}, {}

    def consume(data):
        # Trace lines of one TB are identical: count whole lines (fast), decode them at the end.
        lines.update(data.split(b"\n"))
        if b"IN:" not in data:
            return
        for m in TB_LISTING.finditer(data):
            listing = m.group(1).decode().splitlines()
            pc = int(listing[0].split(":")[0], 16)
            if pc in sizes and sizes[pc] != len(listing):
                sys.exit("TB at %x translated twice with different sizes" % pc)
            sizes[pc] = len(listing)
            if keep_text:
                texts[pc] = [re.sub(r"^(0x[0-9a-f]+):\s+[0-9a-f]+\s+", r"\1  ", ln)
                             for ln in listing]

    rest = b""
    with os.fdopen(rfd, "rb", buffering=0) as log:
        while True:
            chunk = log.read(1 << 20)
            if not chunk:
                break
            if len(chunk) < 1 << 19:
                time.sleep(0.005)
            # Cut before the last Trace line: every TB listing before it is complete.
            data = rest + chunk
            cut = data.rfind(b"\nTrace ") + 1
            consume(data[:cut])
            rest = data[cut:]
    consume(rest)
    out, err = proc.communicate()
    if proc.returncode != 0:
        sys.exit("%s failed: %s" % (" ".join(cmd), err.decode()))
    counts = collections.Counter()
    for line, n in lines.items():
        m = TRACE.match(line)
        if m:
            counts[int(m.group(1), 16)] += n
    missing = [pc for pc in counts if pc not in sizes]
    if missing:
        sys.exit("executed TBs never listed: %s" % missing[:5])
    return counts, sizes, texts


class Measure:
    """One case on one path: counts with A and B calls, and the per-call differences."""

    def __init__(self, binary, isa, layout, op, shape, calls, dfilter, keep_text=False):
        self.elements = shape[0] * shape[1] * shape[2]
        (a, b) = calls
        base = [isa, layout, op, shape[0], shape[1], shape[2]]
        ca, sa, _ = run_qemu(binary.path, base + [a], dfilter, False)
        cb, sb, tb = run_qemu(binary.path, base + [b], dfilter, keep_text)
        sizes = {**sa, **sb}
        self.sizes, self.texts = sizes, tb
        tot_a = sum(n * sizes[pc] for pc, n in ca.items())
        tot_b = sum(n * sizes[pc] for pc, n in cb.items())
        self.per_call = (tot_b - tot_a) / (b - a)
        self.setup = tot_a - a * self.per_call
        # The part of it outside libc (libc's memset / memcpy also serve the example's setup).
        kern_a = sum(n * sizes[pc] for pc, n in ca.items() if not binary.is_libc(pc))
        kern_b = sum(n * sizes[pc] for pc, n in cb.items() if not binary.is_libc(pc))
        self.kernel_setup = kern_a - a * (kern_b - kern_a) / (b - a)
        # Executions per call of each TB, and the libc share.
        self.tb_calls = {pc: (cb[pc] - ca.get(pc, 0)) / (b - a) for pc in cb}
        self.libc = sum(n * sizes[pc] for pc, n in self.tb_calls.items()
                        if binary.is_libc(pc))
        self.per_elem = self.per_call / self.elements


def fmt(x, digits=3):
    return ("%.*f" % (digits, x)) if x is not None else "-"


def table(binary, args):
    cases = [(s, label) for s, label in CASES
             if not args.cases or "x".join(map(str, s)) in args.cases]
    ops = args.ops
    keys = []
    for shape, label in cases:
        for layout in ("nchw", "nhwc"):
            for op in ["avg", "max", "sum", "min"]:
                if op not in ops and not (op == "sum" and (shape, "sum") in TARGETS):
                    continue
                for isa in args.isas:
                    keys.append((shape, label, layout, op, isa))
    results = {}
    t0 = time.time()
    # Largest first, so the pool ends evenly.
    order = sorted(keys, key=lambda k: -(k[0][0] * k[0][1] * k[0][2] * (k[4] != "neon" and 8 or 1)))
    # Processes, not threads: each parser must keep up with its qemu.
    with ProcessPoolExecutor(args.jobs) as pool:
        futures = {pool.submit(Measure, binary, k[4], k[2], k[3], k[0], args.calls,
                               binary.dfilter): k for k in order}
        for f in as_completed(futures):
            key, m = futures[f], f.result()
            results[key] = m
            if args.progress:
                shape, _, layout, op, isa = key
                print("  %-6s %s %s %-14s %8.3f instr/elem  (%.0f s)" % (
                    isa, layout, op, "x".join(map(str, shape)), m.per_elem, time.time() - t0),
                    file=sys.stderr)

    isas = args.isas
    ref = "scalar" if "scalar" in isas else None
    head = ["case (N,C,HW)", "layout", "op"]
    head += ["%s instr/elem" % i for i in isas]
    if ref:
        head += ["%s/%s" % (ref, i) for i in isas if i != ref]
    head += ["%s instr/call" % i for i in isas]
    if "neon" in isas:
        head += ["neon libc instr/elem", "neon target", "met"]
    print("| " + " | ".join(head) + " |")
    print("|" + "|".join("---" for _ in head) + "|")
    missed, setups = [], []
    for shape, label in cases:
        for layout in ("nchw", "nhwc"):
            for op in ("avg", "max", "sum", "min"):
                ms = {i: results.get((shape, label, layout, op, i)) for i in isas}
                if not all(ms.values()):
                    continue
                setups += [(m.setup, m.kernel_setup) for m in ms.values()]
                row = ["%s (%s)" % (label, ",".join(map(str, shape))), layout.upper(), op]
                row += [fmt(ms[i].per_elem) for i in isas]
                if ref:
                    row += [fmt(ms[ref].per_elem / ms[i].per_elem, 1) + "x"
                            for i in isas if i != ref]
                row += ["%d" % round(ms[i].per_call) for i in isas]
                if "neon" in isas:
                    n = ms["neon"]
                    target = TARGETS.get((shape, op))
                    row.append(fmt(n.libc / n.elements))
                    row.append("<= %.1f" % target if target else "")
                    if target:
                        ok = n.per_elem <= target
                        row.append("yes" if ok else "**NO**")
                        if not ok:
                            missed.append("%s %s %s" % (label, layout, op))
                    else:
                        row.append("")
                print("| " + " | ".join(row) + " |")
    print()
    setup = sorted({s for s, _ in setups})
    print("Counted: the kernel functions, their direct callees and the libc functions they call "
          "(memcpy, memset; column 'libc'). Per call = (count with %d calls - count with %d) / "
          "%d. Setup (count with %d minus %d x per call): %s in libc (the example's own "
          "memset / memcpy), %s in kernel code."
          % (args.calls[1], args.calls[0], args.calls[1] - args.calls[0], args.calls[0],
             args.calls[0], "%g..%g instructions" % (setup[0], setup[-1]) if setup else "-",
             "none" if all(abs(k) < 0.5 for _, k in setups)
             else "up to %g instructions (address-dependent branches: see NO_ASLR)"
             % max(abs(k) for _, k in setups)))
    if "neon" in isas:
        print("NEON targets missed: %s" % (", ".join(missed) if missed else "none"))
    print("(%.0f s)" % (time.time() - t0), file=sys.stderr)


def disasm(binary, spec, args):
    isa, layout, op, dims = spec.split(",")
    shape = tuple(int(x) for x in dims.split("x"))
    m = Measure(binary, isa, layout, op, shape, args.calls, binary.dfilter, keep_text=True)
    print("### %s %s %s %s: %.3f instr/elem, %d instr/call (%d in libc)\n" % (
        isa, layout.upper(), op, "x".join(map(str, shape)), m.per_elem, m.per_call, m.libc))
    hot = sorted(m.tb_calls.items(), key=lambda kv: -kv[1] * m.sizes[kv[0]])[:args.top]
    print("```")
    for pc, n in hot:
        _, name = binary.func_at(pc)
        share = 100.0 * n * m.sizes[pc] / m.per_call if m.per_call else 0
        print("TB 0x%x in %s: %g executions/call x %d instructions = %.1f%% of the call"
              % (pc, name, n, m.sizes[pc], share))
        for line in m.texts.get(pc, ["(listing not captured)"]):
            print("    " + line)
        print()
    print("```")


def verify(binary, args):
    """Unfiltered runs of small shapes: per-call instructions outside the counted ranges."""
    keys = [(isa, layout, op, shape) for shape in VERIFY_SHAPES for isa in args.isas
            for layout in ("nchw", "nhwc") for op in ("avg", "max")]
    with ProcessPoolExecutor(args.jobs) as pool:
        measures = list(pool.map(Measure, *zip(*[(binary,) + k + (args.calls, None)
                                                 for k in keys])))
    outside, inside = collections.Counter(), 0
    for m in measures:
        for pc, n in m.tb_calls.items():
            if binary.counted(pc):
                inside += n * m.sizes[pc]
            elif n:
                _, name = binary.func_at(pc)
                outside[name or "0x%x" % pc] += n * m.sizes[pc]
    print("verify: %d unfiltered runs (isas %s, avg and max, shapes %s). Per call, summed over "
          "the runs: %d instructions inside the counted ranges; outside them:"
          % (len(keys), ",".join(args.isas), VERIFY_SHAPES, round(inside)))
    bad = []
    for name, n in outside.most_common():
        print("  %8.0f  %s" % (n, name))
        if re.search(r"globalpool::kernels|mem(cpy|set|move)", name):
            bad.append(name)
    if bad:
        sys.exit("kernel code outside the ranges: %s" % bad)
    print()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--no-build", action="store_true", help="use the existing binary")
    ap.add_argument("--isas", default="neon,scalar", help="paths (default neon,scalar)")
    ap.add_argument("--ops", default="avg,max",
                    help="ops for every case (default avg,max; sum is added where a target "
                         "applies)")
    ap.add_argument("--cases", default="", help="only these NxCxS shapes, comma-separated")
    ap.add_argument("--calls", default="1,3", help="the two call counts (default 1,3)")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--disasm", action="append", default=[],
                    metavar="ISA,LAYOUT,OP,NxCxS", help="print the hottest TBs of this case")
    ap.add_argument("--top", type=int, default=4, help="TBs shown by --disasm (default 4)")
    ap.add_argument("--no-verify", action="store_true", help="skip the unfiltered check")
    ap.add_argument("--progress", action="store_true", help="report each case on stderr")
    ap.add_argument("--ranges", action="store_true", help="print the counted functions")
    args = ap.parse_args()
    args.isas = args.isas.split(",")
    args.ops = args.ops.split(",")
    args.cases = [c for c in args.cases.split(",") if c]
    args.calls = tuple(int(c) for c in args.calls.split(","))
    if len(args.calls) != 2 or args.calls[1] <= args.calls[0]:
        sys.exit("--calls A,B with B > A")

    path = os.path.join(ROOT, "target", TARGET, "release", "examples", "icount") \
        if args.no_build else build()
    binary = Binary(path)
    if args.ranges:
        for a in sorted(binary.included):
            print("  0x%x +0x%-6x %s" % (a, binary.funcs[a][0], binary.funcs[a][1]))
        print("  PLT slots used: %s; not followed (cold): %s; indirect branches in: %s" % (
            sorted(binary.plt_used), sorted(binary.cold), sorted(binary.indirect)))
    if args.disasm:
        for spec in args.disasm:
            disasm(binary, spec, args)
        return
    if not args.no_verify:
        verify(binary, args)
    table(binary, args)


if __name__ == "__main__":
    main()
