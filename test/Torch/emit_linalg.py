"""Prints torch-mlir's linalg-on-tensors IR for a small Conv + BatchNorm
model (parameters as function arguments), for the raising tests.

    python emit_linalg.py conv2d|conv2d_bias|conv1d|conv3d|grouped|shared
"""

import sys

import torch

sys.path.insert(0, __import__("os").path.join(__import__("os").path.dirname(__file__), "..", "..", "python"))
from convbn.importer import import_model  # noqa: E402


class ConvOutputToo(torch.nn.Module):
    """The conv output is also returned: its batch norm cannot be fused."""

    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 4, 3)
        self.bn = torch.nn.BatchNorm2d(4)

    def forward(self, x):
        y = self.conv(x)
        return self.bn(y), y


def model(kind):
    if kind == "conv1d":
        return torch.nn.Sequential(torch.nn.Conv1d(3, 4, 3, stride=2, bias=False),
                                   torch.nn.BatchNorm1d(4)), (2, 3, 16)
    if kind == "conv3d":
        return torch.nn.Sequential(torch.nn.Conv3d(3, 4, 3, padding=1),
                                   torch.nn.BatchNorm3d(4, affine=False)), (2, 3, 6, 6, 6)
    if kind == "grouped":
        return torch.nn.Sequential(torch.nn.Conv2d(4, 4, 3, groups=2),
                                   torch.nn.BatchNorm2d(4)), (2, 4, 8, 8)
    if kind == "shared":
        return ConvOutputToo(), (2, 3, 8, 8)
    bias = kind == "conv2d_bias"
    return torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3, stride=2, padding=1, bias=bias),
                               torch.nn.BatchNorm2d(4)), (2, 3, 8, 8)


m, shape = model(sys.argv[1])
print(import_model(m.eval(), (torch.randn(*shape),)).ir)
