#!/usr/bin/env python3
"""Flash and RAM that the C API costs, from the GNU ld map file of the size probe.

Usage: size.py --map probe.map [--label NAME] [--limit BYTES] [--json OUT]

The probe (probe.c) is the smallest program containing the whole C API: a vector table, a reset
handler that spins, and the six gp_* functions forced in with -Wl,-u,<name>, linked with
--gc-sections. Every input section that the linker kept is listed in the map file with its size
and the file (or archive member) it came from. This script adds them up per output section
(.text, .rodata, .data, .bss) and per origin:

  globalpool         the crate's own LTO object in libglobalpool.a
  compiler_builtins  the compiler_builtins members of libglobalpool.a that the crate pulls in
                     (memcpy, and on thumbv6m the soft-float and division routines)
  libgcc             members of libgcc.a, if any were needed
  probe              the probe's own objects (not counted)

"The library's .text" = globalpool + compiler_builtins + libgcc in .text: exactly the code a
firmware gains by calling the C API. (The archive's own size means nothing: it holds all of
compiler_builtins, nearly none of which is linked.) Alignment padding (*fill*) is not counted.

Exit status: 0, or 1 if --limit is given and the library's .text exceeds it (reported as MISS).
"""

import argparse
import json
import re
import sys

OUTPUTS = (".text", ".rodata", ".data", ".bss")
RE_OUT = re.compile(r"^(\.[\w.]+)\s+0x[0-9a-f]+\s+0x[0-9a-f]+")
RE_IN_FULL = re.compile(r"^ (\S+)\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+(\S.*)$")
RE_IN_NAME = re.compile(r"^ (\S+)$")
RE_IN_REST = re.compile(r"^\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+(\S.*)$")


def pretty(section):
    """`.text._ZN10globalpool7kernels8portable4nchw17h<hash>E` -> `globalpool::kernels::portable::nchw`
    (Rust's legacy mangling; other names are returned without the section prefix)."""
    name = re.sub(r"^\.(text|rodata|data|bss)(\.unlikely|\.hot)?\.", "", section)
    m = re.match(r"^_ZN(.*)E$", name)
    if not m:
        return name
    rest, parts = m.group(1), []
    while rest and rest[0].isdigit():
        n = re.match(r"^\d+", rest).group(0)
        parts.append(rest[len(n):len(n) + int(n)])
        rest = rest[len(n) + int(n):]
    if parts and re.fullmatch(r"h[0-9a-f]{16}", parts[-1]):
        parts.pop()
    return "::".join(parts) if parts and not rest else name


def origin(path):
    m = re.search(r"\(([^)]*)\)$", path)
    if m:
        member = m.group(1)
        if "libgcc.a" in path:
            return "libgcc"
        if member.startswith("globalpool-"):
            return "globalpool"
        if member.startswith("compiler_builtins-"):
            return "compiler_builtins"
        return "other:" + member
    if path == "linker stubs":
        return "linker"
    return "probe"


def parse(map_path):
    with open(map_path) as f:
        lines = f.read().splitlines()
    try:
        lines = lines[lines.index("Linker script and memory map") + 1:]
    except ValueError:
        raise SystemExit(f"{map_path}: not a GNU ld map file")
    table = {}  # (output section, origin) -> bytes
    sections = {}  # (output section, origin) -> [(input section, bytes)]
    out = None
    pending = None
    for line in lines:
        m = RE_OUT.match(line)
        if m:
            out = m.group(1)
            pending = None
            continue
        if out is None:
            continue
        if pending is not None:
            m = RE_IN_REST.match(line)
            if m:
                name, size, path = pending, int(m.group(2), 16), m.group(3).strip()
                pending = None
            else:
                pending = None
                continue
        else:
            m = RE_IN_FULL.match(line)
            if m:
                name, size, path = m.group(1), int(m.group(3), 16), m.group(4).strip()
            else:
                m = RE_IN_NAME.match(line)
                if m and not m.group(1).startswith("*"):
                    pending = m.group(1)
                continue
        if name.startswith("*"):  # *fill*
            continue
        key = (out, origin(path))
        table[key] = table.get(key, 0) + size
        sections.setdefault(key, []).append((name, size))
    return table, sections


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--map", required=True)
    ap.add_argument("--label", default="")
    ap.add_argument("--limit", type=int)
    ap.add_argument("--json")
    a = ap.parse_args()
    table, sections = parse(a.map)
    lib = ("globalpool", "compiler_builtins", "libgcc")
    others = sorted({o for (_, o) in table if o not in lib and o not in ("probe", "linker")})
    if others:
        print(f"size.py: unexpected origins {others}", file=sys.stderr)
        return 2
    result = {"label": a.label}
    for out in OUTPUTS:
        result[out] = {o: table.get((out, o), 0) for o in lib + ("probe",)}
        result[out]["library"] = sum(table.get((out, o), 0) for o in lib)
    text = result[".text"]["library"]
    result["status"] = "" if a.limit is None else ("PASS" if text <= a.limit else "MISS")
    biggest = sorted(((s, n) for o in lib for (n, s) in sections.get((".text", o), [])),
                     reverse=True)[:3]
    result["largest"] = [{"section": n, "function": pretty(n), "bytes": s} for s, n in biggest]
    print(f"size.py: {a.label}: library .text {text} bytes "
          f"(globalpool {result['.text']['globalpool']}, compiler_builtins "
          f"{result['.text']['compiler_builtins']}, libgcc {result['.text']['libgcc']}), "
          f".rodata {result['.rodata']['library']}, .data {result['.data']['library']}, "
          f".bss {result['.bss']['library']}; probe's own .text {result['.text']['probe']} "
          f"{result['status']}")
    for s, n in biggest:
        print(f"    {s:>8}  {pretty(n)}")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(result, f, indent=1)
    return 1 if result["status"] == "MISS" else 0


if __name__ == "__main__":
    sys.exit(main())
