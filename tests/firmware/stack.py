#!/usr/bin/env python3
"""Worst-case stack use of entry points in a linked Thumb (Armv6-M / Armv7-M) ELF.

Usage:
  stack.py --elf probe.elf --objdump llvm-objdump [--readobj llvm-readobj --stack-sizes lib.a]
           [--exclude NAME ...] --entry NAME [--entry NAME ...] [--limit BYTES] [--json OUT]

Method (static, conservative):
  * Functions: every symbol label in `llvm-objdump -d` of the linked ELF. Code that runs off the
    end of one label into the next counts as a call of the next (not after a final `bl`, which
    can only call a function that does not return, such as a panic).
  * Frame of a function: from LLVM's `.stack_sizes` section (rustc -Z emit-stack-sizes, read with
    `llvm-readobj --stack-sizes` from the objects) when the function has an entry; always also
    from its instructions: the sum of every stack-pointer decrement in its body (push, vpush,
    stmdb sp!, sub sp, str ... [sp, #-n]!). The sum is an upper bound (a function with two
    prologue paths counts both). Where both exist the larger is used, and an instruction-derived
    frame smaller than the `.stack_sizes` one is an error (the decoder missed something).
    Any other write to sp (other than restoring it) is an error.
  * Calls: `bl`/`blx` to an address (direct), and branches (`b`, `b.w`, `bcc`, `cbz`, ...)
    whose target lies outside the function (tail calls). A tail call is counted as if the caller's
    whole frame were still allocated (an over-estimate of at most one frame).
  * Indirect calls (`blx rN`, `bx rN` other than `bx lr`): resolved to every address-taken function
    of the image: a function whose address (with the Thumb bit) appears as an aligned word in an
    allocated section (data tables, literal pools) or is built with a movw/movt pair. Functions
    named with --exclude (e.g. the probe's own reset handler in the vector table) are not
    candidates. If an indirect call exists and there is no candidate, that is an error.
  * use(f) = frame(f) + max(use(callee)) over all its calls; recursion (a cycle) is an error.
  * Other indirect jumps (`mov pc, rN`, `ldr pc, [...]` other than a pop, `tbb`/`tbh`) are taken to
    be jump tables inside the function.

Exit status: 0 if every entry point is within --limit (or no limit), 1 if one is over it, 2 on an
analysis error (recursion, unresolved indirect call, undecodable stack adjustment, ...).
"""

import argparse
import json
import re
import struct
import subprocess
import sys

COND = r"(?:eq|ne|cs|hs|cc|lo|mi|pl|vs|vc|hi|ls|ge|lt|gt|le|al)?"
RE_HEADER = re.compile(r"^([0-9a-f]+) <(.+)>:$")
RE_INSN = re.compile(r"^\s*([0-9a-f]+):\s")
RE_BRANCH = re.compile(r"^b" + COND + r"(?:\.w|\.n)?$")
RE_CALL = re.compile(r"^blx?" + COND + r"(?:\.w|\.n)?$")
RE_CB = re.compile(r"^cbn?z$")
RE_TARGET = re.compile(r"^(?:r\d+,\s*)?(?:0x)?([0-9a-f]+)(?:\s|$)")
REG = {**{f"r{i}": i for i in range(16)}, "sb": 9, "sl": 10, "fp": 11, "ip": 12, "sp": 13,
       "lr": 14, "pc": 15}


class AnalysisError(Exception):
    pass


def run(cmd):
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout


def parse_imm(s):
    s = s.strip().lstrip("#").strip()
    return int(s, 0)


def reglist(ops):
    """Registers of a `{...}` list; returns (number of core regs, bytes of FP regs)."""
    m = re.search(r"\{([^}]*)\}", ops)
    if not m:
        raise AnalysisError(f"no register list in {ops!r}")
    core, fp_bytes = 0, 0
    for part in m.group(1).split(","):
        part = part.strip()
        if not part:
            continue
        lo, _, hi = part.partition("-")
        lo, hi = lo.strip(), (hi.strip() or lo.strip())
        if lo[0] in "ds":
            n = int(hi[1:]) - int(lo[1:]) + 1
            fp_bytes += n * (8 if lo[0] == "d" else 4)
        else:
            a, b = REG[lo], REG[hi]
            core += b - a + 1
    return core, fp_bytes


