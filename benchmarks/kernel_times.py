#!/usr/bin/env python3
"""Where a block's GPU time goes: each kernel launch's time, grid and share.

For ResNet-50's distinct conv + BN layers (the blocks convbn_bench.py
times), runs one forward + backward step of each chosen variant under
PyTorch's profiler (CUPTI sees the kernels our runtime launches through the
driver as well as PyTorch's) and prints, per layer and variant, every
launch with its mean time per step, its place in the step (#n: the
n-th launch; a block's kernels share one name in libraries built with
merge-gpu-modules=false, and PyTorch's may), its grid and block,
and its share of the step's kernel time; --out writes the same as JSON.

  benchmarks/kernel_times.py --prebuilt DIR --batch 32          # there (with a GPU)
  benchmarks/kernel_times.py --prebuilt DIR --layers 2 11 --variants ours-tune torch-eval
  benchmarks/kernel_times.py --batch 8 --layers 2 --tensor-cores   # compiles first (LLVM/MLIR there too)
  ncu -k regex:l22_b32_tune benchmarks/kernel_times.py --prebuilt DIR --layers 22 \
      --variants ours-tune --run-only                          # one step under Nsight Compute

Layer numbers are the table's rows (0: conv1; --list prints them).
"""

import argparse
import json
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))

from convbn_bench import (MODES, build, distinct_layers, make_case,  # noqa: E402
                          ours_step, torch_variants)
from conformance import make_inputs  # noqa: E402

import convbn  # noqa: E402


def kernel_events(step, repeat):
    """[(start, name, microseconds, grid, block)] of every kernel of `repeat`
    steps, in launch order."""
    from torch.profiler import ProfilerActivity, profile
    with profile(activities=[ProfilerActivity.CUDA]) as prof:
        for _ in range(repeat):
            step()
        torch.cuda.synchronize()
    with tempfile.TemporaryDirectory() as tmp:
        trace = Path(tmp) / "trace.json"
        prof.export_chrome_trace(str(trace))
        events = json.loads(trace.read_text()).get("traceEvents", [])
    return sorted((e.get("ts", 0.0), e["name"], e.get("dur", 0.0), e.get("args", {}).get("grid"),
                   e.get("args", {}).get("block")) for e in events if e.get("cat") == "kernel")


def summarize(events, repeat):
    """One row per launch of a step (kernels may share one name, so
    launches are told apart by their place in the step): its mean
    microseconds over the steps, grid and block; by time, longest first."""
    per_step, extra = divmod(len(events), repeat)
    if extra or not per_step:  # steps that launch differently: by name
        per_step = 0
    groups = defaultdict(list)
    for index, (_, name, us, grid, block) in enumerate(events):
        key = (index % per_step) if per_step else name
        groups[key].append((name, us, grid, block))
    rows = []
    for key, launches in groups.items():
        name, _, grid, block = launches[0]
        rows.append({"launch": key if per_step else None, "kernel": name,
                     "calls": len(launches) / repeat,
                     "us": sum(us for _, us, _, _ in launches) / repeat,
                     "grid": grid, "block": block})
    return sorted(rows, key=lambda r: -r["us"])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--size", type=int, default=224)
    parser.add_argument("--layers", type=int, nargs="+", help="table rows (default: all)")
    parser.add_argument("--variants", nargs="+", default=["ours-tune", "ours-eval", "torch-eval"],
                        help="ours-MODE (MODE: train, eval, tune, deploy) or torch-eval, torch-tune")
    parser.add_argument("--dtype", default="f32", choices=["f32", "f16", "bf16"],
                        help="activations and weights (as the library was built)")
    parser.add_argument("--tensor-cores", action="store_true",
                        help="with no --prebuilt: compile with tensor cores")
    parser.add_argument("--prebuilt", metavar="DIR", help="libraries built by convbn_bench.py --build-only")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--top", type=int, default=8, help="kernels printed per step")
    parser.add_argument("--out", help="write the figures to this JSON file")
    parser.add_argument("--list", action="store_true", help="print the layers and stop")
    parser.add_argument("--run-only", action="store_true",
                        help="run each chosen step once, without PyTorch's profiler (to run "
                             "under Nsight Compute, which takes the same counters)")
    args = parser.parse_args()

    layers = distinct_layers(args.size)
    if args.list:
        for i, layer in enumerate(layers):
            print(f"{i:2d} {layer[0]} ({layer[1]}->{layer[2]} k{layer[3]}s{layer[4]} {layer[6]}px)")
        return 0
    wanted = args.layers if args.layers is not None else range(len(layers))
    bad = [i for i in wanted if not 0 <= i < len(layers)]
    if bad:
        parser.error(f"no layer {bad[0]}: there are {len(layers)} (0 to {len(layers) - 1}; --list)")
    for v in args.variants:
        if v not in [f"ours-{m}" for m in MODES] + ["torch-eval", "torch-tune"]:
            parser.error(f"unknown variant {v}")
    if not torch.cuda.is_available():
        print("kernel_times: no GPU answers here (this tool profiles GPU kernels)", file=sys.stderr)
        return 1
    if args.prebuilt:
        path = Path(args.prebuilt) / f"batch{args.batch}" / "module.so"
        if not path.exists():
            print(f"kernel_times: error: no library {path}", file=sys.stderr)
            return 1
        library = convbn.CompiledModule(path, "cuda")
    else:
        cases = {args.batch: [make_case(i, layers[i], args.batch, m, args.dtype)
                              for i in wanted for m in MODES]}
        library = build(cases, "cuda", None, tensor_cores=args.tensor_cores)[args.batch]

    results = []
    for i in wanted:
        layer = layers[i]
        first = make_case(i, layer, args.batch, "eval", args.dtype)
        values = make_inputs(first, seed=i)
        baselines = torch_variants(first, values, "cuda", inductor=False)
        print(f"\n{i} {layer[0]} ({layer[1]}->{layer[2]} k{layer[3]}s{layer[4]} {layer[6]}px), "
              f"batch {args.batch}")
        for variant in args.variants:
            if variant.startswith("ours-"):
                case = make_case(i, layer, args.batch, variant[5:], args.dtype)
                step = ours_step(library, case, values, "cuda")
            else:
                step = baselines[variant][0]
            if args.run_only:
                step()
                torch.cuda.synchronize()
                print(f"  {variant}: ran once")
                continue
            for _ in range(3):
                step()
            torch.cuda.synchronize()
            rows = summarize(kernel_events(step, args.repeat), args.repeat)
            total = sum(r["us"] for r in rows)
            print(f"  {variant}: {total:.1f} us of kernels per step, "
                  f"{sum(r['calls'] for r in rows):.0f} launches")
            for r in rows[: args.top]:
                where = f"#{r['launch']:<3d}" if r["launch"] is not None else f"x{r['calls']:<3g}"
                print(f"    {r['us']:9.1f} us {100 * r['us'] / total if total else 0:5.1f}% "
                      f"{where} grid {r['grid']} block {r['block']}  {r['kernel'][:80]}")
            results.append({"layer": i, "name": layer[0], "batch": args.batch,
                            "variant": variant, "kernel_us": total, "kernels": rows})
    if args.out:
        Path(args.out).write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
