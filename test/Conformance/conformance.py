"""Conformance of the compiled code against PyTorch (CPU, float64 autograd).

Every case is a forward + backward step of one ConvBN block: the function
runs convbn.conv_bn in the case's mode, then convbn.backward for every
gradient the block has. The whole module is compiled ahead of time with
-convbn-cpu-pipeline, called on torch tensors, and compared with PyTorch's
conv + batch_norm in float64 on the same (rounded) inputs: forward output,
updated running statistics (train) and every gradient.

Error metric: normwise relative error max|ours - ref| / max|ref| per tensor,
except where the exact result is a cancellation: in train mode batch norm is
invariant to the conv bias and to the scale of each filter, so the bias
gradient is exactly 0 and the filter gradient can be (nearly) 0, e.g. for a
1x1 depthwise filter. Each train-mode gradient is therefore also bounded by
its "term scale", the same computation on absolute values (|dY| built from
|G|, |Yhat| and the |means|, then the convolution gradients of |X|, |W|).
When the term scale exceeds max|ref| by more than 100x, the error is taken
relative to the term scale (the standard bound for a rounded sum); the run
reports how many outputs were judged that way.

Tolerances, as worst normwise relative error:
  f32            1e-4 (the issue's bound; accumulation is f32)
  f16 (any S)    4e-3 = 8 ulp of f16 (2^-11 each): inputs are exact, the
                 results are rounded to f16 once (0.5 ulp), tune rounds the
                 folded filter to f16 (0.5 ulp per weight), eval and train
                 keep the conv output in f16 for backward (0.5 ulp), f16
                 statistics are rounded (0.5 ulp each), and the normalized
                 gradients amplify these by up to gamma/sqrt(var) ~ 2.
  bf16 (any S)   3e-2 = 8 ulp of bf16 (2^-8 each), the same budget.
Eval and tune of the same case must agree within 1e-5 in f32 (rounding only).
With --tensor-cores on the GPU, f32 convolutions are TF32 products (10-bit
mantissa, like f16): f32 is held to the f16 budget, 4e-3, and so is the
eval/tune agreement (the two round different filters to TF32).

GPU (--target cuda): the same cases through -convbn-gpu-pipeline (kernels
assembled by ptxas for sm_90), linked against the project's CUDA runtime. The
GPU machine has no LLVM/MLIR, so the run is split: `--compile-only` builds the
libraries into --workdir here; `--prebuilt DIR` loads them there and runs the
cases on PyTorch CUDA tensors against the same CPU float64 reference.

usage: conformance.py [--only SUBSTRING] [--workdir DIR] [--quick]
                      [--target cpu|cuda] [--compile-only | --prebuilt DIR]
                      [--vectorize] [--pipeline-options OPTIONS]
                      [--random-tiles COUNT [--seed SEED]]
"""

import argparse
import math
import os
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "python"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import convbn  # noqa: E402
from convbn import ptxreport  # noqa: E402
from cases import (gradient_copy_cases, inductor_cases, mixed_precision_cases,  # noqa: E402
                   phase_cases, random_tile_cases, schedule_cases, sweep_cases,
                   tall_cases, tile_cases)

DTYPES = {"f32": torch.float32, "f16": torch.float16, "bf16": torch.bfloat16}
TOLERANCE = {"f32": 1e-4, "f16": 4e-3, "bf16": 3e-2}
EVAL_TUNE_TOLERANCE = 1e-5


def tensor_type(shape, elt):
    return "tensor<" + "x".join(str(s) for s in shape) + "x" + elt + ">"


def array(values):
    return "array<i64: " + ", ".join(str(v) for v in values) + ">"


def gradient_names(case):
    names = ["input", "filter"]
    if case.bias:
        names.append("bias")
    if case.affine and case.mode != "deploy":
        names += ["gamma", "beta"]
    return names


