"""Ahead-of-time compilation of MLIR modules to shared libraries.

    module = convbn.compile_module(ir_text, target="cpu")      # or "cuda"
    module.call("step", inputs=[x, w, ...], outputs=[z, dx, ...])

Functions must carry `llvm.emit_c_interface`. Results are returned through
caller-allocated output tensors appended after the inputs (the pipelines'
out-params), so no memory crosses the boundary. compile_module records the
functions' signatures beside the library (signatures.json), and call()
checks every tensor's shape and dtype against them before running anything.

target="cpu": the library's heap buffers come from the caching allocator of
libconvbn_cpu_runtime.so (copied beside it, found through its rpath,
$ORIGIN), so a call reuses the previous call's buffers instead of faulting
in fresh pages; it also needs LLVM's libmlir_c_runner_utils.so.

target="cuda": the library holds the host code with the GPU binary embedded
and needs at run time only libconvbn_cuda_runtime.so (copied beside it; the
library finds it through its rpath, $ORIGIN) and the NVIDIA driver: no LLVM,
MLIR or CUDA toolkit. Tensors are PyTorch CUDA tensors of the current device.
Stream rule: call() hands the runtime PyTorch's current stream (its
default stream as CU_STREAM_LEGACY), so the generated kernels run in order
with the caller's work on that stream, and call() returns once they are
queued, like a PyTorch op.
"""

import ctypes
import hashlib
import json
import os
import platform
import shutil
import tempfile
import weakref
from pathlib import Path

from . import capi
from .tools import Toolchain, ToolError

RUNTIME_NAME = "libconvbn_cuda_runtime.so"
CPU_RUNTIME_NAME = "libconvbn_cpu_runtime.so"
CU_STREAM_LEGACY = 0x1  # cuda.h: the legacy default stream's handle
# The GPU code's tensor-core kernels read their operands in vectors of up
# to 16 bytes, assuming that every buffer starts at a multiple of this (as
# PyTorch's allocator and the runtime's make them); a tensor given at
# another address (a view at an offset) goes through an aligned copy.
GPU_ALIGNMENT = 16
# The functions' argument and result types, written beside module.so.
SIGNATURES_NAME = "signatures.json"
# MLIR element types as PyTorch dtype names.
_DTYPES = {"f64": "float64", "f32": "float32", "f16": "float16", "bf16": "bfloat16",
           "i64": "int64", "i32": "int32", "i16": "int16", "i8": "int8", "i1": "bool"}


# What compile_module writes besides the library: large (hundreds of MB for
# a whole network) and needed only to read or debug the stages.
INTERMEDIATES = ("input.mlir", "llvm.mlir", "module.ll")


def temporary_workdir(prefix):
    """A fresh directory for a build nobody asked to keep."""
    return Path(tempfile.mkdtemp(prefix=prefix))


def remove_with(owner, directory):
    """Removes `directory` once `owner` is garbage-collected (or at exit),
    after deleting its intermediate files now. A loaded library stays
    usable after its file is gone."""
    for name in INTERMEDIATES:
        (directory / name).unlink(missing_ok=True)
    weakref.finalize(owner, shutil.rmtree, str(directory), ignore_errors=True)


class _CpuMemoryStats(ctypes.Structure):
    _fields_ = [(name, ctypes.c_uint64) for name in
                ("liveBytes", "peakBytes", "cachedBytes", "systemAllocations", "cacheHits")]


def load_cuda_runtime(path):
    """The CUDA runtime library, loaded once per process. Every module
    names it by its soname, so the dynamic loader binds every module to the
    copy loaded first, whichever directory a later module comes from; a
    second copy loaded by its path would be a second runtime (its own
    stream, memory pool and statistics) that no module uses."""
    try:
        runtime = ctypes.CDLL(RUNTIME_NAME, mode=ctypes.RTLD_GLOBAL | os.RTLD_NOLOAD)
    except OSError:
        runtime = ctypes.CDLL(str(path), mode=ctypes.RTLD_GLOBAL)
    runtime.convbnRuntimeLastError.restype = ctypes.c_char_p
    runtime.convbnRuntimeUseStream.argtypes = [ctypes.c_void_p]
    return runtime


