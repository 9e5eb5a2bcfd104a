#!/usr/bin/env python3
"""What the tensor-core kernels read from global memory, without a GPU.

Builds ResNet-50's distinct conv + BN layers (the blocks that
benchmarks/convbn_bench.py times) with
-convbn-cpu-pipeline{emulate-tensor-cores trace-global-loads}, runs each
block once (forward and backward) on the CPU emulation of the GPU's
tensor-core kernels, and reports what each kernel's gathers read from
global memory as the GPU's load unit would see it: the lanes of a warp
that run one load in one K step make a request, which touches 32-byte
sectors. Per kernel: requests, sectors per request, the fraction of the
sectors' bytes that the lanes asked for, and three amounts of traffic:

  requested  the sum over requests of their sectors (what the SM's L1
             asks of L2 when nothing hits in L1; cp.async copies bypass L1)
  per step   the sectors distinct within each block's K step (if L1 kept
             a step's sectors, nothing longer)
  distinct   the sectors distinct over the launch (each byte read once)

"used" is the lanes' bytes over the sectors' (above 100% where lanes read
the same bytes: rows past the GEMM's edge are clamped to its last). Kernels
are numbered in the order the block runs them: in tune mode, forward,
backward-data, backward-filter (both convolutions are "convolution").

The kernels that the H200 profile found bound by L2 transactions read
"requested" far above "per step"; a build that brings "requested" down
(vector gathers, operand copies) should take less time there. With
several --build options the layers' totals are compared with the first.

  benchmarks/sector_report.py --layers conv2                # the 3x3 layers, tune, batch 32
  benchmarks/sector_report.py --layers layer4.1.conv2 \\
      --build tc= --build "tc-copies=tensor-core-filter-copies=true tensor-core-input-copies=true"

With --kernel-times (benchmarks/kernel_times.py's figures of the first
build, measured on a GPU at the same batch), the first build's kernels are
matched to the measured launches (128-thread blocks, in launch order, the
same grids), their requested sectors per second fitted (the median over
kernels of at least 100 MiB), and every build's kernels predicted at that
rate: a model for kernels bound by L2 transactions, as the profiled ones
are, and no better than that assumption elsewhere.

The emulation runs the whole GEMMs on the CPU: the 3x3 layers at batch 32
take about a minute each per build.
"""

import argparse
import json
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

import convbn  # noqa: E402
from convbn.capi import CompilerError  # noqa: E402
from convbn_bench import (MODES, case_function, chosen_modes_and_layers,  # noqa: E402
                          make_case)
from conformance import call_buffers, make_inputs  # noqa: E402

SECTOR = 32


def parse_build(text):
    """NAME=OPTIONS (OPTIONS: -convbn-cpu-pipeline options, may be empty)."""
    name, sep, options = text.partition("=")
    if not sep or not name:
        raise argparse.ArgumentTypeError(f"'{text}' is not NAME=OPTIONS")
    return name, options


def kernel_kind(name):
    """The traced kernel's function and the rest of its name ('<function>:
    <kind> (M=...)')."""
    function, _, rest = name.partition(": ")
    return function, rest


def trace_build(cases, options, workdir, opt_level):
    """{case name: [launch dicts]} for one build."""
    text = "\n\n".join(case_function(c) for c in cases)
    start = time.time()
    module = convbn.compile_module(text, target="cpu", eval_to_tune=False, tensor_cores=True,
                                   pipeline_options="trace-global-loads=true " + options,
                                   workdir=workdir, opt_level=opt_level)
    built = time.time() - start
    module.global_load_trace()  # nothing yet; resets
    out = {}
    for case in cases:
        inputs, outputs = call_buffers(case, make_inputs(case, 0))
        start = time.time()
        module.call(case.name, inputs, outputs)
        out[case.name] = module.global_load_trace()
        print(f"  {case.name}: {len(out[case.name])} kernels traced in "
              f"{time.time() - start:.0f} s", flush=True)
    return out, built


def case_layer(layers, case_name):
    """(name, ..., count) of the ResNet-50 layer a case is of, from the
    case's name (l<index>_b<batch>_<mode>) and {"l<index>": layer}."""
    return layers[case_name.split("_")[0]]


def trace_key(layers, case):
    """A case's key in --json's launches: '<layer name> <mode>'."""
    return f"{case_layer(layers, case.name)[0]} {case.mode}"


def mib(sectors):
    return sectors * SECTOR / 2 ** 20


KERNEL = re.compile(r"M=(\d+) N=(\d+) K=\d+ z=(\d+)(?: split-K=(\d+))?, blocks of (\d+) x (\d+)")


