"""The compiler's C API (include/convbn-c/Compiler.h) through ctypes.

    text, diagnostics = run_pipeline(ir, "builtin.module(convbn-raise-from-linalg)")

The library is libconvbn_capi.so from the project's build ($CONVBN_BUILD_DIR
or <repo>/build); it links Debian's libMLIR.so. MLIR's own Python package is
not needed.
"""

import ctypes
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from .tools import REPO_ROOT, ToolError

LIBRARY_NAME = "libconvbn_capi.so"
API_VERSION = 2


@dataclass
class Diagnostic:
    """One diagnostic of the compiler: severity, 'file:line:col', message."""

    severity: str
    location: str
    message: str
    notes: list = field(default_factory=list)

    def __str__(self):
        where = f"{self.location}: " if self.location else ""
        text = f"{where}{self.severity}: {self.message}"
        for note in self.notes:
            note_where = f"{note['location']}: " if note.get("location") else ""
            text += f"\n  {note_where}note: {note['message']}"
        return text


class CompilerError(ToolError):
    """The compiler rejected its input; `diagnostics` holds why."""

    def __init__(self, what, diagnostics):
        self.diagnostics = diagnostics
        lines = "\n".join(str(d) for d in diagnostics) or "(no diagnostic)"
        super().__init__(what if what.endswith(("only", ".")) else f"{what} failed:\n{lines}")


_library = None


def library_path(build_dir=None):
    build = Path(build_dir or os.environ.get("CONVBN_BUILD_DIR", REPO_ROOT / "build"))
    return build / "lib" / LIBRARY_NAME


def _load():
    global _library
    if _library is not None:
        return _library
    path = library_path()
    if not path.exists():
        raise ToolError(f"{path} not found: run `scripts/dev.sh setup` (or set CONVBN_BUILD_DIR)")
    lib = ctypes.CDLL(str(path))
    lib.convbnCApiVersion.restype = ctypes.c_int
    if lib.convbnCApiVersion() != API_VERSION:
        raise ToolError(f"{path} implements C API version {lib.convbnCApiVersion()}, "
                        f"this package needs {API_VERSION}: rebuild with `scripts/dev.sh setup`")
    lib.convbnRunPipeline.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_char_p,
                                      ctypes.c_char_p, ctypes.c_int, ctypes.c_void_p,
                                      ctypes.c_void_p]
    lib.convbnRunPipeline.restype = ctypes.c_int
    lib.convbnTranslateToLLVMIR.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_char_p,
                                            ctypes.c_void_p, ctypes.c_void_p]
    lib.convbnTranslateToLLVMIR.restype = ctypes.c_int
    lib.convbnFunctionSignatures.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_char_p,
                                             ctypes.c_void_p, ctypes.c_void_p]
    lib.convbnFunctionSignatures.restype = ctypes.c_int
    lib.convbnFree.argtypes = [ctypes.c_void_p]
    lib.convbnFree.restype = None
    _library = lib
    return lib


def _take(lib, pointer):
    """The string at `pointer` (owned by the library), released."""
    if not pointer.value:
        return None
    text = ctypes.string_at(pointer.value).decode()
    lib.convbnFree(pointer.value)
    return text


def _call(function, ir, name, *args):
    lib = _load()
    data = ir.encode()
    output, diags = ctypes.c_void_p(), ctypes.c_void_p()
    status = getattr(lib, function)(data, len(data), name.encode(), *args,
                                    ctypes.byref(output), ctypes.byref(diags))
    text = _take(lib, output)
    diagnostics = [Diagnostic(**d) for d in json.loads(_take(lib, diags) or "[]")]
    return status, text, diagnostics


def run_pipeline(ir, pipeline, *, name="<input>", generic=False):
    """Parses `ir`, runs the textual pass `pipeline` (as -pass-pipeline
    takes it) and returns (printed module, diagnostics). Raises
    CompilerError with the diagnostics when anything fails."""
    status, text, diagnostics = _call("convbnRunPipeline", ir, name, pipeline.encode(),
                                      int(generic))
    if status != 0:
        raise CompilerError(f"pipeline {pipeline}", diagnostics)
    return text, diagnostics


def translate_to_llvmir(ir, *, name="<input>"):
    """LLVM IR text of a module in the LLVM dialect; (text, diagnostics)."""
    status, text, diagnostics = _call("convbnTranslateToLLVMIR", ir, name)
    if status != 0:
        raise CompilerError("translation to LLVM IR", diagnostics)
    return text, diagnostics


def function_signatures(ir, *, name="<input>"):
    """The signature of every function with a body in `ir`, as
    {name: {"arguments": [T, ...], "results": [T, ...]}} where T is
    {"shape": [size or None, ...], "element": "f32"} for a ranked tensor or
    memref and {"type": "..."} otherwise."""
    status, text, diagnostics = _call("convbnFunctionSignatures", ir, name)
    if status != 0:
        raise CompilerError("reading the function signatures", diagnostics)
    return json.loads(text)