def read_elf_words(path):
    """Aligned 32-bit little-endian words of every allocated PROGBITS section: {address: word}."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:4] != b"\x7fELF" or data[4] != 1 or data[5] != 1:
        raise AnalysisError(f"{path}: not a 32-bit little-endian ELF")
    e_shoff, = struct.unpack_from("<I", data, 0x20)
    e_shentsize, e_shnum = struct.unpack_from("<HH", data, 0x2E)
    words = {}
    for i in range(e_shnum):
        (_name, sh_type, sh_flags, sh_addr, sh_offset, sh_size, *_rest) = struct.unpack_from(
            "<IIIIIIIIII", data, e_shoff + i * e_shentsize)
        if sh_type != 1 or not sh_flags & 0x2:  # SHT_PROGBITS, SHF_ALLOC
            continue
        start = (4 - sh_addr % 4) % 4
        for off in range(start, sh_size - 3, 4):
            words[sh_addr + off] = struct.unpack_from("<I", data, sh_offset + off)[0]
    return words


class Func:
    def __init__(self, name, addr):
        self.name = name
        self.addr = addr
        self.end = addr
        self.insns = []  # (addr, mnemonic, operands)
        self.frame_insn = 0
        self.frame_ss = None
        self.calls = set()      # direct callees (addresses of function starts)
        self.indirect = False
        self.falls_through = False

    @property
    def frame(self):
        return max(self.frame_insn, self.frame_ss or 0)


def disassemble(objdump, elf):
    funcs = []
    cur = None
    for line in run([objdump, "-d", "--no-show-raw-insn", elf]).splitlines():
        m = RE_HEADER.match(line)
        if m:
            cur = Func(m.group(2), int(m.group(1), 16))
            funcs.append(cur)
            continue
        if cur is None or not RE_INSN.match(line):
            continue
        fields = line.split("\t")
        addr = int(line.split(":")[0], 16)
        mnem = fields[1].strip() if len(fields) > 1 else ""
        ops = fields[2].strip() if len(fields) > 2 else ""
        ops = ops.split("@")[0].strip()  # drop "@ imm = #..." comments
        cur.insns.append((addr, mnem, ops))
    for i, f in enumerate(funcs):
        f.end = funcs[i + 1].addr if i + 1 < len(funcs) else (f.insns[-1][0] + 4 if f.insns else f.addr)
    return funcs


def sp_decrement(mnem, ops, regs):
    """Bytes by which one instruction lowers sp (0 if none). Raises on unknown writes to sp."""
    base = re.sub(r"(\.w|\.n)$", "", mnem)
    base_nocond = re.sub(COND + "$", "", base) if base not in ("push", "vpush") else base
    if base in ("push",) or (base in ("stmdb", "stmfd") and ops.startswith("sp!")):
        core, fp = reglist(ops)
        return core * 4 + fp
    if base in ("vpush",) or (base in ("vstmdb",) and ops.startswith("sp!")):
        core, fp = reglist(ops)
        return core * 4 + fp
    if base_nocond in ("str", "strd", "vstr") and re.search(r"\[sp, #-(\w+)\]!", ops):
        return int(re.search(r"\[sp, #-(\w+)\]!", ops).group(1), 0)
    dst = ops.split(",")[0].strip()
    if dst != "sp" and dst != "sp!":
        return 0
    if re.match(r"^(cmp|cmn|tst|teq|v?st)", base):
        if dst == "sp!":
            raise AnalysisError(f"store with sp writeback: {mnem} {ops}")
        return 0  # reads sp (stm sp, {..}: a store to the frame, no writeback)
    # Instructions that write sp.
    args = [a.strip() for a in ops.split(",")]
    if base_nocond in ("sub", "subw", "subs"):
        src = args[-1]
        if src.startswith("#"):
            return parse_imm(src)
        if src in regs and regs[src] is not None:
            return regs[src]
        raise AnalysisError(f"sp lowered by an unknown register value: {mnem} {ops}")
    if base_nocond in ("add", "addw", "adds"):
        src = args[-1]
        if src.startswith("#"):
            v = parse_imm(src)
            return -v if v < 0 else 0
        return 0  # add sp, rN: epilogue after a large frame
    if base_nocond == "mov":
        return 0  # mov sp, rN: restore from the frame pointer
    if base_nocond in ("pop", "ldm", "ldr"):
        return 0
    raise AnalysisError(f"unknown write to sp: {mnem} {ops}")


def is_terminal(mnem, ops):
    """True for an instruction after which control never reaches the next one."""
    b = re.sub(r"(\.w|\.n)$", "", mnem)
    return (b in ("b", "bx", "udf", "bkpt")
            or (b in ("pop", "ldm", "ldmia") and "pc" in ops)
            or (b == "ldr" and ops.startswith("pc"))
            or (b == "mov" and ops.startswith("pc")))


def analyse(funcs, words, stack_sizes, exclude):
    # Several labels can share an address (aliases such as __aeabi_memcpy4 / __aeabi_memcpy8):
    # objdump prints the empty ones first, so the last label at an address holds the code.
    by_addr = {}
    for f in funcs:
        by_addr[f.addr] = f
    errors = []

    def containing(addr):
        best = None
        for f in funcs:  # funcs are in address order
            if f.addr <= addr:
                best = by_addr[f.addr]
            else:
                break
        return best

    # Address-taken functions: data words, and movw/movt pairs in code.
    taken = set()
    for w in words.values():
        if w & 1 and (w & ~1) in by_addr:
            taken.add(w & ~1)
    for f in funcs:
        regs = {}
        for addr, mnem, ops in f.insns:
            base = re.sub(r"(\.w|\.n)$", "", mnem)
            args = [a.strip() for a in ops.split(",")]
            if base == "movw" and len(args) == 2:
                regs[args[0]] = parse_imm(args[1])
            elif base == "movt" and len(args) == 2 and args[0] in regs:
                v = (regs[args[0]] & 0xFFFF) | (parse_imm(args[1]) << 16)
                if v & 1 and (v & ~1) in by_addr:
                    taken.add(v & ~1)
    taken = {a for a in taken if by_addr[a].name not in exclude}

    for f in funcs:
        if by_addr[f.addr] is not f:
            continue  # an alias: analysed through the label that holds the code
        regs = {}  # constants in registers, for `sub sp, rN`
        for addr, mnem, ops in f.insns:
            if mnem.startswith("."):  # .word / .short / .byte: data in code
                continue
            base = re.sub(r"(\.w|\.n)$", "", mnem)
            args = [a.strip() for a in ops.split(",")]
            where = f"{f.name}+{addr - f.addr:#x}"
            try:
                f.frame_insn += sp_decrement(mnem, ops, regs)
            except AnalysisError as e:
                errors.append(f"{where}: {e}")
            # Track simple constants (for sub sp, rN).
            if re.match(r"^movs?" + COND + "$", base) and len(args) == 2 and args[1].startswith("#"):
                regs[args[0]] = parse_imm(args[1])
            elif base == "movw" and len(args) == 2:
                regs[args[0]] = parse_imm(args[1])
            elif base == "movt" and len(args) == 2 and regs.get(args[0]) is not None:
                regs[args[0]] = (regs[args[0]] & 0xFFFF) | (parse_imm(args[1]) << 16)
            elif args and args[0] in REG and args[0] not in ("sp", "pc"):
                regs[args[0]] = None
            # Control flow.
            is_call = bool(RE_CALL.match(base))
            if is_call or RE_BRANCH.match(base) or RE_CB.match(base):
                t = RE_TARGET.match(ops)
                if t:
                    target = int(t.group(1), 16)
                    if is_call or not (f.addr <= target < f.end):
                        g = containing(target)
                        if g is None:
                            errors.append(f"{where}: branch to {target:#x} outside every function")
                        elif g is f:
                            errors.append(f"{where}: {f.name} calls itself (recursion)")
                        elif g.addr != target:
                            errors.append(f"{where}: branch into the middle of {g.name} "
                                          f"(+{target - g.addr:#x})")
                        else:
                            f.calls.add(g.addr)
                elif is_call and ops in REG:
                    f.indirect = True
                else:
                    errors.append(f"{where}: cannot decode {mnem} {ops}")
            elif base.startswith("bx") and ops != "lr":
                f.indirect = True  # indirect tail call
        # Code that runs off its end into the next label (trailing nops are padding).
        code = [(m, o) for _, m, o in f.insns if not m.startswith(".")]
        while code and (code[-1][0] in ("nop", "nop.w") or code[-1] == ("movs", "r0, r0")):
            code.pop()  # padding (0x0000 decodes as movs r0, r0)
        # A call as the last instruction can only be to a function that does not return (the
        # return address would be the next label or data): no fall-through either.
        last_is_call = bool(code) and bool(RE_CALL.match(re.sub(r"(\.w|\.n)$", "", code[-1][0])))
        if code and not is_terminal(*code[-1]) and not last_is_call and f.end in by_addr:
            f.falls_through = True
            f.calls.add(f.end)

    # Frames from .stack_sizes.
    for label in funcs:
        if label.name in stack_sizes:
            f = by_addr[label.addr]
            f.frame_ss = max(f.frame_ss or 0, stack_sizes[label.name])
    for f in by_addr.values():
        if f.frame_ss is not None:
            if f.frame_insn < f.frame_ss:
                errors.append(f"{f.name}: instructions give a frame of {f.frame_insn} bytes, "
                              f".stack_sizes says {f.frame_ss}: the decoder missed something")
    return by_addr, taken, errors


def worst(by_addr, taken, entry_addr, errors):
    memo = {}
    onstack = []

    def use(addr):
        if addr in memo:
            return memo[addr]
        f = by_addr[addr]
        if addr in onstack:
            cycle = [by_addr[a].name for a in onstack[onstack.index(addr):]] + [f.name]
            raise AnalysisError("recursion: " + " -> ".join(cycle))
        onstack.append(addr)
        callees = set(f.calls)
        if f.indirect:
            if not taken:
                raise AnalysisError(f"{f.name}: indirect call with no address-taken function")
            callees |= taken
        best, path = 0, []
        for c in sorted(callees):
            if c == addr:
                continue
            u, p = use(c)
            if u > best:
                best, path = u, p
        onstack.pop()
        memo[addr] = (f.frame + best, [addr] + path)
        return memo[addr]

    return use(entry_addr)


def parse_stack_sizes(text):
    sizes = {}
    names = []
    for line in text.splitlines():
        m = re.search(r"Functions:\s*\[(.*)\]", line)
        if m:
            names = [n.strip() for n in m.group(1).split(",") if n.strip()]
            continue
        m = re.search(r"Size:\s*(0x[0-9a-fA-F]+|\d+)", line)
        if m and names:
            for n in names:
                sizes[n] = max(sizes.get(n, 0), int(m.group(1), 0))
            names = []
    return sizes


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--elf", required=True)
    ap.add_argument("--objdump", required=True)
    ap.add_argument("--nm", help="llvm-nm, to print demangled names")
    ap.add_argument("--readobj")
    ap.add_argument("--stack-sizes", help="object or archive with .stack_sizes sections")
    ap.add_argument("--require-stack-sizes", action="store_true",
                    help="every function of an object that has .stack_sizes must have an entry")
    ap.add_argument("--exclude", action="append", default=[])
    ap.add_argument("--entry", action="append", required=True)
    ap.add_argument("--limit", type=int)
    ap.add_argument("--json")
    a = ap.parse_args()

    try:
        stack_sizes = {}
        if a.stack_sizes:
            stack_sizes = parse_stack_sizes(run([a.readobj, "--stack-sizes", a.stack_sizes]))
            if not stack_sizes:
                raise AnalysisError(f"{a.stack_sizes}: no .stack_sizes entries")
        funcs = disassemble(a.objdump, a.elf)
        words = read_elf_words(a.elf)
        by_addr, taken, errors = analyse(funcs, words, stack_sizes, set(a.exclude))
        names = {f.name: f for f in funcs}
        demangled = {}
        if a.nm:
            raw = run([a.nm, "--defined-only", "-n", a.elf]).splitlines()
            dem = run([a.nm, "--defined-only", "-n", "-C", a.elf]).splitlines()
            for r, d in zip(raw, dem):
                rp, dp = r.split(" ", 2), d.split(" ", 2)
                if len(rp) == 3 and len(dp) == 3:
                    demangled[rp[2]] = re.sub(r"::h[0-9a-f]{16}$", "", dp[2])
        results = {}
        for e in a.entry:
            if e not in names:
                raise AnalysisError(f"entry point {e} is not in {a.elf}")
            total, path = worst(by_addr, taken, names[e].addr, errors)
            results[e] = {
                "bytes": total,
                "path": [{"function": demangled.get(by_addr[p].name, by_addr[p].name),
                          "frame": by_addr[p].frame,
                          "from": "stack_sizes" if by_addr[p].frame_ss is not None
                                  and by_addr[p].frame_ss >= by_addr[p].frame_insn else "insns"}
                         for p in path],
            }
        if errors:
            raise AnalysisError("\n  ".join(sorted(set(errors))))
    except (AnalysisError, OSError, subprocess.CalledProcessError) as e:
        print(f"stack.py: analysis error:\n  {e}", file=sys.stderr)
        return 2

    used_ss = sum(1 for f in funcs if f.frame_ss is not None)
    print(f"stack.py: {a.elf}: {len(funcs)} functions, {used_ss} frames from .stack_sizes, "
          f"the rest from their instructions; indirect calls resolve to: "
          + (", ".join(sorted(demangled.get(by_addr[t].name, by_addr[t].name) for t in taken)) or "-"))
    over = False
    for e, r in results.items():
        status = ""
        if a.limit is not None:
            status = "PASS" if r["bytes"] <= a.limit else "MISS"
            over |= r["bytes"] > a.limit
        chain = " -> ".join(f"{p['function']} ({p['frame']})" for p in r["path"])
        print(f"  {e:<24} {r['bytes']:>6} bytes {status}  {chain}")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(results, f, indent=1)
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
