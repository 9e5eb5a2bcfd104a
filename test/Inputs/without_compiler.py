"""Runs a Python script (argv[1], with the rest of argv) where neither
torch-mlir nor the compiler's C API can be used, as on a GPU machine that
has PyTorch but no LLVM/MLIR: importing torch_mlir fails, and loading
libconvbn_capi.so is an error."""

import runpy
import sys
from pathlib import Path

sys.modules["torch_mlir"] = None
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "python"))
from convbn import capi  # noqa: E402


def _no_capi():
    raise RuntimeError("the compiler's C API was used where only PyTorch is meant to be needed")


capi._load = _no_capi
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name="__main__")