class CompiledModule:
    """A loaded shared library built from one MLIR module."""

    def __init__(self, path, target="cpu"):
        self.path = Path(path)
        self.target = target
        self._runtime = None
        if target == "cuda":
            # Loaded first and globally: the module's constructors call it.
            self._runtime = load_cuda_runtime(self.path.parent / RUNTIME_NAME)
        self._lib = ctypes.CDLL(str(self.path))
        self._check("loading " + self.path.name)
        signatures = self.path.parent / SIGNATURES_NAME
        # A library built before signatures were recorded: calls unchecked.
        self._signatures = json.loads(signatures.read_text()) if signatures.exists() else None
        self._functions = {}

    def device_memory(self):
        """(live, peak) bytes the generated code holds through its runtime
        (not counting the caller's tensors): device memory for cuda, heap
        memory for cpu (shared by every CPU module of the process)."""
        if self._runtime is None:
            stats = self.cpu_allocator_stats()
            return stats["liveBytes"], stats["peakBytes"]
        live, peak = ctypes.c_uint64(), ctypes.c_uint64()
        self._runtime.convbnRuntimeMemoryStats(ctypes.byref(live), ctypes.byref(peak))
        return live.value, peak.value

    def reset_peak_memory(self):
        if self._runtime is not None:
            self._runtime.convbnRuntimeResetPeakMemory()
        else:
            self._lib.convbnCpuRuntimeResetPeakMemory()

    def cpu_allocator_stats(self):
        """target="cpu": the caching allocator's counters (CpuRuntime.h's
        ConvbnCpuMemoryStats) as a dict."""
        if self.target != "cpu":
            raise ValueError("cpu_allocator_stats: a cuda module")
        stats = _CpuMemoryStats()
        # Looked up through the module: the runtime it was linked with.
        self._lib.convbnCpuRuntimeMemoryStats(ctypes.byref(stats))
        return {name: getattr(stats, name) for name, _ in stats._fields_}

    def global_load_trace(self, reset=True):
        """target="cpu", built with emulate-tensor-cores and
        trace-global-loads: what the emulated tensor-core kernels' gathers
        read from global memory, a dict per kernel launch since the last
        reset (CpuRuntime.h's convbnCpuRuntimeTraceJson: "kernel", "loads",
        "requests", "sectors", "step_sectors", "distinct_sectors", "bytes",
        "steps"); empty if nothing was traced. `reset`: start afresh after."""
        if self.target != "cpu":
            raise ValueError("global_load_trace: a cuda module")
        self._lib.convbnCpuRuntimeTraceJson.restype = ctypes.c_char_p
        launches = json.loads(self._lib.convbnCpuRuntimeTraceJson().decode())
        if reset:
            self._lib.convbnCpuRuntimeTraceReset()
        return launches

    def _check(self, what):
        if self._runtime is None:
            return
        error = self._runtime.convbnRuntimeLastError()
        if error:
            self._runtime.convbnRuntimeClearError()
            raise ToolError(f"{what}: {error.decode()}")

    def _function(self, name):
        """The C entry point of function `name` with what call() checks, looked
        up once: (fn, number of inputs or None, [(entry, shape, dtype)] per
        tensor or None) from the recorded signature, if any."""
        entry = self._functions.get(name)
        if entry is not None:
            return entry
        try:
            fn = getattr(self._lib, "_mlir_ciface_" + name)
        except AttributeError:
            raise ValueError(f"{self.path} has no function {name!r} with a C interface "
                             f"(llvm.emit_c_interface)") from None
        fn.restype = None
        inputs = types = None
        signature = (self._signatures or {}).get(name)
        if signature is not None:
            import torch

            inputs = len(signature["arguments"])
            types = [(t, tuple(t["shape"]) if "shape" in t else None,
                      getattr(torch, _DTYPES.get(t.get("element"), ""), None))
                     for t in signature["arguments"] + signature["results"]]
            # Each argument: the address of its memref descriptor.
            fn.argtypes = [ctypes.c_void_p] * len(types)
        self._functions[name] = entry = (fn, inputs, types)
        return entry

    def call(self, name, inputs, outputs):
        """Calls function `name`; writes `outputs`. Shapes and dtypes are
        checked against the function's signature (the inputs against its
        arguments, the outputs against its results)."""
        fn, arguments, types = self._function(name)
        tensors = [*inputs, *outputs]
        if types is not None and (len(inputs) != arguments or len(tensors) != len(types)):
            raise ValueError(f"{name}: takes {_count(arguments, 'input')} and "
                             f"{_count(len(types) - arguments, 'output')}, given "
                             f"{len(inputs)} and {len(outputs)}")
        cuda = self.target == "cuda"
        for t in tensors:
            if not t.is_contiguous():
                raise ValueError(f"{name}: tensors must be contiguous")
            if (t.device.type == "cuda") != cuda:
                raise ValueError(f"{name}: a {t.device.type} tensor given to {self.target} code")
        staged = []
        if cuda:
            # Outputs and memref arguments (written through) are written
            # back from their copies.
            writable = [i >= len(inputs) or types is None or
                        types[i][0].get("kind") == "memref" for i in range(len(tensors))]
            tensors, staged = aligned_copies(tensors, writable, GPU_ALIGNMENT)
        words, offsets = [], []
        for i, t in enumerate(tensors):
            if types is not None:
                entry, shape, dtype = types[i]
                if t.dtype != dtype or t.shape != shape:
                    _check_tensor(name, i, arguments, t, types[i])
            offsets.append(len(words))
            pointer = t.data_ptr()
            words += (pointer, pointer, 0, *t.shape, *t.stride())
        # Every descriptor in one buffer, 64-bit words: {allocated, aligned,
        # offset, sizes[rank], strides[rank]} (the C interface's struct).
        buffer = (ctypes.c_int64 * len(words))(*words)
        address = ctypes.addressof(buffer)
        if types is None:
            fn.argtypes = [ctypes.c_void_p] * len(tensors)
        if self._runtime is not None:
            import torch

            # PyTorch's default stream (handle 0) is CUDA's legacy default
            # stream, CU_STREAM_LEGACY to the driver: either way the
            # generated work is queued on PyTorch's stream, in order with
            # PyTorch's own, and the call returns without waiting for it.
            handle = torch.cuda.current_stream().cuda_stream or CU_STREAM_LEGACY
            self._runtime.convbnRuntimeUseStream(ctypes.c_void_p(handle))
        try:
            fn(*[address + 8 * offset for offset in offsets])
        finally:
            if self._runtime is not None:
                self._runtime.convbnRuntimeUseStream(None)
        self._check(name)
        if staged:
            import torch

            with torch.no_grad():
                for given, copy in staged:
                    given.copy_(copy)


