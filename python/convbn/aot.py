"""Ahead-of-time compilation of MLIR modules to shared libraries.

    module = convbn.compile_module(ir_text, target="cpu")
    module.call("step", inputs=[x, w, ...], outputs=[z, dx, ...])

Functions must carry `llvm.emit_c_interface`. Results are returned through
caller-allocated output tensors appended after the inputs (the pipeline's
`out-params=true`), so no memory crosses the boundary.
"""

import ctypes
import hashlib
import tempfile
from pathlib import Path

from .memref import descriptor
from .tools import Toolchain


class CompiledModule:
    """A loaded shared library built from one MLIR module."""

    def __init__(self, path):
        self.path = Path(path)
        self._lib = ctypes.CDLL(str(self.path))

    def call(self, name, inputs, outputs):
        """Calls function `name` on CPU torch tensors; writes `outputs`."""
        for t in list(inputs) + list(outputs):
            if not t.is_contiguous():
                raise ValueError(f"{name}: tensors must be contiguous")
        descs = [descriptor(t) for t in list(inputs) + list(outputs)]
        fn = getattr(self._lib, "_mlir_ciface_" + name)
        fn.restype = None
        fn.argtypes = [ctypes.POINTER(type(d)) for d in descs]
        fn(*[ctypes.byref(d) for d in descs])


def compile_module(ir_text, *, eval_to_tune=True, workdir=None, toolchain=None):
    """Compiles `ir_text` with -convbn-cpu-pipeline to a shared library and
    loads it. `workdir` keeps the intermediate files (default: a temporary
    directory named after the input's hash)."""
    tools = toolchain or Toolchain()
    digest = hashlib.sha256(
        (ir_text + str(eval_to_tune)).encode()
    ).hexdigest()[:16]
    out = Path(workdir or tempfile.mkdtemp(prefix=f"convbn-{digest}-"))
    out.mkdir(parents=True, exist_ok=True)
    source = out / "input.mlir"
    source.write_text(ir_text)
    llvm_dialect = out / "llvm.mlir"
    options = f"eval-to-tune={'true' if eval_to_tune else 'false'} out-params=true"
    tools.run([tools.convbn_opt, source, f"-convbn-cpu-pipeline={options}", "-o", llvm_dialect])
    llvm_ir = out / "module.ll"
    tools.run([tools.mlir_translate, "--mlir-to-llvmir", llvm_dialect, "-o", llvm_ir])
    library = out / "module.so"
    tools.run(
        [
            tools.clang, "-O2", "-fPIC", "-shared", "-Wno-override-module",
            llvm_ir, "-o", library,
            f"-L{tools.runtime_libs}", "-lmlir_c_runner_utils",
            f"-Wl,-rpath,{tools.runtime_libs}",
        ]
    )
    return CompiledModule(library)
