"""PyTorch -> linalg-on-tensors IR through torch-mlir's fx importer.

The model is exported as a function of (inputs..., parameters...,
buffers...), so weights, BN parameters and running statistics are function
arguments of the imported IR rather than frozen constants: the same IR
serves inference and training.
"""

import importlib.metadata
from dataclasses import dataclass

import torch

# torch-mlir is published on PyPI as date-stamped snapshots; this is the one
# the project's virtual environment pins and tests.
MIN_TORCH_MLIR = "20261001"


class ImportFailure(RuntimeError):
    """torch-mlir is missing, too old, or could not import the model."""


def torch_mlir_fx():
    """torch_mlir.fx, or ImportFailure saying what to install."""
    try:
        version = importlib.metadata.version("torch-mlir")
    except importlib.metadata.PackageNotFoundError:
        raise ImportFailure(
            "convbn.compile needs torch-mlir, which is not installed in this Python "
            f"environment: `pip install torch-mlir>={MIN_TORCH_MLIR}` "
            "(scripts/dev.sh setup installs it into the project's .venv)") from None
    if version.split(".")[0] < MIN_TORCH_MLIR:
        raise ImportFailure(
            f"torch-mlir {version} is too old: convbn.compile needs {MIN_TORCH_MLIR} or newer "
            "(its fx importer with linalg-on-tensors output and func_name)")
    try:
        from torch_mlir import fx
    except ImportError as error:
        raise ImportFailure(f"torch-mlir {version} is installed but does not import: {error}") from error
    if not hasattr(fx, "export_and_import"):
        raise ImportFailure(f"torch-mlir {version} has no torch_mlir.fx.export_and_import")
    return fx


class _Functional(torch.nn.Module):
    """`model` as a function of (inputs..., parameters..., buffers...). The
    model is not registered as a submodule: its own tensors are not traced."""

    def __init__(self, model, num_inputs, names):
        super().__init__()
        object.__setattr__(self, "_model", model)
        self.num_inputs = num_inputs
        self.names = names

    def forward(self, *args):
        inputs = args[: self.num_inputs]
        state = dict(zip(self.names, args[self.num_inputs:]))
        return torch.func.functional_call(self._model, state, inputs)


@dataclass
class ImportedModel:
    ir: str                      # linalg-on-tensors module, function @forward
    program: torch.export.ExportedProgram
    state_names: list            # parameter then buffer names, after the inputs
    num_inputs: int


def export_model(model, example_inputs):
    """torch.export of `model` as a function of (inputs..., parameters...,
    buffers...): (program, state names). Needs PyTorch only."""
    params = [(n, p) for n, p in model.named_parameters()]
    buffers = [(n, b) for n, b in model.named_buffers()]
    names = [n for n, _ in params] + [n for n, _ in buffers]
    args = [t.detach().cpu() for t in example_inputs]
    args += [t.detach().cpu() for _, t in params + buffers]
    functional = _Functional(model, len(example_inputs), names)
    try:
        program = torch.export.export(functional, tuple(args), strict=False)
    except Exception as error:  # torch.export's errors are of many types
        raise ImportFailure(f"torch.export could not export the model: {error}") from error
    return program, names


def import_model(model, example_inputs):
    """Exports `model` (with its state as arguments) and imports it with
    torch-mlir into linalg-on-tensors IR."""
    fx = torch_mlir_fx()
    program, names = export_model(model, example_inputs)
    try:
        module = fx.export_and_import(program, output_type="linalg-on-tensors", func_name="forward")
    except Exception as error:
        message = str(error).strip().splitlines()
        raise ImportFailure(
            "torch-mlir could not lower the model to linalg-on-tensors "
            "(an operation it does not support?):\n  " + "\n  ".join(message[:12])) from error
    # With locations: diagnostics then name the model's source lines.
    ir = module.operation.get_asm(enable_debug_info=True)
    return ImportedModel(ir, program, names, len(example_inputs))
