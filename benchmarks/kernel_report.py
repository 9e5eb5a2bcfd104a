#!/usr/bin/env python3
"""The GPU kernels of the benchmark's blocks, without a GPU.

Compiles ResNet-50's distinct conv + BN layers (the blocks that
benchmarks/convbn_bench.py times, every mode) with
-convbn-gpu-pipeline{tensor-cores=true format=isa} and reports, over all
their kernels, what python -m convbn.ptxreport reports for one: whether
ptxas accepts each kernel for sm_90, spills, registers and shared memory,
and for the tensor-core kernels the instructions of one K step, in PTX and
in the machine code (SASS, where nvdisasm is found); and, from each
tensor-core kernel's launch (its grid, block and registers, CUDA's
occupancy rules for an H100 or H200: 132 SMs), the blocks an SM runs at
once and the waves its grid takes. It prints a summary, the kernels with
the longest K steps and the grids that leave most of their last wave idle,
and with --json their figures.

  benchmarks/kernel_report.py                          # batch 32, 224x224, f32 as TF32
  benchmarks/kernel_report.py --dtype bf16 --modes tune
  benchmarks/kernel_report.py --pipeline-options "narrow-indices=false"   # a choice against the default

Exit status 1 if ptxas rejects a kernel or a kernel spills.
"""

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from convbn import capi, ptxreport  # noqa: E402
from convbn_bench import (MODES, case_function, chosen_modes_and_layers,  # noqa: E402
                          make_case)


