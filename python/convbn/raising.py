"""Raising conv + batch norm from linalg into convbn ops, with a report."""

from dataclasses import dataclass, field

from . import capi

RAISED = "raised"
LEFT_ALONE = "left alone"
NO_BATCH_NORM = "no batch norm"

_RAISED_PREFIX = "raised convolution + batch norm"
_LEFT_ALONE_PREFIX = "convolution + batch norm left alone: "
_NO_BN_PREFIX = "convolution not raised"


@dataclass
class ConvReport:
    """One convolution of the imported IR, in program order."""

    index: int
    location: str
    status: str          # RAISED, LEFT_ALONE or NO_BATCH_NORM
    reason: str = ""


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


def raise_conv_bn(ir, name="<torch-mlir>"):
    """Runs -convbn-raise-from-linalg on `ir`; returns (raised IR, report)."""
    text, diagnostics = capi.run_pipeline(
        ir, "builtin.module(convbn-raise-from-linalg{report=true})", name=name)
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
        report.convolutions.append(ConvReport(len(report.convolutions), d.location, status, reason))
    return text, report
