"""convbn: Python access to the ConvBN compiler.

* `convbn.compile(model, example_inputs, mode="tune", target="cpu")`: a
  PyTorch model through torch-mlir, with its conv + batch-norm pairs raised
  into convbn ops and run through compiled code under torch autograd.
* `compiled.save(directory)`, `convbn.load(model, example_inputs,
  directory)`: the compiled code kept, and attached to the model again
  where only PyTorch is installed (a GPU machine without LLVM/MLIR).
* `convbn.compile_module(ir_text, target=...)`: ahead-of-time compilation of
  an MLIR module to a shared library callable on PyTorch tensors.
* `convbn.capi`: the compiler's C API (run a pass pipeline, translate).
"""

from .aot import CompiledModule, compile_module
from .compiler import CompiledModel, CompileError, compile
from .importer import ImportFailure
from .raising import RaiseReport, raise_conv_bn
from .saved import load
from .tools import Toolchain, ToolError

__all__ = ["CompiledModel", "CompiledModule", "CompileError", "ImportFailure", "RaiseReport",
           "Toolchain", "ToolError", "compile", "compile_module", "load", "raise_conv_bn"]
