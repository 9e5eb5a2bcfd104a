"""Whole torchvision networks through convbn.compile, against PyTorch in
float64: raise count, forward output, and the gradient of every parameter
and of the input; then the parameters' gradients again with an input that
does not require grad (the first block's backward then skips the input
gradient).

    python network_parity.py resnet18 [--expect-raised 20] [--mode tune]
        [--target cpu] [--batch 2] [--size 64] [--seed 0] [--tensor-cores]
    python network_parity.py resnet50 --target cuda --save DIR   # compile, save, stop
    python network_parity.py resnet50 --target cuda --load DIR   # where it runs

--save compiles without loading (a CUDA library can be built where no GPU
is) and saves with CompiledModel.save; --load attaches the saved code with
convbn.load (PyTorch only) and runs the checks there.

The reference. Forward values of a ReLU network are continuous, so the
output is compared with the float64 model directly. Gradients are not:
ReLU masks and max-pool choices are decided by the forward values, and an
f32 forward (PyTorch's own included) near a tie decides differently from
an f64 one now and then, which moves a whole gradient element (measured:
PyTorch f32 eager ResNet-50, seed 2: 2.9% input-gradient error). So the
gradient reference is the float64 evaluation of the same exported program
on the branch our forward took: every ReLU (and ReLU6) and max-pool of the
float64 run takes its mask / argmax from the values our compiled forward
produced at that op; everything else (convolutions, batch norm, adds, pooling, the
classifier) is computed in float64 by PyTorch. The number of decisions in
which our forward differs from a plain float64 run is reported.

Error metric: max |ours - ref| / max |ref| per tensor (as the conformance
suite); bound 1e-4 for f32, the conformance suite's (--tolerance to change
it, e.g. for TF32 tensor cores).
"""

import argparse
import copy
import sys

import torch
import torch.nn.functional as F
import torchvision

import convbn
from convbn.measure import kept_for_backward

ATEN = torch.ops.aten
RELUS = {ATEN.relu.default, ATEN.relu_.default}
CLAMPS = {ATEN.hardtanh.default, ATEN.hardtanh_.default}  # ReLU6 (MobileNet)
MAXPOOLS = {ATEN.max_pool2d.default}
TOLERANCE = 1e-4


class Recorder(torch.fx.Interpreter):
    """Runs a graph, recording the input of every ReLU and max-pool."""

    def __init__(self, module):
        super().__init__(module)
        self.recorded = []

    def call_function(self, target, args, kwargs):
        if target in RELUS or target in CLAMPS or target in MAXPOOLS:
            self.recorded.append(args[0].detach().clone())
        return super().call_function(target, args, kwargs)


class OnBranch(torch.fx.Interpreter):
    """Runs a graph (in float64) with each ReLU mask and max-pool argmax
    taken from `decisions` (the recorded f32 inputs of those ops)."""

    def __init__(self, module, decisions):
        super().__init__(module)
        self.decisions = iter(decisions)
        self.flipped = 0

    def call_function(self, target, args, kwargs):
        if target in RELUS:
            x, chosen = args[0], next(self.decisions)
            self.flipped += int(((chosen > 0) != (x > 0)).sum())
            return torch.where(chosen > 0, x, torch.zeros_like(x))
        if target in CLAMPS:
            x, chosen = args[0], next(self.decisions)
            low = args[1] if len(args) > 1 else -1.0
            high = args[2] if len(args) > 2 else 1.0
            inside = (chosen > low) & (chosen < high)
            self.flipped += int((inside != ((x > low) & (x < high))).sum())
            bound = torch.where(chosen <= low, torch.full_like(x, low), torch.full_like(x, high))
            return torch.where(inside, x, bound)
        if target in MAXPOOLS:
            x, chosen = args[0], next(self.decisions)
            kernel, stride = args[1], args[2] if len(args) > 2 and args[2] else args[1]
            padding = args[3] if len(args) > 3 else 0
            dilation = args[4] if len(args) > 4 else 1
            _, index = F.max_pool2d(chosen, kernel, stride, padding, dilation, return_indices=True)
            _, own = F.max_pool2d(x.detach(), kernel, stride, padding, dilation, return_indices=True)
            self.flipped += int((index != own).sum())
            flat = x.flatten(2).gather(2, index.flatten(2))
            return flat.view_as(index)
        return super().call_function(target, args, kwargs)