def aligned_copies(tensors, writable, alignment):
    """`tensors` with each that does not start at a multiple of `alignment`
    bytes replaced by a copy (PyTorch's allocator aligns it), and the
    (given, copy) pairs of those whose `writable` is true, to be copied
    back after the call."""
    passed, staged = [], []
    for t, written in zip(tensors, writable):
        if t.data_ptr() % alignment:
            copy = t.clone()
            if written:
                staged.append((t, copy))
            t = copy
        passed.append(t)
    return passed, staged


def _type_text(t):
    """A signature entry as MLIR prints the type."""
    if "type" in t:
        return t["type"]
    sizes = "".join(("?" if d is None else str(d)) + "x" for d in t["shape"])
    return f"{t.get('kind', 'tensor')}<{sizes}{t['element']}>"


def _check_tensor(name, index, arguments, tensor, expected):
    """Raises ValueError unless `tensor` fits the signature entry `expected`
    ((entry, shape, dtype) from CompiledModule._function)."""
    entry, shape, dtype = expected
    matches = shape is not None and dtype is not None and tensor.dtype == dtype and \
        tensor.dim() == len(shape) and all(d is None or d == n for d, n in zip(shape, tensor.shape))
    if not matches:
        what, role = ((f"input {index}", "takes") if index < arguments
                      else (f"output {index - arguments}", "returns"))
        raise ValueError(f"{name}: {what} is a {str(tensor.dtype).replace('torch.', '')} tensor of "
                         f"shape {list(tensor.shape)}; the function {role} {_type_text(entry)}")


def _count(n, noun):
    return f"{n} {noun}" + ("" if n == 1 else "s")


