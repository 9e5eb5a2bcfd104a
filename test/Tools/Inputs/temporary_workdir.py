"""compile_module and compile without a workdir build in a temporary
directory (under TMPDIR) that holds only the library while the result
lives, and is gone once it is collected; a failed build leaves nothing, and
load=False without a workdir is refused before anything is built."""

import gc
import os
import sys
import tempfile
from pathlib import Path

import torch

import convbn

tmp = Path(sys.argv[1])
tmp.mkdir(parents=True)
os.environ["TMPDIR"] = str(tmp)
tempfile.tempdir = None  # read TMPDIR again


def listing():
    return sorted(p.parent.name.split("-")[0] + "/" + p.name for p in tmp.glob("convbn-*/*"))


IR = """
func.func @twice(%x: tensor<4xf64>) -> tensor<4xf64> attributes {llvm.emit_c_interface} {
  %empty = tensor.empty() : tensor<4xf64>
  %y = linalg.add ins(%x, %x : tensor<4xf64>, tensor<4xf64>) outs(%empty : tensor<4xf64>) -> tensor<4xf64>
  return %y : tensor<4xf64>
}
"""
module = convbn.compile_module(IR, target="cpu")
x = torch.tensor([1.0, -2.0, 0.5, 3.0], dtype=torch.float64)
out = torch.empty(4, dtype=torch.float64)
module.call("twice", inputs=[x], outputs=[out])
print("twice:", out.tolist())
print("module alive:", listing())
del module
gc.collect()
print("module collected:", listing())

try:
    convbn.compile_module(IR.replace("tensor<4xf64>)", "tensor<5xf64>)", 1), target="cpu")
except Exception as error:
    print("bad IR:", type(error).__name__, str(error).splitlines()[1])
print("after bad IR:", listing())

try:
    convbn.compile_module(IR, target="cpu", load=False)
except ValueError as error:
    print("load=False:", error)


class Block(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 4, 3, padding=1, bias=False)
        self.bn = torch.nn.BatchNorm2d(4)

    def forward(self, x):
        return self.bn(self.conv(x))


torch.manual_seed(0)
model = Block().eval()
x = torch.randn(2, 3, 6, 6)
compiled = convbn.compile(model, (x,))
expected = model.double()(x.double())
model.float()
error = (compiled(x).double() - expected).abs().max().item()
print(f"compile: max error {error:.1e} {'ok' if error < 1e-5 else 'WRONG'}")
print("compiled alive:", listing())
saved = compiled.save(tmp.parent / (tmp.name + "-saved"))
print("saved:", sorted(p.name for p in saved.iterdir()))
del compiled
gc.collect()
print("compiled collected:", listing())
