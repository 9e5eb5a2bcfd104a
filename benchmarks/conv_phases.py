#!/usr/bin/env python3
"""Per-phase timing of one convolution: forward, backward-data and
backward-filter, each compiled and timed apart, against PyTorch's own kernel
for the same phase (F.conv2d, torch.nn.grad.conv2d_input and
conv2d_weight: what autograd calls).

convbn_bench.py times whole forward + backward steps; this tells which of
the three convolutions a layer's time goes to, which is what a schedule
change moves. Each phase is a deploy-mode block (no batch norm: the
convolution alone), so the figures are the convolutions' and nothing else.
Every result is also compared with PyTorch in float64 (worst relative error
printed), so a faster schedule that computes something else shows.

  benchmarks/conv_phases.py --layer layer3.1.conv2 --batch 8 --size 112 --vectorize
  benchmarks/conv_phases.py --shape 256,256,3,1,1,7 --batch 8 --vectorize \\
      --pipeline-options "vector-filter-lanes=false"
  benchmarks/conv_phases.py --list --size 112

--shape is in,out,kernel,stride,padding,spatial (input height = width).
CPU only, one thread for PyTorch as for ours (--threads to change).
"""

import argparse
import math
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "python"))
sys.path.insert(0, str(ROOT / "test" / "Conformance"))
sys.path.insert(0, str(ROOT / "examples" / "resnet50"))

import convbn  # noqa: E402
from conformance import array, tensor_type  # noqa: E402
from resnet50_convbn import layers as resnet50_layers  # noqa: E402

PHASES = ("forward", "backward-data", "backward-filter")


def phase_module(batch, cin, cout, k, s, p, hw):
    """The three phases as functions of one module, and the shapes of x, w, z."""
    out = (hw + 2 * p - k) // s + 1
    x, w, z = (batch, cin, hw, hw), (cout, cin, k, k), (batch, cout, out, out)
    xt, wt, zt = (tensor_type(shape, "f32") for shape in (x, w, z))
    attrs = (f"{{strides = {array((s, s))}, padding_low = {array((p, p))}, "
             f"padding_high = {array((p, p))}}}")
    text = f"""
func.func @forward(%x: {xt}, %w: {wt}) -> {zt} attributes {{llvm.emit_c_interface}} {{
  %z = convbn.conv_bn deploy %x, %w {attrs} : ({xt}, {wt}) -> {zt}
  return %z : {zt}
}}
func.func @backward_data(%gz: {zt}, %x: {xt}, %w: {wt}) -> {xt} attributes {{llvm.emit_c_interface}} {{
  %dx = convbn.backward deploy grads <input> %gz, %x, %w {attrs} : ({zt}, {xt}, {wt}) -> {xt}
  return %dx : {xt}
}}
func.func @backward_filter(%gz: {zt}, %x: {xt}, %w: {wt}) -> {wt} attributes {{llvm.emit_c_interface}} {{
  %dw = convbn.backward deploy grads <filter> %gz, %x, %w {attrs} : ({zt}, {xt}, {wt}) -> {wt}
  return %dw : {wt}
}}
"""
    return text, x, w, z