def spread(values):
    """'min to max, median m' of a list of numbers."""
    if not values:
        return "none"
    n = ptxreport.number
    return (f"{n(min(values))} to {n(max(values))}, median "
            f"{n(statistics.median(values))}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--size", type=int, default=224, help="input height and width")
    parser.add_argument("--dtype", choices=("f32", "f16", "bf16"), default="f32")
    parser.add_argument("--modes", default=",".join(MODES),
                        help="comma-separated, of " + ", ".join(MODES))
    parser.add_argument("--layers", default="",
                        help="only the layers whose ResNet-50 name contains this")
    parser.add_argument("--pipeline-options", default="",
                        help="more options of -convbn-gpu-pipeline")
    parser.add_argument("--chip", default="sm_90")
    parser.add_argument("--ptxas", default="/usr/local/cuda/bin/ptxas")
    parser.add_argument("--keep", help="write every kernel's PTX and cubin into this directory")
    parser.add_argument("--json", help="write every kernel's figures to this file")
    parser.add_argument("--worst", type=int, default=5,
                        help="list this many kernels with the longest K steps")
    args = parser.parse_args(argv)
    modes, layers = chosen_modes_and_layers(parser, args.modes, args.layers, args.size)

    names = {f"l{i}": layer[0] for i, layer in layers}
    nvdisasm = ptxreport.find_nvdisasm()
    # Without --keep, a scratch directory that goes when main returns.
    scratch = None if args.keep else tempfile.TemporaryDirectory(prefix="convbn-kernels-")
    keep = Path(args.keep or scratch.name)
    keep.mkdir(parents=True, exist_ok=True)
    pipeline = (f"builtin.module(convbn-gpu-pipeline{{eval-to-tune=false format=isa "
                f"chip={args.chip} tensor-cores=true {args.pipeline_options}}})")
    print(f"{len(layers)} layers x {len(modes)} modes, batch {args.batch}, "
          f"{args.size}x{args.size}, {args.dtype}: {pipeline}", flush=True)
    reports, rejected = [], []
    for mode in modes:
        cases = [make_case(i, layer, args.batch, mode, args.dtype) for i, layer in layers]
        start = time.time()
        llvm, _ = capi.run_pipeline("\n\n".join(case_function(c) for c in cases), pipeline,
                                    name=f"resnet50-{mode}")
        kernels = list(ptxreport.kernels_of(llvm))
        launched = ptxreport.launches(llvm)
        for name, ptx in kernels:
            try:
                report = ptxreport.analyze(name, ptx, keep, args.ptxas, args.chip, nvdisasm)
            except subprocess.CalledProcessError as error:
                print(f"{name}: ptxas rejected it:\n{error.stderr}", file=sys.stderr)
                rejected.append(name)
                continue
            report["mode"] = mode
            # Kernels are named after their block's function, l<index>_...
            report["layer"] = names.get(name.split("_")[0], "")
            report["launch"] = None
            if name in launched:
                grid, block, dynamic = launched[name]
                report["launch"] = {"grid": grid, "block": block, "dynamic_smem": dynamic,
                                    **ptxreport.waves(grid, block,
                                                      report["resources"]["registers"],
                                                      report["resources"]["smem"] + dynamic)}
            reports.append(report)
        print(f"{mode}: {len(kernels)} kernels in {time.time() - start:.0f} s", flush=True)

    tensor_cores = [r for r in reports if r["ops"]]
    spilled = [r["name"] for r in reports
               if r["resources"]["spill_stores"] or r["resources"]["spill_loads"]]
    print(f"kernels: {len(reports) + len(rejected)}, ptxas rejected {len(rejected)}, "
          f"spilling {len(spilled)}{': ' + ', '.join(spilled) if spilled else ''}")
    others = [r["resources"]["registers"] for r in reports if not r["ops"]]
    print(f"loop-nest kernels: {len(others)}, registers {spread(others)}")
    print(f"tensor-core kernels: {len(tensor_cores)}")
    print("  registers: " + spread([r["resources"]["registers"] for r in tensor_cores]))
    print("  shared memory (bytes): " +
          ", ".join(str(b) for b in sorted({r["resources"]["smem"] for r in tensor_cores})))
    steps = [r for r in tensor_cores if r["ptx_loop"] and not r["ptx_loop"][1]]
    print(f"  K step, PTX instructions: {spread([r['ptx_loop'][0] for r in steps])}"
          f" ({len(tensor_cores) - len(steps)} kernels with an inner loop left out)")
    sass = [r for r in steps if r["sass"]]
    if nvdisasm:
        print(f"  K step, SASS instructions: {spread([r['sass']['per_step'] for r in sass])}"
              f" (of which 64-bit carries and high halves: "
              f"{spread([r['sass']['wide'] for r in sass])}; "
              f"{sum(r['sass']['estimate'] for r in sass)} K loops unrolled whole by ptxas)")
        ranked = sorted(sass, key=lambda r: -r["sass"]["per_step"])
    else:
        print("  K step, SASS instructions: not counted (no nvdisasm found)")
        ranked = sorted(steps, key=lambda r: -r["ptx_loop"][0])
    if args.worst and ranked:
        print("longest K steps (kernel: layer, mode: SASS, PTX instructions per step):")
        for r in ranked[:args.worst]:
            per = ptxreport.number(r["sass"]["per_step"]) if r["sass"] else "-"
            print(f"  {r['name']}: {r['layer']}, {r['mode']}: {per}, {r['ptx_loop'][0]}")
    with_launch = [r for r in tensor_cores if r["launch"]]
    if with_launch:
        print(f"  waves on {ptxreport.SM90['sms']} SMs (blocks over the blocks resident at once): "
              + spread([r["launch"]["waves"] for r in with_launch]))
        print("  blocks resident per SM: " + spread([r["launch"]["resident"] for r in with_launch]))
        ragged = sorted((r for r in with_launch if r["launch"]["used"] < 0.75),
                        key=lambda r: r["launch"]["used"])
        print(f"  grids that fill under 3/4 of the waves they take: {len(ragged)} kernels")
        for r in ragged[:args.worst]:
            w = r["launch"]
            print(f"    {r['name']}: {r['layer']}, {r['mode']}: {w['blocks']} blocks, "
                  f"{w['resident']} per SM, {w['waves']:.2f} waves")
    if args.json:
        Path(args.json).write_text(json.dumps([{
            "kernel": r["name"], "layer": r["layer"], "mode": r["mode"],
            "resources": r["resources"], "launch": r["launch"],
            "tensor_core_ops": dict(r["ops"]),
            "ptx_per_step": r["ptx_loop"][0] if r["ptx_loop"] and not r["ptx_loop"][1] else None,
            "sass": r["sass"]} for r in reports], indent=1))
    return 1 if rejected or spilled else 0


if __name__ == "__main__":
    sys.exit(main())
