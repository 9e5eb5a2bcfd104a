#!/usr/bin/env python3
"""Transposing copies left untiled by the vectorized CPU pipeline.

  untiled_transposes.py emit SIZE BATCH > layers.mlir
      One function per distinct ResNet-50 convolution at SIZE x SIZE and
      BATCH: its Tune-mode forward and its backward to the input, filter,
      gamma and beta (the fold, the flipped and stride-phased filters, the
      channels-last and filters-in-lanes copies, the filter gradient's).
  untiled_transposes.py check MIN_ELEMENTS < dump
      Reads the IR that -mlir-print-ir-after=convbn-tile-transposes
      prints and lists every all-parallel linalg.generic left at a
      function's top level (not in a loop of blocks) whose input of at
      least MIN_ELEMENTS elements is read through a permutation (what it
      reads of unit loops a constant) that moves the innermost loop of more
      than one iteration: a copy that reads its source a whole row apart
      for every element. Prints their count, then each one.

The criterion is this script's own, not the pass's: a copy the pass fails
to take (as the 1x1 kernels' flips, `-d` and `-2 * d`, were) shows here.
Standard library only.
"""

import math
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[4] / "examples" / "resnet50"))
from resnet50_convbn import layers  # noqa: E402


def emit(size, batch):
    seen = set()
    for name, _, cin, cout, k, s, p, hw in layers(size):
        key = (cin, cout, k, s, p, hw)
        if key in seen:
            continue
        seen.add(key)
        out = (hw + 2 * p - k) // s + 1
        x = f"tensor<{batch}x{cin}x{hw}x{hw}xf32>"
        w = f"tensor<{cout}x{cin}x{k}x{k}xf32>"
        z = f"tensor<{batch}x{cout}x{out}x{out}xf32>"
        v = f"tensor<{cout}xf32>"
        attrs = (f"{{strides = array<i64: {s}, {s}>, padding_low = array<i64: {p}, {p}>, "
                 f"padding_high = array<i64: {p}, {p}>}}")
        fn = name.replace(".", "_")
        print(f"""// {name}
func.func @{fn}(%x: {x}, %w: {w}, %g: {v}, %bt: {v}, %m: {v}, %v: {v}, %gz: {z})
    -> ({z}, {x}, {w}, {v}, {v}) {{
  %z = convbn.conv_bn tune %x, %w gamma %g beta %bt mean %m var %v {attrs}
      : ({x}, {w}, {v}, {v}, {v}, {v}) -> {z}
  %dx, %dw, %dg, %dbt = convbn.backward tune grads <input|filter|gamma|beta> %gz, %x, %w
      gamma %g beta %bt mean %m var %v {attrs}
      : ({z}, {x}, {w}, {v}, {v}, {v}, {v}) -> ({x}, {w}, {v}, {v})
  return %z, %dx, %dw, %dg, %dbt : {z}, {x}, {w}, {v}, {v}
}}""")


MAP = re.compile(r"^(#map\d*) = affine_map<\(([^)]*)\) -> \((.*)\)>$", re.M)
GENERIC = re.compile(
    r"^    %\S+ = linalg\.generic \{indexing_maps = \[([^\]]*)\], "
    r"iterator_types = \[([^\]]*)\]\} ins\(([^)]*)\) outs\(([^)]*)\)", re.M)


def shape(type_text):
    m = re.search(r"tensor<([0-9x]+)x[a-z]\w*>", type_text)
    return [int(d) for d in m.group(1).split("x")] if m else None


def check(min_elements, text):
    maps = {name: ([d.strip() for d in dims.split(",")], [e.strip() for e in exprs.split(",")])
            for name, dims, exprs in MAP.findall(text)}
    found = []
    funcs = [(m.start(), m.group(1)) for m in re.finditer(r"func\.func @(\w+)", text)]
    for g in GENERIC.finditer(text):
        names = [n.strip() for n in g.group(1).split(",")]
        if "reduction" in g.group(2):
            continue
        func = [f for start, f in funcs if start < g.start()][-1]
        out_shape = shape(g.group(4))
        if out_shape is None:
            continue
        dims, out_exprs = maps[names[-1]]
        if out_exprs != dims:  # written through the identity map only
            continue
        extent = dict(zip(dims, out_shape))
        moving = [d for d in dims if extent[d] > 1]
        if len(moving) < 2:
            continue
        types = [t.strip() for t in g.group(3).split(":")[-1].split(",")]
        for map_name, type_text in zip(names[:-1], types):
            in_shape = shape(type_text)
            if in_shape is None or math.prod(in_shape) < min_elements:
                continue
            read = []
            for e in maps[map_name][1]:
                loops = [d for d in dims if re.search(rf"\b{d}\b", e) and extent[d] > 1]
                if len(loops) > 1:
                    read = None  # a gather, not a permutation
                    break
                if loops:
                    read.append(loops[0])
            if read is None or sorted(read) != sorted(moving):
                continue
            if read[-1] != moving[-1]:
                found.append(f"{func}: {g.group(0).strip()[:160]}")
    print(f"untiled transposing copies: {len(found)}")
    for f in found:
        print("  " + f)


def main():
    if sys.argv[1] == "emit":
        emit(int(sys.argv[2]), int(sys.argv[3]))
    else:
        check(int(sys.argv[2]), sys.stdin.read())


if __name__ == "__main__":
    main()
