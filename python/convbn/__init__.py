"""convbn: Python access to the ConvBN compiler.

Today: compile MLIR modules ahead of time to shared libraries and call them on
PyTorch tensors (`convbn.aot`). The torch-mlir flow comes with a later
milestone.
"""

from .aot import CompiledModule, compile_module
from .tools import Toolchain, ToolError

__all__ = ["CompiledModule", "compile_module", "Toolchain", "ToolError"]