def block_parameters(case):
    """(name, keyword, shape, is_per_channel) of the block's operands."""
    o = case.out_channels
    params = [
        ("x", None, (case.batch, case.in_channels) + case.spatial, False),
        ("w", None, (o, case.in_channels // case.groups) + case.kernel, False),
    ]
    if case.bias:
        params.append(("b", "bias", (o,), True))
    if case.mode != "deploy":
        if case.affine:
            params += [("g", "gamma", (o,), True), ("bt", "beta", (o,), True)]
        params += [("m", "mean", (o,), True), ("v", "var", (o,), True)]
    return params


def case_function(case):
    """The MLIR function of one case: forward then backward."""
    T, S = case.act_type, case.stat_type
    params = block_parameters(case)
    types = {n: tensor_type(shape, S if chan else T) for n, _, shape, chan in params}
    out_shape = (case.batch, case.out_channels) + case.out_spatial
    zt = tensor_type(out_shape, T)
    vt = tensor_type((case.out_channels,), S)
    operands = "%x, %w" + "".join(f" {kw} %{n}" for n, kw, _, _ in params[2:])
    operand_types = [types[n] for n, _, _, _ in params]
    attrs = [
        f"strides = {array(case.stride)}", f"padding_low = {array(case.pad_low)}",
        f"padding_high = {array(case.pad_high)}", f"dilations = {array(case.dilation)}",
        f"groups = {case.groups} : i64", f"epsilon = {case.epsilon:.17e} : f64",
    ]
    fwd_attrs = "{" + ", ".join(attrs + [f"momentum = {case.momentum:.17e} : f64"]) + "}"
    bwd_attrs = "{" + ", ".join(attrs) + "}"
    extra = {"train": 5, "eval": 1, "tune": 0, "deploy": 0}[case.mode]
    fwd_results = ["%z"] + ["%y", "%rm", "%rv", "%bm", "%bi"][:extra]
    fwd_types = [zt] + ([zt] + [vt] * 4)[:extra]
    saved, saved_types = "", []
    if case.mode in ("train", "eval"):
        saved += " conv_output %y"
        saved_types.append(zt)
    if case.mode == "train":
        saved += " batch_mean %bm batch_inv_std %bi"
        saved_types += [vt, vt]
    grads = gradient_names(case)
    grad_type = {"input": types["x"], "filter": types["w"], "bias": vt, "gamma": vt, "beta": vt}
    grad_results = [f"%d{g}" for g in grads]
    returns = ["%z"] + (["%rm", "%rv"] if case.mode == "train" else []) + grad_results
    return_types = [zt] + ([vt, vt] if case.mode == "train" else []) + [grad_type[g] for g in grads]

    def fn_type(ts):
        return ts[0] if len(ts) == 1 else "(" + ", ".join(ts) + ")"

    args = ", ".join(f"%{n}: {types[n]}" for n, _, _, _ in params) + f", %gz: {zt}"
    return "\n".join([
        f"func.func @{case.name}({args}) -> ({', '.join(return_types)}) attributes {{llvm.emit_c_interface}} {{",
        f"  {', '.join(fwd_results)} = convbn.conv_bn {case.mode} {operands} {fwd_attrs}"
        f" : ({', '.join(operand_types)}) -> {fn_type(fwd_types)}",
        f"  {', '.join(grad_results)} = convbn.backward {case.mode} grads <{'|'.join(grads)}> %gz, {operands}{saved} {bwd_attrs}"
        f" : ({', '.join([zt] + operand_types + saved_types)}) -> {fn_type([grad_type[g] for g in grads])}",
        f"  return {', '.join(returns)} : {', '.join(return_types)}",
        "}",
    ])


def make_inputs(case, seed):
    """float64 master values, already rounded through the case's types."""
    gen = torch.Generator().manual_seed(seed)
    T, S = DTYPES[case.act_type], DTYPES[case.stat_type]

    def rounded(t, dtype):
        return t.to(dtype).to(torch.float64)

    values = {}
    for name, _, shape, chan in block_parameters(case):
        if name == "x":
            t = torch.rand(shape, generator=gen, dtype=torch.float64) * 2 - 1
        elif name == "w":
            fan_in = math.prod(shape[1:])
            t = torch.randn(shape, generator=gen, dtype=torch.float64) / math.sqrt(fan_in)
        elif name == "g":
            t = torch.rand(shape, generator=gen, dtype=torch.float64) + 0.5
        elif name == "v":
            t = torch.rand(shape, generator=gen, dtype=torch.float64) + 0.5
        else:  # b, bt, m
            t = torch.randn(shape, generator=gen, dtype=torch.float64) * 0.2
        values[name] = rounded(t, S if chan else T)
    out_shape = (case.batch, case.out_channels) + case.out_spatial
    if case.mean_loss:
        values["gz"] = torch.full(out_shape, 1.0 / math.prod(out_shape), dtype=torch.float64)
    else:
        values["gz"] = torch.randn(out_shape, generator=gen, dtype=torch.float64)
    values["gz"] = rounded(values["gz"], T)
    return values


def reference(case, values):
    """PyTorch float64: the outputs (output, updated statistics, gradients)
    and, per output, its term scale (see the module doc)."""
    leaves = {n: values[n].clone().requires_grad_(True)
              for n in ("x", "w", "b", "g", "bt") if n in values}
    x = leaves["x"]
    pad = []
    for lo, hi in reversed(list(zip(case.pad_low, case.pad_high))):
        pad += [lo, hi]
    conv = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}[case.rank]

    def convolve(inp, weight, bias=None):
        return conv(F.pad(inp, pad), weight, bias, case.stride, 0, case.dilation, case.groups)

    y = convolve(x, leaves["w"], leaves.get("b"))
    outputs = []
    if case.mode == "deploy":
        z = y
    else:
        rm, rv = values["m"].clone(), values["v"].clone()
        z = F.batch_norm(y, rm, rv, leaves.get("g"), leaves.get("bt"),
                         training=case.mode == "train", momentum=case.momentum, eps=case.epsilon)
    outputs.append(z.detach())
    if case.mode == "train":
        outputs += [rm, rv]
    z.backward(values["gz"])
    key = {"input": "x", "filter": "w", "bias": "b", "gamma": "g", "beta": "bt"}
    outputs += [leaves[key[g]].grad for g in gradient_names(case)]
    scales = [o.abs().max().item() for o in outputs]
    if case.mode == "train":
        scales = train_term_scales(case, values, y.detach(), convolve, scales)
    return outputs, scales


def train_term_scales(case, values, y, convolve, scales):
    """Term scales of the train-mode gradients: the backward pass evaluated
    on absolute values, so every rounded sum is bounded by its terms."""
    dims = [0] + list(range(2, y.dim()))
    shape = (1, -1) + (1,) * case.rank
    mean = y.mean(dims, keepdim=True)
    inv_std = (y.var(dims, unbiased=False, keepdim=True) + case.epsilon).rsqrt()
    yhat = (y - mean) * inv_std
    g = values["gz"]
    gamma = values["g"].abs().view(shape) if "g" in values else 1.0
    dy_abs = gamma * inv_std * (g.abs() + g.mean(dims, keepdim=True).abs()
                                + yhat.abs() * (g * yhat).mean(dims, keepdim=True).abs())
    x0 = torch.zeros_like(values["x"], requires_grad=True)
    convolve(x0, values["w"].abs()).backward(dy_abs)
    w0 = torch.zeros_like(values["w"], requires_grad=True)
    convolve(values["x"].abs(), w0).backward(dy_abs)
    per_channel = lambda t: t.transpose(0, 1).reshape(case.out_channels, -1).sum(1).max().item()
    terms = {
        "grad_input": x0.grad.max().item(),
        "grad_filter": w0.grad.max().item(),
        "grad_bias": per_channel(dy_abs),
        "grad_gamma": per_channel((g * yhat).abs()),
        "grad_beta": per_channel(g.abs()),
    }
    return [terms.get(name, scale) for name, scale in zip(output_names(case), scales)]


def output_names(case):
    return ["output"] + (["new_running_mean", "new_running_var"] if case.mode == "train" else []) + [
        "grad_" + g for g in gradient_names(case)]


def output_shape(case, name):
    if name == "output":
        return (case.batch, case.out_channels) + case.out_spatial
    if name == "grad_input":
        return (case.batch, case.in_channels) + case.spatial
    if name == "grad_filter":
        return (case.out_channels, case.in_channels // case.groups) + case.kernel
    return (case.out_channels,)


def call_buffers(case, values, device="cpu"):
    """The block function's inputs (`values` in the case's types: T for
    activations and weights, S for per-channel vectors) and its empty
    outputs."""
    T, S = DTYPES[case.act_type], DTYPES[case.stat_type]
    params = block_parameters(case)
    inputs = [values[n].to(S if chan else T).contiguous().to(device) for n, _, _, chan in params]
    inputs.append(values["gz"].to(T).contiguous().to(device))
    outputs = []
    for name in output_names(case):
        chan = name in ("new_running_mean", "new_running_var", "grad_bias", "grad_gamma", "grad_beta")
        outputs.append(torch.empty(output_shape(case, name), dtype=S if chan else T, device=device))
    return inputs, outputs


def run_ours(module, case, values, device="cpu"):
    inputs, outputs = call_buffers(case, values, device)
    module.call(case.name, inputs, outputs)
    return [o.cpu().to(torch.float64) for o in outputs]


CANCELLATION = 100.0  # term scale / max|ref| above which a result is a cancellation


def relative_errors(case, ours, ref, scales):
    """Per output: (relative error, judged against the term scale?)."""
    errors = {}
    for name, a, r, term_scale in zip(output_names(case), ours, ref, scales):
        scale = r.abs().max().item()
        cancelled = term_scale > CANCELLATION * scale
        if cancelled:
            scale = term_scale
        err = (a - r).abs().max().item()
        rel = err / scale if scale > 0 else err
        errors[name] = (rel if math.isfinite(rel) else math.inf, cancelled)
    return errors


def compile_group(cases, eval_to_tune, args, label):
    """Compiles (or, with --prebuilt, loads) the library of one group."""
    if args.prebuilt:
        return convbn.CompiledModule(Path(args.prebuilt) / label / "module.so", args.target)
    text = "\n\n".join(case_function(c) for c in cases)
    start = time.time()
    workdir = (Path(args.workdir) / label) if args.workdir else None
    module = convbn.compile_module(
        text, target=args.target, eval_to_tune=eval_to_tune, workdir=workdir,
        load=not args.compile_only, cpu_gpu_loops=args.gpu_loops,
        cpu_vectorize=args.vectorize, tensor_cores=args.tensor_cores,
        pipeline_options=args.pipeline_options, opt_level=args.opt_level)
    kernels = ""
    if args.target == "cuda" and workdir:  # llvm.mlir is kept only there
        llvm = (workdir / "llvm.mlir").read_text()
        launched = sum(map(len, ptxreport.launched_kernels(llvm).values()))
        modules = llvm.count("gpu.binary @")
        kernels = (f", {launched} kernels in {modules} module{'' if modules == 1 else 's'} "
                   f"assembled by ptxas for sm_90")
    print(f"compiled {label}: {len(cases)} cases in {time.time() - start:.1f}s{kernels}", flush=True)
    return module


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="",
                        help="run cases whose name contains this (or any of "
                             "these, comma-separated)")
    parser.add_argument("--workdir", help="keep intermediate files here")
    parser.add_argument("--quick", action="store_true", help="skip the Inductor 3-D cases")
    parser.add_argument("--target", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--compile-only", action="store_true",
                        help="build the libraries into --workdir and stop")
    parser.add_argument("--prebuilt", help="load the libraries built into this --workdir")
    parser.add_argument("--gpu-loops", type=int, default=0, metavar="BLOCK",
                        help="CPU only: run the GPU pipeline's loop structure (blocks of BLOCK "
                             "threads) sequentially, checking the GPU mapping's arithmetic")
    parser.add_argument("--vectorize", action="store_true",
                        help="CPU only: -convbn-cpu-pipeline{vectorize=true} (2-D convolutions "
                             "as tiled, vectorized channels-last convolutions or im2col "
                             "contractions)")
    parser.add_argument("--pipeline-options", default="", metavar="OPTIONS",
                        help="more options of the pipeline, as in its textual form "
                             "(e.g. \"vector-channels-last=false\")")
    parser.add_argument("--tensor-cores", action="store_true",
                        help="2-D convolutions as implicit-GEMM tensor-core kernels: on cuda, "
                             "-convbn-gpu-pipeline{tensor-cores=true} (f32 as TF32, held to "
                             "the f16 tolerance); on cpu, the same kernels emulated by host loops")
    parser.add_argument("--opt-level", type=int, choices=convbn.aot.OPT_LEVELS, metavar="N",
                        help="clang's -O level for the libraries (their host code, on cuda; "
                             "default: 0 for the emulations, --tensor-cores and --gpu-loops "
                             "on cpu, which clang builds several times faster at -O0 and "
                             "which run about as fast on these shapes; 2 otherwise)")
    parser.add_argument("--random-tiles", type=int, default=0, metavar="COUNT",
                        help="add COUNT random 2-D convolutions of tensor-core size "
                             "(cases.random_tile_cases, named random_tiles_SEED_I: --only "
                             "random_tiles for them alone), a differential sweep of the "
                             "tensor-core kernels and their options")
    parser.add_argument("--seed", type=int, default=1, help="the seed of --random-tiles")
    args = parser.parse_args()
    if args.random_tiles < 0:
        parser.error("--random-tiles: the count must not be negative")
    if args.tensor_cores and args.target == "cuda":
        TOLERANCE["f32"] = TOLERANCE["f16"]
        global EVAL_TUNE_TOLERANCE
        EVAL_TUNE_TOLERANCE = TOLERANCE["f16"]
    if args.opt_level is None:
        emulation = args.target == "cpu" and (args.tensor_cores or args.gpu_loops)
        args.opt_level = 0 if emulation else 2
    if args.compile_only and not args.workdir:
        parser.error("--compile-only needs --workdir to keep the libraries")
    torch.set_num_threads(max(1, os.cpu_count() or 1))

    all_cases = (inductor_cases() + sweep_cases() + mixed_precision_cases() + tile_cases()
                 + phase_cases() + schedule_cases()
                 + (gradient_copy_cases() + tall_cases() if args.tensor_cores else [])
                 + random_tile_cases(args.random_tiles, args.seed))
    wanted = args.only.split(",")
    cases = [c for c in all_cases if any(w in c.name for w in wanted)]
    if args.quick:
        cases = [c for c in cases if not c.name.startswith("inductor_conv3d")]
    groups = {}
    for c in cases:
        groups.setdefault(c.act_type, []).append(c)

    failures, passed, cancelled_outputs = [], 0, 0
    worst = {}  # (act_type, mode) -> (error, case, output)
    eval_tune_worst = (0.0, None, None)
    for act_type, group in sorted(groups.items()):
        tuned = compile_group(group, True, args, f"{act_type}-tune")
        evals = [c for c in group if c.mode == "eval"]
        kept = compile_group(evals, False, args, f"{act_type}-eval") if evals else None
        if args.compile_only:
            continue
        for index, case in enumerate(group):
            values = make_inputs(case, seed=1000 + index)
            ref, scales = reference(case, values)
            variants = [("", tuned)] + ([(" [eval kept]", kept)] if case.mode == "eval" else [])
            results = {}
            for suffix, module in variants:
                ours = run_ours(module, case, values, "cuda" if args.target == "cuda" else "cpu")
                results[suffix] = ours
                errors = relative_errors(case, ours, ref, scales)
                cancelled_outputs += sum(c for _, c in errors.values())
                name, (err, _) = max(errors.items(), key=lambda kv: kv[1][0])
                key = (act_type, case.mode)
                if err > worst.get(key, (-1,))[0]:
                    worst[key] = (err, case.name + suffix, name)
                if err > TOLERANCE[act_type]:
                    failures.append(f"{case.name}{suffix}: {name} relative error {err:.3e} > {TOLERANCE[act_type]:.0e}")
                else:
                    passed += 1
            if case.mode == "eval" and act_type == "f32":
                # Tune (rewritten) and eval (kept) must agree up to rounding.
                eval_results = results[" [eval kept]"]
                diffs = relative_errors(case, results[""], eval_results, [0.0] * len(eval_results))
                name, (err, _) = max(diffs.items(), key=lambda kv: kv[1][0])
                if err > eval_tune_worst[0]:
                    eval_tune_worst = (err, case.name, name)
                if err > EVAL_TUNE_TOLERANCE:
                    failures.append(f"{case.name}: tune vs eval {name} differ by {err:.3e} > {EVAL_TUNE_TOLERANCE:.0e}")
                else:
                    passed += 1

    if args.compile_only:
        print(f"conformance: {len(cases)} cases compiled for {args.target} into {args.workdir}")
        return 0
    print(f"\nworst relative error against PyTorch float64 (see the metric above), target {args.target}:")
    for (act_type, mode), (err, name, output) in sorted(worst.items()):
        print(f"  {act_type:5s} {mode:7s} {err:.3e}  (tolerance {TOLERANCE[act_type]:.0e})  {name}: {output}")
    if eval_tune_worst[1]:
        err, name, output = eval_tune_worst
        print(f"  tune vs eval (f32): {err:.3e}  (tolerance {EVAL_TUNE_TOLERANCE:.0e})  {name}: {output}")
    print(f"  outputs judged against their term scale (exact cancellation): {cancelled_outputs}")
    for f in failures:
        print("FAIL", f)
    print(f"conformance: {len(cases)} cases")
    print(f"{passed} passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
