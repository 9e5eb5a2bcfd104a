#!/usr/bin/env python3
"""ConvBN benchmark: ResNet-50's conv + batch-norm layers, forward + backward,
our four modes against PyTorch.

For every distinct conv + BN layer of ResNet-50 (torchvision layout) and
every batch size, it times one forward + backward step (median of --repeat
runs after --warmup) of:

  ours-train, ours-eval, ours-tune, ours-deploy
      the compiler's code for the block in that mode (forward and backward
      in one compiled function, from -convbn-cpu-pipeline or
      -convbn-gpu-pipeline);
  torch-eval      PyTorch eager, BN in eval mode (cuDNN on a GPU);
  torch-tune      PyTorch eager, Tune by hand (folded weight in the graph);
  torch-compile   torch.compile of Conv2d + BatchNorm2d in eval mode with
                  efficient_conv_bn_eval_fx_passes=True (--no-inductor skips);

and reports FLOPs (forward + backward-data + backward-filter convolutions),
bytes (each tensor read or written once), achieved TFLOP/s and the fraction
of the device's peak, the activation memory kept for backward, and, on a
GPU, the peak device memory. It prints a table and the target lines (each
with its measured ratio, layers weighted by how often ResNet-50 uses them)
and writes bench.json and bench.png to --out.

  benchmarks/convbn_bench.py                       # where it runs (GPU if one answers)
  benchmarks/convbn_bench.py --device cpu --batch 1 --size 56
  benchmarks/convbn_bench.py --build-only DIR --device cuda   # here: compile for sm_90
                           [--tensor-cores]                   # (implicit GEMM on tensor cores)
                           [--dtype bf16]                     # (f16/bf16 activations and weights)
  benchmarks/convbn_bench.py --prebuilt DIR                   # there: run without LLVM/MLIR
  benchmarks/convbn_bench.py --whole-network       # also ResNet-50 through convbn.compile
                                                   # (with --build-only/--prebuilt: saved, then
                                                   # attached again with convbn.load)
                           [--frozen-input]        # its input without requires_grad, as
                                                   # images in training

Timing: CUDA events on a GPU, time.perf_counter on the CPU; --threads sets
PyTorch's CPU threads (default 1: our CPU code is single-threaded).
"""

import argparse
import json
import math
import os
import statistics
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
from convbn.measure import kept_for_backward, step_memory  # noqa: E402
from cases import Case  # noqa: E402
from conformance import DTYPES, call_buffers, case_function, make_inputs  # noqa: E402
from resnet50_convbn import layers as resnet50_layers  # noqa: E402

MODES = ("train", "eval", "tune", "deploy")
# Dense peak TFLOP/s of the GPUs the project is lent (NVIDIA's data sheets,
# SXM parts): FP32 on CUDA cores, TF32 and FP16/BF16 on tensor cores.
GPU_PEAKS = {"H100": {"f32": 66.9, "tf32": 494.7, "f16": 989.4},
             "H200": {"f32": 66.9, "tf32": 494.7, "f16": 989.4}}
TARGETS = [
    ("tune time / our eval time", "ours-tune", "ours-eval", "time", 0.85),
    ("tune memory kept / our eval memory kept", "ours-tune", "ours-eval", "kept", 0.60),
    ("our tune time / PyTorch eager eval time", "ours-tune", "torch-eval", "time", 1.50),
]


def distinct_layers(size):
    """[(label, in, out, kernel, stride, padding, spatial, count)] of ResNet-50."""
    seen = {}
    for name, _, cin, cout, k, s, p, hw in resnet50_layers(size):
        key = (cin, cout, k, s, p, hw)
        if key not in seen:
            seen[key] = [name, 0]
        seen[key][1] += 1
    return [(name, *key, count) for key, (name, count) in seen.items()]


def chosen_modes_and_layers(parser, modes, name_part, size):
    """(modes, [(index, layer)]) of a report's --modes (comma-separated)
    and --layers (a part of ResNet-50's layer names) at `size`; a parser
    error for a mode that is not one of MODES or a part no name contains."""
    chosen = [m for m in modes.split(",") if m]
    for mode in chosen:
        if mode not in MODES:
            parser.error(f"--modes: '{mode}' is not one of {', '.join(MODES)}")
    layers = [(i, layer) for i, layer in enumerate(distinct_layers(size))
              if name_part in layer[0]]
    if not layers:
        parser.error(f"--layers: no ResNet-50 layer name contains '{name_part}'")
    return chosen, layers


