"""convbn.compile on bad or unsupported input: each case prints what the
user sees (the message) and checks that results stay correct or the call
fails loudly. Prints one line per case: `<case>: <outcome>: <message>`.
"""

import importlib.metadata
import sys
import warnings

import torch

import convbn
from convbn import importer


def close(a, b):
    return (a - b).abs().max().item() <= 1e-4 * max(b.abs().max().item(), 1e-30)


def check_parity(model, x, compiled):
    """Forward and input gradient of `compiled` against `model` (f32)."""
    xa = x.clone().requires_grad_()
    xb = x.clone().requires_grad_()
    outs_a = compiled(xa)
    outs_b = model(xb)
    outs_a = outs_a if isinstance(outs_a, tuple) else (outs_a,)
    outs_b = outs_b if isinstance(outs_b, tuple) else (outs_b,)
    sum(o.sum() for o in outs_a).backward()
    sum(o.sum() for o in outs_b).backward()
    return all(close(a, b) for a, b in zip(outs_a, outs_b)) and close(xa.grad, xb.grad)


class ConvOutputToo(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 4, 3)
        self.bn = torch.nn.BatchNorm2d(4)
        self.conv2 = torch.nn.Conv2d(4, 4, 1, bias=False)
        self.bn2 = torch.nn.BatchNorm2d(4)

    def forward(self, x):
        y = self.conv(x)
        return self.bn2(self.conv2(self.bn(y))), y


def case(name, fn):
    try:
        outcome = fn()
        print(f"{name}: {outcome}")
    except Exception as error:  # report what the user would see
        first = str(error).strip().splitlines()[0]
        print(f"{name}: raised {type(error).__name__}: {first}")


def shared_conv_output():
    model = ConvOutputToo().eval()
    x = torch.randn(2, 3, 8, 8)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        compiled = convbn.compile(model, (x,))
    messages = [str(w.message) for w in caught if "convbn" in str(w.message)]
    ok = check_parity(model, x, compiled)
    return (f"raised {len(compiled.report.raised)}, left alone {len(compiled.report.left_alone)}, "
            f"results {'match' if ok else 'DIFFER'}; warning: {messages[0] if messages else 'none'}")


def left_alone_summary(model, x):
    """Compiles `model`, checks the results against PyTorch, and sums up what
    was raised and what was left alone (with the first reason)."""
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        compiled = convbn.compile(model, (x,))
    ok = check_parity(model, x, compiled)
    left = compiled.report.left_alone
    return (f"raised {len(compiled.report.raised)}, left alone {len(left)} "
            f"({left[0].reason if left else ''}), results {'match' if ok else 'DIFFER'}")


def transposed_conv():
    model = torch.nn.Sequential(torch.nn.ConvTranspose2d(4, 4, 3, stride=2), torch.nn.BatchNorm2d(4),
                                torch.nn.Conv2d(4, 4, 1), torch.nn.BatchNorm2d(4)).eval()
    return left_alone_summary(model, torch.randn(2, 4, 5, 5))


def unsupported_conv():
    model = torch.nn.Sequential(torch.nn.Conv1d(4, 4, 3, groups=4), torch.nn.BatchNorm1d(4)).eval()
    x = torch.randn(2, 4, 16)  # 1-D depthwise: linalg.depthwise_conv_1d_ncw_cw
    return left_alone_summary(model, x)


def training_batch_norm():
    model = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.BatchNorm2d(4))  # .train()
    convbn.compile(model, (torch.randn(2, 3, 8, 8),))
    return "compiled (UNEXPECTED)"


def unsupported_op():
    class Sorts(torch.nn.Module):
        def forward(self, x):
            return torch.nonzero(x > 0)

    convbn.compile(Sorts().eval(), (torch.randn(4, 4),))
    return "compiled (UNEXPECTED)"


def torch_mlir_missing():
    real = importlib.metadata.version

    def version(name):
        if name == "torch-mlir":
            raise importlib.metadata.PackageNotFoundError(name)
        return real(name)

    importlib.metadata.version = version
    try:
        importer.torch_mlir_fx()
    finally:
        importlib.metadata.version = real
    return "imported (UNEXPECTED)"


def torch_mlir_too_old():
    real = importlib.metadata.version
    importlib.metadata.version = lambda name: "20240101" if name == "torch-mlir" else real(name)
    try:
        importer.torch_mlir_fx()
    finally:
        importlib.metadata.version = real
    return "imported (UNEXPECTED)"


def bad_mode():
    convbn.compile(torch.nn.Conv2d(1, 1, 1).eval(), (torch.randn(1, 1, 2, 2),), mode="train")
    return "compiled (UNEXPECTED)"


def wrong_shape_at_call():
    model = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.BatchNorm2d(4)).eval()
    compiled = convbn.compile(model, (torch.randn(2, 3, 8, 8),))
    compiled(torch.randn(3, 3, 8, 8))
    return "ran (UNEXPECTED)"


for name, fn in [("shared conv output", shared_conv_output), ("transposed conv", transposed_conv),
                 ("unsupported conv", unsupported_conv),
                 ("training batch norm", training_batch_norm), ("unsupported op", unsupported_op),
                 ("torch-mlir missing", torch_mlir_missing), ("torch-mlir too old", torch_mlir_too_old),
                 ("bad mode", bad_mode), ("wrong shape at call", wrong_shape_at_call)]:
    case(name, fn)
sys.stdout.flush()