# x86: LLVM's loop vectorizer turns strided loads and stores (the flipped,
# transposed filter copy of backward-data, channels-last copies) into
# AVX-512 gathers and scatters, which are slower than scalar code on the
# cores measured (AMD EPYC: 512 -> 512 3x3 filter flip 5.0 -> 1.4 ms;
# see docs/benchmarks.md). The vectorized convolutions use plain vector
# loads and are unaffected.
X86_NO_GATHERS = ["-Xclang", "-target-feature", "-Xclang", "+prefer-no-gather",
                  "-Xclang", "-target-feature", "-Xclang", "+prefer-no-scatter"]


# clang's -O levels that compile_module's `opt_level` takes.
OPT_LEVELS = (0, 1, 2, 3)


def compile_module(ir_text, *, target="cpu", eval_to_tune=True, gpu_format="bin",
                   chip="sm_90", workdir=None, toolchain=None, load=True, source_path=None,
                   cpu_gpu_loops=0, cpu_vectorize=False, tensor_cores=False, cpu_arch="native",
                   pipeline_options="", opt_level=2):
    """Compiles `ir_text` with -convbn-cpu-pipeline or -convbn-gpu-pipeline
    to a shared library (and loads it unless `load` is false). `workdir`
    keeps the intermediate files and the library. With `source_path` (the
    file `ir_text` was read from), diagnostics name that file.
    `cpu_gpu_loops` > 0 (CPU only): run the GPU pipeline's loop structure
    sequentially, with blocks of that many threads, reductions split as
    there. `cpu_vectorize` (CPU
    only): 2-D convolutions as tiled, vectorized im2col contractions.
    `tensor_cores`: 2-D convolutions as the GPU pipeline's implicit-GEMM
    tensor-core kernels (f32 as TF32); on the CPU, the same kernels
    emulated by host loops (their tiling and indexing, in f32), reductions
    split as on the GPU. `cpu_arch`
    (CPU only): clang's `-march` for the library, by default the machine
    compiling it (AVX-512 where it has it); "x86-64" (or None, clang's
    default) for a library that must run on other machines.
    `pipeline_options`: more options of the pipeline, as in its textual
    form (e.g. "merge-kernels=false recompute-producers=true"); they come
    after the ones above and override them. `opt_level`: clang's -O level
    for the library (its host code, on cuda), 2 by default. The tensor-core
    emulation is long straight-line vector arithmetic, where -O1 and -O2
    spend most of their time in register allocation and instruction
    scheduling: 0 builds such a library about 7 times faster, and checks
    that run it on small shapes hardly notice the slower code."""
    if opt_level not in OPT_LEVELS:
        raise ValueError(f"opt_level must be one of {OPT_LEVELS}, not {opt_level!r}")
    if target not in ("cpu", "cuda"):
        raise ValueError(f"target must be 'cpu' or 'cuda', not {target!r}")
    if workdir is None and not load:
        raise ValueError("compile_module: load=False needs a workdir, where the library stays")
    tools = toolchain or Toolchain()
    digest = hashlib.sha256((ir_text + target + str(eval_to_tune) + str(cpu_vectorize)
                             + str(tensor_cores) + str(cpu_arch) + pipeline_options
                             + str(opt_level))
                            .encode()).hexdigest()[:16]
    if workdir is not None:
        out = Path(workdir)
        out.mkdir(parents=True, exist_ok=True)
        return _build(ir_text, out, target, eval_to_tune, gpu_format, chip, tools, load,
                      source_path, cpu_gpu_loops, cpu_vectorize, tensor_cores, cpu_arch,
                      pipeline_options, opt_level)
    out = temporary_workdir(f"convbn-{digest}-")
    try:
        module = _build(ir_text, out, target, eval_to_tune, gpu_format, chip, tools, True,
                        source_path, cpu_gpu_loops, cpu_vectorize, tensor_cores, cpu_arch,
                        pipeline_options, opt_level, keep=False)
    except BaseException:
        shutil.rmtree(out, ignore_errors=True)
        raise
    remove_with(module, out)
    return module