def best_seconds(fn, warmup, repeat):
    """The fastest of `repeat` runs after `warmup`: on a shared machine the
    noise only adds time, and the best run is the one an A/B compares."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def relative_error(ours, reference):
    scale = reference.abs().max().item() or 1.0
    return (ours.to(torch.float64) - reference).abs().max().item() / scale


def resolve_shape(args):
    if args.shape:
        try:
            cin, cout, k, s, p, hw = (int(v) for v in args.shape.split(","))
        except ValueError:
            raise SystemExit(f"conv_phases.py: --shape is in,out,kernel,stride,padding,spatial "
                             f"(six integers), not {args.shape!r}")
        return f"{cin}->{cout} k{k}s{s}p{p} {hw}px", (cin, cout, k, s, p, hw)
    for name, _, cin, cout, k, s, p, hw in resnet50_layers(args.size):
        if name == args.layer:
            return f"{name} ({cin}->{cout} k{k}s{s} {hw}px)", (cin, cout, k, s, p, hw)
    names = ", ".join(layer[0] for layer in resnet50_layers(args.size))
    raise SystemExit(f"conv_phases.py: no ResNet-50 layer {args.layer!r}; the layers are: {names}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog="\n".join(__doc__.splitlines()[1:]))
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--layer", help="a ResNet-50 layer name, e.g. layer3.1.conv2")
    which.add_argument("--shape", help="in,out,kernel,stride,padding,spatial")
    which.add_argument("--list", action="store_true", help="list ResNet-50's layers and stop")
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--size", type=int, default=112, help="ResNet-50 input size (--layer)")
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--threads", type=int, default=1, help="PyTorch CPU threads")
    parser.add_argument("--vectorize", action="store_true",
                        help="build ours with -convbn-cpu-pipeline{vectorize=true}")
    parser.add_argument("--pipeline-options", default="", metavar="OPTIONS",
                        help="more options of -convbn-cpu-pipeline, e.g. \"vector-channels-last=false\"")
    parser.add_argument("--phases", nargs="+", choices=PHASES, default=list(PHASES))
    parser.add_argument("--workdir", metavar="DIR",
                        help="keep the IR, llvm.mlir, module.ll and module.so here (for perf)")
    args = parser.parse_args(argv)

    if args.list:
        for name, _, cin, cout, k, s, p, hw in resnet50_layers(args.size):
            print(f"{name:22s} {cin:4d} -> {cout:<4d} k{k} s{s} p{p} {hw}px")
        return 0
    if args.batch < 1 or args.repeat < 1 or args.warmup < 0:
        parser.error("--batch and --repeat must be positive, --warmup non-negative")
    torch.set_num_threads(args.threads)
    label, (cin, cout, k, s, p, hw) = resolve_shape(args)
    text, xs, ws, zs = phase_module(args.batch, cin, cout, k, s, p, hw)
    try:
        module = convbn.compile_module(text, target="cpu", eval_to_tune=False,
                                       cpu_vectorize=args.vectorize,
                                       pipeline_options=args.pipeline_options,
                                       workdir=args.workdir)
    except convbn.ToolError as error:
        print(f"conv_phases.py: the compiler refused: {error}", file=sys.stderr)
        return 1

    gen = torch.Generator().manual_seed(0)
    x64, w64, gz64 = (torch.rand(shape, generator=gen, dtype=torch.float64) * 2 - 1
                      for shape in (xs, ws, zs))
    x, w, gz = (t.to(torch.float32).contiguous() for t in (x64, w64, gz64))
    flops = 2 * math.prod(zs) * cin * k * k
    pad, stride = (p, p), (s, s)
    phases = {
        "forward": ("forward", [x, w], zs,
                    lambda: F.conv2d(x, w, None, stride, pad),
                    lambda: F.conv2d(x64, w64, None, stride, pad)),
        "backward-data": ("backward_data", [gz, x, w], xs,
                          lambda: torch.nn.grad.conv2d_input(xs, w, gz, stride, pad),
                          lambda: torch.nn.grad.conv2d_input(xs, w64, gz64, stride, pad)),
        "backward-filter": ("backward_filter", [gz, x, w], ws,
                            lambda: torch.nn.grad.conv2d_weight(x, ws, gz, stride, pad),
                            lambda: torch.nn.grad.conv2d_weight(x64, ws, gz64, stride, pad)),
    }
    print(f"{label}, batch {args.batch}; {flops / 1e9:.3g} GFLOP per phase; "
          f"ours {'vectorized' if args.vectorize else 'loop nests'}"
          + (f" ({args.pipeline_options})" if args.pipeline_options else "")
          + f"; best of {args.repeat} after {args.warmup}")
    print(f"{'phase':16s} {'ours ms':>9s} {'GFLOP/s':>8s} {'torch ms':>9s} {'GFLOP/s':>8s} "
          f"{'ours/torch':>10s} {'rel.err':>8s}")
    totals = [0.0, 0.0]
    worst = 0.0
    for phase in args.phases:
        function, inputs, shape, torch_fn, reference_fn = phases[phase]
        result = torch.empty(shape, dtype=torch.float32)
        module.call(function, inputs, [result])
        error = relative_error(result, reference_fn())
        worst = max(worst, error)
        ours = best_seconds(lambda: module.call(function, inputs, [result]),
                              args.warmup, args.repeat)
        theirs = best_seconds(torch_fn, args.warmup, args.repeat)
        totals[0] += ours
        totals[1] += theirs
        print(f"{phase:16s} {ours * 1e3:9.3f} {flops / ours / 1e9:8.1f} {theirs * 1e3:9.3f} "
              f"{flops / theirs / 1e9:8.1f} {ours / theirs:10.2f} {error:8.1e}")
    print(f"{'total':16s} {totals[0] * 1e3:9.3f} {'':8s} {totals[1] * 1e3:9.3f} {'':8s} "
          f"{totals[0] / totals[1]:10.2f}")
    if worst > 1e-4:
        print(f"conv_phases.py: relative error {worst:.1e} against PyTorch float64 exceeds 1e-4",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