def relative(ours, ref):
    scale = ref.abs().max().item()
    return (ours.double() - ref).abs().max().item() / (scale if scale else 1.0)


def randomize_batch_norm(model, generator):
    """Running statistics and affine parameters away from the identity, so
    that the fold does real work."""
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.uniform_(-0.1, 0.1, generator=generator)
                m.running_var.uniform_(0.5, 2.0, generator=generator)
                m.weight.uniform_(0.5, 1.5, generator=generator)
                m.bias.uniform_(-0.1, 0.1, generator=generator)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model", help="a torchvision.models constructor, e.g. resnet18")
    parser.add_argument("--expect-raised", type=int, help="the number of pairs that must be raised")
    parser.add_argument("--mode", default="tune", choices=convbn.compiler.MODES)
    parser.add_argument("--target", default="cpu", choices=convbn.compiler.TARGETS)
    parser.add_argument("--batch", type=int, default=2)
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--vectorize", action="store_true",
                        help="CPU: build with -convbn-cpu-pipeline{vectorize=true}")
    parser.add_argument("--tensor-cores", action="store_true",
                        help="cuda: convolutions on tensor cores (f32 as TF32)")
    parser.add_argument("--pipeline-options", default="",
                        help="more options of the pipeline, as in its textual form "
                             "(e.g. \"emulate-tensor-cores=true\" on the CPU)")
    parser.add_argument("--opt-level", type=int, default=2, choices=convbn.aot.OPT_LEVELS,
                        help="clang's -O level for the library (0 builds the CPU's "
                             "tensor-core emulation several times faster)")
    parser.add_argument("--tolerance", type=float, default=TOLERANCE)
    saving = parser.add_mutually_exclusive_group()
    saving.add_argument("--save", metavar="DIR", help="compile, save into DIR and stop")
    saving.add_argument("--load", metavar="DIR", help="convbn.load the code saved in DIR")
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    generator = torch.Generator().manual_seed(args.seed)
    model = getattr(torchvision.models, args.model)()
    randomize_batch_norm(model, generator)
    model.eval()
    device = "cuda" if args.target == "cuda" and not args.save else "cpu"
    model.to(device)
    x = torch.randn(args.batch, 3, args.size, args.size, device=device)

    if args.load:
        compiled = convbn.load(model, (x,), args.load)
        if compiled.mode != args.mode or compiled.target != args.target:
            print(f"FAILED: {args.load} holds {compiled.mode} code for {compiled.target}, "
                  f"not {args.mode} for {args.target}")
            return 1
    else:
        compiled = convbn.compile(model, (x,), mode=args.mode, target=args.target,
                                  vectorize=args.vectorize, tensor_cores=args.tensor_cores,
                                  load=not args.save, pipeline_options=args.pipeline_options,
                                  opt_level=args.opt_level)
    report = compiled.report
    print(report)
    failures = []
    if args.expect_raised is not None and len(report.raised) != args.expect_raised:
        failures.append(f"raised {len(report.raised)} pairs, expected {args.expect_raised}")
    graph = compiled.graph_module.graph
    blocks = sum(1 for n in graph.nodes if n.op == "call_module" and n.target.startswith("convbn_block"))
    left = [n for n in graph.nodes if n.op == "call_function" and
            n.target in (ATEN.conv2d.default, ATEN.batch_norm.default)]
    print(f"exported graph: {blocks} compiled blocks, {len(left)} conv/batch-norm ops left in PyTorch")
    if blocks != len(report.raised):
        failures.append(f"{blocks} compiled blocks in the graph for {len(report.raised)} raised pairs")
    if args.save:
        compiled.save(args.save)
        print(f"saved into {args.save}" if not failures else "FAILED: " + "; ".join(failures))
        return 1 if failures else 0

    # Ours: forward and backward through the compiled model, recording the
    # inputs of the ReLUs and max-pools.
    params = [p for _, p in model.named_parameters()]
    state = params + [b for _, b in model.named_buffers()]
    xin = x.clone().requires_grad_()
    recorder = Recorder(compiled.graph_module)
    out = recorder.run(xin, *state)
    grad_out = torch.randn_like(out)
    ours = torch.autograd.grad(out, [xin] + params, grad_out)

    # Reference, forward: the float64 model.
    model64 = copy.deepcopy(model).double()
    x64 = x.double().requires_grad_()
    out64 = model64(x64)
    errors = {"forward": relative(out, out64.detach())}

    # Reference, gradients: float64 on our branch.
    params64 = [p for _, p in model64.named_parameters()]
    state64 = params64 + [b for _, b in model64.named_buffers()]
    on_branch = OnBranch(compiled.exported_module, recorder.recorded)
    ref_out = on_branch.run(x64, *state64)
    refs = torch.autograd.grad(ref_out, [x64] + params64, grad_out.double())
    errors["grad input"] = relative(ours[0], refs[0])
    names = [n for n, _ in model.named_parameters()]
    worst_name, worst = max(((n, relative(o, r)) for n, o, r in zip(names, ours[1:], refs[1:])),
                            key=lambda item: item[1])
    errors["grad parameters (worst)"] = worst
    plain = torch.autograd.grad(out64, [x64] + params64, grad_out.double())
    plain_error = max(relative(o, r) for o, r in zip(ours, plain))
    print(f"decisions (ReLU masks, max-pool choices) where our f32 forward differs from "
          f"float64: {on_branch.flipped}; worst gradient error against the plain float64 "
          f"model: {plain_error:.2e}")
    for what, error in errors.items():
        flag = "ok" if error <= args.tolerance else "FAIL"
        extra = f" ({worst_name})" if what.startswith("grad parameters") else ""
        print(f"{what:28s} {error:.2e}{extra} {flag}")
        if error > args.tolerance:
            failures.append(f"{what} error {error:.2e} > {args.tolerance:.0e}")
    print(f"{len(names)} parameter gradients and the input gradient checked")

    # Training seldom differentiates the images: with an input that does not
    # require grad, the blocks that read it run their backward without the
    # input gradient. The calls into the library say which backward ran.
    called = []
    library_call = compiled.library.call
    compiled.library.call = lambda name, *rest: (called.append(name), library_call(name, *rest))[1]
    try:
        no_input_grad = torch.autograd.grad(compiled(x.clone()), params, grad_out)
    finally:
        del compiled.library.call
    backwards = [n for n in called if "_backward" in n]
    weights_only = sum(1 for n in backwards if n.endswith("_backward_weights"))
    error = max(relative(o, r) for o, r in zip(no_input_grad, refs[1:]))
    flag = "ok" if error <= args.tolerance and weights_only >= 1 else "FAIL"
    print(f"input without grad: {weights_only} of {len(backwards)} block backwards without the "
          f"input gradient; grad parameters (worst) {error:.2e} {flag}")
    if flag != "ok":
        failures.append(f"input without grad: {weights_only} block backwards without the input "
                        f"gradient (expected at least 1), parameter gradient error {error:.2e}")
    mib = 1 << 20
    ours_kept = kept_for_backward(lambda: compiled(x.clone().requires_grad_()), state)
    eager_kept = kept_for_backward(lambda: model(x.clone().requires_grad_()), state)
    print(f"kept for backward (distinct activation storages): ours ({args.mode}) "
          f"{ours_kept / mib:.2f} MiB, PyTorch eager (eval batch norm) {eager_kept / mib:.2f} MiB "
          f"({ours_kept / eager_kept:.2f}x)")
    if failures:
        print("FAILED: " + "; ".join(failures))
        return 1
    print("PASSED")
    return 0


if __name__ == "__main__":
    sys.exit(main())