def _build(ir_text, out, target, eval_to_tune, gpu_format, chip, tools, load, source_path,
           cpu_gpu_loops, cpu_vectorize, tensor_cores, cpu_arch, pipeline_options, opt_level,
           keep=True):
    """compile_module's work, in directory `out` (`keep`: the caller's, to
    keep; otherwise a temporary one)."""
    if source_path:
        source = Path(source_path)
    elif keep:
        source = out / "input.mlir"
        source.write_text(ir_text)
    else:
        source = "compile_module input"  # its file would be gone by the time anyone looked
    def flag(value):
        return "true" if value else "false"
    if target == "cpu":
        pipeline = (f"convbn-cpu-pipeline{{eval-to-tune={flag(eval_to_tune)} out-params=true "
                    f"gpu-loops={cpu_gpu_loops} vectorize={flag(cpu_vectorize)} "
                    # The GPU pipeline's reduction splitting (its default)
                    # with its loops or its tensor-core kernels.
                    f"split-reductions={65536 if cpu_gpu_loops or tensor_cores else 0} "
                    f"emulate-tensor-cores={flag(tensor_cores)} runtime-allocator=true "
                    f"{pipeline_options}}}")
    else:
        pipeline = (f"convbn-gpu-pipeline{{eval-to-tune={flag(eval_to_tune)} format={gpu_format} "
                    f"chip={chip} tensor-cores={flag(tensor_cores)} {pipeline_options}}}")
    llvm_dialect, _ = capi.run_pipeline(ir_text, f"builtin.module({pipeline})", name=str(source))
    (out / "llvm.mlir").write_text(llvm_dialect)
    llvm_ir = out / "module.ll"
    llvm_ir.write_text(capi.translate_to_llvmir(llvm_dialect, name=str(out / "llvm.mlir"))[0])
    library = out / "module.so"
    link = [tools.clang, f"-O{opt_level}", "-fPIC", "-shared", "-Wno-override-module", llvm_ir, "-o", library]
    if target == "cpu":
        if cpu_arch:
            link.append(f"-march={cpu_arch}")
        link += X86_NO_GATHERS if platform.machine() in ("x86_64", "AMD64") else []
        shutil.copy2(tools.build_dir / "lib" / CPU_RUNTIME_NAME, out / CPU_RUNTIME_NAME)
        link += [f"-L{out}", "-lconvbn_cpu_runtime", f"-L{tools.runtime_libs}", "-lmlir_c_runner_utils", "-lm",
                 tools.compiler_builtins,
                 "-Wl,--no-undefined", f"-Wl,-rpath,$ORIGIN:{tools.runtime_libs}"]
    else:
        runtime = tools.build_dir / "lib" / RUNTIME_NAME
        shutil.copy2(runtime, out / RUNTIME_NAME)
        link += [f"-L{out}", "-lconvbn_cuda_runtime", "-Wl,--no-undefined", "-Wl,-rpath,$ORIGIN"]
    tools.run(link)
    signatures = capi.function_signatures(ir_text, name=str(source))
    (out / SIGNATURES_NAME).write_text(json.dumps(signatures, indent=1) + "\n")
    return CompiledModule(library, target) if load else library


def main(argv=None):
    """`python -m convbn IN.mlir -o DIR --target cuda`: compiles a module
    to DIR/module.so, plus its runtime library (DIR/libconvbn_cpu_runtime.so
    or DIR/libconvbn_cuda_runtime.so)."""
    import argparse
    import sys

    parser = argparse.ArgumentParser(prog="python -m convbn", description=main.__doc__.split(":")[0])
    parser.add_argument("input", help="MLIR file (functions with llvm.emit_c_interface)")
    parser.add_argument("-o", "--output-dir", required=True)
    parser.add_argument("--target", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--no-eval-to-tune", action="store_true", help="keep eval-mode blocks as they are")
    parser.add_argument("--gpu-format", default="bin", choices=["isa", "bin", "fatbin"])
    parser.add_argument("--chip", default="sm_90")
    parser.add_argument("--march", default="native",
                        help="CPU target: clang's -march for the library (default: this "
                             "machine; x86-64 for a library that runs on any x86-64)")
    args = parser.parse_args(argv)
    try:
        library = compile_module(
            Path(args.input).read_text(), target=args.target, eval_to_tune=not args.no_eval_to_tune,
            gpu_format=args.gpu_format, chip=args.chip, workdir=args.output_dir, load=False,
            source_path=args.input, cpu_arch=args.march)
    except (OSError, ToolError) as error:
        print(f"convbn.aot: error: {error}", file=sys.stderr)
        return 1
    print(library)
    return 0
