#!/usr/bin/env python3
"""Summarise criterion results of `cargo bench --bench pool` as a Markdown table.

For every case and layout: GB/s (1e9 bytes/s, from the median time) of the read-only probe,
the row probe (NCHW only: the same bytes read row by row, as a per-channel kernel must), the
naive loops, and each path's avg and max, and each as a percentage of the probe measured in the
same run. Reads target/criterion/<case>/<layout>/<bench>/new/{estimates,benchmark}.json.

Usage: python3 benches/report.py [--paths avx2*,scalar] [--filter i8] [target/criterion]

`--filter` keeps the groups whose name contains the text (`i8`: the int8 cases of
`cargo bench --bench int8`, named `<case>-i8/<layout>`).
"""
import json
import os
import sys


def load(root):
    results = {}
    for dirpath, _, files in os.walk(root):
        if "estimates.json" not in files or os.path.basename(dirpath) != "new":
            continue
        with open(os.path.join(dirpath, "benchmark.json")) as f:
            bench = json.load(f)
        with open(os.path.join(dirpath, "estimates.json")) as f:
            est = json.load(f)
        tp = bench.get("throughput") or {}
        nbytes = tp.get("Bytes") or tp.get("BytesDecimal")
        if not nbytes:
            continue
        group = bench["group_id"]
        name = bench["function_id"] + ("/" + bench["value_str"] if bench.get("value_str") else "")
        ns = est["median"]["point_estimate"]
        results.setdefault(group, {})[name] = nbytes / ns  # bytes per ns == GB/s
    return results


def main():
    args = sys.argv[1:]
    paths = None
    only = None
    while args and args[0] in ("--paths", "--filter"):
        if args[0] == "--paths":
            paths = args[1].split(",")
        else:
            only = args[1]
        args = args[2:]
    root = args[0] if args else "target/criterion"
    results = load(root)
    order = ["1x1280x7x7", "1x2048x7x7", "1x512x14x14", "1x64x112x112", "8x256x56x56",
             "1x3x224x224", "tokens32x128x768"]
    case = lambda g: g.split("/")[0].split("-")[0]
    groups = sorted((g for g in results if only is None or only in g),
                    key=lambda g: (order.index(case(g)) if case(g) in order else 99, g))
    cols = None
    for g in groups:
        names = [n for n in results[g] if not n.startswith("probe")]
        if paths:
            names = [n for n in names if n.startswith("naive") or n.split("/")[-1] in paths]
        names.sort(key=lambda n: (not n.startswith("naive"), n.split("/")[-1], n))
        if cols is None:
            cols = names
            print("| case | probe GB/s | row probe | " + " | ".join(cols) + " |")
            print("|---" * (len(cols) + 3) + "|")
        probe = results[g].get("probe")
        rows = results[g].get("probe/rows")
        cells = [f"{rows:.1f} ({100 * rows / probe:.0f}%)" if rows and probe else ""]
        for n in cols:
            v = results[g].get(n)
            if v is None:
                cells.append("")
            elif probe:
                cells.append(f"{v:.1f} ({100 * v / probe:.0f}%)")
            else:
                cells.append(f"{v:.1f}")
        print(f"| {g} | {probe:.1f} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