def make_case(index, layer, batch, mode, dtype="f32"):
    """Activations, weights and gradients in `dtype`, per-channel vectors f32."""
    _, cin, cout, k, s, p, hw, _ = layer
    return Case(name=f"l{index}_b{batch}_{mode}", mode=mode, batch=batch, in_channels=cin,
                out_channels=cout, spatial=(hw, hw), kernel=(k, k), stride=(s, s),
                pad_low=(p, p), pad_high=(p, p), dilation=(1, 1), groups=1, bias=False,
                affine=True, act_type=dtype)


def conv_flops(case):
    out = case.batch * case.out_channels * math.prod(case.out_spatial)
    return 2 * out * case.in_channels * math.prod(case.kernel)


def step_bytes(case):
    """Bytes of one forward + backward step if every tensor moves once."""
    x = case.batch * case.in_channels * math.prod(case.spatial)
    z = case.batch * case.out_channels * math.prod(case.out_spatial)
    w = case.out_channels * case.in_channels * math.prod(case.kernel)
    kept_y = z if case.mode in ("train", "eval") else 0
    return DTYPES[case.act_type].itemsize * ((x + w + z) + (z + x + kept_y + w + x + w))


def kept_bytes_ours(case):
    """Activation bytes our backward keeps from forward (see -convbn-memory-report)."""
    x = case.batch * case.in_channels * math.prod(case.spatial)
    z = case.batch * case.out_channels * math.prod(case.out_spatial)
    size = DTYPES[case.act_type].itemsize
    extra = {"train": size * z + 4 * 2 * case.out_channels, "eval": size * z,
             "tune": 0, "deploy": 0}[case.mode]
    return size * x + extra


class Timer:
    def __init__(self, device, warmup, repeat):
        self.device, self.warmup, self.repeat = device, warmup, repeat

    def __call__(self, fn):
        for _ in range(self.warmup):
            fn()
        times = []
        for _ in range(self.repeat):
            if self.device == "cuda":
                start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
                start.record()
                fn()
                end.record()
                torch.cuda.synchronize()
                times.append(start.elapsed_time(end) / 1e3)
            else:
                t = time.perf_counter()
                fn()
                times.append(time.perf_counter() - t)
        return statistics.median(times)


def torch_variants(case, values, device, inductor):
    """{name: (step function, kept-bytes function)} of the PyTorch baselines,
    in the case's types (batch norm's vectors f32, like autocast keeps them)."""
    T = DTYPES[case.act_type]
    x, w, gz = (values[n].to(T).to(device) for n in ("x", "w", "gz"))
    g, bt, m, v = (values[n].to(torch.float32).to(device) for n in ("g", "bt", "m", "v"))
    params = [w.requires_grad_(), g.requires_grad_(), bt.requires_grad_()]
    pad, stride, eps = case.pad_low[0], case.stride, case.epsilon

    def eval_forward(xin):
        return F.batch_norm(F.conv2d(xin, w, None, stride, pad), m, v, g, bt, False, 0.0, eps)

    def tune_forward(xin):
        k = g * torch.rsqrt(v + eps)
        return F.conv2d(xin, (w * k.view(-1, 1, 1, 1)).to(T), (bt - m * k).to(T), stride, pad)

    variants = {"torch-eval": eval_forward, "torch-tune": tune_forward}
    if inductor:
        import torch._inductor.config as inductor_config
        inductor_config.efficient_conv_bn_eval_fx_passes = True
        module = torch.nn.Sequential(
            torch.nn.Conv2d(case.in_channels, case.out_channels, case.kernel, stride, pad, bias=False),
            torch.nn.BatchNorm2d(case.out_channels, eps=eps)).to(device).eval()
        with torch.no_grad():
            module[0].weight.copy_(w)
            module[1].weight.copy_(g)
            module[1].bias.copy_(bt)
            module[1].running_mean.copy_(m)
            module[1].running_var.copy_(v)
        # A fresh compile per layer: otherwise dynamo's recompile limit (8)
        # is hit after 8 layer shapes and the rest silently run eager.
        torch._dynamo.reset()
        compiled = torch.compile(module)
        if T is torch.float32:
            variants["torch-compile"] = compiled
        else:
            # 16-bit: autocast, as PyTorch users run mixed precision (f32
            # parameters; the efficient_conv_bn_eval pass fails on a 16-bit
            # conv followed by an f32 batch norm).
            def autocast_forward(xin, compiled=compiled):
                with torch.autocast(torch.device(device).type, dtype=T):
                    return compiled(xin)
            variants["torch-compile"] = autocast_forward
        params_compiled = list(module.parameters())
    out = {}
    for name, forward in variants.items():
        mine = params_compiled if name == "torch-compile" else params
        exclude = mine + [m, v, gz]

        def step(forward=forward, mine=mine):
            xin = x.detach().requires_grad_()
            z = forward(xin)
            torch.autograd.grad(z, [xin] + mine, gz)

        def kept(forward=forward, exclude=exclude):
            return kept_for_backward(lambda: forward(x.detach().requires_grad_()), exclude)

        out[name] = (step, kept)
    return out