def traced_grid(kernel):
    """The launch grid [x, y, z] of a traced kernel, from its name."""
    m, n, z, split, tm, tn = (int(g or 1) for g in KERNEL.search(kernel).groups())
    return [-(-n // tn), -(-m // tm), z * split]


def measured_launches(times, layer, mode, batch):
    """The tensor-core kernels (128 threads a block) of one layer's step in
    a kernel_times.py JSON, in launch order: [(grid, us)]; None if absent."""
    for entry in times:
        if (entry["name"], entry["variant"], entry["batch"]) == (layer, f"ours-{mode}", batch):
            kernels = sorted((k for k in entry["kernels"] if k["block"] == [128, 1, 1]),
                             key=lambda k: k["launch"])
            return [(k["grid"], k["us"]) for k in kernels]
    return None


def time_model(path, cases, labels, builds, traces, batch):
    """Fits the first build's measured tensor-core kernel times (`path`)
    to their requested sectors and predicts every build's from theirs."""
    times = json.loads(Path(path).read_text())
    first = builds[0][0]
    matched, unmatched = [], []
    for case in cases:
        layer = case_layer(labels, case.name)[0]
        launches = traces[first][case.name]
        measured = measured_launches(times, layer, case.mode, batch)
        grids = [traced_grid(l["kernel"]) for l in launches]
        if measured is None or [g for g, _ in measured] != grids:
            unmatched.append(f"{layer}, {case.mode}")
            continue
        matched += [(l["sectors"] * SECTOR, us) for l, (_, us) in zip(launches, measured)]
    print(f"\ntime model: {path}, build {first}'s tensor-core kernels measured there")
    if unmatched:
        print(f"  left out (no measured step, or its grids are not the traced ones): "
              f"{', '.join(unmatched)}")
    big = [b / us / 1e6 for b, us in matched if b >= 100 * 2 ** 20]
    if not big:
        print("  no matched kernel of at least 100 MiB requested: no model")
        return
    rate = statistics.median(big)
    print(f"  requested sectors per second, {len(big)} kernels of at least 100 MiB: "
          f"median {rate:.2f} TB/s ({min(big):.2f} to {max(big):.2f})")
    print(f"  tensor-core kernels per layer, us (measured; predicted at {rate:.2f} TB/s):")
    sums = {name: 0.0 for name, _ in builds}
    measured_sum = 0.0
    for case in cases:
        layer, *_, count = case_layer(labels, case.name)
        measured = measured_launches(times, layer, case.mode, batch)
        cells = []
        if measured is not None:
            total = sum(us for _, us in measured)
            measured_sum += count * total
            cells.append(f"measured {total:.0f}")
        for name, _ in builds:
            predicted = sum(l["sectors"] * SECTOR for l in traces[name][case.name]) / rate / 1e6
            sums[name] += count * predicted
            cells.append(f"{name} {predicted:.0f}")
        print(f"    {layer} (x{count}), {case.mode}: " + ", ".join(cells))
    print("  each layer times its count, ms: measured "
          f"{measured_sum / 1e3:.1f}; predicted " +
          ", ".join(f"{name} {us / 1e3:.1f}" for name, us in sums.items()))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--size", type=int, default=224, help="input height and width")
    parser.add_argument("--dtype", choices=("f32", "f16", "bf16"), default="f32")
    parser.add_argument("--modes", default="tune",
                        help="comma-separated, of " + ", ".join(MODES))
    parser.add_argument("--layers", default="",
                        help="only the layers whose ResNet-50 name contains this")
    parser.add_argument("--build", type=parse_build, action="append", default=[],
                        metavar="NAME=OPTIONS",
                        help="a build to trace, with more -convbn-cpu-pipeline options "
                             "(the GPU pipeline's tensor-core-* options); repeat to compare "
                             "(default: one build, 'default=')")
    parser.add_argument("--opt-level", type=int, choices=convbn.aot.OPT_LEVELS, default=2, metavar="N",
                        help="clang's -O level for the emulation (default 2; 0 builds it "
                             "several times faster and runs it slower: for builds of many "
                             "layers, whose -O2 build takes clang longest)")
    parser.add_argument("--workdir", help="keep each build's library here (NAME/)")
    parser.add_argument("--json", help="write every launch's counts to this file")
    parser.add_argument("--traces", metavar="FILE", action="append",
                        help="report the counts of a previous run's --json (its builds, "
                             "batch, size and types) instead of building and running; "
                             "repeat to put several runs' builds side by side")
    parser.add_argument("--kernel-times", metavar="FILE",
                        help="per-launch times of the first build's kernels on a GPU "
                             "(benchmarks/kernel_times.py --out, same batch and layers): fit "
                             "their time to their requested sectors and predict every build's")
    args = parser.parse_args(argv)
    builds = args.build or [("default", "")]
    if len({name for name, _ in builds}) != len(builds):
        parser.error("--build: each build needs its own NAME")
    modes, layers = chosen_modes_and_layers(parser, args.modes, args.layers, args.size)
    cases = [make_case(i, layer, args.batch, mode, args.dtype)
             for mode in modes for i, layer in layers]
    labels = {f"l{i}": layer for i, layer in layers}

    traces = {}
    if args.traces:
        # Previous runs' counts: their builds in order, their batch, size
        # and types (the same in each).
        builds = []
        for path in args.traces:
            saved = json.loads(Path(path).read_text())
            figures = (saved["batch"], saved["size"], saved["dtype"])
            if builds and figures != (args.batch, args.size, args.dtype):
                parser.error(f"--traces: {path} is of batch {figures[0]}, {figures[1]}x"
                             f"{figures[1]}, {figures[2]}; the first file's differ")
            args.batch, args.size, args.dtype = figures
            cases = [make_case(i, layer, args.batch, mode, args.dtype)
                     for mode in modes for i, layer in layers]
            for name, options in saved["builds"].items():
                if name in traces:
                    parser.error(f"--traces: build {name} is in two files")
                builds.append((name, options))
                traces[name] = {}
                for case in cases:
                    key = trace_key(labels, case)
                    if key not in saved["launches"][name]:
                        parser.error(f"--traces: {path} has no {key} for build {name}")
                    traces[name][case.name] = saved["launches"][name][key]
    for name, options in builds if not args.traces else []:
        print(f"build {name}: {options or '(default options)'}", flush=True)
        workdir = Path(args.workdir) / name if args.workdir else None
        try:
            traces[name], built = trace_build(cases, options, workdir, args.opt_level)
        except (CompilerError, convbn.ToolError) as error:
            print(f"sector_report.py: build {name}: {error}", file=sys.stderr)
            return 1
        print(f"  built in {built:.0f} s", flush=True)

    print()
    print(f"global loads of the tensor-core kernels' gathers, batch {args.batch}, "
          f"{args.size}x{args.size}, {args.dtype} (MiB of 32-byte sectors)")
    header = (f"{'build':<14} {'#':>2} {'requests':>10} {'sect/req':>8} {'used':>5} "
              f"{'requested':>10} {'per step':>9} {'distinct':>9}  kernel")
    totals = {}
    for case in cases:
        layer = case_layer(labels, case.name)[0]
        print(f"\n{layer}, {case.mode}")
        print(header)
        for name, _ in builds:
            sums = totals.setdefault((case.name, name), [0, 0, 0])
            for number, launch in enumerate(traces[name][case.name], 1):
                kind = kernel_kind(launch["kernel"])[1]
                requests, sectors = launch["requests"], launch["sectors"]
                if not requests:
                    continue
                used = launch["bytes"] / (sectors * SECTOR)
                print(f"{name:<14} {number:>2} {requests:>10} "
                      f"{sectors / requests:>8.2f} {used:>5.0%} {mib(sectors):>10.1f} "
                      f"{mib(launch['step_sectors']):>9.1f} "
                      f"{mib(launch['distinct_sectors']):>9.1f}  {kind}")
                sums[0] += sectors
                sums[1] += launch["step_sectors"]
                sums[2] += launch["distinct_sectors"]

    first = builds[0][0]
    print(f"\ntotals per layer (MiB requested / per step / distinct"
          f"{'; requested against ' + first if len(builds) > 1 else ''})")
    for case in cases:
        layer = case_layer(labels, case.name)[0]
        cells = []
        for name, _ in builds:
            r, s, d = totals[(case.name, name)]
            cell = f"{name} {mib(r):.0f} / {mib(s):.0f} / {mib(d):.0f}"
            base = totals[(case.name, first)][0]
            if name != first and base:
                cell += f" ({r / base:.2f}x)"
            cells.append(cell)
        print(f"  {layer}, {case.mode}: " + "; ".join(cells))
    if args.kernel_times:
        time_model(args.kernel_times, cases, labels, builds, traces, args.batch)
    if args.json:
        Path(args.json).write_text(json.dumps({
            "batch": args.batch, "size": args.size, "dtype": args.dtype,
            "builds": dict(builds),
            "launches": {name: {trace_key(labels, case): per_case[case.name] for case in cases}
                         for name, per_case in traces.items()}}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
