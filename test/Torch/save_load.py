"""convbn.compile(...).save(dir) and convbn.load(model, inputs, dir).

    python save_load.py compile DIR    # compile the model here, save it into DIR
    python save_load.py load DIR       # in a process where torch-mlir and the
                                       # compiler's C API cannot be loaded

The model has a transposed convolution + batch norm (raised in the IR, left
alone when the exported program is matched: the pairs after it must still
find their own blocks), two pairs of the same shape (one block), a strided
pair and a convolution without batch norm. `compile` prints the compiled
model's forward output and gradients into DIR/expected.pt; `load` checks
that the loaded model computes exactly the same values and, against
PyTorch in float64, within 1e-4; then what a mismatched model, other input
shapes and a damaged directory give.
"""

import json
import shutil
import sys
import warnings
from pathlib import Path

import torch
import torch.nn.functional as F

TOLERANCE = 1e-4


class Net(torch.nn.Module):
    def __init__(self, width=8):
        super().__init__()
        self.up = torch.nn.ConvTranspose2d(3, 4, 2, stride=2)
        self.up_bn = torch.nn.BatchNorm2d(4)
        self.a = torch.nn.Conv2d(4, width, 3, padding=1, bias=False)
        self.a_bn = torch.nn.BatchNorm2d(width)
        self.b = torch.nn.Conv2d(width, width, 3, padding=1, bias=False)
        self.b_bn = torch.nn.BatchNorm2d(width)
        self.c = torch.nn.Conv2d(width, width, 3, padding=1, bias=False)
        self.c_bn = torch.nn.BatchNorm2d(width)
        self.down = torch.nn.Conv2d(width, 6, 3, stride=2, padding=1)
        self.down_bn = torch.nn.BatchNorm2d(6)
        self.head = torch.nn.Conv2d(6, 2, 1)

    def forward(self, x):
        x = F.silu(self.up_bn(self.up(x)))
        x = F.silu(self.a_bn(self.a(x)))
        x = x + F.silu(self.c_bn(self.c(F.silu(self.b_bn(self.b(x))))))
        return self.head(F.silu(self.down_bn(self.down(x))))


def make_model(width=8):
    torch.manual_seed(0)
    model = Net(width)
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 2.0)
            m.weight.data.uniform_(0.5, 1.5)
            m.bias.data.uniform_(-0.5, 0.5)
    return model.eval()


def example():
    return torch.randn(2, 3, 6, 6, generator=torch.Generator().manual_seed(1))


def step(fn, model, x):
    """Output, input gradient and parameter gradients of sum(fn(x) * weights)."""
    model.zero_grad()
    x = x.clone().requires_grad_()
    out = fn(x)
    weights = torch.linspace(-1, 1, out.numel(), dtype=out.dtype).reshape(out.shape)
    (out * weights).sum().backward()
    return [out.detach(), x.grad] + [p.grad.clone() for p in model.parameters()]


def error(a, b):
    return ((a.double() - b).abs().max() / b.abs().max().clamp_min(1e-30)).item()


def compile_and_save(directory):
    import convbn
    model, x = make_model(), example()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        compiled = convbn.compile(model, (x,), mode="tune", target="cpu")
    print(f"compiled: {compiled.report}".splitlines()[0])
    compiled.save(directory)
    torch.save(step(compiled, model, x), Path(directory) / "expected.pt")
    saved = json.loads((Path(directory) / "model.json").read_text())
    print(f"saved: {sorted(p.name for p in Path(directory).iterdir())}; "
          f"{len(saved['blocks'])} blocks for {len(saved['block_of'])} raised pairs")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        unloaded = convbn.compile(model, (x,), mode="tune", target="cpu", load=False)
    print("compiled with load=False, called:", outcome(lambda: unloaded(x)))


def outcome(fn):
    try:
        fn()
        return "no error"
    except Exception as e:  # what the user sees
        return f"{type(e).__name__}: {e}"


def load_and_check(directory):
    # Neither torch-mlir nor the compiler's C API (libMLIR) may be used.
    sys.modules["torch_mlir"] = None
    import convbn
    from convbn import capi

    def no_capi():
        raise AssertionError("convbn.load used the compiler's C API")
    capi._load = no_capi

    model, x = make_model(), example()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        loaded = convbn.load(model, (x,), directory)
    left = [str(w.message) for w in caught if "left alone" in str(w.message)]
    replaced = sum(1 for n in loaded.graph_module.graph.nodes
                   if n.op == "call_module" and n.target.startswith("convbn_block_"))
    print(f"loaded: {replaced} compiled blocks in the graph, {len(left)} pair left alone "
          f"({left[0].split(': ', 2)[-1][:40] if left else ''})")
    got = step(loaded, model, x)
    expected = torch.load(Path(directory) / "expected.pt")
    same = all(torch.equal(a, b) for a, b in zip(got, expected))
    print(f"same values as the compiled model: {same}")
    reference_model = make_model().double()
    reference = step(reference_model, reference_model, x.double())
    names = ["output", "grad input"] + [f"grad {n}" for n, _ in model.named_parameters()]
    worst = max(zip((error(a, b) for a, b in zip(got, reference)), names))
    verdict = "ok" if worst[0] <= TOLERANCE else "FAILED"
    print(f"against PyTorch float64: worst {worst[0]:.1e} ({worst[1]}) {verdict}")

    print("other input shape:", outcome(
        lambda: convbn.load(model, (torch.randn(4, 3, 6, 6),), directory)))
    print("other model:", outcome(lambda: convbn.load(make_model(width=16), (x,), directory)))
    print("training mode:", outcome(lambda: convbn.load(make_model().train(), (x,), directory)))
    print("no saved model:", outcome(lambda: convbn.load(model, (x,), Path(directory) / "none")))
    damaged = Path(directory).with_name("damaged")
    shutil.copytree(directory, damaged, dirs_exist_ok=True)
    saved = json.loads((damaged / "model.json").read_text())
    saved["version"] = 99
    (damaged / "model.json").write_text(json.dumps(saved))
    print("other format version:", outcome(lambda: convbn.load(model, (x,), damaged)))
    return same and verdict == "ok"


if __name__ == "__main__":
    what, directory = sys.argv[1], sys.argv[2]
    if what == "compile":
        compile_and_save(directory)
    else:
        sys.exit(0 if load_and_check(directory) else 1)