def ours_step(module, case, values, device):
    inputs, outputs = call_buffers(case, values, device)
    return lambda: module.call(case.name, inputs, outputs)


def device_peak(device, cpu_peak, tensor_cores=False, dtype="f32"):
    if device == "cpu":
        return cpu_peak, ("f32 (measured on this CPU: the faster of PyTorch's torch.mm 2048^3 "
                          "and its 3x3 convolution 256->256 at 56x56)")
    name = torch.cuda.get_device_name()
    for key, peaks in GPU_PEAKS.items():
        if key in name:
            if dtype != "f32":
                return peaks["f16"], f"FP16/BF16 tensor-core peak of {key}"
            if tensor_cores:
                return peaks["tf32"], f"TF32 tensor-core peak of {key} ({peaks['f32']} f32 CUDA cores)"
            return peaks["f32"], f"f32 CUDA-core peak of {key} ({peaks['tf32']} TF32, {peaks['f16']} FP16)"
    return float("nan"), f"unknown peak for {name}"


def measure_cpu_peak(threads):
    """The faster of PyTorch's GEMM and its direct 3x3 convolution (oneDNN),
    in TFLOP/s: on some CPUs (AMD's, under MKL) torch.mm reaches half of
    what the convolution shows the core can do."""
    def rate(fn, flops):
        fn()
        start = time.perf_counter()
        for _ in range(3):
            fn()
        return 3 * flops / (time.perf_counter() - start) / 1e12

    a, b = torch.randn(2048, 2048), torch.randn(2048, 2048)
    x, w = torch.randn(1, 256, 56, 56), torch.randn(256, 256, 3, 3)
    with torch.no_grad():
        return max(rate(lambda: torch.mm(a, b), 2 * 2048 ** 3),
                   rate(lambda: torch.nn.functional.conv2d(x, w, padding=1),
                        2 * 256 * 256 * 9 * 56 * 56))


def build(cases_by_batch, target, workdir, vectorize=False, tensor_cores=False,
          pipeline_options=""):
    """One library per batch: built into `workdir`/batch{N} (their paths),
    or without a workdir loaded (CompiledModules)."""
    libraries = {}
    for batch, cases in cases_by_batch.items():
        text = "\n\n".join(case_function(c) for c in cases)
        out = Path(workdir) / f"batch{batch}" if workdir else None
        start = time.time()
        libraries[batch] = convbn.compile_module(text, target=target, eval_to_tune=False,
                                                 workdir=out, load=out is None,
                                                 cpu_vectorize=vectorize,
                                                 tensor_cores=tensor_cores,
                                                 pipeline_options=pipeline_options)
        print(f"compiled batch {batch}: {len(cases)} blocks in {time.time() - start:.1f} s",
              flush=True)
    return libraries


def whole_network_dir(root, batch, mode):
    return Path(root) / f"resnet50-b{batch}-{mode}"


def network_flops(model, x, input_grad=True):
    """FLOPs of one forward + backward of `model` on `x` as PyTorch counts
    them (torch.utils.flop_counter: convolutions and matrix products, 2 per
    multiply-add), the same algorithmic count for every variant."""
    from torch.utils.flop_counter import FlopCounterMode
    counter = FlopCounterMode(display=False)
    with counter:
        model(x.detach().requires_grad_(input_grad)).sum().backward()
    model.zero_grad(set_to_none=True)
    return counter.get_total_flops()


