"""Raising conv + batch norm from linalg into convbn ops, with a report."""

import re
from dataclasses import dataclass, field
from pathlib import Path

import torch

from . import capi

RAISED = "raised"
LEFT_ALONE = "left alone"
NO_BATCH_NORM = "no batch norm"

_RAISED_PREFIX = "raised convolution + batch norm"
_LEFT_ALONE_PREFIX = "convolution + batch norm left alone: "
_NO_BN_PREFIX = "convolution not raised"


def model_frame(location):
    """The frame of a diagnostic's call stack that is the model's own code:
    the innermost one outside torch's package and this one."""
    frames = [f for f in location.split(" <- ") if f]
    torch_dir = str(Path(torch.__file__).parent)
    own_dir = str(Path(__file__).parent)
    for frame in frames:
        if not frame.startswith((torch_dir, own_dir)):
            return frame
    return frames[0] if frames else ""


@dataclass
class ConvReport:
    """One convolution of the imported IR, in program order. `location` is
    the model's source line; `stack` the whole call stack."""

    index: int
    location: str
    status: str          # RAISED, LEFT_ALONE or NO_BATCH_NORM
    reason: str = ""
    stack: str = ""


@dataclass
class RaiseReport:
    convolutions: list = field(default_factory=list)

    @property
    def raised(self):
        return [c for c in self.convolutions if c.status == RAISED]

    @property
    def left_alone(self):
        return [c for c in self.convolutions if c.status == LEFT_ALONE]

    def __str__(self):
        lines = [f"raised {len(self.raised)} convolution + batch norm pair"
                 f"{'' if len(self.raised) == 1 else 's'} into convbn.conv_bn; "
                 f"left alone {len(self.left_alone)}; "
                 f"{len(self.convolutions) - len(self.raised) - len(self.left_alone)} "
                 "convolution(s) without batch norm"]
        for c in self.left_alone:
            lines.append(f"  left alone: convolution #{c.index} at {c.location or '?'}: {c.reason}")
        return "\n".join(lines)


class UnsupportedOperation(capi.CompilerError):
    """The imported IR holds an operation outside upstream MLIR (torch-mlir
    emits its own dialects for what linalg cannot express)."""


def raise_conv_bn(ir, name="<torch-mlir>"):
    """Runs -convbn-raise-from-linalg on `ir`; returns (raised IR, report)."""
    try:
        text, diagnostics = capi.run_pipeline(
            ir, "builtin.module(convbn-raise-from-linalg{report=true})", name=name)
    except capi.CompilerError as error:
        for d in error.diagnostics:
            found = re.search(r"Dialect `(\w+)' not found for custom op '([\w.]+)'", d.message)
            if found:
                raise UnsupportedOperation(
                    f"the model uses '{found.group(2)}' (at {model_frame(d.location) or '?'}), which torch-mlir "
                    f"lowers to its own '{found.group(1)}' dialect rather than linalg; this "
                    "compiler takes linalg-on-tensors IR only", error.diagnostics) from None
        raise
    report = RaiseReport()
    for d in diagnostics:
        if d.severity == "remark" and d.message.startswith(_RAISED_PREFIX):
            status, reason = RAISED, ""
        elif d.severity == "warning" and d.message.startswith(_LEFT_ALONE_PREFIX):
            status, reason = LEFT_ALONE, d.message[len(_LEFT_ALONE_PREFIX):]
        elif d.severity == "remark" and d.message.startswith(_NO_BN_PREFIX):
            status, reason = NO_BATCH_NORM, ""
        else:
            continue
        report.convolutions.append(ConvReport(len(report.convolutions), model_frame(d.location),
                                              status, reason, d.location))
    return text, report