def whole_network(args, device, timer, peak=float("nan")):
    """ResNet-50 (torchvision, random weights, eval-mode batch norm) through
    convbn.compile in eval and tune mode against eager PyTorch, forward +
    backward at the first batch size. With --build-only DIR: compiled here
    for every batch size and saved into DIR; with --prebuilt DIR: loaded
    from there with convbn.load (no torch-mlir, no LLVM/MLIR)."""
    try:
        import torchvision
    except ImportError:
        print("ResNet-50 whole network skipped: torchvision is not installed here", flush=True)
        return []
    torch.manual_seed(0)
    model = torchvision.models.resnet50().eval()
    if args.build_only:
        for batch in args.batch:
            x = torch.randn(batch, 3, args.size, args.size)
            for mode in ("eval", "tune"):
                start = time.time()
                out = whole_network_dir(args.build_only, batch, mode)
                compiled = convbn.compile(model, (x,), mode=mode, target=device, workdir=out,
                                          tensor_cores=args.tensor_cores,
                                          vectorize=args.vectorize, load=False)
                compiled.save(out)
                print(f"compiled ResNet-50 batch {batch} {mode}: {time.time() - start:.1f} s",
                      flush=True)
        return []
    batch = args.batch[0]
    model, x = model.to(device), torch.randn(batch, 3, args.size, args.size, device=device)
    runs = {"torch-eval": model}
    for mode in ("eval", "tune"):
        if args.prebuilt:
            runs[f"ours-{mode}"] = convbn.load(model, (x,), whole_network_dir(args.prebuilt, batch, mode))
        else:
            runs[f"ours-{mode}"] = convbn.compile(model, (x,), mode=mode, target=device,
                                                  tensor_cores=args.tensor_cores,
                                                  vectorize=args.vectorize)
    exclude = list(model.parameters()) + list(model.buffers())
    flops = network_flops(model, x, input_grad=not args.frozen_input)
    rows = []
    for name, fn in runs.items():
        def step(fn=fn):
            out = fn(x.detach().requires_grad_(not args.frozen_input))
            out.sum().backward()
        peak_bytes = None
        if device == "cuda":
            library = getattr(fn, "library", None)
            torch.cuda.synchronize()
            torch.cuda.reset_peak_memory_stats()
            if library is not None:
                library.reset_peak_memory()
        t = timer(step)
        if device == "cuda":
            # PyTorch's allocator, plus what the generated code allocated
            # through the runtime (zero for PyTorch's own run).
            peak_bytes = torch.cuda.max_memory_allocated() + (
                library.device_memory()[1] if library is not None else 0)
        # One more step, untimed: what it allocates above what was
        # allocated before it (PyTorch's and our runtime's parts apart).
        memory = step_memory(step, device, getattr(fn, "library", None))
        kept = kept_for_backward(lambda fn=fn: fn(x.detach().requires_grad_()), exclude)
        with torch.no_grad():
            # Not a test (the conformance suite is): a guard against timing
            # code that computes something else.
            reference = model(x)
            error = ((fn(x) - reference).abs().max() / reference.abs().max()).item()
        tflops = flops / t / 1e12
        rows.append({"network": "resnet50", "batch": batch, "size": args.size,
                     "input_grad": not args.frozen_input, "variant": name, "seconds": t,
                     "flops": flops, "tflops": tflops,
                     "fraction_of_peak": tflops / peak if peak == peak else None,
                     "kept_bytes": kept, "peak_bytes": peak_bytes, "output_error": error,
                     "step_peak_bytes": memory["torch_peak"] + memory["runtime_peak"],
                     "step_memory": memory})
        peak_text = f"   peak {peak_bytes / 2**20:8.1f} MiB" if peak_bytes is not None else ""
        print(f"ResNet-50 {name:12s} fwd+bwd {t * 1e3:9.1f} ms  {tflops:7.3f} TFLOP/s "
              f"({100 * tflops / peak:5.1f}% of peak)   kept {kept / 2**20:8.1f} MiB"
              f"{peak_text}   output vs PyTorch {error:.1e}", flush=True)
        baseline = ("" if memory["baseline"] is None
                    else f" above {memory['baseline'] / 2**20:.1f} MiB allocated before")
        print(f"ResNet-50 {name:12s} one step: PyTorch's allocations peak "
              f"{memory['torch_peak'] / 2**20:.1f} MiB{baseline} (retained after it "
              f"{memory['retained'] / 2**20:.1f} MiB), our runtime's "
              f"{memory['runtime_peak'] / 2**20:.1f} MiB", flush=True)
    seconds = {r["variant"]: r["seconds"] for r in rows}
    kept = {r["variant"]: r["kept_bytes"] for r in rows}
    if args.frozen_input:
        print("ResNet-50: its input without requires_grad (--frozen-input)", flush=True)
    print(f"ResNet-50 batch {batch}: ours tune / ours eval time "
          f"{seconds['ours-tune'] / seconds['ours-eval']:.2f}x, kept "
          f"{kept['ours-tune'] / kept['ours-eval']:.2f}x; ours tune / PyTorch eager eval time "
          f"{seconds['ours-tune'] / seconds['torch-eval']:.2f}x", flush=True)
    step_peak = {r["variant"]: r["step_peak_bytes"] for r in rows}
    print(f"ResNet-50 batch {batch}: one step's peak allocations (PyTorch's plus our runtime's), "
          f"ours tune / PyTorch eager eval {step_peak['ours-tune'] / step_peak['torch-eval']:.2f}x, "
          f"ours eval / PyTorch eager eval {step_peak['ours-eval'] / step_peak['torch-eval']:.2f}x",
          flush=True)
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", choices=["cpu", "cuda"],
                        default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--batch", type=int, nargs="+")
    parser.add_argument("--size", type=int, help="ResNet-50 input size (224 GPU, 56 CPU)")
    parser.add_argument("--layers", type=int, default=0, help="only the first N distinct layers")
    parser.add_argument("--layer", metavar="PART", default="",
                        help="only the distinct layers whose name contains PART (e.g. "
                             "layer4.1.conv2), to time a change on the layers it moves")
    parser.add_argument("--modes", nargs="+", default=list(MODES), choices=MODES)
    parser.add_argument("--dtype", default="f32", choices=sorted(DTYPES),
                        help="activations, weights and gradients (per-channel vectors stay "
                             "f32), ours and PyTorch's alike; the whole network stays f32")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--threads", type=int, default=1, help="PyTorch CPU threads")
    parser.add_argument("--no-inductor", action="store_true", help="skip torch.compile")
    parser.add_argument("--whole-network", action="store_true")
    parser.add_argument("--frozen-input", action="store_true",
                        help="--whole-network: the network's input does not require grad, as "
                             "images in training (PyTorch and our first block then skip the "
                             "input gradient)")
    parser.add_argument("--vectorize", action="store_true",
                        help="CPU: build ours with -convbn-cpu-pipeline{vectorize=true}")
    parser.add_argument("--tensor-cores", action="store_true",
                        help="GPU: build ours with -convbn-gpu-pipeline{tensor-cores=true} "
                             "(convolutions as implicit GEMMs on tensor cores, f32 as TF32)")
    parser.add_argument("--pipeline-options", default="", metavar="OPTIONS",
                        help="more options of ours' pipeline for the layers, e.g. "
                             "\"merge-kernels=false\" (-convbn-gpu-pipeline) to compare a "
                             "choice; not for --whole-network")
    parser.add_argument("--build-only", metavar="DIR", help="compile the libraries into DIR and stop")
    parser.add_argument("--prebuilt", metavar="DIR", help="load libraries built with --build-only")
    parser.add_argument("--out", default="bench-results", help="directory for bench.json, bench.png")
    parser.add_argument("--plot", metavar="JSON", help="only draw bench.png from a bench.json "
                        "(for results from a machine without matplotlib)")
    args = parser.parse_args()
    if args.plot:
        data = json.loads(Path(args.plot).read_text())
        args.batch = sorted({r["batch"] for r in data["layers"]})
        args.size = data["info"]["size"]
        plot(data["layers"], args, Path(args.plot).with_name("bench.png"), data["info"])
        return 0
    gpu = args.device == "cuda"
    args.batch = args.batch or ([32, 64] if gpu else [1])
    args.size = args.size or (224 if gpu else 56)
    torch.set_num_threads(args.threads)

    # Each layer keeps its index in the whole list: the functions' names,
    # so that --prebuilt libraries of the whole table serve a --layer run.
    layers = list(enumerate(distinct_layers(args.size)))
    if args.layers:
        layers = layers[: args.layers]
    if args.layer:
        layers = [(i, layer) for i, layer in layers if args.layer in layer[0]]
        if not layers:
            parser.error(f"--layer: no ResNet-50 layer name contains '{args.layer}'")
    cases = {b: [make_case(i, layer, b, mode, args.dtype) for i, layer in layers
                 for mode in args.modes]
             for b in args.batch}
    if args.build_only:
        build(cases, args.device, args.build_only, args.vectorize, args.tensor_cores,
              args.pipeline_options)
        if args.whole_network:
            whole_network(args, args.device, None)
        return 0
    if args.prebuilt:
        paths = {b: Path(args.prebuilt) / f"batch{b}" / "module.so" for b in args.batch}
        missing = [b for b, path in paths.items() if not path.exists()]
        if missing:
            print(f"convbn_bench: error: {args.prebuilt} has no library for batch "
                  f"{', '.join(map(str, missing))} (built: "
                  f"{', '.join(sorted(p.name for p in Path(args.prebuilt).glob('batch*'))) or 'none'})",
                  file=sys.stderr)
            return 1
        libs = {b: convbn.CompiledModule(path, args.device) for b, path in paths.items()}
    else:
        libs = build(cases, args.device, None, args.vectorize, args.tensor_cores,
                     args.pipeline_options)

    timer = Timer(args.device, args.warmup, args.repeat)
    peak, peak_label = device_peak(args.device, measure_cpu_peak(args.threads) if not gpu else 0,
                                   args.tensor_cores, args.dtype)
    rows = []
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    info = {"device": torch.cuda.get_device_name() if gpu else "cpu", "peak_tflops": peak,
            "peak": peak_label, "threads": args.threads, "size": args.size,
            "vectorize": args.vectorize, "tensor_cores": args.tensor_cores, "dtype": args.dtype,
            "pipeline_options": args.pipeline_options,
            # paths inside the repository relative to it
            "command": " ".join(a.replace(f"{ROOT}/", "") for a in sys.argv), "torch": torch.__version__}

    def save(rows, summary=(), network=()):
        # Written after every layer too, so that a run stopped early (the
        # GPU machine's per-command limit) leaves what it measured.
        (out / "bench.json").write_text(json.dumps(
            {"info": info, "layers": rows, "targets": list(summary), "network": list(network),
             "complete": bool(summary)}, indent=1))

    header = (f"{'layer':34s} {'batch':>5s} {'variant':14s} {'ms':>9s} {'TFLOP/s':>8s} "
              f"{'%peak':>6s} {'GB/s':>7s} {'kept MiB':>9s} {'peak MiB':>9s}")
    print(f"device: {torch.cuda.get_device_name() if gpu else 'CPU'}; peak {peak:.2f} TFLOP/s = {peak_label}")
    print(header)
    for batch in args.batch:
        for i, layer in layers:
            label, count = f"{layer[0]} ({layer[1]}->{layer[2]} k{layer[3]}s{layer[4]} {layer[6]}px)", layer[7]
            first = make_case(i, layer, batch, "eval", args.dtype)
            values = make_inputs(first, seed=i)
            flops = 3 * conv_flops(first)
            variants = {}
            for mode in args.modes:
                case = make_case(i, layer, batch, mode, args.dtype)
                variants[f"ours-{mode}"] = (ours_step(libs[batch], case, values, args.device),
                                            lambda case=case: kept_bytes_ours(case), step_bytes(case))
            for name, (step, kept) in torch_variants(first, values, args.device,
                                                     not args.no_inductor).items():
                variants[name] = (step, kept, step_bytes(first))
            for name, (step, kept, moved) in variants.items():
                if gpu:
                    torch.cuda.synchronize()
                    torch.cuda.reset_peak_memory_stats()
                    libs[batch].reset_peak_memory()
                try:
                    seconds = timer(step)
                except Exception as error:  # torch.compile can fail where no compiler is
                    print(f"{label[:34]:34s} {batch:5d} {name:14s} unavailable: "
                          f"{str(error).strip().splitlines()[0][:120]}", flush=True)
                    continue
                # PyTorch's allocator, plus what our generated code allocated
                # through the runtime (intermediates; zero for the baselines).
                peak_bytes = (torch.cuda.max_memory_allocated() + libs[batch].device_memory()[1]
                              if gpu else None)
                row = {"layer": layer[0], "in": layer[1], "out": layer[2], "kernel": layer[3],
                       "stride": layer[4], "spatial": layer[6], "count": count, "batch": batch,
                       "variant": name, "seconds": seconds, "flops": flops, "bytes": moved,
                       "tflops": flops / seconds / 1e12, "kept_bytes": kept(),
                       "peak_bytes": peak_bytes}
                row["fraction_of_peak"] = row["tflops"] / peak if peak == peak else None
                rows.append(row)
                peak_text = f"{peak_bytes / 2**20:9.1f}" if peak_bytes is not None else f"{'-':>9s}"
                print(f"{label[:34]:34s} {batch:5d} {name:14s} {seconds * 1e3:9.3f} {row['tflops']:8.3f} "
                      f"{100 * (row['fraction_of_peak'] or 0):6.1f} {moved / seconds / 1e9:7.1f} "
                      f"{row['kept_bytes'] / 2**20:9.2f} {peak_text}", flush=True)
            save(rows)

    print("\ntargets (ResNet-50 totals: each layer weighted by its count):")
    summary = []
    for batch in args.batch:
        def total(variant, key):
            picked = [r for r in rows if r["variant"] == variant and r["batch"] == batch]
            key = "seconds" if key == "time" else "kept_bytes"
            return sum(r[key] * r["count"] for r in picked) if picked else float("nan")

        variants = dict.fromkeys(r["variant"] for r in rows if r["batch"] == batch)
        print(f"  batch {batch} totals: " + ", ".join(
            f"{v} {total(v, 'time') * 1e3:.2f} ms" for v in variants))

        for text, a, b, key, bound in TARGETS:
            ratio = total(a, key) / total(b, key)
            if ratio != ratio:  # --modes left out one side
                print(f"  batch {batch}: {text}: not measured ({a} or {b} not run)")
                continue
            met = "met" if ratio <= bound else "NOT met"
            summary.append({"batch": batch, "target": text, "ratio": ratio, "bound": bound, "met": ratio <= bound})
            print(f"  batch {batch}: {text}: {ratio:.2f}x (target <= {bound}x) {met}")

    # The whole network runs in f32 whatever --dtype says.
    network_peak = (peak if args.dtype == "f32" or not gpu
                    else device_peak(args.device, 0, args.tensor_cores, "f32")[0])
    network = whole_network(args, args.device, timer, network_peak) if args.whole_network else []
    save(rows, summary, network)
    try:
        plot(rows, args, out / "bench.png", info)
        print(f"\nwrote {out / 'bench.json'} and {out / 'bench.png'}")
    except ImportError:
        print(f"\nwrote {out / 'bench.json'}; matplotlib is missing here: draw the plot "
              f"elsewhere with --plot {out / 'bench.json'}")
    return 0


def plot(rows, args, path, info):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    variants = list(dict.fromkeys(r["variant"] for r in rows))
    fig, axes = plt.subplots(len(args.batch), 1, figsize=(14, 4.5 * len(args.batch)), squeeze=False)
    for ax, batch in zip(axes[:, 0], args.batch):
        layer_names = list(dict.fromkeys(r["layer"] for r in rows if r["batch"] == batch))
        width = 0.8 / len(variants)
        for k, variant in enumerate(variants):
            ys = [next((r["seconds"] * 1e3 for r in rows if r["batch"] == batch and
                        r["layer"] == name and r["variant"] == variant), 0) for name in layer_names]
            ax.bar([i + k * width for i in range(len(layer_names))], ys, width, label=variant)
        ax.set_xticks([i + 0.4 for i in range(len(layer_names))])
        ax.set_xticklabels(layer_names, rotation=60, ha="right", fontsize=7)
        ax.set_yscale("log")
        ax.set_ylabel("forward + backward, ms")
        ax.set_title(f"ResNet-50 conv + BN layers, batch {batch}, {info['device']}, {args.size}px")
        ax.legend(fontsize=7, ncol=4)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except convbn.ToolError as error:  # the compiler refused (e.g. bad --pipeline-options)
        print(f"convbn_bench: error: {error}", file=sys.stderr)
        sys.exit(1)
